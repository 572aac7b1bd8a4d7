/* reco_knn.c — item-item neighbours from co-purchases: cosine over binary buyer vectors, or dot
 * products over BM25-weighted buyer vectors (the weighting of the `implicit` library's
 * BM25Recommender: items are the documents, buyers the terms).
 *
 *   cosine(i, j) = |U(i) ∩ U(j)| / sqrt(|U(i)| · |U(j)|)       U(i): members who bought i
 *   bm25:  w(i,u) = r(i,u)·(K1+1) / (K1·(1 − B + B·len(i)/avglen) + r(i,u)) · idf(u),
 *          len(i) = Σ_u r(i,u), idf(u) = max(0, log N − log(1 + |I(u)|)), N = items;
 *          sim(i, j) = Σ_u w(i,u)·w(j,u)
 *
 * Invariants of the result: for each item at most K neighbours, never the item itself, every
 * similarity > 0, sorted by similarity descending then neighbour index ascending — so the
 * neighbour lists, and everything ranked from them, are deterministic. The work is
 * Σ_u |I(u)|² accumulations into one dense row per item, the usual sparse-product cost.
 */
#include "reco_int.h"
#include "patron/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The item → buyer transpose of m, with each entry's weight. */
struct cols {
    size_t  *first; /* [nitems + 1] */
    int32_t *user;  /* [nnz] */
    double  *w;     /* [nnz] */
};

static void cols_free(struct cols *c)
{
    free(c->first);
    free(c->user);
    free(c->w);
}

static int transpose(const pt_reco_matrix *m, const double *rw, struct cols *c)
{
    c->first = calloc(m->nitems + 1, sizeof *c->first);
    c->user = malloc((m->nnz + 1) * sizeof *c->user);
    c->w = malloc((m->nnz + 1) * sizeof *c->w);
    size_t *fill = calloc(m->nitems + 1, sizeof *fill);
    if (!c->first || !c->user || !c->w || !fill) {
        free(fill);
        return PT_ENOMEM;
    }
    for (size_t e = 0; e < m->nnz; e++)
        c->first[m->item[e] + 1]++;
    for (size_t i = 0; i < m->nitems; i++)
        c->first[i + 1] += c->first[i];
    for (size_t u = 0; u < m->nusers; u++)
        for (size_t e = m->first[u]; e < m->first[u + 1]; e++) {
            size_t at = c->first[m->item[e]] + fill[m->item[e]]++;
            c->user[at] = (int32_t)u;
            c->w[at] = rw[e];
        }
    free(fill);
    return PT_OK;
}

/* rw[e] for every entry of m: 1 for cosine, the BM25 weight (top of this file) for bm25. */
static int entry_weights(const pt_reco_matrix *m, int cosine, double k1, double b, double **out)
{
    double *rw = malloc((m->nnz + 1) * sizeof *rw);
    double *len = calloc(m->nitems + 1, sizeof *len);
    if (!rw || !len) {
        free(rw);
        free(len);
        return PT_ENOMEM;
    }
    double total = 0, logn = log((double)(m->nitems ? m->nitems : 1));
    for (size_t e = 0; e < m->nnz; e++) {
        len[m->item[e]] += m->count[e];
        total += m->count[e];
    }
    double avg = m->nitems && total > 0 ? total / (double)m->nitems : 1;
    for (size_t u = 0; u < m->nusers; u++) {
        double idf = logn - log1p((double)(m->first[u + 1] - m->first[u]));
        for (size_t e = m->first[u]; e < m->first[u + 1]; e++) {
            double r = m->count[e], norm = (1.0 - b) + b * len[m->item[e]] / avg;
            rw[e] = cosine ? 1.0 : r * (k1 + 1.0) / (k1 * norm + r) * (idf > 0 ? idf : 0);
        }
    }
    free(len);
    *out = rw;
    return PT_OK;
}

struct cand {
    uint32_t j;
    double   s;
};

static int cand_cmp(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->s != y->s)
        return x->s > y->s ? -1 : 1;
    return (x->j > y->j) - (x->j < y->j);
}

struct knn_work {
    double      *acc;     /* [nitems] the similarity row being accumulated */
    uint32_t    *touched; /* [nitems] items reached from the current item */
    uint32_t    *mark;    /* [nitems] current item + 1 once touched */
    struct cand *cands;   /* [nitems] */
    size_t       cap;     /* room in the model's neighbour arrays */
};

/* Appends item i's top K neighbours (from w->acc over w->touched[0..nt−1]) to the model. */
static int push_row(pt_reco_model *md, struct knn_work *w, uint32_t i, size_t nt, size_t K)
{
    size_t nc = 0, at = md->nb_first[i];
    for (size_t t = 0; t < nt; t++) {
        uint32_t j = w->touched[t];
        if (w->acc[j] > 0)
            w->cands[nc++] = (struct cand){.j = j, .s = w->acc[j]};
        w->acc[j] = 0;
    }
    qsort(w->cands, nc, sizeof *w->cands, cand_cmp);
    if (nc > K)
        nc = K;
    if (at + nc > w->cap) {
        size_t cap = w->cap * 2 + nc + 1024;
        uint32_t *it = realloc(md->nb_item, cap * sizeof *it);
        if (it)
            md->nb_item = it;
        double *sim = realloc(md->nb_sim, cap * sizeof *sim);
        if (sim)
            md->nb_sim = sim;
        if (!it || !sim)
            return PT_ENOMEM;
        w->cap = cap;
    }
    for (size_t k = 0; k < nc; k++) {
        md->nb_item[at + k] = w->cands[k].j;
        md->nb_sim[at + k] = w->cands[k].s;
    }
    md->nb_first[i + 1] = (uint32_t)(at + nc);
    return PT_OK;
}

/* Item i's similarity row: Σ over its buyers u of w(i,u)·w(j,u) for every j u bought; cosine
 * then divides the co-counts by sqrt(|U(i)|·|U(j)|). Returns the number of touched items. */
static size_t item_row(const pt_reco_matrix *m, const struct cols *c, const double *rw, uint32_t i, int cosine,
                       struct knn_work *w)
{
    size_t nt = 0;
    for (size_t e = c->first[i]; e < c->first[i + 1]; e++) {
        size_t u = (size_t)c->user[e];
        for (size_t f = m->first[u]; f < m->first[u + 1]; f++) {
            uint32_t j = (uint32_t)m->item[f];
            if (j == i)
                continue;
            if (w->mark[j] != i + 1) {
                w->mark[j] = i + 1;
                w->touched[nt++] = j;
            }
            w->acc[j] += c->w[e] * rw[f];
        }
    }
    if (cosine) {
        double di = (double)(c->first[i + 1] - c->first[i]);
        for (size_t t = 0; t < nt; t++) {
            uint32_t j = w->touched[t];
            w->acc[j] /= sqrt(di * (double)(c->first[j + 1] - c->first[j]));
        }
    }
    return nt;
}

int reco__knn_train(pt_reco_model *md, const pt_reco_matrix *m, const pt_reco_opts *o)
{
    int cosine = o->kind == PT_RECO_COSINE;
    double *rw = NULL;
    struct cols c = {0};
    struct knn_work w = {0};
    int rc = entry_weights(m, cosine, o->bm25_k1, o->bm25_b, &rw);
    if (rc == PT_OK)
        rc = transpose(m, rw, &c);
    w.acc = calloc(m->nitems + 1, sizeof *w.acc);
    w.touched = malloc((m->nitems + 1) * sizeof *w.touched);
    w.cands = malloc((m->nitems + 1) * sizeof *w.cands);
    w.mark = calloc(m->nitems + 1, sizeof *w.mark);
    md->nb_first = calloc((size_t)md->nitems + 1, sizeof *md->nb_first);
    if (!w.acc || !w.touched || !w.cands || !w.mark || !md->nb_first)
        rc = PT_ENOMEM;
    md->neighbours = o->neighbours;
    for (uint32_t i = 0; rc == PT_OK && i < md->nitems; i++) {
        size_t nt = item_row(m, &c, rw, i, cosine, &w);
        rc = push_row(md, &w, i, nt, o->neighbours);
    }
    free(rw);
    cols_free(&c);
    free(w.acc);
    free(w.touched);
    free(w.cands);
    free(w.mark);
    return rc;
}

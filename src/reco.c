/* reco.c — training dispatch, filters and the ranking every recommender shares (reco.h).
 *
 * Ranking: each model fills a dense score per item (item-item: Σ over the history of the
 * neighbour similarities; als: xᵤᵀyᵢ with xᵤ folded in; blend: both, each divided by its largest
 * magnitude, mixed by the blend weight; popularity: the buyer counts). Items are then ordered by
 * (score desc, category affinity desc, popularity desc, index asc) — a total order, so lists are
 * deterministic, and items without a score come in category-popularity order (the member's most
 * bought categories first), then popularity: the cold start (冷启动). Filtered items (already bought unless
 * include_bought, or not allowed by the mask) are never returned.
 *
 * Ownership: a model owns every array it points to; pt_reco_model_free releases them all.
 */
#include "reco_int.h"
#include "patron/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

pt_reco_model *reco__model_new(uint32_t nitems)
{
    pt_reco_model *md = calloc(1, sizeof *md);
    if (!md)
        return NULL;
    md->nitems = nitems;
    md->code = calloc((size_t)nitems + 1, sizeof *md->code);
    md->category = calloc((size_t)nitems + 1, sizeof *md->category);
    md->pop = calloc((size_t)nitems + 1, sizeof *md->pop);
    if (!md->code || !md->category || !md->pop) {
        pt_reco_model_free(md);
        return NULL;
    }
    return md;
}

void pt_reco_model_free(pt_reco_model *md)
{
    if (!md)
        return;
    free(md->code);
    free(md->category);
    free(md->pop);
    free(md->nb_first);
    free(md->nb_item);
    free(md->nb_sim);
    free(md->item_factors);
    free(md->gram);
    free(md->by_code);
    free(md->cat_index);
    free(md);
}

static int code_cmp(const void *a, const void *b, void *ctx)
{
    const pt_reco_model *md = ctx;
    return strcmp(md->code[*(const uint32_t *)a], md->code[*(const uint32_t *)b]);
}

static int cat_cmp(const void *a, const void *b, void *ctx)
{
    const pt_reco_model *md = ctx;
    return strcmp(md->category[*(const uint32_t *)a], md->category[*(const uint32_t *)b]);
}

/* cat_index[i]: items with the same non-empty category share a number; −1 for none. */
static int index_categories(pt_reco_model *md)
{
    uint32_t *order = malloc(((size_t)md->nitems + 1) * sizeof *order);
    free(md->cat_index);
    md->cat_index = malloc(((size_t)md->nitems + 1) * sizeof *md->cat_index);
    if (!order || !md->cat_index) {
        free(order);
        return PT_ENOMEM;
    }
    for (uint32_t i = 0; i < md->nitems; i++)
        order[i] = i;
    qsort_r(order, md->nitems, sizeof *order, cat_cmp, md);
    int32_t next = -1;
    for (uint32_t k = 0; k < md->nitems; k++) {
        uint32_t i = order[k];
        if (md->category[i][0] && (k == 0 || strcmp(md->category[order[k - 1]], md->category[i]) != 0))
            next++;
        md->cat_index[i] = md->category[i][0] ? next : -1;
    }
    md->ncat = (uint32_t)(next + 1);
    free(order);
    return PT_OK;
}

int reco__index_codes(pt_reco_model *md)
{
    free(md->by_code);
    md->by_code = malloc(((size_t)md->nitems + 1) * sizeof *md->by_code);
    if (!md->by_code)
        return PT_ENOMEM;
    for (uint32_t i = 0; i < md->nitems; i++)
        md->by_code[i] = i;
    qsort_r(md->by_code, md->nitems, sizeof *md->by_code, code_cmp, md);
    return index_categories(md);
}

int32_t pt_reco_model_item(const pt_reco_model *md, const char *code)
{
    size_t lo = 0, hi = md->nitems;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(md->code[md->by_code[mid]], code);
        if (c == 0)
            return (int32_t)md->by_code[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static int check_opts(const pt_reco_opts *o)
{
    if (!pt_reco_kind_name(o->kind))
        return PT_EINVAL;
    if (o->neighbours < 1 || o->neighbours > PT_RECO_NEIGHBOURS_MAX || !(o->bm25_k1 > 0) || !(o->bm25_b >= 0) ||
        o->bm25_b > 1)
        return PT_EINVAL;
    if (o->factors < 1 || o->factors > PT_RECO_FACTORS_MAX || o->iterations > 1000 || !(o->lambda > 0) ||
        !(o->alpha >= 0) || !(o->blend_weight >= 0) || o->blend_weight > 1 || o->threads > PT_RECO_THREADS_MAX)
        return PT_EINVAL;
    return PT_OK;
}

int pt_reco_train(pt_reco_model **out, const pt_snapshot *snap, const pt_reco_matrix *m, const pt_reco_opts *o)
{
    *out = NULL;
    if (check_opts(o) || m->nitems != snap->nproducts || m->nitems > PT_RECO_ITEMS_MAX)
        return PT_EINVAL;
    pt_reco_model *md = reco__model_new((uint32_t)m->nitems);
    if (!md)
        return PT_ENOMEM;
    md->kind = o->kind;
    md->lambda = o->lambda;
    md->alpha = o->alpha;
    md->seed = o->seed;
    md->blend_weight = o->blend_weight;
    for (size_t i = 0; i < m->nitems; i++) {
        snprintf(md->code[i], sizeof md->code[i], "%s", snap->product_code[i]);
        int32_t c = snap->product_category ? snap->product_category[i] : -1;
        if (c >= 0 && (size_t)c < snap->ncategories)
            snprintf(md->category[i], sizeof md->category[i], "%s", snap->category_names[c]);
    }
    for (size_t e = 0; e < m->nnz; e++)
        md->pop[m->item[e]] += 1;
    int rc = reco__index_codes(md);
    if (rc == PT_OK && (o->kind == PT_RECO_COSINE || o->kind == PT_RECO_BM25)) {
        rc = reco__knn_train(md, m, o);
    } else if (rc == PT_OK && o->kind == PT_RECO_BLEND) {
        pt_reco_opts b = *o;
        b.kind = PT_RECO_BM25;
        rc = reco__knn_train(md, m, &b);
    }
    if (rc == PT_OK && (o->kind == PT_RECO_ALS || o->kind == PT_RECO_BLEND))
        rc = reco__als_train(md, m, o);
    if (rc) {
        pt_reco_model_free(md);
        return rc;
    }
    *out = md;
    return PT_OK;
}

int pt_reco_filter_init(pt_reco_filter *f, const pt_reco_model *md)
{
    f->include_bought = 0;
    f->allow = malloc((size_t)md->nitems + 1);
    if (!f->allow)
        return PT_ENOMEM;
    memset(f->allow, 1, (size_t)md->nitems + 1);
    return PT_OK;
}

void pt_reco_filter_free(pt_reco_filter *f)
{
    free(f->allow);
    f->allow = NULL;
}

int pt_reco_filter_block(pt_reco_filter *f, const pt_reco_model *md, const char *code)
{
    int32_t i = pt_reco_model_item(md, code);
    if (i < 0)
        return PT_ENOTFOUND;
    f->allow[i] = 0;
    return PT_OK;
}

void pt_reco_filter_categories(pt_reco_filter *f, const pt_reco_model *md, const char *const *names, size_t n)
{
    for (uint32_t i = 0; i < md->nitems; i++) {
        int in = 0;
        for (size_t k = 0; k < n && !in; k++)
            in = strcmp(md->category[i], names[k]) == 0;
        if (!in)
            f->allow[i] = 0;
    }
}

static void knn_scores(const pt_reco_model *md, const pt_reco_history *h, double *score)
{
    for (size_t k = 0; k < h->n; k++) {
        uint32_t i = (uint32_t)h->item[k];
        for (uint32_t e = md->nb_first[i]; e < md->nb_first[i + 1]; e++)
            score[md->nb_item[e]] += md->nb_sim[e];
    }
}

static int als_scores(const pt_reco_model *md, const pt_reco_history *h, double *score)
{
    size_t F = md->factors;
    double *x = malloc((F + 1) * sizeof *x);
    if (!x)
        return PT_ENOMEM;
    int rc = reco__als_fold_in(md, h, x);
    for (uint32_t i = 0; rc == PT_OK && i < md->nitems; i++) {
        const double *y = md->item_factors + (size_t)i * F;
        double s = 0;
        for (size_t f = 0; f < F; f++)
            s += x[f] * y[f];
        score[i] = s;
    }
    free(x);
    return rc;
}

static void scale_by_max(double *v, size_t n)
{
    double mx = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(v[i]) > mx)
            mx = fabs(v[i]);
    for (size_t i = 0; mx > 0 && i < n; i++)
        v[i] /= mx;
}

/* Dense scores of every item for history h. */
static int scores(const pt_reco_model *md, const pt_reco_history *h, double *score, double *tmp)
{
    size_t n = md->nitems;
    switch (md->kind) {
    case PT_RECO_POPULAR:
        memcpy(score, md->pop, n * sizeof *score);
        return PT_OK;
    case PT_RECO_COSINE:
    case PT_RECO_BM25:
        knn_scores(md, h, score);
        return PT_OK;
    case PT_RECO_ALS:
        return als_scores(md, h, score);
    default: {
        int rc = als_scores(md, h, tmp);
        if (rc)
            return rc;
        knn_scores(md, h, score);
        scale_by_max(score, n);
        scale_by_max(tmp, n);
        for (size_t i = 0; i < n; i++)
            score[i] = md->blend_weight * score[i] + (1 - md->blend_weight) * tmp[i];
        return PT_OK;
    }
    }
}

/* What ties are broken by: the member's purchases in each category (its category affinity), then
 * popularity — so items without a score come as category popularity, then overall popularity. */
struct ranking {
    const pt_reco_model *md;
    const uint32_t      *affinity; /* [ncat] history items per category */
};

static uint32_t affinity_of(const struct ranking *rk, int32_t item)
{
    int32_t c = rk->md->cat_index[item];
    return c >= 0 ? rk->affinity[c] : 0;
}

/* a ranks before b: (score, category affinity, popularity) descending, then index ascending. */
static int before(const struct ranking *rk, const pt_reco_pick *a, const pt_reco_pick *b)
{
    if (a->score != b->score)
        return a->score > b->score;
    uint32_t fa = affinity_of(rk, a->item), fb = affinity_of(rk, b->item);
    if (fa != fb)
        return fa > fb;
    if (rk->md->pop[a->item] != rk->md->pop[b->item])
        return rk->md->pop[a->item] > rk->md->pop[b->item];
    return a->item < b->item;
}

/* Keeps the best n in out (sorted), inserting cand where it belongs. */
static void offer(const struct ranking *rk, pt_reco_pick *out, size_t *have, size_t n, pt_reco_pick cand)
{
    if (*have == n && !before(rk, &cand, &out[n - 1]))
        return;
    size_t at = *have < n ? (*have)++ : n - 1;
    while (at > 0 && before(rk, &cand, &out[at - 1])) {
        out[at] = out[at - 1];
        at--;
    }
    out[at] = cand;
}

int pt_reco_recommend(const pt_reco_model *md, const pt_reco_history *h, const pt_reco_filter *f, size_t n,
                      pt_reco_pick *out, size_t *nout)
{
    *nout = 0;
    for (size_t k = 0; k < h->n; k++)
        if (h->item[k] < 0 || (uint32_t)h->item[k] >= md->nitems)
            return PT_EINVAL;
    if (n == 0)
        return PT_OK;
    size_t N = md->nitems;
    double *score = calloc(N + 1, sizeof *score), *tmp = calloc(N + 1, sizeof *tmp);
    uint8_t *skip = calloc(N + 1, 1);
    uint32_t *affinity = calloc((size_t)md->ncat + 1, sizeof *affinity);
    struct ranking rk = {.md = md, .affinity = affinity};
    int rc = score && tmp && skip && affinity ? scores(md, h, score, tmp) : PT_ENOMEM;
    for (size_t k = 0; rc == PT_OK && k < h->n; k++) {
        if (!(f && f->include_bought))
            skip[h->item[k]] = 1;
        if (md->cat_index[h->item[k]] >= 0)
            affinity[md->cat_index[h->item[k]]]++;
    }
    for (size_t i = 0; rc == PT_OK && i < N; i++)
        if (!skip[i] && !(f && f->allow && !f->allow[i]))
            offer(&rk, out, nout, n, (pt_reco_pick){.item = (int32_t)i, .score = score[i]});
    free(affinity);
    free(score);
    free(tmp);
    free(skip);
    if (rc)
        *nout = 0;
    return rc;
}

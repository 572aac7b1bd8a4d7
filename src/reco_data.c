/* reco_data.c — the member × item purchase matrix the recommenders learn from, a member's
 * history as model items, and the names and defaults of the models (reco.h).
 *
 * Invariants of a built matrix: rows are the snapshot's usable members (PT_SNAP_USE) with at least
 * one counted order, in snapshot order; within a row items ascend and are distinct; every count
 * is ≥ 1 (the number of counted orders holding the item — an item twice in one order counts
 * once, because a basket says "bought", not "how much"). Only paid orders count: a refunded
 * order is no evidence of liking.
 */
#include "patron/reco.h"
#include "patron/error.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_names[PT_RECO_KINDS + 1] = {NULL, "popularity", "cosine", "bm25", "als", "blend"};

const char *pt_reco_kind_name(int kind)
{
    return kind >= 1 && kind <= PT_RECO_KINDS ? kind_names[kind] : NULL;
}

int pt_reco_kind_of(const char *name)
{
    if (!name)
        return 0;
    if (strcmp(name, "popular") == 0)
        return PT_RECO_POPULAR;
    for (int k = 1; k <= PT_RECO_KINDS; k++)
        if (strcmp(name, kind_names[k]) == 0)
            return k;
    return 0;
}

void pt_reco_opts_init(pt_reco_opts *o, int kind)
{
    *o = (pt_reco_opts){.kind = kind, .neighbours = 100, .bm25_k1 = 1.2, .bm25_b = 0.75, .factors = 64,
                        .iterations = 15, .lambda = 0.1, .alpha = 1, .seed = 42, .blend_weight = 0.5};
}

void pt_reco_matrix_free(pt_reco_matrix *m)
{
    free(m->first);
    free(m->item);
    free(m->count);
    free(m->user_snap);
    memset(m, 0, sizeof *m);
}

static int counted(const pt_snapshot *s, size_t r, size_t skip, const pt_reco_window *w)
{
    return r != skip && s->order_status[r] == PT_ORDER_PAID && s->order_at[r] >= w->from && s->order_at[r] < w->before;
}

/* The last counted order of member i (SIZE_MAX when none): CSR rows ascend by time, so the
 * highest counted row is the latest (ties by position, the snapshot's order). */
static size_t last_counted(const pt_snapshot *s, size_t i, const pt_reco_window *w)
{
    size_t last = SIZE_MAX;
    for (size_t r = s->first[i]; r < s->first[i + 1]; r++)
        if (counted(s, r, SIZE_MAX, w))
            last = r;
    return last;
}

/* Scratch for building rows: loc[p] is p's place in the row being built (SIZE_MAX when absent),
 * seen[p] the last order (plus one) that counted p, so an item twice in an order counts once. */
struct scratch {
    size_t  *loc, *seen;
    int32_t *tmp_item;
    float   *tmp_count;
    size_t   cap;
};

static int scratch_init(struct scratch *sc, size_t nproducts)
{
    sc->loc = malloc((nproducts + 1) * sizeof *sc->loc);
    sc->seen = calloc(nproducts + 1, sizeof *sc->seen);
    sc->tmp_item = malloc((nproducts + 1) * sizeof *sc->tmp_item);
    sc->tmp_count = malloc((nproducts + 1) * sizeof *sc->tmp_count);
    sc->cap = 0;
    if (!sc->loc || !sc->seen || !sc->tmp_item || !sc->tmp_count)
        return PT_ENOMEM;
    for (size_t p = 0; p < nproducts; p++)
        sc->loc[p] = SIZE_MAX;
    return PT_OK;
}

static void scratch_free(struct scratch *sc)
{
    free(sc->loc);
    free(sc->seen);
    free(sc->tmp_item);
    free(sc->tmp_count);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int grow(pt_reco_matrix *m, struct scratch *sc, size_t n)
{
    if (m->nnz + n <= sc->cap)
        return PT_OK;
    size_t nc = (sc->cap ? sc->cap * 2 : 1024) + n;
    int32_t *it = realloc(m->item, nc * sizeof *it);
    if (it)
        m->item = it;
    float *ct = realloc(m->count, nc * sizeof *ct);
    if (ct)
        m->count = ct;
    if (!it || !ct)
        return PT_ENOMEM;
    sc->cap = nc;
    return PT_OK;
}

/* Appends member i's row: the items of its counted orders, distinct, ascending, with counts. */
static int add_row(pt_reco_matrix *m, const pt_snapshot *s, size_t i, const pt_reco_window *w, struct scratch *sc)
{
    size_t skip = w->drop_last ? last_counted(s, i, w) : SIZE_MAX, n = 0;
    for (size_t r = s->first[i]; r < s->first[i + 1]; r++) {
        if (!counted(s, r, skip, w))
            continue;
        for (size_t l = s->item_first[r]; l < s->item_first[r + 1]; l++) {
            int32_t p = s->item_product[l];
            if (sc->loc[p] == SIZE_MAX) {
                sc->loc[p] = n;
                sc->tmp_item[n] = p;
                sc->tmp_count[n++] = 0;
            }
            if (sc->seen[p] != r + 1) {
                sc->seen[p] = r + 1;
                sc->tmp_count[sc->loc[p]] += 1;
            }
        }
    }
    if (n == 0)
        return PT_OK;
    if (grow(m, sc, n))
        return PT_ENOMEM;
    /* Sort the items, then read each one's count through its local place. */
    int32_t *dst = m->item + m->nnz;
    memcpy(dst, sc->tmp_item, n * sizeof *dst);
    qsort(dst, n, sizeof *dst, cmp_i32);
    for (size_t k = 0; k < n; k++) {
        m->count[m->nnz + k] = sc->tmp_count[sc->loc[dst[k]]];
        sc->loc[dst[k]] = SIZE_MAX;
    }
    m->user_snap[m->nusers] = i;
    m->nnz += n;
    m->first[++m->nusers] = m->nnz;
    return PT_OK;
}

int pt_reco_matrix_build(pt_reco_matrix *m, const pt_snapshot *s, const pt_reco_window *win)
{
    pt_reco_window all = {.from = INT64_MIN, .before = INT64_MAX, .drop_last = 0};
    const pt_reco_window *w = win ? win : &all;
    memset(m, 0, sizeof *m);
    m->nitems = s->nproducts;
    m->first = calloc(s->nmembers + 1, sizeof *m->first);
    m->user_snap = calloc(s->nmembers + 1, sizeof *m->user_snap);
    struct scratch sc;
    int rc = scratch_init(&sc, s->nproducts);
    if (!m->first || !m->user_snap)
        rc = PT_ENOMEM;
    for (size_t i = 0; rc == PT_OK && s->item_first && i < s->nmembers; i++)
        if (pt_snapshot_member_use(s, i) == PT_SNAP_USE)
            rc = add_row(m, s, i, w, &sc);
    scratch_free(&sc);
    if (rc)
        pt_reco_matrix_free(m);
    return rc;
}

int pt_reco_history_of(const pt_reco_model *model, const pt_snapshot *s, size_t i, const pt_reco_window *w,
                       int32_t **item, float **count, size_t *n)
{
    *item = NULL;
    *count = NULL;
    *n = 0;
    if (i >= s->nmembers || !s->item_first)
        return i >= s->nmembers ? PT_EINVAL : PT_OK;
    /* A one-member snapshot view: reuse the matrix builder over just member i's orders. */
    pt_reco_window all = {.from = INT64_MIN, .before = INT64_MAX, .drop_last = 0};
    pt_reco_matrix m = {.nitems = s->nproducts};
    struct scratch sc;
    int rc = scratch_init(&sc, s->nproducts);
    m.first = calloc(2, sizeof *m.first);
    m.user_snap = calloc(2, sizeof *m.user_snap);
    if (!m.first || !m.user_snap)
        rc = PT_ENOMEM;
    if (rc == PT_OK)
        rc = add_row(&m, s, i, w ? w : &all, &sc);
    if (rc == PT_OK && m.nnz) {
        *item = malloc(m.nnz * sizeof **item);
        *count = malloc(m.nnz * sizeof **count);
        if (!*item || !*count)
            rc = PT_ENOMEM;
    }
    for (size_t k = 0; rc == PT_OK && k < m.nnz; k++) {
        int32_t it = pt_reco_model_item(model, s->product_code[m.item[k]]);
        if (it < 0)
            continue;
        (*item)[*n] = it;
        (*count)[(*n)++] = m.count[k];
    }
    if (rc) {
        free(*item);
        free(*count);
        *item = NULL;
        *count = NULL;
        *n = 0;
    }
    scratch_free(&sc);
    pt_reco_matrix_free(&m);
    return rc;
}

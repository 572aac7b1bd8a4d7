/* reco_eval.c — offline evaluation of the recommenders (reco.h, pt_reco_evaluate).
 *
 * Split: at a date (train on paid orders before it; a member's test set is the distinct items
 * of its paid orders on or after it that it had not bought before), or leave-last-basket-out
 * (train on every paid order except each member's last; the test set is the items of that last
 * order not bought before). Only new items are tested because recommendations exclude what the
 * member already bought. Members with a test set but no training history are counted as cold
 * (every model would answer them with popularity) and not scored.
 *
 * Per evaluated member with test set T and list R (|R| ≤ k, already-bought items filtered):
 *   hit = [R ∩ T ≠ ∅]; precision = |R ∩ T| / k; recall = |R ∩ T| / |T|;
 *   NDCG = Σ_{r: R[r] ∈ T} 1/log2(r + 2) / Σ_{r < min(|T|, k)} 1/log2(r + 2)   (r from 0)
 * each averaged over the evaluated members; coverage = distinct items in any list / items with a
 * training purchase. Times are wall-clock, single-threaded (BLAS may use its own threads).
 */
#include "reco_int.h"
#include "patron/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void pt_reco_eval_opts_init(pt_reco_eval_opts *o)
{
    memset(o, 0, sizeof *o);
    o->k = 10;
    o->nkinds = PT_RECO_KINDS;
    for (int j = 0; j < PT_RECO_KINDS; j++) {
        o->kinds[j] = j + 1;
        pt_reco_opts_init(&o->opts[j], j + 1);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The evaluated members: their training row and their test items (a CSR). */
struct testset {
    size_t   n;      /* members */
    size_t   nitems; /* items appended so far */
    size_t   cap;
    size_t  *row;    /* [n] row in the training matrix */
    size_t  *first;  /* [n + 1] */
    int32_t *item;   /* [nitems] */
};

static void testset_free(struct testset *t)
{
    free(t->row);
    free(t->first);
    free(t->item);
}

static int in_row(const pt_reco_matrix *m, size_t row, int32_t p)
{
    size_t lo = m->first[row], hi = m->first[row + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->item[mid] == p)
            return 1;
        if (m->item[mid] < p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* The test orders of member i: paid ones at or after split, or (split 0) the last paid one. */
static size_t last_paid(const pt_snapshot *s, size_t i)
{
    size_t last = SIZE_MAX;
    for (size_t r = s->first[i]; r < s->first[i + 1]; r++)
        if (s->order_status[r] == PT_ORDER_PAID)
            last = r;
    return last;
}

/* Appends member i's new test items (distinct; mark[] is scratch stamped with i + 1). */
static int add_member(struct testset *t, const pt_snapshot *s, const pt_reco_matrix *m, size_t i, size_t row,
                      int64_t split, size_t *mark)
{
    size_t last = split ? SIZE_MAX : last_paid(s, i);
    for (size_t r = s->first[i]; r < s->first[i + 1]; r++) {
        int test = s->order_status[r] == PT_ORDER_PAID && (split ? s->order_at[r] >= split : r == last);
        for (size_t l = s->item_first[r]; test && l < s->item_first[r + 1]; l++) {
            int32_t p = s->item_product[l];
            if (mark[p] == i + 1 || (row != SIZE_MAX && in_row(m, row, p)))
                continue;
            mark[p] = i + 1;
            if (t->nitems == t->cap) {
                size_t cap = t->cap * 2 + 1024;
                int32_t *it = realloc(t->item, cap * sizeof *it);
                if (!it)
                    return PT_ENOMEM;
                t->item = it;
                t->cap = cap;
            }
            t->item[t->nitems++] = p;
        }
    }
    return PT_OK;
}

static int build_tests(struct testset *t, const pt_snapshot *s, const pt_reco_matrix *m, int64_t split,
                       pt_reco_eval_info *info)
{
    size_t *row_of = malloc((s->nmembers + 1) * sizeof *row_of);
    size_t *mark = calloc(s->nproducts + 1, sizeof *mark);
    t->row = malloc((s->nmembers + 1) * sizeof *t->row);
    t->first = calloc(s->nmembers + 2, sizeof *t->first);
    int rc = row_of && mark && t->row && t->first ? PT_OK : PT_ENOMEM;
    for (size_t i = 0; rc == PT_OK && i < s->nmembers; i++)
        row_of[i] = SIZE_MAX;
    for (size_t u = 0; rc == PT_OK && u < m->nusers; u++)
        row_of[m->user_snap[u]] = u;
    for (size_t i = 0; rc == PT_OK && s->item_first && i < s->nmembers; i++) {
        if (pt_snapshot_member_use(s, i) != PT_SNAP_USE)
            continue;
        rc = add_member(t, s, m, i, row_of[i], split, mark);
        if (rc || t->nitems == t->first[t->n])
            continue;
        if (row_of[i] == SIZE_MAX) {
            info->users_cold++;
            t->nitems = t->first[t->n];
            continue;
        }
        t->row[t->n++] = row_of[i];
        t->first[t->n] = t->nitems;
    }
    info->users_eval = t->n;
    info->test_items = t->nitems;
    free(row_of);
    free(mark);
    return rc;
}

/* Scores one list R against test set T into the running sums. */
static void score_list(const pt_reco_pick *R, size_t nr, const int32_t *T, size_t nt, size_t k, double sum[4])
{
    size_t hits = 0;
    double dcg = 0, idcg = 0;
    for (size_t r = 0; r < nr; r++)
        for (size_t q = 0; q < nt; q++)
            if (R[r].item == T[q]) {
                hits++;
                dcg += 1.0 / log2((double)r + 2.0);
                break;
            }
    for (size_t r = 0; r < nt && r < k; r++)
        idcg += 1.0 / log2((double)r + 2.0);
    sum[0] += hits > 0;
    sum[1] += (double)hits / (double)k;
    sum[2] += (double)hits / (double)nt;
    sum[3] += idcg > 0 ? dcg / idcg : 0;
}

/* Trains model kind o on m, lists k items for every evaluated member, fills *out. */
static int evaluate_one(const pt_snapshot *s, const pt_reco_matrix *m, const struct testset *t, const pt_reco_opts *o,
                        size_t k, size_t items_train, pt_reco_metrics *out)
{
    pt_reco_model *md = NULL;
    double t0 = now_s();
    int rc = pt_reco_train(&md, s, m, o);
    double t1 = now_s();
    pt_reco_pick *R = malloc((k + 1) * sizeof *R);
    uint8_t *seen = calloc(m->nitems + 1, 1);
    if (rc == PT_OK && (!R || !seen))
        rc = PT_ENOMEM;
    double sum[4] = {0, 0, 0, 0};
    size_t distinct = 0;
    for (size_t u = 0; rc == PT_OK && u < t->n; u++) {
        size_t row = t->row[u], nr = 0;
        pt_reco_history h = {.n = m->first[row + 1] - m->first[row], .item = m->item + m->first[row],
                             .count = m->count + m->first[row]};
        rc = pt_reco_recommend(md, &h, NULL, k, R, &nr);
        for (size_t r = 0; rc == PT_OK && r < nr; r++)
            if (!seen[R[r].item]) {
                seen[R[r].item] = 1;
                distinct++;
            }
        score_list(R, nr, t->item + t->first[u], t->first[u + 1] - t->first[u], k, sum);
    }
    double t2 = now_s();
    if (rc == PT_OK) {
        double n = (double)t->n;
        *out = (pt_reco_metrics){.kind = o->kind, .hit_rate = sum[0] / n, .precision = sum[1] / n,
                                 .recall = sum[2] / n, .ndcg = sum[3] / n,
                                 .coverage = items_train ? (double)distinct / (double)items_train : 0,
                                 .train_seconds = t1 - t0, .recs_per_second = t2 > t1 ? n / (t2 - t1) : 0};
    }
    free(R);
    free(seen);
    pt_reco_model_free(md);
    return rc;
}

int pt_reco_evaluate(const pt_snapshot *s, const pt_reco_eval_opts *o, pt_reco_metrics *out, pt_reco_eval_info *info)
{
    pt_reco_window w = {.from = INT64_MIN, .before = o->split ? o->split : INT64_MAX, .drop_last = o->split == 0};
    pt_reco_matrix m;
    struct testset t = {0};
    memset(info, 0, sizeof *info);
    if (o->k < 1 || o->nkinds < 1 || o->nkinds > PT_RECO_KINDS)
        return PT_EINVAL;
    int rc = pt_reco_matrix_build(&m, s, &w);
    if (rc)
        return rc;
    rc = build_tests(&t, s, &m, o->split, info);
    uint8_t *bought = calloc(m.nitems + 1, 1);
    if (rc == PT_OK && !bought)
        rc = PT_ENOMEM;
    for (size_t e = 0; rc == PT_OK && e < m.nnz; e++)
        if (!bought[m.item[e]]) {
            bought[m.item[e]] = 1;
            info->items_train++;
        }
    info->users_train = m.nusers;
    if (rc == PT_OK && t.n == 0)
        rc = PT_ENOTFOUND;
    for (int j = 0; rc == PT_OK && j < o->nkinds; j++) {
        pt_reco_opts oj = o->opts[j];
        oj.kind = o->kinds[j];
        rc = evaluate_one(s, &m, &t, &oj, o->k, info->items_train, &out[j]);
    }
    free(bought);
    testset_free(&t);
    pt_reco_matrix_free(&m);
    return rc;
}

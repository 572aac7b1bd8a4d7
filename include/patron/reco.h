/* reco.h — personalised recommendations (个性化推荐) over the member × item purchase matrix.
 *
 * The matrix (pt_reco_matrix) is built from a snapshot: one row per member that may be analysed
 * (pt_snapshot_member_use == PT_SNAP_USE) and has a paid order in the window, one column per
 * snapshot product, the value being the number of that member's orders holding the item.
 *
 * Models (pt_reco_train), each a pure function of the matrix and its options (ALS also of the
 * seed), so two runs give the same model byte for byte:
 *   popularity  items by their number of distinct buyers (the baseline; the cold-start answer)
 *   cosine      item-item cosine over binary buyer vectors, top-K neighbours per item
 *   bm25        item-item dot products over BM25-weighted buyer vectors (as in the `implicit`
 *               library's BM25Recommender), top-K neighbours per item
 *   als         implicit-feedback matrix factorisation (Hu, Koren & Volinsky 2008): confidence
 *               c = 1 + alpha·count, alternating least squares with Cholesky solves (OpenBLAS
 *               dsyrk/dposv); a member's vector is folded in from its history at
 *               recommendation time, so the model holds item factors only and serves new members
 *   blend       w·(bm25 score / its max) + (1−w)·(als score / its max |score|)
 * Every model ranks by (score, category affinity, popularity, item index), the affinity being how
 * many of the member's items share the item's category: items a model gives no score to come in
 * category-popularity order, then popularity — the cold start for members with little history.
 *
 * A model is self-contained: it carries its item codes and categories, so it can be saved
 * (pt_reco_model_save; format in docs/reco.md), loaded back with full validation
 * (pt_reco_model_parse) and applied to another snapshot of the same store, matching items by code.
 *
 * Filters (pt_reco_filter): already-bought items excluded unless include_bought; an allow mask
 * over the model's items for stock, eligibility (tier-only items) and category constraints.
 *
 * Evaluation (pt_reco_evaluate): a time split at a date (train on orders before it, test on each
 * member's items first bought on or after it) or leave-last-basket-out (train on everything but
 * each member's last order, test on the new items of that order); hit rate, precision, recall,
 * NDCG at k and catalogue coverage per model (definitions in docs/reco.md).
 */
#ifndef PATRON_RECO_H
#define PATRON_RECO_H

#include "patron/snapshot.h"
#include "patron/types.h"

#include <stddef.h>
#include <stdint.h>

enum pt_reco_kind {
    PT_RECO_POPULAR = 1,
    PT_RECO_COSINE = 2,
    PT_RECO_BM25 = 3,
    PT_RECO_ALS = 4,
    PT_RECO_BLEND = 5,
};
#define PT_RECO_KINDS 5

/* "popularity", "cosine", "bm25", "als", "blend"; NULL for an unknown kind. */
const char *pt_reco_kind_name(int kind);
/* The kind named name (the names above, "popular" also), 0 when none. */
int pt_reco_kind_of(const char *name);

#define PT_RECO_ITEMS_MAX     (1u << 24) /* items in a model */
#define PT_RECO_FACTORS_MAX   512u
#define PT_RECO_NEIGHBOURS_MAX 10000u
#define PT_RECO_THREADS_MAX   64

typedef struct pt_reco_opts {
    int      kind;
    uint32_t neighbours;   /* item-item: neighbours kept per item (default 100) */
    double   bm25_k1;      /* bm25: count saturation (default 1.2, Robertson's; docs/reco.md) */
    double   bm25_b;       /* bm25: length normalisation (default 0.75) */
    uint32_t factors;      /* als: latent factors (default 64) */
    uint32_t iterations;   /* als: alternating sweeps (default 15) */
    double   lambda;       /* als: L2 regularisation (default 0.1) */
    double   alpha;        /* als: confidence slope, c = 1 + alpha·count (default 1; docs/reco.md) */
    uint64_t seed;         /* als: initial factors (default 42) */
    double   blend_weight; /* blend: weight of bm25 (default 0.5), the rest als */
    uint32_t threads;      /* als: worker threads, 0 = one per core (default); same result for any */
} pt_reco_opts;

/* Defaults above for kind; cannot fail. */
void pt_reco_opts_init(pt_reco_opts *o, int kind);

/* --- the member × item matrix ------------------------------------------------------------- */
typedef struct pt_reco_matrix {
    size_t   nusers, nitems, nnz;
    size_t  *first;     /* [nusers + 1] CSR offsets */
    int32_t *item;      /* [nnz] snapshot product index, ascending within a row */
    float   *count;     /* [nnz] orders of the member holding the item, ≥ 1 */
    size_t  *user_snap; /* [nusers] the member's index in the snapshot */
} pt_reco_matrix;

/* Which orders count: paid orders at from ≤ at < before; with drop_last, each member's last
 * such order (by time, then position) is left out. */
typedef struct pt_reco_window {
    int64_t from, before;
    int     drop_last;
} pt_reco_window;

/* Builds the matrix of snap over window w (NULL: every paid order). PT_ENOMEM. */
int  pt_reco_matrix_build(pt_reco_matrix *m, const pt_snapshot *snap, const pt_reco_window *w);
void pt_reco_matrix_free(pt_reco_matrix *m);

/* --- models ------------------------------------------------------------------------------- */
typedef struct pt_reco_model {
    int       kind;
    uint32_t  nitems;
    char    (*code)[PT_SKU_MAX];          /* [nitems] item codes, distinct */
    char    (*category)[PT_CATEGORY_MAX]; /* [nitems] "" for none */
    double   *pop;                        /* [nitems] distinct buyers in training */
    uint32_t  neighbours;                 /* cosine, bm25, blend: K */
    uint32_t *nb_first;                   /* [nitems + 1] CSR of neighbours, or NULL */
    uint32_t *nb_item;                    /* [nnb] neighbour item, never the item itself */
    double   *nb_sim;                     /* [nnb] similarity, descending within an item */
    uint32_t  factors;                    /* als, blend: F, else 0 */
    double   *item_factors;               /* [nitems × F] row-major, or NULL */
    double   *gram;                       /* [F × F] YᵀY, derived (not stored in the file) */
    double    lambda, alpha, blend_weight;
    uint64_t  seed;
    uint32_t *by_code;                    /* [nitems] item indexes sorted by code, derived */
    int32_t  *cat_index;                  /* [nitems] category number (−1 none), derived */
    uint32_t  ncat;                       /* distinct non-empty categories, derived */
} pt_reco_model;

/* Trains a model of kind o->kind on matrix m, whose columns are snap's products (the model
 * takes their codes and categories). PT_EINVAL for bad options, PT_ENOMEM, PT_ECORRUPT when
 * ALS meets a system it cannot solve. */
int  pt_reco_train(pt_reco_model **out, const pt_snapshot *snap, const pt_reco_matrix *m, const pt_reco_opts *o);
void pt_reco_model_free(pt_reco_model *model);

/* The item with code code, or −1. */
int32_t pt_reco_model_item(const pt_reco_model *model, const char *code);

/* Writes the model file (docs/reco.md, "Model file") to path atomically (a temporary file
 * renamed over it). PT_EIO with errmsg. */
int pt_reco_model_save(const pt_reco_model *model, const char *path, char *errmsg, size_t errmsg_len);
/* Parses a model file image, checking everything (magic, version, sizes against the length,
 * item codes distinct, offsets, indexes, finite numbers, the checksum). PT_EPARSE with errmsg
 * "offset N: field: reason" on any fault; PT_ENOMEM. */
int pt_reco_model_parse(pt_reco_model **out, const void *buf, size_t len, char *errmsg, size_t errmsg_len);
/* Reads path and parses it; PT_EIO when it cannot be read, errmsg prefixed with path. */
int pt_reco_model_load(pt_reco_model **out, const char *path, char *errmsg, size_t errmsg_len);

/* --- recommending ------------------------------------------------------------------------- */
typedef struct pt_reco_history {
    size_t         n;
    const int32_t *item;  /* [n] model item indexes, distinct */
    const float   *count; /* [n] orders holding it (NULL: 1 each) */
} pt_reco_history;

typedef struct pt_reco_filter {
    int      include_bought; /* 0: never recommend an item of the history */
    uint8_t *allow;          /* [nitems] 0 = never recommend (stock, eligibility, category), or NULL */
} pt_reco_filter;

/* An allow mask with every item allowed; pt_reco_filter_free releases it. PT_ENOMEM. */
int  pt_reco_filter_init(pt_reco_filter *f, const pt_reco_model *model);
void pt_reco_filter_free(pt_reco_filter *f);
/* Disallows the item with this code (out of stock, not eligible); PT_ENOTFOUND if unknown. */
int  pt_reco_filter_block(pt_reco_filter *f, const pt_reco_model *model, const char *code);
/* Keeps only items whose category is one of names[0..n−1]. */
void pt_reco_filter_categories(pt_reco_filter *f, const pt_reco_model *model, const char *const *names, size_t n);

typedef struct pt_reco_pick {
    int32_t item;
    double  score;
} pt_reco_pick;

/* The top n items for history h under filter f (NULL: defaults), best first, into out[0..*nout−1]
 * (*nout ≤ n: fewer when the filter leaves fewer). PT_ENOMEM, PT_EINVAL for an item index out of
 * range. */
int pt_reco_recommend(const pt_reco_model *model, const pt_reco_history *h, const pt_reco_filter *f, size_t n,
                      pt_reco_pick *out, size_t *nout);

/* Member i's history in snap as model items (orders in window w, NULL for all; products the
 * model does not know are skipped). The arrays are malloc'd: free(item), free(count). */
int pt_reco_history_of(const pt_reco_model *model, const pt_snapshot *snap, size_t i, const pt_reco_window *w,
                       int32_t **item, float **count, size_t *n);

/* --- evaluation --------------------------------------------------------------------------- */
typedef struct pt_reco_eval_opts {
    int64_t      split;              /* time split at this instant; 0: leave-last-basket-out */
    size_t       k;                  /* list length (default 10) */
    int          nkinds;
    int          kinds[PT_RECO_KINDS];
    pt_reco_opts opts[PT_RECO_KINDS]; /* options for kinds[j] */
} pt_reco_eval_opts;

/* Every model with its defaults, k = 10, leave-last-basket-out. */
void pt_reco_eval_opts_init(pt_reco_eval_opts *o);

typedef struct pt_reco_metrics {
    int    kind;
    double hit_rate, precision, recall, ndcg, coverage;
    double train_seconds, recs_per_second;
} pt_reco_metrics;

typedef struct pt_reco_eval_info {
    size_t users_train;   /* rows of the training matrix */
    size_t items_train;   /* items with a training purchase (coverage's denominator) */
    size_t users_eval;    /* members with training history and new items in the test part */
    size_t users_cold;    /* members with test items but no training history (not scored) */
    size_t test_items;    /* Σ test set sizes */
} pt_reco_eval_info;

/* Trains each model of o on the training part of snap and scores it on the test part;
 * out[j] for o->kinds[j]. PT_ENOTFOUND when no member can be evaluated. */
int pt_reco_evaluate(const pt_snapshot *snap, const pt_reco_eval_opts *o, pt_reco_metrics *out,
                     pt_reco_eval_info *info);

#endif

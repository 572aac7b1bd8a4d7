/* churn.h — supervised churn risk (流失预测): features per member from a snapshot as of a
 * cut-off, a label from the window after it, two learners from Debian libraries (liblinear
 * logistic regression, XGBoost gradient-boosted trees) and the BG/NBD baseline, a time-based
 * evaluation, per-member scores with their top reasons, and the scores kept in the store
 * (docs/churn.md has every definition and the figures measured).
 *
 * Population and label. As of a cut-off c (UTC epoch s), the rows are the members the
 * snapshot may show (pt_snapshot_member_use = PT_SNAP_USE) with at least one paid order
 * before c. A row is churned (label 1) when the member has no paid order in [c, c + horizon);
 * a label is known only when c + horizon ≤ the end of the data.
 *
 * Leakage. Features read only orders, lines and events strictly before c. The points balance,
 * pending points and tier are the store's *current* values (the snapshot keeps no history of
 * them), so they describe the state after any past cut-off: they are used only when
 * opts.use_account is set (default 0), and docs/churn.md says why that is only safe for
 * scoring at the present. The evaluation trains on an earlier cut-off whose label window ends
 * where the evaluation cut-off begins, so no label of the evaluation is ever seen in training.
 *
 * Threads and determinism: XGBoost runs with opts.threads (0 = its default) and a fixed seed
 * without row or column sampling, so a model is the same run to run; liblinear is
 * single-threaded and deterministic. Memory: every struct owns its arrays; *_free releases.
 */
#ifndef PATRON_CHURN_H
#define PATRON_CHURN_H

#include "patron/snapshot.h"
#include "patron/store.h"
#include "patron/store_score.h"

#include <stddef.h>
#include <stdint.h>

/* Features, in column order. Money is log1p(cents); counts and days as they are unless said. */
enum pt_churn_feature {
    PT_CF_RECENCY,      /* days since the last paid order */
    PT_CF_FREQUENCY,    /* log1p(paid orders before the cut-off) */
    PT_CF_MONETARY,     /* log1p(paid cents before the cut-off) */
    PT_CF_AOV,          /* log1p(mean cents per paid order) */
    PT_CF_TENURE,       /* days since registration (or the first order, if earlier) */
    PT_CF_IPT_MEAN,     /* mean days between consecutive paid orders (0 with one order) */
    PT_CF_IPT_SD,       /* their standard deviation */
    PT_CF_OVERDUE,      /* recency / mean gap (recency / 365 with one order): how late the next order is */
    PT_CF_GAP_TREND,    /* last gap / mean of the earlier gaps (1 when fewer than 3 orders) */
    PT_CF_ORDERS_90,    /* paid orders in the 90 days before the cut-off */
    PT_CF_ORDERS_365,   /* paid orders in the 365 days before */
    PT_CF_SPEND_TREND,  /* log1p(cents in the last 90 days) − log1p(cents in the 90 before) */
    PT_CF_REFUNDS,      /* share of orders refunded */
    PT_CF_CATEGORIES,   /* distinct categories (products when none) bought, log1p */
    PT_CF_CHANNELS,     /* distinct channels used */
    PT_CF_EVENTS_90,    /* member events (check-ins, reviews, shares, …) in the 90 days before */
    PT_CF_NPS,          /* the last survey score before the cut-off, −1 when none */
    PT_CF_POINTS,       /* log1p(points balance) — current value, opts.use_account only */
    PT_CF_PENDING,      /* log1p(pending points) — current value, opts.use_account only */
    PT_CF_TIER,         /* tier index (−1 none) — current value, opts.use_account only */
    PT_CF__COUNT
};

/* "recency_days", "frequency", …; NULL out of range. */
const char *pt_churn_feature_name(int f);

enum pt_churn_model_kind {
    PT_CHURN_LR = 1,    /* L2-regularised logistic regression (liblinear), standardised features */
    PT_CHURN_XGB = 2,   /* gradient-boosted trees (XGBoost C API), binary:logistic */
    PT_CHURN_BGNBD = 3, /* baseline: P(no purchase in the horizon) under a BG/NBD fit at the cut-off */
};
const char *pt_churn_model_name(int kind); /* "lr", "xgb", "bgnbd"; NULL when unknown */
int         pt_churn_model_of(const char *name); /* 0 when unknown */

typedef struct pt_churn_opts {
    int      model;         /* enum pt_churn_model_kind */
    int      horizon_days;  /* label window; 0 = pt_churn_default_horizon */
    int      use_account;   /* 1: add the current points/tier features (see the top: leakage) */
    int      threads;       /* XGBoost threads; 0 = its default (every core) */
    uint64_t seed;          /* XGBoost seed */
    int      rounds;        /* XGBoost boosting rounds */
    int      max_depth;     /* XGBoost tree depth */
    double   eta;           /* XGBoost learning rate */
    double   C;             /* liblinear inverse regularisation */
    int32_t  tz_offset_s;   /* BG/NBD day boundaries */
} pt_churn_opts;

/* model given; horizon 0 (derived), use_account 0, threads 1, seed 42, 100 rounds, depth 3,
 * eta 0.05, C 1. Cannot fail. */
void pt_churn_opts_init(pt_churn_opts *o, int model);

/* --- features ------------------------------------------------------------------------------ */
typedef struct pt_churn_data {
    size_t   n;           /* rows */
    int64_t *member_id;   /* [n] ascending */
    double  *x;           /* [n × PT_CF__COUNT] row-major */
    int8_t  *label;       /* [n] 1 churned, 0 bought again, −1 unknown (window past the data) */
    int64_t  as_of;
    int      horizon_days;
    size_t   known;       /* rows with a label */
    size_t   churned;     /* rows with label 1 */
} pt_churn_data;

/* Rows, features and labels of snap as of as_of (see the top of this file); data_end is the
 * end of the data (labels of windows past it are −1). PT_EINVAL (horizon < 1), PT_ENOMEM. */
int  pt_churn_features(pt_churn_data *out, const pt_snapshot *snap, int64_t as_of, int horizon_days,
                       int64_t data_end);
void pt_churn_data_free(pt_churn_data *d);

/* The default horizon, from the data: the 80th percentile of the gaps between consecutive
 * paid orders (one member's, before as_of), rounded up to whole days and clamped to 30 … 365;
 * 90 when fewer than 20 gaps exist. Members who come back within it count as retained. */
int pt_churn_default_horizon(const pt_snapshot *snap, int64_t as_of);

/* --- models --------------------------------------------------------------------------------- */
typedef struct pt_churn_model pt_churn_model;

/* Trains o->model on the labelled rows of d (a BG/NBD baseline is fitted on the snapshot's
 * summary instead, so it needs snap; the learners ignore it). PT_EINVAL (unknown model, no
 * labelled rows, only one class), PT_ENOMEM, PT_ESTORE when a library reports a failure
 * (errmsg says which). */
int pt_churn_train(pt_churn_model **out, const pt_churn_data *d, const pt_snapshot *snap, const pt_churn_opts *o,
                   char *errmsg, size_t errmsg_len);
void pt_churn_model_free(pt_churn_model *m);
/* "xgb-1.7.4-d4r200", "lr-liblinear-C1", "bgnbd-r0.24a4.4…" plus the training cut-off day. */
const char *pt_churn_model_version(const pt_churn_model *m);
int         pt_churn_model_kind_of(const pt_churn_model *m);

#define PT_CHURN_REASONS 3

/* Per row of d: p[i] = P(churn) and, when reasons is not NULL, reasons[i][0..2] the features
 * pushing the score up the most (contribution > 0; −1 past the last one): |w·z| for the
 * logistic regression, XGBoost's approximate (Saabas) per-split contributions for the trees,
 * "recency"/"frequency" for BG/NBD.
 * For BG/NBD d must come from the snap the model was trained on, at the same as_of.
 * PT_ENOMEM, PT_ESTORE. */
int pt_churn_predict(const pt_churn_model *m, const pt_churn_data *d, const pt_snapshot *snap, double *p,
                     int (*reasons)[PT_CHURN_REASONS]);

/* --- evaluation ----------------------------------------------------------------------------- */
#define PT_CHURN_CAL_BINS 10

typedef struct pt_churn_metrics {
    size_t n, positives;
    double base_rate;          /* positives / n */
    double auc;                /* ROC AUC, ties counted half */
    double pr_auc;             /* average precision */
    double precision_top;      /* precision in the top decile of scores */
    double recall_top;         /* recall of the top decile */
    double lift_top;           /* precision_top / base_rate */
    double brier;              /* mean (p − y)² */
    size_t cal_n[PT_CHURN_CAL_BINS];      /* rows with p in [b/10, (b+1)/10) */
    double cal_pred[PT_CHURN_CAL_BINS];   /* mean p in the bin */
    double cal_obs[PT_CHURN_CAL_BINS];    /* churn rate in the bin */
} pt_churn_metrics;

/* Metrics of scores p against labels y (0/1; rows with another label are skipped).
 * PT_EINVAL when fewer than 2 rows or one class only. */
int pt_churn_metrics_of(pt_churn_metrics *out, const double *p, const int8_t *y, size_t n);

typedef struct pt_churn_eval {
    int64_t train_as_of, eval_as_of; /* cut-offs: train, then evaluate one horizon later */
    int     horizon_days;
    size_t  train_rows, eval_rows;
    double  train_seconds, predict_seconds;
    pt_churn_metrics m;
    double  importance[PT_CF__COUNT]; /* mean |contribution| per feature on the evaluation rows */
    char    version[PT_SCORE_VERSION_MAX];
} pt_churn_eval;

/* The time-based split: eval_as_of = data_end − horizon (the last cut-off with every label
 * known), train_as_of = eval_as_of − horizon; trains o->model as of train_as_of and measures
 * it as of eval_as_of. PT_EINVAL when the data is too short for two horizons (errmsg says
 * so), else as pt_churn_train. */
int pt_churn_evaluate(pt_churn_eval *out, const pt_snapshot *snap, int64_t data_end, const pt_churn_opts *o,
                      char *errmsg, size_t errmsg_len);

/* --- scoring -------------------------------------------------------------------------------- */
typedef struct pt_churn_score {
    int64_t member_id;
    double  p;                          /* P(churn in the horizon after as_of) */
    int     reason[PT_CHURN_REASONS];   /* enum pt_churn_feature, −1 past the last */
} pt_churn_score;

typedef struct pt_churn_scores {
    size_t          n;
    pt_churn_score *row;                /* [n], member ids ascending */
    int64_t         as_of, train_as_of;
    int             horizon_days;
    int             model;
    char            version[PT_SCORE_VERSION_MAX];
    double          train_seconds, predict_seconds;
} pt_churn_scores;

/* Trains as of as_of − horizon (labels observed up to as_of) and scores every row as of
 * as_of. PT_EINVAL / PT_ENOMEM / PT_ESTORE as pt_churn_train. */
int  pt_churn_score_all(pt_churn_scores *out, const pt_snapshot *snap, int64_t as_of, const pt_churn_opts *o,
                        char *errmsg, size_t errmsg_len);
void pt_churn_scores_free(pt_churn_scores *s);

/* "recency_days,overdue_ratio" for a score's reasons (buf of PT_SCORE_REASONS_MAX). */
void pt_churn_reasons_text(const int reason[PT_CHURN_REASONS], char *buf, size_t cap);

/* Replaces every stored score of model "churn:<name>" with sc's rows, in one transaction of
 * its own (nothing half-written), stamped scored_at = now. */
int pt_churn_scores_save(pt_store *s, const pt_churn_scores *sc, int64_t now);

/* --- the loader other modules call (campaign audiences) -------------------------------------
 * The stored churn scores of model ("lr", "xgb" or "bgnbd"; NULL = "xgb") with score ≥
 * min_score (0 … 1), highest risk first: *out is a malloc'd array of *n records (caller frees
 * with free(); NULL when *n is 0). Each record has member_id, score_ppm (score × 10⁶),
 * version, as_of and reasons. PT_EINVAL for an unknown model or min_score outside 0 … 1. */
int pt_churn_scores_load(pt_store *s, const char *model, double min_score, pt_score_rec **out, size_t *n);

/* The stored scores of the model audiences and the dashboard show: xgb when the store holds
 * any, else lr (*model says which; NULL with *n = 0 when neither has scores). Same ownership
 * as pt_churn_scores_load. */
int pt_churn_scores_load_preferred(pt_store *s, const char **model, pt_score_rec **out, size_t *n);

#endif

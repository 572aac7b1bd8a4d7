/* churn.c — the churn learners behind churn.h: liblinear's L2-regularised logistic regression,
 * XGBoost's gradient-boosted trees (C API) and the BG/NBD baseline, each trained on the
 * labelled rows of a pt_churn_data and applied to any other.
 *
 * Invariants:
 *  - a model remembers which feature columns it uses (the account features only when asked)
 *    and, for the logistic regression, the training means and deviations it standardised
 *    with, so scoring another cut-off applies exactly the training transformation;
 *  - predictions are probabilities in [0, 1]; a per-row contribution is what moved that row's
 *    log-odds (w·z for the regression, XGBoost's approximate per-split contributions for the
 *    trees), so "top reasons" are the
 *    largest positive contributions — features that raised this member's risk;
 *  - XGBoost is deterministic here: fixed seed, no row or column subsampling, exact histogram
 *    building; scoring runs in blocks of BLOCK rows so memory stays bounded at any size.
 * Neither library keeps global state we rely on; liblinear's progress printing is silenced
 * once (it would otherwise write to stdout).
 */
#include "churn_int.h"
#include "patron/clv.h"
#include "patron/error.h"

#include <linear.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

#define BLOCK 65536 /* rows per XGBoost prediction call */

static const char *const MODEL_NAMES[] = {[PT_CHURN_LR] = "lr", [PT_CHURN_XGB] = "xgb", [PT_CHURN_BGNBD] = "bgnbd"};

const char *pt_churn_model_name(int kind)
{
    return kind >= PT_CHURN_LR && kind <= PT_CHURN_BGNBD ? MODEL_NAMES[kind] : NULL;
}

int pt_churn_model_of(const char *name)
{
    for (int k = PT_CHURN_LR; name && k <= PT_CHURN_BGNBD; k++)
        if (strcmp(name, MODEL_NAMES[k]) == 0)
            return k;
    return 0;
}

void pt_churn_opts_init(pt_churn_opts *o, int model)
{
    *o = (pt_churn_opts){.model = model, .threads = 1, .seed = 42, .rounds = 100, .max_depth = 3, .eta = 0.05, .C = 1};
}

struct pt_churn_model {
    int            kind;
    int            nf;                   /* columns used */
    int            feat[PT_CF__COUNT];   /* their enum pt_churn_feature */
    double         mean[PT_CF__COUNT], sd[PT_CF__COUNT]; /* LR standardisation */
    struct model  *lr;
    int            lr_pos;               /* liblinear's label index of "churned" */
    BoosterHandle  bst;
    double         bg[PT_CLV_PARAMS_MAX]; /* BG/NBD r, alpha, a, b (weeks) */
    int            horizon_days;
    int32_t        tz;
    char           version[PT_SCORE_VERSION_MAX];
};

static int fail(char *errmsg, size_t cap, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *errmsg, size_t cap, int rc, const char *fmt, ...)
{
    if (errmsg && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errmsg, cap, fmt, ap);
        va_end(ap);
    }
    return rc;
}

const char *pt_churn_model_version(const pt_churn_model *m)
{
    return m->version;
}

int pt_churn_model_kind_of(const pt_churn_model *m)
{
    return m->kind;
}

void pt_churn_model_free(pt_churn_model *m)
{
    if (!m)
        return;
    if (m->lr)
        free_and_destroy_model(&m->lr);
    if (m->bst)
        XGBoosterFree(m->bst);
    free(m);
}

static void choose_features(pt_churn_model *m, int use_account)
{
    m->nf = 0;
    for (int f = 0; f < PT_CF__COUNT; f++)
        if (use_account || (f != PT_CF_POINTS && f != PT_CF_PENDING && f != PT_CF_TIER))
            m->feat[m->nf++] = f;
}

/* --- logistic regression (liblinear) ------------------------------------------------------- */

static void quiet(const char *s)
{
    (void)s;
}

static void standardise_fit(pt_churn_model *m, const pt_churn_data *d)
{
    for (int j = 0; j < m->nf; j++) {
        double s = 0, s2 = 0, n = 0;
        for (size_t i = 0; i < d->n; i++) {
            if (d->label[i] < 0)
                continue;
            double v = d->x[i * PT_CF__COUNT + (size_t)m->feat[j]];
            s += v;
            s2 += v * v;
            n++;
        }
        m->mean[j] = n > 0 ? s / n : 0;
        double var = n > 1 ? (s2 - n * m->mean[j] * m->mean[j]) / (n - 1) : 0;
        m->sd[j] = var > 1e-12 ? sqrt(var) : 1; /* a constant column stays 0 after centring */
    }
}

/* Row i of d as liblinear nodes: the standardised features, the bias, the terminator. */
static void lr_row(const pt_churn_model *m, const pt_churn_data *d, size_t i, struct feature_node *x)
{
    for (int j = 0; j < m->nf; j++) {
        x[j].index = j + 1;
        x[j].value = (d->x[i * PT_CF__COUNT + (size_t)m->feat[j]] - m->mean[j]) / m->sd[j];
    }
    x[m->nf] = (struct feature_node){.index = m->nf + 1, .value = 1};
    x[m->nf + 1] = (struct feature_node){.index = -1};
}

static int lr_train(pt_churn_model *m, const pt_churn_data *d, const pt_churn_opts *o, char *errmsg, size_t cap)
{
    set_print_string_function(quiet);
    standardise_fit(m, d);
    size_t width = (size_t)m->nf + 2;
    struct feature_node *pool = malloc(d->known * width * sizeof *pool);
    struct feature_node **rows = malloc(d->known * sizeof *rows);
    double *y = malloc(d->known * sizeof *y);
    if (!pool || !rows || !y) {
        free(pool), free(rows), free(y);
        return PT_ENOMEM;
    }
    size_t l = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (d->label[i] < 0)
            continue;
        rows[l] = pool + l * width;
        lr_row(m, d, i, rows[l]);
        y[l++] = d->label[i];
    }
    struct problem prob = {.l = (int)l, .n = m->nf + 1, .y = y, .x = rows, .bias = 1};
    struct parameter par = {.solver_type = L2R_LR, .eps = 0.001, .C = o->C};
    const char *bad = check_parameter(&prob, &par);
    int rc = PT_OK;
    if (bad)
        rc = fail(errmsg, cap, PT_EINVAL, "liblinear: %s", bad);
    else if (!(m->lr = train(&prob, &par)))
        rc = fail(errmsg, cap, PT_ESTORE, "liblinear: training failed");
    if (rc == PT_OK)
        m->lr_pos = m->lr->label[0] == 1 ? 0 : 1;
    free(pool), free(rows), free(y);
    if (rc == PT_OK)
        snprintf(m->version, sizeof m->version, "lr-liblinear-C%g", o->C);
    return rc;
}

/* P(churn) of row i and, in contrib (nf values), coefficient × standardised value. */
static double lr_predict_row(const pt_churn_model *m, const pt_churn_data *d, size_t i, double *contrib)
{
    struct feature_node x[PT_CF__COUNT + 2];
    lr_row(m, d, i, x);
    double prob[2] = {0, 0};
    predict_probability(m->lr, x, prob);
    for (int j = 0; contrib && j < m->nf; j++)
        contrib[j] = get_decfun_coef(m->lr, j + 1, m->lr_pos) * x[j].value;
    return prob[m->lr_pos];
}

/* --- gradient-boosted trees (XGBoost) ------------------------------------------------------- */

static int xgb_fail(char *errmsg, size_t cap, const char *doing)
{
    return fail(errmsg, cap, PT_ESTORE, "xgboost: %s: %s", doing, XGBGetLastError());
}

/* Rows [from, to) of d (labelled only when labelled) as a float matrix of the model's columns. */
static float *xgb_matrix(const pt_churn_model *m, const pt_churn_data *d, size_t from, size_t to, int labelled,
                         float **labels, size_t *rows)
{
    size_t n = 0;
    for (size_t i = from; i < to; i++)
        n += !labelled || d->label[i] >= 0;
    float *x = malloc((n ? n : 1) * (size_t)m->nf * sizeof *x);
    float *y = labelled ? malloc((n ? n : 1) * sizeof *y) : NULL;
    if (!x || (labelled && !y)) {
        free(x), free(y);
        return NULL;
    }
    size_t r = 0;
    for (size_t i = from; i < to; i++) {
        if (labelled && d->label[i] < 0)
            continue;
        for (int j = 0; j < m->nf; j++)
            x[r * (size_t)m->nf + (size_t)j] = (float)d->x[i * PT_CF__COUNT + (size_t)m->feat[j]];
        if (labelled)
            y[r] = (float)d->label[i];
        r++;
    }
    if (labels)
        *labels = y;
    *rows = n;
    return x;
}

static int xgb_params(BoosterHandle b, const pt_churn_opts *o)
{
    char v[64];
    int rc = XGBoosterSetParam(b, "objective", "binary:logistic");
    rc |= XGBoosterSetParam(b, "tree_method", "hist");
    rc |= XGBoosterSetParam(b, "verbosity", "0");
    /* Leaves need some weight: small cohorts (CDNOW's 2,357) overfit with single-row leaves. */
    rc |= XGBoosterSetParam(b, "min_child_weight", "5");
    snprintf(v, sizeof v, "%d", o->max_depth);
    rc |= XGBoosterSetParam(b, "max_depth", v);
    snprintf(v, sizeof v, "%g", o->eta);
    rc |= XGBoosterSetParam(b, "eta", v);
    snprintf(v, sizeof v, "%llu", (unsigned long long)o->seed);
    rc |= XGBoosterSetParam(b, "seed", v);
    if (o->threads > 0) {
        snprintf(v, sizeof v, "%d", o->threads);
        rc |= XGBoosterSetParam(b, "nthread", v);
    }
    return rc;
}

static int xgb_train(pt_churn_model *m, const pt_churn_data *d, const pt_churn_opts *o, char *errmsg, size_t cap)
{
    float *y = NULL;
    size_t n;
    float *x = xgb_matrix(m, d, 0, d->n, 1, &y, &n);
    if (!x)
        return PT_ENOMEM;
    DMatrixHandle dm = NULL;
    int rc = PT_OK;
    if (XGDMatrixCreateFromMat(x, (bst_ulong)n, (bst_ulong)m->nf, NAN, &dm) ||
        XGDMatrixSetFloatInfo(dm, "label", y, (bst_ulong)n))
        rc = xgb_fail(errmsg, cap, "building the training matrix");
    else if (XGBoosterCreate(&dm, 1, &m->bst) || xgb_params(m->bst, o))
        rc = xgb_fail(errmsg, cap, "creating the booster");
    for (int it = 0; rc == PT_OK && it < o->rounds; it++)
        if (XGBoosterUpdateOneIter(m->bst, it, dm))
            rc = xgb_fail(errmsg, cap, "boosting");
    if (dm)
        XGDMatrixFree(dm);
    free(x), free(y);
    int maj, min, pat;
    XGBoostVersion(&maj, &min, &pat);
    snprintf(m->version, sizeof m->version, "xgb-%d.%d.%d-d%dr%de%g", maj, min, pat, o->max_depth, o->rounds, o->eta);
    return rc;
}

/* Predicts rows [from, to) of d into p, and their contributions (nf per row) into contrib
 * when not NULL. */
static int xgb_block(const pt_churn_model *m, const pt_churn_data *d, size_t from, size_t to, double *p,
                     double *contrib)
{
    size_t n;
    float *x = xgb_matrix(m, d, from, to, 0, NULL, &n);
    if (!x)
        return PT_ENOMEM;
    DMatrixHandle dm = NULL;
    bst_ulong len = 0;
    const float *out = NULL;
    int rc = PT_OK;
    if (XGDMatrixCreateFromMat(x, (bst_ulong)n, (bst_ulong)m->nf, NAN, &dm) ||
        XGBoosterPredict(m->bst, dm, 0, 0, 0, &len, &out) || len != n)
        rc = PT_ESTORE;
    for (size_t i = 0; rc == PT_OK && i < n; i++)
        p[i] = out[i];
    /* option 4|8: approximate (Saabas) contributions — each split's change of the expected
     * value credited to its feature — nf per row then the bias. Exact TreeSHAP (option 4)
     * scored ~10k members/s here against ~180k/s (bench/README.md); the reasons are a ranking,
     * for which the approximation is enough. */
    if (rc == PT_OK && contrib &&
        (XGBoosterPredict(m->bst, dm, 12, 0, 0, &len, &out) || len != n * (size_t)(m->nf + 1)))
        rc = PT_ESTORE;
    for (size_t i = 0; rc == PT_OK && contrib && i < n; i++)
        for (int j = 0; j < m->nf; j++)
            contrib[i * (size_t)m->nf + (size_t)j] = out[i * (size_t)(m->nf + 1) + (size_t)j];
    if (dm)
        XGDMatrixFree(dm);
    free(x);
    return rc;
}

/* --- BG/NBD baseline ------------------------------------------------------------------------ */

static int bg_train(pt_churn_model *m, const pt_snapshot *snap, int64_t as_of, char *errmsg, size_t cap)
{
    pt_clv_summary s;
    int rc = pt_clv_summary_from_snapshot(&s, snap, as_of, 7, m->tz);
    if (rc)
        return rc;
    pt_clv_fit_opts fo;
    pt_clv_fit_opts_init(&fo, PT_CLV_BGNBD);
    pt_clv_fit f;
    rc = pt_clv_fit_model(&f, &s, &fo);
    pt_clv_summary_free(&s);
    if (rc)
        return fail(errmsg, cap, rc, "BG/NBD fit: %s", pt_strerror(rc));
    memcpy(m->bg, f.param, sizeof m->bg);
    snprintf(m->version, sizeof m->version, "bgnbd-r%.3ga%.3ga%.3gb%.3g", f.param[0], f.param[1], f.param[2],
             f.param[3]);
    return PT_OK;
}

/* P(no transaction in the next t weeks | x, t_x, T) under BG/NBD: dead, or alive and its
 * Poisson process gives nothing in t. Dropout happens only right after a purchase, so an
 * alive customer with no purchase cannot die in the window: the formula is exact. */
static double bg_p_zero(const double *bg, double x, double t_x, double T, double t)
{
    double pa = pt_clv_bgnbd_p_alive(bg, x, t_x, T);
    double r = bg[0], alpha = bg[1];
    return (1 - pa) + pa * pow((alpha + T) / (alpha + T + t), r + x);
}

static int bg_predict(const pt_churn_model *m, const pt_churn_data *d, const pt_snapshot *snap, double *p,
                      double *contrib)
{
    pt_clv_summary s;
    int rc = pt_clv_summary_from_snapshot(&s, snap, d->as_of, 7, m->tz);
    if (rc)
        return rc;
    size_t j = 0;
    for (size_t i = 0; i < d->n; i++) {
        while (j < s.n && s.member_id[j] < d->member_id[i])
            j++;
        if (j >= s.n || s.member_id[j] != d->member_id[i]) {
            rc = PT_ECORRUPT; /* the rows came from another snapshot or cut-off */
            break;
        }
        p[i] = bg_p_zero(m->bg, s.x[j], s.t_x[j], s.T[j], d->horizon_days / 7.0);
        if (contrib) {
            /* No per-feature attribution in BG/NBD: time since the last purchase relative to
             * the history drives P(alive); report recency, then frequency. */
            double *c = contrib + i * (size_t)m->nf;
            memset(c, 0, (size_t)m->nf * sizeof *c);
            c[PT_CF_RECENCY] = p[i];
            c[PT_CF_FREQUENCY] = p[i] / 2;
        }
    }
    pt_clv_summary_free(&s);
    return rc;
}

/* --- the public face ------------------------------------------------------------------------ */

int pt_churn_train(pt_churn_model **out, const pt_churn_data *d, const pt_snapshot *snap, const pt_churn_opts *o,
                   char *errmsg, size_t errmsg_len)
{
    *out = NULL;
    if (!pt_churn_model_name(o->model))
        return fail(errmsg, errmsg_len, PT_EINVAL, "unknown churn model %d", o->model);
    if (o->model != PT_CHURN_BGNBD && (d->known == 0 || d->churned == 0 || d->churned == d->known))
        return fail(errmsg, errmsg_len, PT_EINVAL,
                    "training needs churned and retained members as of the training cut-off (%zu labelled, %zu churned)",
                    d->known, d->churned);
    pt_churn_model *m = calloc(1, sizeof *m);
    if (!m)
        return PT_ENOMEM;
    m->kind = o->model;
    m->horizon_days = d->horizon_days;
    m->tz = o->tz_offset_s;
    /* BG/NBD reports through the recency and frequency slots, so it keeps every column. */
    choose_features(m, o->use_account || o->model == PT_CHURN_BGNBD);
    int rc = o->model == PT_CHURN_LR    ? lr_train(m, d, o, errmsg, errmsg_len)
             : o->model == PT_CHURN_XGB ? xgb_train(m, d, o, errmsg, errmsg_len)
                                        : bg_train(m, snap, d->as_of, errmsg, errmsg_len);
    if (rc) {
        pt_churn_model_free(m);
        return rc;
    }
    size_t len = strlen(m->version);
    snprintf(m->version + len, sizeof m->version - len, "@%lld", (long long)(d->as_of / 86400));
    *out = m;
    return PT_OK;
}

/* A probability in [0, 1]: the libraries return one, but a NaN from a degenerate BG/NBD row
 * must never reach an integer conversion (UB) or a metric; it becomes 0.5, "no idea". */
static double sane_p(double p)
{
    return p >= 0 && p <= 1 ? p : p > 1 ? 1 : p < 0 ? 0 : 0.5;
}

/* The top PT_CHURN_REASONS positive contributions of one row, most first. */
static void top_reasons(const pt_churn_model *m, const double *c, int *reason)
{
    double best[PT_CHURN_REASONS];
    for (int r = 0; r < PT_CHURN_REASONS; r++) {
        reason[r] = -1;
        best[r] = 0;
    }
    for (int j = 0; j < m->nf; j++) {
        if (!(c[j] > 0))
            continue;
        int r = PT_CHURN_REASONS;
        while (r > 0 && c[j] > best[r - 1])
            r--;
        if (r >= PT_CHURN_REASONS)
            continue;
        memmove(best + r + 1, best + r, (size_t)(PT_CHURN_REASONS - 1 - r) * sizeof *best);
        memmove(reason + r + 1, reason + r, (size_t)(PT_CHURN_REASONS - 1 - r) * sizeof *reason);
        best[r] = c[j];
        reason[r] = m->feat[j];
    }
}

int pt__churn_predict(const pt_churn_model *m, const pt_churn_data *d, const pt_snapshot *snap, double *p,
                      int (*reasons)[PT_CHURN_REASONS], double *importance)
{
    int want = reasons || importance;
    size_t block = d->n < BLOCK ? d->n : BLOCK;
    double *contrib = want ? malloc((block ? block : 1) * (size_t)m->nf * sizeof *contrib) : NULL;
    if (want && !contrib)
        return PT_ENOMEM;
    if (importance)
        memset(importance, 0, PT_CF__COUNT * sizeof *importance);
    int rc = PT_OK;
    double *all = NULL;
    if (m->kind == PT_CHURN_BGNBD && want) {
        /* BG/NBD scores every row in one pass; its "contributions" are cheap to hold. */
        all = malloc((d->n ? d->n : 1) * (size_t)m->nf * sizeof *all);
        rc = all ? bg_predict(m, d, snap, p, all) : PT_ENOMEM;
    } else if (m->kind == PT_CHURN_BGNBD) {
        rc = bg_predict(m, d, snap, p, NULL);
    }
    for (size_t from = 0; rc == PT_OK && from < d->n; from += block) {
        size_t to = from + block < d->n ? from + block : d->n;
        const double *c = contrib;
        if (m->kind == PT_CHURN_XGB)
            rc = xgb_block(m, d, from, to, p + from, contrib);
        else if (m->kind == PT_CHURN_LR)
            for (size_t i = from; i < to; i++)
                p[i] = lr_predict_row(m, d, i, contrib ? contrib + (i - from) * (size_t)m->nf : NULL);
        else
            c = all ? all + from * (size_t)m->nf : NULL;
        for (size_t i = from; rc == PT_OK && i < to; i++)
            p[i] = sane_p(p[i]);
        for (size_t i = from; rc == PT_OK && c && i < to; i++) {
            const double *ci = c + (i - from) * (size_t)m->nf;
            if (reasons)
                top_reasons(m, ci, reasons[i]);
            for (int j = 0; importance && j < m->nf; j++)
                importance[m->feat[j]] += fabs(ci[j]) / (double)d->n;
        }
    }
    free(contrib);
    free(all);
    return rc;
}

int pt_churn_predict(const pt_churn_model *m, const pt_churn_data *d, const pt_snapshot *snap, double *p,
                     int (*reasons)[PT_CHURN_REASONS])
{
    return pt__churn_predict(m, d, snap, p, reasons, NULL);
}

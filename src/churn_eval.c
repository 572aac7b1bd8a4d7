/* churn_eval.c — measuring and using the churn models: ranking and calibration metrics, the
 * time-based train/evaluate split, scoring every member as of a date, and the scores' round
 * trip through the store (pt_churn_scores_save / pt_churn_scores_load).
 *
 * Invariants:
 *  - the evaluation never trains on a row whose label window overlaps the evaluation's: the
 *    training cut-off is one horizon before the evaluation cut-off, whose labels need one
 *    more horizon of data (churn.h);
 *  - scoring at as_of trains on the cut-off as_of − horizon, the latest one whose labels are
 *    all observed by as_of;
 *  - a save replaces a model's whole set in one transaction: readers see the old set or the
 *    new one, never a mix.
 */
#include "churn_int.h"
#include "patron/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY_S 86400

/* --- metrics ---------------------------------------------------------------------------------- */

struct scored {
    double p;
    int8_t y;
};

static int by_p_desc(const void *a, const void *b)
{
    double x = ((const struct scored *)a)->p, y = ((const struct scored *)b)->p;
    return (x < y) - (x > y);
}

/* ROC AUC by the rank-sum (Mann–Whitney) formula, tied scores sharing their mean rank. */
static double auc_of(const struct scored *r, size_t n, size_t pos)
{
    double sum = 0; /* ranks of positives, rank 1 = the lowest score */
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        size_t tpos = 0;
        while (j < n && r[j].p == r[i].p)
            tpos += r[j++].y == 1;
        /* rows i..j−1 (descending) hold ranks n−j+1 … n−i; their mean: */
        double mean_rank = ((double)(n - j + 1) + (double)(n - i)) / 2;
        sum += mean_rank * (double)tpos;
        i = j;
    }
    double P = (double)pos, N = (double)(n - pos);
    return (sum - P * (P + 1) / 2) / (P * N);
}

static void calibration(pt_churn_metrics *m, const struct scored *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double x = r[i].p * PT_CHURN_CAL_BINS;
        int b = !(x >= 0) ? 0 : x >= PT_CHURN_CAL_BINS ? PT_CHURN_CAL_BINS - 1 : (int)x;
        m->cal_n[b]++;
        m->cal_pred[b] += r[i].p;
        m->cal_obs[b] += r[i].y;
    }
    for (int b = 0; b < PT_CHURN_CAL_BINS; b++)
        if (m->cal_n[b]) {
            m->cal_pred[b] /= (double)m->cal_n[b];
            m->cal_obs[b] /= (double)m->cal_n[b];
        }
}

int pt_churn_metrics_of(pt_churn_metrics *out, const double *p, const int8_t *y, size_t n)
{
    memset(out, 0, sizeof *out);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += y[i] == 0 || y[i] == 1;
    struct scored *r = malloc((m ? m : 1) * sizeof *r);
    if (!r)
        return PT_ENOMEM;
    size_t k = 0, pos = 0;
    double brier = 0;
    for (size_t i = 0; i < n; i++) {
        if (y[i] != 0 && y[i] != 1)
            continue;
        r[k++] = (struct scored){p[i], y[i]};
        pos += y[i] == 1;
        brier += (p[i] - y[i]) * (p[i] - y[i]);
    }
    if (m < 2 || pos == 0 || pos == m) {
        free(r);
        return PT_EINVAL;
    }
    qsort(r, m, sizeof *r, by_p_desc);
    out->n = m;
    out->positives = pos;
    out->base_rate = (double)pos / (double)m;
    out->auc = auc_of(r, m, pos);
    out->brier = brier / (double)m;
    size_t top = (m + 9) / 10, hits = 0, seen = 0;
    double ap = 0;
    for (size_t i = 0; i < m; i++) {
        if (r[i].y == 1) {
            seen++;
            ap += (double)seen / (double)(i + 1);
        }
        if (i + 1 == top)
            hits = seen;
    }
    out->pr_auc = ap / (double)pos;
    out->precision_top = (double)hits / (double)top;
    out->recall_top = (double)hits / (double)pos;
    out->lift_top = out->precision_top / out->base_rate;
    calibration(out, r, m);
    free(r);
    return PT_OK;
}

/* --- the time-based split ------------------------------------------------------------------- */

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int horizon_of(const pt_snapshot *snap, int64_t as_of, const pt_churn_opts *o)
{
    return o->horizon_days > 0 ? o->horizon_days : pt_churn_default_horizon(snap, as_of);
}

/* Trains o->model on the rows of snap as of cut (labels known up to data_end). */
static int train_at(pt_churn_model **m, const pt_snapshot *snap, int64_t cut, int h, int64_t data_end,
                    const pt_churn_opts *o, size_t *rows, double *seconds, char *errmsg, size_t cap)
{
    pt_churn_data d;
    double t0 = seconds_now();
    int rc = pt_churn_features(&d, snap, cut, h, data_end);
    if (rc == PT_OK)
        rc = pt_churn_train(m, &d, snap, o, errmsg, cap);
    *rows = d.known;
    *seconds = seconds_now() - t0;
    pt_churn_data_free(&d);
    return rc;
}

int pt_churn_evaluate(pt_churn_eval *out, const pt_snapshot *snap, int64_t data_end, const pt_churn_opts *o,
                      char *errmsg, size_t errmsg_len)
{
    memset(out, 0, sizeof *out);
    int h = horizon_of(snap, data_end, o);
    out->horizon_days = h;
    out->eval_as_of = data_end - (int64_t)h * DAY_S;
    out->train_as_of = out->eval_as_of - (int64_t)h * DAY_S;
    int64_t first = INT64_MAX;
    for (size_t k = 0; k < snap->norders; k++)
        first = snap->order_at[k] < first ? snap->order_at[k] : first;
    if (first >= out->train_as_of) {
        snprintf(errmsg, errmsg_len,
                 "the data is too short to evaluate a %d-day horizon: the training cut-off would be %lld days "
                 "before the end of the data, before (or at) the first order",
                 h, (long long)(2 * h));
        return PT_EINVAL;
    }
    pt_churn_model *m = NULL;
    /* The training labels end at eval_as_of: nothing after the evaluation cut-off is seen. */
    int rc = train_at(&m, snap, out->train_as_of, h, out->eval_as_of, o, &out->train_rows, &out->train_seconds,
                      errmsg, errmsg_len);
    if (rc)
        return rc;
    snprintf(out->version, sizeof out->version, "%s", pt_churn_model_version(m));
    pt_churn_data d;
    rc = pt_churn_features(&d, snap, out->eval_as_of, h, data_end);
    double *p = rc ? NULL : malloc((d.n ? d.n : 1) * sizeof *p);
    if (rc == PT_OK && !p)
        rc = PT_ENOMEM;
    double t0 = seconds_now();
    if (rc == PT_OK)
        rc = pt__churn_predict(m, &d, snap, p, NULL, out->importance);
    out->predict_seconds = seconds_now() - t0;
    out->eval_rows = d.known;
    if (rc == PT_OK && (rc = pt_churn_metrics_of(&out->m, p, d.label, d.n)) == PT_EINVAL)
        snprintf(errmsg, errmsg_len, "the evaluation cut-off has only one class (%zu members, %zu churned)", d.known,
                 d.churned);
    free(p);
    pt_churn_data_free(&d);
    pt_churn_model_free(m);
    return rc;
}

/* --- scoring -------------------------------------------------------------------------------- */

void pt_churn_scores_free(pt_churn_scores *s)
{
    if (!s)
        return;
    free(s->row);
    memset(s, 0, sizeof *s);
}

int pt_churn_score_all(pt_churn_scores *out, const pt_snapshot *snap, int64_t as_of, const pt_churn_opts *o,
                       char *errmsg, size_t errmsg_len)
{
    memset(out, 0, sizeof *out);
    int h = horizon_of(snap, as_of, o);
    pt_churn_model *m = NULL;
    size_t rows;
    int rc = train_at(&m, snap, as_of - (int64_t)h * DAY_S, h, as_of, o, &rows, &out->train_seconds, errmsg,
                      errmsg_len);
    if (rc)
        return rc;
    pt_churn_data d;
    rc = pt_churn_features(&d, snap, as_of, h, as_of);
    double *p = rc ? NULL : malloc((d.n ? d.n : 1) * sizeof *p);
    int (*reasons)[PT_CHURN_REASONS] = rc ? NULL : malloc((d.n ? d.n : 1) * sizeof *reasons);
    out->row = rc ? NULL : malloc((d.n ? d.n : 1) * sizeof *out->row);
    if (rc == PT_OK && (!p || !reasons || !out->row))
        rc = PT_ENOMEM;
    double t0 = seconds_now();
    if (rc == PT_OK)
        rc = pt_churn_predict(m, &d, snap, p, reasons);
    out->predict_seconds = seconds_now() - t0;
    for (size_t i = 0; rc == PT_OK && i < d.n; i++) {
        out->row[i].member_id = d.member_id[i];
        out->row[i].p = p[i];
        memcpy(out->row[i].reason, reasons[i], sizeof reasons[i]);
    }
    if (rc == PT_OK) {
        out->n = d.n;
        out->as_of = as_of;
        out->train_as_of = as_of - (int64_t)h * DAY_S;
        out->horizon_days = h;
        out->model = o->model;
        snprintf(out->version, sizeof out->version, "%s", pt_churn_model_version(m));
    } else {
        pt_churn_scores_free(out);
    }
    free(p);
    free(reasons);
    pt_churn_data_free(&d);
    pt_churn_model_free(m);
    return rc;
}

void pt_churn_reasons_text(const int reason[PT_CHURN_REASONS], char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = 0;
    for (int r = 0; r < PT_CHURN_REASONS && reason[r] >= 0 && len < cap; r++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", r ? "," : "", pt_churn_feature_name(reason[r]));
}

/* --- the store ------------------------------------------------------------------------------ */

static int64_t ppm_of(double p)
{
    double v = floor(p * PT_SCORE_PPM + 0.5);
    return !(v >= 0) ? 0 : v > PT_SCORE_PPM ? PT_SCORE_PPM : (int64_t)v; /* NaN → 0 */
}

int pt_churn_scores_save(pt_store *s, const pt_churn_scores *sc, int64_t now)
{
    const char *name = pt_churn_model_name(sc->model);
    if (!name)
        return PT_EINVAL;
    pt_score_rec r = {.as_of = sc->as_of, .scored_at = now};
    snprintf(r.model, sizeof r.model, "churn:%s", name);
    snprintf(r.version, sizeof r.version, "%s", sc->version);
    int rc = pt_store_begin(s);
    if (rc)
        return rc;
    rc = pt_store_score_clear_model(s, r.model, NULL);
    for (size_t i = 0; rc == PT_OK && i < sc->n; i++) {
        r.member_id = sc->row[i].member_id;
        r.score_ppm = ppm_of(sc->row[i].p);
        pt_churn_reasons_text(sc->row[i].reason, r.reasons, sizeof r.reasons);
        rc = pt_store_score_put(s, &r);
    }
    if (rc == PT_OK)
        return pt_store_commit(s);
    pt_store_rollback(s);
    return rc;
}

struct load {
    pt_score_rec *row;
    size_t        n, cap;
};

static int load_one(void *ud, const pt_score_rec *r)
{
    struct load *l = ud;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        pt_score_rec *g = realloc(l->row, cap * sizeof *g);
        if (!g)
            return PT_ENOMEM;
        l->row = g;
        l->cap = cap;
    }
    l->row[l->n++] = *r;
    return PT_OK;
}

int pt_churn_scores_load(pt_store *s, const char *model, double min_score, pt_score_rec **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    const char *name = model ? model : "xgb";
    if (!pt_churn_model_of(name) || !(min_score >= 0 && min_score <= 1))
        return PT_EINVAL;
    char key[PT_SCORE_MODEL_MAX];
    snprintf(key, sizeof key, "churn:%s", name);
    struct load l = {0};
    int rc = pt_store_score_scan(s, key, ppm_of(min_score), load_one, &l);
    if (rc) {
        free(l.row);
        return rc;
    }
    *out = l.row;
    *n = l.n;
    return PT_OK;
}

int pt_churn_scores_load_preferred(pt_store *s, const char **model, pt_score_rec **out, size_t *n)
{
    static const char *const models[] = {"xgb", "lr"};
    *model = NULL;
    for (size_t m = 0; m < sizeof models / sizeof *models; m++) {
        int rc = pt_churn_scores_load(s, models[m], 0.0, out, n);
        if (rc || *n) {
            *model = rc ? NULL : models[m];
            return rc;
        }
    }
    return PT_OK;
}

/* churn_features.c — the churn model's rows: one per member the snapshot may show with a paid
 * order before the cut-off, its features (churn.h, enum pt_churn_feature) and its label.
 *
 * Invariants (the leakage precautions of docs/churn.md):
 *  - every feature reads orders, lines, events and survey answers strictly before as_of; the
 *    label alone reads [as_of, as_of + horizon);
 *  - a label is −1 (unknown) when its window runs past data_end, never guessed;
 *  - the account features (points, pending, tier) are the store's current values: they are
 *    filled here, and left out of a model unless the caller asks (churn.c), never silently.
 * One pass over each member's CSR ranges; nothing depends on the order members are visited.
 */
#include "patron/churn.h"
#include "patron/error.h"
#include "patron/types.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DAY_S      86400.0
#define DISTINCT_MAX 256 /* distinct categories / channels counted per member; more count as this */

static const char *const FEATURE_NAMES[PT_CF__COUNT] = {
    [PT_CF_RECENCY] = "recency_days",     [PT_CF_FREQUENCY] = "frequency",
    [PT_CF_MONETARY] = "monetary",        [PT_CF_AOV] = "avg_order_value",
    [PT_CF_TENURE] = "tenure_days",       [PT_CF_IPT_MEAN] = "gap_mean_days",
    [PT_CF_IPT_SD] = "gap_sd_days",       [PT_CF_OVERDUE] = "overdue_ratio",
    [PT_CF_GAP_TREND] = "gap_trend",      [PT_CF_ORDERS_90] = "orders_90d",
    [PT_CF_ORDERS_365] = "orders_365d",   [PT_CF_SPEND_TREND] = "spend_trend",
    [PT_CF_REFUNDS] = "refund_share",     [PT_CF_CATEGORIES] = "category_breadth",
    [PT_CF_CHANNELS] = "channels",        [PT_CF_EVENTS_90] = "events_90d",
    [PT_CF_NPS] = "last_survey_score",    [PT_CF_POINTS] = "points_balance",
    [PT_CF_PENDING] = "points_pending",   [PT_CF_TIER] = "tier",
};

const char *pt_churn_feature_name(int f)
{
    return f >= 0 && f < PT_CF__COUNT ? FEATURE_NAMES[f] : NULL;
}

void pt_churn_data_free(pt_churn_data *d)
{
    if (!d)
        return;
    free(d->member_id);
    free(d->x);
    free(d->label);
    memset(d, 0, sizeof *d);
}

/* A tiny distinct-set: linear search is cheapest for the handful of values a member has. */
struct distinct {
    int64_t v[DISTINCT_MAX];
    int     n;
};

static void distinct_add(struct distinct *s, int64_t v)
{
    for (int i = 0; i < s->n; i++)
        if (s->v[i] == v)
            return;
    if (s->n < DISTINCT_MAX)
        s->v[s->n++] = v;
}

/* What one member's orders before the cut-off add up to. */
struct history {
    int64_t n, all, cents, first, last;
    double  gap_sum, gap_sq, last_gap;
    int64_t n90, n365, cents90, cents_prev90;
};

static void walk_orders(const pt_snapshot *snap, size_t i, int64_t as_of, struct history *h, struct distinct *cat,
                        struct distinct *chan)
{
    memset(h, 0, sizeof *h);
    for (size_t k = snap->first[i]; k < snap->first[i + 1] && snap->order_at[k] < as_of; k++) {
        h->all++;
        if (snap->order_status[k] != PT_ORDER_PAID)
            continue;
        int64_t at = snap->order_at[k], c = snap->order_cents[k];
        if (h->n > 0) {
            double g = (double)(at - h->last) / DAY_S;
            h->gap_sum += g;
            h->gap_sq += g * g;
            h->last_gap = g;
        } else {
            h->first = at;
        }
        h->n++;
        h->cents += c;
        h->last = at;
        double ago = (double)(as_of - at) / DAY_S;
        h->n90 += ago <= 90;
        h->n365 += ago <= 365;
        h->cents90 += ago <= 90 ? c : 0;
        h->cents_prev90 += ago > 90 && ago <= 180 ? c : 0;
        if (snap->order_channel)
            distinct_add(chan, snap->order_channel[k]);
        if (snap->item_first)
            for (size_t l = snap->item_first[k]; l < snap->item_first[k + 1]; l++) {
                int32_t p = snap->item_product[l];
                int32_t cg = snap->product_category ? snap->product_category[p] : -1;
                distinct_add(cat, cg >= 0 ? cg : (int64_t)snap->ncategories + p);
            }
    }
}

static double log1p_pos(double v)
{
    return log1p(v > 0 ? v : 0);
}

static void fill_events(const pt_snapshot *snap, size_t i, int64_t as_of, double *x, int nps_kind)
{
    double ev = 0;
    if (snap->event_first)
        for (size_t e = snap->event_first[i]; e < snap->event_first[i + 1] && snap->event_at[e] < as_of; e++)
            ev += (double)(as_of - snap->event_at[e]) <= 90 * DAY_S;
    x[PT_CF_EVENTS_90] = ev;
    double nps = -1;
    if (snap->survey_first)
        for (size_t v = snap->survey_first[i]; v < snap->survey_first[i + 1] && snap->survey_at[v] < as_of; v++)
            if (nps_kind < 0 || snap->survey_kind[v] == nps_kind)
                nps = snap->survey_score[v];
    x[PT_CF_NPS] = nps;
    x[PT_CF_POINTS] = snap->has_accounts ? log1p_pos((double)snap->member_points[i]) : 0;
    x[PT_CF_PENDING] = snap->has_accounts ? log1p_pos((double)snap->member_pending[i]) : 0;
    x[PT_CF_TIER] = snap->has_accounts ? snap->member_tier[i] : -1;
}

static void fill_row(const pt_snapshot *snap, size_t i, int64_t as_of, const struct history *h,
                     const struct distinct *cat, const struct distinct *chan, double *x, int nps_kind)
{
    double recency = (double)(as_of - h->last) / DAY_S;
    int64_t start = snap->member_registered_at[i] < h->first ? snap->member_registered_at[i] : h->first;
    double gaps = (double)(h->n - 1);
    double mean = h->n > 1 ? h->gap_sum / gaps : 0;
    double var = h->n > 2 ? (h->gap_sq - gaps * mean * mean) / (gaps - 1) : 0;
    double earlier = h->n > 2 ? (h->gap_sum - h->last_gap) / (gaps - 1) : 0;
    x[PT_CF_RECENCY] = recency;
    x[PT_CF_FREQUENCY] = log1p((double)h->n);
    x[PT_CF_MONETARY] = log1p_pos((double)h->cents);
    x[PT_CF_AOV] = log1p_pos((double)h->cents / (double)h->n);
    x[PT_CF_TENURE] = (double)(as_of - start) / DAY_S;
    x[PT_CF_IPT_MEAN] = mean;
    x[PT_CF_IPT_SD] = var > 0 ? sqrt(var) : 0;
    /* +1 day keeps same-day repeat buyers finite; one order: lateness against a year. */
    x[PT_CF_OVERDUE] = h->n > 1 ? recency / (mean + 1) : recency / 365;
    x[PT_CF_GAP_TREND] = h->n > 2 ? (h->last_gap + 1) / (earlier + 1) : 1;
    x[PT_CF_ORDERS_90] = (double)h->n90;
    x[PT_CF_ORDERS_365] = (double)h->n365;
    x[PT_CF_SPEND_TREND] = log1p_pos((double)h->cents90) - log1p_pos((double)h->cents_prev90);
    x[PT_CF_REFUNDS] = h->all ? (double)(h->all - h->n) / (double)h->all : 0;
    x[PT_CF_CATEGORIES] = log1p((double)cat->n);
    x[PT_CF_CHANNELS] = chan->n;
    fill_events(snap, i, as_of, x, nps_kind);
}

/* 1 churned, 0 bought in [as_of, as_of + h), −1 when the window passes data_end. */
static int8_t label_of(const pt_snapshot *snap, size_t i, int64_t as_of, int64_t h_s, int64_t data_end)
{
    for (size_t k = snap->first[i]; k < snap->first[i + 1]; k++)
        if (snap->order_at[k] >= as_of && snap->order_at[k] < as_of + h_s && snap->order_status[k] == PT_ORDER_PAID)
            return 0;
    return as_of + h_s > data_end ? -1 : 1;
}

static int has_paid_before(const pt_snapshot *snap, size_t i, int64_t as_of)
{
    for (size_t k = snap->first[i]; k < snap->first[i + 1] && snap->order_at[k] < as_of; k++)
        if (snap->order_status[k] == PT_ORDER_PAID)
            return 1;
    return 0;
}

int pt_churn_features(pt_churn_data *out, const pt_snapshot *snap, int64_t as_of, int horizon_days,
                      int64_t data_end)
{
    memset(out, 0, sizeof *out);
    if (horizon_days < 1 || horizon_days > 3660)
        return PT_EINVAL;
    size_t n = 0;
    for (size_t i = 0; i < snap->nmembers; i++)
        n += pt_snapshot_member_use(snap, i) == PT_SNAP_USE && has_paid_before(snap, i, as_of);
    size_t cells = (n ? n : 1) * PT_CF__COUNT;
    out->member_id = malloc((n ? n : 1) * sizeof *out->member_id);
    out->x = malloc(cells * sizeof *out->x);
    out->label = malloc(n ? n : 1);
    if (!out->member_id || !out->x || !out->label) {
        pt_churn_data_free(out);
        return PT_ENOMEM;
    }
    int nps_kind = pt_snapshot_survey_kind(snap, "nps");
    int64_t h_s = (int64_t)horizon_days * 86400;
    struct distinct *sets = malloc(2 * sizeof *sets);
    if (!sets) {
        pt_churn_data_free(out);
        return PT_ENOMEM;
    }
    size_t j = 0;
    for (size_t i = 0; i < snap->nmembers && j < n; i++) {
        if (pt_snapshot_member_use(snap, i) != PT_SNAP_USE || !has_paid_before(snap, i, as_of))
            continue;
        struct history h;
        sets[0].n = sets[1].n = 0;
        walk_orders(snap, i, as_of, &h, &sets[0], &sets[1]);
        fill_row(snap, i, as_of, &h, &sets[0], &sets[1], out->x + j * PT_CF__COUNT, nps_kind);
        out->member_id[j] = snap->member_id[i];
        out->label[j] = label_of(snap, i, as_of, h_s, data_end);
        out->known += out->label[j] >= 0;
        out->churned += out->label[j] == 1;
        j++;
    }
    free(sets);
    out->n = j;
    out->as_of = as_of;
    out->horizon_days = horizon_days;
    return PT_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int pt_churn_default_horizon(const pt_snapshot *snap, int64_t as_of)
{
    size_t n = 0;
    for (size_t i = 0; i < snap->nmembers; i++)
        for (size_t k = snap->first[i] + 1; k < snap->first[i + 1] && snap->order_at[k] < as_of; k++)
            n++;
    double *gap = n >= 20 ? malloc(n * sizeof *gap) : NULL;
    if (!gap)
        return 90; /* too few gaps to say (or no memory): a quarter, the usual retail window */
    size_t m = 0;
    for (size_t i = 0; i < snap->nmembers; i++) {
        int64_t prev = -1;
        for (size_t k = snap->first[i]; k < snap->first[i + 1] && snap->order_at[k] < as_of; k++) {
            if (snap->order_status[k] != PT_ORDER_PAID || pt_snapshot_member_use(snap, i) != PT_SNAP_USE)
                continue;
            if (prev >= 0)
                gap[m++] = (double)(snap->order_at[k] - prev) / DAY_S;
            prev = snap->order_at[k];
        }
    }
    int days = 90;
    if (m >= 20) {
        qsort(gap, m, sizeof *gap, cmp_double);
        double p80 = ceil(gap[(size_t)(0.8 * (double)(m - 1))]);
        days = p80 < 30 ? 30 : p80 > 365 ? 365 : (int)p80;
    }
    free(gap);
    return days;
}

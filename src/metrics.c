/* metrics.c — loyalty KPIs, cohorts, NPS and monthly trends over a snapshot (see metrics.h and
 * docs/metrics.md for the definitions).
 *
 * Every function is one pass over the members and their CSR order (or answer) ranges, which are
 * ascending by time; only paid orders count. Local months come from a table of month starts in
 * the zone (pt_metrics_months, one ICU call per month) searched by bisection, so ICU is never
 * called per order. Integer arithmetic throughout: counts are size_t, money int64 cents, rates
 * basis points computed from the counts with one rounding at the end. Results are caller-owned;
 * the only allocations are the month table, the cohort array and the trend rows.
 */
#include "patron/metrics.h"
#include "patron/error.h"
#include "patron/tz.h"
#include "patron/types.h"

#include <stdlib.h>
#include <string.h>

int64_t pt_metrics_div(int64_t num, int64_t den)
{
    if (den == 0)
        return PT_METRICS_NONE;
    if (den < 0) {
        num = -num;
        den = -den;
    }
    int64_t half = den / 2;
    return num >= 0 ? (num + half) / den : -((-num + half) / den);
}

int64_t pt_metrics_bp(int64_t num, int64_t den)
{
    return den == 0 ? PT_METRICS_NONE : pt_metrics_div(num * 10000, den);
}

/* Whether order r counts: paid, and in the slice's channel when it has one. */
static int counts(const pt_snapshot *s, size_t r, int32_t channel)
{
    return s->order_status[r] == PT_ORDER_PAID && (channel < 0 || s->order_channel[r] == channel);
}

/* Counted orders of member i in [from, to), and the number before `to`. */
static void count_orders(const pt_snapshot *s, size_t i, int64_t from, int64_t to, int32_t channel, int64_t *in,
                         int64_t *before)
{
    *in = 0;
    *before = 0;
    for (size_t r = s->first[i]; r < s->first[i + 1] && s->order_at[r] < to; r++) {
        if (!counts(s, r, channel))
            continue;
        ++*before;
        *in += s->order_at[r] >= from;
    }
}

/* The anonymous totals of one member: members, new, active, orders, revenue in [from, to). */
static void kpi_totals(pt_kpi *k, const pt_snapshot *s, size_t i, int32_t channel)
{
    int64_t reg = s->member_registered_at[i];
    if (reg < k->to)
        k->members++;
    if (reg >= k->from && reg < k->to)
        k->members_new++;
    int64_t n = 0;
    for (size_t r = s->first[i]; r < s->first[i + 1] && s->order_at[r] < k->to; r++) {
        if (!counts(s, r, channel) || s->order_at[r] < k->from)
            continue;
        n++;
        k->revenue_cents += s->order_cents[r];
    }
    k->orders += n;
    k->active += n > 0;
}

/* The consenting member i's part of repurchase and churn. */
static void kpi_consenting(pt_kpi *k, const pt_snapshot *s, size_t i, int32_t channel)
{
    int64_t in, before, prev, prev_before;
    count_orders(s, i, k->from, k->to, channel, &in, &before);
    count_orders(s, i, k->from - (k->to - k->from), k->from, channel, &prev, &prev_before);
    k->buyers += in >= 1;
    k->repeat_buyers += in >= 2;
    k->ever_buyers += before >= 1;
    k->ever_repeat += before >= 2;
    k->prev_active += prev >= 1;
    k->churned += prev >= 1 && in == 0;
}

int pt_metrics_kpi(pt_kpi *out, const pt_snapshot *s, int64_t from, int64_t to)
{
    const pt_kpi_slice all = {.group = NULL, .channel = -1};
    return pt_metrics_kpi_slice(out, s, from, to, &all);
}

int pt_metrics_kpi_slice(pt_kpi *out, const pt_snapshot *s, int64_t from, int64_t to, const pt_kpi_slice *sl)
{
    memset(out, 0, sizeof *out);
    if (to <= from || (sl->channel >= 0 && !s->order_channel))
        return PT_EINVAL;
    out->from = from;
    out->to = to;
    for (size_t i = 0; i < s->nmembers; i++) {
        int use = pt_snapshot_member_use(s, i);
        if (use == PT_SNAP_MERGED || (sl->group && sl->group[i] != sl->g))
            continue;
        kpi_totals(out, s, i, sl->channel);
        if (use == PT_SNAP_USE)
            kpi_consenting(out, s, i, sl->channel);
        else if (s->member_registered_at[i] < to)
            *(use == PT_SNAP_ERASED ? &out->anonymous_erased : &out->anonymous_no_consent) += 1;
    }
    out->aov_cents = pt_metrics_div(out->revenue_cents, out->orders);
    out->frequency_x100 = pt_metrics_div(100 * out->orders, (int64_t)out->active);
    out->repurchase_bp = pt_metrics_bp((int64_t)out->repeat_buyers, (int64_t)out->buyers);
    out->repurchase_ever_bp = pt_metrics_bp((int64_t)out->ever_repeat, (int64_t)out->ever_buyers);
    out->churn_bp = pt_metrics_bp((int64_t)out->churned, (int64_t)out->prev_active);
    return PT_OK;
}

/* --- months --------------------------------------------------------------------------------- */
int pt_metrics_months(const char *zone, int64_t from, int64_t to, int extra, int64_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (to <= from || extra < 0 || extra > PT_COHORT_MONTHS_MAX || (to - from) / 86400 > PT_METRICS_MONTHS_MAX * 31)
        return PT_EINVAL;
    int64_t *b = malloc((PT_METRICS_MONTHS_MAX + PT_COHORT_MONTHS_MAX + 2) * sizeof *b);
    if (!b)
        return PT_ENOMEM;
    int rc = pt_tz_start_of(zone, PT_TZ_MONTH, from, &b[0]);
    size_t k = 0;
    while (rc == PT_OK && b[k] < to && k < PT_METRICS_MONTHS_MAX) { /* months starting before to */
        rc = pt_tz_add(zone, PT_TZ_MONTH, b[k], 1, &b[k + 1]);
        k++;
    }
    size_t months = k;
    if (rc == PT_OK && b[k] < to)
        rc = PT_EINVAL; /* more than PT_METRICS_MONTHS_MAX months */
    for (int e = 0; rc == PT_OK && e < extra; e++) {
        rc = pt_tz_add(zone, PT_TZ_MONTH, b[k], 1, &b[k + 1]);
        k++;
    }
    if (rc) {
        free(b);
        return rc;
    }
    *out = b;
    *n = months;
    return PT_OK;
}

/* metrics.h; also the month index of points_activity.c. */
long pt_metrics_bucket_of(const int64_t *b, size_t nb, int64_t t)
{
    if (nb < 2 || t < b[0] || t >= b[nb - 1])
        return -1;
    size_t lo = 0, hi = nb - 1; /* b[lo] ≤ t < b[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (b[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return (long)lo;
}

/* --- cohorts -------------------------------------------------------------------------------- */
/* The first paid order of member i, or −1. */
static long first_paid(const pt_snapshot *s, size_t i)
{
    for (size_t r = s->first[i]; r < s->first[i + 1]; r++)
        if (s->order_status[r] == PT_ORDER_PAID)
            return (long)r;
    return -1;
}

/* Adds consenting member i, whose first paid order is row r0, to cohort c (month index c of b). */
static void cohort_add(pt_cohorts *out, const pt_snapshot *s, size_t i, size_t r0, long c, const int64_t *b,
                       size_t nb, int64_t to)
{
    pt_cohort *h = &out->cohorts[c];
    h->size++;
    long last = 0; /* cell already counted for this member */
    for (size_t r = r0 + 1; r < s->first[i + 1] && s->order_at[r] < to; r++) {
        if (s->order_status[r] != PT_ORDER_PAID)
            continue;
        long k = pt_metrics_bucket_of(b, nb, s->order_at[r]) - c;
        if (k > out->months)
            break;
        if (k > last && k <= h->observed) {
            h->retained[k]++;
            last = k;
        }
    }
}

static void cohorts_observed(pt_cohorts *out, const int64_t *b, int64_t to)
{
    for (size_t c = 0; c < out->n; c++) {
        pt_cohort *h = &out->cohorts[c];
        h->month = b[c];
        while (h->observed < out->months && b[c + (size_t)h->observed + 2] <= to)
            h->observed++;
    }
}

int pt_metrics_cohorts(pt_cohorts *out, const pt_snapshot *s, const char *zone, int64_t from, int64_t to,
                       int months)
{
    memset(out, 0, sizeof *out);
    if (months < 1 || months > PT_COHORT_MONTHS_MAX)
        return PT_EINVAL;
    int64_t *b;
    size_t n;
    int rc = pt_metrics_months(zone, from, to, months, &b, &n);
    if (rc)
        return rc;
    out->cohorts = calloc(n, sizeof *out->cohorts);
    if (!out->cohorts) {
        free(b);
        return PT_ENOMEM;
    }
    out->n = n;
    out->months = months;
    cohorts_observed(out, b, to);
    size_t nb = n + (size_t)months + 1;
    for (size_t i = 0; i < s->nmembers; i++) {
        int use = pt_snapshot_member_use(s, i);
        long r0 = use == PT_SNAP_MERGED ? -1 : first_paid(s, i);
        long c = r0 < 0 || s->order_at[r0] >= to ? -1 : pt_metrics_bucket_of(b, n + 1, s->order_at[r0]);
        if (c < 0)
            continue;
        if (use != PT_SNAP_USE)
            out->anonymous++;
        else
            cohort_add(out, s, i, (size_t)r0, c, b, nb, to);
    }
    free(b);
    return PT_OK;
}

void pt_metrics_cohorts_free(pt_cohorts *c)
{
    free(c->cohorts);
    memset(c, 0, sizeof *c);
}

/* --- NPS ------------------------------------------------------------------------------------ */
static void nps_answer(pt_nps *o, int use, int32_t score)
{
    if (use == PT_SNAP_MERGED)
        o->merged_away++;
    else if (use != PT_SNAP_USE)
        o->anonymous++;
    else if (score < 0 || score > 10)
        o->out_of_range++;
    else {
        o->answers++;
        o->promoters += score >= 9;
        o->passives += score == 7 || score == 8;
        o->detractors += score <= 6;
    }
}

int pt_metrics_nps(pt_nps *out, const pt_snapshot *s, const char *name, int64_t from, int64_t to)
{
    return pt_metrics_nps_slice(out, s, name, from, to, NULL, 0);
}

int pt_metrics_nps_slice(pt_nps *out, const pt_snapshot *s, const char *name, int64_t from, int64_t to,
                         const int32_t *group, int32_t g)
{
    memset(out, 0, sizeof *out);
    out->nps_x100 = PT_METRICS_NONE;
    if (to <= from)
        return PT_EINVAL;
    int kind = s->survey_first ? pt_snapshot_survey_kind(s, name) : -1;
    if (kind < 0)
        return PT_OK;
    for (size_t i = 0; i < s->nmembers; i++) {
        if (group && group[i] != g)
            continue;
        int use = pt_snapshot_member_use(s, i);
        size_t before = out->answers;
        for (size_t r = s->survey_first[i]; r < s->survey_first[i + 1]; r++)
            if (s->survey_kind[r] == kind && s->survey_at[r] >= from && s->survey_at[r] < to)
                nps_answer(out, use, s->survey_score[r]);
        out->respondents += out->answers > before;
    }
    out->nps_x100 = pt_metrics_bp((int64_t)out->promoters - (int64_t)out->detractors, (int64_t)out->answers);
    return PT_OK;
}

/* --- trends --------------------------------------------------------------------------------- */
/* Member i's registration and paid orders into the month rows t[0..n−1] (b: n + 1 instants). */
static void trend_member(pt_trend_month *t, size_t n, const int64_t *b, const pt_snapshot *s, size_t i,
                         size_t *before)
{
    long m = pt_metrics_bucket_of(b, n + 1, s->member_registered_at[i]);
    if (m >= 0)
        t[m].members_new++;
    else if (s->member_registered_at[i] < b[0])
        ++*before;
    long last = -1;
    for (size_t r = s->first[i]; r < s->first[i + 1]; r++) {
        if (s->order_status[r] != PT_ORDER_PAID)
            continue;
        long j = pt_metrics_bucket_of(b, n + 1, s->order_at[r]);
        if (j < 0)
            continue;
        t[j].orders++;
        t[j].revenue_cents += s->order_cents[r];
        t[j].active += j != last;
        last = j;
    }
}

int pt_metrics_trends(pt_trend_month **out, size_t *nout, const pt_snapshot *s, const char *zone, int64_t from,
                      int64_t to)
{
    *out = NULL;
    *nout = 0;
    int64_t *b;
    size_t n;
    int rc = pt_metrics_months(zone, from, to, 0, &b, &n);
    if (rc)
        return rc;
    pt_trend_month *t = calloc(n, sizeof *t);
    if (!t) {
        free(b);
        return PT_ENOMEM;
    }
    size_t members = 0;
    for (size_t i = 0; i < s->nmembers; i++)
        if (pt_snapshot_member_use(s, i) != PT_SNAP_MERGED)
            trend_member(t, n, b, s, i, &members);
    for (size_t j = 0; j < n; j++) {
        t[j].month = b[j];
        members += t[j].members_new;
        t[j].members = members;
        t[j].aov_cents = pt_metrics_div(t[j].revenue_cents, t[j].orders);
    }
    free(b);
    *out = t;
    *nout = n;
    return PT_OK;
}

/* --- points liability and tiers ------------------------------------------------------------- */
int pt_metrics_points(pt_points_tiers *out, const pt_snapshot *s)
{
    memset(out, 0, sizeof *out);
    if (!s->has_accounts)
        return PT_ENOTFOUND;
    out->members_per_tier = calloc(s->ntier_names + 1, sizeof *out->members_per_tier);
    if (!out->members_per_tier)
        return PT_ENOMEM;
    out->ntiers = s->ntier_names;
    for (size_t i = 0; i < s->nmembers; i++) {
        if (pt_snapshot_member_use(s, i) == PT_SNAP_MERGED)
            continue;
        int64_t bal = s->member_points[i];
        out->liability_points += bal > 0 ? bal : 0;
        out->overdrawn_points += bal < 0 ? -bal : 0;
        out->pending_points += s->member_pending[i];
        int32_t t = s->member_tier[i];
        out->members_per_tier[t >= 0 ? (size_t)t : s->ntier_names]++;
        out->holders += bal > 0;
    }
    return PT_OK;
}

void pt_metrics_points_free(pt_points_tiers *p)
{
    free(p->members_per_tier);
    memset(p, 0, sizeof *p);
}

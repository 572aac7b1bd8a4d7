/* test_metrics.c — loyalty KPIs, cohorts, NPS and trends over hand-built snapshots, every
 * expected number worked out by hand in the comments: both repurchase rates, churn, AOV
 * rounding, frequency, the consent populations, a cohort matrix whose members sit on both sides
 * of a month boundary that differs between UTC and Asia/Shanghai, NPS from 10 answers, points
 * liability and tiers; then the survey and account column streams on both backends, and
 * `patron kpi|cohorts|nps|trends` on a small demo. */
#include "test.h"
#include "helpers.h"
#include "patron/error.h"
#include "patron/metrics.h"
#include "patron/snapshot.h"
#include "patron/store.h"
#include "patron/store_ledger.h"
#include "patron/types.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY       86400
#define ANALYTICS PT_CONSENT_BIT(PT_CONSENT_ANALYTICS)
#define F         ((int64_t)1740787200) /* 2025-03-01T00:00Z */
#define T         ((int64_t)1743465600) /* 2025-04-01T00:00Z; L = T − F = 31 days */
#define REG       ((int64_t)1704067200) /* 2024-01-01T00:00Z, the default registration */

/* --- hand-built snapshots -------------------------------------------------------------------- */
struct fx_order {
    int64_t at;
    int64_t cents;
    int     status; /* 0 = paid */
};
struct fx_answer {
    int64_t     at;
    int         score;
    const char *survey; /* NULL = "nps" */
};
struct fx_member {
    int64_t          id;
    int              status; /* 0 = active */
    uint32_t         consent;
    int64_t          merged_into;
    int64_t          registered; /* 0 = REG */
    int              n, na;
    struct fx_order  o[6];  /* oldest first */
    struct fx_answer a[3];  /* oldest first */
};

/* The survey name's index, interned in the snapshot. */
static int32_t fx_kind(pt_snapshot *s, const char *name)
{
    int k = pt_snapshot_survey_kind(s, name);
    if (k >= 0)
        return k;
    snprintf(s->survey_names[s->nsurvey_names], PT_LABEL_MAX, "%s", name);
    return (int32_t)s->nsurvey_names++;
}

static void fx_member_rows(pt_snapshot *s, const struct fx_member *m, size_t i)
{
    s->member_id[i] = m->id;
    s->member_registered_at[i] = m->registered ? m->registered : REG;
    s->member_status[i] = m->status ? m->status : PT_MEMBER_ACTIVE;
    s->member_consent[i] = m->consent;
    s->member_merged_into[i] = m->merged_into;
    s->first[i] = s->norders;
    s->survey_first[i] = s->nsurveys;
    for (int k = 0; k < m->n; k++, s->norders++) {
        s->order_at[s->norders] = m->o[k].at;
        s->order_cents[s->norders] = m->o[k].cents ? m->o[k].cents : 1000;
        s->order_status[s->norders] = m->o[k].status ? m->o[k].status : PT_ORDER_PAID;
    }
    for (int k = 0; k < m->na; k++, s->nsurveys++) {
        s->survey_at[s->nsurveys] = m->a[k].at;
        s->survey_score[s->nsurveys] = m->a[k].score;
        s->survey_kind[s->nsurveys] = fx_kind(s, m->a[k].survey ? m->a[k].survey : "nps");
    }
}

/* A snapshot owning malloc'd arrays (orders 1,000 cents unless given), freed by pt_snapshot_free. */
static pt_snapshot *fx_snapshot(const struct fx_member *m, size_t n)
{
    pt_snapshot *s = calloc(1, sizeof *s);
    size_t no = 0, na = 0;
    for (size_t i = 0; i < n; i++) {
        no += (size_t)m[i].n;
        na += (size_t)m[i].na;
    }
    s->nmembers = n;
    s->member_id = calloc(n + 1, sizeof *s->member_id);
    s->member_registered_at = calloc(n + 1, sizeof *s->member_registered_at);
    s->member_merged_into = calloc(n + 1, sizeof *s->member_merged_into);
    s->member_status = calloc(n + 1, sizeof *s->member_status);
    s->member_consent = calloc(n + 1, sizeof *s->member_consent);
    s->first = calloc(n + 1, sizeof *s->first);
    s->order_at = calloc(no + 1, sizeof *s->order_at);
    s->order_cents = calloc(no + 1, sizeof *s->order_cents);
    s->order_status = calloc(no + 1, sizeof *s->order_status);
    s->survey_first = calloc(n + 1, sizeof *s->survey_first);
    s->survey_at = calloc(na + 1, sizeof *s->survey_at);
    s->survey_score = calloc(na + 1, sizeof *s->survey_score);
    s->survey_kind = calloc(na + 1, sizeof *s->survey_kind);
    s->survey_names = calloc(8, sizeof *s->survey_names);
    for (size_t i = 0; i < n; i++)
        fx_member_rows(s, &m[i], i);
    s->first[n] = s->norders;
    s->survey_first[n] = s->nsurveys;
    return s;
}

#define AT(d, c)      {F + (int64_t)(d) * DAY, c, 0}
#define REFUND(d, c)  {F + (int64_t)(d) * DAY, c, PT_ORDER_REFUNDED}

/* The KPI fixture: period P = [F, T) = March 2025 (UTC), L = 31 days, so the previous period is
 * [F − 31 d, F) = 2025-01-29 .. 2025-02-28. Day offsets are from F; amounts in cents.
 *  1 consenting: prev −19 (1000); P +2 (1000), +20 (2001)     buyer, repeat; prev active; ever 3
 *  2 consenting: −200 (1000); P +5 (999)                       buyer; ever 2
 *  3 consenting: P +3 (1000) paid, +4 (5000) refunded          buyer, not repeat (refund left out); ever 1
 *  4 consenting: prev −28 (= 2025-02-01, 1000); +35 (after T)  prev active, churned; ever 1 (+35 is after T)
 *  5 consenting: prev −9 (1000); P +1 (3000)                   prev active, not churned; buyer; ever 2
 *  6 consenting, registered +9, no orders                      new
 *  7 no consent, registered +4: P +6 (500), +7 (500)           new, active (totals only)
 *  8 erased: prev −14 (1000)                                   totals only; not in churn
 *  9 merged into 1                                             nowhere
 * 10 consenting, registered +32 (after T)                      not a member of P
 * 11 consenting, no orders                                     member
 * Totals (not merged, registered before T): members 9 (1–8, 11); new 2 (6, 7); active 5
 * (1, 2, 3, 5, 7); orders 7; revenue 1000 + 2001 + 999 + 1000 + 3000 + 500 + 500 = 9,000;
 * AOV 9000 / 7 = 1285.71 → 1,286 (floor would say 1,285); frequency 7 / 5 = 1.40 → 140;
 * anonymous: 1 without consent (7), 1 erased (8).
 * Consenting: buyers 4 (1, 2, 3, 5), repeat 1 (1) → 2,500 bp; ever buyers 5 (1–5), ever repeat
 * 3 (1, 2, 5) → 6,000 bp; previous-period active 3 (1, 4, 5), churned 1 (4) → 1/3 = 3,333 bp. */
static pt_snapshot *kpi_fixture(void)
{
    static const struct fx_member m[11] = {
        {.id = 1, .consent = ANALYTICS, .n = 3, .o = {AT(-19, 1000), AT(2, 1000), AT(20, 2001)}},
        {.id = 2, .consent = ANALYTICS, .n = 2, .o = {AT(-200, 1000), AT(5, 999)}},
        {.id = 3, .consent = ANALYTICS, .n = 2, .o = {AT(3, 1000), REFUND(4, 5000)}},
        {.id = 4, .consent = ANALYTICS, .n = 2, .o = {AT(-28, 1000), AT(35, 1000)}},
        {.id = 5, .consent = ANALYTICS, .n = 2, .o = {AT(-9, 1000), AT(1, 3000)}},
        {.id = 6, .consent = ANALYTICS, .registered = F + 9 * DAY},
        {.id = 7, .consent = PT_CONSENT_BIT(PT_CONSENT_SMS), .registered = F + 4 * DAY, .n = 2,
         .o = {AT(6, 500), AT(7, 500)}},
        {.id = 8, .status = PT_MEMBER_ERASED, .consent = ANALYTICS, .n = 1, .o = {AT(-14, 1000)}},
        {.id = 9, .consent = ANALYTICS, .merged_into = 1},
        {.id = 10, .consent = ANALYTICS, .registered = F + 32 * DAY},
        {.id = 11, .consent = ANALYTICS},
    };
    return fx_snapshot(m, 11);
}

TEST(metrics_rates_round_to_the_nearest_with_halves_away_from_zero)
{
    ASSERT_EQ(pt_metrics_div(10, 4), 3);    /* 2.5 → 3 */
    ASSERT_EQ(pt_metrics_div(9, 4), 2);     /* 2.25 → 2 */
    ASSERT_EQ(pt_metrics_div(-10, 4), -3);  /* −2.5 → −3 */
    ASSERT_EQ(pt_metrics_div(7, 0), PT_METRICS_NONE);
    ASSERT_EQ(pt_metrics_bp(1, 3), 3333);   /* 3333.33 */
    ASSERT_EQ(pt_metrics_bp(2, 3), 6667);   /* 6666.67 */
    ASSERT_EQ(pt_metrics_bp(1, 8), 1250);
    ASSERT_EQ(pt_metrics_bp(1, 20000), 1);  /* 0.5 bp → 1 */
    ASSERT_EQ(pt_metrics_bp(-1, 3), -3333);
    ASSERT_EQ(pt_metrics_bp(0, 0), PT_METRICS_NONE);
}

TEST(metrics_kpis_count_totals_for_everyone_and_rates_for_consenting_members)
{
    pt_snapshot *s = kpi_fixture();
    pt_kpi k;
    ASSERT_EQ(pt_metrics_kpi(&k, s, F, T), PT_OK);
    ASSERT_EQ(k.members, 9);
    ASSERT_EQ(k.members_new, 2);
    ASSERT_EQ(k.active, 5);
    ASSERT_EQ(k.orders, 7);
    ASSERT_EQ(k.revenue_cents, 9000);
    ASSERT_EQ(k.aov_cents, 1286);
    ASSERT_EQ(k.frequency_x100, 140);
    ASSERT_EQ(k.anonymous_no_consent, 1);
    ASSERT_EQ(k.anonymous_erased, 1);
    ASSERT_EQ(k.buyers, 4);
    ASSERT_EQ(k.repeat_buyers, 1);
    ASSERT_EQ(k.repurchase_bp, 2500);
    ASSERT_EQ(k.ever_buyers, 5);
    ASSERT_EQ(k.ever_repeat, 3);
    ASSERT_EQ(k.repurchase_ever_bp, 6000);
    ASSERT_EQ(k.prev_active, 3);
    ASSERT_EQ(k.churned, 1);
    ASSERT_EQ(k.churn_bp, 3333);
    ASSERT_EQ(pt_metrics_kpi(&k, s, F, F), PT_EINVAL);
    pt_snapshot_free(s);
}

/* Slices of the KPI fixture (`patron kpi --by`). Channels: app (0) for the March orders of 1
 * (+2), 2 (+5) and 7 (+6), store (1) for every other order.
 *  app:   active 1, 2, 7 → 3; orders 3; revenue 1000 + 999 + 500 = 2,499; buyers 1, 2; no
 *         repeat → 0 bp; nobody bought in the app the period before → churn has no rate;
 *         ever buyers 2, ever repeat 0. Members and new are everyone's: 9 and 2.
 *  store: active 1 (+20), 3, 5, 7 (+7) → 4; orders 4; revenue 2001 + 1000 + 3000 + 500 = 6,501;
 *         buyers 1, 3, 5; previous-period store buyers 1, 4, 5 (8 is erased) → churned 4 → 3,333 bp;
 *         ever buyers 1–5, ever repeat 1 and 5 → 4,000 bp.
 *  group by index parity, group 0 = ids 1, 3, 5, 7, 9, 11: members 5 (9 is merged away), new 1
 *         (7), active 1, 3, 5, 7 → 4, orders 6, revenue 1000 + 2001 + 1000 + 3000 + 500 + 500. */
TEST(metrics_kpi_slices_count_one_channel_or_one_group_as_if_alone)
{
    pt_snapshot *s = kpi_fixture();
    s->order_channel = calloc(s->norders + 1, sizeof *s->order_channel);
    ASSERT(s->order_channel);
    for (size_t r = 0; r < s->norders; r++)
        s->order_channel[r] = 1;
    s->order_channel[1] = s->order_channel[4] = s->order_channel[11] = 0;
    pt_kpi k;
    pt_kpi_slice app = {.group = NULL, .channel = 0}, store = {.group = NULL, .channel = 1};
    ASSERT_OK(pt_metrics_kpi_slice(&k, s, F, T, &app));
    ASSERT_EQ(k.members, 9);
    ASSERT_EQ(k.members_new, 2);
    ASSERT_EQ(k.active, 3);
    ASSERT_EQ(k.orders, 3);
    ASSERT_EQ(k.revenue_cents, 2499);
    ASSERT_EQ(k.buyers, 2);
    ASSERT_EQ(k.repurchase_bp, 0);
    ASSERT_EQ(k.prev_active, 0);
    ASSERT_EQ(k.churn_bp, PT_METRICS_NONE);
    ASSERT_EQ(k.ever_buyers, 2);
    ASSERT_OK(pt_metrics_kpi_slice(&k, s, F, T, &store));
    ASSERT_EQ(k.active, 4);
    ASSERT_EQ(k.orders, 4);
    ASSERT_EQ(k.revenue_cents, 6501);
    ASSERT_EQ(k.buyers, 3);
    ASSERT_EQ(k.prev_active, 3);
    ASSERT_EQ(k.churned, 1);
    ASSERT_EQ(k.churn_bp, 3333);
    ASSERT_EQ(k.ever_buyers, 5);
    ASSERT_EQ(k.repurchase_ever_bp, 4000);
    int32_t parity[11];
    for (int i = 0; i < 11; i++)
        parity[i] = i % 2;
    pt_kpi_slice even = {.group = parity, .g = 0, .channel = -1};
    ASSERT_OK(pt_metrics_kpi_slice(&k, s, F, T, &even));
    ASSERT_EQ(k.members, 5);
    ASSERT_EQ(k.members_new, 1);
    ASSERT_EQ(k.active, 4);
    ASSERT_EQ(k.orders, 6);
    ASSERT_EQ(k.revenue_cents, 8001);
    free(s->order_channel);
    s->order_channel = NULL;
    ASSERT_EQ(pt_metrics_kpi_slice(&k, s, F, T, &app), PT_EINVAL); /* no channels in the snapshot */
    pt_snapshot_free(s);
}

/* An empty period: no orders, so AOV, frequency and every rate have no denominator.
 * [F + 40 d, F + 41 d): nobody bought; previous day neither. */
TEST(metrics_kpis_without_orders_report_no_rate_rather_than_zero)
{
    pt_snapshot *s = kpi_fixture();
    pt_kpi k;
    ASSERT_EQ(pt_metrics_kpi(&k, s, F + 40 * DAY, F + 41 * DAY), PT_OK);
    ASSERT_EQ(k.orders, 0);
    ASSERT_EQ(k.aov_cents, PT_METRICS_NONE);
    ASSERT_EQ(k.frequency_x100, PT_METRICS_NONE);
    ASSERT_EQ(k.repurchase_bp, PT_METRICS_NONE);
    ASSERT_EQ(k.churn_bp, PT_METRICS_NONE);
    ASSERT_EQ(k.members, 10); /* 10 registered at F + 32 d is a member now */
    pt_snapshot_free(s);
}

/* Trends over [2025-02-01, 2025-04-01) in UTC on the KPI fixture: two months.
 * February: members registered before 03-01, not merged: 1–5, 8, 11 = 7; new 0; paid orders
 *   1 (−19), 4 (−28 = 02-01 00:00, the month's first second), 5 (−9), 8 (−14): active 4,
 *   orders 4, revenue 4,000, AOV 1,000.
 * March: members 9 (6, 7 joined), new 2, active 5, orders 7, revenue 9,000, AOV 1,286. */
TEST(metrics_trends_give_one_row_per_month)
{
    pt_snapshot *s = kpi_fixture();
    pt_trend_month *t = NULL;
    size_t n = 0;
    ASSERT_EQ(pt_metrics_trends(&t, &n, s, "UTC", F - 28 * DAY, T), PT_OK);
    ASSERT_EQ(n, 2);
    ASSERT_EQ(t[0].month, F - 28 * DAY);
    ASSERT_EQ(t[0].members, 7);
    ASSERT_EQ(t[0].members_new, 0);
    ASSERT_EQ(t[0].active, 4);
    ASSERT_EQ(t[0].orders, 4);
    ASSERT_EQ(t[0].revenue_cents, 4000);
    ASSERT_EQ(t[0].aov_cents, 1000);
    ASSERT_EQ(t[1].month, F);
    ASSERT_EQ(t[1].members, 9);
    ASSERT_EQ(t[1].members_new, 2);
    ASSERT_EQ(t[1].active, 5);
    ASSERT_EQ(t[1].orders, 7);
    ASSERT_EQ(t[1].revenue_cents, 9000);
    ASSERT_EQ(t[1].aov_cents, 1286);
    free(t);
    ASSERT_EQ(pt_metrics_trends(&t, &n, s, "Not/AZone", F, T), PT_EINVAL);
    ASSERT(t == NULL);
    pt_snapshot_free(s);
}

/* Points and tiers on the KPI fixture (index = id − 1), tiers {gold, silver}:
 *   1: 500 points, 50 pending, gold     2: −30 (overdrawn), silver     5: gold
 *   8 (erased): 200 points              9 (merged away): 1,000, gold → left out entirely
 * liability 500 + 200 = 700; pending 50; overdrawn 30; holders 2 (1, 8); gold 2 (1, 5),
 * silver 1 (2), no tier 10 − 3 = 7 (11 members, 9 merged away). */
TEST(metrics_points_liability_and_tier_distribution_leave_out_merged_members)
{
    pt_snapshot *s = kpi_fixture();
    pt_points_tiers p;
    ASSERT_EQ(pt_metrics_points(&p, s), PT_ENOTFOUND); /* no accounts loaded */
    s->has_accounts = 1;
    s->member_points = calloc(11, sizeof *s->member_points);
    s->member_pending = calloc(11, sizeof *s->member_pending);
    s->member_tier = malloc(11 * sizeof *s->member_tier);
    s->tier_names = calloc(2, sizeof *s->tier_names);
    for (int i = 0; i < 11; i++)
        s->member_tier[i] = -1;
    snprintf(s->tier_names[0], PT_LABEL_MAX, "gold");
    snprintf(s->tier_names[1], PT_LABEL_MAX, "silver");
    s->ntier_names = 2;
    s->member_points[0] = 500;
    s->member_pending[0] = 50;
    s->member_tier[0] = 0;
    s->member_points[1] = -30;
    s->member_tier[1] = 1;
    s->member_tier[4] = 0;
    s->member_points[7] = 200;
    s->member_points[8] = 1000;
    s->member_tier[8] = 0;
    ASSERT_EQ(pt_metrics_points(&p, s), PT_OK);
    ASSERT_EQ(p.liability_points, 700);
    ASSERT_EQ(p.pending_points, 50);
    ASSERT_EQ(p.overdrawn_points, 30);
    ASSERT_EQ(p.holders, 2);
    ASSERT_EQ(p.ntiers, 2);
    ASSERT_EQ(p.members_per_tier[0], 2);
    ASSERT_EQ(p.members_per_tier[1], 1);
    ASSERT_EQ(p.members_per_tier[2], 7);
    pt_metrics_points_free(&p);
    pt_snapshot_free(s);
}

/* --- cohorts in Asia/Shanghai (UTC+8, no DST) --------------------------------------------------
 * Local month starts in UTC: Jan 1 = 2024-12-31T16:00Z, Feb 1 = 01-31T16:00Z, Mar 1 =
 * 02-28T16:00Z, Apr 1 = 03-31T16:00Z, May 1 = 04-30T16:00Z. Range [Jan 1, May 1) local, 3
 * cells: cohorts Jan, Feb, Mar, Apr; observed = complete months by May 1: Jan 3, Feb 2, Mar 1,
 * Apr 0. */
#define SH_JAN ((int64_t)1735660800)
#define SH_FEB ((int64_t)1738339200)
#define SH_MAR ((int64_t)1740758400)
#define SH_APR ((int64_t)1743436800)
#define SH_MAY ((int64_t)1746028800)
#define P(t)   {t, 1000, 0}

/* a Jan 10; Feb 5, Feb 20 (one cell), Apr 3          → Jan; +1, +3
 * b 01-31T16:30Z = Feb 1 00:30 local (Jan in UTC); Mar 15 → Feb; +1
 * c 01-31T15:30Z = Jan 31 23:30 local; Mar 2          → Jan; +2
 * d Dec 20 2024; Jan 12                                → before the range: no cohort
 * e Jan 15 refunded; Feb 10 paid                       → Feb (first paid order); nothing after
 * f no consent, Jan 5                                  → anonymous
 * g Mar 3; Apr 10                                      → Mar; +1
 * h Jan 20; 04-30T20:00Z = May 1 04:00 local (April in UTC, after `to`) → Jan; nothing
 * i erased, Feb 2                                      → anonymous
 * j Apr 5                                              → Apr; no observed cell
 * Matrix: Jan size 3 (a, c, h): [1] 1 (a), [2] 1 (c), [3] 1 (a); Feb size 2 (b, e): [1] 1 (b),
 * [2] 0; Mar size 1 (g): [1] 1; Apr size 1 (j). Anonymous 2 (f, i). In UTC, b would be in the
 * January cohort and h's last order in January's +3. */
static pt_snapshot *cohort_fixture(void)
{
    const int64_t d = DAY;
    const struct fx_member m[10] = {
        {.id = 1, .consent = ANALYTICS, .n = 4,
         .o = {P(SH_JAN + 9 * d), P(SH_FEB + 4 * d), P(SH_FEB + 19 * d), P(SH_APR + 2 * d)}},
        {.id = 2, .consent = ANALYTICS, .n = 2, .o = {P(SH_FEB + 1800), P(SH_MAR + 14 * d)}},
        {.id = 3, .consent = ANALYTICS, .n = 2, .o = {P(SH_FEB - 1800), P(SH_MAR + 1 * d)}},
        {.id = 4, .consent = ANALYTICS, .n = 2, .o = {P(SH_JAN - 12 * d), P(SH_JAN + 11 * d)}},
        {.id = 5, .consent = ANALYTICS, .n = 2,
         .o = {{SH_JAN + 14 * d, 1000, PT_ORDER_REFUNDED}, P(SH_FEB + 9 * d)}},
        {.id = 6, .consent = 0, .n = 1, .o = {P(SH_JAN + 4 * d)}},
        {.id = 7, .consent = ANALYTICS, .n = 2, .o = {P(SH_MAR + 2 * d), P(SH_APR + 9 * d)}},
        {.id = 8, .consent = ANALYTICS, .n = 2, .o = {P(SH_JAN + 19 * d), P(SH_MAY + 4 * 3600)}},
        {.id = 9, .status = PT_MEMBER_ERASED, .consent = ANALYTICS, .n = 1, .o = {P(SH_FEB + 1 * d)}},
        {.id = 10, .consent = ANALYTICS, .n = 1, .o = {P(SH_APR + 4 * d)}},
    };
    return fx_snapshot(m, 10);
}

TEST(metrics_cohort_matrix_uses_local_months_in_asia_shanghai)
{
    pt_snapshot *s = cohort_fixture();
    pt_cohorts c;
    ASSERT_EQ(pt_metrics_cohorts(&c, s, "Asia/Shanghai", SH_JAN, SH_MAY, 3), PT_OK);
    ASSERT_EQ(c.n, 4);
    ASSERT_EQ(c.months, 3);
    ASSERT_EQ(c.anonymous, 2);
    static const int64_t month[4] = {SH_JAN, SH_FEB, SH_MAR, SH_APR};
    static const size_t size[4] = {3, 2, 1, 1};
    static const int observed[4] = {3, 2, 1, 0};
    static const size_t cell[4][4] = {{3, 1, 1, 1}, {2, 1, 0, 0}, {1, 1, 0, 0}, {1, 0, 0, 0}};
    for (int k = 0; k < 4; k++) {
        ASSERT_EQ(c.cohorts[k].month, month[k]);
        ASSERT_EQ(c.cohorts[k].size, size[k]);
        ASSERT_EQ(c.cohorts[k].observed, observed[k]);
        for (int j = 1; j <= 3; j++)
            ASSERT_EQ(c.cohorts[k].retained[j], cell[k][j]);
    }
    pt_metrics_cohorts_free(&c);
    ASSERT_EQ(pt_metrics_cohorts(&c, s, "Asia/Shanghai", SH_JAN, SH_MAY, 0), PT_EINVAL);
    ASSERT_EQ(pt_metrics_cohorts(&c, s, "Asia/Shanghai", SH_MAY, SH_JAN, 3), PT_EINVAL);
    pt_snapshot_free(s);
}

/* The same data with UTC months over [2025-01-01, 2025-05-01) UTC: b's first order
 * (01-31T16:30Z) is now January, so the January cohort is a, b, c, h = 4 and February only e;
 * h's 04-30T20:00Z order is before `to` (05-01T00:00Z) and in April. Jan: [1] a (Feb 4) = 1,
 * [2] b (Mar 14), c (Mar 1) = 2, [3] a (Apr 2), h (Apr 30) = 2. */
TEST(metrics_cohort_matrix_moves_members_across_the_boundary_in_utc)
{
    pt_snapshot *s = cohort_fixture();
    pt_cohorts c;
    ASSERT_EQ(pt_metrics_cohorts(&c, s, "UTC", 1735689600, 1746057600, 3), PT_OK); /* 2025-01-01 .. 05-01 */
    ASSERT_EQ(c.n, 4);
    ASSERT_EQ(c.cohorts[0].size, 4);
    ASSERT_EQ(c.cohorts[0].retained[1], 1);
    ASSERT_EQ(c.cohorts[0].retained[2], 2);
    ASSERT_EQ(c.cohorts[0].retained[3], 2);
    ASSERT_EQ(c.cohorts[1].size, 1);
    pt_metrics_cohorts_free(&c);
    pt_snapshot_free(s);
}

/* --- NPS ---------------------------------------------------------------------------------------
 * Survey "nps" in [F, T), 10 consenting answers over 8 members:
 *   scores 10, 9, 9, 10, 9 (promoters 5) · 8, 7 (passives 2) · 6, 5, 0 (detractors 3)
 *   NPS = 50 % − 30 % = 20 → nps_x100 2,000; respondents 8 (members 1 and 2 answer twice).
 * Left out: member 9 without consent (0) → anonymous 1; member 10 merged away (10) → merged 1;
 * member 8's 11 → out of range 1; member 1's "csat" 3 and member 3's answer before F don't count. */
static pt_snapshot *nps_fixture(void)
{
    const int64_t d = DAY;
    const struct fx_member m[10] = {
        {.id = 1, .consent = ANALYTICS, .na = 3, .a = {{F + d, 10, NULL}, {F + 2 * d, 3, "csat"}, {F + 3 * d, 9, NULL}}},
        {.id = 2, .consent = ANALYTICS, .na = 2, .a = {{F + d, 9, NULL}, {F + 5 * d, 6, NULL}}},
        {.id = 3, .consent = ANALYTICS, .na = 2, .a = {{F - d, 0, NULL}, {F + d, 10, NULL}}},
        {.id = 4, .consent = ANALYTICS, .na = 1, .a = {{F + d, 9, NULL}}},
        {.id = 5, .consent = ANALYTICS, .na = 1, .a = {{F + d, 8, NULL}}},
        {.id = 6, .consent = ANALYTICS, .na = 1, .a = {{F + d, 7, NULL}}},
        {.id = 7, .consent = ANALYTICS, .na = 1, .a = {{F + d, 5, NULL}}},
        {.id = 8, .consent = ANALYTICS, .na = 2, .a = {{F + d, 0, NULL}, {F + 2 * d, 11, NULL}}},
        {.id = 9, .consent = PT_CONSENT_BIT(PT_CONSENT_EMAIL), .na = 1, .a = {{F + d, 0, NULL}}},
        {.id = 10, .consent = ANALYTICS, .merged_into = 1, .na = 1, .a = {{F + d, 10, NULL}}},
    };
    return fx_snapshot(m, 10);
}

TEST(metrics_nps_counts_promoters_passives_and_detractors_of_consenting_members)
{
    pt_snapshot *s = nps_fixture();
    pt_nps n;
    ASSERT_EQ(pt_metrics_nps(&n, s, "nps", F, T), PT_OK);
    ASSERT_EQ(n.answers, 10);
    ASSERT_EQ(n.promoters, 5);
    ASSERT_EQ(n.passives, 2);
    ASSERT_EQ(n.detractors, 3);
    ASSERT_EQ(n.respondents, 8);
    ASSERT_EQ(n.nps_x100, 2000);
    ASSERT_EQ(n.anonymous, 1);
    ASSERT_EQ(n.merged_away, 1);
    ASSERT_EQ(n.out_of_range, 1);
    /* csat: one answer, 3 → a detractor: NPS −100 */
    ASSERT_EQ(pt_metrics_nps(&n, s, "csat", F, T), PT_OK);
    ASSERT_EQ(n.answers, 1);
    ASSERT_EQ(n.nps_x100, -10000);
    /* a survey nobody answered */
    ASSERT_EQ(pt_metrics_nps(&n, s, "ces", F, T), PT_OK);
    ASSERT_EQ(n.answers, 0);
    ASSERT_EQ(n.nps_x100, PT_METRICS_NONE);
    ASSERT_EQ(pt_metrics_nps(&n, s, "nps", T, F), PT_EINVAL);
    pt_snapshot_free(s);
}

/* The NPS fixture split into three groups (say tiers): members 1, 2, 9 → 0; 3, 4, 5, 10 → 1;
 * 6, 7, 8 → 2. Group 0: 10, 9, 9, 6 → 3 promoters, 1 detractor, NPS 50; member 9 anonymous.
 * Group 1: 10, 9, 8 → NPS 66.67 (2/3 rounded); member 10 merged away. Group 2: 7, 5, 0 and an 11 →
 * NPS −66.67, one out of range. The groups add up to the whole. */
TEST(metrics_nps_by_group_counts_each_group_and_adds_up_to_the_whole)
{
    pt_snapshot *s = nps_fixture();
    static const int32_t group[10] = {0, 0, 1, 1, 1, 2, 2, 2, 0, 1};
    static const struct {
        size_t  answers, promoters, passives, detractors, respondents, out_of_range, anonymous, merged;
        int64_t nps_x100;
    } want[3] = {{4, 3, 0, 1, 2, 0, 1, 0, 5000}, {3, 2, 1, 0, 3, 0, 0, 1, 6667}, {3, 0, 1, 2, 3, 1, 0, 0, -6667}};
    pt_nps all, n;
    ASSERT_EQ(pt_metrics_nps(&all, s, "nps", F, T), PT_OK);
    size_t answers = 0, detractors = 0;
    for (int32_t g = 0; g < 3; g++) {
        ASSERT_EQ(pt_metrics_nps_slice(&n, s, "nps", F, T, group, g), PT_OK);
        ASSERT_EQ(n.answers, want[g].answers);
        ASSERT_EQ(n.promoters, want[g].promoters);
        ASSERT_EQ(n.passives, want[g].passives);
        ASSERT_EQ(n.detractors, want[g].detractors);
        ASSERT_EQ(n.respondents, want[g].respondents);
        ASSERT_EQ(n.out_of_range, want[g].out_of_range);
        ASSERT_EQ(n.anonymous, want[g].anonymous);
        ASSERT_EQ(n.merged_away, want[g].merged);
        ASSERT_EQ(n.nps_x100, want[g].nps_x100);
        answers += n.answers;
        detractors += n.detractors;
    }
    ASSERT_EQ(answers, all.answers);
    ASSERT_EQ(detractors, all.detractors);
    /* a group nobody is in */
    ASSERT_EQ(pt_metrics_nps_slice(&n, s, "nps", F, T, group, 7), PT_OK);
    ASSERT_EQ(n.answers, 0);
    ASSERT_EQ(n.nps_x100, PT_METRICS_NONE);
    pt_snapshot_free(s);
}

/* --- the survey stream on both backends ---------------------------------------------------------- */
static int64_t add_member(pt_store *s, int i)
{
    pt_member_rec m;
    pt_member_rec_init(&m);
    m.status = PT_MEMBER_ACTIVE;
    m.registered_at = TEST_NOW;
    m.created_at = m.updated_at = TEST_NOW;
    snprintf(m.member_no, sizeof m.member_no, "V%05d", i);
    pt_buf_set(&m.provenance, "{}", 2);
    int rc = pt_store_member_insert(s, &m);
    int64_t id = rc ? -1 : m.id;
    pt_member_rec_free(&m);
    return id;
}

static int add_answer(pt_store *s, int64_t member, const char *survey, int64_t at, int score)
{
    pt_survey_rec r = {.member_id = member, .at = at, .score = score};
    snprintf(r.survey, sizeof r.survey, "%s", survey);
    snprintf(r.source, sizeof r.source, "t");
    return pt_store_survey_insert(s, &r);
}

/* The account stream: a has 120 points, 5 pending, tier 金卡; c 7 points and no tier; b no
 * account. */
BOTH_TEST(snapshot_loads_points_accounts_with_their_tiers)
{
    pt_store *s = test_store_open(be, "accounts", NULL);
    ASSERT(s);
    ASSERT_EQ(pt_store_begin(s), PT_OK);
    int64_t id[3];
    for (int k = 0; k < 3; k++) {
        id[k] = add_member(s, k);
        ASSERT_GT(id[k], 0);
    }
    pt_account_rec a = {.member_id = id[0], .balance = 120, .pending = 5, .updated_at = TEST_NOW};
    snprintf(a.tier, sizeof a.tier, "金卡");
    ASSERT_EQ(pt_store_account_insert(s, &a), PT_OK);
    a = (pt_account_rec){.member_id = id[2], .balance = 7, .updated_at = TEST_NOW};
    ASSERT_EQ(pt_store_account_insert(s, &a), PT_OK);
    ASSERT_EQ(pt_store_commit(s), PT_OK);
    pt_snapshot *snap = NULL;
    ASSERT_EQ(pt_snapshot_load(&snap, s, NULL, NULL), PT_OK);
    ASSERT(snap->has_accounts);
    static const int64_t points[3] = {120, 0, 7}, pending[3] = {5, 0, 0};
    static const int32_t tier[3] = {0, -1, -1};
    for (int k = 0; k < 3; k++) {
        ASSERT_EQ(snap->member_points[k], points[k]);
        ASSERT_EQ(snap->member_pending[k], pending[k]);
        ASSERT_EQ(snap->member_tier[k], tier[k]);
    }
    ASSERT_EQ(snap->ntier_names, 1);
    ASSERT_STR_EQ(snap->tier_names[0], "金卡");
    pt_points_tiers p;
    ASSERT_EQ(pt_metrics_points(&p, snap), PT_OK);
    ASSERT_EQ(p.liability_points, 127);
    ASSERT_EQ(p.members_per_tier[0], 1);
    ASSERT_EQ(p.members_per_tier[1], 2);
    pt_metrics_points_free(&p);
    pt_snapshot_free(snap);
    pt_store_close(s);
}

/* 3 members: a answers nps 9 at NOW−10 and then (inserted later, earlier in time) nps 3 at
 * NOW−20 and 满意度 (9 UTF-8 bytes) 7 at NOW−15; b nothing; c a 31-byte survey name (the
 * longest that fits) 10 at NOW. The snapshot: survey_first {0, 3, 3, 4}; a's answers by time
 * 3, 7, 9; names in order of first appearance in (member, time) order: nps, 满意度, the long one. */
BOTH_TEST(snapshot_loads_survey_answers_as_columns_by_member_then_time)
{
    pt_store *s = test_store_open(be, "surveys", NULL);
    ASSERT(s);
    static const char longname[] = "abcdefghijklmnopqrstuvwxyz01234";
    _Static_assert(sizeof longname == PT_LABEL_MAX, "the longest name");
    ASSERT_EQ(pt_store_begin(s), PT_OK);
    int64_t id[3];
    for (int k = 0; k < 3; k++) {
        id[k] = add_member(s, k);
        ASSERT_GT(id[k], 0);
    }
    ASSERT_EQ(add_answer(s, id[0], "nps", TEST_NOW - 10, 9), PT_OK);
    ASSERT_EQ(add_answer(s, id[2], longname, TEST_NOW, 10), PT_OK);
    ASSERT_EQ(add_answer(s, id[0], "nps", TEST_NOW - 20, 3), PT_OK);
    ASSERT_EQ(add_answer(s, id[0], "满意度", TEST_NOW - 15, 7), PT_OK);
    ASSERT_EQ(pt_store_commit(s), PT_OK);
    pt_snapshot *snap = NULL;
    ASSERT_EQ(pt_snapshot_load(&snap, s, NULL, NULL), PT_OK);
    ASSERT_EQ(snap->nsurveys, 4);
    static const size_t first[4] = {0, 3, 3, 4};
    for (int k = 0; k < 4; k++)
        ASSERT_EQ(snap->survey_first[k], first[k]);
    static const int32_t score[4] = {3, 7, 9, 10};
    static const int64_t ago[4] = {20, 15, 10, 0};
    static const int32_t kind[4] = {0, 1, 0, 2};
    for (int r = 0; r < 4; r++) {
        ASSERT_EQ(snap->survey_score[r], score[r]);
        ASSERT_EQ(snap->survey_at[r], TEST_NOW - ago[r]);
        ASSERT_EQ(snap->survey_kind[r], kind[r]);
    }
    ASSERT_EQ(snap->nsurvey_names, 3);
    ASSERT_STR_EQ(snap->survey_names[0], "nps");
    ASSERT_STR_EQ(snap->survey_names[1], "满意度");
    ASSERT_STR_EQ(snap->survey_names[2], longname);
    ASSERT_EQ(pt_snapshot_survey_kind(snap, "满意度"), 1);
    ASSERT_EQ(pt_snapshot_survey_kind(snap, "csat"), -1);
    pt_nps n;
    ASSERT_EQ(pt_metrics_nps(&n, snap, "nps", 0, TEST_NOW + 1), PT_OK);
    ASSERT_EQ(n.answers + n.anonymous, 2); /* test members have no analytics consent bit */
    ASSERT(snap->has_accounts); /* no accounts yet: zeros and no tier */
    for (int k = 0; k < 3; k++) {
        ASSERT_EQ(snap->member_points[k], 0);
        ASSERT_EQ(snap->member_tier[k], -1);
    }
    pt_snapshot_free(snap);
    pt_store_close(s);
}

/* --- the CLI --------------------------------------------------------------------------------- */
#define BIN pt_test_patron_bin()

static json_int_t jint(json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

/* Runs `patron ARGS --data DATA` and parses its JSON stdout; NULL on failure. */
static json_t *run_json(const char *args, const char *data)
{
    char *out = NULL;
    int st = pt_test_run(&out, "'%s' %s --data '%s'", BIN, args, data);
    json_error_t err;
    json_t *j = st == 0 && out ? json_loads(out, 0, &err) : NULL;
    if (!j)
        fprintf(stderr, "    `patron %s` exited %d: %.300s\n", args, st, out ? out : "");
    free(out);
    return j;
}

/* Every answer the demo imported is an NPS answer, so over all time the counts of `patron nps`
 * (kept, out of range, anonymous, merged away) add up to the store's survey rows. */
static void check_nps(const char *data, json_int_t survey_rows)
{
    json_t *j = run_json("nps --from 2000-01-01 --to 2100-01-01 --json", data);
    ASSERT(j);
    json_int_t answers = jint(j, "answers");
    ASSERT_GT(answers, 0);
    ASSERT_EQ(jint(j, "promoters") + jint(j, "passives") + jint(j, "detractors"), answers);
    ASSERT_EQ(answers + jint(j, "out_of_range") + jint(j, "anonymous") + jint(j, "merged_away"), survey_rows);
    /* nps_x100 is (promoters − detractors) · 10000 / answers to the nearest: within half an answer */
    json_int_t exact = (jint(j, "promoters") - jint(j, "detractors")) * 10000;
    json_int_t off = jint(j, "nps_x100") * answers - exact;
    ASSERT_LE(2 * (off < 0 ? -off : off), answers);
    /* by RFM segment: every member is in one group (or "(no segment)"), so the groups add up */
    json_t *by = run_json("nps --by segment --from 2000-01-01 --to 2100-01-01 --json", data);
    ASSERT(by);
    json_t *groups = json_object_get(by, "groups");
    ASSERT_GT(json_array_size(groups), 1);
    json_int_t sum = 0, anonymous = 0;
    for (size_t i = 0; i < json_array_size(groups); i++) {
        json_t *g = json_array_get(groups, i);
        ASSERT(json_is_string(json_object_get(g, "group")));
        sum += jint(g, "answers");
        anonymous += jint(g, "anonymous");
    }
    ASSERT_EQ(sum, answers);
    ASSERT_EQ(anonymous, jint(j, "anonymous"));
    json_decref(by);
    json_decref(j);
}

TEST(cli_kpi_cohorts_nps_and_trends_on_a_demo)
{
    char data[4200], *out = NULL;
    snprintf(data, sizeof data, "%s/d", pt_test_tmpdir());
    int st = pt_test_run(&out, "'%s' demo --members 400 --seed 5 --no-programme --data '%s' 2>&1", BIN, data);
    free(out);
    ASSERT_EQ(st, 0);
    json_t *ov = run_json("overview --json", data);
    ASSERT(ov);
    json_int_t surveys = jint(ov, "survey_answers");
    json_decref(ov);
    ASSERT_GT(surveys, 0);
    check_nps(data, surveys);

    json_t *j = run_json("kpi --from 2025-01-01 --to 2026-01-01 --json", data);
    ASSERT(j);
    json_t *cur = json_object_get(j, "period"), *prev = json_object_get(j, "previous");
    ASSERT(cur && prev);
    ASSERT_GT(jint(cur, "members"), 0);
    ASSERT_GE(jint(cur, "active"), jint(cur, "buyers"));
    ASSERT_GE(jint(cur, "buyers"), jint(cur, "repeat_buyers"));
    ASSERT_EQ(jint(prev, "to"), jint(cur, "from"));
    ASSERT(json_is_integer(json_object_get(json_object_get(j, "points"), "liability_points")));
    json_decref(j);

    j = run_json("cohorts --from 2025-01-01 --to 2026-01-01 --months 6 --json", data);
    ASSERT(j);
    json_t *rows = json_object_get(j, "cohorts");
    ASSERT_EQ(json_array_size(rows), 12);
    ASSERT_EQ(json_array_size(json_object_get(json_array_get(rows, 0), "retained")), 6);
    json_decref(j);

    j = run_json("trends --from 2025-01-01 --to 2026-01-01 --json", data);
    ASSERT(j);
    rows = json_object_get(j, "months");
    ASSERT_EQ(json_array_size(rows), 12);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(rows, 0), "month")), "2025-01");
    json_decref(j);

    ASSERT_EQ(pt_test_run(&out, "'%s' trends --csv --from 2025-01-01 --to 2025-03-01 --data '%s'", BIN, data), 0);
    static const char header[] = "month,members,new,active,orders,revenue_cents,aov_cents\n";
    ASSERT(strncmp(out, header, sizeof header - 1) == 0);
    free(out);
    ASSERT_EQ(pt_test_run(NULL, "'%s' cohorts --months 0 --data '%s' 2>/dev/null", BIN, data), 2);
    ASSERT_EQ(pt_test_run(NULL, "'%s' nps --by channel --data '%s' 2>/dev/null", BIN, data), 2);
    ASSERT_EQ(pt_test_run(NULL, "'%s' cohorts --by tier --data '%s' 2>/dev/null", BIN, data), 2);
    ASSERT_EQ(pt_test_run(NULL, "'%s' kpi --from 2025-02-01 --to 2025-01-01 --data '%s' 2>/dev/null", BIN, data), 2);
}

/* With the programme, `patron kpi` adds the period's points flows. Over all time every point the
 * ledger issued is redeemed, expired or still held: issued net of refunds + operator adjustments
 * − redeemed − expired = liability + pending − overdrawn (the demo settles no debt). */
TEST(cli_kpi_points_flow_accounts_for_every_point_issued_over_all_time)
{
    char data[4200], *out = NULL;
    snprintf(data, sizeof data, "%s/d", pt_test_tmpdir());
    int st = pt_test_run(&out, "'%s' demo --members 300 --seed 11 --data '%s' 2>&1", BIN, data);
    free(out);
    ASSERT_EQ(st, 0);
    json_t *j = run_json("kpi --from 2000-01-01 --to 2100-01-01 --json", data);
    ASSERT(j);
    json_t *f = json_object_get(j, "points_flow"), *p = json_object_get(j, "points");
    ASSERT(f && p);
    ASSERT_GT(jint(f, "issued"), 0);
    ASSERT_GT(jint(f, "earn_entries"), 0);
    ASSERT_EQ(jint(f, "issued_net"), jint(f, "issued") - jint(f, "reversed"));
    ASSERT_EQ(jint(f, "issued_net") + jint(f, "adjusted_in") - jint(f, "adjusted_out") - jint(f, "redeemed") -
                  jint(f, "expired"),
              jint(p, "liability_points") + jint(p, "pending_points") - jint(p, "overdrawn_points"));
    json_int_t rate = jint(f, "breakage_bp");
    ASSERT_EQ(rate, (jint(f, "expired") * 10000 + jint(f, "issued_net") / 2) / jint(f, "issued_net"));
    json_decref(j);
    /* a period before any activity: no points issued, so no rates (null, not zero) */
    j = run_json("kpi --from 2001-01-01 --to 2001-02-01 --json", data);
    ASSERT(j);
    f = json_object_get(j, "points_flow");
    ASSERT(f);
    ASSERT_EQ(jint(f, "issued"), 0);
    ASSERT(json_is_null(json_object_get(f, "redemption_rate_bp")));
    json_decref(j);
}

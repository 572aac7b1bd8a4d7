/* test_lifecycle.c — lifecycle stages over hand-built snapshots, every expected stage worked
 * out by hand in the comments: each stage, every threshold boundary to the second (inclusive on
 * the recent side), won back, thresholds derived from a small set of gaps (median and 90th
 * percentile by hand), month-end counts across a year boundary in Asia/Shanghai, the transition
 * matrix; then `patron lifecycle` and its counts/transitions on a small demo. */
#include "test.h"
#include "helpers.h"
#include "patron/error.h"
#include "patron/lifecycle.h"
#include "patron/snapshot.h"
#include "patron/types.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY       86400
#define ASOF      ((int64_t)TEST_NOW)
#define ANALYTICS PT_CONSENT_BIT(PT_CONSENT_ANALYTICS)

/* --- hand-built snapshots -------------------------------------------------------------------- */
struct fx_order {
    int64_t at;
    int     status; /* 0 = paid */
};
struct fx_member {
    int64_t         id;
    int             status;     /* 0 = active */
    uint32_t        consent;
    int64_t         merged_into;
    int64_t         registered; /* 0 = ASOF − 400 days */
    int             n;
    struct fx_order o[8];       /* oldest first */
};

/* A snapshot owning malloc'd arrays (every order 1,000 cents), freed by pt_snapshot_free. */
static pt_snapshot *fx_snapshot(const struct fx_member *m, size_t n)
{
    pt_snapshot *s = calloc(1, sizeof *s);
    size_t no = 0;
    for (size_t i = 0; i < n; i++)
        no += (size_t)m[i].n;
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
    for (size_t i = 0; i < n; i++) {
        s->member_id[i] = m[i].id;
        s->member_registered_at[i] = m[i].registered ? m[i].registered : ASOF - 400 * (int64_t)DAY;
        s->member_status[i] = m[i].status ? m[i].status : PT_MEMBER_ACTIVE;
        s->member_consent[i] = m[i].consent;
        s->member_merged_into[i] = m[i].merged_into;
        s->first[i] = s->norders;
        for (int k = 0; k < m[i].n; k++) {
            s->order_at[s->norders] = m[i].o[k].at;
            s->order_cents[s->norders] = 1000;
            s->order_status[s->norders] = m[i].o[k].status ? m[i].o[k].status : PT_ORDER_PAID;
            s->norders++;
        }
    }
    s->first[n] = s->norders;
    return s;
}

static pt_lifecycle_thresholds fixed(int active, int churn, int new_days)
{
    return (pt_lifecycle_thresholds){.active_days = active, .churn_days = churn, .new_days = new_days,
                                     .median_gap_days = -1, .p90_gap_days = -1};
}

#define AGO(d) {ASOF - (int64_t)(d) * DAY, 0}

/* The stage fixture, A = 30, C = 90, N = 30 days, as of ASOF (registered 400 days before):
 *  1 no orders                                   → prospect
 *  2 no orders, registered a day after ASOF      → not_registered
 *  3 one order 10 d ago (first ≤ 30)             → new
 *  4 60 d, 10 d (gap 50 ≤ 90; first 60 > 30)     → active
 *  5 200 d, 5 d (gap 195 > 90, return 5 d ago)   → won back
 *  6 200, 20, 5 d (return 20 d ago ≤ 30)         → won back (stays won back after buying again)
 *  7 300, 100, 50, 10 d (return 100 d ago > 30)  → active
 *  8 70, 60 d (since 60: > 30, ≤ 90)             → dormant
 *  9 120 d (> 90)                                → churned
 * 10 one refunded order 5 d ago                  → prospect (paid orders only)
 * 11 no analytics consent, order 5 d ago         → anonymous
 * 12 erased, order 5 d ago                       → anonymous
 * 13 merged into 1                               → nowhere
 * 14 one order 10 s after ASOF                   → prospect (orders before as_of only)
 * Shown 11: prospect 3, new 1, active 2, won back 2, dormant 1, churned 1, not registered 1;
 * members 13 = 11 + 1 no consent + 1 erased. */
static pt_snapshot *stage_fixture(void)
{
    static const struct fx_member m[14] = {
        {.id = 1, .consent = ANALYTICS},
        {.id = 2, .consent = ANALYTICS, .registered = ASOF + DAY},
        {.id = 3, .consent = ANALYTICS, .n = 1, .o = {AGO(10)}},
        {.id = 4, .consent = ANALYTICS, .n = 2, .o = {AGO(60), AGO(10)}},
        {.id = 5, .consent = ANALYTICS, .n = 2, .o = {AGO(200), AGO(5)}},
        {.id = 6, .consent = ANALYTICS, .n = 3, .o = {AGO(200), AGO(20), AGO(5)}},
        {.id = 7, .consent = ANALYTICS, .n = 4, .o = {AGO(300), AGO(100), AGO(50), AGO(10)}},
        {.id = 8, .consent = ANALYTICS, .n = 2, .o = {AGO(70), AGO(60)}},
        {.id = 9, .consent = ANALYTICS, .n = 1, .o = {AGO(120)}},
        {.id = 10, .consent = ANALYTICS, .n = 1, .o = {{ASOF - 5 * DAY, PT_ORDER_REFUNDED}}},
        {.id = 11, .consent = PT_CONSENT_BIT(PT_CONSENT_SMS), .n = 1, .o = {AGO(5)}},
        {.id = 12, .status = PT_MEMBER_ERASED, .consent = ANALYTICS, .n = 1, .o = {AGO(5)}},
        {.id = 13, .consent = ANALYTICS, .merged_into = 1},
        {.id = 14, .consent = ANALYTICS, .n = 1, .o = {{ASOF + 10, 0}}},
    };
    return fx_snapshot(m, 14);
}

TEST(lifecycle_gives_each_member_its_stage_and_leaves_out_members_without_consent)
{
    pt_snapshot *s = stage_fixture();
    pt_lifecycle_thresholds th = fixed(30, 90, 30);
    pt_lifecycle lc;
    ASSERT_OK(pt_lifecycle_compute(&lc, s, ASOF, &th));
    static const int64_t ids[11] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14};
    static const int want[11] = {PT_LC_PROSPECT, PT_LC_NOT_REGISTERED, PT_LC_NEW,      PT_LC_ACTIVE,
                                 PT_LC_WON_BACK, PT_LC_WON_BACK,       PT_LC_ACTIVE,   PT_LC_DORMANT,
                                 PT_LC_CHURNED,  PT_LC_PROSPECT,       PT_LC_PROSPECT};
    ASSERT_EQ(lc.nrows, 11);
    for (int i = 0; i < 11; i++) {
        ASSERT_EQ(lc.rows[i].member_id, ids[i]);
        if (lc.rows[i].stage != want[i])
            fprintf(stderr, "    member %lld: %s, want %s\n", (long long)ids[i],
                    pt_lifecycle_stage_key(lc.rows[i].stage), pt_lifecycle_stage_key(want[i]));
        ASSERT_EQ(lc.rows[i].stage, want[i]);
    }
    ASSERT_EQ(lc.rows[6].orders, 4); /* member 7: first 300 d, last 10 d ago */
    ASSERT_EQ(lc.rows[6].days_since_first, 300);
    ASSERT_EQ(lc.rows[6].days_since_last, 10);
    ASSERT_EQ(lc.rows[0].days_since_last, -1);
    ASSERT_EQ(lc.rows[9].orders, 0);
    static const size_t count[PT_LC__COUNT] = {[PT_LC_PROSPECT] = 3, [PT_LC_NEW] = 1, [PT_LC_ACTIVE] = 2,
                                               [PT_LC_WON_BACK] = 2, [PT_LC_DORMANT] = 1, [PT_LC_CHURNED] = 1,
                                               [PT_LC_NOT_REGISTERED] = 1};
    for (int k = 0; k < PT_LC__COUNT; k++)
        ASSERT_EQ(lc.counts.stage[k], count[k]);
    ASSERT_EQ(lc.counts.members, 13);
    ASSERT_EQ(lc.counts.no_consent, 1);
    ASSERT_EQ(lc.counts.erased, 1);
    ASSERT_EQ(lc.counts.merged_away, 1);
    ASSERT_STR_EQ(pt_lifecycle_stage_name(PT_LC_DORMANT, 1), "沉睡客户");
    ASSERT_STR_EQ(pt_lifecycle_stage_name(PT_LC_CHURNED, 1), "流失客户");
    ASSERT_STR_EQ(pt_lifecycle_stage_key(PT_LC_WON_BACK), "won_back");
    ASSERT(pt_lifecycle_stage_key(PT_LC__COUNT) == NULL);
    pt_lifecycle_free(&lc);
    pt_lifecycle_thresholds bad = fixed(30, 30, 30); /* A must be below C */
    ASSERT_EQ(pt_lifecycle_compute(&lc, s, ASOF, &bad), PT_EINVAL);
    bad = fixed(0, 30, 30);
    ASSERT_EQ(pt_lifecycle_compute(&lc, s, ASOF, &bad), PT_EINVAL);
    pt_snapshot_free(s);
}

/* Boundaries to the second, A = 30, C = 90, N = 30 (D = 86,400 s):
 *  b1 40 d, exactly 30 d ago            → active   (since = 30·D ≤ A·D: inclusive)
 *  b2 40 d, 30 d + 1 s ago              → dormant
 *  b3 100 d, exactly 90 d ago           → dormant  (since = 90·D ≤ C·D)
 *  b4 100 d, 90 d + 1 s ago             → churned
 *  b5 one order exactly 30 d ago        → new      (first = 30·D ≤ N·D)
 *  b6 30 d + 1 s, 1 d ago               → active   (first just past N)
 *  b7 95 d, 5 d (gap exactly 90·D)      → active   (a return needs a gap > C·D)
 *  b8 95 d + 1 s, 5 d (gap 90·D + 1 s)  → won back
 *  b9 300 d, exactly 30 d (the return)  → won back (return exactly A·D ago still counts)
 * b10 300 d, 30 d + 1 s (return), 5 d   → active   (return just outside the window) */
TEST(lifecycle_thresholds_are_inclusive_on_the_recent_side_to_the_second)
{
    const int64_t D = DAY;
    const struct fx_member m[10] = {
        {.id = 1, .consent = ANALYTICS, .n = 2, .o = {{ASOF - 40 * D, 0}, {ASOF - 30 * D, 0}}},
        {.id = 2, .consent = ANALYTICS, .n = 2, .o = {{ASOF - 40 * D, 0}, {ASOF - 30 * D - 1, 0}}},
        {.id = 3, .consent = ANALYTICS, .n = 2, .o = {{ASOF - 100 * D, 0}, {ASOF - 90 * D, 0}}},
        {.id = 4, .consent = ANALYTICS, .n = 2, .o = {{ASOF - 100 * D, 0}, {ASOF - 90 * D - 1, 0}}},
        {.id = 5, .consent = ANALYTICS, .n = 1, .o = {{ASOF - 30 * D, 0}}},
        {.id = 6, .consent = ANALYTICS, .n = 2, .o = {{ASOF - 30 * D - 1, 0}, {ASOF - D, 0}}},
        {.id = 7, .consent = ANALYTICS, .n = 2, .o = {{ASOF - 95 * D, 0}, {ASOF - 5 * D, 0}}},
        {.id = 8, .consent = ANALYTICS, .n = 2, .o = {{ASOF - 95 * D - 1, 0}, {ASOF - 5 * D, 0}}},
        {.id = 9, .consent = ANALYTICS, .n = 2, .o = {{ASOF - 300 * D, 0}, {ASOF - 30 * D, 0}}},
        {.id = 10, .consent = ANALYTICS, .n = 3, .o = {{ASOF - 300 * D, 0}, {ASOF - 30 * D - 1, 0}, {ASOF - 5 * D, 0}}},
    };
    static const int want[10] = {PT_LC_ACTIVE, PT_LC_DORMANT, PT_LC_DORMANT,  PT_LC_CHURNED,  PT_LC_NEW,
                                 PT_LC_ACTIVE, PT_LC_ACTIVE,  PT_LC_WON_BACK, PT_LC_WON_BACK, PT_LC_ACTIVE};
    pt_snapshot *s = fx_snapshot(m, 10);
    pt_lifecycle_thresholds th = fixed(30, 90, 30);
    pt_lifecycle lc;
    ASSERT_OK(pt_lifecycle_compute(&lc, s, ASOF, &th));
    ASSERT_EQ(lc.nrows, 10);
    for (int i = 0; i < 10; i++) {
        if (lc.rows[i].stage != want[i])
            fprintf(stderr, "    b%d: %s, want %s\n", i + 1, pt_lifecycle_stage_key(lc.rows[i].stage),
                    pt_lifecycle_stage_key(want[i]));
        ASSERT_EQ(lc.rows[i].stage, want[i]);
    }
    pt_lifecycle_free(&lc);
    pt_snapshot_free(s);
}

/* Derived thresholds. d0 = 500 days before ASOF; gaps in whole days between consecutive paid
 * orders of consenting members, before ASOF, 0-day gaps left out:
 *  A d0, +10, +30, +60                  → 10, 20, 30
 *  B d0, +3 h, +3 h +40 d               → (0: left out), 40
 *  C d0, +100                           → 100
 *  F d0, +50, +110, +180, +260, +350    → 50, 60, 70, 80, 90
 *  G d0, +5 (refunded), +7              → 7 (the refunded order is no purchase)
 *  H d0, one order after ASOF           → none (only orders before as_of)
 *  D one order                          → none
 *  E no analytics consent: d0, +1, +2, +3 → left out (would add 1, 1, 1)
 * Gaps sorted: 7 10 20 30 40 50 60 70 80 90 100, n = 11. Median = the ⌈11/2⌉ = 6th = 50;
 * p90 = the ⌈9·11/10⌉ = ⌈9.9⌉ = 10th = 90. So A = 50, C = 90, N = A = 50. (Counting the
 * refunded order would make G's gaps 5, 2 and the median 40; counting H would add 500 and move
 * p90 to 100; counting E would move the median to 30.) */
TEST(lifecycle_default_thresholds_are_the_median_and_90th_percentile_of_repeat_purchase_gaps)
{
    const int64_t D = DAY, d0 = ASOF - 500 * D, h3 = 3 * 3600;
    const struct fx_member m[8] = {
        {.id = 1, .consent = ANALYTICS, .n = 4, .o = {{d0, 0}, {d0 + 10 * D, 0}, {d0 + 30 * D, 0}, {d0 + 60 * D, 0}}},
        {.id = 2, .consent = ANALYTICS, .n = 3, .o = {{d0, 0}, {d0 + h3, 0}, {d0 + h3 + 40 * D, 0}}},
        {.id = 3, .consent = ANALYTICS, .n = 2, .o = {{d0, 0}, {d0 + 100 * D, 0}}},
        {.id = 4, .consent = ANALYTICS, .n = 6,
         .o = {{d0, 0}, {d0 + 50 * D, 0}, {d0 + 110 * D, 0}, {d0 + 180 * D, 0}, {d0 + 260 * D, 0}, {d0 + 350 * D, 0}}},
        {.id = 5, .consent = ANALYTICS, .n = 3, .o = {{d0, 0}, {d0 + 5 * D, PT_ORDER_REFUNDED}, {d0 + 7 * D, 0}}},
        {.id = 6, .consent = ANALYTICS, .n = 2, .o = {{d0, 0}, {ASOF + 10, 0}}},
        {.id = 7, .consent = ANALYTICS, .n = 1, .o = {{d0, 0}}},
        {.id = 8, .consent = 0, .n = 4, .o = {{d0, 0}, {d0 + D, 0}, {d0 + 2 * D, 0}, {d0 + 3 * D, 0}}},
    };
    pt_snapshot *s = fx_snapshot(m, 8);
    pt_lifecycle_opts o;
    pt_lifecycle_opts_init(&o);
    pt_lifecycle_thresholds th;
    ASSERT_OK(pt_lifecycle_derive(&th, s, &o, ASOF));
    ASSERT_EQ(th.gaps, 11);
    ASSERT_EQ(th.median_gap_days, 50);
    ASSERT_EQ(th.p90_gap_days, 90);
    ASSERT_EQ(th.active_days, 50);
    ASSERT_EQ(th.churn_days, 90);
    ASSERT_EQ(th.new_days, 50);
    ASSERT(th.active_derived && th.churn_derived);
    ASSERT_EQ(th.derived_as_of, ASOF);
    o.active_days = 95; /* explicit A above the p90: derived C is raised to A + 1 */
    ASSERT_OK(pt_lifecycle_derive(&th, s, &o, ASOF));
    ASSERT_EQ(th.active_days, 95);
    ASSERT_EQ(th.churn_days, 96);
    ASSERT(!th.active_derived && th.churn_derived);
    o = (pt_lifecycle_opts){.churn_days = 40, .new_days = 7}; /* explicit C below the median: A = C − 1 */
    ASSERT_OK(pt_lifecycle_derive(&th, s, &o, ASOF));
    ASSERT_EQ(th.active_days, 39);
    ASSERT_EQ(th.churn_days, 40);
    ASSERT_EQ(th.new_days, 7);
    o = (pt_lifecycle_opts){.active_days = 50, .churn_days = 50};
    ASSERT_EQ(pt_lifecycle_derive(&th, s, &o, ASOF), PT_EINVAL);
    o = (pt_lifecycle_opts){.active_days = -1};
    ASSERT_EQ(pt_lifecycle_derive(&th, s, &o, ASOF), PT_EINVAL);
    pt_snapshot_free(s);
    /* No repeat purchase at all: the fallback 90 / 180 days. */
    const struct fx_member one[1] = {{.id = 1, .consent = ANALYTICS, .n = 1, .o = {{d0, 0}}}};
    s = fx_snapshot(one, 1);
    pt_lifecycle_opts_init(&o);
    ASSERT_OK(pt_lifecycle_derive(&th, s, &o, ASOF));
    ASSERT_EQ(th.gaps, 0);
    ASSERT_EQ(th.median_gap_days, -1);
    ASSERT_EQ(th.active_days, PT_LC_FALLBACK_ACTIVE_DAYS);
    ASSERT_EQ(th.churn_days, PT_LC_FALLBACK_CHURN_DAYS);
    pt_snapshot_free(s);
}

/* Month ends in Asia/Shanghai (UTC+8, no DST) from 2024-11-01 to 2025-02-01 local:
 * 2024-12-01 00:00+08 = 1732982400, 2025-01-01 00:00+08 = 1735660800, 2025-02-01 00:00+08 =
 * 1738339200 (the start, 2024-11-01 00:00+08 = 1730390400, is not a month end after it).
 * A = 31, C = 60, N = 31; members registered 2024-01-01+08 (1704038400):
 *  m1 one order 2025-01-01 02:00+08 = 1735668000 (still 2024-12-31 18:00 in UTC)
 *     Dec 1: prospect; Jan 1: prospect (the order is in January local time, after as_of);
 *     Feb 1: since = 1738339200 − 1735668000 = 2,671,200 s = 30 d 22 h ≤ 31 d, first too → new
 *  m2 one order 2024-12-31 20:00+08 = 1735646400
 *     Dec 1: prospect; Jan 1: new (4 h); Feb 1: since = 2,692,800 s = 31 d 4 h > 31 d → dormant
 *  m3 one order 2024-09-15 12:00+08 = 1726372800
 *     Dec 1: since = 6,609,600 s = 76.5 d > 60 → churned; later still churned
 *  m4 registered 2025-01-10 00:00+08 = 1736438400, no orders
 *     Dec 1, Jan 1: not registered; Feb 1: prospect */
TEST(lifecycle_monthly_counts_cross_the_year_boundary_in_shanghai_time)
{
    const struct fx_member m[4] = {
        {.id = 1, .consent = ANALYTICS, .registered = 1704038400, .n = 1, .o = {{1735668000, 0}}},
        {.id = 2, .consent = ANALYTICS, .registered = 1704038400, .n = 1, .o = {{1735646400, 0}}},
        {.id = 3, .consent = ANALYTICS, .registered = 1704038400, .n = 1, .o = {{1726372800, 0}}},
        {.id = 4, .consent = ANALYTICS, .registered = 1736438400},
    };
    int64_t *t = NULL;
    size_t n = 0;
    ASSERT_OK(pt_lifecycle_month_ends("Asia/Shanghai", 1730390400, 1738339200, &t, &n));
    ASSERT_EQ(n, 3);
    ASSERT_EQ(t[0], 1732982400);
    ASSERT_EQ(t[1], 1735660800);
    ASSERT_EQ(t[2], 1738339200);
    pt_snapshot *s = fx_snapshot(m, 4);
    pt_lifecycle_thresholds th = fixed(31, 60, 31);
    pt_lifecycle_counts c[3];
    int rc = pt_lifecycle_counts_at(c, s, t, n, &th);
    free(t);
    ASSERT_OK(rc);
    /* rows: month ends; columns: prospect new active won_back dormant churned not_registered */
    static const size_t want[3][PT_LC__COUNT] = {
        {2, 0, 0, 0, 0, 1, 1},
        {1, 1, 0, 0, 0, 1, 1},
        {1, 1, 0, 0, 1, 1, 0},
    };
    for (int p = 0; p < 3; p++) {
        for (int k = 0; k < PT_LC__COUNT; k++)
            ASSERT_EQ(c[p].stage[k], want[p][k]);
        ASSERT_EQ(c[p].members, 4);
    }
    int64_t bad[2] = {2, 1};
    ASSERT_EQ(pt_lifecycle_counts_at(c, s, bad, 2, &th), PT_EINVAL); /* instants must ascend */
    ASSERT_EQ(pt_lifecycle_month_ends("Nowhere/Nothing", 1730390400, 1738339200, &t, &n), PT_EINVAL);
    ASSERT_OK(pt_lifecycle_month_ends("Asia/Shanghai", 1730390400, 1730390400 + DAY, &t, &n));
    ASSERT_EQ(n, 0); /* no month ends inside one day */
    ASSERT(t == NULL);
    pt_snapshot_free(s);
}

/* The stage fixture between F = ASOF − 60 d and ASOF (A 30, C 90, N 30). Stages at F (orders
 * strictly before F):
 *  1 prospect → prospect;  2 not registered → not registered;  3 prospect (order later) → new;
 *  4 prospect (its 60-d order is exactly at F, not before) → active;
 *  5, 6 churned (200 d ago is 140 d before F) → won back;
 *  7 dormant (last 100 d ago = 40 d before F) → active;  8 new (70 d ago = 10 d before F) → dormant;
 *  9 dormant (120 d ago = 60 d before F) → churned;  10, 14 prospect → prospect.
 * Rows at F: prospect 5, new 1, dormant 2, churned 2, not registered 1 = 11. */
TEST(lifecycle_transition_matrix_rows_add_up_to_the_stages_at_the_start)
{
    pt_snapshot *s = stage_fixture();
    pt_lifecycle_thresholds th = fixed(30, 90, 30);
    pt_lifecycle_transitions tr;
    ASSERT_OK(pt_lifecycle_transition_matrix(&tr, s, ASOF - 60 * (int64_t)DAY, ASOF, &th));
    size_t want[PT_LC__COUNT][PT_LC__COUNT] = {{0}};
    want[PT_LC_PROSPECT][PT_LC_PROSPECT] = 3;
    want[PT_LC_PROSPECT][PT_LC_NEW] = 1;
    want[PT_LC_PROSPECT][PT_LC_ACTIVE] = 1;
    want[PT_LC_NOT_REGISTERED][PT_LC_NOT_REGISTERED] = 1;
    want[PT_LC_CHURNED][PT_LC_WON_BACK] = 2;
    want[PT_LC_DORMANT][PT_LC_ACTIVE] = 1;
    want[PT_LC_DORMANT][PT_LC_CHURNED] = 1;
    want[PT_LC_NEW][PT_LC_DORMANT] = 1;
    static const size_t at_from[PT_LC__COUNT] = {5, 1, 0, 0, 2, 2, 1};
    size_t total = 0;
    for (int r = 0; r < PT_LC__COUNT; r++) {
        size_t row = 0;
        for (int c = 0; c < PT_LC__COUNT; c++) {
            ASSERT_EQ(tr.matrix[r][c], want[r][c]);
            row += tr.matrix[r][c];
        }
        ASSERT_EQ(row, tr.from.stage[r]);
        ASSERT_EQ(tr.from.stage[r], at_from[r]);
        total += row;
    }
    ASSERT_EQ(total, 11);
    ASSERT_EQ(tr.from.members, 13);
    ASSERT_EQ(tr.to.members, 13);
    for (int c = 0; c < PT_LC__COUNT; c++) { /* columns add up to the stages at the end */
        size_t col = 0;
        for (int r = 0; r < PT_LC__COUNT; r++)
            col += tr.matrix[r][c];
        ASSERT_EQ(col, tr.to.stage[c]);
    }
    ASSERT_EQ(pt_lifecycle_transition_matrix(&tr, s, ASOF, ASOF - 1, &th), PT_EINVAL);
    pt_snapshot_free(s);
}

/* --- the CLI --------------------------------------------------------------------------------- */
#define BIN pt_test_patron_bin()

static json_int_t jint(json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static json_int_t stage_sum(json_t *stages)
{
    json_int_t sum = 0;
    const char *k;
    json_t *v;
    json_object_foreach(stages, k, v)
        sum += json_integer_value(v);
    return sum;
}

/* Runs cmd (a format with BIN and the data dir) and parses its JSON stdout; NULL on failure. */
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

TEST(cli_lifecycle_json_counts_and_transitions_on_a_demo_add_up_to_the_member_total)
{
    char data[4200], *out = NULL;
    snprintf(data, sizeof data, "%s/d", pt_test_tmpdir());
    int st = pt_test_run(&out, "'%s' demo --members 400 --seed 5 --no-programme --data '%s' 2>&1", BIN, data);
    free(out);
    ASSERT_EQ(st, 0);
    json_t *j = run_json("lifecycle --json --as-of 2026-01-01", data);
    ASSERT(j);
    json_t *totals = json_object_get(j, "totals");
    json_int_t members = jint(totals, "members"), shown = jint(totals, "shown");
    ASSERT_GT(members, 0);
    ASSERT_EQ(shown + jint(totals, "anonymous_no_consent") + jint(totals, "anonymous_erased"), members);
    ASSERT_EQ(stage_sum(json_object_get(totals, "stages")), shown);
    ASSERT_EQ((json_int_t)json_array_size(json_object_get(j, "members")), shown);
    json_t *th = json_object_get(j, "thresholds");
    ASSERT_GT(jint(th, "churn_days"), jint(th, "active_days"));
    ASSERT(json_is_true(json_object_get(th, "active_derived")));
    json_decref(j);

    j = run_json("lifecycle counts --from 2025-01-01 --to 2026-01-01 --monthly --json", data);
    ASSERT(j);
    json_t *rows = json_object_get(j, "rows");
    ASSERT_EQ(json_array_size(rows), 12);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(rows, 0), "month")), "2025-01");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(rows, 11), "date")), "2026-01-01");
    for (size_t i = 0; i < json_array_size(rows); i++) {
        json_t *r = json_array_get(rows, i);
        ASSERT_EQ(jint(r, "members"), members);
        ASSERT_EQ(stage_sum(json_object_get(r, "stages")) + jint(r, "anonymous_no_consent") +
                      jint(r, "anonymous_erased"), members);
    }
    json_decref(j);

    j = run_json("lifecycle transitions --from 2025-07-01 --to 2026-01-01 --json", data);
    ASSERT(j);
    json_t *matrix = json_object_get(j, "matrix"), *stages = json_object_get(j, "stages");
    json_t *from = json_object_get(json_object_get(j, "from_counts"), "stages");
    ASSERT_EQ(json_array_size(matrix), PT_LC__COUNT);
    json_int_t total = 0;
    for (size_t r = 0; r < json_array_size(matrix); r++) {
        json_int_t row = 0;
        for (size_t c = 0; c < PT_LC__COUNT; c++)
            row += json_integer_value(json_array_get(json_array_get(matrix, r), c));
        ASSERT_EQ(row, jint(from, json_string_value(json_array_get(stages, r))));
        total += row;
    }
    ASSERT_EQ(total, shown);
    json_decref(j);

    ASSERT_EQ(pt_test_run(NULL, "'%s' lifecycle --help >/dev/null", BIN), 0);
    ASSERT_EQ(pt_test_run(NULL, "'%s' lifecycle counts --help >/dev/null", BIN), 0);
    ASSERT_EQ(pt_test_run(NULL, "'%s' lifecycle transitions --help >/dev/null", BIN), 0);
    ASSERT_EQ(pt_test_run(NULL, "'%s' lifecycle counts --from 2025-01-01 --data '%s' 2>/dev/null", BIN, data), 2);
    ASSERT_EQ(pt_test_run(NULL, "'%s' lifecycle --active-days 30 --churn-days 30 --data '%s' 2>/dev/null", BIN,
                          data), 2);
    ASSERT_EQ(pt_test_run(&out, "'%s' lifecycle --csv --as-of 2026-01-01 --data '%s'", BIN, data), 0);
    ASSERT(strncmp(out, "member,stage,orders,days_since_first,days_since_last\n", 53) == 0);
    free(out);
}

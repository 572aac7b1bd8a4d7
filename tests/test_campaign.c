/* test_campaign.c — control groups and uplift, then a launch on both backends.
 *  - the control split is a pure function of (seed, member id): the same twice, close to the
 *    requested share (within 4 standard deviations on 100,000 ids), different for another seed;
 *  - uplift on simulated data: a planted effect is recovered (inside the interval, called
 *    significant) in most of 200 simulations — at least 90% coverage for a 95% interval — and a
 *    null effect is called significant in about 5% of 200 simulations, not more than 10%;
 *  - a hand-worked report: the statistics of a 4-vs-4 example computed by hand;
 *  - launch: treatment members get the points once and one outbox message each, control
 *    members nothing; a second launch assigns, gives and enqueues nothing; members without
 *    SMS consent are not in the audience; the report reads orders after the launch only. */
#include "test.h"
#include "helpers.h"
#include "patron/campaign.h"
#include "patron/error.h"
#include "patron/ledger.h"
#include "patron/snapshot.h"
#include "patron/store_campaign.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

TEST(control_group_is_stable_and_close_to_the_requested_share)
{
    const int n = 100000;
    int in10 = 0, same = 0, other_seed = 0;
    for (int64_t id = 1; id <= n; id++) {
        int c = pt_campaign_in_control(42, id, 1000);
        in10 += c;
        same += c == pt_campaign_in_control(42, id, 1000);
        other_seed += c != pt_campaign_in_control(43, id, 1000);
    }
    ASSERT_EQ(same, n);
    double sd = sqrt(n * 0.1 * 0.9); /* ≈ 95 */
    ASSERT_LT(fabs(in10 - 0.1 * n), 4 * sd);
    /* a different seed reshuffles: two independent 10% draws disagree on ≈ 18% of ids */
    ASSERT_GT(other_seed, n / 7);
    ASSERT_LT(other_seed, n / 4);
    /* 0 and 100% ends */
    ASSERT_EQ(pt_campaign_in_control(42, 7, 0), 0);
    int all = 0;
    for (int64_t id = 1; id <= 1000; id++)
        all += pt_campaign_in_control(42, id, 10000);
    ASSERT_EQ(all, 1000);
}

/* A small deterministic generator for the simulations (splitmix64). */
static uint64_t sm(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double unif(uint64_t *s)
{
    return (double)(sm(s) >> 11) / 9007199254740992.0;
}

/* n members, 20% control; conversion p_c / p_t; a converted member spends 50..150 yuan. */
static void simulate(uint64_t seed, size_t n, double p_c, double p_t, int *arm, int64_t *orders, int64_t *rev)
{
    uint64_t s = seed;
    for (size_t k = 0; k < n; k++) {
        arm[k] = unif(&s) >= 0.2;
        double p = arm[k] ? p_t : p_c;
        orders[k] = unif(&s) < p ? 1 + (unif(&s) < 0.3) : 0;
        rev[k] = orders[k] ? (int64_t)(5000 + unif(&s) * 10000) * orders[k] : 0;
    }
}

TEST(uplift_recovers_a_planted_effect_and_not_a_null_one)
{
    const size_t n = 4000;
    int *arm = malloc(n * sizeof *arm);
    int64_t *orders = malloc(n * sizeof *orders), *rev = malloc(n * sizeof *rev);
    /* expected revenue per member: p · E[orders | converted] · 100 yuan = p · 1.3 · 10,000 cents */
    const double p_c = 0.10, p_t = 0.16, true_conv = p_t - p_c, true_rev = (p_t - p_c) * 1.3 * 10000;
    int covered_conv = 0, covered_rev = 0, found = 0, false_pos = 0;
    const int sims = 200;
    for (int k = 0; k < sims; k++) {
        pt_uplift u;
        simulate(1000 + (uint64_t)k, n, p_c, p_t, arm, orders, rev);
        ASSERT_OK(pt_uplift_compute(&u, arm, orders, rev, n, 0.95));
        covered_conv += u.conversion.lo <= true_conv && true_conv <= u.conversion.hi;
        covered_rev += u.revenue.lo <= true_rev && true_rev <= u.revenue.hi;
        found += u.conversion.significant && u.conversion.diff > 0;
        simulate(5000 + (uint64_t)k, n, p_c, p_c, arm, orders, rev);
        ASSERT_OK(pt_uplift_compute(&u, arm, orders, rev, n, 0.95));
        false_pos += u.conversion.significant;
    }
    free(arm);
    free(orders);
    free(rev);
    fprintf(stderr, "    coverage conv %d/%d rev %d/%d, power %d/%d, false positives %d/%d\n", covered_conv, sims,
            covered_rev, sims, found, sims, false_pos, sims);
    ASSERT_GE(covered_conv, sims * 90 / 100);
    ASSERT_GE(covered_rev, sims * 90 / 100);
    ASSERT_GE(found, sims * 80 / 100); /* power ≈ 0.9 at this size */
    ASSERT_LE(false_pos, sims * 10 / 100);
}

TEST(uplift_of_a_hand_worked_example)
{
    /* treatment 4: orders 1,0,2,1 revenue 100,0,300,100; control 4: 0,0,1,0 revenue 0,0,100,0
     * conversion 3/4 vs 1/4: diff 0.5, unpooled se √(0.1875/4 + 0.1875/4) = 0.306186, ±1.959964·se;
     * revenue means 125 vs 25: diff 100; sample variances 47,500/3 = 15,833.3 (sd 125.8306) and
     * 2,500 → se √(3,958.33 + 625) = 67.7003; Welch df = 4,583.33² / (3,958.33²/3 + 625²/3) =
     * 3.924, so t(0.975) ≈ 2.798 (between 3.182 at 3 df and 2.776 at 4); t = 1.477, p ≈ 0.215 */
    int arm[] = {1, 1, 1, 1, 0, 0, 0, 0};
    int64_t orders[] = {1, 0, 2, 1, 0, 0, 1, 0}, rev[] = {100, 0, 300, 100, 0, 0, 100, 0};
    pt_uplift u;
    ASSERT_OK(pt_uplift_compute(&u, arm, orders, rev, 8, 0.95));
    ASSERT_EQ(u.t.n, 4);
    ASSERT_EQ(u.c.n, 4);
    ASSERT(fabs(u.conversion.diff - 0.5) < 1e-12);
    ASSERT(fabs(u.conversion.hi - (0.5 + 1.959964 * 0.306186)) < 1e-5);
    ASSERT(fabs(u.repurchase.diff - 0.25) < 1e-12);
    ASSERT(fabs(u.revenue.diff - 100) < 1e-9);
    ASSERT(fabs(u.t.revenue_sd - 125.830574) < 1e-5);
    ASSERT(fabs((u.revenue.hi - 100) / 67.700320 - 2.7977) < 2e-3);
    ASSERT(fabs(u.revenue.lo - (100 - (u.revenue.hi - 100))) < 1e-9);
    ASSERT(fabs(u.incremental_revenue - 400) < 1e-9);
    ASSERT(u.revenue.p > 0.20 && u.revenue.p < 0.23);
    ASSERT_EQ(u.revenue.significant, 0);
    int one_arm[] = {1, 1, 1};
    ASSERT_EQ(pt_uplift_compute(&u, one_arm, orders, rev, 3, 0.95), PT_EINVAL);
}

/* --- launch on a store -------------------------------------------------------------------- */

static void prog(pt_programme *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "test");
    snprintf(p->currency, sizeof p->currency, "CNY");
    snprintf(p->timezone, sizeof p->timezone, "Asia/Shanghai");
    p->growth_per_unit = 1;
    p->growth_unit_cents = 100;
    p->points_per_payment_unit = 100;
    p->payment_unit_cents = 100;
    p->ntiers = 1;
    snprintf(p->tiers[0].code, sizeof p->tiers[0].code, "normal");
    p->tiers[0].points_multiplier_bp = PT_BP_ONE;
}

static int set_consent(pt_db *db, int64_t id, uint32_t consent)
{
    pt_member_rec r;
    pt_member_rec_init(&r);
    int rc = pt_store_member_get(pt_db_store(db), id, &r);
    if (rc == PT_OK) {
        r.consent = consent;
        rc = pt_store_member_update(pt_db_store(db), &r);
    }
    pt_member_rec_free(&r);
    return rc;
}

static int add_order(pt_db *db, int64_t member, const char *no, int64_t at, int64_t cents)
{
    pt_order_rec o = {.member_id = member, .ordered_at = at, .amount_cents = cents, .status = PT_ORDER_PAID};
    snprintf(o.order_no, sizeof o.order_no, "%s", no);
    snprintf(o.source, sizeof o.source, "test");
    return pt_store_order_insert(pt_db_store(db), &o);
}

static int count_outbox(void *ud, const pt_outbox_rec *r)
{
    int *n = ud;
    if (strcmp(r->kind, "campaign.offer") == 0 && strstr(r->payload, "\"points\":100"))
        (*n)++;
    return PT_OK;
}

struct arms {
    int64_t ids[64];
    int     arm[64];
    int     n;
};

static int collect_arm(void *ud, const pt_campaign_member_rec *m)
{
    struct arms *a = ud;
    if (a->n < 64) {
        a->ids[a->n] = m->member_id;
        a->arm[a->n++] = m->arm;
    }
    return PT_OK;
}

BOTH_TEST(campaign_launch_gives_once_holds_out_control_and_reports)
{
    pt_db *db = test_db_on(be, "camp");
    ASSERT(db != NULL);
    pt_programme p;
    prog(&p);
    pt_ledger *l = NULL;
    ASSERT_OK(pt_ledger_open(&l, db, &p));
    const uint32_t all = PT_CONSENT_BIT(PT_CONSENT_SMS) | PT_CONSENT_BIT(PT_CONSENT_ANALYTICS);
    int64_t ids[40];
    for (int k = 0; k < 40; k++) {
        char phone[32];
        snprintf(phone, sizeof phone, "1380013%04d", k);
        ids[k] = test_add_member(db, "test", phone, NULL, NULL, NULL, TEST_NOW - 400 * 86400, NULL);
        ASSERT_GT(ids[k], 0);
        /* members 30..39 withdrew SMS consent */
        ASSERT_OK(set_consent(db, ids[k], k < 30 ? all : PT_CONSENT_BIT(PT_CONSENT_ANALYTICS)));
        char no[32];
        snprintf(no, sizeof no, "old-%d", k);
        ASSERT_OK(add_order(db, ids[k], no, TEST_NOW - 100 * 86400, 5000));
    }
    pt_campaign_rec c = {.channel = PT_CONSENT_SMS, .offer_kind = PT_OFFER_POINTS, .offer_points = 100,
                         .control_bp = 5000, .seed = 7, .starts_at = TEST_NOW - 10, .ends_at = TEST_NOW + 30 * 86400};
    snprintf(c.name, sizeof c.name, "winback");
    snprintf(c.audience, sizeof c.audience, "orders >= 1 and recency_days > 30");
    char err[512];
    ASSERT_OK(pt_campaign_create(db, &c, err, sizeof err));
    pt_campaign_rec dup = c;
    ASSERT_EQ(pt_campaign_create(db, &dup, err, sizeof err), PT_EEXIST);
    pt_campaign_rec bad = c;
    snprintf(bad.name, sizeof bad.name, "bad");
    snprintf(bad.audience, sizeof bad.audience, "orders >= ");
    ASSERT_EQ(pt_campaign_create(db, &bad, err, sizeof err), PT_EPARSE);
    ASSERT_STR_EQ(err, "audience: line 1, column 11: a value is expected, found end of input");

    pt_campaign_launch_stats st;
    for (int round = 0; round < 2; round++) {
        pt_snapshot *snap = NULL;
        ASSERT_OK(pt_snapshot_load(&snap, pt_db_store(db), NULL, NULL));
        pt_audience_ctx ctx = {.channel = -1};
        ASSERT_OK(pt_audience_ctx_prepare(&ctx, snap, TEST_NOW));
        int rc = pt_campaign_launch(db, l, c.id, &ctx, &st, err, sizeof err);
        pt_audience_ctx_free(&ctx);
        pt_snapshot_free(snap);
        if (rc)
            fprintf(stderr, "    %s\n", err);
        ASSERT_OK(rc);
        ASSERT_EQ(st.audience, 30);
        if (round == 0) {
            ASSERT_EQ(st.treated + st.control, 30);
            ASSERT_EQ(st.points, 100 * st.treated);
        } else {
            ASSERT_EQ(st.skipped, 30);
            ASSERT_EQ(st.treated + st.control, 0);
        }
    }
    struct arms a = {.n = 0};
    ASSERT_OK(pt_store_campaign_member_list(pt_db_store(db), c.id, collect_arm, &a));
    ASSERT_EQ(a.n, 30);
    int treated = 0;
    for (int k = 0; k < a.n; k++) {
        pt_account_rec acct;
        int rc = pt_ledger_account(l, a.ids[k], &acct);
        int64_t bal = rc == PT_OK ? acct.balance : 0;
        ASSERT_EQ(a.arm[k], !pt_campaign_in_control(7, a.ids[k], 5000));
        ASSERT_EQ(bal, a.arm[k] ? 100 : 0);
        treated += a.arm[k];
    }
    ASSERT_GT(treated, 5);
    ASSERT_LT(treated, 25);
    int msgs = 0;
    ASSERT_OK(pt_store_outbox_list(pt_db_store(db), count_outbox, &msgs));
    ASSERT_EQ(msgs, treated);

    /* after launch: every treated member orders ¥100 once, control members nothing; the
     * orders before launch (¥50 each) are outside the window */
    for (int k = 0; k < a.n; k++) {
        char no[32];
        snprintf(no, sizeof no, "new-%d", k);
        if (a.arm[k])
            ASSERT_OK(add_order(db, a.ids[k], no, TEST_NOW + 86400, 10000));
    }
    pt_snapshot *snap = NULL;
    ASSERT_OK(pt_snapshot_load(&snap, pt_db_store(db), NULL, NULL));
    pt_campaign_report rep;
    ASSERT_OK(pt_campaign_report_compute(db, c.id, snap, TEST_NOW + 40 * 86400, &p, 0.95, &rep, err, sizeof err));
    pt_snapshot_free(snap);
    ASSERT_EQ(rep.u.t.n, treated);
    ASSERT_EQ(rep.u.c.n, 30 - treated);
    ASSERT(fabs(rep.u.t.conversion - 1.0) < 1e-12);
    ASSERT(fabs(rep.u.c.conversion) < 1e-12);
    ASSERT(fabs(rep.u.revenue.diff - 10000) < 1e-9);
    ASSERT(fabs(rep.u.incremental_revenue - 10000.0 * treated) < 1e-6);
    ASSERT_EQ(rep.points_cost, 100 * treated);
    ASSERT_EQ(rep.points_cost_cents, 100 * treated); /* 100 points = ¥1 */
    ASSERT(fabs(rep.cost_per_incremental_order_cents - 100.0) < 1e-9);
    pt_ledger_close(l);
    pt_db_close(db);
}

/* A campaign scheduled for later is refused by a direct launch before its start and launched
 * by pt_campaign_launch_due once its start has come; a second call launches nothing. */
BOTH_TEST(campaign_scheduled_launch_waits_for_its_start)
{
    pt_db *db = test_db_on(be, "sched");
    ASSERT(db != NULL);
    const uint32_t all = PT_CONSENT_BIT(PT_CONSENT_EMAIL) | PT_CONSENT_BIT(PT_CONSENT_ANALYTICS);
    for (int k = 0; k < 6; k++) {
        char phone[32];
        snprintf(phone, sizeof phone, "1390013%04d", k);
        int64_t id = test_add_member(db, "test", phone, NULL, NULL, NULL, TEST_NOW - 50 * 86400, NULL);
        ASSERT_GT(id, 0);
        ASSERT_OK(set_consent(db, id, all));
    }
    pt_campaign_rec c = {.channel = PT_CONSENT_EMAIL, .offer_kind = PT_OFFER_MESSAGE, .control_bp = 0,
                         .seed = 3, .starts_at = TEST_NOW + 3600};
    snprintf(c.name, sizeof c.name, "hello");
    snprintf(c.offer_code, sizeof c.offer_code, "tpl-hello");
    snprintf(c.audience, sizeof c.audience, "registered_days >= 30");
    char err[512];
    ASSERT_OK(pt_campaign_create(db, &c, err, sizeof err));
    int launched = -1;
    ASSERT_OK(pt_campaign_launch_due(db, &launched, err, sizeof err));
    ASSERT_EQ(launched, 0);
    pt_snapshot *snap = NULL;
    ASSERT_OK(pt_snapshot_load(&snap, pt_db_store(db), NULL, NULL));
    pt_audience_ctx ctx = {.channel = -1};
    ASSERT_OK(pt_audience_ctx_prepare(&ctx, snap, TEST_NOW));
    ASSERT_EQ(pt_campaign_launch(db, NULL, c.id, &ctx, NULL, err, sizeof err), PT_ESTATE);
    pt_audience_ctx_free(&ctx);
    pt_snapshot_free(snap);
    pt_db_set_clock(db, TEST_NOW + 3600);
    ASSERT_OK(pt_campaign_launch_due(db, &launched, err, sizeof err));
    ASSERT_EQ(launched, 1);
    pt_campaign_rec got;
    ASSERT_OK(pt_store_campaign_get(pt_db_store(db), c.id, &got));
    ASSERT_EQ(got.status, PT_CAMPAIGN_LAUNCHED);
    ASSERT_EQ(got.treated, 6); /* no control group asked for */
    ASSERT_EQ(got.control, 0);
    ASSERT_OK(pt_campaign_launch_due(db, &launched, err, sizeof err));
    ASSERT_EQ(launched, 0);
    pt_db_close(db);
}

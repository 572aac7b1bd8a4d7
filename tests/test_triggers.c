/* test_triggers.c — triggers fire once per occurrence, respect consent and the weekly cap,
 * and write their audit record and outbox message together; on both backends.
 *
 * Run date TEST_NOW = 2025-06-15 23:06 in Asia/Shanghai. Programme: points expire 20 days
 * after earning. Members:
 *   A  birthday 06-15, SMS consent, 100 points earned 5 days ago (expire in ≈ 15 days)
 *      → points_expiring + birthday
 *   B  birthday 06-15, no SMS consent → nothing (counted in no_consent)
 *   C  birthday 06-15, SMS, 100 points earned 5 days ago, one order 120 days ago (dormant:
 *      the fallback thresholds are 90/180 days without repeat purchases)
 *      → points_expiring + birthday fire, dormant is held back by the cap of 2 a week
 *   D  birthday 01-01, SMS, a plugged-in churn score of 0.9 (> 0.7) → churn_risk
 *   E  no birthday, SMS, first order 2 days ago → welcome
 * First run: 2 expiring + 2 birthday + 1 churn + 1 welcome = 6 fired, 1 capped, 1 without
 * consent; six outbox messages and six audit records. Second run: nothing fires, 6 already,
 * 1 capped. */
#include "test.h"
#include "helpers.h"
#include "patron/error.h"
#include "patron/ledger.h"
#include "patron/snapshot.h"
#include "patron/store_campaign.h"
#include "patron/tier.h"
#include "patron/triggers.h"
#include "patron/tz.h"

#include <stdlib.h>
#include <string.h>

#define DAY 86400

static void prog(pt_programme *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "test");
    snprintf(p->currency, sizeof p->currency, "CNY");
    snprintf(p->timezone, sizeof p->timezone, "Asia/Shanghai");
    p->growth_per_unit = 1;
    p->growth_unit_cents = 100;
    p->expiry_kind = PT_EXPIRY_DAYS;
    p->expiry_n = 20;
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

static int64_t churny_member;
static int churn_score(void *ud, const pt_snapshot *snap, size_t i, double *v)
{
    (void)ud;
    *v = snap->member_id[i] == churny_member ? 0.9 : 0.1;
    return 1;
}

struct seen {
    int total, expiring, birthday, churn, dormant, welcome;
};

static int count_msgs(void *ud, const pt_outbox_rec *r)
{
    struct seen *s = ud;
    s->total += strncmp(r->kind, "trigger.", 8) == 0; /* the earns are events too (audit.c) */
    s->expiring += strcmp(r->kind, "trigger.points_expiring") == 0;
    s->birthday += strcmp(r->kind, "trigger.birthday") == 0;
    s->churn += strcmp(r->kind, "trigger.churn_risk") == 0;
    s->dormant += strcmp(r->kind, "trigger.dormant") == 0;
    s->welcome += strcmp(r->kind, "trigger.welcome") == 0;
    return PT_OK;
}

static int count_trigger_audit(void *ud, const pt_audit_rec *r)
{
    int *n = ud;
    *n += strncmp(r->action, "trigger.", 8) == 0;
    return PT_OK;
}

static int run(pt_db *db, pt_ledger *l, pt_trigger_stats *st)
{
    pt_snapshot *snap = NULL;
    int rc = pt_snapshot_load(&snap, pt_db_store(db), NULL, NULL);
    pt_audience_ctx ctx = {.channel = -1};
    if (rc == PT_OK)
        rc = pt_audience_ctx_prepare(&ctx, snap, TEST_NOW);
    pt_score_source churn = {.name = "churn_risk", .score = churn_score};
    pt_trigger_opts o;
    pt_trigger_opts_init(&o);
    o.as_of = TEST_NOW;
    o.weekly_cap = 2;
    o.churn = &churn;
    o.churn_threshold = 0.7;
    char err[512] = "";
    if (rc == PT_OK)
        rc = pt_triggers_run(db, l, &ctx, &o, st, err, sizeof err);
    if (rc)
        fprintf(stderr, "    triggers: %d %s\n", rc, err);
    pt_audience_ctx_free(&ctx);
    pt_snapshot_free(snap);
    return rc;
}

BOTH_TEST(triggers_fire_once_respect_consent_and_the_weekly_cap)
{
    pt_db *db = test_db_on(be, "trig");
    ASSERT(db != NULL);
    pt_programme p;
    prog(&p);
    pt_ledger *l = NULL;
    ASSERT_OK(pt_ledger_open(&l, db, &p));
    const uint32_t sms = PT_CONSENT_BIT(PT_CONSENT_SMS) | PT_CONSENT_BIT(PT_CONSENT_ANALYTICS);
    int64_t a = test_add_member(db, "t", "13800000001", NULL, NULL, "1990-06-15", TEST_NOW - 400 * DAY, NULL);
    int64_t b = test_add_member(db, "t", "13800000002", NULL, NULL, "1991-06-15", TEST_NOW - 400 * DAY, NULL);
    int64_t c = test_add_member(db, "t", "13800000003", NULL, NULL, "1992-06-15", TEST_NOW - 400 * DAY, NULL);
    int64_t d = test_add_member(db, "t", "13800000004", NULL, NULL, "1993-01-01", TEST_NOW - 400 * DAY, NULL);
    int64_t e = test_add_member(db, "t", "13800000005", NULL, NULL, NULL, TEST_NOW - 3 * DAY, NULL);
    ASSERT(a > 0 && b > 0 && c > 0 && d > 0 && e > 0);
    ASSERT_OK(set_consent(db, e, sms));
    pt_order_rec eo = {.member_id = e, .ordered_at = TEST_NOW - 2 * DAY, .amount_cents = 900, .status = PT_ORDER_PAID};
    snprintf(eo.order_no, sizeof eo.order_no, "e-1");
    snprintf(eo.source, sizeof eo.source, "t");
    ASSERT_OK(pt_store_order_insert(pt_db_store(db), &eo));
    churny_member = d;
    ASSERT_OK(set_consent(db, a, sms));
    ASSERT_OK(set_consent(db, b, PT_CONSENT_BIT(PT_CONSENT_ANALYTICS)));
    ASSERT_OK(set_consent(db, c, sms));
    ASSERT_OK(set_consent(db, d, sms));
    pt_ledger_req req = {.idem_key = "seed", .at = TEST_NOW - 5 * DAY};
    pt_ledger_result res;
    ASSERT_OK(pt_ledger_earn(l, a, 100, &req, &res));
    ASSERT_OK(pt_ledger_earn(l, c, 100, &req, &res));
    ASSERT(res.expires_at > TEST_NOW && res.expires_at < TEST_NOW + 30 * DAY);
    pt_order_rec o = {.member_id = c, .ordered_at = TEST_NOW - 120 * DAY, .amount_cents = 5000, .status = PT_ORDER_PAID};
    snprintf(o.order_no, sizeof o.order_no, "c-1");
    snprintf(o.source, sizeof o.source, "t");
    ASSERT_OK(pt_store_order_insert(pt_db_store(db), &o));

    pt_trigger_stats st;
    ASSERT_OK(run(db, l, &st));
    ASSERT_EQ(st.fired[PT_TRIG_EXPIRING], 2);
    ASSERT_EQ(st.fired[PT_TRIG_BIRTHDAY], 2);
    ASSERT_EQ(st.fired[PT_TRIG_CHURN], 1);
    ASSERT_EQ(st.fired[PT_TRIG_DORMANT], 0);
    ASSERT_EQ(st.fired[PT_TRIG_WELCOME], 1);
    ASSERT_EQ(st.capped, 1);
    ASSERT_EQ(st.no_consent, 1);
    ASSERT_EQ(st.already, 0);

    ASSERT_OK(run(db, l, &st));
    for (int r = 0; r < PT_TRIG__COUNT; r++)
        ASSERT_EQ(st.fired[r], 0);
    ASSERT_EQ(st.already, 6);
    ASSERT_EQ(st.capped, 1);

    struct seen s = {0};
    ASSERT_OK(pt_store_outbox_list(pt_db_store(db), count_msgs, &s));
    ASSERT_EQ(s.total, 6);
    ASSERT_EQ(s.expiring, 2);
    ASSERT_EQ(s.birthday, 2);
    ASSERT_EQ(s.churn, 1);
    ASSERT_EQ(s.dormant, 0);
    ASSERT_EQ(s.welcome, 1);
    int audits = 0;
    const int64_t who[] = {a, b, c, d, e};
    for (int k = 0; k < 5; k++)
        ASSERT_OK(pt_store_audit_list(pt_db_store(db), who[k], count_trigger_audit, &audits));
    ASSERT_EQ(audits, 6);
    pt_ledger_close(l);
    pt_db_close(db);
}

/* tier_drop: silver needs 1,000 growth (retain 1,000), reviews every 12 months. The member
 * earns 1,000 growth 13 months before TEST_NOW (upgrade to silver; review 12 months after),
 * the review at TEST_NOW keeps silver and moves the next review 12 months on; with no growth
 * since, a run 5 days before that review fires tier_drop once, and a run 30 days before (outside
 * the 14-day window) fires nothing. */
BOTH_TEST(triggers_tier_drop_fires_before_a_review_that_would_lower_the_tier)
{
    pt_db *db = test_db_on(be, "tdrop");
    ASSERT(db != NULL);
    pt_programme p;
    prog(&p);
    p.expiry_kind = PT_EXPIRY_NEVER;
    p.review_months = 12;
    p.downgrade_steps = 1;
    p.ntiers = 2;
    snprintf(p.tiers[1].code, sizeof p.tiers[1].code, "silver");
    p.tiers[1].threshold = p.tiers[1].retain = 1000;
    p.tiers[1].points_multiplier_bp = PT_BP_ONE;
    pt_ledger *l = NULL;
    ASSERT_OK(pt_ledger_open(&l, db, &p));
    int64_t m = test_add_member(db, "t", "13800000011", NULL, NULL, NULL, TEST_NOW - 900 * DAY, NULL);
    ASSERT_GT(m, 0);
    ASSERT_OK(set_consent(db, m, PT_CONSENT_BIT(PT_CONSENT_SMS) | PT_CONSENT_BIT(PT_CONSENT_ANALYTICS)));
    int64_t t0;
    ASSERT_OK(pt_tz_add("Asia/Shanghai", PT_TZ_MONTH, TEST_NOW, -13, &t0));
    pt_ledger_req req = {.idem_key = "g", .at = t0};
    pt_ledger_result res;
    ASSERT_OK(pt_ledger_credit(l, m, 10, 1000, &req, &res));
    ASSERT_STR_EQ(res.tier, "silver");
    pt_tier_review_stats rs;
    ASSERT_OK(pt_tier_run_reviews(l, TEST_NOW, &rs));
    ASSERT_EQ(rs.kept, 1);
    pt_tier_status ts;
    ASSERT_OK(pt_tier_status_of(l, m, TEST_NOW, &ts));
    ASSERT_GT(ts.review_at, TEST_NOW);
    ASSERT_EQ(ts.tier_at_review, 0);

    int64_t when[] = {ts.review_at - 30 * DAY, ts.review_at - 5 * DAY, ts.review_at - 4 * DAY};
    int64_t want[] = {0, 1, 0};
    for (int k = 0; k < 3; k++) {
        pt_snapshot *snap = NULL;
        ASSERT_OK(pt_snapshot_load(&snap, pt_db_store(db), NULL, NULL));
        pt_audience_ctx ctx = {.channel = -1};
        ASSERT_OK(pt_audience_ctx_prepare(&ctx, snap, when[k]));
        pt_trigger_opts o;
        pt_trigger_opts_init(&o);
        o.as_of = when[k];
        o.birthday = o.dormant = 0;
        o.expiring_days = 0;
        pt_trigger_stats st;
        char err[256];
        int rc = pt_triggers_run(db, l, &ctx, &o, &st, err, sizeof err);
        pt_audience_ctx_free(&ctx);
        pt_snapshot_free(snap);
        ASSERT_OK(rc);
        ASSERT_EQ(st.fired[PT_TRIG_TIER_DROP], want[k]);
        ASSERT_EQ(st.already, k == 2 ? 1 : 0);
    }
    pt_ledger_close(l);
    pt_db_close(db);
}

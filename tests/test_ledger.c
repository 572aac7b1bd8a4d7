/* test_ledger.c — the points ledger on both backends: lots and their order of consumption,
 * idempotency keys, year-end expiry, pending points, refunds after redemption under both
 * policies, tier upgrade and downgrade at review, the verifier and the audit chain catching
 * tampering, random operation sequences that must keep every invariant, concurrent writers,
 * and a writer killed with SIGKILL that must lose nothing it acknowledged.
 *
 * LEDGER_TEST(name) registers name_on_sqlite and name_on_postgres (the latter needs
 * PATRON_TEST_PG, which scripts/run-tests provides). Expected numbers are worked out by hand in
 * each test's comment. The programme is built in code (not parsed) so these tests depend only
 * on the ledger. */
#include "test.h"
#include "helpers.h"
#include "patron/audit.h"
#include "patron/error.h"
#include "patron/ledger.h"
#include "patron/tier.h"
#include "patron/tz.h"

#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LEDGER_TEST BOTH_TEST /* helpers.h: name_on_sqlite and name_on_postgres */

#define DAY 86400

/* A data directory whose store is on backend `be`. */
static pt_db *ledger_db(enum test_backend be, const char *name)
{
    return test_db_on(be, name);
}

/* 1 point per ¥1 (100 cents), growth 1 per ¥1; tiers normal / silver (1,000 to reach, 500 to
 * keep) / gold (3,000 / 2,000); yearly review, one step down at most; Asia/Shanghai. */
static void basic_programme(pt_programme *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "test");
    snprintf(p->currency, sizeof p->currency, "CNY");
    snprintf(p->timezone, sizeof p->timezone, "Asia/Shanghai");
    p->expiry_kind = PT_EXPIRY_NEVER;
    p->redeem_order = PT_REDEEM_SOONEST_EXPIRING;
    p->refund_policy = PT_REFUND_NEGATIVE;
    p->points_per_payment_unit = 100;
    p->payment_unit_cents = 100;
    p->payment_max_bp = 5000;
    p->growth_per_unit = 1;
    p->growth_unit_cents = 100;
    p->review_months = 12;
    p->downgrade_steps = 1;
    p->ntiers = 3;
    const char *codes[] = {"normal", "silver", "gold"};
    int64_t thr[] = {0, 1000, 3000}, keep[] = {0, 500, 2000};
    for (int i = 0; i < 3; i++) {
        snprintf(p->tiers[i].code, sizeof p->tiers[i].code, "%s", codes[i]);
        p->tiers[i].threshold = thr[i];
        p->tiers[i].retain = keep[i];
        p->tiers[i].points_multiplier_bp = PT_BP_ONE;
    }
    p->nrules = 1;
    pt_rule_def *r = &p->rules[0];
    snprintf(r->code, sizeof r->code, "base");
    r->kind = PT_RULE_BASE;
    r->points = 1;
    r->unit_cents = 100;
    r->multiplier_bp = PT_BP_ONE;
}

struct fixture {
    pt_db     *db;
    pt_ledger *l;
    int64_t    m;   /* a member */
};

static int setup(struct fixture *f, enum test_backend be, const pt_programme *p)
{
    memset(f, 0, sizeof *f);
    f->db = ledger_db(be, "led");
    if (!f->db)
        return -1;
    f->m = test_add_member(f->db, "test", "13800138000", NULL, "王五", "1990-07-04", TEST_NOW - 100, NULL);
    if (f->m <= 0)
        return -1;
    int rc = pt_ledger_open(&f->l, f->db, p);
    if (rc)
        fprintf(stderr, "    pt_ledger_open: %s: %s\n", pt_errname(rc), pt_store_errmsg(pt_db_store(f->db)));
    return rc ? -1 : 0;
    return 0;
}

static void teardown(struct fixture *f)
{
    pt_ledger_close(f->l);
    pt_db_close(f->db);
}

static int64_t add_order(struct fixture *f, const char *no, int64_t at, const int64_t *line_cents, int nlines)
{
    pt_order_rec o = {.member_id = f->m, .ordered_at = at, .status = PT_ORDER_PAID};
    for (int i = 0; i < nlines; i++)
        o.amount_cents += line_cents[i];
    snprintf(o.order_no, sizeof o.order_no, "%s", no);
    snprintf(o.source, sizeof o.source, "test");
    pt_store *s = pt_db_store(f->db);
    if (pt_store_order_insert(s, &o))
        return -1;
    for (int i = 0; i < nlines; i++) {
        pt_item_rec it = {.order_id = o.id, .member_id = f->m, .line_no = i + 1, .qty = 1,
                          .unit_cents = line_cents[i], .amount_cents = line_cents[i]};
        snprintf(it.sku, sizeof it.sku, "SKU%d", i + 1);
        snprintf(it.category, sizeof it.category, "food");
        if (pt_store_item_insert(s, &it))
            return -1;
    }
    return o.id;
}

static int earn(struct fixture *f, int64_t points, const char *key, int64_t at, pt_ledger_result *r)
{
    pt_ledger_req req = {.idem_key = key, .at = at};
    return pt_ledger_earn(f->l, f->m, points, &req, r);
}

static int redeem(struct fixture *f, int64_t points, const char *key, pt_ledger_result *r)
{
    pt_ledger_req req = {.idem_key = key};
    return pt_ledger_redeem(f->l, f->m, points, &req, r);
}

static void print_problem(void *ud, int64_t member_id, const char *problem)
{
    (void)ud;
    fprintf(stderr, "    member %lld: %s\n", (long long)member_id, problem);
}

struct lots {
    pt_lot_rec v[64];
    int        n;
};

static int grab_lot(void *ud, const pt_lot_rec *r)
{
    struct lots *ls = ud;
    if (ls->n < 64)
        ls->v[ls->n++] = *r;
    return 0;
}

static void load_lots(struct fixture *f, struct lots *ls)
{
    ls->n = 0;
    pt_store_lot_list(pt_db_store(f->db), f->m, 0, grab_lot, ls);
}

/* Local midnight in Shanghai (UTC+8, no DST) as UTC epoch seconds. */
static int64_t sh(int y, int mo, int d)
{
    pt_civil c = {.year = y, .month = mo, .day = d};
    int64_t t = 0;
    pt_tz_utc("Asia/Shanghai", &c, &t);
    return t;
}

/* Year-end expiry. Lot A: 50 points earned 2026-02-01, expires at the end of 2026; lot B: 100
 * points earned (backdated) 2025-12-30, expires at the end of 2025 — B is written second but
 * expires first. Redeeming 120 on 2025-12-30 takes all 100 of B, then 20 of A (30 left). */
LEDGER_TEST(ledger_redeem_takes_the_soonest_expiring_lot_first)
{
    pt_programme p;
    basic_programme(&p);
    p.expiry_kind = PT_EXPIRY_YEAR_END;
    struct fixture f;
    ASSERT_EQ(setup(&f, be, &p), 0);
    pt_db_set_clock(f.db, sh(2026, 3, 1));
    pt_ledger_result r;
    ASSERT_EQ(earn(&f, 50, "k-2026", sh(2026, 2, 1), &r), PT_OK);  /* lot A: expires end of 2026 */
    ASSERT_EQ(earn(&f, 100, "k-2025", sh(2025, 12, 30), &r), PT_OK); /* lot B: expires end of 2025 */
    pt_db_set_clock(f.db, sh(2025, 12, 30) + 3600);
    ASSERT_EQ(redeem(&f, 120, "r1", &r), PT_OK);
    ASSERT_EQ(r.balance, 30);
    struct lots ls;
    load_lots(&f, &ls);
    ASSERT_EQ(ls.n, 2);
    ASSERT_EQ(ls.v[0].points, 50);
    ASSERT_EQ(ls.v[0].remaining, 30); /* A gave 20 */
    ASSERT_EQ(ls.v[1].points, 100);
    ASSERT_EQ(ls.v[1].remaining, 0);  /* B gave all 100 first */
    ASSERT_EQ(pt_ledger_verify(f.l, print_problem, NULL, NULL), PT_OK);
    teardown(&f);
}

/* The same key twice applies once and answers the same; the same key for other points is a
 * conflict; an overdrawn redemption is refused with PT_EFUNDS and writes nothing. */
LEDGER_TEST(ledger_idempotency_key_applies_once_and_refuses_a_different_request)
{
    pt_programme p;
    basic_programme(&p);
    struct fixture f;
    ASSERT_EQ(setup(&f, be, &p), 0);
    pt_ledger_result a, b;
    ASSERT_EQ(earn(&f, 100, "same", 0, &a), PT_OK);
    ASSERT_EQ(a.replayed, 0);
    ASSERT_EQ(a.balance, 100);
    ASSERT_EQ(earn(&f, 100, "same", 0, &b), PT_OK);
    ASSERT_EQ(b.replayed, 1);
    ASSERT_EQ(b.balance, 100);
    ASSERT_EQ(b.entry_id, a.entry_id);
    ASSERT_EQ(earn(&f, 101, "same", 0, &b), PT_ECONFLICT);
    ASSERT_EQ(redeem(&f, 101, "too-much", &b), PT_EFUNDS);
    pt_account_rec acct;
    ASSERT_EQ(pt_ledger_account(f.l, f.m, &acct), PT_OK);
    ASSERT_EQ(acct.balance, 100);
    ASSERT_EQ(pt_ledger_verify(f.l, print_problem, NULL, NULL), PT_OK);
    teardown(&f);
}

/* 年底清零: 300 points earned 2025-03-01 (Shanghai) expire at the end of 2025, local time:
 * expires_at = 2025-12-31 23:59:59 +08:00 = 2026-01-01 00:00:00 +08:00 − 1 s. Running the
 * job as of that very second expires nothing (still usable); as of 2026-01-01 00:00 local it
 * expires the 300 minus the 120 redeemed in June = 180; running it again changes nothing. */
LEDGER_TEST(ledger_year_end_expiry_clears_what_is_left_once)
{
    pt_programme p;
    basic_programme(&p);
    p.expiry_kind = PT_EXPIRY_YEAR_END;
    struct fixture f;
    ASSERT_EQ(setup(&f, be, &p), 0);
    pt_ledger_result r;
    pt_db_set_clock(f.db, sh(2025, 3, 1));
    ASSERT_EQ(earn(&f, 300, "e", 0, &r), PT_OK);
    ASSERT_EQ(r.expires_at, sh(2026, 1, 1) - 1);
    pt_db_set_clock(f.db, sh(2025, 6, 1));
    ASSERT_EQ(redeem(&f, 120, "r", &r), PT_OK);
    pt_ledger_job_stats st;
    ASSERT_EQ(pt_ledger_run_due(f.l, sh(2026, 1, 1) - 1, &st, NULL, NULL), PT_OK);
    ASSERT_EQ(st.expired_points, 0);
    ASSERT_EQ(pt_ledger_run_due(f.l, sh(2026, 1, 1), &st, NULL, NULL), PT_OK);
    ASSERT_EQ(st.expired_lots, 1);
    ASSERT_EQ(st.expired_points, 180);
    ASSERT_EQ(pt_ledger_run_due(f.l, sh(2026, 1, 1), &st, NULL, NULL), PT_OK);
    ASSERT_EQ(st.expired_points, 0);
    pt_account_rec acct;
    ASSERT_EQ(pt_ledger_account(f.l, f.m, &acct), PT_OK);
    ASSERT_EQ(acct.balance, 0);
    ASSERT_EQ(pt_ledger_verify(f.l, print_problem, NULL, NULL), PT_OK);
    teardown(&f);
}

/* 7-day return window: an order of ¥120 earns 120 pending points; refunding it on day 3
 * cancels them (pending 0, lot cancelled, nothing ever available). A second order of ¥80 stays
 * pending until day 7 and the job then releases 80 into the balance. */
LEDGER_TEST(ledger_pending_points_unlock_after_the_return_window_or_cancel_on_refund)
{
    pt_programme p;
    basic_programme(&p);
    p.pending_days = 7;
    struct fixture f;
    ASSERT_EQ(setup(&f, be, &p), 0);
    int64_t t0 = TEST_NOW;
    int64_t c1[] = {12000}, c2[] = {8000};
    ASSERT_GT(add_order(&f, "O1", t0, c1, 1), 0);
    ASSERT_GT(add_order(&f, "O2", t0, c2, 1), 0);
    pt_ledger_result r;
    ASSERT_EQ(pt_ledger_earn_order(f.l, "O1", NULL, &r, NULL), PT_OK);
    ASSERT_EQ(r.pending, 120);
    ASSERT_EQ(r.balance, 0);
    ASSERT_EQ(r.available_at, t0 + 7 * DAY);
    ASSERT_EQ(pt_ledger_earn_order(f.l, "O1", NULL, &r, NULL), PT_OK); /* retried: replayed */
    ASSERT_EQ(r.replayed, 1);
    ASSERT_EQ(pt_ledger_earn_order(f.l, "O2", NULL, &r, NULL), PT_OK);
    ASSERT_EQ(r.pending, 200);
    pt_db_set_clock(f.db, t0 + 3 * DAY);
    pt_ledger_req req = {.idem_key = "refund-O1"};
    ASSERT_EQ(pt_ledger_refund(f.l, "O1", NULL, 0, &req, &r), PT_OK);
    ASSERT_EQ(r.pending, 80);
    ASSERT_EQ(r.points, -120);
    ASSERT_EQ(r.growth, 80);
    pt_ledger_job_stats st;
    ASSERT_EQ(pt_ledger_run_due(f.l, t0 + 7 * DAY - 1, &st, NULL, NULL), PT_OK);
    ASSERT_EQ(st.released_points, 0);
    ASSERT_EQ(pt_ledger_run_due(f.l, t0 + 7 * DAY, &st, NULL, NULL), PT_OK);
    ASSERT_EQ(st.released_points, 80);
    pt_account_rec acct;
    ASSERT_EQ(pt_ledger_account(f.l, f.m, &acct), PT_OK);
    ASSERT_EQ(acct.balance, 80);
    ASSERT_EQ(acct.pending, 0);
    struct lots ls;
    load_lots(&f, &ls);
    ASSERT_EQ(ls.v[0].state, PT_LOT_CANCELLED);
    ASSERT_EQ(pt_ledger_verify(f.l, print_problem, NULL, NULL), PT_OK);
    teardown(&f);
}

/* Refund after redeem, policy "negative". Order O: line 1 ¥60, line 2 ¥40 → lot of 100; a
 * goodwill lot of 10 (no expiry either; O's lot is older so it is taken first... both never
 * expire, so the older one, O's lot, goes first). Redeem 70 → O's lot 30 left, goodwill 10.
 * Refund line 1 (60 points): 30 from O's lot; 30 were spent (cap: 100 − 30 remaining − 0
 * expired − 0 reversed = 70 ≥ 30), so 30 are owed: 10 from the goodwill lot, 20 overdraft.
 * Balance 40 − 60 = −20. An earn of 50 settles the overdraft: lot 50 → 30 left, balance 30.
 * Refunding line 2 then (40): O's lot has 0, cap = 100 − 0 − 0 − 60 = 40 → 40 owed, taken
 * from the 30 left, 10 overdraft → balance −10. */
LEDGER_TEST(ledger_refund_after_redeem_claws_back_spent_points_into_overdraft)
{
    pt_programme p;
    basic_programme(&p);
    struct fixture f;
    ASSERT_EQ(setup(&f, be, &p), 0);
    int64_t cents[] = {6000, 4000};
    ASSERT_GT(add_order(&f, "O", TEST_NOW - 10, cents, 2), 0);
    pt_ledger_result r;
    ASSERT_EQ(pt_ledger_earn_order(f.l, "O", NULL, &r, NULL), PT_OK);
    ASSERT_EQ(r.balance, 100);
    ASSERT_EQ(earn(&f, 10, "goodwill", 0, &r), PT_OK);
    ASSERT_EQ(redeem(&f, 70, "r1", &r), PT_OK);
    ASSERT_EQ(r.balance, 40);
    int line1[] = {1}, line2[] = {2};
    pt_ledger_req req = {.idem_key = "ref-1"};
    ASSERT_EQ(pt_ledger_refund(f.l, "O", line1, 1, &req, &r), PT_OK);
    ASSERT_EQ(r.points, -60);
    ASSERT_EQ(r.balance, -20);
    pt_order_rec half;
    ASSERT_EQ(pt_store_order_find_by_no(pt_db_store(f.db), "O", &half), PT_OK);
    ASSERT_EQ(half.status, PT_ORDER_PAID); /* one line of two: still a purchase */
    ASSERT_EQ(r.overdraft, 20);
    ASSERT_EQ(r.growth, 40);
    ASSERT_EQ(pt_ledger_verify(f.l, print_problem, NULL, NULL), PT_OK);
    ASSERT_EQ(earn(&f, 50, "later", 0, &r), PT_OK);
    ASSERT_EQ(r.balance, 30);
    ASSERT_EQ(r.overdraft, 0);
    req.idem_key = "ref-2";
    ASSERT_EQ(pt_ledger_refund(f.l, "O", line2, 1, &req, &r), PT_OK);
    ASSERT_EQ(r.points, -40);
    ASSERT_EQ(r.balance, -10);
    ASSERT_EQ(r.overdraft, 10);
    pt_order_rec o;
    ASSERT_EQ(pt_store_order_find_by_no(pt_db_store(f.db), "O", &o), PT_OK);
    ASSERT_EQ(o.status, PT_ORDER_REFUNDED); /* both lines refunded: the order is refunded */
    req.idem_key = "ref-3"; /* the whole order again: nothing left to reverse */
    ASSERT_EQ(pt_ledger_refund(f.l, "O", NULL, 0, &req, &r), PT_OK);
    ASSERT_EQ(r.points, 0);
    ASSERT_EQ(r.balance, -10);
    ASSERT_EQ(pt_ledger_verify(f.l, print_problem, NULL, NULL), PT_OK);
    teardown(&f);
}

/* The same story under policy "debt": refunding line 1 takes the 30 left in O's lot (balance
 * 40 → 10) and records 30 as debt; the goodwill lot is untouched. An earn of 50 settles the
 * debt: 30 taken from the new lot, balance 10 + 50 − 30 = 30, debt 0. */
LEDGER_TEST(ledger_refund_after_redeem_records_debt_and_settles_it_from_later_earns)
{
    pt_programme p;
    basic_programme(&p);
    p.refund_policy = PT_REFUND_DEBT;
    struct fixture f;
    ASSERT_EQ(setup(&f, be, &p), 0);
    int64_t cents[] = {6000, 4000};
    ASSERT_GT(add_order(&f, "O", TEST_NOW - 10, cents, 2), 0);
    pt_ledger_result r;
    ASSERT_EQ(pt_ledger_earn_order(f.l, "O", NULL, &r, NULL), PT_OK);
    ASSERT_EQ(earn(&f, 10, "goodwill", 0, &r), PT_OK);
    ASSERT_EQ(redeem(&f, 70, "r1", &r), PT_OK);
    int line1[] = {1};
    pt_ledger_req req = {.idem_key = "ref-1"};
    ASSERT_EQ(pt_ledger_refund(f.l, "O", line1, 1, &req, &r), PT_OK);
    ASSERT_EQ(r.points, -30);
    ASSERT_EQ(r.balance, 10);
    ASSERT_EQ(r.debt, 30);
    ASSERT_EQ(earn(&f, 50, "later", 0, &r), PT_OK);
    ASSERT_EQ(r.balance, 30);
    ASSERT_EQ(r.debt, 0);
    ASSERT_EQ(pt_ledger_verify(f.l, print_problem, NULL, NULL), PT_OK);
    teardown(&f);
}

/* Tiers: an order of ¥3,500 gives growth 3,500 ≥ gold's 3,000 → gold at once, review a year
 * later. In the next period the member spends ¥600 (growth 600): at the review 600 < gold's
 * retention 2,000; the highest tier whose retention 600 meets is silver (500) — and one step
 * down from gold is silver too → silver. A year later with no growth: retention qualifies
 * normal (0), one step down from silver is normal → normal. */
LEDGER_TEST(ledger_tier_upgrades_at_once_and_downgrades_one_step_at_review)
{
    pt_programme p;
    basic_programme(&p);
    struct fixture f;
    ASSERT_EQ(setup(&f, be, &p), 0);
    int64_t t0 = sh(2025, 1, 10);
    pt_db_set_clock(f.db, t0);
    int64_t big[] = {350000}, small[] = {60000};
    ASSERT_GT(add_order(&f, "BIG", t0, big, 1), 0);
    pt_ledger_result r;
    ASSERT_EQ(pt_ledger_earn_order(f.l, "BIG", NULL, &r, NULL), PT_OK);
    ASSERT_STR_EQ(r.tier, "gold");
    pt_account_rec acct;
    ASSERT_EQ(pt_ledger_account(f.l, f.m, &acct), PT_OK);
    ASSERT_EQ(acct.review_at, sh(2026, 1, 10));
    pt_db_set_clock(f.db, sh(2025, 6, 1));
    ASSERT_GT(add_order(&f, "SMALL", sh(2025, 6, 1), small, 1), 0);
    ASSERT_EQ(pt_ledger_earn_order(f.l, "SMALL", NULL, &r, NULL), PT_OK);
    pt_tier_review_stats st;
    ASSERT_EQ(pt_tier_run_reviews(f.l, sh(2026, 1, 9), &st), PT_OK);
    ASSERT_EQ(st.reviewed, 0);
    /* the period that ends 2026-01-10 counts growth from 2025-01-10: 3,500 + 600 = 4,100, so
     * the first review KEEPS gold; the downgrade comes at the next one. */
    ASSERT_EQ(pt_tier_run_reviews(f.l, sh(2026, 1, 10), &st), PT_OK);
    ASSERT_EQ(st.kept, 1);
    ASSERT_EQ(pt_ledger_account(f.l, f.m, &acct), PT_OK);
    ASSERT_STR_EQ(acct.tier, "gold");
    ASSERT_EQ(acct.review_at, sh(2027, 1, 10));
    /* 2026: growth 600 (an order in March) → gold retention 2,000 missed → silver */
    int64_t mid[] = {60000};
    pt_db_set_clock(f.db, sh(2026, 3, 1));
    ASSERT_GT(add_order(&f, "MID", sh(2026, 3, 1), mid, 1), 0);
    ASSERT_EQ(pt_ledger_earn_order(f.l, "MID", NULL, &r, NULL), PT_OK);
    ASSERT_EQ(pt_tier_run_reviews(f.l, sh(2027, 1, 10), &st), PT_OK);
    ASSERT_EQ(st.downgraded, 1);
    ASSERT_EQ(pt_ledger_account(f.l, f.m, &acct), PT_OK);
    ASSERT_STR_EQ(acct.tier, "silver");
    /* 2027: no growth → one step down to normal */
    ASSERT_EQ(pt_tier_run_reviews(f.l, sh(2028, 1, 10), &st), PT_OK);
    ASSERT_EQ(pt_ledger_account(f.l, f.m, &acct), PT_OK);
    ASSERT_STR_EQ(acct.tier, "normal");
    teardown(&f);
}

/* --- tampering ---------------------------------------------------------------------------- */

static int raw_sql(enum test_backend be, pt_db *db, const char *sql)
{
    if (be == TEST_POSTGRES) {
        char schema[128];
        test_pg_schema("led", schema, sizeof schema);
        char full[1024];
        snprintf(full, sizeof full, "SET search_path TO %s; %s", schema, sql);
        return test_pg_sql("%s", full) < 0 ? -1 : 0;
    }
    (void)db;
    char path[4200];
    snprintf(path, sizeof path, "%s/led.db", pt_test_tmpdir());
    sqlite3 *h;
    if (sqlite3_open(path, &h) != SQLITE_OK)
        return -1;
    int rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
    sqlite3_close(h);
    return rc == SQLITE_OK ? 0 : -1;
}

LEDGER_TEST(ledger_verify_names_the_member_whose_lot_was_changed)
{
    pt_programme p;
    basic_programme(&p);
    struct fixture f;
    ASSERT_EQ(setup(&f, be, &p), 0);
    pt_ledger_result r;
    ASSERT_EQ(earn(&f, 100, "a", 0, &r), PT_OK);
    ASSERT_EQ(pt_ledger_verify(f.l, NULL, NULL, NULL), PT_OK);
    ASSERT_EQ(raw_sql(be, f.db, "UPDATE lots SET remaining = 90"), 0);
    int64_t n = 0;
    ASSERT_EQ(pt_ledger_verify(f.l, NULL, NULL, &n), PT_ECORRUPT);
    ASSERT_EQ(n, 1);
    teardown(&f);
}

static void count_problem(void *ud, int64_t member_id, int64_t seq, const char *problem)
{
    (void)member_id;
    (void)seq;
    (void)problem;
    (*(int *)ud)++;
}

LEDGER_TEST(audit_verify_detects_a_changed_and_a_deleted_record)
{
    pt_programme p;
    basic_programme(&p);
    struct fixture f;
    ASSERT_EQ(setup(&f, be, &p), 0);
    pt_ledger_result r;
    ASSERT_EQ(earn(&f, 100, "a", 0, &r), PT_OK);
    ASSERT_EQ(earn(&f, 5, "b", 0, &r), PT_OK);
    ASSERT_EQ(redeem(&f, 20, "c", &r), PT_OK);
    pt_store *s = pt_db_store(f.db);
    int problems = 0;
    pt_audit_report rep;
    ASSERT_EQ(pt_audit_verify(s, pt_db_crypt(f.db), count_problem, &problems, &rep), PT_OK);
    ASSERT_EQ(rep.records, 5); /* programme load; the member's creation (seq 1) + 3 writes */
    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE audit_log SET detail = replace(detail, '\"points\":5', '\"points\":500')"
                              " WHERE member_id = %lld AND seq = 3", (long long)f.m);
    ASSERT_EQ(raw_sql(be, f.db, sql), 0);
    ASSERT_EQ(pt_audit_verify(s, pt_db_crypt(f.db), count_problem, &problems, &rep), PT_ECORRUPT);
    ASSERT_GT(problems, 0);
    /* deleting the last record of the chain: the head no longer matches */
    snprintf(sql, sizeof sql, "UPDATE audit_log SET detail = replace(detail, '\"points\":500', '\"points\":5');"
                              " DELETE FROM audit_log WHERE member_id = %lld AND seq = 4", (long long)f.m);
    ASSERT_EQ(raw_sql(be, f.db, sql), 0);
    problems = 0;
    ASSERT_EQ(pt_audit_verify(s, pt_db_crypt(f.db), count_problem, &problems, &rep), PT_ECORRUPT);
    ASSERT_EQ(problems, 1);
    teardown(&f);
}

/* --- random sequences ----------------------------------------------------------------------- */

struct uses_check {
    pt_store  *s;
    int64_t    member;
    int        bad;
    pt_lot_rec used[64];
    int        nused;
};

static int note_use(void *ud, const pt_lot_use_rec *u)
{
    struct uses_check *c = ud;
    if (c->nused < 64 && pt_store_lot_get(c->s, c->member, u->lot_id, &c->used[c->nused]) == PT_OK)
        c->nused++;
    return 0;
}

/* A redemption took from lot L only if every available lot expiring before L was emptied. */
static int soonest_first_held(struct fixture *f, int64_t entry_id)
{
    struct uses_check c = {.s = pt_db_store(f->db), .member = f->m};
    pt_store_lot_use_list(c.s, f->m, entry_id, note_use, &c);
    struct lots ls;
    load_lots(f, &ls);
    for (int i = 0; i < c.nused; i++) {
        uint64_t used_exp = c.used[i].expires_at ? (uint64_t)c.used[i].expires_at : UINT64_MAX;
        for (int j = 0; j < ls.n; j++) {
            uint64_t e = ls.v[j].expires_at ? (uint64_t)ls.v[j].expires_at : UINT64_MAX;
            if (ls.v[j].state == PT_LOT_AVAILABLE && ls.v[j].remaining > 0 && e < used_exp)
                return 0;
        }
    }
    return 1;
}

/* Random operation sequences — 1,000 on SQLite, 100 on PostgreSQL, each of 12 operations on
 * its own member with its own seed: earns, redemptions, order earns and partial refunds,
 * adjustments, retries of an earlier key, time passing with the due job. The verifier must
 * pass throughout, redemptions must have taken the soonest-expiring lots first and a retried
 * key must change nothing. */
LEDGER_TEST(ledger_random_operation_sequences_keep_every_invariant)
{
    pt_programme p;
    basic_programme(&p);
    p.expiry_kind = PT_EXPIRY_DAYS;
    p.expiry_n = 30;
    p.pending_days = 3;
    struct fixture f;
    ASSERT_EQ(setup(&f, be, &p), 0);
    int nseq = be == TEST_POSTGRES ? 100 : 1000, ops = 12;
    int64_t orders = 0;
    for (int seq = 0; seq < nseq; seq++) {
    char phone[16];
    snprintf(phone, sizeof phone, "139%08d", seq);
    f.m = test_add_member(f.db, "test", phone, NULL, NULL, NULL, TEST_NOW - 100, NULL);
    ASSERT_GT(f.m, 0);
    unsigned seed = 12345u + (unsigned)seq;
    int64_t now = TEST_NOW, first_order = orders + 1;
    int64_t earned[64] = {0}; /* points of the earn made at step i under key "e<i>", or 0 */
    char key[64];
    for (int i = 0; i < ops; i++) {
        int what = (int)(rand_r(&seed) % 10);
        pt_ledger_result r;
        pt_account_rec before = {0}, after = {0};
        pt_ledger_account(f.l, f.m, &before);
        now += (int64_t)(rand_r(&seed) % (2 * DAY));
        pt_db_set_clock(f.db, now);
        int rc = PT_OK;
        if (what <= 2) {
            snprintf(key, sizeof key, "e%d", i);
            int64_t pts = 1 + rand_r(&seed) % 200;
            rc = earn(&f, pts, key, 0, &r);
            earned[i] = rc == PT_OK ? pts : 0;
        } else if (what <= 4) {
            snprintf(key, sizeof key, "r%d", i);
            rc = redeem(&f, 1 + rand_r(&seed) % 150, key, &r);
            if (rc == PT_OK)
                ASSERT(soonest_first_held(&f, r.entry_id));
            else
                ASSERT_EQ(rc, PT_EFUNDS);
            rc = PT_OK;
        } else if (what == 5) {
            char no[32];
            snprintf(no, sizeof no, "O%lld", (long long)++orders);
            int64_t cents[] = {(int64_t)(rand_r(&seed) % 20000), (int64_t)(rand_r(&seed) % 20000)};
            ASSERT_GT(add_order(&f, no, now, cents, 2), 0);
            rc = pt_ledger_earn_order(f.l, no, NULL, &r, NULL);
        } else if (what == 6 && orders >= first_order) { /* one of this member's orders */
            char no[32];
            snprintf(no, sizeof no, "O%lld", (long long)(first_order + rand_r(&seed) % (unsigned)(orders - first_order + 1)));
            snprintf(key, sizeof key, "f%d", i);
            int line[] = {1 + (int)(rand_r(&seed) % 2)};
            pt_ledger_req req = {.idem_key = key};
            rc = pt_ledger_refund(f.l, no, line, 1, &req, &r);
        } else if (what == 7) {
            snprintf(key, sizeof key, "a%d", i);
            pt_ledger_req req = {.idem_key = key, .note = "correction", .actor = "tester"};
            rc = pt_ledger_adjust(f.l, f.m, (int64_t)(rand_r(&seed) % 100) - 30, &req, &r);
            if (rc == PT_EINVAL || rc == PT_EFUNDS)
                rc = PT_OK; /* a zero or too large correction is refused; nothing written */
        } else if (what == 8 && i > 0) {
            int j = (int)(rand_r(&seed) % (unsigned)i); /* retry an earlier earn, if any */
            if (earned[j]) {
                snprintf(key, sizeof key, "e%d", j);
                pt_ledger_result again;
                ASSERT_EQ(earn(&f, earned[j], key, 0, &again), PT_OK); /* the same request: replayed */
                ASSERT_EQ(again.replayed, 1);
                ASSERT_EQ(earn(&f, earned[j] + 1, key, 0, &again), PT_ECONFLICT); /* another one */
                pt_ledger_account(f.l, f.m, &after);
                ASSERT_EQ(after.balance, before.balance);
                ASSERT_EQ(after.pending, before.pending);
            }
        } else {
            pt_ledger_job_stats st;
            rc = pt_ledger_run_due(f.l, now, &st, NULL, NULL);
        }
        if (rc)
            fprintf(stderr, "    op %d (%d): %s\n", i, what, pt_ledger_errmsg(f.l));
        ASSERT_EQ(rc, PT_OK);
        if (i == ops / 2 || i == ops - 1)
            ASSERT_EQ(pt_ledger_verify(f.l, print_problem, NULL, NULL), PT_OK);
    }
    }
    teardown(&f);
}

/* --- concurrency -------------------------------------------------------------------------- */

struct worker {
    char     dir[4200];
    char     url[4200];
    int64_t  member;
    int      id;
    int      ok, funds, fail;
    pt_programme *prog;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    pt_db_opts o = {.store_url = w->url};
    pt_db *db = NULL;
    pt_ledger *l = NULL;
    char err[512];
    if (pt_db_open(&db, w->dir, &o, err, sizeof err) || pt_ledger_open(&l, db, w->prog)) {
        w->fail = 1000;
        pt_db_close(db);
        return NULL;
    }
    for (int i = 0; i < 40; i++) {
        char key[48];
        snprintf(key, sizeof key, "w%d-%d", w->id, i);
        pt_ledger_req req = {.idem_key = key};
        pt_ledger_result r;
        int rc = i % 2 ? pt_ledger_redeem(l, w->member, 7, &req, &r) : pt_ledger_earn(l, w->member, 10, &req, &r);
        if (rc == PT_OK)
            w->ok++;
        else if (rc == PT_EFUNDS)
            w->funds++;
        else {
            fprintf(stderr, "    worker %d: %s (%s)\n", w->id, pt_ledger_errmsg(l), pt_errname(rc));
            w->fail++;
        }
    }
    pt_ledger_close(l);
    pt_db_close(db);
    return NULL;
}

/* Six connections earn 10 and redeem 7 on the same member, 20 times each: every write either
 * applies or is refused for funds, never fails otherwise, and the final balance is exactly
 * 10 × earns − 7 × successful redemptions, with every invariant holding. */
LEDGER_TEST(ledger_concurrent_writers_on_one_member_serialise_without_losing_a_point)
{
    pt_programme p;
    basic_programme(&p);
    struct fixture f;
    ASSERT_EQ(setup(&f, be, &p), 0);
    struct worker w[6];
    pthread_t th[6];
    for (int i = 0; i < 6; i++) {
        memset(&w[i], 0, sizeof w[i]);
        snprintf(w[i].dir, sizeof w[i].dir, "%s/led", pt_test_tmpdir());
        snprintf(w[i].url, sizeof w[i].url, "%s", test_store_url(be, "led", NULL));
        w[i].member = f.m;
        w[i].id = i;
        w[i].prog = &p;
        ASSERT_EQ(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    int64_t redeemed = 0, earned = 0;
    for (int i = 0; i < 6; i++) {
        pthread_join(th[i], NULL);
        ASSERT_EQ(w[i].fail, 0);
        earned += 20 * 10;
        redeemed += 7 * (w[i].ok - 20);
    }
    pt_account_rec acct;
    ASSERT_EQ(pt_ledger_account(f.l, f.m, &acct), PT_OK);
    ASSERT_EQ(acct.balance, earned - redeemed);
    ASSERT_EQ(pt_ledger_verify(f.l, print_problem, NULL, NULL), PT_OK);
    teardown(&f);
}

/* --- crash -------------------------------------------------------------------------------- */

/* The child earns 1 point per key k0, k1, … and writes each key's number to the pipe only
 * after the earn returned (i.e. committed). */
static void crash_child(const char *dir, const char *url, int64_t member, const pt_programme *p, int fd, int start)
{
    pt_db_opts o = {.store_url = url};
    pt_db *db = NULL;
    pt_ledger *l = NULL;
    char err[512];
    if (pt_db_open(&db, dir, &o, err, sizeof err) || pt_ledger_open(&l, db, p))
        _exit(3);
    int ready = -1;
    if (write(fd, &ready, sizeof ready) != sizeof ready)
        _exit(5);
    for (int i = start;; i++) {
        char key[32];
        snprintf(key, sizeof key, "k%d", i);
        pt_ledger_req req = {.idem_key = key};
        pt_ledger_result r;
        if (pt_ledger_earn(l, member, 1, &req, &r))
            _exit(4);
        if (write(fd, &i, sizeof i) != sizeof i)
            _exit(5);
    }
}

static int count_entries(void *ud, const pt_entry_rec *e)
{
    if (e->kind == PT_ENTRY_EARN)
        (*(int *)ud)++;
    return 0;
}

/* 20 times: start a writer, kill it with SIGKILL a random 5–60 ms after its first acknowledged
 * earn. Every key it acknowledged must be in the ledger exactly once; retrying all keys up to the highest one
 * tried must apply only the unacknowledged ones that never committed; the verifier passes. */
LEDGER_TEST(ledger_writer_killed_with_sigkill_loses_no_acknowledged_earn)
{
    pt_programme p;
    basic_programme(&p);
    struct fixture f;
    ASSERT_EQ(setup(&f, be, &p), 0);
    char dir[4200], url[4200];
    snprintf(dir, sizeof dir, "%s/led", pt_test_tmpdir());
    snprintf(url, sizeof url, "%s", test_store_url(be, "led", NULL));
    unsigned seed = 99;
    int next = 0, acked = 0;
    static unsigned char was_acked[1 << 16];
    memset(was_acked, 0, sizeof was_acked);
    for (int round = 0; round < 20; round++) {
        int fds[2];
        ASSERT_EQ(pipe(fds), 0);
        fflush(NULL);
        pid_t pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            crash_child(dir, url, f.m, &p, fds[1], next);
        }
        close(fds[1]);
        int k;
        ASSERT_EQ(read(fds[0], &k, sizeof k), (ssize_t)sizeof k); /* opened */
        ASSERT_EQ(k, -1);
        /* the first earn acknowledged (however slow a loaded machine makes it), then a random
         * moment in the stream of earns that follows */
        ASSERT_EQ(read(fds[0], &k, sizeof k), (ssize_t)sizeof k);
        acked++;
        next = k + 1;
        if (k >= 0 && k < (int)sizeof was_acked)
            was_acked[k] = 1;
        struct timespec ts = {0, (long)(5 + rand_r(&seed) % 55) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        ASSERT(WIFSIGNALED(status));
        while (read(fds[0], &k, sizeof k) == sizeof k) {
            acked++;
            next = k + 1;
            if (k >= 0 && k < (int)sizeof was_acked)
                was_acked[k] = 1;
        }
        close(fds[0]);
        next += 1; /* the key being written when killed may or may not have committed */
    }
    /* every acknowledged key applied once: replaying each returns replayed=1 */
    int earns = 0;
    pt_store_entry_list(pt_db_store(f.db), f.m, count_entries, &earns);
    ASSERT(earns >= acked);
    int replays = 0;
    for (int i = 0; i < next; i++) {
        char key[32];
        snprintf(key, sizeof key, "k%d", i);
        pt_ledger_result r;
        int rc = earn(&f, 1, key, 0, &r);
        ASSERT_EQ(rc, PT_OK);
        if (r.replayed)
            replays++;
        else
            ASSERT(i >= (int)sizeof was_acked || !was_acked[i]); /* an acknowledged key was lost */
    }
    ASSERT_EQ(replays, earns); /* each committed earn is found by its key, none twice */
    ASSERT_GT(acked, 0);
    ASSERT_EQ(pt_ledger_verify(f.l, print_problem, NULL, NULL), PT_OK);
    teardown(&f);
}

/* Qualifying on rolling 12-month spend (thresholds in cents): silver at ¥1,000 (keep ¥500),
 * gold at ¥3,000 (keep ¥2,000). Orders of ¥800 on 2025-01-10 and ¥400 on 2025-03-01: the
 * second brings the 12-month spend to ¥1,200 → silver at once. Review on 2026-03-01 (a year
 * after the upgrade): the 12 months before it hold only the ¥400 order (the ¥800 one is 13.7
 * months old) → ¥400 < ¥500 to keep silver → normal. */
LEDGER_TEST(ledger_tier_on_rolling_12_month_spend_upgrades_and_lapses_at_review)
{
    pt_programme p;
    basic_programme(&p);
    p.qualify_basis = PT_QUALIFY_SPEND_12M;
    p.tiers[1].threshold = 100000;
    p.tiers[1].retain = 50000;
    p.tiers[2].threshold = 300000;
    p.tiers[2].retain = 200000;
    struct fixture f;
    ASSERT_EQ(setup(&f, be, &p), 0);
    int64_t a[] = {80000}, b[] = {40000};
    pt_db_set_clock(f.db, sh(2025, 1, 10));
    ASSERT_GT(add_order(&f, "A", sh(2025, 1, 10), a, 1), 0);
    pt_ledger_result r;
    ASSERT_EQ(pt_ledger_earn_order(f.l, "A", NULL, &r, NULL), PT_OK);
    ASSERT_STR_EQ(r.tier, "normal");
    pt_db_set_clock(f.db, sh(2025, 3, 1));
    ASSERT_GT(add_order(&f, "B", sh(2025, 3, 1), b, 1), 0);
    ASSERT_EQ(pt_ledger_earn_order(f.l, "B", NULL, &r, NULL), PT_OK);
    ASSERT_STR_EQ(r.tier, "silver");
    pt_account_rec acct;
    ASSERT_EQ(pt_ledger_account(f.l, f.m, &acct), PT_OK);
    ASSERT_EQ(acct.review_at, sh(2026, 3, 1));
    pt_tier_review_stats st;
    ASSERT_EQ(pt_tier_run_reviews(f.l, sh(2026, 3, 1), &st), PT_OK);
    ASSERT_EQ(st.downgraded, 1);
    ASSERT_EQ(pt_ledger_account(f.l, f.m, &acct), PT_OK);
    ASSERT_STR_EQ(acct.tier, "normal");
    teardown(&f);
}

/* Points as payment: 100 points = ¥1, at most 50% of an order. An order of ¥99.99 may take
 * 4,999 cents → 49 whole yuan → at most 4,900 points. 5,000 is over the cap; 150 is not a
 * whole number of yuan; 4,900 pays ¥49.00 and leaves 6,000 − 4,900 = 1,100 points. */
LEDGER_TEST(ledger_points_pay_at_checkout_within_the_cap_per_order)
{
    pt_programme p;
    basic_programme(&p);
    struct fixture f;
    ASSERT_EQ(setup(&f, be, &p), 0);
    pt_ledger_result r;
    ASSERT_EQ(earn(&f, 6000, "e", 0, &r), PT_OK);
    ASSERT_EQ(pt_ledger_payment_max_points(&p, 9999), 4900);
    int64_t value = -1;
    pt_ledger_req req = {.idem_key = "pay-1", .ref = "ORDER-9"};
    ASSERT_EQ(pt_ledger_pay(f.l, f.m, 5000, 9999, &req, &r, &value), PT_ELIMIT);
    ASSERT_EQ(pt_ledger_pay(f.l, f.m, 150, 9999, &req, &r, &value), PT_EINVAL);
    ASSERT_EQ(pt_ledger_pay(f.l, f.m, 4900, 9999, &req, &r, &value), PT_OK);
    ASSERT_EQ(value, 4900);
    ASSERT_EQ(r.balance, 1100);
    ASSERT_EQ(pt_ledger_pay(f.l, f.m, 4900, 9999, &req, &r, &value), PT_OK); /* retried */
    ASSERT_EQ(r.replayed, 1);
    ASSERT_EQ(r.balance, 1100);
    ASSERT_EQ(pt_ledger_verify(f.l, print_problem, NULL, NULL), PT_OK);
    teardown(&f);
}

static void add_double_rule(pt_programme *p, int64_t daily_cap, int64_t budget)
{
    pt_rule_def *r = &p->rules[p->nrules++];
    memset(r, 0, sizeof *r);
    snprintf(r->code, sizeof r->code, "double");
    r->kind = PT_RULE_WINDOW;
    r->multiplier_bp = 2 * PT_BP_ONE;
    r->daily_cap = daily_cap;
    r->budget = budget;
}

/* A ×2 campaign with a budget of 150 points over everyone. A's first ¥100 order: base 100 +
 * 100 from the campaign (budget 50 left) = 200. A's second ¥100 order: 100 + the last 50 = 150.
 * B's ¥100 order: the budget is spent, 100. The budget row shows 150 given. */
LEDGER_TEST(ledger_campaign_budget_is_shared_by_every_member_and_never_overspent)
{
    pt_programme p;
    basic_programme(&p);
    add_double_rule(&p, 0, 150);
    struct fixture f;
    ASSERT_EQ(setup(&f, be, &p), 0);
    int64_t cents[] = {10000};
    pt_ledger_result r;
    ASSERT_GT(add_order(&f, "A1", TEST_NOW - 300, cents, 1), 0);
    ASSERT_GT(add_order(&f, "A2", TEST_NOW - 200, cents, 1), 0);
    ASSERT_EQ(pt_ledger_earn_order(f.l, "A1", NULL, &r, NULL), PT_OK);
    ASSERT_EQ(r.points, 200);
    ASSERT_EQ(pt_ledger_earn_order(f.l, "A2", NULL, &r, NULL), PT_OK);
    ASSERT_EQ(r.points, 150);
    f.m = test_add_member(f.db, "test", "13700137000", NULL, NULL, NULL, TEST_NOW - 100, NULL);
    ASSERT_GT(f.m, 0);
    ASSERT_GT(add_order(&f, "B1", TEST_NOW - 100, cents, 1), 0);
    ASSERT_EQ(pt_ledger_earn_order(f.l, "B1", NULL, &r, NULL), PT_OK);
    ASSERT_EQ(r.points, 100);
    int64_t given = -1;
    ASSERT_EQ(pt_store_rule_budget_get(pt_db_store(f.db), "double", 0, &given), PT_OK);
    ASSERT_EQ(given, 150);
    teardown(&f);
}

/* The same ×2 campaign capped at 60 points a member a day (Shanghai days): two ¥100 orders on
 * one day give 100 + 60 and 100 + 0; an order the next day gets the 60 again. */
LEDGER_TEST(ledger_campaign_daily_cap_spans_a_members_orders_of_one_local_day)
{
    pt_programme p;
    basic_programme(&p);
    add_double_rule(&p, 60, 0);
    struct fixture f;
    ASSERT_EQ(setup(&f, be, &p), 0);
    int64_t cents[] = {10000};
    int64_t day = sh(2025, 6, 15);
    pt_db_set_clock(f.db, day + 2 * DAY);
    pt_ledger_result r;
    ASSERT_GT(add_order(&f, "D1", day + 3600, cents, 1), 0);
    ASSERT_GT(add_order(&f, "D2", day + 7200, cents, 1), 0);
    ASSERT_GT(add_order(&f, "D3", day + DAY + 3600, cents, 1), 0);
    ASSERT_EQ(pt_ledger_earn_order(f.l, "D1", NULL, &r, NULL), PT_OK);
    ASSERT_EQ(r.points, 160);
    ASSERT_EQ(pt_ledger_earn_order(f.l, "D2", NULL, &r, NULL), PT_OK);
    ASSERT_EQ(r.points, 100);
    ASSERT_EQ(pt_ledger_earn_order(f.l, "D3", NULL, &r, NULL), PT_OK);
    ASSERT_EQ(r.points, 160);
    teardown(&f);
}

/* Birthday gifts: the fixture's member was born 1990-07-04; the entry tier gives 100 points.
 * A run on 2025-07-01 gives 100; a second run that month gives nothing; a run in August gives
 * nothing; a run on 2026-07-20 gives the next year's 100. Balance 200. */
LEDGER_TEST(ledger_birthday_gift_is_given_once_a_year_in_the_birthday_month)
{
    pt_programme p;
    basic_programme(&p);
    p.tiers[0].birthday_gift_points = 100;
    struct fixture f;
    ASSERT_EQ(setup(&f, be, &p), 0);
    pt_ledger_birthday_stats st;
    pt_db_set_clock(f.db, sh(2025, 7, 1));
    ASSERT_EQ(pt_ledger_birthday_gifts(f.l, sh(2025, 7, 1), &st), PT_OK);
    ASSERT_EQ(st.checked, 1);
    ASSERT_EQ(st.points, 100);
    ASSERT_EQ(pt_ledger_birthday_gifts(f.l, sh(2025, 7, 15), &st), PT_OK);
    ASSERT_EQ(st.points, 0);
    ASSERT_EQ(pt_ledger_birthday_gifts(f.l, sh(2025, 8, 1), &st), PT_OK);
    ASSERT_EQ(st.checked, 0);
    pt_db_set_clock(f.db, sh(2026, 7, 20));
    ASSERT_EQ(pt_ledger_birthday_gifts(f.l, sh(2026, 7, 20), &st), PT_OK);
    ASSERT_EQ(st.points, 100);
    pt_account_rec acct;
    ASSERT_EQ(pt_ledger_account(f.l, f.m, &acct), PT_OK);
    ASSERT_EQ(acct.balance, 200);
    teardown(&f);
}

/* Points follow a merge. A (the fixture member, phone 138…) holds 100 points; B (e-mail only)
 * holds 50, in a lot expiring at the end of 2025 (year-end policy), plus growth 30 from an
 * order of ¥30 earning 30 points (so B holds 80 points). A record carrying both A's phone and
 * B's e-mail merges B into A. The due job moves B's two lots to A, keeping each one's expiry:
 * A then holds 180 points and growth 30, B nothing; a second run moves nothing. */
LEDGER_TEST(ledger_points_lots_and_growth_follow_a_merge_into_the_survivor)
{
    pt_programme p;
    basic_programme(&p);
    p.expiry_kind = PT_EXPIRY_YEAR_END;
    struct fixture f;
    ASSERT_EQ(setup(&f, be, &p), 0);
    pt_db_set_clock(f.db, sh(2025, 6, 1));
    int64_t a = f.m;
    pt_ledger_result r;
    ASSERT_EQ(earn(&f, 100, "a1", 0, &r), PT_OK);
    int64_t b = test_add_member(f.db, "eshop", NULL, "b@example.com", NULL, NULL, sh(2025, 6, 1), NULL);
    ASSERT_GT(b, a);
    f.m = b;
    ASSERT_EQ(earn(&f, 50, "b1", 0, &r), PT_OK);
    int64_t cents[] = {3000};
    ASSERT_GT(add_order(&f, "B-O", sh(2025, 6, 1), cents, 1), 0);
    ASSERT_EQ(pt_ledger_earn_order(f.l, "B-O", NULL, &r, NULL), PT_OK);
    ASSERT_EQ(r.balance, 80);
    pt_resolve_out out;
    ASSERT_EQ(test_add_member(f.db, "app", "13800138000", "b@example.com", NULL, NULL, sh(2025, 6, 2), &out), a);
    ASSERT_EQ(out.merged, 1);
    int64_t moved_members = 0, moved_points = 0;
    ASSERT_EQ(pt_ledger_absorb_merged(f.l, &moved_members, &moved_points), PT_OK);
    ASSERT_EQ(moved_members, 1);
    ASSERT_EQ(moved_points, 80);
    pt_account_rec acct;
    ASSERT_EQ(pt_ledger_account(f.l, a, &acct), PT_OK);
    ASSERT_EQ(acct.balance, 180);
    ASSERT_EQ(acct.growth, 30);
    ASSERT_EQ(pt_ledger_account(f.l, b, &acct), PT_OK);
    ASSERT_EQ(acct.balance, 0);
    ASSERT_EQ(acct.growth, 0);
    f.m = a;
    struct lots ls;
    load_lots(&f, &ls);
    ASSERT_EQ(ls.n, 3);
    for (int i = 0; i < ls.n; i++)
        ASSERT_EQ(ls.v[i].expires_at, sh(2026, 1, 1) - 1); /* each keeps its expiry */
    ASSERT_EQ(pt_ledger_absorb_merged(f.l, &moved_members, &moved_points), PT_OK);
    ASSERT_EQ(moved_members, 0);
    ASSERT_EQ(pt_ledger_verify(f.l, print_problem, NULL, NULL), PT_OK);
    teardown(&f);
}

/* pt_tier_evaluate, one member now. Spend-qualified tiers (silver ¥1,000, gold ¥3,000 in 12
 * months; keep ¥500 / ¥2,000): a ¥3,500 order imported without a ledger write qualifies the
 * member for gold, which only an evaluation applies (upgrade, review a year on). Evaluating
 * again changes nothing. Two years later, with no spend since, both due reviews run: the first
 * keeps gold (¥3,500 in the 12 months before 2026-03-01), the second drops one step to silver. */
LEDGER_TEST(ledger_tier_evaluate_applies_a_qualifying_upgrade_and_the_due_reviews_of_one_member)
{
    pt_programme p;
    basic_programme(&p);
    p.qualify_basis = PT_QUALIFY_SPEND_12M;
    int64_t thr[] = {0, 100000, 300000}, keep[] = {0, 50000, 200000};
    for (int i = 0; i < 3; i++) {
        p.tiers[i].threshold = thr[i];
        p.tiers[i].retain = keep[i];
    }
    struct fixture f;
    ASSERT_EQ(setup(&f, be, &p), 0);
    int64_t t0 = sh(2025, 3, 1);
    pt_db_set_clock(f.db, t0);
    pt_tier_eval ev;
    ASSERT_EQ(pt_tier_evaluate(f.l, f.m, 0, "tester", &ev), PT_OK); /* no account yet */
    ASSERT_EQ(ev.tier_before, 0);
    ASSERT_EQ(ev.tier_after, 0);
    ASSERT_EQ(ev.upgraded + ev.downgraded + ev.reviews, 0);
    pt_ledger_result r;
    ASSERT_EQ(earn(&f, 10, "k1", t0, &r), PT_OK); /* an account, still normal */
    ASSERT_STR_EQ(r.tier, "normal");
    int64_t big[] = {350000};
    ASSERT_GT(add_order(&f, "BIG", t0, big, 1), 0);
    ASSERT_EQ(pt_tier_evaluate(f.l, f.m, 0, "tester", &ev), PT_OK);
    ASSERT_EQ(ev.tier_before, 0);
    ASSERT_EQ(ev.tier_after, 2);
    ASSERT_EQ(ev.upgraded, 1);
    ASSERT_EQ(ev.reviews, 0);
    ASSERT_EQ(ev.period_growth, 350000);
    ASSERT_EQ(ev.review_at, sh(2026, 3, 1));
    pt_account_rec acct;
    ASSERT_EQ(pt_ledger_account(f.l, f.m, &acct), PT_OK);
    ASSERT_STR_EQ(acct.tier, "gold");
    ASSERT_EQ(acct.tier_since, t0);
    ASSERT_EQ(pt_tier_evaluate(f.l, f.m, 0, "tester", &ev), PT_OK);
    ASSERT_EQ(ev.tier_before, 2);
    ASSERT_EQ(ev.tier_after, 2);
    ASSERT_EQ(ev.upgraded + ev.downgraded + ev.reviews, 0);
    pt_db_set_clock(f.db, sh(2027, 3, 2));
    ASSERT_EQ(pt_tier_evaluate(f.l, f.m, 0, "tester", &ev), PT_OK);
    ASSERT_EQ(ev.reviews, 2);
    ASSERT_EQ(ev.downgraded, 1);
    ASSERT_EQ(ev.tier_before, 2);
    ASSERT_EQ(ev.tier_after, 1);
    ASSERT_EQ(ev.review_at, sh(2028, 3, 1));
    ASSERT_EQ(pt_ledger_account(f.l, f.m, &acct), PT_OK);
    ASSERT_STR_EQ(acct.tier, "silver");
    ASSERT_EQ(pt_ledger_verify(f.l, print_problem, NULL, NULL), PT_OK);
    teardown(&f);
}

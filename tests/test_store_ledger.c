/* test_store_ledger.c — the programme's store records (store_ledger.h), run on every backend
 * from one source: accounts, ledger entries, lots and their uses, what order lines earned,
 * idempotency keys, tier changes, programme versions, the audit log and its heads, the
 * per-member ledger check, and the row lock a ledger write takes.
 *
 * BOTH_TEST(name) defines one body taking the backend and registers name_on_sqlite and
 * name_on_postgres; the PostgreSQL variants need PATRON_TEST_PG (scripts/run-tests starts a
 * throwaway server) and skip without it. Each store is fresh: a file in the test's temp dir, or
 * a fresh schema (tests/helpers.c). Values are small hand-picked numbers so that every expected
 * figure can be checked by eye. */
#include "helpers.h"
#include "test.h"
#include "patron/error.h"
#include "patron/metrics.h"
#include "patron/store.h"
#include "patron/store_ledger.h"
#include "patron/store_stats.h"
#include "store_int.h" /* pt__store_pg_conn: the backend pid of a connection, for the lock test */

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define T0 1700000000 /* a business time; the cases below count seconds from it */

/* --- fixtures ---------------------------------------------------------------------------------- */

static pt_store *open_store(enum test_backend be, const char *name)
{
    return test_store_open(be, name, NULL);
}

static int add_account(pt_store *s, int64_t member, int64_t balance)
{
    pt_account_rec a = {.member_id = member, .balance = balance, .updated_at = T0};
    snprintf(a.tier, sizeof a.tier, "base");
    return pt_store_account_insert(s, &a);
}

/* An entry of member m; returns its id, or -1. */
static int64_t add_entry(pt_store *s, int64_t m, int kind, int bucket, int64_t points, int64_t growth, int64_t at)
{
    pt_entry_rec e = {.member_id = m, .kind = kind, .bucket = bucket, .points = points, .growth = growth, .at = at,
                      .created_at = T0};
    snprintf(e.actor, sizeof e.actor, "system");
    return pt_store_entry_insert(s, &e) ? -1 : e.id;
}

/* A lot of member m; returns its id, or -1. */
static int64_t add_lot(pt_store *s, int64_t m, int state, int64_t points, int64_t remaining, int64_t available_at,
                       int64_t expires_at)
{
    pt_lot_rec l = {.member_id = m, .entry_id = 1, .earned_at = T0, .available_at = available_at,
                    .expires_at = expires_at, .points = points, .remaining = remaining, .state = state};
    return pt_store_lot_insert(s, &l) ? -1 : l.id;
}

static int add_use(pt_store *s, int64_t m, int64_t entry, int64_t lot, int64_t points)
{
    pt_lot_use_rec u = {.member_id = m, .entry_id = entry, .lot_id = lot, .points = points};
    return pt_store_lot_use_insert(s, &u);
}

static void fill_hash(uint8_t h[PT_HASH_LEN], int seed)
{
    for (int i = 0; i < PT_HASH_LEN; i++)
        h[i] = (uint8_t)(seed * 31 + i * 7); /* includes 0x00 bytes: bytea must keep them */
}

/* Audit record (m, seq) whose detail, prev and hash follow from m and seq (collect_audit checks). */
static int add_audit(pt_store *s, int64_t m, int64_t seq)
{
    pt_audit_rec r;
    pt_audit_rec_init(&r);
    r.member_id = m;
    r.seq = seq;
    r.at = T0 + seq;
    snprintf(r.actor, sizeof r.actor, "system");
    snprintf(r.action, sizeof r.action, "points.earn");
    int rc = pt_buf_appendf(&r.detail, "{\"m\":%lld,\"seq\":%lld}", (long long)m, (long long)seq);
    fill_hash(r.prev, (int)(m * 10 + seq - 1));
    fill_hash(r.hash, (int)(m * 10 + seq));
    if (rc == PT_OK)
        rc = pt_store_audit_insert(s, &r);
    pt_audit_rec_free(&r);
    return rc;
}

/* Collects member ids from a pt_member_id_cb; stops with 99 after `stop_after` ids when set. */
struct ids {
    int64_t v[32];
    int     n;
    int     stop_after;
};

static int collect_id(void *ud, int64_t member_id)
{
    struct ids *c = ud;
    if (c->n < 32)
        c->v[c->n] = member_id;
    c->n++;
    return c->stop_after && c->n >= c->stop_after ? 99 : 0;
}

/* --- accounts ---------------------------------------------------------------------------------- */

BOTH_TEST(store_ledger_account_round_trips_every_column_eexist_on_a_second_insert_enotfound_when_absent)
{
    pt_store *s = open_store(be, "account");
    ASSERT(s);
    int64_t a = test_store_member(s, "A"), b = test_store_member(s, "B");
    ASSERT_GT(b, 0);
    pt_account_rec r;
    ASSERT_EQ(pt_store_account_get(s, a, 0, &r), PT_ENOTFOUND);
    pt_account_rec w = {.member_id = a, .balance = 120, .pending = 30, .overdraft = 4, .debt = 5, .growth = 700,
                        .tier_since = T0 + 1, .review_at = T0 + 2, .updated_at = T0 + 3};
    snprintf(w.tier, sizeof w.tier, "金卡");
    ASSERT_OK(pt_store_account_insert(s, &w));
    memset(&r, 0x5a, sizeof r);
    ASSERT_OK(pt_store_account_get(s, a, 0, &r));
    ASSERT_EQ(r.member_id, a);
    ASSERT_EQ(r.balance, 120);
    ASSERT_EQ(r.pending, 30);
    ASSERT_EQ(r.overdraft, 4);
    ASSERT_EQ(r.debt, 5);
    ASSERT_EQ(r.growth, 700);
    ASSERT_STR_EQ(r.tier, "金卡");
    ASSERT_EQ(r.tier_since, T0 + 1);
    ASSERT_EQ(r.review_at, T0 + 2);
    ASSERT_EQ(r.updated_at, T0 + 3);

    pt_account_rec dup = w;
    dup.balance = 1;
    ASSERT_EQ(pt_store_account_insert(s, &dup), PT_EEXIST);
    ASSERT_STR_CONTAINS(pt_store_errmsg(s), "UNIQUE");

    /* update rewrites every column but the key */
    pt_account_rec u = {.member_id = a, .balance = -7, .pending = 0, .overdraft = 7, .debt = 0, .growth = 701,
                        .tier_since = T0 + 10, .review_at = 0, .updated_at = T0 + 11};
    snprintf(u.tier, sizeof u.tier, "silver");
    ASSERT_OK(pt_store_account_update(s, &u));
    ASSERT_OK(pt_store_account_get(s, a, 0, &r));
    ASSERT_EQ(r.balance, -7);
    ASSERT_EQ(r.pending, 0);
    ASSERT_EQ(r.overdraft, 7);
    ASSERT_EQ(r.debt, 0);
    ASSERT_EQ(r.growth, 701);
    ASSERT_STR_EQ(r.tier, "silver");
    ASSERT_EQ(r.tier_since, T0 + 10);
    ASSERT_EQ(r.review_at, 0);
    ASSERT_EQ(r.updated_at, T0 + 11);

    u.member_id = b; /* b has no account */
    ASSERT_EQ(pt_store_account_update(s, &u), PT_ENOTFOUND);
    ASSERT_EQ(pt_store_account_get(s, b, 0, &r), PT_ENOTFOUND);
    pt_store_close(s);
}

BOTH_TEST(store_ledger_locking_reads_outside_a_transaction_are_estate)
{
    pt_store *s = open_store(be, "lockstate");
    ASSERT(s);
    int64_t a = test_store_member(s, "A");
    ASSERT_OK(add_account(s, a, 10));
    pt_audit_head_rec h = {.member_id = a, .seq = 1};
    ASSERT_OK(pt_store_audit_head_put(s, &h));
    pt_account_rec r;
    ASSERT_EQ(pt_store_account_get(s, a, 1, &r), PT_ESTATE);
    ASSERT_STR_CONTAINS(pt_store_errmsg(s), "transaction");
    ASSERT_EQ(pt_store_audit_head_get(s, a, 1, &h), PT_ESTATE);
    /* without the lock the same reads work; inside a locking transaction the locked ones do */
    ASSERT_OK(pt_store_account_get(s, a, 0, &r));
    ASSERT_OK(pt_store_audit_head_get(s, a, 0, &h));
    ASSERT_OK(pt_store_begin_locking(s));
    ASSERT_OK(pt_store_account_get(s, a, 1, &r));
    ASSERT_EQ(r.balance, 10);
    ASSERT_OK(pt_store_audit_head_get(s, a, 1, &h));
    ASSERT_EQ(h.seq, 1);
    ASSERT_EQ(pt_store_account_get(s, a + 100, 1, &r), PT_ENOTFOUND); /* and the tx stays usable */
    r.balance = 11;
    ASSERT_OK(pt_store_account_update(s, &r));
    ASSERT_OK(pt_store_commit(s));
    /* nested: begin_locking inside a transaction is a savepoint */
    ASSERT_OK(pt_store_begin(s));
    ASSERT_OK(pt_store_begin_locking(s));
    ASSERT_OK(pt_store_account_get(s, a, 1, &r));
    ASSERT_EQ(r.balance, 11);
    ASSERT_OK(pt_store_commit(s));
    ASSERT_OK(pt_store_commit(s));
    pt_store_close(s);
}

/* Tier reviews due: review_at > 0 and review_at ≤ as_of, ascending member id. */
BOTH_TEST(store_ledger_account_scan_review_lists_members_due_by_as_of_ascending)
{
    pt_store *s = open_store(be, "review");
    ASSERT(s);
    int64_t m[5];
    for (int i = 0; i < 5; i++) {
        char no[8];
        snprintf(no, sizeof no, "M%d", i);
        m[i] = test_store_member(s, no);
        ASSERT_GT(m[i], 0);
    }
    const int64_t review[5] = {T0 + 100, 0, T0 + 101, T0 - 5, T0 + 100}; /* as_of = T0 + 100 */
    for (int i = 4; i >= 0; i--) { /* inserted in descending order: the order must come from the scan */
        pt_account_rec a = {.member_id = m[i], .review_at = review[i]};
        ASSERT_OK(pt_store_account_insert(s, &a));
    }
    struct ids got = {0};
    ASSERT_OK(pt_store_account_scan_review(s, T0 + 100, collect_id, &got));
    ASSERT_EQ(got.n, 3); /* m0 (= as_of), m3 (before), m4 (= as_of); not m1 (0), not m2 (after) */
    ASSERT_EQ(got.v[0], m[0]);
    ASSERT_EQ(got.v[1], m[3]);
    ASSERT_EQ(got.v[2], m[4]);
    struct ids stop = {.stop_after = 2};
    ASSERT_EQ(pt_store_account_scan_review(s, T0 + 100, collect_id, &stop), 99);
    ASSERT_EQ(stop.n, 2);
    pt_store_close(s);
}

/* --- entries ----------------------------------------------------------------------------------- */

static int collect_entry(void *ud, const pt_entry_rec *r)
{
    struct ids *c = ud;
    return collect_id(c, r->id);
}

BOTH_TEST(store_ledger_entries_get_increasing_ids_round_trip_list_by_id_and_sum_growth_since)
{
    pt_store *s = open_store(be, "entries");
    ASSERT(s);
    int64_t a = test_store_member(s, "A"), b = test_store_member(s, "B");
    pt_entry_rec e = {.member_id = a, .kind = PT_ENTRY_EARN, .bucket = PT_BUCKET_PENDING, .points = 250,
                      .growth = 25, .at = T0 + 50, .order_id = 77, .lot_id = 88, .created_at = T0 + 60};
    snprintf(e.ref, sizeof e.ref, "rule:double-week");
    snprintf(e.note, sizeof e.note, "会员日 双倍积分");
    snprintf(e.actor, sizeof e.actor, "ops@store");
    snprintf(e.idem_key, sizeof e.idem_key, "req-0001");
    ASSERT_OK(pt_store_entry_insert(s, &e));
    int64_t ids[5] = {e.id};
    ids[1] = add_entry(s, b, PT_ENTRY_ADJUST, PT_BUCKET_AVAILABLE, 5, 1, T0 + 10);
    ids[2] = add_entry(s, a, PT_ENTRY_REDEEM, PT_BUCKET_AVAILABLE, -40, 0, T0 + 100);
    ids[3] = add_entry(s, a, PT_ENTRY_ADJUST, PT_BUCKET_AVAILABLE, 10, -3, T0 + 99);
    ids[4] = add_entry(s, a, PT_ENTRY_EARN, PT_BUCKET_AVAILABLE, 70, 7, T0 + 200);
    for (int i = 1; i < 5; i++)
        ASSERT_GT(ids[i], ids[i - 1]);

    pt_entry_rec g;
    memset(&g, 0x5a, sizeof g);
    ASSERT_OK(pt_store_entry_get(s, a, ids[0], &g));
    ASSERT_EQ(g.member_id, a);
    ASSERT_EQ(g.id, ids[0]);
    ASSERT_EQ(g.kind, PT_ENTRY_EARN);
    ASSERT_EQ(g.bucket, PT_BUCKET_PENDING);
    ASSERT_EQ(g.points, 250);
    ASSERT_EQ(g.growth, 25);
    ASSERT_EQ(g.at, T0 + 50);
    ASSERT_EQ(g.order_id, 77);
    ASSERT_EQ(g.lot_id, 88);
    ASSERT_STR_EQ(g.ref, "rule:double-week");
    ASSERT_STR_EQ(g.note, "会员日 双倍积分");
    ASSERT_STR_EQ(g.actor, "ops@store");
    ASSERT_STR_EQ(g.idem_key, "req-0001");
    ASSERT_EQ(g.created_at, T0 + 60);
    ASSERT_OK(pt_store_entry_get(s, a, ids[2], &g));
    ASSERT_EQ(g.points, -40);
    ASSERT_STR_EQ(g.ref, "");
    ASSERT_EQ(pt_store_entry_get(s, a, ids[1], &g), PT_ENOTFOUND); /* b's entry is not a's */

    struct ids got = {0};
    ASSERT_OK(pt_store_entry_list(s, a, collect_entry, &got));
    ASSERT_EQ(got.n, 4); /* by id, not by business time: ids[3] is earlier in `at` than ids[2] */
    ASSERT_EQ(got.v[0], ids[0]);
    ASSERT_EQ(got.v[1], ids[2]);
    ASSERT_EQ(got.v[2], ids[3]);
    ASSERT_EQ(got.v[3], ids[4]);

    /* growth of a's entries with at ≥ since: 25 (T0+50) − 3 (T0+99) + 0 (T0+100) + 7 (T0+200) */
    int64_t gr = -1;
    ASSERT_OK(pt_store_entry_growth_since(s, a, 0, &gr));
    ASSERT_EQ(gr, 29);
    ASSERT_OK(pt_store_entry_growth_since(s, a, T0 + 99, &gr)); /* boundary included */
    ASSERT_EQ(gr, 4);
    ASSERT_OK(pt_store_entry_growth_since(s, a, T0 + 100, &gr));
    ASSERT_EQ(gr, 7);
    ASSERT_OK(pt_store_entry_growth_since(s, a, T0 + 201, &gr));
    ASSERT_EQ(gr, 0);
    int64_t nobody = test_store_member(s, "C");
    gr = -1;
    ASSERT_OK(pt_store_entry_growth_since(s, nobody, 0, &gr));
    ASSERT_EQ(gr, 0);
    pt_store_close(s);
}

/* The activity summary's entry rows of a period, added up per kind over the slots. */
struct kind_sums {
    int64_t entries[PT_ENTRY_KIND_MAX + 1], in[PT_ENTRY_KIND_MAX + 1], out[PT_ENTRY_KIND_MAX + 1];
    int64_t rows, other, bad;
};

static int sum_kind(void *ud, const pt_stats_row *r)
{
    struct kind_sums *t = ud;
    t->rows++;
    if (r->what != PT_STATS_ENTRIES) {
        t->other++;
        return PT_OK;
    }
    if (r->kind < 1 || r->kind > PT_ENTRY_KIND_MAX || r->slot % PT_STATS_SLOT_S ||
        r->points != r->points_in - r->points_out) {
        t->bad++;
        return PT_OK;
    }
    t->entries[r->kind] += r->count;
    t->in[r->kind] += r->points_in;
    t->out[r->kind] += r->points_out;
    return PT_OK;
}

/* Entries of two members in and around [T0, T0 + 1000), summed by kind: positive and negative
 * points apart (a release is both), entries outside the period left out — the one a second
 * before T0 shares its 15-minute slot with those at T0, so the period bounds rows, not slots —
 * the boundary at `from` in and at `to` out. pt_metrics_points_flow then reads the same
 * query's totals as KPIs. */
BOTH_TEST(store_ledger_activity_summary_sums_each_kind_in_and_out_over_the_period_for_every_member)
{
    pt_store *s = open_store(be, "entry_totals");
    ASSERT(s);
    int64_t a = test_store_member(s, "A"), b = test_store_member(s, "B");
    ASSERT_GT(add_entry(s, a, PT_ENTRY_EARN, PT_BUCKET_PENDING, 500, 0, T0), 0);          /* from: in */
    ASSERT_GT(add_entry(s, b, PT_ENTRY_EARN, PT_BUCKET_AVAILABLE, 300, 0, T0 + 5), 0);
    ASSERT_GT(add_entry(s, a, PT_ENTRY_RELEASE, PT_BUCKET_PENDING, -500, 0, T0 + 10), 0);
    ASSERT_GT(add_entry(s, a, PT_ENTRY_RELEASE, PT_BUCKET_AVAILABLE, 500, 0, T0 + 10), 0);
    ASSERT_GT(add_entry(s, a, PT_ENTRY_REDEEM, PT_BUCKET_AVAILABLE, -200, 0, T0 + 20), 0);
    ASSERT_GT(add_entry(s, b, PT_ENTRY_REDEEM, PT_BUCKET_AVAILABLE, -100, 0, T0 + 30), 0);
    ASSERT_GT(add_entry(s, b, PT_ENTRY_RESTORE, PT_BUCKET_AVAILABLE, 40, 0, T0 + 31), 0);
    ASSERT_GT(add_entry(s, a, PT_ENTRY_REVERSE, PT_BUCKET_AVAILABLE, -50, 0, T0 + 40), 0);
    ASSERT_GT(add_entry(s, b, PT_ENTRY_EXPIRE, PT_BUCKET_AVAILABLE, -60, 0, T0 + 50), 0);
    ASSERT_GT(add_entry(s, a, PT_ENTRY_ADJUST, PT_BUCKET_AVAILABLE, 15, 0, T0 + 60), 0);
    ASSERT_GT(add_entry(s, b, PT_ENTRY_ADJUST, PT_BUCKET_AVAILABLE, -5, 0, T0 + 61), 0);
    ASSERT_GT(add_entry(s, a, PT_ENTRY_EARN, PT_BUCKET_AVAILABLE, 999, 0, T0 - 1), 0);     /* before */
    ASSERT_GT(add_entry(s, b, PT_ENTRY_EXPIRE, PT_BUCKET_AVAILABLE, -999, 0, T0 + 1000), 0); /* to: out */

    ASSERT_EQ((T0 - 1) / PT_STATS_SLOT_S, T0 / PT_STATS_SLOT_S); /* the case above is meant */
    struct kind_sums t;
    memset(&t, 0, sizeof t);
    ASSERT_OK(pt_store_activity_summary(s, T0, T0 + 1000, sum_kind, &t));
    ASSERT_EQ(t.bad, 0);
    ASSERT_EQ(t.other, 0);
    ASSERT_EQ(t.rows, 7); /* one slot, seven kinds */
    ASSERT_EQ(t.entries[PT_ENTRY_EARN], 2);
    ASSERT_EQ(t.in[PT_ENTRY_EARN], 800);
    ASSERT_EQ(t.out[PT_ENTRY_EARN], 0);
    ASSERT_EQ(t.entries[PT_ENTRY_RELEASE], 2);
    ASSERT_EQ(t.in[PT_ENTRY_RELEASE], 500);
    ASSERT_EQ(t.out[PT_ENTRY_RELEASE], 500);
    ASSERT_EQ(t.entries[PT_ENTRY_REDEEM], 2);
    ASSERT_EQ(t.out[PT_ENTRY_REDEEM], 300);
    ASSERT_EQ(t.in[PT_ENTRY_REDEEM], 0);
    ASSERT_EQ(t.in[PT_ENTRY_RESTORE], 40);
    ASSERT_EQ(t.out[PT_ENTRY_REVERSE], 50);
    ASSERT_EQ(t.entries[PT_ENTRY_EXPIRE], 1);
    ASSERT_EQ(t.out[PT_ENTRY_EXPIRE], 60);
    ASSERT_EQ(t.entries[PT_ENTRY_ADJUST], 2);
    ASSERT_EQ(t.in[PT_ENTRY_ADJUST], 15);
    ASSERT_EQ(t.out[PT_ENTRY_ADJUST], 5);
    ASSERT_EQ(t.entries[PT_ENTRY_TRANSFER], 0);
    ASSERT_EQ(t.in[PT_ENTRY_SETTLE], 0);
    /* the whole of it: the entry before T0 and the one at T0 + 1000 come in */
    memset(&t, 0, sizeof t);
    ASSERT_OK(pt_store_activity_summary(s, T0 - 1, T0 + 1001, sum_kind, &t));
    ASSERT_EQ(t.entries[PT_ENTRY_EARN], 3);
    ASSERT_EQ(t.in[PT_ENTRY_EARN], 1799);
    ASSERT_EQ(t.entries[PT_ENTRY_EXPIRE], 2);
    ASSERT_EQ(t.out[PT_ENTRY_EXPIRE], 1059);
    ASSERT_EQ(pt_store_activity_summary(s, T0, T0, sum_kind, &t), PT_EINVAL);

    /* issued 800, net of 50 reversed 750; redeemed 300 − 40 restored = 260 → 34.67 %; expired 60 → 8 % */
    pt_points_flow f;
    ASSERT_OK(pt_metrics_points_flow(&f, s, T0, T0 + 1000));
    ASSERT_EQ(f.issued, 800);
    ASSERT_EQ(f.reversed, 50);
    ASSERT_EQ(f.issued_net, 750);
    ASSERT_EQ(f.redeemed, 260);
    ASSERT_EQ(f.expired, 60);
    ASSERT_EQ(f.adjusted_in, 15);
    ASSERT_EQ(f.adjusted_out, 5);
    ASSERT_EQ(f.redeem_entries, 1 + 1);
    ASSERT_EQ(f.redemption_rate_bp, 3467);
    ASSERT_EQ(f.breakage_bp, 800);
    /* a period without earns has no rates; an empty period is invalid */
    ASSERT_OK(pt_metrics_points_flow(&f, s, T0 + 1000, T0 + 2000));
    ASSERT_EQ(f.expired, 999);
    ASSERT_EQ(f.redemption_rate_bp, PT_METRICS_NONE);
    ASSERT_EQ(f.breakage_bp, PT_METRICS_NONE);
    ASSERT_EQ(pt_metrics_points_flow(&f, s, T0, T0), PT_EINVAL);
    pt_store_close(s);
}

/* --- lots -------------------------------------------------------------------------------------- */

static int collect_lot(void *ud, const pt_lot_rec *r)
{
    return collect_id(ud, r->id);
}

BOTH_TEST(store_ledger_lots_round_trip_update_three_columns_and_list_open_only_as_documented)
{
    pt_store *s = open_store(be, "lots");
    ASSERT(s);
    int64_t a = test_store_member(s, "A"), b = test_store_member(s, "B");
    pt_lot_rec w = {.member_id = a, .entry_id = 41, .order_id = 42, .earned_at = T0, .available_at = T0 + 86400,
                    .expires_at = T0 + 365 * 86400, .points = 300, .remaining = 300, .state = PT_LOT_PENDING};
    ASSERT_OK(pt_store_lot_insert(s, &w));
    int64_t pending = w.id;
    int64_t avail = add_lot(s, a, PT_LOT_AVAILABLE, 100, 60, 0, 0);
    int64_t spent = add_lot(s, a, PT_LOT_AVAILABLE, 50, 0, 0, 0);
    int64_t owing = add_lot(s, a, PT_LOT_AVAILABLE, 20, -5, 0, 0); /* "remaining ≠ 0": listed as open */
    int64_t cancelled = add_lot(s, a, PT_LOT_CANCELLED, 30, 0, 0, 0);
    int64_t expired = add_lot(s, a, PT_LOT_EXPIRED, 40, 0, 0, T0);
    int64_t pending_empty = add_lot(s, a, PT_LOT_PENDING, 10, 0, T0, 0); /* PENDING: open whatever remains */
    ASSERT_GT(add_lot(s, b, PT_LOT_AVAILABLE, 9, 9, 0, 0), pending_empty);
    ASSERT_GT(avail, pending);

    pt_lot_rec g;
    memset(&g, 0x5a, sizeof g);
    ASSERT_OK(pt_store_lot_get(s, a, pending, &g));
    ASSERT_EQ(g.member_id, a);
    ASSERT_EQ(g.id, pending);
    ASSERT_EQ(g.entry_id, 41);
    ASSERT_EQ(g.order_id, 42);
    ASSERT_EQ(g.earned_at, T0);
    ASSERT_EQ(g.available_at, T0 + 86400);
    ASSERT_EQ(g.expires_at, T0 + 365 * 86400);
    ASSERT_EQ(g.points, 300);
    ASSERT_EQ(g.remaining, 300);
    ASSERT_EQ(g.state, PT_LOT_PENDING);
    ASSERT_EQ(pt_store_lot_get(s, b, pending, &g), PT_ENOTFOUND);

    struct ids all = {0}, open = {0};
    ASSERT_OK(pt_store_lot_list(s, a, 0, collect_lot, &all));
    const int64_t every[7] = {pending, avail, spent, owing, cancelled, expired, pending_empty}; /* by id */
    ASSERT_EQ(all.n, 7);
    for (int i = 0; i < 7; i++)
        ASSERT_EQ(all.v[i], every[i]);
    /* open only: not the spent AVAILABLE lot, not CANCELLED, not EXPIRED */
    ASSERT_OK(pt_store_lot_list(s, a, 1, collect_lot, &open));
    ASSERT_EQ(open.n, 4);
    ASSERT_EQ(open.v[0], pending);
    ASSERT_EQ(open.v[1], avail);
    ASSERT_EQ(open.v[2], owing);
    ASSERT_EQ(open.v[3], pending_empty);

    /* update writes remaining, state and available_at — nothing else */
    pt_lot_rec u = g;
    u.member_id = a;
    u.id = pending;
    u.available_at = 0;
    u.remaining = 280;
    u.state = PT_LOT_AVAILABLE;
    u.points = 1;
    u.expires_at = 2;
    u.entry_id = 3;
    ASSERT_OK(pt_store_lot_update(s, &u));
    ASSERT_OK(pt_store_lot_get(s, a, pending, &g));
    ASSERT_EQ(g.available_at, 0);
    ASSERT_EQ(g.remaining, 280);
    ASSERT_EQ(g.state, PT_LOT_AVAILABLE);
    ASSERT_EQ(g.points, 300);
    ASSERT_EQ(g.expires_at, T0 + 365 * 86400);
    ASSERT_EQ(g.entry_id, 41);
    u.member_id = b; /* the key is (member, id) */
    ASSERT_EQ(pt_store_lot_update(s, &u), PT_ENOTFOUND);
    pt_store_close(s);
}

/* Due at as_of = T0 + 1000: PENDING with available_at ≤ as_of, or AVAILABLE with remaining > 0 and
 * 0 < expires_at < as_of (strictly: the last usable second is expires_at itself). */
BOTH_TEST(store_ledger_lot_due_members_lists_release_and_expiry_due_each_member_once_ascending)
{
    pt_store *s = open_store(be, "due");
    ASSERT(s);
    const int64_t as_of = T0 + 1000;
    int64_t m[9];
    for (int i = 0; i < 9; i++) {
        char no[8];
        snprintf(no, sizeof no, "M%d", i);
        m[i] = test_store_member(s, no);
        ASSERT_GT(m[i], 0);
    }
    /* inserted from the highest member down: the order must come from the query */
    ASSERT_GT(add_lot(s, m[8], PT_LOT_PENDING, 5, 5, as_of - 1, 0), 0);          /* due (release) */
    ASSERT_GT(add_lot(s, m[8], PT_LOT_AVAILABLE, 5, 5, 0, as_of - 1), 0);        /* and due (expiry): once */
    ASSERT_GT(add_lot(s, m[7], PT_LOT_CANCELLED, 5, 0, as_of - 1, 0), 0);        /* not: cancelled */
    ASSERT_GT(add_lot(s, m[7], PT_LOT_EXPIRED, 5, 0, 0, as_of - 9), 0);          /* not: expired */
    ASSERT_GT(add_lot(s, m[6], PT_LOT_AVAILABLE, 5, 5, 0, 0), 0);                /* not: never expires */
    ASSERT_GT(add_lot(s, m[5], PT_LOT_AVAILABLE, 5, 0, 0, as_of - 9), 0);        /* not: nothing left */
    ASSERT_GT(add_lot(s, m[5], PT_LOT_AVAILABLE, 5, -1, 0, as_of - 9), 0);       /* not: remaining < 0 */
    ASSERT_GT(add_lot(s, m[4], PT_LOT_AVAILABLE, 5, 5, 0, as_of), 0);            /* not: its last second */
    ASSERT_GT(add_lot(s, m[3], PT_LOT_AVAILABLE, 5, 1, 0, as_of - 1), 0);        /* due (expiry) */
    ASSERT_GT(add_lot(s, m[2], PT_LOT_PENDING, 5, 5, as_of + 1, 0), 0);          /* not yet */
    ASSERT_GT(add_lot(s, m[1], PT_LOT_PENDING, 5, 5, as_of, 0), 0);              /* due: available_at = as_of */
    ASSERT_GT(add_lot(s, m[0], PT_LOT_PENDING, 5, 5, 0, 0), 0);                  /* due: available at once */

    for (int in_tx = 0; in_tx < 2; in_tx++) { /* a cursor on an auxiliary connection, then on the store's */
        if (in_tx)
            ASSERT_OK(pt_store_begin(s));
        struct ids got = {0};
        ASSERT_OK(pt_store_lot_due_members(s, as_of, collect_id, &got));
        ASSERT_EQ(got.n, 4);
        ASSERT_EQ(got.v[0], m[0]);
        ASSERT_EQ(got.v[1], m[1]);
        ASSERT_EQ(got.v[2], m[3]);
        ASSERT_EQ(got.v[3], m[8]);
        if (in_tx)
            ASSERT_OK(pt_store_commit(s));
    }
    struct ids stop = {.stop_after = 1};
    ASSERT_EQ(pt_store_lot_due_members(s, as_of, collect_id, &stop), 99);
    ASSERT_EQ(stop.n, 1);
    struct ids none = {0};
    ASSERT_OK(pt_store_lot_due_members(s, T0 - 1, collect_id, &none)); /* m0's available_at 0 ≤ T0 − 1 */
    ASSERT_EQ(none.n, 1);
    ASSERT_EQ(none.v[0], m[0]);
    pt_store_close(s);
}

/* The expiry job's shape: list the members due outside a transaction, and write each one in a
 * locking transaction of its own from the callback. */
struct job {
    pt_store *s;
    int       done;
    int       rc;
};

static int expire_member(void *ud, int64_t member_id)
{
    struct job *j = ud;
    pt_account_rec a;
    int rc = pt_store_begin_locking(j->s);
    if (rc == PT_OK)
        rc = pt_store_account_get(j->s, member_id, 1, &a);
    if (rc == PT_OK) {
        a.balance -= 5;
        rc = pt_store_account_update(j->s, &a);
    }
    if (rc == PT_OK)
        rc = pt_store_commit(j->s);
    else
        pt_store_rollback(j->s);
    j->rc = rc;
    j->done++;
    return rc;
}

BOTH_TEST(store_ledger_due_scan_callbacks_may_run_their_own_locking_transactions)
{
    pt_store *s = open_store(be, "job");
    ASSERT(s);
    int64_t m[3];
    for (int i = 0; i < 3; i++) {
        char no[8];
        snprintf(no, sizeof no, "M%d", i);
        m[i] = test_store_member(s, no);
        ASSERT_OK(add_account(s, m[i], 10));
        ASSERT_GT(add_lot(s, m[i], PT_LOT_AVAILABLE, 5, 5, 0, T0), 0);
    }
    struct job j = {.s = s};
    ASSERT_OK(pt_store_lot_due_members(s, T0 + 1, expire_member, &j));
    ASSERT_OK(j.rc);
    ASSERT_EQ(j.done, 3);
    for (int i = 0; i < 3; i++) {
        pt_account_rec a;
        ASSERT_OK(pt_store_account_get(s, m[i], 0, &a));
        ASSERT_EQ(a.balance, 5);
    }
    pt_store_close(s);
}

/* --- lot uses ---------------------------------------------------------------------------------- */

struct uses {
    pt_lot_use_rec v[8];
    int            n;
};

static int collect_use(void *ud, const pt_lot_use_rec *r)
{
    struct uses *c = ud;
    if (c->n < 8)
        c->v[c->n] = *r;
    c->n++;
    return 0;
}

BOTH_TEST(store_ledger_lot_uses_are_unique_per_entry_and_lot_and_listed_by_lot)
{
    pt_store *s = open_store(be, "uses");
    ASSERT(s);
    int64_t a = test_store_member(s, "A"), b = test_store_member(s, "B");
    ASSERT_OK(add_use(s, a, 10, 2, 3));
    ASSERT_OK(add_use(s, a, 10, 1, 4));
    ASSERT_OK(add_use(s, a, 11, 1, -2)); /* a RESTORE gives points back */
    ASSERT_OK(add_use(s, b, 10, 1, 9));  /* another member's entry 10 */
    ASSERT_EQ(add_use(s, a, 10, 1, 5), PT_EEXIST);
    struct uses got = {0};
    ASSERT_OK(pt_store_lot_use_list(s, a, 10, collect_use, &got));
    ASSERT_EQ(got.n, 2);
    ASSERT_EQ(got.v[0].member_id, a);
    ASSERT_EQ(got.v[0].entry_id, 10);
    ASSERT_EQ(got.v[0].lot_id, 1);
    ASSERT_EQ(got.v[0].points, 4); /* the first insert stands */
    ASSERT_EQ(got.v[1].lot_id, 2);
    ASSERT_EQ(got.v[1].points, 3);
    got.n = 0;
    ASSERT_OK(pt_store_lot_use_list(s, a, 11, collect_use, &got));
    ASSERT_EQ(got.n, 1);
    ASSERT_EQ(got.v[0].points, -2);
    got.n = 0;
    ASSERT_OK(pt_store_lot_use_list(s, a, 12, collect_use, &got));
    ASSERT_EQ(got.n, 0);
    pt_store_close(s);
}

/* --- order lines ------------------------------------------------------------------------------- */

struct lines {
    pt_line_earn_rec v[8];
    int              n;
};

static int collect_line(void *ud, const pt_line_earn_rec *r)
{
    struct lines *c = ud;
    if (c->n < 8)
        c->v[c->n] = *r;
    c->n++;
    return 0;
}

static pt_line_earn_rec line(int64_t m, int64_t order, int no, int64_t points)
{
    pt_line_earn_rec r = {.member_id = m, .order_id = order, .line_no = no, .lot_id = 5, .points = points,
                          .growth = points / 10};
    snprintf(r.rule, sizeof r.rule, "base");
    return r;
}

/* On PostgreSQL this is the guarded insert: the clash is reported as data, so the transaction is
 * not aborted and what follows in it — including COMMIT — succeeds. */
BOTH_TEST(store_ledger_line_earn_duplicate_is_eexist_and_the_transaction_stays_usable)
{
    pt_store *s = open_store(be, "lines");
    ASSERT(s);
    int64_t a = test_store_member(s, "A");
    ASSERT_OK(pt_store_begin_locking(s));
    pt_line_earn_rec l1 = line(a, 900, 1, 120), l0 = line(a, 900, 0, 50);
    ASSERT_OK(pt_store_line_earn_insert(s, &l1));
    pt_line_earn_rec again = line(a, 900, 1, 999);
    ASSERT_EQ(pt_store_line_earn_insert(s, &again), PT_EEXIST);
    ASSERT_STR_CONTAINS(pt_store_errmsg(s), "UNIQUE");
    ASSERT_OK(pt_store_line_earn_insert(s, &l0)); /* later statements of the same transaction work */
    l1.reversed_points = 60;
    l1.reversed_growth = 6;
    l1.points = 1; /* not written by update */
    ASSERT_OK(pt_store_line_earn_update(s, &l1));
    ASSERT_OK(pt_store_commit(s));

    struct lines got = {0};
    ASSERT_OK(pt_store_line_earn_list(s, a, 900, collect_line, &got));
    ASSERT_EQ(got.n, 2);
    ASSERT_EQ(got.v[0].line_no, 0);
    ASSERT_EQ(got.v[0].points, 50);
    ASSERT_EQ(got.v[0].reversed_points, 0);
    ASSERT_EQ(got.v[1].member_id, a);
    ASSERT_EQ(got.v[1].order_id, 900);
    ASSERT_EQ(got.v[1].line_no, 1);
    ASSERT_EQ(got.v[1].lot_id, 5);
    ASSERT_EQ(got.v[1].points, 120);
    ASSERT_EQ(got.v[1].growth, 12);
    ASSERT_STR_EQ(got.v[1].rule, "base");
    ASSERT_EQ(got.v[1].reversed_points, 60);
    ASSERT_EQ(got.v[1].reversed_growth, 6);
    pt_line_earn_rec missing = line(a, 900, 7, 1);
    ASSERT_EQ(pt_store_line_earn_update(s, &missing), PT_ENOTFOUND);
    got.n = 0;
    ASSERT_OK(pt_store_line_earn_list(s, a, 901, collect_line, &got));
    ASSERT_EQ(got.n, 0);
    pt_store_close(s);
}

/* Every insert the ledger expects to clash fails alone inside one transaction, and the rest of the
 * transaction commits. */
BOTH_TEST(store_ledger_every_duplicate_inside_a_transaction_fails_alone_and_the_rest_commits)
{
    pt_store *s = open_store(be, "dups");
    ASSERT(s);
    int64_t a = test_store_member(s, "A");
    ASSERT_OK(pt_store_begin_locking(s));
    ASSERT_OK(add_account(s, a, 1));
    ASSERT_EQ(add_account(s, a, 2), PT_EEXIST);
    ASSERT_OK(add_use(s, a, 1, 1, 1));
    ASSERT_EQ(add_use(s, a, 1, 1, 1), PT_EEXIST);
    pt_idem_rec k;
    pt_idem_rec_init(&k);
    k.member_id = a;
    snprintf(k.key, sizeof k.key, "K");
    ASSERT_OK(pt_store_idem_insert(s, &k));
    ASSERT_EQ(pt_store_idem_insert(s, &k), PT_EEXIST);
    pt_idem_rec_free(&k);
    ASSERT_OK(pt_store_programme_insert(s, "v1", "{}", T0));
    ASSERT_EQ(pt_store_programme_insert(s, "v1", "{}", T0), PT_EEXIST);
    pt_audit_rec r;
    pt_audit_rec_init(&r);
    r.member_id = a;
    r.seq = 1;
    ASSERT_OK(pt_store_audit_insert(s, &r));
    ASSERT_EQ(pt_store_audit_insert(s, &r), PT_EEXIST);
    pt_audit_rec_free(&r);
    int64_t e = add_entry(s, a, PT_ENTRY_ADJUST, PT_BUCKET_AVAILABLE, 1, 0, T0);
    ASSERT_GT(e, 0);
    ASSERT_OK(pt_store_commit(s));
    pt_account_rec acc;
    ASSERT_OK(pt_store_account_get(s, a, 0, &acc));
    ASSERT_EQ(acc.balance, 1);
    pt_entry_rec got;
    ASSERT_OK(pt_store_entry_get(s, a, e, &got));
    pt_store_close(s);
}

/* Member-scoped rows reference members(id); on PostgreSQL the check is part of the guarded insert,
 * so a refused row leaves the transaction usable. Audit rows have no such reference (member 0). */
BOTH_TEST(store_ledger_rows_of_an_unknown_member_are_einval_and_the_transaction_stays_usable)
{
    pt_store *s = open_store(be, "fk");
    ASSERT(s);
    int64_t a = test_store_member(s, "A");
    const int64_t ghost = 987654;
    ASSERT_OK(pt_store_begin_locking(s));
    ASSERT_EQ(add_account(s, ghost, 1), PT_EINVAL);
    ASSERT_STR_CONTAINS(pt_store_errmsg(s), "FOREIGN KEY");
    ASSERT_EQ(add_entry(s, ghost, PT_ENTRY_ADJUST, PT_BUCKET_AVAILABLE, 1, 0, T0), -1);
    ASSERT_EQ(add_lot(s, ghost, PT_LOT_AVAILABLE, 1, 1, 0, 0), -1);
    pt_tier_change_rec t = {.member_id = ghost};
    ASSERT_EQ(pt_store_tier_change_insert(s, &t), PT_EINVAL);
    ASSERT_OK(add_audit(s, ghost, 1)); /* audit rows carry no reference to members */
    ASSERT_OK(add_account(s, a, 3));
    ASSERT_OK(pt_store_commit(s));
    pt_account_rec r;
    ASSERT_OK(pt_store_account_get(s, a, 0, &r));
    ASSERT_EQ(r.balance, 3);
    pt_store_close(s);
}

/* The same for the member-scoped tables without an id: lot uses, order lines, idempotency keys. */
BOTH_TEST(store_ledger_uses_lines_and_idempotency_keys_of_an_unknown_member_are_einval)
{
    pt_store *s = open_store(be, "fk2");
    ASSERT(s);
    int64_t a = test_store_member(s, "A");
    const int64_t ghost = 987654;
    ASSERT_OK(pt_store_begin_locking(s));
    ASSERT_EQ(add_use(s, ghost, 1, 1, 1), PT_EINVAL);
    ASSERT_STR_CONTAINS(pt_store_errmsg(s), "FOREIGN KEY");
    pt_line_earn_rec l = line(ghost, 1, 1, 1);
    ASSERT_EQ(pt_store_line_earn_insert(s, &l), PT_EINVAL);
    pt_idem_rec k;
    pt_idem_rec_init(&k);
    k.member_id = ghost;
    snprintf(k.key, sizeof k.key, "K");
    ASSERT_EQ(pt_store_idem_insert(s, &k), PT_EINVAL);
    k.member_id = a;
    ASSERT_OK(pt_store_idem_insert(s, &k));
    pt_idem_rec_free(&k);
    ASSERT_OK(pt_store_commit(s));
    pt_idem_rec r;
    pt_idem_rec_init(&r);
    ASSERT_OK(pt_store_idem_get(s, a, "K", &r));
    pt_idem_rec_free(&r);
    pt_store_close(s);
}

/* --- idempotency ------------------------------------------------------------------------------- */

BOTH_TEST(store_ledger_idempotency_keys_round_trip_per_member_and_a_second_insert_is_eexist)
{
    pt_store *s = open_store(be, "idem");
    ASSERT(s);
    int64_t a = test_store_member(s, "A"), b = test_store_member(s, "B");
    pt_idem_rec w, r;
    pt_idem_rec_init(&w);
    pt_idem_rec_init(&r);
    ASSERT_EQ(pt_store_idem_get(s, a, "req-1", &r), PT_ENOTFOUND);
    w.member_id = a;
    snprintf(w.key, sizeof w.key, "req-1");
    snprintf(w.op, sizeof w.op, "points.earn");
    fill_hash(w.request_hash, 3);
    static const char result[] = "{\"entry\":12,\"balance\":300,\"note\":\"积分\"}";
    ASSERT_OK(pt_buf_set(&w.result, result, strlen(result)));
    w.created_at = T0 + 5;
    ASSERT_OK(pt_store_idem_insert(s, &w));
    ASSERT_OK(pt_store_idem_get(s, a, "req-1", &r));
    ASSERT_EQ(r.member_id, a);
    ASSERT_STR_EQ(r.key, "req-1");
    ASSERT_STR_EQ(r.op, "points.earn");
    ASSERT(memcmp(r.request_hash, w.request_hash, PT_HASH_LEN) == 0);
    ASSERT_STR_EQ(pt_buf_str(&r.result), result);
    ASSERT_EQ(r.created_at, T0 + 5);

    /* the same key again, even for another operation, is refused and changes nothing */
    pt_idem_rec dup = {0};
    pt_idem_rec_init(&dup);
    dup.member_id = a;
    snprintf(dup.key, sizeof dup.key, "req-1");
    snprintf(dup.op, sizeof dup.op, "points.redeem");
    ASSERT_EQ(pt_store_idem_insert(s, &dup), PT_EEXIST);
    ASSERT_OK(pt_store_idem_get(s, a, "req-1", &r));
    ASSERT_STR_EQ(r.op, "points.earn");
    /* keys are per member; an empty result reads back as "" */
    dup.member_id = b;
    ASSERT_OK(pt_store_idem_insert(s, &dup));
    ASSERT_OK(pt_store_idem_get(s, b, "req-1", &r));
    ASSERT_STR_EQ(r.op, "points.redeem");
    ASSERT_EQ(r.result.len, 0);
    ASSERT_STR_EQ(pt_buf_str(&r.result), "");
    ASSERT_EQ(pt_store_idem_get(s, b, "req-2", &r), PT_ENOTFOUND);
    pt_idem_rec_free(&dup);
    pt_idem_rec_free(&w);
    pt_idem_rec_free(&r);
    pt_store_close(s);
}

/* --- tiers and programme versions -------------------------------------------------------------- */

struct changes {
    pt_tier_change_rec v[4];
    int                n;
};

static int collect_change(void *ud, const pt_tier_change_rec *r)
{
    struct changes *c = ud;
    if (c->n < 4)
        c->v[c->n] = *r;
    c->n++;
    return 0;
}

BOTH_TEST(store_ledger_tier_changes_get_increasing_ids_and_list_per_member_by_id)
{
    pt_store *s = open_store(be, "tiers");
    ASSERT(s);
    int64_t a = test_store_member(s, "A"), b = test_store_member(s, "B");
    pt_tier_change_rec c1 = {.member_id = a, .at = T0 + 9};
    snprintf(c1.from_tier, sizeof c1.from_tier, "普通");
    snprintf(c1.to_tier, sizeof c1.to_tier, "银卡");
    snprintf(c1.reason, sizeof c1.reason, "upgrade: growth 5200 ≥ 5000");
    snprintf(c1.actor, sizeof c1.actor, "system");
    pt_tier_change_rec other = c1, c2 = c1;
    other.member_id = b;
    c2.at = T0 + 1; /* earlier business time, later id */
    snprintf(c2.from_tier, sizeof c2.from_tier, "银卡");
    snprintf(c2.to_tier, sizeof c2.to_tier, "金卡");
    ASSERT_OK(pt_store_tier_change_insert(s, &c1));
    ASSERT_OK(pt_store_tier_change_insert(s, &other));
    ASSERT_OK(pt_store_tier_change_insert(s, &c2));
    ASSERT_GT(other.id, c1.id);
    ASSERT_GT(c2.id, other.id);
    struct changes got = {0};
    ASSERT_OK(pt_store_tier_change_list(s, a, collect_change, &got));
    ASSERT_EQ(got.n, 2);
    ASSERT_EQ(got.v[0].id, c1.id);
    ASSERT_EQ(got.v[0].member_id, a);
    ASSERT_EQ(got.v[0].at, T0 + 9);
    ASSERT_STR_EQ(got.v[0].from_tier, "普通");
    ASSERT_STR_EQ(got.v[0].to_tier, "银卡");
    ASSERT_STR_EQ(got.v[0].reason, "upgrade: growth 5200 ≥ 5000");
    ASSERT_STR_EQ(got.v[0].actor, "system");
    ASSERT_EQ(got.v[1].id, c2.id);
    ASSERT_STR_EQ(got.v[1].to_tier, "金卡");
    pt_store_close(s);
}

BOTH_TEST(store_ledger_programme_versions_round_trip_and_a_second_insert_is_eexist)
{
    pt_store *s = open_store(be, "prog");
    ASSERT(s);
    pt_buf c;
    pt_buf_init(&c, 1 << 20);
    ASSERT_EQ(pt_store_programme_get(s, "2025-06", &c), PT_ENOTFOUND);
    static const char v1[] = "{\"tiers\":[\"普通\",\"银卡\"],\"rate\":1}";
    ASSERT_OK(pt_store_programme_insert(s, "2025-06", v1, T0));
    ASSERT_OK(pt_store_programme_insert(s, "2025-07", "{}", T0 + 1));
    ASSERT_EQ(pt_store_programme_insert(s, "2025-06", "{\"other\":1}", T0 + 2), PT_EEXIST);
    ASSERT_OK(pt_store_programme_get(s, "2025-06", &c));
    ASSERT_STR_EQ(pt_buf_str(&c), v1);
    ASSERT_EQ(c.len, strlen(v1));
    ASSERT_OK(pt_store_programme_get(s, "2025-07", &c));
    ASSERT_STR_EQ(pt_buf_str(&c), "{}");
    pt_buf_free(&c);
    pt_store_close(s);
}

/* --- audit ------------------------------------------------------------------------------------- */

struct audits {
    int64_t member[8], seq[8];
    int     n;
    int     detail_ok, hashes_ok;
};

static int collect_audit(void *ud, const pt_audit_rec *r)
{
    struct audits *c = ud;
    if (c->n < 8) {
        c->member[c->n] = r->member_id;
        c->seq[c->n] = r->seq;
    }
    c->n++;
    char want[64];
    snprintf(want, sizeof want, "{\"m\":%lld,\"seq\":%lld}", (long long)r->member_id, (long long)r->seq);
    c->detail_ok += strcmp(pt_buf_str(&r->detail), want) == 0;
    uint8_t prev[PT_HASH_LEN], hash[PT_HASH_LEN];
    fill_hash(prev, (int)(r->member_id * 10 + r->seq - 1));
    fill_hash(hash, (int)(r->member_id * 10 + r->seq));
    c->hashes_ok += memcmp(prev, r->prev, PT_HASH_LEN) == 0 && memcmp(hash, r->hash, PT_HASH_LEN) == 0;
    return 0;
}

struct heads {
    pt_audit_head_rec v[4];
    int               n;
};

static int collect_head(void *ud, const pt_audit_head_rec *r)
{
    struct heads *c = ud;
    if (c->n < 4)
        c->v[c->n] = *r;
    c->n++;
    return 0;
}

BOTH_TEST(store_ledger_audit_duplicate_seq_is_eexist_heads_are_upserted_and_scans_are_ordered)
{
    pt_store *s = open_store(be, "audit");
    ASSERT(s);
    int64_t a = test_store_member(s, "A"), b = test_store_member(s, "B");
    /* member 0 is the store-wide chain: no member row, no foreign key */
    ASSERT_OK(add_audit(s, b, 1));
    ASSERT_OK(add_audit(s, a, 2));
    ASSERT_OK(add_audit(s, 0, 1));
    ASSERT_OK(add_audit(s, a, 1));
    ASSERT_EQ(add_audit(s, a, 2), PT_EEXIST);

    struct audits one = {0};
    ASSERT_OK(pt_store_audit_list(s, a, collect_audit, &one));
    ASSERT_EQ(one.n, 2);
    ASSERT_EQ(one.seq[0], 1);
    ASSERT_EQ(one.seq[1], 2);
    ASSERT_EQ(one.detail_ok, 2);
    ASSERT_EQ(one.hashes_ok, 2);
    for (int in_tx = 0; in_tx < 2; in_tx++) {
        if (in_tx)
            ASSERT_OK(pt_store_begin(s));
        struct audits all = {0};
        ASSERT_OK(pt_store_audit_scan(s, collect_audit, &all));
        ASSERT_EQ(all.n, 4);
        const int64_t want_m[] = {0, a, a, b}, want_s[] = {1, 1, 2, 1};
        for (int i = 0; i < 4; i++) {
            ASSERT_EQ(all.member[i], want_m[i]);
            ASSERT_EQ(all.seq[i], want_s[i]);
        }
        ASSERT_EQ(all.detail_ok, 4);
        ASSERT_EQ(all.hashes_ok, 4);
        if (in_tx)
            ASSERT_OK(pt_store_commit(s));
    }

    pt_audit_head_rec h;
    ASSERT_EQ(pt_store_audit_head_get(s, a, 0, &h), PT_ENOTFOUND);
    pt_audit_head_rec ha = {.member_id = a, .seq = 1}, h0 = {.member_id = 0, .seq = 1};
    fill_hash(ha.hash, 11);
    ASSERT_OK(pt_store_audit_head_put(s, &ha));
    ha.seq = 2; /* put again: replaces */
    fill_hash(ha.hash, 12);
    ASSERT_OK(pt_store_audit_head_put(s, &ha));
    fill_hash(h0.hash, 1);
    ASSERT_OK(pt_store_audit_head_put(s, &h0));
    ASSERT_OK(pt_store_audit_head_get(s, a, 0, &h));
    ASSERT_EQ(h.member_id, a);
    ASSERT_EQ(h.seq, 2);
    ASSERT(memcmp(h.hash, ha.hash, PT_HASH_LEN) == 0);
    struct heads hs = {0};
    ASSERT_OK(pt_store_audit_head_scan(s, collect_head, &hs));
    ASSERT_EQ(hs.n, 2);
    ASSERT_EQ(hs.v[0].member_id, 0);
    ASSERT(memcmp(hs.v[0].hash, h0.hash, PT_HASH_LEN) == 0);
    ASSERT_EQ(hs.v[1].member_id, a);
    ASSERT_EQ(hs.v[1].seq, 2);
    pt_store_close(s);
}

/* --- verification ------------------------------------------------------------------------------ */

struct checks {
    pt_ledger_check_rec v[6];
    int                 n;
};

static int collect_check(void *ud, const pt_ledger_check_rec *r)
{
    struct checks *c = ud;
    if (c->n < 6)
        c->v[c->n] = *r;
    c->n++;
    return 0;
}

/* A hand-built ledger with the figures worked out.
 *
 * Member A (account: balance 71, pending 29, growth 119 — stale caches on purpose):
 *   entries (bucket, points, growth)        lots (state, points, remaining, uses)
 *   e1 avail   +100  100  EARN   → L1         L1 AVAILABLE 100   60  e3:40        ok
 *   e2 pending  +30    0  EARN   → L2         L2 PENDING    30   25  —            mismatch (30 − 0 ≠ 25)
 *   e3 avail    −40    0  REDEEM (L1 40)      L3 EXPIRED    20    0  e5:20        ok
 *   e4 avail    +20   20  EARN   → L3         L4 CANCELLED  10    0  e7:10        ok
 *   e5 avail    −20    0  EXPIRE (L3 20)      L5 AVAILABLE  10    7  —            mismatch (10 ≠ 7)
 *   e6 pending  +10    0  EARN   → L4         L6 AVAILABLE   5    8  —            mismatch, and 8 > 5
 *   e7 pending  −10    0  REVERSE (L4 10)     L7 AVAILABLE   5   −2  e11:7        ok (5 − 7 = −2), but < 0
 *   e8 avail    +10    0  EARN   → L5
 *   e9 avail     +5    0  EARN   → L6
 *   e10 avail    +5    0  EARN   → L7
 *   e11 avail    −7    0  REDEEM (L7 7)
 *   e12 avail    −3    0  ADJUST
 *   entries_available = 100 − 40 + 20 − 20 + 10 + 5 + 5 − 7 − 3 = 70
 *   entries_pending   = 30 + 10 − 10 = 30;   entries_growth = 100 + 20 = 120
 *   lots_remaining    = L1 + L5 + L6 + L7 = 60 + 7 + 8 − 2 = 73 (AVAILABLE only)
 *   lots_pending      = L2 = 25
 *   lots_negative     = 2 (L6: 8 > 5; L7: −2 < 0)
 *   lots_mismatched   = 3 (L2, L5, L6);   bad_lot_id = L2 (the lowest id that is bad either way)
 * Member B: an account only (balance 5) → every sum 0.
 * Member C: no account, one ADJUST +9 growth 4 → has_account 0, entries_available 9, growth 4.
 * Member D: no account, one PENDING lot 3/3 → lots_pending 3.
 * Member E: audit and idempotency rows only → not listed. */
BOTH_TEST(store_ledger_check_scan_aggregates_entries_lots_and_uses_per_member)
{
    pt_store *s = open_store(be, "check");
    ASSERT(s);
    int64_t A = test_store_member(s, "A"), B = test_store_member(s, "B"), C = test_store_member(s, "C"), D = test_store_member(s, "D"),
            E = test_store_member(s, "E");
    ASSERT_GT(E, 0);
    pt_account_rec acc = {.member_id = A, .balance = 71, .pending = 29, .growth = 119, .review_at = T0};
    snprintf(acc.tier, sizeof acc.tier, "silver");
    ASSERT_OK(pt_store_account_insert(s, &acc));
    ASSERT_OK(add_account(s, B, 5));

    enum { AV = PT_BUCKET_AVAILABLE, PE = PT_BUCKET_PENDING };
    static const struct { int kind, bucket; int64_t points, growth; } entries[12] = {
        {PT_ENTRY_EARN, AV, 100, 100}, {PT_ENTRY_EARN, PE, 30, 0},      {PT_ENTRY_REDEEM, AV, -40, 0},
        {PT_ENTRY_EARN, AV, 20, 20},   {PT_ENTRY_EXPIRE, AV, -20, 0},   {PT_ENTRY_EARN, PE, 10, 0},
        {PT_ENTRY_REVERSE, PE, -10, 0}, {PT_ENTRY_EARN, AV, 10, 0},     {PT_ENTRY_EARN, AV, 5, 0},
        {PT_ENTRY_EARN, AV, 5, 0},     {PT_ENTRY_REDEEM, AV, -7, 0},    {PT_ENTRY_ADJUST, AV, -3, 0},
    };
    int64_t e[13] = {0}; /* e[1] … e[12] as in the table above */
    for (int i = 0; i < 12; i++) {
        e[i + 1] = add_entry(s, A, entries[i].kind, entries[i].bucket, entries[i].points, entries[i].growth, T0);
        ASSERT_GT(e[i + 1], 0);
    }
    int64_t L1 = add_lot(s, A, PT_LOT_AVAILABLE, 100, 60, 0, 0);
    int64_t L2 = add_lot(s, A, PT_LOT_PENDING, 30, 25, T0 + 99, 0);
    int64_t L3 = add_lot(s, A, PT_LOT_EXPIRED, 20, 0, 0, T0);
    int64_t L4 = add_lot(s, A, PT_LOT_CANCELLED, 10, 0, T0 + 99, 0);
    int64_t L5 = add_lot(s, A, PT_LOT_AVAILABLE, 10, 7, 0, 0);
    int64_t L6 = add_lot(s, A, PT_LOT_AVAILABLE, 5, 8, 0, 0);
    int64_t L7 = add_lot(s, A, PT_LOT_AVAILABLE, 5, -2, 0, 0);
    ASSERT_GT(L1, 0);
    ASSERT_GT(L7, L6);
    ASSERT_GT(L6, L5);
    ASSERT_OK(add_use(s, A, e[3], L1, 40));
    ASSERT_OK(add_use(s, A, e[5], L3, 20));
    ASSERT_OK(add_use(s, A, e[7], L4, 10));
    ASSERT_OK(add_use(s, A, e[11], L7, 7));

    ASSERT_GT(add_entry(s, C, PT_ENTRY_ADJUST, AV, 9, 4, T0), 0);
    ASSERT_GT(add_lot(s, D, PT_LOT_PENDING, 3, 3, T0, 0), 0);
    ASSERT_OK(add_audit(s, E, 1));
    pt_idem_rec k;
    pt_idem_rec_init(&k);
    k.member_id = E;
    snprintf(k.key, sizeof k.key, "k");
    ASSERT_OK(pt_store_idem_insert(s, &k));
    pt_idem_rec_free(&k);

    for (int in_tx = 0; in_tx < 2; in_tx++) {
        if (in_tx)
            ASSERT_OK(pt_store_begin(s));
        struct checks got = {0};
        ASSERT_OK(pt_store_ledger_check_scan(s, collect_check, &got));
        if (in_tx)
            ASSERT_OK(pt_store_commit(s));
        ASSERT_EQ(got.n, 4);
        const pt_ledger_check_rec *a = &got.v[0], *b = &got.v[1], *c = &got.v[2], *d = &got.v[3];
        ASSERT_EQ(a->member_id, A);
        ASSERT_EQ(a->has_account, 1);
        ASSERT_EQ(a->account.member_id, A);
        ASSERT_EQ(a->account.balance, 71);
        ASSERT_EQ(a->account.pending, 29);
        ASSERT_EQ(a->account.growth, 119);
        ASSERT_STR_EQ(a->account.tier, "silver");
        ASSERT_EQ(a->account.review_at, T0);
        ASSERT_EQ(a->entries_available, 70);
        ASSERT_EQ(a->entries_pending, 30);
        ASSERT_EQ(a->entries_growth, 120);
        ASSERT_EQ(a->lots_remaining, 73);
        ASSERT_EQ(a->lots_pending, 25);
        ASSERT_EQ(a->lots_negative, 2);
        ASSERT_EQ(a->lots_mismatched, 3);
        ASSERT_EQ(a->bad_lot_id, L2);

        ASSERT_EQ(b->member_id, B);
        ASSERT_EQ(b->has_account, 1);
        ASSERT_EQ(b->account.balance, 5);
        ASSERT_EQ(b->entries_available + b->entries_pending + b->entries_growth, 0);
        ASSERT_EQ(b->lots_remaining + b->lots_pending + b->lots_negative + b->lots_mismatched + b->bad_lot_id, 0);

        ASSERT_EQ(c->member_id, C);
        ASSERT_EQ(c->has_account, 0);
        ASSERT_EQ(c->account.member_id, C);
        ASSERT_EQ(c->account.balance, 0);
        ASSERT_STR_EQ(c->account.tier, "");
        ASSERT_EQ(c->entries_available, 9);
        ASSERT_EQ(c->entries_pending, 0);
        ASSERT_EQ(c->entries_growth, 4);
        ASSERT_EQ(c->lots_remaining + c->lots_pending + c->lots_mismatched, 0);

        ASSERT_EQ(d->member_id, D);
        ASSERT_EQ(d->has_account, 0);
        ASSERT_EQ(d->entries_available + d->entries_pending, 0);
        ASSERT_EQ(d->lots_pending, 3);
        ASSERT_EQ(d->lots_remaining, 0);
        ASSERT_EQ(d->lots_mismatched + d->lots_negative + d->bad_lot_id, 0);
    }
    pt_store_close(s);
}

/* --- concurrency ------------------------------------------------------------------------------- */

/* Connection B's side of the two-connection tests: the first steps of a ledger write (ledger.c),
 * then +5 and commit. With no account yet, B's locking read finds nothing, its insert meets A's
 * and reports PT_EEXIST, and B takes the lock of A's row instead. */
struct locker {
    pt_store   *s;
    int64_t     member;
    atomic_int *a_committing; /* set by A just before its COMMIT */
    atomic_int  returned;     /* B's blocking call has returned */
    int         saw_committing;
    int         first_get;    /* rc of B's first locking read */
    int         insert;       /* rc of B's account insert, when the read found nothing */
    int64_t     balance_seen;
    int         rc;
};

static void *locker_b(void *arg)
{
    struct locker *l = arg;
    pt_account_rec acc;
    int rc = pt_store_begin_locking(l->s);
    if (rc == PT_OK) {
        rc = pt_store_account_get(l->s, l->member, 1, &acc);
        l->first_get = rc;
    }
    if (rc == PT_ENOTFOUND) {
        pt_account_rec fresh = {.member_id = l->member};
        rc = pt_store_account_insert(l->s, &fresh);
        l->insert = rc;
        if (rc == PT_EEXIST)
            rc = pt_store_account_get(l->s, l->member, 1, &acc);
    }
    l->saw_committing = atomic_load(l->a_committing);
    atomic_store(&l->returned, 1);
    if (rc == PT_OK) {
        l->balance_seen = acc.balance;
        acc.balance += 5;
        rc = pt_store_account_update(l->s, &acc);
    }
    if (rc == PT_OK)
        rc = pt_store_commit(l->s);
    else if (pt_store_in_tx(l->s))
        pt_store_rollback(l->s);
    l->rc = rc;
    return NULL;
}

/* Waits (≤ 20 s) until backend `pid` waits for a lock: 1 when seen, 0 when B returned first or
 * the time ran out, -1 when pg_stat_activity cannot be read. Polling is how the test learns the
 * state; no assertion rests on the time it takes. */
static int wait_until_blocked(int pid, atomic_int *returned)
{
    for (int i = 0; i < 4000 && !atomic_load(returned); i++) {
        long long n = test_pg_sql("SELECT count(*) FROM pg_stat_activity WHERE pid = %d"
                                  " AND wait_event_type = 'Lock'", pid);
        if (n != 0)
            return n < 0 ? -1 : 1;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

/* Two stores on one schema for the lock tests: A with the default lock_timeout, B with one long
 * enough for any slow machine (the waits end on state, not on time). */
static int open_pair(pt_store **a, pt_store **b, const char *name)
{
    *a = test_store_open(TEST_POSTGRES, name, NULL);
    *b = test_store_open(TEST_POSTGRES, name, "%20-clock_timeout%3D60000");
    return *a && *b ? 0 : -1;
}

/* What a ledger write relies on (store_ledger.h): under pt_store_begin_locking, B's locking read of
 * an account A holds waits until A commits, then returns A's committed row — no lost update.
 * The order is proven by state: B is seen waiting on a lock in pg_stat_activity while A holds
 * it, B has not returned before A writes, and B's read observed A's "committing" flag and A's
 * balance. */
BOTH_TEST(store_ledger_locking_read_waits_for_the_holder_to_commit_and_sees_its_update)
{
    if (be == TEST_SQLITE)
        SKIP("SQLite has a single writer: a second locking transaction waits at BEGIN IMMEDIATE, not on a row;"
             " row locks are PostgreSQL's");
    pt_store *sa, *sb;
    ASSERT_OK(open_pair(&sa, &sb, "lockwait"));
    int64_t m = test_store_member(sa, "A");
    ASSERT_OK(add_account(sa, m, 100));

    ASSERT_OK(pt_store_begin_locking(sa));
    pt_account_rec acc;
    ASSERT_OK(pt_store_account_get(sa, m, 1, &acc));
    ASSERT_EQ(acc.balance, 100);

    atomic_int committing = 0;
    struct locker b = {.s = sb, .member = m, .a_committing = &committing};
    atomic_init(&b.returned, 0);
    int pid = PQbackendPID((PGconn *)pt__store_pg_conn(sb));
    ASSERT_GT(pid, 0);
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, NULL, locker_b, &b), 0);
    int blocked = wait_until_blocked(pid, &b.returned);
    int returned_early = atomic_load(&b.returned);
    acc.balance = 150;
    int urc = pt_store_account_update(sa, &acc);
    atomic_store(&committing, 1);
    int crc = pt_store_commit(sa);
    pthread_join(t, NULL);

    ASSERT_EQ(blocked, 1);        /* B was blocked on A's row lock … */
    ASSERT_EQ(returned_early, 0); /* … and had not returned while A held it */
    ASSERT_OK(urc);
    ASSERT_OK(crc);
    ASSERT_OK(b.rc);
    ASSERT_OK(b.first_get);
    ASSERT_EQ(b.saw_committing, 1); /* B's read returned after A reached COMMIT … */
    ASSERT_EQ(b.balance_seen, 150); /* … and saw A's committed row */
    ASSERT_OK(pt_store_account_get(sa, m, 0, &acc));
    ASSERT_EQ(acc.balance, 155); /* both writes count */
    pt_store_close(sb);
    pt_store_close(sa);
}

/* A member's first two writes at once: neither finds an account to lock; B's insert waits for A's
 * uncommitted row, then reports PT_EEXIST without aborting B's transaction (the guarded insert),
 * and B's second locking read returns A's committed row. */
BOTH_TEST(store_ledger_concurrent_first_writes_meet_at_the_account_insert_and_the_second_locks_the_first_row)
{
    if (be == TEST_SQLITE)
        SKIP("SQLite has a single writer: the second transaction cannot begin before the first commits");
    pt_store *sa, *sb;
    ASSERT_OK(open_pair(&sa, &sb, "firstwrite"));
    int64_t m = test_store_member(sa, "A");

    ASSERT_OK(pt_store_begin_locking(sa));
    pt_account_rec acc;
    ASSERT_EQ(pt_store_account_get(sa, m, 1, &acc), PT_ENOTFOUND);
    ASSERT_OK(add_account(sa, m, 100));

    atomic_int committing = 0;
    struct locker b = {.s = sb, .member = m, .a_committing = &committing};
    atomic_init(&b.returned, 0);
    int pid = PQbackendPID((PGconn *)pt__store_pg_conn(sb));
    ASSERT_GT(pid, 0);
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, NULL, locker_b, &b), 0);
    int blocked = wait_until_blocked(pid, &b.returned); /* B waits in its insert */
    int returned_early = atomic_load(&b.returned);
    atomic_store(&committing, 1);
    int crc = pt_store_commit(sa);
    pthread_join(t, NULL);

    ASSERT_EQ(blocked, 1);
    ASSERT_EQ(returned_early, 0);
    ASSERT_OK(crc);
    ASSERT_EQ(b.first_get, PT_ENOTFOUND);
    ASSERT_EQ(b.insert, PT_EEXIST);
    ASSERT_EQ(b.saw_committing, 1);
    ASSERT_OK(b.rc); /* B's transaction went on and committed */
    ASSERT_EQ(b.balance_seen, 100);
    ASSERT_OK(pt_store_account_get(sa, m, 0, &acc));
    ASSERT_EQ(acc.balance, 105);
    pt_store_close(sb);
    pt_store_close(sa);
}

/* store_sqlite_ledger.c — the programme's records (store_ledger.h) on SQLite.
 *
 * Tables come from migration 2 in store_sqlite.c. SQLite has one writer at a time, so a
 * "locking" read is a plain read inside the (BEGIN IMMEDIATE) transaction. Statement slots are
 * SQ_LEDGER_FIRST + the ids below. This file and store_sqlite.c are the only ones that write
 * SQL for SQLite.
 */
#include "store_sqlite_int.h"
#include "patron/error.h"

#define ACCOUNT_COLS                                                                           \
    "member_id, balance, pending, overdraft, debt, growth, tier, tier_since, review_at, updated_at"
#define ENTRY_COLS                                                                             \
    "member_id, id, kind, bucket, points, growth, at, order_id, lot_id, ref, note, actor, idem_key," \
    " created_at"
#define LOT_COLS                                                                               \
    "member_id, id, entry_id, order_id, earned_at, available_at, expires_at, points, remaining, state"
#define LINE_COLS                                                                              \
    "member_id, order_id, line_no, lot_id, points, growth, rule, reversed_points, reversed_growth"
#define AUDIT_COLS "member_id, seq, at, actor, action, detail, prev, hash"

#define LEDGER_STATEMENTS(X)                                                                   \
    X(ACCOUNT_GET, "SELECT " ACCOUNT_COLS " FROM accounts WHERE member_id = ?1")               \
    X(ACCOUNT_INSERT, "INSERT INTO accounts(" ACCOUNT_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)") \
    X(ACCOUNT_UPDATE, "UPDATE accounts SET balance=?2, pending=?3, overdraft=?4, debt=?5,"      \
                      " growth=?6, tier=?7, tier_since=?8, review_at=?9, updated_at=?10"       \
                      " WHERE member_id=?1")                                                   \
    X(ACCOUNT_REVIEW, "SELECT member_id FROM accounts WHERE review_at > 0 AND review_at <= ?1" \
                      " ORDER BY member_id")                                                   \
    X(ENTRY_INSERT, "INSERT INTO ledger_entries(" ENTRY_COLS ") VALUES"                        \
                    " (?1,NULL,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)")                     \
    X(ENTRY_GET, "SELECT " ENTRY_COLS " FROM ledger_entries WHERE member_id = ?1 AND id = ?2")  \
    X(ENTRY_LIST, "SELECT " ENTRY_COLS " FROM ledger_entries WHERE member_id = ?1 ORDER BY id") \
    X(ENTRY_RECENT, "SELECT * FROM (SELECT " ENTRY_COLS " FROM ledger_entries"                 \
                    " WHERE member_id = ?1 ORDER BY id DESC LIMIT ?2) ORDER BY id")             \
    X(ENTRY_GROWTH, "SELECT coalesce(sum(growth), 0) FROM ledger_entries"                      \
                    " WHERE member_id = ?1 AND at >= ?2")                                      \
    X(LOT_INSERT, "INSERT INTO lots(" LOT_COLS ") VALUES (?1,NULL,?3,?4,?5,?6,?7,?8,?9,?10)")  \
    X(LOT_UPDATE, "UPDATE lots SET available_at=?3, remaining=?4, state=?5"                    \
                  " WHERE member_id=?1 AND id=?2")                                             \
    X(LOT_GET, "SELECT " LOT_COLS " FROM lots WHERE member_id = ?1 AND id = ?2")               \
    X(LOT_LIST, "SELECT " LOT_COLS " FROM lots WHERE member_id = ?1 ORDER BY id")              \
    X(LOT_LIST_OPEN, "SELECT " LOT_COLS " FROM lots WHERE member_id = ?1"                      \
                     " AND (state = 1 OR (state = 2 AND remaining <> 0)) ORDER BY id")         \
    X(LOT_LIST_DUE, "SELECT " LOT_COLS " FROM lots WHERE member_id = ?1 AND state = 1"        \
                    " AND available_at <= ?2 UNION ALL SELECT " LOT_COLS " FROM lots"            \
                    " WHERE member_id = ?1 AND state = 2 AND remaining > 0 AND expires_at > 0"   \
                    " AND expires_at < ?2 ORDER BY id")                                         \
    X(LOT_EXPIRING, "SELECT " LOT_COLS " FROM lots WHERE state = 2 AND remaining > 0"           \
                    " AND expires_at > 0 AND expires_at > ?1 AND expires_at <= ?2"             \
                    " ORDER BY member_id, expires_at, id")                                      \
    X(LOT_DUE, "SELECT member_id FROM lots WHERE state = 1 AND available_at <= ?1"             \
               " UNION SELECT member_id FROM lots WHERE state = 2 AND remaining > 0"          \
               " AND expires_at > 0 AND expires_at < ?1 ORDER BY 1")                           \
    X(USE_INSERT, "INSERT INTO lot_uses(member_id, entry_id, lot_id, points) VALUES (?1,?2,?3,?4)") \
    X(USE_LIST, "SELECT member_id, entry_id, lot_id, points FROM lot_uses"                     \
                " WHERE member_id = ?1 AND entry_id = ?2 ORDER BY lot_id")                     \
    X(LINE_INSERT, "INSERT INTO line_earns(" LINE_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)") \
    X(LINE_UPDATE, "UPDATE line_earns SET reversed_points=?8, reversed_growth=?9"              \
                   " WHERE member_id=?1 AND order_id=?2 AND line_no=?3")                       \
    X(LINE_LIST, "SELECT " LINE_COLS " FROM line_earns WHERE member_id = ?1 AND order_id = ?2" \
                 " ORDER BY line_no")                                                          \
    X(IDEM_GET, "SELECT member_id, key, op, request_hash, result, created_at"                  \
                " FROM idempotency_keys WHERE member_id = ?1 AND key = ?2")                    \
    X(IDEM_INSERT, "INSERT INTO idempotency_keys(member_id, key, op, request_hash, result,"    \
                   " created_at) VALUES (?1,?2,?3,?4,?5,?6)")                                  \
    X(TIER_INSERT, "INSERT INTO tier_changes(member_id, at, from_tier, to_tier, reason, actor)" \
                   " VALUES (?1,?2,?3,?4,?5,?6)")                                              \
    X(TIER_LIST, "SELECT member_id, id, at, from_tier, to_tier, reason, actor FROM tier_changes" \
                 " WHERE member_id = ?1 ORDER BY id")                                          \
    X(PROG_INSERT, "INSERT INTO programmes(version, canonical, loaded_at) VALUES (?1,?2,?3)")   \
    X(PROG_GET, "SELECT canonical FROM programmes WHERE version = ?1")                         \
    X(AUDIT_INSERT, "INSERT INTO audit_log(" AUDIT_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8)")  \
    X(AUDIT_LIST, "SELECT " AUDIT_COLS " FROM audit_log WHERE member_id = ?1 ORDER BY seq")    \
    X(AUDIT_SCAN, "SELECT " AUDIT_COLS " FROM audit_log ORDER BY member_id, seq")              \
    X(HEAD_GET, "SELECT member_id, seq, hash FROM audit_heads WHERE member_id = ?1")           \
    X(HEAD_PUT, "INSERT INTO audit_heads(member_id, seq, hash) VALUES (?1,?2,?3)"              \
                " ON CONFLICT(member_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash") \
    X(HEAD_SCAN, "SELECT member_id, seq, hash FROM audit_heads ORDER BY member_id")            \
    X(CHECK, LEDGER_CHECK_SQL)                                                                 \
    X(CREDIT_ADD, "INSERT INTO rule_credits(member_id, rule, day, points) VALUES (?1,?2,?3,?4)" \
                  " ON CONFLICT(member_id, rule, day) DO UPDATE SET points = points + excluded.points") \
    X(CREDIT_SUMS, "SELECT coalesce(sum(CASE WHEN day = ?3 THEN points ELSE 0 END), 0),"      \
                   " coalesce(sum(points), 0) FROM rule_credits WHERE member_id = ?1 AND rule = ?2") \
    X(ORDER_STATUS, "UPDATE orders SET status = ?3 WHERE member_id = ?1 AND id = ?2")          \
    X(BUDGET_GET, "SELECT given FROM rule_budgets WHERE rule = ?1")                            \
    X(BUDGET_ADD, "INSERT INTO rule_budgets(rule, given) VALUES (?1, ?2)"                      \
                  " ON CONFLICT(rule) DO UPDATE SET given = given + excluded.given")

/* Per member: the account, sums of entries by bucket, lot remainders by state, and lots whose
 * remainder disagrees with their points and uses. */
#define LEDGER_CHECK_SQL                                                                       \
    "WITH m AS (SELECT member_id FROM accounts UNION SELECT member_id FROM ledger_entries"      \
    "           UNION SELECT member_id FROM lots),"                                            \
    " e AS (SELECT member_id, sum(CASE WHEN bucket = 1 THEN points ELSE 0 END) AS av,"         \
    "       sum(CASE WHEN bucket = 2 THEN points ELSE 0 END) AS pe, sum(growth) AS gr"         \
    "       FROM ledger_entries GROUP BY member_id),"                                          \
    " u AS (SELECT member_id, lot_id, sum(points) AS used FROM lot_uses GROUP BY member_id, lot_id)," \
    " l AS (SELECT l.member_id, sum(CASE WHEN l.state = 2 THEN l.remaining ELSE 0 END) AS rem," \
    "       sum(CASE WHEN l.state = 1 THEN l.remaining ELSE 0 END) AS pend,"                  \
    "       sum(CASE WHEN l.remaining < 0 OR l.remaining > l.points THEN 1 ELSE 0 END) AS neg," \
    "       sum(CASE WHEN l.points - coalesce(u.used, 0) <> l.remaining THEN 1 ELSE 0 END) AS bad," \
    "       min(CASE WHEN l.points - coalesce(u.used, 0) <> l.remaining OR l.remaining < 0"    \
    "           OR l.remaining > l.points THEN l.id END) AS bad_id"                            \
    "       FROM lots l LEFT JOIN u ON u.member_id = l.member_id AND u.lot_id = l.id"          \
    "       GROUP BY l.member_id)"                                                             \
    " SELECT m.member_id, a.member_id IS NOT NULL, coalesce(a.balance, 0), coalesce(a.pending, 0)," \
    " coalesce(a.overdraft, 0), coalesce(a.debt, 0), coalesce(a.growth, 0), coalesce(a.tier, '')," \
    " coalesce(a.tier_since, 0), coalesce(a.review_at, 0), coalesce(a.updated_at, 0),"         \
    " coalesce(e.av, 0), coalesce(e.pe, 0), coalesce(e.gr, 0), coalesce(l.rem, 0),"            \
    " coalesce(l.pend, 0), coalesce(l.neg, 0), coalesce(l.bad, 0), coalesce(l.bad_id, 0)"      \
    " FROM m LEFT JOIN accounts a ON a.member_id = m.member_id"                                \
    " LEFT JOIN e ON e.member_id = m.member_id LEFT JOIN l ON l.member_id = m.member_id"       \
    " ORDER BY m.member_id"

enum ledger_stmt {
#define LSTMT_ENUM(id, sql) LS_##id,
    LEDGER_STATEMENTS(LSTMT_ENUM)
#undef LSTMT_ENUM
    LS__COUNT
};
_Static_assert(SQ_LEDGER_FIRST + LS__COUNT <= SQ_REWARD_FIRST, "statement cache too small");

static const char *const ledger_sql[LS__COUNT] = {
#define LSTMT_SQL(id, sql) [LS_##id] = sql,
    LEDGER_STATEMENTS(LSTMT_SQL)
#undef LSTMT_SQL
};

#define SLOT(id) (SQ_LEDGER_FIRST + (int)(id))

static int prep(pt_store *s, enum ledger_stmt id, sqlite3_stmt **st)
{
    return pt__sq_prepare(SQ(s), SLOT(id), ledger_sql[id], st);
}

static int run(pt_store *s, enum ledger_stmt id, sqlite3_stmt *st, const char *doing)
{
    return pt__sq_run(SQ(s), SLOT(id), st, doing);
}

static int one(pt_store *s, enum ledger_stmt id, sqlite3_stmt *st, int (*read)(sqlite3_stmt *, void *),
               void *rec, const char *doing)
{
    return pt__sq_query_one(SQ(s), SLOT(id), st, read, rec, doing);
}

static int each(pt_store *s, enum ledger_stmt id, sqlite3_stmt *st, int (*read)(sqlite3_stmt *, void *),
                void *rec, int (*cb)(void *, const void *), void *ud, const char *doing)
{
    return pt__sq_query_each(SQ(s), SLOT(id), st, read, rec, cb, ud, doing);
}

static int read_member_id(sqlite3_stmt *st, void *p)
{
    *(int64_t *)p = col_i64(st, 0);
    return PT_OK;
}

/* --- accounts ----------------------------------------------------------------------------- */

static void bind_account(sqlite3_stmt *st, const pt_account_rec *r)
{
    sqlite3_bind_int64(st, 1, r->member_id);
    sqlite3_bind_int64(st, 2, r->balance);
    sqlite3_bind_int64(st, 3, r->pending);
    sqlite3_bind_int64(st, 4, r->overdraft);
    sqlite3_bind_int64(st, 5, r->debt);
    sqlite3_bind_int64(st, 6, r->growth);
    bind_text(st, 7, r->tier);
    sqlite3_bind_int64(st, 8, r->tier_since);
    sqlite3_bind_int64(st, 9, r->review_at);
    sqlite3_bind_int64(st, 10, r->updated_at);
}

static void read_account_at(sqlite3_stmt *st, int c, pt_account_rec *r)
{
    r->member_id = col_i64(st, c);
    r->balance = col_i64(st, c + 1);
    r->pending = col_i64(st, c + 2);
    r->overdraft = col_i64(st, c + 3);
    r->debt = col_i64(st, c + 4);
    r->growth = col_i64(st, c + 5);
    col_text(st, c + 6, r->tier, sizeof r->tier);
    r->tier_since = col_i64(st, c + 7);
    r->review_at = col_i64(st, c + 8);
    r->updated_at = col_i64(st, c + 9);
}

static int read_account(sqlite3_stmt *st, void *p)
{
    read_account_at(st, 0, p);
    return PT_OK;
}

static int sq_account_get(pt_store *s, int64_t member_id, int lock, pt_account_rec *r)
{
    if (lock && !pt_store_in_tx(s))
        return pt__store_error(s, PT_ESTATE, "locking an account needs a transaction");
    sqlite3_stmt *st;
    int rc = prep(s, LS_ACCOUNT_GET, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    return one(s, LS_ACCOUNT_GET, st, read_account, r, "reading points account");
}

static int sq_account_insert(pt_store *s, const pt_account_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_ACCOUNT_INSERT, &st);
    if (rc)
        return rc;
    bind_account(st, r);
    return run(s, LS_ACCOUNT_INSERT, st, "inserting points account");
}

static int sq_account_update(pt_store *s, const pt_account_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_ACCOUNT_UPDATE, &st);
    if (rc)
        return rc;
    bind_account(st, r);
    rc = run(s, LS_ACCOUNT_UPDATE, st, "updating points account");
    return pt__sq_changed_one(SQ(s), rc, "updating points account");
}

static int member_ids(pt_store *s, enum ledger_stmt id, int64_t as_of, pt_member_id_cb cb, void *ud,
                      const char *doing)
{
    sqlite3_stmt *st;
    int rc = prep(s, id, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, as_of);
    int64_t member_id;
    struct member_id_cb c = {cb, ud};
    return each(s, id, st, read_member_id, &member_id, call_member_id, &c, doing);
}

static int sq_account_scan_review(pt_store *s, int64_t as_of, pt_member_id_cb cb, void *ud)
{
    return member_ids(s, LS_ACCOUNT_REVIEW, as_of, cb, ud, "listing tier reviews due");
}

/* --- entries ------------------------------------------------------------------------------ */

static int read_entry(sqlite3_stmt *st, void *p)
{
    pt_entry_rec *r = p;
    r->member_id = col_i64(st, 0);
    r->id = col_i64(st, 1);
    r->kind = col_int(st, 2);
    r->bucket = col_int(st, 3);
    r->points = col_i64(st, 4);
    r->growth = col_i64(st, 5);
    r->at = col_i64(st, 6);
    r->order_id = col_i64(st, 7);
    r->lot_id = col_i64(st, 8);
    col_text(st, 9, r->ref, sizeof r->ref);
    col_text(st, 10, r->note, sizeof r->note);
    col_text(st, 11, r->actor, sizeof r->actor);
    col_text(st, 12, r->idem_key, sizeof r->idem_key);
    r->created_at = col_i64(st, 13);
    return PT_OK;
}

static int sq_entry_insert(pt_store *s, pt_entry_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_ENTRY_INSERT, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->member_id);
    sqlite3_bind_int(st, 3, r->kind);
    sqlite3_bind_int(st, 4, r->bucket);
    sqlite3_bind_int64(st, 5, r->points);
    sqlite3_bind_int64(st, 6, r->growth);
    sqlite3_bind_int64(st, 7, r->at);
    sqlite3_bind_int64(st, 8, r->order_id);
    sqlite3_bind_int64(st, 9, r->lot_id);
    bind_text(st, 10, r->ref);
    bind_text(st, 11, r->note);
    bind_text(st, 12, r->actor);
    bind_text(st, 13, r->idem_key);
    sqlite3_bind_int64(st, 14, r->created_at);
    rc = run(s, LS_ENTRY_INSERT, st, "inserting ledger entry");
    if (rc == PT_OK)
        r->id = sqlite3_last_insert_rowid(SQ(s)->db);
    return rc;
}

static int sq_entry_get(pt_store *s, int64_t member_id, int64_t id, pt_entry_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_ENTRY_GET, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, id);
    return one(s, LS_ENTRY_GET, st, read_entry, r, "reading ledger entry");
}

static int sq_entry_list(pt_store *s, int64_t member_id, pt_entry_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_ENTRY_LIST, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    pt_entry_rec r;
    struct entry_cb c = {cb, ud};
    return each(s, LS_ENTRY_LIST, st, read_entry, &r, call_entry, &c, "listing ledger entries");
}

static int sq_entry_list_recent(pt_store *s, int64_t member_id, int64_t limit, pt_entry_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_ENTRY_RECENT, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, limit);
    pt_entry_rec r;
    struct entry_cb c = {cb, ud};
    return each(s, LS_ENTRY_RECENT, st, read_entry, &r, call_entry, &c, "listing recent ledger entries");
}

static int sq_entry_growth_since(pt_store *s, int64_t member_id, int64_t since, int64_t *growth)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_ENTRY_GROWTH, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, since);
    return one(s, LS_ENTRY_GROWTH, st, read_member_id, growth, "summing growth value");
}

/* --- lots and their uses ------------------------------------------------------------------ */

static int read_lot(sqlite3_stmt *st, void *p)
{
    pt_lot_rec *r = p;
    r->member_id = col_i64(st, 0);
    r->id = col_i64(st, 1);
    r->entry_id = col_i64(st, 2);
    r->order_id = col_i64(st, 3);
    r->earned_at = col_i64(st, 4);
    r->available_at = col_i64(st, 5);
    r->expires_at = col_i64(st, 6);
    r->points = col_i64(st, 7);
    r->remaining = col_i64(st, 8);
    r->state = col_int(st, 9);
    return PT_OK;
}

static int sq_lot_insert(pt_store *s, pt_lot_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_LOT_INSERT, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->member_id);
    sqlite3_bind_int64(st, 3, r->entry_id);
    sqlite3_bind_int64(st, 4, r->order_id);
    sqlite3_bind_int64(st, 5, r->earned_at);
    sqlite3_bind_int64(st, 6, r->available_at);
    sqlite3_bind_int64(st, 7, r->expires_at);
    sqlite3_bind_int64(st, 8, r->points);
    sqlite3_bind_int64(st, 9, r->remaining);
    sqlite3_bind_int(st, 10, r->state);
    rc = run(s, LS_LOT_INSERT, st, "inserting lot");
    if (rc == PT_OK)
        r->id = sqlite3_last_insert_rowid(SQ(s)->db);
    return rc;
}

static int sq_lot_update(pt_store *s, const pt_lot_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_LOT_UPDATE, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->member_id);
    sqlite3_bind_int64(st, 2, r->id);
    sqlite3_bind_int64(st, 3, r->available_at);
    sqlite3_bind_int64(st, 4, r->remaining);
    sqlite3_bind_int(st, 5, r->state);
    rc = run(s, LS_LOT_UPDATE, st, "updating lot");
    return pt__sq_changed_one(SQ(s), rc, "updating lot");
}

static int sq_lot_get(pt_store *s, int64_t member_id, int64_t id, pt_lot_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_LOT_GET, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, id);
    return one(s, LS_LOT_GET, st, read_lot, r, "reading lot");
}

static int sq_lot_list(pt_store *s, int64_t member_id, int open_only, pt_lot_cb cb, void *ud)
{
    enum ledger_stmt id = open_only ? LS_LOT_LIST_OPEN : LS_LOT_LIST;
    sqlite3_stmt *st;
    int rc = prep(s, id, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    pt_lot_rec r;
    struct lot_cb c = {cb, ud};
    return each(s, id, st, read_lot, &r, call_lot, &c, "listing lots");
}

static int sq_lot_list_due(pt_store *s, int64_t member_id, int64_t as_of, pt_lot_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_LOT_LIST_DUE, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, as_of);
    pt_lot_rec r;
    struct lot_cb c = {cb, ud};
    return each(s, LS_LOT_LIST_DUE, st, read_lot, &r, call_lot, &c, "listing lots due");
}

static int sq_lot_expiring(pt_store *s, int64_t from, int64_t to, pt_lot_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_LOT_EXPIRING, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    pt_lot_rec r;
    struct lot_cb c = {cb, ud};
    return each(s, LS_LOT_EXPIRING, st, read_lot, &r, call_lot, &c, "listing lots expiring");
}

static int sq_lot_due_members(pt_store *s, int64_t as_of, pt_member_id_cb cb, void *ud)
{
    return member_ids(s, LS_LOT_DUE, as_of, cb, ud, "listing members with lots due");
}

static int read_use(sqlite3_stmt *st, void *p)
{
    pt_lot_use_rec *r = p;
    r->member_id = col_i64(st, 0);
    r->entry_id = col_i64(st, 1);
    r->lot_id = col_i64(st, 2);
    r->points = col_i64(st, 3);
    return PT_OK;
}

static int sq_lot_use_insert(pt_store *s, const pt_lot_use_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_USE_INSERT, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->member_id);
    sqlite3_bind_int64(st, 2, r->entry_id);
    sqlite3_bind_int64(st, 3, r->lot_id);
    sqlite3_bind_int64(st, 4, r->points);
    return run(s, LS_USE_INSERT, st, "recording lot use");
}

static int sq_lot_use_list(pt_store *s, int64_t member_id, int64_t entry_id, pt_lot_use_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_USE_LIST, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, entry_id);
    pt_lot_use_rec r;
    struct lot_use_cb c = {cb, ud};
    return each(s, LS_USE_LIST, st, read_use, &r, call_lot_use, &c, "listing lot uses");
}

/* --- order lines -------------------------------------------------------------------------- */

static void bind_line(sqlite3_stmt *st, const pt_line_earn_rec *r)
{
    sqlite3_bind_int64(st, 1, r->member_id);
    sqlite3_bind_int64(st, 2, r->order_id);
    sqlite3_bind_int(st, 3, r->line_no);
    sqlite3_bind_int64(st, 4, r->lot_id);
    sqlite3_bind_int64(st, 5, r->points);
    sqlite3_bind_int64(st, 6, r->growth);
    bind_text(st, 7, r->rule);
    sqlite3_bind_int64(st, 8, r->reversed_points);
    sqlite3_bind_int64(st, 9, r->reversed_growth);
}

static int read_line(sqlite3_stmt *st, void *p)
{
    pt_line_earn_rec *r = p;
    r->member_id = col_i64(st, 0);
    r->order_id = col_i64(st, 1);
    r->line_no = col_int(st, 2);
    r->lot_id = col_i64(st, 3);
    r->points = col_i64(st, 4);
    r->growth = col_i64(st, 5);
    col_text(st, 6, r->rule, sizeof r->rule);
    r->reversed_points = col_i64(st, 7);
    r->reversed_growth = col_i64(st, 8);
    return PT_OK;
}

static int sq_line_earn_insert(pt_store *s, const pt_line_earn_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_LINE_INSERT, &st);
    if (rc)
        return rc;
    bind_line(st, r);
    return run(s, LS_LINE_INSERT, st, "recording what an order line earned");
}

static int sq_line_earn_update(pt_store *s, const pt_line_earn_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_LINE_UPDATE, &st);
    if (rc)
        return rc;
    bind_line(st, r);
    rc = run(s, LS_LINE_UPDATE, st, "updating what an order line earned");
    return pt__sq_changed_one(SQ(s), rc, "updating what an order line earned");
}

static int sq_line_earn_list(pt_store *s, int64_t member_id, int64_t order_id, pt_line_earn_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_LINE_LIST, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, order_id);
    pt_line_earn_rec r;
    struct line_earn_cb c = {cb, ud};
    return each(s, LS_LINE_LIST, st, read_line, &r, call_line_earn, &c, "listing what order lines earned");
}

/* --- idempotency -------------------------------------------------------------------------- */

static int read_idem(sqlite3_stmt *st, void *p)
{
    pt_idem_rec *r = p;
    r->member_id = col_i64(st, 0);
    col_text(st, 1, r->key, sizeof r->key);
    col_text(st, 2, r->op, sizeof r->op);
    col_fixed(st, 3, r->request_hash, sizeof r->request_hash);
    r->created_at = col_i64(st, 5);
    const unsigned char *t = sqlite3_column_text(st, 4);
    return pt_buf_set(&r->result, t ? t : (const unsigned char *)"", (size_t)sqlite3_column_bytes(st, 4));
}

static int sq_idem_get(pt_store *s, int64_t member_id, const char *key, pt_idem_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_IDEM_GET, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    bind_text(st, 2, key);
    return one(s, LS_IDEM_GET, st, read_idem, r, "reading idempotency key");
}

static int sq_idem_insert(pt_store *s, const pt_idem_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_IDEM_INSERT, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->member_id);
    bind_text(st, 2, r->key);
    bind_text(st, 3, r->op);
    sqlite3_bind_blob(st, 4, r->request_hash, (int)sizeof r->request_hash, SQLITE_STATIC);
    bind_buf_text(st, 5, &r->result);
    sqlite3_bind_int64(st, 6, r->created_at);
    return run(s, LS_IDEM_INSERT, st, "recording idempotency key");
}

/* --- tiers and programme versions --------------------------------------------------------- */

static int read_tier_change(sqlite3_stmt *st, void *p)
{
    pt_tier_change_rec *r = p;
    r->member_id = col_i64(st, 0);
    r->id = col_i64(st, 1);
    r->at = col_i64(st, 2);
    col_text(st, 3, r->from_tier, sizeof r->from_tier);
    col_text(st, 4, r->to_tier, sizeof r->to_tier);
    col_text(st, 5, r->reason, sizeof r->reason);
    col_text(st, 6, r->actor, sizeof r->actor);
    return PT_OK;
}

static int sq_tier_change_insert(pt_store *s, pt_tier_change_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_TIER_INSERT, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->member_id);
    sqlite3_bind_int64(st, 2, r->at);
    bind_text(st, 3, r->from_tier);
    bind_text(st, 4, r->to_tier);
    bind_text(st, 5, r->reason);
    bind_text(st, 6, r->actor);
    rc = run(s, LS_TIER_INSERT, st, "recording tier change");
    if (rc == PT_OK)
        r->id = sqlite3_last_insert_rowid(SQ(s)->db);
    return rc;
}

static int sq_tier_change_list(pt_store *s, int64_t member_id, pt_tier_change_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_TIER_LIST, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    pt_tier_change_rec r;
    struct tier_change_cb c = {cb, ud};
    return each(s, LS_TIER_LIST, st, read_tier_change, &r, call_tier_change, &c, "listing tier changes");
}

static int sq_programme_insert(pt_store *s, const char *version, const char *canonical, int64_t loaded_at)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_PROG_INSERT, &st);
    if (rc)
        return rc;
    bind_text(st, 1, version);
    bind_text(st, 2, canonical);
    sqlite3_bind_int64(st, 3, loaded_at);
    return run(s, LS_PROG_INSERT, st, "storing programme version");
}

static int read_text_buf(sqlite3_stmt *st, void *p)
{
    const unsigned char *t = sqlite3_column_text(st, 0);
    return pt_buf_set(p, t ? t : (const unsigned char *)"", (size_t)sqlite3_column_bytes(st, 0));
}

static int sq_programme_get(pt_store *s, const char *version, pt_buf *canonical)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_PROG_GET, &st);
    if (rc)
        return rc;
    bind_text(st, 1, version);
    return one(s, LS_PROG_GET, st, read_text_buf, canonical, "reading programme version");
}

/* --- audit -------------------------------------------------------------------------------- */

static int read_audit(sqlite3_stmt *st, void *p)
{
    pt_audit_rec *r = p;
    r->member_id = col_i64(st, 0);
    r->seq = col_i64(st, 1);
    r->at = col_i64(st, 2);
    col_text(st, 3, r->actor, sizeof r->actor);
    col_text(st, 4, r->action, sizeof r->action);
    col_fixed(st, 6, r->prev, sizeof r->prev);
    col_fixed(st, 7, r->hash, sizeof r->hash);
    const unsigned char *t = sqlite3_column_text(st, 5);
    return pt_buf_set(&r->detail, t ? t : (const unsigned char *)"", (size_t)sqlite3_column_bytes(st, 5));
}

static int sq_audit_insert(pt_store *s, const pt_audit_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_AUDIT_INSERT, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->member_id);
    sqlite3_bind_int64(st, 2, r->seq);
    sqlite3_bind_int64(st, 3, r->at);
    bind_text(st, 4, r->actor);
    bind_text(st, 5, r->action);
    bind_buf_text(st, 6, &r->detail);
    sqlite3_bind_blob(st, 7, r->prev, (int)sizeof r->prev, SQLITE_STATIC);
    sqlite3_bind_blob(st, 8, r->hash, (int)sizeof r->hash, SQLITE_STATIC);
    return run(s, LS_AUDIT_INSERT, st, "appending audit record");
}

static int read_head(sqlite3_stmt *st, void *p)
{
    pt_audit_head_rec *r = p;
    r->member_id = col_i64(st, 0);
    r->seq = col_i64(st, 1);
    col_fixed(st, 2, r->hash, sizeof r->hash);
    return PT_OK;
}

static int sq_audit_head_get(pt_store *s, int64_t member_id, int lock, pt_audit_head_rec *r)
{
    if (lock && !pt_store_in_tx(s))
        return pt__store_error(s, PT_ESTATE, "locking an audit chain needs a transaction");
    sqlite3_stmt *st;
    int rc = prep(s, LS_HEAD_GET, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    return one(s, LS_HEAD_GET, st, read_head, r, "reading audit chain head");
}

static int sq_audit_head_put(pt_store *s, const pt_audit_head_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_HEAD_PUT, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->member_id);
    sqlite3_bind_int64(st, 2, r->seq);
    sqlite3_bind_blob(st, 3, r->hash, (int)sizeof r->hash, SQLITE_STATIC);
    return run(s, LS_HEAD_PUT, st, "moving audit chain head");
}

static int audit_iter(pt_store *s, enum ledger_stmt id, int64_t member_id, pt_audit_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = prep(s, id, &st);
    if (rc)
        return rc;
    if (id == LS_AUDIT_LIST)
        sqlite3_bind_int64(st, 1, member_id);
    pt_audit_rec r;
    pt_audit_rec_init(&r);
    struct audit_cb c = {cb, ud};
    rc = each(s, id, st, read_audit, &r, call_audit, &c, "reading audit log");
    pt_audit_rec_free(&r);
    return rc;
}

static int sq_audit_list(pt_store *s, int64_t member_id, pt_audit_cb cb, void *ud)
{
    return audit_iter(s, LS_AUDIT_LIST, member_id, cb, ud);
}

static int sq_audit_scan(pt_store *s, pt_audit_cb cb, void *ud)
{
    return audit_iter(s, LS_AUDIT_SCAN, 0, cb, ud);
}

static int sq_audit_head_scan(pt_store *s, pt_audit_head_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_HEAD_SCAN, &st);
    if (rc)
        return rc;
    pt_audit_head_rec r;
    struct audit_head_cb c = {cb, ud};
    return each(s, LS_HEAD_SCAN, st, read_head, &r, call_audit_head, &c, "reading audit chain heads");
}

/* --- verification ------------------------------------------------------------------------- */

static int read_check(sqlite3_stmt *st, void *p)
{
    pt_ledger_check_rec *r = p;
    r->member_id = col_i64(st, 0);
    r->has_account = col_int(st, 1);
    read_account_at(st, 1, &r->account);
    r->account.member_id = r->member_id;
    r->entries_available = col_i64(st, 11);
    r->entries_pending = col_i64(st, 12);
    r->entries_growth = col_i64(st, 13);
    r->lots_remaining = col_i64(st, 14);
    r->lots_pending = col_i64(st, 15);
    r->lots_negative = col_i64(st, 16);
    r->lots_mismatched = col_i64(st, 17);
    r->bad_lot_id = col_i64(st, 18);
    return PT_OK;
}

static int sq_ledger_check_scan(pt_store *s, pt_ledger_check_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_CHECK, &st);
    if (rc)
        return rc;
    pt_ledger_check_rec r;
    struct ledger_check_cb c = {cb, ud};
    return each(s, LS_CHECK, st, read_check, &r, call_ledger_check, &c, "checking the ledger");
}

/* --- campaign caps and budgets ------------------------------------------------------------ */

static int sq_rule_credit_add(pt_store *s, int64_t member_id, const char *rule, int64_t day, int64_t points)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_CREDIT_ADD, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    bind_text(st, 2, rule);
    sqlite3_bind_int64(st, 3, day);
    sqlite3_bind_int64(st, 4, points);
    return run(s, LS_CREDIT_ADD, st, "recording a rule's credit");
}

static int read_two(sqlite3_stmt *st, void *p)
{
    int64_t *v = p;
    v[0] = col_i64(st, 0);
    v[1] = col_i64(st, 1);
    return PT_OK;
}

static int sq_rule_credit_sums(pt_store *s, int64_t member_id, const char *rule, int64_t day, int64_t *on_day,
                               int64_t *total)
{
    sqlite3_stmt *st;
    int64_t v[2] = {0, 0};
    int rc = prep(s, LS_CREDIT_SUMS, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    bind_text(st, 2, rule);
    sqlite3_bind_int64(st, 3, day);
    rc = one(s, LS_CREDIT_SUMS, st, read_two, v, "summing a rule's credits");
    *on_day = v[0];
    *total = v[1];
    return rc;
}

/* SQLite's single writer already serialises: lock needs nothing more. */
static int sq_rule_budget_get(pt_store *s, const char *rule, int lock, int64_t *given)
{
    if (lock && !pt_store_in_tx(s))
        return pt__store_error(s, PT_ESTATE, "locking a budget needs a transaction");
    sqlite3_stmt *st;
    int rc = prep(s, LS_BUDGET_GET, &st);
    if (rc)
        return rc;
    bind_text(st, 1, rule);
    *given = 0;
    rc = one(s, LS_BUDGET_GET, st, read_member_id, given, "reading a rule's budget");
    return rc == PT_ENOTFOUND ? PT_OK : rc;
}

static int sq_rule_budget_add(pt_store *s, const char *rule, int64_t points)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_BUDGET_ADD, &st);
    if (rc)
        return rc;
    bind_text(st, 1, rule);
    sqlite3_bind_int64(st, 2, points);
    return run(s, LS_BUDGET_ADD, st, "adding to a rule's budget");
}

static int sq_order_set_status(pt_store *s, int64_t member_id, int64_t order_id, int status)
{
    sqlite3_stmt *st;
    int rc = prep(s, LS_ORDER_STATUS, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, order_id);
    sqlite3_bind_int(st, 3, status);
    rc = run(s, LS_ORDER_STATUS, st, "setting an order's status");
    return pt__sq_changed_one(SQ(s), rc, "setting an order's status");
}

const struct pt_store_ledger_ops pt__sq_ledger_ops = {
    .account_get = sq_account_get,
    .account_insert = sq_account_insert,
    .account_update = sq_account_update,
    .account_scan_review = sq_account_scan_review,
    .entry_insert = sq_entry_insert,
    .entry_get = sq_entry_get,
    .entry_list = sq_entry_list,
    .entry_growth_since = sq_entry_growth_since,
    .lot_insert = sq_lot_insert,
    .lot_update = sq_lot_update,
    .lot_get = sq_lot_get,
    .lot_list = sq_lot_list,
    .lot_list_due = sq_lot_list_due,
    .lot_expiring = sq_lot_expiring,
    .entry_list_recent = sq_entry_list_recent,
    .lot_due_members = sq_lot_due_members,
    .lot_use_insert = sq_lot_use_insert,
    .lot_use_list = sq_lot_use_list,
    .line_earn_insert = sq_line_earn_insert,
    .line_earn_update = sq_line_earn_update,
    .line_earn_list = sq_line_earn_list,
    .idem_get = sq_idem_get,
    .idem_insert = sq_idem_insert,
    .tier_change_insert = sq_tier_change_insert,
    .tier_change_list = sq_tier_change_list,
    .programme_insert = sq_programme_insert,
    .programme_get = sq_programme_get,
    .audit_insert = sq_audit_insert,
    .audit_head_get = sq_audit_head_get,
    .audit_head_put = sq_audit_head_put,
    .audit_list = sq_audit_list,
    .audit_scan = sq_audit_scan,
    .audit_head_scan = sq_audit_head_scan,
    .ledger_check_scan = sq_ledger_check_scan,
    .rule_credit_add = sq_rule_credit_add,
    .rule_credit_sums = sq_rule_credit_sums,
    .rule_budget_get = sq_rule_budget_get,
    .rule_budget_add = sq_rule_budget_add,
    .order_set_status = sq_order_set_status,
};

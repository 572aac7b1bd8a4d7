/* store_pg_ledger.c — the programme's records (store_ledger.h) on PostgreSQL.
 *
 * Tables come from migration 2 in store_pg.c; the conventions are store_pg.c's (see its top
 * comment and store_pg_int.h):
 *  - Every statement here is prepared at open, with the core ones, in the same round trip
 *    (named pt_<PG_LEDGER_FIRST + i>); full scans are cursors instead (DECLARE cannot be
 *    prepared), with their as-of bound through the extended protocol.
 *  - Inserts that callers expect to clash (accounts, lot uses, order lines, idempotency keys,
 *    programme versions, audit records) are guarded: ON CONFLICT DO NOTHING RETURNING, with the
 *    member's existence checked in the same statement, so PT_EEXIST and a missing member
 *    (PT_EINVAL) are reported as data and the caller's transaction stays usable. Updates by key
 *    that change no row are PT_ENOTFOUND.
 *  - Locking reads (account_get and audit_head_get with lock = 1) are SELECT … FOR UPDATE and
 *    need a transaction (PT_ESTATE otherwise). Under pt_store_begin_locking the transaction is
 *    READ COMMITTED: the read waits for another holder of the row to end and then returns the
 *    row as that holder committed it. Inside a SERIALIZABLE transaction (pt_store_begin) the
 *    same read fails with PT_ERETRY when the row changed after the snapshot.
 *  - Per-member lists are read whole before the first callback (callbacks may re-enter);
 *    store-wide scans (tier reviews due, lots due, the audit log and heads, the ledger check)
 *    stream through cursors, on an auxiliary connection when outside a transaction.
 * Invariant: every key and every WHERE of a member-scoped statement includes member_id, so
 * each statement but the scans touches one member's rows only (one shard on Citus).
 */
#include "store_pg_int.h"
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
#define HEAD_COLS  "member_id, seq, hash"

/* A guarded insert of a member's row that has no id to return. */
#define MEMBER_INSERT(insert) GUARDED_INSERT_RET(MEMBER_EXISTS("$1"), insert, "1")

#define LEDGER_STATEMENTS(X)                                                                   \
    X(ACCOUNT_GET, "SELECT " ACCOUNT_COLS " FROM accounts WHERE member_id = $1")               \
    X(ACCOUNT_GET_LOCK, "SELECT " ACCOUNT_COLS " FROM accounts WHERE member_id = $1 FOR UPDATE") \
    X(ACCOUNT_INSERT,                                                                          \
      MEMBER_INSERT("INSERT INTO accounts (" ACCOUNT_COLS ") SELECT $1::bigint, $2::bigint,"    \
                    " $3::bigint, $4::bigint, $5::bigint, $6::bigint, $7::text, $8::bigint,"   \
                    " $9::bigint, $10::bigint FROM fk WHERE fk.ok"))                           \
    X(ACCOUNT_UPDATE, "UPDATE accounts SET balance = $2, pending = $3, overdraft = $4, debt = $5," \
                      " growth = $6, tier = $7, tier_since = $8, review_at = $9, updated_at = $10" \
                      " WHERE member_id = $1")                                                 \
    X(ENTRY_INSERT,                                                                            \
      GUARDED_INSERT(MEMBER_EXISTS("$1"),                                                      \
                     "INSERT INTO ledger_entries (member_id, kind, bucket, points, growth, at,"\
                     " order_id, lot_id, ref, note, actor, idem_key, created_at) SELECT"       \
                     " $1::bigint, $2::integer, $3::integer, $4::bigint, $5::bigint, $6::bigint," \
                     " $7::bigint, $8::bigint, $9::text, $10::text, $11::text, $12::text,"     \
                     " $13::bigint FROM fk WHERE fk.ok"))                                      \
    X(ENTRY_GET, "SELECT " ENTRY_COLS " FROM ledger_entries WHERE member_id = $1 AND id = $2")  \
    X(ENTRY_LIST, "SELECT " ENTRY_COLS " FROM ledger_entries WHERE member_id = $1 ORDER BY id") \
    X(ENTRY_RECENT, "SELECT * FROM (SELECT " ENTRY_COLS " FROM ledger_entries"                 \
                    " WHERE member_id = $1 ORDER BY id DESC LIMIT $2) AS recent ORDER BY id")   \
    X(ENTRY_GROWTH, "SELECT coalesce(sum(growth), 0)::bigint FROM ledger_entries"              \
                    " WHERE member_id = $1 AND at >= $2")                                      \
    X(LOT_INSERT,                                                                              \
      GUARDED_INSERT(MEMBER_EXISTS("$1"),                                                      \
                     "INSERT INTO lots (member_id, entry_id, order_id, earned_at, available_at," \
                     " expires_at, points, remaining, state) SELECT $1::bigint, $2::bigint,"   \
                     " $3::bigint, $4::bigint, $5::bigint, $6::bigint, $7::bigint, $8::bigint," \
                     " $9::integer FROM fk WHERE fk.ok"))                                      \
    X(LOT_UPDATE, "UPDATE lots SET available_at = $3, remaining = $4, state = $5"              \
                  " WHERE member_id = $1 AND id = $2")                                         \
    X(LOT_GET, "SELECT " LOT_COLS " FROM lots WHERE member_id = $1 AND id = $2")               \
    X(LOT_LIST, "SELECT " LOT_COLS " FROM lots WHERE member_id = $1 ORDER BY id")              \
    X(LOT_LIST_OPEN, "SELECT " LOT_COLS " FROM lots WHERE member_id = $1"                      \
                     " AND (state = 1 OR (state = 2 AND remaining <> 0)) ORDER BY id")         \
    X(LOT_LIST_DUE, "SELECT " LOT_COLS " FROM lots WHERE member_id = $1 AND state = 1"        \
                    " AND available_at <= $2 UNION ALL SELECT " LOT_COLS " FROM lots"            \
                    " WHERE member_id = $1 AND state = 2 AND remaining > 0 AND expires_at > 0"   \
                    " AND expires_at < $2 ORDER BY id")                                         \
    X(USE_INSERT,                                                                              \
      MEMBER_INSERT("INSERT INTO lot_uses (member_id, entry_id, lot_id, points) SELECT"        \
                    " $1::bigint, $2::bigint, $3::bigint, $4::bigint FROM fk WHERE fk.ok"))    \
    X(USE_LIST, "SELECT member_id, entry_id, lot_id, points FROM lot_uses"                     \
                " WHERE member_id = $1 AND entry_id = $2 ORDER BY lot_id")                     \
    X(LINE_INSERT,                                                                             \
      MEMBER_INSERT("INSERT INTO line_earns (" LINE_COLS ") SELECT $1::bigint, $2::bigint,"     \
                    " $3::integer, $4::bigint, $5::bigint, $6::bigint, $7::text, $8::bigint,"  \
                    " $9::bigint FROM fk WHERE fk.ok"))                                        \
    X(LINE_UPDATE, "UPDATE line_earns SET reversed_points = $4, reversed_growth = $5"          \
                   " WHERE member_id = $1 AND order_id = $2 AND line_no = $3")                 \
    X(LINE_LIST, "SELECT " LINE_COLS " FROM line_earns WHERE member_id = $1 AND order_id = $2" \
                 " ORDER BY line_no")                                                          \
    X(IDEM_GET, "SELECT member_id, key, op, request_hash, result, created_at"                  \
                " FROM idempotency_keys WHERE member_id = $1 AND key = $2")                    \
    X(IDEM_INSERT,                                                                             \
      MEMBER_INSERT("INSERT INTO idempotency_keys (member_id, key, op, request_hash, result,"  \
                    " created_at) SELECT $1::bigint, $2::text, $3::text, $4::bytea, $5::text," \
                    " $6::bigint FROM fk WHERE fk.ok"))                                        \
    X(TIER_INSERT,                                                                             \
      GUARDED_INSERT(MEMBER_EXISTS("$1"),                                                      \
                     "INSERT INTO tier_changes (member_id, at, from_tier, to_tier, reason, actor)" \
                     " SELECT $1::bigint, $2::bigint, $3::text, $4::text, $5::text, $6::text"  \
                     " FROM fk WHERE fk.ok"))                                                  \
    X(TIER_LIST, "SELECT member_id, id, at, from_tier, to_tier, reason, actor FROM tier_changes" \
                 " WHERE member_id = $1 ORDER BY id")                                          \
    X(PROG_INSERT,                                                                             \
      GUARDED_INSERT_RET("TRUE", "INSERT INTO programmes (version, canonical, loaded_at)"      \
                         " SELECT $1::text, $2::text, $3::bigint FROM fk WHERE fk.ok", "1"))   \
    X(PROG_GET, "SELECT canonical FROM programmes WHERE version = $1")                         \
    X(AUDIT_INSERT,                                                                            \
      GUARDED_INSERT_RET("TRUE", "INSERT INTO audit_log (" AUDIT_COLS ") SELECT $1::bigint,"   \
                         " $2::bigint, $3::bigint, $4::text, $5::text, $6::text, $7::bytea,"   \
                         " $8::bytea FROM fk WHERE fk.ok", "1"))                               \
    X(AUDIT_LIST, "SELECT " AUDIT_COLS " FROM audit_log WHERE member_id = $1 ORDER BY seq")    \
    X(HEAD_GET, "SELECT " HEAD_COLS " FROM audit_heads WHERE member_id = $1")                  \
    X(HEAD_GET_LOCK, "SELECT " HEAD_COLS " FROM audit_heads WHERE member_id = $1 FOR UPDATE")  \
    X(HEAD_PUT, "INSERT INTO audit_heads (" HEAD_COLS ") VALUES ($1, $2, $3)"                  \
                " ON CONFLICT (member_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash") \
    X(CREDIT_ADD, "INSERT INTO rule_credits (member_id, rule, day, points) VALUES ($1, $2, $3, $4)" \
                  " ON CONFLICT (member_id, rule, day) DO UPDATE SET points = rule_credits.points"  \
                  " + excluded.points")                                                        \
    X(CREDIT_SUMS, "SELECT coalesce(sum(points) FILTER (WHERE day = $3), 0)::bigint,"          \
                   " coalesce(sum(points), 0)::bigint FROM rule_credits WHERE member_id = $1 AND rule = $2") \
    X(ORDER_STATUS, "UPDATE orders SET status = $3 WHERE member_id = $1 AND id = $2")          \
    X(BUDGET_ENSURE, "INSERT INTO rule_budgets (rule, given) VALUES ($1, 0) ON CONFLICT DO NOTHING") \
    X(BUDGET_GET, "SELECT given FROM rule_budgets WHERE rule = $1")                            \
    X(BUDGET_GET_LOCK, "SELECT given FROM rule_budgets WHERE rule = $1 FOR UPDATE")            \
    X(BUDGET_ADD, "INSERT INTO rule_budgets (rule, given) VALUES ($1, $2)"                     \
                  " ON CONFLICT (rule) DO UPDATE SET given = rule_budgets.given + excluded.given")

enum ledger_stmt {
#define LSTMT_ENUM(id, sql) LS_##id,
    LEDGER_STATEMENTS(LSTMT_ENUM)
#undef LSTMT_ENUM
    LS__COUNT
};

const char *const pt__pg_ledger_sql[LS__COUNT] = {
#define LSTMT_SQL(id, sql) [LS_##id] = sql,
    LEDGER_STATEMENTS(LSTMT_SQL)
#undef LSTMT_SQL
};
const int pt__pg_ledger_nsql = LS__COUNT;
_Static_assert(PG_LEDGER_FIRST + LS__COUNT <= PG_REWARD_FIRST, "ledger statements overflow into the reward ids");

/* Store-wide scans: cursors, not prepared statements. */
#define SCAN_REVIEW                                                                            \
    "SELECT member_id FROM accounts WHERE review_at > 0 AND review_at <= $1::bigint ORDER BY member_id"
#define SCAN_LOT_DUE                                                                           \
    "SELECT member_id FROM lots WHERE state = 1 AND available_at <= $1::bigint"                \
    " UNION SELECT member_id FROM lots WHERE state = 2 AND remaining > 0 AND expires_at > 0"   \
    " AND expires_at < $1::bigint ORDER BY 1"
#define SCAN_LOT_EXPIRING                                                                      \
    "SELECT " LOT_COLS " FROM lots WHERE state = 2 AND remaining > 0 AND expires_at > 0"      \
    " AND expires_at > $1::bigint AND expires_at <= $2::bigint ORDER BY member_id, expires_at, id"
#define SCAN_AUDIT "SELECT " AUDIT_COLS " FROM audit_log ORDER BY member_id, seq"
#define SCAN_HEADS "SELECT " HEAD_COLS " FROM audit_heads ORDER BY member_id"

/* Per member: the account, sums of entries by bucket, lot remainders by state, and lots whose
 * remainder disagrees with their points and uses (store_sqlite_ledger.c's LEDGER_CHECK_SQL;
 * sums of bigint are numeric in PostgreSQL, hence the casts). */
#define SCAN_CHECK                                                                             \
    "WITH m AS (SELECT member_id FROM accounts UNION SELECT member_id FROM ledger_entries"      \
    "           UNION SELECT member_id FROM lots),"                                            \
    " e AS (SELECT member_id, sum(points) FILTER (WHERE bucket = 1) AS av,"                    \
    "       sum(points) FILTER (WHERE bucket = 2) AS pe, sum(growth) AS gr"                    \
    "       FROM ledger_entries GROUP BY member_id),"                                          \
    " u AS (SELECT member_id, lot_id, sum(points) AS used FROM lot_uses GROUP BY member_id, lot_id)," \
    " l AS (SELECT l.member_id, sum(l.remaining) FILTER (WHERE l.state = 2) AS rem,"           \
    "       sum(l.remaining) FILTER (WHERE l.state = 1) AS pend,"                              \
    "       count(*) FILTER (WHERE l.remaining < 0 OR l.remaining > l.points) AS neg,"         \
    "       count(*) FILTER (WHERE l.points - coalesce(u.used, 0) <> l.remaining) AS bad,"     \
    "       min(l.id) FILTER (WHERE l.points - coalesce(u.used, 0) <> l.remaining"             \
    "           OR l.remaining < 0 OR l.remaining > l.points) AS bad_id"                       \
    "       FROM lots l LEFT JOIN u ON u.member_id = l.member_id AND u.lot_id = l.id"          \
    "       GROUP BY l.member_id)"                                                             \
    " SELECT m.member_id, a.member_id IS NOT NULL, coalesce(a.balance, 0), coalesce(a.pending, 0)," \
    " coalesce(a.overdraft, 0), coalesce(a.debt, 0), coalesce(a.growth, 0), coalesce(a.tier, '')," \
    " coalesce(a.tier_since, 0), coalesce(a.review_at, 0), coalesce(a.updated_at, 0),"         \
    " coalesce(e.av, 0)::bigint, coalesce(e.pe, 0)::bigint, coalesce(e.gr, 0)::bigint,"        \
    " coalesce(l.rem, 0)::bigint, coalesce(l.pend, 0)::bigint, coalesce(l.neg, 0),"            \
    " coalesce(l.bad, 0), coalesce(l.bad_id, 0)"                                               \
    " FROM m LEFT JOIN accounts a ON a.member_id = m.member_id"                                \
    " LEFT JOIN e ON e.member_id = m.member_id LEFT JOIN l ON l.member_id = m.member_id"       \
    " ORDER BY m.member_id"

#define STMT(id) (PG_LEDGER_FIRST + (int)(id))

static int run_cmd(pt_store *s, enum ledger_stmt id, const struct params *p, const char *doing, int64_t *changed)
{
    return pt__pg_run_cmd(PG(s), STMT(id), p, doing, changed);
}

static int one(pt_store *s, enum ledger_stmt id, const struct params *p, row_reader read, void *rec,
               const char *doing)
{
    return pt__pg_query_one(PG(s), STMT(id), p, read, rec, doing);
}

static int each(pt_store *s, enum ledger_stmt id, const struct params *p, row_reader read, void *rec,
                int (*cb)(void *, const void *), void *ud, const char *doing)
{
    return pt__pg_query_each(PG(s), STMT(id), p, read, rec, cb, ud, doing);
}

static int insert(pt_store *s, enum ledger_stmt id, const struct params *p, const char *doing, const char *unique,
                  int64_t *new_id)
{
    return pt__pg_guarded_insert(PG(s), STMT(id), p, doing, unique, new_id);
}

/* An update by key: exactly the row named, PT_ENOTFOUND when there is none. */
static int update_one(pt_store *s, enum ledger_stmt id, const struct params *p, const char *doing)
{
    int64_t changed = 0;
    int rc = run_cmd(s, id, p, doing, &changed);
    if (rc == PT_OK && changed == 0)
        rc = pt__store_error(s, PT_ENOTFOUND, "%s: no such row", doing);
    return rc;
}

static int read_member_id(const PGresult *res, int row, void *p)
{
    *(int64_t *)p = g_i64(res, row, 0);
    return PT_OK;
}

/* A store-wide scan of member ids as of a time (cursor; ascending member_id). */
static int member_ids(pt_store *s, const char *sql, int64_t as_of, pt_member_id_cb cb, void *ud, const char *doing)
{
    struct params p = {0};
    int64_t member_id = 0;
    struct member_id_cb c = {cb, ud};
    p_i64(&p, as_of);
    return pt__pg_scan_each(PG(s), sql, &p, FETCH_ROWS, read_member_id, &member_id, call_member_id, &c, doing);
}

/* --- accounts ----------------------------------------------------------------------------- */

static void bind_account(struct params *p, const pt_account_rec *r)
{
    p_i64(p, r->member_id);
    p_i64(p, r->balance);
    p_i64(p, r->pending);
    p_i64(p, r->overdraft);
    p_i64(p, r->debt);
    p_i64(p, r->growth);
    p_text(p, r->tier);
    p_i64(p, r->tier_since);
    p_i64(p, r->review_at);
    p_i64(p, r->updated_at);
}

static void read_account_at(const PGresult *res, int row, int c, pt_account_rec *r)
{
    r->member_id = g_i64(res, row, c);
    r->balance = g_i64(res, row, c + 1);
    r->pending = g_i64(res, row, c + 2);
    r->overdraft = g_i64(res, row, c + 3);
    r->debt = g_i64(res, row, c + 4);
    r->growth = g_i64(res, row, c + 5);
    g_text(res, row, c + 6, r->tier, sizeof r->tier);
    r->tier_since = g_i64(res, row, c + 7);
    r->review_at = g_i64(res, row, c + 8);
    r->updated_at = g_i64(res, row, c + 9);
}

static int read_account(const PGresult *res, int row, void *p)
{
    read_account_at(res, row, 0, p);
    return PT_OK;
}

static int pg_account_get(pt_store *s, int64_t member_id, int lock, pt_account_rec *r)
{
    if (lock && !pt_store_in_tx(s))
        return pt__store_error(s, PT_ESTATE, "locking an account needs a transaction");
    struct params p = {0};
    p_i64(&p, member_id);
    return one(s, lock ? LS_ACCOUNT_GET_LOCK : LS_ACCOUNT_GET, &p, read_account, r, "reading points account");
}

static int pg_account_insert(pt_store *s, const pt_account_rec *r)
{
    struct params p = {0};
    bind_account(&p, r);
    return insert(s, LS_ACCOUNT_INSERT, &p, "inserting points account", "accounts.member_id", NULL);
}

static int pg_account_update(pt_store *s, const pt_account_rec *r)
{
    struct params p = {0};
    bind_account(&p, r);
    return update_one(s, LS_ACCOUNT_UPDATE, &p, "updating points account");
}

static int pg_account_scan_review(pt_store *s, int64_t as_of, pt_member_id_cb cb, void *ud)
{
    return member_ids(s, SCAN_REVIEW, as_of, cb, ud, "listing tier reviews due");
}

/* --- entries ------------------------------------------------------------------------------ */

static int read_entry(const PGresult *res, int row, void *p)
{
    pt_entry_rec *r = p;
    r->member_id = g_i64(res, row, 0);
    r->id = g_i64(res, row, 1);
    r->kind = g_int(res, row, 2);
    r->bucket = g_int(res, row, 3);
    r->points = g_i64(res, row, 4);
    r->growth = g_i64(res, row, 5);
    r->at = g_i64(res, row, 6);
    r->order_id = g_i64(res, row, 7);
    r->lot_id = g_i64(res, row, 8);
    g_text(res, row, 9, r->ref, sizeof r->ref);
    g_text(res, row, 10, r->note, sizeof r->note);
    g_text(res, row, 11, r->actor, sizeof r->actor);
    g_text(res, row, 12, r->idem_key, sizeof r->idem_key);
    r->created_at = g_i64(res, row, 13);
    return PT_OK;
}

static int pg_entry_insert(pt_store *s, pt_entry_rec *r)
{
    struct params p = {0};
    p_i64(&p, r->member_id);
    p_i64(&p, r->kind);
    p_i64(&p, r->bucket);
    p_i64(&p, r->points);
    p_i64(&p, r->growth);
    p_i64(&p, r->at);
    p_i64(&p, r->order_id);
    p_i64(&p, r->lot_id);
    p_text(&p, r->ref);
    p_text(&p, r->note);
    p_text(&p, r->actor);
    p_text(&p, r->idem_key);
    p_i64(&p, r->created_at);
    return insert(s, LS_ENTRY_INSERT, &p, "inserting ledger entry", "ledger_entries.member_id, ledger_entries.id",
                  &r->id);
}

static int pg_entry_get(pt_store *s, int64_t member_id, int64_t id, pt_entry_rec *r)
{
    struct params p = {0};
    p_i64(&p, member_id);
    p_i64(&p, id);
    return one(s, LS_ENTRY_GET, &p, read_entry, r, "reading ledger entry");
}

static int pg_entry_list(pt_store *s, int64_t member_id, pt_entry_cb cb, void *ud)
{
    struct params p = {0};
    pt_entry_rec r;
    struct entry_cb c = {cb, ud};
    p_i64(&p, member_id);
    return each(s, LS_ENTRY_LIST, &p, read_entry, &r, call_entry, &c, "listing ledger entries");
}

static int pg_entry_list_recent(pt_store *s, int64_t member_id, int64_t limit, pt_entry_cb cb, void *ud)
{
    struct params p = {0};
    pt_entry_rec r;
    struct entry_cb c = {cb, ud};
    p_i64(&p, member_id);
    p_i64(&p, limit);
    return each(s, LS_ENTRY_RECENT, &p, read_entry, &r, call_entry, &c, "listing recent ledger entries");
}

static int pg_entry_growth_since(pt_store *s, int64_t member_id, int64_t since, int64_t *growth)
{
    struct params p = {0};
    p_i64(&p, member_id);
    p_i64(&p, since);
    return one(s, LS_ENTRY_GROWTH, &p, read_member_id, growth, "summing growth value");
}

/* --- lots and their uses ------------------------------------------------------------------ */

static int read_lot(const PGresult *res, int row, void *p)
{
    pt_lot_rec *r = p;
    r->member_id = g_i64(res, row, 0);
    r->id = g_i64(res, row, 1);
    r->entry_id = g_i64(res, row, 2);
    r->order_id = g_i64(res, row, 3);
    r->earned_at = g_i64(res, row, 4);
    r->available_at = g_i64(res, row, 5);
    r->expires_at = g_i64(res, row, 6);
    r->points = g_i64(res, row, 7);
    r->remaining = g_i64(res, row, 8);
    r->state = g_int(res, row, 9);
    return PT_OK;
}

static int pg_lot_insert(pt_store *s, pt_lot_rec *r)
{
    struct params p = {0};
    p_i64(&p, r->member_id);
    p_i64(&p, r->entry_id);
    p_i64(&p, r->order_id);
    p_i64(&p, r->earned_at);
    p_i64(&p, r->available_at);
    p_i64(&p, r->expires_at);
    p_i64(&p, r->points);
    p_i64(&p, r->remaining);
    p_i64(&p, r->state);
    return insert(s, LS_LOT_INSERT, &p, "inserting lot", "lots.member_id, lots.id", &r->id);
}

static int pg_lot_update(pt_store *s, const pt_lot_rec *r)
{
    struct params p = {0};
    p_i64(&p, r->member_id);
    p_i64(&p, r->id);
    p_i64(&p, r->available_at);
    p_i64(&p, r->remaining);
    p_i64(&p, r->state);
    return update_one(s, LS_LOT_UPDATE, &p, "updating lot");
}

static int pg_lot_get(pt_store *s, int64_t member_id, int64_t id, pt_lot_rec *r)
{
    struct params p = {0};
    p_i64(&p, member_id);
    p_i64(&p, id);
    return one(s, LS_LOT_GET, &p, read_lot, r, "reading lot");
}

static int pg_lot_list(pt_store *s, int64_t member_id, int open_only, pt_lot_cb cb, void *ud)
{
    struct params p = {0};
    pt_lot_rec r;
    struct lot_cb c = {cb, ud};
    p_i64(&p, member_id);
    return each(s, open_only ? LS_LOT_LIST_OPEN : LS_LOT_LIST, &p, read_lot, &r, call_lot, &c, "listing lots");
}

static int pg_lot_list_due(pt_store *s, int64_t member_id, int64_t as_of, pt_lot_cb cb, void *ud)
{
    struct params p = {0};
    pt_lot_rec r;
    struct lot_cb c = {cb, ud};
    p_i64(&p, member_id);
    p_i64(&p, as_of);
    return each(s, LS_LOT_LIST_DUE, &p, read_lot, &r, call_lot, &c, "listing lots due");
}

static int pg_lot_expiring(pt_store *s, int64_t from, int64_t to, pt_lot_cb cb, void *ud)
{
    struct params p = {0};
    pt_lot_rec r;
    struct lot_cb c = {cb, ud};
    p_i64(&p, from);
    p_i64(&p, to);
    return pt__pg_scan_each(PG(s), SCAN_LOT_EXPIRING, &p, FETCH_ROWS, read_lot, &r, call_lot, &c,
                            "listing lots expiring");
}

static int pg_lot_due_members(pt_store *s, int64_t as_of, pt_member_id_cb cb, void *ud)
{
    return member_ids(s, SCAN_LOT_DUE, as_of, cb, ud, "listing members with lots due");
}

static int read_use(const PGresult *res, int row, void *p)
{
    pt_lot_use_rec *r = p;
    r->member_id = g_i64(res, row, 0);
    r->entry_id = g_i64(res, row, 1);
    r->lot_id = g_i64(res, row, 2);
    r->points = g_i64(res, row, 3);
    return PT_OK;
}

static int pg_lot_use_insert(pt_store *s, const pt_lot_use_rec *r)
{
    struct params p = {0};
    p_i64(&p, r->member_id);
    p_i64(&p, r->entry_id);
    p_i64(&p, r->lot_id);
    p_i64(&p, r->points);
    return insert(s, LS_USE_INSERT, &p, "recording lot use", "lot_uses.member_id, lot_uses.entry_id, lot_uses.lot_id",
                  NULL);
}

static int pg_lot_use_list(pt_store *s, int64_t member_id, int64_t entry_id, pt_lot_use_cb cb, void *ud)
{
    struct params p = {0};
    pt_lot_use_rec r;
    struct lot_use_cb c = {cb, ud};
    p_i64(&p, member_id);
    p_i64(&p, entry_id);
    return each(s, LS_USE_LIST, &p, read_use, &r, call_lot_use, &c, "listing lot uses");
}

/* --- order lines -------------------------------------------------------------------------- */

static int read_line(const PGresult *res, int row, void *p)
{
    pt_line_earn_rec *r = p;
    r->member_id = g_i64(res, row, 0);
    r->order_id = g_i64(res, row, 1);
    r->line_no = g_int(res, row, 2);
    r->lot_id = g_i64(res, row, 3);
    r->points = g_i64(res, row, 4);
    r->growth = g_i64(res, row, 5);
    g_text(res, row, 6, r->rule, sizeof r->rule);
    r->reversed_points = g_i64(res, row, 7);
    r->reversed_growth = g_i64(res, row, 8);
    return PT_OK;
}

static int pg_line_earn_insert(pt_store *s, const pt_line_earn_rec *r)
{
    struct params p = {0};
    p_i64(&p, r->member_id);
    p_i64(&p, r->order_id);
    p_i64(&p, r->line_no);
    p_i64(&p, r->lot_id);
    p_i64(&p, r->points);
    p_i64(&p, r->growth);
    p_text(&p, r->rule);
    p_i64(&p, r->reversed_points);
    p_i64(&p, r->reversed_growth);
    return insert(s, LS_LINE_INSERT, &p, "recording what an order line earned",
                  "line_earns.member_id, line_earns.order_id, line_earns.line_no", NULL);
}

static int pg_line_earn_update(pt_store *s, const pt_line_earn_rec *r)
{
    struct params p = {0};
    p_i64(&p, r->member_id);
    p_i64(&p, r->order_id);
    p_i64(&p, r->line_no);
    p_i64(&p, r->reversed_points);
    p_i64(&p, r->reversed_growth);
    return update_one(s, LS_LINE_UPDATE, &p, "updating what an order line earned");
}

static int pg_line_earn_list(pt_store *s, int64_t member_id, int64_t order_id, pt_line_earn_cb cb, void *ud)
{
    struct params p = {0};
    pt_line_earn_rec r;
    struct line_earn_cb c = {cb, ud};
    p_i64(&p, member_id);
    p_i64(&p, order_id);
    return each(s, LS_LINE_LIST, &p, read_line, &r, call_line_earn, &c, "listing what order lines earned");
}

/* --- idempotency -------------------------------------------------------------------------- */

static int read_idem(const PGresult *res, int row, void *p)
{
    pt_idem_rec *r = p;
    r->member_id = g_i64(res, row, 0);
    g_text(res, row, 1, r->key, sizeof r->key);
    g_text(res, row, 2, r->op, sizeof r->op);
    g_fixed(res, row, 3, r->request_hash, sizeof r->request_hash);
    r->created_at = g_i64(res, row, 5);
    return g_buf_text(res, row, 4, &r->result);
}

static int pg_idem_get(pt_store *s, int64_t member_id, const char *key, pt_idem_rec *r)
{
    struct params p = {0};
    p_i64(&p, member_id);
    p_text(&p, key);
    return one(s, LS_IDEM_GET, &p, read_idem, r, "reading idempotency key");
}

static int pg_idem_insert(pt_store *s, const pt_idem_rec *r)
{
    struct params p = {0};
    p_i64(&p, r->member_id);
    p_text(&p, r->key);
    p_text(&p, r->op);
    p_bytes(&p, r->request_hash, sizeof r->request_hash);
    p_buf_text(&p, &r->result);
    p_i64(&p, r->created_at);
    return insert(s, LS_IDEM_INSERT, &p, "recording idempotency key",
                  "idempotency_keys.member_id, idempotency_keys.key", NULL);
}

/* --- tiers and programme versions --------------------------------------------------------- */

static int read_tier_change(const PGresult *res, int row, void *p)
{
    pt_tier_change_rec *r = p;
    r->member_id = g_i64(res, row, 0);
    r->id = g_i64(res, row, 1);
    r->at = g_i64(res, row, 2);
    g_text(res, row, 3, r->from_tier, sizeof r->from_tier);
    g_text(res, row, 4, r->to_tier, sizeof r->to_tier);
    g_text(res, row, 5, r->reason, sizeof r->reason);
    g_text(res, row, 6, r->actor, sizeof r->actor);
    return PT_OK;
}

static int pg_tier_change_insert(pt_store *s, pt_tier_change_rec *r)
{
    struct params p = {0};
    p_i64(&p, r->member_id);
    p_i64(&p, r->at);
    p_text(&p, r->from_tier);
    p_text(&p, r->to_tier);
    p_text(&p, r->reason);
    p_text(&p, r->actor);
    return insert(s, LS_TIER_INSERT, &p, "recording tier change", "tier_changes.member_id, tier_changes.id", &r->id);
}

static int pg_tier_change_list(pt_store *s, int64_t member_id, pt_tier_change_cb cb, void *ud)
{
    struct params p = {0};
    pt_tier_change_rec r;
    struct tier_change_cb c = {cb, ud};
    p_i64(&p, member_id);
    return each(s, LS_TIER_LIST, &p, read_tier_change, &r, call_tier_change, &c, "listing tier changes");
}

static int pg_programme_insert(pt_store *s, const char *version, const char *canonical, int64_t loaded_at)
{
    struct params p = {0};
    p_text(&p, version);
    p_text(&p, canonical);
    p_i64(&p, loaded_at);
    return insert(s, LS_PROG_INSERT, &p, "storing programme version", "programmes.version", NULL);
}

static int read_text_buf(const PGresult *res, int row, void *p)
{
    return g_buf_text(res, row, 0, p);
}

static int pg_programme_get(pt_store *s, const char *version, pt_buf *canonical)
{
    struct params p = {0};
    p_text(&p, version);
    return one(s, LS_PROG_GET, &p, read_text_buf, canonical, "reading programme version");
}

/* --- audit -------------------------------------------------------------------------------- */

static int read_audit(const PGresult *res, int row, void *p)
{
    pt_audit_rec *r = p;
    r->member_id = g_i64(res, row, 0);
    r->seq = g_i64(res, row, 1);
    r->at = g_i64(res, row, 2);
    g_text(res, row, 3, r->actor, sizeof r->actor);
    g_text(res, row, 4, r->action, sizeof r->action);
    g_fixed(res, row, 6, r->prev, sizeof r->prev);
    g_fixed(res, row, 7, r->hash, sizeof r->hash);
    return g_buf_text(res, row, 5, &r->detail);
}

static int pg_audit_insert(pt_store *s, const pt_audit_rec *r)
{
    struct params p = {0};
    p_i64(&p, r->member_id);
    p_i64(&p, r->seq);
    p_i64(&p, r->at);
    p_text(&p, r->actor);
    p_text(&p, r->action);
    p_buf_text(&p, &r->detail);
    p_bytes(&p, r->prev, sizeof r->prev);
    p_bytes(&p, r->hash, sizeof r->hash);
    return insert(s, LS_AUDIT_INSERT, &p, "appending audit record", "audit_log.member_id, audit_log.seq", NULL);
}

static int read_head(const PGresult *res, int row, void *p)
{
    pt_audit_head_rec *r = p;
    r->member_id = g_i64(res, row, 0);
    r->seq = g_i64(res, row, 1);
    g_fixed(res, row, 2, r->hash, sizeof r->hash);
    return PT_OK;
}

static int pg_audit_head_get(pt_store *s, int64_t member_id, int lock, pt_audit_head_rec *r)
{
    if (lock && !pt_store_in_tx(s))
        return pt__store_error(s, PT_ESTATE, "locking an audit chain needs a transaction");
    struct params p = {0};
    p_i64(&p, member_id);
    return one(s, lock ? LS_HEAD_GET_LOCK : LS_HEAD_GET, &p, read_head, r, "reading audit chain head");
}

static int pg_audit_head_put(pt_store *s, const pt_audit_head_rec *r)
{
    struct params p = {0};
    p_i64(&p, r->member_id);
    p_i64(&p, r->seq);
    p_bytes(&p, r->hash, sizeof r->hash);
    return run_cmd(s, LS_HEAD_PUT, &p, "moving audit chain head", NULL);
}

static int pg_audit_list(pt_store *s, int64_t member_id, pt_audit_cb cb, void *ud)
{
    struct params p = {0};
    pt_audit_rec r;
    struct audit_cb c = {cb, ud};
    p_i64(&p, member_id);
    pt_audit_rec_init(&r);
    int rc = each(s, LS_AUDIT_LIST, &p, read_audit, &r, call_audit, &c, "reading audit log");
    pt_audit_rec_free(&r);
    return rc;
}

static int pg_audit_scan(pt_store *s, pt_audit_cb cb, void *ud)
{
    pt_audit_rec r;
    struct audit_cb c = {cb, ud};
    pt_audit_rec_init(&r);
    int rc = pt__pg_scan_each(PG(s), SCAN_AUDIT, NULL, FETCH_ROWS, read_audit, &r, call_audit, &c,
                              "reading audit log");
    pt_audit_rec_free(&r);
    return rc;
}

static int pg_audit_head_scan(pt_store *s, pt_audit_head_cb cb, void *ud)
{
    pt_audit_head_rec r;
    struct audit_head_cb c = {cb, ud};
    return pt__pg_scan_each(PG(s), SCAN_HEADS, NULL, FETCH_ROWS, read_head, &r, call_audit_head, &c,
                            "reading audit chain heads");
}

/* --- verification ------------------------------------------------------------------------- */

static int read_check(const PGresult *res, int row, void *p)
{
    pt_ledger_check_rec *r = p;
    r->member_id = g_i64(res, row, 0);
    r->has_account = g_int(res, row, 1);
    read_account_at(res, row, 1, &r->account);
    r->account.member_id = r->member_id;
    r->entries_available = g_i64(res, row, 11);
    r->entries_pending = g_i64(res, row, 12);
    r->entries_growth = g_i64(res, row, 13);
    r->lots_remaining = g_i64(res, row, 14);
    r->lots_pending = g_i64(res, row, 15);
    r->lots_negative = g_i64(res, row, 16);
    r->lots_mismatched = g_i64(res, row, 17);
    r->bad_lot_id = g_i64(res, row, 18);
    return PT_OK;
}

static int pg_ledger_check_scan(pt_store *s, pt_ledger_check_cb cb, void *ud)
{
    pt_ledger_check_rec r;
    struct ledger_check_cb c = {cb, ud};
    return pt__pg_scan_each(PG(s), SCAN_CHECK, NULL, FETCH_ROWS, read_check, &r, call_ledger_check, &c,
                            "checking the ledger");
}

/* --- campaign caps and budgets ------------------------------------------------------------ */

static int pg_rule_credit_add(pt_store *s, int64_t member_id, const char *rule, int64_t day, int64_t points)
{
    struct params p = {0};
    p_i64(&p, member_id);
    p_text(&p, rule);
    p_i64(&p, day);
    p_i64(&p, points);
    return run_cmd(s, LS_CREDIT_ADD, &p, "recording a rule's credit", NULL);
}

static int read_two(const PGresult *res, int row, void *p)
{
    int64_t *v = p;
    v[0] = g_i64(res, row, 0);
    v[1] = g_i64(res, row, 1);
    return PT_OK;
}

static int pg_rule_credit_sums(pt_store *s, int64_t member_id, const char *rule, int64_t day, int64_t *on_day,
                               int64_t *total)
{
    struct params p = {0};
    int64_t v[2] = {0, 0};
    p_i64(&p, member_id);
    p_text(&p, rule);
    p_i64(&p, day);
    int rc = one(s, LS_CREDIT_SUMS, &p, read_two, v, "summing a rule's credits");
    *on_day = v[0];
    *total = v[1];
    return rc;
}

/* With lock: the row is made to exist first, so there is always a row to lock (concurrent
 * first uses meet at the insert and then queue on the row). */
static int pg_rule_budget_get(pt_store *s, const char *rule, int lock, int64_t *given)
{
    if (lock && !pt_store_in_tx(s))
        return pt__store_error(s, PT_ESTATE, "locking a budget needs a transaction");
    struct params p = {0};
    p_text(&p, rule);
    *given = 0;
    int rc = lock ? run_cmd(s, LS_BUDGET_ENSURE, &p, "creating a rule's budget row", NULL) : PT_OK;
    if (rc == PT_OK)
        rc = one(s, lock ? LS_BUDGET_GET_LOCK : LS_BUDGET_GET, &p, read_member_id, given, "reading a rule's budget");
    return rc == PT_ENOTFOUND ? PT_OK : rc;
}

static int pg_rule_budget_add(pt_store *s, const char *rule, int64_t points)
{
    struct params p = {0};
    p_text(&p, rule);
    p_i64(&p, points);
    return run_cmd(s, LS_BUDGET_ADD, &p, "adding to a rule's budget", NULL);
}

static int pg_order_set_status(pt_store *s, int64_t member_id, int64_t order_id, int status)
{
    struct params p = {0};
    p_i64(&p, member_id);
    p_i64(&p, order_id);
    p_i64(&p, status);
    return update_one(s, LS_ORDER_STATUS, &p, "setting an order's status");
}

const struct pt_store_ledger_ops pt__pg_ledger_ops = {
    .account_get = pg_account_get,
    .account_insert = pg_account_insert,
    .account_update = pg_account_update,
    .account_scan_review = pg_account_scan_review,
    .entry_insert = pg_entry_insert,
    .entry_get = pg_entry_get,
    .entry_list = pg_entry_list,
    .entry_growth_since = pg_entry_growth_since,
    .lot_insert = pg_lot_insert,
    .lot_update = pg_lot_update,
    .lot_get = pg_lot_get,
    .lot_list = pg_lot_list,
    .lot_list_due = pg_lot_list_due,
    .lot_expiring = pg_lot_expiring,
    .entry_list_recent = pg_entry_list_recent,
    .lot_due_members = pg_lot_due_members,
    .lot_use_insert = pg_lot_use_insert,
    .lot_use_list = pg_lot_use_list,
    .line_earn_insert = pg_line_earn_insert,
    .line_earn_update = pg_line_earn_update,
    .line_earn_list = pg_line_earn_list,
    .idem_get = pg_idem_get,
    .idem_insert = pg_idem_insert,
    .tier_change_insert = pg_tier_change_insert,
    .tier_change_list = pg_tier_change_list,
    .programme_insert = pg_programme_insert,
    .programme_get = pg_programme_get,
    .audit_insert = pg_audit_insert,
    .audit_head_get = pg_audit_head_get,
    .audit_head_put = pg_audit_head_put,
    .audit_list = pg_audit_list,
    .audit_scan = pg_audit_scan,
    .audit_head_scan = pg_audit_head_scan,
    .ledger_check_scan = pg_ledger_check_scan,
    .rule_credit_add = pg_rule_credit_add,
    .rule_credit_sums = pg_rule_credit_sums,
    .rule_budget_get = pg_rule_budget_get,
    .rule_budget_add = pg_rule_budget_add,
    .order_set_status = pg_order_set_status,
};

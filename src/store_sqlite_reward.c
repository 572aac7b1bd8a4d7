/* store_sqlite_reward.c — rewards, coupons and referrals (store_reward.h) on SQLite.
 *
 * Tables come from migration 3 in store_sqlite.c. SQLite has one writer at a time, so the
 * conditional updates (a unit of stock, a coupon's use) are atomic by themselves and a
 * "locking" read is a plain read inside the (BEGIN IMMEDIATE) transaction. A coupon or invite
 * code is two rows (the member's row and the look-up by code), written by two statements in
 * the caller's transaction. Statement slots are SQ_REWARD_FIRST + the ids below. This file,
 * store_sqlite.c and store_sqlite_ledger.c are the only ones that write SQL for SQLite.
 */
#include "store_sqlite_int.h"
#include "patron/error.h"

#define STOCK_COLS  "code, stock, issued, updated_at"
#define REDEEM_COLS "member_id, id, reward, entry_id, points, coupon_code, at, idem_key"
#define COUPON_COLS                                                                            \
    "member_id, code, kind, value_cents, min_spend_cents, issued_at, expires_at, used_at, used_ref, source"
#define REFERRAL_COLS "member_id, referrer_id, code, state, reason, created_at, rewarded_at"

#define REWARD_STATEMENTS(X)                                                                   \
    X(STOCK_SEED, "INSERT INTO reward_stock(" STOCK_COLS ") VALUES (?1,?2,0,?3)")              \
    X(STOCK_GET, "SELECT " STOCK_COLS " FROM reward_stock WHERE code = ?1")                    \
    X(STOCK_LIST, "SELECT " STOCK_COLS " FROM reward_stock ORDER BY code")                     \
    X(STOCK_TAKE, "UPDATE reward_stock SET stock = CASE WHEN stock < 0 THEN stock ELSE stock - 1 END," \
                  " issued = issued + 1, updated_at = ?2 WHERE code = ?1 AND stock <> 0"       \
                  " RETURNING " STOCK_COLS)                                                    \
    X(REDEEM_INSERT, "INSERT INTO reward_redemptions(" REDEEM_COLS ") VALUES"                  \
                     " (?1,NULL,?3,?4,?5,?6,?7,?8)")                                           \
    X(REDEEM_COUNT, "SELECT count(*) FROM reward_redemptions WHERE member_id = ?1 AND reward = ?2") \
    X(REDEEM_LIST, "SELECT " REDEEM_COLS " FROM reward_redemptions WHERE member_id = ?1 ORDER BY id") \
    X(CODE_INSERT, "INSERT INTO coupon_codes(code, member_id) VALUES (?1,?2)")                 \
    X(COUPON_INSERT, "INSERT INTO coupons(" COUPON_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)") \
    X(COUPON_GET, "SELECT c.member_id, c.code, c.kind, c.value_cents, c.min_spend_cents,"      \
                  " c.issued_at, c.expires_at, c.used_at, c.used_ref, c.source FROM coupon_codes k" \
                  " JOIN coupons c ON c.member_id = k.member_id AND c.code = k.code WHERE k.code = ?1") \
    X(COUPON_USE, "UPDATE coupons SET used_at = ?3, used_ref = ?4 WHERE member_id = ?1 AND code = ?2" \
                  " AND used_at = 0 AND (expires_at = 0 OR expires_at >= ?3)")                \
    X(COUPON_LIST, "SELECT " COUPON_COLS " FROM coupons WHERE member_id = ?1 ORDER BY issued_at, code") \
    X(INVITE_INSERT, "INSERT INTO invite_codes(code, member_id, created_at) VALUES (?1,?2,?3)") \
    X(INVITE_FIND, "SELECT member_id FROM invite_codes WHERE code = ?1")                       \
    X(INVITE_OF, "SELECT code FROM invite_codes WHERE member_id = ?1")                         \
    X(REFERRAL_INSERT, "INSERT INTO referrals(" REFERRAL_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7)") \
    X(REFERRAL_GET, "SELECT " REFERRAL_COLS " FROM referrals WHERE member_id = ?1")            \
    X(REFERRAL_UPDATE, "UPDATE referrals SET state = ?2, reason = ?3, rewarded_at = ?4 WHERE member_id = ?1")

enum reward_stmt {
#define RSTMT_ENUM(id, sql) RS_##id,
    REWARD_STATEMENTS(RSTMT_ENUM)
#undef RSTMT_ENUM
    RS__COUNT
};
_Static_assert(SQ_REWARD_FIRST + RS__COUNT <= SQ_KEYS_FIRST, "statement cache too small");

static const char *const reward_sql[RS__COUNT] = {
#define RSTMT_SQL(id, sql) [RS_##id] = sql,
    REWARD_STATEMENTS(RSTMT_SQL)
#undef RSTMT_SQL
};

#define SLOT(id) (SQ_REWARD_FIRST + (int)(id))

static int prep(pt_store *s, enum reward_stmt id, sqlite3_stmt **st)
{
    return pt__sq_prepare(SQ(s), SLOT(id), reward_sql[id], st);
}

static int run(pt_store *s, enum reward_stmt id, sqlite3_stmt *st, const char *doing)
{
    return pt__sq_run(SQ(s), SLOT(id), st, doing);
}

static int one(pt_store *s, enum reward_stmt id, sqlite3_stmt *st, int (*read)(sqlite3_stmt *, void *), void *rec,
               const char *doing)
{
    return pt__sq_query_one(SQ(s), SLOT(id), st, read, rec, doing);
}

static int each(pt_store *s, enum reward_stmt id, sqlite3_stmt *st, int (*read)(sqlite3_stmt *, void *),
                void *rec, int (*cb)(void *, const void *), void *ud, const char *doing)
{
    return pt__sq_query_each(SQ(s), SLOT(id), st, read, rec, cb, ud, doing);
}

static int read_i64(sqlite3_stmt *st, void *p)
{
    *(int64_t *)p = col_i64(st, 0);
    return PT_OK;
}

/* --- reward stock ------------------------------------------------------------------------- */

static int read_stock(sqlite3_stmt *st, void *p)
{
    pt_reward_stock_rec *r = p;
    col_text(st, 0, r->code, sizeof r->code);
    r->stock = col_i64(st, 1);
    r->issued = col_i64(st, 2);
    r->updated_at = col_i64(st, 3);
    return PT_OK;
}

static int sq_stock_seed(pt_store *s, const char *code, int64_t stock, int64_t at)
{
    sqlite3_stmt *st;
    int rc = prep(s, RS_STOCK_SEED, &st);
    if (rc)
        return rc;
    bind_text(st, 1, code);
    sqlite3_bind_int64(st, 2, stock);
    sqlite3_bind_int64(st, 3, at);
    return run(s, RS_STOCK_SEED, st, "seeding reward stock");
}

static int sq_stock_get(pt_store *s, const char *code, pt_reward_stock_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, RS_STOCK_GET, &st);
    if (rc)
        return rc;
    bind_text(st, 1, code);
    return one(s, RS_STOCK_GET, st, read_stock, r, "reading reward stock");
}

static int sq_stock_list(pt_store *s, pt_reward_stock_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = prep(s, RS_STOCK_LIST, &st);
    if (rc)
        return rc;
    pt_reward_stock_rec r;
    struct reward_stock_cb c = {cb, ud};
    return each(s, RS_STOCK_LIST, st, read_stock, &r, call_reward_stock, &c, "listing reward stock");
}

static int sq_stock_take(pt_store *s, const char *code, int64_t at, pt_reward_stock_rec *r)
{
    sqlite3_stmt *st;
    pt_reward_stock_rec local;
    int rc = prep(s, RS_STOCK_TAKE, &st);
    if (rc)
        return rc;
    bind_text(st, 1, code);
    sqlite3_bind_int64(st, 2, at);
    rc = one(s, RS_STOCK_TAKE, st, read_stock, r ? r : &local, "taking a unit of reward stock");
    if (rc == PT_ENOTFOUND)
        rc = pt__store_error(s, PT_ESOLDOUT, "reward %s has no stock left", code);
    return rc;
}

/* --- redemptions -------------------------------------------------------------------------- */

static int read_redemption(sqlite3_stmt *st, void *p)
{
    pt_redemption_rec *r = p;
    r->member_id = col_i64(st, 0);
    r->id = col_i64(st, 1);
    col_text(st, 2, r->reward, sizeof r->reward);
    r->entry_id = col_i64(st, 3);
    r->points = col_i64(st, 4);
    col_text(st, 5, r->coupon_code, sizeof r->coupon_code);
    r->at = col_i64(st, 6);
    col_text(st, 7, r->idem_key, sizeof r->idem_key);
    return PT_OK;
}

static int sq_redemption_insert(pt_store *s, pt_redemption_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, RS_REDEEM_INSERT, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->member_id);
    bind_text(st, 3, r->reward);
    sqlite3_bind_int64(st, 4, r->entry_id);
    sqlite3_bind_int64(st, 5, r->points);
    bind_text(st, 6, r->coupon_code);
    sqlite3_bind_int64(st, 7, r->at);
    bind_text(st, 8, r->idem_key);
    rc = run(s, RS_REDEEM_INSERT, st, "inserting reward redemption");
    if (rc == PT_OK)
        r->id = sqlite3_last_insert_rowid(SQ(s)->db);
    return rc;
}

static int sq_redemption_count(pt_store *s, int64_t member_id, const char *reward, int64_t *n)
{
    sqlite3_stmt *st;
    int rc = prep(s, RS_REDEEM_COUNT, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    bind_text(st, 2, reward);
    return one(s, RS_REDEEM_COUNT, st, read_i64, n, "counting reward redemptions");
}

static int sq_redemption_list(pt_store *s, int64_t member_id, pt_redemption_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = prep(s, RS_REDEEM_LIST, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    pt_redemption_rec r;
    struct redemption_cb c = {cb, ud};
    return each(s, RS_REDEEM_LIST, st, read_redemption, &r, call_redemption, &c, "listing reward redemptions");
}

/* --- coupons ------------------------------------------------------------------------------ */

static int read_coupon(sqlite3_stmt *st, void *p)
{
    pt_coupon_rec *r = p;
    r->member_id = col_i64(st, 0);
    col_text(st, 1, r->code, sizeof r->code);
    r->kind = col_int(st, 2);
    r->value_cents = col_i64(st, 3);
    r->min_spend_cents = col_i64(st, 4);
    r->issued_at = col_i64(st, 5);
    r->expires_at = col_i64(st, 6);
    r->used_at = col_i64(st, 7);
    col_text(st, 8, r->used_ref, sizeof r->used_ref);
    col_text(st, 9, r->source, sizeof r->source);
    return PT_OK;
}

/* Two rows, two statements: the caller's transaction makes them one write. */
static int sq_coupon_insert(pt_store *s, const pt_coupon_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, RS_CODE_INSERT, &st);
    if (rc)
        return rc;
    bind_text(st, 1, r->code);
    sqlite3_bind_int64(st, 2, r->member_id);
    if ((rc = run(s, RS_CODE_INSERT, st, "inserting coupon code")) || (rc = prep(s, RS_COUPON_INSERT, &st)))
        return rc;
    sqlite3_bind_int64(st, 1, r->member_id);
    bind_text(st, 2, r->code);
    sqlite3_bind_int(st, 3, r->kind);
    sqlite3_bind_int64(st, 4, r->value_cents);
    sqlite3_bind_int64(st, 5, r->min_spend_cents);
    sqlite3_bind_int64(st, 6, r->issued_at);
    sqlite3_bind_int64(st, 7, r->expires_at);
    sqlite3_bind_int64(st, 8, r->used_at);
    bind_text(st, 9, r->used_ref);
    bind_text(st, 10, r->source);
    return run(s, RS_COUPON_INSERT, st, "inserting coupon");
}

static int sq_coupon_get(pt_store *s, const char *code, pt_coupon_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, RS_COUPON_GET, &st);
    if (rc)
        return rc;
    bind_text(st, 1, code);
    return one(s, RS_COUPON_GET, st, read_coupon, r, "reading coupon");
}

static int sq_coupon_use(pt_store *s, int64_t member_id, const char *code, int64_t at, const char *ref)
{
    sqlite3_stmt *st;
    int rc = prep(s, RS_COUPON_USE, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    bind_text(st, 2, code);
    sqlite3_bind_int64(st, 3, at);
    bind_text(st, 4, ref);
    rc = run(s, RS_COUPON_USE, st, "using coupon");
    if (rc == PT_OK && sqlite3_changes(SQ(s)->db) == 0) {
        pt_coupon_rec c;
        rc = sq_coupon_get(s, code, &c);
        if (rc == PT_OK && c.member_id == member_id)
            rc = pt__store_error(s, PT_ESTATE, "using coupon: already used or expired");
        else if (rc == PT_OK)
            rc = pt__store_error(s, PT_ENOTFOUND, "using coupon: no such coupon for this member");
    }
    return rc;
}

static int sq_coupon_list(pt_store *s, int64_t member_id, pt_coupon_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = prep(s, RS_COUPON_LIST, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    pt_coupon_rec r;
    struct coupon_cb c = {cb, ud};
    return each(s, RS_COUPON_LIST, st, read_coupon, &r, call_coupon, &c, "listing coupons");
}

/* --- invite codes and referrals ----------------------------------------------------------- */

static int sq_invite_insert(pt_store *s, int64_t member_id, const char *code, int64_t at)
{
    sqlite3_stmt *st;
    int rc = prep(s, RS_INVITE_INSERT, &st);
    if (rc)
        return rc;
    bind_text(st, 1, code);
    sqlite3_bind_int64(st, 2, member_id);
    sqlite3_bind_int64(st, 3, at);
    return run(s, RS_INVITE_INSERT, st, "inserting invite code");
}

static int sq_invite_find(pt_store *s, const char *code, int64_t *member_id)
{
    sqlite3_stmt *st;
    int rc = prep(s, RS_INVITE_FIND, &st);
    if (rc)
        return rc;
    bind_text(st, 1, code);
    return one(s, RS_INVITE_FIND, st, read_i64, member_id, "finding invite code");
}

static int read_code(sqlite3_stmt *st, void *p)
{
    col_text(st, 0, p, PT_COUPON_CODE_MAX);
    return PT_OK;
}

static int sq_invite_of(pt_store *s, int64_t member_id, char code[PT_COUPON_CODE_MAX])
{
    sqlite3_stmt *st;
    int rc = prep(s, RS_INVITE_OF, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    return one(s, RS_INVITE_OF, st, read_code, code, "reading a member's invite code");
}

static int read_referral(sqlite3_stmt *st, void *p)
{
    pt_referral_rec *r = p;
    r->member_id = col_i64(st, 0);
    r->referrer_id = col_i64(st, 1);
    col_text(st, 2, r->code, sizeof r->code);
    r->state = col_int(st, 3);
    col_text(st, 4, r->reason, sizeof r->reason);
    r->created_at = col_i64(st, 5);
    r->rewarded_at = col_i64(st, 6);
    return PT_OK;
}

static int sq_referral_insert(pt_store *s, const pt_referral_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, RS_REFERRAL_INSERT, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->member_id);
    sqlite3_bind_int64(st, 2, r->referrer_id);
    bind_text(st, 3, r->code);
    sqlite3_bind_int(st, 4, r->state);
    bind_text(st, 5, r->reason);
    sqlite3_bind_int64(st, 6, r->created_at);
    sqlite3_bind_int64(st, 7, r->rewarded_at);
    return run(s, RS_REFERRAL_INSERT, st, "inserting referral");
}

static int sq_referral_get(pt_store *s, int64_t invitee, int lock, pt_referral_rec *r)
{
    if (lock && !pt_store_in_tx(s))
        return pt__store_error(s, PT_ESTATE, "locking a referral needs a transaction");
    sqlite3_stmt *st;
    int rc = prep(s, RS_REFERRAL_GET, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, invitee);
    return one(s, RS_REFERRAL_GET, st, read_referral, r, "reading referral");
}

static int sq_referral_update(pt_store *s, const pt_referral_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, RS_REFERRAL_UPDATE, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->member_id);
    sqlite3_bind_int(st, 2, r->state);
    bind_text(st, 3, r->reason);
    sqlite3_bind_int64(st, 4, r->rewarded_at);
    rc = run(s, RS_REFERRAL_UPDATE, st, "updating referral");
    return pt__sq_changed_one(SQ(s), rc, "updating referral");
}

const struct pt_store_reward_ops pt__sq_reward_ops = {
    .reward_stock_seed = sq_stock_seed,
    .reward_stock_get = sq_stock_get,
    .reward_stock_list = sq_stock_list,
    .reward_stock_take = sq_stock_take,
    .redemption_insert = sq_redemption_insert,
    .redemption_count = sq_redemption_count,
    .redemption_list = sq_redemption_list,
    .coupon_insert = sq_coupon_insert,
    .coupon_get = sq_coupon_get,
    .coupon_use = sq_coupon_use,
    .coupon_list = sq_coupon_list,
    .invite_insert = sq_invite_insert,
    .invite_find = sq_invite_find,
    .invite_of = sq_invite_of,
    .referral_insert = sq_referral_insert,
    .referral_get = sq_referral_get,
    .referral_update = sq_referral_update,
};

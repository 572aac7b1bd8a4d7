/* store_pg_reward.c — rewards, coupons and referrals (store_reward.h) on PostgreSQL.
 *
 * Tables come from migration 3 in store_pg.c; the conventions are store_pg.c's (see its top
 * comment and store_pg_int.h): statements prepared at open (named pt_<PG_REWARD_FIRST + i>),
 * inserts that may clash guarded (ON CONFLICT DO NOTHING RETURNING, parents checked in the
 * same statement) so PT_EEXIST leaves the caller's transaction usable.
 *  - A unit of stock is one conditional UPDATE … WHERE stock <> 0 RETURNING. Under
 *    pt_store_begin_locking (READ COMMITTED) a second taker blocks on the row until the first
 *    commits, then re-evaluates the condition on the committed row: it never oversells, and
 *    it sees 0 as soon as the last unit is committed.
 *  - A coupon (or invite code) and its look-up row by code are inserted by one statement: the
 *    look-up insert is guarded by the code's uniqueness, the member's row follows it.
 *  - A coupon's use is one conditional UPDATE (unused, not expired); when it changes no row a
 *    follow-up read says why.
 * These files (store_pg.c, store_pg_ledger.c, this one) are the only ones that write SQL for
 * PostgreSQL.
 */
#include "store_pg_int.h"
#include "patron/error.h"

#define STOCK_COLS  "code, stock, issued, updated_at"
#define REDEEM_COLS "member_id, id, reward, entry_id, points, coupon_code, at, idem_key"
#define COUPON_COLS                                                                            \
    "member_id, code, kind, value_cents, min_spend_cents, issued_at, expires_at, used_at, used_ref, source"
#define REFERRAL_COLS "member_id, referrer_id, code, state, reason, created_at, rewarded_at"

#define REWARD_STATEMENTS(X)                                                                   \
    X(STOCK_SEED, GUARDED_INSERT_RET("TRUE", "INSERT INTO reward_stock (" STOCK_COLS ") SELECT" \
                                     " $1::text, $2::bigint, 0, $3::bigint FROM fk WHERE fk.ok", "1")) \
    X(STOCK_GET, "SELECT " STOCK_COLS " FROM reward_stock WHERE code = $1")                    \
    X(STOCK_LIST, "SELECT " STOCK_COLS " FROM reward_stock ORDER BY code")                     \
    X(STOCK_TAKE, "UPDATE reward_stock SET stock = CASE WHEN stock < 0 THEN stock ELSE stock - 1 END," \
                  " issued = issued + 1, updated_at = $2 WHERE code = $1 AND stock <> 0"       \
                  " RETURNING " STOCK_COLS)                                                    \
    X(REDEEM_INSERT,                                                                           \
      GUARDED_INSERT(MEMBER_EXISTS("$1"),                                                      \
                     "INSERT INTO reward_redemptions (member_id, reward, entry_id, points, coupon_code," \
                     " at, idem_key) SELECT $1::bigint, $2::text, $3::bigint, $4::bigint, $5::text," \
                     " $6::bigint, $7::text FROM fk WHERE fk.ok"))                             \
    X(REDEEM_COUNT, "SELECT count(*) FROM reward_redemptions WHERE member_id = $1 AND reward = $2") \
    X(REDEEM_LIST, "SELECT " REDEEM_COLS " FROM reward_redemptions WHERE member_id = $1 ORDER BY id") \
    X(COUPON_INSERT,                                                                           \
      "WITH fk AS (SELECT " MEMBER_EXISTS("$1") " AS ok),"                                     \
      " k AS (INSERT INTO coupon_codes (code, member_id) SELECT $2::text, $1::bigint FROM fk"  \
      " WHERE fk.ok ON CONFLICT DO NOTHING RETURNING code),"                                   \
      " ins AS (INSERT INTO coupons (" COUPON_COLS ") SELECT $1::bigint, k.code, $3::integer," \
      " $4::bigint, $5::bigint, $6::bigint, $7::bigint, $8::bigint, $9::text, $10::text FROM k" \
      " ON CONFLICT DO NOTHING RETURNING 1 AS id)"                                             \
      " SELECT (SELECT id FROM ins), (SELECT ok FROM fk)")                                     \
    X(COUPON_GET, "SELECT " COUPON_COLS " FROM coupons WHERE member_id ="                     \
                  " (SELECT member_id FROM coupon_codes WHERE code = $1) AND code = $1")       \
    X(COUPON_USE, "UPDATE coupons SET used_at = $3, used_ref = $4 WHERE member_id = $1 AND code = $2" \
                  " AND used_at = 0 AND (expires_at = 0 OR expires_at >= $3)")                \
    X(COUPON_LIST, "SELECT " COUPON_COLS " FROM coupons WHERE member_id = $1 ORDER BY issued_at, code") \
    /* The code's look-up row, then its member-side twin (one code per member: its key). A   \
     * member who has a code gets no second one; callers create codes inside the member's     \
     * locking frame, so two requests for one member do not race past that check. */          \
    X(INVITE_INSERT,                                                                           \
      "WITH m AS (SELECT " MEMBER_EXISTS("$2") " AS ok),"                                      \
      " fk AS (SELECT m.ok AND NOT EXISTS (SELECT 1 FROM member_invites WHERE member_id = $2::bigint)" \
      " AS free FROM m),"                                                                      \
      " k AS (INSERT INTO invite_codes (code, member_id, created_at) SELECT $1::text, $2::bigint," \
      " $3::bigint FROM fk WHERE fk.free ON CONFLICT DO NOTHING RETURNING code),"              \
      " ins AS (INSERT INTO member_invites (member_id, code) SELECT $2::bigint, k.code FROM k" \
      " ON CONFLICT DO NOTHING RETURNING 1 AS id)"                                             \
      " SELECT (SELECT id FROM ins), (SELECT ok FROM m)")                                      \
    X(INVITE_FIND, "SELECT member_id FROM invite_codes WHERE code = $1")                       \
    X(INVITE_OF, "SELECT code FROM member_invites WHERE member_id = $1")                       \
    X(REFERRAL_INSERT,                                                                         \
      GUARDED_INSERT_RET(MEMBER_EXISTS("$1") " AND " MEMBER_EXISTS("$2"),                      \
                         "INSERT INTO referrals (" REFERRAL_COLS ") SELECT $1::bigint, $2::bigint," \
                         " $3::text, $4::integer, $5::text, $6::bigint, $7::bigint FROM fk WHERE fk.ok", "1")) \
    X(REFERRAL_GET, "SELECT " REFERRAL_COLS " FROM referrals WHERE member_id = $1")            \
    X(REFERRAL_GET_LOCK, "SELECT " REFERRAL_COLS " FROM referrals WHERE member_id = $1 FOR UPDATE") \
    X(REFERRAL_UPDATE, "UPDATE referrals SET state = $2, reason = $3, rewarded_at = $4 WHERE member_id = $1")

enum reward_stmt {
#define RSTMT_ENUM(id, sql) RS_##id,
    REWARD_STATEMENTS(RSTMT_ENUM)
#undef RSTMT_ENUM
    RS__COUNT
};

const char *const pt__pg_reward_sql[RS__COUNT] = {
#define RSTMT_SQL(id, sql) [RS_##id] = sql,
    REWARD_STATEMENTS(RSTMT_SQL)
#undef RSTMT_SQL
};
const int pt__pg_reward_nsql = RS__COUNT;

#define STMT(id) (PG_REWARD_FIRST + (int)(id))

static int run_cmd(pt_store *s, enum reward_stmt id, const struct params *p, const char *doing, int64_t *changed)
{
    return pt__pg_run_cmd(PG(s), STMT(id), p, doing, changed);
}

static int one(pt_store *s, enum reward_stmt id, const struct params *p, row_reader read, void *rec,
               const char *doing)
{
    return pt__pg_query_one(PG(s), STMT(id), p, read, rec, doing);
}

static int each(pt_store *s, enum reward_stmt id, const struct params *p, row_reader read, void *rec,
                int (*cb)(void *, const void *), void *ud, const char *doing)
{
    return pt__pg_query_each(PG(s), STMT(id), p, read, rec, cb, ud, doing);
}

static int insert(pt_store *s, enum reward_stmt id, const struct params *p, const char *doing, const char *unique,
                  int64_t *new_id)
{
    return pt__pg_guarded_insert(PG(s), STMT(id), p, doing, unique, new_id);
}

static int read_i64(const PGresult *res, int row, void *p)
{
    *(int64_t *)p = g_i64(res, row, 0);
    return PT_OK;
}

/* --- reward stock ------------------------------------------------------------------------- */

static int read_stock(const PGresult *res, int row, void *p)
{
    pt_reward_stock_rec *r = p;
    g_text(res, row, 0, r->code, sizeof r->code);
    r->stock = g_i64(res, row, 1);
    r->issued = g_i64(res, row, 2);
    r->updated_at = g_i64(res, row, 3);
    return PT_OK;
}

static int pg_stock_seed(pt_store *s, const char *code, int64_t stock, int64_t at)
{
    struct params p = {0};
    p_text(&p, code);
    p_i64(&p, stock);
    p_i64(&p, at);
    return insert(s, RS_STOCK_SEED, &p, "seeding reward stock", "reward_stock.code", NULL);
}

static int pg_stock_get(pt_store *s, const char *code, pt_reward_stock_rec *r)
{
    struct params p = {0};
    p_text(&p, code);
    return one(s, RS_STOCK_GET, &p, read_stock, r, "reading reward stock");
}

static int pg_stock_list(pt_store *s, pt_reward_stock_cb cb, void *ud)
{
    struct params p = {0};
    pt_reward_stock_rec r;
    struct reward_stock_cb c = {cb, ud};
    return each(s, RS_STOCK_LIST, &p, read_stock, &r, call_reward_stock, &c, "listing reward stock");
}

static int pg_stock_take(pt_store *s, const char *code, int64_t at, pt_reward_stock_rec *r)
{
    struct params p = {0};
    pt_reward_stock_rec local;
    p_text(&p, code);
    p_i64(&p, at);
    int rc = one(s, RS_STOCK_TAKE, &p, read_stock, r ? r : &local, "taking a unit of reward stock");
    if (rc == PT_ENOTFOUND)
        rc = pt__store_error(s, PT_ESOLDOUT, "reward %s has no stock left", code);
    return rc;
}

/* --- redemptions -------------------------------------------------------------------------- */

static int read_redemption(const PGresult *res, int row, void *p)
{
    pt_redemption_rec *r = p;
    r->member_id = g_i64(res, row, 0);
    r->id = g_i64(res, row, 1);
    g_text(res, row, 2, r->reward, sizeof r->reward);
    r->entry_id = g_i64(res, row, 3);
    r->points = g_i64(res, row, 4);
    g_text(res, row, 5, r->coupon_code, sizeof r->coupon_code);
    r->at = g_i64(res, row, 6);
    g_text(res, row, 7, r->idem_key, sizeof r->idem_key);
    return PT_OK;
}

static int pg_redemption_insert(pt_store *s, pt_redemption_rec *r)
{
    struct params p = {0};
    p_i64(&p, r->member_id);
    p_text(&p, r->reward);
    p_i64(&p, r->entry_id);
    p_i64(&p, r->points);
    p_text(&p, r->coupon_code);
    p_i64(&p, r->at);
    p_text(&p, r->idem_key);
    return insert(s, RS_REDEEM_INSERT, &p, "inserting reward redemption", "reward_redemptions.id", &r->id);
}

static int pg_redemption_count(pt_store *s, int64_t member_id, const char *reward, int64_t *n)
{
    struct params p = {0};
    p_i64(&p, member_id);
    p_text(&p, reward);
    return one(s, RS_REDEEM_COUNT, &p, read_i64, n, "counting reward redemptions");
}

static int pg_redemption_list(pt_store *s, int64_t member_id, pt_redemption_cb cb, void *ud)
{
    struct params p = {0};
    p_i64(&p, member_id);
    pt_redemption_rec r;
    struct redemption_cb c = {cb, ud};
    return each(s, RS_REDEEM_LIST, &p, read_redemption, &r, call_redemption, &c, "listing reward redemptions");
}

/* --- coupons ------------------------------------------------------------------------------ */

static int read_coupon(const PGresult *res, int row, void *p)
{
    pt_coupon_rec *r = p;
    r->member_id = g_i64(res, row, 0);
    g_text(res, row, 1, r->code, sizeof r->code);
    r->kind = g_int(res, row, 2);
    r->value_cents = g_i64(res, row, 3);
    r->min_spend_cents = g_i64(res, row, 4);
    r->issued_at = g_i64(res, row, 5);
    r->expires_at = g_i64(res, row, 6);
    r->used_at = g_i64(res, row, 7);
    g_text(res, row, 8, r->used_ref, sizeof r->used_ref);
    g_text(res, row, 9, r->source, sizeof r->source);
    return PT_OK;
}

static int pg_coupon_insert(pt_store *s, const pt_coupon_rec *r)
{
    struct params p = {0};
    p_i64(&p, r->member_id);
    p_text(&p, r->code);
    p_i64(&p, r->kind);
    p_i64(&p, r->value_cents);
    p_i64(&p, r->min_spend_cents);
    p_i64(&p, r->issued_at);
    p_i64(&p, r->expires_at);
    p_i64(&p, r->used_at);
    p_text(&p, r->used_ref);
    p_text(&p, r->source);
    return insert(s, RS_COUPON_INSERT, &p, "inserting coupon", "coupon_codes.code", NULL);
}

static int pg_coupon_get(pt_store *s, const char *code, pt_coupon_rec *r)
{
    struct params p = {0};
    p_text(&p, code);
    return one(s, RS_COUPON_GET, &p, read_coupon, r, "reading coupon");
}

static int pg_coupon_use(pt_store *s, int64_t member_id, const char *code, int64_t at, const char *ref)
{
    struct params p = {0};
    int64_t changed = 0;
    p_i64(&p, member_id);
    p_text(&p, code);
    p_i64(&p, at);
    p_text(&p, ref);
    int rc = run_cmd(s, RS_COUPON_USE, &p, "using coupon", &changed);
    if (rc == PT_OK && changed == 0) {
        pt_coupon_rec c;
        rc = pg_coupon_get(s, code, &c);
        if (rc == PT_OK && c.member_id == member_id)
            rc = pt__store_error(s, PT_ESTATE, "using coupon: already used or expired");
        else if (rc == PT_OK)
            rc = pt__store_error(s, PT_ENOTFOUND, "using coupon: no such coupon for this member");
    }
    return rc;
}

static int pg_coupon_list(pt_store *s, int64_t member_id, pt_coupon_cb cb, void *ud)
{
    struct params p = {0};
    p_i64(&p, member_id);
    pt_coupon_rec r;
    struct coupon_cb c = {cb, ud};
    return each(s, RS_COUPON_LIST, &p, read_coupon, &r, call_coupon, &c, "listing coupons");
}

/* --- invite codes and referrals ----------------------------------------------------------- */

static int pg_invite_insert(pt_store *s, int64_t member_id, const char *code, int64_t at)
{
    struct params p = {0};
    p_text(&p, code);
    p_i64(&p, member_id);
    p_i64(&p, at);
    return insert(s, RS_INVITE_INSERT, &p, "inserting invite code", "invite_codes.code or invite_codes.member_id",
                  NULL);
}

static int pg_invite_find(pt_store *s, const char *code, int64_t *member_id)
{
    struct params p = {0};
    p_text(&p, code);
    return one(s, RS_INVITE_FIND, &p, read_i64, member_id, "finding invite code");
}

static int read_code(const PGresult *res, int row, void *p)
{
    g_text(res, row, 0, p, PT_COUPON_CODE_MAX);
    return PT_OK;
}

static int pg_invite_of(pt_store *s, int64_t member_id, char code[PT_COUPON_CODE_MAX])
{
    struct params p = {0};
    p_i64(&p, member_id);
    return one(s, RS_INVITE_OF, &p, read_code, code, "reading a member's invite code");
}

static int read_referral(const PGresult *res, int row, void *p)
{
    pt_referral_rec *r = p;
    r->member_id = g_i64(res, row, 0);
    r->referrer_id = g_i64(res, row, 1);
    g_text(res, row, 2, r->code, sizeof r->code);
    r->state = g_int(res, row, 3);
    g_text(res, row, 4, r->reason, sizeof r->reason);
    r->created_at = g_i64(res, row, 5);
    r->rewarded_at = g_i64(res, row, 6);
    return PT_OK;
}

static int pg_referral_insert(pt_store *s, const pt_referral_rec *r)
{
    struct params p = {0};
    p_i64(&p, r->member_id);
    p_i64(&p, r->referrer_id);
    p_text(&p, r->code);
    p_i64(&p, r->state);
    p_text(&p, r->reason);
    p_i64(&p, r->created_at);
    p_i64(&p, r->rewarded_at);
    return insert(s, RS_REFERRAL_INSERT, &p, "inserting referral", "referrals.member_id", NULL);
}

static int pg_referral_get(pt_store *s, int64_t invitee, int lock, pt_referral_rec *r)
{
    if (lock && !pt_store_in_tx(s))
        return pt__store_error(s, PT_ESTATE, "locking a referral needs a transaction");
    struct params p = {0};
    p_i64(&p, invitee);
    return one(s, lock ? RS_REFERRAL_GET_LOCK : RS_REFERRAL_GET, &p, read_referral, r, "reading referral");
}

static int pg_referral_update(pt_store *s, const pt_referral_rec *r)
{
    struct params p = {0};
    int64_t changed = 0;
    p_i64(&p, r->member_id);
    p_i64(&p, r->state);
    p_text(&p, r->reason);
    p_i64(&p, r->rewarded_at);
    int rc = run_cmd(s, RS_REFERRAL_UPDATE, &p, "updating referral", &changed);
    if (rc == PT_OK && changed == 0)
        rc = pt__store_error(s, PT_ENOTFOUND, "updating referral: no such row");
    return rc;
}

const struct pt_store_reward_ops pt__pg_reward_ops = {
    .reward_stock_seed = pg_stock_seed,
    .reward_stock_get = pg_stock_get,
    .reward_stock_list = pg_stock_list,
    .reward_stock_take = pg_stock_take,
    .redemption_insert = pg_redemption_insert,
    .redemption_count = pg_redemption_count,
    .redemption_list = pg_redemption_list,
    .coupon_insert = pg_coupon_insert,
    .coupon_get = pg_coupon_get,
    .coupon_use = pg_coupon_use,
    .coupon_list = pg_coupon_list,
    .invite_insert = pg_invite_insert,
    .invite_find = pg_invite_find,
    .invite_of = pg_invite_of,
    .referral_insert = pg_referral_insert,
    .referral_get = pg_referral_get,
    .referral_update = pg_referral_update,
};

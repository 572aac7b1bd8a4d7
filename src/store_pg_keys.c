/* store_pg_keys.c — API keys (store_apikey.h) on PostgreSQL.
 *
 * The table comes from migration 9 in store_pg.c; statements are prepared at open, named
 * pt_<PG_KEYS_FIRST + i>. The insert is guarded (ON CONFLICT DO NOTHING) so a taken hash is
 * PT_EEXIST without aborting the caller's transaction. A revocation keeps the first time.
 */
#include "store_pg_int.h"
#include "patron/error.h"

#define KEY_COLS "id, name, role, prefix, hash, created_at, revoked_at"

#define KEY_STATEMENTS(X)                                                                      \
    X(INSERT, GUARDED_INSERT("TRUE", "INSERT INTO api_keys (name, role, prefix, hash, created_at, revoked_at)" \
                                     " SELECT $1::text, $2::text, $3::text, $4::bytea, $5::bigint, 0"      \
                                     " FROM fk WHERE fk.ok"))                                 \
    X(BY_HASH, "SELECT " KEY_COLS " FROM api_keys WHERE hash = $1::bytea")                     \
    X(LIST, "SELECT " KEY_COLS " FROM api_keys ORDER BY id")                                   \
    X(EXISTS, "SELECT id FROM api_keys WHERE id = $1")                                         \
    X(REVOKE, "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at = 0")

enum key_stmt {
#define KSTMT_ENUM(id, sql) KS_##id,
    KEY_STATEMENTS(KSTMT_ENUM)
#undef KSTMT_ENUM
    KS__COUNT
};
_Static_assert(PG_KEYS_FIRST + KS__COUNT <= PG_SCORES_FIRST, "API key statements overflow their range");

const char *const pt__pg_apikey_sql[KS__COUNT] = {
#define KSTMT_SQL(id, sql) [KS_##id] = sql,
    KEY_STATEMENTS(KSTMT_SQL)
#undef KSTMT_SQL
};
const int pt__pg_apikey_nsql = KS__COUNT;

#define STMT(id) (PG_KEYS_FIRST + (int)(id))

static int read_i64(const PGresult *res, int row, void *p)
{
    *(int64_t *)p = g_i64(res, row, 0);
    return PT_OK;
}

static int read_key(const PGresult *res, int row, void *p)
{
    pt_apikey_rec *r = p;
    r->id = g_i64(res, row, 0);
    g_text(res, row, 1, r->name, sizeof r->name);
    g_text(res, row, 2, r->role, sizeof r->role);
    g_text(res, row, 3, r->prefix, sizeof r->prefix);
    g_fixed(res, row, 4, r->hash, sizeof r->hash);
    r->created_at = g_i64(res, row, 5);
    r->revoked_at = g_i64(res, row, 6);
    return PT_OK;
}

static int pg_apikey_insert(pt_store *s, pt_apikey_rec *r)
{
    struct params p = {0};
    p_text(&p, r->name);
    p_text(&p, r->role);
    p_text(&p, r->prefix);
    p_bytes(&p, r->hash, sizeof r->hash);
    p_i64(&p, r->created_at);
    r->revoked_at = 0;
    return pt__pg_guarded_insert(PG(s), STMT(KS_INSERT), &p, "inserting an API key", "api_keys.hash", &r->id);
}

static int pg_apikey_get_by_hash(pt_store *s, const uint8_t hash[PT_APIKEY_HASH_LEN], pt_apikey_rec *r)
{
    struct params p = {0};
    p_bytes(&p, hash, PT_APIKEY_HASH_LEN);
    return pt__pg_query_one(PG(s), STMT(KS_BY_HASH), &p, read_key, r, "reading an API key");
}

static int pg_apikey_list(pt_store *s, pt_apikey_cb cb, void *ud)
{
    struct params p = {0};
    pt_apikey_rec r;
    struct apikey_cb c = {cb, ud};
    return pt__pg_query_each(PG(s), STMT(KS_LIST), &p, read_key, &r, call_apikey, &c, "listing API keys");
}

static int pg_apikey_revoke(pt_store *s, int64_t id, int64_t at)
{
    struct params p = {0};
    int64_t found;
    p_i64(&p, id);
    int rc = pt__pg_query_one(PG(s), STMT(KS_EXISTS), &p, read_i64, &found, "finding an API key");
    if (rc == PT_ENOTFOUND)
        return pt__store_error(s, PT_ENOTFOUND, "no API key with id %lld", (long long)id);
    if (rc)
        return rc;
    p_i64(&p, at);
    return pt__pg_run_cmd(PG(s), STMT(KS_REVOKE), &p, "revoking an API key", NULL);
}

const struct pt_store_apikey_ops pt__pg_apikey_ops = {
    .apikey_insert = pg_apikey_insert,
    .apikey_get_by_hash = pg_apikey_get_by_hash,
    .apikey_list = pg_apikey_list,
    .apikey_revoke = pg_apikey_revoke,
};

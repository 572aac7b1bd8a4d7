/* store_sqlite_keys.c — API keys (store_apikey.h) on SQLite.
 *
 * The table comes from migration 9 in store_sqlite.c. Statement slots are SQ_KEYS_FIRST + the
 * ids below. A revocation keeps the first revocation time (revoked_at is only set from 0).
 */
#include "store_sqlite_int.h"
#include "patron/error.h"

#define KEY_COLS "id, name, role, prefix, hash, created_at, revoked_at"

#define KEY_STATEMENTS(X)                                                                      \
    X(INSERT, "INSERT INTO api_keys(name, role, prefix, hash, created_at, revoked_at)"         \
              " VALUES (?1,?2,?3,?4,?5,0) RETURNING id")                                       \
    X(BY_HASH, "SELECT " KEY_COLS " FROM api_keys WHERE hash = ?1")                            \
    X(LIST, "SELECT " KEY_COLS " FROM api_keys ORDER BY id")                                   \
    X(EXISTS, "SELECT id FROM api_keys WHERE id = ?1")                                         \
    X(REVOKE, "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at = 0")

enum key_stmt {
#define KSTMT_ENUM(id, sql) KS_##id,
    KEY_STATEMENTS(KSTMT_ENUM)
#undef KSTMT_ENUM
    KS__COUNT
};
_Static_assert(SQ_KEYS_FIRST + KS__COUNT <= SQ_SCORES_FIRST, "API key statements overflow their range");

static const char *const key_sql[KS__COUNT] = {
#define KSTMT_SQL(id, sql) [KS_##id] = sql,
    KEY_STATEMENTS(KSTMT_SQL)
#undef KSTMT_SQL
};

#define SLOT(id) (SQ_KEYS_FIRST + (int)(id))

static int prep(pt_store *s, enum key_stmt id, sqlite3_stmt **st)
{
    return pt__sq_prepare(SQ(s), SLOT(id), key_sql[id], st);
}

static int read_i64(sqlite3_stmt *st, void *p)
{
    *(int64_t *)p = col_i64(st, 0);
    return PT_OK;
}

static int read_key(sqlite3_stmt *st, void *p)
{
    pt_apikey_rec *r = p;
    r->id = col_i64(st, 0);
    col_text(st, 1, r->name, sizeof r->name);
    col_text(st, 2, r->role, sizeof r->role);
    col_text(st, 3, r->prefix, sizeof r->prefix);
    col_fixed(st, 4, r->hash, sizeof r->hash);
    r->created_at = col_i64(st, 5);
    r->revoked_at = col_i64(st, 6);
    return PT_OK;
}

static int sq_apikey_insert(pt_store *s, pt_apikey_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, KS_INSERT, &st);
    if (rc)
        return rc;
    bind_text(st, 1, r->name);
    bind_text(st, 2, r->role);
    bind_text(st, 3, r->prefix);
    sqlite3_bind_blob(st, 4, r->hash, (int)sizeof r->hash, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, r->created_at);
    r->revoked_at = 0;
    return pt__sq_query_one(SQ(s), SLOT(KS_INSERT), st, read_i64, &r->id, "inserting an API key");
}

static int sq_apikey_get_by_hash(pt_store *s, const uint8_t hash[PT_APIKEY_HASH_LEN], pt_apikey_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, KS_BY_HASH, &st);
    if (rc)
        return rc;
    sqlite3_bind_blob(st, 1, hash, PT_APIKEY_HASH_LEN, SQLITE_STATIC);
    return pt__sq_query_one(SQ(s), SLOT(KS_BY_HASH), st, read_key, r, "reading an API key");
}

static int sq_apikey_list(pt_store *s, pt_apikey_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = prep(s, KS_LIST, &st);
    if (rc)
        return rc;
    pt_apikey_rec r;
    struct apikey_cb c = {cb, ud};
    return pt__sq_query_each(SQ(s), SLOT(KS_LIST), st, read_key, &r, call_apikey, &c, "listing API keys");
}

static int sq_apikey_revoke(pt_store *s, int64_t id, int64_t at)
{
    sqlite3_stmt *st;
    int64_t found;
    int rc = prep(s, KS_EXISTS, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    rc = pt__sq_query_one(SQ(s), SLOT(KS_EXISTS), st, read_i64, &found, "finding an API key");
    if (rc == PT_ENOTFOUND)
        return pt__store_error(s, PT_ENOTFOUND, "no API key with id %lld", (long long)id);
    if (rc)
        return rc;
    rc = prep(s, KS_REVOKE, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, at);
    return pt__sq_run(SQ(s), SLOT(KS_REVOKE), st, "revoking an API key");
}

const struct pt_store_apikey_ops pt__sq_apikey_ops = {
    .apikey_insert = sq_apikey_insert,
    .apikey_get_by_hash = sq_apikey_get_by_hash,
    .apikey_list = sq_apikey_list,
    .apikey_revoke = sq_apikey_revoke,
};

/* store_pg_int.h — what the PostgreSQL backend's files share: the handle, parameter binding,
 * binary result reading, and the run/query/scan helpers. store_pg.c holds the connection,
 * migrations, transactions, the core records and the backend table; store_pg_ledger.c the
 * programme's records (store_ledger.h). The conventions (guarded inserts that report rather
 * than raise, binary results, SQLSTATE mapping, cursors on auxiliary connections) are described
 * at the top of store_pg.c and hold for both files.
 *
 * Prepared statements are named pt_<id> on each connection. Core ids are [0, PG_LEDGER_FIRST),
 * ledger ids PG_LEDGER_FIRST + i for pt__pg_ledger_sql[i]; all are prepared at open, in one
 * round trip (store_pg.c, prepare_all).
 */
#ifndef PATRON_STORE_PG_INT_H
#define PATRON_STORE_PG_INT_H

#include "store_int.h"
#include "patron/error.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define PG_LEDGER_FIRST   100   /* first statement id of store_pg_ledger.c */
#define PG_REWARD_FIRST   200   /* first statement id of store_pg_reward.c */
#define PG_KEYS_FIRST     300   /* API keys and request log */
#define PG_SCORES_FIRST   400   /* member scores */
#define PG_CAMPAIGN_FIRST 500   /* campaigns, triggers, outbox, webhooks */
#define FETCH_ROWS        10000 /* rows per FETCH of a cursor scan */
#define FETCH_ROWS_MEMBER 2000  /* member rows carry sealed blobs */
#define AUX_MAX           4     /* scans outside a transaction nested in each other's callbacks */

typedef struct pg_store {
    pt_store base;
    PGconn  *conn;
    char    *url;              /* for auxiliary connections */
    PGconn  *aux[AUX_MAX];     /* scan connections, opened on first need */
    int      aux_busy[AUX_MAX];
    unsigned cursors;          /* names cursors uniquely on a connection */
} pg_store;

static inline pg_store *PG(pt_store *s)
{
    return (pg_store *)s;
}

/* --- SQL building blocks ------------------------------------------------------------------ */

/* An insert that reports rather than raises: one row (id or NULL, parents exist). `insert` is
 * "INSERT … SELECT … FROM fk WHERE fk.ok"; `ret` a non-NULL column of the new row. */
#define GUARDED_INSERT_RET(fk, insert, ret)                                                    \
    "WITH fk AS (SELECT " fk " AS ok), ins AS (" insert " ON CONFLICT DO NOTHING RETURNING " ret " AS id)" \
    " SELECT (SELECT id FROM ins), (SELECT ok FROM fk)"
#define GUARDED_INSERT(fk, insert) GUARDED_INSERT_RET(fk, insert, "id")
#define MEMBER_EXISTS(p) "EXISTS (SELECT 1 FROM members WHERE id = " p "::bigint)"

/* --- errors and plain execution ----------------------------------------------------------- */

/* Maps a failed result (or its absence) onto a PT_E* code and records a message without row
 * values. */
int pt__pg_fail(pg_store *q, PGconn *c, const PGresult *res, const char *doing);
/* PT_OK when res is a successful result; otherwise the mapped failure. Does not clear res. */
int pt__pg_res_check(pg_store *q, PGconn *c, const PGresult *res, const char *doing);
/* Runs SQL without parameters through the simple protocol (transactions, DDL, cursors). */
int pt__pg_exec(pg_store *q, PGconn *c, const char *sql, const char *doing);

/* --- parameters --------------------------------------------------------------------------- */

#define PARAMS_MAX 17

/* Parameters of one statement: integers as text, text and bytea as binary. Values are
 * borrowed (except integers, formatted into num) and must outlive the call. */
struct params {
    int         n;
    const char *v[PARAMS_MAX];
    int         len[PARAMS_MAX];
    int         fmt[PARAMS_MAX];
    char        num[PARAMS_MAX][24];
    const char *bad; /* why a value cannot be sent; the statement is refused before sending */
};

/* 1 when s[0..n) is valid UTF-8 without NUL (what PostgreSQL text accepts). */
int pt__pg_utf8_ok(const unsigned char *s, size_t n);

static inline void p_slot(struct params *p, const char *v, int len, int fmt)
{
    p->v[p->n] = v;
    p->len[p->n] = len;
    p->fmt[p->n] = fmt;
    p->n++;
}

static inline void p_i64(struct params *p, int64_t x)
{
    snprintf(p->num[p->n], sizeof p->num[p->n], "%" PRId64, x);
    p_slot(p, p->num[p->n], 0, 0);
}

static inline void p_i64_or_null(struct params *p, int64_t x)
{
    if (x)
        p_i64(p, x);
    else
        p_slot(p, NULL, 0, 0);
}

/* Text goes in binary format (the raw bytes with a length) after the UTF-8 check, so a bad
 * value fails alone instead of aborting the caller's transaction on the server. */
static inline void p_textn(struct params *p, const char *s, size_t n)
{
    if (!pt__pg_utf8_ok((const unsigned char *)s, n) && !p->bad)
        p->bad = "a text value is not valid UTF-8 (or holds a NUL byte)";
    p_slot(p, s, (int)n, 1);
}

static inline void p_text(struct params *p, const char *s)
{
    p_textn(p, s, strlen(s));
}

/* Empty text is stored as NULL (for optional unique columns such as member_no). */
static inline void p_text_or_null(struct params *p, const char *s)
{
    if (s && *s)
        p_text(p, s);
    else
        p_slot(p, NULL, 0, 0);
}

static inline void p_bytes(struct params *p, const void *d, size_t n)
{
    p_slot(p, d, (int)n, 1);
}

/* An empty buffer is NULL (optional blobs). */
static inline void p_buf(struct params *p, const pt_buf *b)
{
    if (b->len)
        p_bytes(p, b->data, b->len);
    else
        p_slot(p, NULL, 0, 0);
}

/* An empty buffer is '' (NOT NULL text such as JSON). */
static inline void p_buf_text(struct params *p, const pt_buf *b)
{
    if (b->len)
        p_textn(p, (const char *)b->data, b->len);
    else
        p_slot(p, "", 0, 1);
}

/* --- reading (binary results) ------------------------------------------------------------- */

/* An integer column of any width (bool, int2, int4, int8); 0 when NULL. */
static inline int64_t g_i64(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return 0;
    const unsigned char *v = (const unsigned char *)PQgetvalue(r, row, col);
    int n = PQgetlength(r, row, col);
    uint64_t u = 0;
    for (int i = 0; i < n && i < 8; i++)
        u = u << 8 | v[i];
    switch (n) {
    case 8: return (int64_t)u;
    case 4: return (int32_t)(uint32_t)u;
    case 2: return (int16_t)(uint16_t)u;
    case 1: return v[0]; /* bool */
    default: return 0;
    }
}

static inline int g_int(const PGresult *r, int row, int col)
{
    return (int)g_i64(r, row, col);
}

/* Text into a fixed array, truncated to cap − 1 bytes; "" when NULL. */
static inline void g_text(const PGresult *r, int row, int col, char *dst, size_t cap)
{
    size_t n = PQgetisnull(r, row, col) ? 0 : (size_t)PQgetlength(r, row, col);
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, PQgetvalue(r, row, col), n);
    dst[n] = 0;
}

/* A variable-length column into b (empty when NULL); PT_ETOOBIG past b's maximum. */
static inline int g_buf(const PGresult *r, int row, int col, pt_buf *b)
{
    int n = PQgetisnull(r, row, col) ? 0 : PQgetlength(r, row, col);
    if (n <= 0) {
        pt_buf_reset(b);
        return PT_OK;
    }
    return pt_buf_set(b, PQgetvalue(r, row, col), (size_t)n);
}

/* Text into b, "" (not NULL data) when empty or NULL — as SQLite's column text. */
static inline int g_buf_text(const PGresult *r, int row, int col, pt_buf *b)
{
    int rc = g_buf(r, row, col, b);
    if (rc == PT_OK && b->len == 0)
        rc = pt_buf_set(b, "", 0);
    return rc;
}

/* A fixed-size bytea (hashes); zeros when NULL or of another size. */
static inline void g_fixed(const PGresult *r, int row, int col, uint8_t *dst, size_t len)
{
    if (!PQgetisnull(r, row, col) && (size_t)PQgetlength(r, row, col) == len)
        memcpy(dst, PQgetvalue(r, row, col), len);
    else
        memset(dst, 0, len);
}

typedef int (*row_reader)(const PGresult *r, int row, void *rec);

/* --- running ------------------------------------------------------------------------------ */

/* Executes prepared statement pt_<id>; on success *out holds the (binary) result to PQclear. */
int pt__pg_run(pg_store *q, int id, const struct params *p, const char *doing, PGresult **out);
/* Runs a statement that returns no rows; *changed gets the affected row count when not NULL. */
int pt__pg_run_cmd(pg_store *q, int id, const struct params *p, const char *doing, int64_t *changed);
/* At most one row into `read`; PT_ENOTFOUND when none. */
int pt__pg_query_one(pg_store *q, int id, const struct params *p, row_reader read, void *rec, const char *doing);
/* Reads every row of a (small, per-member) query, then calls cb(ud, rec) per row: the result is
 * complete before the first callback, so callbacks may use the store freely. */
int pt__pg_query_each(pg_store *q, int id, const struct params *p, row_reader read, void *rec,
                      int (*cb)(void *, const void *), void *ud, const char *doing);
/* Streams a full scan of `sql` (with parameters p, or NULL) through a server-side cursor,
 * `batch` rows per FETCH, calling cb per row. Inside a transaction the cursor lives on the
 * store's connection (it sees the transaction's own writes); outside one on an auxiliary
 * connection in a read-only snapshot, so callbacks may begin and commit transactions. */
int pt__pg_scan_each(pg_store *q, const char *sql, const struct params *p, int batch, row_reader read, void *rec,
                     int (*cb)(void *, const void *), void *ud, const char *doing);
/* Runs a GUARDED_INSERT: *new_id (when not NULL) gets the returned column; a missing parent is
 * PT_EINVAL and a taken unique key PT_EEXIST (naming `unique`), both without aborting the
 * caller's transaction. */
int pt__pg_guarded_insert(pg_store *q, int id, const struct params *p, const char *doing, const char *unique,
                          int64_t *new_id);

/* --- the ledger half (store_pg_ledger.c) -------------------------------------------------- */

extern const struct pt_store_ledger_ops pt__pg_ledger_ops;
/* Its prepared statements, named pt_<PG_LEDGER_FIRST + i>. */
extern const char *const pt__pg_ledger_sql[];
extern const int         pt__pg_ledger_nsql;

/* --- rewards, coupons, referrals (store_pg_reward.c) -------------------------------------- */

extern const struct pt_store_reward_ops pt__pg_reward_ops;
/* Its prepared statements, named pt_<PG_REWARD_FIRST + i>. */
extern const char *const pt__pg_reward_sql[];
extern const int         pt__pg_reward_nsql;

/* --- model scores (store_pg_score.c) ------------------------------------------------------ */

extern const struct pt_store_score_ops pt__pg_score_ops;
/* Its prepared statements, named pt_<PG_SCORES_FIRST + i>. */
extern const char *const pt__pg_score_sql[];
extern const int         pt__pg_score_nsql;
/* --- campaigns, triggers, outbox, webhooks (store_pg_campaign.c) -------------------------- */

extern const struct pt_store_campaign_ops pt__pg_campaign_ops;
/* Its prepared statements, named pt_<PG_CAMPAIGN_FIRST + i>. */
extern const char *const pt__pg_campaign_sql[];
extern const int         pt__pg_campaign_nsql;
/* --- API keys (store_pg_keys.c) ----------------------------------------------------------- */

extern const struct pt_store_apikey_ops pt__pg_apikey_ops;
extern const struct pt_store_stats_ops pt__pg_stats_ops; /* store_pg_stats.c */
/* Its prepared statements, named pt_<PG_KEYS_FIRST + i>. */
extern const char *const pt__pg_apikey_sql[];
extern const int         pt__pg_apikey_nsql;

#endif

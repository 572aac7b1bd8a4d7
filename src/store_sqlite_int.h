/* store_sqlite_int.h — what the SQLite backend's files share: the handle, the statement cache
 * and the binding/reading helpers. store_sqlite.c holds the core records and the backend
 * table; store_sqlite_ledger.c the programme's records (store_ledger.h).
 *
 * Statement cache: one slot per statement id. Core ids are [0, SQ_LEDGER_FIRST), ledger ids
 * [SQ_LEDGER_FIRST, SQ_STMT_SLOTS). A cached statement still stepping (a callback re-entered
 * the store) is replaced by a one-off statement for the nested call.
 */
#ifndef PATRON_STORE_SQLITE_INT_H
#define PATRON_STORE_SQLITE_INT_H

#include "store_int.h"
#include "patron/error.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#define SQ_LEDGER_FIRST 96
#define SQ_REWARD_FIRST 160   /* store_sqlite_reward.c: [SQ_REWARD_FIRST, SQ_KEYS_FIRST) */
#define SQ_KEYS_FIRST   192   /* API keys and request log: [SQ_KEYS_FIRST, SQ_SCORES_FIRST) */
#define SQ_SCORES_FIRST 224   /* member scores: [SQ_SCORES_FIRST, SQ_CAMPAIGN_FIRST) */
#define SQ_CAMPAIGN_FIRST 256 /* campaigns, triggers, outbox: [SQ_CAMPAIGN_FIRST, SQ_STMT_SLOTS) */
#define SQ_STMT_SLOTS   320

/* Transaction statements kept prepared: the 5 outermost ones (enum pt_tx_op), then SAVEPOINT
 * and RELEASE for depths 1..SQ_TX_DEPTHS (deeper savepoints are rare and run as text). */
#define SQ_TX_DEPTHS 4
#define SQ_TX_SLOTS  (5 + 2 * SQ_TX_DEPTHS)

typedef struct sq_store {
    pt_store      base;
    sqlite3      *db;
    sqlite3_stmt *stmt[SQ_STMT_SLOTS];
    sqlite3_stmt *tx[SQ_TX_SLOTS];   /* transaction statements, prepared once (sq_tx) */
    void        (*wal_cb)(void *ud, int log_pages); /* pt_store_wal_watch */
    void         *wal_ud;
} sq_store;

static inline sq_store *SQ(pt_store *s)
{
    return (sq_store *)s;
}

/* Maps an SQLite result code onto a PT_E* code and records the message. */
int  pt__sq_fail(sq_store *q, int src, const char *doing);
int  pt__sq_exec(sq_store *q, const char *sql, const char *doing);
/* The statement for slot (prepared from sql on first use); release it with pt__sq_done. */
int  pt__sq_prepare(sq_store *q, int slot, const char *sql, sqlite3_stmt **st);
void pt__sq_done(sq_store *q, int slot, sqlite3_stmt *st);
/* Steps a statement that returns no rows, then releases it. */
int  pt__sq_run(sq_store *q, int slot, sqlite3_stmt *st, const char *doing);
/* At most one row into read(st, rec); PT_ENOTFOUND when none. Releases the statement. */
int  pt__sq_query_one(sq_store *q, int slot, sqlite3_stmt *st, int (*read)(sqlite3_stmt *, void *), void *rec,
                      const char *doing);
/* read(st, rec) then cb(ud, rec) per row. Releases the statement. */
int  pt__sq_query_each(sq_store *q, int slot, sqlite3_stmt *st, int (*read)(sqlite3_stmt *, void *), void *rec,
                       int (*cb)(void *, const void *), void *ud, const char *doing);
/* Rows changed by the last statement: 1 → PT_OK, 0 → PT_ENOTFOUND naming what. */
int  pt__sq_changed_one(sq_store *q, int rc, const char *what);

static inline void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* Empty text is stored as NULL (for optional unique columns such as member_no). */
static inline void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s && *s)
        bind_text(st, i, s);
    else
        sqlite3_bind_null(st, i);
}

static inline void bind_buf(sqlite3_stmt *st, int i, const pt_buf *b)
{
    if (b->len)
        sqlite3_bind_blob(st, i, b->data, (int)b->len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static inline void bind_buf_text(sqlite3_stmt *st, int i, const pt_buf *b)
{
    sqlite3_bind_text(st, i, b->len ? (const char *)b->data : "", (int)b->len, SQLITE_STATIC);
}

static inline void col_text(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

static inline int col_buf(sqlite3_stmt *st, int i, pt_buf *b)
{
    const void *p = sqlite3_column_blob(st, i);
    int n = sqlite3_column_bytes(st, i);
    if (!p || n <= 0) {
        pt_buf_reset(b);
        return PT_OK;
    }
    return pt_buf_set(b, p, (size_t)n);
}

/* A fixed-size blob column (hashes); zeros when NULL or of another size. */
static inline void col_fixed(sqlite3_stmt *st, int i, uint8_t *dst, size_t len)
{
    const void *p = sqlite3_column_blob(st, i);
    if (p && (size_t)sqlite3_column_bytes(st, i) == len)
        memcpy(dst, p, len);
    else
        memset(dst, 0, len);
}

static inline int64_t col_i64(sqlite3_stmt *st, int i)
{
    return sqlite3_column_int64(st, i);
}

static inline int col_int(sqlite3_stmt *st, int i)
{
    return sqlite3_column_int(st, i);
}

/* The ledger half of the backend table (store_sqlite_ledger.c). */
extern const struct pt_store_ledger_ops pt__sq_ledger_ops;
/* The rewards half (store_sqlite_reward.c). */
extern const struct pt_store_reward_ops pt__sq_reward_ops;
/* The model scores (store_sqlite_score.c). */
extern const struct pt_store_score_ops pt__sq_score_ops;
/* Campaigns, triggers, outbox, webhooks (store_sqlite_campaign.c). */
extern const struct pt_store_campaign_ops pt__sq_campaign_ops;
/* The API keys (store_sqlite_keys.c). */
extern const struct pt_store_apikey_ops pt__sq_apikey_ops;
extern const struct pt_store_stats_ops pt__sq_stats_ops; /* store_sqlite_stats.c */

#endif

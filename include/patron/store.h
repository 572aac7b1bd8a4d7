/* store.h — the one interface for all persistence.
 *
 * Callers speak in records (members, identities, orders, …), never SQL. A backend is a table of
 * function pointers (src/store_int.h, after SQLite's VFS); store_sqlite.c is the embedded
 * default. Personal data reaches the store only sealed (pt_buf ciphertext) or as a keyed blind
 * index; the store never sees it in clear.
 *
 * Transactions nest: the outermost pt_store_begin starts a write transaction, inner ones are
 * savepoints. A failed statement inside a transaction leaves it open for the caller to roll
 * back. Every function returns 0 or a negative PT_E* code; pt_store_errmsg() has the detail.
 * A unique-key violation is PT_EEXIST on every backend.
 *
 * Ownership: records passed in are borrowed for the call. Records filled by a get/list are
 * owned by the caller, who releases their buffers with the matching *_rec_free. Callback
 * iterations pass records that are valid only during the callback; a non-zero return from the
 * callback stops the iteration and is returned.
 */
#ifndef PATRON_STORE_H
#define PATRON_STORE_H

#include "patron/buf.h"
#include "patron/types.h"

#include <stddef.h>
#include <stdint.h>

typedef struct pt_store pt_store;

typedef struct pt_member_rec {
    int64_t  id;                          /* assigned by the store on insert */
    char     member_no[PT_MEMBER_NO_MAX]; /* public number; unique when not empty */
    int      status;                      /* enum pt_member_status */
    int64_t  registered_at;               /* UTC epoch s */
    char     reg_channel[PT_LABEL_MAX];
    char     gender;                      /* 'F', 'M' or 0 (unknown) */
    char     region[PT_REGION_MAX];
    uint32_t consent;                     /* PT_CONSENT_BIT(kind) set when given */
    int64_t  consent_at[PT_CONSENT__COUNT]; /* when each flag was last set or withdrawn */
    int64_t  merged_into;                 /* survivor's id once merged away, else 0 */
    int64_t  created_at;
    int64_t  updated_at;
    pt_buf   key_wrapped;                 /* member data key sealed by the master key; empty once erased */
    pt_buf   pii;                         /* personal fields sealed by the member's data key */
    pt_buf   provenance;                  /* JSON {field: [source, at]}: no personal values */
} pt_member_rec;

typedef struct pt_identity_rec {
    int64_t id;
    int64_t member_id;
    int     kind;                 /* enum pt_id_kind */
    uint8_t blind[PT_BLIND_LEN];  /* keyed hash of the normalised value; unique per kind */
    pt_buf  value;                /* normalised value sealed by the member's data key */
    char    source[PT_LABEL_MAX];
    int64_t added_at;
} pt_identity_rec;

typedef struct pt_order_rec {
    int64_t id;
    int64_t member_id;
    char    order_no[PT_ORDER_NO_MAX]; /* unique across sources: the dedup key */
    char    source[PT_LABEL_MAX];
    char    channel[PT_LABEL_MAX];
    char    store[PT_LABEL_MAX];
    int64_t ordered_at;
    int64_t amount_cents;
    int     status;                    /* enum pt_order_status */
    int64_t import_run;
} pt_order_rec;

typedef struct pt_item_rec {
    int64_t order_id;
    int64_t member_id;
    int     line_no;                   /* unique within an order */
    char    sku[PT_SKU_MAX];
    char    category[PT_CATEGORY_MAX];
    int64_t qty;
    int64_t unit_cents;
    int64_t amount_cents;
} pt_item_rec;

typedef struct pt_event_rec {
    int64_t id;
    int64_t member_id;
    char    kind[PT_LABEL_MAX];        /* checkin, share, review, … */
    int64_t at;
    char    source[PT_LABEL_MAX];
    int64_t value;                     /* kind-specific (e.g. review stars); 0 if none */
} pt_event_rec;

typedef struct pt_survey_rec {
    int64_t id;
    int64_t member_id;
    char    survey[PT_LABEL_MAX];      /* e.g. "nps" */
    int64_t at;
    int     score;                     /* 0–10 for NPS */
    char    source[PT_LABEL_MAX];
} pt_survey_rec;

typedef struct pt_merge_rec {
    int64_t  id;
    int64_t  survivor_id;
    int64_t  loser_id;
    int64_t  merged_at;
    int64_t  undone_at;                /* 0 while in force */
    char     reason[160];              /* which identifiers linked them; no personal values */
    uint32_t fields_taken;             /* bit per pt_field filled from the loser */
    pt_buf   survivor_before;          /* survivor's profile before, sealed by its data key */
} pt_merge_rec;

/* Row kinds a merge moves, for undo. */
enum pt_row_kind {
    PT_ROW_IDENTITY = 1,
    PT_ROW_ORDER = 2,
    PT_ROW_EVENT = 3,
    PT_ROW_SURVEY = 4,
};

typedef struct pt_import_run_rec {
    int64_t id;
    char    kind[16];                  /* members, orders, items, events, surveys */
    char    source[PT_LABEL_MAX];
    char    file[PT_FILE_MAX];
    int64_t started_at;
    int64_t finished_at;
    int64_t rows_read;
    int64_t rows_accepted;
    int64_t rows_rejected;
    int64_t duplicates;                /* rows that repeated an existing record */
    int64_t members_created;
    int64_t members_attached;          /* rows attached to an existing member */
    int64_t members_merged;            /* members merged away by this run */
    int64_t conflicts;
    int64_t filled;                    /* missing values filled by a stated rule */
    pt_buf  missing;                   /* JSON {field: count of rows missing it} */
} pt_import_run_rec;

typedef struct pt_conflict_rec {
    int64_t import_run;
    int64_t member_id;
    int     field;                     /* enum pt_field */
    char    rule[32];                  /* survivorship rule that chose */
    char    kept_source[PT_LABEL_MAX];
    char    other_source[PT_LABEL_MAX];
} pt_conflict_rec;

typedef struct pt_store_stats {
    int64_t members;                   /* rows, including merged-away and erased */
    int64_t members_active;
    int64_t members_frozen;
    int64_t members_erased;
    int64_t members_merged_away;
    int64_t identities;
    int64_t orders;
    int64_t order_cents;
    int64_t items;
    int64_t events;
    int64_t surveys;
    int64_t merges_in_force;
} pt_store_stats;

typedef int (*pt_member_cb)(void *ud, const pt_member_rec *r);
typedef int (*pt_identity_cb)(void *ud, const pt_identity_rec *r);
typedef int (*pt_order_cb)(void *ud, const pt_order_rec *r);
typedef int (*pt_item_cb)(void *ud, const pt_item_rec *r);
typedef int (*pt_event_cb)(void *ud, const pt_event_rec *r);
typedef int (*pt_survey_cb)(void *ud, const pt_survey_rec *r);
typedef int (*pt_import_run_cb)(void *ud, const pt_import_run_rec *r);
typedef int (*pt_conflict_cb)(void *ud, const pt_conflict_rec *r);
typedef int (*pt_row_cb)(void *ud, int kind, int64_t row_id);

/* --- opening -------------------------------------------------------------------------------
 * url: "sqlite:PATH" or a plain path (SQLite), or "postgres://…" / "postgresql://…" (a libpq
 * connection URL; PostgreSQL). Text values are UTF-8 on every backend. Opening applies pending schema migrations in one
 * transaction; a store written by a newer schema fails with PT_ESCHEMA. On failure *out is NULL
 * and, when errmsg is not NULL, the reason is copied there. */
int  pt_store_open(pt_store **out, const char *url, char *errmsg, size_t errmsg_len);
void pt_store_close(pt_store *s);
const char *pt_store_errmsg(const pt_store *s);
const char *pt_store_backend(const pt_store *s); /* "sqlite" or "postgres" */
int  pt_store_schema_version(pt_store *s, int *version);

int pt_store_begin(pt_store *s);
/* A read-only transaction: every read in it sees one consistent state of the store, and it
 * blocks no writer (SQLite: a deferred transaction on the WAL snapshot; PostgreSQL: REPEATABLE
 * READ, READ ONLY). End it with pt_store_rollback. Inside another transaction: a savepoint. */
int pt_store_begin_read(pt_store *s);
int pt_store_commit(pt_store *s);
int pt_store_rollback(pt_store *s);
int pt_store_in_tx(const pt_store *s);

/* Key/value settings kept with the data (e.g. the master key's check value). */
int pt_store_meta_get(pt_store *s, const char *key, pt_buf *val); /* PT_ENOTFOUND if absent */
int pt_store_meta_set(pt_store *s, const char *key, const char *val);

/* --- members ------------------------------------------------------------------------------ */
void pt_member_rec_init(pt_member_rec *r);
void pt_member_rec_free(pt_member_rec *r);
int  pt_store_member_insert(pt_store *s, pt_member_rec *r);       /* sets r->id */
int  pt_store_member_update(pt_store *s, const pt_member_rec *r); /* every column, by id */
int  pt_store_member_get(pt_store *s, int64_t id, pt_member_rec *r);
int  pt_store_member_get_by_no(pt_store *s, const char *member_no, pt_member_rec *r);
int  pt_store_member_scan(pt_store *s, pt_member_cb cb, void *ud); /* by id */

/* --- identities --------------------------------------------------------------------------- */
void pt_identity_rec_init(pt_identity_rec *r);
void pt_identity_rec_free(pt_identity_rec *r);
int  pt_store_identity_insert(pt_store *s, pt_identity_rec *r);   /* PT_EEXIST if (kind, blind) taken */
int  pt_store_identity_update(pt_store *s, const pt_identity_rec *r); /* member_id, value, source */
int  pt_store_identity_find(pt_store *s, int kind, const uint8_t blind[PT_BLIND_LEN], pt_identity_rec *r);
int  pt_store_identity_list(pt_store *s, int64_t member_id, pt_identity_cb cb, void *ud);
int  pt_store_identity_delete_member(pt_store *s, int64_t member_id);
/* Every identity's (kind, blind, member_id), for building an in-memory resolver. The value
 * buffer is left empty. */
int  pt_store_identity_scan(pt_store *s, pt_identity_cb cb, void *ud);

/* --- orders, items, events, surveys ------------------------------------------------------- */
int pt_store_order_insert(pt_store *s, pt_order_rec *r);          /* PT_EEXIST if order_no taken */
int pt_store_order_find_by_no(pt_store *s, const char *order_no, pt_order_rec *r);
int pt_store_order_list(pt_store *s, int64_t member_id, pt_order_cb cb, void *ud);
int pt_store_order_scan(pt_store *s, pt_order_cb cb, void *ud);  /* by member_id, ordered_at */
int pt_store_item_insert(pt_store *s, const pt_item_rec *r);     /* PT_EEXIST if (order, line) taken */
int pt_store_item_list(pt_store *s, int64_t order_id, pt_item_cb cb, void *ud);
int pt_store_event_insert(pt_store *s, pt_event_rec *r);         /* PT_EEXIST if (member, kind, at, source) taken */
int pt_store_event_list(pt_store *s, int64_t member_id, pt_event_cb cb, void *ud);
int pt_store_survey_insert(pt_store *s, pt_survey_rec *r);       /* PT_EEXIST if (member, survey, at) taken */
int pt_store_survey_list(pt_store *s, int64_t member_id, pt_survey_cb cb, void *ud);

/* --- merges ------------------------------------------------------------------------------- */
void pt_merge_rec_init(pt_merge_rec *r);
void pt_merge_rec_free(pt_merge_rec *r);
int  pt_store_merge_insert(pt_store *s, pt_merge_rec *r);
int  pt_store_merge_get(pt_store *s, int64_t id, pt_merge_rec *r);
int  pt_store_merge_mark_undone(pt_store *s, int64_t id, int64_t at);
/* Merges in force that involve member_id (as survivor or loser). */
int  pt_store_merge_list(pt_store *s, int64_t member_id, int (*cb)(void *, const pt_merge_rec *), void *ud);
/* Moves the orders (with their items), events and surveys of `from` to `to`, recording each
 * moved row under merge_id. Identities are moved by the caller (they must be re-sealed). */
int  pt_store_member_move_rows(pt_store *s, int64_t merge_id, int64_t from, int64_t to);
/* Moves the rows recorded under merge_id back to `to`. */
int  pt_store_member_unmove_rows(pt_store *s, int64_t merge_id, int64_t to);
int  pt_store_merge_moved_add(pt_store *s, int64_t merge_id, int kind, int64_t row_id);
int  pt_store_merge_moved_list(pt_store *s, int64_t merge_id, pt_row_cb cb, void *ud);

/* --- import runs and data quality --------------------------------------------------------- */
void pt_import_run_rec_init(pt_import_run_rec *r);
void pt_import_run_rec_free(pt_import_run_rec *r);
int  pt_store_import_run_insert(pt_store *s, pt_import_run_rec *r);
/* Rewrites the counts of a run inserted earlier (by id). */
int  pt_store_import_run_update(pt_store *s, const pt_import_run_rec *r);
int  pt_store_import_run_scan(pt_store *s, pt_import_run_cb cb, void *ud);
int  pt_store_conflict_insert(pt_store *s, const pt_conflict_rec *r);
int  pt_store_conflict_scan(pt_store *s, pt_conflict_cb cb, void *ud);

int  pt_store_stats_get(pt_store *s, pt_store_stats *out);

/* --- bulk reads for analytics ------------------------------------------------------------- *
 * Every order's analytic columns, in (member_id, ordered_at, id) order, streamed in batches of
 * up to PT_COLUMNS_BATCH rows — never record by record. SQLite: one prepared scan; PostgreSQL:
 * one COPY (SELECT …) TO STDOUT in binary format, which is one consistent snapshot of the
 * table. The callback must not call the store; a non-zero return stops the stream. channel[i]
 * is the order's channel name, NUL-terminated within PT_LABEL_MAX bytes; id[i] is the order's
 * id, which pt_store_item_columns names. */
#define PT_COLUMNS_BATCH 65536
typedef struct pt_order_columns {
    size_t         n;
    const int64_t *member_id;
    const int64_t *ordered_at;
    const int64_t *amount_cents;
    const int32_t *status;
    const int64_t *id;
    const char   (*channel)[PT_LABEL_MAX];
} pt_order_columns;
typedef int (*pt_order_columns_cb)(void *ud, const pt_order_columns *batch);
int  pt_store_order_columns(pt_store *s, pt_order_columns_cb cb, void *ud);

/* Every member's analytic columns (merged-away and erased members included), ascending by id,
 * in batches of up to PT_COLUMNS_BATCH rows, the same way as the orders: one prepared scan on
 * SQLite, one binary COPY on PostgreSQL. merged_into is 0 for a member not merged away;
 * consent holds PT_CONSENT_BIT(kind) bits; status is enum pt_member_status. */
typedef struct pt_member_columns {
    size_t          n;
    const int64_t  *id;
    const int64_t  *registered_at; /* UTC epoch s */
    const int64_t  *merged_into;   /* survivor id, or 0 */
    const int32_t  *status;
    const uint32_t *consent;
} pt_member_columns;
typedef int (*pt_member_columns_cb)(void *ud, const pt_member_columns *batch);
int  pt_store_member_columns(pt_store *s, pt_member_columns_cb cb, void *ud);

/* Every survey answer's analytic columns, in (member_id, at, id) order, in batches of up to
 * PT_COLUMNS_BATCH rows, the same way: one prepared scan on SQLite, one binary COPY on
 * PostgreSQL. survey[i] is the survey's name (e.g. "nps"), NUL-terminated within PT_LABEL_MAX
 * bytes; score is as imported (0–10 for NPS). Answers of merged-away members that the survivor
 * already had stay with the merged-away member. */
typedef struct pt_survey_columns {
    size_t         n;
    const int64_t *member_id;
    const char   (*survey)[PT_LABEL_MAX];
    const int64_t *at;    /* UTC epoch s */
    const int32_t *score;
} pt_survey_columns;
typedef int (*pt_survey_columns_cb)(void *ud, const pt_survey_columns *batch);
int  pt_store_survey_columns(pt_store *s, pt_survey_columns_cb cb, void *ud);

/* Every points account's analytic columns (store_ledger.h), ascending by member_id, in batches
 * of up to PT_COLUMNS_BATCH rows, the same way. tier[i] is the current tier code ("" without
 * one), NUL-terminated within PT_LABEL_MAX bytes (= PT_CODE_MAX). Members without ledger
 * activity have no account row. */
typedef struct pt_account_columns {
    size_t         n;
    const int64_t *member_id;
    const int64_t *balance; /* available points */
    const int64_t *pending; /* points in the return window */
    const char   (*tier)[PT_LABEL_MAX];
} pt_account_columns;
typedef int (*pt_account_columns_cb)(void *ud, const pt_account_columns *batch);
int  pt_store_account_columns(pt_store *s, pt_account_columns_cb cb, void *ud);

/* Every order line's analytic columns, in the order of pt_store_order_columns (the line's
 * order by (member_id, ordered_at, id)), then by line_no within an order; orders without lines
 * contribute none. In batches of up to PT_COLUMNS_BATCH rows, the same way: one prepared scan
 * on SQLite, one binary COPY on PostgreSQL. sku and category are NUL-terminated within their
 * sizes; amount_cents is the line's amount as imported. */
typedef struct pt_item_columns {
    size_t         n;
    const int64_t *order_id;
    const char   (*sku)[PT_SKU_MAX];
    const char   (*category)[PT_CATEGORY_MAX]; /* "" when none */
    const int64_t *qty;
    const int64_t *amount_cents;
} pt_item_columns;
typedef int (*pt_item_columns_cb)(void *ud, const pt_item_columns *batch);
int  pt_store_item_columns(pt_store *s, pt_item_columns_cb cb, void *ud);

/* Every member event's analytic columns (check-ins, reviews, shares, … as imported), in
 * (member_id, at, id) order, in batches of up to PT_COLUMNS_BATCH rows, the same way. kind[i]
 * is NUL-terminated within PT_LABEL_MAX bytes; value is kind-specific (0 if none). */
typedef struct pt_event_columns {
    size_t         n;
    const int64_t *member_id;
    const char   (*kind)[PT_LABEL_MAX];
    const int64_t *at;    /* UTC epoch s */
    const int64_t *value;
} pt_event_columns;
typedef int (*pt_event_columns_cb)(void *ud, const pt_event_columns *batch);
int  pt_store_event_columns(pt_store *s, pt_event_columns_cb cb, void *ud);

/* --- write-ahead log upkeep (a long-running writer: patron serve) ------------------------------
 * pt_store_wal_watch: after each commit on this handle, cb gets the length of the write-ahead
 * log in pages, and commits on this handle no longer copy the log back into the database
 * themselves (SQLite's automatic checkpoint is off for it): the caller checkpoints from another
 * handle with pt_store_wal_checkpoint, off its commit path. Durability is unchanged (each
 * commit still syncs the log). pt_store_wal_checkpoint copies what it can of the log into the
 * database without blocking readers or the writer (SQLite's PASSIVE checkpoint; the database is
 * synced before the log may be reused) and reports the log's length and the pages copied.
 * On a backend without such a log (PostgreSQL) both do nothing and return PT_OK (zeros). */
int pt_store_wal_watch(pt_store *s, void (*cb)(void *ud, int log_pages), void *ud);
int pt_store_wal_checkpoint(pt_store *s, int *log_pages, int *copied_pages);

#endif

/* store_copy.h — moving a whole store to another backend (SQLite ↔ PostgreSQL, or to another
 * store of the same kind), verified.
 *
 * The copy works on tables, not records: every column of every table travels, with its ids,
 * so rows that name each other (members.merged_into, merge_moved.row_id, …) still do. Both
 * stores must be at the same schema version (else PT_ESCHEMA) and the destination must hold no
 * data (else PT_ESTATE): a store fresh from pt_store_open or `patron init`, whose only rows may
 * be in `meta`. Meta rows are merged: a key the destination already has must hold the same
 * value (so a destination bound to another master key is refused, PT_ESTATE); the source's
 * other keys are added — the master key check among them, so the source's master.key opens
 * the copy.
 *
 * The whole copy is one destination transaction: on any failure the destination is left as it
 * was. Before committing, every destination table is read back and its row count and content
 * checksum compared with what was read from the source; a difference is PT_ECORRUPT naming the
 * table. The source is read inside one transaction of its own, so the copy is a consistent
 * snapshot (on SQLite that transaction also keeps writers out of the source meanwhile).
 *
 * Content checksum of a table: the sum modulo 2^64 of a 64-bit hash (SipHash-2-4 with a zero
 * key) of each row's canonical encoding (columns in the order of their names; each NULL, an
 * integer, or bytes — text and blobs alike), so it depends neither on the order of rows or
 * columns nor on the backend the rows came from: the same table has the same checksum in
 * every store that holds it.
 *
 * Errors: the message is in rep->errmsg (and on the store handle where the failure arose).
 */
#ifndef PATRON_STORE_COPY_H
#define PATRON_STORE_COPY_H

#include "patron/store.h"

#include <stdint.h>

#define PT_STORE_COPY_TABLES_MAX 64
#define PT_STORE_TABLE_NAME_MAX  64

/* done and total count rows handled (each row is copied, then read back: total is twice the
 * source's rows); rows is the number of rows copied so far. Called every few thousand rows. */
typedef void (*pt_store_copy_progress_fn)(void *ud, uint64_t done, uint64_t total, int64_t rows);

typedef struct pt_store_copy_opts {
    pt_store_copy_progress_fn progress; /* NULL: none */
    void                     *progress_ud;
} pt_store_copy_opts;

typedef struct pt_store_copy_table {
    char     name[PT_STORE_TABLE_NAME_MAX];
    int64_t  rows_source;      /* rows read from the source */
    int64_t  rows_copied;      /* rows written (meta: source rows the destination lacked) */
    int64_t  rows_destination; /* rows read back from the destination */
    uint64_t sum_source;       /* content checksum of the source rows */
    uint64_t sum_destination;  /* content checksum of the destination rows read back */
    int      ok;               /* destination == source (meta: + rows it already held) */
} pt_store_copy_table;

/* Headline figures, computed from the rows as they pass (source) and as read back (dest). */
typedef struct pt_store_copy_figures {
    int64_t members;     /* rows of members */
    int64_t orders;      /* rows of orders */
    int64_t order_cents; /* sum of orders.amount_cents */
    int64_t points;      /* sum of ledger_entries.points, when that table exists */
} pt_store_copy_figures;

typedef struct pt_store_copy_report {
    int                   schema_version;
    int                   ntables;          /* in the order they were copied */
    pt_store_copy_table   tables[PT_STORE_COPY_TABLES_MAX];
    int                   has_ledger;       /* ledger_entries exists: points are meaningful */
    pt_store_copy_figures source;
    pt_store_copy_figures destination;
    int64_t               rows_total;       /* rows copied over all tables */
    char                  errmsg[512];      /* why it failed; "" on success */
} pt_store_copy_report;

/* Copies every table of `from` into the empty store `to` (see above). rep may be NULL; it is
 * filled as far as the copy got, also on failure. Neither store may be inside a transaction. */
int pt_store_copy(pt_store *from, pt_store *to, const pt_store_copy_opts *opts, pt_store_copy_report *rep);

/* The tables of a store (bookkeeping tables excluded) with their row counts, sorted by name:
 * for `patron store info`. */
typedef struct pt_store_table_count {
    char    name[PT_STORE_TABLE_NAME_MAX];
    int64_t rows;
} pt_store_table_count;

int pt_store_table_counts(pt_store *s, pt_store_table_count *out, int cap, int *n);

#endif

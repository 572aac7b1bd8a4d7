/* store_copy_int.h — the table streams store_copy.c moves rows through: one implementation per
 * backend (store_copy_sqlite.c, store_copy_pg.c), working on the backend's raw connection.
 *
 * A stream lists a store's tables and columns from its catalogue, counts rows, reads a table's
 * rows as typed values (NULL, integer, text, blob) in a column order the caller gives, and
 * writes rows into a table. Values passed to a row callback are valid only during the call.
 * Every function returns 0 or a negative PT_E* code with the detail recorded on the store
 * handle (pt__store_error). Names are checked to be plain identifiers ([a-z0-9_], starting with
 * a letter or '_') before they are put into SQL.
 */
#ifndef PATRON_STORE_COPY_INT_H
#define PATRON_STORE_COPY_INT_H

#include "patron/store_copy.h"
#include "store_int.h"

#include <stddef.h>
#include <stdint.h>

#define PT__COPY_NAME_MAX PT_STORE_TABLE_NAME_MAX
#define PT__COPY_COLS_MAX 128

/* What a column holds, as the backend declares it. SQLite columns are PT__CT_ANY (values carry
 * their own type); PostgreSQL's are one of the others. */
enum pt__copy_type {
    PT__CT_ANY,
    PT__CT_INT2,
    PT__CT_INT4,
    PT__CT_INT8,
    PT__CT_BOOL, /* travels as integer 0 / 1 */
    PT__CT_TEXT,
    PT__CT_BYTES,
};

enum pt__copy_kind { PT__CV_NULL, PT__CV_INT, PT__CV_TEXT, PT__CV_BLOB };

struct pt__copy_value {
    int            kind; /* enum pt__copy_kind */
    int64_t        i;    /* PT__CV_INT */
    const uint8_t *p;    /* PT__CV_TEXT / PT__CV_BLOB (may be NULL when n == 0) */
    size_t         n;
};

/* The columns of one table on one store, in a given order. has_seq marks a column whose
 * values come from a sequence (PostgreSQL identity or serial), reset after loading. */
struct pt__copy_cols {
    int  n;
    char name[PT__COPY_COLS_MAX][PT__COPY_NAME_MAX];
    int  type[PT__COPY_COLS_MAX];
    int  has_seq[PT__COPY_COLS_MAX];
};

typedef int (*pt__copy_row_fn)(void *ud, const struct pt__copy_value *vals, int n);

struct pt__copy_writer; /* one table being loaded; backend-private */

struct pt__copy_stream {
    /* Where the store lives, to tell two handles on one store apart from two stores. */
    int (*where)(pt_store *s, char *out, size_t cap);
    /* Tables in the store's own schema, bookkeeping excluded (sqlite_*, schema_version). */
    int (*tables)(pt_store *s, char (*names)[PT__COPY_NAME_MAX], int cap, int *n);
    int (*columns)(pt_store *s, const char *table, struct pt__copy_cols *out);
    int (*count)(pt_store *s, const char *table, int64_t *rows);
    /* Calls fn once per row with the columns of `cols` (names and types of this store). */
    int (*read)(pt_store *s, const char *table, const struct pt__copy_cols *cols, pt__copy_row_fn fn, void *ud);
    /* Around the load into a destination: load_begin just before its transaction begins
     * (SQLite turns foreign keys off, keeping the setting in *saved), load_check after every
     * table is written and before the commit (SQLite checks every foreign key once, naming the
     * table whose rows lack a parent), load_end after the transaction ended, committed or not
     * (SQLite restores the setting). */
    int (*load_begin)(pt_store *s, int *saved);
    int (*load_check)(pt_store *s);
    void (*load_end)(pt_store *s, int saved);
    int (*writer_open)(pt_store *s, const char *table, const struct pt__copy_cols *cols, struct pt__copy_writer **w);
    int (*writer_row)(struct pt__copy_writer *w, const struct pt__copy_value *vals);
    /* Finishes the table (finish != 0) or abandons it; frees w either way. */
    int (*writer_close)(struct pt__copy_writer *w, int finish);
    /* After a table is loaded: moves its sequences past the largest value copied. */
    int (*table_loaded)(pt_store *s, const char *table, const struct pt__copy_cols *cols);
};

extern const struct pt__copy_stream pt__copy_sqlite;
extern const struct pt__copy_stream pt__copy_pg;

/* 1 when name is a plain lower-case identifier we may put into SQL (quoted) as is. */
int pt__copy_name_ok(const char *name);

#endif

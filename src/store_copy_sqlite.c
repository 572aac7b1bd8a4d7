/* store_copy_sqlite.c — the SQLite table stream of `store copy` (see store_copy_int.h).
 *
 * Tables come from sqlite_master (sqlite_* internals skipped), columns from
 * pragma_table_xinfo (generated or hidden columns are refused: they cannot be written). Rows are
 * read with one SELECT of the named columns and written with one prepared INSERT per table,
 * inside the transaction store_copy.c opened with pt_store_begin. Values keep the type SQLite
 * stored them with; a floating-point value is refused (the store never writes one). Foreign
 * keys are off on the destination's connection while it loads (set before its transaction and
 * restored after it), so rows may name rows that come later — members.merged_into points either
 * way — and are checked once, before the commit, with PRAGMA foreign_key_check, which names the
 * table. (Deferring them instead costs a scan of every child table per parent row whenever a
 * violation is pending: quadratic on members, whose merged_into has no index.)
 */
#include "store_copy_int.h"
#include "patron/error.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pt__copy_writer {
    pt_store     *s;
    sqlite3_stmt *st;
    int           ncols;
    char          table[PT__COPY_NAME_MAX];
};

static sqlite3 *DB(pt_store *s)
{
    return pt__store_sqlite_handle(s);
}

/* Maps an SQLite failure onto a PT_E* code and records it on the store. */
static int sq_copy_fail(pt_store *s, int src, const char *doing, const char *table)
{
    int rc = PT_ESTORE;
    switch (src & 0xff) {
    case SQLITE_CONSTRAINT:
        rc = (src == SQLITE_CONSTRAINT_UNIQUE || src == SQLITE_CONSTRAINT_PRIMARYKEY) ? PT_EEXIST : PT_EINVAL;
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: rc = PT_EBUSY; break;
    case SQLITE_NOMEM: rc = PT_ENOMEM; break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: rc = PT_ECORRUPT; break;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY: rc = PT_EIO; break;
    case SQLITE_TOOBIG: rc = PT_ETOOBIG; break;
    default: break;
    }
    return pt__store_error(s, rc, "sqlite: %s %s: %s", doing, table, sqlite3_errmsg(DB(s)));
}

static int prepare(pt_store *s, const char *sql, sqlite3_stmt **st, const char *table)
{
    int src = sqlite3_prepare_v2(DB(s), sql, -1, st, NULL);
    return src == SQLITE_OK ? PT_OK : sq_copy_fail(s, sqlite3_extended_errcode(DB(s)), "preparing for", table);
}

static int sq_where(pt_store *s, char *out, size_t cap)
{
    const char *f = sqlite3_db_filename(DB(s), "main");
    snprintf(out, cap, "sqlite:%s", f ? f : "");
    return PT_OK;
}

static int sq_tables(pt_store *s, char (*names)[PT__COPY_NAME_MAX], int cap, int *n)
{
    sqlite3_stmt *st;
    *n = 0;
    int rc = prepare(s,
                     "SELECT name FROM sqlite_master WHERE type = 'table'"
                     " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                     &st, "catalogue");
    int src = SQLITE_DONE;
    while (rc == PT_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (*n == cap)
            rc = pt__store_error(s, PT_ETOOBIG, "store copy: more than %d tables", cap);
        else if (!pt__copy_name_ok(name))
            rc = pt__store_error(s, PT_ESCHEMA, "store copy: table name \"%s\" is not a plain identifier", name);
        else
            snprintf(names[(*n)++], PT__COPY_NAME_MAX, "%s", name);
    }
    if (rc == PT_OK && src != SQLITE_DONE)
        rc = sq_copy_fail(s, sqlite3_extended_errcode(DB(s)), "listing", "tables");
    sqlite3_finalize(st);
    return rc;
}

static int sq_columns(pt_store *s, const char *table, struct pt__copy_cols *out)
{
    sqlite3_stmt *st;
    out->n = 0;
    int rc = prepare(s, "SELECT name, hidden FROM pragma_table_xinfo(?1) ORDER BY cid", &st, table);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    int src = SQLITE_DONE;
    while (rc == PT_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (out->n == PT__COPY_COLS_MAX)
            rc = pt__store_error(s, PT_ETOOBIG, "store copy: table %s has more than %d columns", table,
                                 PT__COPY_COLS_MAX);
        else if (!pt__copy_name_ok(name))
            rc = pt__store_error(s, PT_ESCHEMA, "store copy: column %s.\"%s\" is not a plain identifier", table, name);
        else if (sqlite3_column_int(st, 1) != 0)
            rc = pt__store_error(s, PT_ESCHEMA, "store copy: column %s.%s is generated; it cannot be copied", table, name);
        if (rc)
            break;
        snprintf(out->name[out->n], PT__COPY_NAME_MAX, "%s", name);
        out->type[out->n] = PT__CT_ANY;
        out->has_seq[out->n] = 0; /* a rowid continues from the largest one by itself */
        out->n++;
    }
    if (rc == PT_OK && src != SQLITE_DONE)
        rc = sq_copy_fail(s, sqlite3_extended_errcode(DB(s)), "listing columns of", table);
    sqlite3_finalize(st);
    return rc;
}

static int sq_count(pt_store *s, const char *table, int64_t *rows)
{
    char sql[128];
    sqlite3_stmt *st;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", table);
    int rc = prepare(s, sql, &st, table);
    if (rc)
        return rc;
    int src = sqlite3_step(st);
    *rows = src == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    if (src != SQLITE_ROW)
        rc = sq_copy_fail(s, sqlite3_extended_errcode(DB(s)), "counting rows of", table);
    sqlite3_finalize(st);
    return rc;
}

/* "prefix "c1", "c2", … suffix" into b. */
static int column_list(pt_buf *b, const char *prefix, const struct pt__copy_cols *cols, const char *suffix)
{
    int rc = pt_buf_append_str(b, prefix);
    for (int i = 0; rc == PT_OK && i < cols->n; i++)
        rc = pt_buf_appendf(b, "%s\"%s\"", i ? ", " : "", cols->name[i]);
    return rc ? rc : pt_buf_append_str(b, suffix);
}

/* One result row as values; PT_ESCHEMA for a floating-point value. */
static int row_values(pt_store *s, sqlite3_stmt *st, const char *table, const struct pt__copy_cols *cols,
                      struct pt__copy_value *v)
{
    for (int i = 0; i < cols->n; i++) {
        memset(&v[i], 0, sizeof v[i]);
        switch (sqlite3_column_type(st, i)) {
        case SQLITE_NULL: v[i].kind = PT__CV_NULL; break;
        case SQLITE_INTEGER:
            v[i].kind = PT__CV_INT;
            v[i].i = sqlite3_column_int64(st, i);
            break;
        case SQLITE_TEXT:
            v[i].kind = PT__CV_TEXT;
            v[i].p = sqlite3_column_text(st, i);
            v[i].n = (size_t)sqlite3_column_bytes(st, i);
            break;
        case SQLITE_BLOB:
            v[i].kind = PT__CV_BLOB;
            v[i].p = sqlite3_column_blob(st, i);
            v[i].n = (size_t)sqlite3_column_bytes(st, i);
            break;
        default:
            return pt__store_error(s, PT_ESCHEMA, "store copy: %s.%s holds a floating-point value, which a"
                                   " copy does not carry", table, cols->name[i]);
        }
    }
    return PT_OK;
}

static int sq_read(pt_store *s, const char *table, const struct pt__copy_cols *cols, pt__copy_row_fn fn, void *ud)
{
    pt_buf sql;
    sqlite3_stmt *st = NULL;
    struct pt__copy_value v[PT__COPY_COLS_MAX];
    pt_buf_init(&sql, 64 << 10);
    int rc = column_list(&sql, "SELECT ", cols, " FROM \"");
    if (rc == PT_OK)
        rc = pt_buf_appendf(&sql, "%s\"", table);
    if (rc == PT_OK)
        rc = prepare(s, pt_buf_str(&sql), &st, table);
    int src = SQLITE_DONE;
    while (rc == PT_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        rc = row_values(s, st, table, cols, v);
        if (rc == PT_OK)
            rc = fn(ud, v, cols->n);
    }
    if (rc == PT_OK && src != SQLITE_DONE)
        rc = sq_copy_fail(s, sqlite3_extended_errcode(DB(s)), "reading", table);
    sqlite3_finalize(st);
    pt_buf_free(&sql);
    return rc;
}

static int pragma_int(pt_store *s, const char *sql, int *out)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(DB(s), sql, -1, &st, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        *out = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return src == SQLITE_ROW ? PT_OK : sq_copy_fail(s, sqlite3_extended_errcode(DB(s)), "reading", sql);
}

/* Foreign keys off for the load (outside a transaction, where SQLite allows the change). */
static int sq_load_begin(pt_store *s, int *saved)
{
    int now = 1;
    int rc = pragma_int(s, "PRAGMA foreign_keys", saved);
    if (rc == PT_OK && sqlite3_exec(DB(s), "PRAGMA foreign_keys = OFF", NULL, NULL, NULL) != SQLITE_OK)
        rc = sq_copy_fail(s, sqlite3_extended_errcode(DB(s)), "turning off foreign keys for", "the copy");
    if (rc == PT_OK)
        rc = pragma_int(s, "PRAGMA foreign_keys", &now);
    if (rc == PT_OK && now != 0)
        rc = pt__store_error(s, PT_ESTATE, "store copy: foreign keys cannot be turned off for the copy");
    return rc;
}

/* Every foreign key of every table, checked once over the loaded rows. */
static int sq_load_check(pt_store *s)
{
    sqlite3_stmt *st = NULL;
    int rc = prepare(s, "PRAGMA foreign_key_check", &st, "foreign keys");
    if (rc)
        return rc;
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        const char *child = (const char *)sqlite3_column_text(st, 0);
        const char *parent = (const char *)sqlite3_column_text(st, 2);
        rc = pt__store_error(s, PT_EINVAL, "store copy: rows of %s name rows of %s that the source does not have"
                             " (FOREIGN KEY constraint failed)", child ? child : "?", parent ? parent : "?");
    } else if (src != SQLITE_DONE) {
        rc = sq_copy_fail(s, sqlite3_extended_errcode(DB(s)), "checking", "foreign keys");
    }
    sqlite3_finalize(st);
    return rc;
}

static void sq_load_end(pt_store *s, int saved)
{
    sqlite3_exec(DB(s), saved ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF", NULL, NULL, NULL);
}

static int sq_writer_open(pt_store *s, const char *table, const struct pt__copy_cols *cols, struct pt__copy_writer **out)
{
    pt_buf sql;
    *out = NULL;
    struct pt__copy_writer *w = calloc(1, sizeof *w);
    if (!w)
        return pt__store_error(s, PT_ENOMEM, "store copy: out of memory");
    w->s = s;
    w->ncols = cols->n;
    snprintf(w->table, sizeof w->table, "%s", table);
    pt_buf_init(&sql, 64 << 10);
    int rc = pt_buf_appendf(&sql, "INSERT INTO \"%s\" ", table);
    if (rc == PT_OK)
        rc = column_list(&sql, "(", cols, ") VALUES (");
    for (int i = 0; rc == PT_OK && i < cols->n; i++)
        rc = pt_buf_append_str(&sql, i ? ", ?" : "?");
    if (rc == PT_OK)
        rc = pt_buf_append_str(&sql, ")");
    if (rc)
        rc = pt__store_error(s, rc, "store copy: building the insert for %s", table);
    if (rc == PT_OK)
        rc = prepare(s, pt_buf_str(&sql), &w->st, table);
    pt_buf_free(&sql);
    if (rc) {
        sqlite3_finalize(w->st);
        free(w);
        return rc;
    }
    *out = w;
    return PT_OK;
}

static void bind_value(sqlite3_stmt *st, int i, const struct pt__copy_value *v)
{
    static const char empty[1] = "";
    const void *p = v->p ? (const void *)v->p : (const void *)empty;
    switch (v->kind) {
    case PT__CV_INT: sqlite3_bind_int64(st, i, v->i); break;
    case PT__CV_TEXT: sqlite3_bind_text64(st, i, p, v->n, SQLITE_STATIC, SQLITE_UTF8); break;
    case PT__CV_BLOB: sqlite3_bind_blob64(st, i, p, v->n, SQLITE_STATIC); break;
    default: sqlite3_bind_null(st, i); break;
    }
}

static int sq_writer_row(struct pt__copy_writer *w, const struct pt__copy_value *vals)
{
    for (int i = 0; i < w->ncols; i++)
        bind_value(w->st, i + 1, &vals[i]);
    int src = sqlite3_step(w->st);
    int rc = src == SQLITE_DONE ? PT_OK : sq_copy_fail(w->s, sqlite3_extended_errcode(DB(w->s)), "writing", w->table);
    sqlite3_reset(w->st);
    sqlite3_clear_bindings(w->st);
    return rc;
}

static int sq_writer_close(struct pt__copy_writer *w, int finish)
{
    (void)finish; /* rows are in the transaction already; the caller commits or rolls back */
    if (w) {
        sqlite3_finalize(w->st);
        free(w);
    }
    return PT_OK;
}

static int sq_table_loaded(pt_store *s, const char *table, const struct pt__copy_cols *cols)
{
    (void)s;
    (void)table;
    (void)cols;
    return PT_OK;
}

const struct pt__copy_stream pt__copy_sqlite = {
    .where = sq_where,
    .tables = sq_tables,
    .columns = sq_columns,
    .count = sq_count,
    .read = sq_read,
    .load_begin = sq_load_begin,
    .load_check = sq_load_check,
    .load_end = sq_load_end,
    .writer_open = sq_writer_open,
    .writer_row = sq_writer_row,
    .writer_close = sq_writer_close,
    .table_loaded = sq_table_loaded,
};

/* store_copy_pg.c — the PostgreSQL table stream of `store copy` (see store_copy_int.h).
 *
 * Tables and columns come from pg_catalog, in current_schema() (tests and tenants select their
 * schema with search_path); schema_version is bookkeeping and skipped. Rows travel with COPY in
 * the binary format, both ways: `COPY (SELECT cols FROM t) TO STDOUT` to read and
 * `COPY t (cols) FROM STDIN` to load, on the store's own connection and inside the transaction
 * store_copy.c opened. Binary rather than text because the bytes of text and bytea values then
 * travel as they are — no escaping layer to get wrong, no hex doubling of the sealed blobs — and
 * integers are fixed-width; the format is stable for the types carried here (int2, int4, int8,
 * bool, text, varchar, bytea; any other type is refused, PT_ESCHEMA).
 *
 * Reading parses the stream from a buffer without assuming how the server cut it into
 * messages; a callback failure drains the rest of the COPY so the connection stays usable (the
 * transaction is rolled back by the caller). Loading sends rows in batches of about 1 MiB; an
 * abandoned load is ended with an error, which aborts the transaction. After a table is
 * loaded, each identity or serial column's sequence is restarted past the largest value copied
 * (ALTER SEQUENCE, which a rollback undoes; setval would survive it).
 * Error messages carry SQLSTATE and the server's primary message, never DETAIL or CONTEXT
 * (they quote values), and no message text for data exceptions (class 22).
 */
#include "store_copy_int.h"
#include "patron/error.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COPY_BATCH   ((size_t)1 << 20)
#define COPY_ROW_MAX ((size_t)256 << 20) /* largest row the reader buffers */

static const char signature[11] = "PGCOPY\n\377\r\n";

static PGconn *CONN(pt_store *s)
{
    return pt__store_pg_conn(s);
}

/* --- errors ------------------------------------------------------------------------------- */

static int map_state(const char *st)
{
    if (!st)
        return PT_EIO;
    if (strcmp(st, "23505") == 0)
        return PT_EEXIST;
    if (strncmp(st, "23", 2) == 0 || strncmp(st, "22", 2) == 0)
        return PT_EINVAL;
    if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0)
        return PT_ERETRY;
    if (strcmp(st, "55P03") == 0 || strcmp(st, "57014") == 0)
        return PT_EBUSY;
    if (strncmp(st, "08", 2) == 0 || strncmp(st, "53", 2) == 0 || strncmp(st, "58", 2) == 0)
        return PT_EIO;
    if (strcmp(st, "25P02") == 0)
        return PT_ESTATE;
    if (strcmp(st, "XX001") == 0 || strcmp(st, "XX002") == 0)
        return PT_ECORRUPT;
    return PT_ESTORE;
}

/* Records a failed result (res may be NULL: the connection's message is used). */
static int pg_copy_fail(pt_store *s, const PGresult *res, const char *doing, const char *table)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg)
        msg = PQerrorMessage(CONN(s));
    if (state && strncmp(state, "22", 2) == 0)
        msg = "invalid value";
    int n = (int)strcspn(msg ? msg : "", "\r\n");
    return pt__store_error(s, map_state(state), "postgres: %s %s: %.*s%s%s%s", doing, table, n, msg ? msg : "",
                           state ? " (SQLSTATE " : "", state ? state : "", state ? ")" : "");
}

/* Collects the results that end a command; PT_OK if none failed. */
static int finish_results(pt_store *s, const char *doing, const char *table)
{
    int rc = PT_OK;
    PGresult *res;
    while ((res = PQgetResult(CONN(s))) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (rc == PT_OK && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
            rc = pg_copy_fail(s, res, doing, table);
        PQclear(res);
    }
    return rc;
}

/* Discards the results that end a command, after a failure already recorded. */
static void drain_results(pt_store *s)
{
    PGresult *res;
    while ((res = PQgetResult(CONN(s))) != NULL)
        PQclear(res);
}

/* Runs a query with text parameters that returns rows; the caller clears *out on success. */
static int query(pt_store *s, const char *sql, int nparams, const char *const *params, PGresult **out,
                 const char *doing, const char *table)
{
    PGresult *res = PQexecParams(CONN(s), sql, nparams, NULL, params, NULL, NULL, 0);
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        int rc = pg_copy_fail(s, res, doing, table);
        PQclear(res);
        return rc;
    }
    *out = res;
    return PT_OK;
}

/* --- catalogue ---------------------------------------------------------------------------- */

static int pg_where(pt_store *s, char *out, size_t cap)
{
    PGresult *res;
    int rc = query(s, "SELECT current_schema()", 0, NULL, &res, "reading", "the schema");
    if (rc)
        return rc;
    const char *host = PQhost(CONN(s)), *port = PQport(CONN(s)), *db = PQdb(CONN(s));
    snprintf(out, cap, "postgres:%s:%s/%s/%s", host ? host : "", port ? port : "", db ? db : "",
             PQntuples(res) ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
    return PT_OK;
}

static int pg_tables(pt_store *s, char (*names)[PT__COPY_NAME_MAX], int cap, int *n)
{
    PGresult *res;
    *n = 0;
    int rc = query(s,
                   "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                   " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
                   " AND c.relname <> 'schema_version' ORDER BY 1",
                   0, NULL, &res, "listing", "tables");
    if (rc)
        return rc;
    for (int i = 0; rc == PT_OK && i < PQntuples(res); i++) {
        const char *name = PQgetvalue(res, i, 0);
        if (*n == cap)
            rc = pt__store_error(s, PT_ETOOBIG, "store copy: more than %d tables", cap);
        else if (pt__store_pg_derived_table(name))
            continue; /* rebuilt by pg_load_check */
        else if (!pt__copy_name_ok(name))
            rc = pt__store_error(s, PT_ESCHEMA, "store copy: table name \"%s\" is not a plain identifier", name);
        else
            snprintf(names[(*n)++], PT__COPY_NAME_MAX, "%s", name);
    }
    PQclear(res);
    return rc;
}

static int type_of(const char *typname)
{
    static const struct { const char *name; int type; } map[] = {
        {"int2", PT__CT_INT2}, {"int4", PT__CT_INT4}, {"int8", PT__CT_INT8}, {"bool", PT__CT_BOOL},
        {"text", PT__CT_TEXT}, {"varchar", PT__CT_TEXT}, {"bytea", PT__CT_BYTES},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strcmp(map[i].name, typname) == 0)
            return map[i].type;
    return -1;
}

/* One catalogue row (name, type, has a sequence, generated) into out; PT_ESCHEMA if it cannot
 * be copied. */
static int add_column(pt_store *s, const char *table, const PGresult *res, int row, struct pt__copy_cols *out)
{
    const char *name = PQgetvalue(res, row, 0);
    const char *typname = PQgetvalue(res, row, 1);
    int type = type_of(typname);
    if (out->n == PT__COPY_COLS_MAX)
        return pt__store_error(s, PT_ETOOBIG, "store copy: table %s has more than %d columns", table,
                               PT__COPY_COLS_MAX);
    if (!pt__copy_name_ok(name))
        return pt__store_error(s, PT_ESCHEMA, "store copy: column %s.\"%s\" is not a plain identifier", table, name);
    if (type < 0)
        return pt__store_error(s, PT_ESCHEMA, "store copy: column %s.%s has type %s, which a copy does not carry",
                               table, name, typname);
    if (strcmp(PQgetvalue(res, row, 3), "t") == 0)
        return pt__store_error(s, PT_ESCHEMA, "store copy: column %s.%s is generated; it cannot be copied", table, name);
    snprintf(out->name[out->n], PT__COPY_NAME_MAX, "%s", name);
    out->type[out->n] = type;
    out->has_seq[out->n] = strcmp(PQgetvalue(res, row, 2), "t") == 0;
    out->n++;
    return PT_OK;
}

static int pg_columns(pt_store *s, const char *table, struct pt__copy_cols *out)
{
    /* attgenerated exists from PostgreSQL 12 on. */
    static const char *const sql[2] = {
        "SELECT a.attname, t.typname, pg_get_serial_sequence(format('%I.%I', current_schema(), $1::text),"
        " a.attname) IS NOT NULL, false FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
        " WHERE a.attrelid = format('%I.%I', current_schema(), $1::text)::regclass AND a.attnum > 0"
        " AND NOT a.attisdropped ORDER BY a.attnum",
        "SELECT a.attname, t.typname, pg_get_serial_sequence(format('%I.%I', current_schema(), $1::text),"
        " a.attname) IS NOT NULL, a.attgenerated <> '' FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
        " WHERE a.attrelid = format('%I.%I', current_schema(), $1::text)::regclass AND a.attnum > 0"
        " AND NOT a.attisdropped ORDER BY a.attnum",
    };
    PGresult *res;
    out->n = 0;
    int rc = query(s, sql[PQserverVersion(CONN(s)) >= 120000], 1, &table, &res, "listing columns of", table);
    if (rc)
        return rc;
    for (int i = 0; rc == PT_OK && i < PQntuples(res); i++)
        rc = add_column(s, table, res, i, out);
    PQclear(res);
    return rc;
}

static int pg_count(pt_store *s, const char *table, int64_t *rows)
{
    char sql[128];
    PGresult *res;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", table);
    int rc = query(s, sql, 0, NULL, &res, "counting rows of", table);
    if (rc)
        return rc;
    *rows = PQntuples(res) == 1 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    PQclear(res);
    return PT_OK;
}

/* --- reading: COPY … TO STDOUT (FORMAT binary) -------------------------------------------- */

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

struct reader {
    pt_store                   *s;
    const char                 *table;
    const struct pt__copy_cols *cols;
    pt__copy_row_fn             fn;
    void                       *ud;
    int                         header_done;
    int                         trailer_seen;
    pt_buf                      pend; /* bytes of an incomplete tuple */
    struct pt__copy_value       v[PT__COPY_COLS_MAX];
};

#define NEED_MORE 1 /* parse result: the tuple is not complete yet */

static int corrupt(struct reader *r, const char *what)
{
    return pt__store_error(r->s, PT_ECORRUPT, "postgres: reading %s: unexpected COPY data (%s)", r->table, what);
}

/* The file header: signature, flags (no OIDs), extension area. Sets *used. */
static int parse_header(struct reader *r, const uint8_t *p, size_t len, size_t *used)
{
    if (len < 19)
        return NEED_MORE;
    if (memcmp(p, signature, sizeof signature) != 0)
        return corrupt(r, "signature");
    if (be32(p + 11) & (1u << 16))
        return corrupt(r, "rows carry OIDs");
    uint32_t ext = be32(p + 15);
    if (len - 19 < ext)
        return NEED_MORE;
    *used = 19 + ext;
    r->header_done = 1;
    return PT_OK;
}

/* One field of type `type` (len bytes at p) into v. */
static int decode_field(struct reader *r, int type, const uint8_t *p, uint32_t len, struct pt__copy_value *v)
{
    static const uint32_t widths[] = {[PT__CT_INT2] = 2, [PT__CT_INT4] = 4, [PT__CT_INT8] = 8, [PT__CT_BOOL] = 1};
    memset(v, 0, sizeof *v);
    if (type == PT__CT_TEXT || type == PT__CT_BYTES) {
        v->kind = type == PT__CT_TEXT ? PT__CV_TEXT : PT__CV_BLOB;
        v->p = p;
        v->n = len;
        return PT_OK;
    }
    if (type < PT__CT_INT2 || type > PT__CT_BOOL || len != widths[type])
        return corrupt(r, "field width");
    v->kind = PT__CV_INT;
    if (type == PT__CT_INT2)
        v->i = (int16_t)be16(p);
    else if (type == PT__CT_INT4)
        v->i = (int32_t)be32(p);
    else if (type == PT__CT_INT8)
        v->i = (int64_t)be64(p);
    else
        v->i = p[0] != 0;
    return PT_OK;
}

/* One tuple (or the trailer) from p; PT_OK with *used set and the callback called, NEED_MORE,
 * or a failure. */
static int parse_tuple(struct reader *r, const uint8_t *p, size_t len, size_t *used)
{
    if (len < 2)
        return NEED_MORE;
    int16_t nf = (int16_t)be16(p);
    if (nf == -1) {
        r->trailer_seen = 1;
        *used = 2;
        return PT_OK;
    }
    if (nf != r->cols->n)
        return corrupt(r, "field count");
    size_t at = 2;
    for (int i = 0; i < nf; i++) {
        if (len - at < 4)
            return NEED_MORE;
        int32_t flen = (int32_t)be32(p + at);
        at += 4;
        if (flen < 0) {
            memset(&r->v[i], 0, sizeof r->v[i]);
            continue;
        }
        if (len - at < (size_t)flen)
            return NEED_MORE;
        int rc = decode_field(r, r->cols->type[i], p + at, (uint32_t)flen, &r->v[i]);
        if (rc)
            return rc;
        at += (size_t)flen;
    }
    *used = at;
    return r->fn(r->ud, r->v, nf);
}

/* Parses as much of p as forms whole tuples; *used is how much that was. */
static int parse_some(struct reader *r, const uint8_t *p, size_t len, size_t *used)
{
    *used = 0;
    while (*used < len) {
        size_t n = 0;
        if (r->trailer_seen)
            return corrupt(r, "data after the end");
        int rc = r->header_done ? parse_tuple(r, p + *used, len - *used, &n)
                                : parse_header(r, p + *used, len - *used, &n);
        if (rc == NEED_MORE)
            return PT_OK;
        if (rc)
            return rc;
        *used += n;
    }
    return PT_OK;
}

/* Feeds one CopyData message: straight from the message when nothing is pending, else
 * through the pending buffer. Leftover bytes wait for the next message. */
static int feed(struct reader *r, const uint8_t *p, size_t len)
{
    size_t used = 0;
    int rc;
    if (r->pend.len == 0) {
        rc = parse_some(r, p, len, &used);
        if (rc == PT_OK && used < len)
            rc = pt_buf_append(&r->pend, p + used, len - used);
        return rc;
    }
    rc = pt_buf_append(&r->pend, p, len);
    if (rc == PT_OK)
        rc = parse_some(r, r->pend.data, r->pend.len, &used);
    if (rc == PT_OK && used) {
        memmove(r->pend.data, r->pend.data + used, r->pend.len - used);
        r->pend.len -= used;
    }
    return rc;
}

/* Reads CopyData until the end; after a failure keeps reading (discarding) so that the
 * connection leaves COPY state. */
static int pump(struct reader *r)
{
    int rc = PT_OK;
    for (;;) {
        char *buf = NULL;
        int n = PQgetCopyData(CONN(r->s), &buf, 0);
        if (n < 0) {
            if (n == -2 && rc == PT_OK)
                rc = pg_copy_fail(r->s, NULL, "reading", r->table);
            break;
        }
        if (rc == PT_OK)
            rc = feed(r, (const uint8_t *)buf, (size_t)n);
        PQfreemem(buf);
    }
    if (rc == PT_OK)
        rc = finish_results(r->s, "reading", r->table);
    else
        drain_results(r->s);
    if (rc == PT_OK && (!r->trailer_seen || r->pend.len))
        rc = corrupt(r, "truncated");
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

/* Sends a COPY statement and checks the server entered the expected COPY state. */
static int start_copy(pt_store *s, const char *sql, ExecStatusType want, const char *doing, const char *table)
{
    PGresult *res = PQexec(CONN(s), sql);
    int rc = PT_OK;
    if (!res || PQresultStatus(res) != want)
        rc = pg_copy_fail(s, res, doing, table);
    PQclear(res);
    if (rc)
        drain_results(s);
    return rc;
}

static int pg_read(pt_store *s, const char *table, const struct pt__copy_cols *cols, pt__copy_row_fn fn, void *ud)
{
    struct reader *r = calloc(1, sizeof *r);
    pt_buf sql;
    if (!r)
        return pt__store_error(s, PT_ENOMEM, "store copy: out of memory");
    *r = (struct reader){.s = s, .table = table, .cols = cols, .fn = fn, .ud = ud};
    pt_buf_init(&r->pend, COPY_ROW_MAX);
    pt_buf_init(&sql, 64 << 10);
    int rc = column_list(&sql, "COPY (SELECT ", cols, " FROM \"");
    if (rc == PT_OK)
        rc = pt_buf_appendf(&sql, "%s\") TO STDOUT (FORMAT binary)", table);
    if (rc)
        rc = pt__store_error(s, rc, "store copy: building the read of %s", table);
    if (rc == PT_OK)
        rc = start_copy(s, pt_buf_str(&sql), PGRES_COPY_OUT, "reading", table);
    if (rc == PT_OK)
        rc = pump(r);
    pt_buf_free(&sql);
    pt_buf_free(&r->pend);
    free(r);
    return rc;
}

/* --- loading: COPY … FROM STDIN (FORMAT binary) ------------------------------------------- */

struct pt__copy_writer {
    pt_store                   *s;
    char                        table[PT__COPY_NAME_MAX];
    const struct pt__copy_cols *cols;
    pt_buf                      out; /* rows not sent yet */
};

static int put16(pt_buf *b, uint16_t v)
{
    uint8_t p[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    return pt_buf_append(b, p, 2);
}

static int put32(pt_buf *b, uint32_t v)
{
    uint8_t p[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return pt_buf_append(b, p, 4);
}

static int put64(pt_buf *b, uint64_t v)
{
    int rc = put32(b, (uint32_t)(v >> 32));
    return rc ? rc : put32(b, (uint32_t)v);
}

static int send_pending(struct pt__copy_writer *w)
{
    if (w->out.len == 0)
        return PT_OK;
    if (PQputCopyData(CONN(w->s), (const char *)w->out.data, (int)w->out.len) != 1)
        return pg_copy_fail(w->s, NULL, "loading", w->table);
    pt_buf_reset(&w->out);
    return PT_OK;
}

/* Foreign keys stay on: COPY checks them per row at the end of each table's statement, by
 * index look-up, so rows of one table may name each other in any order. */
static int pg_load_begin(pt_store *s, int *saved)
{
    (void)s;
    *saved = 0;
    return PT_OK;
}

static int pg_load_check(pt_store *s)
{
    return pt__store_pg_derived_rebuild(s);
}

static void pg_load_end(pt_store *s, int saved)
{
    (void)s;
    (void)saved;
}

static int pg_writer_open(pt_store *s, const char *table, const struct pt__copy_cols *cols, struct pt__copy_writer **out)
{
    pt_buf sql;
    *out = NULL;
    struct pt__copy_writer *w = calloc(1, sizeof *w);
    if (!w)
        return pt__store_error(s, PT_ENOMEM, "store copy: out of memory");
    w->s = s;
    w->cols = cols;
    snprintf(w->table, sizeof w->table, "%s", table);
    pt_buf_init(&w->out, COPY_BATCH + COPY_ROW_MAX);
    pt_buf_init(&sql, 64 << 10);
    int rc = pt_buf_appendf(&sql, "COPY \"%s\" ", table);
    if (rc == PT_OK)
        rc = column_list(&sql, "(", cols, ") FROM STDIN (FORMAT binary)");
    if (rc == PT_OK)
        rc = pt_buf_append(&w->out, signature, sizeof signature);
    if (rc == PT_OK)
        rc = put32(&w->out, 0); /* flags */
    if (rc == PT_OK)
        rc = put32(&w->out, 0); /* no header extension */
    if (rc)
        rc = pt__store_error(s, rc, "store copy: building the load of %s", table);
    if (rc == PT_OK)
        rc = start_copy(s, pt_buf_str(&sql), PGRES_COPY_IN, "loading", table);
    pt_buf_free(&sql);
    if (rc) {
        pt_buf_free(&w->out);
        free(w);
        return rc;
    }
    *out = w;
    return PT_OK;
}

static int refuse(struct pt__copy_writer *w, int i, const char *what)
{
    return pt__store_error(w->s, PT_EINVAL, "store copy: %s.%s: %s", w->table, w->cols->name[i], what);
}

/* An integer value as a field of the column's width. */
static int put_int(struct pt__copy_writer *w, int i, int64_t v)
{
    switch (w->cols->type[i]) {
    case PT__CT_INT2:
        if (v < INT16_MIN || v > INT16_MAX)
            return refuse(w, i, "a value does not fit PostgreSQL's smallint");
        return put32(&w->out, 2) ? PT_ETOOBIG : put16(&w->out, (uint16_t)(int16_t)v);
    case PT__CT_INT4:
        if (v < INT32_MIN || v > INT32_MAX)
            return refuse(w, i, "a value does not fit PostgreSQL's integer");
        return put32(&w->out, 4) ? PT_ETOOBIG : put32(&w->out, (uint32_t)(int32_t)v);
    case PT__CT_BOOL:
        if (v != 0 && v != 1)
            return refuse(w, i, "a boolean column gets a value other than 0 or 1");
        return put32(&w->out, 1) ? PT_ETOOBIG : pt_buf_append(&w->out, &(uint8_t){(uint8_t)v}, 1);
    default:
        return put32(&w->out, 8) ? PT_ETOOBIG : put64(&w->out, (uint64_t)v);
    }
}

static int put_field(struct pt__copy_writer *w, int i, const struct pt__copy_value *v)
{
    int type = w->cols->type[i];
    int bytes_col = type == PT__CT_TEXT || type == PT__CT_BYTES;
    if (v->kind == PT__CV_NULL)
        return put32(&w->out, UINT32_MAX); /* -1: NULL */
    if (v->kind == PT__CV_INT && !bytes_col)
        return put_int(w, i, v->i);
    if (v->kind == PT__CV_INT)
        return refuse(w, i, "an integer value where PostgreSQL keeps text or bytes");
    if (!bytes_col)
        return refuse(w, i, "a text or blob value where PostgreSQL keeps an integer");
    if (v->n > INT32_MAX)
        return refuse(w, i, "a value is too long");
    int rc = put32(&w->out, (uint32_t)v->n);
    return rc || v->n == 0 ? rc : pt_buf_append(&w->out, v->p, v->n);
}

static int pg_writer_row(struct pt__copy_writer *w, const struct pt__copy_value *vals)
{
    int rc = put16(&w->out, (uint16_t)w->cols->n);
    for (int i = 0; rc == PT_OK && i < w->cols->n; i++)
        rc = put_field(w, i, &vals[i]);
    if (rc == PT_ETOOBIG)
        rc = pt__store_error(w->s, rc, "store copy: a row of %s is too big", w->table);
    if (rc == PT_OK && w->out.len >= COPY_BATCH)
        rc = send_pending(w);
    return rc;
}

static int pg_writer_close(struct pt__copy_writer *w, int finish)
{
    if (!w)
        return PT_OK;
    int rc = finish ? put16(&w->out, UINT16_MAX) : PT_OK; /* trailer: -1 */
    if (rc == PT_OK && finish)
        rc = send_pending(w);
    int ending = rc == PT_OK && finish;
    if (PQputCopyEnd(CONN(w->s), ending ? NULL : "store copy abandoned") != 1 && ending)
        rc = pg_copy_fail(w->s, NULL, "loading", w->table);
    if (ending && rc == PT_OK)
        rc = finish_results(w->s, "loading", w->table);
    else
        drain_results(w->s); /* the failure that made us abandon is recorded already */
    pt_buf_free(&w->out);
    free(w);
    return rc;
}

/* Moves the sequence behind column i past the largest value copied. ALTER SEQUENCE … RESTART,
 * not setval(): it is transactional, so a copy that rolls back leaves the sequence alone. */
static int restart_sequence(pt_store *s, const char *table, const char *col)
{
    char sql[512];
    PGresult *res;
    snprintf(sql, sizeof sql,
             "SELECT pg_get_serial_sequence(format('%%I.%%I', current_schema(), '%s'), '%s'),"
             " greatest(coalesce(max(\"%s\"), 0), 0) + 1 FROM \"%s\"",
             table, col, col, table);
    int rc = query(s, sql, 0, NULL, &res, "reading the sequence of", table);
    if (rc)
        return rc;
    pt_buf alter;
    pt_buf_init(&alter, 4096);
    rc = pt_buf_appendf(&alter, "ALTER SEQUENCE %s RESTART WITH %s", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
    PQclear(res);
    if (rc == PT_OK) {
        res = PQexec(CONN(s), pt_buf_str(&alter));
        if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = pg_copy_fail(s, res, "restarting the sequence of", table);
        PQclear(res);
    } else {
        rc = pt__store_error(s, rc, "store copy: sequence name of %s too long", table);
    }
    pt_buf_free(&alter);
    return rc;
}

static int pg_table_loaded(pt_store *s, const char *table, const struct pt__copy_cols *cols)
{
    int rc = PT_OK;
    for (int i = 0; rc == PT_OK && i < cols->n; i++)
        if (cols->has_seq[i])
            rc = restart_sequence(s, table, cols->name[i]);
    return rc;
}

const struct pt__copy_stream pt__copy_pg = {
    .where = pg_where,
    .tables = pg_tables,
    .columns = pg_columns,
    .count = pg_count,
    .read = pg_read,
    .load_begin = pg_load_begin,
    .load_check = pg_load_check,
    .load_end = pg_load_end,
    .writer_open = pg_writer_open,
    .writer_row = pg_writer_row,
    .writer_close = pg_writer_close,
    .table_loaded = pg_table_loaded,
};

/* store_pg_columns.c — bulk column reads for analytics on PostgreSQL: pt_store_order_columns
 * and pt_store_member_columns, each one `COPY (SELECT …) TO STDOUT (FORMAT binary)` parsed
 * straight into column batches by one shared stream reader (copy_rows).
 *
 * Binary COPY: an 11-byte signature, a 32-bit flags word and a 32-bit header-extension length
 * (then that many bytes); then per row a 16-bit field count followed by, per field, a 32-bit
 * length (−1 for NULL) and the value in network byte order; −1 as field count ends the data.
 * libpq hands back one row (the first with the header) per PQgetCopyData call. The columns
 * selected are NOT NULL bigints and integers (nullable ones go through coalesce), so every
 * field is checked for its exact size against the stream's layout.
 */
#include "store_pg_int.h"
#include "patron/error.h"

#include <stdlib.h>
#include <string.h>

#define ORDERS_SQL                                                                             \
    "COPY (SELECT member_id, ordered_at, amount_cents, status FROM orders"                     \
    " ORDER BY member_id, ordered_at, id) TO STDOUT (FORMAT binary)"
#define MEMBERS_SQL                                                                            \
    "COPY (SELECT id, registered_at, coalesce(merged_into, 0), status, consent FROM members"   \
    " ORDER BY id) TO STDOUT (FORMAT binary)"

#define MAX_FIELDS 8

static const char SIGNATURE[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n', '\0'};

/* What one stream selects and what to do with each row. row() stores the values of one row
 * (v[i] is field i, sign-extended) and returns non-zero to stop; finish() flushes the rest. */
struct copy_stream {
    const char     *sql, *doing;
    int             nfields;
    const uint32_t *sizes; /* [nfields] 8 (bigint) or 4 (integer) */
    int           (*row)(void *ud, const int64_t *v);
    int           (*finish)(void *ud);
    void           *ud;
};

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* One row of the stream's layout into v. Returns 1 at the trailer, 0 for a row, −1 when the
 * bytes are not what was asked for. */
static int parse_row(const unsigned char *p, size_t n, const struct copy_stream *cs, int64_t *v)
{
    if (n < 2)
        return -1;
    int16_t fields = (int16_t)(p[0] << 8 | p[1]);
    if (fields == -1)
        return 1;
    if (fields != cs->nfields)
        return -1;
    size_t off = 2;
    for (int i = 0; i < cs->nfields; i++) {
        uint32_t sz = cs->sizes[i];
        if (off + 4 > n || be32(p + off) != sz || off + 4 + sz > n)
            return -1;
        v[i] = sz == 8 ? be64(p + off + 4) : (int32_t)be32(p + off + 4);
        off += 4 + sz;
    }
    return 0;
}

/* Skips the file header in the first message; returns the offset of the first row or −1. */
static long skip_header(const unsigned char *p, size_t n)
{
    if (n < 19 || memcmp(p, SIGNATURE, sizeof SIGNATURE) != 0)
        return -1;
    uint32_t ext = be32(p + 15);
    return 19 + (long)ext <= (long)n ? 19 + (long)ext : -1;
}

/* Reads the COPY stream to its end, even after a failure, so the connection stays usable. */
static int drain(pg_store *q, int rc, const char *doing)
{
    char *buf;
    int len;
    while ((len = PQgetCopyData(q->conn, &buf, 0)) > 0)
        PQfreemem(buf);
    PGresult *res;
    while ((res = PQgetResult(q->conn)) != NULL) {
        if (rc == PT_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = pt__pg_fail(q, q->conn, res, doing);
        PQclear(res);
    }
    return rc;
}

/* Runs cs->sql and hands every row to cs->row, then calls cs->finish; one exit through drain. */
static int copy_rows(pt_store *s, const struct copy_stream *cs)
{
    pg_store *q = PG(s);
    PGresult *res = PQexec(q->conn, cs->sql);
    if (PQresultStatus(res) != PGRES_COPY_OUT) {
        int rc = pt__pg_fail(q, q->conn, res, cs->doing);
        PQclear(res);
        return rc;
    }
    PQclear(res);
    int rc = PT_OK, first = 1, done = 0, len;
    int64_t v[MAX_FIELDS];
    char *buf;
    while (rc == PT_OK && !done && (len = PQgetCopyData(q->conn, &buf, 0)) > 0) {
        const unsigned char *p = (const unsigned char *)buf;
        long off = 0;
        if (first && (off = skip_header(p, (size_t)len)) < 0)
            rc = pt__store_error(s, PT_ECORRUPT, "postgres: %s: not a binary COPY stream", cs->doing);
        first = 0;
        int r = rc ? 0 : parse_row(p + off, (size_t)(len - off), cs, v);
        if (r < 0)
            rc = pt__store_error(s, PT_ECORRUPT, "postgres: %s: unexpected row layout", cs->doing);
        done = r == 1;
        PQfreemem(buf);
        if (rc == PT_OK && r == 0)
            rc = cs->row(cs->ud, v);
    }
    if (rc == PT_OK)
        rc = cs->finish(cs->ud);
    return drain(q, rc, cs->doing);
}

/* --- orders -------------------------------------------------------------------------------- */
struct order_sink {
    struct pt_columns_buf *b;
    pt_order_columns_cb    cb;
    void                  *ud;
};

static int order_row(void *ud, const int64_t *v)
{
    struct order_sink *k = ud;
    struct pt_columns_buf *b = k->b;
    b->member_id[b->n] = v[0];
    b->ordered_at[b->n] = v[1];
    b->amount_cents[b->n] = v[2];
    b->status[b->n] = (int32_t)v[3];
    return ++b->n == PT_COLUMNS_BATCH ? pt__columns_flush(b, k->cb, k->ud) : PT_OK;
}

static int order_finish(void *ud)
{
    struct order_sink *k = ud;
    return pt__columns_flush(k->b, k->cb, k->ud);
}

int pt__pg_order_columns(pt_store *s, pt_order_columns_cb cb, void *ud)
{
    static const uint32_t sizes[4] = {8, 8, 8, 4};
    struct order_sink k = {.b = malloc(sizeof *k.b), .cb = cb, .ud = ud};
    if (!k.b)
        return PT_ENOMEM;
    k.b->n = 0;
    struct copy_stream cs = {ORDERS_SQL, "reading order columns (COPY)", 4, sizes, order_row, order_finish, &k};
    int rc = copy_rows(s, &cs);
    free(k.b);
    return rc;
}

/* --- members ------------------------------------------------------------------------------- */
struct member_sink {
    struct pt_member_columns_buf *b;
    pt_member_columns_cb          cb;
    void                         *ud;
};

static int member_row(void *ud, const int64_t *v)
{
    struct member_sink *k = ud;
    struct pt_member_columns_buf *b = k->b;
    b->id[b->n] = v[0];
    b->registered_at[b->n] = v[1];
    b->merged_into[b->n] = v[2];
    b->status[b->n] = (int32_t)v[3];
    b->consent[b->n] = (uint32_t)v[4];
    return ++b->n == PT_COLUMNS_BATCH ? pt__member_columns_flush(b, k->cb, k->ud) : PT_OK;
}

static int member_finish(void *ud)
{
    struct member_sink *k = ud;
    return pt__member_columns_flush(k->b, k->cb, k->ud);
}

int pt__pg_member_columns(pt_store *s, pt_member_columns_cb cb, void *ud)
{
    static const uint32_t sizes[5] = {8, 8, 8, 4, 8};
    struct member_sink k = {.b = malloc(sizeof *k.b), .cb = cb, .ud = ud};
    if (!k.b)
        return PT_ENOMEM;
    k.b->n = 0;
    struct copy_stream cs = {MEMBERS_SQL, "reading member columns (COPY)", 5, sizes, member_row, member_finish, &k};
    int rc = copy_rows(s, &cs);
    free(k.b);
    return rc;
}

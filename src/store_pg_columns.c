/* store_pg_columns.c — bulk column reads for analytics on PostgreSQL (pt_store_order_columns):
 * one `COPY (SELECT …) TO STDOUT (FORMAT binary)`, parsed straight into column batches.
 *
 * Binary COPY: an 11-byte signature, a 32-bit flags word and a 32-bit header-extension length
 * (then that many bytes); then per row a 16-bit field count followed by, per field, a 32-bit
 * length (−1 for NULL) and the value in network byte order; −1 as field count ends the data.
 * libpq hands back one row (the first with the header) per PQgetCopyData call. The columns
 * selected are NOT NULL bigints and one integer, so every field is checked for its exact size.
 */
#include "store_pg_int.h"
#include "patron/error.h"

#include <stdlib.h>
#include <string.h>

#define COPY_SQL                                                                               \
    "COPY (SELECT member_id, ordered_at, amount_cents, status FROM orders"                     \
    " ORDER BY member_id, ordered_at, id) TO STDOUT (FORMAT binary)"

static const char SIGNATURE[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n', '\0'};

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* One row: 4 fields (bigint, bigint, bigint, integer). Returns 1 at the trailer, 0 for a row,
 * −1 when the bytes are not what was asked for. */
static int parse_row(const unsigned char *p, size_t n, struct pt_columns_buf *b)
{
    static const uint32_t sizes[4] = {8, 8, 8, 4};
    if (n < 2)
        return -1;
    int16_t fields = (int16_t)(p[0] << 8 | p[1]);
    if (fields == -1)
        return 1;
    if (fields != 4)
        return -1;
    size_t off = 2;
    int64_t v[4];
    for (int i = 0; i < 4; i++) {
        if (off + 4 > n || be32(p + off) != sizes[i] || off + 4 + sizes[i] > n)
            return -1;
        v[i] = sizes[i] == 8 ? be64(p + off + 4) : (int32_t)be32(p + off + 4);
        off += 4 + sizes[i];
    }
    b->member_id[b->n] = v[0];
    b->ordered_at[b->n] = v[1];
    b->amount_cents[b->n] = v[2];
    b->status[b->n] = (int32_t)v[3];
    b->n++;
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

int pt__pg_order_columns(pt_store *s, pt_order_columns_cb cb, void *ud)
{
    pg_store *q = PG(s);
    const char *doing = "reading order columns (COPY)";
    PGresult *res = PQexec(q->conn, COPY_SQL);
    if (PQresultStatus(res) != PGRES_COPY_OUT) {
        int rc = pt__pg_fail(q, q->conn, res, doing);
        PQclear(res);
        return rc;
    }
    PQclear(res);
    struct pt_columns_buf *b = malloc(sizeof *b);
    int rc = b ? PT_OK : PT_ENOMEM, first = 1, done = 0, len;
    if (b)
        b->n = 0;
    char *buf;
    while (rc == PT_OK && !done && (len = PQgetCopyData(q->conn, &buf, 0)) > 0) {
        const unsigned char *p = (const unsigned char *)buf;
        long off = 0;
        if (first && (off = skip_header(p, (size_t)len)) < 0)
            rc = pt__store_error(s, PT_ECORRUPT, "postgres: %s: not a binary COPY stream", doing);
        first = 0;
        int r = rc ? 0 : parse_row(p + off, (size_t)(len - off), b);
        if (r < 0)
            rc = pt__store_error(s, PT_ECORRUPT, "postgres: %s: unexpected row layout", doing);
        done = r == 1;
        PQfreemem(buf);
        if (rc == PT_OK && b->n == PT_COLUMNS_BATCH)
            rc = pt__columns_flush(b, cb, ud);
    }
    if (rc == PT_OK)
        rc = pt__columns_flush(b, cb, ud);
    free(b);
    return drain(q, rc, doing);
}

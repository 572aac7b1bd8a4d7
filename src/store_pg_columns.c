/* store_pg_columns.c — bulk column reads for analytics on PostgreSQL: pt_store_order_columns,
 * pt_store_member_columns, pt_store_survey_columns, pt_store_account_columns,
 * pt_store_item_columns and pt_store_event_columns, each one `COPY (SELECT …) TO STDOUT (FORMAT
 * binary)` parsed straight into column batches by one shared stream reader (copy_rows).
 *
 * Binary COPY: an 11-byte signature, a 32-bit flags word and a 32-bit header-extension length
 * (then that many bytes); then per row a 16-bit field count followed by, per field, a 32-bit
 * length (−1 for NULL) and the value in network byte order; −1 as field count ends the data.
 * libpq hands back one row (the first with the header) per PQgetCopyData call. The columns
 * selected are NOT NULL bigints, integers and short texts (nullable ones go through coalesce), so
 * every integer field is checked for its exact size against the stream's layout; a text field
 * (size 0 in the layout) is the raw UTF-8 bytes, without a terminating NUL, of at most the
 * stream's text_max bytes (PT_LABEL_MAX − 1 unless the stream says more) — it points into
 * libpq's row buffer, valid only during row().
 */
#include "store_pg_int.h"
#include "patron/error.h"

#include <stdlib.h>
#include <string.h>

#define ORDERS_SQL                                                                             \
    "COPY (SELECT member_id, ordered_at, amount_cents, status, id, channel FROM orders"         \
    " ORDER BY member_id, ordered_at, id) TO STDOUT (FORMAT binary)"
#define MEMBERS_SQL                                                                            \
    "COPY (SELECT id, registered_at, coalesce(merged_into, 0), status, consent FROM members"   \
    " ORDER BY id) TO STDOUT (FORMAT binary)"

#define SURVEYS_SQL                                                                            \
    "COPY (SELECT member_id, survey, at, score FROM surveys ORDER BY member_id, at, id)"       \
    " TO STDOUT (FORMAT binary)"

#define ACCOUNTS_SQL                                                                           \
    "COPY (SELECT member_id, balance, pending, tier FROM accounts ORDER BY member_id)"         \
    " TO STDOUT (FORMAT binary)"

/* Lines in the order stream's order; the sort is PostgreSQL's, on the joined rows. */
#define ITEMS_SQL                                                                              \
    "COPY (SELECT i.order_id, i.sku, i.category, i.qty, i.amount_cents"                        \
    " FROM orders o JOIN items i ON i.order_id = o.id"                                         \
    " ORDER BY o.member_id, o.ordered_at, o.id, i.line_no) TO STDOUT (FORMAT binary)"

#define EVENTS_SQL                                                                             \
    "COPY (SELECT member_id, kind, at, value FROM events ORDER BY member_id, at, id)"         \
    " TO STDOUT (FORMAT binary)"

#define MAX_FIELDS 8
#define TEXT_MAX   (PT_LABEL_MAX - 1) /* longest text field accepted, bytes */

/* One parsed row: v[i] for integer fields (sign-extended); text[i], len[i] for text fields. */
struct copy_row {
    int64_t              v[MAX_FIELDS];
    const unsigned char *text[MAX_FIELDS];
    uint32_t             len[MAX_FIELDS];
};

static const char SIGNATURE[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n', '\0'};

/* What one stream selects and what to do with each row. row() stores the values of one row
 * (v[i] is field i, sign-extended) and returns non-zero to stop; finish() flushes the rest. */
struct copy_stream {
    const char     *sql, *doing;
    int             nfields;
    const uint32_t *sizes; /* [nfields] 8 (bigint), 4 (integer) or 0 (text) */
    int           (*row)(void *ud, const struct copy_row *r);
    int           (*finish)(void *ud);
    void           *ud;
    uint32_t        text_max; /* longest text field accepted, bytes; 0 for TEXT_MAX */
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
static int parse_row(const unsigned char *p, size_t n, const struct copy_stream *cs, struct copy_row *r)
{
    if (n < 2)
        return -1;
    int16_t fields = (int16_t)(p[0] << 8 | p[1]);
    if (fields == -1)
        return 1;
    if (fields != cs->nfields)
        return -1;
    uint32_t text_max = cs->text_max ? cs->text_max : TEXT_MAX;
    size_t off = 2;
    for (int i = 0; i < cs->nfields; i++) {
        uint32_t sz = cs->sizes[i];
        if (off + 4 > n)
            return -1;
        if (sz == 0) { /* text: any length up to text_max; −1 (NULL) is 0xffffffff and fails */
            sz = be32(p + off);
            if (sz > text_max || off + 4 + sz > n)
                return -1;
            r->text[i] = p + off + 4;
            r->len[i] = sz;
        } else if (be32(p + off) != sz || off + 4 + sz > n) {
            return -1;
        } else {
            r->v[i] = sz == 8 ? be64(p + off + 4) : (int32_t)be32(p + off + 4);
        }
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
    struct copy_row row;
    char *buf;
    while (rc == PT_OK && !done && (len = PQgetCopyData(q->conn, &buf, 0)) > 0) {
        const unsigned char *p = (const unsigned char *)buf;
        long off = 0;
        if (first && (off = skip_header(p, (size_t)len)) < 0)
            rc = pt__store_error(s, PT_ECORRUPT, "postgres: %s: not a binary COPY stream", cs->doing);
        first = 0;
        int r = rc ? 0 : parse_row(p + off, (size_t)(len - off), cs, &row);
        if (r < 0)
            rc = pt__store_error(s, PT_ECORRUPT, "postgres: %s: unexpected row layout", cs->doing);
        done = r == 1;
        if (rc == PT_OK && r == 0) /* before PQfreemem: text fields point into buf */
            rc = cs->row(cs->ud, &row);
        PQfreemem(buf);
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

static int order_row(void *ud, const struct copy_row *r)
{
    const int64_t *v = r->v;
    struct order_sink *k = ud;
    struct pt_columns_buf *b = k->b;
    b->member_id[b->n] = v[0];
    b->ordered_at[b->n] = v[1];
    b->amount_cents[b->n] = v[2];
    b->status[b->n] = (int32_t)v[3];
    b->id[b->n] = v[4];
    memcpy(b->channel[b->n], r->text[5], r->len[5]);
    b->channel[b->n][r->len[5]] = '\0';
    return ++b->n == PT_COLUMNS_BATCH ? pt__columns_flush(b, k->cb, k->ud) : PT_OK;
}

static int order_finish(void *ud)
{
    struct order_sink *k = ud;
    return pt__columns_flush(k->b, k->cb, k->ud);
}

int pt__pg_order_columns(pt_store *s, pt_order_columns_cb cb, void *ud)
{
    static const uint32_t sizes[6] = {8, 8, 8, 4, 8, 0};
    struct order_sink k = {.b = malloc(sizeof *k.b), .cb = cb, .ud = ud};
    if (!k.b)
        return PT_ENOMEM;
    k.b->n = 0;
    struct copy_stream cs = {ORDERS_SQL, "reading order columns (COPY)", 6, sizes, order_row, order_finish, &k, 0};
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

static int member_row(void *ud, const struct copy_row *r)
{
    const int64_t *v = r->v;
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
    struct copy_stream cs = {MEMBERS_SQL, "reading member columns (COPY)", 5, sizes, member_row, member_finish, &k, 0};
    int rc = copy_rows(s, &cs);
    free(k.b);
    return rc;
}

/* --- surveys ------------------------------------------------------------------------------- */
struct survey_sink {
    struct pt_survey_columns_buf *b;
    pt_survey_columns_cb          cb;
    void                         *ud;
};

/* The name is copied out of libpq's buffer and NUL-terminated; one with a NUL byte inside
 * (PostgreSQL text cannot hold one) would be refused by the row layout check already. */
static int survey_row(void *ud, const struct copy_row *r)
{
    struct survey_sink *k = ud;
    struct pt_survey_columns_buf *b = k->b;
    b->member_id[b->n] = r->v[0];
    memcpy(b->survey[b->n], r->text[1], r->len[1]);
    b->survey[b->n][r->len[1]] = '\0';
    b->at[b->n] = r->v[2];
    b->score[b->n] = (int32_t)r->v[3];
    return ++b->n == PT_COLUMNS_BATCH ? pt__survey_columns_flush(b, k->cb, k->ud) : PT_OK;
}

static int survey_finish(void *ud)
{
    struct survey_sink *k = ud;
    return pt__survey_columns_flush(k->b, k->cb, k->ud);
}

int pt__pg_survey_columns(pt_store *s, pt_survey_columns_cb cb, void *ud)
{
    static const uint32_t sizes[4] = {8, 0, 8, 4};
    struct survey_sink k = {.b = malloc(sizeof *k.b), .cb = cb, .ud = ud};
    if (!k.b)
        return PT_ENOMEM;
    k.b->n = 0;
    struct copy_stream cs = {SURVEYS_SQL, "reading survey columns (COPY)", 4, sizes, survey_row, survey_finish, &k, 0};
    int rc = copy_rows(s, &cs);
    free(k.b);
    return rc;
}

/* --- accounts ------------------------------------------------------------------------------ */
struct account_sink {
    struct pt_account_columns_buf *b;
    pt_account_columns_cb          cb;
    void                          *ud;
};

static int account_row(void *ud, const struct copy_row *r)
{
    struct account_sink *k = ud;
    struct pt_account_columns_buf *b = k->b;
    b->member_id[b->n] = r->v[0];
    b->balance[b->n] = r->v[1];
    b->pending[b->n] = r->v[2];
    memcpy(b->tier[b->n], r->text[3], r->len[3]);
    b->tier[b->n][r->len[3]] = '\0';
    return ++b->n == PT_COLUMNS_BATCH ? pt__account_columns_flush(b, k->cb, k->ud) : PT_OK;
}

static int account_finish(void *ud)
{
    struct account_sink *k = ud;
    return pt__account_columns_flush(k->b, k->cb, k->ud);
}

int pt__pg_account_columns(pt_store *s, pt_account_columns_cb cb, void *ud)
{
    static const uint32_t sizes[4] = {8, 8, 8, 0};
    struct account_sink k = {.b = malloc(sizeof *k.b), .cb = cb, .ud = ud};
    if (!k.b)
        return PT_ENOMEM;
    k.b->n = 0;
    struct copy_stream cs = {ACCOUNTS_SQL, "reading account columns (COPY)", 4, sizes, account_row, account_finish, &k, 0};
    int rc = copy_rows(s, &cs);
    free(k.b);
    return rc;
}

/* --- items --------------------------------------------------------------------------------- */
struct item_sink {
    struct pt_item_columns_buf *b;
    pt_item_columns_cb          cb;
    void                       *ud;
};

_Static_assert(PT_SKU_MAX == PT_CATEGORY_MAX, "one text limit serves both item text columns");

static int item_row(void *ud, const struct copy_row *r)
{
    struct item_sink *k = ud;
    struct pt_item_columns_buf *b = k->b;
    b->order_id[b->n] = r->v[0];
    memcpy(b->sku[b->n], r->text[1], r->len[1]);
    b->sku[b->n][r->len[1]] = '\0';
    memcpy(b->category[b->n], r->text[2], r->len[2]);
    b->category[b->n][r->len[2]] = '\0';
    b->qty[b->n] = r->v[3];
    b->amount_cents[b->n] = r->v[4];
    return ++b->n == PT_COLUMNS_BATCH ? pt__item_columns_flush(b, k->cb, k->ud) : PT_OK;
}

static int item_finish(void *ud)
{
    struct item_sink *k = ud;
    return pt__item_columns_flush(k->b, k->cb, k->ud);
}

int pt__pg_item_columns(pt_store *s, pt_item_columns_cb cb, void *ud)
{
    static const uint32_t sizes[5] = {8, 0, 0, 8, 8};
    struct item_sink k = {.b = malloc(sizeof *k.b), .cb = cb, .ud = ud};
    if (!k.b)
        return PT_ENOMEM;
    k.b->n = 0;
    struct copy_stream cs = {ITEMS_SQL, "reading item columns (COPY)", 5, sizes, item_row, item_finish, &k,
                             PT_SKU_MAX - 1};
    int rc = copy_rows(s, &cs);
    free(k.b);
    return rc;
}

/* --- events -------------------------------------------------------------------------------- */
struct event_sink {
    struct pt_event_columns_buf *b;
    pt_event_columns_cb          cb;
    void                        *ud;
};

static int event_row(void *ud, const struct copy_row *r)
{
    struct event_sink *k = ud;
    struct pt_event_columns_buf *b = k->b;
    b->member_id[b->n] = r->v[0];
    memcpy(b->kind[b->n], r->text[1], r->len[1]);
    b->kind[b->n][r->len[1]] = '\0';
    b->at[b->n] = r->v[2];
    b->value[b->n] = r->v[3];
    return ++b->n == PT_COLUMNS_BATCH ? pt__event_columns_flush(b, k->cb, k->ud) : PT_OK;
}

static int event_finish(void *ud)
{
    struct event_sink *k = ud;
    return pt__event_columns_flush(k->b, k->cb, k->ud);
}

int pt__pg_event_columns(pt_store *s, pt_event_columns_cb cb, void *ud)
{
    static const uint32_t sizes[4] = {8, 0, 8, 8};
    struct event_sink k = {.b = malloc(sizeof *k.b), .cb = cb, .ud = ud};
    if (!k.b)
        return PT_ENOMEM;
    k.b->n = 0;
    struct copy_stream cs = {EVENTS_SQL, "reading event columns (COPY)", 4, sizes, event_row, event_finish, &k, 0};
    int rc = copy_rows(s, &cs);
    free(k.b);
    return rc;
}

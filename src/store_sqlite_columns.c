/* store_sqlite_columns.c — bulk column reads for analytics on SQLite: pt_store_order_columns
 * (one prepared scan in (member_id, ordered_at, id) order through the orders_member index) and
 * pt_store_member_columns (one scan of members by id), pt_store_survey_columns (one scan of
 * surveys in (member_id, at, id) order), pt_store_account_columns (one scan of accounts by
 * member), pt_store_item_columns (the same orders scan joined to items by their primary key, so
 * lines come in the order stream's order without a sort) and pt_store_event_columns (events by
 * member through their unique index, sorted by time within a member), copied into column
 * batches. A text column that does not fit its column buffer with its NUL (never written by
 * Patron) is refused as corrupt. */
#include "store_sqlite_int.h"

#include <stdlib.h>
#include <string.h>

/* Copies text column col into out (cap bytes with the NUL); 0 when it is NULL, too long or
 * holds a NUL. */
static int text_into(sqlite3_stmt *st, int col, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    size_t len = (size_t)sqlite3_column_bytes(st, col);
    if (!t || len >= cap || memchr(t, 0, len))
        return 0;
    memcpy(out, t, len);
    out[len] = '\0';
    return 1;
}

static int label(sqlite3_stmt *st, int col, char out[PT_LABEL_MAX])
{
    return text_into(st, col, out, PT_LABEL_MAX);
}

int pt__sq_order_columns(pt_store *s, pt_order_columns_cb cb, void *ud)
{
    sq_store *q = SQ(s);
    sqlite3_stmt *st;
    int src = sqlite3_prepare_v2(q->db,
                                 "SELECT member_id, ordered_at, amount_cents, status, id, channel FROM orders"
                                 " ORDER BY member_id, ordered_at, id",
                                 -1, &st, NULL);
    if (src != SQLITE_OK)
        return pt__sq_fail(q, src, "reading order columns");
    struct pt_columns_buf *b = malloc(sizeof *b);
    int rc = b ? PT_OK : PT_ENOMEM;
    if (b)
        b->n = 0;
    while (rc == PT_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        if (!label(st, 5, b->channel[b->n])) {
            rc = pt__store_error(s, PT_ECORRUPT, "sqlite: reading order columns: bad channel name");
            break;
        }
        b->member_id[b->n] = sqlite3_column_int64(st, 0);
        b->ordered_at[b->n] = sqlite3_column_int64(st, 1);
        b->amount_cents[b->n] = sqlite3_column_int64(st, 2);
        b->status[b->n] = sqlite3_column_int(st, 3);
        b->id[b->n] = sqlite3_column_int64(st, 4);
        if (++b->n == PT_COLUMNS_BATCH)
            rc = pt__columns_flush(b, cb, ud);
    }
    if (rc == PT_OK && src != SQLITE_DONE)
        rc = pt__sq_fail(q, src, "reading order columns");
    if (rc == PT_OK)
        rc = pt__columns_flush(b, cb, ud);
    sqlite3_finalize(st);
    free(b);
    return rc;
}

/* pt_store_member_columns: one scan of the members table by its primary key. */
int pt__sq_member_columns(pt_store *s, pt_member_columns_cb cb, void *ud)
{
    sq_store *q = SQ(s);
    sqlite3_stmt *st;
    int src = sqlite3_prepare_v2(q->db,
                                 "SELECT id, registered_at, coalesce(merged_into, 0), status, consent"
                                 " FROM members ORDER BY id",
                                 -1, &st, NULL);
    if (src != SQLITE_OK)
        return pt__sq_fail(q, src, "reading member columns");
    struct pt_member_columns_buf *b = malloc(sizeof *b);
    int rc = b ? PT_OK : PT_ENOMEM;
    if (b)
        b->n = 0;
    while (rc == PT_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        b->id[b->n] = sqlite3_column_int64(st, 0);
        b->registered_at[b->n] = sqlite3_column_int64(st, 1);
        b->merged_into[b->n] = sqlite3_column_int64(st, 2);
        b->status[b->n] = sqlite3_column_int(st, 3);
        b->consent[b->n] = (uint32_t)sqlite3_column_int64(st, 4);
        if (++b->n == PT_COLUMNS_BATCH)
            rc = pt__member_columns_flush(b, cb, ud);
    }
    if (rc == PT_OK && src != SQLITE_DONE)
        rc = pt__sq_fail(q, src, "reading member columns");
    if (rc == PT_OK)
        rc = pt__member_columns_flush(b, cb, ud);
    sqlite3_finalize(st);
    free(b);
    return rc;
}

/* pt_store_survey_columns: one scan of the survey answers by member then time. */
int pt__sq_survey_columns(pt_store *s, pt_survey_columns_cb cb, void *ud)
{
    sq_store *q = SQ(s);
    sqlite3_stmt *st;
    int src = sqlite3_prepare_v2(q->db, "SELECT member_id, survey, at, score FROM surveys ORDER BY member_id, at, id",
                                 -1, &st, NULL);
    if (src != SQLITE_OK)
        return pt__sq_fail(q, src, "reading survey columns");
    struct pt_survey_columns_buf *b = malloc(sizeof *b);
    int rc = b ? PT_OK : PT_ENOMEM;
    if (b)
        b->n = 0;
    while (rc == PT_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        if (!label(st, 1, b->survey[b->n])) {
            rc = pt__store_error(s, PT_ECORRUPT, "sqlite: reading survey columns: bad survey name");
            break;
        }
        b->member_id[b->n] = sqlite3_column_int64(st, 0);
        b->at[b->n] = sqlite3_column_int64(st, 2);
        b->score[b->n] = sqlite3_column_int(st, 3);
        if (++b->n == PT_COLUMNS_BATCH)
            rc = pt__survey_columns_flush(b, cb, ud);
    }
    if (rc == PT_OK && src != SQLITE_DONE)
        rc = pt__sq_fail(q, src, "reading survey columns");
    if (rc == PT_OK)
        rc = pt__survey_columns_flush(b, cb, ud);
    sqlite3_finalize(st);
    free(b);
    return rc;
}

/* pt_store_account_columns: one scan of the accounts by their primary key. */
int pt__sq_account_columns(pt_store *s, pt_account_columns_cb cb, void *ud)
{
    sq_store *q = SQ(s);
    sqlite3_stmt *st;
    int src = sqlite3_prepare_v2(q->db, "SELECT member_id, balance, pending, tier FROM accounts ORDER BY member_id",
                                 -1, &st, NULL);
    if (src != SQLITE_OK)
        return pt__sq_fail(q, src, "reading account columns");
    struct pt_account_columns_buf *b = malloc(sizeof *b);
    int rc = b ? PT_OK : PT_ENOMEM;
    if (b)
        b->n = 0;
    while (rc == PT_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        if (!label(st, 3, b->tier[b->n])) {
            rc = pt__store_error(s, PT_ECORRUPT, "sqlite: reading account columns: bad tier code");
            break;
        }
        b->member_id[b->n] = sqlite3_column_int64(st, 0);
        b->balance[b->n] = sqlite3_column_int64(st, 1);
        b->pending[b->n] = sqlite3_column_int64(st, 2);
        if (++b->n == PT_COLUMNS_BATCH)
            rc = pt__account_columns_flush(b, cb, ud);
    }
    if (rc == PT_OK && src != SQLITE_DONE)
        rc = pt__sq_fail(q, src, "reading account columns");
    if (rc == PT_OK)
        rc = pt__account_columns_flush(b, cb, ud);
    sqlite3_finalize(st);
    free(b);
    return rc;
}

/* pt_store_item_columns: the order scan of pt__sq_order_columns, each order's lines looked up
 * by the items primary key (order_id, line_no) — no sort. */
int pt__sq_item_columns(pt_store *s, pt_item_columns_cb cb, void *ud)
{
    sq_store *q = SQ(s);
    sqlite3_stmt *st;
    int src = sqlite3_prepare_v2(q->db,
                                 "SELECT i.order_id, i.sku, i.category, i.qty, i.amount_cents"
                                 " FROM orders o JOIN items i ON i.order_id = o.id"
                                 " ORDER BY o.member_id, o.ordered_at, o.id, i.line_no",
                                 -1, &st, NULL);
    if (src != SQLITE_OK)
        return pt__sq_fail(q, src, "reading item columns");
    struct pt_item_columns_buf *b = malloc(sizeof *b);
    int rc = b ? PT_OK : PT_ENOMEM;
    if (b)
        b->n = 0;
    while (rc == PT_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        if (!text_into(st, 1, b->sku[b->n], PT_SKU_MAX) || !text_into(st, 2, b->category[b->n], PT_CATEGORY_MAX)) {
            rc = pt__store_error(s, PT_ECORRUPT, "sqlite: reading item columns: bad sku or category");
            break;
        }
        b->order_id[b->n] = sqlite3_column_int64(st, 0);
        b->qty[b->n] = sqlite3_column_int64(st, 3);
        b->amount_cents[b->n] = sqlite3_column_int64(st, 4);
        if (++b->n == PT_COLUMNS_BATCH)
            rc = pt__item_columns_flush(b, cb, ud);
    }
    if (rc == PT_OK && src != SQLITE_DONE)
        rc = pt__sq_fail(q, src, "reading item columns");
    if (rc == PT_OK)
        rc = pt__item_columns_flush(b, cb, ud);
    sqlite3_finalize(st);
    free(b);
    return rc;
}

/* pt_store_event_columns: one scan of the events by member then time. */
int pt__sq_event_columns(pt_store *s, pt_event_columns_cb cb, void *ud)
{
    sq_store *q = SQ(s);
    sqlite3_stmt *st;
    int src = sqlite3_prepare_v2(q->db, "SELECT member_id, kind, at, value FROM events ORDER BY member_id, at, id",
                                 -1, &st, NULL);
    if (src != SQLITE_OK)
        return pt__sq_fail(q, src, "reading event columns");
    struct pt_event_columns_buf *b = malloc(sizeof *b);
    int rc = b ? PT_OK : PT_ENOMEM;
    if (b)
        b->n = 0;
    while (rc == PT_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        if (!label(st, 1, b->kind[b->n])) {
            rc = pt__store_error(s, PT_ECORRUPT, "sqlite: reading event columns: bad event kind");
            break;
        }
        b->member_id[b->n] = sqlite3_column_int64(st, 0);
        b->at[b->n] = sqlite3_column_int64(st, 2);
        b->value[b->n] = sqlite3_column_int64(st, 3);
        if (++b->n == PT_COLUMNS_BATCH)
            rc = pt__event_columns_flush(b, cb, ud);
    }
    if (rc == PT_OK && src != SQLITE_DONE)
        rc = pt__sq_fail(q, src, "reading event columns");
    if (rc == PT_OK)
        rc = pt__event_columns_flush(b, cb, ud);
    sqlite3_finalize(st);
    free(b);
    return rc;
}

/* store_sqlite_columns.c — bulk column reads for analytics on SQLite: pt_store_order_columns
 * (one prepared scan in (member_id, ordered_at, id) order through the orders_member index) and
 * pt_store_member_columns (one scan of members by id), copied into column batches. */
#include "store_sqlite_int.h"

#include <stdlib.h>

int pt__sq_order_columns(pt_store *s, pt_order_columns_cb cb, void *ud)
{
    sq_store *q = SQ(s);
    sqlite3_stmt *st;
    int src = sqlite3_prepare_v2(q->db,
                                 "SELECT member_id, ordered_at, amount_cents, status FROM orders"
                                 " ORDER BY member_id, ordered_at, id",
                                 -1, &st, NULL);
    if (src != SQLITE_OK)
        return pt__sq_fail(q, src, "reading order columns");
    struct pt_columns_buf *b = malloc(sizeof *b);
    int rc = b ? PT_OK : PT_ENOMEM;
    if (b)
        b->n = 0;
    while (rc == PT_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        b->member_id[b->n] = sqlite3_column_int64(st, 0);
        b->ordered_at[b->n] = sqlite3_column_int64(st, 1);
        b->amount_cents[b->n] = sqlite3_column_int64(st, 2);
        b->status[b->n] = sqlite3_column_int(st, 3);
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

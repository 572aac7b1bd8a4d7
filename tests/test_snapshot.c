/* test_snapshot.c — the columnar order snapshot, loaded through pt_store_order_columns (a scan
 * on SQLite, a binary COPY on PostgreSQL): the same columns, sorted by member then time, with
 * a dense member index, on both backends; more rows than one column batch. */
#include "test.h"
#include "helpers.h"
#include "patron/error.h"
#include "patron/snapshot.h"
#include "patron/store.h"

#include <stdio.h>
#include <string.h>

static int64_t add_member(pt_store *s, int i)
{
    pt_member_rec m;
    pt_member_rec_init(&m);
    m.status = PT_MEMBER_ACTIVE;
    m.registered_at = TEST_NOW;
    m.created_at = m.updated_at = TEST_NOW;
    snprintf(m.member_no, sizeof m.member_no, "S%05d", i);
    pt_buf_set(&m.provenance, "{}", 2);
    int rc = pt_store_member_insert(s, &m);
    int64_t id = rc ? -1 : m.id;
    pt_member_rec_free(&m);
    return id;
}

/* 3 members; member k gets orders at TEST_NOW − j·60 for j = 0..n_k−1, inserted newest first,
 * so the snapshot has to sort them; amounts 100·(j+1) cents; member 2 has one refunded. With
 * n = {36000, 1, 30000} the stream spans two batches of 65,536 rows. */
BOTH_TEST(snapshot_loads_orders_as_columns_sorted_by_member_then_time)
{
    pt_store *s = test_store_open(be, "snap", NULL);
    ASSERT(s);
    int counts[3] = {36000, 1, 30000};
    int64_t ids[3], expect_revenue = 0;
    ASSERT_EQ(pt_store_begin(s), PT_OK);
    for (int k = 0; k < 3; k++) {
        ids[k] = add_member(s, k);
        ASSERT_GT(ids[k], 0);
        for (int j = 0; j < counts[k]; j++) {
            pt_order_rec o = {.member_id = ids[k], .ordered_at = TEST_NOW - (int64_t)j * 60,
                              .amount_cents = 100 * (int64_t)(j + 1), .status = PT_ORDER_PAID};
            if (k == 2 && j == 5)
                o.status = PT_ORDER_REFUNDED;
            else
                expect_revenue += o.amount_cents;
            snprintf(o.order_no, sizeof o.order_no, "O%d-%d", k, j);
            snprintf(o.source, sizeof o.source, "t");
            ASSERT_EQ(pt_store_order_insert(s, &o), PT_OK);
        }
    }
    ASSERT_EQ(pt_store_commit(s), PT_OK);
    pt_snapshot *snap = NULL;
    ASSERT_EQ(pt_snapshot_load(&snap, s, NULL, NULL), PT_OK);
    ASSERT_EQ(snap->nmembers, 3);
    ASSERT_EQ(snap->norders, 66001);
    ASSERT_EQ(snap->revenue_cents, expect_revenue);
    for (int k = 0; k < 3; k++) {
        ASSERT_EQ(snap->member_id[k], ids[k]);
        ASSERT_EQ(snap->first[k + 1] - snap->first[k], (size_t)counts[k]);
        size_t a = snap->first[k];
        /* oldest first: j = n−1 … 0 */
        ASSERT_EQ(snap->order_at[a], TEST_NOW - (int64_t)(counts[k] - 1) * 60);
        ASSERT_EQ(snap->order_cents[a], 100 * (int64_t)counts[k]);
        for (size_t r = a + 1; r < snap->first[k + 1]; r++)
            ASSERT(snap->order_at[r] > snap->order_at[r - 1]);
    }
    ASSERT_EQ(snap->order_status[snap->first[3] - 6], PT_ORDER_REFUNDED);
    pt_snapshot_free(snap);
    pt_store_close(s);
}

BOTH_TEST(snapshot_of_an_empty_store_has_no_members_and_no_orders)
{
    pt_store *s = test_store_open(be, "empty", NULL);
    ASSERT(s);
    pt_snapshot *snap = NULL;
    ASSERT_EQ(pt_snapshot_load(&snap, s, NULL, NULL), PT_OK);
    ASSERT_EQ(snap->nmembers, 0);
    ASSERT_EQ(snap->norders, 0);
    ASSERT_EQ(snap->first[0], 0);
    pt_snapshot_free(snap);
    pt_store_close(s);
}

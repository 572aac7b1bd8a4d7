/* test_snapshot.c — the columnar snapshot, loaded through pt_store_member_columns and
 * pt_store_order_columns (scans on SQLite, binary COPYs on PostgreSQL): every member with its
 * status, consent and merge, the orders sorted by member then time in CSR over them (members
 * without orders have empty ranges), on both backends; more rows than one column batch. */
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

/* Every member is in the snapshot, with or without orders, with status, consent, registration
 * time and merge; members ascending by id, orders CSR over them (empty ranges included):
 *   a: active, analytics consent, 2 orders    b: no orders, frozen, no consent
 *   c: merged into a, no orders               d: erased, 1 order          e: no orders (last) */
BOTH_TEST(snapshot_holds_every_member_with_status_consent_and_merge_and_empty_order_ranges)
{
    pt_store *s = test_store_open(be, "members", NULL);
    ASSERT(s);
    ASSERT_EQ(pt_store_begin(s), PT_OK);
    int64_t id[5];
    for (int k = 0; k < 5; k++) {
        id[k] = add_member(s, 10 + k);
        ASSERT_GT(id[k], 0);
    }
    pt_member_rec m;
    pt_member_rec_init(&m);
    ASSERT_EQ(pt_store_member_get(s, id[0], &m), PT_OK);
    m.consent = PT_CONSENT_BIT(PT_CONSENT_ANALYTICS) | PT_CONSENT_BIT(PT_CONSENT_SMS);
    m.registered_at = TEST_NOW - 1000;
    ASSERT_EQ(pt_store_member_update(s, &m), PT_OK);
    ASSERT_EQ(pt_store_member_get(s, id[1], &m), PT_OK);
    m.status = PT_MEMBER_FROZEN;
    ASSERT_EQ(pt_store_member_update(s, &m), PT_OK);
    ASSERT_EQ(pt_store_member_get(s, id[2], &m), PT_OK);
    m.merged_into = id[0];
    ASSERT_EQ(pt_store_member_update(s, &m), PT_OK);
    ASSERT_EQ(pt_store_member_get(s, id[3], &m), PT_OK);
    m.status = PT_MEMBER_ERASED;
    ASSERT_EQ(pt_store_member_update(s, &m), PT_OK);
    pt_member_rec_free(&m);
    int owner[3] = {0, 0, 3};
    for (int j = 0; j < 3; j++) {
        pt_order_rec o = {.member_id = id[owner[j]], .ordered_at = TEST_NOW - 100 + j, .amount_cents = 10 * (j + 1),
                          .status = PT_ORDER_PAID};
        snprintf(o.order_no, sizeof o.order_no, "M%d", j);
        snprintf(o.source, sizeof o.source, "t");
        ASSERT_EQ(pt_store_order_insert(s, &o), PT_OK);
    }
    ASSERT_EQ(pt_store_commit(s), PT_OK);
    pt_snapshot *snap = NULL;
    ASSERT_EQ(pt_snapshot_load(&snap, s, NULL, NULL), PT_OK);
    ASSERT_EQ(snap->nmembers, 5);
    ASSERT_EQ(snap->norders, 3);
    static const size_t first[6] = {0, 2, 2, 2, 3, 3};
    for (int k = 0; k < 5; k++) {
        ASSERT_EQ(snap->member_id[k], id[k]);
        ASSERT_EQ(snap->first[k], first[k]);
    }
    ASSERT_EQ(snap->first[5], 3);
    ASSERT_EQ(snap->member_registered_at[0], TEST_NOW - 1000);
    ASSERT_EQ(snap->member_registered_at[1], TEST_NOW);
    ASSERT_EQ(snap->member_consent[0], PT_CONSENT_BIT(PT_CONSENT_ANALYTICS) | PT_CONSENT_BIT(PT_CONSENT_SMS));
    ASSERT_EQ(snap->member_status[1], PT_MEMBER_FROZEN);
    ASSERT_EQ(snap->member_merged_into[2], id[0]);
    ASSERT_EQ(snap->member_merged_into[0], 0);
    ASSERT_EQ(pt_snapshot_member_use(snap, 0), PT_SNAP_USE);
    ASSERT_EQ(pt_snapshot_member_use(snap, 1), PT_SNAP_NO_CONSENT);
    ASSERT_EQ(pt_snapshot_member_use(snap, 2), PT_SNAP_MERGED);
    ASSERT_EQ(pt_snapshot_member_use(snap, 3), PT_SNAP_ERASED);
    ASSERT_EQ(snap->order_cents[2], 30);
    ASSERT_EQ(snap->revenue_cents, 60);
    pt_snapshot_free(snap);
    pt_store_close(s);
}

/* More members than one column batch (65,536), most without orders: the member stream spans
 * batches and the CSR stays consistent. */
BOTH_TEST(snapshot_member_stream_spans_batches)
{
    pt_store *s = test_store_open(be, "many", NULL);
    ASSERT(s);
    enum { N = 70000 };
    ASSERT_EQ(pt_store_begin(s), PT_OK);
    int64_t last = 0;
    for (int k = 0; k < N; k++) {
        last = add_member(s, k);
        ASSERT_GT(last, 0);
    }
    pt_order_rec o = {.member_id = last, .ordered_at = TEST_NOW, .amount_cents = 5, .status = PT_ORDER_PAID};
    snprintf(o.order_no, sizeof o.order_no, "L1");
    snprintf(o.source, sizeof o.source, "t");
    ASSERT_EQ(pt_store_order_insert(s, &o), PT_OK);
    ASSERT_EQ(pt_store_commit(s), PT_OK);
    pt_snapshot *snap = NULL;
    ASSERT_EQ(pt_snapshot_load(&snap, s, NULL, NULL), PT_OK);
    ASSERT_EQ(snap->nmembers, N);
    ASSERT_EQ(snap->member_id[N - 1], last);
    ASSERT_EQ(snap->first[N - 1], 0);
    ASSERT_EQ(snap->first[N], 1);
    for (size_t k = 1; k < snap->nmembers; k++)
        ASSERT(snap->member_id[k] > snap->member_id[k - 1]);
    pt_snapshot_free(snap);
    pt_store_close(s);
}

static int count_member(void *ud, const pt_member_rec *r)
{
    (void)r;
    (*(int *)ud)++;
    return 0;
}

/* A read transaction (what the snapshot loads in) sees one state and blocks no writer: while
 * it is open another connection adds a member and commits at once; the reader keeps seeing
 * one member until it ends, then sees two. */
BOTH_TEST(store_read_transaction_sees_one_state_and_does_not_block_writers)
{
    pt_store *r = test_store_open(be, "rt", NULL);
    ASSERT(r);
    ASSERT_GT(add_member(r, 1), 0);
    pt_store *w = test_store_open(be, "rt", NULL);
    ASSERT(w);
    ASSERT_EQ(pt_store_begin_read(r), PT_OK);
    int n = 0;
    ASSERT_EQ(pt_store_member_scan(r, count_member, &n), PT_OK);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(pt_store_begin(w), PT_OK); /* would wait out the busy timeout if the reader blocked */
    ASSERT_GT(add_member(w, 2), 0);
    ASSERT_EQ(pt_store_commit(w), PT_OK);
    n = 0;
    ASSERT_EQ(pt_store_member_scan(r, count_member, &n), PT_OK);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(pt_store_rollback(r), PT_OK);
    n = 0;
    ASSERT_EQ(pt_store_member_scan(r, count_member, &n), PT_OK);
    ASSERT_EQ(n, 2);
    pt_store_close(w);
    pt_store_close(r);
}

/* test_snapshot_items.c — the snapshot's order channels, order lines (items, a CSR over the
 * orders, products and categories interned) and member events (a CSR over the members), loaded
 * through pt_store_order_columns, pt_store_item_columns and pt_store_event_columns on both
 * backends; and the interning table behind them. */
#include "test.h"
#include "helpers.h"
#include "patron/error.h"
#include "patron/snapshot.h"
#include "patron/store.h"
#include "snapshot_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t member(pt_store *s, int i)
{
    pt_member_rec m;
    pt_member_rec_init(&m);
    m.status = PT_MEMBER_ACTIVE;
    m.registered_at = m.created_at = m.updated_at = TEST_NOW;
    snprintf(m.member_no, sizeof m.member_no, "I%05d", i);
    pt_buf_set(&m.provenance, "{}", 2);
    int rc = pt_store_member_insert(s, &m);
    int64_t id = rc ? -1 : m.id;
    pt_member_rec_free(&m);
    return id;
}

static int64_t order(pt_store *s, int64_t mid, const char *no, int64_t at, const char *channel)
{
    pt_order_rec o = {.member_id = mid, .ordered_at = at, .amount_cents = 1, .status = PT_ORDER_PAID};
    snprintf(o.order_no, sizeof o.order_no, "%s", no);
    snprintf(o.source, sizeof o.source, "t");
    snprintf(o.channel, sizeof o.channel, "%s", channel);
    return pt_store_order_insert(s, &o) ? -1 : o.id;
}

static int line(pt_store *s, int64_t oid, int64_t mid, int no, const char *sku, const char *cat, int64_t qty,
                int64_t cents)
{
    pt_item_rec r = {.order_id = oid, .member_id = mid, .line_no = no, .qty = qty, .unit_cents = cents / qty,
                     .amount_cents = cents};
    snprintf(r.sku, sizeof r.sku, "%s", sku);
    snprintf(r.category, sizeof r.category, "%s", cat);
    return pt_store_item_insert(s, &r);
}

static int event(pt_store *s, int64_t mid, const char *kind, int64_t at, int64_t value)
{
    pt_event_rec e = {.member_id = mid, .at = at, .value = value};
    snprintf(e.kind, sizeof e.kind, "%s", kind);
    snprintf(e.source, sizeof e.source, "app");
    return pt_store_event_insert(s, &e);
}

/* Members a, b, c. a: O1 at T+100 (app) with lines 1 = A/cd ×2 1000¢ and 2 = B/"" ×1 500¢;
 * O2 at T+50 (store) without lines. b: O3 at T+10 (app) with 1 = B/dvd ×3 900¢, 2 = C/"" 200¢.
 * Lines are inserted out of order. Expected: orders O2, O1, O3 (member, then time); channels
 * in order of first appearance {store, app} → {0, 1, 1}; item_first {0, 0, 2, 4}; products
 * A, B, C with categories cd, dvd (B's first non-empty one), none. Events: a review at T+200
 * (5 stars) and a check-in at T+300, inserted newest first; c a share at T+100 → event_first
 * {0, 2, 2, 3}, kinds {review, checkin, share}. */
BOTH_TEST(snapshot_loads_order_channels_lines_products_and_member_events)
{
    pt_store *s = test_store_open(be, "items", NULL);
    ASSERT(s);
    ASSERT_OK(pt_store_begin(s));
    int64_t a = member(s, 1), b = member(s, 2), c = member(s, 3);
    int64_t o1 = order(s, a, "O1", TEST_NOW + 100, "app");
    int64_t o2 = order(s, a, "O2", TEST_NOW + 50, "store");
    int64_t o3 = order(s, b, "O3", TEST_NOW + 10, "app");
    ASSERT(a > 0 && b > 0 && c > 0 && o1 > 0 && o2 > 0 && o3 > 0);
    ASSERT_OK(line(s, o3, b, 2, "C", "", 1, 200));
    ASSERT_OK(line(s, o1, a, 2, "B", "", 1, 500));
    ASSERT_OK(line(s, o3, b, 1, "B", "dvd", 3, 900));
    ASSERT_OK(line(s, o1, a, 1, "A", "cd", 2, 1000));
    ASSERT_OK(event(s, a, "checkin", TEST_NOW + 300, 0));
    ASSERT_OK(event(s, a, "review", TEST_NOW + 200, 5));
    ASSERT_OK(event(s, c, "share", TEST_NOW + 100, 0));
    ASSERT_OK(pt_store_commit(s));

    pt_snapshot *snap = NULL;
    ASSERT_OK(pt_snapshot_load(&snap, s, NULL, NULL));
    ASSERT_EQ(snap->norders, 3);
    ASSERT_EQ(snap->order_at[0], TEST_NOW + 50);
    ASSERT_EQ(snap->nchannel_names, 2);
    ASSERT_STR_EQ(snap->channel_names[0], "store");
    ASSERT_STR_EQ(snap->channel_names[1], "app");
    static const int32_t channel[3] = {0, 1, 1};
    static const size_t item_first[4] = {0, 0, 2, 4};
    for (int r = 0; r < 3; r++)
        ASSERT_EQ(snap->order_channel[r], channel[r]);
    for (int r = 0; r < 4; r++)
        ASSERT_EQ(snap->item_first[r], item_first[r]);
    ASSERT_EQ(snap->nitems, 4);
    static const int32_t product[4] = {0, 1, 1, 2};
    static const int64_t qty[4] = {2, 1, 3, 1}, cents[4] = {1000, 500, 900, 200};
    for (int l = 0; l < 4; l++) {
        ASSERT_EQ(snap->item_product[l], product[l]);
        ASSERT_EQ(snap->item_qty[l], qty[l]);
        ASSERT_EQ(snap->item_cents[l], cents[l]);
    }
    ASSERT_EQ(snap->nproducts, 3);
    ASSERT_STR_EQ(snap->product_code[2], "C");
    ASSERT_EQ(snap->ncategories, 2);
    ASSERT_EQ(snap->product_category[0], 0);
    ASSERT_EQ(snap->product_category[1], 1);
    ASSERT_EQ(snap->product_category[2], -1);
    ASSERT_STR_EQ(snap->category_names[1], "dvd");
    ASSERT(snap->product_name == NULL);
    ASSERT_EQ(pt_snapshot_product(snap, "B"), 1);
    ASSERT_EQ(pt_snapshot_category(snap, "cd"), 0);
    ASSERT_EQ(pt_snapshot_channel(snap, "app"), 1);
    ASSERT_EQ(pt_snapshot_product(snap, "Z"), -1);

    static const size_t event_first[4] = {0, 2, 2, 3};
    for (int i = 0; i < 4; i++)
        ASSERT_EQ(snap->event_first[i], event_first[i]);
    ASSERT_EQ(snap->nevents, 3);
    static const int64_t event_at[3] = {TEST_NOW + 200, TEST_NOW + 300, TEST_NOW + 100};
    static const int32_t kind[3] = {0, 1, 2};
    for (int e = 0; e < 3; e++) {
        ASSERT_EQ(snap->event_at[e], event_at[e]);
        ASSERT_EQ(snap->event_kind[e], kind[e]);
    }
    ASSERT_EQ(snap->event_value[0], 5);
    ASSERT_EQ(pt_snapshot_event_kind(snap, "share"), 2);
    ASSERT_EQ(pt_snapshot_event_kind(snap, "like"), -1);
    pt_snapshot_free(snap);
    pt_store_close(s);
}

/* 70,000 lines over 35,000 orders of one member (two lines each, 700 products): the line
 * stream spans two batches and every order keeps its two lines. */
BOTH_TEST(snapshot_line_stream_spans_batches)
{
    pt_store *s = test_store_open(be, "manyitems", NULL);
    ASSERT(s);
    ASSERT_OK(pt_store_begin(s));
    int64_t m = member(s, 1);
    ASSERT_GT(m, 0);
    enum { N = 35000 };
    for (int k = 0; k < N; k++) {
        char no[16], sku[16];
        snprintf(no, sizeof no, "B%d", k);
        int64_t o = order(s, m, no, TEST_NOW + k, "web");
        ASSERT_GT(o, 0);
        snprintf(sku, sizeof sku, "P%d", k % 700);
        ASSERT_OK(line(s, o, m, 1, sku, "c", 1, k + 1));
        ASSERT_OK(line(s, o, m, 2, "FIX", "", 2, 2));
    }
    ASSERT_OK(pt_store_commit(s));
    pt_snapshot *snap = NULL;
    ASSERT_OK(pt_snapshot_load(&snap, s, NULL, NULL));
    ASSERT_EQ(snap->nitems, 2 * N);
    ASSERT_EQ(snap->nproducts, 701);
    for (size_t r = 0; r < N; r++) {
        ASSERT_EQ(snap->item_first[r], 2 * r);
        ASSERT_EQ(snap->item_cents[2 * r], (int64_t)r + 1);
        ASSERT_STR_EQ(snap->product_code[snap->item_product[2 * r + 1]], "FIX");
    }
    ASSERT_EQ(snap->item_first[N], 2 * N);
    pt_snapshot_free(snap);
    pt_store_close(s);
}

BOTH_TEST(snapshot_of_a_store_without_lines_or_events_has_empty_ranges)
{
    pt_store *s = test_store_open(be, "nolines", NULL);
    ASSERT(s);
    int64_t m = member(s, 1);
    ASSERT_GT(m, 0);
    ASSERT_GT(order(s, m, "X1", TEST_NOW, ""), 0);
    pt_snapshot *snap = NULL;
    ASSERT_OK(pt_snapshot_load(&snap, s, NULL, NULL));
    ASSERT_EQ(snap->nitems, 0);
    ASSERT_EQ(snap->item_first[0], 0);
    ASSERT_EQ(snap->item_first[1], 0);
    ASSERT_EQ(snap->nevents, 0);
    ASSERT_EQ(snap->event_first[1], 0);
    ASSERT_EQ(snap->nchannel_names, 1);
    ASSERT_STR_EQ(snap->channel_names[0], "");
    pt_snapshot_free(snap);
    pt_store_close(s);
}

/* 10,000 distinct names (the hash doubles from 64 slots many times), looked up again in
 * reverse, and a name longer than the width cut at a UTF-8 boundary: "é" is 2 bytes, so 5 of
 * them do not fit 8 bytes with the NUL — 3 do (6 bytes), the 4th would split. */
TEST(snapshot_names_intern_in_order_of_first_appearance_and_cut_at_utf8_boundaries)
{
    struct pt__names t;
    pt__names_init(&t, 16, SIZE_MAX);
    char name[16];
    int32_t idx;
    for (int k = 0; k < 10000; k++) {
        snprintf(name, sizeof name, "n%d", k);
        ASSERT_OK(pt__names_intern(&t, name, &idx));
        ASSERT_EQ(idx, k);
    }
    for (int k = 9999; k >= 0; k--) {
        snprintf(name, sizeof name, "n%d", k);
        ASSERT_OK(pt__names_intern(&t, name, &idx));
        ASSERT_EQ(idx, k);
        ASSERT_EQ(pt__names_find(&t, name), k);
    }
    ASSERT_EQ(t.n, 10000);
    ASSERT_EQ(pt__names_find(&t, "nope"), -1);
    pt__names_free(&t);

    pt__names_init(&t, 8, 2);
    ASSERT_OK(pt__names_intern(&t, "ééééé", &idx));
    ASSERT_STR_EQ(t.v, "ééé");
    ASSERT_OK(pt__names_intern(&t, "ééé", &idx));
    ASSERT_EQ(idx, 0);
    ASSERT_OK(pt__names_intern(&t, "x", &idx));
    ASSERT_EQ(pt__names_intern(&t, "y", &idx), PT_ETOOBIG);
    char (*v)[8] = pt__names_take(&t);
    ASSERT_STR_EQ(v[1], "x");
    free(v);
}

/* test_store_hot.c — the store reads on a write's hot path and the server's bounded reads, on
 * both backends: a member's due lots (pt_store_lot_list_due: exactly the lots
 * pt_store_lot_due_members counts the member for, by id, never another member's) and a member's
 * newest entries (pt_store_entry_list_recent: the last `limit` by id, oldest first), plus the
 * write-ahead log calls (a no-op on PostgreSQL, a real checkpoint on SQLite).
 */
#include "helpers.h"
#include "test.h"
#include "patron/error.h"
#include "patron/store.h"
#include "patron/store_ledger.h"

#include <stdio.h>
#include <string.h>

#define T0 1700000000

static int64_t hot_lot(pt_store *s, int64_t m, int state, int64_t remaining, int64_t available_at, int64_t expires_at)
{
    pt_lot_rec l = {.member_id = m, .entry_id = 1, .earned_at = T0, .available_at = available_at,
                    .expires_at = expires_at, .points = 5, .remaining = remaining, .state = state};
    return pt_store_lot_insert(s, &l) ? -1 : l.id;
}

struct got {
    int64_t id[16];
    int64_t points[16];
    int     n;
};

static int got_lot(void *ud, const pt_lot_rec *l)
{
    struct got *g = ud;
    if (g->n < 16) {
        g->id[g->n] = l->id;
        g->points[g->n++] = l->remaining;
    }
    return 0;
}

static int got_entry(void *ud, const pt_entry_rec *e)
{
    struct got *g = ud;
    if (g->n < 16) {
        g->id[g->n] = e->id;
        g->points[g->n++] = e->points;
    }
    return 0;
}

BOTH_TEST(store_lot_list_due_returns_exactly_the_members_due_lots_by_id)
{
    pt_store *s = test_store_open(be, "due", NULL);
    ASSERT(s);
    const int64_t as_of = T0 + 1000;
    int64_t m = test_store_member(s, "M1"), other = test_store_member(s, "M2");
    ASSERT_GT(m, 0);
    ASSERT_GT(other, 0);
    int64_t a = hot_lot(s, m, PT_LOT_AVAILABLE, 5, 0, as_of - 1);   /* due: expired */
    hot_lot(s, m, PT_LOT_AVAILABLE, 5, 0, as_of);                   /* not: its last second */
    hot_lot(s, m, PT_LOT_AVAILABLE, 5, 0, 0);                       /* not: never expires */
    hot_lot(s, m, PT_LOT_AVAILABLE, 0, 0, as_of - 9);               /* not: nothing left */
    hot_lot(s, m, PT_LOT_EXPIRED, 0, 0, as_of - 9);                 /* not: expired already */
    int64_t b = hot_lot(s, m, PT_LOT_PENDING, 4, as_of, 0);         /* due: release at as_of */
    hot_lot(s, m, PT_LOT_PENDING, 5, as_of + 1, 0);                 /* not yet */
    hot_lot(s, m, PT_LOT_CANCELLED, 0, as_of - 1, 0);               /* not: cancelled */
    int64_t c = hot_lot(s, m, PT_LOT_AVAILABLE, 3, 0, as_of - 500); /* due: expired */
    hot_lot(s, other, PT_LOT_AVAILABLE, 5, 0, as_of - 1);           /* another member's */
    ASSERT_GT(c, 0);
    struct got g = {0};
    ASSERT_OK(pt_store_lot_list_due(s, m, as_of, got_lot, &g));
    ASSERT_EQ(g.n, 3);
    ASSERT_EQ(g.id[0], a);
    ASSERT_EQ(g.id[1], b);
    ASSERT_EQ(g.id[2], c);
    ASSERT_EQ(g.points[0], 5);
    ASSERT_EQ(g.points[1], 4);
    ASSERT_EQ(g.points[2], 3);
    memset(&g, 0, sizeof g);
    ASSERT_OK(pt_store_lot_list_due(s, m, T0, got_lot, &g)); /* at T0 nothing has expired or come due yet */
    ASSERT_EQ(g.n, 0);
    pt_store_close(s);
}

BOTH_TEST(store_lot_expiring_lists_every_members_lots_expiring_in_the_window_by_member_then_expiry)
{
    pt_store *s = test_store_open(be, "expiring", NULL);
    ASSERT(s);
    const int64_t from = T0 + 1000, to = T0 + 5000;
    int64_t m = test_store_member(s, "E1"), n = test_store_member(s, "E2");
    ASSERT_GT(m, 0);
    ASSERT_GT(n, 0);
    int64_t n1 = hot_lot(s, n, PT_LOT_AVAILABLE, 2, 0, to);       /* in: the window's last second */
    int64_t m2 = hot_lot(s, m, PT_LOT_AVAILABLE, 4, 0, from + 900); /* in, later than m1 */
    int64_t m1 = hot_lot(s, m, PT_LOT_AVAILABLE, 3, 0, from + 1);   /* in: the soonest */
    hot_lot(s, m, PT_LOT_AVAILABLE, 5, 0, from);                    /* out: at from, already gone */
    hot_lot(s, m, PT_LOT_AVAILABLE, 5, 0, to + 1);                  /* out: after the window */
    hot_lot(s, m, PT_LOT_AVAILABLE, 0, 0, from + 5);                /* out: nothing left */
    hot_lot(s, m, PT_LOT_AVAILABLE, 5, 0, 0);                       /* out: never expires */
    hot_lot(s, m, PT_LOT_PENDING, 5, from + 2, from + 3);           /* out: not available yet */
    ASSERT_GT(m1, 0);
    struct got g = {0};
    ASSERT_OK(pt_store_lot_expiring(s, from, to, got_lot, &g));
    ASSERT_EQ(g.n, 3);
    ASSERT_EQ(g.id[0], m < n ? m1 : n1);
    ASSERT_EQ(g.id[1], m < n ? m2 : m1);
    ASSERT_EQ(g.id[2], m < n ? n1 : m2);
    pt_store_close(s);
}

BOTH_TEST(store_entry_list_recent_returns_the_newest_entries_oldest_first)
{
    pt_store *s = test_store_open(be, "recent", NULL);
    ASSERT(s);
    int64_t m = test_store_member(s, "M1"), other = test_store_member(s, "M2");
    int64_t ids[7];
    for (int i = 1; i <= 6; i++) {
        pt_entry_rec e = {.member_id = i == 4 ? other : m, .kind = PT_ENTRY_EARN, .bucket = PT_BUCKET_AVAILABLE,
                          .points = i, .at = T0 + i, .created_at = T0 + i};
        ASSERT_OK(pt_store_entry_insert(s, &e));
        ids[i] = e.id;
    }
    struct got g = {0};
    ASSERT_OK(pt_store_entry_list_recent(s, m, 3, got_entry, &g));
    ASSERT_EQ(g.n, 3); /* m's entries are 1, 2, 3, 5, 6: the newest three, oldest first */
    ASSERT_EQ(g.id[0], ids[3]);
    ASSERT_EQ(g.id[1], ids[5]);
    ASSERT_EQ(g.id[2], ids[6]);
    ASSERT_EQ(g.points[0], 3);
    ASSERT_EQ(g.points[2], 6);
    memset(&g, 0, sizeof g);
    ASSERT_OK(pt_store_entry_list_recent(s, m, 100, got_entry, &g));
    ASSERT_EQ(g.n, 5);
    ASSERT_EQ(g.id[0], ids[1]);
    ASSERT_EQ(g.id[4], ids[6]);
    pt_store_close(s);
}

static void count_pages(void *ud, int pages)
{
    *(int *)ud = pages;
}

BOTH_TEST(store_wal_watch_reports_the_log_and_a_checkpoint_copies_it)
{
    pt_store *s = test_store_open(be, "wal", NULL);
    ASSERT(s);
    int pages = -1;
    ASSERT_OK(pt_store_wal_watch(s, count_pages, &pages));
    ASSERT_GT(test_store_member(s, "M1"), 0);
    int log = -1, copied = -1;
    ASSERT_OK(pt_store_wal_checkpoint(s, &log, &copied));
    if (be == TEST_SQLITE) {
        ASSERT_GT(pages, 0);    /* the commit reported the log's length */
        ASSERT_EQ(log, pages);  /* nothing committed since */
        ASSERT_EQ(copied, log); /* no reader holds it back: all copied */
    } else {
        ASSERT_EQ(pages, -1);   /* no log to report */
        ASSERT_EQ(log, 0);
        ASSERT_EQ(copied, 0);
    }
    ASSERT_OK(pt_store_wal_watch(s, NULL, NULL));
    pt_store_close(s);
}

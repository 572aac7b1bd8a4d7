/* test_points_activity.c — the programme's activity per local month (points_activity.h) over
 * the store's one-scan summary (store_stats.h), on SQLite and PostgreSQL: entries of each kind
 * land in the right local month even a second either side of a month boundary in
 * Asia/Shanghai (UTC+8), tier changes count up or down by the programme's rank, reward
 * redemptions are counted, and what falls outside the months is left out. */
#include "test.h"
#include "helpers.h"

#include "patron/error.h"
#include "patron/points_activity.h"
#include "patron/store_ledger.h"
#include "patron/store_reward.h"
#include "patron/tz.h"

#include <stdlib.h>
#include <string.h>

/* 2024-01-01T00:00:00+08:00 and 2024-02-01T00:00:00+08:00 */
#define JAN 1704038400
#define FEB 1706716800
#define MAR 1709222400

static int64_t member(pt_store *s, const char *no)
{
    pt_member_rec m;
    pt_member_rec_init(&m);
    snprintf(m.member_no, sizeof m.member_no, "%s", no);
    m.status = PT_MEMBER_ACTIVE;
    m.registered_at = JAN - 86400;
    snprintf(m.reg_channel, sizeof m.reg_channel, "store");
    m.created_at = m.updated_at = JAN;
    int rc = pt_store_member_insert(s, &m);
    pt_member_rec_free(&m);
    return rc ? -1 : m.id;
}

static int entry(pt_store *s, int64_t m, int kind, int64_t points, int64_t at)
{
    pt_entry_rec e = {.member_id = m, .kind = kind, .bucket = PT_BUCKET_AVAILABLE, .points = points, .at = at,
                      .created_at = at};
    snprintf(e.actor, sizeof e.actor, "system");
    return pt_store_entry_insert(s, &e);
}

static int change(pt_store *s, int64_t m, const char *from, const char *to, int64_t at)
{
    pt_tier_change_rec c = {.member_id = m, .at = at};
    snprintf(c.from_tier, sizeof c.from_tier, "%s", from);
    snprintf(c.to_tier, sizeof c.to_tier, "%s", to);
    snprintf(c.reason, sizeof c.reason, "test");
    snprintf(c.actor, sizeof c.actor, "system");
    return pt_store_tier_change_insert(s, &c);
}

BOTH_TEST(points_activity_sums_each_local_month_exactly_at_its_boundaries)
{
    pt_store *s = test_store_open(be, "activity", NULL);
    ASSERT(s);
    int64_t a = member(s, "1000000001"), b = member(s, "1000000002");
    int ok = a > 0 && b > 0;
    /* January (local): an earn in its first second, a redemption, an expiry in its last second */
    ok = ok && !entry(s, a, PT_ENTRY_EARN, 500, JAN) && !entry(s, b, PT_ENTRY_EARN, 120, JAN + 3600) &&
         !entry(s, a, PT_ENTRY_REDEEM, -200, JAN + 86400) && !entry(s, b, PT_ENTRY_EXPIRE, -20, FEB - 1) &&
         !entry(s, a, PT_ENTRY_RELEASE, 77, JAN + 7200); /* a move between buckets: neither in nor out */
    /* February: an earn in its first second, a refund claw-back, an adjustment */
    ok = ok && !entry(s, a, PT_ENTRY_EARN, 300, FEB) && !entry(s, a, PT_ENTRY_REVERSE, -50, FEB + 10) &&
         !entry(s, b, PT_ENTRY_ADJUST, -7, FEB + 20);
    /* outside the two months: before and at the end */
    ok = ok && !entry(s, a, PT_ENTRY_EARN, 9999, JAN - 1) && !entry(s, a, PT_ENTRY_EARN, 9999, MAR);
    ok = ok && !change(s, a, "normal", "gold", JAN + 100) && !change(s, b, "gold", "silver", FEB + 100) &&
         !change(s, b, "silver", "silver", FEB + 200) && !change(s, b, "mystery", "gold", FEB + 300);
    pt_redemption_rec red = {.member_id = a, .points = 200, .at = JAN + 86400};
    snprintf(red.reward, sizeof red.reward, "mug");
    ok = ok && pt_store_redemption_insert(s, &red) == PT_OK;
    ASSERT(ok);
    static const char *const rank[] = {"normal", "silver", "gold"};
    pt_points_month *m = NULL;
    size_t n = 0;
    int rc = pt_points_activity(&m, &n, s, "Asia/Shanghai", JAN, MAR, rank, 3);
    pt_store_close(s);
    ASSERT_OK(rc);
    ASSERT_EQ(n, 2);
    ASSERT_EQ(m[0].month, JAN);
    ASSERT_EQ(m[1].month, FEB);
    ASSERT_EQ(m[0].earned, 620);
    ASSERT_EQ(m[0].redeemed, 200);
    ASSERT_EQ(m[0].expired, 20);
    ASSERT_EQ(m[0].redemptions, 1);
    ASSERT_EQ(m[0].redemption_points, 200);
    ASSERT_EQ(m[0].tier_up, 1);
    ASSERT_EQ(m[0].tier_down, 0);
    ASSERT_EQ(m[1].earned, 300);
    ASSERT_EQ(m[1].reversed, 50);
    ASSERT_EQ(m[1].adjusted, -7);
    ASSERT_EQ(m[1].redeemed, 0);
    ASSERT_EQ(m[1].tier_down, 1);
    ASSERT_EQ(m[1].tier_other, 2); /* silver → silver, and a tier the programme does not rank */
    free(m);
}

TEST(points_activity_refuses_an_empty_period)
{
    pt_store *s = test_store_open(TEST_SQLITE, "empty", NULL);
    ASSERT(s);
    pt_points_month *m = (pt_points_month *)1;
    size_t n = 7;
    int rc = pt_points_activity(&m, &n, s, "Asia/Shanghai", FEB, FEB, NULL, 0);
    pt_store_close(s);
    ASSERT_EQ(rc, PT_EINVAL);
    ASSERT(m == NULL);
    ASSERT_EQ(n, 0);
}

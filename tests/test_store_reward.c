/* test_store_reward.c — the rewards' store records (store_reward.h) on every backend: reward
 * stock (seeded once, taken one unit at a time, never below zero, unlimited stock), redemptions
 * and their per-member count, coupons with their global code look-up and single use, invite
 * codes and referrals.
 *
 * BOTH_TEST(name) registers name_on_sqlite and name_on_postgres (the latter needs
 * PATRON_TEST_PG and skips without it). Each store is fresh. */
#include "helpers.h"
#include "test.h"
#include "patron/error.h"
#include "patron/store.h"
#include "patron/store_reward.h"

#include <stdio.h>
#include <string.h>

#define T0 1700000000

/* Seeded with 2; a second seed (a programme reload with 50) changes nothing; two takes leave
 * 0 with 2 issued; the third is PT_ESOLDOUT and changes nothing. Unlimited stock (-1) stays
 * -1 while issued counts. An unknown code is PT_ESOLDOUT on take, PT_ENOTFOUND on get. */
BOTH_TEST(store_reward_stock_is_seeded_once_and_never_goes_below_zero)
{
    pt_store *s = test_store_open(be, "st", NULL);
    ASSERT(s);
    ASSERT_OK(pt_store_reward_stock_seed(s, "mug", 2, T0));
    ASSERT_EQ(pt_store_reward_stock_seed(s, "mug", 50, T0 + 1), PT_EEXIST);
    ASSERT_OK(pt_store_reward_stock_seed(s, "pen", -1, T0));
    pt_reward_stock_rec r;
    ASSERT_OK(pt_store_begin_locking(s));
    ASSERT_OK(pt_store_reward_stock_take(s, "mug", T0 + 2, &r));
    ASSERT_EQ(r.stock, 1);
    ASSERT_OK(pt_store_reward_stock_take(s, "mug", T0 + 3, &r));
    ASSERT_EQ(r.stock, 0);
    ASSERT_EQ(r.issued, 2);
    ASSERT_EQ(pt_store_reward_stock_take(s, "mug", T0 + 4, &r), PT_ESOLDOUT);
    ASSERT_OK(pt_store_reward_stock_take(s, "pen", T0 + 5, &r));
    ASSERT_EQ(r.stock, -1);
    ASSERT_EQ(r.issued, 1);
    ASSERT_EQ(pt_store_reward_stock_take(s, "nothing", T0, NULL), PT_ESOLDOUT);
    ASSERT_OK(pt_store_commit(s));
    ASSERT_OK(pt_store_reward_stock_get(s, "mug", &r));
    ASSERT_EQ(r.stock, 0);
    ASSERT_EQ(r.issued, 2);
    ASSERT_EQ(r.updated_at, T0 + 3);
    ASSERT_EQ(pt_store_reward_stock_get(s, "nothing", &r), PT_ENOTFOUND);
    pt_store_close(s);
}

static int count_stock(void *ud, const pt_reward_stock_rec *r)
{
    (void)r;
    (*(int *)ud)++;
    return 0;
}

static int last_redemption(void *ud, const pt_redemption_rec *r)
{
    *(pt_redemption_rec *)ud = *r;
    return 0;
}

/* Two redemptions of mug and one of pen: counts 2 and 1 (0 for another member); the list
 * returns them in id order with every field. */
BOTH_TEST(store_redemptions_are_counted_per_member_and_reward)
{
    pt_store *s = test_store_open(be, "rd", NULL);
    ASSERT(s);
    int64_t a = test_store_member(s, "A"), b = test_store_member(s, "B");
    ASSERT_GT(a, 0);
    pt_redemption_rec r = {.member_id = a, .entry_id = 7, .points = 100, .at = T0};
    snprintf(r.reward, sizeof r.reward, "mug");
    snprintf(r.idem_key, sizeof r.idem_key, "k1");
    ASSERT_OK(pt_store_redemption_insert(s, &r));
    ASSERT_GT(r.id, 0);
    ASSERT_OK(pt_store_redemption_insert(s, &r));
    snprintf(r.reward, sizeof r.reward, "pen");
    snprintf(r.coupon_code, sizeof r.coupon_code, "ABCD");
    ASSERT_OK(pt_store_redemption_insert(s, &r));
    int64_t n = -1;
    ASSERT_OK(pt_store_redemption_count(s, a, "mug", &n));
    ASSERT_EQ(n, 2);
    ASSERT_OK(pt_store_redemption_count(s, a, "pen", &n));
    ASSERT_EQ(n, 1);
    ASSERT_OK(pt_store_redemption_count(s, b, "mug", &n));
    ASSERT_EQ(n, 0);
    pt_redemption_rec last = {0};
    ASSERT_OK(pt_store_redemption_list(s, a, last_redemption, &last));
    ASSERT_EQ(last.id, r.id);
    ASSERT_STR_EQ(last.reward, "pen");
    ASSERT_STR_EQ(last.coupon_code, "ABCD");
    ASSERT_EQ(last.points, 100);
    ASSERT_EQ(last.entry_id, 7);
    ASSERT_STR_EQ(last.idem_key, "k1");
    int stocks = 0;
    ASSERT_OK(pt_store_reward_stock_list(s, count_stock, &stocks));
    ASSERT_EQ(stocks, 0);
    pt_store_close(s);
}

static int count_coupon(void *ud, const pt_coupon_rec *r)
{
    (void)r;
    (*(int *)ud)++;
    return 0;
}

/* A coupon is found by its code alone; a code is unique across members (PT_EEXIST); it is
 * used once (PT_ESTATE the second time) and not after its expiry; using it as another member
 * is PT_ENOTFOUND. The transaction stays usable after each refusal. */
BOTH_TEST(store_coupon_codes_are_global_and_a_coupon_is_used_once)
{
    pt_store *s = test_store_open(be, "cp", NULL);
    ASSERT(s);
    int64_t a = test_store_member(s, "A"), b = test_store_member(s, "B");
    pt_coupon_rec c = {.member_id = a, .kind = PT_COUPON_AMOUNT, .value_cents = 500, .issued_at = T0,
                       .expires_at = T0 + 100};
    snprintf(c.code, sizeof c.code, "K7M2Q9");
    snprintf(c.source, sizeof c.source, "manual");
    ASSERT_OK(pt_store_begin_locking(s));
    ASSERT_OK(pt_store_coupon_insert(s, &c));
    c.member_id = b;
    ASSERT_EQ(pt_store_coupon_insert(s, &c), PT_EEXIST);
    snprintf(c.code, sizeof c.code, "EXPIRES");
    ASSERT_OK(pt_store_coupon_insert(s, &c));
    pt_coupon_rec got;
    ASSERT_OK(pt_store_coupon_get(s, "K7M2Q9", &got));
    ASSERT_EQ(got.member_id, a);
    ASSERT_EQ(got.value_cents, 500);
    ASSERT_EQ(got.expires_at, T0 + 100);
    ASSERT_EQ(pt_store_coupon_use(s, b, "K7M2Q9", T0 + 1, "O1"), PT_ENOTFOUND);
    ASSERT_OK(pt_store_coupon_use(s, a, "K7M2Q9", T0 + 1, "O1"));
    ASSERT_EQ(pt_store_coupon_use(s, a, "K7M2Q9", T0 + 2, "O2"), PT_ESTATE);
    ASSERT_EQ(pt_store_coupon_use(s, b, "EXPIRES", T0 + 101, "O3"), PT_ESTATE);
    ASSERT_OK(pt_store_commit(s));
    ASSERT_OK(pt_store_coupon_get(s, "K7M2Q9", &got));
    ASSERT_EQ(got.used_at, T0 + 1);
    ASSERT_STR_EQ(got.used_ref, "O1");
    ASSERT_EQ(pt_store_coupon_get(s, "NOPE", &got), PT_ENOTFOUND);
    int n = 0;
    ASSERT_OK(pt_store_coupon_list(s, a, count_coupon, &n));
    ASSERT_EQ(n, 1);
    pt_store_close(s);
}

/* One invite code per member, each code unique; a referral per invitee (PT_EEXIST for a
 * second); its state and reason update; a lock needs a transaction. */
BOTH_TEST(store_invite_codes_and_referrals)
{
    pt_store *s = test_store_open(be, "rf", NULL);
    ASSERT(s);
    int64_t a = test_store_member(s, "A"), b = test_store_member(s, "B");
    ASSERT_OK(pt_store_invite_insert(s, a, "INVITEA", T0));
    ASSERT_EQ(pt_store_invite_insert(s, a, "INVITEA2", T0), PT_EEXIST);
    ASSERT_EQ(pt_store_invite_insert(s, b, "INVITEA", T0), PT_EEXIST);
    int64_t owner = 0;
    ASSERT_OK(pt_store_invite_find(s, "INVITEA", &owner));
    ASSERT_EQ(owner, a);
    char code[PT_COUPON_CODE_MAX];
    ASSERT_OK(pt_store_invite_of(s, a, code));
    ASSERT_STR_EQ(code, "INVITEA");
    ASSERT_EQ(pt_store_invite_of(s, b, code), PT_ENOTFOUND);
    pt_referral_rec r = {.member_id = b, .referrer_id = a, .state = PT_REFERRAL_PENDING, .created_at = T0};
    snprintf(r.code, sizeof r.code, "INVITEA");
    ASSERT_OK(pt_store_referral_insert(s, &r));
    ASSERT_EQ(pt_store_referral_insert(s, &r), PT_EEXIST);
    ASSERT_EQ(pt_store_referral_get(s, b, 1, &r), PT_ESTATE);
    ASSERT_OK(pt_store_begin_locking(s));
    ASSERT_OK(pt_store_referral_get(s, b, 1, &r));
    r.state = PT_REFERRAL_REWARDED;
    r.rewarded_at = T0 + 9;
    snprintf(r.reason, sizeof r.reason, "first purchase");
    ASSERT_OK(pt_store_referral_update(s, &r));
    ASSERT_OK(pt_store_commit(s));
    pt_referral_rec got;
    ASSERT_OK(pt_store_referral_get(s, b, 0, &got));
    ASSERT_EQ(got.referrer_id, a);
    ASSERT_EQ(got.state, PT_REFERRAL_REWARDED);
    ASSERT_EQ(got.rewarded_at, T0 + 9);
    ASSERT_STR_EQ(got.reason, "first purchase");
    ASSERT_EQ(pt_store_referral_get(s, a, 0, &got), PT_ENOTFOUND);
    got.member_id = a;
    ASSERT_EQ(pt_store_referral_update(s, &got), PT_ENOTFOUND);
    pt_store_close(s);
}

/* test_basket.c — FP-growth frequent itemsets and association rules (basket.h): supports
 * checked against brute-force counting of every subset, a rule's support, confidence and lift
 * worked out by hand, the rule order, and baskets from a snapshot (distinct items per paid
 * order). */
#include "helpers.h"
#include "test.h"
#include "patron/basket.h"
#include "patron/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Baskets {0,1,2} {0,1} {0,2} {1,2} {0,1,2,3} {3}. */
static const size_t SMALL_FIRST[] = {0, 3, 5, 7, 9, 13, 14};
static const int32_t SMALL_ITEM[] = {0, 1, 2, 0, 1, 0, 2, 1, 2, 0, 1, 2, 3, 3};

static pt_baskets small(void)
{
    return (pt_baskets){.n = 6, .nitems = 4, .first = (size_t *)SMALL_FIRST, .item = (int32_t *)SMALL_ITEM};
}

static int64_t brute_count(const pt_baskets *b, uint32_t mask)
{
    int64_t n = 0;
    for (size_t k = 0; k < b->n; k++) {
        uint32_t have = 0;
        for (size_t e = b->first[k]; e < b->first[k + 1]; e++)
            have |= 1u << b->item[e];
        n += (have & mask) == mask;
    }
    return n;
}

/* Every subset of the (≤ 16) items with a brute-force count ≥ min and size ≤ max_len must be
 * in s with that count, and s must hold nothing else. */
static int same_as_brute_force(const pt_itemsets *s, const pt_baskets *b, int64_t min, uint32_t max_len)
{
    size_t want = 0;
    for (uint32_t mask = 1; mask < (1u << b->nitems); mask++) {
        if ((uint32_t)__builtin_popcount(mask) > max_len || brute_count(b, mask) < min)
            continue;
        want++;
        int found = 0;
        for (size_t k = 0; k < s->n && !found; k++) {
            uint32_t m = 0;
            for (uint32_t j = 0; j < s->sets[k].len; j++)
                m |= 1u << s->pool[s->sets[k].off + j];
            if (m == mask) {
                if (s->sets[k].count != brute_count(b, mask))
                    return 0;
                found = 1;
            }
        }
        if (!found)
            return 0;
    }
    return want == s->n;
}

TEST(basket_fpgrowth_finds_exactly_the_brute_force_itemsets)
{
    pt_baskets b = small();
    pt_basket_opts o;
    pt_basket_opts_init(&o);
    o.min_support = 2.0 / 6.0;
    pt_itemsets s;
    ASSERT_OK(pt_basket_fpgrowth(&s, &b, &o));
    /* {0}4 {1}4 {2}4 {3}2 {0,1}3 {0,2}3 {1,2}3 {0,1,2}2 */
    ASSERT_EQ(s.n, 8);
    ASSERT(same_as_brute_force(&s, &b, 2, 4));
    pt_itemsets_free(&s);
}

static uint64_t lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005ull + 1442695040888963407ull;
    return *x >> 33;
}

TEST(basket_fpgrowth_matches_brute_force_on_random_baskets)
{
    enum { NB = 300, NI = 10 };
    size_t *first = calloc(NB + 1, sizeof *first);
    int32_t *item = malloc(NB * NI * sizeof *item);
    ASSERT(first && item);
    uint64_t seed = 7;
    for (size_t k = 0; k < NB; k++) {
        first[k + 1] = first[k];
        for (int32_t i = 0; i < NI; i++) /* item i with probability falling in i, some pairs tied */
            if ((int32_t)(lcg(&seed) % 100) < 60 - 5 * i || (i == 7 && first[k + 1] > first[k] && item[first[k]] == 0))
                item[first[k + 1]++] = i;
    }
    pt_baskets b = {.n = NB, .nitems = NI, .first = first, .item = item};
    for (int t = 0; t < 3; t++) {
        pt_basket_opts o;
        pt_basket_opts_init(&o);
        o.min_support = t == 0 ? 0.02 : t == 1 ? 0.1 : 0.3;
        o.max_len = t == 2 ? 3 : 10;
        pt_itemsets s;
        ASSERT_OK(pt_basket_fpgrowth(&s, &b, &o));
        int64_t min = (int64_t)ceil(o.min_support * NB - 1e-9);
        ASSERT(s.n > 10);
        ASSERT(same_as_brute_force(&s, &b, min, o.max_len));
        pt_itemsets_free(&s);
    }
    free(first);
    free(item);
}

/* {0} → {1}: count({0,1}) = 3, count({0}) = 4, count({1}) = 4 of 6 baskets: support 1/2,
 * confidence 3/4, lift (3/4)/(4/6) = 9/8. */
TEST(basket_rules_have_hand_worked_support_confidence_and_lift)
{
    pt_baskets b = small();
    pt_basket_opts o;
    pt_basket_opts_init(&o);
    o.min_support = 2.0 / 6.0;
    o.min_confidence = 0;
    o.min_lift = 0;
    pt_itemsets s;
    pt_basket_rules r;
    ASSERT_OK(pt_basket_fpgrowth(&s, &b, &o));
    ASSERT_OK(pt_basket_rules_mine(&r, &s, &o));
    /* three pairs × 2 directions + {0,1,2} split 6 ways */
    ASSERT_EQ(r.n, 12);
    int found = 0;
    for (size_t k = 0; k < r.n; k++) {
        const pt_basket_rule *x = &r.rules[k];
        if (x->ante_len == 1 && x->cons_len == 1 && r.pool[x->ante_off] == 0 && r.pool[x->cons_off] == 1) {
            found = 1;
            ASSERT_EQ(x->count, 3);
            ASSERT(fabs(x->support - 0.5) < 1e-12);
            ASSERT(fabs(x->confidence - 0.75) < 1e-12);
            ASSERT(fabs(x->lift - 9.0 / 8.0) < 1e-12);
        }
        if (k > 0) /* sorted by lift, then confidence */
            ASSERT(r.rules[k - 1].lift > r.rules[k].lift ||
                   (r.rules[k - 1].lift == r.rules[k].lift && r.rules[k - 1].confidence >= r.rules[k].confidence));
    }
    ASSERT(found);
    /* {0,1} → {2}: 2/3 confidence, lift (2/3)/(4/6) = 1 */
    pt_basket_rules_free(&r);
    o.min_lift = 1.1;
    ASSERT_OK(pt_basket_rules_mine(&r, &s, &o));
    for (size_t k = 0; k < r.n; k++)
        ASSERT(r.rules[k].lift >= 1.1);
    ASSERT_EQ(r.n, 6); /* the pairs: 9/8 each way */
    pt_basket_rules_free(&r);
    pt_itemsets_free(&s);
}

TEST(basket_rejects_bad_options_and_bounds_the_itemsets)
{
    pt_baskets b = small();
    pt_basket_opts o;
    pt_basket_opts_init(&o);
    pt_itemsets s;
    o.min_support = 0;
    ASSERT_EQ(pt_basket_fpgrowth(&s, &b, &o), PT_EINVAL);
    o.min_support = 0.1;
    o.max_len = 0;
    ASSERT_EQ(pt_basket_fpgrowth(&s, &b, &o), PT_EINVAL);
    o.max_len = 4;
    o.max_itemsets = 3;
    ASSERT_EQ(pt_basket_fpgrowth(&s, &b, &o), PT_ETOOBIG);
    ASSERT(s.sets == NULL && s.n == 0);
}

TEST(basket_baskets_from_a_snapshot_are_distinct_items_of_paid_orders)
{
    const char *text = "CustomerID,InvoiceNo,InvoiceDate,StockCode,Quantity,UnitPrice\n"
                       "1,I1,2024-01-01,AA,1,1\n1,I1,2024-01-01,BB,1,1\n1,I1,2024-01-01,AA,2,1\n"
                       "2,I2,2024-01-02,BB,1,1\n2,C3,2024-01-02,AA,1,1\n";
    pt_snapshot *snap = test_snapshot_of_csv(text);
    ASSERT(snap);
    pt_baskets b;
    ASSERT_OK(pt_baskets_from_snapshot(&b, snap, INT64_MIN, INT64_MAX));
    ASSERT_EQ(b.n, 2); /* the cancellation C3 was dropped by the loader */
    ASSERT_EQ(b.first[1], 2);
    ASSERT_EQ(b.first[2], 3);
    pt_baskets_free(&b);
    pt_snapshot_free(snap);
}

/* basket.h — association rules for cross-selling (关联推荐 / 交叉销售): frequent itemsets over
 * baskets by FP-growth (Han, Pei & Yin 2000) and the rules A → C they imply.
 *
 * A basket is the set of distinct items of one paid order. For an itemset S over N baskets:
 *   support(S) = baskets holding all of S / N
 *   confidence(A → C) = support(A ∪ C) / support(A)
 *   lift(A → C) = confidence(A → C) / support(C)
 * Frequent itemsets are those with support ≥ min_support (count ≥ ceil(min_support·N), at least
 * 1) and at most max_len items; rules split a frequent itemset of 2+ items into a non-empty
 * antecedent and consequent in every way, kept when confidence ≥ min_confidence and
 * lift ≥ min_lift, sorted by lift, then confidence, then support (descending), then items.
 * "Frequently bought with X" is the rules whose antecedent is {X}.
 *
 * Rules are aggregates over every paid order (no member appears in them), so orders of members
 * without analytics consent count, as anonymous totals do elsewhere; min_support keeps a rule
 * from describing a handful of baskets.
 */
#ifndef PATRON_BASKET_H
#define PATRON_BASKET_H

#include "patron/snapshot.h"

#include <stddef.h>
#include <stdint.h>

#define PT_BASKET_MAX_LEN 16 /* items in an itemset */

typedef struct pt_basket_opts {
    double   min_support;    /* fraction of baskets, 0 < s ≤ 1 (default 0.01) */
    double   min_confidence; /* 0 ≤ c ≤ 1 (default 0.3) */
    double   min_lift;       /* ≥ 0 (default 1: rules at least as likely as chance) */
    uint32_t max_len;        /* 1 … PT_BASKET_MAX_LEN (default 4) */
    size_t   max_itemsets;   /* more frequent itemsets is PT_ETOOBIG (default 2,000,000) */
} pt_basket_opts;

void pt_basket_opts_init(pt_basket_opts *o);

/* Baskets as a CSR: basket b's items are item[first[b] .. first[b+1]−1], distinct, ascending,
 * each < nitems. */
typedef struct pt_baskets {
    size_t   n, nitems;
    size_t  *first; /* [n + 1] */
    int32_t *item;
} pt_baskets;

/* The baskets of snap's paid orders at from ≤ at < before (snapshot product indexes; orders
 * without lines are no baskets). PT_ENOMEM. */
int  pt_baskets_from_snapshot(pt_baskets *b, const pt_snapshot *snap, int64_t from, int64_t before);
void pt_baskets_free(pt_baskets *b);

typedef struct pt_itemset {
    uint32_t len, off; /* items pool[off .. off+len−1], ascending */
    int64_t  count;    /* baskets holding them all */
} pt_itemset;

typedef struct pt_itemsets {
    size_t      n, nbaskets;
    pt_itemset *sets;
    int32_t    *pool;
} pt_itemsets;

/* Every frequent itemset of b (see the top of this file), in no particular order. PT_EINVAL for
 * bad options, PT_ETOOBIG past max_itemsets, PT_ENOMEM. */
int  pt_basket_fpgrowth(pt_itemsets *out, const pt_baskets *b, const pt_basket_opts *o);
void pt_itemsets_free(pt_itemsets *s);

typedef struct pt_basket_rule {
    uint32_t ante_off, ante_len, cons_off, cons_len; /* items in the rules' pool, ascending */
    int64_t  count;                                  /* baskets holding antecedent and consequent */
    double   support, confidence, lift;
} pt_basket_rule;

typedef struct pt_basket_rules {
    size_t          n;
    pt_basket_rule *rules;
    int32_t        *pool;
} pt_basket_rules;

/* The rules of the frequent itemsets s, filtered and sorted (top of this file). PT_ENOMEM. */
int  pt_basket_rules_mine(pt_basket_rules *out, const pt_itemsets *s, const pt_basket_opts *o);
void pt_basket_rules_free(pt_basket_rules *r);

#endif

/* rules.h — what an order or an activity earns under a programme, and why.
 *
 * A pure function of its inputs (no store, no clock): the ledger gathers the context (tier,
 * birthday month, first purchase, points already given today and per rule), calls
 * pt_rules_evaluate, and writes what it returns. `patron points preview` prints the trace.
 *
 * Order of evaluation (documented in docs/programme.md and fixed):
 *  1. base: each line earns floor(amount_cents / unit_cents) × points per unit (BASE rule);
 *  2. multipliers per line, in this order: SKU, CATEGORY, WINDOW, MEMBER_DAY, BIRTHDAY
 *     (multiplier form), TIER. Within a kind, non-stackable rules: only the largest applies;
 *     stackable ones multiply. Multipliers combine as integers in basis points and the line's
 *     points are rounded down once, at the end: floor(base × Πm / 10000^k);
 *  3. bonuses per order: FIRST_PURCHASE, BIRTHDAY (points form), given to the order as a whole
 *     (line_no 0 in the result);
 *  4. caps, in rule order: each rule's daily cap and budget (what is left of it), then the
 *     programme's daily cap over all rules; a cap trims the lowest-numbered lines last.
 * Growth value: floor(amount_cents / growth_unit_cents) × growth_per_unit per line, not
 * multiplied and not capped. Lines with amount ≤ 0 earn nothing.
 *
 * Details (docs/programme.md has the worked examples):
 *  - "rule order" in 4 is the evaluation order of pt_rules_order: stage, then kind in the
 *    order above, then priority, then code. A rule fires only when ctx.at is inside its
 *    window [starts_at, ends_at); member day, birthday month and "today" are local days of
 *    the programme's time zone.
 *  - a line's base comes from the first BASE rule (in that order) that is active and either
 *    lists no categories or lists the line's category; no such rule: the line earns nothing.
 *  - each rule's share of a line is what it added: the multipliers are applied in order and
 *    rule j is credited floor(base × m1…mj / 10000^j) − floor(base × m1…m(j−1) / 10000^(j−1)),
 *    so the shares add up to the line's points exactly. A rule's cap (its daily cap, budget
 *    and member cap, each minus what ctx says it already gave) trims only its own shares; the
 *    programme's daily cap trims each line's shares from the last applied back to its base.
 *  - an order with no line above 0 gets no order bonuses either.
 *  - a line never earns more than PT_EARN_POINTS_MAX; beyond it the line is clamped (the
 *    trace says so). Lines must have amount_cents ≤ PT_EARN_AMOUNT_MAX.
 *  - a multiplier_bp (rule or tier) of 0 means "not set" and counts as ×1.0; a programme with
 *    a multiplier below ×1.0 or above ×100, or an invalid rule, is PT_EINVAL.
 *  - the result always lists the order's lines in input order and then line 0 (order
 *    bonuses, activity points), so nlines = number of lines + 1. Trace steps past
 *    PT_EARN_TRACE_MAX are dropped (the points are still right).
 */
#ifndef PATRON_RULES_H
#define PATRON_RULES_H

#include "patron/programme.h"

#include <stddef.h>
#include <stdint.h>

#define PT_EARN_LINES_MAX 256
#define PT_EARN_TRACE_MAX 512
#define PT_EARN_POINTS_MAX  1000000000000000LL  /* 10^15: most points one line can earn */
#define PT_EARN_AMOUNT_MAX  1000000000000000LL  /* 10^15 cents: largest line amount */

typedef struct pt_earn_line {
    int     line_no;                   /* ≥ 1, unique in the order */
    char    sku[64];
    char    category[64];
    int64_t amount_cents;
} pt_earn_line;

typedef struct pt_earn_ctx {
    int64_t at;                        /* when the order was placed (UTC epoch s) */
    int     tier;                      /* index into programme tiers */
    int     birthday_month;            /* 1–12, or 0 when unknown */
    int     first_purchase;            /* 1 if the member has no earlier purchase */
    int64_t earned_today;              /* points from earn rules already given today (local day) */
    /* per rule (same index as programme rules): given today to this member, given in total */
    int64_t rule_today[PT_PROG_RULES_MAX];
    int64_t rule_total[PT_PROG_RULES_MAX];
    /* per rule: given to this member in total (for the rule's member_cap) */
    int64_t rule_member_total[PT_PROG_RULES_MAX];
} pt_earn_ctx;

typedef struct pt_earn_step {
    int     line_no;                   /* 0: the order as a whole */
    int     rule;                      /* index into programme rules, or -1 (programme cap) */
    int64_t points_before, points_after;
    char    why[120];                  /* "×1.5 tier gold", "capped: daily cap 500 reached" */
} pt_earn_step;

typedef struct pt_earn_result {
    int64_t total_points;
    int64_t total_growth;
    int     nlines;
    struct {
        int     line_no;
        int64_t points;
        int64_t growth;
        int     rule;                  /* the rule that set the base (BASE), or -1 */
    } lines[PT_EARN_LINES_MAX + 1];    /* the order's lines, then line 0 for order bonuses */
    int64_t rule_points[PT_PROG_RULES_MAX]; /* points each rule added (for budgets and caps) */
    int     nsteps;
    pt_earn_step steps[PT_EARN_TRACE_MAX];
} pt_earn_result;

/* Evaluates an order. Returns 0, or PT_EINVAL (too many lines, a bad line). */
int pt_rules_evaluate_order(const pt_programme *p, const pt_earn_ctx *ctx, const pt_earn_line *lines,
                            size_t nlines, pt_earn_result *out);

/* Evaluates an activity (kind PT_RULE_CHECKIN, REVIEW or SHARE). For check-ins, streak is the
 * length of the run of consecutive local days ending today (1 on a first or broken run).
 * Points and growth go to line 0. */
int pt_rules_evaluate_activity(const pt_programme *p, const pt_earn_ctx *ctx, int kind, int streak,
                               pt_earn_result *out);

/* One step of the evaluation order: rule `rule` in stage 1 (base), 2 (multipliers), 3 (order
 * bonuses) or 4 (activities: check-in, review, share). A BIRTHDAY rule with both a multiplier
 * and points appears twice (stages 2 and 3). */
typedef struct pt_rule_slot {
    int stage;
    int rule;
} pt_rule_slot;

/* Fills order[] with every rule in evaluation order; returns how many (≤ 2 × nrules). */
int pt_rules_order(const pt_programme *p, pt_rule_slot order[2 * PT_PROG_RULES_MAX]);

#endif

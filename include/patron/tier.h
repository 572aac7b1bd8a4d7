/* tier.h — tiers and growth value: upgrade at once, downgrade only at review.
 *
 * Qualification counts the growth value (成长值) of the current period: entries' growth with
 * business time in [review_at − review_months, now) — or, when the programme qualifies on
 * spend, the member's paid orders' amounts (cents) over the 12 months before now (before the
 * review date, at a review); thresholds are then in cents. A write that raises it to a higher tier's
 * threshold upgrades the member at once; the new tier then holds for a full period (review_at
 * moves to the upgrade time + review_months). At a review (pt_tier_run_reviews), a member whose
 * period growth reached the current tier's retention threshold keeps the tier (or rises, if it
 * reached a higher threshold); otherwise drops to the highest tier whose retention the growth
 * meets, but at most downgrade_steps tiers. Every change is a tier_changes row with its reason
 * and an audit record.
 */
#ifndef PATRON_TIER_H
#define PATRON_TIER_H

#include "patron/ledger.h"

typedef struct pt_tier_status {
    int64_t member_id;
    int     tier;                /* index into the programme's tiers */
    int64_t tier_since;
    int64_t review_at;           /* 0: no reviews */
    int64_t period_start;
    int64_t period_growth;       /* or 12-month spend in cents, per the programme */
    int     next_tier;           /* -1 at the top */
    int64_t growth_to_next;      /* growth still needed for next_tier */
    int64_t growth_to_retain;    /* growth still needed to keep the tier at review (0: safe) */
    int     tier_at_review;      /* what a review now would give */
} pt_tier_status;

int pt_tier_status_of(pt_ledger *l, int64_t member_id, int64_t as_of, pt_tier_status *out);

typedef struct pt_tier_review_stats {
    int64_t reviewed, kept, upgraded, downgraded;
} pt_tier_review_stats;

/* Reviews every member whose review date is ≤ as_of (repeatedly, if several periods passed). */
int pt_tier_run_reviews(pt_ledger *l, int64_t as_of, pt_tier_review_stats *st);

/* One member's tier evaluated now (the server's POST …/tier/evaluate): the reviews due by
 * as_of (≤ 0: now) as pt_tier_run_reviews applies them, then an upgrade the current period's
 * growth (or 12-month spend) qualifies for — e.g. spend from orders imported without a ledger
 * write, or a programme with lower thresholds. Each change is a tier_changes row and an audit
 * record (actor: the caller's, "system" for reviews). A member without ledger activity keeps
 * the entry tier (PT_OK, nothing changed). Runs in a locking transaction (a savepoint inside
 * the caller's). */
typedef struct pt_tier_eval {
    int64_t member_id;
    int     tier_before, tier_after; /* indexes into the programme's tiers */
    int     reviews;                 /* reviews applied (several periods may have passed) */
    int     upgraded, downgraded;    /* changes made */
    int64_t period_growth;           /* what qualifies now (growth, or spend in cents) */
    int64_t review_at;               /* the next review; 0: none */
} pt_tier_eval;

int pt_tier_evaluate(pt_ledger *l, int64_t member_id, int64_t as_of, const char *actor, pt_tier_eval *out);

#endif

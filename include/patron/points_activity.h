/* points_activity.h — the programme's activity per local month, for the dashboard's tiers and
 * points page: points earned, redeemed, expired, clawed back and adjusted, reward redemptions,
 * and tier changes up and down — summed from pt_store_activity_summary (one aggregate query
 * over the months' span only, store_stats.h), never member by member.
 *
 * Months are the local calendar months (zone) overlapping [from, to), whole months, as in
 * pt_metrics_trends. Points are as the ledger wrote them, store-wide (every member, merged
 * and erased ones included: these are the programme's own totals, not per-member analytics).
 * Up or down: by the tiers' rank in `tier_rank` (the programme's order, lowest first); a
 * change involving a tier not in the list counts as `tier_other`.
 */
#ifndef PATRON_POINTS_ACTIVITY_H
#define PATRON_POINTS_ACTIVITY_H

#include "patron/store.h"

#include <stddef.h>
#include <stdint.h>

typedef struct pt_points_month {
    int64_t month;             /* first instant of the local month, UTC epoch s */
    int64_t earned;            /* Σ EARN entries' points */
    int64_t redeemed;          /* −Σ REDEEM − Σ RESTORE points: net of cancelled redemptions, as
                                  pt_metrics_points_flow (a positive figure) */
    int64_t expired;           /* −Σ EXPIRE */
    int64_t reversed;          /* −Σ REVERSE (refunds clawing points back) */
    int64_t adjusted;          /* Σ ADJUST (signed) */
    int64_t redemptions;       /* reward redemptions */
    int64_t redemption_points; /* points they spent */
    int64_t tier_up, tier_down, tier_other;
} pt_points_month;

/* One row per month into *out (malloc'd, caller frees), *n rows. PT_EINVAL for to ≤ from, an
 * unknown zone or more than PT_METRICS_MONTHS_MAX months; PT_ENOMEM; a store error as is. */
int pt_points_activity(pt_points_month **out, size_t *n, pt_store *s, const char *zone, int64_t from, int64_t to,
                       const char *const *tier_rank, size_t ntiers);

#endif

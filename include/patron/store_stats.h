/* store_stats.h — store-wide summaries of the programme's activity for analytics, one aggregate
 * query per period, never member by member: ledger entries (points earned, redeemed, expired,
 * …) per kind with their positive and negative parts apart, tier changes and reward
 * redemptions, summed per 15-minute slot of a period [from, to) — only rows in the period are
 * read (indexed on `at`). A slot is the unit because every time zone's offset is a multiple of
 * 15 minutes: summing slots into local months (or days) is then exact in any zone
 * (points_activity.h does it); a period's totals per kind (pt_metrics_points_flow) are the sum
 * over its slots.
 *
 * Rows come in no particular order; each (what, slot, kind or from → to) appears once.
 */
#ifndef PATRON_STORE_STATS_H
#define PATRON_STORE_STATS_H

#include "patron/store.h"
#include "patron/store_ledger.h"

#include <stdint.h>

#define PT_STATS_SLOT_S 900 /* 15 minutes */

enum pt_stats_what {
    PT_STATS_ENTRIES = 1,     /* ledger entries of one kind (enum pt_entry_kind) */
    PT_STATS_TIER_CHANGES = 2,/* tier changes from → to */
    PT_STATS_REDEMPTIONS = 3, /* reward redemptions */
};

typedef struct pt_stats_row {
    int     what;                 /* enum pt_stats_what */
    int64_t slot;                 /* first second of the slot: ⌊at / PT_STATS_SLOT_S⌋ · PT_STATS_SLOT_S */
    int     kind;                 /* PT_STATS_ENTRIES: the entry kind; else 0 */
    char    from_tier[PT_CODE_MAX];/* PT_STATS_TIER_CHANGES; else "" */
    char    to_tier[PT_CODE_MAX];
    int64_t count;                /* rows summed */
    int64_t points;               /* Σ points (entries: signed; redemptions: points spent); 0 for tier changes */
    int64_t points_in;            /* entries: Σ of the positive points; else 0 */
    int64_t points_out;           /* entries: Σ of the magnitudes of the negative ones (a release
                                     is both, so nothing nets out); else 0 */
} pt_stats_row;

typedef int (*pt_stats_cb)(void *ud, const pt_stats_row *r);

/* Calls cb once per summary row of the rows with business time `at` in [from, to) (a non-zero
 * return stops and is returned). PT_EINVAL for to ≤ from. */
int pt_store_activity_summary(pt_store *s, int64_t from, int64_t to, pt_stats_cb cb, void *ud);

#endif

/* points_activity.c — the programme's activity per local month (points_activity.h).
 *
 * The store sums the ledger entries, tier changes and reward redemptions of the months' span
 * per 15-minute slot in one query bounded to that span (store_stats.h); this file only drops
 * each slot into its local month. That is exact in every zone: month boundaries fall on whole
 * quarter-hours, so no slot straddles two months. */
#include "patron/points_activity.h"

#include "patron/error.h"
#include "patron/metrics.h"
#include "patron/store_stats.h"

#include <stdlib.h>
#include <string.h>

struct acc {
    const int64_t     *at;    /* [n + 1] month starts and the end of the last */
    size_t             n;
    pt_points_month   *rows;
    const char *const *rank;
    size_t             nrank;
};

static long rank_of(const struct acc *a, const char *tier)
{
    for (size_t k = 0; k < a->nrank; k++)
        if (strcmp(a->rank[k], tier) == 0)
            return (long)k;
    return -1;
}

static int add_row(void *ud, const pt_stats_row *r)
{
    struct acc *a = ud;
    long k = pt_metrics_bucket_of(a->at, a->n + 1, r->slot);
    if (k < 0)
        return PT_OK;
    pt_points_month *m = &a->rows[k];
    if (r->what == PT_STATS_ENTRIES) {
        switch (r->kind) {
        case PT_ENTRY_EARN: m->earned += r->points; break;
        case PT_ENTRY_REDEEM: /* net of cancelled redemptions, as pt_metrics_points_flow counts */
        case PT_ENTRY_RESTORE: m->redeemed -= r->points; break;
        case PT_ENTRY_EXPIRE: m->expired -= r->points; break;
        case PT_ENTRY_REVERSE: m->reversed -= r->points; break;
        case PT_ENTRY_ADJUST: m->adjusted += r->points; break;
        default: break; /* releases, settlements and transfers move points, not in or out */
        }
    } else if (r->what == PT_STATS_REDEMPTIONS) {
        m->redemptions += r->count;
        m->redemption_points += r->points;
    } else if (r->what == PT_STATS_TIER_CHANGES) {
        long from = rank_of(a, r->from_tier), to = rank_of(a, r->to_tier);
        if (from < 0 || to < 0 || from == to)
            m->tier_other += r->count;
        else if (to > from)
            m->tier_up += r->count;
        else
            m->tier_down += r->count;
    }
    return PT_OK;
}

int pt_points_activity(pt_points_month **out, size_t *n, pt_store *s, const char *zone, int64_t from, int64_t to,
                       const char *const *tier_rank, size_t ntiers)
{
    *out = NULL;
    *n = 0;
    int64_t *at = NULL;
    size_t nm = 0;
    if (to <= from)
        return PT_EINVAL;
    int rc = pt_metrics_months(zone, from, to, 0, &at, &nm);
    if (rc)
        return rc;
    struct acc a = {at, nm, calloc(nm ? nm : 1, sizeof *a.rows), tier_rank, ntiers};
    if (!a.rows) {
        free(at);
        return PT_ENOMEM;
    }
    for (size_t k = 0; k < nm; k++)
        a.rows[k].month = at[k];
    rc = pt_store_activity_summary(s, at[0], at[nm], add_row, &a);
    free(at);
    if (rc) {
        free(a.rows);
        return rc;
    }
    *out = a.rows;
    *n = nm;
    return PT_OK;
}

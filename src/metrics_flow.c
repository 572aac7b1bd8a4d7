/* metrics_flow.c — points flows of a period: issued, redeemed, expired, and the redemption rate
 * and breakage built on them (metrics.h, docs/metrics.md).
 *
 * The only KPI read from the ledger rather than the snapshot: a flow needs the entries of a
 * period, which the snapshot does not hold. One aggregate query per call
 * (pt_store_activity_summary, the same one the dashboard's months use), summed by kind and
 * 15-minute slot in the store over the period's entries only; here the slots are added up.
 * Invariant: every figure is a sum over whole entries of [from, to); nothing is estimated.
 */
#include "patron/metrics.h"
#include "patron/error.h"
#include "patron/store_ledger.h"
#include "patron/store_stats.h"

#include <string.h>

/* A period's entries per kind (1..PT_ENTRY_KIND_MAX): count, Σ positive, Σ −negative. */
struct totals {
    int64_t entries[PT_ENTRY_KIND_MAX + 1];
    int64_t in[PT_ENTRY_KIND_MAX + 1];
    int64_t out[PT_ENTRY_KIND_MAX + 1];
};

static int add_slot(void *ud, const pt_stats_row *r)
{
    struct totals *t = ud;
    if (r->what != PT_STATS_ENTRIES)
        return PT_OK;
    if (r->kind < 1 || r->kind > PT_ENTRY_KIND_MAX)
        return PT_ECORRUPT;
    t->entries[r->kind] += r->count;
    t->in[r->kind] += r->points_in;
    t->out[r->kind] += r->points_out;
    return PT_OK;
}

int pt_metrics_points_flow(pt_points_flow *out, pt_store *store, int64_t from, int64_t to)
{
    memset(out, 0, sizeof *out);
    out->redemption_rate_bp = out->breakage_bp = PT_METRICS_NONE;
    if (to <= from)
        return PT_EINVAL;
    struct totals t;
    memset(&t, 0, sizeof t);
    int rc = pt_store_activity_summary(store, from, to, add_slot, &t);
    if (rc)
        return rc;
    out->issued = t.in[PT_ENTRY_EARN];
    out->reversed = t.out[PT_ENTRY_REVERSE];
    out->issued_net = out->issued - out->reversed;
    out->redeemed = t.out[PT_ENTRY_REDEEM] - t.in[PT_ENTRY_RESTORE];
    out->expired = t.out[PT_ENTRY_EXPIRE];
    out->adjusted_in = t.in[PT_ENTRY_ADJUST];
    out->adjusted_out = t.out[PT_ENTRY_ADJUST];
    out->earn_entries = t.entries[PT_ENTRY_EARN];
    out->redeem_entries = t.entries[PT_ENTRY_REDEEM];
    out->expire_entries = t.entries[PT_ENTRY_EXPIRE];
    if (out->issued_net > 0) {
        out->redemption_rate_bp = pt_metrics_bp(out->redeemed, out->issued_net);
        out->breakage_bp = pt_metrics_bp(out->expired, out->issued_net);
    }
    return PT_OK;
}

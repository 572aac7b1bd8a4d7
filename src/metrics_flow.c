/* metrics_flow.c — points flows of a period: issued, redeemed, expired, and the redemption rate
 * and breakage built on them (metrics.h, docs/metrics.md).
 *
 * The only KPI read from the ledger rather than the snapshot: a flow needs the entries of a
 * period, which the snapshot does not hold. One aggregate query per call (pt_store_entry_totals),
 * summed by kind in the store, so the cost is one scan of the entries and no per-member work.
 * Invariant: every figure is a sum over whole entries of [from, to); nothing is estimated.
 */
#include "patron/metrics.h"
#include "patron/error.h"
#include "patron/store_ledger.h"

#include <string.h>

int pt_metrics_points_flow(pt_points_flow *out, pt_store *store, int64_t from, int64_t to)
{
    memset(out, 0, sizeof *out);
    out->redemption_rate_bp = out->breakage_bp = PT_METRICS_NONE;
    if (to <= from)
        return PT_EINVAL;
    pt_entry_totals t;
    int rc = pt_store_entry_totals(store, from, to, &t);
    if (rc)
        return rc;
    out->issued = t.points_in[PT_ENTRY_EARN];
    out->reversed = t.points_out[PT_ENTRY_REVERSE];
    out->issued_net = out->issued - out->reversed;
    out->redeemed = t.points_out[PT_ENTRY_REDEEM] - t.points_in[PT_ENTRY_RESTORE];
    out->expired = t.points_out[PT_ENTRY_EXPIRE];
    out->adjusted_in = t.points_in[PT_ENTRY_ADJUST];
    out->adjusted_out = t.points_out[PT_ENTRY_ADJUST];
    out->earn_entries = t.entries[PT_ENTRY_EARN];
    out->redeem_entries = t.entries[PT_ENTRY_REDEEM];
    out->expire_entries = t.entries[PT_ENTRY_EXPIRE];
    if (out->issued_net > 0) {
        out->redemption_rate_bp = pt_metrics_bp(out->redeemed, out->issued_net);
        out->breakage_bp = pt_metrics_bp(out->expired, out->issued_net);
    }
    return PT_OK;
}

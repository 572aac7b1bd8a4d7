/* store_sqlite_stats.c — store-wide activity summaries (store_stats.h) on SQLite.
 *
 * One aggregate query per call over the rows with `at` in [from, to) only (the *_at indexes of
 * migration 12 find them), prepared and finalized on the spot rather than cached: it is an
 * analytics read, not a hot path, and needs no slot of the statement cache. The SQL is the same
 * as on PostgreSQL (store_pg_stats.c). */
#include "store_sqlite_int.h"
#include "patron/error.h"

#include <string.h>

/* Integer division of non-negative epoch seconds: the slot's first second. */
#define SLOT_EXPR "(at / 900) * 900"
_Static_assert(PT_STATS_SLOT_S == 900, "SLOT_EXPR hard-codes the slot length");

/* Columns: what, slot, kind, from_tier, to_tier, count, Σ positive points, Σ −negative points
 * (redemptions: Σ points spent in the first of the two). */
static const char ACTIVITY_SQL[] =
    "SELECT 1, " SLOT_EXPR ", kind, '', '', COUNT(*), SUM(max(points, 0)), SUM(max(-points, 0))"
    " FROM ledger_entries WHERE at >= ?1 AND at < ?2 GROUP BY 2, 3"
    " UNION ALL SELECT 2, " SLOT_EXPR ", 0, from_tier, to_tier, COUNT(*), 0, 0"
    " FROM tier_changes WHERE at >= ?1 AND at < ?2 GROUP BY 2, 4, 5"
    " UNION ALL SELECT 3, " SLOT_EXPR ", 0, '', '', COUNT(*), SUM(points), 0"
    " FROM reward_redemptions WHERE at >= ?1 AND at < ?2 GROUP BY 2";

static int sq_activity_summary(pt_store *s, int64_t from, int64_t to, pt_stats_cb cb, void *ud)
{
    sq_store *q = SQ(s);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(q->db, ACTIVITY_SQL, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return pt__sq_fail(q, rc, "preparing the activity summary");
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    int out = PT_OK;
    while (out == PT_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        pt_stats_row r;
        memset(&r, 0, sizeof r);
        r.what = col_int(st, 0);
        r.slot = col_i64(st, 1);
        r.kind = col_int(st, 2);
        col_text(st, 3, r.from_tier, sizeof r.from_tier);
        col_text(st, 4, r.to_tier, sizeof r.to_tier);
        r.count = col_i64(st, 5);
        pt__stats_row_points(&r, col_i64(st, 6), col_i64(st, 7));
        out = cb(ud, &r);
    }
    if (out == PT_OK && rc != SQLITE_DONE)
        out = pt__sq_fail(q, rc, "summing the ledger activity");
    sqlite3_finalize(st);
    return out;
}

const struct pt_store_stats_ops pt__sq_stats_ops = {
    .activity_summary = sq_activity_summary,
};

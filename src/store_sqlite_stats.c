/* store_sqlite_stats.c — store-wide activity summaries (store_stats.h) on SQLite.
 *
 * One aggregate scan per call, prepared and finalized on the spot rather than cached: it runs
 * once per analytics refresh, and so it needs no slot of the statement cache. The SQL is the
 * same as on PostgreSQL (store_pg_stats.c). */
#include "store_sqlite_int.h"
#include "patron/error.h"

#include <string.h>

/* Integer division of non-negative epoch seconds: the slot's first second. */
#define SLOT_EXPR "(at / 900) * 900"
_Static_assert(PT_STATS_SLOT_S == 900, "SLOT_EXPR hard-codes the slot length");

static const char ACTIVITY_SQL[] =
    "SELECT 1, " SLOT_EXPR ", kind, '', '', COUNT(*), CAST(SUM(points) AS BIGINT)"
    " FROM ledger_entries GROUP BY 2, 3"
    " UNION ALL SELECT 2, " SLOT_EXPR ", 0, from_tier, to_tier, COUNT(*), 0"
    " FROM tier_changes GROUP BY 2, 4, 5"
    " UNION ALL SELECT 3, " SLOT_EXPR ", 0, '', '', COUNT(*), CAST(SUM(points) AS BIGINT)"
    " FROM reward_redemptions GROUP BY 2";

static int sq_activity_summary(pt_store *s, pt_stats_cb cb, void *ud)
{
    sq_store *q = SQ(s);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(q->db, ACTIVITY_SQL, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return pt__sq_fail(q, rc, "preparing the activity summary");
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
        r.points = col_i64(st, 6);
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

/* store_pg_stats.c — store-wide activity summaries (store_stats.h) on PostgreSQL.
 *
 * The same aggregate as on SQLite (store_sqlite_stats.c), over the rows with `at` in [from, to)
 * only (the *_at indexes of migration 12), through pt__pg_scan_each: a cursor on an auxiliary
 * connection in a read-only snapshot outside a transaction, so the caller may use the store
 * from the callback. An analytics read, so it is not among the statements prepared at open
 * and needs no statement id. */
#include "store_pg_int.h"
#include "patron/error.h"

#include <string.h>

#define SLOT_EXPR "(at / 900) * 900"
_Static_assert(PT_STATS_SLOT_S == 900, "SLOT_EXPR hard-codes the slot length");

/* Every column is cast to int8 or text so the binary reader sees fixed types. */
static const char ACTIVITY_SQL[] =
    "SELECT 1::int8, " SLOT_EXPR "::int8, kind::int8, ''::text, ''::text, COUNT(*)::int8,"
    " SUM(greatest(points, 0))::int8, SUM(greatest(-points, 0))::int8"
    " FROM ledger_entries WHERE at >= $1 AND at < $2 GROUP BY 2, 3"
    " UNION ALL SELECT 2::int8, " SLOT_EXPR "::int8, 0::int8, from_tier::text, to_tier::text, COUNT(*)::int8,"
    " 0::int8, 0::int8 FROM tier_changes WHERE at >= $1 AND at < $2 GROUP BY 2, 4, 5"
    " UNION ALL SELECT 3::int8, " SLOT_EXPR "::int8, 0::int8, ''::text, ''::text, COUNT(*)::int8,"
    " SUM(points)::int8, 0::int8 FROM reward_redemptions WHERE at >= $1 AND at < $2 GROUP BY 2";

static int read_row(const PGresult *res, int row, void *rec)
{
    pt_stats_row *r = rec;
    memset(r, 0, sizeof *r);
    r->what = (int)g_i64(res, row, 0);
    r->slot = g_i64(res, row, 1);
    r->kind = (int)g_i64(res, row, 2);
    g_text(res, row, 3, r->from_tier, sizeof r->from_tier);
    g_text(res, row, 4, r->to_tier, sizeof r->to_tier);
    r->count = g_i64(res, row, 5);
    pt__stats_row_points(r, g_i64(res, row, 6), g_i64(res, row, 7));
    return PT_OK;
}

struct call {
    pt_stats_cb cb;
    void       *ud;
};

static int call_row(void *ud, const void *rec)
{
    const struct call *c = ud;
    return c->cb(c->ud, rec);
}

static int pg_activity_summary(pt_store *s, int64_t from, int64_t to, pt_stats_cb cb, void *ud)
{
    pt_stats_row r;
    struct call c = {cb, ud};
    struct params p = {0};
    p_i64(&p, from);
    p_i64(&p, to);
    return pt__pg_scan_each(PG(s), ACTIVITY_SQL, &p, 4096, read_row, &r, call_row, &c, "summing the ledger activity");
}

const struct pt_store_stats_ops pt__pg_stats_ops = {
    .activity_summary = pg_activity_summary,
};

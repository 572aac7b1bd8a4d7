/* dashboard.h — the JSON of the analytics dashboard's panels (GET /api/v1/dashboard/PANEL),
 * computed with libpatron's analytics (metrics.h, rfm.h, lifecycle.h, clv.h) over a snapshot
 * of the store. The HTTP binding is server/routes_dashboard.c; this module knows nothing of
 * HTTP, so the tests drive it directly.
 *
 * Panels: meta, overview, trends, segments, segments/members, lifecycle, cohorts, tiers,
 * value, churn, member (docs/dashboard.md has each one's parameters and fields).
 *
 * Snapshot and caches: a pt_dash reads one snapshot generation at a time. With a source
 * (pt_dash_set_source: the server's analytics view) it borrows the source's snapshot and loads
 * none of its own; without one it loads its own on first use and again when it is older than
 * ttl_s seconds. Either way a call takes a reference to the current generation and keeps it to
 * the end, so a newer snapshot replaces it without waiting for calls still reading it and
 * without freeing what they read; a load runs outside every lock the readers take. The RFM
 * results, CLV fits and scores and lifecycle stages (a few as_of dates each) and the
 * programme's tiers are cached in the generation and go with it. Calls on one generation take
 * its mutex, so one pt_dash may serve every server thread; each call reads the store through
 * the db the caller passes (a server pool thread's own handle), only during that call.
 *
 * Dates in parameters are YYYY-MM-DD in the tenant's zone (config.json), that day's first
 * instant, as `patron kpi --from/--to` reads them; a period is [from, to). Money is integer
 * cents, rates basis points, as in the CLI's JSON, so the dashboard and `patron kpi --json`
 * print the same numbers for the same period.
 *
 * Personal data: the member panel gives the profile and identifiers masked (PT_DASH_MASKED),
 * or not at all (PT_DASH_PSEUDONYMOUS: member numbers and analytics only — an analyst key);
 * never in clear. No other panel carries anything personal.
 */
#ifndef PATRON_SERVER_DASHBOARD_H
#define PATRON_SERVER_DASHBOARD_H

#include "patron/db.h"
#include "patron/snapshot.h"

#include <jansson.h>
#include <stddef.h>

typedef struct pt_dash pt_dash;

enum pt_dash_personal {
    PT_DASH_PSEUDONYMOUS = 0, /* member numbers only */
    PT_DASH_MASKED = 1,       /* profile and identifiers masked (138****8000) */
};

/* ttl_s ≥ 0: the age at which an own snapshot is reloaded (0: on every call); unused with a
 * source. */
int  pt_dash_open(pt_dash **out, int ttl_s);
void pt_dash_close(pt_dash *d);

/* Where the snapshot comes from when the pt_dash does not load its own. acquire gives a
 * snapshot with a reference taken (*ref, handed back to release when the pt_dash is done with
 * it) and its generation number, which grows with every new snapshot; a nonzero return is a
 * PT_E* code. Both are called from any thread, never under the pt_dash's locks. */
typedef struct pt_dash_source {
    int  (*acquire)(void *ud, pt_db *db, const pt_snapshot **snap, uint64_t *gen, void **ref);
    void (*release)(void *ud, void *ref);
    void *ud;
} pt_dash_source;

/* Borrows snapshots from src from now on (before the first call; src is copied). */
void pt_dash_set_source(pt_dash *d, const pt_dash_source *src);

/* What the pt_dash has computed since it was opened: snapshots it loaded itself, generations
 * it borrowed from its source, and the analyses run (each is cached per generation, so a
 * repeat of the same request adds nothing). */
typedef struct pt_dash_stats {
    long loads, borrows;
    long rfm_runs, clv_fits, lifecycle_runs, ledger_opens;
} pt_dash_stats;
void pt_dash_stats_get(pt_dash *d, pt_dash_stats *out);

/* A query parameter by name, or NULL when absent. */
typedef const char *(*pt_dash_param_fn)(void *ud, const char *name);

typedef struct pt_dash_result {
    int     status;        /* HTTP status: 200, 400 (a bad parameter), 404, 500 */
    json_t *body;          /* the JSON (200) or {"error": "…"} */
    char    field[32];     /* with a 400: the parameter at fault */
    char   *csv;           /* instead of body: a CSV (segments/members?format=csv), malloc'd */
    size_t  csv_len;
} pt_dash_result;

/* Computes panel `panel` ("overview", "segments/members", …) from the store of db into *res,
 * which the caller releases with pt_dash_result_free. A bad parameter gives 400 with a message
 * naming it and why (and res->field); an unknown panel 404. Returns res->status. */
int  pt_dash_panel(pt_dash *d, pt_db *db, const char *panel, pt_dash_param_fn param, void *ud, int personal,
                   pt_dash_result *res);
void pt_dash_result_free(pt_dash_result *res);

/* Drops the current generation and its caches (e.g. after an import), so the next call loads
 * (or borrows) a snapshot again; calls still reading the old one finish with it. */
void pt_dash_invalidate(pt_dash *d);

#endif

/* analytics_view.h — the analytics view's snapshot lent to the dashboard (routes_analytics.c
 * builds and refreshes the view; routes_dashboard.c borrows its snapshot, so the server holds one
 * snapshot, not two). The pair fits pt_dash_source (dashboard.h) with ud the struct pt_server.
 *
 * Invariant: the snapshot stays valid until its reference is handed back, whatever refreshes
 * happen meanwhile; gen grows with every refresh. */
#ifndef PATRON_SERVER_ANALYTICS_VIEW_H
#define PATRON_SERVER_ANALYTICS_VIEW_H

#include "patron/db.h"
#include "patron/snapshot.h"

#include <stdint.h>

struct pt_server;

/* The current view's snapshot with a reference taken (*ref), built now with db if there is
 * none yet; its generation in *gen. A PT_E* code when it could not be built. */
int  srv_analytics_snapshot(void *srv, pt_db *db, const pt_snapshot **snap, uint64_t *gen, void **ref);
/* Hands back a reference from srv_analytics_snapshot. */
void srv_analytics_snapshot_put(void *srv, void *ref);
/* Has the dashboard hand back the snapshot it borrowed (routes_dashboard.c): called when the
 * analytics view goes away, which may be before the dashboard is freed. */
void srv_dashboard_drop_snapshot(struct pt_server *srv);

#endif

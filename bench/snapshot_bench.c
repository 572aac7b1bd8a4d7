/* snapshot_bench.c — time to load the analytics snapshot (orders, lines, events … as columns) from a store.
 *
 *   snapshot_bench STORE_URL [RUNS]
 *
 * Opens the store, loads the snapshot RUNS times (default 3) and prints each time, rows/s and
 * the work done (members, orders, revenue) so runs on different backends can be compared.
 * Printed, never asserted. */
#include "patron/error.h"
#include "patron/snapshot.h"
#include "patron/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: snapshot_bench STORE_URL [RUNS]\n");
        return 2;
    }
    int runs = argc == 3 ? atoi(argv[2]) : 3;
    char err[512];
    pt_store *s = NULL;
    if (pt_store_open(&s, argv[1], err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const char *be = pt_store_backend(s);
    double best = 0;
    for (int i = 0; i < runs; i++) {
        pt_snapshot *snap = NULL;
        double t0 = now_s();
        int rc = pt_snapshot_load(&snap, s, NULL, NULL);
        double dt = now_s() - t0;
        if (rc) {
            fprintf(stderr, "load: %s (%s)\n", pt_store_errmsg(s), pt_errname(rc));
            pt_store_close(s);
            return 1;
        }
        if (i == 0 || dt < best)
            best = dt;
        printf("snapshot %-8s run %d  members %zu  orders %zu  lines %zu  products %zu  events %zu  revenue %lld cents"
               "  %.2f s  %.0f orders/s\n",
               be, i + 1, snap->nmembers, snap->norders, snap->nitems, snap->nproducts, snap->nevents,
               (long long)snap->revenue_cents, dt, (double)snap->norders / dt);
        pt_snapshot_free(snap);
    }
    printf("snapshot %-8s best %.2f s\n", be, best);
    pt_store_close(s);
    return 0;
}

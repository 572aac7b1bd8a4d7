/* rfm_bench.c — time to load the analytics snapshot and compute RFM (values, quintile scores,
 * H/L codes, both segment maps and both summaries) on 1 and 2 threads.
 *
 *   rfm_bench STORE_URL [RUNS] [AS_OF_EPOCH]
 *   rfm_bench --transactions FILE.csv [RUNS] [AS_OF_EPOCH]   (bench/run-rfm-peer: the CSV pandas reads)
 *
 * Loads the snapshot once (timed, with peak RSS), then runs pt_rfm_compute + both
 * pt_rfm_segments RUNS times (default 5) per thread count and prints each best time and a
 * hash of every row's scores and segments, so runs (and thread counts) can be shown to have
 * done the same work. AS_OF defaults to 1700000000 (after the bench/run-snapshot data).
 * Printed, never asserted. */
#include "patron/error.h"
#include "patron/rfm.h"
#include "patron/snapshot.h"
#include "patron/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

/* FNV-1a over every row's member, scores, code and segments. */
static uint64_t result_hash(const pt_rfm *r)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < r->nrows; i++) {
        const pt_rfm_row *w = &r->rows[i];
        uint64_t v[2] = {(uint64_t)w->member_id,
                         (uint64_t)w->r | (uint64_t)w->f << 8 | (uint64_t)w->m << 16 | (uint64_t)w->hl << 24 |
                             (uint64_t)w->seg11 << 32 | (uint64_t)w->seg8 << 40};
        const unsigned char *p = (const unsigned char *)v;
        for (size_t k = 0; k < sizeof v; k++)
            h = (h ^ p[k]) * 1099511628211u;
    }
    return h;
}

static int run_rfm(const pt_snapshot *snap, int64_t as_of, int threads, int runs)
{
    double best = 0;
    pt_rfm r;
    for (int i = 0; i < runs; i++) {
        pt_rfm_opts o;
        pt_rfm_opts_init(&o, as_of);
        o.threads = threads;
        pt_rfm_segment seg[PT_RFM_SEGMENTS_MAX];
        double t0 = now_s();
        int rc = pt_rfm_compute(&r, snap, &o);
        if (rc == PT_OK && (pt_rfm_segments(&r, PT_RFM_MAP11, seg) < 0 || pt_rfm_segments(&r, PT_RFM_MAP8, seg) < 0))
            rc = PT_EINVAL;
        double dt = now_s() - t0;
        if (rc) {
            fprintf(stderr, "rfm: %s\n", pt_strerror(rc));
            return 1;
        }
        if (i == 0 || dt < best)
            best = dt;
        if (i + 1 < runs)
            pt_rfm_free(&r);
    }
    int64_t codes = 0; /* Σ R·100 + F·10 + M over scored rows: the figure bench/rfm_pandas.py prints too */
    for (size_t i = 0; i < r.nrows; i++)
        codes += r.rows[i].r ? 100 * r.rows[i].r + 10 * r.rows[i].f + r.rows[i].m : 0;
    printf("rfm      threads %d  best of %d %.3f s  rows %zu  scored %zu  sum of codes %lld  hash %016llx"
           "  peak RSS %ld MB\n",
           r.opts.threads, runs, best, r.nrows, r.t.scored, (long long)codes, (unsigned long long)result_hash(&r),
           peak_rss_mb());
    pt_rfm_free(&r);
    return 0;
}

/* The snapshot of a transactions CSV (pt_snapshot_load_transactions), timed. */
static int load_csv(pt_snapshot **snap, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return 1;
    }
    char err[512] = "";
    pt_tx_report rep;
    double t0 = now_s();
    int rc = pt_snapshot_load_transactions(snap, f, path, NULL, &rep, err, sizeof err);
    double dt = now_s() - t0;
    fclose(f);
    if (rc) {
        fprintf(stderr, "load: %s (%s)\n", err, pt_errname(rc));
        return 1;
    }
    printf("snapshot csv      members %zu  orders %zu  rows %lld  revenue %lld cents  %.2f s  peak RSS %ld MB\n",
           (*snap)->nmembers, (*snap)->norders, (long long)rep.rows, (long long)(*snap)->revenue_cents, dt,
           peak_rss_mb());
    return 0;
}

int main(int argc, char **argv)
{
    int csv = argc >= 3 && strcmp(argv[1], "--transactions") == 0;
    argv += csv;
    argc -= csv;
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: rfm_bench STORE_URL [RUNS] [AS_OF_EPOCH]\n"
                        "       rfm_bench --transactions FILE.csv [RUNS] [AS_OF_EPOCH]\n");
        return 2;
    }
    int runs = argc >= 3 ? atoi(argv[2]) : 5;
    int64_t as_of = argc == 4 ? strtoll(argv[3], NULL, 10) : 1700000000;
    if (csv) {
        pt_snapshot *snap = NULL;
        if (load_csv(&snap, argv[1]))
            return 1;
        int bad = run_rfm(snap, as_of, 1, runs) || run_rfm(snap, as_of, 2, runs);
        pt_snapshot_free(snap);
        return bad;
    }
    char err[512];
    pt_store *s = NULL;
    if (pt_store_open(&s, argv[1], err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    pt_snapshot *snap = NULL;
    double t0 = now_s();
    int rc = pt_snapshot_load(&snap, s, NULL, NULL);
    double dt = now_s() - t0;
    if (rc) {
        fprintf(stderr, "load: %s (%s)\n", pt_store_errmsg(s), pt_errname(rc));
        pt_store_close(s);
        return 1;
    }
    printf("snapshot %-8s members %zu  orders %zu  revenue %lld cents  %.2f s  peak RSS %ld MB\n",
           pt_store_backend(s), snap->nmembers, snap->norders, (long long)snap->revenue_cents, dt, peak_rss_mb());
    int bad = run_rfm(snap, as_of, 1, runs) || run_rfm(snap, as_of, 2, runs);
    pt_snapshot_free(snap);
    pt_store_close(s);
    return bad;
}

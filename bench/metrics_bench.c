/* metrics_bench.c — time of the loyalty KPIs, the cohort matrix, monthly trends and lifecycle
 * stages over one snapshot: the analytics `patron kpi|cohorts|trends|lifecycle` run once the
 * snapshot is loaded.
 *
 *   metrics_bench STORE_URL [RUNS] [AS_OF_EPOCH]
 *   metrics_bench --transactions FILE.csv [RUNS] [AS_OF_EPOCH]   (e.g. bench/run-rfm-peer's CSV)
 *
 * Loads the snapshot once (timed, with peak RSS), then per analysis the best of RUNS (default 3)
 * and a figure from its result, so runs can be compared: KPIs of the month before AS_OF and of
 * the month before that; cohorts of the 24 months before AS_OF with 12 cells each; trends over the
 * same 24 months; lifecycle thresholds derived from the data, stages as of AS_OF, stage counts at
 * the 24 month ends and the transition matrix over the last year. Times in UTC. AS_OF defaults to
 * 1696118400 (2023-10-01, after bench/run-rfm-peer's data). Printed, never asserted. */
#include "patron/error.h"
#include "patron/lifecycle.h"
#include "patron/metrics.h"
#include "patron/snapshot.h"
#include "patron/store.h"
#include "patron/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define MONTHS 24

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

struct job {
    const pt_snapshot *snap;
    int64_t            as_of, from; /* from = as_of − 24 months */
    int64_t            figure;      /* printed: shows the runs did the same work */
};

static int kpis(struct job *j)
{
    int64_t month_start;
    pt_kpi cur, prev;
    int rc = pt_tz_add("UTC", PT_TZ_MONTH, j->as_of, -1, &month_start);
    if (rc == PT_OK)
        rc = pt_metrics_kpi(&cur, j->snap, month_start, j->as_of);
    if (rc == PT_OK)
        rc = pt_metrics_kpi(&prev, j->snap, 2 * month_start - j->as_of, month_start);
    j->figure = rc ? 0 : (int64_t)cur.active * 1000000 + cur.repurchase_bp;
    return rc;
}

static int cohorts(struct job *j)
{
    pt_cohorts c;
    int rc = pt_metrics_cohorts(&c, j->snap, "UTC", j->from, j->as_of, 12);
    j->figure = 0;
    for (size_t i = 0; rc == PT_OK && i < c.n; i++)
        for (int k = 0; k <= c.cohorts[i].observed; k++)
            j->figure += (int64_t)c.cohorts[i].retained[k];
    if (rc == PT_OK)
        pt_metrics_cohorts_free(&c);
    return rc;
}

static int trends(struct job *j)
{
    pt_trend_month *t = NULL;
    size_t n = 0;
    int rc = pt_metrics_trends(&t, &n, j->snap, "UTC", j->from, j->as_of);
    j->figure = 0;
    for (size_t i = 0; rc == PT_OK && i < n; i++)
        j->figure += (int64_t)t[i].active;
    free(t);
    return rc;
}

static int lifecycle(struct job *j)
{
    pt_lifecycle_opts o;
    pt_lifecycle_thresholds th;
    pt_lifecycle_opts_init(&o);
    int rc = pt_lifecycle_derive(&th, j->snap, &o, j->as_of);
    pt_lifecycle lc;
    if (rc == PT_OK && (rc = pt_lifecycle_compute(&lc, j->snap, j->as_of, &th)) == PT_OK) {
        j->figure = (int64_t)lc.counts.stage[PT_LC_ACTIVE];
        pt_lifecycle_free(&lc);
    }
    int64_t *ends = NULL;
    size_t n = 0;
    pt_lifecycle_counts *counts = NULL;
    if (rc == PT_OK)
        rc = pt_lifecycle_month_ends("UTC", j->from, j->as_of, &ends, &n);
    if (rc == PT_OK && !(counts = calloc(n + 1, sizeof *counts)))
        rc = PT_ENOMEM;
    if (rc == PT_OK)
        rc = pt_lifecycle_counts_at(counts, j->snap, ends, n, &th);
    pt_lifecycle_transitions tr;
    int64_t year_ago;
    if (rc == PT_OK && (rc = pt_tz_add("UTC", PT_TZ_MONTH, j->as_of, -12, &year_ago)) == PT_OK)
        rc = pt_lifecycle_transition_matrix(&tr, j->snap, year_ago, j->as_of, &th);
    free(counts);
    free(ends);
    return rc;
}

static int bench(const char *name, int (*fn)(struct job *), struct job *j, int runs)
{
    double best = 0;
    for (int i = 0; i < runs; i++) {
        double t0 = now_s();
        int rc = fn(j);
        double dt = now_s() - t0;
        if (rc) {
            fprintf(stderr, "%s: %s\n", name, pt_strerror(rc));
            return 1;
        }
        best = i == 0 || dt < best ? dt : best;
    }
    printf("%-10s best of %d %.3f s  figure %lld  peak RSS %ld MB\n", name, runs, best, (long long)j->figure,
           peak_rss_mb());
    return 0;
}

static int load(pt_snapshot **snap, int csv, const char *what)
{
    char err[512] = "";
    double t0 = now_s();
    int rc;
    if (csv) {
        FILE *f = fopen(what, "r");
        if (!f) {
            perror(what);
            return 1;
        }
        rc = pt_snapshot_load_transactions(snap, f, what, NULL, NULL, err, sizeof err);
        fclose(f);
    } else {
        pt_store *s = NULL;
        rc = pt_store_open(&s, what, err, sizeof err);
        if (rc == PT_OK) {
            rc = pt_snapshot_load(snap, s, NULL, NULL);
            snprintf(err, sizeof err, "%s", pt_store_errmsg(s));
            pt_store_close(s);
        }
    }
    if (rc) {
        fprintf(stderr, "load: %s (%s)\n", err, pt_errname(rc));
        return 1;
    }
    printf("snapshot  members %zu  orders %zu  %.2f s  peak RSS %ld MB\n", (*snap)->nmembers, (*snap)->norders,
           now_s() - t0, peak_rss_mb());
    return 0;
}

int main(int argc, char **argv)
{
    int csv = argc >= 3 && strcmp(argv[1], "--transactions") == 0;
    argv += csv;
    argc -= csv;
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: metrics_bench STORE_URL [RUNS] [AS_OF_EPOCH]\n"
                        "       metrics_bench --transactions FILE.csv [RUNS] [AS_OF_EPOCH]\n");
        return 2;
    }
    int runs = argc >= 3 ? atoi(argv[2]) : 3;
    struct job j = {.as_of = argc == 4 ? strtoll(argv[3], NULL, 10) : 1696118400};
    pt_snapshot *snap = NULL;
    if (load(&snap, csv, argv[1]) || pt_tz_add("UTC", PT_TZ_MONTH, j.as_of, -MONTHS, &j.from))
        return 1;
    j.snap = snap;
    int bad = bench("kpi", kpis, &j, runs) || bench("cohorts", cohorts, &j, runs) ||
              bench("trends", trends, &j, runs) || bench("lifecycle", lifecycle, &j, runs);
    pt_snapshot_free(snap);
    return bad;
}

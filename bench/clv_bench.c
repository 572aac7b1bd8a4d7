/* clv_bench.c — time of the CLV pipeline on a store: snapshot load, summary, BG/NBD fit,
 * Gamma-Gamma fit and scoring of every member, the fits on 1 and 2 threads.
 *
 *   clv_bench STORE_URL [END_EPOCH]
 *
 * END defaults to 1700000000 (inside the bench/run-snapshot data, so there is a holdout
 * after it). Prints one line per phase with time and peak RSS, the fitted parameters and a
 * hash of every member's CLV cents, so two runs (or thread counts) can be shown to agree.
 * Printed, never asserted. */
#include "patron/clv.h"
#include "patron/error.h"
#include "patron/snapshot.h"
#include "patron/store.h"

#include <stdio.h>
#include <stdlib.h>
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

static int fit(const pt_clv_summary *s, int model, int threads, pt_clv_fit *f)
{
    pt_clv_fit_opts o;
    pt_clv_fit_opts_init(&o, model);
    o.threads = threads;
    int rc = pt_clv_fit_model(f, s, &o);
    if (rc) {
        fprintf(stderr, "fit %s: %s\n", pt_clv_model_name(model), pt_strerror(rc));
        return 1;
    }
    printf("fit %-6s threads %d  %.2f s  params", pt_clv_model_name(model), f->threads, f->seconds);
    for (int k = 0; k < f->nparams; k++)
        printf(" %s=%.6g", pt_clv_param_name(model, k), f->param[k]);
    printf("  LL %.3f  members %zu  distinct %zu  iterations %d  peak RSS %ld MB\n", f->log_likelihood, f->n_used,
           f->n_distinct, f->iterations, peak_rss_mb());
    return 0;
}

static int score(const pt_clv_summary *s, const pt_clv_fit *tx, const pt_clv_fit *gg, int threads)
{
    pt_clv_score_opts o;
    pt_clv_score_opts_init(&o);
    o.threads = threads;
    pt_clv_row *rows;
    double t0 = now_s();
    int rc = pt_clv_score(&rows, s, tx, gg, &o);
    double dt = now_s() - t0;
    if (rc) {
        fprintf(stderr, "score: %s\n", pt_strerror(rc));
        return 1;
    }
    uint64_t h = 1469598103934665603u;
    int64_t total = 0;
    for (size_t i = 0; i < s->n; i++) {
        total += rows[i].clv_cents;
        for (int k = 0; k < 8; k++)
            h = (h ^ (uint8_t)((uint64_t)rows[i].clv_cents >> (8 * k))) * 1099511628211u;
    }
    printf("score    threads %d  %.2f s  members %zu  CLV total %lld cents  hash %016llx  peak RSS %ld MB\n", threads,
           dt, s->n, (long long)total, (unsigned long long)h, peak_rss_mb());
    free(rows);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: clv_bench STORE_URL [END_EPOCH]\n");
        return 2;
    }
    int64_t end = argc == 3 ? strtoll(argv[2], NULL, 10) : 1700000000;
    char err[512];
    pt_store *st = NULL;
    if (pt_store_open(&st, argv[1], err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    pt_snapshot *snap = NULL;
    double t0 = now_s();
    int rc = pt_snapshot_load(&snap, st, NULL, NULL);
    if (rc) {
        fprintf(stderr, "load: %s (%s)\n", pt_store_errmsg(st), pt_errname(rc));
        pt_store_close(st);
        return 1;
    }
    printf("snapshot members %zu  orders %zu  %.2f s  peak RSS %ld MB\n", snap->nmembers, snap->norders, now_s() - t0,
           peak_rss_mb());
    pt_clv_summary s;
    t0 = now_s();
    rc = pt_clv_summary_from_snapshot(&s, snap, end, 7, 0);
    pt_snapshot_free(snap);
    pt_store_close(st);
    if (rc) {
        fprintf(stderr, "summary: %s\n", pt_strerror(rc));
        return 1;
    }
    printf("summary  members %zu  anonymous %zu  without history %zu  %.2f s\n", s.n, s.anon, s.no_history,
           now_s() - t0);
    pt_clv_fit bg, gg;
    int bad = 0;
    for (int th = 1; th <= 2 && !bad; th++)
        bad = fit(&s, PT_CLV_BGNBD, th, &bg) || fit(&s, PT_CLV_GG, th, &gg);
    for (int th = 1; th <= 2 && !bad; th++)
        bad = score(&s, &bg, &gg, th);
    pt_clv_summary_free(&s);
    return bad;
}

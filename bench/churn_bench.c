/* churn_bench.c — time and quality of the churn models (churn.h) and of the personas
 * (cluster.h).
 *
 *   churn_bench --transactions FILE [--id-col C --date-col C --amount-col C] [--horizon DAYS]
 *       the time-based evaluation of lr, xgb and bgnbd on a transactions file (CDNOW, Online
 *       Retail): horizon, cut-offs, AUC, PR-AUC, top-decile precision/lift, Brier, train and
 *       predict seconds, then `score all` (train + score every member) time per model;
 *   churn_bench --size N [--seed S] [--threads T] [--bgnbd 0|1]
 *       a synthetic snapshot of N members built in memory (a fixed LCG; 4 in 10 members stop
 *       buying on a day of their own, the rest buy every 3–40 days over two years): features,
 *       evaluation and scoring of every member for lr and xgb, BG/NBD evaluation, personas with
 *       k by silhouette (--bgnbd 0 skips the BG/NBD fit, slow on large data: the Nelder–Mead
 *       fit of clv.c sums over distinct (x, t_x, T) rows); one line per phase with time and peak RSS, and a hash of every
 *       member's score so two runs can be shown to have done the same work.
 * Printed, never asserted. */
#include "patron/churn.h"
#include "patron/cluster.h"
#include "patron/error.h"
#include "patron/snapshot.h"
#include "patron/types.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define DAY 86400
#define T0  1577836800 /* 2020-01-01 */

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

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* Member i's orders (fill = 0: only counted). Same seed, same members. */
static size_t gen_member(pt_snapshot *s, size_t i, size_t k, uint64_t *seed, int fill)
{
    int start = (int)(lcg(seed) % 400), stop = lcg(seed) % 10 < 4 ? start + (int)(lcg(seed) % 500) : 9999;
    int gap = 3 + (int)(lcg(seed) % 38);
    if (fill) {
        s->member_id[i] = (int64_t)i + 1;
        s->member_status[i] = PT_MEMBER_ACTIVE;
        s->member_consent[i] = PT_CONSENT_BIT(PT_CONSENT_ANALYTICS);
        s->member_registered_at[i] = T0 + (int64_t)start * DAY;
        s->first[i] = k;
    }
    for (int day = start; day < 730 && day < stop; day += 1 + (int)(lcg(seed) % (unsigned)(2 * gap))) {
        int64_t at = T0 + (int64_t)day * DAY + (int64_t)(lcg(seed) % DAY), cents = 500 + (int64_t)(lcg(seed) % 20000);
        int status = lcg(seed) % 50 ? PT_ORDER_PAID : PT_ORDER_REFUNDED;
        if (fill) {
            s->order_at[k] = at;
            s->order_cents[k] = cents;
            s->order_status[k] = status;
        }
        k++;
    }
    return k;
}

/* N members over 730 days (two passes: count, then fill); every member consents. */
static pt_snapshot *synthetic(size_t n, uint64_t seed)
{
    pt_snapshot *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    uint64_t sd = seed;
    size_t cap = 0;
    for (size_t i = 0; i < n; i++)
        cap = gen_member(s, i, cap, &sd, 0);
    s->nmembers = n;
    s->member_id = malloc(n * sizeof *s->member_id);
    s->member_registered_at = malloc(n * sizeof *s->member_registered_at);
    s->member_merged_into = calloc(n, sizeof *s->member_merged_into);
    s->member_status = malloc(n * sizeof *s->member_status);
    s->member_consent = malloc(n * sizeof *s->member_consent);
    s->first = malloc((n + 1) * sizeof *s->first);
    s->order_at = malloc((cap + 1) * sizeof *s->order_at);
    s->order_cents = malloc((cap + 1) * sizeof *s->order_cents);
    s->order_status = malloc((cap + 1) * sizeof *s->order_status);
    if (!s->member_id || !s->member_registered_at || !s->member_merged_into || !s->member_status ||
        !s->member_consent || !s->first || !s->order_at || !s->order_cents || !s->order_status) {
        pt_snapshot_free(s);
        return NULL;
    }
    size_t k = 0;
    sd = seed;
    for (size_t i = 0; i < n; i++)
        k = gen_member(s, i, k, &sd, 1);
    s->first[n] = k;
    s->norders = k;
    return s;
}

static uint64_t hash_scores(const pt_churn_scores *sc)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < sc->n; i++) {
        uint64_t v = (uint64_t)sc->row[i].member_id * 1000003u + (uint64_t)llround(sc->row[i].p * 1e6);
        h = (h ^ v) * 1099511628211ULL;
    }
    return h;
}

static int64_t end_of(const pt_snapshot *snap)
{
    int64_t end = 0;
    for (size_t k = 0; k < snap->norders; k++)
        end = snap->order_at[k] > end ? snap->order_at[k] : end;
    return (end / DAY + 1) * DAY;
}

static int run_models(const pt_snapshot *snap, int horizon, int threads, int with_bgnbd_score, int bgnbd)
{
    int64_t end = end_of(snap);
    for (int model = PT_CHURN_LR; model <= (bgnbd ? PT_CHURN_BGNBD : PT_CHURN_XGB); model++) {
        pt_churn_opts o;
        pt_churn_opts_init(&o, model);
        o.horizon_days = horizon;
        o.threads = threads;
        pt_churn_eval e;
        char err[256] = "";
        double t0 = now_s();
        int rc = pt_churn_evaluate(&e, snap, end, &o, err, sizeof err);
        if (rc) {
            fprintf(stderr, "evaluate %s: %s\n", pt_churn_model_name(model), err[0] ? err : pt_strerror(rc));
            return 1;
        }
        printf("evaluate %-5s horizon %d  train rows %zu  eval rows %zu (%.1f%% churned)  AUC %.4f  PR-AUC %.4f"
               "  top-decile precision %.3f lift %.2f  Brier %.4f  train %.2f s  predict %.2f s  total %.2f s"
               "  peak RSS %ld MB\n",
               pt_churn_model_name(model), e.horizon_days, e.train_rows, e.eval_rows, 100 * e.m.base_rate, e.m.auc,
               e.m.pr_auc, e.m.precision_top, e.m.lift_top, e.m.brier, e.train_seconds, e.predict_seconds,
               now_s() - t0, peak_rss_mb());
        if (model == PT_CHURN_BGNBD && !with_bgnbd_score)
            continue;
        pt_churn_scores sc;
        t0 = now_s();
        rc = pt_churn_score_all(&sc, snap, end, &o, err, sizeof err);
        if (rc) {
            fprintf(stderr, "score %s: %s\n", pt_churn_model_name(model), err[0] ? err : pt_strerror(rc));
            return 1;
        }
        double total = now_s() - t0;
        printf("score    %-5s %zu members  train %.2f s  score+reasons %.2f s (%.0f members/s)  total %.2f s"
               "  peak RSS %ld MB  hash %016llx\n",
               pt_churn_model_name(model), sc.n, sc.train_seconds, sc.predict_seconds,
               (double)sc.n / (sc.predict_seconds > 0 ? sc.predict_seconds : 1e-9), total, peak_rss_mb(),
               (unsigned long long)hash_scores(&sc));
        pt_churn_scores_free(&sc);
    }
    return 0;
}

static int run_personas(const pt_snapshot *snap)
{
    pt_personas_opts o;
    pt_personas_opts_init(&o);
    pt_personas p;
    double t0 = now_s();
    int rc = pt_personas_build(&p, snap, end_of(snap), &o);
    if (rc) {
        fprintf(stderr, "personas: %s\n", pt_strerror(rc));
        return 1;
    }
    printf("personas k %d (silhouette on %zu:", p.k, p.sample);
    for (int k = 2; k <= PT_PERSONAS_K_MAX; k++)
        if (!isnan(p.silhouette[k]))
            printf(" k=%d %.3f", k, p.silhouette[k]);
    printf(")  %zu members  %.2f s  peak RSS %ld MB\n", p.n, now_s() - t0, peak_rss_mb());
    for (int q = 0; q < p.k; q++)
        printf("  %-18s %6.1f%% of members %6.1f%% of revenue  recency %.0f d  orders %.1f\n", p.persona[q].key,
               100 * p.persona[q].share, 100 * p.persona[q].revenue_share, p.persona[q].recency_days,
               p.persona[q].orders);
    pt_personas_free(&p);
    return 0;
}

int main(int argc, char **argv)
{
    const char *file = NULL;
    pt_tx_opts to = {0};
    size_t size = 0;
    uint64_t seed = 1;
    int horizon = 0, threads = 1, bgnbd = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--transactions"))
            file = argv[i + 1];
        else if (!strcmp(argv[i], "--id-col"))
            to.id_col = argv[i + 1];
        else if (!strcmp(argv[i], "--date-col"))
            to.date_col = argv[i + 1];
        else if (!strcmp(argv[i], "--amount-col"))
            to.amount_col = argv[i + 1];
        else if (!strcmp(argv[i], "--size"))
            size = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--seed"))
            seed = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--horizon"))
            horizon = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--bgnbd"))
            bgnbd = atoi(argv[i + 1]);
    }
    if (!file && !size) {
        fprintf(stderr, "usage: churn_bench --transactions FILE [--id-col C …] | --size N [--seed S]\n");
        return 2;
    }
    pt_snapshot *snap = NULL;
    double t0 = now_s();
    if (file) {
        FILE *f = fopen(file, "r");
        char err[256];
        int rc = f ? pt_snapshot_load_transactions(&snap, f, file, &to, NULL, err, sizeof err) : PT_EIO;
        if (f)
            fclose(f);
        if (rc) {
            fprintf(stderr, "%s: %s\n", file, f ? err : "cannot open");
            return 1;
        }
    } else {
        snap = synthetic(size, seed);
        if (!snap) {
            fprintf(stderr, "out of memory\n");
            return 1;
        }
    }
    printf("snapshot members %zu  orders %zu  %.2f s  peak RSS %ld MB\n", snap->nmembers, snap->norders, now_s() - t0,
           peak_rss_mb());
    int rc = run_models(snap, horizon, threads, file != NULL, bgnbd);
    if (rc == 0)
        rc = run_personas(snap);
    pt_snapshot_free(snap);
    return rc;
}

/* ledger_bench.c — durable ledger throughput, printed, never asserted.
 *
 *   ledger_bench earn STORE_URL DIR CONNECTIONS SECONDS [PER_COMMIT]
 *       Each of CONNECTIONS threads opens its own connection and earns 1 point per call to its
 *       own members (each earn with an idempotency key, an audit record and a lot) for SECONDS;
 *       prints earns/s and latency percentiles. PER_COMMIT > 1 groups that many earns into one
 *       committed transaction (pt_ledger_earn_batch); an earn counts once its commit returned.
 *   ledger_bench expire STORE_URL DIR MEMBERS LOTS_PER_MEMBER
 *       Loads MEMBERS accounts with LOTS_PER_MEMBER lots each (bulk, through the store
 *       interface), all expired, then times `pt_ledger_run_due` expiring them all, and a
 *       second run that finds nothing.
 *
 * DIR is a data directory created with `patron init --store STORE_URL` (the master key lives
 * there). The programme is built in code: 1 point per ¥1, lots expire after 365 days.
 */
#include "patron/db.h"
#include "patron/error.h"
#include "patron/ledger.h"
#include "patron/member.h"

#include <pthread.h>
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

static void programme(pt_programme *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "bench");
    snprintf(p->currency, sizeof p->currency, "CNY");
    snprintf(p->timezone, sizeof p->timezone, "Asia/Shanghai");
    p->expiry_kind = PT_EXPIRY_DAYS;
    p->expiry_n = 365;
    p->ntiers = 1;
    snprintf(p->tiers[0].code, sizeof p->tiers[0].code, "normal");
    p->tiers[0].points_multiplier_bp = PT_BP_ONE;
    p->nrules = 1;
    snprintf(p->rules[0].code, sizeof p->rules[0].code, "base");
    p->rules[0].kind = PT_RULE_BASE;
    p->rules[0].points = 1;
    p->rules[0].unit_cents = 100;
    p->rules[0].multiplier_bp = PT_BP_ONE;
}

static int open_all(const char *url, const char *dir, pt_db **db, pt_ledger **l)
{
    char err[512];
    pt_db_opts o = {.store_url = url};
    pt_programme p;
    programme(&p);
    int rc = pt_db_open(db, dir, &o, err, sizeof err);
    if (rc) {
        fprintf(stderr, "open %s: %s\n", dir, err);
        return rc;
    }
    rc = pt_ledger_open(l, *db, &p);
    if (rc)
        fprintf(stderr, "ledger: %s\n", pt_store_errmsg(pt_db_store(*db)));
    return rc;
}

/* --- earn --------------------------------------------------------------------------------- */

struct worker {
    const char *url, *dir;
    int         id;
    int         batch;      /* earns per commit (group commit); 1 = each its own */
    double      seconds;
    int64_t    *members;
    int         nmembers;
    long        done, failed;
    double     *lat;
    long        cap;
};

static void *earn_loop(void *arg)
{
    struct worker *w = arg;
    pt_db *db = NULL;
    pt_ledger *l = NULL;
    if (open_all(w->url, w->dir, &db, &l)) {
        w->failed = -1;
        return NULL;
    }
    double end = now_s() + w->seconds;
    char key[64];
    if (w->batch > 1) {
        pt_ledger_earn_item *items = calloc((size_t)w->batch, sizeof *items);
        char (*keys)[64] = calloc((size_t)w->batch, sizeof *keys);
        for (long i = 0; now_s() < end; i++) {
            for (int j = 0; j < w->batch; j++) {
                snprintf(keys[j], sizeof keys[j], "bench-%d-%ld-%ld-%d", w->id, (long)time(NULL), i, j);
                items[j] = (pt_ledger_earn_item){.member_id = w->members[(i * w->batch + j) % w->nmembers],
                                                 .points = 1, .req = {.idem_key = keys[j]}};
            }
            double t0 = now_s();
            pt_ledger_earn_batch(l, items, (size_t)w->batch);
            double dt = now_s() - t0;
            for (int j = 0; j < w->batch; j++) {
                if (items[j].rc) {
                    if (w->failed++ < 3)
                        fprintf(stderr, "earn: %s\n", pt_errname(items[j].rc));
                    continue;
                }
                if (w->done < w->cap)
                    w->lat[w->done] = dt; /* an earn is acknowledged when its batch commits */
                w->done++;
            }
        }
        free(items);
        free(keys);
        end = 0;
    }
    for (long i = 0; now_s() < end; i++) {
        snprintf(key, sizeof key, "bench-%d-%ld-%ld", w->id, (long)time(NULL), i);
        pt_ledger_req req = {.idem_key = key};
        pt_ledger_result r;
        double t0 = now_s();
        int rc = pt_ledger_earn(l, w->members[i % w->nmembers], 1, &req, &r);
        double dt = now_s() - t0;
        if (rc) {
            if (w->failed++ < 3)
                fprintf(stderr, "earn: %s\n", pt_ledger_errmsg(l));
            continue;
        }
        if (w->done < w->cap)
            w->lat[w->done] = dt;
        w->done++;
    }
    pt_ledger_close(l);
    pt_db_close(db);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int64_t make_member(pt_db *db, int i)
{
    pt_member m;
    pt_member_init(&m);
    snprintf(m.reg_channel, sizeof m.reg_channel, "bench");
    snprintf(m.name, sizeof m.name, "Bench %d", i);
    m.status = PT_MEMBER_ACTIVE;
    m.registered_at = pt_db_now(db);
    int rc = pt_member_create(db, &m);
    int64_t id = rc ? -1 : m.id;
    pt_member_wipe(&m);
    return id;
}

static int bench_earn(const char *url, const char *dir, int conns, double seconds, int batch)
{
    pt_db *db = NULL;
    pt_ledger *l = NULL;
    if (open_all(url, dir, &db, &l))
        return 1;
    int per = 256; /* members per connection: each gathers a realistic few dozen lots */
    struct worker *w = calloc((size_t)conns, sizeof *w);
    pthread_t *th = calloc((size_t)conns, sizeof *th);
    for (int i = 0; i < conns; i++) {
        w[i] = (struct worker){.url = url, .dir = dir, .id = i, .seconds = seconds, .nmembers = per, .batch = batch};
        w[i].members = calloc((size_t)per, sizeof *w[i].members);
        w[i].cap = 2000000;
        w[i].lat = malloc((size_t)w[i].cap * sizeof *w[i].lat);
        for (int j = 0; j < per; j++)
            if ((w[i].members[j] = make_member(db, i * per + j)) < 0) {
                fprintf(stderr, "cannot create bench members\n");
                return 1;
            }
    }
    pt_ledger_close(l);
    pt_db_close(db);
    double t0 = now_s();
    for (int i = 0; i < conns; i++)
        pthread_create(&th[i], NULL, earn_loop, &w[i]);
    long done = 0, failed = 0;
    for (int i = 0; i < conns; i++) {
        pthread_join(th[i], NULL);
        done += w[i].done;
        failed += w[i].failed;
    }
    double el = now_s() - t0;
    double *all = malloc((size_t)(done ? done : 1) * sizeof *all);
    long n = 0;
    for (int i = 0; i < conns; i++)
        for (long j = 0; j < w[i].done && j < w[i].cap; j++)
            all[n++] = w[i].lat[j];
    qsort(all, (size_t)n, sizeof *all, cmp_double);
    printf("earn  %-8s connections %2d  per commit %3d  earns %8ld  failed %ld  %8.0f earns/s  p50 %.2f ms"
           "  p99 %.2f ms\n",
           strncmp(url, "postgres", 8) == 0 ? "postgres" : "sqlite", conns, batch, done, failed, (double)done / el,
           n ? all[n / 2] * 1e3 : 0, n ? all[(long)((double)n * 0.99)] * 1e3 : 0);
    for (int i = 0; i < conns; i++) {
        free(w[i].members);
        free(w[i].lat);
    }
    free(all);
    free(w);
    free(th);
    return failed ? 1 : 0;
}

/* --- expire ------------------------------------------------------------------------------- */

static int load_lots(pt_db *db, int members, int lots, int64_t earned_at, int64_t expires_at)
{
    pt_store *s = pt_db_store(db);
    int rc = PT_OK;
    for (int i = 0; rc == PT_OK && i < members; i++) {
        if (i % 5000 == 0 && (rc = pt_store_begin(s)))
            break;
        int64_t m = make_member(db, i);
        pt_account_rec a = {.member_id = m, .balance = lots * 10, .tier_since = earned_at, .updated_at = earned_at};
        snprintf(a.tier, sizeof a.tier, "normal");
        rc = m < 0 ? PT_EIO : pt_store_account_insert(s, &a);
        for (int j = 0; rc == PT_OK && j < lots; j++) {
            pt_entry_rec e = {.member_id = m, .kind = PT_ENTRY_EARN, .bucket = PT_BUCKET_AVAILABLE, .points = 10,
                              .at = earned_at, .created_at = earned_at};
            snprintf(e.actor, sizeof e.actor, "bench");
            rc = pt_store_entry_insert(s, &e);
            pt_lot_rec lot = {.member_id = m, .entry_id = e.id, .earned_at = earned_at, .expires_at = expires_at,
                              .points = 10, .remaining = 10, .state = PT_LOT_AVAILABLE};
            if (rc == PT_OK)
                rc = pt_store_lot_insert(s, &lot);
        }
        if (rc == PT_OK && (i % 5000 == 4999 || i == members - 1))
            rc = pt_store_commit(s);
    }
    if (rc) {
        fprintf(stderr, "loading lots: %s\n", pt_store_errmsg(s));
        if (pt_store_in_tx(s))
            pt_store_rollback(s);
    }
    return rc;
}

static int bench_expire(const char *url, const char *dir, int members, int lots)
{
    pt_db *db = NULL;
    pt_ledger *l = NULL;
    if (open_all(url, dir, &db, &l))
        return 1;
    int64_t t = pt_db_now(db) - 400 * 86400;
    double t0 = now_s();
    if (load_lots(db, members, lots, t, t + 365 * 86400))
        return 1;
    double load = now_s() - t0;
    pt_ledger_job_stats st;
    t0 = now_s();
    int rc = pt_ledger_run_due(l, pt_db_now(db), &st, NULL, NULL);
    double run = now_s() - t0;
    t0 = now_s();
    pt_ledger_job_stats again;
    if (rc == PT_OK)
        rc = pt_ledger_run_due(l, pt_db_now(db), &again, NULL, NULL);
    double rerun = now_s() - t0;
    if (rc)
        fprintf(stderr, "expire: %s\n", pt_ledger_errmsg(l));
    printf("expire %-8s members %d  lots %lld  load %.1f s  expiry job %.1f s (%.0f lots/s, %lld points)"
           "  second run %.2f s (%lld lots)\n",
           strncmp(url, "postgres", 8) == 0 ? "postgres" : "sqlite", members, (long long)members * lots, load, run,
           (double)st.expired_lots / run, (long long)st.expired_points, rerun, (long long)again.expired_lots);
    pt_ledger_close(l);
    pt_db_close(db);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    if ((argc == 6 || argc == 7) && strcmp(argv[1], "earn") == 0)
        return bench_earn(argv[2], argv[3], atoi(argv[4]), atof(argv[5]), argc == 7 ? atoi(argv[6]) : 1);
    if (argc == 6 && strcmp(argv[1], "expire") == 0)
        return bench_expire(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
    fprintf(stderr, "usage: ledger_bench earn STORE_URL DIR CONNECTIONS SECONDS [PER_COMMIT]\n"
                    "       ledger_bench expire STORE_URL DIR MEMBERS LOTS_PER_MEMBER\n");
    return 2;
}

/* campaign_bench.c — audience evaluation over a large synthetic snapshot, and outbox delivery
 * throughput to a local HTTP receiver (speedtest1 style: fixed seed, --size, one line per
 * phase with time and peak memory, a result hash so two runs can be shown to do the same work).
 *
 * usage: campaign_bench [--members N (1000000)] [--events N (5000)] [--dir DIR]
 *
 * Phase "prepare": RFM + lifecycle over the snapshot (pt_audience_ctx_prepare).
 * Phase "evaluate": one audience over every member (pt_audience_select), twice: a cheap one
 *   (tier/points/recency) and one with segments, stages and a score source.
 * Phase "enqueue": N outbox entries over N/5 members, in transactions of 500 (SQLite, WAL).
 * Phase "deliver": pt_outbox_deliver_once in a loop until nothing is due, to a libmicrohttpd
 *   receiver on 127.0.0.1 answering 200 (thread pool of 2); events/s counts committed
 *   "delivered" marks.
 */
#include "patron/audience.h"
#include "patron/db.h"
#include "patron/error.h"
#include "patron/outbox.h"
#include "patron/snapshot.h"
#include "patron/types.h"

#include <microhttpd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define DAY   86400
#define AS_OF 1750000000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

static uint64_t rng = 0x5eed;
static uint64_t next_u64(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static pt_snapshot *synth(size_t n)
{
    pt_snapshot *s = calloc(1, sizeof *s);
    s->nmembers = n;
    s->member_id = malloc(n * sizeof *s->member_id);
    s->member_registered_at = malloc(n * sizeof *s->member_registered_at);
    s->member_merged_into = calloc(n, sizeof *s->member_merged_into);
    s->member_status = malloc(n * sizeof *s->member_status);
    s->member_consent = malloc(n * sizeof *s->member_consent);
    s->first = malloc((n + 1) * sizeof *s->first);
    s->has_accounts = 1;
    s->member_points = malloc(n * sizeof *s->member_points);
    s->member_pending = calloc(n, sizeof *s->member_pending);
    s->member_tier = malloc(n * sizeof *s->member_tier);
    s->ntier_names = 3;
    s->tier_names = calloc(3, sizeof *s->tier_names);
    snprintf(s->tier_names[0], PT_LABEL_MAX, "normal");
    snprintf(s->tier_names[1], PT_LABEL_MAX, "silver");
    snprintf(s->tier_names[2], PT_LABEL_MAX, "gold");
    size_t cap = n * 4 + 16;
    s->order_at = malloc(cap * sizeof *s->order_at);
    s->order_cents = malloc(cap * sizeof *s->order_cents);
    s->order_status = malloc(cap * sizeof *s->order_status);
    for (size_t i = 0; i < n; i++) {
        s->member_id[i] = (int64_t)(1000000000 + i);
        s->member_registered_at[i] = AS_OF - (int64_t)(next_u64() % 1500) * DAY;
        s->member_status[i] = PT_MEMBER_ACTIVE;
        s->member_consent[i] = (uint32_t)(next_u64() % 8) | PT_CONSENT_BIT(PT_CONSENT_ANALYTICS);
        s->member_points[i] = (int64_t)(next_u64() % 5000);
        s->member_tier[i] = (int32_t)(next_u64() % 3);
        s->first[i] = s->norders;
        int k = (int)(next_u64() % 8); /* 0..7 orders, mean 3.5 */
        if (k > 4)
            k -= 3;
        int64_t t = s->member_registered_at[i];
        for (int j = 0; j < k && s->norders < cap; j++) {
            t += (int64_t)(next_u64() % 200 + 1) * DAY;
            if (t >= AS_OF)
                break;
            s->order_at[s->norders] = t;
            s->order_cents[s->norders] = (int64_t)(next_u64() % 50000 + 500);
            s->order_status[s->norders] = PT_ORDER_PAID;
            s->revenue_cents += s->order_cents[s->norders];
            s->norders++;
        }
    }
    s->first[n] = s->norders;
    return s;
}

static int fake_score(void *ud, const pt_snapshot *snap, size_t i, double *v)
{
    (void)ud;
    *v = (double)(snap->member_id[i] % 1000) / 1000.0;
    return 1;
}

static int evaluate(const char *label, const char *def, pt_audience_ctx *ctx)
{
    pt_audience *a = NULL;
    char err[256];
    int64_t *ids = NULL;
    size_t n = 0;
    double t0 = now_s();
    int rc = pt_audience_parse(&a, def, err, sizeof err);
    if (rc == PT_OK)
        rc = pt_audience_bind(a, ctx, err, sizeof err);
    if (rc == PT_OK)
        rc = pt_audience_select(a, ctx, &ids, NULL, &n);
    double dt = now_s() - t0;
    if (rc) {
        fprintf(stderr, "%s: %s\n", label, err);
        return rc;
    }
    uint64_t h = 1469598103934665603ULL;
    for (size_t k = 0; k < n; k++)
        h = (h ^ (uint64_t)ids[k]) * 1099511628211ULL;
    printf("evaluate %-8s %8.3f s  %7.1f M members/s  selected %zu  hash %016llx  peak %ld MB\n", label, dt,
           (double)ctx->snap->nmembers / dt / 1e6, n, (unsigned long long)h, peak_mb());
    free(ids);
    pt_audience_free(a);
    return 0;
}

static enum MHD_Result ok_handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)cls, (void)url, (void)method, (void)version, (void)upload;
    if (!*con_cls) {
        *con_cls = (void *)1;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static int outbox_phase(const char *dir, int events)
{
    char err[512];
    pt_db *db = NULL;
    if (pt_db_init(dir, NULL, err, sizeof err) || pt_db_open(&db, dir, NULL, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
                                            ok_handler, NULL, MHD_OPTION_THREAD_POOL_SIZE, 2u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "cannot start the receiver\n");
        return 1;
    }
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);
    int rc = pt_webhook_add(db, url, "bench-secret-0123456789", NULL);
    pt_store *s = pt_db_store(db);
    double t0 = now_s();
    for (int k = 0; rc == PT_OK && k < events; k++) {
        if (k % 500 == 0 && (rc = pt_store_begin(s)))
            break;
        char payload[64];
        snprintf(payload, sizeof payload, "{\"seq\":%d}", k);
        rc = pt_outbox_enqueue(s, 1 + k % (events / 5 > 0 ? events / 5 : 1), "bench.event", payload, pt_db_now(db),
                               NULL);
        if (rc == PT_OK && (k % 500 == 499 || k == events - 1))
            rc = pt_store_commit(s);
    }
    double t1 = now_s();
    printf("enqueue  %8.3f s  %9.0f events/s  (%d events, 500 per transaction)\n", t1 - t0, events / (t1 - t0),
           events);
    pt_outbox_opts o = {.batch = 500};
    int64_t delivered = 0, requests = 0;
    while (rc == PT_OK) {
        pt_outbox_stats st;
        rc = pt_outbox_deliver_once(db, &o, &st);
        delivered += st.delivered;
        requests += st.requests;
        if (st.attempted == 0)
            break;
    }
    double t2 = now_s();
    printf("deliver  %8.3f s  %9.0f events/s  (%lld delivered, %lld requests, 1 endpoint)  peak %ld MB\n", t2 - t1,
           (double)delivered / (t2 - t1), (long long)delivered, (long long)requests, peak_mb());
    MHD_stop_daemon(d);
    pt_db_close(db);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    size_t members = 1000000;
    int events = 5000;
    const char *dir = "bench/out/campaign/db";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--members") == 0)
            members = (size_t)strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--events") == 0)
            events = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--dir") == 0)
            dir = argv[i + 1];
    }
    double t0 = now_s();
    pt_snapshot *snap = synth(members);
    printf("snapshot %8.3f s  %zu members, %zu orders (synthetic, seed 0x5eed)  peak %ld MB\n", now_s() - t0,
           snap->nmembers, snap->norders, peak_mb());
    static const char *const ladder[] = {"normal", "silver", "gold"};
    pt_score_source src = {.name = "churn_risk", .score = fake_score};
    pt_audience_ctx ctx = {.tier_order = ladder, .ntiers = 3, .scores = &src, .nscores = 1,
                           .channel = PT_CONSENT_SMS};
    t0 = now_s();
    if (pt_audience_ctx_prepare(&ctx, snap, AS_OF)) {
        fprintf(stderr, "prepare failed\n");
        return 1;
    }
    printf("prepare  %8.3f s  RFM + lifecycle  peak %ld MB\n", now_s() - t0, peak_mb());
    int rc = evaluate("simple", "tier >= silver and points > 1000 and recency_days <= 365", &ctx);
    if (rc == 0)
        rc = evaluate("full",
                      "segment in (\"At Risk\", \"Can't Lose Them\", \"About To Sleep\") and tier >= silver "
                      "and not stage in (churned) and churn_risk > 0.3 or (orders >= 3 and spend_cents > 50000)",
                      &ctx);
    pt_audience_ctx_free(&ctx);
    pt_snapshot_free(snap);
    if (rc == 0 && events > 0)
        rc = outbox_phase(dir, events);
    return rc ? 1 : 0;
}

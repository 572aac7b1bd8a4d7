/* metrics.c — request counts by route and status and a latency histogram per route, in
 * Prometheus text format at GET /metrics, plus the writer's batches and commit time.
 *
 * Counters are plain integers updated with relaxed atomics from every pool thread: a scrape
 * may see one request counted and its histogram bucket not yet, which Prometheus tolerates.
 * Routes are labelled by pattern (never by a concrete path: no member numbers in metrics).
 */
#include "server_int.h"
#include "patron/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int statuses[] = {200, 201, 400, 401, 403, 404, 405, 409, 413, 422, 429, 499, 500, 503};
#define NSTATUS ((int)(sizeof statuses / sizeof *statuses))
#define NSTATUS_OTHER NSTATUS /* any other status */

/* Upper bounds of the latency buckets, in seconds. */
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
#define NBUCKETS ((int)(sizeof bounds / sizeof *bounds))

struct route_stats {
    uint64_t count[NSTATUS + 1];
    uint64_t bucket[NBUCKETS + 1]; /* last: +Inf */
    uint64_t sum_ns;
};

struct srv_metrics {
    int                 nroutes; /* srv_nroutes + 1: the last is "unmatched" */
    struct route_stats *r;
};

int srv_metrics_init(struct pt_server *srv)
{
    struct srv_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return -1;
    m->nroutes = srv_nroutes + 1;
    m->r = calloc((size_t)m->nroutes, sizeof *m->r);
    if (!m->r) {
        free(m);
        return -1;
    }
    srv->metrics = m;
    return 0;
}

void srv_metrics_free(struct pt_server *srv)
{
    if (!srv->metrics)
        return;
    free(srv->metrics->r);
    free(srv->metrics);
    srv->metrics = NULL;
}

void srv_metrics_observe(struct pt_server *srv, int route, int status, int64_t ns)
{
    struct route_stats *rs = &srv->metrics->r[route >= 0 ? route : srv_nroutes];
    int si = NSTATUS_OTHER;
    for (int i = 0; i < NSTATUS; i++)
        if (statuses[i] == status)
            si = i;
    __atomic_add_fetch(&rs->count[si], 1, __ATOMIC_RELAXED);
    double s = (double)ns / 1e9;
    int b = 0;
    while (b < NBUCKETS && s > bounds[b])
        b++;
    __atomic_add_fetch(&rs->bucket[b], 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&rs->sum_ns, (uint64_t)(ns > 0 ? ns : 0), __ATOMIC_RELAXED);
}

static void route_label(int i, char *out, size_t cap)
{
    if (i == srv_nroutes)
        snprintf(out, cap, "method=\"\",route=\"unmatched\"");
    else
        snprintf(out, cap, "method=\"%s\",route=\"%s\"", srv_routes[i].method, srv_routes[i].pattern);
}

void route_metrics(struct srv_req *r, struct srv_thread *t)
{
    (void)t;
    struct srv_metrics *m = r->srv->metrics;
    pt_buf b;
    pt_buf_init(&b, SIZE_MAX);
    char lab[160];
    int bad = pt_buf_appendf(&b, "# HELP patron_http_requests_total HTTP requests by route and status.\n"
                                      "# TYPE patron_http_requests_total counter\n");
    for (int i = 0; i < m->nroutes && !bad; i++) {
        route_label(i, lab, sizeof lab);
        for (int s = 0; s <= NSTATUS && !bad; s++) {
            uint64_t c = __atomic_load_n(&m->r[i].count[s], __ATOMIC_RELAXED);
            char st[8];
            if (s == NSTATUS)
                snprintf(st, sizeof st, "other");
            else
                snprintf(st, sizeof st, "%d", statuses[s]);
            if (c)
                bad = pt_buf_appendf(&b, "patron_http_requests_total{%s,status=\"%s\"} %llu\n", lab, st,
                              (unsigned long long)c);
        }
    }
    bad = bad || pt_buf_appendf(&b, "# HELP patron_http_request_duration_seconds Time from the first byte of a"
                                         " request to its completion.\n"
                                         "# TYPE patron_http_request_duration_seconds histogram\n");
    for (int i = 0; i < m->nroutes && !bad; i++) {
        uint64_t cum = 0;
        route_label(i, lab, sizeof lab);
        for (int k = 0; k <= NBUCKETS && !bad; k++) {
            cum += __atomic_load_n(&m->r[i].bucket[k], __ATOMIC_RELAXED);
            if (k < NBUCKETS)
                bad = pt_buf_appendf(&b, "patron_http_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n", lab,
                              bounds[k], (unsigned long long)cum);
            else
                bad = pt_buf_appendf(&b, "patron_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n",
                              lab, (unsigned long long)cum);
        }
        if (!bad && cum == 0) { /* keep the scrape short: unused routes show only buckets */
            continue;
        }
        bad = bad || pt_buf_appendf(&b, "patron_http_request_duration_seconds_sum{%s} %.6f\n"
                                             "patron_http_request_duration_seconds_count{%s} %llu\n",
                             lab, (double)__atomic_load_n(&m->r[i].sum_ns, __ATOMIC_RELAXED) / 1e9, lab,
                             (unsigned long long)cum);
    }
    uint64_t batches, writes, commit_ns;
    srv_writer_stats(r->srv, &batches, &writes, &commit_ns);
    bad = bad || pt_buf_appendf(&b,
                         "# HELP patron_writer_batches_total Group commits (one transaction, one fsync each).\n"
                         "# TYPE patron_writer_batches_total counter\npatron_writer_batches_total %llu\n"
                         "# HELP patron_writer_writes_total Write requests run by the writer.\n"
                         "# TYPE patron_writer_writes_total counter\npatron_writer_writes_total %llu\n"
                         "# HELP patron_writer_batch_seconds_total Time spent running and committing batches.\n"
                         "# TYPE patron_writer_batch_seconds_total counter\npatron_writer_batch_seconds_total %.6f\n",
                         (unsigned long long)batches, (unsigned long long)writes, (double)commit_ns / 1e9);
    uint64_t tail_ns, ckpts = srv_writer_checkpoints(r->srv, &tail_ns);
    bad = bad || pt_buf_appendf(&b,
                         "# HELP patron_writer_checkpoints_total Write-ahead log checkpoints (beside the writer, and"
                         " the short tails the writer copies itself).\n"
                         "# TYPE patron_writer_checkpoints_total counter\npatron_writer_checkpoints_total %llu\n"
                         "# HELP patron_writer_checkpoint_tail_seconds_total Time the writer thread spent copying"
                         " log tails (not in patron_writer_batch_seconds_total).\n"
                         "# TYPE patron_writer_checkpoint_tail_seconds_total counter\n"
                         "patron_writer_checkpoint_tail_seconds_total %.6f\n",
                         (unsigned long long)ckpts, (double)tail_ns / 1e9);
    if (bad) {
        pt_buf_free(&b);
        srv_error(r, 500, "internal", NULL, "out of memory");
        return;
    }
    r->status = 200;
    r->raw_type = "text/plain; version=0.0.4";
    r->raw_body = (char *)b.data; /* the buffer's memory now belongs to the response */
    r->raw_len = b.len;
    r->raw_owned = 1;
}

/* server.c — the serve loop: libmicrohttpd set-up, the access handler that drives one request
 * through its states (body → auth → route → response, or → queued write → response), the
 * per-thread data directory handles, periodic jobs and the graceful stop.
 *
 * Invariants: a request is answered exactly once; a queued write is answered only after the
 * writer committed it (the connection is suspended meanwhile, so no pool thread blocks on a
 * commit); bodies larger than opts.max_body are never buffered (413); the request counter
 * `inflight` returns to zero before pt_server_run returns.
 */
#include "server_int.h"
#include "patron/error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int64_t srv_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- per-thread handles ------------------------------------------------------------------- */

/* How often a pool thread without a ledger looks for a programme loaded since (by `patron
 * programme load` in another process): one store read at most this often per thread, and a
 * programme is in use on every thread at most this long after it was loaded. */
#define LEDGER_RETRY_NS ((int64_t)200 * 1000 * 1000)

/* Opens the thread's ledger if a programme is loaded now; no-op when it is not yet time to look. */
static void ledger_reopen(struct srv_thread *t)
{
    int64_t now = srv_now_ns();
    if (now < t->ledger_retry_ns)
        return;
    t->ledger_retry_ns = now + LEDGER_RETRY_NS;
    char err[512];
    if (pt_ledger_open_current(&t->ledger, t->db, err, sizeof err) != 0)
        t->ledger = NULL;
}

struct srv_thread *srv_thread_get(struct pt_server *srv, struct srv_req *r)
{
    struct srv_thread *t = pthread_getspecific(srv->tkey);
    if (t) {
        if (!t->ledger)
            ledger_reopen(t);
        return t;
    }
    t = calloc(1, sizeof *t);
    char err[512] = "";
    pt_db_opts o = {.store_url = srv->store_url[0] ? srv->store_url : NULL};
    if (!t || pt_db_open(&t->db, srv->data_dir, &o, err, sizeof err) != 0) {
        free(t);
        fprintf(stderr, "patron serve: cannot open the data directory in a worker: %s\n", err);
        srv_error(r, 503, "unavailable", NULL, "the store cannot be opened");
        r->retry_after = 1;
        return NULL;
    }
    /* No programme yet is not an error: member and analytics routes still work, and the
     * ledger is looked for again later (ledger_reopen). */
    ledger_reopen(t);
    pthread_mutex_lock(&srv->threads_mu);
    t->next = srv->threads;
    srv->threads = t;
    pthread_mutex_unlock(&srv->threads_mu);
    pthread_setspecific(srv->tkey, t);
    return t;
}

static void threads_close(struct pt_server *srv)
{
    struct srv_thread *t = srv->threads;
    while (t) {
        struct srv_thread *n = t->next;
        if (t->ledger)
            pt_ledger_close(t->ledger);
        pt_db_close(t->db);
        free(t);
        t = n;
    }
    srv->threads = NULL;
}

/* --- sending ------------------------------------------------------------------------------ */

static enum MHD_Result send_response(struct srv_req *r)
{
    struct MHD_Response *resp;
    if (r->raw_type) {
        resp = MHD_create_response_from_buffer(r->raw_len, (void *)r->raw_body,
                                               r->raw_owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
        if (r->raw_owned)
            r->raw_owned = 0; /* MHD frees it now */
    } else {
        char *text = r->resp ? json_dumps(r->resp, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
        if (!text)
            text = strdup("{\"error\":{\"code\":\"internal\",\"message\":\"no response\"}}");
        if (!r->resp && r->status < 400)
            r->status = 500;
        resp = MHD_create_response_from_buffer(text ? strlen(text) : 0, text, MHD_RESPMEM_MUST_FREE);
    }
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            r->raw_type ? r->raw_type : "application/json");
    if (r->retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", r->retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    if (!r->counted) /* refused while draining: the client should reconnect elsewhere */
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* --- the access handler -------------------------------------------------------------------- */

static int body_append(struct srv_req *r, const char *data, size_t n)
{
    size_t max = r->srv->opts.max_body;
    if (r->too_big || r->len + n > max) {
        r->too_big = 1;
        return 0;
    }
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 1024;
        while (cap < r->len + n + 1)
            cap *= 2;
        char *b = realloc(r->body, cap);
        if (!b)
            return -1;
        r->body = b;
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
    r->body[r->len] = 0;
    return 0;
}

static struct srv_req *req_new(struct pt_server *srv, struct MHD_Connection *conn, const char *method,
                               const char *url)
{
    struct srv_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->srv = srv;
    r->conn = conn;
    r->method = method;
    r->url = url;
    r->role = -1;
    r->t0_ns = srv_now_ns();
    /* Counted first, then the drain flag read, both sequentially consistent: pt_server_run
     * sets the flag and then waits for the count, so a request is either refused here or
     * waited for there, never neither. */
    __atomic_add_fetch(&srv->inflight, 1, __ATOMIC_SEQ_CST);
    r->counted = 1;
    if (__atomic_load_n(&srv->draining, __ATOMIC_SEQ_CST)) {
        __atomic_sub_fetch(&srv->inflight, 1, __ATOMIC_SEQ_CST);
        r->counted = 0;
    }
    return r;
}

/* Everything after the body is in: auth, route, handler. */
static void dispatch(struct srv_req *r)
{
    int path_known = 0;
    r->route = srv_route_match(r->method, r->url, r, &path_known);
    if (!r->counted) {
        r->retry_after = 1;
        srv_error(r, 503, "shutting_down", NULL, "the server is stopping; retry in a moment");
        return;
    }
    if (r->too_big) {
        srv_error(r, 413, "body_too_large", NULL, "the request body is larger than %zu bytes", r->srv->opts.max_body);
        return;
    }
    if (r->route < 0 && path_known) {
        srv_error(r, 405, "method_not_allowed", NULL, "%s is not allowed on this path", r->method);
        return;
    }
    const struct srv_route *rt = r->route >= 0 ? &srv_routes[r->route] : NULL;
    if (rt && rt->roles == R_PUBLIC) {
        rt->fn(r, NULL);
        return;
    }
    struct srv_thread *t = srv_thread_get(r->srv, r);
    if (!t)
        return;
    /* Authentication comes before 404 so that an unauthenticated caller learns nothing about
     * which paths exist. */
    if (srv_auth_check(r, t) != 0)
        return;
    if (!rt) {
        srv_error(r, 404, "not_found", NULL, "no such resource");
        return;
    }
    if (!(rt->roles & (1u << r->role))) {
        srv_error(r, 403, "forbidden", NULL, "role %s may not call %s %s", pt_role_name(r->role), rt->method,
                  rt->pattern);
        return;
    }
    rt->fn(r, t);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    struct pt_server *srv = cls;
    struct srv_req *r = *con_cls;
    if (!r) {
        r = req_new(srv, conn, method, url);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        r->state = REQ_BODY;
        /* Refuse a declared oversized body before reading it. */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > srv->opts.max_body) {
            r->too_big = 1;
            r->route = -1;
            srv_error(r, 413, "body_too_large", NULL, "the request body is larger than %zu bytes", srv->opts.max_body);
            r->state = REQ_DONE;
            return send_response(r);
        }
        return MHD_YES;
    }
    if (r->state == REQ_BODY && *upload_data_size) {
        if (body_append(r, upload_data, *upload_data_size) != 0)
            return MHD_NO;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->state == REQ_BODY) {
        dispatch(r);
        if (r->state == REQ_QUEUED)
            return MHD_YES; /* suspended until the writer commits */
        r->state = REQ_DONE;
        return send_response(r);
    }
    if (r->state == REQ_QUEUED) {
        /* Resumed by the writer: the job's outcome is the response. */
        struct srv_job *j = r->job;
        r->state = REQ_DONE;
        if (j->result) {
            srv_json(r, j->status, j->result);
            j->result = NULL;
        } else {
            srv_error_rc(r, j->rc ? j->rc : PT_EIO, "the write failed");
        }
        return send_response(r);
    }
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    struct pt_server *srv = cls;
    struct srv_req *r = *con_cls;
    if (!r)
        return;
    int64_t ns = srv_now_ns() - r->t0_ns;
    int status = r->status ? r->status : 499; /* 499: the client went away before an answer */
    r->status = status;
    srv_metrics_observe(srv, r->route, status, ns);
    srv_log_request(srv, r, ns);
    srv_job_free(r->job);
    json_decref(r->resp);
    if (r->raw_owned)
        free((void *)r->raw_body);
    int counted = r->counted;
    free(r->body);
    free(r);
    *con_cls = NULL;
    if (counted)
        __atomic_sub_fetch(&srv->inflight, 1, __ATOMIC_SEQ_CST);
}

/* --- life cycle --------------------------------------------------------------------------- */

static void set_err(char *errmsg, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *errmsg, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (errmsg && cap)
        vsnprintf(errmsg, cap, fmt, ap);
    va_end(ap);
}

static unsigned cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

static void apply_defaults(pt_server_opts *o)
{
    if (!o->listen_addr)
        o->listen_addr = "127.0.0.1";
    if (!o->threads)
        o->threads = cores();
    if (o->rate_per_sec <= 0)
        o->rate_per_sec = 2000;
    if (o->rate_burst <= 0)
        o->rate_burst = 2 * o->rate_per_sec;
    if (!o->max_body)
        o->max_body = 65536;
    if (!o->snapshot_refresh)
        o->snapshot_refresh = 300;
    if (!o->batch_max)
        o->batch_max = 512;
}

static int start_mhd(struct pt_server *srv, char *errmsg, size_t cap)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(srv->opts.port);
    if (inet_pton(AF_INET, srv->opts.listen_addr, &sa.sin_addr) != 1) {
        set_err(errmsg, cap, "--listen: %s is not an IPv4 address", srv->opts.listen_addr);
        return PT_EINVAL;
    }
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_TURBO;
    srv->mhd = MHD_start_daemon(flags, srv->opts.port, NULL, NULL, on_request, srv,
                                MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                MHD_OPTION_THREAD_POOL_SIZE, srv->opts.threads,
                                MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
                                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)15, /* slow clients are cut */
                                MHD_OPTION_CONNECTION_LIMIT, (unsigned)4000,
                                MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536,
                                MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
                                MHD_OPTION_END);
    if (!srv->mhd) {
        set_err(errmsg, cap, "cannot listen on %s:%u (%s)", srv->opts.listen_addr, (unsigned)srv->opts.port,
                strerror(errno));
        return PT_EIO;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = di ? di->port : srv->opts.port;
    return PT_OK;
}

int pt_server_start(pt_server **out, const pt_server_opts *opts, char *errmsg, size_t errmsg_len)
{
    *out = NULL;
    struct pt_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        set_err(errmsg, errmsg_len, "out of memory");
        return PT_ENOMEM;
    }
    srv->opts = *opts;
    apply_defaults(&srv->opts);
    snprintf(srv->data_dir, sizeof srv->data_dir, "%s", opts->data_dir ? opts->data_dir : "patron-data");
    snprintf(srv->store_url, sizeof srv->store_url, "%s", opts->store_url ? opts->store_url : "");
    srv->opts.data_dir = srv->data_dir;
    pthread_key_create(&srv->tkey, NULL);
    pthread_mutex_init(&srv->threads_mu, NULL);
    pthread_mutex_init(&srv->log_mu, NULL);
    pt_db_opts o = {.store_url = srv->store_url[0] ? srv->store_url : NULL};
    int rc = pt_db_open(&srv->main_db, srv->data_dir, &o, errmsg, errmsg_len);
    if (rc == PT_OK && (srv_metrics_init(srv) || srv_auth_init(srv) || srv_analytics_init(srv) ||
                        srv_dashboard_init(srv) || srv_reco_init(srv))) {
        set_err(errmsg, errmsg_len, "out of memory");
        rc = PT_ENOMEM;
    }
    if (rc == PT_OK && srv_log_open(srv) != 0) {
        set_err(errmsg, errmsg_len, "cannot open %s/logs/requests.log: %s", srv->data_dir, strerror(errno));
        rc = PT_EIO;
    }
    if (rc == PT_OK)
        rc = srv_writer_start(srv, errmsg, errmsg_len);
    if (rc == PT_OK)
        rc = start_mhd(srv, errmsg, errmsg_len);
    if (rc) {
        pt_server_free(srv);
        return rc;
    }
    srv_auth_reload(srv, 0);
    pt_server_add_periodic(srv, 2, srv_auth_reload, srv);
    pt_server_add_periodic(srv, 1, srv_log_flush, srv);
    pt_server_add_periodic(srv, srv->opts.snapshot_refresh, srv_analytics_refresh, srv);
    *out = srv;
    return PT_OK;
}

uint16_t pt_server_port(const pt_server *srv)
{
    return srv->port;
}

int pt_server_add_periodic(pt_server *srv, unsigned seconds, pt_server_job_fn fn, void *ud)
{
    if (srv->nperiodic == SRV_PERIODIC_MAX)
        return PT_ELIMIT;
    struct srv_periodic *p = &srv->periodic[srv->nperiodic++];
    p->every = seconds ? seconds : 1;
    p->fn = fn;
    p->ud = ud;
    p->next_at = 0;
    return PT_OK;
}

void pt_server_request_stop(pt_server *srv)
{
    srv->stop = 1;
}

static void run_periodic(struct pt_server *srv, int64_t now_s)
{
    for (int i = 0; i < srv->nperiodic; i++) {
        struct srv_periodic *p = &srv->periodic[i];
        if (p->next_at == 0)
            p->next_at = now_s + p->every;
        if (now_s >= p->next_at) {
            p->fn(p->ud, (int64_t)time(NULL));
            p->next_at = now_s + p->every;
        }
    }
}

int pt_server_run(pt_server *srv)
{
    /* The first analytics view is built here, off the request threads. */
    srv_analytics_refresh(srv, (int64_t)time(NULL));
    while (!srv->stop) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        run_periodic(srv, srv_now_ns() / 1000000000);
    }
    /* Drain: requests admitted before now (and their queued writes) finish; new ones get 503
     * and their connection closed. Not MHD_quiesce_daemon: on an epoll daemon with worker
     * threads it races the workers removing the listening socket from their epoll sets, and
     * MHD aborts the process when it loses ("Failed to remove listen FD from epoll set"). */
    __atomic_store_n(&srv->draining, 1, __ATOMIC_SEQ_CST);
    int64_t deadline = srv_now_ns() + (int64_t)10 * 1000000000;
    while (__atomic_load_n(&srv->inflight, __ATOMIC_SEQ_CST) > 0 && srv_now_ns() < deadline) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    srv_writer_stop(srv);
    MHD_stop_daemon(srv->mhd);
    srv->mhd = NULL;
    srv_log_flush(srv, 0);
    return PT_OK;
}

void pt_server_free(pt_server *srv)
{
    if (!srv)
        return;
    if (srv->mhd) {
        srv_writer_stop(srv);
        MHD_stop_daemon(srv->mhd);
    } else {
        srv_writer_stop(srv);
    }
    threads_close(srv);
    srv_analytics_free(srv);
    srv_dashboard_free(srv);
    srv_reco_free(srv);
    srv_auth_free(srv);
    srv_metrics_free(srv);
    srv_log_close(srv);
    if (srv->main_db)
        pt_db_close(srv->main_db);
    pthread_key_delete(srv->tkey);
    pthread_mutex_destroy(&srv->threads_mu);
    pthread_mutex_destroy(&srv->log_mu);
    free(srv);
}

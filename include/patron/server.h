/* server.h — `patron serve`: the HTTP JSON API over libpatron (server/, linked into the patron
 * program, not into libpatron). The server is thin: routing, authentication, JSON mapping;
 * every rule is libpatron's.
 *
 * Threads: libmicrohttpd's epoll thread pool serves requests (one pool thread per core); each
 * pool thread opens its own data directory handle on first use, for reads. Every write goes to
 * the one writer thread (server/writer.c), which runs the writes waiting in its queue as one
 * transaction with a savepoint per request (group commit: many writes, one fsync) and resumes
 * each suspended request only after that commit. The main thread runs pt_server_run: periodic
 * jobs (key cache reload, request-log flush, analytics snapshot refresh, and any added with
 * pt_server_add_periodic) until a stop is requested.
 */
#ifndef PATRON_SERVER_H
#define PATRON_SERVER_H

#include <stdint.h>
#include <stddef.h>

typedef struct pt_server pt_server;

typedef struct pt_server_opts {
    const char *data_dir;         /* the data directory (required) */
    const char *store_url;        /* NULL: the directory's own store (or $PATRON_STORE) */
    const char *listen_addr;      /* NULL: "127.0.0.1" */
    uint16_t    port;             /* 0: an ephemeral port (pt_server_port says which) */
    unsigned    threads;          /* 0: one per online core */
    double      rate_per_sec;     /* per API key; 0: 2000 */
    double      rate_burst;       /* tokens a key may bank; 0: 2 × rate_per_sec */
    size_t      max_body;         /* bytes; 0: 65536. Larger bodies get 413 */
    unsigned    snapshot_refresh; /* seconds between analytics snapshot reloads; 0: 300 */
    unsigned    batch_max;        /* writes per group commit at most; 0: 512 */
} pt_server_opts;

/* Opens the data directory, binds the socket and starts serving. errmsg gets why not. */
int  pt_server_start(pt_server **out, const pt_server_opts *opts, char *errmsg, size_t errmsg_len);
uint16_t pt_server_port(const pt_server *srv);

/* A periodic job: fn(ud, now) runs on the serve loop's thread every `seconds` (≥ 1) after
 * pt_server_run starts, never concurrently with itself or another periodic job. It must not
 * block for long (requests are served meanwhile by other threads, but other periodic jobs
 * wait). It may open its own data directory handle; it must not use the pool threads' ones.
 * Add jobs before pt_server_run; at most 16. Returns 0, or PT_ELIMIT when full. */
typedef void (*pt_server_job_fn)(void *ud, int64_t now);
int  pt_server_add_periodic(pt_server *srv, unsigned seconds, pt_server_job_fn fn, void *ud);

/* Serves until pt_server_request_stop (e.g. from a SIGTERM handler: it is async-signal-safe),
 * then stops accepting, lets in-flight requests and queued writes finish (at most ~10 s) and
 * returns 0. */
int  pt_server_run(pt_server *srv);
void pt_server_request_stop(pt_server *srv);
void pt_server_free(pt_server *srv);

#endif

/* reqlog.c — the request log: DIR/logs/requests.log, one JSON line per request.
 *
 * A line holds the time, the API key's id (never the key, never its name's owner data), the
 * method, the route pattern (not the concrete path: paths and query strings may carry phone
 * numbers or e-mail addresses), the status, the duration and the response size. Nothing in it
 * is personal data. Lines are buffered and flushed every second by a periodic job, so logging
 * costs no syscall per request.
 */
#include "server_int.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

int srv_log_open(struct pt_server *srv)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/logs", srv->data_dir);
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return -1;
    snprintf(path, sizeof path, "%s/logs/requests.log", srv->data_dir);
    FILE *f = fopen(path, "a");
    if (!f)
        return -1;
    setvbuf(f, NULL, _IOFBF, 1 << 16);
    srv->log = f;
    return 0;
}

void srv_log_request(struct pt_server *srv, const struct srv_req *r, int64_t ns)
{
    if (!srv->log)
        return;
    const char *route = r->route >= 0 ? srv_routes[r->route].pattern : "unmatched";
    /* Formatted outside the lock: the lock only covers appending to the buffer. */
    char line[512];
    int n = snprintf(line, sizeof line,
                     "{\"at\":%lld,\"key\":%lld,\"method\":\"%s\",\"route\":\"%s\",\"status\":%d,\"us\":%lld}\n",
                     (long long)time(NULL), (long long)r->key_id, r->route >= 0 ? srv_routes[r->route].method : "-",
                     route, r->status, (long long)(ns / 1000));
    if (n <= 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    pthread_mutex_lock(&srv->log_mu);
    fwrite_unlocked(line, 1, len, srv->log);
    pthread_mutex_unlock(&srv->log_mu);
}

void srv_log_flush(void *ud, int64_t now)
{
    (void)now;
    struct pt_server *srv = ud;
    if (!srv->log)
        return;
    pthread_mutex_lock(&srv->log_mu);
    fflush(srv->log);
    pthread_mutex_unlock(&srv->log_mu);
}

void srv_log_close(struct pt_server *srv)
{
    if (srv->log)
        fclose(srv->log);
    srv->log = NULL;
}

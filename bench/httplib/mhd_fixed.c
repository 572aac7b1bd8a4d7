/* mhd_fixed.c — libmicrohttpd serving one fixed JSON body, configured as `patron serve` is
 * (epoll, a thread pool of one thread per core, turbo mode, keep-alive). It measures what the
 * library costs before any of Patron's work: bench/run-httplib drives it with wrk beside h2o and
 * nginx doing the same. usage: mhd_fixed PORT THREADS
 */
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char body[] = "{\"member\":\"1000000016\",\"balance\":1000000,\"tier\":\"n\"}";
static struct MHD_Response *fixed;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *data, size_t *data_len, void **state)
{
    (void)cls, (void)url, (void)method, (void)version, (void)data, (void)data_len;
    /* Answer on the second call, as patron serve does: a response queued on the first call
     * (before MHD has seen the whole request) makes MHD close the connection after it. */
    static int seen;
    if (!*state) {
        *state = &seen;
        return MHD_YES;
    }
    return MHD_queue_response(c, MHD_HTTP_OK, fixed);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: mhd_fixed PORT THREADS\n");
        return 2;
    }
    unsigned port = (unsigned)atoi(argv[1]), threads = (unsigned)atoi(argv[2]);
    fixed = MHD_create_response_from_buffer(sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(fixed, "Content-Type", "application/json");
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO, (uint16_t)port, NULL,
                                            NULL, on_request, NULL, MHD_OPTION_THREAD_POOL_SIZE, threads,
                                            MHD_OPTION_CONNECTION_LIMIT, 4000u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "mhd_fixed: cannot listen on port %u\n", port);
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    while (!stop)
        pause();
    MHD_stop_daemon(d);
    MHD_destroy_response(fixed);
    return 0;
}

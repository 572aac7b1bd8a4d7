/* h2o_fixed.c — libh2o (evloop flavour) serving one fixed JSON body: one event loop per thread,
 * each with its own SO_REUSEPORT listener, the way h2o's own server scales across cores. The
 * library-level peer of mhd_fixed.c for bench/run-httplib. usage: h2o_fixed PORT THREADS
 */
#include <h2o.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char body[] = "{\"member\":\"1000000016\",\"balance\":1000000,\"tier\":\"n\"}";
static h2o_globalconf_t config;
static unsigned port;

struct loop {
    pthread_t         th;
    h2o_context_t     ctx;
    h2o_accept_ctx_t  accept_ctx;
};

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    static h2o_generator_t generator = {NULL, NULL};
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = sizeof body - 1;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
    h2o_start_response(req, &generator);
    h2o_iovec_t b = h2o_iovec_init(body, sizeof body - 1);
    h2o_send(req, &b, 1, H2O_SEND_STATE_FINAL);
    return 0;
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err)
        return;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock)
        h2o_accept(listener->data, sock);
}

static int listen_on(struct loop *lp)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, SOMAXCONN) != 0)
        return -1;
    h2o_socket_t *sock = h2o_evloop_socket_create(lp->ctx.loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    sock->data = &lp->accept_ctx;
    h2o_socket_read_start(sock, on_accept);
    return 0;
}

static void *run_loop(void *arg)
{
    struct loop *lp = arg;
    while (h2o_evloop_run(lp->ctx.loop, INT32_MAX) == 0)
        ;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: h2o_fixed PORT THREADS\n");
        return 2;
    }
    port = (unsigned)atoi(argv[1]);
    int threads = atoi(argv[2]);
    h2o_config_init(&config);
    h2o_hostconf_t *host = h2o_config_register_host(&config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    h2o_handler_t *handler = h2o_create_handler(path, sizeof *handler);
    handler->on_req = on_req;
    struct loop *loops = calloc((size_t)threads, sizeof *loops);
    for (int i = 0; i < threads; i++) {
        h2o_context_init(&loops[i].ctx, h2o_evloop_create(), &config);
        loops[i].accept_ctx.ctx = &loops[i].ctx;
        loops[i].accept_ctx.hosts = config.hosts;
        if (listen_on(&loops[i]) != 0) {
            fprintf(stderr, "h2o_fixed: cannot listen on port %u\n", port);
            return 1;
        }
        pthread_create(&loops[i].th, NULL, run_loop, &loops[i]);
    }
    pthread_join(loops[0].th, NULL); /* serves until killed */
    return 0;
}

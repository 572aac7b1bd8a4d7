/* cmd_serve.c — `patron serve [--listen ADDR:PORT] [--data DIR]`: the HTTP JSON API
 * (include/patron/server.h, server/) and the campaign jobs (server_jobs.h: outbox delivery, due
 * campaigns, triggers). Prints the URL it listens on (with the real port when :0 asked for an
 * ephemeral one), serves until SIGTERM or SIGINT, then drains in-flight requests and exits 0.
 */
#include "cli.h"
#include "patron/error.h"
#include "patron/server.h"
#include "patron/server_jobs.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pt_server *serving;

static void on_signal(int sig)
{
    (void)sig;
    if (serving)
        pt_server_request_stop(serving);
}

static void serve_usage(void)
{
    printf("usage: patron serve [--listen ADDR:PORT] [--data DIR] [options]\n"
           "\n"
           "Serves the HTTP JSON API (docs/openapi.json; GET /openapi.json) until SIGTERM/SIGINT, then\n"
           "drains (requests already admitted finish, new ones get 503) and exits 0.\n"
           "  --listen ADDR:PORT     default 127.0.0.1:8080; port 0 picks a free port (printed)\n"
           "  --threads N            request threads (default: one per core)\n"
           "  --rate N               requests per second per API key (default 2000); --burst N\n"
           "  --max-body BYTES       larger request bodies get 413 (default 65536)\n"
           "  --snapshot-refresh S   seconds between analytics snapshot reloads (default 300)\n"
           "  --batch-max N          writes per group commit at most (default 512)\n"
           "  --outbox-every S       deliver the outbox to the webhooks every S seconds (default 5)\n"
           "  --outbox-keep-days N   delete delivered outbox entries N days after delivery (default 7;\n"
           "                         0 keeps them); dead letters go after --outbox-dead-keep-days\n"
           "                         (default 90; 0 keeps them)\n"
           "  --campaigns-every S    launch campaigns whose start has come, every S s (default 60)\n"
           "  --triggers-every S     fire the triggers every S seconds (default 86400: daily)\n"
           "  --churn-threshold P    the churn trigger's threshold, 0 < P < 1 (default 0.7)\n"
           "  --no-jobs              none of these three jobs (another process runs them)\n"
           "Keys: `patron key create --role admin|operator|analyst|auditor`. Requests are logged\n"
           "(without personal data) to DIR/logs/requests.log.\n");
}

static int parse_listen(const char *s, char *addr, size_t cap, uint16_t *port)
{
    const char *c = strrchr(s, ':');
    if (!c || c == s || (size_t)(c - s) >= cap)
        return -1;
    char *end;
    long p = strtol(c + 1, &end, 10);
    if (!c[1] || *end || p < 0 || p > 65535)
        return -1;
    memcpy(addr, s, (size_t)(c - s));
    addr[c - s] = 0;
    *port = (uint16_t)p;
    return 0;
}

static int num_arg(const char *name, const char *v, double min, double max, double *out)
{
    char *end;
    double x = strtod(v, &end);
    if (!*v || *end || x < min || x > max) {
        cli_error("%s must be a number from %g to %g", name, min, max);
        return -1;
    }
    *out = x;
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {{"listen", required_argument, 0, 'l'},
                                         {"threads", required_argument, 0, 't'},
                                         {"rate", required_argument, 0, 'r'},
                                         {"burst", required_argument, 0, 'b'},
                                         {"max-body", required_argument, 0, 'm'},
                                         {"snapshot-refresh", required_argument, 0, 's'},
                                         {"batch-max", required_argument, 0, 'B'},
                                         {"outbox-every", required_argument, 0, 'O'},
                                         {"campaigns-every", required_argument, 0, 'C'},
                                         {"triggers-every", required_argument, 0, 'T'},
                                         {"churn-threshold", required_argument, 0, 'P'},
                                         {"outbox-keep-days", required_argument, 0, 'K'},
                                         {"outbox-dead-keep-days", required_argument, 0, 'D'},
                                         {"no-jobs", no_argument, 0, 'N'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    char addr[64] = "127.0.0.1";
    pt_server_opts o = {.port = 8080};
    static pt_server_jobs jobs; /* outlives the server */
    pt_server_jobs_init(&jobs);
    double x;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (parse_listen(optarg, addr, sizeof addr, &o.port) != 0) {
                cli_error("--listen takes ADDR:PORT, e.g. 127.0.0.1:8080");
                return EXIT_USAGE;
            }
            break;
        case 't': if (num_arg("--threads", optarg, 1, 256, &x)) return EXIT_USAGE; o.threads = (unsigned)x; break;
        case 'r': if (num_arg("--rate", optarg, 0.001, 1e9, &x)) return EXIT_USAGE; o.rate_per_sec = x; break;
        case 'b': if (num_arg("--burst", optarg, 1, 1e9, &x)) return EXIT_USAGE; o.rate_burst = x; break;
        case 'm': if (num_arg("--max-body", optarg, 64, 1 << 26, &x)) return EXIT_USAGE; o.max_body = (size_t)x; break;
        case 's': if (num_arg("--snapshot-refresh", optarg, 1, 86400, &x)) return EXIT_USAGE; o.snapshot_refresh = (unsigned)x; break;
        case 'B': if (num_arg("--batch-max", optarg, 1, 100000, &x)) return EXIT_USAGE; o.batch_max = (unsigned)x; break;
        case 'O': if (num_arg("--outbox-every", optarg, 1, 86400, &x)) return EXIT_USAGE; jobs.outbox_every = (unsigned)x; break;
        case 'C': if (num_arg("--campaigns-every", optarg, 1, 86400, &x)) return EXIT_USAGE; jobs.launch_every = (unsigned)x; break;
        case 'T': if (num_arg("--triggers-every", optarg, 1, 604800, &x)) return EXIT_USAGE; jobs.triggers_every = (unsigned)x; break;
        case 'P': if (num_arg("--churn-threshold", optarg, 0.001, 0.999, &x)) return EXIT_USAGE; jobs.churn_threshold = x; break;
        case 'K': if (num_arg("--outbox-keep-days", optarg, 0, 36500, &x)) return EXIT_USAGE; jobs.outbox_keep_days = x ? (int)x : -1; break;
        case 'D': if (num_arg("--outbox-dead-keep-days", optarg, 0, 36500, &x)) return EXIT_USAGE; jobs.outbox_dead_keep_days = x ? (int)x : -1; break;
        case 'N': jobs.outbox_every = jobs.launch_every = jobs.triggers_every = 0; break;
        case 'h': serve_usage(); return EXIT_OK;
        default: return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        serve_usage();
        return EXIT_USAGE;
    }
    pt_db *check = cli_open(); /* a clear message when DIR is not a data directory */
    if (!check)
        return EXIT_STORE;
    pt_db_close(check);
    o.data_dir = cli_data_dir;
    o.listen_addr = addr;
    char err[1024] = "";
    int rc = pt_server_start(&serving, &o, err, sizeof err);
    if (rc) {
        cli_error("cannot serve: %s", err[0] ? err : pt_strerror(rc));
        return rc == PT_EINVAL ? EXIT_USAGE : EXIT_STORE;
    }
    jobs.data_dir = cli_data_dir;
    if (pt_server_add_jobs(serving, &jobs) != PT_OK) {
        cli_error("cannot schedule the campaign jobs");
        pt_server_free(serving);
        serving = NULL;
        return EXIT_FAIL;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    printf("patron serve: listening on http://%s:%u\n", addr, (unsigned)pt_server_port(serving));
    fflush(stdout);
    rc = pt_server_run(serving);
    pt_server_free(serving);
    serving = NULL;
    return cli_finish(rc ? EXIT_FAIL : EXIT_OK);
}

/* cmd_store.c — `patron store copy|info`: moving a whole store to another backend (verified by
 * row counts and content checksums per table, see patron/store_copy.h) and a look at what a
 * store holds. Store URLs are those of --store: a path or sqlite:PATH, or postgres(ql)://…;
 * passwords in URLs are masked in everything printed. Neither command needs the master key:
 * the copy moves sealed data as it is, with the key check, so the same master.key opens it. */
#include "cli.h"
#include "patron/error.h"
#include "patron/store_copy.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct store_args {
    const char *sub;
    const char *from, *to;
    int         json;
};

static void store_usage(void)
{
    printf("usage: patron store copy [--from URL] --to URL [--json]\n"
           "       patron store info [--json]\n"
           "\n"
           "  copy   copies every table of the store at --from (default: the current store, see\n"
           "         --store and --data) into the store at --to, ids included: SQLite to PostgreSQL,\n"
           "         PostgreSQL to SQLite, or to another store of the same kind. --to is created or\n"
           "         migrated if need be and must hold no data. Both must be at the same schema version.\n"
           "         The copy is one transaction: each table is read back and its rows and content\n"
           "         checksum compared with the source's before it commits; on any failure the\n"
           "         destination is left as it was. The master key check travels with the data, so\n"
           "         the source's master.key opens the copy (e.g. --store NEW_URL --data SAME_DIR).\n"
           "  info   backend, schema version and rows per table of the current store.\n"
           "\n"
           "URLs: a path or sqlite:PATH (SQLite), or postgresql://USER@HOST/DB (PostgreSQL).\n"
           "Exit codes: 0 ok, 2 usage, 3 no store at --from, 4 destination not empty, 5 store failed,\n"
           "schema versions differ or the check found a difference.\n");
}

static int parse_store_args(int argc, char **argv, struct store_args *a)
{
    static const struct option opts[] = {{"from", required_argument, 0, 'f'}, {"to", required_argument, 0, 't'},
                                         {"json", no_argument, 0, 'j'},      {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'f': a->from = optarg; break;
        case 't': a->to = optarg; break;
        case 'j': a->json = 1; break;
        case 'h': store_usage(); return -1;
        default: return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        store_usage();
        return EXIT_USAGE;
    }
    a->sub = argv[optind];
    return EXIT_OK;
}

/* --- URLs ----------------------------------------------------------------------------------- */

static int is_pg_url(const char *url)
{
    return strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0;
}

/* The current store: $PATRON_STORE (set by --store) or DIR/patron.db. */
static const char *current_store_url(void)
{
    static char url[4200];
    const char *env = getenv("PATRON_STORE");
    if (env && *env)
        return env;
    snprintf(url, sizeof url, "sqlite:%s/patron.db", cli_data_dir);
    return url;
}

/* The URL with any password replaced by ***, for printing. */
static const char *masked(const char *url)
{
    static char out[2][4200];
    static int slot;
    char *o = out[slot++ % 2];
    const char *scheme = strstr(url, "://");
    const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *colon = at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
    if (!is_pg_url(url) || !colon)
        snprintf(o, sizeof out[0], "%s", url);
    else
        snprintf(o, sizeof out[0], "%.*s:***%s", (int)(colon - url), url, at);
    return o;
}

/* Opens a store; an existing one only when must_exist (a SQLite file is otherwise created). */
static pt_store *open_url(const char *url, int must_exist, int *code)
{
    char err[1024] = "";
    pt_store *s = NULL;
    if (must_exist && !is_pg_url(url)) {
        const char *path = strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;
        struct stat st;
        if (strncmp(path, "//", 2) == 0)
            path += 2;
        if (stat(path, &st) != 0) {
            cli_error("there is no store at %s; name one with --from URL (or --store / --data)", path);
            *code = EXIT_NOTFOUND;
            return NULL;
        }
    }
    int rc = pt_store_open(&s, url, err, sizeof err);
    if (rc) {
        cli_error("cannot open the store %s: %s", masked(url), err[0] ? err : pt_strerror(rc));
        *code = cli_exit_for(rc);
        return NULL;
    }
    return s;
}

/* --- copy ----------------------------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *hex64(uint64_t v)
{
    static char bufs[4][20];
    static int slot;
    char *o = bufs[slot++ % 4];
    snprintf(o, sizeof bufs[0], "%016llx", (unsigned long long)v);
    return o;
}

static json_t *figures_json(const pt_store_copy_report *r, const pt_store_copy_figures *f)
{
    json_t *o = json_pack("{sI sI sI}", "members", (json_int_t)f->members, "orders", (json_int_t)f->orders,
                          "order_cents", (json_int_t)f->order_cents);
    if (r->has_ledger)
        json_object_set_new(o, "ledger_points", json_integer(f->points));
    return o;
}

static void print_copy_json(const struct store_args *a, pt_store *from, pt_store *to, const pt_store_copy_report *r,
                            double secs)
{
    json_t *tables = json_array();
    for (int i = 0; i < r->ntables; i++) {
        const pt_store_copy_table *t = &r->tables[i];
        json_array_append_new(tables, json_pack("{ss sI sI sI ss ss sb}", "table", t->name, "rows_source",
                                                (json_int_t)t->rows_source, "rows_copied", (json_int_t)t->rows_copied,
                                                "rows_destination", (json_int_t)t->rows_destination,
                                                "checksum_source", hex64(t->sum_source), "checksum_destination",
                                                hex64(t->sum_destination), "ok", t->ok));
    }
    json_t *o = json_pack("{ss ss ss ss si sI sf so so so sb}", "from", masked(a->from), "to", masked(a->to),
                          "from_backend", pt_store_backend(from), "to_backend", pt_store_backend(to),
                          "schema_version", r->schema_version, "rows", (json_int_t)r->rows_total, "seconds", secs,
                          "tables", tables, "source", figures_json(r, &r->source), "destination",
                          figures_json(r, &r->destination), "ok", 1);
    json_dumpf(o, stdout, JSON_INDENT(2));
    putchar('\n');
    json_decref(o);
}

static const char *same(int64_t a, int64_t b)
{
    return a == b ? "ok" : "DIFFERENT";
}

static void print_copy_text(const struct store_args *a, const pt_store_copy_report *r, double secs)
{
    printf("copied %s\n    to %s\n", masked(a->from), masked(a->to));
    printf("schema version %d, %s rows in %.2f s (%s rows/s), checked before commit\n\n", r->schema_version,
           cli_num(r->rows_total), secs, cli_num(secs > 0 ? (int64_t)((double)r->rows_total / secs) : r->rows_total));
    printf("  %-16s %12s %12s  %-16s  %s\n", "table", "rows", "copied", "checksum", "check");
    for (int i = 0; i < r->ntables; i++) {
        const pt_store_copy_table *t = &r->tables[i];
        printf("  %-16s %12s %12s  %-16s  %s\n", t->name, cli_num(t->rows_destination), cli_num(t->rows_copied),
               hex64(t->sum_destination), t->ok ? "ok" : "DIFFERENT");
    }
    const pt_store_copy_figures *s = &r->source, *d = &r->destination;
    printf("\n  %-16s %16s  %s\n", "member rows", cli_num(d->members), same(s->members, d->members));
    printf("  %-16s %16s  %s\n", "order rows", cli_num(d->orders), same(s->orders, d->orders));
    printf("  %-16s %16s  %s\n", "order sum", cli_money(d->order_cents), same(s->order_cents, d->order_cents));
    if (r->has_ledger)
        printf("  %-16s %16s  %s\n", "ledger points", cli_num(d->points), same(s->points, d->points));
}

static int store_copy(struct store_args *a)
{
    if (!a->to) {
        cli_error("say where to copy to: --to URL (a path, sqlite:PATH or postgresql://…)");
        return EXIT_USAGE;
    }
    if (!a->from)
        a->from = current_store_url();
    int code = EXIT_OK;
    pt_store *from = open_url(a->from, 1, &code);
    pt_store *to = from ? open_url(a->to, 0, &code) : NULL;
    pt_store_copy_report *r = calloc(1, sizeof *r);
    if (from && to && r) {
        pt_store_copy_opts opts = {.progress = cli_progress, .progress_ud = "copying"};
        double t0 = now_s();
        int rc = pt_store_copy(from, to, &opts, r);
        double secs = now_s() - t0;
        cli_progress_done();
        if (rc) {
            cli_error("store copy failed, the destination is left as it was: %s", r->errmsg);
            code = cli_exit_for(rc);
        } else if (a->json) {
            print_copy_json(a, from, to, r, secs);
        } else {
            print_copy_text(a, r, secs);
        }
    } else if (from && to) {
        cli_error("out of memory");
        code = EXIT_FAIL;
    }
    free(r);
    pt_store_close(to);
    pt_store_close(from);
    return code;
}

/* --- info ----------------------------------------------------------------------------------- */

static int store_info(const struct store_args *a)
{
    int code = EXIT_OK, version = 0, n = 0;
    const char *url = current_store_url();
    pt_store *s = open_url(url, 1, &code);
    if (!s)
        return code;
    pt_store_table_count *t = calloc(PT_STORE_COPY_TABLES_MAX, sizeof *t);
    int rc = t ? pt_store_schema_version(s, &version) : PT_ENOMEM;
    if (rc == PT_OK)
        rc = pt_store_table_counts(s, t, PT_STORE_COPY_TABLES_MAX, &n);
    if (rc) {
        cli_error("cannot read the store %s: %s", masked(url), t ? pt_store_errmsg(s) : pt_strerror(rc));
        code = cli_exit_for(rc);
    } else if (a->json) {
        json_t *tables = json_object();
        for (int i = 0; i < n; i++)
            json_object_set_new(tables, t[i].name, json_integer(t[i].rows));
        json_t *o = json_pack("{ss ss si so}", "store", masked(url), "backend", pt_store_backend(s),
                              "schema_version", version, "tables", tables);
        json_dumpf(o, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(o);
    } else {
        printf("store %s\nbackend %s, schema version %d\n\n", masked(url), pt_store_backend(s), version);
        for (int i = 0; i < n; i++)
            printf("  %-20s %14s rows\n", t[i].name, cli_num(t[i].rows));
    }
    free(t);
    pt_store_close(s);
    return code;
}

int cmd_store(int argc, char **argv)
{
    struct store_args a = {0};
    int rc = parse_store_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    if (strcmp(a.sub, "copy") == 0)
        return store_copy(&a);
    if (strcmp(a.sub, "info") == 0)
        return store_info(&a);
    cli_error("'%s' is not a store subcommand; try copy or info (see `patron store --help`)", a.sub);
    return EXIT_USAGE;
}

/* cmd_import.c — `patron import KIND FILE… --source NAME`: runs pt_import_file on each file
 * and prints what happened (rows, rejects, duplicates, merges). */
#include "cli.h"
#include "patron/error.h"
#include "patron/ingest.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void import_usage(void)
{
    printf("usage: patron import members|orders|items|events|surveys FILE... --source NAME [options]\n"
           "\n"
           "Imports CSV (RFC 4180; UTF-8, BOM and CRLF fine) or JSON lines (.jsonl). Each file is\n"
           "one transaction: it is imported whole or not at all. Bad rows are not imported; each\n"
           "goes to the reject file with its line, field and reason, and the import goes on.\n"
           "\n"
           "Options:\n"
           "  --source NAME       channel the file comes from (eshop, app, store, mini, …); required\n"
           "  --map HEADER=TARGET map a column (repeatable); TARGET 'ignore' skips it\n"
           "  --mapping FILE      a file of HEADER=TARGET lines\n"
           "  --rejects PATH      reject file (default DIR/rejects/FILE.rejects.csv)\n"
           "  --format csv|jsonl  instead of guessing from the file name\n"
           "  --stop-on-error     stop at the first bad row and import nothing\n"
           "  --ignore-unknown    skip unknown columns (they are listed) instead of failing\n"
           "  --json              print the result as JSON\n"
           "  --data DIR          data directory\n"
           "\n"
           "Columns recognised (first name is the target; the others are synonyms):\n");
    for (int k = PT_IMPORT_MEMBERS; k <= PT_IMPORT_SURVEYS; k++)
        printf("%s:\n%s", pt_import_kind_name(k), pt_import_columns_help(k));
}

struct import_args {
    int                kind;
    pt_import_opts     opts;
    const char        *maps[64];
    int                json;
};

static int parse_import_args(int argc, char **argv, struct import_args *a)
{
    static const struct option opts[] = {
        {"source", required_argument, 0, 's'}, {"map", required_argument, 0, 'm'},
        {"mapping", required_argument, 0, 'M'}, {"rejects", required_argument, 0, 'r'},
        {"format", required_argument, 0, 'f'}, {"stop-on-error", no_argument, 0, 'S'},
        {"ignore-unknown", no_argument, 0, 'I'}, {"json", no_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:m:h", opts, NULL)) != -1) {
        switch (c) {
        case 's': a->opts.source = optarg; break;
        case 'm':
            if (a->opts.nmaps == 64)
                return EXIT_USAGE;
            a->maps[a->opts.nmaps++] = optarg;
            break;
        case 'M': a->opts.mapping_file = optarg; break;
        case 'r': a->opts.reject_path = optarg; break;
        case 'f':
            a->opts.format = strcmp(optarg, "csv") == 0 ? PT_FORMAT_CSV : strcmp(optarg, "jsonl") == 0 ? PT_FORMAT_JSONL : -1;
            if (a->opts.format < 0) {
                cli_error("--format takes csv or jsonl");
                return EXIT_USAGE;
            }
            break;
        case 'S': a->opts.stop_on_error = 1; break;
        case 'I': a->opts.ignore_unknown = 1; break;
        case 'j': a->json = 1; break;
        case 'h': import_usage(); return -1;
        default: return EXIT_USAGE;
        }
    }
    a->opts.maps = a->maps;
    if (optind + 2 > argc || !(a->kind = pt_import_kind_parse(argv[optind]))) {
        cli_error("usage: patron import members|orders|items|events|surveys FILE... --source NAME");
        return EXIT_USAGE;
    }
    if (!a->opts.source) {
        cli_error("--source NAME is required: say which channel the file comes from (e.g. --source eshop)");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static void print_result(const char *path, const pt_import_result *r, double secs, int json)
{
    const pt_import_run_rec *run = &r->run;
    if (json) {
        json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:s,s:f}", "file", path, "kind",
                              run->kind, "source", run->source, "rows_read", (json_int_t)run->rows_read,
                              "rows_accepted", (json_int_t)run->rows_accepted, "rows_rejected",
                              (json_int_t)run->rows_rejected, "duplicates", (json_int_t)run->duplicates,
                              "members_created", (json_int_t)run->members_created, "members_attached",
                              (json_int_t)run->members_attached, "members_merged", (json_int_t)run->members_merged,
                              "conflicts", (json_int_t)run->conflicts, "filled", (json_int_t)run->filled,
                              "reject_file", r->reject_path, "ignored_columns", r->ignored_columns, "seconds", secs);
        char *s = json_dumps(o, JSON_COMPACT);
        printf("%s\n", s ? s : "{}");
        free(s);
        json_decref(o);
        return;
    }
    printf("%s: %s rows read, %s imported, %s rejected, %s duplicates", path, cli_num(run->rows_read),
           cli_num(run->rows_accepted), cli_num(run->rows_rejected), cli_num(run->duplicates));
    if (strcmp(run->kind, "members") == 0)
        printf("; members %s new, %s attached, %s merged, %s conflicts", cli_num(run->members_created),
               cli_num(run->members_attached), cli_num(run->members_merged), cli_num(run->conflicts));
    printf(" (%.2f s)\n", secs);
    if (run->rows_rejected)
        printf("  rejected rows (line, field, reason): %s\n", r->reject_path);
    if (r->ignored_columns[0])
        printf("  columns not imported: %s\n", r->ignored_columns);
}

int cmd_import(int argc, char **argv)
{
    struct import_args a = {0};
    int code = parse_import_args(argc, argv, &a);
    if (code)
        return code < 0 ? EXIT_OK : code;
    pt_db *db = cli_open();
    if (!db)
        return EXIT_STORE;
    a.opts.progress = cli_progress;
    for (int i = optind + 1; i < argc && code == EXIT_OK; i++) {
        pt_import_result res;
        pt_import_result_init(&res);
        a.opts.progress_ud = argv[i];
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int rc = pt_import_file(db, a.kind, argv[i], &a.opts, &res);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        cli_progress_done();
        if (rc) {
            cli_error("%s (nothing from this file was imported)", pt_db_errmsg(db));
            code = cli_exit_for(rc);
        } else {
            print_result(argv[i], &res, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, a.json);
        }
        pt_import_result_free(&res);
    }
    pt_db_close(db);
    return code;
}

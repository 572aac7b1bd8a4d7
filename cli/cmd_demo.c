/* cmd_demo.c — `patron demo-data` (write the demo files) and `patron demo` (generate, import
 * into a fresh demo data directory, print the overview and the quality report, and compare
 * what cleaning found with what the generator planted). */
#include "cli.h"
#include "patron/demo.h"
#include "patron/error.h"
#include "patron/ingest.h"
#include "patron/ledger.h"
#include "patron/reward.h"
#include "patron/tier.h"
#include "patron/quality.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct demo_args {
    int64_t     members;
    uint64_t    seed;
    const char *out;
    const char *programme;    /* NULL: none */
};

static int parse_demo_args(int argc, char **argv, struct demo_args *a, const char *help)
{
    static const struct option opts[] = {
        {"members", required_argument, 0, 'n'}, {"seed", required_argument, 0, 's'},
        {"out", required_argument, 0, 'o'}, {"programme", required_argument, 0, 'p'},
        {"no-programme", no_argument, 0, 'P'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:s:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            a->members = strtoll(optarg, &end, 10);
            if (*end || a->members < 10 || a->members > 10000000) {
                cli_error("--members takes a whole number from 10 to 10,000,000");
                return EXIT_USAGE;
            }
            break;
        case 's':
            a->seed = strtoull(optarg, &end, 10);
            if (*end) {
                cli_error("--seed takes a whole number");
                return EXIT_USAGE;
            }
            break;
        case 'o': a->out = optarg; break;
        case 'p': a->programme = optarg; break;
        case 'P': a->programme = NULL; break;
        case 'h': fputs(help, stdout); return -1;
        default: return EXIT_USAGE;
        }
    }
    return EXIT_OK;
}

static void gen_progress(void *ud, int64_t done, int64_t total)
{
    cli_progress(ud, (uint64_t)done, (uint64_t)total, done);
}

static int generate(const struct demo_args *a, const char *out, pt_demo_truth *truth)
{
    char err[512] = "";
    pt_demo_opts o = {.members = a->members, .seed = a->seed, .out_dir = out,
                      .progress = gen_progress, .progress_ud = "generating people"};
    int rc = pt_demo_generate(&o, truth, err, sizeof err);
    cli_progress_done();
    if (rc)
        cli_error("generating demo data: %s", err[0] ? err : pt_strerror(rc));
    return rc;
}

int cmd_demo_data(int argc, char **argv)
{
    struct demo_args a = {.members = 50000, .seed = 42, .out = "demo-input"};
    int code = parse_demo_args(argc, argv, &a,
                               "usage: patron demo-data [--members N] [--seed S] [--out DIR]\n\n"
                               "Writes realistic, messy multi-channel member data (online shop, app, stores,\n"
                               "mini-program) to DIR, plus DIR/demo-truth.json with what was planted (merges,\n"
                               "duplicate orders, bad rows). The same seed always gives the same files.\n");
    if (code)
        return code < 0 ? EXIT_OK : code;
    pt_demo_truth t;
    if (generate(&a, a.out, &t))
        return EXIT_FAIL;
    printf("wrote %s: %s people, %s member rows, %s orders (%s duplicate rows, %s bad rows planted), "
           "%s order lines, %s events, %s survey answers\n",
           a.out, cli_num(t.people), cli_num(t.member_rows), cli_num(t.orders), cli_num(t.duplicate_orders),
           cli_num(t.rejected_orders), cli_num(t.items), cli_num(t.events), cli_num(t.surveys));
    return EXIT_OK;
}

/* A demo directory is recreated on every run; any other Patron directory is left alone. */
static int prepare_demo_dir(const char *dir)
{
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/patron.db", dir);
    int has_store = stat(path, &st) == 0;
    snprintf(path, sizeof path, "%s/.patron-demo", dir);
    if (has_store && stat(path, &st) != 0) {
        cli_error("%s holds a Patron store that is not a demo; give `patron demo` another --data DIR", dir);
        return PT_EEXIST;
    }
    static const char *const files[] = {"patron.db", "patron.db-wal", "patron.db-shm", "master.key",
                                        "config.json", "demo-truth.json"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (unlink(path) != 0 && errno != ENOENT) {
            cli_error("cannot remove %s: %s", path, strerror(errno));
            return PT_EIO;
        }
    }
    char err[1024] = "";
    int rc = pt_db_init(dir, NULL, err, sizeof err);
    if (rc) {
        cli_error("cannot initialise %s: %s", dir, err);
        return rc;
    }
    snprintf(path, sizeof path, "%s/.patron-demo", dir);
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
    return f ? PT_OK : PT_EIO;
}

static int import_all(pt_db *db, const char *in_dir)
{
    for (const pt_demo_file *df = PT_DEMO_FILES; df->kind; df++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", in_dir, df->file);
        pt_import_opts o = {.source = df->source, .progress = cli_progress, .progress_ud = (void *)df->file};
        pt_import_result res;
        pt_import_result_init(&res);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int rc = pt_import_file(db, pt_import_kind_parse(df->kind), path, &o, &res);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        cli_progress_done();
        if (rc)
            cli_error("%s", pt_db_errmsg(db));
        else
            printf("  %-20s %9s rows  %9s imported  %6s rejected  %6s duplicates  %5.2f s\n", df->file,
                   cli_num(res.run.rows_read), cli_num(res.run.rows_accepted), cli_num(res.run.rows_rejected),
                   cli_num(res.run.duplicates),
                   (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        pt_import_result_free(&res);
        if (rc)
            return rc;
    }
    return PT_OK;
}

static int print_reports(pt_db *db, const pt_demo_truth *t)
{
    pt_buf out;
    pt_buf_init(&out, 0);
    int rc = pt_overview_json(db, &out);
    json_t *o = rc ? NULL : json_loads(pt_buf_str(&out), 0, NULL);
    pt_buf_reset(&out);
    if (rc == PT_OK)
        rc = pt_quality_json(db, &out);
    json_t *q = rc ? NULL : json_loads(pt_buf_str(&out), 0, NULL);
    pt_buf_free(&out);
    if (!o || !q) {
        json_decref(o);
        json_decref(q);
        cli_error("%s", pt_db_errmsg(db));
        return rc ? rc : PT_ENOMEM;
    }
    printf("\n");
    cli_print_overview(o);
    printf("\n");
    cli_print_quality(q);
    json_int_t merged = json_integer_value(json_object_get(q, "members_merged"));
    json_int_t dups = json_integer_value(json_object_get(q, "duplicate_orders"));
    printf("\nCleaning against what the generator planted (demo-truth.json):\n"
           "  members merged     %s found, %s planted  %s\n"
           "  duplicate orders   %s found, %s planted  %s\n",
           cli_num(merged), cli_num(t->merged_members), merged == t->merged_members ? "ok" : "MISMATCH",
           cli_num(dups), cli_num(t->duplicate_orders), dups == t->duplicate_orders ? "ok" : "MISMATCH");
    json_decref(o);
    json_decref(q);
    return PT_OK;
}

static void replay_progress(void *ud, int64_t done, int64_t total)
{
    cli_progress(ud, (uint64_t)done, (uint64_t)total, done);
}

/* Loads the programme, replays every order through it, then runs the due job and the tier
 * reviews as of now: members get realistic balances, lots, expiries and tiers. */
static int run_programme(pt_db *db, const char *file)
{
    pt_programme *p = malloc(sizeof *p);
    pt_programme_report *rep = malloc(sizeof *rep);
    pt_ledger *l = NULL;
    int rc = p && rep ? pt_programme_load_file(file, p, rep) : PT_ENOMEM;
    if (rc) {
        cli_error("%s: %s", file, rep && rep->nissues ? rep->issues[0].reason : pt_strerror(rc));
    } else if ((rc = pt_ledger_open(&l, db, p))) {
        cli_error("loading the programme: %s", pt_store_errmsg(pt_db_store(db)));
    } else {
        printf("\nProgramme %s (%s): replaying every order through it\n", p->name, file);
        pt_ledger_replay_stats st;
        pt_ledger_job_stats due;
        pt_tier_review_stats rev;
        rc = pt_reward_sync_stock(l);
        if (rc == PT_OK)
            rc = pt_ledger_replay_orders(l, &st, replay_progress, (void *)"orders");
        cli_progress_done();
        if (rc == PT_OK)
            rc = pt_ledger_run_due(l, pt_db_now(db), &due, NULL, NULL);
        if (rc == PT_OK)
            rc = pt_tier_run_reviews(l, pt_db_now(db), &rev);
        if (rc)
            cli_error("%s", pt_ledger_errmsg(l));
        else
            printf("  orders earned      %s (%s points; %s refused: member not active)\n"
                   "  due today          %s points released, %s points expired\n"
                   "  tier reviews       %s kept, %s down, %s up\n",
                   cli_num(st.orders_earned), cli_num(st.points), cli_num(st.orders_refused),
                   cli_num(due.released_points), cli_num(due.expired_points), cli_num(rev.kept),
                   cli_num(rev.downgraded), cli_num(rev.upgraded));
    }
    pt_ledger_close(l);
    free(p);
    free(rep);
    return rc;
}

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    char buf[65536];
    size_t n;
    int rc = in && out ? PT_OK : PT_EIO;
    while (rc == PT_OK && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = PT_EIO;
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        rc = PT_EIO;
    return rc;
}

int cmd_demo(int argc, char **argv)
{
    struct demo_args a = {.members = 50000, .seed = 42};
    if (access("examples/programme.json", R_OK) == 0)
        a.programme = "examples/programme.json"; /* run from the source tree, as `make demo` does */
    int code = parse_demo_args(argc, argv, &a,
                               "usage: patron demo [--members N] [--seed S] [--data DIR] [--programme FILE |\n"
                               "                   --no-programme]\n\n"
                               "Generates demo data (default 50,000 people) into DIR/demo-input, initialises DIR\n"
                               "afresh (only if it is empty or an earlier demo), imports every file, writes\n"
                               "DIR/demo-truth.json and prints the overview and the data-quality report. Then\n"
                               "loads the loyalty programme (default examples/programme.json when run from the\n"
                               "source tree) and replays every order through it, so members have balances,\n"
                               "lots, expiries, tiers and history.\n");
    if (code)
        return code < 0 ? EXIT_OK : code;
    char in_dir[4200], from[4300], to[4300];
    snprintf(in_dir, sizeof in_dir, "%s/demo-input", cli_data_dir);
    int rc = prepare_demo_dir(cli_data_dir);
    pt_demo_truth t;
    if (rc == PT_OK)
        rc = generate(&a, in_dir, &t);
    snprintf(from, sizeof from, "%s/demo-truth.json", in_dir);
    snprintf(to, sizeof to, "%s/demo-truth.json", cli_data_dir);
    if (rc == PT_OK && (rc = copy_file(from, to)) != PT_OK)
        cli_error("cannot write %s", to);
    if (rc)
        return cli_exit_for(rc);
    printf("Demo data: %s people across eshop, store, mini-program and app (seed %llu) in %s\n",
           cli_num(t.people), (unsigned long long)a.seed, in_dir);
    pt_db *db = cli_open();
    if (!db)
        return EXIT_STORE;
    printf("Importing:\n");
    rc = import_all(db, in_dir);
    if (rc == PT_OK)
        rc = print_reports(db, &t);
    if (rc == PT_OK && a.programme)
        rc = run_programme(db, a.programme);
    pt_db_close(db);
    if (rc == PT_OK)
        printf("\nTry: patron member show --phone <a phone from %s/members_store.csv> --data %s\n", in_dir, cli_data_dir);
    return cli_exit_for(rc);
}

/* cmd_lifecycle.c — `patron lifecycle` (stage per member), `patron lifecycle counts` (stage
 * counts at two dates or at every month end) and `patron lifecycle transitions` (the stage-to-
 * stage matrix between two dates). Thin over lifecycle.h: parse flags, load the snapshot,
 * derive or take the thresholds, compute, print as a table, --json or --csv.
 *
 * DATE is YYYY-MM-DD in the tenant's time zone (config.json), meaning that day's first second,
 * or @EPOCH; orders strictly before it count. Thresholds not given are derived from the data as
 * of --as-of (per member) or --to (counts, transitions), so every date of one run uses the same
 * thresholds. Members without analytics consent and erased members appear only in the
 * anonymous totals the library gives.
 */
#include "cli.h"
#include "tx_options.h"
#include "patron/config.h"
#include "patron/error.h"
#include "patron/lifecycle.h"
#include "patron/member.h"
#include "patron/snapshot.h"
#include "patron/tz.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OUT_TEXT, OUT_JSON, OUT_CSV };
enum { SUB_MEMBERS, SUB_COUNTS, SUB_TRANSITIONS };

struct lc_args {
    int               sub, out, zh, monthly;
    const char       *as_of, *from, *to;
    pt_lifecycle_opts o;
    struct cli_tx     tx;
    int64_t           now; /* cli_tx_now, once the snapshot is loaded */
};

static const char *const SUB_NAME[] = {"lifecycle", "lifecycle counts", "lifecycle transitions"};

static void lc_usage(int sub)
{
    static const char *const what[] = {
        "[--as-of DATE] [--active-days N] [--churn-days N] [--new-days N] [--lang en|zh] [--json|--csv]\n"
        "\nThe lifecycle stage of every member as of DATE (default now): member number, stage, paid\n"
        "orders before DATE, days since the first and the last paid order.\n",
        "--from DATE --to DATE [--monthly] [thresholds] [--lang en|zh] [--json|--csv]\n"
        "\nStage counts as of --from and as of --to; with --monthly, as of every month end in\n"
        "(--from, --to] instead (the first instant of each following month in the tenant's zone),\n"
        "labelled with the month that ended.\n",
        "--from DATE --to DATE [thresholds] [--lang en|zh] [--json|--csv]\n"
        "\nThe transition matrix: members by stage as of --from (rows) and as of --to (columns);\n"
        "each row adds up to the members in that stage at --from.\n",
    };
    printf("usage: patron %s %s\n"
           "Stages: prospect (registered, never bought), new, active, won back, dormant (沉睡),\n"
           "churned (流失), not registered yet.\n\n"
           "  --as-of DATE, --from DATE, --to DATE  YYYY-MM-DD in the tenant's time zone (that day's\n"
           "                     start) or @EPOCH; orders strictly before the date count\n"
           "  --active-days N    active while the last purchase is at most N days old (default: the\n"
           "                     median gap between repeat purchases)\n"
           "  --churn-days N     churned once it is more than N days old (default: the 90th\n"
           "                     percentile of those gaps); dormant in between\n"
           "  --new-days N       new while the first purchase is at most N days old (default: active)\n"
           "  --lang en|zh       stage names in English (default) or Chinese\n"
           "  --json, --csv      machine-readable output\n",
           SUB_NAME[sub], what[sub]);
    cli_tx_help();
    printf("\nOnly members who consent to analytics and are not erased are shown; the others are\n"
           "counted in anonymous totals. Definitions: docs/lifecycle.md.\n");
}

static int parse_days(const char *flag, const char *v, int *out)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || end == v || n < 1 || n > PT_LC_MAX_DAYS) {
        cli_error("%s takes a whole number of days from 1 to %d", flag, PT_LC_MAX_DAYS);
        return EXIT_USAGE;
    }
    *out = (int)n;
    return EXIT_OK;
}

static int parse_opt(int c, struct lc_args *a)
{
    switch (c) {
    case 'a': a->as_of = optarg; return EXIT_OK;
    case 'f': a->from = optarg; return EXIT_OK;
    case 't': a->to = optarg; return EXIT_OK;
    case 'A': return parse_days("--active-days", optarg, &a->o.active_days);
    case 'C': return parse_days("--churn-days", optarg, &a->o.churn_days);
    case 'N': return parse_days("--new-days", optarg, &a->o.new_days);
    case 'm': a->monthly = 1; return EXIT_OK;
    case 'j': a->out = OUT_JSON; return EXIT_OK;
    case 'c': a->out = OUT_CSV; return EXIT_OK;
    case 'l':
        if (strcmp(optarg, "en") != 0 && strcmp(optarg, "zh") != 0) {
            cli_error("--lang takes en or zh");
            return EXIT_USAGE;
        }
        a->zh = optarg[0] == 'z';
        return EXIT_OK;
    default: return EXIT_USAGE;
    }
}

/* Checks which flags the subcommand takes. */
static int check_args(const struct lc_args *a)
{
    if (a->sub == SUB_MEMBERS && (a->from || a->to || a->monthly)) {
        cli_error("patron lifecycle takes --as-of; --from, --to and --monthly belong to counts/transitions");
        return EXIT_USAGE;
    }
    if (a->sub != SUB_MEMBERS && (!a->from || !a->to || a->as_of)) {
        cli_error("patron %s needs --from DATE and --to DATE (and no --as-of)", SUB_NAME[a->sub]);
        return EXIT_USAGE;
    }
    if (a->sub == SUB_TRANSITIONS && a->monthly) {
        cli_error("--monthly belongs to patron lifecycle counts");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static int parse_args(int argc, char **argv, struct lc_args *a)
{
    static const struct option opts[] = {
        {"as-of", required_argument, 0, 'a'},       {"from", required_argument, 0, 'f'},
        {"to", required_argument, 0, 't'},          {"active-days", required_argument, 0, 'A'},
        {"churn-days", required_argument, 0, 'C'},  {"new-days", required_argument, 0, 'N'},
        {"monthly", no_argument, 0, 'm'},           {"json", no_argument, 0, 'j'},
        {"csv", no_argument, 0, 'c'},               {"lang", required_argument, 0, 'l'},
        {"help", no_argument, 0, 'h'},              CLI_TX_LONGOPTS,
        {0, 0, 0, 0}};
    *a = (struct lc_args){.sub = SUB_MEMBERS};
    pt_lifecycle_opts_init(&a->o);
    if (argc > 1 && strcmp(argv[1], "counts") == 0)
        a->sub = SUB_COUNTS;
    else if (argc > 1 && strcmp(argv[1], "transitions") == 0)
        a->sub = SUB_TRANSITIONS;
    if (a->sub != SUB_MEMBERS) {
        argc--;
        argv++;
    }
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            lc_usage(a->sub);
            return -1;
        }
        if (cli_tx_option(&a->tx, c, optarg))
            continue;
        int rc = parse_opt(c, a);
        if (rc)
            return rc;
    }
    if (optind < argc) {
        cli_error("unexpected '%s' (see patron %s --help)", argv[optind], SUB_NAME[a->sub]);
        return EXIT_USAGE;
    }
    return check_args(a);
}

/* --- printing ------------------------------------------------------------------------------- */
static void print_thresholds_json(const pt_lifecycle_thresholds *th)
{
    printf("\"thresholds\":{\"active_days\":%d,\"churn_days\":%d,\"new_days\":%d,\"active_derived\":%s,"
           "\"churn_derived\":%s,\"derived_as_of\":%lld,\"gaps\":%zu,\"median_gap_days\":%lld,"
           "\"p90_gap_days\":%lld}",
           th->active_days, th->churn_days, th->new_days, th->active_derived ? "true" : "false",
           th->churn_derived ? "true" : "false", (long long)th->derived_as_of, th->gaps,
           (long long)th->median_gap_days, (long long)th->p90_gap_days);
}

static void print_thresholds_text(const pt_lifecycle_thresholds *th)
{
    printf("thresholds: active ≤ %d days%s, churned > %d days%s, new ≤ %d days",
           th->active_days, th->active_derived ? " (median gap)" : "", th->churn_days,
           th->churn_derived ? " (90th percentile gap)" : "", th->new_days);
    if (th->gaps)
        printf("; %zu repeat-purchase gaps, median %lld, p90 %lld days\n", th->gaps,
               (long long)th->median_gap_days, (long long)th->p90_gap_days);
    else
        printf("; no repeat purchases, fallback thresholds\n");
}

static void print_counts_json(const pt_lifecycle_counts *c)
{
    printf("\"members\":%zu,\"shown\":%zu,\"anonymous_no_consent\":%zu,\"anonymous_erased\":%zu,"
           "\"merged_away\":%zu,\"stages\":{",
           c->members, c->members - c->no_consent - c->erased, c->no_consent, c->erased, c->merged_away);
    for (int k = 0; k < PT_LC__COUNT; k++)
        printf("%s\"%s\":%zu", k ? "," : "", pt_lifecycle_stage_key(k), c->stage[k]);
    printf("}");
}

static void print_members(pt_db *db, const struct lc_args *a, const pt_lifecycle *lc, const pt_snapshot *snap)
{
    if (a->out == OUT_JSON) {
        printf("{\"as_of\":%lld,\"date\":\"%s\",", (long long)lc->as_of, cli_tx_local_date(db, lc->as_of, 0));
        print_thresholds_json(&lc->th);
        printf(",\"totals\":{");
        print_counts_json(&lc->counts);
        printf("},\"members\":[");
    } else if (a->out == OUT_CSV) {
        printf("member,stage,orders,days_since_first,days_since_last\n");
    } else {
        print_thresholds_text(&lc->th);
        printf("%-12s %-24s %7s %11s %10s\n", "member", "stage", "orders", "first(days)", "last(days)");
    }
    for (size_t i = 0; i < lc->nrows; i++) {
        const pt_lifecycle_row *r = &lc->rows[i];
        char no[PT_SNAPSHOT_EXT_ID];
        cli_tx_member(snap, r->member_id, no);
        if (a->out == OUT_JSON)
            printf("%s{\"member\":%s,\"stage\":\"%s\",\"stage_name\":\"%s\",\"orders\":%lld,"
                   "\"days_since_first\":%lld,\"days_since_last\":%lld}",
                   i ? "," : "", cli_json_str(no), pt_lifecycle_stage_key(r->stage), pt_lifecycle_stage_name(r->stage, a->zh),
                   (long long)r->orders, (long long)r->days_since_first, (long long)r->days_since_last);
        else if (a->out == OUT_CSV)
            printf("%s,%s,%lld,%lld,%lld\n", cli_csv_str(no), pt_lifecycle_stage_key(r->stage), (long long)r->orders,
                   (long long)r->days_since_first, (long long)r->days_since_last);
        else
            printf("%-12s %-24s %7lld %11lld %10lld\n", no, pt_lifecycle_stage_name(r->stage, a->zh),
                   (long long)r->orders, (long long)r->days_since_first, (long long)r->days_since_last);
    }
    if (a->out == OUT_JSON)
        printf("]}\n");
    else if (a->out == OUT_TEXT)
        printf("%s members shown; %s without analytics consent and %s erased are counted only in totals\n",
               cli_num((int64_t)lc->nrows), cli_num((int64_t)lc->counts.no_consent),
               cli_num((int64_t)lc->counts.erased));
}

static void print_counts_row(pt_db *db, const struct lc_args *a, const pt_lifecycle_counts *c, size_t p)
{
    const char *date = cli_tx_local_date(db, c->as_of, 0), *month = cli_tx_local_date(db, c->as_of - 1, 1);
    if (a->out == OUT_JSON) {
        printf("%s{\"as_of\":%lld,\"date\":\"%s\",", p ? "," : "", (long long)c->as_of, date);
        if (a->monthly)
            printf("\"month\":\"%s\",", month);
        print_counts_json(c);
        printf("}");
        return;
    }
    printf(a->out == OUT_CSV ? "%s,%s" : "%-10s %-7s", date, a->monthly ? month : "");
    for (int k = 0; k < PT_LC__COUNT; k++)
        printf(a->out == OUT_CSV ? ",%zu" : " %10zu", c->stage[k]);
    printf(a->out == OUT_CSV ? ",%zu,%zu,%zu\n" : " %10zu %10zu %10zu\n", c->no_consent, c->erased, c->members);
}

static void print_counts(pt_db *db, const struct lc_args *a, const pt_lifecycle_thresholds *th,
                         const pt_lifecycle_counts *c, size_t n)
{
    if (a->out == OUT_JSON) {
        printf("{\"monthly\":%s,", a->monthly ? "true" : "false");
        print_thresholds_json(th);
        printf(",\"rows\":[");
    } else {
        if (a->out == OUT_TEXT)
            print_thresholds_text(th);
        if (a->out == OUT_CSV)
            printf("date,month");
        else
            printf("%-10s %-7s", "date", "month");
        for (int k = 0; k < PT_LC__COUNT; k++)
            printf(a->out == OUT_CSV ? ",%s" : " %10.10s", pt_lifecycle_stage_key(k));
        if (a->out == OUT_CSV)
            printf(",anonymous_no_consent,anonymous_erased,members\n");
        else
            printf(" %10s %10s %10s\n", "no_consent", "erased", "members");
    }
    for (size_t p = 0; p < n; p++)
        print_counts_row(db, a, &c[p], p);
    if (a->out == OUT_JSON)
        printf("]}\n");
}

static void print_transitions(pt_db *db, const struct lc_args *a, const pt_lifecycle_thresholds *th,
                              const pt_lifecycle_transitions *t)
{
    if (a->out == OUT_JSON) {
        printf("{\"from\":%lld,\"to\":%lld,\"from_date\":\"%s\",\"to_date\":\"%s\",", (long long)t->from.as_of,
               (long long)t->to.as_of, cli_tx_local_date(db, t->from.as_of, 0), cli_tx_local_date(db, t->to.as_of, 0));
        print_thresholds_json(th);
        printf(",\"stages\":[");
        for (int k = 0; k < PT_LC__COUNT; k++)
            printf("%s\"%s\"", k ? "," : "", pt_lifecycle_stage_key(k));
        printf("],\"matrix\":[");
        for (int r = 0; r < PT_LC__COUNT; r++)
            for (int c = 0; c < PT_LC__COUNT; c++)
                printf("%s%zu%s", c ? "," : r ? ",[" : "[", t->matrix[r][c], c == PT_LC__COUNT - 1 ? "]" : "");
        printf("],\"from_counts\":{");
        print_counts_json(&t->from);
        printf("},\"to_counts\":{");
        print_counts_json(&t->to);
        printf("}}\n");
        return;
    }
    if (a->out == OUT_TEXT) {
        print_thresholds_text(th);
        printf("rows: stage as of %s; columns: stage as of %s\n", cli_tx_local_date(db, t->from.as_of, 0),
               cli_tx_local_date(db, t->to.as_of, 0));
    }
    if (a->out == OUT_CSV)
        printf("from_stage");
    else
        printf("%-14s", "from \\ to");
    for (int k = 0; k < PT_LC__COUNT; k++)
        printf(a->out == OUT_CSV ? ",%s" : " %10.10s", pt_lifecycle_stage_key(k));
    printf(a->out == OUT_CSV ? ",%s\n" : " %10s\n", "total");
    for (int r = 0; r < PT_LC__COUNT; r++) {
        printf(a->out == OUT_CSV ? "%s" : "%-14s", pt_lifecycle_stage_key(r));
        for (int c = 0; c < PT_LC__COUNT; c++)
            printf(a->out == OUT_CSV ? ",%zu" : " %10zu", t->matrix[r][c]);
        printf(a->out == OUT_CSV ? ",%zu\n" : " %10zu\n", t->from.stage[r]);
    }
}

/* --- running -------------------------------------------------------------------------------- */
static int lib_error(const char *what, int rc)
{
    cli_error("%s: %s", what, pt_strerror(rc));
    return rc == PT_EINVAL ? EXIT_USAGE : cli_exit_for(rc);
}

static int run_members(pt_db *db, const struct lc_args *a, const pt_snapshot *snap)
{
    int64_t as_of = a->now;
    if (a->as_of && cli_tx_date_arg(db, a->as_of, &as_of))
        return EXIT_USAGE;
    pt_lifecycle_thresholds th;
    int rc = pt_lifecycle_derive(&th, snap, &a->o, as_of);
    if (rc)
        return lib_error("thresholds (active < churn, each 1 or more days)", rc);
    pt_lifecycle lc;
    rc = pt_lifecycle_compute(&lc, snap, as_of, &th);
    if (rc)
        return lib_error("lifecycle", rc);
    print_members(db, a, &lc, snap);
    pt_lifecycle_free(&lc);
    return EXIT_OK;
}

/* The instants of `counts`: from and to, or the month ends in (from, to]. */
static int count_points(pt_db *db, const struct lc_args *a, int64_t from, int64_t to, int64_t **t, size_t *n)
{
    if (a->monthly) {
        int rc = pt_lifecycle_month_ends(cli_tx_zone(db), from, to, t, n);
        return rc ? lib_error("month ends (is the time zone in config.json known?)", rc) : EXIT_OK;
    }
    *t = malloc(2 * sizeof **t);
    if (!*t)
        return lib_error("counts", PT_ENOMEM);
    (*t)[0] = from;
    (*t)[1] = to;
    *n = 2;
    return EXIT_OK;
}

static int run_range(pt_db *db, const struct lc_args *a, const pt_snapshot *snap)
{
    int64_t from, to;
    if (cli_tx_date_arg(db, a->from, &from) || cli_tx_date_arg(db, a->to, &to))
        return EXIT_USAGE;
    if (to < from) {
        cli_error("--to must not be before --from");
        return EXIT_USAGE;
    }
    pt_lifecycle_thresholds th;
    int rc = pt_lifecycle_derive(&th, snap, &a->o, to);
    if (rc)
        return lib_error("thresholds (active < churn, each 1 or more days)", rc);
    if (a->sub == SUB_TRANSITIONS) {
        pt_lifecycle_transitions tr;
        rc = pt_lifecycle_transition_matrix(&tr, snap, from, to, &th);
        if (rc)
            return lib_error("transitions", rc);
        print_transitions(db, a, &th, &tr);
        return EXIT_OK;
    }
    int64_t *t = NULL;
    size_t n = 0;
    rc = count_points(db, a, from, to, &t, &n);
    pt_lifecycle_counts *c = rc ? NULL : calloc(n ? n : 1, sizeof *c);
    if (rc == EXIT_OK && !c)
        rc = lib_error("counts", PT_ENOMEM);
    int lrc = rc ? PT_OK : pt_lifecycle_counts_at(c, snap, t, n, &th);
    if (lrc)
        rc = lib_error("counts", lrc);
    if (rc == EXIT_OK)
        print_counts(db, a, &th, c, n);
    free(c);
    free(t);
    return rc;
}

int cmd_lifecycle(int argc, char **argv)
{
    struct lc_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    pt_db *db = NULL;
    pt_snapshot *snap = NULL;
    rc = cli_tx_snapshot(&a.tx, &db, &snap);
    a.now = rc ? 0 : cli_tx_now(db, snap);
    if (rc == EXIT_OK && a.sub == SUB_MEMBERS)
        rc = run_members(db, &a, snap);
    else if (rc == EXIT_OK)
        rc = run_range(db, &a, snap);
    pt_snapshot_free(snap);
    if (db)
        pt_db_close(db);
    return rc;
}

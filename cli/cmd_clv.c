/* cmd_clv.c — `patron clv fit` (BG/NBD, Pareto/NBD or Gamma-Gamma parameters by maximum
 * likelihood) and `patron clv score` (per member P(alive), expected purchases, expected spend
 * and discounted CLV). Thin over clv.h: parse flags, load the snapshot, summarise as of the
 * calibration end, fit, print as text, --json or --csv. Members without analytics consent and
 * erased members are in neither the fit nor the output (counted in "anonymous").
 *
 * DATE is YYYY-MM-DD in the tenant's time zone (UTC for --transactions; that day's start) or
 * @EPOCH; orders strictly before it count. --calibration-end DATE is the last day of the
 * calibration period, inclusive (the literature's "through 1997-09-30"): the same as --as-of
 * the day after. Time unit weeks (or days). Money is printed in cents.
 */
#include "cli.h"
#include "tx_options.h"
#include "patron/clv.h"
#include "patron/config.h"
#include "patron/error.h"
#include "patron/member.h"
#include "patron/snapshot.h"
#include "patron/tz.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OUT_TEXT, OUT_JSON, OUT_CSV };

struct clv_args {
    const char   *as_of, *cal_end, *holdout_end;
    int           model, out, threads;
    double        horizon, discount, unit_days;
    struct cli_tx tx;
};

static void clv_usage(void)
{
    printf("usage: patron clv fit   [--as-of DATE | --calibration-end DATE] [--unit day|week]\n"
           "                        [--model bgnbd|pareto|gg] [--holdout-end DATE] [--json] [--threads N]\n"
           "                        [--transactions FILE …]\n"
           "       patron clv score [--as-of DATE | --calibration-end DATE] [--unit day|week]\n"
           "                        [--model bgnbd|pareto] [--horizon-months N] [--discount-annual RATE]\n"
           "                        [--json|--csv] [--threads N] [--transactions FILE …]\n"
           "\n"
           "Customer lifetime value from the members' paid orders before DATE (the end of the\n"
           "calibration period), in weeks; purchases on one day count as one transaction.\n"
           "\n"
           "  fit    maximum-likelihood parameters (BG/NBD r, alpha, a, b; Pareto/NBD r, alpha, s,\n"
           "         beta; Gamma-Gamma p, q, gamma with gamma in cents), log-likelihood, members used\n"
           "  score  per member: P(alive), expected purchases in the horizon, expected spend per\n"
           "         purchase and over the horizon, and CLV (cents, discounted monthly)\n"
           "\n"
           "  --as-of DATE            YYYY-MM-DD in the tenant's time zone or @EPOCH (default now):\n"
           "                          orders before it count\n"
           "  --calibration-end DATE  the last day of calibration, inclusive (= --as-of the day after)\n"
           "  --unit day|week         the models' time unit (default week); horizons stay in months\n"
           "  --holdout-end DATE      fit: also compare predicted with actual transactions from the\n"
           "                          calibration end through DATE (inclusive), by calibration\n"
           "                          frequency x = 0 … 6, 7+ (BG/NBD and Pareto/NBD)\n"
           "  --model M               purchase model (default bgnbd); fit also takes gg\n"
           "  --horizon-months N      CLV horizon in whole months (default 12)\n"
           "  --discount-annual RATE  annual discount rate, e.g. 0.1 (default), compounded monthly\n"
           "  --json, --csv           machine-readable output\n"
           "  --threads N             worker threads (default: one per core)\n");
    cli_tx_help();
    printf("\n"
           "Members without analytics consent and erased members are left out. Formulas and\n"
           "sources: docs/clv.md.\n");
}

static int parse_number(const char *s, double *v, double lo)
{
    char *end;
    *v = strtod(s, &end);
    return *end || end == s || !(*v >= lo) ? -1 : 0;
}

static int parse_args(int argc, char **argv, struct clv_args *a, int score)
{
    static const struct option opts[] = {
        {"as-of", required_argument, 0, 'a'},           {"model", required_argument, 0, 'm'},
        {"horizon-months", required_argument, 0, 'H'},  {"discount-annual", required_argument, 0, 'D'},
        {"json", no_argument, 0, 'j'},                  {"csv", no_argument, 0, 'c'},
        {"threads", required_argument, 0, 't'},         {"help", no_argument, 0, 'h'},
        {"calibration-end", required_argument, 0, 'E'}, {"unit", required_argument, 0, 'u'},
        {"holdout-end", required_argument, 0, 'O'},
        CLI_TX_LONGOPTS,                                {0, 0, 0, 0}};
    *a = (struct clv_args){.model = PT_CLV_BGNBD, .out = OUT_TEXT, .horizon = 12, .discount = 0.10, .unit_days = 7};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (cli_tx_option(&a->tx, c, optarg))
            continue;
        switch (c) {
        case 'a': a->as_of = optarg; break;
        case 'E': a->cal_end = optarg; break;
        case 'O': a->holdout_end = optarg; break;
        case 'u':
            if (strcmp(optarg, "week") && strcmp(optarg, "day")) {
                cli_error("--unit takes day or week");
                return EXIT_USAGE;
            }
            a->unit_days = optarg[0] == 'w' ? 7 : 1;
            break;
        case 'm':
            a->model = pt_clv_model_of(optarg);
            if (!a->model || (score && a->model == PT_CLV_GG)) {
                cli_error("--model takes bgnbd or pareto%s", score ? "" : " or gg");
                return EXIT_USAGE;
            }
            break;
        case 'H':
            if (parse_number(optarg, &a->horizon, 1) || a->horizon != floor(a->horizon) || a->horizon > 1200) {
                cli_error("--horizon-months takes a whole number of months from 1 to 1200");
                return EXIT_USAGE;
            }
            break;
        case 'D':
            if (parse_number(optarg, &a->discount, 0) || a->discount > 10) {
                cli_error("--discount-annual takes a rate from 0 to 10 (0.1 = 10 %%)");
                return EXIT_USAGE;
            }
            break;
        case 'j': a->out = OUT_JSON; break;
        case 'c': a->out = score ? OUT_CSV : OUT_JSON; break;
        case 't': a->threads = atoi(optarg); break;
        case 'h': clv_usage(); return -1;
        default: return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_error("clv %s takes no arguments (see patron clv --help)", score ? "score" : "fit");
        return EXIT_USAGE;
    }
    if (a->holdout_end && (score || a->model == PT_CLV_GG)) {
        cli_error("--holdout-end belongs to clv fit with --model bgnbd or pareto");
        return EXIT_USAGE;
    }
    if (a->as_of && a->cal_end) {
        cli_error("give --as-of or --calibration-end, not both");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* The end of an inclusive last day DATE: the start of the next day (@EPOCH as given). */
static int day_after(pt_db *db, const char *date, int64_t *end)
{
    int rc = cli_tx_date_arg(db, date, end);
    if (rc == EXIT_OK && date[0] != '@' && pt_tz_add(cli_tx_zone(db), PT_TZ_DAY, *end, 1, end) != PT_OK)
        rc = EXIT_USAGE;
    return rc;
}

/* The calibration end: --as-of, or the day after --calibration-end, or now. */
static int calibration_end(pt_db *db, const pt_snapshot *snap, const struct clv_args *a, int64_t *end)
{
    *end = cli_tx_now(db, snap);
    if (a->as_of)
        return cli_tx_date_arg(db, a->as_of, end);
    return a->cal_end ? day_after(db, a->cal_end, end) : EXIT_OK;
}

/* Summarises snap as of the calibration end. */
static int summarise(pt_db *db, const pt_snapshot *snap, const struct clv_args *a, pt_clv_summary *s)
{
    int64_t end;
    int rc = calibration_end(db, snap, a, &end);
    if (rc)
        return rc;
    rc = pt_clv_summary_from_snapshot(s, snap, end, a->unit_days, db ? pt_db_config(db)->tz_offset_s : 0);
    if (rc) {
        cli_error("clv: %s", pt_strerror(rc));
        return cli_exit_for(rc);
    }
    return EXIT_OK;
}

static int fit(const pt_clv_summary *s, int model, int threads, pt_clv_fit *f)
{
    pt_clv_fit_opts o;
    pt_clv_fit_opts_init(&o, model);
    o.threads = threads;
    int rc = pt_clv_fit_model(f, s, &o);
    if (rc == PT_ENOTFOUND)
        cli_error("clv: no member qualifies for %s (Gamma-Gamma needs repeat purchases)", pt_clv_model_name(model));
    else if (rc)
        cli_error("clv: fitting %s: %s", pt_clv_model_name(model), pt_strerror(rc));
    return rc ? cli_exit_for(rc) : EXIT_OK;
}

static void print_holdout_json(const pt_clv_holdout *h)
{
    printf(",\"holdout\":{\"length\":%.6g,\"buckets\":[", h->t);
    for (int b = 0; b < PT_CLV_BUCKETS; b++)
        printf("%s{\"x\":\"%d%s\",\"members\":%zu,\"actual\":%.7g,\"predicted\":%.7g}", b ? "," : "", b,
               b == PT_CLV_BUCKETS - 1 ? "+" : "", h->n[b], h->actual[b], h->predicted[b]);
    printf("],\"all\":{\"members\":%zu,\"actual\":%.7g,\"predicted\":%.7g}}", h->n_all, h->actual_all,
           h->predicted_all);
}

static void print_holdout_text(const pt_clv_holdout *h, const char *unit)
{
    printf("holdout (%.4g %ss): mean transactions per member by calibration repeat purchases x\n", h->t, unit);
    printf("  %-4s %9s %10s %10s\n", "x", "members", "actual", "predicted");
    for (int b = 0; b < PT_CLV_BUCKETS; b++)
        printf("  %d%-3s %9s %10.4f %10.4f\n", b, b == PT_CLV_BUCKETS - 1 ? "+" : "", cli_num((int64_t)h->n[b]),
               h->actual[b], h->predicted[b]);
    printf("  %-4s %9s %10.4f %10.4f\n", "all", cli_num((int64_t)h->n_all), h->actual_all, h->predicted_all);
}

static void print_fit(const struct clv_args *a, const pt_clv_summary *s, const pt_clv_fit *f, const pt_clv_holdout *h)
{
    const char *unit = a->unit_days == 7 ? "week" : "day";
    if (a->out == OUT_JSON) {
        printf("{\"model\":\"%s\",\"unit\":\"%s\",\"calibration_end\":%lld,\"params\":{", pt_clv_model_name(f->model),
               unit, (long long)s->end);
        for (int k = 0; k < f->nparams; k++)
            printf("%s\"%s\":%.9g", k ? "," : "", pt_clv_param_name(f->model, k), f->param[k]);
        printf("},\"log_likelihood\":%.6f,\"members_used\":%zu,\"distinct_rows\":%zu,\"members_without_orders\":%zu,"
               "\"anonymous\":%zu,\"iterations\":%d,\"converged\":%s,\"threads\":%d,\"fit_seconds\":%.3f",
               f->log_likelihood, f->n_used, f->n_distinct, s->no_history, s->anon, f->iterations,
               f->converged ? "true" : "false", f->threads, f->seconds);
        if (h)
            print_holdout_json(h);
        printf("}\n");
        return;
    }
    printf("model %s (time unit: %s%s)\n", pt_clv_model_name(f->model), unit,
           f->model == PT_CLV_GG ? ", gamma in cents" : "");
    for (int k = 0; k < f->nparams; k++)
        printf("  %-6s %.6g\n", pt_clv_param_name(f->model, k), f->param[k]);
    printf("log-likelihood %.4f over %s members (%s distinct rows), %d iterations%s, %.2f s\n", f->log_likelihood,
           cli_num((int64_t)f->n_used), cli_num((int64_t)f->n_distinct), f->iterations,
           f->converged ? "" : " (not converged)", f->seconds);
    printf("%s members without a paid order before the end and %s anonymous members are not used\n",
           cli_num((int64_t)s->no_history), cli_num((int64_t)s->anon));
    if (h)
        print_holdout_text(h, unit);
}

/* Fits, and with --holdout-end compares the holdout, then prints. */
static int run_fit(pt_db *db, const pt_snapshot *snap, const struct clv_args *a, const pt_clv_summary *s)
{
    pt_clv_fit f;
    int rc = fit(s, a->model, a->threads, &f);
    if (rc || !a->holdout_end) {
        if (rc == EXIT_OK)
            print_fit(a, s, &f, NULL);
        return rc;
    }
    int64_t hend;
    pt_clv_holdout h;
    rc = day_after(db, a->holdout_end, &hend);
    int lrc = rc ? PT_OK : pt_clv_holdout_report(&h, s, snap, &f, hend, db ? pt_db_config(db)->tz_offset_s : 0);
    if (lrc == PT_EINVAL)
        cli_error("--holdout-end must be after the calibration end");
    else if (lrc)
        cli_error("clv: holdout: %s", pt_strerror(lrc));
    if (rc == EXIT_OK && lrc == PT_OK)
        print_fit(a, s, &f, &h);
    return rc ? rc : lrc == PT_EINVAL ? EXIT_USAGE : cli_exit_for(lrc);
}

static void print_scores(const struct clv_args *a, const pt_snapshot *snap, const pt_clv_summary *s,
                         const pt_clv_row *rows)
{
    if (a->out == OUT_JSON)
        printf("{\"model\":\"%s\",\"horizon_months\":%g,\"discount_annual\":%g,\"members\":[", pt_clv_model_name(a->model),
               a->horizon, a->discount);
    else if (a->out == OUT_CSV)
        printf("member,p_alive,expected_purchases,avg_spend_cents,spend_cents,clv_cents\n");
    else
        printf("%-12s %7s %10s %14s %14s %14s\n", "member", "P(alive)", "purchases", "per purchase", "spend", "CLV");
    for (size_t i = 0; i < s->n; i++) {
        const pt_clv_row *w = &rows[i];
        char no[PT_SNAPSHOT_EXT_ID];
        cli_tx_member(snap, w->member_id, no);
        if (a->out == OUT_JSON)
            printf("%s{\"member\":%s,\"p_alive\":%.6f,\"expected_purchases\":%.6f,\"avg_spend_cents\":%lld,"
                   "\"spend_cents\":%lld,\"clv_cents\":%lld}",
                   i ? "," : "", cli_json_str(no), w->p_alive, w->expected_purchases, (long long)w->avg_spend_cents,
                   (long long)w->spend_cents, (long long)w->clv_cents);
        else if (a->out == OUT_CSV)
            printf("%s,%.6f,%.6f,%lld,%lld,%lld\n", cli_csv_str(no), w->p_alive, w->expected_purchases, (long long)w->avg_spend_cents,
                   (long long)w->spend_cents, (long long)w->clv_cents);
        else
            printf("%-12s %7.3f %10.3f %14s %14s %14s\n", no, w->p_alive, w->expected_purchases,
                   cli_money(w->avg_spend_cents), cli_money(w->spend_cents), cli_money(w->clv_cents));
    }
    if (a->out == OUT_JSON)
        printf("]}\n");
}

static int score(const struct clv_args *a, const pt_snapshot *snap, const pt_clv_summary *s)
{
    pt_clv_fit tx, gg;
    int rc = fit(s, a->model, a->threads, &tx);
    if (rc == EXIT_OK)
        rc = fit(s, PT_CLV_GG, a->threads, &gg);
    if (rc)
        return rc;
    pt_clv_score_opts o;
    pt_clv_score_opts_init(&o);
    o.horizon_months = a->horizon;
    o.discount_annual = a->discount;
    o.threads = a->threads;
    pt_clv_row *rows = NULL;
    rc = pt_clv_score(&rows, s, &tx, &gg, &o);
    if (rc) {
        cli_error("clv: scoring: %s", pt_strerror(rc));
        return cli_exit_for(rc);
    }
    print_scores(a, snap, s, rows);
    free(rows);
    return EXIT_OK;
}

int cmd_clv(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        clv_usage();
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    int is_score = strcmp(argv[1], "score") == 0;
    if (!is_score && strcmp(argv[1], "fit") != 0) {
        cli_error("unknown clv command '%s' (fit or score)", argv[1]);
        return EXIT_USAGE;
    }
    struct clv_args a;
    int rc = parse_args(argc - 1, argv + 1, &a, is_score);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    pt_db *db = NULL;
    pt_snapshot *snap = NULL;
    pt_clv_summary s = {0};
    rc = cli_tx_snapshot(&a.tx, &db, &snap);
    if (rc == EXIT_OK)
        rc = summarise(db, snap, &a, &s);
    if (rc == EXIT_OK && is_score) {
        rc = score(&a, snap, &s);
    } else if (rc == EXIT_OK) {
        rc = run_fit(db, snap, &a, &s);
    }
    pt_clv_summary_free(&s);
    pt_snapshot_free(snap);
    if (db)
        pt_db_close(db);
    return rc;
}

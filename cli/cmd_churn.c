/* cmd_churn.c — `patron churn train|score|evaluate` (流失预测): thin over churn.h. Parse flags,
 * load the snapshot (the store's or a --transactions file's), call the library, print text,
 * --json or --csv. `score` on a store also replaces the model's stored scores (member_scores)
 * unless --no-save, so campaigns can pick audiences by risk (pt_churn_scores_load).
 *
 * Dates: --as-of DATE is YYYY-MM-DD in the tenant's zone (UTC for a file) or @EPOCH; the default
 * is the end of the data — the start of the day after the last order, or the store's clock
 * if that is earlier — so a store whose clock runs past its data does not call everyone
 * churned. Printed dates are days in the tenant's zone (UTC for a file).
 */
#include "cli.h"
#include "tx_options.h"
#include "patron/churn.h"
#include "patron/error.h"
#include "patron/snapshot.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { OUT_TEXT, OUT_JSON, OUT_CSV };
enum { DO_TRAIN, DO_SCORE, DO_EVALUATE };

struct churn_args {
    const char   *as_of;
    int           what, model, horizon, out, use_account, no_save, threads, limit, rounds, depth;
    double        eta;
    struct cli_tx tx;
};

static void churn_usage(void)
{
    printf("usage: patron churn train    [--as-of DATE] [--horizon DAYS] [--model lr|xgb|bgnbd] [--json]\n"
           "       patron churn score    [--as-of DATE] [--horizon DAYS] [--model lr|xgb|bgnbd]\n"
           "                             [--json|--csv] [--limit N] [--no-save]\n"
           "       patron churn evaluate [--horizon DAYS] [--model lr|xgb|bgnbd|all] [--json]\n"
           "                             (report is another name for evaluate)\n"
           "\n"
           "Churn risk: the probability that a member with a purchase before DATE makes none in\n"
           "the HORIZON days after it.\n"
           "\n"
           "  train     fit the model on the cut-off DATE − HORIZON (labels observed by DATE); print\n"
           "            its version, rows, churn share and in-sample AUC\n"
           "  score     train as above, then score every member as of DATE with the top 3 reasons;\n"
           "            on a store the scores replace the model's stored ones (not with --no-save)\n"
           "  evaluate  time-based split: train on end − 2·HORIZON, measure on end − HORIZON:\n"
           "            AUC, PR-AUC, precision/recall/lift in the top decile, Brier score and a\n"
           "            calibration table, for each model (default all three)\n"
           "\n"
           "  --as-of DATE     YYYY-MM-DD or @EPOCH (default: the end of the data)\n"
           "  --horizon DAYS   label window (default: from the data, the 80th percentile of the\n"
           "                   gaps between a member's orders, 30 … 365; printed)\n"
           "  --model M        lr (liblinear logistic regression), xgb (XGBoost, default), bgnbd\n"
           "                   (the BG/NBD baseline: P(no purchase in the horizon))\n"
           "  --use-account    add points balance, pending points and tier (current values: see\n"
           "                   docs/churn.md on leakage)\n"
           "  --limit N        text output: the N riskiest members (default 20)\n"
           "  --threads N      XGBoost threads (default 1: OpenMP threads spin when the cores are\n"
           "                   shared, which slowed training 60-fold on a busy 2-core machine)\n"
           "  --rounds N, --depth N, --eta X   XGBoost boosting rounds (default 100), tree depth\n"
           "                   (3) and learning rate (0.05)\n"
           "  --json, --csv    machine-readable output (--csv: score only)\n");
    cli_tx_help();
    printf("\nMembers without analytics consent and erased members are never scored. docs/churn.md.\n");
}

static int parse_args(int argc, char **argv, struct churn_args *a)
{
    static const struct option opts[] = {
        {"as-of", required_argument, 0, 'a'},  {"horizon", required_argument, 0, 'H'},
        {"model", required_argument, 0, 'm'},  {"json", no_argument, 0, 'j'},
        {"csv", no_argument, 0, 'c'},          {"use-account", no_argument, 0, 'U'},
        {"no-save", no_argument, 0, 'n'},      {"threads", required_argument, 0, 't'},
        {"limit", required_argument, 0, 'l'},  {"help", no_argument, 0, 'h'},
        {"rounds", required_argument, 0, 'R'}, {"depth", required_argument, 0, 'D'},
        {"eta", required_argument, 0, 'E'},
        CLI_TX_LONGOPTS,                       {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (cli_tx_option(&a->tx, c, optarg))
            continue;
        switch (c) {
        case 'a': a->as_of = optarg; break;
        case 'H':
            a->horizon = atoi(optarg);
            if (a->horizon < 1 || a->horizon > 3650) {
                cli_error("--horizon takes a number of days from 1 to 3650");
                return EXIT_USAGE;
            }
            break;
        case 'm':
            a->model = strcmp(optarg, "all") == 0 && a->what == DO_EVALUATE ? -1 : pt_churn_model_of(optarg);
            if (!a->model) {
                cli_error("--model takes lr, xgb or bgnbd%s", a->what == DO_EVALUATE ? " or all" : "");
                return EXIT_USAGE;
            }
            break;
        case 'j': a->out = OUT_JSON; break;
        case 'c':
            if (a->what != DO_SCORE) {
                cli_error("--csv belongs to churn score");
                return EXIT_USAGE;
            }
            a->out = OUT_CSV;
            break;
        case 'U': a->use_account = 1; break;
        case 'n': a->no_save = 1; break;
        case 't': a->threads = atoi(optarg); break;
        case 'l': a->limit = atoi(optarg); break;
        case 'R':
            a->rounds = atoi(optarg);
            if (a->rounds < 1 || a->rounds > 5000) {
                cli_error("--rounds takes 1 … 5000");
                return EXIT_USAGE;
            }
            break;
        case 'D':
            a->depth = atoi(optarg);
            if (a->depth < 1 || a->depth > 16) {
                cli_error("--depth takes 1 … 16");
                return EXIT_USAGE;
            }
            break;
        case 'E':
            a->eta = strtod(optarg, NULL);
            if (!(a->eta > 0 && a->eta <= 1)) {
                cli_error("--eta takes a learning rate in (0, 1]");
                return EXIT_USAGE;
            }
            break;
        case 'h': churn_usage(); return -1;
        default: return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_error("churn takes no arguments after the command (see patron churn --help)");
        return EXIT_USAGE;
    }
    if (a->as_of && a->what == DO_EVALUATE) {
        cli_error("churn evaluate places its cut-offs from the end of the data; --as-of belongs to train and score");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static pt_db *day_db; /* the tenant's store (NULL for a file): dates print as days of its zone */

static const char *day_text(int64_t t)
{
    return cli_tx_local_date(day_db, t, 0);
}

/* The end of the data: the day after the last order, or the store's clock if earlier. */
static int64_t data_end(pt_db *db, const pt_snapshot *snap)
{
    int64_t last = 0;
    for (size_t r = 0; r < snap->norders; r++)
        last = snap->order_at[r] > last ? snap->order_at[r] : last;
    int64_t end = (last / 86400 + 1) * 86400;
    int64_t now = cli_tx_now(db, snap);
    return db && now < end ? now : end;
}

static void opts_from(const struct churn_args *a, pt_db *db, int model, pt_churn_opts *o)
{
    pt_churn_opts_init(o, model);
    o->horizon_days = a->horizon;
    o->use_account = a->use_account;
    o->threads = a->threads ? a->threads : o->threads;
    o->rounds = a->rounds ? a->rounds : o->rounds;
    o->max_depth = a->depth ? a->depth : o->max_depth;
    o->eta = a->eta > 0 ? a->eta : o->eta;
    o->tz_offset_s = db ? pt_db_config(db)->tz_offset_s : 0;
}

static int lib_fail(int rc, const char *doing, const char *msg)
{
    cli_error("churn %s: %s", doing, msg[0] ? msg : pt_strerror(rc));
    return rc == PT_EINVAL ? EXIT_DATA : cli_exit_for(rc);
}

/* --- train ---------------------------------------------------------------------------------- */

static int run_train(const struct churn_args *a, pt_db *db, const pt_snapshot *snap, int64_t as_of)
{
    pt_churn_opts o;
    opts_from(a, db, a->model, &o);
    int h = o.horizon_days ? o.horizon_days : pt_churn_default_horizon(snap, as_of);
    int64_t cut = as_of - (int64_t)h * 86400;
    pt_churn_data d;
    pt_churn_model *m = NULL;
    pt_churn_metrics mt = {0};
    char msg[256] = "";
    int rc = pt_churn_features(&d, snap, cut, h, as_of);
    if (rc)
        return lib_fail(rc, "train", "");
    double *p = malloc((d.n ? d.n : 1) * sizeof *p);
    rc = p ? pt_churn_train(&m, &d, snap, &o, msg, sizeof msg) : PT_ENOMEM;
    if (rc == PT_OK)
        rc = pt_churn_predict(m, &d, snap, p, NULL);
    if (rc == PT_OK)
        rc = pt_churn_metrics_of(&mt, p, d.label, d.n);
    if (rc == PT_OK && a->out == OUT_JSON)
        printf("{\"model\":\"%s\",\"version\":\"%s\",\"train_as_of\":\"%s\",\"horizon_days\":%d,\"rows\":%zu,"
               "\"churned\":%zu,\"in_sample_auc\":%.4f,\"in_sample_brier\":%.4f}\n",
               pt_churn_model_name(a->model), pt_churn_model_version(m), day_text(cut), h, d.known, d.churned, mt.auc,
               mt.brier);
    else if (rc == PT_OK)
        printf("model %s (%s)\ntrained as of %s on %s members, %s churned (%.1f%%) within %d days\n"
               "in-sample AUC %.4f, Brier %.4f (see `patron churn evaluate` for held-out figures)\n",
               pt_churn_model_name(a->model), pt_churn_model_version(m), day_text(cut), cli_num((int64_t)d.known),
               cli_num((int64_t)d.churned), 100.0 * (double)d.churned / (double)(d.known ? d.known : 1), h, mt.auc,
               mt.brier);
    free(p);
    pt_churn_model_free(m);
    pt_churn_data_free(&d);
    return rc ? lib_fail(rc, "train", msg) : EXIT_OK;
}

/* --- score ---------------------------------------------------------------------------------- */

static void print_scores(const struct churn_args *a, const pt_snapshot *snap, const pt_churn_scores *sc)
{
    char no[PT_SNAPSHOT_EXT_ID], why[PT_SCORE_REASONS_MAX];
    if (a->out == OUT_CSV) {
        printf("member,churn_risk,reasons\n");
        for (size_t i = 0; i < sc->n; i++) {
            pt_churn_reasons_text(sc->row[i].reason, why, sizeof why);
            printf("%s,%.6f,%s\n", cli_csv_str(cli_tx_member(snap, sc->row[i].member_id, no)), sc->row[i].p,
                   cli_csv_str(why));
        }
        return;
    }
    if (a->out == OUT_JSON) {
        printf("{\"model\":\"%s\",\"version\":\"%s\",\"as_of\":\"%s\",\"train_as_of\":\"%s\",\"horizon_days\":%d,"
               "\"members\":[",
               pt_churn_model_name(sc->model), sc->version, day_text(sc->as_of), day_text(sc->train_as_of),
               sc->horizon_days);
        for (size_t i = 0; i < sc->n; i++) {
            printf("%s{\"member\":%s,\"churn_risk\":%.6f,\"reasons\":[", i ? "," : "",
                   cli_json_str(cli_tx_member(snap, sc->row[i].member_id, no)), sc->row[i].p);
            for (int r = 0; r < PT_CHURN_REASONS && sc->row[i].reason[r] >= 0; r++)
                printf("%s\"%s\"", r ? "," : "", pt_churn_feature_name(sc->row[i].reason[r]));
            printf("]}");
        }
        printf("]}\n");
        return;
    }
    size_t *order = malloc((sc->n ? sc->n : 1) * sizeof *order), high = 0;
    double mean = 0;
    for (size_t i = 0; i < sc->n; i++) {
        mean += sc->row[i].p / (double)sc->n;
        high += sc->row[i].p >= 0.7;
    }
    printf("model %s (%s), as of %s, horizon %d days: %s members scored, mean risk %.3f, %s at 0.7 or above\n",
           pt_churn_model_name(sc->model), sc->version, day_text(sc->as_of), sc->horizon_days,
           cli_num((int64_t)sc->n), mean, cli_num((int64_t)high));
    if (!order)
        return;
    /* The riskiest first: a partial selection is enough for the few lines printed. */
    size_t lim = (size_t)(a->limit > 0 ? a->limit : 20);
    lim = lim < sc->n ? lim : sc->n;
    for (size_t i = 0; i < sc->n; i++)
        order[i] = i;
    for (size_t i = 0; i < lim; i++)
        for (size_t j = i + 1; j < sc->n; j++)
            if (sc->row[order[j]].p > sc->row[order[i]].p) {
                size_t t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
    printf("%-14s %8s  %s\n", "member", "risk", "top reasons");
    for (size_t i = 0; i < lim; i++) {
        pt_churn_reasons_text(sc->row[order[i]].reason, why, sizeof why);
        printf("%-14s %8.3f  %s\n", cli_tx_member(snap, sc->row[order[i]].member_id, no), sc->row[order[i]].p, why);
    }
    free(order);
}

static int run_score(const struct churn_args *a, pt_db *db, const pt_snapshot *snap, int64_t as_of)
{
    pt_churn_opts o;
    opts_from(a, db, a->model, &o);
    pt_churn_scores sc;
    char msg[256] = "";
    int rc = pt_churn_score_all(&sc, snap, as_of, &o, msg, sizeof msg);
    if (rc)
        return lib_fail(rc, "score", msg);
    if (db && !a->no_save) {
        rc = pt_churn_scores_save(pt_db_store(db), &sc, pt_db_now(db));
        if (rc) {
            cli_error("churn score: saving the scores: %s", pt_strerror(rc));
            pt_churn_scores_free(&sc);
            return cli_exit_for(rc);
        }
    }
    print_scores(a, snap, &sc);
    if (db && !a->no_save && a->out == OUT_TEXT)
        printf("saved as model churn:%s in the store (member_scores)\n", pt_churn_model_name(sc.model));
    pt_churn_scores_free(&sc);
    return EXIT_OK;
}

/* --- evaluate ------------------------------------------------------------------------------- */

static void print_eval_json(const pt_churn_eval *e, int model, int first)
{
    const pt_churn_metrics *m = &e->m;
    printf("%s\"%s\":{\"version\":\"%s\",\"train_rows\":%zu,\"eval_rows\":%zu,\"base_rate\":%.4f,\"auc\":%.4f,"
           "\"pr_auc\":%.4f,\"precision_top_decile\":%.4f,\"recall_top_decile\":%.4f,\"lift_top_decile\":%.3f,"
           "\"brier\":%.4f,\"train_seconds\":%.3f,\"predict_seconds\":%.3f,\"calibration\":[",
           first ? "" : ",", pt_churn_model_name(model), e->version, e->train_rows, e->eval_rows, m->base_rate, m->auc,
           m->pr_auc, m->precision_top, m->recall_top, m->lift_top, m->brier, e->train_seconds, e->predict_seconds);
    int any = 0;
    for (int b = 0; b < PT_CHURN_CAL_BINS; b++)
        if (m->cal_n[b]) {
            printf("%s{\"bin\":%.1f,\"members\":%zu,\"predicted\":%.4f,\"observed\":%.4f}", any++ ? "," : "",
                   b / 10.0, m->cal_n[b], m->cal_pred[b], m->cal_obs[b]);
        }
    printf("],\"importance\":{");
    any = 0;
    for (int f = 0; f < PT_CF__COUNT; f++)
        if (e->importance[f] > 0)
            printf("%s\"%s\":%.5f", any++ ? "," : "", pt_churn_feature_name(f), e->importance[f]);
    printf("}}");
}

static void print_eval_text(const pt_churn_eval *e, int model)
{
    const pt_churn_metrics *m = &e->m;
    printf("%-6s AUC %.4f  PR-AUC %.4f  top decile: precision %.3f recall %.3f lift %.2f  Brier %.4f"
           "  (train %.2f s, score %.2f s)\n",
           pt_churn_model_name(model), m->auc, m->pr_auc, m->precision_top, m->recall_top, m->lift_top, m->brier,
           e->train_seconds, e->predict_seconds);
    printf("       calibration (predicted → observed):");
    for (int b = 0; b < PT_CHURN_CAL_BINS; b++)
        if (m->cal_n[b])
            printf(" %.2f→%.2f (%zu)", m->cal_pred[b], m->cal_obs[b], m->cal_n[b]);
    int top[3] = {-1, -1, -1};
    for (int f = 0; f < PT_CF__COUNT; f++)
        for (int t = 0; t < 3; t++)
            if (e->importance[f] > 0 && (top[t] < 0 || e->importance[f] > e->importance[top[t]])) {
                memmove(top + t + 1, top + t, (size_t)(2 - t) * sizeof *top);
                top[t] = f;
                break;
            }
    printf("\n       most important: ");
    for (int t = 0; t < 3 && top[t] >= 0; t++)
        printf("%s%s", t ? ", " : "", pt_churn_feature_name(top[t]));
    printf("\n");
}

static int run_evaluate(const struct churn_args *a, pt_db *db, const pt_snapshot *snap)
{
    int models[3] = {PT_CHURN_LR, PT_CHURN_XGB, PT_CHURN_BGNBD}, nm = 3;
    if (a->model > 0) {
        models[0] = a->model;
        nm = 1;
    }
    int64_t end = data_end(db, snap);
    for (int k = 0; k < nm; k++) {
        pt_churn_opts o;
        opts_from(a, db, models[k], &o);
        pt_churn_eval e;
        char msg[256] = "";
        int rc = pt_churn_evaluate(&e, snap, end, &o, msg, sizeof msg);
        if (rc) {
            if (k && a->out == OUT_JSON)
                printf("}}\n");
            return lib_fail(rc, "evaluate", msg);
        }
        if (k == 0 && a->out == OUT_JSON)
            printf("{\"horizon_days\":%d,\"train_as_of\":\"%s\",\"eval_as_of\":\"%s\",\"data_end\":\"%s\",\"models\":{",
                   e.horizon_days, day_text(e.train_as_of), day_text(e.eval_as_of), day_text(end));
        else if (k == 0)
            printf("horizon %d days; trained as of %s (%s members), evaluated as of %s (%s members, %.1f%% churned)\n",
                   e.horizon_days, day_text(e.train_as_of), cli_num((int64_t)e.train_rows), day_text(e.eval_as_of),
                   cli_num((int64_t)e.eval_rows), 100 * e.m.base_rate);
        if (a->out == OUT_JSON)
            print_eval_json(&e, models[k], k == 0);
        else
            print_eval_text(&e, models[k]);
    }
    if (a->out == OUT_JSON)
        printf("}}\n");
    return EXIT_OK;
}

int cmd_churn(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        churn_usage();
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    struct churn_args a = {.model = PT_CHURN_XGB, .out = OUT_TEXT};
    if (strcmp(argv[1], "train") == 0)
        a.what = DO_TRAIN;
    else if (strcmp(argv[1], "score") == 0)
        a.what = DO_SCORE;
    else if (strcmp(argv[1], "evaluate") == 0 || strcmp(argv[1], "report") == 0)
        a.what = DO_EVALUATE, a.model = -1;
    else {
        cli_error("unknown churn command '%s' (train, score or evaluate)", argv[1]);
        return EXIT_USAGE;
    }
    int rc = parse_args(argc - 1, argv + 1, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    pt_db *db = NULL;
    pt_snapshot *snap = NULL;
    rc = cli_tx_snapshot(&a.tx, &db, &snap);
    int64_t as_of = 0;
    if (rc == EXIT_OK) {
        day_db = db;
        as_of = data_end(db, snap);
        if (a.as_of)
            rc = cli_tx_date_arg(db, a.as_of, &as_of);
    }
    if (rc == EXIT_OK)
        rc = a.what == DO_TRAIN ? run_train(&a, db, snap, as_of)
             : a.what == DO_SCORE ? run_score(&a, db, snap, as_of)
                                  : run_evaluate(&a, db, snap);
    pt_snapshot_free(snap);
    if (db)
        pt_db_close(db);
    return rc;
}

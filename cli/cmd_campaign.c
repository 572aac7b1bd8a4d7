/* cmd_campaign.c — `patron audience|campaign|triggers|outbox|webhook`: thin over audience.h,
 * campaign.h, triggers.h and outbox.h. Every command that evaluates members loads one
 * snapshot of the store, prepares the audience context (RFM, lifecycle, the programme's tier
 * ladder, the BG/NBD P(alive) and churn_risk score sources) and calls the library. */
#include "cli.h"
#include "tx_options.h"
#include "patron/campaign.h"
#include "patron/error.h"
#include "patron/outbox.h"
#include "patron/audience_env.h"
#include "patron/triggers.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- shared: the data, the programme, the audience context -------------------------------- */

struct env {
    pt_db          *db;
    pt_ledger      *l;   /* NULL without a loaded programme */
    pt_audience_env aud; /* the snapshot and audience context (snapshot = 1), or zeroed */
};

static void env_close(struct env *e)
{
    pt_audience_env_close(&e->aud);
    pt_ledger_close(e->l);
    pt_db_close(e->db);
}

/* Opens the data, the ledger (when a programme is loaded) and, with snapshot = 1, a snapshot
 * and the audience context as of as_of (0 = now). */
static int env_open(struct env *e, int snapshot, int64_t *as_of, const char *as_of_arg)
{
    memset(e, 0, sizeof *e);
    e->aud.ctx.channel = -1;
    if (!(e->db = cli_open()))
        return EXIT_STORE;
    char err[512];
    if (pt_ledger_open_current(&e->l, e->db, err, sizeof err) != PT_OK)
        e->l = NULL;
    if (as_of) {
        *as_of = pt_db_now(e->db);
        if (as_of_arg && cli_tx_date_arg(e->db, as_of_arg, as_of))
            return EXIT_USAGE;
    }
    if (!snapshot)
        return EXIT_OK;
    int rc = pt_audience_env_open(&e->aud, e->db, e->l, *as_of, 1, err, sizeof err);
    if (rc) {
        cli_error("%s", err);
        return cli_exit_for(rc);
    }
    return EXIT_OK;
}

static int channel_of(const char *s, int *ch)
{
    if (strcmp(s, "sms") == 0)
        *ch = PT_CONSENT_SMS;
    else if (strcmp(s, "email") == 0)
        *ch = PT_CONSENT_EMAIL;
    else {
        cli_error("--channel takes sms or email, not '%s'", s);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static int whole(const char *s, const char *what, int64_t *v)
{
    char *end;
    long long x = strtoll(s, &end, 10);
    if (!*s || *end || x < 0) {
        cli_error("%s takes a whole number ≥ 0, not '%s'", what, s);
        return EXIT_USAGE;
    }
    *v = x;
    return EXIT_OK;
}

/* --- patron audience preview -------------------------------------------------------------- */

int cmd_audience(int argc, char **argv)
{
    static const struct option opts[] = {{"channel", required_argument, 0, 'c'}, {"as-of", required_argument, 0, 'a'},
                                         {"sample", required_argument, 0, 's'},  {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    const char *as_of_arg = NULL;
    int channel = -1, json = 0, c;
    int64_t sample = 10;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (channel_of(optarg, &channel))
                return EXIT_USAGE;
            break;
        case 'a': as_of_arg = optarg; break;
        case 's':
            if (whole(optarg, "--sample", &sample))
                return EXIT_USAGE;
            break;
        case 'j': json = 1; break;
        case 'h':
            printf("usage: patron audience preview DEFINITION [--channel sms|email] [--as-of DATE] [--sample N] [--json]\n"
                   "The audience's size and a sample of member ids. DEFINITION is the audience language\n"
                   "(docs/campaigns.md), e.g. 'segment in (\"At Risk\") and tier >= silver and points_expiring_30d > 0'.\n"
                   "Scores available: p_alive and churn_risk (BG/NBD). With --channel, members without consent\n"
                   "for it are left out.\n");
            return EXIT_OK;
        default: return EXIT_USAGE;
        }
    }
    if (argc - optind != 2 || strcmp(argv[optind], "preview") != 0) {
        cli_error("usage: patron audience preview DEFINITION (see --help)");
        return EXIT_USAGE;
    }
    pt_audience *a = NULL;
    char err[256];
    int rc = pt_audience_parse(&a, argv[optind + 1], err, sizeof err);
    if (rc) {
        cli_error("audience: %s", err);
        return EXIT_DATA;
    }
    struct env e;
    int64_t as_of;
    int code = env_open(&e, 1, &as_of, as_of_arg);
    e.aud.ctx.channel = channel;
    if (code == EXIT_OK && (rc = pt_audience_bind(a, &e.aud.ctx, err, sizeof err))) {
        cli_error("audience: %s", err);
        code = EXIT_DATA;
    }
    int64_t *ids = NULL;
    size_t n = 0;
    if (code == EXIT_OK && (rc = pt_audience_select(a, &e.aud.ctx, &ids, NULL, &n))) {
        cli_error("evaluating the audience: %s", pt_db_errmsg(e.db));
        code = cli_exit_for(rc);
    }
    if (code == EXIT_OK) {
        size_t show = n < (size_t)sample ? n : (size_t)sample;
        if (json) {
            printf("{\"size\":%zu,\"as_of\":%lld,\"sample\":[", n, (long long)as_of);
            for (size_t k = 0; k < show; k++)
                printf("%s%lld", k ? "," : "", (long long)ids[k]);
            printf("]}\n");
        } else {
            printf("audience: %s members\n", cli_num((int64_t)n));
            for (size_t k = 0; k < show; k++)
                printf("  %lld\n", (long long)ids[k]);
        }
    }
    free(ids);
    pt_audience_free(a);
    env_close(&e);
    return cli_finish(code);
}

/* --- patron campaign ---------------------------------------------------------------------- */

static int campaign_find(pt_db *db, const char *arg, pt_campaign_rec *c)
{
    char *end;
    long long id = strtoll(arg, &end, 10);
    int rc = *arg && !*end ? pt_store_campaign_get(pt_db_store(db), id, c)
                           : pt_store_campaign_get_by_name(pt_db_store(db), arg, c);
    if (rc) {
        cli_error("campaign %s: %s", arg, rc == PT_ENOTFOUND ? "no such campaign" : pt_db_errmsg(db));
        return cli_exit_for(rc);
    }
    return EXIT_OK;
}

static const char *offer_text(const pt_campaign_rec *c, char *buf, size_t len)
{
    if (c->offer_kind == PT_OFFER_POINTS)
        snprintf(buf, len, "%lld bonus points", (long long)c->offer_points);
    else if (c->offer_kind == PT_OFFER_COUPON)
        snprintf(buf, len, "a coupon of %s", cli_money(c->offer_cents));
    else
        snprintf(buf, len, "message %s", c->offer_code[0] ? c->offer_code : "(no template)");
    return buf;
}

static void campaign_print(const pt_campaign_rec *c, int json)
{
    char offer[96];
    if (json) {
        json_t *j = json_pack("{sI ss ss ss ss sI sI ss sf sI sI sI ss sI sI sI}", "id", (json_int_t)c->id, "name",
                              c->name, "audience", c->audience, "channel",
                              c->channel == PT_CONSENT_SMS ? "sms" : "email", "offer",
                              offer_text(c, offer, sizeof offer), "offer_points", (json_int_t)c->offer_points,
                              "offer_cents", (json_int_t)c->offer_cents, "template", c->offer_code, "control_share",
                              c->control_bp / 10000.0, "starts_at", (json_int_t)c->starts_at, "ends_at",
                              (json_int_t)c->ends_at, "budget_points", (json_int_t)c->budget_points, "status",
                              c->status == PT_CAMPAIGN_LAUNCHED ? "launched" : "draft", "launched_at",
                              (json_int_t)c->launched_at, "treated", (json_int_t)c->treated, "control",
                              (json_int_t)c->control);
        char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        printf("%s\n", s ? s : "{}");
        free(s);
        json_decref(j);
        return;
    }
    printf("%lld  %-20s %-8s %s, %s, control %.1f%%, treated %s, control %s\n  audience: %s\n", (long long)c->id,
           c->name, c->status == PT_CAMPAIGN_LAUNCHED ? "launched" : "draft",
           c->channel == PT_CONSENT_SMS ? "sms" : "email", offer_text(c, offer, sizeof offer), c->control_bp / 100.0,
           cli_num(c->treated), cli_num(c->control), c->audience);
}

static int print_one(void *ud, const pt_campaign_rec *c)
{
    campaign_print(c, *(int *)ud);
    return PT_OK;
}

static int campaign_create(int argc, char **argv)
{
    static const struct option opts[] = {
        {"audience", required_argument, 0, 'a'}, {"channel", required_argument, 0, 'c'},
        {"points", required_argument, 0, 'p'},   {"coupon-cents", required_argument, 0, 'k'},
        {"template", required_argument, 0, 't'}, {"control", required_argument, 0, 'g'},
        {"seed", required_argument, 0, 's'},     {"starts", required_argument, 0, 'b'},
        {"ends", required_argument, 0, 'e'},     {"budget-points", required_argument, 0, 'B'},
        {"json", no_argument, 0, 'j'},           {0, 0, 0, 0}};
    pt_campaign_rec c = {.channel = PT_CONSENT_SMS, .control_bp = 1000};
    const char *starts = NULL, *ends = NULL;
    int json = 0, opt;
    int64_t v;
    optind = 2;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'a': snprintf(c.audience, sizeof c.audience, "%s", optarg); break;
        case 'c':
            if (channel_of(optarg, &c.channel))
                return EXIT_USAGE;
            break;
        case 'p':
            if (whole(optarg, "--points", &c.offer_points))
                return EXIT_USAGE;
            c.offer_kind = PT_OFFER_POINTS;
            break;
        case 'k':
            if (whole(optarg, "--coupon-cents", &c.offer_cents))
                return EXIT_USAGE;
            c.offer_kind = PT_OFFER_COUPON;
            break;
        case 't': snprintf(c.offer_code, sizeof c.offer_code, "%s", optarg); break;
        case 'g': {
            char *end;
            double pct = strtod(optarg, &end);
            if (*end || !(pct >= 0 && pct <= 90)) {
                cli_error("--control takes a percentage 0..90, not '%s'", optarg);
                return EXIT_USAGE;
            }
            c.control_bp = (int)lround(pct * 100);
            break;
        }
        case 's':
            if (whole(optarg, "--seed", &c.seed))
                return EXIT_USAGE;
            break;
        case 'b': starts = optarg; break;
        case 'e': ends = optarg; break;
        case 'B':
            if (whole(optarg, "--budget-points", &v))
                return EXIT_USAGE;
            c.budget_points = v;
            break;
        case 'j': json = 1; break;
        default: return EXIT_USAGE;
        }
    }
    if (argc - optind != 1 || !c.audience[0]) {
        cli_error("usage: patron campaign create NAME --audience DEFINITION [options] (see --help)");
        return EXIT_USAGE;
    }
    snprintf(c.name, sizeof c.name, "%s", argv[optind]);
    pt_db *db = cli_open();
    if (!db)
        return EXIT_STORE;
    int code = EXIT_OK;
    c.starts_at = pt_db_now(db);
    if ((starts && cli_tx_date_arg(db, starts, &c.starts_at)) || (ends && cli_tx_date_arg(db, ends, &c.ends_at)))
        code = EXIT_USAGE;
    char err[512];
    int rc = code ? PT_OK : pt_campaign_create(db, &c, err, sizeof err);
    if (rc) {
        cli_error("campaign: %s", err);
        code = rc == PT_EEXIST ? EXIT_FAIL : EXIT_DATA;
    }
    if (code == EXIT_OK)
        campaign_print(&c, json);
    pt_db_close(db);
    return cli_finish(code);
}

static int campaign_launch(const char *arg)
{
    struct env e;
    int64_t as_of;
    int code = env_open(&e, 1, &as_of, NULL);
    pt_campaign_rec c;
    if (code == EXIT_OK)
        code = campaign_find(e.db, arg, &c);
    pt_campaign_launch_stats st;
    char err[512];
    int rc = code ? PT_OK : pt_campaign_launch(e.db, e.l, c.id, &e.aud.ctx, &st, err, sizeof err);
    if (rc) {
        cli_error("launch: %s", err);
        code = cli_exit_for(rc);
    }
    if (code == EXIT_OK)
        printf("campaign %lld launched: audience %s, treated %s, control %s, already done %s, over budget %s, "
               "points %s\n",
               (long long)c.id, cli_num(st.audience), cli_num(st.treated), cli_num(st.control), cli_num(st.skipped),
               cli_num(st.over_budget), cli_num(st.points));
    env_close(&e);
    return cli_finish(code);
}

static void diff_line(const char *what, const pt_uplift_diff *d, double scale, const char *unit)
{
    printf("  %-14s %+10.3f%s  [%+.3f, %+.3f]  p = %.4f%s\n", what, d->diff * scale, unit, d->lo * scale,
           d->hi * scale, d->p, d->significant ? "  significant" : "");
}

static int campaign_report(const char *arg, const char *as_of_arg, double conf, int json)
{
    struct env e;
    int64_t as_of;
    int code = env_open(&e, 0, &as_of, as_of_arg);
    pt_campaign_rec c;
    if (code == EXIT_OK)
        code = campaign_find(e.db, arg, &c);
    int rc = code ? PT_OK : pt_snapshot_load(&e.aud.snap, pt_db_store(e.db), NULL, NULL);
    pt_campaign_report r;
    char err[512] = "";
    if (code == EXIT_OK && rc == PT_OK)
        rc = pt_campaign_report_compute(e.db, c.id, e.aud.snap, as_of, e.l ? pt_ledger_programme(e.l) : NULL, conf, &r, err,
                                        sizeof err);
    if (rc) {
        cli_error("report: %s", err[0] ? err : pt_db_errmsg(e.db));
        code = cli_exit_for(rc);
    }
    if (code == EXIT_OK && json) {
        const pt_uplift *u = &r.u;
        printf("{\"campaign\":%lld,\"window_from\":%lld,\"window_to\":%lld,\"confidence\":%.4f,"
               "\"treatment\":{\"n\":%lld,\"conversion\":%.6f,\"repurchase\":%.6f,\"orders\":%.6f,\"revenue_cents\":%.2f},"
               "\"control\":{\"n\":%lld,\"conversion\":%.6f,\"repurchase\":%.6f,\"orders\":%.6f,\"revenue_cents\":%.2f},"
               "\"conversion_uplift\":{\"diff\":%.6f,\"lo\":%.6f,\"hi\":%.6f,\"p\":%.6f},"
               "\"revenue_uplift_cents\":{\"diff\":%.2f,\"lo\":%.2f,\"hi\":%.2f,\"p\":%.6f},"
               "\"incremental_revenue_cents\":%.0f,\"incremental_orders\":%.2f,\"points_cost\":%lld,"
               "\"cost_cents\":%lld,\"cost_per_incremental_order_cents\":%.2f}\n",
               (long long)c.id, (long long)r.window_from, (long long)r.window_to, u->confidence, (long long)u->t.n,
               u->t.conversion, u->t.repurchase, u->t.orders, u->t.revenue, (long long)u->c.n, u->c.conversion,
               u->c.repurchase, u->c.orders, u->c.revenue, u->conversion.diff, u->conversion.lo, u->conversion.hi,
               u->conversion.p, u->revenue.diff, u->revenue.lo, u->revenue.hi, u->revenue.p, u->incremental_revenue,
               u->incremental_orders, (long long)r.points_cost, (long long)r.points_cost_cents,
               r.cost_per_incremental_order_cents);
    } else if (code == EXIT_OK) {
        const pt_uplift *u = &r.u;
        printf("campaign %lld %s — treatment %s vs control %s members, %.0f%% intervals\n", (long long)c.id, c.name,
               cli_num(u->t.n), cli_num(u->c.n), u->confidence * 100);
        printf("  %-14s %10s %10s\n", "", "treatment", "control");
        printf("  %-14s %9.2f%% %9.2f%%\n", "response", u->t.conversion * 100, u->c.conversion * 100);
        printf("  %-14s %9.2f%% %9.2f%%\n", "repurchase", u->t.repurchase * 100, u->c.repurchase * 100);
        printf("  %-14s %10.2f %10.2f\n", "revenue/member", u->t.revenue / 100, u->c.revenue / 100);
        printf("uplift (treatment − control):\n");
        diff_line("response", &u->conversion, 100, " pp");
        diff_line("repurchase", &u->repurchase, 100, " pp");
        diff_line("revenue/member", &u->revenue, 0.01, "");
        printf("incremental revenue %s, incremental orders %.1f, points cost %s (%s), cost per incremental order %s\n",
               cli_money((int64_t)llround(u->incremental_revenue)), u->incremental_orders, cli_num(r.points_cost),
               cli_money(r.points_cost_cents), cli_money((int64_t)llround(r.cost_per_incremental_order_cents)));
    }
    env_close(&e);
    return cli_finish(code);
}

static void campaign_usage(void)
{
    printf("usage: patron campaign SUBCOMMAND …\n"
           "  create NAME --audience DEF [--channel sms|email] [--points N | --coupon-cents N | --template ID]\n"
           "         [--control PCT (10)] [--seed S] [--starts DATE] [--ends DATE] [--budget-points N]\n"
           "  list [--json]           show ID|NAME [--json]\n"
           "  run-due                 launch every draft campaign whose --starts has come (for cron)\n"
           "  launch ID|NAME          assign arms, give the offer to the treatment group, enqueue the messages\n"
           "                          (re-running it only finishes what an interrupted launch left)\n"
           "  report ID|NAME [--as-of DATE] [--confidence 0.95] [--json]\n"
           "                          treatment vs control over [launch, ends): response, repurchase,\n"
           "                          revenue per member, uplift with intervals and p-values, cost\n"
           "docs/campaigns.md has the audience language and the statistics.\n");
}

int cmd_campaign(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        campaign_usage();
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "create") == 0)
        return campaign_create(argc, argv);
    static const struct option opts[] = {{"json", no_argument, 0, 'j'},
                                         {"as-of", required_argument, 0, 'a'},
                                         {"confidence", required_argument, 0, 'c'},
                                         {0, 0, 0, 0}};
    int json = 0, opt;
    const char *as_of = NULL;
    double conf = 0.95;
    optind = 2;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (opt == 'j')
            json = 1;
        else if (opt == 'a')
            as_of = optarg;
        else if (opt == 'c') {
            conf = strtod(optarg, NULL);
            if (!(conf > 0.5 && conf < 1)) {
                cli_error("--confidence takes a level between 0.5 and 1, e.g. 0.95");
                return EXIT_USAGE;
            }
        } else
            return EXIT_USAGE;
    }
    int npos = argc - optind;
    if (strcmp(sub, "run-due") == 0 && npos == 0) {
        pt_db *db = cli_open();
        if (!db)
            return EXIT_STORE;
        int launched = 0;
        char err[512];
        int rc = pt_campaign_launch_due(db, &launched, err, sizeof err);
        if (rc)
            cli_error("%s", err);
        else
            printf("%d scheduled campaign(s) launched\n", launched);
        pt_db_close(db);
        return cli_finish(rc ? cli_exit_for(rc) : EXIT_OK);
    }
    if (strcmp(sub, "list") == 0 && npos == 0) {
        pt_db *db = cli_open();
        if (!db)
            return EXIT_STORE;
        int rc = pt_store_campaign_list(pt_db_store(db), print_one, &json);
        if (rc)
            cli_error("listing campaigns: %s", pt_db_errmsg(db));
        pt_db_close(db);
        return cli_finish(rc ? cli_exit_for(rc) : EXIT_OK);
    }
    if (npos != 1) {
        campaign_usage();
        return EXIT_USAGE;
    }
    const char *arg = argv[optind];
    if (strcmp(sub, "show") == 0) {
        pt_db *db = cli_open();
        if (!db)
            return EXIT_STORE;
        pt_campaign_rec c;
        int code = campaign_find(db, arg, &c);
        if (code == EXIT_OK)
            campaign_print(&c, json);
        pt_db_close(db);
        return cli_finish(code);
    }
    if (strcmp(sub, "launch") == 0)
        return campaign_launch(arg);
    if (strcmp(sub, "report") == 0)
        return campaign_report(arg, as_of, conf, json);
    cli_error("unknown subcommand '%s' (create, list, show, launch, report)", sub);
    return EXIT_USAGE;
}

/* --- patron triggers run ------------------------------------------------------------------ */

int cmd_triggers(int argc, char **argv)
{
    static const struct option opts[] = {
        {"as-of", required_argument, 0, 'a'},         {"channel", required_argument, 0, 'c'},
        {"cap", required_argument, 0, 'k'},           {"expiring-days", required_argument, 0, 'e'},
        {"churn-threshold", required_argument, 0, 't'}, {"tier-drop-days", required_argument, 0, 'd'},
        {"no-birthday", no_argument, 0, 'B'},         {"no-dormant", no_argument, 0, 'D'},
        {"no-churn", no_argument, 0, 'C'},            {"json", no_argument, 0, 'j'},
        {"welcome-days", required_argument, 0, 'w'},
        {"help", no_argument, 0, 'h'},                {0, 0, 0, 0}};
    pt_trigger_opts o;
    pt_trigger_opts_init(&o);
    const char *as_of_arg = NULL;
    int json = 0, churn = 1, c;
    int64_t v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'a': as_of_arg = optarg; break;
        case 'c':
            if (channel_of(optarg, &o.channel))
                return EXIT_USAGE;
            break;
        case 'k':
            if (whole(optarg, "--cap", &v))
                return EXIT_USAGE;
            o.weekly_cap = (int)v;
            break;
        case 'e':
            if (whole(optarg, "--expiring-days", &v))
                return EXIT_USAGE;
            o.expiring_days = (int)v;
            break;
        case 'd':
            if (whole(optarg, "--tier-drop-days", &v))
                return EXIT_USAGE;
            o.tier_drop_days = (int)v;
            break;
        case 'w':
            if (whole(optarg, "--welcome-days", &v))
                return EXIT_USAGE;
            o.welcome_days = (int)v;
            break;
        case 't': o.churn_threshold = strtod(optarg, NULL); break;
        case 'B': o.birthday = 0; break;
        case 'D': o.dormant = 0; break;
        case 'C': churn = 0; break;
        case 'j': json = 1; break;
        case 'h':
            printf("usage: patron triggers run [--as-of DATE] [--channel sms|email] [--cap K (3 a week)]\n"
                   "         [--expiring-days N (30)] [--churn-threshold X (0.7)] [--tier-drop-days N (14)]\n"
                   "         [--welcome-days N (7; 0 = off)] [--no-birthday] [--no-dormant] [--no-churn] [--json]\n"
                   "Fires each trigger at most once per member and occurrence and enqueues its message in the\n"
                   "outbox (patron outbox deliver sends them). Safe to run from cron every few minutes.\n"
                   "churn_risk here is 1 − P(alive) of BG/NBD until a churn model is plugged in.\n");
            return EXIT_OK;
        default: return EXIT_USAGE;
        }
    }
    if (argc - optind != 1 || strcmp(argv[optind], "run") != 0) {
        cli_error("usage: patron triggers run [options] (see --help)");
        return EXIT_USAGE;
    }
    pt_db *db = cli_open();
    if (!db)
        return EXIT_STORE;
    int code = EXIT_OK;
    if (as_of_arg && cli_tx_date_arg(db, as_of_arg, &o.as_of))
        code = EXIT_USAGE;
    if (!churn)
        o.churn_threshold = 0; /* pt_triggers_run_db: no churn source */
    pt_trigger_stats st;
    char err[512];
    int rc = code ? PT_OK : pt_triggers_run_db(db, &o, &st, err, sizeof err);
    if (rc) {
        cli_error("triggers: %s", err);
        code = cli_exit_for(rc);
    }
    if (code == EXIT_OK) {
        if (json)
            printf("{");
        for (int r = 0; r < PT_TRIG__COUNT; r++)
            printf(json ? "\"%s\":%lld," : "%-16s %lld fired\n", pt_trigger_rule_name(r), (long long)st.fired[r]);
        printf(json ? "\"already\":%lld,\"capped\":%lld,\"no_consent\":%lld}\n"
                    : "already fired %lld, held by the cap %lld, no consent %lld\n",
               (long long)st.already, (long long)st.capped, (long long)st.no_consent);
    }
    pt_db_close(db);
    return cli_finish(code);
}

/* --- patron outbox deliver|list|replay ---------------------------------------------------- */

static int print_outbox(void *ud, const pt_outbox_rec *r)
{
    (void)ud;
    static const char *const states[] = {"pending", "delivered", "dead"};
    printf("%lld  %-10s %s member %lld  %s  attempts %d%s%s\n", (long long)r->id, states[r->state % 3], r->event_id,
           (long long)r->member_id, r->kind, r->attempts, r->last_error[0] ? "  last error: " : "", r->last_error);
    return PT_OK;
}

int cmd_outbox(int argc, char **argv)
{
    static const struct option opts[] = {{"passes", required_argument, 0, 'p'},
                                         {"batch", required_argument, 0, 'b'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int64_t passes = 1000, batch = 100;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'p' && whole(optarg, "--passes", &passes) == EXIT_OK)
            continue;
        if (c == 'b' && whole(optarg, "--batch", &batch) == EXIT_OK)
            continue;
        if (c == 'h') {
            printf("usage: patron outbox deliver [--passes N] [--batch N] | list | replay ID\n"
                   "deliver posts due entries to every webhook (patron webhook add) until nothing is due;\n"
                   "failures are retried later with exponential backoff, dead-lettered after 16 attempts.\n");
            return EXIT_OK;
        }
        return EXIT_USAGE;
    }
    if (optind >= argc) {
        cli_error("usage: patron outbox deliver|list|replay ID");
        return EXIT_USAGE;
    }
    const char *sub = argv[optind];
    pt_db *db = cli_open();
    if (!db)
        return EXIT_STORE;
    int rc = PT_OK, code = EXIT_OK;
    if (strcmp(sub, "deliver") == 0) {
        pt_outbox_opts o = {.batch = (int)batch};
        pt_outbox_stats total = {0};
        for (int64_t k = 0; k < passes && rc == PT_OK; k++) {
            pt_outbox_stats st;
            rc = pt_outbox_deliver_once(db, &o, &st);
            total.delivered += st.delivered;
            total.failed += st.failed;
            total.dead += st.dead;
            total.requests += st.requests;
            if (st.attempted == 0)
                break; /* what is left waits for its retry time */
        }
        if (rc == PT_OK)
            printf("delivered %lld, rescheduled %lld, dead-lettered %lld (%lld requests)\n",
                   (long long)total.delivered, (long long)total.failed, (long long)total.dead,
                   (long long)total.requests);
    } else if (strcmp(sub, "list") == 0) {
        rc = pt_store_outbox_list(pt_db_store(db), print_outbox, NULL);
    } else if (strcmp(sub, "replay") == 0 && optind + 1 < argc) {
        int64_t id;
        code = whole(argv[optind + 1], "ID", &id);
        if (code == EXIT_OK && (rc = pt_outbox_replay(db, id)) == PT_OK)
            printf("entry %lld is due again\n", (long long)id);
    } else {
        cli_error("unknown outbox subcommand '%s' (deliver, list, replay ID)", sub);
        code = EXIT_USAGE;
    }
    if (rc) {
        cli_error("outbox: %s", pt_db_errmsg(db));
        code = cli_exit_for(rc);
    }
    pt_db_close(db);
    return cli_finish(code);
}

/* --- patron webhook add|list|test --------------------------------------------------------- */

static int print_hook(void *ud, const pt_webhook_rec *w)
{
    (void)ud;
    printf("%lld  %s  %s\n", (long long)w->id, w->active ? "active" : "off", w->url);
    return PT_OK;
}

int cmd_webhook(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        printf("usage: patron webhook add URL [--secret S] | list | test | replay ID\n"
               "add prints the signing secret once (HMAC-SHA256 over \"<timestamp>.<body>\", header\n"
               "X-Patron-Signature: v1=<hex>); test enqueues a webhook.test event for the deliverer.\n");
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    pt_db *db = cli_open();
    if (!db)
        return EXIT_STORE;
    int rc = PT_OK, code = EXIT_OK;
    if (strcmp(argv[1], "add") == 0 && (argc == 3 || (argc == 5 && strcmp(argv[3], "--secret") == 0))) {
        pt_webhook_rec w;
        rc = pt_webhook_add(db, argv[2], argc == 5 ? argv[4] : NULL, &w);
        if (rc == PT_OK)
            printf("webhook %lld added; secret %s\n", (long long)w.id, w.secret);
    } else if (strcmp(argv[1], "list") == 0) {
        rc = pt_store_webhook_list(pt_db_store(db), print_hook, NULL);
    } else if (strcmp(argv[1], "replay") == 0 && argc == 3) {
        int64_t id;
        code = whole(argv[2], "ID", &id);
        if (code == EXIT_OK && (rc = pt_outbox_replay(db, id)) == PT_OK)
            printf("outbox entry %lld is due again\n", (long long)id);
    } else if (strcmp(argv[1], "test") == 0) {
        pt_outbox_rec e;
        rc = pt_outbox_enqueue(pt_db_store(db), 0, "webhook.test", "{}", pt_db_now(db), &e);
        if (rc == PT_OK)
            printf("enqueued %s (patron outbox deliver sends it)\n", e.event_id);
    } else {
        cli_error("usage: patron webhook add URL [--secret S] | list | test | replay ID");
        code = EXIT_USAGE;
    }
    if (rc) {
        cli_error("webhook: %s", pt_db_errmsg(db));
        code = cli_exit_for(rc);
    }
    pt_db_close(db);
    return cli_finish(code);
}

/* cmd_kpi.c — `patron kpi` (the loyalty KPIs of a period beside the previous period of equal
 * length, with the points liability and tier distribution as loaded), `patron cohorts` (retention by first-purchase month), `patron nps` (NPS of one
 * survey) and `patron trends` (members, active, new, revenue, orders and AOV per month). Thin
 * over metrics.h: parse flags, load the snapshot, compute, print as text, --json or --csv.
 *
 * DATE is YYYY-MM-DD in the tenant's time zone (config.json), meaning that day's first second,
 * or @EPOCH; a period is [--from, --to). Defaults: kpi the last complete month; cohorts and
 * trends the twelve complete months before the current one; nps every answer. Rates print as
 * percentages with two decimals in text and as basis points (integers) in JSON and CSV, null /
 * empty when they have no denominator. Definitions and populations: docs/metrics.md.
 */
#include "cli.h"
#include "tx_options.h"
#include "patron/config.h"
#include "patron/error.h"
#include "patron/metrics.h"
#include "patron/rfm.h"
#include "patron/snapshot.h"
#include "patron/tz.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OUT_TEXT, OUT_JSON, OUT_CSV };
enum { CMD_KPI, CMD_COHORTS, CMD_NPS, CMD_TRENDS };

struct kpi_args {
    int           cmd, out, months;
    const char   *from, *to, *survey;
    const char   *name, *by; /* kpi NAME, --by tier|segment|channel|month */
    struct cli_tx tx;
    int64_t       now; /* cli_tx_now, once the snapshot is loaded */
};

static const char *const CMD_NAME[] = {"kpi", "cohorts", "nps", "trends"};

static void kpi_usage(int cmd)
{
    static const char *const what[] = {
        "[NAME] [--by tier|segment|channel|month] [--from DATE --to DATE] [--json]\n"
        "\nLoyalty KPIs of the period [--from, --to) (default: the last complete month) beside the\n"
        "previous period of the same length: members, new, active, orders, revenue, AOV, purchase\n"
        "frequency, repurchase rate (in the period, and ever), churn rate; with the programme, the\n"
        "points liability and tiers now, and the period's points issued, redeemed and expired with\n"
        "the redemption rate and breakage.\n"
        "NAME (a key of the JSON: members, members_new, active, orders, revenue_cents, aov_cents,\n"
        "frequency_x100, repurchase_bp, repurchase_ever_bp, churn_bp, …) prints that KPI alone;\n"
        "--by splits the period's KPIs by current tier, RFM segment (11 map, as of --to), order\n"
        "channel (as if the channel's orders were the only ones) or month (docs/metrics.md).\n",
        "[--from DATE --to DATE] [--months N] [--json|--csv]\n"
        "\nRetention by first-purchase month: for each month overlapping the period (default: the\n"
        "twelve complete months before this one), the members whose first paid order fell in it\n"
        "and the share who bought again in month +1 … +N (default 12, at most 60). Cells whose\n"
        "month has not ended by --to are left empty.\n",
        "[--survey NAME] [--by tier|segment] [--from DATE --to DATE] [--json]\n"
        "\nNet promoter score of survey NAME (default nps) over the answers given in the period\n"
        "(default: all): promoters 9–10, passives 7–8, detractors 0–6; NPS = % promoters − %\n"
        "detractors, with the counts behind it. --by splits it by current tier or by RFM segment\n"
        "(11 map, as of --to, or now).\n",
        "[--from DATE --to DATE] [--json|--csv]\n"
        "\nPer month overlapping the period (default: the twelve complete months before this one):\n"
        "members, new members, active members, paid orders, revenue and AOV.\n",
    };
    printf("usage: patron %s %s\n"
           "  --from DATE, --to DATE  YYYY-MM-DD in the tenant's time zone (that day's start) or\n"
           "                          @EPOCH; the period is [from, to)\n"
           "  --json, --csv           machine-readable output (rates in basis points)\n",
           CMD_NAME[cmd], what[cmd]);
    cli_tx_help();
    printf("\nTotals count every member anonymously; repurchase, churn, cohorts and NPS use only members\n"
           "who consent to analytics and are not erased. Definitions: docs/metrics.md.\n");
}

static int parse_opt(int c, struct kpi_args *a)
{
    char *end;
    switch (c) {
    case 'f': a->from = optarg; return EXIT_OK;
    case 't': a->to = optarg; return EXIT_OK;
    case 's': a->survey = optarg; return EXIT_OK;
    case 'b':
        if (strcmp(optarg, "tier") && strcmp(optarg, "segment") && strcmp(optarg, "channel") && strcmp(optarg, "month")) {
            cli_error("--by takes tier, segment, channel or month");
            return EXIT_USAGE;
        }
        a->by = optarg;
        return EXIT_OK;
    case 'j': a->out = OUT_JSON; return EXIT_OK;
    case 'c': a->out = OUT_CSV; return EXIT_OK;
    case 'm':
        a->months = (int)strtol(optarg, &end, 10);
        if (*end || end == optarg || a->months < 1 || a->months > PT_COHORT_MONTHS_MAX) {
            cli_error("--months takes a whole number from 1 to %d", PT_COHORT_MONTHS_MAX);
            return EXIT_USAGE;
        }
        return EXIT_OK;
    default: return EXIT_USAGE;
    }
}

/* Which flags each command takes. */
static int check_args(const struct kpi_args *a, int months_given)
{
    if (months_given && a->cmd != CMD_COHORTS) {
        cli_error("--months belongs to patron cohorts");
        return EXIT_USAGE;
    }
    if (a->by && a->cmd != CMD_KPI && a->cmd != CMD_NPS) {
        cli_error("--by belongs to patron kpi and patron nps");
        return EXIT_USAGE;
    }
    if (a->survey && a->cmd != CMD_NPS) {
        cli_error("--survey belongs to patron nps");
        return EXIT_USAGE;
    }
    if (a->out == OUT_CSV && (a->cmd == CMD_KPI || a->cmd == CMD_NPS)) {
        cli_error("patron %s prints text or --json", CMD_NAME[a->cmd]);
        return EXIT_USAGE;
    }
    if (!a->from != !a->to) {
        cli_error("give both --from and --to, or neither");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static int parse_args(int cmd, int argc, char **argv, struct kpi_args *a)
{
    static const struct option opts[] = {
        {"from", required_argument, 0, 'f'}, {"to", required_argument, 0, 't'},
        {"months", required_argument, 0, 'm'}, {"survey", required_argument, 0, 's'},
        {"by", required_argument, 0, 'b'},
        {"json", no_argument, 0, 'j'}, {"csv", no_argument, 0, 'c'},
        {"help", no_argument, 0, 'h'}, CLI_TX_LONGOPTS, {0, 0, 0, 0}};
    *a = (struct kpi_args){.cmd = cmd, .months = 12};
    int c, months_given = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            kpi_usage(cmd);
            return -1;
        }
        if (cli_tx_option(&a->tx, c, optarg))
            continue;
        months_given |= c == 'm';
        int rc = parse_opt(c, a);
        if (rc)
            return rc;
    }
    if (cmd == CMD_KPI && optind < argc)
        a->name = argv[optind++];
    if (optind < argc) {
        cli_error("unexpected '%s' (see patron %s --help)", argv[optind], CMD_NAME[cmd]);
        return EXIT_USAGE;
    }
    return check_args(a, months_given);
}

/* The period: the flags, else `back` complete local months before the current one (0 = all time). */
static int period(pt_db *db, const struct kpi_args *a, int back, int64_t *from, int64_t *to)
{
    if (a->from) {
        if (cli_tx_date_arg(db, a->from, from) || cli_tx_date_arg(db, a->to, to))
            return EXIT_USAGE;
        if (*to <= *from) {
            cli_error("--to must be after --from");
            return EXIT_USAGE;
        }
        return EXIT_OK;
    }
    if (back == 0) {
        *from = INT64_MIN;
        *to = INT64_MAX;
        return EXIT_OK;
    }
    const char *zone = cli_tx_zone(db);
    if (pt_tz_start_of(zone, PT_TZ_MONTH, a->now, to) || pt_tz_add(zone, PT_TZ_MONTH, *to, -back, from)) {
        cli_error("the time zone '%s' in config.json is not known", zone);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* A count, rate or average for JSON: null when it has no denominator. */
static const char *jval(int64_t v)
{
    static char buf[8][32];
    static int slot;
    char *b = buf[slot++ % 8];
    if (v == PT_METRICS_NONE)
        return "null";
    snprintf(b, 32, "%lld", (long long)v);
    return b;
}

/* Basis points as "12.34%" (or "—"). */
static const char *pct(int64_t bp)
{
    static char buf[8][32];
    static int slot;
    char *b = buf[slot++ % 8];
    if (bp == PT_METRICS_NONE)
        return "—";
    snprintf(b, 32, "%s%lld.%02lld%%", bp < 0 ? "-" : "", (long long)(llabs(bp) / 100), (long long)(llabs(bp) % 100));
    return b;
}

/* --- kpi -------------------------------------------------------------------------------------- */
enum { K_COUNT, K_CENTS, K_BP, K_X100 };

struct field {
    const char *key, *label;
    int         kind;
    int64_t     v;
};

#define NFIELDS 19

/* The KPIs of k as (key, label, kind, value) rows, in print order. */
static void kpi_fields(const pt_kpi *k, struct field f[NFIELDS])
{
    const struct field rows[NFIELDS] = {
        {"members", "members", K_COUNT, (int64_t)k->members},
        {"members_new", "new members", K_COUNT, (int64_t)k->members_new},
        {"active", "active members (bought)", K_COUNT, (int64_t)k->active},
        {"orders", "paid orders", K_COUNT, k->orders},
        {"revenue_cents", "revenue", K_CENTS, k->revenue_cents},
        {"aov_cents", "average order value", K_CENTS, k->aov_cents},
        {"frequency_x100", "orders per active member", K_X100, k->frequency_x100},
        {"anonymous_no_consent", "  of members: no analytics consent", K_COUNT, (int64_t)k->anonymous_no_consent},
        {"anonymous_erased", "  of members: erased", K_COUNT, (int64_t)k->anonymous_erased},
        {"buyers", "buyers (consenting)", K_COUNT, (int64_t)k->buyers},
        {"repeat_buyers", "  with 2+ orders in the period", K_COUNT, (int64_t)k->repeat_buyers},
        {"repurchase_bp", "repurchase rate (period)", K_BP, k->repurchase_bp},
        {"ever_buyers", "ever bought (consenting)", K_COUNT, (int64_t)k->ever_buyers},
        {"ever_repeat", "  ever bought twice", K_COUNT, (int64_t)k->ever_repeat},
        {"repurchase_ever_bp", "repurchase rate (ever)", K_BP, k->repurchase_ever_bp},
        {"prev_active", "active the period before (consenting)", K_COUNT, (int64_t)k->prev_active},
        {"churned", "  who did not buy in this one", K_COUNT, (int64_t)k->churned},
        {"churn_bp", "churn rate", K_BP, k->churn_bp},
        {"from", "", -1, k->from},
    };
    memcpy(f, rows, sizeof rows);
}

static int64_t change(int64_t cur, int64_t prev)
{
    return cur == PT_METRICS_NONE || prev == PT_METRICS_NONE ? PT_METRICS_NONE : cur - prev;
}

/* Points liability and members per tier, now: JSON members of the kpi object, or text lines. */
static void print_points(const pt_snapshot *snap, const pt_points_tiers *p, int json)
{
    if (json) {
        printf(",\"points\":{\"liability_points\":%lld,\"pending_points\":%lld,\"overdrawn_points\":%lld,"
               "\"holders\":%zu,\"tiers\":{",
               (long long)p->liability_points, (long long)p->pending_points, (long long)p->overdrawn_points,
               p->holders);
        for (size_t k = 0; k < p->ntiers; k++) {
            const char *esc = cli_json_str(snap->tier_names[k]);
            printf("%s%s:%zu", k ? "," : "", esc, p->members_per_tier[k]);
        }
        printf("},\"no_tier\":%zu}", p->members_per_tier[p->ntiers]);
        return;
    }
    printf("\npoints now: %s available (liability) held by %s members, %s pending, %s overdrawn\n",
           cli_num(p->liability_points), cli_num((int64_t)p->holders), cli_num(p->pending_points),
           cli_num(p->overdrawn_points));
    for (size_t k = 0; k <= p->ntiers; k++)
        printf("  tier %-24s %12s members\n", k < p->ntiers ? snap->tier_names[k] : "(none)",
               cli_num((int64_t)p->members_per_tier[k]));
}

/* The period's points flows, redemption rate and breakage: JSON members or text lines. */
static void print_flow(const pt_points_flow *f, int json)
{
    if (json) {
        printf(",\"points_flow\":{\"issued\":%lld,\"reversed\":%lld,\"issued_net\":%lld,\"redeemed\":%lld,"
               "\"expired\":%lld,\"adjusted_in\":%lld,\"adjusted_out\":%lld,\"earn_entries\":%lld,"
               "\"redeem_entries\":%lld,\"expire_entries\":%lld,",
               (long long)f->issued, (long long)f->reversed, (long long)f->issued_net, (long long)f->redeemed,
               (long long)f->expired, (long long)f->adjusted_in, (long long)f->adjusted_out,
               (long long)f->earn_entries, (long long)f->redeem_entries, (long long)f->expire_entries);
        printf("\"redemption_rate_bp\":%s,", jval(f->redemption_rate_bp));
        printf("\"breakage_bp\":%s}", jval(f->breakage_bp));
        return;
    }
    printf("points in the period: %s issued (%s clawed back by refunds), %s redeemed, %s expired,\n"
           "  %s added and %s removed by operators\n",
           cli_num(f->issued), cli_num(f->reversed), cli_num(f->redeemed), cli_num(f->expired),
           cli_num(f->adjusted_in), cli_num(f->adjusted_out));
    if (f->redemption_rate_bp == PT_METRICS_NONE)
        printf("  redemption rate —, breakage — (no points issued)\n");
    else
        printf("  redemption rate %lld.%02lld%%, breakage %lld.%02lld%% (of the points issued, net)\n",
               (long long)(f->redemption_rate_bp / 100), (long long)(f->redemption_rate_bp % 100),
               (long long)(f->breakage_bp / 100), (long long)(f->breakage_bp % 100));
}

static void print_kpi_json(pt_db *db, const pt_kpi *cur, const pt_kpi *prev)
{
    struct field c[NFIELDS], p[NFIELDS];
    kpi_fields(cur, c);
    kpi_fields(prev, p);
    const struct field *sides[2] = {c, p};
    const pt_kpi *ks[2] = {cur, prev};
    static const char *const names[2] = {"period", "previous"};
    printf("{\"zone\":\"%s\"", cli_tx_zone(db));
    for (int s = 0; s < 2; s++) {
        printf(",\"%s\":{\"from\":%lld,\"to\":%lld,\"from_date\":\"%s\",\"to_date\":\"%s\"", names[s],
               (long long)ks[s]->from, (long long)ks[s]->to, cli_tx_local_date(db, ks[s]->from, 0),
               cli_tx_local_date(db, ks[s]->to, 0));
        for (int i = 0; sides[s][i].kind >= 0; i++)
            printf(",\"%s\":%s", sides[s][i].key, jval(sides[s][i].v));
        printf("}");
    }
    printf(",\"change\":{");
    for (int i = 0; c[i].kind >= 0; i++)
        printf("%s\"%s\":%s", i ? "," : "", c[i].key, jval(change(c[i].v, p[i].v)));
    printf("}");
}

static const char *kpi_text(const struct field *f, int64_t v)
{
    static char buf[4][48];
    static int slot;
    char *b = buf[slot++ % 4];
    if (v == PT_METRICS_NONE)
        return "—";
    if (f->kind == K_BP)
        return pct(v);
    if (f->kind == K_CENTS)
        return cli_money(v);
    if (f->kind == K_X100)
        snprintf(b, 48, "%lld.%02lld", (long long)(v / 100), (long long)llabs(v % 100));
    else
        snprintf(b, 48, "%s", cli_num(v));
    return b;
}

static void print_kpi_text(pt_db *db, const pt_kpi *cur, const pt_kpi *prev)
{
    struct field c[NFIELDS], p[NFIELDS];
    kpi_fields(cur, c);
    kpi_fields(prev, p);
    printf("%-40s %16s %16s %16s\n", "", "period", "previous", "change");
    printf("%-40s %16s %16s\n", "from", cli_tx_local_date(db, cur->from, 0), cli_tx_local_date(db, prev->from, 0));
    printf("%-40s %16s %16s\n", "to (exclusive)", cli_tx_local_date(db, cur->to, 0), cli_tx_local_date(db, prev->to, 0));
    for (int i = 0; c[i].kind >= 0; i++) {
        int64_t d = change(c[i].v, p[i].v);
        char dbuf[48];
        if (c[i].kind == K_BP && d != PT_METRICS_NONE) /* percentage points */
            snprintf(dbuf, sizeof dbuf, "%s%lld.%02lld pp", d < 0 ? "-" : "+", (long long)(llabs(d) / 100),
                     (long long)(llabs(d) % 100));
        else
            snprintf(dbuf, sizeof dbuf, "%s%s", d != PT_METRICS_NONE && d >= 0 ? "+" : "", kpi_text(&c[i], d));
        printf("%-40s %16s %16s %16s\n", c[i].label, kpi_text(&c[i], c[i].v), kpi_text(&p[i], p[i].v), dbuf);
    }
    printf("Totals count every member; rows marked consenting only members with analytics consent.\n");
}

/* --- kpi NAME / --by ---------------------------------------------------------------------------- */
struct group {
    char   label[64];
    pt_kpi k;
};

/* The field of k named name, or NULL. */
static const struct field *find_field(const struct field f[NFIELDS], const char *name)
{
    for (int i = 0; f[i].kind >= 0; i++)
        if (strcmp(f[i].key, name) == 0)
            return &f[i];
    return NULL;
}

/* One group per distinct value of by[] (ascending), labelled by label(v). */
static int groups_of(const pt_snapshot *snap, const int32_t *by, int64_t from, int64_t to,
                     const char *(*label)(const pt_snapshot *, int32_t), struct group **out, size_t *n)
{
    int32_t lo = INT32_MAX, hi = INT32_MIN;
    for (size_t i = 0; i < snap->nmembers; i++) {
        lo = by[i] < lo ? by[i] : lo;
        hi = by[i] > hi ? by[i] : hi;
    }
    *n = 0;
    *out = snap->nmembers && hi - lo < 100000 ? calloc((size_t)(hi - lo) + 1, sizeof **out) : NULL;
    if (snap->nmembers && !*out)
        return PT_ENOMEM;
    for (int64_t v = lo; snap->nmembers && v <= hi; v++) {
        pt_kpi_slice sl = {.group = by, .g = (int32_t)v, .channel = -1};
        struct group *g = &(*out)[*n];
        int rc = pt_metrics_kpi_slice(&g->k, snap, from, to, &sl);
        if (rc)
            return rc;
        if (g->k.members || g->k.orders) {
            snprintf(g->label, sizeof g->label, "%s", label(snap, (int32_t)v));
            ++*n;
        }
    }
    return PT_OK;
}

static const char *tier_label(const pt_snapshot *snap, int32_t v)
{
    return v >= 0 ? snap->tier_names[v] : "(none)";
}

static const char *segment_label(const pt_snapshot *snap, int32_t v)
{
    (void)snap;
    return v < 0 ? "(anonymous)" : pt_rfm_segment_key(PT_RFM_MAP11, v);
}

/* Each member's RFM 11-map segment as of to (unscored: none; not shown: −1). */
static int segments_of(const pt_snapshot *snap, int64_t to, int32_t *by)
{
    pt_rfm_opts o;
    pt_rfm_opts_init(&o, to);
    pt_rfm r;
    int rc = pt_rfm_compute(&r, snap, &o);
    if (rc)
        return rc;
    size_t j = 0; /* rows ascend by member id, as the snapshot does */
    for (size_t i = 0; i < snap->nmembers; i++) {
        by[i] = -1;
        if (j < r.nrows && r.rows[j].member_id == snap->member_id[i])
            by[i] = r.rows[j++].seg11;
    }
    pt_rfm_free(&r);
    return PT_OK;
}

static int by_channel(const pt_snapshot *snap, int64_t from, int64_t to, struct group **out, size_t *n)
{
    *out = calloc(snap->nchannel_names + 1, sizeof **out);
    if (!*out)
        return PT_ENOMEM;
    for (*n = 0; *n < snap->nchannel_names; ++*n) {
        pt_kpi_slice sl = {.group = NULL, .channel = (int32_t)*n};
        int rc = pt_metrics_kpi_slice(&(*out)[*n].k, snap, from, to, &sl);
        if (rc)
            return rc;
        snprintf((*out)[*n].label, sizeof (*out)[*n].label, "%s", snap->channel_names[*n][0] ? snap->channel_names[*n] : "(none)");
    }
    return PT_OK;
}

static int by_month(pt_db *db, const pt_snapshot *snap, int64_t from, int64_t to, struct group **out, size_t *n)
{
    int64_t *b = NULL;
    size_t nm = 0;
    int rc = pt_metrics_months(cli_tx_zone(db), from, to, 0, &b, &nm);
    *out = rc ? NULL : calloc(nm + 1, sizeof **out);
    if (rc == PT_OK && !*out)
        rc = PT_ENOMEM;
    for (*n = 0; rc == PT_OK && *n < nm; ++*n) {
        int64_t f = b[*n] > from ? b[*n] : from, t = b[*n + 1] < to ? b[*n + 1] : to;
        rc = pt_metrics_kpi(&(*out)[*n].k, snap, f, t);
        snprintf((*out)[*n].label, sizeof (*out)[*n].label, "%s", cli_tx_local_date(db, b[*n], 1));
    }
    free(b);
    return rc;
}

/* The groups of --by (or one group "all"). */
static int kpi_groups(pt_db *db, const struct kpi_args *a, const pt_snapshot *snap, int64_t from, int64_t to,
                      struct group **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!a->by) {
        *out = calloc(1, sizeof **out);
        if (!*out)
            return PT_ENOMEM;
        snprintf((*out)->label, sizeof (*out)->label, "all");
        *n = 1;
        return pt_metrics_kpi(&(*out)->k, snap, from, to);
    }
    if (strcmp(a->by, "month") == 0)
        return by_month(db, snap, from, to, out, n);
    if (strcmp(a->by, "channel") == 0)
        return snap->order_channel ? by_channel(snap, from, to, out, n) : PT_ENOTFOUND;
    if (strcmp(a->by, "tier") == 0)
        return snap->has_accounts ? groups_of(snap, snap->member_tier, from, to, tier_label, out, n) : PT_ENOTFOUND;
    int32_t *seg = malloc((snap->nmembers + 1) * sizeof *seg);
    int rc = seg ? segments_of(snap, to, seg) : PT_ENOMEM;
    if (rc == PT_OK)
        rc = groups_of(snap, seg, from, to, segment_label, out, n);
    free(seg);
    return rc;
}

static void print_groups(pt_db *db, const struct kpi_args *a, const struct group *g, size_t n, int64_t from,
                         int64_t to)
{
    static const char *const cols[] = {"members", "members_new", "active", "orders", "revenue_cents",
                                       "aov_cents", "repurchase_bp", "churn_bp"};
    if (a->out == OUT_JSON)
        printf("{\"zone\":\"%s\",\"from\":%lld,\"to\":%lld,\"from_date\":\"%s\",\"to_date\":\"%s\",\"by\":%s%s%s,"
               "\"kpi\":%s%s%s,\"groups\":[",
               cli_tx_zone(db), (long long)from, (long long)to, cli_tx_local_date(db, from, 0), cli_tx_local_date(db, to, 0),
               a->by ? "\"" : "", a->by ? a->by : "null", a->by ? "\"" : "", a->name ? "\"" : "",
               a->name ? a->name : "null", a->name ? "\"" : "");
    else if (a->name)
        printf("%-32s %16s\n", a->by ? a->by : "", a->name);
    else {
        printf("%-32s", a->by);
        for (size_t c = 0; c < sizeof cols / sizeof *cols; c++)
            printf(" %14s", cols[c]);
        printf("\n");
    }
    for (size_t i = 0; i < n; i++) {
        struct field f[NFIELDS];
        kpi_fields(&g[i].k, f);
        const char *esc = cli_json_str(g[i].label);
        if (a->out == OUT_JSON && a->name) {
            printf("%s{\"group\":%s,\"value\":%s}", i ? "," : "", esc, jval(find_field(f, a->name)->v));
        } else if (a->out == OUT_JSON) {
            printf("%s{\"group\":%s", i ? "," : "", esc);
            for (int k = 0; f[k].kind >= 0; k++)
                printf(",\"%s\":%s", f[k].key, jval(f[k].v));
            printf("}");
        } else if (a->name) {
            const struct field *v = find_field(f, a->name);
            printf("%-32s %16s\n", g[i].label, kpi_text(v, v->v));
        } else {
            printf("%-32s", g[i].label);
            for (size_t c = 0; c < sizeof cols / sizeof *cols; c++) {
                const struct field *v = find_field(f, cols[c]);
                printf(" %14s", kpi_text(v, v->v));
            }
            printf("\n");
        }
    }
    if (a->out == OUT_JSON)
        printf("]}\n");
}

static int run_kpi_by(pt_db *db, const struct kpi_args *a, const pt_snapshot *snap, int64_t from, int64_t to)
{
    struct field f[NFIELDS];
    pt_kpi none = {0};
    kpi_fields(&none, f);
    if (a->name && !find_field(f, a->name)) {
        cli_error("unknown KPI '%s' (see patron kpi --help)", a->name);
        return EXIT_USAGE;
    }
    struct group *g = NULL;
    size_t n = 0;
    int rc = kpi_groups(db, a, snap, from, to, &g, &n);
    if (rc == PT_ENOTFOUND)
        cli_error("--by %s needs %s, which this snapshot does not have", a->by,
                  strcmp(a->by, "tier") == 0 ? "points accounts (the store)" : "order channels (the store)");
    else if (rc)
        cli_error("kpi: %s", pt_strerror(rc));
    else
        print_groups(db, a, g, n, from, to);
    free(g);
    return rc == PT_ENOTFOUND ? EXIT_DATA : rc ? cli_exit_for(rc) : EXIT_OK;
}

static int run_kpi(pt_db *db, const struct kpi_args *a, const pt_snapshot *snap)
{
    int64_t from, to;
    if (period(db, a, 1, &from, &to))
        return EXIT_USAGE;
    pt_kpi cur, prev;
    const int64_t lim = (int64_t)1 << 50; /* far beyond year 2999: no overflow below */
    if (from < -lim || to > lim) {
        cli_error("the period is out of range");
        return EXIT_USAGE;
    }
    if (a->name || a->by)
        return run_kpi_by(db, a, snap, from, to);
    int64_t len = to - from;
    if (pt_metrics_kpi(&cur, snap, from, to) ||
        pt_metrics_kpi(&prev, snap, from - len, from)) {
        cli_error("the period is empty");
        return EXIT_USAGE;
    }
    if (a->out == OUT_JSON)
        print_kpi_json(db, &cur, &prev);
    else
        print_kpi_text(db, &cur, &prev);
    pt_points_tiers pts;
    int rc = pt_metrics_points(&pts, snap);
    if (rc == PT_OK)
        print_points(snap, &pts, a->out == OUT_JSON);
    pt_metrics_points_free(&pts);
    pt_points_flow flow;
    int frc = rc == PT_OK && db ? pt_metrics_points_flow(&flow, pt_db_store(db), from, to) : PT_ENOTFOUND;
    if (frc == PT_OK)
        print_flow(&flow, a->out == OUT_JSON);
    if (a->out == OUT_JSON)
        printf("}\n");
    if (frc && frc != PT_ENOTFOUND)
        rc = frc;
    if (rc && rc != PT_ENOTFOUND) {
        cli_error("points: %s", pt_strerror(rc));
        return cli_exit_for(rc);
    }
    return EXIT_OK;
}

/* --- cohorts ---------------------------------------------------------------------------------- */
static void print_cohort_json(pt_db *db, const pt_cohort *h, int months, size_t i)
{
    printf("%s{\"month\":\"%s\",\"start\":%lld,\"size\":%zu,\"observed\":%d,\"retained\":[", i ? "," : "",
           cli_tx_local_date(db, h->month, 1), (long long)h->month, h->size, h->observed);
    for (int k = 1; k <= months; k++)
        printf(k <= h->observed ? "%s%zu" : "%snull", k > 1 ? "," : "", h->retained[k]);
    printf("],\"retention_bp\":[");
    for (int k = 1; k <= months; k++)
        printf("%s%s", k > 1 ? "," : "",
               k <= h->observed ? jval(pt_metrics_bp((int64_t)h->retained[k], (int64_t)h->size)) : "null");
    printf("]}");
}

static void print_cohort_row(pt_db *db, const struct kpi_args *a, const pt_cohort *h, int months)
{
    printf(a->out == OUT_CSV ? "%s,%zu" : "%-8s %8zu", cli_tx_local_date(db, h->month, 1), h->size);
    for (int k = 1; k <= months; k++) {
        int64_t bp = pt_metrics_bp((int64_t)h->retained[k], (int64_t)h->size);
        if (a->out == OUT_CSV)
            printf(k <= h->observed ? ",%zu" : ",", h->retained[k]);
        else
            printf(" %7s", k > h->observed ? "" : bp == PT_METRICS_NONE ? "-" : pct(bp));
    }
    printf("\n");
}

static void print_cohorts(pt_db *db, const struct kpi_args *a, const pt_cohorts *c, int64_t from, int64_t to)
{
    if (a->out == OUT_JSON) {
        printf("{\"zone\":\"%s\",\"from\":%lld,\"to\":%lld,\"months\":%d,\"anonymous\":%zu,\"cohorts\":[",
               cli_tx_zone(db), (long long)from, (long long)to, c->months, c->anonymous);
        for (size_t i = 0; i < c->n; i++)
            print_cohort_json(db, &c->cohorts[i], c->months, i);
        printf("]}\n");
        return;
    }
    printf(a->out == OUT_CSV ? "month,size" : "%-8s %8s", "month", "size");
    for (int k = 1; k <= c->months; k++)
        if (a->out == OUT_CSV)
            printf(",m%d", k);
        else
            printf(" %6s%d", "+", k);
    printf("\n");
    for (size_t i = 0; i < c->n; i++)
        print_cohort_row(db, a, &c->cohorts[i], c->months);
    if (a->out == OUT_TEXT)
        printf("Share of each first-purchase cohort buying again k months later; %s members without\n"
               "analytics consent or erased are left out.\n", cli_num((int64_t)c->anonymous));
}

static int run_cohorts(pt_db *db, const struct kpi_args *a, const pt_snapshot *snap)
{
    int64_t from, to;
    if (period(db, a, 12, &from, &to))
        return EXIT_USAGE;
    pt_cohorts c;
    int rc = pt_metrics_cohorts(&c, snap, cli_tx_zone(db), from, to, a->months);
    if (rc) {
        cli_error("cohorts: %s (at most %d months; is the time zone in config.json known?)", pt_strerror(rc),
                  PT_METRICS_MONTHS_MAX);
        return rc == PT_EINVAL ? EXIT_USAGE : cli_exit_for(rc);
    }
    print_cohorts(db, a, &c, from, to);
    pt_metrics_cohorts_free(&c);
    return EXIT_OK;
}

/* --- nps -------------------------------------------------------------------------------------- */
/* The counts of n as JSON members (no braces). */
static void print_nps_json_counts(const pt_nps *n)
{
    printf("\"answers\":%zu,\"promoters\":%zu,\"passives\":%zu,\"detractors\":%zu,\"respondents\":%zu,"
           "\"nps_x100\":%s,\"out_of_range\":%zu,\"anonymous\":%zu,\"merged_away\":%zu",
           n->answers, n->promoters, n->passives, n->detractors, n->respondents, jval(n->nps_x100), n->out_of_range,
           n->anonymous, n->merged_away);
}

/* "20.00", "-7.50" or "—". */
static const char *nps_text(int64_t x100)
{
    static char buf[4][24];
    static int slot;
    char *b = buf[slot++ % 4];
    if (x100 == PT_METRICS_NONE)
        return "—";
    snprintf(b, 24, "%s%lld.%02lld", x100 < 0 ? "-" : "", (long long)(llabs(x100) / 100),
             (long long)(llabs(x100) % 100));
    return b;
}

static void print_nps(const char *name, const pt_nps *n, int64_t from, int64_t to, int out)
{
    if (out == OUT_JSON) {
        const char *esc = cli_json_str(name);
        printf("{\"survey\":%s,\"from\":%s,", esc, from == INT64_MIN ? "null" : jval(from));
        printf("\"to\":%s,", to == INT64_MAX ? "null" : jval(to));
        print_nps_json_counts(n);
        printf("}\n");
        return;
    }
    printf("survey %s: %s answers from %s members\n", name, cli_num((int64_t)n->answers),
           cli_num((int64_t)n->respondents));
    printf("  promoters (9–10)  %10s\n  passives (7–8)    %10s\n  detractors (0–6)  %10s\n",
           cli_num((int64_t)n->promoters), cli_num((int64_t)n->passives), cli_num((int64_t)n->detractors));
    printf("  NPS               %10s\n", nps_text(n->nps_x100));
    printf("left out: %s scores outside 0–10, %s answers of members without analytics consent or erased,\n"
           "%s of merged-away members\n", cli_num((int64_t)n->out_of_range), cli_num((int64_t)n->anonymous),
           cli_num((int64_t)n->merged_away));
}

/* NPS per tier or per RFM segment (11 map, as of the period's end, or now for all time): one row
 * per group with any answer, the counts behind each. */
static int run_nps_by(const struct kpi_args *a, const pt_snapshot *snap, const char *name, int64_t from, int64_t to)
{
    int tier = strcmp(a->by, "tier") == 0;
    if (tier && !snap->has_accounts) {
        cli_error("--by tier needs points accounts (the store), which this snapshot does not have");
        return EXIT_DATA;
    }
    int32_t *seg = tier ? NULL : malloc((snap->nmembers + 1) * sizeof *seg);
    int rc = tier ? PT_OK : seg ? segments_of(snap, to == INT64_MAX ? a->now : to, seg) : PT_ENOMEM;
    const int32_t *by = tier ? snap->member_tier : seg;
    int32_t lo = INT32_MAX, hi = INT32_MIN;
    for (size_t i = 0; rc == PT_OK && i < snap->nmembers; i++) {
        lo = by[i] < lo ? by[i] : lo;
        hi = by[i] > hi ? by[i] : hi;
    }
    if (rc) {
        free(seg);
        cli_error("nps: %s", pt_strerror(rc));
        return cli_exit_for(rc);
    }
    if (a->out == OUT_JSON) {
        const char *esc = cli_json_str(name);
        printf("{\"survey\":%s,\"by\":\"%s\",\"groups\":[", esc, a->by);
    }
    else
        printf("%-24s %9s %9s %9s %9s %9s %9s %9s\n", a->by, "answers", "members", "promoter", "passive",
               "detractor", "NPS", "left out");
    int first = 1;
    for (int64_t v = lo; snap->nmembers && v <= hi; v++) {
        pt_nps n;
        rc = pt_metrics_nps_slice(&n, snap, name, from, to, by, (int32_t)v);
        if (rc)
            break;
        if (n.answers + n.out_of_range + n.anonymous + n.merged_away == 0)
            continue;
        const char *label = tier ? tier_label(snap, (int32_t)v)
                                 : v < 0 ? "(no segment)" : pt_rfm_segment_key(PT_RFM_MAP11, (int)v);
        if (a->out == OUT_JSON) {
            const char *esc = cli_json_str(label);
            printf("%s{\"group\":%s,", first ? "" : ",", esc);
            print_nps_json_counts(&n);
            printf("}");
        } else
            printf("%-24s %9zu %9zu %9zu %9zu %9zu %9s %9zu\n", label, n.answers, n.respondents, n.promoters,
                   n.passives, n.detractors, nps_text(n.nps_x100), n.out_of_range + n.anonymous + n.merged_away);
        first = 0;
    }
    if (a->out == OUT_JSON)
        printf("]}\n");
    free(seg);
    if (rc) {
        cli_error("nps: %s", pt_strerror(rc));
        return cli_exit_for(rc);
    }
    return EXIT_OK;
}

static int run_nps(pt_db *db, const struct kpi_args *a, const pt_snapshot *snap)
{
    int64_t from, to;
    if (period(db, a, 0, &from, &to))
        return EXIT_USAGE;
    const char *name = a->survey ? a->survey : "nps";
    if (a->by) {
        if (strcmp(a->by, "tier") && strcmp(a->by, "segment")) {
            cli_error("patron nps --by takes tier or segment");
            return EXIT_USAGE;
        }
        return run_nps_by(a, snap, name, from, to);
    }
    pt_nps n;
    int rc = pt_metrics_nps(&n, snap, name, from, to);
    if (rc) {
        cli_error("nps: %s", pt_strerror(rc));
        return cli_exit_for(rc);
    }
    print_nps(name, &n, from, to, a->out);
    return EXIT_OK;
}

/* --- trends ----------------------------------------------------------------------------------- */
static void print_trends(pt_db *db, const struct kpi_args *a, const pt_trend_month *t, size_t n)
{
    if (a->out == OUT_JSON)
        printf("{\"zone\":\"%s\",\"months\":[", cli_tx_zone(db));
    else if (a->out == OUT_CSV)
        printf("month,members,new,active,orders,revenue_cents,aov_cents\n");
    else
        printf("%-8s %10s %8s %8s %8s %16s %12s\n", "month", "members", "new", "active", "orders", "revenue", "AOV");
    for (size_t i = 0; i < n; i++) {
        const pt_trend_month *m = &t[i];
        const char *mo = cli_tx_local_date(db, m->month, 1);
        if (a->out == OUT_JSON)
            printf("%s{\"month\":\"%s\",\"start\":%lld,\"members\":%zu,\"new\":%zu,\"active\":%zu,\"orders\":%lld,"
                   "\"revenue_cents\":%lld,\"aov_cents\":%s}",
                   i ? "," : "", mo, (long long)m->month, m->members, m->members_new, m->active,
                   (long long)m->orders, (long long)m->revenue_cents, jval(m->aov_cents));
        else if (a->out == OUT_CSV)
            printf("%s,%zu,%zu,%zu,%lld,%lld,%s\n", mo, m->members, m->members_new, m->active, (long long)m->orders,
                   (long long)m->revenue_cents, m->aov_cents == PT_METRICS_NONE ? "" : jval(m->aov_cents));
        else
            printf("%-8s %10zu %8zu %8zu %8lld %16s %12s\n", mo, m->members, m->members_new, m->active,
                   (long long)m->orders, cli_money(m->revenue_cents),
                   m->aov_cents == PT_METRICS_NONE ? "—" : cli_money(m->aov_cents));
    }
    if (a->out == OUT_JSON)
        printf("]}\n");
}

static int run_trends(pt_db *db, const struct kpi_args *a, const pt_snapshot *snap)
{
    int64_t from, to;
    if (period(db, a, 12, &from, &to))
        return EXIT_USAGE;
    pt_trend_month *t = NULL;
    size_t n = 0;
    int rc = pt_metrics_trends(&t, &n, snap, cli_tx_zone(db), from, to);
    if (rc) {
        cli_error("trends: %s (at most %d months; is the time zone in config.json known?)", pt_strerror(rc),
                  PT_METRICS_MONTHS_MAX);
        return rc == PT_EINVAL ? EXIT_USAGE : cli_exit_for(rc);
    }
    print_trends(db, a, t, n);
    free(t);
    return EXIT_OK;
}

/* --- running ---------------------------------------------------------------------------------- */
static int run(int cmd, int argc, char **argv)
{
    struct kpi_args a;
    int rc = parse_args(cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    pt_db *db = NULL;
    pt_snapshot *snap = NULL;
    rc = cli_tx_snapshot(&a.tx, &db, &snap);
    if (rc == EXIT_OK) {
        static int (*const runs[])(pt_db *, const struct kpi_args *, const pt_snapshot *) = {run_kpi, run_cohorts,
                                                                                              run_nps, run_trends};
        a.now = cli_tx_now(db, snap);
        rc = runs[cmd](db, &a, snap);
    }
    pt_snapshot_free(snap);
    if (db)
        pt_db_close(db);
    return rc;
}

int cmd_kpi(int argc, char **argv)
{
    return run(CMD_KPI, argc, argv);
}

int cmd_cohorts(int argc, char **argv)
{
    return run(CMD_COHORTS, argc, argv);
}

int cmd_nps(int argc, char **argv)
{
    return run(CMD_NPS, argc, argv);
}

int cmd_trends(int argc, char **argv)
{
    return run(CMD_TRENDS, argc, argv);
}

/* cmd_programme.c — `patron programme check FILE` (every bad field with its JSON path, value and
 * reason; exit 4 on any error, warnings allowed) and `patron programme show FILE` (a readable
 * summary: policies, the tier table, the rules in evaluation order, rewards). Both read only the
 * file: no data directory is needed. The library does the parsing and the ordering; this file
 * only prints. */
#include "cli.h"
#include "patron/ledger.h"
#include "patron/reward.h"
#include "patron/error.h"
#include "patron/programme.h"
#include "patron/rules.h"
#include "patron/tz.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char programme_help[] =
    "usage: patron programme check FILE [--json]\n"
    "       patron programme show FILE [--json]\n"
    "       patron programme load FILE\n"
    "\n"
    "  check   validates a programme file (docs/programme.md): one line per problem,\n"
    "          FILE: PATH: error|warning: REASON (value: VALUE). Exit 0 when there is no error\n"
    "          (warnings are allowed: rules that can never fire or that conflict), 4 otherwise.\n"
    "  show    a summary for people: points policy, tiers, the rules in the order they are\n"
    "          evaluated, rewards and referral rewards; --json prints the canonical programme,\n"
    "          its version and the evaluation order.\n"
    "  load    checks FILE and makes it the store's current programme (kept as a version in\n"
    "          the store, with an audit record); `patron points …` then run under it.\n";

struct prog_args {
    const char *file;
    int         json;
};

static int parse_prog_args(int argc, char **argv, struct prog_args *a)
{
    static const struct option opts[] = {{"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
        if (c == 'j') {
            a->json = 1;
        } else if (c == 'h') {
            fputs(programme_help, stdout);
            return -1;
        } else {
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_error("say which file: patron programme %s FILE [--json]", argv[0]);
        return EXIT_USAGE;
    }
    a->file = argv[optind];
    return EXIT_OK;
}

static const char *severity_name(int s)
{
    return s == PT_ISSUE_ERROR ? "error" : "warning";
}

static void print_issue(FILE *out, const char *file, const pt_programme_issue *is)
{
    fprintf(out, "%s: ", file);
    if (is->path[0])
        fprintf(out, "%s: ", is->path);
    fprintf(out, "%s: %s", severity_name(is->severity), is->reason);
    if (is->value[0])
        fprintf(out, " (value: %s)", is->value);
    fputc('\n', out);
}

static int shown_issues(const pt_programme_report *rep)
{
    int cap = (int)(sizeof rep->issues / sizeof *rep->issues);
    return rep->nissues < cap ? rep->nissues : cap;
}

static void print_report_text(FILE *out, const char *file, const pt_programme_report *rep, const char *version)
{
    int n = shown_issues(rep);
    for (int i = 0; i < n; i++)
        print_issue(out, file, &rep->issues[i]);
    if (rep->nissues > n)
        fprintf(out, "%s: … and %d more\n", file, rep->nissues - n);
    int warnings = rep->nissues - rep->nerrors;
    fprintf(out, "%s: %d error%s, %d warning%s", file, rep->nerrors, rep->nerrors == 1 ? "" : "s", warnings,
            warnings == 1 ? "" : "s");
    if (version)
        fprintf(out, "; version %s", version);
    fputc('\n', out);
}

static void print_report_json(const char *file, const pt_programme_report *rep, const char *version)
{
    json_t *issues = json_array();
    for (int i = 0; i < shown_issues(rep); i++) {
        const pt_programme_issue *is = &rep->issues[i];
        json_array_append_new(issues, json_pack("{s:s, s:s, s:s, s:s}", "severity", severity_name(is->severity),
                                                "path", is->path, "value", is->value, "reason", is->reason));
    }
    json_t *o = json_pack("{s:s, s:b, s:i, s:i, s:o}", "file", file, "valid", rep->nerrors == 0, "errors",
                          rep->nerrors, "warnings", rep->nissues - rep->nerrors, "issues", issues);
    if (version)
        json_object_set_new(o, "version", json_string(version));
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", text ? text : "{}");
    free(text);
    json_decref(o);
}

/* Loads FILE into *p (allocated); the report and the version (when valid) for the caller. */
static int load(const char *file, pt_programme **p, pt_programme_report **rep, char version[33])
{
    *p = calloc(1, sizeof **p);
    *rep = calloc(1, sizeof **rep);
    if (!*p || !*rep)
        return PT_ENOMEM;
    version[0] = 0;
    int rc = pt_programme_load_file(file, *p, *rep);
    if (rc == PT_OK)
        rc = pt_programme_canonical(*p, NULL, version);
    return rc;
}

static int programme_check(int argc, char **argv)
{
    struct prog_args a = {0};
    int code = parse_prog_args(argc, argv, &a);
    if (code)
        return code < 0 ? EXIT_OK : code;
    pt_programme *p;
    pt_programme_report *rep;
    char version[33];
    int rc = load(a.file, &p, &rep, version);
    if (rc == PT_ENOMEM) {
        cli_error("out of memory");
    } else if (a.json) {
        print_report_json(a.file, rep, rc ? NULL : version);
    } else {
        print_report_text(stdout, a.file, rep, rc ? NULL : version);
    }
    free(p);
    free(rep);
    return cli_exit_for(rc);
}

/* --- load ------------------------------------------------------------------------------- */

static int programme_load(int argc, char **argv)
{
    struct prog_args a = {0};
    int code = parse_prog_args(argc, argv, &a);
    if (code)
        return code < 0 ? EXIT_OK : code;
    pt_programme *p;
    pt_programme_report *rep;
    char version[33];
    int rc = load(a.file, &p, &rep, version);
    if (rc == PT_ENOMEM)
        cli_error("out of memory");
    else if (rc)
        print_report_text(stderr, a.file, rep, NULL);
    pt_db *db = rc ? NULL : cli_open();
    pt_ledger *l = NULL;
    if (!rc && !db)
        rc = PT_EIO;
    else if (!rc && (rc = pt_ledger_open(&l, db, p)))
        cli_error("%s", pt_store_errmsg(pt_db_store(db)));
    else if (!rc && (rc = pt_reward_sync_stock(l)))
        cli_error("seeding reward stock: %s", pt_ledger_errmsg(l));
    else if (!rc)
        printf("programme %s (%s) is now current\n", version, p->name);
    pt_ledger_close(l);
    pt_db_close(db);
    free(p);
    free(rep);
    return db || rc != PT_EIO ? cli_exit_for(rc) : EXIT_STORE;
}

/* --- show --------------------------------------------------------------------------------- */

/* Display columns of UTF-8 text: CJK and other wide characters count 2. */
static int display_width(const char *s)
{
    int w = 0;
    for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
        if ((*u & 0xC0) == 0x80)
            continue;
        w += *u >= 0xE1 && *u <= 0xEF ? 2 : 1; /* U+1000…U+FFFF: treat as wide (CJK) */
    }
    return w;
}

static void print_padded(const char *s, int width)
{
    int pad = width - display_width(s);
    printf("%s%*s", s, pad > 0 ? pad : 0, "");
}

static const char *money(const pt_programme *p, int64_t cents)
{
    static char bufs[4][64];
    static int slot;
    char *out = bufs[slot++ % 4];
    if (strcmp(p->currency, "CNY") == 0)
        snprintf(out, 64, "%s", cli_money(cents));
    else
        snprintf(out, 64, "%s %s.%02lld", p->currency, cli_num(cents / 100), (long long)(cents % 100));
    return out;
}

static const char *local_time(const pt_programme *p, int64_t t)
{
    static char bufs[4][32];
    static int slot;
    char *out = bufs[slot++ % 4];
    pt_civil c;
    if (pt_tz_civil(p->timezone, t, &c) != 0)
        snprintf(out, 32, "@%lld", (long long)t);
    else
        snprintf(out, 32, "%04d-%02d-%02d %02d:%02d", c.year, c.month, c.day, c.hour, c.min);
    return out;
}

static void print_points_policy(const pt_programme *p)
{
    printf("Points\n  expiry           ");
    switch (p->expiry_kind) {
    case PT_EXPIRY_DAYS:
        printf("%d days after earning, at the end of that day\n", p->expiry_n);
        break;
    case PT_EXPIRY_MONTHS:
        printf("%d months after earning, at the end of that day\n", p->expiry_n);
        break;
    case PT_EXPIRY_YEAR_END:
        if (p->expiry_n)
            printf("年底清零: end of the %d%s year after the year of earning\n", p->expiry_n,
                   p->expiry_n == 1 ? "st" : p->expiry_n == 2 ? "nd" : p->expiry_n == 3 ? "rd" : "th");
        else
            printf("年底清零: end of the year of earning\n");
        break;
    default:
        printf("never\n");
    }
    printf("  redeem order     %s\n", p->redeem_order == PT_REDEEM_OLDEST ? "oldest first" : "soonest expiring first");
    printf("  return window    %d days (order points stay pending until then)\n", p->pending_days);
    printf("  refunds          %s\n", p->refund_policy == PT_REFUND_DEBT
                                        ? "spent points become a debt, settled from later earnings"
                                        : "spent points are clawed back; the balance may go negative");
    char bp[32];
    if (p->points_per_payment_unit)
        printf("  pay with points  %s points = %s, at most %s%% of an order\n", cli_num(p->points_per_payment_unit),
               money(p, p->payment_unit_cents), pt_bp_str(p->payment_max_bp * 100, bp));
    if (p->daily_points_cap)
        printf("  daily cap        %s points per member per day\n", cli_num(p->daily_points_cap));
    printf("Growth value       %s per %s spent; check-in %s, review %s, share %s\n", cli_num(p->growth_per_unit),
           money(p, p->growth_unit_cents), cli_num(p->growth_checkin), cli_num(p->growth_review),
           cli_num(p->growth_share));
}

static void print_tiers(const pt_programme *p)
{
    char bp[32];
    printf("\nTiers (qualify on %s, reviewed every %d months, a review drops at most %d tier%s)\n",
           p->qualify_basis == PT_QUALIFY_SPEND_12M ? "spend over 12 months (cents)" : "growth value",
           p->review_months, p->downgrade_steps, p->downgrade_steps == 1 ? "" : "s");
    printf("  %-9s %-22s %10s %10s %7s %9s %9s  %s\n", "code", "name", "threshold", "retain", "points",
           "discount", "birthday", "free shipping");
    for (int i = 0; i < p->ntiers; i++) {
        const pt_tier_def *t = &p->tiers[i];
        char name[2 * PT_PROG_NAME_MAX + 2];
        snprintf(name, sizeof name, "%s %s", t->name_zh, t->name_en);
        printf("  %-9s ", t->code);
        print_padded(name, 22);
        printf(" %10s %10s  ×%-5s", cli_num(t->threshold), cli_num(t->retain), pt_bp_str(t->points_multiplier_bp, bp));
        printf(" %8s%% %9s  %s\n", pt_bp_str(t->discount_bp * 100, bp), cli_num(t->birthday_gift_points),
               t->free_shipping ? "yes" : "no");
    }
}

static void rule_detail(const pt_programme *p, const pt_rule_def *r, int stage, char *buf, size_t cap)
{
    char bp[32], list[512] = "";
    for (int i = 0; i < r->nmatch; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", r->match[i]);
    pt_bp_str(r->multiplier_bp, bp);
    switch (r->kind) {
    case PT_RULE_BASE:
        snprintf(buf, cap, "%s pt per %s%s%s", cli_num(r->points), money(p, r->unit_cents),
                 r->nmatch ? " for " : "", list);
        break;
    case PT_RULE_SKU:
    case PT_RULE_CATEGORY:
        snprintf(buf, cap, "×%s on %s", bp, list);
        break;
    case PT_RULE_MEMBER_DAY:
        snprintf(buf, cap, "×%s on day %d of each month", bp, r->day_of_month);
        break;
    case PT_RULE_WINDOW:
        snprintf(buf, cap, "×%s", bp);
        break;
    case PT_RULE_BIRTHDAY:
        if (stage == 3)
            snprintf(buf, cap, "+%s pts in the birthday month", cli_num(r->points));
        else
            snprintf(buf, cap, "×%s in the birthday month", bp);
        break;
    case PT_RULE_TIER:
        snprintf(buf, cap, "× the member's tier multiplier");
        break;
    case PT_RULE_CHECKIN:
        if (r->streak_days)
            snprintf(buf, cap, "+%s pts; +%s every %d days in a row", cli_num(r->points), cli_num(r->streak_points),
                     r->streak_days);
        else
            snprintf(buf, cap, "+%s pts", cli_num(r->points));
        break;
    default:
        snprintf(buf, cap, "+%s pts", cli_num(r->points));
    }
}

static void rule_limits(const pt_programme *p, const pt_rule_def *r, char *buf, size_t cap)
{
    buf[0] = 0;
    if (r->kind != PT_RULE_BASE && r->kind != PT_RULE_TIER && r->stackable)
        snprintf(buf + strlen(buf), cap - strlen(buf), "; stacks");
    if (r->starts_at || r->ends_at)
        snprintf(buf + strlen(buf), cap - strlen(buf), "; [%s, %s)", r->starts_at ? local_time(p, r->starts_at) : "…",
                 r->ends_at ? local_time(p, r->ends_at) : "…");
    if (r->daily_cap)
        snprintf(buf + strlen(buf), cap - strlen(buf), "; daily cap %s", cli_num(r->daily_cap));
    if (r->member_cap)
        snprintf(buf + strlen(buf), cap - strlen(buf), "; member cap %s", cli_num(r->member_cap));
    if (r->budget)
        snprintf(buf + strlen(buf), cap - strlen(buf), "; budget %s", cli_num(r->budget));
}

static void print_rules(const pt_programme *p)
{
    static const char *const stage_names[] = {"", "1 base", "2 multiply", "3 bonus", "4 activity"};
    pt_rule_slot order[2 * PT_PROG_RULES_MAX];
    int n = pt_rules_order(p, order);
    printf("\nRules in evaluation order (then each rule's caps, then the programme's daily cap)\n");
    for (int i = 0; i < n; i++) {
        const pt_rule_def *r = &p->rules[order[i].rule];
        char detail[768], limits[256];
        rule_detail(p, r, order[i].stage, detail, sizeof detail);
        rule_limits(p, r, limits, sizeof limits);
        printf("  %-10s %-24s %-14s %s%s\n", stage_names[order[i].stage], r->code, pt_rule_kind_name(r->kind), detail,
               limits);
        if (r->name[0])
            printf("  %-10s %-24s %-14s %s\n", "", "", "", r->name);
    }
}

static void print_rewards(const pt_programme *p)
{
    printf("\nRewards\n");
    for (int i = 0; i < p->nrewards; i++) {
        const pt_reward_def *w = &p->rewards[i];
        printf("  %-24s %8s pts  ", w->code, cli_num(w->cost_points));
        print_padded(w->name, 28);
        printf(" stock %s", w->stock < 0 ? "unlimited" : cli_num(w->stock));
        if (w->per_member_limit)
            printf(", %s per member", cli_num(w->per_member_limit));
        if (w->min_tier[0])
            printf(", %s and above", w->min_tier);
        if (w->is_coupon)
            printf(", coupon %s for %d days%s%s", money(p, w->coupon_value_cents), w->coupon_valid_days,
                   w->coupon_min_spend_cents ? " on orders from " : "",
                   w->coupon_min_spend_cents ? money(p, w->coupon_min_spend_cents) : "");
        if (w->valid_from || w->valid_to)
            printf(", [%s, %s)", w->valid_from ? local_time(p, w->valid_from) : "…",
                   w->valid_to ? local_time(p, w->valid_to) : "…");
        printf("\n");
    }
    printf("Referral           %s points to the referrer, %s to the invitee, after the invitee's first purchase\n",
           cli_num(p->referral_referrer_points), cli_num(p->referral_invitee_points));
}

static int print_show_json(const pt_programme *p, const char *version)
{
    pt_buf canon;
    pt_buf_init(&canon, 0);
    int rc = pt_programme_canonical(p, &canon, NULL);
    json_t *prog = rc ? NULL : json_loads(pt_buf_str(&canon), 0, NULL);
    pt_buf_free(&canon);
    json_t *order = json_array();
    pt_rule_slot slots[2 * PT_PROG_RULES_MAX];
    int n = pt_rules_order(p, slots);
    for (int i = 0; i < n; i++)
        json_array_append_new(order, json_pack("{s:i, s:s}", "stage", slots[i].stage, "rule",
                                               p->rules[slots[i].rule].code));
    json_t *o = json_pack("{s:s, s:o*, s:o}", "version", version, "programme", prog, "evaluation_order", order);
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", text ? text : "{}");
    free(text);
    json_decref(o);
    return rc;
}

static int programme_show(int argc, char **argv)
{
    struct prog_args a = {0};
    int code = parse_prog_args(argc, argv, &a);
    if (code)
        return code < 0 ? EXIT_OK : code;
    pt_programme *p;
    pt_programme_report *rep;
    char version[33];
    int rc = load(a.file, &p, &rep, version);
    if (rc == PT_ENOMEM) {
        cli_error("out of memory");
    } else if (rc) {
        print_report_text(stderr, a.file, rep, NULL);
    } else if (a.json) {
        rc = print_show_json(p, version);
    } else {
        printf("%s — %s, %s, version %s\n\n", p->name, p->currency, p->timezone, version);
        print_points_policy(p);
        print_tiers(p);
        print_rules(p);
        print_rewards(p);
    }
    free(p);
    free(rep);
    return cli_exit_for(rc);
}

int cmd_programme(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(programme_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[1], "check") == 0)
        return programme_check(argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0)
        return programme_show(argc - 1, argv + 1);
    if (strcmp(argv[1], "load") == 0)
        return programme_load(argc - 1, argv + 1);
    cli_error("'%s' is not a programme subcommand; see `patron programme --help`", argv[1]);
    return EXIT_USAGE;
}

/* cmd_coupon.c — `patron coupon issue|use|list` (reward.h): issue a coupon to a member (an
 * unguessable 16-character code), use it once on an order, list a member's coupons. issue
 * takes --key (repeating it prints the same coupon); use takes --ref (repeating the same use
 * prints it again; another use is refused). */
#include "rewards_cli.h"
#include "patron/error.h"
#include "patron/reward.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct coupon_args {
    const char *key, *ref, *actor, *source;
    int64_t     value_cents, min_spend_cents;
    int         days;
    int         json;
    char      **pos;
    int         npos;
};

static void coupon_usage(void)
{
    printf("usage: patron coupon SUBCOMMAND [arguments] [options]\n"
           "\n"
           "  issue MEMBER --value-cents N --days D --key K   issue a coupon worth N cents, valid D days\n"
           "        [--min-spend-cents N] [--source S]         (0 days: never expires)\n"
           "  use CODE --ref ORDER_NO                          use a coupon once\n"
           "  list MEMBER                                      the member's coupons and their state\n"
           "\n"
           "options: --json, --operator NAME (who did it, for the audit log)\n"
           "A coupon expires at the end of the local day D days after issue. Using it twice, or\n"
           "after it expired, exits 4 with the reason. MEMBER is a member number or a numeric id.\n");
}

static int number(const char *s, const char *what, int64_t *v)
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

static int parse(int argc, char **argv, struct coupon_args *a)
{
    static const struct option opts[] = {
        {"key", required_argument, 0, 'k'},         {"ref", required_argument, 0, 'r'},
        {"operator", required_argument, 0, 'o'},    {"source", required_argument, 0, 's'},
        {"value-cents", required_argument, 0, 'v'}, {"min-spend-cents", required_argument, 0, 'm'},
        {"days", required_argument, 0, 'd'},        {"json", no_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},              {0, 0, 0, 0}};
    int c, code = EXIT_OK;
    int64_t days = 0;
    optind = 1;
    while (code == EXIT_OK && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': a->key = optarg; break;
        case 'r': a->ref = optarg; break;
        case 'o': a->actor = optarg; break;
        case 's': a->source = optarg; break;
        case 'v': code = number(optarg, "--value-cents", &a->value_cents); break;
        case 'm': code = number(optarg, "--min-spend-cents", &a->min_spend_cents); break;
        case 'd': code = number(optarg, "--days", &days); a->days = days > 36600 ? 36600 : (int)days; break;
        case 'j': a->json = 1; break;
        case 'h': coupon_usage(); return -1;
        default: return EXIT_USAGE;
        }
    }
    if (code == EXIT_OK && optind >= argc) {
        coupon_usage();
        return EXIT_USAGE;
    }
    a->pos = argv + optind;
    a->npos = argc - optind;
    return code;
}

static json_t *coupon_json(const pt_coupon_rec *c)
{
    return json_pack("{sI ss sI sI sI sI sI ss ss}", "member_id", (json_int_t)c->member_id, "code", c->code,
                     "value_cents", (json_int_t)c->value_cents, "min_spend_cents", (json_int_t)c->min_spend_cents,
                     "issued_at", (json_int_t)c->issued_at, "expires_at", (json_int_t)c->expires_at, "used_at",
                     (json_int_t)c->used_at, "used_ref", c->used_ref, "source", c->source);
}

static int coupon_issue(pt_db *db, pt_ledger *l, const struct coupon_args *a)
{
    if (a->npos != 2 || !a->key || a->value_cents <= 0) {
        cli_error("coupon issue takes MEMBER --value-cents N --days D --key KEY (see patron coupon --help)");
        return EXIT_USAGE;
    }
    int64_t member;
    int code = rewards_cli_member(db, a->pos[1], &member);
    if (code)
        return code;
    pt_coupon_spec spec = {.value_cents = a->value_cents, .min_spend_cents = a->min_spend_cents,
                           .valid_days = a->days, .source = a->source};
    pt_ledger_req req = {.idem_key = a->key, .actor = a->actor};
    pt_coupon_rec c;
    int rc = pt_coupon_issue(l, member, &spec, &req, &c);
    if (rc)
        return rewards_cli_fail(l, rc);
    if (a->json)
        rewards_cli_print_json(coupon_json(&c));
    else
        printf("coupon %s: %s off%s, valid until %s\n", c.code, cli_money(c.value_cents),
               c.min_spend_cents ? " (minimum spend applies)" : "",
               rewards_cli_time(pt_ledger_programme(l), c.expires_at));
    return EXIT_OK;
}

static int coupon_use(pt_ledger *l, const struct coupon_args *a)
{
    if (a->npos != 2 || !a->ref) {
        cli_error("coupon use takes CODE --ref ORDER_NO (see patron coupon --help)");
        return EXIT_USAGE;
    }
    pt_coupon_rec c;
    int replayed = 0;
    int rc = pt_coupon_use(l, a->pos[1], a->ref, a->actor, &c, &replayed);
    if (rc)
        return rewards_cli_fail(l, rc);
    if (a->json)
        rewards_cli_print_json(coupon_json(&c));
    else
        printf("%scoupon %s used on %s: %s off\n", replayed ? "(already applied) " : "", c.code, c.used_ref,
               cli_money(c.value_cents));
    return EXIT_OK;
}

struct list_ctx {
    const pt_programme *p;
    int64_t             now;
    json_t             *arr;
};

static int print_coupon(void *ud, const pt_coupon_rec *c)
{
    struct list_ctx *x = ud;
    if (x->arr) {
        json_t *j = coupon_json(c);
        json_object_set_new(j, "state", json_string(pt_coupon_state_name(c, x->now)));
        json_array_append_new(x->arr, j);
        return PT_OK;
    }
    printf("%-16s %12s  %-7s  until %-16s  %s%s%s\n", c->code, cli_money(c->value_cents),
           pt_coupon_state_name(c, x->now), rewards_cli_time(x->p, c->expires_at), c->source,
           c->used_ref[0] ? "  used on " : "", c->used_ref);
    return PT_OK;
}

static int coupon_list(pt_db *db, pt_ledger *l, const struct coupon_args *a)
{
    if (a->npos != 2) {
        cli_error("coupon list takes MEMBER (see patron coupon --help)");
        return EXIT_USAGE;
    }
    int64_t member;
    int code = rewards_cli_member(db, a->pos[1], &member);
    if (code)
        return code;
    struct list_ctx x = {pt_ledger_programme(l), pt_db_now(db), a->json ? json_array() : NULL};
    int rc = pt_coupon_list(l, member, print_coupon, &x);
    if (rc) {
        json_decref(x.arr);
        return rewards_cli_fail(l, rc);
    }
    if (x.arr)
        rewards_cli_print_json(json_pack("{sI so}", "member_id", (json_int_t)member, "coupons", x.arr));
    return EXIT_OK;
}

int cmd_coupon(int argc, char **argv)
{
    struct coupon_args a = {0};
    int code = parse(argc, argv, &a);
    if (code)
        return code < 0 ? EXIT_OK : code;
    const char *sub = a.pos[0];
    if (strcmp(sub, "issue") != 0 && strcmp(sub, "use") != 0 && strcmp(sub, "list") != 0) {
        cli_error("'%s' is not a coupon subcommand (see patron coupon --help)", sub);
        return EXIT_USAGE;
    }
    pt_db *db;
    pt_ledger *l;
    if ((code = rewards_cli_open(&db, &l)))
        return code;
    if (strcmp(sub, "issue") == 0)
        code = coupon_issue(db, l, &a);
    else if (strcmp(sub, "use") == 0)
        code = coupon_use(l, &a);
    else
        code = coupon_list(db, l, &a);
    rewards_cli_close(db, l);
    return code;
}

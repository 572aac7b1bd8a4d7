/* cmd_reward.c — `patron reward list|redeem`: the rewards catalogue with its stock, and
 * redemption of a reward for points (reward.h). MEMBER is a member number or a numeric id;
 * redeem takes --key (the idempotency key: repeating the command prints the first result and
 * takes no more stock). */
#include "rewards_cli.h"
#include "patron/error.h"
#include "patron/reward.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

struct reward_args {
    const char *key, *actor;
    int         json;
    char      **pos;
    int         npos;
};

static void reward_usage(void)
{
    printf("usage: patron reward SUBCOMMAND [arguments] [options]\n"
           "\n"
           "  list [--json]                          the programme's rewards: cost, stock left, limits\n"
           "  redeem MEMBER CODE --key K [--json]    redeem one unit of reward CODE for MEMBER's points\n"
           "\n"
           "options: --operator NAME (who did it, for the audit log)\n"
           "A redemption checks the reward's validity window, tier, per-member limit, the member's\n"
           "points and the stock, all in one transaction; stock is never oversold. Out of stock,\n"
           "over the limit or short of points: exit 1 with the reason. MEMBER is a member number\n"
           "or a numeric member id.\n");
}

static int parse(int argc, char **argv, struct reward_args *a)
{
    static const struct option opts[] = {{"key", required_argument, 0, 'k'},
                                         {"operator", required_argument, 0, 'o'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': a->key = optarg; break;
        case 'o': a->actor = optarg; break;
        case 'j': a->json = 1; break;
        case 'h': reward_usage(); return -1;
        default: return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        reward_usage();
        return EXIT_USAGE;
    }
    a->pos = argv + optind;
    a->npos = argc - optind;
    return EXIT_OK;
}

struct list_ctx {
    json_t *arr;
};

static int print_reward(void *ud, const pt_reward_info *r)
{
    struct list_ctx *c = ud;
    const pt_reward_def *d = r->def;
    if (c->arr) {
        json_array_append_new(c->arr, json_pack("{ss ss sI sI sI sI ss sb sb}", "code", d->code, "name", d->name,
                                                "cost_points", (json_int_t)d->cost_points, "stock",
                                                (json_int_t)r->stock, "issued", (json_int_t)r->issued,
                                                "per_member_limit", (json_int_t)d->per_member_limit, "min_tier",
                                                d->min_tier, "coupon", d->is_coupon, "available", r->available));
        return PT_OK;
    }
    char stock[32], limit[32];
    snprintf(stock, sizeof stock, "%s", r->stock < 0 ? "unlimited" : cli_num(r->stock));
    snprintf(limit, sizeof limit, "%s", d->per_member_limit ? cli_num(d->per_member_limit) : "-");
    printf("%-22s %10s %10s %6s  %-8s %s%s%s\n", d->code, cli_num(d->cost_points), stock, limit,
           d->min_tier[0] ? d->min_tier : "-", d->name, d->is_coupon ? " (coupon)" : "",
           r->available ? "" : " [not available now]");
    return PT_OK;
}

static int reward_list(pt_ledger *l, const struct reward_args *a)
{
    struct list_ctx c = {a->json ? json_array() : NULL};
    if (!a->json)
        printf("%-22s %10s %10s %6s  %-8s %s\n", "code", "points", "stock", "limit", "tier", "name");
    int rc = pt_reward_list(l, print_reward, &c);
    if (rc) {
        json_decref(c.arr);
        return rewards_cli_fail(l, rc);
    }
    if (c.arr)
        rewards_cli_print_json(json_pack("{so}", "rewards", c.arr));
    return EXIT_OK;
}

static void print_redeemed(const pt_ledger *l, const struct reward_args *a, const pt_reward_result *r)
{
    if (a->json) {
        json_t *j = json_pack("{sI sI ss sI sI sI sI}", "member_id", (json_int_t)r->member_id, "redemption_id",
                              (json_int_t)r->redemption_id, "reward", r->reward, "points", (json_int_t)r->points,
                              "entry_id", (json_int_t)r->entry_id, "balance", (json_int_t)r->balance, "stock_left",
                              (json_int_t)r->stock_left);
        if (r->coupon_code[0])
            json_object_set_new(j, "coupon", json_pack("{ss sI}", "code", r->coupon_code, "expires_at",
                                                       (json_int_t)r->coupon_expires_at));
        rewards_cli_print_json(j);
        return;
    }
    printf("%sredeemed %s for %s points; balance %s", r->replayed ? "(already applied) " : "", r->reward,
           cli_num(r->points), cli_num(r->balance));
    if (r->stock_left >= 0)
        printf("; %s left", cli_num(r->stock_left));
    printf("\n");
    if (r->coupon_code[0])
        printf("coupon %s, valid until %s\n", r->coupon_code,
               rewards_cli_time(pt_ledger_programme(l), r->coupon_expires_at));
}

static int reward_redeem(pt_db *db, pt_ledger *l, const struct reward_args *a)
{
    if (a->npos != 3 || !a->key) {
        cli_error("reward redeem takes MEMBER CODE --key KEY (see patron reward --help)");
        return EXIT_USAGE;
    }
    int64_t member;
    int code = rewards_cli_member(db, a->pos[1], &member);
    if (code)
        return code;
    pt_ledger_req req = {.idem_key = a->key, .actor = a->actor};
    pt_reward_result r;
    int rc = pt_reward_redeem(l, member, a->pos[2], &req, &r);
    if (rc)
        return rewards_cli_fail(l, rc);
    print_redeemed(l, a, &r);
    return EXIT_OK;
}

int cmd_reward(int argc, char **argv)
{
    struct reward_args a = {0};
    int code = parse(argc, argv, &a);
    if (code)
        return code < 0 ? EXIT_OK : code;
    int list = strcmp(a.pos[0], "list") == 0;
    if (!list && strcmp(a.pos[0], "redeem") != 0) {
        cli_error("'%s' is not a reward subcommand (see patron reward --help)", a.pos[0]);
        return EXIT_USAGE;
    }
    pt_db *db;
    pt_ledger *l;
    if ((code = rewards_cli_open(&db, &l)))
        return code;
    code = list ? reward_list(l, &a) : reward_redeem(db, l, &a);
    rewards_cli_close(db, l);
    return code;
}

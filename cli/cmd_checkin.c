/* cmd_checkin.c — `patron checkin MEMBER [--kind checkin|review|share] --key K` (reward.h):
 * points and growth value for a daily check-in (once per local day, with streak bonuses), a
 * review or a share, under the programme's rules. Repeating the command with the same key
 * prints the first result and changes nothing. */
#include "rewards_cli.h"
#include "patron/error.h"
#include "patron/reward.h"
#include "patron/tz.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct checkin_args {
    const char *key, *actor, *kind, *at;
    int         json;
    char      **pos;
    int         npos;
};

static void checkin_usage(void)
{
    printf("usage: patron checkin MEMBER --key K [--kind checkin|review|share] [options]\n"
           "\n"
           "Points and growth value for an activity under the programme's rules: a daily check-in\n"
           "(once per local day; every streak of N days in a row adds the rule's bonus), a review\n"
           "or a share. --kind defaults to checkin.\n"
           "\n"
           "options: --json, --at DATE (YYYY-MM-DD[THH:MM:SS] local to the programme, or @EPOCH;\n"
           "         default now), --operator NAME\n"
           "A second check-in the same local day exits 1. MEMBER is a member number or a numeric id.\n");
}

static int parse(int argc, char **argv, struct checkin_args *a)
{
    static const struct option opts[] = {
        {"key", required_argument, 0, 'k'}, {"kind", required_argument, 0, 'K'},
        {"at", required_argument, 0, 't'},  {"operator", required_argument, 0, 'o'},
        {"json", no_argument, 0, 'j'},      {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': a->key = optarg; break;
        case 'K': a->kind = optarg; break;
        case 't': a->at = optarg; break;
        case 'o': a->actor = optarg; break;
        case 'j': a->json = 1; break;
        case 'h': checkin_usage(); return -1;
        default: return EXIT_USAGE;
        }
    }
    a->pos = argv + optind;
    a->npos = argc - optind;
    if (a->npos != 1 || !a->key) {
        cli_error("checkin takes MEMBER --key KEY (see patron checkin --help)");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static int parse_when(const pt_programme *p, const char *s, int64_t *t)
{
    if (s[0] == '@') {
        *t = strtoll(s + 1, NULL, 10);
        return EXIT_OK;
    }
    pt_civil c = {0};
    int n = sscanf(s, "%d-%d-%dT%d:%d:%d", &c.year, &c.month, &c.day, &c.hour, &c.min, &c.sec);
    if ((n != 3 && n != 6) || pt_tz_utc(p->timezone, &c, t) != PT_OK) {
        cli_error("'%s' is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS in %s, or @EPOCH)", s, p->timezone);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static void print_result(const struct checkin_args *a, const pt_activity_result *r)
{
    if (a->json) {
        rewards_cli_print_json(json_pack("{sI ss si sI sI sI sI sI}", "member_id", (json_int_t)r->member_id, "kind",
                                         pt_activity_kind_name(r->kind), "streak", r->streak, "points",
                                         (json_int_t)r->points, "growth", (json_int_t)r->growth, "entry_id",
                                         (json_int_t)r->entry_id, "balance", (json_int_t)r->balance, "at",
                                         (json_int_t)r->at));
        return;
    }
    printf("%s%s: %+lld points, %+lld growth", r->replayed ? "(already applied) " : "",
           pt_activity_kind_name(r->kind), (long long)r->points, (long long)r->growth);
    if (r->kind == PT_RULE_CHECKIN)
        printf(", streak %d day%s", r->streak, r->streak == 1 ? "" : "s");
    printf("; balance %s\n", cli_num(r->balance));
}

static int run(pt_db *db, pt_ledger *l, const struct checkin_args *a, int kind)
{
    int64_t member;
    int code = rewards_cli_member(db, a->pos[0], &member);
    if (code)
        return code;
    pt_ledger_req req = {.idem_key = a->key, .actor = a->actor};
    if (a->at && (code = parse_when(pt_ledger_programme(l), a->at, &req.at)))
        return code;
    pt_activity_result r;
    int rc = pt_activity_earn(l, member, kind, &req, &r);
    if (rc)
        return rewards_cli_fail(l, rc);
    print_result(a, &r);
    return EXIT_OK;
}

int cmd_checkin(int argc, char **argv)
{
    struct checkin_args a = {0};
    int code = parse(argc, argv, &a);
    if (code)
        return code < 0 ? EXIT_OK : code;
    int kind = pt_activity_kind_parse(a.kind ? a.kind : "checkin");
    if (!kind) {
        cli_error("--kind is checkin, review or share, not '%s'", a.kind);
        return EXIT_USAGE;
    }
    pt_db *db;
    pt_ledger *l;
    if ((code = rewards_cli_open(&db, &l)))
        return code;
    code = run(db, l, &a, kind);
    rewards_cli_close(db, l);
    return code;
}

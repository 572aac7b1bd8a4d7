/* cmd_referral.c — `patron referral code|register|review` (reward.h): a member's invite code
 * (created on first request), linking an invitee to a code (refused for the same person; held
 * for review when the two share an account identifier), and the review of a held referral.
 * The reward itself is paid on the invitee's first purchase (pt_referral_on_first_purchase). */
#include "rewards_cli.h"
#include "patron/error.h"
#include "patron/reward.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

struct referral_args {
    const char *actor, *reason;
    int         json;
    char      **pos;
    int         npos;
};

static void referral_usage(void)
{
    printf("usage: patron referral SUBCOMMAND [arguments] [options]\n"
           "\n"
           "  code MEMBER                       the member's invite code (created on first request)\n"
           "  register INVITEE CODE             link a new member to the owner of an invite code\n"
           "  review INVITEE approve|reject [--reason TEXT]   decide a referral held for review\n"
           "\n"
           "options: --json, --operator NAME (who did it, for the audit log)\n"
           "A referral is refused for the member's own code, members merged as one person, or an\n"
           "invitee who already bought; recorded as rejected when the two share a phone or e-mail,\n"
           "held for review when they share an app account, WeChat id, store card or e-shop\n"
           "account. Both members get the programme's referral points on the invitee's first\n"
           "purchase, once. MEMBER and INVITEE are member numbers or numeric ids.\n");
}

static int parse(int argc, char **argv, struct referral_args *a)
{
    static const struct option opts[] = {{"operator", required_argument, 0, 'o'},
                                         {"reason", required_argument, 0, 'r'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': a->actor = optarg; break;
        case 'r': a->reason = optarg; break;
        case 'j': a->json = 1; break;
        case 'h': referral_usage(); return -1;
        default: return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        referral_usage();
        return EXIT_USAGE;
    }
    a->pos = argv + optind;
    a->npos = argc - optind;
    return EXIT_OK;
}

static int referral_code(pt_db *db, pt_ledger *l, const struct referral_args *a)
{
    int64_t member;
    int code = rewards_cli_member(db, a->pos[1], &member);
    if (code)
        return code;
    char invite[PT_COUPON_CODE_MAX];
    int rc = pt_referral_code(l, member, invite);
    if (rc)
        return rewards_cli_fail(l, rc);
    if (a->json)
        rewards_cli_print_json(json_pack("{sI ss}", "member_id", (json_int_t)member, "code", invite));
    else
        printf("%s\n", invite);
    return EXIT_OK;
}

static int referral_register(pt_db *db, pt_ledger *l, const struct referral_args *a)
{
    int64_t invitee;
    int code = rewards_cli_member(db, a->pos[1], &invitee);
    if (code)
        return code;
    pt_referral_rec r;
    int rc = pt_referral_register(l, invitee, a->pos[2], a->actor, &r);
    if (rc)
        return rewards_cli_fail(l, rc);
    if (a->json)
        rewards_cli_print_json(json_pack("{sI sI ss ss}", "invitee", (json_int_t)r.member_id, "referrer",
                                         (json_int_t)r.referrer_id, "state", pt_referral_state_name(r.state),
                                         "reason", r.reason));
    else
        printf("referral of member %lld by member %lld: %s%s%s\n", (long long)r.member_id,
               (long long)r.referrer_id, pt_referral_state_name(r.state), r.reason[0] ? " — " : "", r.reason);
    return r.state == PT_REFERRAL_REJECTED ? EXIT_DATA : EXIT_OK;
}

static int referral_review(pt_db *db, pt_ledger *l, const struct referral_args *a)
{
    int approve = strcmp(a->pos[2], "approve") == 0;
    if (!approve && strcmp(a->pos[2], "reject") != 0) {
        cli_error("referral review takes INVITEE approve|reject");
        return EXIT_USAGE;
    }
    int64_t invitee;
    int code = rewards_cli_member(db, a->pos[1], &invitee);
    if (code)
        return code;
    int rc = pt_referral_review(l, invitee, approve, a->actor, a->reason);
    if (rc)
        return rewards_cli_fail(l, rc);
    printf("referral of member %lld %s\n", (long long)invitee, approve ? "approved" : "rejected");
    return EXIT_OK;
}

int cmd_referral(int argc, char **argv)
{
    struct referral_args a = {0};
    int code = parse(argc, argv, &a);
    if (code)
        return code < 0 ? EXIT_OK : code;
    static const struct {
        const char *name;
        int         npos;
        int (*fn)(pt_db *, pt_ledger *, const struct referral_args *);
    } subs[] = {{"code", 2, referral_code}, {"register", 3, referral_register}, {"review", 3, referral_review}};
    for (size_t i = 0; i < sizeof subs / sizeof *subs; i++) {
        if (strcmp(a.pos[0], subs[i].name) != 0)
            continue;
        if (a.npos != subs[i].npos) {
            cli_error("wrong arguments for referral %s (see patron referral --help)", subs[i].name);
            return EXIT_USAGE;
        }
        pt_db *db;
        pt_ledger *l;
        if ((code = rewards_cli_open(&db, &l)))
            return code;
        code = subs[i].fn(db, l, &a);
        rewards_cli_close(db, l);
        return code;
    }
    cli_error("'%s' is not a referral subcommand (see patron referral --help)", a.pos[0]);
    return EXIT_USAGE;
}

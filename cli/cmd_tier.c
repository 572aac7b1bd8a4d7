/* cmd_tier.c — `patron tier show|evaluate|review|history`: a member's tier and what it takes
 * to rise or keep it, and the tier review job. Thin over tier.h. */
#include "cli.h"
#include "patron/error.h"
#include "patron/member.h"
#include "patron/tier.h"
#include "patron/tz.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void tier_usage(void)
{
    printf("usage: patron tier SUBCOMMAND [MEMBER] [options]\n"
           "\n"
           "  show MEMBER       current tier, since when, growth value this period, next review\n"
           "  evaluate MEMBER   what the member needs to rise or to keep the tier, and what a review\n"
           "                    now would decide (writes nothing)\n"
           "  history MEMBER    every tier change with its reason\n"
           "  review [--as-of DATE]   run the tier reviews due by DATE (default now)\n"
           "\n"
           "options: --json. MEMBER is a member number or a numeric member id; DATE is YYYY-MM-DD\n"
           "in the programme's time zone, or @EPOCH.\n");
}

static int member_of(pt_db *db, const char *arg, int64_t *id)
{
    int rc = pt_member_id_of_no(db, arg, id);
    if (rc == PT_ENOTFOUND && strspn(arg, "0123456789") == strlen(arg) && *arg) {
        *id = strtoll(arg, NULL, 10);
        return PT_OK;
    }
    if (rc)
        cli_error("%s", pt_db_errmsg(db));
    return rc;
}

static int show(pt_ledger *l, int64_t member, int json, int evaluate)
{
    pt_tier_status st;
    const pt_programme *p = pt_ledger_programme(l);
    int rc = pt_tier_status_of(l, member, 0, &st);
    if (rc) {
        cli_error("%s", pt_ledger_errmsg(l));
        return cli_exit_for(rc);
    }
    const char *next = st.next_tier >= 0 ? p->tiers[st.next_tier].code : "";
    if (json) {
        printf("{\"member_id\":%lld,\"tier\":\"%s\",\"tier_since\":%lld,\"review_at\":%lld,\"period_growth\":%lld,"
               "\"next_tier\":\"%s\",\"growth_to_next\":%lld,\"growth_to_retain\":%lld,\"tier_at_review\":\"%s\"}\n",
               (long long)member, p->tiers[st.tier].code, (long long)st.tier_since, (long long)st.review_at,
               (long long)st.period_growth, next, (long long)st.growth_to_next, (long long)st.growth_to_retain,
               p->tiers[st.tier_at_review].code);
        return EXIT_OK;
    }
    pt_civil c = {0};
    pt_tz_civil(p->timezone, st.review_at, &c);
    printf("tier          %s (%s / %s)\n", p->tiers[st.tier].code, p->tiers[st.tier].name_zh, p->tiers[st.tier].name_en);
    printf("period growth %s\n", cli_num(st.period_growth));
    if (st.review_at)
        printf("next review   %04d-%02d-%02d\n", c.year, c.month, c.day);
    if (!evaluate)
        return EXIT_OK;
    if (st.next_tier >= 0)
        printf("to reach %-6s %s more growth value\n", next, cli_num(st.growth_to_next));
    printf("to keep %-7s %s more growth value by the review\n", p->tiers[st.tier].code, cli_num(st.growth_to_retain));
    printf("a review now  %s\n", p->tiers[st.tier_at_review].code);
    return EXIT_OK;
}

static int print_change(void *ud, const pt_tier_change_rec *r)
{
    (void)ud;
    printf("%8lld  @%lld  %s → %s  %s (%s)\n", (long long)r->id, (long long)r->at, r->from_tier, r->to_tier, r->reason,
           r->actor);
    return PT_OK;
}

static int review(pt_db *db, pt_ledger *l, const char *as_of_arg, int json)
{
    int64_t as_of = pt_db_now(db);
    if (as_of_arg) {
        pt_civil c = {0};
        if (as_of_arg[0] == '@')
            as_of = strtoll(as_of_arg + 1, NULL, 10);
        else if (sscanf(as_of_arg, "%d-%d-%d", &c.year, &c.month, &c.day) != 3 ||
                 pt_tz_utc(pt_ledger_programme(l)->timezone, &c, &as_of)) {
            cli_error("--as-of takes YYYY-MM-DD or @EPOCH");
            return EXIT_USAGE;
        }
    }
    pt_tier_review_stats st;
    int rc = pt_tier_run_reviews(l, as_of, &st);
    if (rc) {
        cli_error("%s", pt_ledger_errmsg(l));
        return cli_exit_for(rc);
    }
    if (json)
        printf("{\"reviewed\":%lld,\"kept\":%lld,\"upgraded\":%lld,\"downgraded\":%lld}\n", (long long)st.reviewed,
               (long long)st.kept, (long long)st.upgraded, (long long)st.downgraded);
    else
        printf("reviewed %s: kept %s, upgraded %s, downgraded %s\n", cli_num(st.reviewed), cli_num(st.kept),
               cli_num(st.upgraded), cli_num(st.downgraded));
    return EXIT_OK;
}

int cmd_tier(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, 0, 'j'}, {"as-of", required_argument, 0, 'a'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c, json = 0;
    const char *as_of = NULL;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'j')
            json = 1;
        else if (c == 'a')
            as_of = optarg;
        else if (c == 'h')
            return tier_usage(), EXIT_OK;
        else
            return EXIT_USAGE;
    }
    const char *sub = optind < argc ? argv[optind] : NULL;
    int is_review = sub && strcmp(sub, "review") == 0;
    if (!sub || (!is_review && optind + 2 != argc) ||
        (!is_review && strcmp(sub, "show") && strcmp(sub, "evaluate") && strcmp(sub, "history"))) {
        tier_usage();
        return EXIT_USAGE;
    }
    pt_db *db = cli_open();
    if (!db)
        return EXIT_STORE;
    pt_ledger *l = NULL;
    char err[512];
    int code = EXIT_OK;
    int64_t member = 0;
    int rc = pt_ledger_open_current(&l, db, err, sizeof err);
    if (rc) {
        cli_error("%s", err);
        code = cli_exit_for(rc);
    } else if (is_review) {
        code = review(db, l, as_of, json);
    } else if (member_of(db, argv[optind + 1], &member)) {
        code = EXIT_NOTFOUND;
    } else if (strcmp(sub, "history") == 0) {
        rc = pt_store_tier_change_list(pt_db_store(db), member, print_change, NULL);
        code = cli_exit_for(rc);
    } else {
        code = show(l, member, json, strcmp(sub, "evaluate") == 0);
    }
    pt_ledger_close(l);
    pt_db_close(db);
    return code;
}

/* main.c — the `patron` program: global options and the command table (after git's
 * builtin table). Each command lives in cli/cmd_*.c and only parses flags, calls libpatron and
 * prints. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#define PATRON_VERSION "0.1.0"

static const struct cli_cmd commands[] = {
    {"init", cmd_init, "create a data directory (store, master key, config)"},
    {"import", cmd_import, "import members, orders, items, events or surveys from CSV / JSON lines"},
    {"member", cmd_member, "show, export, erase, merge and unmerge members"},
    {"quality", cmd_quality, "data-quality report over all imports"},
    {"points", cmd_points, "earn, redeem, refund, adjust, balance, history, expire and verify points"},
    {"tier", cmd_tier, "a member's tier, what it takes to rise or keep it, and tier reviews"},
    {"audit", cmd_audit, "verify the hash-chained audit log, or list a member's audit records"},
    {"overview", cmd_overview, "counts of members, orders, revenue and activity"},
    {"programme", cmd_programme, "check or show a loyalty programme file (tiers, earn rules, rewards)"},
    {"demo-data", cmd_demo_data, "write realistic, messy multi-channel demo files"},
    {"demo", cmd_demo, "generate demo data, import it and print the overview"},
    {"store", cmd_store, "copy a whole store to another backend (verified); store info"},
    {"reward", cmd_reward, "the rewards catalogue with its stock; redeem a reward for points"},
    {"coupon", cmd_coupon, "issue, use and list coupons"},
    {"referral", cmd_referral, "invite codes, referral links and their review"},
    {"checkin", cmd_checkin, "points and growth for a daily check-in, a review or a share"},
    {"rfm", cmd_rfm, "recency, frequency, monetary value, scores and segment per member"},
    {"segments", cmd_segments, "RFM segment summary: members, revenue and averages per segment"},
    {"clv", cmd_clv, "lifetime value: BG/NBD, Pareto/NBD, Gamma-Gamma fits and per-member scores"},
    {"lifecycle", cmd_lifecycle, "lifecycle stage per member, stage counts by month, transition matrix"},
    {"kpi", cmd_kpi, "loyalty KPIs of a period against the one before: active, AOV, repurchase, churn"},
    {"cohorts", cmd_cohorts, "retention by first-purchase month (cohort matrix)"},
    {"nps", cmd_nps, "net promoter score of a survey, with promoters, passives and detractors"},
    {"trends", cmd_trends, "members, new, active, orders, revenue and AOV per month"},
    {"churn", cmd_churn, "churn risk: train, score (stored per member) and evaluate lr, xgb, BG/NBD"},
    {"personas", cmd_personas, "k-means++ personas (用户画像) with k by silhouette, named and described"},
    {"campaign", cmd_campaign, "campaigns: audience, offer, control group, launch and uplift report"},
    {"audience", cmd_audience, "preview an audience definition: its size and a sample"},
    {"triggers", cmd_triggers, "fire the triggers (expiring points, churn risk, birthday, tier drop, dormant) once each"},
    {"outbox", cmd_outbox, "deliver the outbox to the webhooks (signed, retried), list it, replay an entry"},
    {"webhook", cmd_webhook, "add, list and test webhook endpoints"},
    {"serve", cmd_serve, "the HTTP JSON API: members, points, rewards, analytics (API keys, metrics)"},
    {"key", cmd_key, "API keys for `patron serve`: create (shown once), list, revoke"},
    {"apikey", cmd_key, "the same as `patron key`"},
    {"reco", cmd_reco, "recommendations: train a model, list items for a member, evaluate every model"},
    {"basket", cmd_basket, "association rules for cross-selling (FP-growth): support, confidence, lift"},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: patron [--data DIR] [--store URL] COMMAND [ARGS]\n"
            "\n"
            "Patron keeps one record per member from every channel and analyses them.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n"
            "Global options:\n"
            "  --data DIR   data directory (default $PATRON_DATA or ./patron-data); every command\n"
            "               also accepts it after the command name\n"
            "  --store URL  where the records live: sqlite:PATH (default DIR/patron.db) or a\n"
            "               PostgreSQL URL postgresql://USER@HOST/DB (same as $PATRON_STORE)\n"
            "  --help       this help; `patron COMMAND --help` for a command\n"
            "  --version    print the version\n"
            "\n"
            "Environment: PATRON_DATA, PATRON_STORE (store URL), PATRON_KEY_FILE (master key path).\n"
            "Exit codes: 0 ok, 1 failed, 2 usage, 3 not found, 4 invalid input, 5 store/key/disk.\n");
}

/* Takes the global options --data DIR and --store URL (also as --opt=VALUE) from anywhere in
 * argv, removing them, so that they work both before and after the command name. --store is
 * passed on as PATRON_STORE, which the library reads when it opens the data directory. */
static int take_global_options(int *argc, char **argv)
{
    static const struct { const char *name, *what; } opts[] = {{"--data", "a directory"}, {"--store", "a store URL"}};
    for (int i = 1; i < *argc && strcmp(argv[i], "--") != 0; i++) {
        for (size_t o = 0; o < sizeof opts / sizeof *opts; o++) {
            size_t n = strlen(opts[o].name);
            const char *val = NULL;
            int skip = 0;
            if (strcmp(argv[i], opts[o].name) == 0 || (o == 0 && strcmp(argv[i], "-d") == 0)) {
                if (i + 1 >= *argc) {
                    cli_error("%s needs %s", opts[o].name, opts[o].what);
                    return -1;
                }
                val = argv[i + 1];
                skip = 2;
            } else if (strncmp(argv[i], opts[o].name, n) == 0 && argv[i][n] == '=') {
                val = argv[i] + n + 1;
                skip = 1;
            }
            if (!skip)
                continue;
            if (o == 0)
                cli_data_dir = val;
            else
                setenv("PATRON_STORE", val, 1);
            memmove(&argv[i], &argv[i + skip], (size_t)(*argc - i - skip + 1) * sizeof *argv);
            *argc -= skip;
            i--;
            break;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *env = getenv("PATRON_DATA");
    cli_data_dir = env && *env ? env : "patron-data";
    if (take_global_options(&argc, argv))
        return EXIT_USAGE;
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return cli_finish(argc < 2 ? EXIT_USAGE : EXIT_OK);
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("patron %s\n", PATRON_VERSION);
        return cli_finish(EXIT_OK);
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return cli_finish(commands[i].run(argc - 1, argv + 1));
    cli_error("'%s' is not a patron command; see `patron --help`", argv[1]);
    return EXIT_USAGE;
}

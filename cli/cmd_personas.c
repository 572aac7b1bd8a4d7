/* cmd_personas.c — `patron personas` (用户画像): k-means++ personas over the members' behaviour,
 * thin over cluster.h. Prints each persona's name (en and zh-CN), size, revenue share, mean
 * recency/orders/spend, top categories and channel mix, and the silhouette of every k tried.
 * --members adds each member's persona (JSON / CSV).
 */
#include "cli.h"
#include "tx_options.h"
#include "patron/cluster.h"
#include "patron/error.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct personas_args {
    const char      *as_of;
    int              json, members, zh;
    pt_personas_opts o;
    struct cli_tx    tx;
};

static void personas_usage(void)
{
    printf("usage: patron personas [--k N] [--as-of DATE] [--seed S] [--lang en|zh] [--json] [--members]\n"
           "\n"
           "Personas (用户画像): members with a paid order before DATE clustered by k-means++ on\n"
           "standardised recency, orders, spend, order value, tenure, gap between orders, category\n"
           "breadth, channels and recent events. Without --k, k is chosen in 2 … 8 by the mean\n"
           "silhouette on a sample (every k's silhouette is printed).\n"
           "\n"
           "  --k N          clusters (2 … %d)\n"
           "  --as-of DATE   YYYY-MM-DD or @EPOCH (default: now)\n"
           "  --seed S       random seed (default 42): the same seed gives the same personas\n"
           "  --restarts N   k-means++ runs per k (default 5)\n"
           "  --lang zh      names in Chinese first\n"
           "  --json         machine-readable; --members adds every member's persona\n",
           PT_PERSONAS_K_MAX);
    cli_tx_help();
}

static int parse_args(int argc, char **argv, struct personas_args *a)
{
    static const struct option opts[] = {
        {"k", required_argument, 0, 'k'},     {"as-of", required_argument, 0, 'a'},
        {"seed", required_argument, 0, 's'},  {"restarts", required_argument, 0, 'r'},
        {"json", no_argument, 0, 'j'},        {"members", no_argument, 0, 'M'},
        {"lang", required_argument, 0, 'L'},  {"help", no_argument, 0, 'h'},
        CLI_TX_LONGOPTS,                      {0, 0, 0, 0}};
    pt_personas_opts_init(&a->o);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (cli_tx_option(&a->tx, c, optarg))
            continue;
        switch (c) {
        case 'k':
            a->o.k = atoi(optarg);
            if (a->o.k < 2 || a->o.k > PT_PERSONAS_K_MAX) {
                cli_error("--k takes 2 … %d", PT_PERSONAS_K_MAX);
                return EXIT_USAGE;
            }
            break;
        case 'a': a->as_of = optarg; break;
        case 's': a->o.seed = strtoull(optarg, NULL, 10); break;
        case 'r':
            a->o.restarts = atoi(optarg);
            if (a->o.restarts < 1 || a->o.restarts > 100) {
                cli_error("--restarts takes 1 … 100");
                return EXIT_USAGE;
            }
            break;
        case 'j': a->json = 1; break;
        case 'M': a->members = 1; break;
        case 'L':
            if (strcmp(optarg, "zh") && strcmp(optarg, "en")) {
                cli_error("--lang takes en or zh");
                return EXIT_USAGE;
            }
            a->zh = optarg[0] == 'z';
            break;
        case 'h': personas_usage(); return -1;
        default: return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_error("personas takes no arguments (see patron personas --help)");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static void print_json(const struct personas_args *a, const pt_snapshot *snap, const pt_personas *p)
{
    printf("{\"k\":%d,\"members\":%zu,\"silhouette_sample\":%zu,\"inertia\":%.4f,\"silhouette\":{", p->k, p->n,
           p->sample, p->inertia);
    int any = 0;
    for (int k = 2; k <= PT_PERSONAS_K_MAX; k++)
        if (!isnan(p->silhouette[k]))
            printf("%s\"%d\":%.4f", any++ ? "," : "", k, p->silhouette[k]);
    printf("},\"personas\":[");
    for (int q = 0; q < p->k; q++) {
        const pt_persona *c = &p->persona[q];
        printf("%s{\"id\":%d,\"key\":\"%s\",\"name_en\":", q ? "," : "", q, c->key);
        fputs(cli_json_str(c->name_en), stdout);
        printf(",\"name_zh\":");
        fputs(cli_json_str(c->name_zh), stdout);
        printf(",\"size\":%zu,\"share\":%.4f,\"revenue_share\":%.4f,\"recency_days\":%.1f,\"orders\":%.2f,"
               "\"monetary_cents\":%.0f,\"aov_cents\":%.0f,\"tenure_days\":%.1f,\"gap_days\":%.1f,\"categories\":%.2f,"
               "\"channels\":%.2f,\"events_90d\":%.2f,\"centroid_z\":{",
               c->size, c->share, c->revenue_share, c->recency_days, c->orders, c->monetary_cents, c->aov_cents,
               c->tenure_days, c->gap_days, c->categories, c->channels, c->events);
        for (int f = 0; f < PT_PF__COUNT; f++)
            printf("%s\"%s\":%.3f", f ? "," : "", pt_persona_feature_name(f), c->z[f]);
        printf("},\"top_categories\":[");
        for (int t = 0; t < PT_PERSONAS_TOP_CAT && c->top_category[t] >= 0; t++) {
            printf("%s", t ? "," : "");
            fputs(cli_json_str(snap->category_names[c->top_category[t]]), stdout);
        }
        printf("],\"channel_mix\":{");
        any = 0;
        for (int ch = 0; ch < PT_PERSONAS_CHAN; ch++)
            if (c->channel_share[ch] > 0) {
                printf("%s", any++ ? "," : "");
                fputs(cli_json_str(snap->channel_names && (size_t)ch < snap->nchannel_names ? snap->channel_names[ch] : "all"), stdout);
                printf(":%.4f", c->channel_share[ch]);
            }
        printf("}}");
    }
    printf("]");
    if (a->members) {
        char no[PT_SNAPSHOT_EXT_ID];
        printf(",\"assignments\":[");
        for (size_t i = 0; i < p->n; i++)
            printf("%s{\"member\":%s,\"persona\":%d}", i ? "," : "", cli_json_str(cli_tx_member(snap, p->member_id[i], no)),
                   p->cluster[i]);
        printf("]");
    }
    printf("}\n");
}

static void print_text(const struct personas_args *a, const pt_snapshot *snap, const pt_personas *p)
{
    printf("%s members in %d personas (k by silhouette on %s members:", cli_num((int64_t)p->n), p->k,
           cli_num((int64_t)p->sample));
    for (int k = 2; k <= PT_PERSONAS_K_MAX; k++)
        if (!isnan(p->silhouette[k]))
            printf(" k=%d %.3f", k, p->silhouette[k]);
    printf(")\n");
    for (int q = 0; q < p->k; q++) {
        const pt_persona *c = &p->persona[q];
        printf("\n%d. %s — %s\n", q, a->zh ? c->name_zh : c->name_en, a->zh ? c->name_en : c->name_zh);
        printf("   %s members (%.1f%%), %.1f%% of revenue; last order %.0f days ago, %.1f orders, spend %s,"
               " order value %s, member for %.0f days, %.1f categories\n",
               cli_num((int64_t)c->size), 100 * c->share, 100 * c->revenue_share, c->recency_days, c->orders,
               cli_money((int64_t)llround(c->monetary_cents)), cli_money((int64_t)llround(c->aov_cents)),
               c->tenure_days, c->categories);
        if (c->top_category[0] >= 0) {
            printf("   top categories:");
            for (int t = 0; t < PT_PERSONAS_TOP_CAT && c->top_category[t] >= 0; t++)
                printf("%s %s", t ? "," : "", snap->category_names[c->top_category[t]]);
            printf("\n");
        }
        if (snap->channel_names && snap->nchannel_names > 1) {
            printf("   channels:");
            for (int ch = 0; ch < PT_PERSONAS_CHAN && (size_t)ch < snap->nchannel_names; ch++)
                if (c->channel_share[ch] > 0)
                    printf(" %s %.0f%%", snap->channel_names[ch], 100 * c->channel_share[ch]);
            printf("\n");
        }
    }
}

int cmd_personas(int argc, char **argv)
{
    struct personas_args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    pt_db *db = NULL;
    pt_snapshot *snap = NULL;
    rc = cli_tx_snapshot(&a.tx, &db, &snap);
    int64_t as_of = 0;
    if (rc == EXIT_OK) {
        as_of = cli_tx_now(db, snap);
        if (a.as_of)
            rc = cli_tx_date_arg(db, a.as_of, &as_of);
    }
    pt_personas p;
    int lrc = rc ? PT_OK : pt_personas_build(&p, snap, as_of, &a.o);
    if (rc == EXIT_OK && lrc) {
        cli_error("personas: %s", lrc == PT_EINVAL ? "too few members with orders for that many personas"
                                                   : pt_strerror(lrc));
        rc = lrc == PT_EINVAL ? EXIT_DATA : cli_exit_for(lrc);
    } else if (rc == EXIT_OK) {
        if (a.json)
            print_json(&a, snap, &p);
        else
            print_text(&a, snap, &p);
        pt_personas_free(&p);
    }
    pt_snapshot_free(snap);
    if (db)
        pt_db_close(db);
    return rc;
}

/* cmd_rfm.c — `patron rfm` (RFM values, scores and segment per member) and `patron segments`
 * (the segment summary). Thin over rfm.h: parse flags, load the snapshot, compute, print as a
 * table, --json or --csv. Members without analytics consent and erased members never appear
 * per member; they show only as the anonymous rows and totals the library gives.
 *
 * DATE is YYYY-MM-DD in the tenant's time zone (config.json; UTC for --transactions), meaning
 * that day's first second, or @EPOCH; orders strictly before it count. Output is streamed (a
 * million rows are fine). --transactions FILE analyses a CSV instead of the store (tx_options.c).
 */
#include "cli.h"
#include "tx_options.h"
#include "patron/config.h"
#include "patron/error.h"
#include "patron/member.h"
#include "patron/rfm.h"
#include "patron/snapshot.h"
#include "patron/tz.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OUT_TEXT, OUT_JSON, OUT_CSV };

struct rfm_args {
    const char   *as_of;
    int           window_days, map, monetary, zh, out, threads;
    struct cli_tx tx;
};

static void rfm_usage(const char *cmd)
{
    int seg = strcmp(cmd, "segments") == 0;
    printf("usage: patron %s [--as-of DATE] [--window-days N] [--map 11|8] [--monetary sum|avg]\n"
           "       %*s [--lang en|zh] [--json|--csv] [--threads N] [--transactions FILE …]\n"
           "\n"
           "%s"
           "\n"
           "  --as-of DATE       YYYY-MM-DD in the tenant's time zone (that day's start) or @EPOCH;\n"
           "                     orders before it count (default now)\n"
           "  --window-days N    frequency and monetary over the last N days (default all history)\n"
           "  --map 11|8         11: Champions … Lost by the 125-code table of docs/rfm.md (default);\n"
           "                     8: 重要价值客户 … 一般挽留客户 from R/F/M above or below the mean\n"
           "  --monetary sum|avg total spend in the window (default) or spend per order\n"
           "  --lang en|zh       segment names in English (default) or Chinese\n"
           "  --json, --csv      machine-readable output\n"
           "  --threads N        worker threads (default: one per core)\n",
           cmd, (int)strlen(cmd), "",
           seg ? "Per segment: members, share of members, revenue, share of revenue and average\n"
                 "recency (days), frequency (orders) and monetary value; then members without a\n"
                 "paid order in the window and the anonymous rows, so counts add up to all members.\n"
               : "Per member: member number, recency (days since the last paid order), frequency\n"
                 "(paid orders in the window), monetary value (cents), R/F/M scores 1-5 (quintiles,\n"
                 "ties share the lower score), the above/below-mean code (e.g. HLH) and the segment.\n");
    cli_tx_help();
    printf("\n"
           "Only members who consent to analytics and are not erased are shown; the others are\n"
           "counted in anonymous totals. Definitions: docs/rfm.md.\n");
}

static int parse_args(const char *cmd, int argc, char **argv, struct rfm_args *a)
{
    static const struct option opts[] = {
        {"as-of", required_argument, 0, 'a'},    {"window-days", required_argument, 0, 'w'},
        {"map", required_argument, 0, 'm'},      {"monetary", required_argument, 0, 'M'},
        {"lang", required_argument, 0, 'l'},     {"json", no_argument, 0, 'j'},
        {"csv", no_argument, 0, 'c'},            {"threads", required_argument, 0, 't'},
        {"help", no_argument, 0, 'h'},           CLI_TX_LONGOPTS,
        {0, 0, 0, 0}};
    *a = (struct rfm_args){.map = PT_RFM_MAP11, .monetary = PT_RFM_SUM, .out = OUT_TEXT};
    int c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (cli_tx_option(&a->tx, c, optarg))
            continue;
        switch (c) {
        case 'a': a->as_of = optarg; break;
        case 'w':
            a->window_days = (int)strtol(optarg, &end, 10);
            if (*end || a->window_days <= 0) {
                cli_error("--window-days takes a whole number of days ≥ 1");
                return EXIT_USAGE;
            }
            break;
        case 'm':
            a->map = strcmp(optarg, "11") == 0 ? PT_RFM_MAP11 : strcmp(optarg, "8") == 0 ? PT_RFM_MAP8 : 0;
            if (!a->map) {
                cli_error("--map takes 11 or 8");
                return EXIT_USAGE;
            }
            break;
        case 'M':
            a->monetary = strcmp(optarg, "sum") == 0 ? PT_RFM_SUM : strcmp(optarg, "avg") == 0 ? PT_RFM_AVG : -1;
            if (a->monetary < 0) {
                cli_error("--monetary takes sum or avg");
                return EXIT_USAGE;
            }
            break;
        case 'l':
            if (strcmp(optarg, "en") != 0 && strcmp(optarg, "zh") != 0) {
                cli_error("--lang takes en or zh");
                return EXIT_USAGE;
            }
            a->zh = optarg[0] == 'z';
            break;
        case 'j': a->out = OUT_JSON; break;
        case 'c': a->out = OUT_CSV; break;
        case 't': a->threads = atoi(optarg); break;
        case 'h': rfm_usage(cmd); return -1;
        default: return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_error("%s takes no arguments (see patron %s --help)", cmd, cmd);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static int compute(pt_db *db, const struct rfm_args *a, const pt_snapshot *snap, pt_rfm *r)
{
    pt_rfm_opts o;
    pt_rfm_opts_init(&o, cli_tx_now(db, snap));
    if (a->as_of && cli_tx_date_arg(db, a->as_of, &o.as_of))
        return EXIT_USAGE;
    o.window_days = a->window_days;
    o.monetary = a->monetary;
    o.threads = a->threads;
    int rc = pt_rfm_compute(r, snap, &o);
    if (rc) {
        cli_error("rfm: %s", pt_strerror(rc));
        return cli_exit_for(rc);
    }
    return EXIT_OK;
}

static void print_totals_json(const pt_rfm *r, int map)
{
    const pt_rfm_totals *t = &r->t;
    printf("\"as_of\":%lld,\"window_days\":%d,\"monetary\":\"%s\",\"map\":%d,"
           "\"totals\":{\"members\":%zu,\"shown\":%zu,\"scored\":%zu,\"anonymous_no_consent\":%zu,"
           "\"anonymous_erased\":%zu,\"merged_away\":%zu,\"orders\":%lld,\"revenue_cents\":%lld,"
           "\"anonymous_orders\":%lld,\"anonymous_revenue_cents\":%lld}",
           (long long)r->opts.as_of, r->opts.window_days, r->opts.monetary == PT_RFM_AVG ? "avg" : "sum", map,
           t->members, t->rows, t->scored, t->no_consent, t->erased, t->merged_away, (long long)t->orders,
           (long long)t->revenue_cents, (long long)t->anon_orders, (long long)t->anon_revenue_cents);
}

static void print_rows(const struct rfm_args *a, const pt_rfm *r, const pt_snapshot *snap)
{
    if (a->out == OUT_JSON) {
        printf("{");
        print_totals_json(r, a->map);
        printf(",\"members\":[");
    } else if (a->out == OUT_CSV) {
        printf("member,recency_days,frequency,monetary_cents,r,f,m,hl,segment\n");
    } else {
        printf("%-12s %8s %6s %14s  R F M  HL   segment   (monetary: %s)\n", "member", "recency", "freq",
               "monetary", r->opts.monetary == PT_RFM_AVG ? "average per order" : "sum");
    }
    for (size_t i = 0; i < r->nrows; i++) {
        const pt_rfm_row *w = &r->rows[i];
        char no[PT_SNAPSHOT_EXT_ID];
        cli_tx_member(snap, w->member_id, no);
        int seg = pt_rfm_row_segment(w, a->map);
        const char *hl = w->r ? pt_rfm_hl_code(w->hl) : "";
        if (a->out == OUT_JSON)
            printf("%s{\"member\":%s,\"recency_days\":%lld,\"frequency\":%lld,\"monetary_cents\":%lld,"
                   "\"r\":%d,\"f\":%d,\"m\":%d,\"hl\":\"%s\",\"segment\":\"%s\",\"segment_name\":\"%s\"}",
                   i ? "," : "", cli_json_str(no), (long long)w->recency_days, (long long)w->frequency,
                   (long long)w->monetary_cents, w->r, w->f, w->m, hl, pt_rfm_segment_key(a->map, seg),
                   pt_rfm_segment_name(a->map, seg, a->zh));
        else if (a->out == OUT_CSV)
            printf("%s,%lld,%lld,%lld,%d,%d,%d,%s,%s\n", cli_csv_str(no), (long long)w->recency_days, (long long)w->frequency,
                   (long long)w->monetary_cents, w->r, w->f, w->m, hl, pt_rfm_segment_key(a->map, seg));
        else
            printf("%-12s %8lld %6lld %14s  %d %d %d  %-3s  %s\n", no, (long long)w->recency_days,
                   (long long)w->frequency, cli_money(w->monetary_cents), w->r, w->f, w->m, hl,
                   pt_rfm_segment_name(a->map, seg, a->zh));
    }
    if (a->out == OUT_JSON)
        printf("]}\n");
    else if (a->out == OUT_TEXT)
        printf("%s members shown; %s without analytics consent and %s erased are counted only in totals\n",
               cli_num((int64_t)r->t.rows), cli_num((int64_t)r->t.no_consent), cli_num((int64_t)r->t.erased));
}

static void print_segments(const struct rfm_args *a, const pt_rfm *r)
{
    pt_rfm_segment seg[PT_RFM_SEGMENTS_MAX];
    int n = pt_rfm_segments(r, a->map, seg);
    if (a->out == OUT_JSON) {
        printf("{");
        print_totals_json(r, a->map);
        printf(",\"segments\":[");
    } else if (a->out == OUT_CSV) {
        printf("segment,name,members,share_members,revenue_cents,share_revenue,avg_recency_days,avg_frequency,"
               "avg_monetary_cents\n");
    } else {
        printf("%-32s %9s %7s %16s %7s %9s %6s %12s\n", "segment", "members", "share", "revenue", "share",
               "recency", "freq", "monetary");
    }
    for (int k = 0; k < n; k++) {
        const pt_rfm_segment *s = &seg[k];
        const char *key = pt_rfm_segment_key(a->map, s->id), *name = pt_rfm_segment_name(a->map, s->id, a->zh);
        if (a->out == OUT_JSON)
            printf("%s{\"segment\":\"%s\",\"name\":\"%s\",\"members\":%zu,\"share_members\":%.6f,"
                   "\"revenue_cents\":%lld,\"share_revenue\":%.6f,\"avg_recency_days\":%.2f,\"avg_frequency\":%.3f,"
                   "\"avg_monetary_cents\":%.1f}",
                   k ? "," : "", key, name, s->members, s->share_members, (long long)s->revenue_cents,
                   s->share_revenue, s->avg_recency_days, s->avg_frequency, s->avg_monetary_cents);
        else if (a->out == OUT_CSV)
            printf("%s,%s,%zu,%.6f,%lld,%.6f,%.2f,%.3f,%.1f\n", key, name, s->members, s->share_members,
                   (long long)s->revenue_cents, s->share_revenue, s->avg_recency_days, s->avg_frequency,
                   s->avg_monetary_cents);
        else
            printf("%-32s %9s %6.1f%% %16s %6.1f%% %9.1f %6.2f %12s\n", name, cli_num((int64_t)s->members),
                   100 * s->share_members, cli_money(s->revenue_cents), 100 * s->share_revenue, s->avg_recency_days,
                   s->avg_frequency, cli_money((int64_t)(s->avg_monetary_cents + 0.5)));
    }
    if (a->out == OUT_JSON)
        printf("]}\n");
    else if (a->out == OUT_TEXT)
        printf("%s members, revenue %s in the window (monetary: %s)\n", cli_num((int64_t)r->t.members),
               cli_money(r->t.revenue_cents), r->opts.monetary == PT_RFM_AVG ? "average per order" : "sum");
}

static int run(const char *cmd, int argc, char **argv)
{
    struct rfm_args a;
    int rc = parse_args(cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    pt_db *db = NULL;
    pt_snapshot *snap = NULL;
    pt_rfm r = {0};
    rc = cli_tx_snapshot(&a.tx, &db, &snap);
    if (rc == EXIT_OK)
        rc = compute(db, &a, snap, &r);
    if (rc == EXIT_OK && strcmp(cmd, "rfm") == 0)
        print_rows(&a, &r, snap);
    else if (rc == EXIT_OK)
        print_segments(&a, &r);
    pt_rfm_free(&r);
    pt_snapshot_free(snap);
    if (db)
        pt_db_close(db);
    return rc;
}

int cmd_rfm(int argc, char **argv)
{
    return run("rfm", argc, argv);
}

int cmd_segments(int argc, char **argv)
{
    return run("segments", argc, argv);
}

/* cmd_basket.c — `patron basket [rules]` (association rules over the baskets of paid orders,
 * sorted by lift) and `patron basket with ITEM` (frequently bought with: the rules whose
 * antecedent is that item alone). Thin over basket.h: parse flags, load the snapshot (the
 * store's or --transactions FILE), mine, print text, --json or --csv.
 */
#include "cli.h"
#include "tx_options.h"
#include "patron/basket.h"
#include "patron/error.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OUT_TEXT, OUT_JSON, OUT_CSV };

struct basket_args {
    pt_basket_opts o;
    const char    *from, *to;
    size_t         limit;
    int            out;
    struct cli_tx  tx;
};

static void basket_usage(void)
{
    printf("usage: patron basket [rules] [--min-support S] [--min-confidence C] [--min-lift L] [--max-len N]\n"
           "                     [--limit N] [--from DATE] [--to DATE] [--json|--csv] [--transactions FILE …]\n"
           "       patron basket with ITEM [same options]\n"
           "\n"
           "Association rules A → C over the baskets (distinct items of each paid order), by FP-growth:\n"
           "support = baskets with A and C / baskets, confidence = support(A ∪ C) / support(A),\n"
           "lift = confidence / support(C); sorted by lift, then confidence. `with ITEM` lists the\n"
           "rules whose antecedent is ITEM alone: what is frequently bought with it.\n"
           "\n"
           "  --min-support S      fraction of baskets (default 0.01)\n"
           "  --min-confidence C   default 0.3\n"
           "  --min-lift L         default 1\n"
           "  --max-len N          items in an itemset (default 4, at most 16)\n"
           "  --limit N            print at most N rules (default all)\n"
           "  --from/--to DATE     orders from DATE, before DATE (YYYY-MM-DD or @EPOCH)\n"
           "  --json, --csv        machine-readable output\n");
    cli_tx_help();
    printf("\nRules are aggregates over every paid order; no member appears in them. docs/reco.md.\n");
}

static int parse_args(int argc, char **argv, struct basket_args *a)
{
    static const struct option opts[] = {
        {"min-support", required_argument, 0, 's'}, {"min-confidence", required_argument, 0, 'c'},
        {"min-lift", required_argument, 0, 'l'},    {"max-len", required_argument, 0, 'L'},
        {"limit", required_argument, 0, 'n'},       {"from", required_argument, 0, 'F'},
        {"to", required_argument, 0, 'T'},          {"json", no_argument, 0, 'j'},
        {"csv", no_argument, 0, 'C'},               {"help", no_argument, 0, 'h'},
        CLI_TX_LONGOPTS,                            {0, 0, 0, 0}};
    memset(a, 0, sizeof *a);
    pt_basket_opts_init(&a->o);
    int c, rc = EXIT_OK;
    double v;
    optind = 1;
    while (rc == EXIT_OK && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (cli_tx_option(&a->tx, c, optarg))
            continue;
        switch (c) {
        case 's':
            rc = cli_number("--min-support", optarg, 0, 1, &a->o.min_support);
            if (rc == EXIT_OK && a->o.min_support <= 0) {
                cli_error("--min-support must be above 0");
                rc = EXIT_USAGE;
            }
            break;
        case 'c': rc = cli_number("--min-confidence", optarg, 0, 1, &a->o.min_confidence); break;
        case 'l': rc = cli_number("--min-lift", optarg, 0, 1e12, &a->o.min_lift); break;
        case 'L': rc = cli_number("--max-len", optarg, 1, PT_BASKET_MAX_LEN, &v); a->o.max_len = (uint32_t)v; break;
        case 'n': rc = cli_number("--limit", optarg, 1, 1e12, &v); a->limit = (size_t)v; break;
        case 'F': a->from = optarg; break;
        case 'T': a->to = optarg; break;
        case 'j': a->out = OUT_JSON; break;
        case 'C': a->out = OUT_CSV; break;
        case 'h': basket_usage(); return -1;
        default: rc = EXIT_USAGE;
        }
    }
    return rc;
}

static json_t *items_json(const pt_snapshot *snap, const int32_t *it, uint32_t n)
{
    json_t *arr = json_array();
    for (uint32_t k = 0; k < n; k++)
        json_array_append_new(arr, json_string(snap->product_code[it[k]]));
    return arr;
}

/* Items joined with " + " for text; for CSV quoted per RFC 4180. */
static void items_text(FILE *f, const pt_snapshot *snap, const int32_t *it, uint32_t n, int csv)
{
    if (csv)
        fputc('"', f);
    for (uint32_t k = 0; k < n; k++) {
        if (k)
            fputs(csv ? "|" : " + ", f);
        for (const char *p = snap->product_code[it[k]]; *p; p++) {
            if (csv && *p == '"')
                fputc('"', f);
            fputc(*p, f);
        }
    }
    if (csv)
        fputc('"', f);
}

static int keep(const pt_basket_rule *r, const pt_basket_rules *rs, int32_t only)
{
    return only < 0 || (r->ante_len == 1 && rs->pool[r->ante_off] == only);
}

static void print_rules(const struct basket_args *a, const pt_snapshot *snap, const pt_baskets *b,
                        const pt_itemsets *s, const pt_basket_rules *rs, int32_t only)
{
    size_t shown = 0;
    json_t *arr = a->out == OUT_JSON ? json_array() : NULL;
    if (a->out == OUT_CSV)
        printf("antecedent,consequent,support,confidence,lift,count\n");
    else if (a->out == OUT_TEXT)
        printf("%s baskets, %s frequent itemsets (support ≥ %g), rules with confidence ≥ %g and lift ≥ %g:\n",
               cli_num((int64_t)b->n), cli_num((int64_t)s->n), a->o.min_support, a->o.min_confidence, a->o.min_lift);
    for (size_t k = 0; k < rs->n && (!a->limit || shown < a->limit); k++) {
        const pt_basket_rule *r = &rs->rules[k];
        if (!keep(r, rs, only))
            continue;
        shown++;
        if (arr) {
            json_t *o = json_object();
            json_object_set_new(o, "antecedent", items_json(snap, rs->pool + r->ante_off, r->ante_len));
            json_object_set_new(o, "consequent", items_json(snap, rs->pool + r->cons_off, r->cons_len));
            json_object_set_new(o, "support", json_real(r->support));
            json_object_set_new(o, "confidence", json_real(r->confidence));
            json_object_set_new(o, "lift", json_real(r->lift));
            json_object_set_new(o, "count", json_integer(r->count));
            json_array_append_new(arr, o);
            continue;
        }
        items_text(stdout, snap, rs->pool + r->ante_off, r->ante_len, a->out == OUT_CSV);
        fputs(a->out == OUT_CSV ? "," : "  →  ", stdout);
        items_text(stdout, snap, rs->pool + r->cons_off, r->cons_len, a->out == OUT_CSV);
        if (a->out == OUT_CSV)
            printf(",%.6f,%.6f,%.6f,%lld\n", r->support, r->confidence, r->lift, (long long)r->count);
        else
            printf("   support %.4f  confidence %.3f  lift %.2f  (%lld baskets)\n", r->support, r->confidence, r->lift,
                   (long long)r->count);
    }
    if (arr) {
        json_t *o = json_object();
        json_object_set_new(o, "baskets", json_integer((json_int_t)b->n));
        json_object_set_new(o, "itemsets", json_integer((json_int_t)s->n));
        json_object_set_new(o, "min_support", json_real(a->o.min_support));
        json_object_set_new(o, "min_confidence", json_real(a->o.min_confidence));
        json_object_set_new(o, "min_lift", json_real(a->o.min_lift));
        json_object_set_new(o, "rules", arr);
        char *t = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
        if (t)
            printf("%s\n", t);
        free(t);
        json_decref(o);
    } else if (a->out == OUT_TEXT && shown == 0) {
        printf("(no rule passes the thresholds; try a lower --min-support or --min-confidence)\n");
    }
}

static int mine_and_print(const struct basket_args *a, pt_db *db, const pt_snapshot *snap, const char *item)
{
    int64_t from = INT64_MIN, to = INT64_MAX;
    if ((a->from && cli_tx_date_arg(db, a->from, &from)) || (a->to && cli_tx_date_arg(db, a->to, &to)))
        return EXIT_USAGE;
    int32_t only = -1;
    if (item) {
        only = pt_snapshot_product(snap, item);
        if (only < 0) {
            cli_error("no item '%s' in the orders", item);
            return EXIT_NOTFOUND;
        }
    }
    pt_baskets b;
    pt_itemsets s = {0};
    pt_basket_rules rs = {0};
    int rc = pt_baskets_from_snapshot(&b, snap, from, to);
    if (rc == PT_OK)
        rc = pt_basket_fpgrowth(&s, &b, &a->o);
    if (rc == PT_OK)
        rc = pt_basket_rules_mine(&rs, &s, &a->o);
    if (rc == PT_ETOOBIG)
        cli_error("basket: more than %zu frequent itemsets: raise --min-support or lower --max-len",
                  a->o.max_itemsets);
    else if (rc)
        cli_error("basket: %s", pt_strerror(rc));
    else
        print_rules(a, snap, &b, &s, &rs, only);
    pt_basket_rules_free(&rs);
    pt_itemsets_free(&s);
    pt_baskets_free(&b);
    return rc ? cli_exit_for(rc) : EXIT_OK;
}

int cmd_basket(int argc, char **argv)
{
    int sub = 1; /* argv[sub] starts the options */
    const char *item = NULL;
    if (argc >= 2 && strcmp(argv[1], "rules") == 0) {
        sub = 2;
    } else if (argc >= 2 && strcmp(argv[1], "with") == 0) {
        if (argc < 3 || argv[2][0] == '-') {
            cli_error("basket with takes an ITEM");
            return EXIT_USAGE;
        }
        item = argv[2];
        sub = 3;
    }
    struct basket_args a;
    int rc = parse_args(argc - sub + 1, argv + sub - 1, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    if (optind < argc - sub + 1) {
        cli_error("unexpected argument '%s' (see patron basket --help)", argv[sub - 1 + optind]);
        return EXIT_USAGE;
    }
    pt_db *db = NULL;
    pt_snapshot *snap = NULL;
    rc = cli_tx_snapshot(&a.tx, &db, &snap);
    if (rc == EXIT_OK)
        rc = mine_and_print(&a, db, snap, item);
    pt_snapshot_free(snap);
    if (db)
        pt_db_close(db);
    return rc;
}

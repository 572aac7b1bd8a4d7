/* cmd_quality.c — `patron quality` (the data-quality report) and `patron overview`. Both come
 * from libpatron as JSON; this file prints it as JSON or as text for people. */
#include "cli.h"
#include "patron/error.h"
#include "patron/quality.h"

#include <getopt.h>
#include <jansson.h>
#include <string.h>

static int parse_json_flag(int argc, char **argv, int *json, const char *help)
{
    static const struct option opts[] = {{"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
        if (c == 'j') {
            *json = 1;
        } else if (c == 'h') {
            fputs(help, stdout);
            return -1;
        } else {
            return EXIT_USAGE;
        }
    }
    return EXIT_OK;
}

static json_int_t geti(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static void print_missing(json_t *rates)
{
    const char *field;
    json_t *v;
    int any = 0;
    json_object_foreach(rates, field, v) {
        double r = json_real_value(v);
        if (r > 0) {
            printf("%s%s %.1f%%", any ? ", " : "", field, r * 100);
            any = 1;
        }
    }
    printf("%s\n", any ? "" : "none");
}

void cli_print_quality(json_t *q)
{
    printf("Data quality over all imports\n");
    printf("  rows read            %s\n", cli_num(geti(q, "rows_read")));
    printf("  imported             %s\n", cli_num(geti(q, "rows_accepted")));
    printf("  rejected             %s  (each with line, field and reason in %s/rejects/)\n",
           cli_num(geti(q, "rows_rejected")), cli_data_dir);
    printf("  duplicates removed   %s  (orders: %s)\n", cli_num(geti(q, "duplicates_removed")),
           cli_num(geti(q, "duplicate_orders")));
    printf("  members              %s created, %s records attached to existing members, %s merged\n",
           cli_num(geti(q, "members_created")), cli_num(geti(q, "members_attached")), cli_num(geti(q, "members_merged")));
    printf("  conflicts            %s", cli_num(geti(q, "conflicts")));
    const char *field;
    json_t *v;
    json_object_foreach(json_object_get(q, "conflicts_by_field"), field, v)
        printf("  [%s %s, kept by %s]", field, cli_num(geti(v, "count")), json_string_value(json_object_get(v, "rule")));
    printf("\n  filled               %s  (registration time unknown → time of import)\n", cli_num(geti(q, "filled")));
    printf("\n  %-8s %-7s %10s %10s %9s %10s  missing values\n", "kind", "source", "rows", "imported", "rejected", "duplicates");
    size_t i;
    json_array_foreach(json_object_get(q, "sources"), i, v) {
        printf("  %-8s %-7s %10s %10s %9s %10s  ", json_string_value(json_object_get(v, "kind")),
               json_string_value(json_object_get(v, "source")), cli_num(geti(v, "rows_read")),
               cli_num(geti(v, "rows_accepted")), cli_num(geti(v, "rows_rejected")), cli_num(geti(v, "duplicates")));
        print_missing(json_object_get(v, "missing_rate"));
    }
}

void cli_print_overview(json_t *o)
{
    printf("Patron overview (%s store)\n", json_string_value(json_object_get(o, "store")));
    printf("  members          %s active  (%s merged into others, %s frozen, %s erased)\n",
           cli_num(geti(o, "members")), cli_num(geti(o, "members_merged_away")), cli_num(geti(o, "members_frozen")),
           cli_num(geti(o, "members_erased")));
    printf("  identifiers      %s across channels\n", cli_num(geti(o, "identifiers")));
    printf("  orders           %s  revenue %s  average %s\n", cli_num(geti(o, "orders")),
           cli_money(geti(o, "revenue_cents")), cli_money(geti(o, "average_order_cents")));
    printf("  order lines      %s\n", cli_num(geti(o, "items")));
    printf("  events           %s  (check-ins, shares, reviews)\n", cli_num(geti(o, "events")));
    printf("  survey answers   %s\n", cli_num(geti(o, "survey_answers")));
}

typedef int (*report_fn)(pt_db *, pt_buf *);

static int run_report(int argc, char **argv, report_fn fn, void (*print)(json_t *), const char *help)
{
    int json = 0;
    int code = parse_json_flag(argc, argv, &json, help);
    if (code)
        return code < 0 ? EXIT_OK : code;
    pt_db *db = cli_open();
    if (!db)
        return EXIT_STORE;
    pt_buf out;
    pt_buf_init(&out, 0);
    int rc = fn(db, &out);
    if (rc) {
        cli_error("%s", pt_db_errmsg(db));
    } else if (json) {
        printf("%s\n", pt_buf_str(&out));
    } else {
        json_t *o = json_loads(pt_buf_str(&out), 0, NULL);
        print(o);
        json_decref(o);
    }
    pt_buf_free(&out);
    pt_db_close(db);
    return cli_exit_for(rc);
}

int cmd_quality(int argc, char **argv)
{
    return run_report(argc, argv, pt_quality_json, cli_print_quality,
                      "usage: patron quality [--json] [--data DIR]\n\n"
                      "The data-quality report over every import: rows read, imported and rejected per\n"
                      "source, duplicates removed, members created/attached/merged, missing-value rate per\n"
                      "field, and conflicting values between sources with the rule that chose.\n");
}

int cmd_overview(int argc, char **argv)
{
    return run_report(argc, argv, pt_overview_json, cli_print_overview,
                      "usage: patron overview [--json] [--data DIR]\n\n"
                      "Members, identifiers, orders, revenue, events and survey answers in the store.\n");
}

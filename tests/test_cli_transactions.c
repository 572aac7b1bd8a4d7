/* test_cli_transactions.c — `--transactions FILE` end to end through the `patron` program: RFM
 * on a small hand-made file with worked values, the Contract's `clv fit` form reproducing the
 * published CDNOW BG/NBD and Pareto/NBD parameters, and a bad file failing with exit 4 and
 * file:line:column. No data directory is involved. */
#include "test.h"
#include "patron/error.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIN pt_test_patron_bin()

/* Runs cmd (stdout only) and parses it as JSON; NULL when it fails. */
static json_t *run_json(const char *cmd)
{
    char *out = NULL;
    int st = pt_test_run(&out, "%s", cmd);
    json_t *o = st == 0 && out ? json_loads(out, 0, NULL) : NULL;
    free(out);
    return o;
}

/* As of 2024-02-01 (orders before it count; m4's February order does not):
 *   member  orders (date: amount)                         R days  F  M cents   R F M  HL
 *   m1      01-31: 100.00                                     1   1  10000    5 1 5  HLH
 *   m2      01-20, 01-25: 10.00 each                          7   2   2000    3 3 4  HLL
 *   m3      01-01, 01-02, 01-03: 5.00 each                   29   3   1500    2 4 3  LHL
 *   m4      2023-12-01: 1.00 (and 2024-02-05: 9.00)          62   1    100    1 1 1  LLL
 *   m5      01-27 … 01-30: 3.00 each                          2   4   1200    4 5 2  HHL
 * Scores: 1 + ⌊5·b/5⌋ with b the members strictly worse (docs/rfm.md); F ties (m1, m4) share 1.
 * Means: R 20.2 days, F 2.2, M 2960 cents — H when strictly better. R5 F1 M5 is Promising. */
TEST(cli_rfm_from_a_transactions_file_gives_the_worked_values)
{
    const char *csv = pt_test_write_file(pt_test_tmpdir(), "tx.csv",
                                         "customer,date,amount\n"
                                         "m1,2024-01-31,100.00\n"
                                         "m2,2024-01-20,10.00\nm2,2024-01-25,10\n"
                                         "m3,2024-01-01,5\nm3,2024-01-02,5.00\nm3,2024-01-03,5.0\n"
                                         "m4,2023-12-01,1.00\nm4,2024-02-05,9.00\n"
                                         "m5,2024-01-27,3\nm5,2024-01-28,3\nm5,2024-01-29,3\nm5,2024-01-30,3\n");
    ASSERT(csv);
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' rfm --transactions '%s' --as-of 2024-02-01 --json 2>/dev/null", BIN, csv);
    json_t *o = run_json(cmd);
    ASSERT(o);
    json_t *rows = json_object_get(o, "members");
    ASSERT_EQ(json_array_size(rows), 5);
    static const char *id[5] = {"m1", "m2", "m3", "m4", "m5"};
    static const int rec[5] = {1, 7, 29, 62, 2}, freq[5] = {1, 2, 3, 1, 4}, mon[5] = {10000, 2000, 1500, 100, 1200};
    static const int r[5] = {5, 3, 2, 1, 4}, f[5] = {1, 3, 4, 1, 5}, m[5] = {5, 4, 3, 1, 2};
    static const char *hl[5] = {"HLH", "HLL", "LHL", "LLL", "HHL"};
    for (size_t i = 0; i < 5; i++) {
        json_t *w = json_array_get(rows, i);
        ASSERT_STR_EQ(json_string_value(json_object_get(w, "member")), id[i]);
        ASSERT_EQ(json_integer_value(json_object_get(w, "recency_days")), rec[i]);
        ASSERT_EQ(json_integer_value(json_object_get(w, "frequency")), freq[i]);
        ASSERT_EQ(json_integer_value(json_object_get(w, "monetary_cents")), mon[i]);
        ASSERT_EQ(json_integer_value(json_object_get(w, "r")), r[i]);
        ASSERT_EQ(json_integer_value(json_object_get(w, "f")), f[i]);
        ASSERT_EQ(json_integer_value(json_object_get(w, "m")), m[i]);
        ASSERT_STR_EQ(json_string_value(json_object_get(w, "hl")), hl[i]);
    }
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(rows, 0), "segment")), "promising");
    json_decref(o);

    snprintf(cmd, sizeof cmd, "'%s' segments --map 8 --transactions '%s' --as-of 2024-02-01 --json 2>/dev/null", BIN,
             csv);
    o = run_json(cmd);
    ASSERT(o);
    json_t *t = json_object_get(o, "totals");
    ASSERT_EQ(json_integer_value(json_object_get(t, "members")), 5);
    ASSERT_EQ(json_integer_value(json_object_get(t, "revenue_cents")), 10000 + 2000 + 1500 + 100 + 1200);
    json_decref(o);

    /* January (UTC): 5 members by its end, 4 new (m4 came in December), 4 active, 10 orders,
     * 147.00 revenue, AOV 14.70; the file's ids label the lifecycle rows. */
    char *out = NULL;
    ASSERT_EQ(pt_test_run(&out, "'%s' trends --transactions '%s' --from 2024-01-01 --to 2024-02-01 --csv 2>/dev/null",
                          BIN, csv),
              0);
    ASSERT_STR_EQ(out, "month,members,new,active,orders,revenue_cents,aov_cents\n2024-01,5,4,4,10,14700,1470\n");
    free(out);
    ASSERT_EQ(pt_test_run(&out, "'%s' lifecycle --transactions '%s' --as-of 2024-02-01 --csv 2>/dev/null", BIN, csv), 0);
    ASSERT(out && strstr(out, "\nm4,churned,1,62,62\n") != NULL);
    free(out);

    /* One KPI by month: December 1.00 (m4), January 147.00, February 9.00 (m4 again). */
    snprintf(cmd, sizeof cmd,
             "'%s' kpi revenue_cents --by month --transactions '%s' --from 2023-12-01 --to 2024-03-01 --json 2>/dev/null",
             BIN, csv);
    o = run_json(cmd);
    ASSERT(o);
    json_t *g = json_object_get(o, "groups");
    static const char *month[3] = {"2023-12", "2024-01", "2024-02"};
    static const int revenue[3] = {100, 14700, 900};
    ASSERT_EQ(json_array_size(g), 3);
    for (size_t k = 0; k < 3; k++) {
        ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(g, k), "group")), month[k]);
        ASSERT_EQ(json_integer_value(json_object_get(json_array_get(g, k), "value")), revenue[k]);
    }
    json_decref(o);
    ASSERT_EQ(pt_test_run(NULL, "'%s' kpi --by tier --transactions '%s' 2>/dev/null", BIN, csv), 4);
}

TEST(cli_transactions_bad_file_fails_with_file_line_and_column)
{
    const char *csv = pt_test_write_file(pt_test_tmpdir(), "bad.csv",
                                         "customer_id,date,amount\n1,2024-01-01,1.00\n2,2024-13-45,2.00\n");
    ASSERT(csv);
    char *out = NULL;
    int st = pt_test_run(&out, "'%s' rfm --transactions '%s' --json 2>&1", BIN, csv);
    ASSERT_EQ(st, 4);
    ASSERT(out && strstr(out, "bad.csv:3: column 'date': ") != NULL);
    free(out);
    ASSERT_EQ(pt_test_run(NULL, "'%s' clv fit --transactions /nonexistent.csv 2>/dev/null", BIN), 3);
    ASSERT_EQ(pt_test_run(NULL, "'%s' rfm --transactions '%s' --id-col nope 2>/dev/null", BIN, csv), 4);
}

/* Published CDNOW values (../shared/data/cdnow/README.md) to 3 significant figures. */
static int near3(double got, double want)
{
    return fabs(got - want) <= 0.5e-3 * pow(10, floor(log10(fabs(want))) + 1);
}

TEST(cli_clv_fit_on_the_cdnow_transactions_file_reproduces_the_published_parameters)
{
    const char *path = pt_test_shared("cdnow/cdnow_sample.csv");
    if (!path)
        SKIP("../shared/data/cdnow is absent");
    static const struct {
        const char *model, *name[4];
        double      want[4], ll;
    } m[2] = {{"bgnbd", {"r", "alpha", "a", "b"}, {0.243, 4.414, 0.793, 2.426}, -9582.4},
              {"pareto", {"r", "alpha", "s", "beta"}, {0.553, 10.578, 0.606, 11.669}, -9595.0}};
    for (int k = 0; k < 2; k++) {
        char cmd[8192];
        snprintf(cmd, sizeof cmd,
                 "'%s' clv fit --model %s --transactions '%s' --calibration-end 1997-09-30 --unit week --json 2>/dev/null",
                 BIN, m[k].model, path);
        json_t *o = run_json(cmd);
        ASSERT(o);
        json_t *p = json_object_get(o, "params");
        for (int i = 0; i < 4; i++) {
            double got = json_number_value(json_object_get(p, m[k].name[i]));
            if (!near3(got, m[k].want[i]))
                fprintf(stderr, "    %s %s: %g, published %g\n", m[k].model, m[k].name[i], got, m[k].want[i]);
            ASSERT(near3(got, m[k].want[i]));
        }
        ASSERT(fabs(json_number_value(json_object_get(o, "log_likelihood")) - m[k].ll) < 0.05);
        ASSERT_EQ(json_integer_value(json_object_get(o, "members_used")), 2357);
        json_decref(o);
    }
}

/* The calibration/holdout report on CDNOW (39 + 39 weeks) against BTYD's published comparison
 * (../shared/data/cdnow/reference_values.csv): members per calibration x = 0 … 6, 7+, the mean
 * actual holdout transactions exactly, and the BG/NBD predictions to 1e-3 relative (ours are
 * fitted here, BTYD's came from its own fit of the same data). */
TEST(cli_clv_holdout_report_on_cdnow_matches_the_published_comparison)
{
    const char *path = pt_test_shared("cdnow/cdnow_sample.csv");
    if (!path)
        SKIP("../shared/data/cdnow is absent");
    static const int n[8] = {1411, 439, 214, 100, 62, 38, 29, 64};
    static const double actual[8] = {0.2367116, 0.6970387, 1.392523, 1.56, 2.532258, 2.947368, 3.862069, 6.359375};
    static const double pred[8] = {0.2250893, 0.5231364, 1.044126, 1.520256, 2.163824, 2.653789, 3.503957, 6.157036};
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "'%s' clv fit --model bgnbd --transactions '%s' --calibration-end 1997-09-30 --holdout-end 1998-06-30 --json "
             "2>/dev/null",
             BIN, path);
    json_t *o = run_json(cmd);
    ASSERT(o);
    json_t *h = json_object_get(o, "holdout");
    ASSERT(fabs(json_number_value(json_object_get(h, "length")) - 39) < 1e-12);
    json_t *b = json_object_get(h, "buckets");
    ASSERT_EQ(json_array_size(b), 8);
    for (size_t k = 0; k < 8; k++) {
        json_t *r = json_array_get(b, k);
        ASSERT_EQ(json_integer_value(json_object_get(r, "members")), n[k]);
        ASSERT(fabs(json_number_value(json_object_get(r, "actual")) - actual[k]) < 1e-6);
        ASSERT(fabs(json_number_value(json_object_get(r, "predicted")) / pred[k] - 1) < 1e-3);
    }
    json_decref(o);
    ASSERT_EQ(pt_test_run(NULL,
                          "'%s' clv fit --transactions '%s' --calibration-end 1997-09-30 --holdout-end 1997-09-01 "
                          "2>/dev/null",
                          BIN, path),
              2);
}

/* Ids are the file's own text: a quote, a comma, a backslash or a tab in one must come out as
 * valid JSON (escaped by jansson) and as one CSV field (quoted per RFC 4180), in every analysis
 * that lists members. 36 members so that the models have something to fit. */
TEST(cli_member_ids_with_quotes_commas_and_backslashes_stay_valid_json_and_csv)
{
    static const char *odd[4] = {"a\"b", "c,d", "g\\h", "t\tab"};
    char body[16384];
    size_t n = (size_t)snprintf(body, sizeof body, "customer,date,amount\n");
    for (int i = 0; i < 36; i++) {
        char id[32];
        if (i < 4)
            snprintf(id, sizeof id, "%s", i == 0 ? "\"a\"\"b\"" : i == 1 ? "\"c,d\"" : odd[i]);
        else
            snprintf(id, sizeof id, "m%d", i);
        for (int k = 0; k <= i % 5; k++)
            n += (size_t)snprintf(body + n, sizeof body - n, "%s,2024-%02d-%02d,%d.00\n", id, 1 + (i * 3 + k * 2) % 11,
                                  1 + (i + k * 7) % 27, 1 + (i * 7 + k) % 50);
    }
    const char *csv = pt_test_write_file(pt_test_tmpdir(), "odd-ids.csv", body);
    ASSERT(csv);
    static const char *json_cmds[5] = {"rfm --json", "lifecycle --json", "clv score --json", "churn score --json",
                                       "personas --json --members --k 2"};
    for (int c = 0; c < 5; c++) {
        char cmd[8192];
        snprintf(cmd, sizeof cmd, "'%s' %s --transactions '%s' 2>/dev/null", BIN, json_cmds[c], csv);
        json_t *o = run_json(cmd);
        if (!o)
            fprintf(stderr, "    %s: not JSON\n", json_cmds[c]);
        ASSERT(o);
        json_t *rows = json_object_get(o, c == 4 ? "assignments" : "members");
        ASSERT_EQ(json_array_size(rows), 36);
        for (int i = 0; i < 4; i++)
            ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(rows, (size_t)i), "member")), odd[i]);
        if (c == 2) /* every expectation finite, the one-order members' too */
            for (size_t i = 0; i < 36; i++)
                ASSERT(json_is_number(json_object_get(json_array_get(rows, i), "expected_purchases")));
        json_decref(o);
    }
    static const char *csv_cmds[4] = {"rfm --csv", "lifecycle --csv", "clv score --csv", "churn score --csv"};
    for (int c = 0; c < 4; c++) {
        char *out = NULL;
        ASSERT_EQ(pt_test_run(&out, "'%s' %s --transactions '%s' 2>/dev/null", BIN, csv_cmds[c], csv), 0);
        ASSERT(out && strstr(out, "\n\"a\"\"b\",") && strstr(out, "\n\"c,d\",") && strstr(out, "\ng\\h,") &&
               strstr(out, "\nt\tab,"));
        ASSERT(!strstr(out, "nan"));
        free(out);
    }
}

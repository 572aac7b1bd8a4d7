/* test_cli_reco.c — `patron reco` and `patron basket` end to end on small transactions files:
 * the Contract's JSON forms (`reco evaluate … --json` methods with hit_rate, precision, recall,
 * ndcg, coverage; `basket … --json` rules with antecedent, consequent, support, confidence,
 * lift) with hand-worked values, a model file written by `reco train` and used by `reco for`,
 * and the exit codes for a damaged model file and an unknown member. */
#include "test.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIN pt_test_patron_bin()

static json_t *run_json(const char *cmd)
{
    char *out = NULL;
    int st = pt_test_run(&out, "%s", cmd);
    json_t *o = st == 0 && out ? json_loads(out, 0, NULL) : NULL;
    free(out);
    return o;
}

/* The planted groups of test_reco.c: members 1, 2 and 4, 5, 6, 8 each miss one item of their
 * group in their last order; members 3 and 7 bought their whole group at once. */
static const char *PLANTED = "CustomerID,InvoiceNo,InvoiceDate,StockCode,Quantity,UnitPrice\n"
                             "1,X1,2024-01-01,a1,1,1\n1,X1,2024-01-01,a2,1,1\n1,X2,2024-02-01,a3,1,1\n"
                             "2,X3,2024-01-01,a1,1,1\n2,X3,2024-01-01,a2,1,1\n2,X4,2024-02-01,a3,1,1\n"
                             "3,X5,2024-01-01,a1,1,1\n3,X5,2024-01-01,a2,1,1\n3,X5,2024-01-01,a3,1,1\n"
                             "3,X6,2024-02-01,a1,1,1\n"
                             "4,X7,2024-01-01,b1,1,1\n4,X7,2024-01-01,b2,1,1\n4,X8,2024-02-01,b3,1,1\n"
                             "5,X9,2024-01-01,b1,1,1\n5,X9,2024-01-01,b2,1,1\n5,X10,2024-02-01,b3,1,1\n"
                             "6,X11,2024-01-01,b1,1,1\n6,X11,2024-01-01,b2,1,1\n6,X12,2024-02-01,b3,1,1\n"
                             "8,X15,2024-01-01,b1,1,1\n8,X15,2024-01-01,b2,1,1\n8,X16,2024-02-01,b3,1,1\n"
                             "7,X13,2024-01-01,b1,1,1\n7,X13,2024-01-01,b2,1,1\n7,X13,2024-01-01,b3,1,1\n"
                             "7,X14,2024-02-01,b1,1,1\n";

static double metric(json_t *o, const char *method, const char *name)
{
    json_t *v = json_object_get(json_object_get(json_object_get(o, "methods"), method), name);
    return json_is_number(v) ? json_number_value(v) : -1;
}

TEST(cli_reco_evaluate_prints_the_contract_json_with_every_method)
{
    const char *csv = pt_test_write_file(pt_test_tmpdir(), "p.csv", PLANTED);
    ASSERT(csv);
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "'%s' reco evaluate --transactions '%s' --split-date 2024-02-01 --k 1 --factors 4 --json 2>/dev/null", BIN,
             csv);
    json_t *o = run_json(cmd);
    ASSERT(o);
    static const char *methods[] = {"popularity", "cosine", "bm25", "als", "blend"};
    static const char *names[] = {"hit_rate", "precision", "recall", "ndcg", "coverage"};
    for (size_t m = 0; m < 5; m++)
        for (size_t n = 0; n < 5; n++) {
            double v = metric(o, methods[m], names[n]);
            ASSERT(v >= 0 && v <= 1);
        }
    ASSERT(metric(o, "popularity", "hit_rate") == 0);
    ASSERT(metric(o, "cosine", "hit_rate") == 1);
    ASSERT(metric(o, "bm25", "ndcg") == 1);
    ASSERT(fabs(metric(o, "cosine", "coverage") - 1.0 / 3.0) < 1e-5);
    ASSERT_EQ(json_integer_value(json_object_get(o, "members_evaluated")), 6);
    json_decref(o);
    /* --models keeps popularity first as the baseline */
    snprintf(cmd, sizeof cmd, "'%s' reco evaluate --transactions '%s' --k 1 --models cosine --json 2>/dev/null", BIN,
             csv);
    o = run_json(cmd);
    ASSERT(o);
    ASSERT_EQ(json_object_size(json_object_get(o, "methods")), 2);
    ASSERT(metric(o, "cosine", "recall") == 1);
    json_decref(o);
}

TEST(cli_reco_train_writes_a_model_that_reco_for_uses)
{
    const char *dir = pt_test_tmpdir();
    const char *csv = pt_test_write_file(dir, "p.csv", PLANTED);
    ASSERT(csv);
    char cmd[8192], *out = NULL;
    snprintf(cmd, sizeof cmd, "'%s' reco train --transactions '%s' --model cosine --out '%s/m.reco' 2>/dev/null", BIN,
             csv, dir);
    ASSERT_EQ(pt_test_run(&out, "%s", cmd), 0);
    ASSERT(out && strstr(out, "trained cosine"));
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' reco for 1 --transactions '%s' --model-file '%s/m.reco' --n 2 --json 2>/dev/null",
             BIN, csv, dir);
    json_t *o = run_json(cmd);
    ASSERT(o);
    json_t *items = json_object_get(o, "items");
    ASSERT_EQ(json_array_size(items), 2);
    /* member 1 bought a1 a2 a3; nothing of group a is left, b items come by popularity */
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(items, 0), "item")), "b1");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(items, 1), "item")), "b2");
    json_decref(o);
    /* --exclude (out of stock) */
    snprintf(cmd, sizeof cmd,
             "'%s' reco for 1 --transactions '%s' --model-file '%s/m.reco' --n 1 --exclude b1 --json 2>/dev/null", BIN,
             csv, dir);
    o = run_json(cmd);
    ASSERT(o);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(json_object_get(o, "items"), 0), "item")), "b2");
    json_decref(o);
}

TEST(cli_reco_for_fails_clearly_on_a_damaged_model_or_unknown_member)
{
    const char *dir = pt_test_tmpdir();
    const char *csv = pt_test_write_file(dir, "p.csv", PLANTED);
    const char *bad = pt_test_write_file(dir, "bad.reco", "PTRECO01 but not a model");
    ASSERT(csv && bad);
    char cmd[8192], *out = NULL;
    snprintf(cmd, sizeof cmd, "'%s' reco for 1 --transactions '%s' --model-file '%s' 2>&1", BIN, csv, bad);
    ASSERT_EQ(pt_test_run(&out, "%s", cmd), 4);
    ASSERT(out && strstr(out, "bad.reco: offset 8: version: unsupported version"));
    free(out);
    out = NULL;
    snprintf(cmd, sizeof cmd, "'%s' reco for 99 --transactions '%s' 2>&1", BIN, csv);
    ASSERT_EQ(pt_test_run(&out, "%s", cmd), 3);
    ASSERT(out && strstr(out, "no member '99'"));
    free(out);
}

/* Baskets {P0,P1,P2} {P0,P1} {P0,P2} {P1,P2} {P0,P1,P2,P3} {P3}: {P0} → {P1} has support 3/6,
 * confidence 3/4, lift (3/4)/(4/6) = 1.125 (test_basket.c works the same numbers). */
static const char *BASKETS = "CustomerID,InvoiceNo,InvoiceDate,StockCode,Quantity,UnitPrice\n"
                             "1,T1,2024-01-01,P0,1,1\n1,T1,2024-01-01,P1,1,1\n1,T1,2024-01-01,P2,1,1\n"
                             "2,T2,2024-01-01,P0,1,1\n2,T2,2024-01-01,P1,1,1\n"
                             "3,T3,2024-01-01,P0,1,1\n3,T3,2024-01-01,P2,1,1\n"
                             "4,T4,2024-01-01,P1,1,1\n4,T4,2024-01-01,P2,1,1\n"
                             "5,T5,2024-01-01,P0,1,1\n5,T5,2024-01-01,P1,1,1\n5,T5,2024-01-01,P2,1,1\n"
                             "5,T5,2024-01-01,P3,1,1\n"
                             "6,T6,2024-01-01,P3,1,1\n";

TEST(cli_basket_json_rules_carry_hand_worked_support_confidence_and_lift)
{
    const char *csv = pt_test_write_file(pt_test_tmpdir(), "b.csv", BASKETS);
    ASSERT(csv);
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "'%s' basket --transactions '%s' --min-support 0.3 --min-confidence 0.7 --json 2>/dev/null", BIN, csv);
    json_t *o = run_json(cmd);
    ASSERT(o);
    ASSERT_EQ(json_integer_value(json_object_get(o, "baskets")), 6);
    json_t *rules = json_object_get(o, "rules");
    ASSERT(json_array_size(rules) > 0);
    int found = 0;
    size_t k;
    json_t *r;
    json_array_foreach(rules, k, r)
    {
        json_t *a = json_object_get(r, "antecedent"), *c = json_object_get(r, "consequent");
        ASSERT(json_is_array(a) && json_is_array(c));
        ASSERT(json_number_value(json_object_get(r, "confidence")) >= 0.7);
        if (json_array_size(a) == 1 && json_array_size(c) == 1 &&
            strcmp(json_string_value(json_array_get(a, 0)), "P0") == 0 &&
            strcmp(json_string_value(json_array_get(c, 0)), "P1") == 0) {
            found = 1;
            ASSERT(fabs(json_number_value(json_object_get(r, "support")) - 0.5) < 1e-6);
            ASSERT(fabs(json_number_value(json_object_get(r, "confidence")) - 0.75) < 1e-6);
            ASSERT(fabs(json_number_value(json_object_get(r, "lift")) - 1.125) < 1e-6);
        }
    }
    ASSERT(found);
    json_decref(o);
}

TEST(cli_basket_with_lists_only_rules_from_that_item)
{
    const char *csv = pt_test_write_file(pt_test_tmpdir(), "b.csv", BASKETS);
    ASSERT(csv);
    char *out = NULL;
    int st = pt_test_run(&out, "'%s' basket with P0 --transactions '%s' --min-support 0.3 --min-confidence 0 --csv 2>/dev/null",
                         BIN, csv);
    ASSERT_EQ(st, 0);
    ASSERT(out);
    /* P0 → P1 (lift 9/8) and P0 → P2 (9/8), P0 → P1|P2 (2/6 ÷ 4/6 ÷ 3/6 = 1) — and nothing else */
    ASSERT_STR_EQ(out, "antecedent,consequent,support,confidence,lift,count\n"
                       "\"P0\",\"P1\",0.500000,0.750000,1.125000,3\n"
                       "\"P0\",\"P2\",0.500000,0.750000,1.125000,3\n"
                       "\"P0\",\"P1|P2\",0.333333,0.500000,1.000000,2\n");
    free(out);
}

/* The store path: a small demo store, evaluated, a model trained into DATA/reco.model and used
 * by `reco for` without --model-file, and basket rules over the store's orders. */
TEST(cli_reco_and_basket_run_on_a_demo_store)
{
    const char *dir = pt_test_tmpdir();
    char *out = NULL;
    int st = pt_test_run(&out, "'%s' demo --members 3000 --seed 5 --no-programme --data '%s/data' 2>&1", BIN, dir);
    if (st != 0)
        fprintf(stderr, "%s\n", out ? out : "");
    free(out);
    ASSERT_EQ(st, 0);
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' reco evaluate --models cosine --json --data '%s/data' 2>/dev/null", BIN, dir);
    json_t *o = run_json(cmd);
    ASSERT(o);
    ASSERT_GT(json_integer_value(json_object_get(o, "members_evaluated")), 100);
    ASSERT(metric(o, "cosine", "coverage") > 0);
    json_decref(o);
    ASSERT_EQ(pt_test_run(NULL, "'%s' reco train --model cosine --data '%s/data' >/dev/null 2>&1", BIN, dir), 0);
    snprintf(cmd, sizeof cmd, "'%s' rfm --json --data '%s/data' 2>/dev/null", BIN, dir);
    json_t *r = run_json(cmd);
    ASSERT(r);
    const char *member = json_string_value(json_object_get(json_array_get(json_object_get(r, "members"), 0), "member"));
    ASSERT(member);
    snprintf(cmd, sizeof cmd, "'%s' reco for '%s' --n 5 --json --data '%s/data' 2>/dev/null", BIN, member, dir);
    o = run_json(cmd);
    json_decref(r);
    ASSERT(o);
    ASSERT_STR_EQ(json_string_value(json_object_get(o, "model")), "cosine"); /* the saved model, not bm25 */
    ASSERT_EQ(json_array_size(json_object_get(o, "items")), 5);
    json_decref(o);
    snprintf(cmd, sizeof cmd, "'%s' basket --min-support 0.0005 --min-confidence 0 --json --data '%s/data' 2>/dev/null",
             BIN, dir);
    o = run_json(cmd);
    ASSERT(o);
    ASSERT_GT(json_integer_value(json_object_get(o, "baskets")), 1000);
    json_decref(o);
    ASSERT_EQ(pt_test_run(NULL, "'%s' reco --help >/dev/null && '%s' basket --help >/dev/null", BIN, BIN), 0);
}

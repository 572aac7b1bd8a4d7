/* test_cli_campaign.c — the campaign commands end to end on a small demo: an audience error
 * names line and column and exits 4; a campaign is created, launched (a second launch assigns
 * nothing), shown and reported as JSON whose arm counts add up to the audience; `triggers run`
 * twice fires nothing the second time (every occurrence counted as already fired). */
#include "test.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIN pt_test_patron_bin()

static json_t *run_json(int *status, const char *fmt, const char *data, const char *arg)
{
    char *out = NULL;
    char cmd[8192];
    snprintf(cmd, sizeof cmd, fmt, BIN, arg, data);
    *status = pt_test_run(&out, "%s", cmd);
    json_error_t e;
    json_t *j = out ? json_loads(out, 0, &e) : NULL;
    if (!j)
        fprintf(stderr, "    %s → %d: %.300s\n", cmd, *status, out ? out : "");
    free(out);
    return j;
}

TEST(cli_campaign_create_launch_report_and_triggers_run_twice)
{
    char data[4200], *out = NULL;
    snprintf(data, sizeof data, "%s/d", pt_test_tmpdir());
    int st = pt_test_run(&out, "'%s' demo --members 400 --seed 5 --programme examples/programme.json --data '%s' 2>&1",
                         BIN, data);
    free(out);
    ASSERT_EQ(st, 0);

    out = NULL;
    st = pt_test_run(&out, "'%s' audience preview 'orders >= (' --data '%s' 2>&1", BIN, data);
    ASSERT_EQ(st, 4);
    ASSERT(out && strstr(out, "line 1, column 11: a value is expected, found (") != NULL);
    free(out);

    out = NULL;
    st = pt_test_run(&out, "'%s' campaign create t1 --audience 'orders >= 1' --points 50 --control 30 --seed 9 --data '%s'",
                     BIN, data);
    free(out);
    ASSERT_EQ(st, 0);
    long long aud = -1, treated = -1, control = -1, again_t = -1, again_c = -1, done = -1;
    out = NULL;
    ASSERT_EQ(pt_test_run(&out, "'%s' campaign launch t1 --data '%s'", BIN, data), 0);
    ASSERT(out && sscanf(strstr(out, "audience"), "audience %lld, treated %lld, control %lld", &aud, &treated,
                         &control) == 3);
    free(out);
    ASSERT_GT(aud, 10);
    ASSERT_EQ(treated + control, aud);
    out = NULL;
    ASSERT_EQ(pt_test_run(&out, "'%s' campaign launch t1 --data '%s'", BIN, data), 0);
    ASSERT(out && sscanf(strstr(out, "treated"), "treated %lld, control %lld, already done %lld", &again_t, &again_c,
                         &done) == 3);
    free(out);
    ASSERT_EQ(again_t + again_c, 0);
    ASSERT_EQ(done, aud);

    json_t *j = run_json(&st, "'%s' campaign show %s --json --data '%s'", data, "t1");
    ASSERT_EQ(st, 0);
    ASSERT(j != NULL);
    ASSERT_EQ(json_integer_value(json_object_get(j, "treated")), treated);
    ASSERT_EQ(json_integer_value(json_object_get(j, "control")), control);
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "status")), "launched");
    json_decref(j);

    j = run_json(&st, "'%s' campaign report %s --json --data '%s'", data, "t1");
    ASSERT_EQ(st, 0);
    ASSERT(j != NULL);
    ASSERT_EQ(json_integer_value(json_object_get(json_object_get(j, "treatment"), "n")), treated);
    ASSERT_EQ(json_integer_value(json_object_get(json_object_get(j, "control"), "n")), control);
    ASSERT_EQ(json_integer_value(json_object_get(j, "points_cost")), 50 * treated);
    json_decref(j);

    json_t *first = run_json(&st, "'%s' triggers run --json%s --data '%s'", data, "");
    ASSERT_EQ(st, 0);
    json_t *second = run_json(&st, "'%s' triggers run --json%s --data '%s'", data, "");
    ASSERT_EQ(st, 0);
    ASSERT(first && second);
    long long fired = 0;
    const char *rules[] = {"points_expiring", "churn_risk", "birthday", "tier_drop", "dormant", "welcome"};
    for (int k = 0; k < 6; k++) {
        fired += json_integer_value(json_object_get(first, rules[k]));
        ASSERT_EQ(json_integer_value(json_object_get(second, rules[k])), 0);
    }
    ASSERT_GT(fired, 0);
    ASSERT_EQ(json_integer_value(json_object_get(second, "already")),
              fired + json_integer_value(json_object_get(first, "already")));
    json_decref(first);
    json_decref(second);
}

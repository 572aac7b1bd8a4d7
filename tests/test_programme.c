/* test_programme.c — the programme file (src/programme.c): the shipped example parses clean;
 * every class of bad field is one issue at its JSON path; unknown keys are errors with a
 * suggestion; rates convert exactly to basis points; rules that never fire or conflict are
 * warnings; the canonical text is stable, reparses to itself and its version follows every
 * change; lot expiry (年底清零 and N days/months) is local to the programme's zone; and
 * `patron programme check|show` end to end.
 *
 * Epoch values are worked out by hand from 2025-01-01T00:00:00Z = 1735689600, 86400 s a day,
 * Beijing = UTC+8 all year. */
#include "test.h"
#include "patron/buf.h"
#include "patron/error.h"
#include "patron/programme.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define JAN1_2025 1735689600LL
#define DAY 86400LL
#define BIN pt_test_patron_bin()
#define EXAMPLE "examples/programme.json"

static pt_programme prog;
static pt_programme_report rep;

static const char DEFAULT_TIERS[] =
    "{\"code\":\"normal\",\"name_zh\":\"普通\",\"threshold\":0},"
    "{\"code\":\"gold\",\"name_zh\":\"金卡\",\"threshold\":1000,\"points_multiplier\":1.5}";
static const char DEFAULT_RULES[] =
    "{\"code\":\"base\",\"kind\":\"base\",\"points_per_unit\":1},{\"code\":\"tier\",\"kind\":\"tier\"}";

/* A small programme: currency, zone, extra top-level fields (with a trailing comma), tiers and
 * rules (array bodies; NULL = the defaults above). */
static const char *build_full(const char *currency, const char *tz, const char *extra, const char *tiers,
                              const char *rules)
{
    static char text[16384];
    snprintf(text, sizeof text,
             "{\"name\":\"test\",\"currency\":\"%s\",\"timezone\":\"%s\",\"growth\":{\"per_unit\":1},%s"
             "\"tiers\":[%s],\"rules\":[%s]}",
             currency, tz, extra, tiers ? tiers : DEFAULT_TIERS, rules ? rules : DEFAULT_RULES);
    return text;
}

static const char *build(const char *extra, const char *tiers, const char *rules)
{
    return build_full("CNY", "Asia/Shanghai", extra, tiers, rules);
}

static int parse(const char *text)
{
    return pt_programme_parse(text, strlen(text), &prog, &rep);
}

/* The first issue with this path and severity, or NULL (and the report printed). */
static const pt_programme_issue *issue_at(const char *path, int severity)
{
    for (int i = 0; i < rep.nissues && i < 128; i++)
        if (strcmp(rep.issues[i].path, path) == 0 && rep.issues[i].severity == severity)
            return &rep.issues[i];
    for (int i = 0; i < rep.nissues && i < 128; i++)
        fprintf(stderr, "    issue %d: %s %s: %s (value %s)\n", i, rep.issues[i].severity == 1 ? "E" : "W",
                rep.issues[i].path, rep.issues[i].reason, rep.issues[i].value);
    return NULL;
}

/* The reason of that issue, or "" when there is none (the report is printed). */
static const char *reason_at(const char *path, int severity)
{
    const pt_programme_issue *is = issue_at(path, severity);
    return is ? is->reason : "";
}

static int count_severity(int severity)
{
    int n = 0;
    for (int i = 0; i < rep.nissues && i < 128; i++)
        n += rep.issues[i].severity == severity;
    return n;
}

TEST(programme_example_file_parses_with_no_errors_or_warnings)
{
    int rc = pt_programme_load_file(EXAMPLE, &prog, &rep);
    if (rc || rep.nissues)
        issue_at("(print)", 0);
    ASSERT_OK(rc);
    ASSERT_EQ(rep.nissues, 0);
    ASSERT_STR_EQ(prog.currency, "CNY");
    ASSERT_STR_EQ(prog.timezone, "Asia/Shanghai");
    ASSERT_EQ(prog.ntiers, 4);
    ASSERT_STR_EQ(prog.tiers[2].code, "gold");
    ASSERT_STR_EQ(prog.tiers[2].name_zh, "金卡会员");
    ASSERT_EQ(prog.tiers[2].points_multiplier_bp, 15000);
    ASSERT_EQ(prog.tiers[2].discount_bp, 500);
    ASSERT_EQ(prog.tiers[3].points_multiplier_bp, 20000);
    ASSERT_EQ(prog.expiry_kind, PT_EXPIRY_YEAR_END);
    ASSERT_EQ(prog.expiry_n, 1);
    ASSERT_EQ(prog.pending_days, 7);
    ASSERT_EQ(prog.refund_policy, PT_REFUND_DEBT);
    ASSERT_EQ(prog.points_per_payment_unit, 100);
    ASSERT_EQ(prog.payment_unit_cents, 100);
    ASSERT_EQ(prog.payment_max_bp, 5000);
    int md = pt_programme_rule_index(&prog, "member_day");
    ASSERT_GE(md, 0);
    ASSERT_EQ(prog.rules[md].kind, PT_RULE_MEMBER_DAY);
    ASSERT_EQ(prog.rules[md].day_of_month, 8);
    ASSERT_EQ(prog.rules[md].multiplier_bp, 20000);
    /* 618 week "2025-06-12" … "2025-06-18" (through the 18th, Beijing):
     * starts 2025-06-12 00:00 +08 = 2025-06-11T16:00Z = JAN1_2025 + 161 days + 16 h = 1749657600;
     * ends   2025-06-19 00:00 +08 = 2025-06-18T16:00Z = JAN1_2025 + 168 days + 16 h = 1750262400. */
    int w = pt_programme_rule_index(&prog, "double_week_618");
    ASSERT_GE(w, 0);
    ASSERT_EQ(prog.rules[w].starts_at, 1749657600);
    ASSERT_EQ(prog.rules[w].ends_at, 1750262400);
    ASSERT_EQ(prog.rules[w].budget, 5000000);
    const pt_reward_def *tea = pt_programme_reward(&prog, "diamond_afternoon_tea");
    ASSERT(tea != NULL);
    ASSERT_STR_EQ(tea->min_tier, "diamond");
    ASSERT_EQ(tea->stock, 100);
    ASSERT(pt_programme_reward(&prog, "coupon_10_off_99")->is_coupon);
    ASSERT_EQ(pt_programme_reward(&prog, "coupon_10_off_99")->coupon_min_spend_cents, 9900);
    ASSERT_EQ(pt_programme_reward(&prog, "coupon_shipping")->stock, -1);
    ASSERT_EQ(prog.referral_referrer_points, 500);
}

struct bad_case {
    const char *currency, *tz, *extra, *tiers, *rules; /* NULL: defaults */
    const char *path, *reason;
};

static const struct bad_case bad_cases[] = {
    {"cny", 0, 0, 0, 0, "currency", "ISO 4217"},
    {0, "Asia/Shanghia", 0, 0, 0, "timezone", "IANA"},
    {0, 0, 0, "{\"code\":\"normal\",\"name_zh\":\"普通\",\"threshold\":5}", 0, "tiers[0].threshold", "threshold 0"},
    {0, 0, 0, "{\"code\":\"normal\",\"name_zh\":\"普通\",\"threshold\":0},{\"code\":\"gold\",\"name_zh\":\"金\","
              "\"threshold\":1000,\"retain\":2000}", 0, "tiers[1].retain", "above the threshold"},
    {0, 0, 0, "{\"code\":\"normal\",\"name_zh\":\"普通\",\"threshold\":0},{\"code\":\"gold\",\"name_zh\":\"金\","
              "\"threshold\":1000,\"points_multiplier\":\"1.23456\"}", 0, "tiers[1].points_multiplier", "more than 4 decimals"},
    {0, 0, 0, "{\"code\":\"normal\",\"name_zh\":\"普通\",\"threshold\":0},{\"code\":\"gold\",\"name_zh\":\"金\","
              "\"threshold\":0}", 0, "tiers[1].threshold", "must be above tiers[0]"},
    {0, 0, 0, "{\"code\":\"normal\",\"name_zh\":\"普通\",\"threshold\":0},{\"code\":\"Gold\",\"name_zh\":\"金\","
              "\"threshold\":10}", 0, "tiers[1].code", "a-z"},
    {0, 0, 0, "{\"code\":\"normal\",\"name_zh\":\"普通\",\"threshold\":0},\"gold\"", 0, "tiers[1]", "expected an object"},
    {0, 0, 0, 0, "{\"code\":\"base\",\"kind\":\"base\",\"points_per_unit\":1},{\"code\":\"w\",\"kind\":\"window\","
                 "\"multiplier\":\"0.5\",\"starts\":\"2025-06-12\"}", "rules[1].multiplier", "from 1.0"},
    {0, 0, 0, 0, "{\"code\":\"base\",\"kind\":\"base\",\"points_per_unit\":1},{\"code\":\"w\",\"kind\":\"window\","
                 "\"multiplier\":2,\"starts\":\"2025-06-12\",\"ends\":\"2025-06-01\"}", "rules[1].ends", "ends before it starts"},
    {0, 0, 0, 0, "{\"code\":\"base\",\"kind\":\"base\",\"points_per_unit\":1},{\"code\":\"w\",\"kind\":\"window\","
                 "\"multiplier\":2,\"starts\":\"2025-02-30\"}", "rules[1].starts", "no such date"},
    {0, 0, 0, 0, "{\"code\":\"base\",\"kind\":\"base\",\"points_per_unit\":1},{\"code\":\"w\",\"kind\":\"window\","
                 "\"multiplier\":2,\"starts\":\"12/06/2025\"}", "rules[1].starts", "expected a local date"},
    {0, 0, 0, 0, "{\"code\":\"base\",\"kind\":\"base\",\"points_per_unit\":1},{\"code\":\"md\",\"kind\":\"member_day\","
                 "\"day_of_month\":32,\"multiplier\":2}", "rules[1].day_of_month", "from 1 to 31"},
    {0, 0, 0, 0, "{\"code\":\"base\",\"kind\":\"base\",\"points_per_unit\":1},{\"code\":\"x\",\"kind\":\"bonus\"}",
     "rules[1].kind", "expected one of"},
    {0, 0, 0, 0, "{\"code\":\"base\",\"kind\":\"base\",\"points_per_unit\":1},{\"code\":\"x\"}", "rules[1].kind", "missing"},
    {0, 0, 0, 0, "{\"code\":\"base\",\"kind\":\"base\",\"points_per_unit\":1},{\"code\":\"base\",\"kind\":\"tier\"}",
     "rules[1].code", "duplicate code"},
    {0, 0, 0, 0, "{\"code\":\"base\",\"kind\":\"base\",\"points_per_unit\":1},{\"code\":\"r\",\"kind\":\"review\","
                 "\"points\":\"ten\"}", "rules[1].points", "whole number"},
    {0, 0, 0, 0, "{\"code\":\"base\",\"kind\":\"base\",\"points_per_unit\":1},{\"code\":\"c\",\"kind\":\"category\","
                 "\"categories\":[\"茶\"],\"multiplier\":2,\"points\":3}", "rules[1].points", "not used by a rule of kind"},
    {0, 0, 0, 0, "{\"code\":\"base\",\"kind\":\"base\",\"points_per_unit\":1},{\"code\":\"c\",\"kind\":\"checkin\","
                 "\"points\":5,\"streak_days\":7}", "rules[1]", "go together"},
    {0, 0, "\"points\":{\"expiry\":{\"policy\":\"days\"}},", 0, 0, "points.expiry.days", "missing"},
    {0, 0, "\"points\":{\"expiry\":{\"policy\":\"weekly\"}},", 0, 0, "points.expiry.policy", "expected one of"},
    {0, 0, "\"points\":{\"payment\":{\"points\":100,\"value_cents\":100,\"max_share\":\"150%\"}},", 0, 0,
     "points.payment.max_share", "at most 100%"},
    {0, 0, "\"tier_policy\":{\"review_months\":0},", 0, 0, "tier_policy.review_months", "from 1 to 60"},
    {0, 0, "\"rewards\":[{\"code\":\"tea\",\"name\":\"茶\",\"cost_points\":10,\"min_tier\":\"platinum\"}],", 0, 0,
     "rewards[0].min_tier", "no tier"},
    {0, 0, "\"rewards\":[{\"code\":\"c\",\"name\":\"券\",\"cost_points\":10,\"coupon\":{\"value_cents\":0,"
           "\"valid_days\":30}}],", 0, 0, "rewards[0].coupon.value_cents", "from 1"},
};

TEST(programme_each_bad_field_is_an_error_at_its_json_path)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
        const struct bad_case *c = &bad_cases[i];
        const char *text = build_full(c->currency ? c->currency : "CNY", c->tz ? c->tz : "Asia/Shanghai",
                                      c->extra ? c->extra : "", c->tiers, c->rules);
        int rc = parse(text);
        const pt_programme_issue *is = issue_at(c->path, PT_ISSUE_ERROR);
        if (rc != PT_EINVAL || !is || !strstr(is->reason, c->reason))
            PT__FAIL("case %zu (%s): rc %d, issue %s", i, c->path, rc, is ? is->reason : "(none)");
        if (rep.nerrors != 1)
            PT__FAIL("case %zu (%s): %d errors, expected exactly one", i, c->path, rep.nerrors);
    }
}

TEST(programme_unknown_keys_are_errors_with_a_suggestion)
{
    const char *text = build("\"referal\":{\"referrer_points\":5},",
                             "{\"code\":\"normal\",\"name_zh\":\"普通\",\"treshold\":0,\"colour\":\"red\"}",
                             "{\"code\":\"base\",\"kind\":\"base\",\"points_per_unit\":1,\"multipler\":2}");
    ASSERT_EQ(parse(text), PT_EINVAL);
    const pt_programme_issue *is = issue_at("referal", PT_ISSUE_ERROR);
    ASSERT(is);
    ASSERT_STR_CONTAINS(is->reason, "did you mean \"referral\"");
    ASSERT_STR_EQ(is->value, "{\"referrer_points\":5}");
    is = issue_at("tiers[0].treshold", PT_ISSUE_ERROR);
    ASSERT(is);
    ASSERT_STR_CONTAINS(is->reason, "did you mean \"threshold\"");
    is = issue_at("tiers[0].colour", PT_ISSUE_ERROR);
    ASSERT(is);
    ASSERT_STR_EQ(is->reason, "unknown field");
    /* a known rule field that this kind does not use is not "did you mean" but "not used" */
    is = issue_at("rules[0].multipler", PT_ISSUE_ERROR);
    ASSERT(is);
    ASSERT_STR_CONTAINS(is->reason, "did you mean \"multiplier\"");
    /* "note" is allowed everywhere and ignored */
    ASSERT_OK(parse(build("\"note\":\"hello\",", NULL,
                          "{\"code\":\"base\",\"kind\":\"base\",\"points_per_unit\":1,\"note\":\"x\"},"
                          "{\"code\":\"tier\",\"kind\":\"tier\"}")));
}

TEST(programme_not_json_fails_with_line_and_column)
{
    const char *text = "{\n  \"name\": \"x\",\n  \"currency\": \"CNY\",,\n}";
    ASSERT_EQ(parse(text), PT_EPARSE);
    ASSERT_EQ(rep.nerrors, 1);
    ASSERT_STR_CONTAINS(rep.issues[0].reason, "line 3");
    ASSERT_EQ(parse("[1,2]"), PT_EINVAL);
    ASSERT_STR_CONTAINS(rep.issues[0].reason, "object");
    /* duplicate keys would silently win: they are refused */
    ASSERT_EQ(parse("{\"name\":\"a\",\"name\":\"b\"}"), PT_EPARSE);
}

TEST(programme_rates_convert_exactly_to_basis_points)
{
    /* one tier per way of writing a rate; thresholds ascending */
    const char *tiers =
        "{\"code\":\"t0\",\"name_zh\":\"0\",\"threshold\":0,\"points_multiplier\":1.2,\"discount\":0.05},"
        "{\"code\":\"t1\",\"name_zh\":\"1\",\"threshold\":1,\"points_multiplier\":\"1.5\",\"discount\":\"12.5%\"},"
        "{\"code\":\"t2\",\"name_zh\":\"2\",\"threshold\":2,\"points_multiplier\":2,\"discount\":\"0.0001\"},"
        "{\"code\":\"t3\",\"name_zh\":\"3\",\"threshold\":3,\"points_multiplier\":\"250%\"},"
        "{\"code\":\"t4\",\"name_zh\":\"4\",\"threshold\":4,\"points_multiplier\":\"2.50000\"},"
        "{\"code\":\"t5\",\"name_zh\":\"5\",\"threshold\":5,\"points_multiplier\":2.5001}";
    ASSERT_OK(parse(build("", tiers, NULL)));
    ASSERT_EQ(prog.tiers[0].points_multiplier_bp, 12000); /* 1.2 as a JSON number, not 11999 */
    ASSERT_EQ(prog.tiers[0].discount_bp, 500);
    ASSERT_EQ(prog.tiers[1].points_multiplier_bp, 15000);
    ASSERT_EQ(prog.tiers[1].discount_bp, 1250);
    ASSERT_EQ(prog.tiers[2].points_multiplier_bp, 20000);
    ASSERT_EQ(prog.tiers[2].discount_bp, 1);
    ASSERT_EQ(prog.tiers[3].points_multiplier_bp, 25000);
    ASSERT_EQ(prog.tiers[4].points_multiplier_bp, 25000); /* trailing zeros are exact */
    ASSERT_EQ(prog.tiers[5].points_multiplier_bp, 25001);
    /* 5 decimals, written either way, are not whole basis points */
    ASSERT_EQ(parse(build("", "{\"code\":\"t0\",\"name_zh\":\"0\",\"threshold\":0,\"points_multiplier\":1.00001}", NULL)),
              PT_EINVAL);
    ASSERT(issue_at("tiers[0].points_multiplier", PT_ISSUE_ERROR));
    ASSERT_EQ(parse(build("", "{\"code\":\"t0\",\"name_zh\":\"0\",\"threshold\":0,\"discount\":\"5.125%\"}", NULL)),
              PT_EINVAL);
    ASSERT(issue_at("tiers[0].discount", PT_ISSUE_ERROR));
    char buf[32];
    ASSERT_STR_EQ(pt_bp_str(15000, buf), "1.5");
    ASSERT_STR_EQ(pt_bp_str(10000, buf), "1");
    ASSERT_STR_EQ(pt_bp_str(500, buf), "0.05");
    ASSERT_STR_EQ(pt_bp_str(12345, buf), "1.2345");
}

TEST(programme_warns_about_rules_that_can_never_fire)
{
    const char *rules =
        "{\"code\":\"base\",\"kind\":\"base\",\"points_per_unit\":1},{\"code\":\"tier\",\"kind\":\"tier\"},"
        "{\"code\":\"w\",\"kind\":\"window\",\"multiplier\":1,\"starts\":\"2025-01-01\",\"ends\":\"2025-02-01\"},"
        "{\"code\":\"c\",\"kind\":\"category\",\"categories\":[],\"multiplier\":2},"
        "{\"code\":\"md\",\"kind\":\"member_day\",\"day_of_month\":31,\"multiplier\":2},"
        "{\"code\":\"r\",\"kind\":\"review\",\"points\":0},"
        "{\"code\":\"base2\",\"kind\":\"base\",\"points_per_unit\":2},"
        "{\"code\":\"old\",\"kind\":\"window\",\"multiplier\":2,\"starts\":\"2001-01-01\",\"ends\":\"2001-02-01\"}";
    ASSERT_OK(parse(build("", NULL, rules)));
    ASSERT_EQ(rep.nerrors, 0);
    ASSERT_STR_CONTAINS(reason_at("rules[2]", PT_ISSUE_WARNING), "changes nothing");
    ASSERT_STR_CONTAINS(reason_at("rules[3]", PT_ISSUE_WARNING), "lists no categories");
    ASSERT_STR_CONTAINS(reason_at("rules[4]", PT_ISSUE_WARNING), "31st");
    ASSERT_STR_CONTAINS(reason_at("rules[5]", PT_ISSUE_WARNING), "0 points");
    /* "base" (priority 0) comes before "base2" (priority 0) by code and covers every line */
    ASSERT_STR_CONTAINS(reason_at("rules[6]", PT_ISSUE_WARNING), "rules[0] \"base\"");
    /* a window wholly in the past is history, not a mistake */
    for (int i = 0; i < rep.nissues; i++)
        ASSERT(strcmp(rep.issues[i].path, "rules[7]") != 0);
    ASSERT_EQ(count_severity(PT_ISSUE_WARNING), 5);
    /* tier multipliers without a tier rule are never applied */
    ASSERT_OK(parse(build("", NULL, "{\"code\":\"base\",\"kind\":\"base\",\"points_per_unit\":1}")));
    ASSERT_STR_CONTAINS(reason_at("tiers", PT_ISSUE_WARNING), "kind \"tier\"");
}

TEST(programme_warns_about_conflicting_non_stackable_multipliers)
{
    char rules[2048];
    /* two non-stackable windows overlapping on 2025-06-15 … 2025-06-18 */
    const char *two_windows =
        "%s,{\"code\":\"w1\",\"kind\":\"window\",\"multiplier\":2,\"starts\":\"2025-06-10\",\"ends\":\"2025-06-18\"%s},"
        "{\"code\":\"w2\",\"kind\":\"window\",\"multiplier\":3,\"starts\":\"%s\",\"ends\":\"2025-06-30\"}";
    snprintf(rules, sizeof rules, two_windows, DEFAULT_RULES, "", "2025-06-15");
    ASSERT_OK(parse(build("", NULL, rules)));
    const pt_programme_issue *is = issue_at("rules[3]", PT_ISSUE_WARNING);
    ASSERT(is);
    ASSERT_STR_CONTAINS(is->reason, "conflicts with rules[2] \"w1\"");
    ASSERT_STR_CONTAINS(is->reason, "(×3)");
    ASSERT_STR_EQ(is->value, "");
    /* stackable: they multiply, no conflict */
    snprintf(rules, sizeof rules, two_windows, DEFAULT_RULES, ",\"stackable\":true", "2025-06-15");
    ASSERT_OK(parse(build("", NULL, rules)));
    ASSERT_EQ(rep.nissues, 0);
    /* w1 runs through the 18th, i.e. until 2025-06-19 00:00: w2 from the 19th does not overlap */
    snprintf(rules, sizeof rules, two_windows, DEFAULT_RULES, "", "2025-06-19");
    ASSERT_OK(parse(build("", NULL, rules)));
    ASSERT_EQ(rep.nissues, 0);
    /* category rules conflict only when they share a category */
    snprintf(rules, sizeof rules,
             "%s,{\"code\":\"c1\",\"kind\":\"category\",\"categories\":[\"茶\",\"咖啡\"],\"multiplier\":2},"
             "{\"code\":\"c2\",\"kind\":\"category\",\"categories\":[\"咖啡\"],\"multiplier\":1.5},"
             "{\"code\":\"c3\",\"kind\":\"category\",\"categories\":[\"酒\"],\"multiplier\":1.5},"
             "{\"code\":\"m1\",\"kind\":\"member_day\",\"day_of_month\":8,\"multiplier\":2},"
             "{\"code\":\"m2\",\"kind\":\"member_day\",\"day_of_month\":18,\"multiplier\":2}",
             DEFAULT_RULES);
    ASSERT_OK(parse(build("", NULL, rules)));
    ASSERT(issue_at("rules[3]", PT_ISSUE_WARNING));
    ASSERT_EQ(rep.nissues, 1);
}

TEST(programme_canonical_text_is_stable_and_reparses_to_itself)
{
    pt_buf a, b;
    char va[33], vb[33];
    pt_buf_init(&a, 0);
    pt_buf_init(&b, 0);
    ASSERT_OK(pt_programme_load_file(EXAMPLE, &prog, &rep));
    ASSERT_OK(pt_programme_canonical(&prog, &a, va));
    ASSERT_EQ(strlen(va), 32);
    ASSERT_EQ(strncmp(pt_buf_str(&a), "{\"currency\":\"CNY\",", 18), 0); /* sorted keys, compact */
    ASSERT_STR_CONTAINS(pt_buf_str(&a), "\"starts\":\"2025-06-11T16:00:00Z\"");
    ASSERT_STR_CONTAINS(pt_buf_str(&a), "\"points_multiplier\":\"1.5\"");
    /* the canonical text is a programme file that gives the same programme back */
    char *copy = strdup(pt_buf_str(&a));
    ASSERT_OK(parse(copy));
    ASSERT_EQ(rep.nissues, 0);
    ASSERT_OK(pt_programme_canonical(&prog, &b, vb));
    ASSERT_STR_EQ(pt_buf_str(&b), copy);
    ASSERT_STR_EQ(vb, va);
    free(copy);
    /* formatting, key order, notes, defaults written out and rate spelling do not matter */
    ASSERT_OK(parse(build("", NULL, NULL)));
    ASSERT_OK(pt_programme_canonical(&prog, &a, va));
    ASSERT_OK(parse(build_full("CNY", "Asia/Shanghai", "\"note\":\"same\",\"points\":{\"expiry\":{\"policy\":\"never\"}},",
                               "{\"name_zh\":\"普通\",\"code\":\"normal\",\"threshold\":0,\"retain\":0},"
                               "{\"code\":\"gold\",\"name_zh\":\"金卡\",\"threshold\":1000,\"points_multiplier\":\"150%\"}",
                               "{ \"kind\": \"base\", \"code\": \"base\", \"points_per_unit\": 1, \"unit_cents\": 100,"
                               "  \"priority\": 0 }, {\"code\":\"tier\",\"kind\":\"tier\"}")));
    ASSERT_OK(pt_programme_canonical(&prog, &b, vb));
    ASSERT_STR_EQ(pt_buf_str(&b), pt_buf_str(&a));
    ASSERT_STR_EQ(vb, va);
    pt_buf_free(&a);
    pt_buf_free(&b);
}

TEST(programme_version_changes_when_any_field_changes)
{
    char base[33], v[33];
    ASSERT_OK(pt_programme_load_file(EXAMPLE, &prog, &rep));
    ASSERT_OK(pt_programme_canonical(&prog, NULL, base));
    int md = pt_programme_rule_index(&prog, "member_day");
    prog.rules[md].multiplier_bp = 25000;
    ASSERT_OK(pt_programme_canonical(&prog, NULL, v));
    ASSERT(strcmp(v, base) != 0);
    prog.rules[md].multiplier_bp = 20000;
    ASSERT_OK(pt_programme_canonical(&prog, NULL, v));
    ASSERT_STR_EQ(v, base);
    prog.tiers[1].retain = 1501;
    ASSERT_OK(pt_programme_canonical(&prog, NULL, v));
    ASSERT(strcmp(v, base) != 0);
    prog.tiers[1].retain = 1500;
    prog.rewards[0].stock = 7;
    ASSERT_OK(pt_programme_canonical(&prog, NULL, v));
    ASSERT(strcmp(v, base) != 0);
}

static int64_t expiry_of(const char *policy, int64_t earned)
{
    char extra[256];
    snprintf(extra, sizeof extra, "\"points\":{\"expiry\":%s},", policy);
    if (parse(build("", NULL, NULL)) != 0)
        return -1;
    if (parse(build(extra, NULL, NULL)) != 0)
        return -2;
    return pt_programme_lot_expiry(&prog, earned);
}

TEST(programme_year_end_expiry_crosses_the_year_boundary_in_shanghai)
{
    /* 年底清零 one year later (year_end, years_after 1), Asia/Shanghai (UTC+8):
     *
     * (a) earned 2025-12-31 23:30 Beijing = 2025-12-31T15:30Z = JAN1_2025 + 364 d + 15:30
     *     = 1767139200 + 55800 = 1767195000. Local year 2025 → usable through the end of 2026:
     *     2026-12-31 23:59:59 Beijing = 2026-12-31T15:59:59Z. 2027-01-01T00:00Z = JAN1_2025 +
     *     730 d = 1798761600, so 2026-12-31T15:59:59Z = 1798761600 − 86400 + 57599 = 1798732799.
     * (b) earned 40 minutes later, 2026-01-01 00:10 Beijing = 2025-12-31T16:10Z = 1767197400:
     *     still 2025 in UTC, but 2026 locally → usable through 2027-12-31 23:59:59 Beijing =
     *     2027-12-31T15:59:59Z = (JAN1_2025 + 1095 d = 1830297600) − 86400 + 57599 = 1830268799.
     * (c) years_after 0: (a) lapses at the end of its own local year, 2025-12-31T15:59:59Z =
     *     1767139200 + 57599 = 1767196799, 29 min 59 s after it was earned. */
    ASSERT_EQ(expiry_of("{\"policy\":\"year_end\",\"years_after\":1}", 1767195000), 1798732799);
    ASSERT_EQ(expiry_of("{\"policy\":\"year_end\",\"years_after\":1}", 1767197400), 1830268799);
    ASSERT_EQ(expiry_of("{\"policy\":\"year_end\",\"years_after\":0}", 1767195000), 1767196799);
    ASSERT_EQ(expiry_of("{\"policy\":\"year_end\"}", 1767197400), 1798732799);
    ASSERT_EQ(expiry_of("{\"policy\":\"never\"}", 1767197400), 0);
}

TEST(programme_days_and_months_expiry_end_at_local_midnight)
{
    /* days 30: earned 2025-01-15 10:00 Beijing (02:00Z = JAN1_2025 + 14 d + 2 h) → the end of
     * 2025-02-14 local = 2025-02-14T15:59:59Z = JAN1_2025 + 44 d + 57599. */
    ASSERT_EQ(expiry_of("{\"policy\":\"days\",\"days\":30}", JAN1_2025 + 14 * DAY + 7200), JAN1_2025 + 44 * DAY + 57599);
    /* months 1 from 2025-01-31 10:00 Beijing: no 31 February → the end of 2025-02-28 local =
     * 2025-02-28T15:59:59Z = JAN1_2025 + 58 d + 57599. */
    ASSERT_EQ(expiry_of("{\"policy\":\"months\",\"months\":1}", JAN1_2025 + 30 * DAY + 7200), JAN1_2025 + 58 * DAY + 57599);
    /* New York, days 1 across the spring-forward night: earned 2025-03-08 12:00 EST
     * (17:00Z = JAN1_2025 + 66 d + 17 h) → the end of 2025-03-09 local, a 23-hour day: next
     * midnight is 2025-03-10 00:00 EDT = 04:00Z, so 2025-03-10T03:59:59Z = JAN1_2025 + 68 d + 14399. */
    ASSERT_OK(parse(build_full("USD", "America/New_York", "\"points\":{\"expiry\":{\"policy\":\"days\",\"days\":1}},",
                               NULL, NULL)));
    ASSERT_EQ(pt_programme_lot_expiry(&prog, JAN1_2025 + 66 * DAY + 17 * 3600), JAN1_2025 + 68 * DAY + 14399);
}

/* --- the CLI -------------------------------------------------------------------------------- */

TEST(programme_cli_check_exits_4_and_names_the_bad_field)
{
    const char *dir = pt_test_tmpdir();
    const char *path = pt_test_write_file(dir, "bad.json",
                                          build("", NULL, "{\"code\":\"base\",\"kind\":\"base\",\"points_per_unit\":1},"
                                                          "{\"code\":\"w\",\"kind\":\"window\",\"multiplier\":\"0.5\"}"));
    char *out = NULL;
    int st = pt_test_run(&out, "'%s' programme check '%s' 2>&1", BIN, path);
    ASSERT_EQ(st, 4);
    ASSERT_STR_CONTAINS(out, "bad.json: rules[1].multiplier: error: a multiplier must be from 1.0 to 100 (value: \"0.5\")");
    ASSERT_STR_CONTAINS(out, "1 error");
    free(out);
    st = pt_test_run(&out, "'%s' programme check '%s' --json", BIN, path);
    ASSERT_EQ(st, 4);
    json_t *o = json_loads(out ? out : "", 0, NULL);
    free(out);
    ASSERT(o);
    ASSERT(json_is_false(json_object_get(o, "valid")));
    json_t *first = json_array_get(json_object_get(o, "issues"), 0);
    ASSERT_STR_EQ(json_string_value(json_object_get(first, "path")), "rules[1].multiplier");
    ASSERT_STR_EQ(json_string_value(json_object_get(first, "severity")), "error");
    json_decref(o);
    st = pt_test_run(&out, "'%s' programme check '%s/missing.json' 2>&1", BIN, dir);
    ASSERT_EQ(st, 3);
    free(out);
    ASSERT_EQ(pt_test_run(NULL, "'%s' programme check >/dev/null 2>&1", BIN), 2);
}

TEST(programme_cli_check_and_show_accept_the_example)
{
    char *out = NULL;
    int st = pt_test_run(&out, "'%s' programme check " EXAMPLE " 2>&1", BIN);
    ASSERT_EQ(st, 0);
    ASSERT_STR_CONTAINS(out, "0 errors, 0 warnings; version ");
    free(out);
    st = pt_test_run(&out, "'%s' programme show " EXAMPLE " 2>&1", BIN);
    ASSERT_EQ(st, 0);
    ASSERT_STR_CONTAINS(out, "金卡会员 Gold");
    ASSERT_STR_CONTAINS(out, "年底清零");
    /* rules in evaluation order: multipliers SKU, category, window, member day, birthday, tier */
    const char *sku = strstr(out, "new_arrival_x3"), *md = strstr(out, "member_day"), *tier = strstr(out, " tier ");
    const char *first = strstr(out, "first_purchase");
    ASSERT(sku && md && tier && first);
    ASSERT(sku < md && md < tier && tier < first);
    free(out);
    st = pt_test_run(&out, "'%s' programme show " EXAMPLE " --json", BIN);
    ASSERT_EQ(st, 0);
    json_t *o = json_loads(out ? out : "", 0, NULL);
    free(out);
    ASSERT(o);
    ASSERT_EQ(strlen(json_string_value(json_object_get(o, "version"))), 32);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(o, "programme"), "timezone")), "Asia/Shanghai");
    json_decref(o);
    ASSERT_EQ(pt_test_run(&out, "'%s' programme --help", BIN), 0);
    ASSERT_STR_CONTAINS(out, "patron programme check FILE");
    free(out);
}

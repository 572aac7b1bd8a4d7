/* test_rules.c — the earn-rules engine (src/rules.c) on a small programme in Asia/Shanghai:
 * base rate, exclusions, tier multiplier, single rounding, stackable vs non-stackable, member
 * day, campaign windows (start inclusive, end exclusive), birthday month, first-purchase bonus,
 * rule caps, budgets and member caps, the programme's daily cap, growth value, check-in
 * streaks, the evaluation order, the trace and bad input.
 *
 * Every expected number is worked out by hand in the comment above its assertion. Instants:
 * 2025-01-01T00:00:00Z = 1735689600, 86400 s a day, Beijing = UTC+8. */
#include "test.h"
#include "patron/error.h"
#include "patron/rules.h"

#include <stdlib.h>
#include <string.h>

/* 2025-06-03 12:00 Beijing (a Tuesday; not the 8th, no campaign) = 04:00Z = 1735689600 + 153 d + 4 h */
#define T_PLAIN 1748923200LL
/* 2025-07-08 12:00 Beijing (member day) = 1735689600 + 188 d + 4 h */
#define T_MEMBER_DAY 1751947200LL
/* 2025-06-15 12:00 Beijing, inside the double-points week = 1735689600 + 165 d + 4 h */
#define T_WINDOW 1749960000LL
/* the week "2025-06-12" … "2025-06-18": [2025-06-12 00:00, 2025-06-19 00:00) Beijing */
#define WINDOW_START 1749657600LL /* 2025-06-11T16:00Z */
#define WINDOW_END 1750262400LL   /* 2025-06-18T16:00Z */

static const char RULES_PROGRAMME[] =
    "{\"name\":\"rules test\",\"currency\":\"CNY\",\"timezone\":\"Asia/Shanghai\","
    " \"growth\":{\"per_unit\":1,\"unit_cents\":100,\"checkin\":1,\"review\":5,\"share\":2},"
    " \"tiers\":[{\"code\":\"normal\",\"name_zh\":\"普通\",\"threshold\":0},"
    "            {\"code\":\"silver\",\"name_zh\":\"银卡\",\"threshold\":1000,\"points_multiplier\":\"1.2\"},"
    "            {\"code\":\"gold\",\"name_zh\":\"金卡\",\"threshold\":5000,\"points_multiplier\":\"1.5\"}],"
    " \"rules\":["
    "  {\"code\":\"base\",\"kind\":\"base\",\"points_per_unit\":1,\"unit_cents\":100},"
    "  {\"code\":\"gift_cards\",\"kind\":\"base\",\"priority\":-1,\"categories\":[\"礼品卡\"],\"points_per_unit\":0},"
    "  {\"code\":\"tier\",\"kind\":\"tier\"},"
    "  {\"code\":\"member_day\",\"kind\":\"member_day\",\"day_of_month\":8,\"multiplier\":2},"
    "  {\"code\":\"double_week\",\"kind\":\"window\",\"starts\":\"2025-06-12\",\"ends\":\"2025-06-18\","
    "   \"multiplier\":2,\"budget\":1000,\"member_cap\":500},"
    "  {\"code\":\"beauty\",\"kind\":\"category\",\"categories\":[\"美妆\"],\"multiplier\":1.5},"
    "  {\"code\":\"tea_a\",\"kind\":\"category\",\"categories\":[\"茶\"],\"multiplier\":1.5,\"stackable\":true},"
    "  {\"code\":\"tea_b\",\"kind\":\"category\",\"categories\":[\"茶\"],\"multiplier\":2},"
    "  {\"code\":\"tea_c\",\"kind\":\"category\",\"categories\":[\"茶\"],\"multiplier\":1.2},"
    "  {\"code\":\"birthday\",\"kind\":\"birthday\",\"multiplier\":2},"
    "  {\"code\":\"first_purchase\",\"kind\":\"first_purchase\",\"points\":200},"
    "  {\"code\":\"checkin\",\"kind\":\"checkin\",\"points\":5,\"streak_days\":7,\"streak_points\":50},"
    "  {\"code\":\"review\",\"kind\":\"review\",\"points\":20,\"daily_cap\":60}"
    " ]}";

static pt_programme prog;
static pt_earn_result res;

/* Parses the programme above (fresh for every test, so tests may edit it). */
static int setup(pt_earn_ctx *ctx, int64_t at, int tier)
{
    pt_programme_report rep;
    int rc = pt_programme_parse(RULES_PROGRAMME, strlen(RULES_PROGRAMME), &prog, &rep);
    if (rc)
        fprintf(stderr, "    programme: %s: %s\n", rep.issues[0].path, rep.issues[0].reason);
    memset(ctx, 0, sizeof *ctx);
    ctx->at = at;
    ctx->tier = tier;
    return rc;
}

static pt_earn_line line(int no, const char *category, int64_t cents)
{
    pt_earn_line l = {.line_no = no, .amount_cents = cents};
    snprintf(l.sku, sizeof l.sku, "SKU-%d", no);
    snprintf(l.category, sizeof l.category, "%s", category);
    return l;
}

static int rule(const char *code)
{
    return pt_programme_rule_index(&prog, code);
}

/* Points of the result row with this line_no (0: the order bonuses), or -1. */
static int64_t points_of(int line_no)
{
    for (int i = 0; i < res.nlines; i++)
        if (res.lines[i].line_no == line_no)
            return res.lines[i].points;
    return -1;
}

static int evaluate1(const pt_earn_ctx *ctx, const char *category, int64_t cents)
{
    pt_earn_line l = line(1, category, cents);
    return pt_rules_evaluate_order(&prog, ctx, &l, 1, &res);
}

TEST(rules_base_earns_whole_units_times_the_rate)
{
    pt_earn_ctx ctx;
    ASSERT_OK(setup(&ctx, T_PLAIN, 0));
    /* ¥128.50 → floor(12850 / 100) = 128 units × 1 = 128; ¥0.99 → 0; a refund line (−¥5) → 0.
     * Growth the same way: 128 + 0 + 0. Line 0 (order bonuses) is always listed last. */
    pt_earn_line lines[] = {line(1, "服装", 12850), line(2, "服装", 99), line(3, "服装", -500)};
    ASSERT_OK(pt_rules_evaluate_order(&prog, &ctx, lines, 3, &res));
    ASSERT_EQ(res.nlines, 4);
    ASSERT_EQ(res.lines[0].points, 128);
    ASSERT_EQ(res.lines[0].growth, 128);
    ASSERT_EQ(res.lines[0].rule, rule("base"));
    ASSERT_EQ(res.lines[1].points, 0);
    ASSERT_EQ(res.lines[2].points, 0);
    ASSERT_EQ(res.lines[2].rule, -1);
    ASSERT_EQ(res.lines[3].line_no, 0);
    ASSERT_EQ(res.total_points, 128);
    ASSERT_EQ(res.total_growth, 128);
    ASSERT_EQ(res.rule_points[rule("base")], 128);
    ASSERT_EQ(res.nsteps, 1);
    ASSERT_EQ(res.steps[0].points_before, 0);
    ASSERT_EQ(res.steps[0].points_after, 128);
    ASSERT_STR_CONTAINS(res.steps[0].why, "base");
}

TEST(rules_a_base_rule_with_categories_excludes_gift_cards)
{
    pt_earn_ctx ctx;
    ASSERT_OK(setup(&ctx, T_MEMBER_DAY, 2));
    /* "gift_cards" (priority −1) comes before "base" and gives 礼品卡 lines 0 per unit, so not
     * even member day ×2 or gold ×1.5 apply: 0 points. Growth is not a rule: ¥500 → 500. */
    ASSERT_OK(evaluate1(&ctx, "礼品卡", 50000));
    ASSERT_EQ(res.total_points, 0);
    ASSERT_EQ(res.total_growth, 500);
    ASSERT_EQ(res.lines[0].rule, rule("gift_cards"));
}

TEST(rules_tier_multiplier_applies_last_and_the_line_is_rounded_once)
{
    pt_earn_ctx ctx;
    ASSERT_OK(setup(&ctx, T_PLAIN, 2)); /* gold ×1.5 */
    /* 美妆 ¥101: base 101; category ×1.5 and tier ×1.5 → floor(101 × 15000 × 15000 / 10^8)
     * = floor(227.25) = 227. Rounding after each step would give floor(floor(151.5) × 1.5) =
     * floor(226.5) = 226. Shares: base 101, category floor(151.5) − 101 = 50, tier 227 − 151 = 76. */
    ASSERT_OK(evaluate1(&ctx, "美妆", 10100));
    ASSERT_EQ(res.total_points, 227);
    ASSERT_EQ(res.rule_points[rule("base")], 101);
    ASSERT_EQ(res.rule_points[rule("beauty")], 50);
    ASSERT_EQ(res.rule_points[rule("tier")], 76);
    /* the trace: one step per rule, in order */
    ASSERT_EQ(res.nsteps, 3);
    ASSERT_EQ(res.steps[1].rule, rule("beauty"));
    ASSERT_EQ(res.steps[1].points_before, 101);
    ASSERT_EQ(res.steps[1].points_after, 151);
    ASSERT_STR_CONTAINS(res.steps[1].why, "×1.5 category 美妆");
    ASSERT_EQ(res.steps[2].rule, rule("tier"));
    ASSERT_EQ(res.steps[2].points_after, 227);
    ASSERT_STR_CONTAINS(res.steps[2].why, "×1.5 tier gold");
    /* silver ×1.2 on ¥100 of 服装: 120; normal: 100 (×1.0 is no step) */
    ctx.tier = 1;
    ASSERT_OK(evaluate1(&ctx, "服装", 10000));
    ASSERT_EQ(res.total_points, 120);
    ctx.tier = 0;
    ASSERT_OK(evaluate1(&ctx, "服装", 10000));
    ASSERT_EQ(res.total_points, 100);
    ASSERT_EQ(res.nsteps, 1);
}

TEST(rules_non_stackable_largest_wins_and_stackable_multiply)
{
    pt_earn_ctx ctx;
    ASSERT_OK(setup(&ctx, T_PLAIN, 0));
    /* 茶 ¥100 = 100 base. tea_a ×1.5 stacks; tea_b ×2 and tea_c ×1.2 do not: only the larger
     * (tea_b) applies → 100 × 1.5 × 2 = 300. */
    ASSERT_OK(evaluate1(&ctx, "茶", 10000));
    ASSERT_EQ(res.total_points, 300);
    ASSERT_EQ(res.rule_points[rule("tea_a")], 50);
    ASSERT_EQ(res.rule_points[rule("tea_b")], 150);
    ASSERT_EQ(res.rule_points[rule("tea_c")], 0);
    /* all three stackable: 100 × 1.5 × 2 × 1.2 = 360 */
    prog.rules[rule("tea_b")].stackable = 1;
    prog.rules[rule("tea_c")].stackable = 1;
    ASSERT_OK(evaluate1(&ctx, "茶", 10000));
    ASSERT_EQ(res.total_points, 360);
    /* none stackable: only the largest, ×2 → 200 */
    prog.rules[rule("tea_a")].stackable = 0;
    prog.rules[rule("tea_b")].stackable = 0;
    prog.rules[rule("tea_c")].stackable = 0;
    ASSERT_OK(evaluate1(&ctx, "茶", 10000));
    ASSERT_EQ(res.total_points, 200);
    ASSERT_EQ(res.rule_points[rule("tea_b")], 100);
}

TEST(rules_member_day_is_the_8th_in_the_programme_zone)
{
    pt_earn_ctx ctx;
    ASSERT_OK(setup(&ctx, T_MEMBER_DAY, 0));
    /* 2025-07-08 12:00 Beijing, ¥100: 100 × 2 = 200 */
    ASSERT_OK(evaluate1(&ctx, "服装", 10000));
    ASSERT_EQ(res.total_points, 200);
    ASSERT_EQ(res.rule_points[rule("member_day")], 100);
    /* 2025-07-07T16:00:00Z is 2025-07-08 00:00 in Beijing (still the 7th in UTC): ×2 → 200 */
    ctx.at = T_MEMBER_DAY - 12 * 3600;
    ASSERT_OK(evaluate1(&ctx, "服装", 10000));
    ASSERT_EQ(res.total_points, 200);
    /* one second earlier it is the 7th, 23:59:59 in Beijing: 100 */
    ctx.at = T_MEMBER_DAY - 12 * 3600 - 1;
    ASSERT_OK(evaluate1(&ctx, "服装", 10000));
    ASSERT_EQ(res.total_points, 100);
}

TEST(rules_window_start_is_inclusive_and_end_is_exclusive)
{
    pt_earn_ctx ctx;
    ASSERT_OK(setup(&ctx, WINDOW_START, 0));
    /* ¥100 at the window's first second: ×2 = 200; one second before: 100; the last second
     * (2025-06-18 23:59:59 Beijing): 200; at WINDOW_END (2025-06-19 00:00): 100. */
    ASSERT_OK(evaluate1(&ctx, "服装", 10000));
    ASSERT_EQ(res.total_points, 200);
    ctx.at = WINDOW_START - 1;
    ASSERT_OK(evaluate1(&ctx, "服装", 10000));
    ASSERT_EQ(res.total_points, 100);
    ctx.at = WINDOW_END - 1;
    ASSERT_OK(evaluate1(&ctx, "服装", 10000));
    ASSERT_EQ(res.total_points, 200);
    ctx.at = WINDOW_END;
    ASSERT_OK(evaluate1(&ctx, "服装", 10000));
    ASSERT_EQ(res.total_points, 100);
}

TEST(rules_kinds_multiply_across_kinds)
{
    pt_earn_ctx ctx;
    /* 2025-06-08 12:00 Beijing is a member day and gold: ¥100 of 美妆 → 100 × 1.5 (category) ×
     * 2 (member day) × 1.5 (tier) = 450. 2025-06-08 = 1735689600 + 158 d; + 4 h. */
    ASSERT_OK(setup(&ctx, 1735689600LL + 158 * 86400 + 4 * 3600, 2));
    ASSERT_OK(evaluate1(&ctx, "美妆", 10000));
    ASSERT_EQ(res.total_points, 450);
    ASSERT_EQ(res.nsteps, 4);
}

TEST(rules_birthday_month_is_the_local_month)
{
    pt_earn_ctx ctx;
    /* 2025-06-30T16:30Z = 2025-07-01 00:30 Beijing (1735689600 + 180 d + 16.5 h): July locally. */
    ASSERT_OK(setup(&ctx, 1735689600LL + 180 * 86400 + 59400, 0));
    ctx.birthday_month = 7;
    ASSERT_OK(evaluate1(&ctx, "服装", 10000));
    ASSERT_EQ(res.total_points, 200); /* ¥100 × 2 */
    ASSERT_EQ(res.rule_points[rule("birthday")], 100);
    ctx.birthday_month = 6; /* June in UTC, but not in Beijing */
    ASSERT_OK(evaluate1(&ctx, "服装", 10000));
    ASSERT_EQ(res.total_points, 100);
    ctx.birthday_month = 0; /* unknown */
    ASSERT_OK(evaluate1(&ctx, "服装", 10000));
    ASSERT_EQ(res.total_points, 100);
    /* the points form goes to line 0: +88 in the birthday month */
    prog.rules[rule("birthday")].points = 88;
    ctx.birthday_month = 7;
    ASSERT_OK(evaluate1(&ctx, "服装", 10000));
    ASSERT_EQ(res.total_points, 200 + 88);
    ASSERT_EQ(points_of(0), 88);
}

TEST(rules_first_purchase_bonus_goes_to_line_0)
{
    pt_earn_ctx ctx;
    ASSERT_OK(setup(&ctx, T_PLAIN, 0));
    ctx.first_purchase = 1;
    /* ¥50 + first purchase 200 = 250; the bonus is line 0 */
    ASSERT_OK(evaluate1(&ctx, "服装", 5000));
    ASSERT_EQ(res.total_points, 250);
    ASSERT_EQ(points_of(1), 50);
    ASSERT_EQ(points_of(0), 200);
    ASSERT_EQ(res.rule_points[rule("first_purchase")], 200);
    /* not the first purchase: 50 */
    ctx.first_purchase = 0;
    ASSERT_OK(evaluate1(&ctx, "服装", 5000));
    ASSERT_EQ(res.total_points, 50);
    /* an order with nothing paid earns no bonus either */
    ctx.first_purchase = 1;
    ASSERT_OK(evaluate1(&ctx, "服装", 0));
    ASSERT_EQ(res.total_points, 0);
}

TEST(rules_campaign_budget_and_member_cap_trim_the_highest_lines_first)
{
    pt_earn_ctx ctx;
    ASSERT_OK(setup(&ctx, T_WINDOW, 0));
    pt_earn_line lines[] = {line(1, "服装", 30000), line(2, "服装", 20000)};
    /* Window ×2: line 1 300 + 300, line 2 200 + 200; the window gives 500. Budget 1000 with 900
     * already given → 100 left: trim 400 of the window's shares, line 2 first (200 → 0), then
     * line 1 (300 → 100). Lines: 1 = 300 + 100 = 400, 2 = 200 + 0 = 200; total 600. */
    ctx.rule_total[rule("double_week")] = 900;
    ASSERT_OK(pt_rules_evaluate_order(&prog, &ctx, lines, 2, &res));
    ASSERT_EQ(points_of(1), 400);
    ASSERT_EQ(points_of(2), 200);
    ASSERT_EQ(res.total_points, 600);
    ASSERT_EQ(res.rule_points[rule("double_week")], 100);
    ASSERT_EQ(res.rule_points[rule("base")], 500);
    ASSERT_STR_CONTAINS(res.steps[res.nsteps - 2].why, "capped: budget 1000, 100 left");
    ASSERT_EQ(res.steps[res.nsteps - 2].line_no, 2);
    /* Member cap 500 with 450 already given to this member → 50 left: line 2 loses its 200,
     * line 1 keeps 50 of 300. Total 300 + 50 + 200 = 550. */
    ctx.rule_total[rule("double_week")] = 0;
    ctx.rule_member_total[rule("double_week")] = 450;
    ASSERT_OK(pt_rules_evaluate_order(&prog, &ctx, lines, 2, &res));
    ASSERT_EQ(res.total_points, 550);
    ASSERT_EQ(res.rule_points[rule("double_week")], 50);
    /* budget spent: the window gives nothing, base still 500 */
    ctx.rule_member_total[rule("double_week")] = 0;
    ctx.rule_total[rule("double_week")] = 1000;
    ASSERT_OK(pt_rules_evaluate_order(&prog, &ctx, lines, 2, &res));
    ASSERT_EQ(res.total_points, 500);
}

TEST(rules_programme_daily_cap_trims_lines_highest_first_and_order_bonus_last)
{
    pt_earn_ctx ctx;
    ASSERT_OK(setup(&ctx, T_PLAIN, 0));
    prog.daily_points_cap = 1000;
    ctx.earned_today = 700;
    ctx.first_purchase = 1;
    /* Lines 1 = 250, 2 = 100, line 0 = first purchase 200: 550, but only 1000 − 700 = 300 left
     * today. Trim 250: line 2 first (100 → 0), then line 1 (250 → 100); line 0, the
     * lowest-numbered, last: it keeps 200. Total 300. Growth is not capped: 250 + 100. */
    pt_earn_line lines[] = {line(2, "服装", 10000), line(1, "服装", 25000)};
    ASSERT_OK(pt_rules_evaluate_order(&prog, &ctx, lines, 2, &res));
    ASSERT_EQ(points_of(2), 0);
    ASSERT_EQ(points_of(1), 100);
    ASSERT_EQ(points_of(0), 200);
    ASSERT_EQ(res.total_points, 300);
    ASSERT_EQ(res.total_growth, 350);
    ASSERT_EQ(res.lines[0].line_no, 2); /* rows stay in input order */
    ASSERT_EQ(res.steps[res.nsteps - 1].rule, -1);
    ASSERT_STR_CONTAINS(res.steps[res.nsteps - 1].why, "programme daily cap 1000, 300 left today");
    /* already at the cap: nothing, but growth still counts */
    ctx.earned_today = 1000;
    ASSERT_OK(pt_rules_evaluate_order(&prog, &ctx, lines, 2, &res));
    ASSERT_EQ(res.total_points, 0);
    ASSERT_EQ(res.total_growth, 350);
}

TEST(rules_growth_value_is_neither_multiplied_nor_capped)
{
    pt_earn_ctx ctx;
    ASSERT_OK(setup(&ctx, T_MEMBER_DAY, 2));
    /* gold on member day, ¥100: points 100 × 2 × 1.5 = 300, growth floor(10000 / 100) × 1 = 100 */
    ASSERT_OK(evaluate1(&ctx, "服装", 10099));
    ASSERT_EQ(res.total_points, 300);
    ASSERT_EQ(res.total_growth, 100);
}

TEST(rules_checkin_streak_bonus_every_seventh_day_in_a_row)
{
    pt_earn_ctx ctx;
    ASSERT_OK(setup(&ctx, T_PLAIN, 0));
    /* 5 a check-in, + 50 when the run of days is a multiple of 7; growth 1 per check-in */
    int streaks[] = {1, 6, 7, 8, 14, 0};
    int64_t expect[] = {5, 5, 55, 5, 55, 5};
    for (size_t i = 0; i < sizeof streaks / sizeof *streaks; i++) {
        ASSERT_OK(pt_rules_evaluate_activity(&prog, &ctx, PT_RULE_CHECKIN, streaks[i], &res));
        ASSERT_EQ(res.total_points, expect[i]);
        ASSERT_EQ(res.total_growth, 1);
        ASSERT_EQ(res.nlines, 1);
        ASSERT_EQ(res.lines[0].line_no, 0);
    }
    ASSERT_STR_CONTAINS(res.steps[0].why, "+5 check-in");
    ASSERT_OK(pt_rules_evaluate_activity(&prog, &ctx, PT_RULE_CHECKIN, 7, &res));
    ASSERT_STR_CONTAINS(res.steps[1].why, "+50 streak of 7 days");
    /* shares have no rule: 0 points, growth 2 */
    ASSERT_OK(pt_rules_evaluate_activity(&prog, &ctx, PT_RULE_SHARE, 0, &res));
    ASSERT_EQ(res.total_points, 0);
    ASSERT_EQ(res.total_growth, 2);
}

TEST(rules_review_daily_cap_counts_what_was_given_today)
{
    pt_earn_ctx ctx;
    ASSERT_OK(setup(&ctx, T_PLAIN, 0));
    /* 20 a review, at most 60 a day: after 50 today, 10 more; after 60, none; growth 5 each */
    ctx.rule_today[rule("review")] = 50;
    ASSERT_OK(pt_rules_evaluate_activity(&prog, &ctx, PT_RULE_REVIEW, 0, &res));
    ASSERT_EQ(res.total_points, 10);
    ASSERT_EQ(res.total_growth, 5);
    ASSERT_STR_CONTAINS(res.steps[1].why, "capped: daily cap 60, 10 left");
    ctx.rule_today[rule("review")] = 60;
    ASSERT_OK(pt_rules_evaluate_activity(&prog, &ctx, PT_RULE_REVIEW, 0, &res));
    ASSERT_EQ(res.total_points, 0);
    ASSERT_EQ(res.rule_points[rule("review")], 0);
}

TEST(rules_evaluation_order_is_stage_kind_priority_code)
{
    ASSERT_EQ(pt_programme_parse(RULES_PROGRAMME, strlen(RULES_PROGRAMME), &prog, NULL), 0);
    pt_rule_slot order[2 * PT_PROG_RULES_MAX];
    int n = pt_rules_order(&prog, order);
    /* base (gift_cards has priority −1), then multipliers SKU, category (by code), window,
     * member day, birthday, tier; then bonuses; then activities */
    const char *expect[] = {"gift_cards", "base", "beauty", "tea_a", "tea_b", "tea_c", "double_week", "member_day",
                            "birthday", "tier", "first_purchase", "checkin", "review"};
    const int stage[] = {1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 4, 4};
    ASSERT_EQ(n, 13);
    for (int i = 0; i < n; i++) {
        ASSERT_STR_EQ(prog.rules[order[i].rule].code, expect[i]);
        ASSERT_EQ(order[i].stage, stage[i]);
    }
}

TEST(rules_reject_bad_lines_and_context)
{
    pt_earn_ctx ctx;
    ASSERT_OK(setup(&ctx, T_PLAIN, 0));
    pt_earn_line two[] = {line(1, "服装", 100), line(1, "服装", 200)};
    ASSERT_EQ(pt_rules_evaluate_order(&prog, &ctx, two, 2, &res), PT_EINVAL); /* line_no twice */
    two[1].line_no = 0;
    ASSERT_EQ(pt_rules_evaluate_order(&prog, &ctx, two, 2, &res), PT_EINVAL); /* line_no < 1 */
    two[1].line_no = 2;
    two[1].amount_cents = PT_EARN_AMOUNT_MAX + 1;
    ASSERT_EQ(pt_rules_evaluate_order(&prog, &ctx, two, 2, &res), PT_EINVAL);
    two[1].amount_cents = 1;
    ASSERT_EQ(pt_rules_evaluate_order(&prog, &ctx, two, PT_EARN_LINES_MAX + 1, &res), PT_EINVAL);
    ctx.tier = 3;
    ASSERT_EQ(pt_rules_evaluate_order(&prog, &ctx, two, 2, &res), PT_EINVAL); /* no such tier */
    ctx.tier = 0;
    ASSERT_EQ(pt_rules_evaluate_activity(&prog, &ctx, PT_RULE_BASE, 0, &res), PT_EINVAL);
    prog.rules[rule("beauty")].multiplier_bp = 5000; /* a programme that takes points away */
    ASSERT_EQ(pt_rules_evaluate_order(&prog, &ctx, two, 2, &res), PT_EINVAL);
    /* an empty order is fine: just line 0 */
    prog.rules[rule("beauty")].multiplier_bp = 15000;
    ASSERT_OK(pt_rules_evaluate_order(&prog, &ctx, NULL, 0, &res));
    ASSERT_EQ(res.nlines, 1);
    ASSERT_EQ(res.total_points, 0);
}

TEST(rules_huge_lines_clamp_instead_of_overflowing)
{
    pt_earn_ctx ctx;
    ASSERT_OK(setup(&ctx, T_MEMBER_DAY, 2));
    /* 10^15 cents × 1,000,000 points per ¥1 would be 10^19 points: the line is clamped at
     * PT_EARN_POINTS_MAX = 10^15 and multipliers cannot push it further. */
    prog.rules[rule("base")].points = 1000000;
    pt_earn_line l[] = {line(1, "美妆", PT_EARN_AMOUNT_MAX), line(2, "美妆", PT_EARN_AMOUNT_MAX)};
    ASSERT_OK(pt_rules_evaluate_order(&prog, &ctx, l, 2, &res));
    ASSERT_EQ(points_of(1), PT_EARN_POINTS_MAX);
    ASSERT_EQ(res.total_points, 2 * PT_EARN_POINTS_MAX);
    ASSERT_EQ(res.rule_points[rule("base")], 2 * PT_EARN_POINTS_MAX);
}

/* test_audience.c — the audience language: valid definitions parse; invalid ones fail with the
 * line and column of the offending token and a reason; evaluation over a hand-built snapshot
 * selects exactly the members each test names (tier order from the ladder, points, scores from
 * a plugged-in score source, segments as RFM computes them), and never a member without
 * consent for the channel or without analytics consent. */
#include "test.h"
#include "patron/audience.h"
#include "patron/error.h"
#include "patron/types.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ASOF 1750000000
#define DAY  86400
#define ALL  (PT_CONSENT_BIT(PT_CONSENT_SMS) | PT_CONSENT_BIT(PT_CONSENT_EMAIL) | PT_CONSENT_BIT(PT_CONSENT_ANALYTICS))

TEST(audience_parses_valid_definitions)
{
    const char *ok[] = {
        "segment in (\"At Risk\", \"Can't Lose Them\") and tier >= silver and points_expiring_30d > 0",
        "points > 100",
        "not (stage = dormant or stage = churned)",
        "recency_days <= 30 and orders >= 2 or spend_cents > 100000",
        "tier not in (gold, \"silver\") AND consent = sms",
        "p_alive < 0.25\n and churn_risk >= .5",
        "segment = champions or segment = 冠军客户",
        "((((points = -1))))",
    };
    for (size_t k = 0; k < sizeof ok / sizeof *ok; k++) {
        pt_audience *a = NULL;
        char err[256];
        int rc = pt_audience_parse(&a, ok[k], err, sizeof err);
        if (rc)
            fprintf(stderr, "    %s: %s\n", ok[k], err);
        ASSERT_OK(rc);
        ASSERT(a != NULL);
        pt_audience_free(a);
    }
}

TEST(audience_reports_errors_with_line_and_column)
{
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"", "line 1, column 1: the audience is empty"},
        {"points >", "line 1, column 9: a value is expected, found end of input"},
        {"points > 10 and", "line 1, column 16: a field name is expected, found end of input"},
        {"segment = \"At Rsik\"", "line 1, column 11: unknown segment \"At Rsik\""},
        {"points >= silver", "line 1, column 11: a number is expected here, not 'silver'"},
        {"tier = 3", "line 1, column 8: a name is expected here, not a number"},
        {"points > 1\n  and (stage = dormant", "line 2, column 23: ')' is expected to close the '(' at line 2, column 7"},
        {"stage < active", "line 1, column 7: 'stage' can only be compared with = or != (or in)"},
        {"points 5", "line 1, column 8: a comparison (=, !=, <, <=, >, >=, in) is expected after 'points', found a number"},
        {"segment in (\"New\" \"Lost\")", "line 1, column 19: ',' or ')' is expected, found a string"},
        {"points > 1 orr points < 0", "line 1, column 12: 'and', 'or' or the end is expected, found orr"},
        {"consent = fax", "line 1, column 11: unknown consent \"fax\""},
        {"points > 1 & orders > 2", "line 1, column 12: unexpected character '&'"},
        {"stage = \"dormant", "line 1, column 9: unterminated string"},
        {"points not (1)", "line 1, column 12: 'in' is expected after 'not', found ("},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        pt_audience *a = NULL;
        char err[256] = "";
        int rc = pt_audience_parse(&a, bad[k].text, err, sizeof err);
        ASSERT_EQ(rc, PT_EPARSE);
        ASSERT(a == NULL);
        if (strncmp(err, bad[k].want, strlen(bad[k].want)) != 0)
            PT__FAIL("\"%s\": got \"%s\", want \"%s…\"", bad[k].text, err, bad[k].want);
    }
    /* nesting past the limit is refused, not a stack overflow */
    char deep[400];
    memset(deep, '(', 200);
    snprintf(deep + 200, sizeof deep - 200, "points > 1");
    pt_audience *a = NULL;
    char err[256];
    ASSERT_EQ(pt_audience_parse(&a, deep, err, sizeof err), PT_EPARSE);
    ASSERT(strstr(err, "nested deeper than") != NULL);
}

/* --- evaluation ------------------------------------------------------------------------------ */

struct fx {
    int64_t  id;
    uint32_t consent;
    int64_t  points;
    int      tier;       /* index into tier_names (normal, gold, silver: not ladder order) */
    int      norders;
    int64_t  last_days;  /* last order this many days before ASOF */
    double   score;      /* NaN: none */
};

static const struct fx FX[] = {
    {1, ALL, 500, 1, 3, 5, 0.9},
    {2, ALL, 0, 2, 1, 100, 0.2},
    {3, ALL, 50, 0, 0, 0, NAN},
    {4, ALL & ~PT_CONSENT_BIT(PT_CONSENT_SMS), 900, 1, 2, 10, 0.8},   /* no SMS consent */
    {5, ALL & ~PT_CONSENT_BIT(PT_CONSENT_ANALYTICS), 900, 1, 2, 10, 0.8}, /* no analytics consent */
    {6, ALL, 120, 2, 5, 400, 0.55},
};
#define NFX (sizeof FX / sizeof *FX)

static pt_snapshot *fx_snapshot(void)
{
    pt_snapshot *s = calloc(1, sizeof *s);
    size_t n = NFX, no = 0;
    for (size_t i = 0; i < n; i++)
        no += (size_t)FX[i].norders;
    s->nmembers = n;
    s->member_id = calloc(n, sizeof *s->member_id);
    s->member_registered_at = calloc(n, sizeof *s->member_registered_at);
    s->member_merged_into = calloc(n, sizeof *s->member_merged_into);
    s->member_status = calloc(n, sizeof *s->member_status);
    s->member_consent = calloc(n, sizeof *s->member_consent);
    s->first = calloc(n + 1, sizeof *s->first);
    s->order_at = calloc(no + 1, sizeof *s->order_at);
    s->order_cents = calloc(no + 1, sizeof *s->order_cents);
    s->order_status = calloc(no + 1, sizeof *s->order_status);
    s->has_accounts = 1;
    s->member_points = calloc(n, sizeof *s->member_points);
    s->member_pending = calloc(n, sizeof *s->member_pending);
    s->member_tier = calloc(n, sizeof *s->member_tier);
    s->ntier_names = 3;
    s->tier_names = calloc(3, sizeof *s->tier_names);
    snprintf(s->tier_names[0], sizeof s->tier_names[0], "normal");
    snprintf(s->tier_names[1], sizeof s->tier_names[1], "gold");
    snprintf(s->tier_names[2], sizeof s->tier_names[2], "silver");
    for (size_t i = 0; i < n; i++) {
        s->member_id[i] = FX[i].id;
        s->member_registered_at[i] = ASOF - 1000 * DAY;
        s->member_status[i] = PT_MEMBER_ACTIVE;
        s->member_consent[i] = FX[i].consent;
        s->member_points[i] = FX[i].points;
        s->member_tier[i] = FX[i].tier;
        s->first[i] = s->norders;
        for (int k = 0; k < FX[i].norders; k++) {
            s->order_at[s->norders] = ASOF - (FX[i].last_days + (FX[i].norders - 1 - k) * 20) * DAY;
            s->order_cents[s->norders] = 1000 * (k + 1);
            s->order_status[s->norders] = PT_ORDER_PAID;
            s->revenue_cents += 1000 * (k + 1);
            s->norders++;
        }
    }
    s->first[n] = s->norders;
    return s;
}

static int fx_score(void *ud, const pt_snapshot *snap, size_t i, double *v)
{
    (void)ud;
    (void)snap;
    if (isnan(FX[i].score))
        return 0;
    *v = FX[i].score;
    return 1;
}

static const char *const LADDER[] = {"normal", "silver", "gold"};

/* The selected ids as "1,2,…" (or an error text). */
static void select_ids(const pt_snapshot *snap, const char *text, int channel, char *out, size_t cap)
{
    pt_score_source src = {.name = "churn_risk", .score = fx_score};
    pt_audience_ctx ctx = {.tier_order = LADDER, .ntiers = 3, .scores = &src, .nscores = 1, .channel = channel};
    pt_audience *a = NULL;
    char err[256];
    int64_t *ids = NULL;
    size_t n = 0;
    int rc = pt_audience_ctx_prepare(&ctx, snap, ASOF);
    if (rc == PT_OK)
        rc = pt_audience_parse(&a, text, err, sizeof err);
    if (rc == PT_OK)
        rc = pt_audience_bind(a, &ctx, err, sizeof err);
    if (rc == PT_OK)
        rc = pt_audience_select(a, &ctx, &ids, NULL, &n);
    out[0] = 0;
    if (rc)
        snprintf(out, cap, "error %d: %s", rc, err);
    for (size_t k = 0; rc == PT_OK && k < n; k++)
        snprintf(out + strlen(out), cap - strlen(out), "%s%lld", k ? "," : "", (long long)ids[k]);
    free(ids);
    pt_audience_free(a);
    pt_audience_ctx_free(&ctx);
}

TEST(audience_selects_by_tier_order_points_orders_and_plugged_score)
{
    pt_snapshot *snap = fx_snapshot();
    char got[256];
    /* tier ranks: 1 gold (2), 2 silver (1), 3 normal (0), 4 gold, 6 silver; 5 has no analytics
     * consent and is never selected */
    select_ids(snap, "tier >= silver", -1, got, sizeof got);
    ASSERT_STR_EQ(got, "1,2,4,6");
    select_ids(snap, "tier > silver", -1, got, sizeof got);
    ASSERT_STR_EQ(got, "1,4");
    select_ids(snap, "tier in (normal, silver)", -1, got, sizeof got);
    ASSERT_STR_EQ(got, "2,3,6");
    select_ids(snap, "points >= 120 and not tier = gold", -1, got, sizeof got);
    ASSERT_STR_EQ(got, "6");
    select_ids(snap, "orders >= 2 or points = 50", -1, got, sizeof got);
    ASSERT_STR_EQ(got, "1,3,4,6");
    /* no orders: recency has no value, so both comparisons are false */
    select_ids(snap, "recency_days < 1000 or recency_days >= 1000", -1, got, sizeof got);
    ASSERT_STR_EQ(got, "1,2,4,6");
    select_ids(snap, "churn_risk > 0.5", -1, got, sizeof got);
    ASSERT_STR_EQ(got, "1,4,6");
    /* the SMS channel drops member 4 (no SMS consent) */
    select_ids(snap, "churn_risk > 0.5", PT_CONSENT_SMS, got, sizeof got);
    ASSERT_STR_EQ(got, "1,6");
    select_ids(snap, "consent = email and not consent = sms", -1, got, sizeof got);
    ASSERT_STR_EQ(got, "4");
    /* binding errors point at the text */
    select_ids(snap, "points > 1 and\n  clv > 5", -1, got, sizeof got);
    ASSERT_STR_EQ(got, "error -12: line 2, column 3: unknown field or score 'clv'");
    select_ids(snap, "tier = platinum", -1, got, sizeof got);
    ASSERT_STR_EQ(got, "error -12: line 1, column 8: unknown tier \"platinum\"");
    pt_snapshot_free(snap);
}

TEST(audience_segment_and_stage_agree_with_rfm_and_lifecycle)
{
    pt_snapshot *snap = fx_snapshot();
    pt_audience_ctx ctx = {.channel = -1};
    ASSERT_OK(pt_audience_ctx_prepare(&ctx, snap, ASOF));
    for (int seg = 0; seg < PT_SEG11__COUNT; seg++) {
        char text[128], err[256];
        snprintf(text, sizeof text, "segment = \"%s\"", pt_rfm_segment_name(PT_RFM_MAP11, seg, 0));
        pt_audience *a;
        ASSERT_OK(pt_audience_parse(&a, text, err, sizeof err));
        ASSERT_OK(pt_audience_bind(a, &ctx, err, sizeof err));
        for (size_t i = 0; i < snap->nmembers; i++) {
            int m;
            ASSERT_OK(pt_audience_match(a, &ctx, i, &m));
            int want = ctx.rfm_row[i] >= 0 && ctx.rfm.rows[ctx.rfm_row[i]].seg11 == seg;
            ASSERT_EQ(m, want);
        }
        pt_audience_free(a);
    }
    pt_audience *a;
    char err[256];
    ASSERT_OK(pt_audience_parse(&a, "stage = prospect", err, sizeof err));
    ASSERT_OK(pt_audience_bind(a, &ctx, err, sizeof err));
    int m;
    ASSERT_OK(pt_audience_match(a, &ctx, 2, &m)); /* member 3 never ordered */
    ASSERT_EQ(m, 1);
    ASSERT_OK(pt_audience_match(a, &ctx, 0, &m));
    ASSERT_EQ(m, 0);
    pt_audience_free(a);
    pt_audience_ctx_free(&ctx);
    pt_snapshot_free(snap);
}

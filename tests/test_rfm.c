/* test_rfm.c — RFM over hand-built snapshots with every expected score and segment worked out
 * by hand in the comments (quintiles with ties, recency direction, the 8 H/L combinations, the
 * 11-segment grid, consent withdrawn, erased and merged members, members without orders in the
 * window, the window and the average), results independent of the thread count, then RFM on a
 * small store on both backends, and `patron rfm` / `patron segments` on a small demo. */
#include "test.h"
#include "helpers.h"
#include "patron/error.h"
#include "patron/rfm.h"
#include "patron/snapshot.h"
#include "patron/store.h"
#include "patron/types.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DAY  86400
#define ASOF ((int64_t)TEST_NOW)
#define ANALYTICS PT_CONSENT_BIT(PT_CONSENT_ANALYTICS)

/* --- hand-built snapshots -------------------------------------------------------------------- */
struct fx_order {
    int64_t at, cents;
    int     status; /* 0 = paid */
};
struct fx_member {
    int64_t         id;
    int             status;      /* 0 = active */
    uint32_t        consent;
    int64_t         merged_into;
    int             n;
    struct fx_order o[8];        /* oldest first */
};

/* A snapshot owning malloc'd arrays, freed by pt_snapshot_free. */
static pt_snapshot *fx_snapshot(const struct fx_member *m, size_t n)
{
    pt_snapshot *s = calloc(1, sizeof *s);
    size_t no = 0;
    for (size_t i = 0; i < n; i++)
        no += (size_t)m[i].n;
    s->nmembers = n;
    s->member_id = calloc(n + 1, sizeof *s->member_id);
    s->member_registered_at = calloc(n + 1, sizeof *s->member_registered_at);
    s->member_merged_into = calloc(n + 1, sizeof *s->member_merged_into);
    s->member_status = calloc(n + 1, sizeof *s->member_status);
    s->member_consent = calloc(n + 1, sizeof *s->member_consent);
    s->first = calloc(n + 1, sizeof *s->first);
    s->order_at = calloc(no + 1, sizeof *s->order_at);
    s->order_cents = calloc(no + 1, sizeof *s->order_cents);
    s->order_status = calloc(no + 1, sizeof *s->order_status);
    for (size_t i = 0; i < n; i++) {
        s->member_id[i] = m[i].id;
        s->member_status[i] = m[i].status ? m[i].status : PT_MEMBER_ACTIVE;
        s->member_consent[i] = m[i].consent;
        s->member_merged_into[i] = m[i].merged_into;
        s->first[i] = s->norders;
        for (int k = 0; k < m[i].n; k++) {
            s->order_at[s->norders] = m[i].o[k].at;
            s->order_cents[s->norders] = m[i].o[k].cents;
            s->order_status[s->norders] = m[i].o[k].status ? m[i].o[k].status : PT_ORDER_PAID;
            if (s->order_status[s->norders] == PT_ORDER_PAID)
                s->revenue_cents += m[i].o[k].cents;
            s->norders++;
        }
    }
    s->first[n] = s->norders;
    return s;
}

/* Member i (1..10) of the quintile fixture: last order i days + 1 h before ASOF (recency i
 * days), frequency F_I[i], total spend i·1000 cents (the last order carries the rest after
 * 10-cent earlier orders, spaced 30 days apart). */
static const int F_I[11] = {0, 1, 1, 1, 1, 1, 1, 2, 3, 4, 5};
static void fx_quintile_members(struct fx_member *m)
{
    for (int i = 1; i <= 10; i++) {
        struct fx_member *x = &m[i - 1];
        *x = (struct fx_member){.id = i, .consent = ANALYTICS, .n = F_I[i]};
        int64_t last = ASOF - (int64_t)i * DAY - 3600;
        for (int k = 0; k < x->n; k++) {
            int back = x->n - 1 - k;
            x->o[k].at = last - (int64_t)back * 30 * DAY;
            x->o[k].cents = back ? 10 : (int64_t)i * 1000 - (int64_t)(x->n - 1) * 10;
        }
    }
}

static int compute(pt_rfm *r, const pt_snapshot *s, int window_days, int monetary, int threads)
{
    pt_rfm_opts o;
    pt_rfm_opts_init(&o, ASOF);
    o.window_days = window_days;
    o.monetary = monetary;
    o.threads = threads;
    return pt_rfm_compute(r, s, &o);
}

/* Scores, rank-based: score = 1 + ⌊5·b/n⌋, b = members strictly worse, n = 10.
 *  F values 1,1,1,1,1,1,2,3,4,5: the six 1s have b = 0 → 1; 2 has b = 6 → 1+⌊3.0⌋ = 4;
 *    3 has b = 7 → 1+⌊3.5⌋ = 4; 4 has b = 8 → 5; 5 has b = 9 → 1+⌊4.5⌋ = 5. The tie of six
 *    spans quintiles 1–3, takes score 1, and scores 2 and 3 stay empty.
 *    Cuts: the ⌈2k⌉-th smallest, k = 1..4 → sorted[1,3,5,7] = 1,1,1,3.
 *  M = i·1000, all distinct: b = i−1 → 1+⌊(i−1)/2⌋ = 1,1,2,2,3,3,4,4,5,5.
 *  R: days = i, fewer is better: b = 10−i (members with more days) → 5,5,4,4,3,3,2,2,1,1;
 *    the most recent member scores 5. Cut days: 9,7,5,3.
 *  11 map, code RFM in the 125-code table: i=1,2 511 New; 3,4 412 New; 5,6 313 Promising;
 *    7,8 244 At Risk; 9,10 155 Can't Lose Them. (Under the old R × FM grid 412 was Promising
 *    and 313 Need Attention; the table says New and Promising.) */
TEST(rfm_scores_by_quintiles_ties_take_the_lower_score_and_recent_members_score_5)
{
    struct fx_member m[10];
    fx_quintile_members(m);
    pt_snapshot *s = fx_snapshot(m, 10);
    pt_rfm r;
    ASSERT_OK(compute(&r, s, 0, PT_RFM_SUM, 1));
    static const int R[10] = {5, 5, 4, 4, 3, 3, 2, 2, 1, 1}, F[10] = {1, 1, 1, 1, 1, 1, 4, 4, 5, 5},
                     M[10] = {1, 1, 2, 2, 3, 3, 4, 4, 5, 5};
    static const int SEG[10] = {PT_SEG_NEW,       PT_SEG_NEW,       PT_SEG_NEW,     PT_SEG_NEW,
                                PT_SEG_PROMISING, PT_SEG_PROMISING, PT_SEG_AT_RISK, PT_SEG_AT_RISK,
                                PT_SEG_CANT_LOSE_THEM, PT_SEG_CANT_LOSE_THEM};
    ASSERT_EQ(r.nrows, 10);
    ASSERT_EQ(r.t.scored, 10);
    for (int i = 0; i < 10; i++) {
        const pt_rfm_row *w = &r.rows[i];
        ASSERT_EQ(w->member_id, i + 1);
        ASSERT_EQ(w->recency_days, i + 1);
        ASSERT_EQ(w->frequency, F_I[i + 1]);
        ASSERT_EQ(w->monetary_cents, (i + 1) * 1000);
        ASSERT_EQ(w->r, R[i]);
        ASSERT_EQ(w->f, F[i]);
        ASSERT_EQ(w->m, M[i]);
        ASSERT_EQ(w->seg11, SEG[i]);
    }
    static const int64_t CF[4] = {1, 1, 1, 3}, CR[4] = {9, 7, 5, 3};
    for (int k = 0; k < 4; k++) {
        ASSERT_EQ(r.t.cut_frequency[k], CF[k]);
        ASSERT_EQ(r.t.cut_recency_days[k], CR[k]);
    }
    /* Mean variant: Σdays 55 → mean 5.5, H when days < 5.5 (i ≤ 5); ΣF 20 → mean 2, H when
     * F > 2 (i ≥ 8); ΣM 55,000 → mean 5,500, H when M > 5,500 (i ≥ 6). So i=1..5 HLL,
     * 6,7 LLH, 8..10 LHH. */
    for (int i = 0; i < 10; i++) {
        const char *want = i < 5 ? "HLL" : i < 7 ? "LLH" : "LHH";
        ASSERT_STR_EQ(pt_rfm_hl_code(r.rows[i].hl), want);
    }
    ASSERT_EQ(r.rows[0].seg8, PT_SEG_GENERAL_DEVELOP);
    ASSERT_EQ(r.rows[5].seg8, PT_SEG_IMPORTANT_WINBACK);
    ASSERT_EQ(r.rows[9].seg8, PT_SEG_IMPORTANT_RETAIN);
    pt_rfm_free(&r);
    pt_snapshot_free(s);
}

/* Ties at every position: 5 members with the same values all score 1 (b = 0), whatever the
 * quintile a rank would fall in; and a value equal to the mean is L. */
TEST(rfm_equal_values_always_get_equal_scores_and_the_mean_itself_is_low)
{
    struct fx_member m[5];
    for (int i = 0; i < 5; i++)
        m[i] = (struct fx_member){.id = 10 + i, .consent = ANALYTICS, .n = 1, .o = {{ASOF - 3 * DAY, 500, 0}}};
    pt_snapshot *s = fx_snapshot(m, 5);
    pt_rfm r;
    ASSERT_OK(compute(&r, s, 0, PT_RFM_SUM, 1));
    for (int i = 0; i < 5; i++) {
        ASSERT_EQ(r.rows[i].r, 1);
        ASSERT_EQ(r.rows[i].f, 1);
        ASSERT_EQ(r.rows[i].m, 1);
        ASSERT_EQ(r.rows[i].hl, 0); /* every value equals the mean: LLL */
        ASSERT_EQ(r.rows[i].seg8, PT_SEG_GENERAL_WINBACK);
        ASSERT_EQ(r.rows[i].seg11, PT_SEG_LOST); /* R1 FM1 */
    }
    pt_rfm_free(&r);
    pt_snapshot_free(s);
}

/* Eight members, one per H/L combination. Recency 1 day (H) or 100 days (L): mean 50.5.
 * Frequency 5 (H) or 1 (L): mean 3. Spend 10,000 (H) or 100 (L) cents: mean 5,050. */
TEST(rfm_eight_class_map_names_every_combination_r_first)
{
    static const struct { const char *code, *zh, *en; int seg; } want[8] = {
        {"HHH", "重要价值客户", "Important value", PT_SEG_IMPORTANT_VALUE},
        {"HLH", "重要发展客户", "Important to develop", PT_SEG_IMPORTANT_DEVELOP},
        {"LHH", "重要保持客户", "Important to retain", PT_SEG_IMPORTANT_RETAIN},
        {"LLH", "重要挽留客户", "Important to win back", PT_SEG_IMPORTANT_WINBACK},
        {"HHL", "一般价值客户", "General value", PT_SEG_GENERAL_VALUE},
        {"HLL", "一般发展客户", "General to develop", PT_SEG_GENERAL_DEVELOP},
        {"LHL", "一般保持客户", "General to retain", PT_SEG_GENERAL_RETAIN},
        {"LLL", "一般挽留客户", "General to win back", PT_SEG_GENERAL_WINBACK},
    };
    struct fx_member m[8];
    for (int i = 0; i < 8; i++) {
        int rh = want[i].code[0] == 'H', fh = want[i].code[1] == 'H', mh = want[i].code[2] == 'H';
        int n = fh ? 5 : 1;
        int64_t total = mh ? 10000 : 100, last = ASOF - (rh ? 1 : 100) * (int64_t)DAY;
        m[i] = (struct fx_member){.id = i + 1, .consent = ANALYTICS, .n = n};
        for (int k = 0; k < n; k++)
            m[i].o[k] = (struct fx_order){last - (int64_t)(n - 1 - k) * 3600, total / n, 0};
    }
    pt_snapshot *s = fx_snapshot(m, 8);
    pt_rfm r;
    ASSERT_OK(compute(&r, s, 0, PT_RFM_SUM, 1));
    for (int i = 0; i < 8; i++) {
        ASSERT_STR_EQ(pt_rfm_hl_code(r.rows[i].hl), want[i].code);
        ASSERT_EQ(r.rows[i].seg8, want[i].seg);
        ASSERT_STR_EQ(pt_rfm_segment_name(PT_RFM_MAP8, r.rows[i].seg8, 1), want[i].zh);
        ASSERT_STR_EQ(pt_rfm_segment_name(PT_RFM_MAP8, r.rows[i].seg8, 0), want[i].en);
    }
    pt_rfm_free(&r);
    pt_snapshot_free(s);
}

/* The 11-segment map: a few codes worked out from the table in docs/rfm.md (the diagonal
 * R, F = M, and codes where the table departs from an R × FM grid), every segment reachable,
 * scores out of range refused. The full 125 codes are checked against the CSV below. */
TEST(rfm_eleven_segment_map_follows_the_125_code_table)
{
    enum { Ch = PT_SEG_CHAMPIONS, Lo = PT_SEG_LOYAL, PL = PT_SEG_POTENTIAL_LOYALIST, Nw = PT_SEG_NEW,
           Pr = PT_SEG_PROMISING, NA = PT_SEG_NEED_ATTENTION, AS = PT_SEG_ABOUT_TO_SLEEP, AR = PT_SEG_AT_RISK,
           CL = PT_SEG_CANT_LOSE_THEM, Hi = PT_SEG_HIBERNATING, Ls = PT_SEG_LOST };
    /* codes R x x, x = 1..5: 111 … 155, 211 … 255, … 555 */
    static const int diag[5][5] = {
        {Ls, Hi, AR, CL, CL}, {Hi, Hi, Hi, AR, AR}, {Nw, Hi, PL, Lo, Lo}, {Nw, Nw, PL, Lo, Ch}, {Nw, Pr, PL, Ch, Ch},
    };
    int seen[PT_SEG11__COUNT] = {0};
    for (int r = 1; r <= 5; r++)
        for (int x = 1; x <= 5; x++)
            ASSERT_EQ(pt_rfm_seg11_of(r, x, x), diag[r - 1][x - 1]);
    for (int r = 1; r <= 5; r++)
        for (int f = 1; f <= 5; f++)
            for (int m = 1; m <= 5; m++)
                seen[pt_rfm_seg11_of(r, f, m)] = 1;
    for (int k = 0; k < PT_SEG11__COUNT; k++) /* all 11 reachable */
        ASSERT(seen[k]);
    ASSERT_EQ(pt_rfm_seg11_of(5, 5, 4), Ch);
    ASSERT_EQ(pt_rfm_seg11_of(5, 4, 3), Lo); /* high R and F, middling M: Loyal, not a grid's PL */
    ASSERT_EQ(pt_rfm_seg11_of(5, 3, 5), NA);
    ASSERT_EQ(pt_rfm_seg11_of(3, 3, 1), AS);
    ASSERT_EQ(pt_rfm_seg11_of(1, 1, 5), CL); /* long gone, bought once, big spender */
    ASSERT_EQ(pt_rfm_seg11_of(2, 3, 1), Hi); /* the codes variants disagree on: 231/241/251 */
    ASSERT_EQ(pt_rfm_seg11_of(2, 4, 1), Hi);
    ASSERT_EQ(pt_rfm_seg11_of(2, 5, 1), Hi);
    ASSERT_EQ(pt_rfm_seg11_of(0, 1, 1), -1);
    ASSERT_EQ(pt_rfm_seg11_of(1, 6, 1), -1);
    ASSERT_STR_EQ(pt_rfm_segment_name(PT_RFM_MAP11, PT_SEG_CANT_LOSE_THEM, 0), "Can't Lose Them");
    ASSERT_STR_EQ(pt_rfm_segment_name(PT_RFM_MAP11, PT_SEG_CHAMPIONS, 1), "冠军客户");
}

/* --- the reference tables in ../shared/data/rfm ----------------------------------------------- */
/* Splits a CSV line (no quoting in these files) in place into at most max fields. */
static int split_fields(char *line, char **field, int max)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = 0;
    for (char *p = line; p && n < max; n++) {
        field[n] = p;
        p = strchr(p, ',');
        if (p)
            *p++ = 0;
    }
    return n;
}

/* The 11-map id of a table name: our English names, compared ignoring case and a trailing
 * " Customers" ("Loyal Customers" is Loyal, "About To Sleep" is About to Sleep); −1 if none. */
static int seg11_of_table_name(const char *name)
{
    size_t len = strlen(name), suffix = strlen(" Customers");
    if (len > suffix && strcasecmp(name + len - suffix, " Customers") == 0)
        len -= suffix;
    for (int k = 0; k < PT_SEG11__COUNT; k++) {
        const char *ours = pt_rfm_segment_name(PT_RFM_MAP11, k, 0);
        if (strlen(ours) == len && strncasecmp(ours, name, len) == 0)
            return k;
    }
    return -1;
}

/* Every one of the 125 codes of rfm_segment_map_11seg_125codes.csv (rfm_code,R,F,M,segment)
 * maps to the table's segment. */
TEST(rfm_eleven_segment_map_equals_the_reference_csv_for_all_125_codes)
{
    const char *path = pt_test_shared("rfm/rfm_segment_map_11seg_125codes.csv");
    if (!path)
        SKIP("../shared/data/rfm/rfm_segment_map_11seg_125codes.csv is absent");
    char *text = pt_test_slurp(path, NULL);
    ASSERT(text);
    int codes = 0, bad = 0, seen[6][6][6] = {{{0}}};
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[5];
        if (split_fields(line, f, 5) != 5 || strcmp(f[0], "rfm_code") == 0)
            continue;
        int r = atoi(f[1]), fr = atoi(f[2]), m = atoi(f[3]);
        int want = seg11_of_table_name(f[4]), ok = r >= 1 && r <= 5 && fr >= 1 && fr <= 5 && m >= 1 && m <= 5;
        if (!ok || want < 0 || atoi(f[0]) != r * 100 + fr * 10 + m || pt_rfm_seg11_of(r, fr, m) != want) {
            int got = pt_rfm_seg11_of(r, fr, m);
            fprintf(stderr, "    code %s: table says %s, rfm.c says %s\n", f[0], f[4],
                    got < 0 ? "(out of range)" : pt_rfm_segment_name(PT_RFM_MAP11, got, 0));
            bad++;
            continue;
        }
        seen[r][fr][m]++;
        codes++;
    }
    free(text);
    ASSERT_EQ(bad, 0);
    ASSERT_EQ(codes, 125);
    for (int r = 1; r <= 5; r++)
        for (int fr = 1; fr <= 5; fr++)
            for (int m = 1; m <= 5; m++)
                ASSERT_EQ(seen[r][fr][m], 1);
}

/* rfm_segment_map_cn8.csv (R_high(recent),F_high,M_high,segment_zh,segment_en), end to end:
 * for each row a member whose R, F, M are high or low as the row says — recent (1 day, mean
 * 50.5) or not (100 days), 5 orders or 1 (mean 3), 10,000 or 100 cents (mean 5,050), one such
 * member per row and all 8 rows present so the means are as stated — must land in the row's
 * segment_zh. This pins the recency direction: R high = fewer days. */
TEST(rfm_eight_class_map_equals_the_reference_csv_with_recent_as_high)
{
    const char *path = pt_test_shared("rfm/rfm_segment_map_cn8.csv");
    if (!path)
        SKIP("../shared/data/rfm/rfm_segment_map_cn8.csv is absent");
    char *text = pt_test_slurp(path, NULL);
    ASSERT(text);
    struct fx_member m[8];
    char zh[8][64];
    int n = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && n < 8; line = strtok_r(NULL, "\n", &save)) {
        char *f[5];
        if (split_fields(line, f, 5) != 5 || strncmp(f[0], "R_high", 6) == 0)
            continue;
        int rh = atoi(f[0]), fh = atoi(f[1]), mh = atoi(f[2]), k = fh ? 5 : 1;
        int64_t total = mh ? 10000 : 100, last = ASOF - (rh ? 1 : 100) * (int64_t)DAY;
        m[n] = (struct fx_member){.id = n + 1, .consent = ANALYTICS, .n = k};
        for (int o = 0; o < k; o++)
            m[n].o[o] = (struct fx_order){last - (int64_t)(k - 1 - o) * 3600, total / k, 0};
        snprintf(zh[n], sizeof zh[n], "%s", f[3]);
        n++;
    }
    free(text);
    ASSERT_EQ(n, 8);
    pt_snapshot *s = fx_snapshot(m, 8);
    pt_rfm r;
    ASSERT_OK(compute(&r, s, 0, PT_RFM_SUM, 1));
    int seen[PT_SEG8__COUNT] = {0};
    for (int i = 0; i < 8; i++) {
        ASSERT_STR_EQ(pt_rfm_segment_name(PT_RFM_MAP8, r.rows[i].seg8, 1), zh[i]);
        ASSERT_EQ(pt_rfm_seg8_of(r.rows[i].hl), r.rows[i].seg8);
        seen[r.rows[i].seg8]++;
    }
    for (int k = 0; k < PT_SEG8__COUNT; k++)
        ASSERT_EQ(seen[k], 1);
    pt_rfm_free(&r);
    pt_snapshot_free(s);
}

/* Consent and erasure, a 30-day window:
 *  1 consents, orders 5 and 20 days ago (300 + 200)   → row, scored (only one: R1 F1 M1, Lost; LLL)
 *  2 no analytics bit (SMS only), order 3 days ago 500 → anonymous
 *  3 erased (consent bit still set), order 4 days ago 700 → anonymous
 *  4 merged into 1, no orders                         → counts nowhere
 *  5 consents, no orders at all                       → row, unscored, recency −1
 *  6 consents, one order 60 days ago (outside)        → row, unscored, recency 60
 *  7 consents, one refunded order 2 days ago          → row, unscored, recency −1
 *  8 consents, one order after as_of                  → row, unscored, recency −1
 * members 7 (1,2,3,5,6,7,8), rows 5, scored 1; window revenue 500 + 500 + 700 = 1,700. */
TEST(rfm_leaves_out_withdrawn_consent_and_erased_members_but_counts_them_anonymously)
{
    struct fx_member m[8] = {
        {.id = 1, .consent = ANALYTICS, .n = 2, .o = {{ASOF - 20 * DAY, 200, 0}, {ASOF - 5 * DAY, 300, 0}}},
        {.id = 2, .consent = PT_CONSENT_BIT(PT_CONSENT_SMS), .n = 1, .o = {{ASOF - 3 * DAY, 500, 0}}},
        {.id = 3, .status = PT_MEMBER_ERASED, .consent = ANALYTICS, .n = 1, .o = {{ASOF - 4 * DAY, 700, 0}}},
        {.id = 4, .consent = ANALYTICS, .merged_into = 1},
        {.id = 5, .consent = ANALYTICS},
        {.id = 6, .consent = ANALYTICS, .n = 1, .o = {{ASOF - 60 * DAY, 900, 0}}},
        {.id = 7, .consent = ANALYTICS, .n = 1, .o = {{ASOF - 2 * DAY, 400, PT_ORDER_REFUNDED}}},
        {.id = 8, .consent = ANALYTICS, .n = 1, .o = {{ASOF + 10, 400, 0}}},
    };
    pt_snapshot *s = fx_snapshot(m, 8);
    pt_rfm r;
    ASSERT_OK(compute(&r, s, 30, PT_RFM_SUM, 1));
    ASSERT_EQ(r.nrows, 5);
    static const int64_t ids[5] = {1, 5, 6, 7, 8}, rec[5] = {5, -1, 60, -1, -1};
    for (int i = 0; i < 5; i++) {
        ASSERT_EQ(r.rows[i].member_id, ids[i]);
        ASSERT_EQ(r.rows[i].recency_days, rec[i]);
    }
    ASSERT_EQ(r.rows[0].frequency, 2);
    ASSERT_EQ(r.rows[0].monetary_cents, 500);
    ASSERT_EQ(r.rows[0].r * 100 + r.rows[0].f * 10 + r.rows[0].m, 111); /* n = 1: b = 0 */
    ASSERT_EQ(r.rows[0].seg11, PT_SEG_LOST);
    for (int i = 1; i < 5; i++) {
        ASSERT_EQ(r.rows[i].frequency, 0);
        ASSERT_EQ(r.rows[i].r, 0);
        ASSERT_EQ(r.rows[i].seg11, PT_RFM_SEG_NONE);
        ASSERT_EQ(r.rows[i].seg8, PT_RFM_SEG_NONE);
    }
    ASSERT_EQ(r.t.members, 7);
    ASSERT_EQ(r.t.rows, 5);
    ASSERT_EQ(r.t.scored, 1);
    ASSERT_EQ(r.t.no_consent, 1);
    ASSERT_EQ(r.t.erased, 1);
    ASSERT_EQ(r.t.merged_away, 1);
    ASSERT_EQ(r.t.anon_buyers, 2);
    ASSERT_EQ(r.t.anon_orders, 2);
    ASSERT_EQ(r.t.anon_revenue_cents, 1200);
    ASSERT_EQ(r.t.orders, 4);
    ASSERT_EQ(r.t.revenue_cents, 1700);
    /* summary, 8 map: 8 segments + none + no consent + erased; counts add up to 7 */
    pt_rfm_segment seg[PT_RFM_SEGMENTS_MAX];
    int n = pt_rfm_segments(&r, PT_RFM_MAP8, seg);
    ASSERT_EQ(n, 11);
    size_t total = 0;
    int64_t rev = 0;
    for (int k = 0; k < n; k++) {
        total += seg[k].members;
        rev += seg[k].revenue_cents;
    }
    ASSERT_EQ(total, 7);
    ASSERT_EQ(rev, 1700);
    ASSERT_EQ(seg[PT_SEG_GENERAL_WINBACK].members, 1);
    ASSERT_EQ(seg[8].id, PT_RFM_SEG_NONE);
    ASSERT_EQ(seg[8].members, 4);
    ASSERT_EQ(seg[9].id, PT_RFM_SEG_NO_CONSENT);
    ASSERT_EQ(seg[9].members, 1);
    ASSERT_EQ(seg[9].revenue_cents, 500);
    ASSERT_EQ(seg[10].id, PT_RFM_SEG_ERASED);
    ASSERT_EQ(seg[10].revenue_cents, 700);
    ASSERT(seg[9].avg_frequency == 0); /* anonymous rows carry no per-member values */
    pt_rfm_free(&r);
    pt_snapshot_free(s);
}

/* Window and average: orders 40 days (1,000), 10 days (100) and 9 days (201) ago.
 * All history: F 3, sum 1,301, avg ⌊1301/3⌋ = 433. 30 days: F 2, sum 301, avg ⌊301/2⌋ = 150.
 * Recency is 9 days either way. */
TEST(rfm_window_limits_frequency_and_monetary_and_average_rounds_down)
{
    struct fx_member m[1] = {{.id = 1, .consent = ANALYTICS, .n = 3,
                              .o = {{ASOF - 40 * DAY, 1000, 0}, {ASOF - 10 * DAY, 100, 0}, {ASOF - 9 * DAY, 201, 0}}}};
    pt_snapshot *s = fx_snapshot(m, 1);
    pt_rfm r;
    ASSERT_OK(compute(&r, s, 0, PT_RFM_AVG, 1));
    ASSERT_EQ(r.rows[0].frequency, 3);
    ASSERT_EQ(r.rows[0].revenue_cents, 1301);
    ASSERT_EQ(r.rows[0].monetary_cents, 433);
    pt_rfm_free(&r);
    ASSERT_OK(compute(&r, s, 30, PT_RFM_AVG, 1));
    ASSERT_EQ(r.rows[0].frequency, 2);
    ASSERT_EQ(r.rows[0].revenue_cents, 301);
    ASSERT_EQ(r.rows[0].monetary_cents, 150);
    ASSERT_EQ(r.rows[0].recency_days, 9);
    pt_rfm_free(&r);
    ASSERT_EQ(compute(&r, s, -1, PT_RFM_SUM, 1), PT_EINVAL);
    pt_snapshot_free(s);
}

/* 60,000 members with pseudo-random orders: 1, 2 and 3 threads give identical rows and totals. */
TEST(rfm_results_do_not_depend_on_the_thread_count)
{
    enum { N = 60000 };
    struct fx_member *m = calloc(N, sizeof *m);
    uint64_t x = 88172645463325252u;
    for (int i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        m[i] = (struct fx_member){.id = i + 1, .consent = (x % 10) ? ANALYTICS : 0, .n = (int)((x >> 8) % 6)};
        int64_t at = ASOF - (int64_t)((x >> 16) % 700) * DAY;
        for (int k = 0; k < m[i].n; k++)
            m[i].o[k] = (struct fx_order){at + k * 3 * DAY, (int64_t)((x >> (20 + k)) % 50000), (x >> (30 + k)) % 9 ? 0 : PT_ORDER_REFUNDED};
    }
    pt_snapshot *s = fx_snapshot(m, N);
    free(m);
    pt_rfm a, b;
    ASSERT_OK(compute(&a, s, 365, PT_RFM_SUM, 1));
    for (int t = 2; t <= 3; t++) {
        ASSERT_OK(compute(&b, s, 365, PT_RFM_SUM, t));
        ASSERT_EQ(b.opts.threads, t);
        ASSERT_EQ(b.nrows, a.nrows);
        ASSERT(memcmp(a.rows, b.rows, a.nrows * sizeof *a.rows) == 0);
        ASSERT(memcmp(&a.t, &b.t, sizeof a.t) == 0);
        pt_rfm_free(&b);
    }
    ASSERT_GT(a.t.scored, 1000);
    pt_rfm_free(&a);
    pt_snapshot_free(s);
}

/* --- from a store ---------------------------------------------------------------------------- */
static int64_t store_member(pt_store *s, int i, int status, uint32_t consent, int64_t merged_into)
{
    pt_member_rec m;
    pt_member_rec_init(&m);
    m.status = status;
    m.registered_at = TEST_NOW - 400 * DAY;
    m.created_at = m.updated_at = TEST_NOW;
    m.consent = consent;
    m.merged_into = merged_into;
    snprintf(m.member_no, sizeof m.member_no, "R%05d", i);
    pt_buf_set(&m.provenance, "{}", 2);
    int rc = pt_store_member_insert(s, &m);
    int64_t id = rc ? -1 : m.id;
    pt_member_rec_free(&m);
    return id;
}

static int store_order(pt_store *s, int64_t member, int n, int64_t at, int64_t cents)
{
    pt_order_rec o = {.member_id = member, .ordered_at = at, .amount_cents = cents, .status = PT_ORDER_PAID};
    snprintf(o.order_no, sizeof o.order_no, "R-%lld-%d", (long long)member, n);
    snprintf(o.source, sizeof o.source, "t");
    return pt_store_order_insert(s, &o);
}

/* The consent fixture above, through a real store: members 1..6 (2 without analytics consent,
 * 3 erased, 4 merged into 1, 5 without orders, 6 with an order before the window). */
BOTH_TEST(rfm_over_a_store_snapshot_counts_every_member_once)
{
    pt_store *s = test_store_open(be, "rfm", NULL);
    ASSERT(s);
    ASSERT_OK(pt_store_begin(s));
    int64_t id[6];
    id[0] = store_member(s, 1, PT_MEMBER_ACTIVE, ANALYTICS, 0);
    id[1] = store_member(s, 2, PT_MEMBER_ACTIVE, PT_CONSENT_BIT(PT_CONSENT_SMS), 0);
    id[2] = store_member(s, 3, PT_MEMBER_ERASED, ANALYTICS, 0);
    id[3] = store_member(s, 4, PT_MEMBER_ACTIVE, ANALYTICS, id[0]);
    id[4] = store_member(s, 5, PT_MEMBER_FROZEN, ANALYTICS, 0);
    id[5] = store_member(s, 6, PT_MEMBER_ACTIVE, ANALYTICS, 0);
    for (int i = 0; i < 6; i++)
        ASSERT_GT(id[i], 0);
    ASSERT_OK(store_order(s, id[0], 1, ASOF - 20 * DAY, 200));
    ASSERT_OK(store_order(s, id[0], 2, ASOF - 5 * DAY, 300));
    ASSERT_OK(store_order(s, id[1], 1, ASOF - 3 * DAY, 500));
    ASSERT_OK(store_order(s, id[2], 1, ASOF - 4 * DAY, 700));
    ASSERT_OK(store_order(s, id[5], 1, ASOF - 60 * DAY, 900));
    ASSERT_OK(pt_store_commit(s));
    pt_snapshot *snap = NULL;
    ASSERT_OK(pt_snapshot_load(&snap, s, NULL, NULL));
    ASSERT_EQ(snap->nmembers, 6);
    pt_rfm r;
    ASSERT_OK(compute(&r, snap, 30, PT_RFM_SUM, 2));
    ASSERT_EQ(r.nrows, 3); /* 1, 5, 6 */
    ASSERT_EQ(r.rows[0].member_id, id[0]);
    ASSERT_EQ(r.rows[0].frequency, 2);
    ASSERT_EQ(r.rows[0].recency_days, 5);
    ASSERT_EQ(r.rows[1].member_id, id[4]);
    ASSERT_EQ(r.rows[1].recency_days, -1);
    ASSERT_EQ(r.rows[2].recency_days, 60);
    ASSERT_EQ(r.rows[2].seg11, PT_RFM_SEG_NONE);
    ASSERT_EQ(r.t.members, 5);
    ASSERT_EQ(r.t.merged_away, 1);
    ASSERT_EQ(r.t.no_consent, 1);
    ASSERT_EQ(r.t.erased, 1);
    ASSERT_EQ(r.t.anon_revenue_cents, 1200);
    ASSERT_EQ(r.t.revenue_cents, 1700);
    pt_rfm_free(&r);
    pt_snapshot_free(snap);
    pt_store_close(s);
}

/* --- the CLI --------------------------------------------------------------------------------- */
#define BIN pt_test_patron_bin()

/* Sums the "members" column of a CSV with a header (column named members). */
static long csv_members_sum(const char *csv, int *rows)
{
    const char *line = csv, *nl = strchr(line, '\n');
    if (!nl)
        return -1;
    int col = -1, c = 0;
    for (const char *p = line; p < nl; c++) {
        const char *e = memchr(p, ',', (size_t)(nl - p));
        size_t len = (size_t)((e ? e : nl) - p);
        if (len == 7 && memcmp(p, "members", 7) == 0)
            col = c;
        p = e ? e + 1 : nl;
    }
    if (col < 0)
        return -1;
    long sum = 0;
    *rows = 0;
    for (line = nl + 1; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (!nl)
            break;
        const char *p = line;
        for (int k = 0; k < col && p; k++) {
            p = memchr(p, ',', (size_t)(nl - p));
            p = p ? p + 1 : NULL;
        }
        if (!p)
            return -1;
        sum += strtol(p, NULL, 10);
        (*rows)++;
    }
    return sum;
}

TEST(cli_rfm_json_and_segments_csv_on_a_demo_add_up_to_the_member_total)
{
    char data[4200], *out = NULL, *csv = NULL, *json8 = NULL;
    snprintf(data, sizeof data, "%s/d", pt_test_tmpdir());
    int st = pt_test_run(&out, "'%s' demo --members 400 --seed 5 --no-programme --data '%s' 2>&1", BIN, data);
    if (st)
        fprintf(stderr, "    demo exited %d: %.400s\n", st, out ? out : "");
    ASSERT_EQ(st, 0);
    free(out);
    out = NULL;
    ASSERT_EQ(pt_test_run(&out, "'%s' rfm --json --as-of 2026-01-01 --data '%s'", BIN, data), 0);
    json_error_t err;
    json_t *j = json_loads(out, 0, &err);
    ASSERT(j);
    json_t *totals = json_object_get(j, "totals"), *rows = json_object_get(j, "members");
    ASSERT(json_is_object(totals) && json_is_array(rows));
    json_int_t members = json_integer_value(json_object_get(totals, "members"));
    json_int_t shown = json_integer_value(json_object_get(totals, "shown"));
    json_int_t no_consent = json_integer_value(json_object_get(totals, "anonymous_no_consent"));
    json_int_t erased = json_integer_value(json_object_get(totals, "anonymous_erased"));
    ASSERT_GT(members, 0);
    ASSERT_EQ((json_int_t)json_array_size(rows), shown);
    ASSERT_EQ(shown + no_consent + erased, members);
    ASSERT_GT(no_consent, 0); /* the demo gives analytics consent to some app members only */
    json_t *row0 = json_array_get(rows, 0);
    ASSERT(json_is_string(json_object_get(row0, "member")));
    ASSERT(json_object_get(row0, "segment"));
    ASSERT_EQ(pt_test_run(&csv, "'%s' segments --csv --as-of 2026-01-01 --data '%s'", BIN, data), 0);
    int nrows = 0;
    ASSERT_EQ(csv_members_sum(csv, &nrows), (long)members);
    ASSERT_EQ(nrows, 11 + 3);
    ASSERT_EQ(pt_test_run(&json8, "'%s' segments --map 8 --lang zh --json --as-of 2026-01-01 --data '%s'", BIN, data), 0);
    json_t *k = json_loads(json8, 0, &err);
    ASSERT(k);
    json_t *segs = json_object_get(k, "segments");
    ASSERT_EQ(json_array_size(segs), 8 + 3);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(segs, 0), "name")), "重要价值客户");
    json_int_t sum = 0;
    for (size_t i = 0; i < json_array_size(segs); i++)
        sum += json_integer_value(json_object_get(json_array_get(segs, i), "members"));
    ASSERT_EQ(sum, members);
    ASSERT_NE(pt_test_run(NULL, "'%s' rfm --map 9 --data '%s' 2>/dev/null", BIN, data), 0);
    json_decref(j);
    json_decref(k);
    free(out);
    free(csv);
    free(json8);
}

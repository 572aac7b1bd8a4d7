/* test_store_score.c — model scores per member (store_score.h, migration 10) on every backend:
 * a put then a get returns the same record, a second put replaces it, a scan is ordered by
 * score (highest first) and filtered by a minimum, clearing one model leaves the others, a
 * missing member or an out-of-range score is refused without writing; and the churn module's
 * save/load round trip (pt_churn_scores_save replaces a model's whole set; pt_churn_scores_load
 * gives the riskiest first).
 *
 * BOTH_TEST(name) registers name_on_sqlite and name_on_postgres (the latter needs
 * PATRON_TEST_PG and skips without it). */
#include "helpers.h"
#include "test.h"
#include "patron/churn.h"
#include "patron/error.h"
#include "patron/store.h"
#include "patron/store_copy.h"
#include "patron/store_score.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1700000000

static pt_score_rec score(int64_t member, const char *model, int64_t ppm, const char *reasons)
{
    pt_score_rec r = {.member_id = member, .as_of = T0, .score_ppm = ppm, .scored_at = T0 + 5};
    snprintf(r.model, sizeof r.model, "%s", model);
    snprintf(r.version, sizeof r.version, "xgb-1.7.4-d3r100@19675");
    snprintf(r.reasons, sizeof r.reasons, "%s", reasons);
    return r;
}

struct seen {
    int64_t member[8], ppm[8];
    int     n;
};

static int collect(void *ud, const pt_score_rec *r)
{
    struct seen *s = ud;
    if (s->n < 8) {
        s->member[s->n] = r->member_id;
        s->ppm[s->n++] = r->score_ppm;
    }
    return 0;
}

BOTH_TEST(store_scores_round_trip_replace_scan_by_score_and_clear_per_model)
{
    pt_store *s = test_store_open(be, "sc", NULL);
    ASSERT(s);
    int64_t a = test_store_member(s, "M1"), b = test_store_member(s, "M2"), c = test_store_member(s, "M3");
    ASSERT(a > 0 && b > 0 && c > 0);
    pt_score_rec r = score(a, "churn:xgb", 420000, "recency_days,overdue_ratio");
    ASSERT_OK(pt_store_score_put(s, &r));
    pt_score_rec got;
    ASSERT_OK(pt_store_score_get(s, a, "churn:xgb", &got));
    ASSERT_EQ(got.member_id, a);
    ASSERT_EQ(got.score_ppm, 420000);
    ASSERT_EQ(got.as_of, T0);
    ASSERT_EQ(got.scored_at, T0 + 5);
    ASSERT_STR_EQ(got.model, "churn:xgb");
    ASSERT_STR_EQ(got.version, "xgb-1.7.4-d3r100@19675");
    ASSERT_STR_EQ(got.reasons, "recency_days,overdue_ratio");
    /* A second put replaces the row. */
    r.score_ppm = 910000;
    snprintf(r.reasons, sizeof r.reasons, "orders_90d");
    ASSERT_OK(pt_store_score_put(s, &r));
    ASSERT_OK(pt_store_score_get(s, a, "churn:xgb", &got));
    ASSERT_EQ(got.score_ppm, 910000);
    ASSERT_STR_EQ(got.reasons, "orders_90d");
    pt_score_rec rb = score(b, "churn:xgb", 150000, ""), rc2 = score(c, "churn:xgb", 910000, "tenure_days");
    pt_score_rec other = score(b, "churn:lr", 999999, "");
    ASSERT_OK(pt_store_score_put(s, &rb));
    ASSERT_OK(pt_store_score_put(s, &rc2));
    ASSERT_OK(pt_store_score_put(s, &other));
    struct seen seen = {0};
    ASSERT_OK(pt_store_score_scan(s, "churn:xgb", 0, collect, &seen));
    ASSERT_EQ(seen.n, 3);
    ASSERT_EQ(seen.member[0], a); /* 910000, ties by member id */
    ASSERT_EQ(seen.member[1], c);
    ASSERT_EQ(seen.member[2], b);
    seen.n = 0;
    ASSERT_OK(pt_store_score_scan(s, "churn:xgb", 500000, collect, &seen));
    ASSERT_EQ(seen.n, 2);
    int64_t n = 0;
    ASSERT_OK(pt_store_score_clear_model(s, "churn:xgb", &n));
    ASSERT_EQ(n, 3);
    ASSERT_EQ(pt_store_score_get(s, a, "churn:xgb", &got), PT_ENOTFOUND);
    ASSERT_OK(pt_store_score_get(s, b, "churn:lr", &got));
    ASSERT_EQ(got.score_ppm, 999999);
    pt_store_close(s);
}

BOTH_TEST(store_scores_refuse_a_missing_member_and_an_out_of_range_score)
{
    pt_store *s = test_store_open(be, "sc", NULL);
    ASSERT(s);
    int64_t a = test_store_member(s, "M1");
    ASSERT(a > 0);
    pt_score_rec r = score(a + 1000, "churn:xgb", 1, "");
    ASSERT_OK(pt_store_begin(s));
    ASSERT_EQ(pt_store_score_put(s, &r), PT_EINVAL);
    r = score(a, "churn:xgb", PT_SCORE_PPM + 1, "");
    ASSERT_EQ(pt_store_score_put(s, &r), PT_EINVAL);
    r = score(a, "churn:xgb", -1, "");
    ASSERT_EQ(pt_store_score_put(s, &r), PT_EINVAL);
    /* The transaction is still usable after the refusals. */
    r = score(a, "churn:xgb", PT_SCORE_PPM, "");
    ASSERT_OK(pt_store_score_put(s, &r));
    ASSERT_OK(pt_store_commit(s));
    struct seen seen = {0};
    ASSERT_OK(pt_store_score_scan(s, "churn:xgb", 0, collect, &seen));
    ASSERT_EQ(seen.n, 1);
    ASSERT_EQ(seen.ppm[0], PT_SCORE_PPM);
    pt_store_close(s);
}

/* pt_churn_scores_save replaces the set: a member scored by the first run and not by the
 * second has no score afterwards; pt_churn_scores_load gives the riskiest first, filtered by
 * min_score, with the version and reasons kept. */
BOTH_TEST(churn_scores_save_replaces_the_set_and_load_gives_the_riskiest_first)
{
    pt_store *s = test_store_open(be, "sc", NULL);
    ASSERT(s);
    int64_t id[3];
    for (int i = 0; i < 3; i++) {
        char no[8];
        snprintf(no, sizeof no, "M%d", i);
        id[i] = test_store_member(s, no);
        ASSERT(id[i] > 0);
    }
    pt_churn_score rows[3] = {
        {.member_id = id[0], .p = 0.25, .reason = {PT_CF_RECENCY, -1, -1}},
        {.member_id = id[1], .p = 0.875, .reason = {PT_CF_OVERDUE, PT_CF_ORDERS_90, -1}},
        {.member_id = id[2], .p = 0.5, .reason = {-1, -1, -1}},
    };
    pt_churn_scores sc = {.n = 3, .row = rows, .as_of = T0, .model = PT_CHURN_XGB, .horizon_days = 30};
    snprintf(sc.version, sizeof sc.version, "xgb-test@1");
    ASSERT_OK(pt_churn_scores_save(s, &sc, T0 + 60));
    pt_score_rec *out = NULL;
    size_t n = 0;
    ASSERT_OK(pt_churn_scores_load(s, "xgb", 0.4, &out, &n));
    ASSERT_EQ(n, 2);
    ASSERT_EQ(out[0].member_id, id[1]);
    ASSERT_EQ(out[0].score_ppm, 875000);
    ASSERT_STR_EQ(out[0].reasons, "overdue_ratio,orders_90d");
    ASSERT_STR_EQ(out[0].version, "xgb-test@1");
    ASSERT_EQ(out[0].scored_at, T0 + 60);
    ASSERT_EQ(out[1].member_id, id[2]);
    free(out);
    /* A second run without member 1: its old score disappears. */
    sc.n = 2;
    rows[1] = rows[2];
    ASSERT_OK(pt_churn_scores_save(s, &sc, T0 + 120));
    ASSERT_OK(pt_churn_scores_load(s, NULL, 0, &out, &n));
    ASSERT_EQ(n, 2);
    ASSERT_EQ(out[0].member_id, id[2]);
    ASSERT_EQ(out[1].member_id, id[0]);
    free(out);
    ASSERT_EQ(pt_churn_scores_load(s, "nope", 0, &out, &n), PT_EINVAL);
    ASSERT_EQ(pt_churn_scores_load(s, "lr", 1.5, &out, &n), PT_EINVAL);
    ASSERT_OK(pt_churn_scores_load(s, "lr", 0, &out, &n));
    ASSERT_EQ(n, 0);
    ASSERT(out == NULL);
    pt_store_close(s);
}

/* `store copy` carries member_scores (store_copy.c lists the table): SQLite → PostgreSQL →
 * SQLite gives back every score exactly. */
TEST(store_copy_carries_member_scores_sqlite_postgres_sqlite)
{
    if (!test_pg_base())
        SKIP("PATRON_TEST_PG is unset (scripts/run-tests starts a throwaway PostgreSQL)");
    pt_store *a = test_store_open(TEST_SQLITE, "ca", NULL), *b = test_store_open(TEST_POSTGRES, "cb", NULL);
    pt_store *c = test_store_open(TEST_SQLITE, "cc", NULL);
    ASSERT(a && b && c);
    int64_t m1 = test_store_member(a, "M1"), m2 = test_store_member(a, "M2");
    ASSERT(m1 > 0 && m2 > 0);
    pt_score_rec r1 = score(m1, "churn:xgb", 777777, "recency_days"), r2 = score(m2, "churn:lr", 5, "");
    ASSERT_OK(pt_store_score_put(a, &r1));
    ASSERT_OK(pt_store_score_put(a, &r2));
    ASSERT_OK(pt_store_copy(a, b, NULL, NULL));
    ASSERT_OK(pt_store_copy(b, c, NULL, NULL));
    pt_score_rec got;
    ASSERT_OK(pt_store_score_get(c, m1, "churn:xgb", &got));
    ASSERT_EQ(got.score_ppm, 777777);
    ASSERT_STR_EQ(got.reasons, "recency_days");
    ASSERT_STR_EQ(got.version, r1.version);
    ASSERT_OK(pt_store_score_get(c, m2, "churn:lr", &got));
    ASSERT_EQ(got.score_ppm, 5);
    pt_store_close(a);
    pt_store_close(b);
    pt_store_close(c);
}

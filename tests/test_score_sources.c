/* test_score_sources.c — the scores audiences and triggers compare (score_sources.h): churn_risk
 * comes from the stored churn model when the store has its scores (xgb preferred over lr),
 * matched to snapshot members by id, with no score for members the model did not score; without
 * stored scores and without purchase history there is no churn_risk at all. Both backends. */
#include "helpers.h"
#include "test.h"
#include "patron/error.h"
#include "patron/score_sources.h"
#include "patron/snapshot.h"
#include "patron/store.h"
#include "patron/store_score.h"

#include <stdio.h>
#include <string.h>

#define T0 1700000000

static int put_score(pt_store *s, int64_t member, const char *model, int64_t ppm)
{
    pt_score_rec r = {.member_id = member, .as_of = T0, .score_ppm = ppm, .scored_at = T0};
    snprintf(r.model, sizeof r.model, "%s", model);
    snprintf(r.version, sizeof r.version, "test");
    return pt_store_score_put(s, &r);
}

/* The churn_risk of snapshot member i: 1 and *v, or 0 without a score. */
static int churn_of(const pt_score_sources *ss, const pt_snapshot *snap, size_t i, double *v)
{
    const pt_score_source *src = pt_score_sources_find(ss, "churn_risk");
    return src ? src->score(src->ud, snap, i, v) : -1;
}

BOTH_TEST(score_sources_take_churn_risk_from_the_stored_model_preferring_xgb_and_only_for_scored_members)
{
    pt_store *s = test_store_open(be, "score_sources", NULL);
    ASSERT(s);
    int64_t a = test_store_member(s, "A"), b = test_store_member(s, "B"), c = test_store_member(s, "C");
    ASSERT_GT(a, 0);
    pt_snapshot *snap = NULL;
    ASSERT_OK(pt_snapshot_load(&snap, s, NULL, NULL));
    ASSERT_EQ(snap->nmembers, 3);

    /* nothing stored, no purchases: no P(alive) either, so no churn_risk */
    pt_score_sources ss;
    ASSERT_OK(pt_score_sources_init(&ss, s, snap, T0));
    ASSERT(pt_score_sources_find(&ss, "churn_risk") == NULL);
    ASSERT_STR_EQ(ss.churn_model, "");
    pt_score_sources_free(&ss);

    /* lr scores for A and C */
    ASSERT_OK(put_score(s, a, "churn:lr", 300000));
    ASSERT_OK(put_score(s, c, "churn:lr", 900000));
    ASSERT_OK(pt_score_sources_init(&ss, s, snap, T0));
    ASSERT_STR_EQ(ss.churn_model, "churn:lr");
    ASSERT_EQ(ss.nstored, 2);
    double v = -1;
    ASSERT_EQ(churn_of(&ss, snap, 0, &v), 1);
    ASSERT(v > 0.2999 && v < 0.3001);
    ASSERT_EQ(churn_of(&ss, snap, 1, &v), 0); /* B was not scored: no score, not 0 */
    ASSERT_EQ(churn_of(&ss, snap, 2, &v), 1);
    ASSERT(v > 0.8999 && v < 0.9001);
    pt_score_sources_free(&ss);

    /* an xgb score for B: xgb wins, and only B has one */
    ASSERT_OK(put_score(s, b, "churn:xgb", 650000));
    ASSERT_OK(pt_score_sources_init(&ss, s, snap, T0));
    ASSERT_STR_EQ(ss.churn_model, "churn:xgb");
    ASSERT_EQ(churn_of(&ss, snap, 0, &v), 0);
    ASSERT_EQ(churn_of(&ss, snap, 1, &v), 1);
    ASSERT(v > 0.6499 && v < 0.6501);
    pt_score_sources_free(&ss);

    pt_snapshot_free(snap);
    pt_store_close(s);
}

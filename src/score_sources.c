/* score_sources.c — the score sources of audiences and triggers (score_sources.h): BG/NBD
 * P(alive) from the snapshot, and churn risk from the stored churn model when there is one.
 *
 * Invariant: stored[i] is the score of snapshot member i (matched by id; the snapshot's ids
 * ascend, so a binary search), NaN when that member has no stored score — never a made-up 0.
 */
#include "patron/score_sources.h"
#include "patron/churn.h"
#include "patron/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int stored_score(void *ud, const pt_snapshot *snap, size_t i, double *v)
{
    const pt_score_sources *ss = ud;
    if (i >= snap->nmembers || isnan(ss->stored[i]))
        return 0;
    *v = ss->stored[i];
    return 1;
}

/* The stored scores of the preferred churn model, by snapshot member. */
static int load_stored(pt_score_sources *ss, pt_store *store, const pt_snapshot *snap)
{
    const char *model;
    pt_score_rec *rows = NULL;
    size_t n = 0;
    int rc = pt_churn_scores_load_preferred(store, &model, &rows, &n);
    if (rc || n == 0)
        return rc;
    ss->stored = malloc((snap->nmembers + 1) * sizeof *ss->stored);
    if (!ss->stored) {
        free(rows);
        return PT_ENOMEM;
    }
    for (size_t i = 0; i < snap->nmembers; i++)
        ss->stored[i] = NAN;
    for (size_t k = 0; k < n; k++) {
        long i = pt_snapshot_member_index(snap, rows[k].member_id);
        if (i >= 0) {
            ss->stored[i] = (double)rows[k].score_ppm / (double)PT_SCORE_PPM;
            ss->nstored++;
        }
    }
    snprintf(ss->churn_model, sizeof ss->churn_model, "churn:%s", model);
    free(rows);
    return PT_OK;
}

int pt_score_sources_init(pt_score_sources *ss, pt_store *store, const pt_snapshot *snap, int64_t as_of)
{
    memset(ss, 0, sizeof *ss);
    int rc = store ? load_stored(ss, store, snap) : PT_OK;
    if (rc)
        return rc;
    if (pt_palive_init(&ss->palive, snap, as_of) == PT_OK) {
        ss->have_palive = 1;
        ss->src[ss->n++] = pt_palive_source(&ss->palive);
    }
    if (ss->stored) {
        ss->src[ss->n++] = (pt_score_source){.name = "churn_risk", .score = stored_score, .ud = ss};
    } else if (ss->have_palive) {
        ss->src[ss->n++] = pt_palive_churn_source(&ss->palive);
        snprintf(ss->churn_model, sizeof ss->churn_model, "bgnbd-p_alive");
    }
    return PT_OK;
}

void pt_score_sources_free(pt_score_sources *ss)
{
    if (ss->have_palive)
        pt_palive_free(&ss->palive);
    free(ss->stored);
    memset(ss, 0, sizeof *ss);
}

const pt_score_source *pt_score_sources_find(const pt_score_sources *ss, const char *name)
{
    for (size_t k = 0; k < ss->n; k++)
        if (strcmp(ss->src[k].name, name) == 0)
            return &ss->src[k];
    return NULL;
}

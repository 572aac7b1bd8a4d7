/* score_sources.h — the member scores that audiences and triggers can compare (audience.h's
 * pt_score_source), set up once per snapshot:
 *   p_alive     BG/NBD P(alive) fitted on the snapshot as of as_of (score_palive.h);
 *   churn_risk  the stored churn model's P(churn) (`patron churn score`, churn.h) — model xgb,
 *               else lr — when the store holds any such scores; otherwise 1 − P(alive).
 * Members without a score (no history, or not scored by the stored model) have none: a
 * comparison on them is false. `churn_model` says which one churn_risk came from.
 */
#ifndef PATRON_SCORE_SOURCES_H
#define PATRON_SCORE_SOURCES_H

#include "patron/audience.h"
#include "patron/score_palive.h"

typedef struct pt_score_sources {
    pt_palive_scorer palive;
    int              have_palive;
    double          *stored;        /* [snap->nmembers] stored churn score, NaN when none; or NULL */
    size_t           nstored;       /* stored scores matched to snapshot members */
    char             churn_model[16]; /* "churn:xgb", "churn:lr" or "bgnbd-p_alive"; "" without one */
    pt_score_source  src[2];
    size_t           n;             /* sources in src */
} pt_score_sources;

/* Sets up the sources for snap as of as_of (ss zeroed first). A snapshot without history gives
 * no p_alive and, without stored scores, no churn_risk: not an error. PT_ENOMEM; the store's
 * errors reading the scores. */
int  pt_score_sources_init(pt_score_sources *ss, pt_store *store, const pt_snapshot *snap, int64_t as_of);
void pt_score_sources_free(pt_score_sources *ss);
/* The source named name ("p_alive", "churn_risk"), or NULL. */
const pt_score_source *pt_score_sources_find(const pt_score_sources *ss, const char *name);

#endif

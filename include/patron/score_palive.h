/* score_palive.h — a score source (audience.h) from the BG/NBD model: P(alive) per member,
 * fitted on the snapshot's paid orders before as_of, and churn_risk = 1 − P(alive). It is the
 * stand-in for the supervised churn model (another module): anything with the same
 * pt_score_source shape can be plugged into audiences and the churn trigger instead.
 */
#ifndef PATRON_SCORE_PALIVE_H
#define PATRON_SCORE_PALIVE_H

#include "patron/audience.h"
#include "patron/clv.h"

typedef struct pt_palive_scorer {
    pt_clv_summary sum;
    pt_clv_fit     fit;
    double        *p_alive;   /* [snap->nmembers] NaN when the member has no history */
    size_t         n;
} pt_palive_scorer;

/* Fits BG/NBD (weeks) on snap as of as_of. PT_ENOTFOUND when no member has history. */
int  pt_palive_init(pt_palive_scorer *sc, const pt_snapshot *snap, int64_t as_of);
void pt_palive_free(pt_palive_scorer *sc);
/* Sources named "p_alive" and "churn_risk" over sc (ud = sc). */
pt_score_source pt_palive_source(pt_palive_scorer *sc);
pt_score_source pt_palive_churn_source(pt_palive_scorer *sc);

#endif

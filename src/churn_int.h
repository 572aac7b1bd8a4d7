/* churn_int.h — what the churn files share: prediction with per-feature importance, used by
 * the evaluation (churn_eval.c) on top of the learners (churn.c). */
#ifndef PATRON_CHURN_INT_H
#define PATRON_CHURN_INT_H

#include "patron/churn.h"

/* pt_churn_predict, plus (when importance is not NULL) the mean |contribution| of each
 * feature over the rows, indexed by enum pt_churn_feature (0 for unused features). */
int pt__churn_predict(const pt_churn_model *m, const pt_churn_data *d, const pt_snapshot *snap, double *p,
                      int (*reasons)[PT_CHURN_REASONS], double *importance);

#endif

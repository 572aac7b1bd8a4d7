/* store_score.h — the store's records of model scores per member (migration 10, member_scores):
 * one row per (member, model) holding the latest score a model gave that member, with the
 * model's version, the instant the features were taken (as_of) and the top reasons. Same
 * contract as store.h (records, never SQL; 0 or PT_E*; callback records are valid only during
 * the callback; a non-zero callback return stops the iteration and is returned).
 *
 * Scores are probabilities kept as integer parts per million (score_ppm, 0 … 1,000,000) so
 * both backends hold exactly the same value and `store copy` compares them exactly.
 *
 * Distribution (docs/scaling.md): member_id leads the primary key, so the table is
 * member-scoped (distributed by member_id, colocated with members on Citus). A re-score of a
 * model replaces its whole set: pt_store_score_clear_model then one pt_store_score_put per
 * member, in the caller's transaction (churn.c, pt_churn_scores_save), so readers never see
 * a mix of two runs.
 */
#ifndef PATRON_STORE_SCORE_H
#define PATRON_STORE_SCORE_H

#include "patron/store.h"

#include <stdint.h>

#define PT_SCORE_MODEL_MAX   24  /* "churn:xgb", bytes incl. NUL */
#define PT_SCORE_VERSION_MAX 64  /* "xgb-1.7.4:20261206:…", bytes incl. NUL */
#define PT_SCORE_REASONS_MAX 128 /* comma-separated feature names, bytes incl. NUL */
#define PT_SCORE_PPM         1000000

typedef struct pt_score_rec {
    int64_t member_id;
    char    model[PT_SCORE_MODEL_MAX];     /* what the score is ("churn:lr", "churn:xgb", …) */
    char    version[PT_SCORE_VERSION_MAX]; /* which trained model gave it */
    int64_t as_of;                         /* features taken from data strictly before, UTC epoch s */
    int64_t score_ppm;                     /* 0 … PT_SCORE_PPM */
    char    reasons[PT_SCORE_REASONS_MAX]; /* top contributing features, most first; never personal data */
    int64_t scored_at;                     /* when the row was written, UTC epoch s */
} pt_score_rec;

typedef int (*pt_score_cb)(void *ud, const pt_score_rec *r);

/* Inserts or replaces the row of (r->member_id, r->model). PT_EINVAL when the member does not
 * exist or score_ppm is out of range. */
int pt_store_score_put(pt_store *s, const pt_score_rec *r);
/* The row of (member_id, model); PT_ENOTFOUND when none. */
int pt_store_score_get(pt_store *s, int64_t member_id, const char *model, pt_score_rec *r);
/* Every row of model with score_ppm ≥ min_ppm, highest score first (ties by member id). */
int pt_store_score_scan(pt_store *s, const char *model, int64_t min_ppm, pt_score_cb cb, void *ud);
/* Deletes every row of model; *n (may be NULL) gets how many. */
int pt_store_score_clear_model(pt_store *s, const char *model, int64_t *n);

#endif

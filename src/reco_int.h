/* reco_int.h — what the recommender files share (reco.c, reco_knn.c, reco_als.c,
 * reco_model.c, reco_eval.c); not part of the public API. */
#ifndef PATRON_RECO_INT_H
#define PATRON_RECO_INT_H

#include "patron/reco.h"

#include <stddef.h>
#include <stdint.h>

/* Item-item neighbours of kind PT_RECO_COSINE or PT_RECO_BM25 from matrix m into model->nb_*
 * (model->nitems == m->nitems). PT_ENOMEM. */
int reco__knn_train(pt_reco_model *model, const pt_reco_matrix *m, const pt_reco_opts *o);

/* ALS item factors into model->item_factors (and model->gram). PT_ENOMEM, PT_ECORRUPT. */
int reco__als_train(pt_reco_model *model, const pt_reco_matrix *m, const pt_reco_opts *o);
/* YᵀY of the model's item factors into model->gram (column-major, upper triangle used). */
int reco__als_gram(pt_reco_model *model);
/* A member's factors x[F] folded in from history h against the model's item factors. */
int reco__als_fold_in(const pt_reco_model *model, const pt_reco_history *h, double *x);

/* Derives by_code (item indexes sorted by code); PT_ENOMEM. */
int reco__index_codes(pt_reco_model *model);
/* A zeroed model shell with room for nitems codes, categories and popularity. */
pt_reco_model *reco__model_new(uint32_t nitems);

#endif

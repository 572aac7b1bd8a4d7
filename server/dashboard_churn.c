/* dashboard_churn.c — the churn page's JSON: the stored churn model's scores (`patron churn
 * score`, churn.h; member_scores) as a distribution over ten risk bands and the members most at
 * risk with the reasons the model gives. Model xgb is shown when scored, else lr; without any
 * stored score the panel says scored: false and why.
 *
 * Invariant: only members the snapshot may show (analytics consent, not erased, not merged away)
 * are counted or listed — a score written before a member withdrew consent or was erased stays
 * out, whatever the store still holds.
 */
#include "dashboard_int.h"
#include "patron/churn.h"
#include "patron/error.h"
#include "patron/member.h"
#include "patron/store_score.h"

#include <stdlib.h>

#define BANDS 10

static json_t *member_json(const pt_score_rec *s)
{
    char no[32];
    pt_member_no_for_id(s->member_id, no);
    return json_pack("{s:s,s:f,s:s}", "member_no", no, "risk", (double)s->score_ppm / PT_SCORE_PPM, "reasons",
                     s->reasons);
}

int dash_churn(struct dash_req *r)
{
    const char *model = NULL;
    pt_score_rec *rows = NULL;
    size_t n = 0;
    int rc = pt_churn_scores_load_preferred(pt_db_store(r->db), &model, &rows, &n);
    if (rc) {
        free(rows);
        return dash_fail(r, 500, "churn scores: %s", pt_strerror(rc));
    }
    if (!n || !r->g->snap) {
        free(rows);
        r->res->body = json_pack("{s:b,s:s}", "scored", 0, "reason",
                                 n ? "no snapshot loaded" : "no churn scores in this store (patron churn score)");
        return 200;
    }
    json_int_t band[BANDS] = {0};
    json_t *top = json_array();
    size_t shown = 0;
    for (size_t k = 0; k < n; k++) { /* riskiest first */
        long i = pt_snapshot_member_index(r->g->snap, rows[k].member_id);
        if (i < 0 || pt_snapshot_member_use(r->g->snap, (size_t)i) != PT_SNAP_USE)
            continue;
        int b = (int)(rows[k].score_ppm * BANDS / (PT_SCORE_PPM + 1));
        band[b < 0 ? 0 : b >= BANDS ? BANDS - 1 : b]++;
        if (json_array_size(top) < DASH_TOP)
            json_array_append_new(top, member_json(&rows[k]));
        shown++;
    }
    json_t *bands = json_array();
    for (int b = 0; b < BANDS; b++)
        json_array_append_new(bands, json_pack("{s:f,s:f,s:I}", "lo", (double)b / BANDS, "hi", (double)(b + 1) / BANDS,
                                               "members", band[b]));
    r->res->body = json_pack("{s:b,s:s,s:s,s:o,s:I,s:o,s:o}", "scored", 1, "model", model, "version", rows[0].version,
                             "as_of_date", dash_date_json(r, rows[0].as_of), "members", (json_int_t)shown, "bands",
                             bands, "top", top);
    free(rows);
    return 200;
}

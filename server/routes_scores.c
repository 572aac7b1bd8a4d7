/* routes_scores.c — one member's model scores for analysts: GET /v1/analytics/clv/{member}
 * (expected purchases, P(alive) and CLV from the BG/NBD + Gamma-Gamma fit) and
 * GET /v1/analytics/churn/{member} (the stored churn score and its top reasons).
 *
 * CLV is not fitted here: the dashboard's member panel (server/dashboard*.c, pt_dash_panel)
 * already fits BG/NBD + Gamma-Gamma over its snapshot (weekly units, a 12-month horizon) and
 * caches the fit and the scores per as_of; this route asks that panel for the member and
 * answers its "clv" part, so the dashboard and this route give the same numbers. The snapshot
 * is as fresh as the dashboard's (snapshot_refresh). ?as_of=YYYY-MM-DD as in the dashboard.
 *
 * Churn reads member_scores (store_score.h) as `patron churn score` left it: ?model=xgb|lr|
 * bgnbd, or the first the member has of xgb, lr, bgnbd.
 *
 * Both answer member numbers and numbers only (no personal data); a member number that was
 * merged away is read as its survivor. A member without a score is 404 not_scored.
 */
#include "dashboard.h"
#include "server_int.h"
#include "patron/churn.h"
#include "patron/error.h"
#include "patron/member.h"
#include "patron/store_score.h"

#include <stdio.h>
#include <string.h>

struct panel_q {
    struct srv_req *r;
    const char     *member_no;
};

/* The member panel's parameters: this member by number, the rest from the query string. */
static const char *panel_param(void *ud, const char *name)
{
    struct panel_q *q = ud;
    if (strcmp(name, "q") == 0)
        return q->member_no;
    if (strcmp(name, "by") == 0)
        return "no";
    return srv_query(q->r, name);
}

void route_an_clv_member(struct srv_req *r, struct srv_thread *t)
{
    int64_t id;
    if (srv_member_param(r, t, &id) != 0)
        return;
    char no[PT_MEMBER_NO_MAX];
    pt_member_no_for_id(id, no);
    struct panel_q q = {r, no};
    pt_dash_result res;
    int st = pt_dash_panel(srv_dashboard_dash(r->srv), t->db, "member", panel_param, &q, PT_DASH_PSEUDONYMOUS, &res);
    json_t *clv = st == 200 ? json_object_get(res.body, "clv") : NULL;
    if (st != 200) {
        const char *msg = json_string_value(json_object_get(res.body, "error"));
        if (st == 500)
            fprintf(stderr, "patron serve: %s %s: %s\n", r->method, r->url, msg ? msg : "");
        srv_error(r, st, st == 400 ? "invalid_query" : st == 404 ? "not_found" : "internal",
                  res.field[0] ? res.field : NULL, "%s", st == 500 ? "internal error" : msg ? msg : "");
    } else if (!json_is_object(clv)) {
        srv_error(r, 404, "not_scored", "member",
                  "no CLV for this member: no paid order before as_of, no analytics consent, or too little history "
                  "in the store to fit the model");
    } else {
        json_t *o = json_pack("{s:s,s:O,s:O,s:O,s:s,s:i}", "member", no, "expected_purchases",
                              json_object_get(clv, "expected_purchases"), "p_alive", json_object_get(clv, "p_alive"),
                              "clv_cents", json_object_get(clv, "clv_cents"), "model", "bgnbd+gg", "horizon_months",
                              12);
        srv_json(r, 200, o);
    }
    pt_dash_result_free(&res);
}

/* --- churn ---------------------------------------------------------------------------------- */

static json_t *reasons_json(const char *text)
{
    json_t *arr = json_array();
    for (const char *p = text; p && *p;) {
        size_t n = strcspn(p, ",");
        if (n)
            json_array_append_new(arr, json_stringn(p, n));
        p += n + (p[n] == ',');
    }
    return arr;
}

void route_an_churn_member(struct srv_req *r, struct srv_thread *t)
{
    static const char *const order[] = {"xgb", "lr", "bgnbd"};
    const char *model = srv_query(r, "model");
    if (model && !pt_churn_model_of(model)) {
        srv_error(r, 400, "invalid_query", "model", "model is xgb, lr or bgnbd");
        return;
    }
    int64_t id;
    if (srv_member_param(r, t, &id) != 0)
        return;
    pt_score_rec s;
    char key[PT_SCORE_MODEL_MAX];
    int rc = PT_ENOTFOUND;
    for (size_t i = 0; rc == PT_ENOTFOUND && i < (model ? 1 : sizeof order / sizeof *order); i++) {
        snprintf(key, sizeof key, "churn:%s", model ? model : order[i]);
        memset(&s, 0, sizeof s);
        rc = pt_store_score_get(pt_db_store(t->db), id, key, &s);
    }
    if (rc == PT_ENOTFOUND) {
        srv_error(r, 404, "not_scored", "member", "no stored churn score for this member (patron churn score)");
        return;
    }
    if (rc) {
        srv_error_rc(r, rc, pt_store_errmsg(pt_db_store(t->db)));
        return;
    }
    char no[PT_MEMBER_NO_MAX];
    pt_member_no_for_id(id, no);
    srv_json(r, 200, json_pack("{s:s,s:s,s:s,s:f,s:I,s:I,s:o,s:I}", "member", no, "model", key + 6, "version",
                               s.version, "score", (double)s.score_ppm / PT_SCORE_PPM, "score_ppm",
                               (json_int_t)s.score_ppm, "as_of", (json_int_t)s.as_of, "reasons",
                               reasons_json(s.reasons), "scored_at", (json_int_t)s.scored_at));
}

/* routes_coupons.c — coupons (issue, list, use) and activity points (check-in, review,
 * share) of a member, over reward.h. Writes go through the writer with the request's
 * Idempotency-Key (a coupon's use is idempotent by its order reference, as coupon.c defines:
 * using it again for the same order returns it again).
 */
#include "server_int.h"
#include "patron/error.h"
#include "patron/member.h"
#include "patron/reward.h"

#include <stdio.h>
#include <string.h>

static json_t *coupon_json(const pt_coupon_rec *c, int64_t now)
{
    return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:s,s:s,s:s}", "code", c->code, "value_cents",
                     (json_int_t)c->value_cents, "min_spend_cents", (json_int_t)c->min_spend_cents, "issued_at",
                     (json_int_t)c->issued_at, "expires_at", (json_int_t)c->expires_at, "used_at",
                     (json_int_t)c->used_at, "used_ref", c->used_ref, "source", c->source, "state",
                     pt_coupon_state_name(c, now));
}

struct coupons {
    json_t *arr;
    int64_t now;
};

static int coupon_add(void *ud, const pt_coupon_rec *c)
{
    struct coupons *cs = ud;
    json_array_append_new(cs->arr, coupon_json(c, cs->now));
    return 0;
}

void route_coupons_list(struct srv_req *r, struct srv_thread *t)
{
    int64_t id;
    if (srv_need_ledger(r, t->ledger) || srv_member_param(r, t, &id))
        return;
    struct coupons cs = {json_array(), pt_db_now(t->db)};
    int rc = pt_coupon_list(t->ledger, id, coupon_add, &cs);
    if (rc) {
        json_decref(cs.arr);
        srv_error_rc(r, rc, pt_ledger_errmsg(t->ledger));
        return;
    }
    srv_json(r, 200, json_pack("{s:s,s:o}", "member", r->params[0], "coupons", cs.arr));
}

static int job_issue(struct srv_job *j, pt_db *db, pt_ledger *l)
{
    if (srv_job_need_ledger(j, l))
        return PT_ESTATE;
    json_t *ms = json_object_get(j->in, "min_spend_cents"), *vd = json_object_get(j->in, "valid_days");
    pt_coupon_spec spec = {.value_cents = json_integer_value(json_object_get(j->in, "value_cents")),
                           .min_spend_cents = ms ? json_integer_value(ms) : 0,
                           .valid_days = vd ? (int)json_integer_value(vd) : 0,
                           .source = "manual"};
    pt_ledger_req q = {.idem_key = j->idem, .actor = j->actor};
    pt_coupon_rec c;
    int rc = pt_coupon_issue(l, j->member_id, &spec, &q, &c);
    if (rc) {
        srv_job_error(j, rc, pt_ledger_errmsg(l));
        return rc;
    }
    j->status = 201;
    j->result = coupon_json(&c, pt_db_now(db));
    return j->result ? PT_OK : PT_ENOMEM;
}

static const struct srv_field issue_fields[] = {
    {"value_cents", F_INT, 1, 1, 100000000, NULL, 0},
    {"min_spend_cents", F_INT, 0, 0, 100000000, NULL, 0},
    {"valid_days", F_INT, 0, 0, 3650, NULL, 0},
};

void route_coupon_issue(struct srv_req *r, struct srv_thread *t)
{
    int64_t id;
    if (srv_member_param(r, t, &id))
        return;
    srv_write(r, job_issue, issue_fields, 3, id, NULL);
}

static int job_use(struct srv_job *j, pt_db *db, pt_ledger *l)
{
    if (srv_job_need_ledger(j, l))
        return PT_ESTATE;
    pt_coupon_rec c;
    int replayed = 0;
    const char *ref = json_string_value(json_object_get(j->in, "ref"));
    int rc = pt_coupon_use(l, j->arg, ref, j->actor, &c, &replayed);
    if (rc) {
        srv_job_error(j, rc, pt_ledger_errmsg(l));
        return rc;
    }
    j->status = replayed ? 200 : 201;
    j->result = coupon_json(&c, pt_db_now(db));
    if (j->result)
        json_object_set_new(j->result, "replayed", json_boolean(replayed));
    return j->result ? PT_OK : PT_ENOMEM;
}

static const struct srv_field use_fields[] = {{"ref", F_STR, 1, 1, PT_REF_MAX - 1, NULL, 0}};

void route_coupon_use(struct srv_req *r, struct srv_thread *t)
{
    (void)t;
    srv_write(r, job_use, use_fields, 1, 0, r->params[0]);
}

static int job_activity(struct srv_job *j, pt_db *db, pt_ledger *l)
{
    (void)db;
    if (srv_job_need_ledger(j, l))
        return PT_ESTATE;
    pt_ledger_req q = {.idem_key = j->idem, .actor = j->actor};
    pt_activity_result res;
    int rc = pt_activity_earn(l, j->member_id, pt_activity_kind_parse(j->arg), &q, &res);
    if (rc) {
        srv_job_error(j, rc, pt_ledger_errmsg(l));
        return rc;
    }
    char no[PT_MEMBER_NO_MAX];
    pt_member_no_for_id(res.member_id, no);
    j->status = res.replayed ? 200 : 201;
    j->result = json_pack("{s:s,s:s,s:I,s:I,s:I,s:i,s:I,s:b}", "member", no, "activity", j->arg, "points",
                          (json_int_t)res.points, "growth", (json_int_t)res.growth, "balance",
                          (json_int_t)res.balance, "streak", res.streak, "entry", (json_int_t)res.entry_id,
                          "replayed", res.replayed);
    return j->result ? PT_OK : PT_ENOMEM;
}

void route_activity(struct srv_req *r, struct srv_thread *t)
{
    int64_t id;
    if (srv_member_param(r, t, &id))
        return;
    if (!pt_activity_kind_parse(r->params[1])) {
        srv_error(r, 404, "not_found", "kind", "activities are checkin, review and share");
        return;
    }
    srv_write(r, job_activity, NULL, 0, id, r->params[1]);
}

/* routes_points.c — points, orders, tiers, rewards and the audit log of a member.
 *
 * Reads (balance, history, tier, rewards, audit) run on the pool thread with its own ledger
 * handle. Writes (earn, redeem, adjust, an order's earn and refund, a reward's redemption) run
 * on the writer (writer.c) and carry the request's Idempotency-Key into the ledger's own
 * idempotency: a retry with the same key returns the first result with "replayed": true and
 * writes nothing; the same key with a different request is 409 idempotency_conflict.
 * Amounts are JSON integers checked against a range (no floats, no strings).
 */
#include "server_int.h"
#include "patron/error.h"
#include "patron/member.h"
#include "patron/reward.h"
#include "patron/store_ledger.h"
#include "patron/tier.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POINTS_MAX 1000000000LL /* one write moves at most a billion points */

static json_t *result_json(const pt_ledger_result *res, const char *member_no)
{
    json_t *o = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:b}", "member", member_no, "entry",
                          (json_int_t)res->entry_id, "points", (json_int_t)res->points, "balance",
                          (json_int_t)res->balance, "pending", (json_int_t)res->pending, "debt",
                          (json_int_t)res->debt, "growth", (json_int_t)res->growth, "tier", res->tier, "replayed",
                          res->replayed);
    if (o && res->lot_id) {
        json_object_set_new(o, "lot", json_integer(res->lot_id));
        json_object_set_new(o, "expires_at", json_integer(res->expires_at));
        json_object_set_new(o, "available_at", json_integer(res->available_at));
    }
    return o;
}

/* The writer opens its ledger at start; a programme loaded later is picked up by then. */
static void req_of(const struct srv_job *j, pt_ledger_req *q)
{
    memset(q, 0, sizeof *q);
    q->idem_key = j->idem;
    q->actor = j->actor;
    json_t *v = json_object_get(j->in, "note");
    q->note = v ? json_string_value(v) : NULL;
    v = json_object_get(j->in, "reason");
    if (v)
        q->note = json_string_value(v);
    v = json_object_get(j->in, "ref");
    q->ref = v ? json_string_value(v) : NULL;
}

static int finish(struct srv_job *j, pt_ledger *l, int rc, const pt_ledger_result *res, int created_status)
{
    if (rc) {
        srv_job_error(j, rc, pt_ledger_errmsg(l));
        return rc;
    }
    char no[PT_MEMBER_NO_MAX];
    pt_member_no_for_id(res->member_id, no);
    j->status = res->replayed ? 200 : created_status;
    j->result = result_json(res, no);
    return j->result ? PT_OK : PT_ENOMEM;
}

/* --- reads -------------------------------------------------------------------------------- */

void route_points_balance(struct srv_req *r, struct srv_thread *t)
{
    int64_t id;
    if (srv_need_ledger(r, t->ledger) || srv_member_param(r, t, &id))
        return;
    pt_account_rec a;
    memset(&a, 0, sizeof a);
    int rc = pt_ledger_account(t->ledger, id, &a);
    if (rc == PT_ENOTFOUND) { /* a member without activity yet has nothing */
        memset(&a, 0, sizeof a);
        snprintf(a.tier, sizeof a.tier, "%s", pt_ledger_programme(t->ledger)->tiers[0].code);
    } else if (rc) {
        srv_error_rc(r, rc, pt_ledger_errmsg(t->ledger));
        return;
    }
    srv_json(r, 200, json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:s}", "member", r->params[0], "balance",
                               (json_int_t)a.balance, "pending", (json_int_t)a.pending, "overdraft",
                               (json_int_t)a.overdraft, "debt", (json_int_t)a.debt, "growth", (json_int_t)a.growth,
                               "tier", a.tier));
}

static int hist_add(void *ud, const pt_entry_rec *e)
{
    json_array_append_new(ud, json_pack("{s:I,s:s,s:I,s:I,s:I,s:s,s:s}", "entry", (json_int_t)e->id, "kind",
                                            pt_entry_kind_name(e->kind), "points", (json_int_t)e->points, "growth",
                                            (json_int_t)e->growth, "at", (json_int_t)e->at, "ref", e->ref, "note",
                                            e->note));
    return 0;
}

void route_points_history(struct srv_req *r, struct srv_thread *t)
{
    int64_t id;
    if (srv_need_ledger(r, t->ledger) || srv_member_param(r, t, &id))
        return;
    const char *lim = srv_query(r, "limit");
    long limit = lim ? strtol(lim, NULL, 10) : 100;
    if (limit < 1 || limit > 1000) {
        srv_error(r, 400, "invalid_query", "limit", "limit must be 1 to 1000");
        return;
    }
    /* the newest `limit` entries, oldest first: one bounded read */
    json_t *arr = json_array();
    int rc = pt_store_entry_list_recent(pt_db_store(t->db), id, limit, hist_add, arr);
    if (rc) {
        json_decref(arr);
        srv_error_rc(r, rc, pt_store_errmsg(pt_db_store(t->db)));
        return;
    }
    srv_json(r, 200, json_pack("{s:s,s:o}", "member", r->params[0], "entries", arr));
}

void route_tier_get(struct srv_req *r, struct srv_thread *t)
{
    int64_t id;
    if (srv_need_ledger(r, t->ledger) || srv_member_param(r, t, &id))
        return;
    pt_tier_status st;
    int rc = pt_tier_status_of(t->ledger, id, pt_db_now(t->db), &st);
    if (rc) {
        srv_error_rc(r, rc, pt_ledger_errmsg(t->ledger));
        return;
    }
    const pt_programme *p = pt_ledger_programme(t->ledger);
    json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:s}", "member", r->params[0], "tier", p->tiers[st.tier].code,
                          "since", (json_int_t)st.tier_since, "review_at", (json_int_t)st.review_at, "period_growth",
                          (json_int_t)st.period_growth, "growth_to_retain", (json_int_t)st.growth_to_retain,
                          "tier_at_review", p->tiers[st.tier_at_review].code);
    if (o && st.next_tier >= 0) {
        json_object_set_new(o, "next_tier", json_string(p->tiers[st.next_tier].code));
        json_object_set_new(o, "growth_to_next", json_integer(st.growth_to_next));
    }
    srv_json(r, 200, o);
}

static int reward_add(void *ud, const pt_reward_info *ri)
{
    json_array_append_new(ud, json_pack("{s:s,s:s,s:I,s:I,s:I,s:s,s:b,s:b}", "code", ri->def->code, "name",
                                        ri->def->name, "cost_points", (json_int_t)ri->def->cost_points, "stock",
                                        (json_int_t)ri->stock, "per_member_limit",
                                        (json_int_t)ri->def->per_member_limit, "min_tier", ri->def->min_tier,
                                        "available", ri->available, "coupon", ri->def->is_coupon));
    return 0;
}

void route_rewards_list(struct srv_req *r, struct srv_thread *t)
{
    if (srv_need_ledger(r, t->ledger))
        return;
    json_t *arr = json_array();
    int rc = pt_reward_list(t->ledger, reward_add, arr);
    if (rc) {
        json_decref(arr);
        srv_error_rc(r, rc, pt_ledger_errmsg(t->ledger));
        return;
    }
    srv_json(r, 200, json_pack("{s:o}", "rewards", arr));
}

static int audit_add(void *ud, const pt_audit_rec *a)
{
    json_error_t err;
    json_t *detail = a->detail.len ? json_loadb((const char *)a->detail.data, a->detail.len, 0, &err) : NULL;
    json_array_append_new(ud, json_pack("{s:I,s:I,s:s,s:s,s:o}", "seq", (json_int_t)a->seq, "at", (json_int_t)a->at,
                                        "actor", a->actor, "action", a->action, "detail",
                                        detail ? detail : json_null()));
    return 0;
}

void route_audit_list(struct srv_req *r, struct srv_thread *t)
{
    int64_t id;
    if (srv_member_param(r, t, &id))
        return;
    json_t *arr = json_array();
    int rc = pt_store_audit_list(pt_db_store(t->db), id, audit_add, arr);
    if (rc) {
        json_decref(arr);
        srv_error_rc(r, rc, pt_store_errmsg(pt_db_store(t->db)));
        return;
    }
    srv_json(r, 200, json_pack("{s:s,s:o}", "member", r->params[0], "records", arr));
}

/* --- writes ------------------------------------------------------------------------------- */

static const struct srv_field earn_fields[] = {
    {"points", F_INT, 1, 1, POINTS_MAX, NULL, 0},
    {"note", F_STR, 0, 0, PT_NOTE_MAX - 1, NULL, 0},
    {"ref", F_STR, 0, 0, PT_REF_MAX - 1, NULL, 0},
};
static const struct srv_field redeem_fields[] = {
    {"points", F_INT, 1, 1, POINTS_MAX, NULL, 0},
    {"ref", F_STR, 0, 0, PT_REF_MAX - 1, NULL, 0},
};
static const struct srv_field adjust_fields[] = {
    {"delta", F_INT, 1, -POINTS_MAX, POINTS_MAX, NULL, 0},
    {"reason", F_STR, 1, 1, PT_NOTE_MAX - 1, NULL, 0},
};
static const struct srv_field refund_fields[] = {
    {"lines", F_INT_ARRAY, 0, 1, 1000, NULL, 0},
};
#define N(a) ((int)(sizeof a / sizeof *a))

static int job_earn(struct srv_job *j, pt_db *db, pt_ledger *l)
{
    (void)db;
    if (srv_job_need_ledger(j, l))
        return PT_ESTATE;
    pt_ledger_req q;
    pt_ledger_result res;
    req_of(j, &q);
    int rc = pt_ledger_earn(l, j->member_id, json_integer_value(json_object_get(j->in, "points")), &q, &res);
    return finish(j, l, rc, &res, 201);
}

static int job_redeem(struct srv_job *j, pt_db *db, pt_ledger *l)
{
    (void)db;
    if (srv_job_need_ledger(j, l))
        return PT_ESTATE;
    pt_ledger_req q;
    pt_ledger_result res;
    req_of(j, &q);
    int rc = pt_ledger_redeem(l, j->member_id, json_integer_value(json_object_get(j->in, "points")), &q, &res);
    return finish(j, l, rc, &res, 201);
}

static int job_adjust(struct srv_job *j, pt_db *db, pt_ledger *l)
{
    (void)db;
    if (srv_job_need_ledger(j, l))
        return PT_ESTATE;
    pt_ledger_req q;
    pt_ledger_result res;
    req_of(j, &q);
    int64_t delta = json_integer_value(json_object_get(j->in, "delta"));
    int rc = delta == 0 ? PT_EINVAL : pt_ledger_adjust(l, j->member_id, delta, &q, &res);
    if (delta == 0) {
        srv_job_error(j, rc, "delta must not be 0");
        json_object_set_new(json_object_get(j->result, "error"), "field", json_string("delta"));
        return rc;
    }
    return finish(j, l, rc, &res, 201);
}

static int job_order_earn(struct srv_job *j, pt_db *db, pt_ledger *l)
{
    (void)db;
    if (srv_job_need_ledger(j, l))
        return PT_ESTATE;
    pt_ledger_req q;
    pt_ledger_result res;
    req_of(j, &q);
    int rc = pt_ledger_earn_order(l, j->arg, &q, &res, NULL);
    return finish(j, l, rc, &res, 201);
}

static int job_refund(struct srv_job *j, pt_db *db, pt_ledger *l)
{
    (void)db;
    if (srv_job_need_ledger(j, l))
        return PT_ESTATE;
    pt_ledger_req q;
    pt_ledger_result res;
    int lines[1000];
    size_t n = 0, i;
    json_t *v, *arr = json_object_get(j->in, "lines");
    json_array_foreach(arr, i, v) lines[n++] = (int)json_integer_value(v);
    req_of(j, &q);
    int rc = pt_ledger_refund(l, j->arg, lines, n, &q, &res);
    return finish(j, l, rc, &res, 201);
}

static int job_reward(struct srv_job *j, pt_db *db, pt_ledger *l)
{
    (void)db;
    if (srv_job_need_ledger(j, l))
        return PT_ESTATE;
    pt_ledger_req q;
    pt_reward_result res;
    req_of(j, &q);
    int rc = pt_reward_redeem(l, j->member_id, j->arg, &q, &res);
    if (rc) {
        srv_job_error(j, rc, pt_ledger_errmsg(l));
        return rc;
    }
    char no[PT_MEMBER_NO_MAX];
    pt_member_no_for_id(res.member_id, no);
    j->status = res.replayed ? 200 : 201;
    j->result = json_pack("{s:s,s:s,s:I,s:I,s:I,s:b}", "member", no, "reward", res.reward, "points",
                          (json_int_t)res.points, "balance", (json_int_t)res.balance, "stock_left",
                          (json_int_t)res.stock_left, "replayed", res.replayed);
    if (j->result && res.coupon_code[0]) {
        json_object_set_new(j->result, "coupon", json_string(res.coupon_code));
        json_object_set_new(j->result, "coupon_expires_at", json_integer(res.coupon_expires_at));
    }
    return j->result ? PT_OK : PT_ENOMEM;
}

static void member_write(struct srv_req *r, struct srv_thread *t, srv_job_fn fn, const struct srv_field *f, int n,
                         const char *arg)
{
    int64_t id;
    if (srv_need_ledger(r, t->ledger) || srv_member_param(r, t, &id))
        return;
    srv_write(r, fn, f, n, id, arg);
}

void route_points_earn(struct srv_req *r, struct srv_thread *t)
{
    member_write(r, t, job_earn, earn_fields, N(earn_fields), NULL);
}

void route_points_redeem(struct srv_req *r, struct srv_thread *t)
{
    member_write(r, t, job_redeem, redeem_fields, N(redeem_fields), NULL);
}

void route_points_adjust(struct srv_req *r, struct srv_thread *t)
{
    member_write(r, t, job_adjust, adjust_fields, N(adjust_fields), NULL);
}

void route_reward_redeem(struct srv_req *r, struct srv_thread *t)
{
    member_write(r, t, job_reward, NULL, 0, r->params[1]);
}

void route_order_earn(struct srv_req *r, struct srv_thread *t)
{
    if (srv_need_ledger(r, t->ledger))
        return;
    srv_write(r, job_order_earn, NULL, 0, 0, r->params[0]);
}

void route_order_refund(struct srv_req *r, struct srv_thread *t)
{
    if (srv_need_ledger(r, t->ledger))
        return;
    srv_write(r, job_refund, refund_fields, N(refund_fields), 0, r->params[0]);
}

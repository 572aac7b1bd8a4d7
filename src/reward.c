/* reward.c — the rewards catalogue: stock and redemption (reward.h).
 *
 * A redemption is one locking transaction (reward_frame.c): the member's account row is
 * locked first, then the checks run in a fixed order — idempotency key, validity window, tier,
 * per-member limit, points — and only then is a unit of stock taken (one conditional UPDATE:
 * it can never oversell; concurrent redeemers queue on the stock row until the holder
 * commits), the points are charged through pt_ledger_redeem (a savepoint inside our
 * transaction, under the ledger key "reward:<key>"), a coupon reward's coupon is issued, and
 * the redemption, its audit record and the key's result are written. Any failure rolls all of
 * it back, stock included. Invariants: stock ≥ 0 (or −1, unlimited); issued = the number of
 * redemptions of the reward; a key applies once (a replay takes no stock).
 *
 * Stock rows are seeded from the programme (pt_reward_sync_stock, and before each
 * redemption for its own code): a code not yet in the store gets the programme's stock; a
 * code already there keeps what is left — loading a new programme version never resets stock.
 */
#include "reward_int.h"
#include "patron/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- stock -------------------------------------------------------------------------------- */

static int seed_one(pt_ledger *l, const pt_reward_def *d, int64_t now)
{
    int rc = pt_store_reward_stock_seed(l->s, d->code, d->stock < 0 ? -1 : d->stock, now);
    return rc == PT_EEXIST ? PT_OK : rc;
}

static int sync_body(struct rw_op *o, void *arg)
{
    (void)arg;
    int rc = PT_OK;
    for (int i = 0; rc == PT_OK && i < o->l->prog.nrewards; i++)
        rc = seed_one(o->l, &o->l->prog.rewards[i], o->now);
    return rc ? pt__reward_store_error(o->l, rc) : PT_OK;
}

int pt_reward_sync_stock(pt_ledger *l)
{
    return pt__reward_run(l, 0, NULL, sync_body, NULL);
}

int pt_reward_list(pt_ledger *l, pt_reward_info_cb cb, void *ud)
{
    int rc = pt_reward_sync_stock(l);
    int64_t now = pt_db_now(l->db);
    for (int i = 0; rc == PT_OK && i < l->prog.nrewards; i++) {
        const pt_reward_def *d = &l->prog.rewards[i];
        pt_reward_stock_rec st;
        if ((rc = pt_store_reward_stock_get(l->s, d->code, &st)))
            return pt__reward_store_error(l, rc);
        pt_reward_info info = {.def = d, .stock = st.stock, .issued = st.issued,
                               .available = (!d->valid_from || now >= d->valid_from) &&
                                            (!d->valid_to || now < d->valid_to)};
        rc = cb(ud, &info);
    }
    return rc;
}

/* --- redemption --------------------------------------------------------------------------- */

struct redeem_arg {
    const pt_reward_def *def;
    const pt_ledger_req *req;
    char                 request[256];
    pt_reward_result    *res;
};

static json_t *result_json(const pt_reward_result *r)
{
    return json_pack("{sI sI ss sI sI sI sI ss sI}", "member_id", (json_int_t)r->member_id, "redemption_id",
                     (json_int_t)r->redemption_id, "reward", r->reward, "points", (json_int_t)r->points,
                     "entry_id", (json_int_t)r->entry_id, "balance", (json_int_t)r->balance, "stock_left",
                     (json_int_t)r->stock_left, "coupon_code", r->coupon_code, "coupon_expires_at",
                     (json_int_t)r->coupon_expires_at);
}

static int result_parse(pt_ledger *l, json_t *j, pt_reward_result *r)
{
    const char *reward = "", *coupon = "";
    json_int_t v[7] = {0};
    if (json_unpack(j, "{sI sI ss sI sI sI sI ss sI}", "member_id", &v[0], "redemption_id", &v[1], "reward", &reward,
                    "points", &v[2], "entry_id", &v[3], "balance", &v[4], "stock_left", &v[5], "coupon_code",
                    &coupon, "coupon_expires_at", &v[6]))
        return pt__ledger_error(l, PT_ECORRUPT, "a stored redemption result does not parse");
    *r = (pt_reward_result){.member_id = v[0], .redemption_id = v[1], .points = v[2], .entry_id = v[3],
                            .balance = v[4], .stock_left = v[5], .coupon_expires_at = v[6], .replayed = 1};
    snprintf(r->reward, sizeof r->reward, "%s", reward);
    snprintf(r->coupon_code, sizeof r->coupon_code, "%s", coupon);
    return PT_OK;
}

/* Window, tier, per-member limit and points, in that order (see reward.h). */
static int redeem_checks(struct rw_op *o, const pt_reward_def *d)
{
    pt_ledger *l = o->l;
    if (d->valid_from && o->at < d->valid_from)
        return pt__ledger_error(l, PT_ESTATE, "reward %s is not available yet", d->code);
    if (d->valid_to && o->at >= d->valid_to)
        return pt__ledger_error(l, PT_ESTATE, "reward %s is no longer available", d->code);
    int need = d->min_tier[0] ? pt_programme_tier_index(&l->prog, d->min_tier) : 0;
    int have = o->has_acct ? pt_programme_tier_index(&l->prog, o->acct.tier) : 0;
    if (have < need)
        return pt__ledger_error(l, PT_ESTATE, "reward %s is for tier %s and above; member %lld is %s", d->code,
                                d->min_tier, (long long)o->member_id, l->prog.tiers[have < 0 ? 0 : have].code);
    int64_t count = 0;
    int rc = d->per_member_limit > 0 ? pt_store_redemption_count(l->s, o->member_id, d->code, &count) : PT_OK;
    if (rc)
        return pt__reward_store_error(l, rc);
    if (d->per_member_limit > 0 && count >= d->per_member_limit)
        return pt__ledger_error(l, PT_ELIMIT, "member %lld has redeemed reward %s %lld time(s): the limit is %lld",
                                (long long)o->member_id, d->code, (long long)count, (long long)d->per_member_limit);
    if (d->cost_points > 0 && (o->acct.balance < d->cost_points || o->acct.overdraft > 0))
        return pt__ledger_error(l, PT_EFUNDS, "member %lld has %lld points available, reward %s costs %lld",
                                (long long)o->member_id, (long long)o->acct.balance, d->code,
                                (long long)d->cost_points);
    return PT_OK;
}

static int take_stock(struct rw_op *o, const pt_reward_def *d, pt_reward_stock_rec *st)
{
    int rc = seed_one(o->l, d, o->now);
    if (rc == PT_OK)
        rc = pt_store_reward_stock_take(o->l->s, d->code, o->now, st);
    if (rc == PT_ESOLDOUT)
        return pt__ledger_error(o->l, rc, "reward %s is out of stock", d->code);
    return rc ? pt__reward_store_error(o->l, rc) : PT_OK;
}

/* The points, through the ledger (a savepoint in our transaction). */
static int charge(struct rw_op *o, struct redeem_arg *a, pt_reward_result *r)
{
    char key[PT_IDEM_MAX];
    snprintf(key, sizeof key, "reward:%s", a->req->idem_key);
    pt_ledger_req lr = {.idem_key = key, .actor = o->actor, .note = "reward", .ref = a->def->code, .at = a->req->at};
    pt_ledger_result res;
    int rc = pt_ledger_redeem(o->l, o->member_id, a->def->cost_points, &lr, &res);
    if (rc == PT_OK && res.replayed) /* our key was unused, so the ledger's must be too */
        return pt__ledger_error(o->l, PT_ECONFLICT, "ledger key %s was already used by another write", key);
    r->entry_id = res.entry_id;
    r->balance = res.balance;
    return rc;
}

static int issue_coupon(struct rw_op *o, const pt_reward_def *d, pt_reward_result *r)
{
    char source[PT_REF_MAX];
    snprintf(source, sizeof source, "reward:%s", d->code);
    pt_coupon_spec spec = {.value_cents = d->coupon_value_cents, .min_spend_cents = d->coupon_min_spend_cents,
                           .valid_days = d->coupon_valid_days, .source = source};
    pt_coupon_rec c;
    int rc = pt__coupon_issue_in_tx(o->l, o->member_id, &spec, o->at, o->actor, &c);
    snprintf(r->coupon_code, sizeof r->coupon_code, "%s", c.code);
    r->coupon_expires_at = c.expires_at;
    return rc;
}

static int record(struct rw_op *o, struct redeem_arg *a, pt_reward_result *r)
{
    pt_redemption_rec rec = {.member_id = o->member_id, .entry_id = r->entry_id, .points = r->points, .at = o->at};
    snprintf(rec.reward, sizeof rec.reward, "%s", a->def->code);
    snprintf(rec.coupon_code, sizeof rec.coupon_code, "%s", r->coupon_code);
    snprintf(rec.idem_key, sizeof rec.idem_key, "%s", a->req->idem_key);
    int rc = pt_store_redemption_insert(o->l->s, &rec);
    if (rc)
        return pt__reward_store_error(o->l, rc);
    r->redemption_id = rec.id;
    json_t *j = result_json(r);
    json_t *detail = json_pack("{ss sI sI sI sI sb}", "reward", r->reward, "redemption", (json_int_t)rec.id,
                               "entry", (json_int_t)r->entry_id, "points", (json_int_t)r->points, "stock_left",
                               (json_int_t)r->stock_left, "coupon", r->coupon_code[0] != 0);
    rc = j && detail ? pt__reward_audit(o, o->member_id, "reward.redeem", detail) : PT_ENOMEM;
    if (rc == PT_OK)
        rc = pt__reward_idem_put(o, a->req->idem_key, "reward.redeem", a->request, j);
    json_decref(j);
    json_decref(detail);
    return rc;
}

static int redeem_body(struct rw_op *o, void *arg)
{
    struct redeem_arg *a = arg;
    pt_reward_result *r = a->res;
    json_t *prev = NULL;
    int rc = pt__reward_idem_get(o, a->req->idem_key, "reward.redeem", a->request, &prev);
    if (rc == PT_OK) { /* replayed: the first result, no stock taken, nothing written */
        rc = result_parse(o->l, prev, r);
        json_decref(prev);
        return rc;
    }
    if (rc != PT_ENOTFOUND)
        return rc;
    *r = (pt_reward_result){.member_id = o->member_id, .points = a->def->cost_points};
    snprintf(r->reward, sizeof r->reward, "%s", a->def->code);
    pt_reward_stock_rec st;
    if ((rc = redeem_checks(o, a->def)) || (rc = take_stock(o, a->def, &st)))
        return rc;
    r->stock_left = st.stock;
    r->balance = o->acct.balance;
    if (a->def->cost_points > 0 && (rc = charge(o, a, r)))
        return rc;
    if (a->def->is_coupon && (rc = issue_coupon(o, a->def, r)))
        return rc;
    return record(o, a, r);
}

int pt_reward_redeem(pt_ledger *l, int64_t member_id, const char *reward_code, const pt_ledger_req *req,
                     pt_reward_result *res)
{
    memset(res, 0, sizeof *res);
    l->errmsg[0] = 0;
    if (!req || !req->idem_key || !*req->idem_key || strlen(req->idem_key) > PT_REWARD_KEY_MAX)
        return pt__ledger_error(l, PT_EINVAL, "a redemption needs an idempotency key of 1–%d characters",
                                PT_REWARD_KEY_MAX);
    const pt_reward_def *d = reward_code ? pt_programme_reward(&l->prog, reward_code) : NULL;
    if (!d)
        return pt__ledger_error(l, PT_ENOTFOUND, "the programme has no reward %s", reward_code ? reward_code : "");
    struct redeem_arg a = {.def = d, .req = req, .res = res};
    snprintf(a.request, sizeof a.request, "%lld|%s|%lld", (long long)member_id, d->code, (long long)req->at);
    return pt__reward_run(l, member_id, req, redeem_body, &a);
}

/* coupon.c — coupons: issue (to a member, or to each member of a segment), use once, expire
 * (reward.h).
 *
 * A code is 16 characters of a 32-symbol alphabet without look-alikes, from libsodium's
 * randombytes (80 bits): unguessable, and unique across the store (the coupon_codes look-up's
 * primary key; a clash, about 2^-80 per pair, just draws again). A coupon is used at most once:
 * the use is one conditional update (unused and not expired), so two concurrent uses cannot
 * both succeed. Expiry needs no job: a coupon past its expires_at can no longer be used, and
 * lists show it as expired. Every issue and use appends an audit record to the member's chain
 * in the same transaction (the code is recorded: it is a voucher number, not personal data).
 */
#include "reward_int.h"
#include "patron/error.h"
#include "patron/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUPON_CODE_LEN 16
#define CODE_TRIES      4

const char *pt_coupon_state_name(const pt_coupon_rec *c, int64_t at)
{
    if (c->used_at)
        return "used";
    return c->expires_at && at > c->expires_at ? "expired" : "unused";
}

/* The end of the local day valid_days after `at`; 0 (never) when valid_days is 0. */
static int expiry_of(pt_ledger *l, int64_t at, int valid_days, int64_t *out)
{
    *out = 0;
    if (valid_days <= 0)
        return PT_OK;
    int64_t t;
    int rc = pt_tz_add(l->prog.timezone, PT_TZ_DAY, at, valid_days, &t);
    if (rc == PT_OK)
        rc = pt_tz_end_of(l->prog.timezone, PT_TZ_DAY, t, out);
    return rc ? pt__ledger_error(l, rc, "cannot compute the coupon's expiry in %s", l->prog.timezone) : PT_OK;
}

static json_t *coupon_json(const pt_coupon_rec *c)
{
    return json_pack("{sI ss si sI sI sI sI ss}", "member_id", (json_int_t)c->member_id, "code", c->code, "kind",
                     c->kind, "value_cents", (json_int_t)c->value_cents, "min_spend_cents",
                     (json_int_t)c->min_spend_cents, "issued_at", (json_int_t)c->issued_at, "expires_at",
                     (json_int_t)c->expires_at, "source", c->source);
}

static int coupon_parse(pt_ledger *l, json_t *j, pt_coupon_rec *c)
{
    const char *code = "", *source = "";
    json_int_t v[5] = {0};
    int kind = 0;
    if (json_unpack(j, "{sI ss si sI sI sI sI ss}", "member_id", &v[0], "code", &code, "kind", &kind,
                    "value_cents", &v[1], "min_spend_cents", &v[2], "issued_at", &v[3], "expires_at", &v[4],
                    "source", &source))
        return pt__ledger_error(l, PT_ECORRUPT, "a stored coupon result does not parse");
    *c = (pt_coupon_rec){.member_id = v[0], .kind = kind, .value_cents = v[1], .min_spend_cents = v[2],
                         .issued_at = v[3], .expires_at = v[4]};
    snprintf(c->code, sizeof c->code, "%s", code);
    snprintf(c->source, sizeof c->source, "%s", source);
    return PT_OK;
}

static int audit_coupon(struct rw_op *o, const char *action, const pt_coupon_rec *c)
{
    json_t *d = json_pack("{ss sI sI ss ss}", "coupon", c->code, "value_cents", (json_int_t)c->value_cents,
                          "expires_at", (json_int_t)c->expires_at, "source", c->source, "used_ref", c->used_ref);
    int rc = d ? pt__reward_audit(o, c->member_id, action, d) : PT_ENOMEM;
    json_decref(d);
    return rc;
}

/* --- issue -------------------------------------------------------------------------------- */

int pt__coupon_issue_in_tx(pt_ledger *l, int64_t member_id, const pt_coupon_spec *spec, int64_t at,
                           const char *actor, pt_coupon_rec *out)
{
    memset(out, 0, sizeof *out);
    struct rw_op o = {.l = l, .member_id = member_id, .at = at, .now = pt_db_now(l->db), .actor = actor};
    *out = (pt_coupon_rec){.member_id = member_id, .kind = PT_COUPON_AMOUNT, .value_cents = spec->value_cents,
                           .min_spend_cents = spec->min_spend_cents, .issued_at = at};
    snprintf(out->source, sizeof out->source, "%s", spec->source ? spec->source : "manual");
    int rc = expiry_of(l, at, spec->valid_days, &out->expires_at);
    for (int i = 0; rc == PT_OK && i < CODE_TRIES; i++) {
        pt__reward_code(out->code, sizeof out->code, COUPON_CODE_LEN);
        rc = pt_store_coupon_insert(l->s, out);
        if (rc != PT_EEXIST)
            break;
        rc = i + 1 < CODE_TRIES ? PT_OK : rc; /* a clash of 80-bit codes: draw again */
    }
    if (rc)
        return l->errmsg[0] ? rc : pt__reward_store_error(l, rc);
    return audit_coupon(&o, "coupon.issue", out);
}

struct issue_arg {
    const pt_coupon_spec *spec;
    const char           *key;
    char                  request[256];
    pt_coupon_rec        *out;
    int                   replayed;
};

static int issue_body(struct rw_op *o, void *arg)
{
    struct issue_arg *a = arg;
    json_t *prev = NULL;
    int rc = pt__reward_idem_get(o, a->key, "coupon.issue", a->request, &prev);
    if (rc == PT_OK) {
        rc = coupon_parse(o->l, prev, a->out);
        json_decref(prev);
        a->replayed = 1;
        return rc;
    }
    if (rc != PT_ENOTFOUND)
        return rc;
    rc = pt__coupon_issue_in_tx(o->l, o->member_id, a->spec, o->at, o->actor, a->out);
    json_t *j = rc == PT_OK ? coupon_json(a->out) : NULL;
    if (rc == PT_OK)
        rc = j ? pt__reward_idem_put(o, a->key, "coupon.issue", a->request, j) : PT_ENOMEM;
    json_decref(j);
    return rc;
}

static int check_spec(pt_ledger *l, const pt_coupon_spec *spec, const pt_ledger_req *req)
{
    if (!req || !req->idem_key || !*req->idem_key || strlen(req->idem_key) > PT_REWARD_KEY_MAX)
        return pt__ledger_error(l, PT_EINVAL, "issuing a coupon needs an idempotency key of 1–%d characters",
                                PT_REWARD_KEY_MAX);
    if (spec->value_cents <= 0 || spec->min_spend_cents < 0 || spec->valid_days < 0)
        return pt__ledger_error(l, PT_EINVAL, "a coupon needs a positive value, a minimum spend ≥ 0 and days ≥ 0");
    return PT_OK;
}

static int member_active(pt_ledger *l, int64_t member_id)
{
    pt_member_rec m;
    pt_member_rec_init(&m);
    int rc = pt_store_member_get(l->s, member_id, &m);
    if (rc == PT_ENOTFOUND)
        rc = pt__ledger_error(l, rc, "no member %lld", (long long)member_id);
    else if (rc)
        rc = pt__reward_store_error(l, rc);
    else if (m.merged_into || m.status != PT_MEMBER_ACTIVE)
        rc = pt__ledger_error(l, PT_ESTATE, "member %lld is not active", (long long)member_id);
    pt_member_rec_free(&m);
    return rc;
}

static int issue(pt_ledger *l, int64_t member_id, const pt_coupon_spec *spec, const pt_ledger_req *req,
                 pt_coupon_rec *out, int *replayed)
{
    l->errmsg[0] = 0;
    int rc = check_spec(l, spec, req);
    if (rc == PT_OK)
        rc = member_active(l, member_id);
    if (rc)
        return rc;
    struct issue_arg a = {.spec = spec, .key = req->idem_key, .out = out};
    snprintf(a.request, sizeof a.request, "%lld|%lld|%lld|%d|%s|%lld", (long long)member_id,
             (long long)spec->value_cents, (long long)spec->min_spend_cents, spec->valid_days,
             spec->source ? spec->source : "manual", (long long)req->at);
    rc = pt__reward_run(l, member_id, req, issue_body, &a);
    *replayed = a.replayed;
    return rc;
}

int pt_coupon_issue(pt_ledger *l, int64_t member_id, const pt_coupon_spec *spec, const pt_ledger_req *req,
                    pt_coupon_rec *out)
{
    int replayed = 0;
    return issue(l, member_id, spec, req, out, &replayed);
}

int pt_coupon_issue_many(pt_ledger *l, const int64_t *member_ids, size_t n, const pt_coupon_spec *spec,
                         const char *key_prefix, const char *actor, pt_coupon_batch_stats *st)
{
    pt_coupon_batch_stats local = {0};
    st = st ? st : &local;
    memset(st, 0, sizeof *st);
    int first = PT_OK;
    char saved[sizeof l->errmsg] = "";
    for (size_t i = 0; i < n; i++) {
        char key[PT_IDEM_MAX];
        snprintf(key, sizeof key, "%.48s:%lld", key_prefix ? key_prefix : "batch", (long long)member_ids[i]);
        pt_ledger_req req = {.idem_key = key, .actor = actor};
        pt_coupon_rec c;
        int replayed = 0;
        int rc = issue(l, member_ids[i], spec, &req, &c, &replayed);
        st->issued += rc == PT_OK && !replayed;
        st->replayed += rc == PT_OK && replayed;
        st->failed += rc != PT_OK;
        if (rc && first == PT_OK) {
            first = rc;
            snprintf(saved, sizeof saved, "member %lld: %s", (long long)member_ids[i], l->errmsg);
        }
    }
    if (first)
        snprintf(l->errmsg, sizeof l->errmsg, "%s", saved);
    return first;
}

/* --- use ---------------------------------------------------------------------------------- */

struct use_arg {
    const char   *code;
    const char   *ref;
    pt_coupon_rec c;
    int           replayed;
};

static int use_body(struct rw_op *o, void *arg)
{
    struct use_arg *a = arg;
    pt_ledger *l = o->l;
    int rc = pt_store_coupon_get(l->s, a->code, &a->c); /* current, after the member's lock */
    if (rc)
        return pt__reward_store_error(l, rc);
    if (a->c.used_at && strcmp(a->c.used_ref, a->ref) == 0) {
        a->replayed = 1; /* a retry of the same use */
        return PT_OK;
    }
    if (a->c.used_at)
        return pt__ledger_error(l, PT_ESTATE, "coupon %s was already used (on %s)", a->code, a->c.used_ref);
    if (a->c.expires_at && o->at > a->c.expires_at)
        return pt__ledger_error(l, PT_ESTATE, "coupon %s expired", a->code);
    rc = pt_store_coupon_use(l->s, a->c.member_id, a->code, o->at, a->ref);
    if (rc == PT_ESTATE)
        return pt__ledger_error(l, rc, "coupon %s was already used", a->code);
    if (rc)
        return pt__reward_store_error(l, rc);
    a->c.used_at = o->at;
    snprintf(a->c.used_ref, sizeof a->c.used_ref, "%s", a->ref);
    return audit_coupon(o, "coupon.use", &a->c);
}

int pt_coupon_use(pt_ledger *l, const char *code, const char *ref, const char *actor, pt_coupon_rec *out,
                  int *replayed)
{
    l->errmsg[0] = 0;
    if (!code || !*code || !ref || !*ref || strlen(ref) >= PT_REF_MAX)
        return pt__ledger_error(l, PT_EINVAL, "using a coupon needs its code and a reference (1–%d characters)",
                                PT_REF_MAX - 1);
    struct use_arg a = {.code = code, .ref = ref};
    int rc = pt_store_coupon_get(l->s, code, &a.c); /* whose it is: the frame locks that member */
    if (rc == PT_ENOTFOUND)
        return pt__ledger_error(l, rc, "no coupon %s", code);
    if (rc)
        return pt__reward_store_error(l, rc);
    pt_ledger_req req = {.actor = actor};
    rc = pt__reward_run(l, a.c.member_id, &req, use_body, &a);
    if (rc == PT_OK && out)
        *out = a.c;
    if (replayed)
        *replayed = a.replayed;
    return rc;
}

/* --- list --------------------------------------------------------------------------------- */

int pt_coupon_list(pt_ledger *l, int64_t member_id, pt_coupon_cb cb, void *ud)
{
    l->errmsg[0] = 0;
    int rc = pt_store_coupon_list(l->s, member_id, cb, ud);
    return rc ? pt__reward_store_error(l, rc) : PT_OK;
}

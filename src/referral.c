/* referral.c — invite codes and referrals (reward.h).
 *
 * Every member may get one invite code (10 characters of the coupon alphabet: 50 bits, not
 * guessable in bulk), created on first request. An invitee registers a code once (the
 * referrals row is keyed by the invitee); the link is judged on what the store knows of the
 * two members — their identifiers' blind indexes (never the values) and their merge history:
 *  - the same member, members merged with each other (now or once), or a mutual pair → refused;
 *  - a shared phone or e-mail → recorded as "rejected" (the same person);
 *  - a shared app user id, WeChat openid/unionid, store card or e-shop account → "held" for
 *    review (a shared device or account: pt_referral_review releases or rejects it);
 *  - otherwise "pending".
 *  - the same postal address (compared in memory, sealed at rest, after dropping spaces and
 *    punctuation and folding ASCII case) → "held" for review.
 * Devices are not something the store keeps, so they cannot be compared.
 * (Identity resolution merges members that share an identifier of any kind, so two live
 * members rarely share one; the check guards against what resolution did not merge.)
 *
 * On the invitee's first purchase (pt_referral_on_first_purchase, called after an order's
 * earn) a pending referral pays both members the programme's referral points through the ledger
 * and becomes "rewarded", all in one transaction under the referral's row lock: exactly once,
 * also across retries (the ledger keys "referral:<invitee>:referrer|invitee" say so too).
 */
#include "reward_int.h"
#include "patron/error.h"
#include "patron/member.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INVITE_CODE_LEN 10
#define CODE_TRIES      8
#define IDENT_MAX       64

const char *pt_referral_state_name(int state)
{
    static const char *const names[] = {"?", "pending", "held", "rewarded", "rejected"};
    return state > 0 && state < (int)(sizeof names / sizeof *names) ? names[state] : "?";
}

/* --- the decision ------------------------------------------------------------------------- */

static int shared_kind_verdict(int kind)
{
    switch (kind) {
    case PT_ID_PHONE:
    case PT_ID_EMAIL: return PT_REFERRAL_REJECTED;
    case PT_ID_APP_USER:
    case PT_ID_OPENID:
    case PT_ID_UNIONID:
    case PT_ID_STORE_CARD:
    case PT_ID_ESHOP: return PT_REFERRAL_HELD;
    default: return PT_REFERRAL_PENDING;
    }
}

int pt_referral_judge(const pt_ident_key *referrer, size_t nreferrer, const pt_ident_key *invitee,
                      size_t ninvitee, char *why, size_t why_len)
{
    int verdict = PT_REFERRAL_PENDING, kind = 0;
    for (size_t i = 0; i < nreferrer; i++)
        for (size_t j = 0; j < ninvitee; j++) {
            if (referrer[i].kind != invitee[j].kind ||
                memcmp(referrer[i].blind, invitee[j].blind, PT_BLIND_LEN) != 0)
                continue;
            int v = shared_kind_verdict(referrer[i].kind);
            if (v == PT_REFERRAL_REJECTED || (v == PT_REFERRAL_HELD && verdict == PT_REFERRAL_PENDING)) {
                verdict = v;
                kind = referrer[i].kind;
            }
        }
    if (why && why_len)
        snprintf(why, why_len, "%s%s%s", verdict == PT_REFERRAL_PENDING ? "" : "shares a ",
                 kind ? pt_id_kind_name(kind) : "", verdict == PT_REFERRAL_PENDING ? "" : " with the referrer");
    return verdict;
}

/* --- invite codes ------------------------------------------------------------------------- */

struct code_arg {
    char code[PT_COUPON_CODE_MAX];
};

static int code_body(struct rw_op *o, void *arg)
{
    struct code_arg *a = arg;
    pt_ledger *l = o->l;
    int rc = PT_EEXIST;
    for (int i = 0; rc == PT_EEXIST && i < CODE_TRIES; i++) {
        if ((rc = pt_store_invite_of(l->s, o->member_id, a->code)) != PT_ENOTFOUND)
            return rc ? pt__reward_store_error(l, rc) : PT_OK; /* made meanwhile */
        pt__reward_code(a->code, sizeof a->code, INVITE_CODE_LEN);
        rc = pt_store_invite_insert(l->s, o->member_id, a->code, o->now);
    }
    if (rc)
        return pt__reward_store_error(l, rc);
    json_t *d = json_pack("{ss}", "invite_code", a->code);
    rc = d ? pt__reward_audit(o, o->member_id, "referral.code", d) : PT_ENOMEM;
    json_decref(d);
    return rc;
}

static int member_get(pt_ledger *l, int64_t id, pt_member_rec *m)
{
    int rc = pt_store_member_get(l->s, id, m);
    if (rc == PT_ENOTFOUND)
        return pt__ledger_error(l, rc, "no member %lld", (long long)id);
    return rc ? pt__reward_store_error(l, rc) : PT_OK;
}

static int member_active(pt_ledger *l, int64_t id)
{
    pt_member_rec m;
    pt_member_rec_init(&m);
    int rc = member_get(l, id, &m);
    if (rc == PT_OK && (m.merged_into || m.status != PT_MEMBER_ACTIVE))
        rc = pt__ledger_error(l, PT_ESTATE, "member %lld is not active", (long long)id);
    pt_member_rec_free(&m);
    return rc;
}

int pt_referral_code(pt_ledger *l, int64_t member_id, char code[PT_COUPON_CODE_MAX])
{
    l->errmsg[0] = 0;
    code[0] = 0;
    int rc = pt_store_invite_of(l->s, member_id, code);
    if (rc != PT_ENOTFOUND)
        return rc ? pt__reward_store_error(l, rc) : PT_OK;
    if ((rc = member_active(l, member_id)))
        return rc;
    struct code_arg a = {{0}};
    rc = pt__reward_run(l, member_id, NULL, code_body, &a);
    if (rc == PT_OK)
        snprintf(code, PT_COUPON_CODE_MAX, "%s", a.code);
    return rc;
}

/* --- registration ------------------------------------------------------------------------- */

struct idents {
    pt_ident_key v[IDENT_MAX];
    size_t       n;
};

static int grab_ident(void *ud, const pt_identity_rec *r)
{
    struct idents *s = ud;
    if (s->n < IDENT_MAX) {
        s->v[s->n].kind = r->kind;
        memcpy(s->v[s->n].blind, r->blind, PT_BLIND_LEN);
        s->n++;
    }
    return PT_OK;
}

struct link_check {
    int64_t other;
    int     linked;
};

static int merged_with(void *ud, const pt_merge_rec *m)
{
    struct link_check *c = ud;
    c->linked |= m->survivor_id == c->other || m->loser_id == c->other;
    return PT_OK;
}

static int paid_order(void *ud, const pt_order_rec *o)
{
    *(int *)ud |= o->status == PT_ORDER_PAID;
    return PT_OK;
}

/* Refusals that leave no record: referred already, the same person, a mutual pair, a
 * customer already. */
static int refuse_same_person(pt_ledger *l, int64_t invitee, int64_t referrer)
{
    if (invitee == referrer)
        return pt__ledger_error(l, PT_EINVAL, "member %lld cannot use their own invite code", (long long)invitee);
    pt_referral_rec mine;
    int rc = pt_store_referral_get(l->s, invitee, 0, &mine);
    if (rc == PT_OK)
        return pt__ledger_error(l, PT_EEXIST, "member %lld was already referred", (long long)invitee);
    if (rc != PT_ENOTFOUND)
        return pt__reward_store_error(l, rc);
    struct link_check c = {referrer, 0};
    rc = pt_store_merge_list(l->s, invitee, merged_with, &c);
    if (rc)
        return pt__reward_store_error(l, rc);
    if (c.linked)
        return pt__ledger_error(l, PT_EINVAL, "members %lld and %lld were merged as one person", (long long)invitee,
                                (long long)referrer);
    pt_referral_rec back;
    rc = pt_store_referral_get(l->s, referrer, 0, &back);
    if (rc == PT_OK && back.referrer_id == invitee)
        return pt__ledger_error(l, PT_EINVAL, "member %lld was referred by member %lld: no referring back",
                                (long long)referrer, (long long)invitee);
    int bought = 0;
    rc = rc == PT_OK || rc == PT_ENOTFOUND ? pt_store_order_list(l->s, invitee, paid_order, &bought) : rc;
    if (rc)
        return pt__reward_store_error(l, rc);
    if (bought)
        return pt__ledger_error(l, PT_ESTATE, "member %lld has already made a purchase: too late to be referred",
                                (long long)invitee);
    return PT_OK;
}

/* Address letters and digits only, ASCII folded: "上海市 徐汇区, 1号" = "上海市徐汇区1号". */
static void address_key(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && n + 1 < cap; p++) {
        if (*p < 0x80 && !((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
            continue;
        out[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    }
    out[n] = 0;
}

/* 1 when both members have the same non-empty address. The clear values live only here, on
 * the stack, and are wiped. */
static int same_address(pt_ledger *l, int64_t a, int64_t b)
{
    pt_member ma, mb;
    pt_member_init(&ma);
    pt_member_init(&mb);
    char ka[sizeof ma.address], kb[sizeof mb.address];
    int same = 0;
    if (pt_member_load(l->db, a, &ma) == PT_OK && pt_member_load(l->db, b, &mb) == PT_OK) {
        address_key(ma.address, ka, sizeof ka);
        address_key(mb.address, kb, sizeof kb);
        same = ka[0] && strcmp(ka, kb) == 0;
        sodium_memzero(ka, sizeof ka);
        sodium_memzero(kb, sizeof kb);
    }
    pt_member_wipe(&ma);
    pt_member_wipe(&mb);
    return same;
}

struct register_arg {
    pt_referral_rec rec;
};

static int register_body(struct rw_op *o, void *arg)
{
    struct register_arg *a = arg;
    a->rec.created_at = o->now;
    int rc = pt_store_referral_insert(o->l->s, &a->rec);
    if (rc == PT_EEXIST)
        return pt__ledger_error(o->l, rc, "member %lld was already referred", (long long)a->rec.member_id);
    if (rc)
        return pt__reward_store_error(o->l, rc);
    json_t *d = json_pack("{sI ss ss}", "referrer", (json_int_t)a->rec.referrer_id, "state",
                          pt_referral_state_name(a->rec.state), "reason", a->rec.reason);
    rc = d ? pt__reward_audit(o, o->member_id, "referral.register", d) : PT_ENOMEM;
    json_decref(d);
    return rc;
}

int pt_referral_register(pt_ledger *l, int64_t invitee_id, const char *code, const char *actor,
                         pt_referral_rec *out)
{
    l->errmsg[0] = 0;
    struct register_arg a = {.rec = {.member_id = invitee_id}};
    int rc = code && *code ? pt_store_invite_find(l->s, code, &a.rec.referrer_id) : PT_ENOTFOUND;
    if (rc == PT_ENOTFOUND)
        return pt__ledger_error(l, rc, "no invite code %s", code ? code : "");
    if (rc)
        return pt__reward_store_error(l, rc);
    if ((rc = refuse_same_person(l, invitee_id, a.rec.referrer_id)) || (rc = member_active(l, invitee_id)) ||
        (rc = member_active(l, a.rec.referrer_id)))
        return rc;
    struct idents *mine = calloc(2, sizeof *mine);
    if (!mine)
        return pt__ledger_error(l, PT_ENOMEM, "out of memory");
    rc = pt_store_identity_list(l->s, a.rec.referrer_id, grab_ident, &mine[0]);
    if (rc == PT_OK)
        rc = pt_store_identity_list(l->s, invitee_id, grab_ident, &mine[1]);
    if (rc == PT_OK) {
        snprintf(a.rec.code, sizeof a.rec.code, "%s", code);
        a.rec.state = pt_referral_judge(mine[0].v, mine[0].n, mine[1].v, mine[1].n, a.rec.reason,
                                        sizeof a.rec.reason);
        if (a.rec.state == PT_REFERRAL_PENDING && same_address(l, a.rec.referrer_id, invitee_id)) {
            a.rec.state = PT_REFERRAL_HELD;
            snprintf(a.rec.reason, sizeof a.rec.reason, "shares an address with the referrer");
        }
        pt_ledger_req req = {.actor = actor};
        rc = pt__reward_run(l, invitee_id, &req, register_body, &a);
    } else {
        pt__reward_store_error(l, rc);
    }
    free(mine);
    if (rc == PT_OK && out)
        *out = a.rec;
    return rc;
}

/* --- the reward ---------------------------------------------------------------------------- */

static int pay(struct rw_op *o, int64_t member_id, int64_t points, int64_t invitee, const char *role)
{
    if (points <= 0)
        return PT_OK;
    char key[PT_IDEM_MAX];
    snprintf(key, sizeof key, "referral:%lld:%s", (long long)invitee, role);
    pt_ledger_req req = {.idem_key = key, .actor = o->actor, .note = "referral reward", .ref = "referral"};
    pt_ledger_result res;
    return pt_ledger_earn(o->l, member_id, points, &req, &res);
}

struct reward_arg {
    int rewarded;
};

static int reward_body(struct rw_op *o, void *arg)
{
    struct reward_arg *a = arg;
    pt_ledger *l = o->l;
    pt_referral_rec r;
    int bought = 0;
    int rc = pt_store_referral_get(l->s, o->member_id, 1, &r);
    if (rc == PT_ENOTFOUND || (rc == PT_OK && r.state != PT_REFERRAL_PENDING))
        return PT_OK; /* nothing to pay (or paid already) */
    if (rc == PT_OK)
        rc = pt_store_order_list(l->s, o->member_id, paid_order, &bought);
    if (rc || !bought)
        return rc ? pt__reward_store_error(l, rc) : PT_OK;
    int64_t rp = l->prog.referral_referrer_points, ip = l->prog.referral_invitee_points;
    /* the frame holds the invitee's account (when it has one) and the referral row; a deadlock
     * with a write that holds the referrer's account is PT_ERETRY, and the frame retries */
    rc = pay(o, r.referrer_id, rp, r.member_id, "referrer");
    if (rc == PT_OK)
        rc = pay(o, r.member_id, ip, r.member_id, "invitee");
    if (rc)
        return rc;
    r.state = PT_REFERRAL_REWARDED;
    r.rewarded_at = o->now;
    if ((rc = pt_store_referral_update(l->s, &r)))
        return pt__reward_store_error(l, rc);
    json_t *d = json_pack("{sI sI sI}", "referrer", (json_int_t)r.referrer_id, "referrer_points", (json_int_t)rp,
                          "invitee_points", (json_int_t)ip);
    rc = d ? pt__reward_audit(o, o->member_id, "referral.reward", d) : PT_ENOMEM;
    json_decref(d);
    a->rewarded = rc == PT_OK;
    return rc;
}

int pt_referral_on_first_purchase(pt_ledger *l, int64_t invitee_id, int *rewarded)
{
    l->errmsg[0] = 0;
    struct reward_arg a = {0};
    int rc = pt__reward_run(l, invitee_id, NULL, reward_body, &a);
    if (rewarded)
        *rewarded = rc == PT_OK && a.rewarded;
    return rc;
}

/* --- review of a held referral -------------------------------------------------------------- */

struct review_arg {
    int         approve;
    const char *reason;
};

static int review_body(struct rw_op *o, void *arg)
{
    struct review_arg *a = arg;
    pt_referral_rec r;
    int rc = pt_store_referral_get(o->l->s, o->member_id, 1, &r);
    if (rc == PT_ENOTFOUND)
        return pt__ledger_error(o->l, rc, "member %lld has no referral", (long long)o->member_id);
    if (rc)
        return pt__reward_store_error(o->l, rc);
    if (r.state != PT_REFERRAL_HELD)
        return pt__ledger_error(o->l, PT_ESTATE, "the referral of member %lld is %s, not held",
                                (long long)o->member_id, pt_referral_state_name(r.state));
    r.state = a->approve ? PT_REFERRAL_PENDING : PT_REFERRAL_REJECTED;
    snprintf(r.reason, sizeof r.reason, "%s", a->reason && *a->reason ? a->reason : a->approve ? "approved" : "rejected");
    if ((rc = pt_store_referral_update(o->l->s, &r)))
        return pt__reward_store_error(o->l, rc);
    json_t *d = json_pack("{ss ss}", "state", pt_referral_state_name(r.state), "reason", r.reason);
    rc = d ? pt__reward_audit(o, o->member_id, "referral.review", d) : PT_ENOMEM;
    json_decref(d);
    struct reward_arg ra = {0};
    if (rc == PT_OK && a->approve) /* a purchase made while held is rewarded now */
        rc = reward_body(o, &ra);
    return rc;
}

int pt_referral_review(pt_ledger *l, int64_t invitee_id, int approve, const char *actor, const char *reason)
{
    l->errmsg[0] = 0;
    struct review_arg a = {approve, reason};
    pt_ledger_req req = {.actor = actor};
    return pt__reward_run(l, invitee_id, &req, review_body, &a);
}

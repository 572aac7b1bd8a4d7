/* routes_referrals.c — referrals: a member's invite code (GET …/referral-code) and an
 * invitee's registration with a code (POST /v1/referrals), over referral.c.
 *
 * A member's invite code is made on first request and is the same ever after. The GET reads
 * it on the pool thread; when the member has none yet, making it is a write, so it goes to
 * the writer — without an Idempotency-Key, which it does not need: there is one code per
 * member, and a second request finds the first's code (pt_referral_code). The registration
 * is a write with the request's Idempotency-Key (idem.c, scoped to the invitee). Refusals keep
 * referral.c's reasons: unknown code 404, the invitee's own (or a merged partner's) code 422,
 * an invitee already referred 409, one who already bought 422.
 */
#include "server_int.h"
#include "patron/error.h"
#include "patron/identity.h"
#include "patron/member.h"
#include "patron/reward.h"
#include "patron/store_reward.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REGISTER_OP "referrals.register"

static json_t *code_json(int64_t member_id, const char *code)
{
    char no[PT_MEMBER_NO_MAX];
    pt_member_no_for_id(member_id, no);
    return json_pack("{s:s,s:s}", "member", no, "code", code);
}

static int job_code(struct srv_job *j, pt_db *db, pt_ledger *l)
{
    (void)db;
    char code[PT_COUPON_CODE_MAX];
    int rc = l ? pt_referral_code(l, j->member_id, code) : PT_ESTATE;
    if (rc) {
        srv_job_error(j, rc, l ? pt_ledger_errmsg(l) : "no loyalty programme is loaded");
        return rc;
    }
    j->status = 200; /* a GET: the code is the member's, made now or before */
    j->result = code_json(j->member_id, code);
    return j->result ? PT_OK : PT_ENOMEM;
}

void route_referral_code(struct srv_req *r, struct srv_thread *t)
{
    int64_t id;
    if (srv_need_ledger(r, t->ledger) || srv_member_param(r, t, &id) != 0)
        return;
    char code[PT_COUPON_CODE_MAX] = "";
    int rc = pt_store_invite_of(pt_db_store(t->db), id, code);
    if (rc == PT_OK) {
        srv_json(r, 200, code_json(id, code));
        return;
    }
    if (rc != PT_ENOTFOUND) {
        srv_error_rc(r, rc, pt_store_errmsg(pt_db_store(t->db)));
        return;
    }
    struct srv_job *j = calloc(1, sizeof *j); /* made once: no Idempotency-Key needed */
    if (!j) {
        srv_error(r, 500, "internal", NULL, "out of memory");
        return;
    }
    j->fn = job_code;
    j->member_id = id;
    snprintf(j->actor, sizeof j->actor, "api:%s#%lld", r->key_name[0] ? r->key_name : "key", (long long)r->key_id);
    srv_writer_submit(r->srv, r, j);
}

/* --- registration ------------------------------------------------------------------------- */

static const struct srv_field register_fields[] = {
    {"invitee", F_STR, 1, 1, PT_MEMBER_NO_MAX - 1, NULL, 0},
    {"code", F_STR, 1, 1, PT_COUPON_CODE_MAX - 1, NULL, 0},
};

static void refusal(struct srv_job *j, int rc, const char *msg)
{
    static const struct {
        int         rc, status;
        const char *code, *field;
    } map[] = {
        {PT_ENOTFOUND, 404, "invite_code_not_found", "code"},
        {PT_EINVAL, 422, "invite_code_refused", "code"}, /* own, a merged partner's, referring back */
        {PT_EEXIST, 409, "already_referred", "invitee"},
        {PT_ESTATE, 422, "not_allowed_now", "invitee"},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
        if (map[i].rc != rc)
            continue;
        json_decref(j->result);
        j->rc = rc;
        j->status = map[i].status;
        j->result = srv_error_body(map[i].code, map[i].field, msg);
        return;
    }
    srv_job_error(j, rc, msg);
}

static int job_register(struct srv_job *j, pt_db *db, pt_ledger *l)
{
    if (!l) {
        srv_job_error(j, PT_ESTATE, "no loyalty programme is loaded");
        return PT_ESTATE;
    }
    int replayed = 0, rc = srv_idem_replay(j, db, REGISTER_OP, j->member_id, &replayed);
    if (rc || replayed)
        return rc;
    pt_referral_rec rec;
    memset(&rec, 0, sizeof rec);
    rc = pt_referral_register(l, j->member_id, json_string_value(json_object_get(j->in, "code")), j->actor, &rec);
    if (rc) {
        refusal(j, rc, pt_ledger_errmsg(l));
        return rc;
    }
    char invitee[PT_MEMBER_NO_MAX], referrer[PT_MEMBER_NO_MAX];
    pt_member_no_for_id(rec.member_id, invitee);
    pt_member_no_for_id(rec.referrer_id, referrer);
    j->status = 201;
    j->result = json_pack("{s:s,s:s,s:s,s:s,s:s}", "invitee", invitee, "referrer", referrer, "code", rec.code, "state",
                          pt_referral_state_name(rec.state), "reason", rec.reason);
    if (!j->result)
        return PT_ENOMEM;
    return srv_idem_remember(j, db, REGISTER_OP, j->member_id, 0);
}

void route_referral_register(struct srv_req *r, struct srv_thread *t)
{
    if (srv_need_ledger(r, t->ledger))
        return;
    struct srv_job *j = srv_write_prepare(r, job_register, register_fields, 2, 0, NULL);
    if (!j)
        return;
    int rc = pt_member_resolve_no(t->db, json_string_value(json_object_get(j->in, "invitee")), &j->member_id, NULL);
    if (rc == PT_ENOTFOUND)
        srv_error(r, 404, "member_not_found", "invitee", "no member with this number");
    else if (rc)
        srv_error_rc(r, rc, pt_db_errmsg(t->db));
    else {
        srv_writer_submit(r->srv, r, j);
        return;
    }
    srv_job_free(j);
}

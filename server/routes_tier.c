/* routes_tier.c — POST /v1/members/{member}/tier/evaluate: re-evaluates one member's tier now
 * (pt_tier_evaluate: the reviews due, then an upgrade the period already qualifies for) and
 * answers the tier before and after and what changed.
 *
 * A write: it runs on the writer with the request's Idempotency-Key (idem.c, scoped to the
 * member), so a retry answers the first evaluation instead of evaluating again.
 */
#include "server_int.h"
#include "patron/error.h"
#include "patron/member.h"
#include "patron/tier.h"

#include <stdio.h>

#define EVAL_OP "tier.evaluate"

static int job_evaluate(struct srv_job *j, pt_db *db, pt_ledger *l)
{
    if (!l) {
        srv_job_error(j, PT_ESTATE, "no loyalty programme is loaded");
        return PT_ESTATE;
    }
    int replayed = 0, rc = srv_idem_replay(j, db, EVAL_OP, j->member_id, &replayed);
    if (rc || replayed)
        return rc;
    pt_tier_eval ev;
    if ((rc = pt_tier_evaluate(l, j->member_id, 0, j->actor, &ev)) != PT_OK) {
        srv_job_error(j, rc, pt_ledger_errmsg(l));
        return rc;
    }
    const pt_programme *p = pt_ledger_programme(l);
    char no[PT_MEMBER_NO_MAX];
    pt_member_no_for_id(j->member_id, no);
    j->status = 200;
    j->result = json_pack("{s:s,s:s,s:s,s:b,s:i,s:i,s:i,s:I,s:I}", "member", no, "tier_before",
                          p->tiers[ev.tier_before].code, "tier_after", p->tiers[ev.tier_after].code, "changed",
                          ev.tier_before != ev.tier_after, "reviews", ev.reviews, "upgraded", ev.upgraded,
                          "downgraded", ev.downgraded, "period_growth", (json_int_t)ev.period_growth, "review_at",
                          (json_int_t)ev.review_at);
    if (!j->result)
        return PT_ENOMEM;
    return srv_idem_remember(j, db, EVAL_OP, j->member_id, 0);
}

void route_tier_evaluate(struct srv_req *r, struct srv_thread *t)
{
    int64_t id;
    if (srv_need_ledger(r, t->ledger) || srv_member_param(r, t, &id) != 0)
        return;
    srv_write(r, job_evaluate, NULL, 0, id, NULL);
}

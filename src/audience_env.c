/* audience_env.c — one store's audience context in one call (audience_env.h). The order of the
 * steps is the dependency order: the snapshot, then the scores fitted or read for its members,
 * then RFM and lifecycle over it. Close is safe on a zeroed or half-opened env.
 */
#include "patron/audience_env.h"
#include "patron/error.h"

#include <stdio.h>
#include <string.h>

static void set_tier_order(pt_audience_env *e, const pt_ledger *l)
{
    if (!l)
        return;
    const pt_programme *p = pt_ledger_programme(l);
    for (int k = 0; k < p->ntiers; k++)
        e->ladder[k] = p->tiers[k].code;
    e->ctx.tier_order = e->ladder;
    e->ctx.ntiers = (size_t)p->ntiers;
}

static int failed(pt_audience_env *e, int rc, const char *step, const char *why, char *errmsg, size_t errmsg_len)
{
    if (errmsg && errmsg_len)
        snprintf(errmsg, errmsg_len, "%s: %s", step, why);
    pt_audience_env_close(e);
    return rc;
}

int pt_audience_env_open(pt_audience_env *e, pt_db *db, const pt_ledger *l, int64_t as_of, int scores,
                         char *errmsg, size_t errmsg_len)
{
    memset(e, 0, sizeof *e);
    e->ctx.channel = -1;
    pt_store *s = pt_db_store(db);
    int rc = pt_snapshot_load(&e->snap, s, NULL, NULL);
    if (rc)
        return failed(e, rc, "loading the snapshot", pt_db_errmsg(db), errmsg, errmsg_len);
    if (scores && (rc = pt_score_sources_init(&e->scores, s, e->snap, as_of)) != PT_OK)
        return failed(e, rc, "reading the churn scores", rc == PT_ENOMEM ? pt_strerror(rc) : pt_db_errmsg(db),
                      errmsg, errmsg_len);
    set_tier_order(e, l);
    e->ctx.store = s;
    e->ctx.scores = e->scores.src;
    e->ctx.nscores = e->scores.n;
    if ((rc = pt_audience_ctx_prepare(&e->ctx, e->snap, as_of)) != PT_OK)
        return failed(e, rc, "preparing RFM and lifecycle", pt_strerror(rc), errmsg, errmsg_len);
    return PT_OK;
}

void pt_audience_env_close(pt_audience_env *e)
{
    pt_audience_ctx_free(&e->ctx);
    pt_score_sources_free(&e->scores);
    pt_snapshot_free(e->snap);
    memset(e, 0, sizeof *e);
    e->ctx.channel = -1;
}

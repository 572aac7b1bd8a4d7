/* tier.c — tier upgrades after ledger writes and tier reviews (see tier.h).
 *
 * Invariants: an account's tier is always one of the programme's tier codes (an unknown code,
 * from an older programme, is treated as the entry tier); every change appends a tier_changes
 * row and an audit record in the same transaction as the change.
 */
#include "ledger_int.h"
#include "db_int.h"
#include "patron/audit.h"
#include "patron/error.h"
#include "patron/tier.h"
#include "patron/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tier_index(const pt_programme *p, const char *code)
{
    int i = pt_programme_tier_index(p, code);
    return i < 0 ? 0 : i;
}

/* Highest tier whose threshold (or, for retention, retain) growth reaches. */
static int qualified(const pt_programme *p, int64_t growth, int use_retain)
{
    int best = 0;
    for (int i = 0; i < p->ntiers; i++)
        if (growth >= (use_retain ? p->tiers[i].retain : p->tiers[i].threshold))
            best = i;
    return best;
}

static int period_start(const pt_programme *p, int64_t review_at, int64_t *start)
{
    *start = 0;
    if (review_at <= 0 || p->review_months <= 0)
        return PT_OK;
    return pt_tz_add(p->timezone, PT_TZ_MONTH, review_at, -p->review_months, start);
}

struct spend_sum {
    int64_t from, to, cents;
};

static int add_spend(void *ud, const pt_order_rec *o)
{
    struct spend_sum *x = ud;
    if (o->status == PT_ORDER_PAID && o->ordered_at >= x->from && o->ordered_at < x->to)
        x->cents += o->amount_cents;
    return PT_OK;
}

/* What qualifies the member over [from, to): growth value, or net spend in cents over the 12
 * months before `to` (refunded orders do not count), as the programme says. */
static int qualifying(pt_ledger *l, int64_t member_id, int64_t from, int64_t to, int64_t *value)
{
    if (l->prog.qualify_basis == PT_QUALIFY_SPEND_12M) {
        struct spend_sum x = {0, to, 0};
        int rc = pt_tz_add(l->prog.timezone, PT_TZ_MONTH, to, -12, &x.from);
        if (rc == PT_OK)
            rc = pt_store_order_list(l->s, member_id, add_spend, &x);
        *value = x.cents;
        return rc;
    }
    int64_t since = 0, after = 0;
    int rc = pt_store_entry_growth_since(l->s, member_id, from, &since);
    if (rc == PT_OK && to < INT64_MAX)
        rc = pt_store_entry_growth_since(l->s, member_id, to, &after);
    *value = since - after;
    return rc;
}

static int change_tier(pt_ledger *l, pt_account_rec *a, int to, int64_t at, const char *actor, const char *why)
{
    pt_tier_change_rec c = {.member_id = a->member_id, .at = at};
    snprintf(c.from_tier, sizeof c.from_tier, "%s", a->tier);
    snprintf(c.to_tier, sizeof c.to_tier, "%s", l->prog.tiers[to].code);
    snprintf(c.reason, sizeof c.reason, "%s", why);
    snprintf(c.actor, sizeof c.actor, "%s", actor);
    int rc = pt_store_tier_change_insert(l->s, &c);
    char detail[256];
    snprintf(detail, sizeof detail, "{\"from\":\"%s\",\"to\":\"%s\",\"change\":%lld}", c.from_tier, c.to_tier,
             (long long)c.id);
    if (rc == PT_OK)
        rc = pt_audit_append(l->s, l->crypt, a->member_id, pt_db_now(l->db), actor, "tier.change", detail);
    snprintf(a->tier, sizeof a->tier, "%s", c.to_tier);
    a->tier_since = at;
    return rc;
}

int pt__tier_after_write(struct op *o)
{
    pt_ledger *l = o->l;
    int by_spend = l->prog.qualify_basis == PT_QUALIFY_SPEND_12M;
    if ((!by_spend && o->acct.growth <= o->before.growth) || l->prog.ntiers < 2)
        return PT_OK;
    int64_t start, growth;
    int rc = period_start(&l->prog, o->acct.review_at, &start);
    if (rc == PT_OK)
        rc = qualifying(l, o->member_id, start, by_spend ? o->at + 1 : INT64_MAX, &growth);
    if (rc)
        return rc;
    int cur = tier_index(&l->prog, o->acct.tier), to = qualified(&l->prog, growth, 0);
    if (to <= cur)
        return PT_OK;
    char why[PT_NOTE_MAX];
    snprintf(why, sizeof why, "upgrade: %s %lld ≥ %lld", by_spend ? "12-month spend (cents)" : "period growth",
             (long long)growth, (long long)l->prog.tiers[to].threshold);
    if ((rc = change_tier(l, &o->acct, to, o->at, o->actor, why)))
        return rc;
    if (l->prog.review_months > 0)
        rc = pt_tz_add(l->prog.timezone, PT_TZ_MONTH, o->at, l->prog.review_months, &o->acct.review_at);
    return rc;
}

int pt_tier_status_of(pt_ledger *l, int64_t member_id, int64_t as_of, pt_tier_status *out)
{
    memset(out, 0, sizeof *out);
    pt_account_rec a;
    int rc = pt_ledger_account(l, member_id, &a);
    if (rc)
        return rc;
    const pt_programme *p = &l->prog;
    out->member_id = member_id;
    out->tier = tier_index(p, a.tier);
    out->tier_since = a.tier_since;
    out->review_at = a.review_at;
    if (as_of <= 0)
        as_of = pt_db_now(l->db);
    if ((rc = period_start(p, a.review_at, &out->period_start)) ||
        (rc = qualifying(l, member_id, out->period_start,
                         p->qualify_basis == PT_QUALIFY_SPEND_12M ? as_of : INT64_MAX, &out->period_growth)))
        return rc;
    out->next_tier = out->tier + 1 < p->ntiers ? out->tier + 1 : -1;
    if (out->next_tier >= 0 && p->tiers[out->next_tier].threshold > out->period_growth)
        out->growth_to_next = p->tiers[out->next_tier].threshold - out->period_growth;
    if (p->tiers[out->tier].retain > out->period_growth)
        out->growth_to_retain = p->tiers[out->tier].retain - out->period_growth;
    out->tier_at_review = out->tier;
    if (out->growth_to_retain > 0) {
        int floor_tier = out->tier - (p->downgrade_steps > 0 ? p->downgrade_steps : 1);
        int q = qualified(p, out->period_growth, 1);
        out->tier_at_review = q > floor_tier ? q : (floor_tier < 0 ? 0 : floor_tier);
    }
    return PT_OK;
}

/* One member's review(s) inside a transaction. */
static int review_member(pt_ledger *l, int64_t member_id, int64_t as_of, pt_tier_review_stats *st)
{
    const pt_programme *p = &l->prog;
    pt_account_rec a;
    int rc = pt_store_account_get(l->s, member_id, 1, &a);
    while (rc == PT_OK && a.review_at > 0 && a.review_at <= as_of) {
        int64_t start, growth;
        if ((rc = period_start(p, a.review_at, &start)))
            break;
        /* growth of the period that just ended, [start, review_at), or the 12 months' spend */
        if ((rc = qualifying(l, member_id, start, a.review_at, &growth)))
            break;
        int cur = tier_index(p, a.tier), to = cur;
        if (growth < p->tiers[cur].retain) {
            int floor_tier = cur - (p->downgrade_steps > 0 ? p->downgrade_steps : 1);
            int q = qualified(p, growth, 1);
            to = q > floor_tier ? q : (floor_tier < 0 ? 0 : floor_tier);
        } else if (qualified(p, growth, 0) > cur) {
            to = qualified(p, growth, 0);
        }
        st->reviewed++;
        if (to != cur) {
            char why[PT_NOTE_MAX];
            snprintf(why, sizeof why, "review: %s %lld, %s needs %lld to keep",
                     p->qualify_basis == PT_QUALIFY_SPEND_12M ? "12-month spend (cents)" : "period growth", (long long)growth,
                     p->tiers[cur].code, (long long)p->tiers[cur].retain);
            rc = change_tier(l, &a, to, a.review_at, "system", why);
            if (to < cur)
                st->downgraded++;
            else
                st->upgraded++;
        } else {
            st->kept++;
        }
        if (rc == PT_OK)
            rc = pt_tz_add(p->timezone, PT_TZ_MONTH, a.review_at, p->review_months, &a.review_at);
    }
    if (rc == PT_OK) {
        a.updated_at = pt_db_now(l->db);
        rc = pt_store_account_update(l->s, &a);
    }
    return rc;
}

struct review_ids {
    int64_t *v;
    size_t   n, cap;
};

static int collect_review(void *ud, int64_t id)
{
    struct review_ids *r = ud;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1024;
        int64_t *v = realloc(r->v, cap * sizeof *v);
        if (!v)
            return PT_ENOMEM;
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n++] = id;
    return PT_OK;
}

int pt_tier_run_reviews(pt_ledger *l, int64_t as_of, pt_tier_review_stats *st)
{
    pt_tier_review_stats local;
    st = st ? st : &local;
    memset(st, 0, sizeof *st);
    if (l->prog.review_months <= 0)
        return PT_OK;
    struct review_ids r = {0};
    int rc = pt_store_account_scan_review(l->s, as_of, collect_review, &r);
    for (size_t i = 0; rc == PT_OK && i < r.n; i += 512) {
        size_t n = r.n - i < 512 ? r.n - i : 512;
        rc = pt_store_begin_locking(l->s);
        for (size_t j = 0; rc == PT_OK && j < n; j++)
            rc = review_member(l, r.v[i + j], as_of, st);
        rc = rc == PT_OK ? pt_store_commit(l->s) : (pt_store_rollback(l->s), rc);
    }
    free(r.v);
    if (rc)
        pt__ledger_error(l, rc, "tier review: %s", pt_store_errmsg(l->s));
    return rc;
}

/* --- one member, now ------------------------------------------------------------------------ */

/* Inside the caller's locking transaction: the due reviews, then an upgrade the period's
 * growth (or 12-month spend) already qualifies for. */
static int evaluate_member(pt_ledger *l, int64_t member_id, int64_t as_of, const char *actor, pt_tier_eval *out)
{
    const pt_programme *p = &l->prog;
    pt_tier_review_stats st = {0};
    pt_account_rec a;
    int rc = pt_store_account_get(l->s, member_id, 1, &a);
    if (rc == PT_ENOTFOUND) /* no activity yet: the entry tier, nothing to evaluate */
        return PT_OK;
    if (rc) /* a store error (PT_ERETRY on a lock): a's fields were never read */
        return rc;
    out->tier_before = out->tier_after = tier_index(p, a.tier);
    if (p->review_months > 0 && a.review_at > 0 && a.review_at <= as_of)
        rc = review_member(l, member_id, as_of, &st);
    out->reviews = (int)st.reviewed;
    out->downgraded = (int)st.downgraded;
    out->upgraded = (int)st.upgraded;
    if (rc == PT_OK)
        rc = pt_store_account_get(l->s, member_id, 1, &a);
    int64_t start = 0, value = 0;
    if (rc == PT_OK)
        rc = period_start(p, a.review_at, &start);
    if (rc == PT_OK)
        rc = qualifying(l, member_id, start, p->qualify_basis == PT_QUALIFY_SPEND_12M ? as_of + 1 : INT64_MAX, &value);
    out->period_growth = value;
    if (rc)
        return rc;
    int cur = tier_index(p, a.tier), to = qualified(p, value, 0);
    if (to > cur) {
        char why[PT_NOTE_MAX];
        snprintf(why, sizeof why, "evaluation: %s %lld ≥ %lld",
                 p->qualify_basis == PT_QUALIFY_SPEND_12M ? "12-month spend (cents)" : "period growth", (long long)value,
                 (long long)p->tiers[to].threshold);
        rc = change_tier(l, &a, to, as_of, actor, why);
        if (rc == PT_OK && p->review_months > 0)
            rc = pt_tz_add(p->timezone, PT_TZ_MONTH, as_of, p->review_months, &a.review_at);
        out->upgraded++;
        if (rc == PT_OK) {
            a.updated_at = pt_db_now(l->db);
            rc = pt_store_account_update(l->s, &a);
        }
    }
    out->tier_after = tier_index(p, a.tier);
    out->review_at = a.review_at;
    return rc;
}

int pt_tier_evaluate(pt_ledger *l, int64_t member_id, int64_t as_of, const char *actor, pt_tier_eval *out)
{
    int outer = !pt_store_in_tx(l->s), rc;
    if (as_of <= 0)
        as_of = pt_db_now(l->db);
    for (int i = 0;; i++) {
        memset(out, 0, sizeof *out);
        out->member_id = member_id;
        if ((rc = pt_store_begin_locking(l->s)))
            break;
        rc = evaluate_member(l, member_id, as_of, actor && *actor ? actor : "system", out);
        if (rc == PT_OK)
            rc = pt_store_commit(l->s);
        if (rc) /* a failed commit leaves the transaction open too */
            pt_store_rollback(l->s);
        if (rc != PT_ERETRY || !outer || i + 1 == PT__TX_TRIES)
            break;
        pt__tx_backoff(i);
    }
    if (rc)
        pt__ledger_error(l, rc, "tier evaluation: %s", pt_store_errmsg(l->s));
    return rc;
}

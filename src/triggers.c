/* triggers.c — the trigger rules (triggers.h) and their once-per-occurrence firing.
 *
 * Invariants: a member gets a trigger message only through fire(), which writes the
 * occurrence row, the audit record and the outbox entry in one transaction, after the
 * frequency cap; the occurrence's key makes a second write PT_EEXIST, so re-running (cron every
 * few minutes, or a run that crashed half-way) never sends twice. Rules read the snapshot;
 * only points_expiring (lots), birthday (the sealed birthday) and tier_drop (the account) read
 * the store, and only for members that can still fire.
 */
#include "patron/triggers.h"
#include "patron/audit.h"
#include "patron/error.h"
#include "patron/member.h"
#include "patron/outbox.h"
#include "patron/audience_env.h"
#include "patron/tier.h"
#include "patron/tz.h"
#include "store_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_S  86400
#define WEEK_S (7 * DAY_S)

static const char *const rule_names[PT_TRIG__COUNT] = {"points_expiring", "churn_risk", "birthday", "tier_drop",
                                                      "dormant", "welcome"};

const char *pt_trigger_rule_name(int rule)
{
    return rule >= 0 && rule < PT_TRIG__COUNT ? rule_names[rule] : "?";
}

void pt_trigger_opts_init(pt_trigger_opts *o)
{
    memset(o, 0, sizeof *o);
    o->channel = PT_CONSENT_SMS;
    o->weekly_cap = 3;
    o->expiring_days = 30;
    o->birthday = 1;
    o->tier_drop_days = 14;
    o->dormant = 1;
    o->welcome_days = 7;
    o->churn_threshold = 0.7;
}

/* One member's lots expiring in the rule's window: the soonest (its id names the occurrence)
 * and the points of all of them. */
struct expiring {
    int64_t member_id, lot_id, expires_at, points;
};

struct run {
    struct expiring       *exp;     /* by member_id, read in one pass before the members */
    size_t                 nexp, capexp;
    pt_db                 *db;
    pt_store              *s;
    pt_ledger             *l;
    pt_audience_ctx       *ctx;
    const pt_trigger_opts *o;
    pt_trigger_stats      *st;
    int64_t                as_of;
    pt_civil               today;   /* local date in the programme's zone (UTC without one) */
};

/* Fires one occurrence; detail is the JSON members of the payload (no personal data). */
static int fire(struct run *R, int64_t member_id, int rule, const char *occurrence, const char *detail)
{
    pt_store *s = R->s;
    int rc = pt_store_begin_locking(s);
    if (rc)
        return rc;
    pt_trigger_fire_rec f = {.member_id = member_id, .at = R->as_of};
    snprintf(f.rule, sizeof f.rule, "%s", rule_names[rule]);
    snprintf(f.occurrence, sizeof f.occurrence, "%s", occurrence);
    rc = pt_store_trigger_fire_insert(s, &f);
    if (rc == PT_EEXIST) {
        pt_store_rollback(s);
        R->st->already++;
        return PT_OK;
    }
    /* the cap counts this occurrence too; over it, the rollback takes the row back so the
     * occurrence can still fire on a later run, when the week has room */
    if (rc == PT_OK && R->o->weekly_cap > 0) {
        int64_t n = 0;
        rc = pt_store_trigger_fire_count(s, member_id, R->as_of - WEEK_S + 1, &n);
        if (rc == PT_OK && n > R->o->weekly_cap) {
            pt_store_rollback(s);
            R->st->capped++;
            return PT_OK;
        }
    }
    char payload[512], kind[PT_OUTBOX_KIND_MAX], audit[256];
    snprintf(payload, sizeof payload, "{\"rule\":\"%s\",\"occurrence\":\"%s\",\"channel\":\"%s\"%s%s}", f.rule,
             f.occurrence, R->o->channel == PT_CONSENT_EMAIL ? "email" : "sms", detail[0] ? "," : "", detail);
    snprintf(kind, sizeof kind, "trigger.%s", f.rule);
    snprintf(audit, sizeof audit, "{\"rule\":\"%s\",\"occurrence\":\"%s\"}", f.rule, f.occurrence);
    if (rc == PT_OK)
        rc = pt_audit_append(s, pt_db_crypt(R->db), member_id, R->as_of, "triggers", kind, audit);
    if (rc == PT_OK)
        rc = pt_outbox_enqueue(s, member_id, kind, payload, R->as_of, NULL);
    if (rc == PT_OK)
        rc = pt_store_commit(s);
    if (rc) {
        if (pt_store_in_tx(s))
            pt_store_rollback(s);
        return rc;
    }
    R->st->fired[rule]++;
    return PT_OK;
}

/* --- rules -------------------------------------------------------------------------------- */

/* Rows arrive by member, then expiry: a member's first row is its soonest lot. */
static int collect_expiring(void *ud, const pt_lot_rec *lot)
{
    struct run *R = ud;
    if (R->nexp && R->exp[R->nexp - 1].member_id == lot->member_id) {
        R->exp[R->nexp - 1].points += lot->remaining;
        return PT_OK;
    }
    if (R->nexp == R->capexp) {
        size_t cap = R->capexp ? R->capexp * 2 : 256;
        struct expiring *v = realloc(R->exp, cap * sizeof *v);
        if (!v)
            return PT_ENOMEM;
        R->exp = v;
        R->capexp = cap;
    }
    R->exp[R->nexp++] = (struct expiring){lot->member_id, lot->id, lot->expires_at, lot->remaining};
    return PT_OK;
}

static const struct expiring *expiring_of(const struct run *R, int64_t member_id)
{
    size_t lo = 0, hi = R->nexp;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (R->exp[mid].member_id < member_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < R->nexp && R->exp[lo].member_id == member_id ? &R->exp[lo] : NULL;
}

static int rule_expiring(struct run *R, size_t i)
{
    const pt_snapshot *snap = R->ctx->snap;
    if (snap->has_accounts && snap->member_points[i] <= 0)
        return PT_OK; /* nothing left to lose (an overdraft ate it) */
    const struct expiring *x = expiring_of(R, snap->member_id[i]);
    if (!x)
        return PT_OK;
    char occ[PT_TRIGGER_OCC_MAX], detail[160];
    snprintf(occ, sizeof occ, "lot:%lld", (long long)x->lot_id);
    snprintf(detail, sizeof detail, "\"points\":%lld,\"expires_at\":%lld", (long long)x->points,
             (long long)x->expires_at);
    return fire(R, x->member_id, PT_TRIG_EXPIRING, occ, detail);
}

static int rule_churn(struct run *R, size_t i)
{
    const pt_score_source *src = R->o->churn;
    double v;
    if (!src->score(src->ud, R->ctx->snap, i, &v) || !(v > R->o->churn_threshold))
        return PT_OK;
    char occ[PT_TRIGGER_OCC_MAX], detail[96];
    snprintf(occ, sizeof occ, "%04d-%02d", R->today.year, R->today.month);
    snprintf(detail, sizeof detail, "\"score\":\"%s\",\"value\":%.4f", src->name, v);
    return fire(R, R->ctx->snap->member_id[i], PT_TRIG_CHURN, occ, detail);
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int rule_birthday(struct run *R, size_t i)
{
    int64_t id = R->ctx->snap->member_id[i];
    pt_member m;
    pt_member_init(&m);
    int month = 0, day = 0;
    /* the birthday is personal data: opened only to read month and day, then wiped */
    if (pt_member_load(R->db, id, &m) == PT_OK && strlen(m.birthday) == 10) {
        month = atoi(m.birthday + 5);
        day = atoi(m.birthday + 8);
    }
    pt_member_wipe(&m);
    if (month == 2 && day == 29 && !is_leap(R->today.year))
        day = 28;
    if (month != R->today.month || day != R->today.day)
        return PT_OK;
    char occ[PT_TRIGGER_OCC_MAX];
    snprintf(occ, sizeof occ, "%04d", R->today.year);
    return fire(R, id, PT_TRIG_BIRTHDAY, occ, "");
}

static int rule_tier_drop(struct run *R, size_t i)
{
    const pt_snapshot *snap = R->ctx->snap;
    if (!snap->has_accounts || snap->member_tier[i] < 0)
        return PT_OK; /* no account, no tier to lose */
    pt_tier_status ts;
    int rc = pt_tier_status_of(R->l, snap->member_id[i], R->as_of, &ts);
    if (rc == PT_ENOTFOUND)
        return PT_OK;
    if (rc || !ts.review_at || ts.review_at - R->as_of > (int64_t)R->o->tier_drop_days * DAY_S ||
        ts.tier_at_review >= ts.tier)
        return rc;
    const pt_programme *p = pt_ledger_programme(R->l);
    char occ[PT_TRIGGER_OCC_MAX], detail[256];
    snprintf(occ, sizeof occ, "review:%lld", (long long)ts.review_at);
    snprintf(detail, sizeof detail, "\"tier\":\"%s\",\"tier_at_review\":\"%s\",\"review_at\":%lld,\"growth_to_retain\":%lld",
             p->tiers[ts.tier].code, p->tiers[ts.tier_at_review].code, (long long)ts.review_at,
             (long long)ts.growth_to_retain);
    return fire(R, snap->member_id[i], PT_TRIG_TIER_DROP, occ, detail);
}

static int rule_dormant(struct run *R, size_t i)
{
    const pt_audience_ctx *ctx = R->ctx;
    int32_t r = ctx->lc_row ? ctx->lc_row[i] : -1;
    if (r < 0 || ctx->lc.rows[r].stage != PT_LC_DORMANT)
        return PT_OK;
    const pt_snapshot *snap = ctx->snap;
    int64_t last = 0;
    for (size_t k = snap->first[i]; k < snap->first[i + 1]; k++)
        if (snap->order_status[k] == PT_ORDER_PAID && snap->order_at[k] < R->as_of && snap->order_at[k] > last)
            last = snap->order_at[k];
    char occ[PT_TRIGGER_OCC_MAX], detail[96];
    snprintf(occ, sizeof occ, "last:%lld", (long long)last);
    snprintf(detail, sizeof detail, "\"last_purchase_at\":%lld,\"days\":%lld", (long long)last,
             (long long)ctx->lc.rows[r].days_since_last);
    return fire(R, snap->member_id[i], PT_TRIG_DORMANT, occ, detail);
}

static int rule_welcome(struct run *R, size_t i)
{
    const pt_snapshot *snap = R->ctx->snap;
    int64_t first = 0;
    for (size_t k = snap->first[i]; k < snap->first[i + 1] && !first; k++)
        if (snap->order_status[k] == PT_ORDER_PAID)
            first = snap->order_at[k]; /* orders are by time: the first paid one */
    if (!first || first > R->as_of || R->as_of - first >= (int64_t)R->o->welcome_days * DAY_S)
        return PT_OK;
    char detail[64];
    snprintf(detail, sizeof detail, "\"first_purchase_at\":%lld", (long long)first);
    return fire(R, snap->member_id[i], PT_TRIG_WELCOME, "first", detail);
}

static int fail(char *errmsg, size_t len, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *errmsg, size_t len, int rc, const char *fmt, ...)
{
    if (errmsg && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errmsg, len, fmt, ap);
        va_end(ap);
    }
    return rc;
}

int pt_triggers_run(pt_db *db, pt_ledger *l, pt_audience_ctx *ctx, const pt_trigger_opts *o, pt_trigger_stats *st,
                    char *errmsg, size_t errmsg_len)
{
    pt_trigger_stats local;
    st = st ? st : &local;
    memset(st, 0, sizeof *st);
    struct run R = {.db = db, .s = pt_db_store(db), .l = l, .ctx = ctx, .o = o, .st = st};
    R.as_of = o->as_of ? o->as_of : pt_db_now(db);
    const char *zone = l ? pt_ledger_programme(l)->timezone : "UTC";
    int rc = pt_tz_civil(zone, R.as_of, &R.today);
    if (rc)
        return fail(errmsg, errmsg_len, rc, "the run date is out of range");
    const pt_snapshot *snap = ctx->snap;
    if (o->expiring_days > 0 &&
        (rc = pt_store_lot_expiring(R.s, R.as_of, R.as_of + (int64_t)o->expiring_days * DAY_S, collect_expiring, &R)))
        fail(errmsg, errmsg_len, rc, "listing the lots that expire soon: %s", pt_db_errmsg(db));
    for (size_t i = 0; rc == PT_OK && i < snap->nmembers; i++) {
        if (pt_snapshot_member_use(snap, i) != PT_SNAP_USE || snap->member_status[i] != PT_MEMBER_ACTIVE)
            continue;
        if (!(snap->member_consent[i] & PT_CONSENT_BIT(o->channel))) {
            st->no_consent++;
            continue;
        }
        if (o->expiring_days > 0)
            rc = rule_expiring(&R, i);
        if (rc == PT_OK && o->churn)
            rc = rule_churn(&R, i);
        if (rc == PT_OK && o->birthday)
            rc = rule_birthday(&R, i);
        if (rc == PT_OK && l && o->tier_drop_days > 0)
            rc = rule_tier_drop(&R, i);
        if (rc == PT_OK && o->dormant)
            rc = rule_dormant(&R, i);
        if (rc == PT_OK && o->welcome_days > 0)
            rc = rule_welcome(&R, i);
        if (rc)
            fail(errmsg, errmsg_len, rc, "member %lld: %s", (long long)snap->member_id[i], pt_db_errmsg(db));
    }
    free(R.exp);
    return rc;
}

int pt_triggers_run_db(pt_db *db, const pt_trigger_opts *o, pt_trigger_stats *st, char *errmsg, size_t errmsg_len)
{
    pt_trigger_opts run = *o;
    if (!run.as_of)
        run.as_of = pt_db_now(db);
    pt_ledger *l = NULL;
    char why[256];
    if (pt_ledger_open_current(&l, db, why, sizeof why) != PT_OK)
        l = NULL; /* no programme loaded: the rules that need one are off */
    int need_scores = !run.churn && run.churn_threshold > 0;
    pt_audience_env env;
    int rc = pt_audience_env_open(&env, db, l, run.as_of, need_scores, errmsg, errmsg_len);
    if (rc == PT_OK) {
        if (need_scores)
            run.churn = pt_score_sources_find(&env.scores, "churn_risk");
        rc = pt_triggers_run(db, l, &env.ctx, &run, st, errmsg, errmsg_len);
        pt_audience_env_close(&env);
    }
    pt_ledger_close(l);
    return rc;
}

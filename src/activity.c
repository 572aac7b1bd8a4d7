/* activity.c — points and growth value for check-ins (签到), reviews and shares (reward.h).
 *
 * One locking transaction per activity (reward_frame.c), holding the member's account row:
 *  1. the client's key replays the first result (op "activity.<kind>");
 *  2. a check-in is once per local day of the programme's zone: a marker row "#checkin:<date>"
 *     in the member's idempotency keys makes a second one PT_EEXIST, also when two race;
 *  3. the streak is the run of consecutive local days with a check-in, ending today, read
 *     from the member's earlier check-in entries (ref "checkin", note "activity");
 *  4. pt_rules_evaluate_activity gives the points (rule bonus, streak bonus, caps) and the
 *     growth value; pt_ledger_credit writes them (ledger key "activity:<key>").
 * The context for caps counts the member's activity entries of the kind today and in total
 * (rule_today, rule_member_total) and every credit today (earned_today); a rule's store-wide
 * budget is read under its row lock (rule_budgets, as for order rules) and what the activity
 * gave is added to it in the same transaction.
 */
#include "reward_int.h"
#include "patron/error.h"
#include "patron/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACTIVITY_NOTE "activity"
#define STREAK_MAX    3660

int pt_activity_kind_parse(const char *s)
{
    if (!s)
        return 0;
    if (strcmp(s, "checkin") == 0)
        return PT_RULE_CHECKIN;
    if (strcmp(s, "review") == 0)
        return PT_RULE_REVIEW;
    return strcmp(s, "share") == 0 ? PT_RULE_SHARE : 0;
}

const char *pt_activity_kind_name(int kind)
{
    return kind == PT_RULE_CHECKIN ? "checkin" : kind == PT_RULE_REVIEW ? "review" : kind == PT_RULE_SHARE ? "share"
                                                                                                          : NULL;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t day_number(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int local_day(const pt_programme *p, int64_t t, int64_t *day, pt_civil *c)
{
    pt_civil local;
    c = c ? c : &local;
    int rc = pt_tz_civil(p->timezone, t, c);
    *day = rc ? 0 : day_number(c->year, c->month, c->day);
    return rc;
}

/* --- what the member did before ------------------------------------------------------------ */

struct history {
    const pt_programme *p;
    const char         *ref;          /* the activity's kind name */
    int64_t             today;        /* local day number of the activity */
    int64_t             at;
    uint8_t            *days;         /* days[k] = 1: a check-in k days before today (k < STREAK_MAX) */
    int64_t             kind_today, kind_total, earned_today;
    int                 rc;
};

static int scan_entry(void *ud, const pt_entry_rec *e)
{
    struct history *h = ud;
    if (e->kind != PT_ENTRY_EARN || e->at > h->at)
        return PT_OK;
    int64_t day;
    if ((h->rc = local_day(h->p, e->at, &day, NULL)))
        return h->rc;
    int activity = e->order_id == 0 && strcmp(e->note, ACTIVITY_NOTE) == 0 && strcmp(e->ref, h->ref) == 0;
    if (day == h->today)
        h->earned_today += e->points;
    if (!activity)
        return PT_OK;
    h->kind_total += e->points;
    h->kind_today += day == h->today ? e->points : 0;
    if (h->today - day >= 0 && h->today - day < STREAK_MAX)
        h->days[h->today - day] = 1;
    return PT_OK;
}

static int streak_of(const struct history *h)
{
    int s = 1; /* today's check-in */
    while (s < STREAK_MAX && h->days[s])
        s++;
    return s;
}

/* --- the write ------------------------------------------------------------------------------ */

struct activity_arg {
    int                  kind;
    const pt_ledger_req *req;
    char                 request[128];
    char                 op[PT_CODE_MAX];
    pt_activity_result  *res;
};

static json_t *result_json(const pt_activity_result *r)
{
    return json_pack("{sI si si sI sI sI sI sI}", "member_id", (json_int_t)r->member_id, "kind", r->kind, "streak",
                     r->streak, "points", (json_int_t)r->points, "growth", (json_int_t)r->growth, "entry_id",
                     (json_int_t)r->entry_id, "balance", (json_int_t)r->balance, "at", (json_int_t)r->at);
}

static int result_parse(pt_ledger *l, json_t *j, pt_activity_result *r)
{
    json_int_t v[6] = {0};
    int kind = 0, streak = 0;
    if (json_unpack(j, "{sI si si sI sI sI sI sI}", "member_id", &v[0], "kind", &kind, "streak", &streak, "points",
                    &v[1], "growth", &v[2], "entry_id", &v[3], "balance", &v[4], "at", &v[5]))
        return pt__ledger_error(l, PT_ECORRUPT, "a stored activity result does not parse");
    *r = (pt_activity_result){.member_id = v[0], .kind = kind, .streak = streak, .points = v[1], .growth = v[2],
                              .entry_id = v[3], .balance = v[4], .at = v[5], .replayed = 1};
    return PT_OK;
}

/* The day marker: PT_EEXIST when the member already checked in on that local day. */
static int day_marker(struct rw_op *o, const pt_civil *c, int insert)
{
    char key[PT_IDEM_MAX];
    snprintf(key, sizeof key, "#checkin:%04d-%02d-%02d", c->year, c->month, c->day);
    pt_idem_rec r;
    pt_idem_rec_init(&r);
    int rc = pt_store_idem_get(o->l->s, o->member_id, key, &r);
    if (rc == PT_OK)
        rc = PT_EEXIST;
    else if (rc == PT_ENOTFOUND && insert) {
        r.member_id = o->member_id;
        snprintf(r.key, sizeof r.key, "%s", key);
        snprintf(r.op, sizeof r.op, "activity.checkin.day");
        r.created_at = o->now;
        rc = pt_buf_set(&r.result, "{}", 2);
        rc = rc ? rc : pt_store_idem_insert(o->l->s, &r);
    } else if (rc == PT_ENOTFOUND) {
        rc = PT_OK;
    }
    pt_idem_rec_free(&r);
    if (rc == PT_EEXIST)
        return pt__ledger_error(o->l, rc, "member %lld already checked in on %s", (long long)o->member_id, key + 9);
    return rc ? pt__reward_store_error(o->l, rc) : PT_OK;
}

/* Points and growth under the rules for this activity, given the member's history. */
static int evaluate(struct rw_op *o, struct activity_arg *a, int64_t today, int *streak, pt_earn_result *er)
{
    pt_ledger *l = o->l;
    struct history h = {.p = &l->prog, .ref = pt_activity_kind_name(a->kind), .today = today, .at = o->at};
    h.days = calloc(STREAK_MAX, 1);
    pt_earn_ctx *ctx = calloc(1, sizeof *ctx);
    int rc = h.days && ctx ? pt_store_entry_list(l->s, o->member_id, scan_entry, &h) : PT_ENOMEM;
    if (rc)
        rc = h.rc ? h.rc : rc == PT_ENOMEM ? pt__ledger_error(l, rc, "out of memory") : pt__reward_store_error(l, rc);
    if (rc == PT_OK) {
        *streak = a->kind == PT_RULE_CHECKIN ? streak_of(&h) : 0;
        ctx->at = o->at;
        ctx->tier = o->has_acct ? pt_programme_tier_index(&l->prog, o->acct.tier) : 0;
        ctx->tier = ctx->tier < 0 ? 0 : ctx->tier;
        ctx->earned_today = h.earned_today;
        for (int i = 0; rc == PT_OK && i < l->prog.nrules; i++)
            if (l->prog.rules[i].kind == a->kind) {
                ctx->rule_today[i] = h.kind_today;
                ctx->rule_member_total[i] = h.kind_total;
                if (l->prog.rules[i].budget > 0 &&
                    (rc = pt_store_rule_budget_get(l->s, l->prog.rules[i].code, 1, &ctx->rule_total[i])))
                    rc = pt__reward_store_error(l, rc);
            }
        if (rc == PT_OK && (rc = pt_rules_evaluate_activity(&l->prog, ctx, a->kind, *streak, er)))
            pt__ledger_error(l, rc, "the %s cannot be evaluated", h.ref);
    }
    free(h.days);
    free(ctx);
    return rc;
}

static int credit(struct rw_op *o, struct activity_arg *a, const pt_earn_result *er, pt_activity_result *r)
{
    char key[PT_IDEM_MAX];
    snprintf(key, sizeof key, "activity:%s", a->req->idem_key);
    pt_ledger_req lr = {.idem_key = key, .actor = o->actor, .note = ACTIVITY_NOTE,
                        .ref = pt_activity_kind_name(a->kind), .at = o->at};
    pt_ledger_result res;
    int rc = pt_ledger_credit(o->l, o->member_id, er->total_points, er->total_growth, &lr, &res);
    if (rc == PT_OK && res.replayed)
        return pt__ledger_error(o->l, PT_ECONFLICT, "ledger key %s was already used by another write", key);
    const pt_programme *p = &o->l->prog;
    for (int i = 0; rc == PT_OK && i < p->nrules; i++) /* what the activity took from budgets */
        if (p->rules[i].budget > 0 && er->rule_points[i] > 0 &&
            (rc = pt_store_rule_budget_add(o->l->s, p->rules[i].code, er->rule_points[i])))
            rc = pt__reward_store_error(o->l, rc);
    r->points = er->total_points;
    r->growth = er->total_growth;
    r->entry_id = res.entry_id;
    r->balance = res.balance;
    return rc;
}

static int activity_body(struct rw_op *o, void *arg)
{
    struct activity_arg *a = arg;
    pt_activity_result *r = a->res;
    json_t *prev = NULL;
    int rc = pt__reward_idem_get(o, a->req->idem_key, a->op, a->request, &prev);
    if (rc == PT_OK) {
        rc = result_parse(o->l, prev, r);
        json_decref(prev);
        return rc;
    }
    if (rc != PT_ENOTFOUND)
        return rc;
    *r = (pt_activity_result){.member_id = o->member_id, .kind = a->kind, .at = o->at};
    pt_civil c;
    int64_t today;
    if ((rc = local_day(&o->l->prog, o->at, &today, &c)))
        return pt__ledger_error(o->l, rc, "the activity's time is outside the supported range");
    if (a->kind == PT_RULE_CHECKIN && (rc = day_marker(o, &c, 0)))
        return rc;
    pt_earn_result *er = malloc(sizeof *er);
    rc = er ? evaluate(o, a, today, &r->streak, er) : pt__ledger_error(o->l, PT_ENOMEM, "out of memory");
    if (rc == PT_OK)
        rc = credit(o, a, er, r);
    free(er);
    if (rc == PT_OK && a->kind == PT_RULE_CHECKIN)
        rc = day_marker(o, &c, 1);
    json_t *j = rc == PT_OK ? result_json(r) : NULL;
    if (rc == PT_OK)
        rc = j ? pt__reward_idem_put(o, a->req->idem_key, a->op, a->request, j) : PT_ENOMEM;
    json_decref(j);
    return rc;
}

int pt_activity_earn(pt_ledger *l, int64_t member_id, int kind, const pt_ledger_req *req, pt_activity_result *res)
{
    memset(res, 0, sizeof *res);
    l->errmsg[0] = 0;
    if (!pt_activity_kind_name(kind))
        return pt__ledger_error(l, PT_EINVAL, "an activity is a check-in, a review or a share");
    if (!req || !req->idem_key || !*req->idem_key || strlen(req->idem_key) > PT_REWARD_KEY_MAX)
        return pt__ledger_error(l, PT_EINVAL, "an activity needs an idempotency key of 1–%d characters",
                                PT_REWARD_KEY_MAX);
    struct activity_arg a = {.kind = kind, .req = req, .res = res};
    snprintf(a.op, sizeof a.op, "activity.%s", pt_activity_kind_name(kind));
    snprintf(a.request, sizeof a.request, "%lld|%d|%lld", (long long)member_id, kind, (long long)req->at);
    return pt__reward_run(l, member_id, req, activity_body, &a);
}

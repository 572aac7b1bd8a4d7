/* campaign.c — campaigns (campaign.h): creation checks, the control-group hash, the launch
 * (arm + offer + outbox message per member, one transaction each) and the uplift report.
 *
 * Invariants: a member has at most one arm per campaign (the store's key); a control member
 * gets nothing — no offer, no message — so the comparison measures the campaign; the offer
 * and its message commit together or not at all; the report reads outcomes from a snapshot,
 * never the store row by row.
 */
#include "patron/campaign.h"
#include "patron/audit.h"
#include "patron/error.h"
#include "patron/outbox.h"
#include "patron/reward.h"
#include "patron/audience_env.h"
#include "store_int.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* --- control group ------------------------------------------------------------------------ */

double pt_campaign_unit(int64_t seed, int64_t member_id)
{
    uint8_t in[16], out[8];
    for (int k = 0; k < 8; k++) {
        in[k] = (uint8_t)((uint64_t)seed >> (8 * k));
        in[8 + k] = (uint8_t)((uint64_t)member_id >> (8 * k));
    }
    crypto_generichash(out, sizeof out, in, sizeof in, NULL, 0);
    uint64_t u = 0;
    for (int k = 7; k >= 0; k--)
        u = u << 8 | out[k];
    return (double)(u >> 11) / 9007199254740992.0; /* top 53 bits: exact in a double */
}

int pt_campaign_in_control(int64_t seed, int64_t member_id, int control_bp)
{
    return pt_campaign_unit(seed, member_id) * 10000.0 < (double)control_bp;
}

/* --- create ------------------------------------------------------------------------------- */

int pt_campaign_create(pt_db *db, pt_campaign_rec *c, char *errmsg, size_t errmsg_len)
{
    if (!c->name[0])
        return fail(errmsg, errmsg_len, PT_EINVAL, "campaign name: required");
    if (c->control_bp < 0 || c->control_bp > 9000)
        return fail(errmsg, errmsg_len, PT_EINVAL, "control share: %d basis points is outside 0..9000 (0%%..90%%)",
                    c->control_bp);
    if (c->channel < 0 || c->channel >= PT_CONSENT__COUNT || c->channel == PT_CONSENT_ANALYTICS)
        return fail(errmsg, errmsg_len, PT_EINVAL, "channel: must be sms or email");
    if (c->offer_kind == PT_OFFER_POINTS && c->offer_points <= 0)
        return fail(errmsg, errmsg_len, PT_EINVAL, "offer points: must be > 0 for a points offer");
    if (c->offer_kind == PT_OFFER_COUPON && c->offer_cents <= 0)
        return fail(errmsg, errmsg_len, PT_EINVAL, "offer cents: must be > 0 for a coupon offer");
    if (c->offer_kind < PT_OFFER_MESSAGE || c->offer_kind > PT_OFFER_COUPON)
        return fail(errmsg, errmsg_len, PT_EINVAL, "offer kind: unknown (%d)", c->offer_kind);
    if (c->ends_at && c->ends_at <= c->starts_at)
        return fail(errmsg, errmsg_len, PT_EINVAL, "ends_at: must be after starts_at");
    pt_audience *a;
    char why[256];
    int rc = pt_audience_parse(&a, c->audience, why, sizeof why);
    if (rc)
        return fail(errmsg, errmsg_len, rc, "audience: %s", why);
    pt_audience_free(a);
    c->status = PT_CAMPAIGN_DRAFT;
    c->created_at = pt_db_now(db);
    c->launched_at = c->treated = c->control = 0;
    if (!c->seed)
        randombytes_buf(&c->seed, sizeof c->seed);
    pt_store *s = pt_db_store(db);
    rc = pt_store_campaign_insert(s, c);
    if (rc)
        return fail(errmsg, errmsg_len, rc, "%s", pt_db_errmsg(db));
    return PT_OK;
}

/* --- launch ------------------------------------------------------------------------------- */

static int offer(pt_db *db, pt_ledger *l, const pt_campaign_rec *c, int64_t member_id, int64_t now, char *detail,
                 size_t dlen)
{
    char key[48];
    snprintf(key, sizeof key, "campaign:%lld", (long long)c->id);
    pt_ledger_req req = {.idem_key = key, .actor = "campaign", .note = c->name, .ref = key};
    if (c->offer_kind == PT_OFFER_POINTS) {
        pt_ledger_result res;
        int rc = pt_ledger_earn(l, member_id, c->offer_points, &req, &res);
        snprintf(detail, dlen, "\"points\":%lld", (long long)c->offer_points);
        return rc;
    }
    if (c->offer_kind == PT_OFFER_COUPON) {
        char source[PT_REF_MAX];
        snprintf(source, sizeof source, "campaign:%s", c->name);
        pt_coupon_spec spec = {.value_cents = c->offer_cents, .source = source, .valid_days = 30};
        pt_coupon_rec cr = {0};
        int rc = pt_coupon_issue(l, member_id, &spec, &req, &cr);
        /* the code is what the member types at the till: the channel system needs it */
        snprintf(detail, dlen, "\"coupon_cents\":%lld,\"coupon_code\":\"%s\"", (long long)c->offer_cents, cr.code);
        return rc;
    }
    /* a message only: the audit record is the change the message belongs to */
    snprintf(detail, dlen, "\"template\":\"%s\"", c->offer_code);
    char audit[160];
    snprintf(audit, sizeof audit, "{\"campaign\":%lld}", (long long)c->id);
    return pt_audit_append(pt_db_store(db), pt_db_crypt(db), member_id, now, "campaign", "campaign.message", audit);
}

static int launch_one(pt_db *db, pt_ledger *l, const pt_campaign_rec *c, int64_t member_id, int64_t now,
                      pt_campaign_launch_stats *st)
{
    pt_store *s = pt_db_store(db);
    int arm = pt_campaign_in_control(c->seed, member_id, c->control_bp) ? 0 : 1;
    int rc = pt_store_begin_locking(s);
    if (rc)
        return rc;
    pt_campaign_member_rec m = {.member_id = member_id, .campaign_id = c->id, .arm = arm, .at = now};
    rc = pt_store_campaign_member_insert(s, &m);
    if (rc == PT_EEXIST) {
        pt_store_rollback(s);
        st->skipped++;
        return PT_OK;
    }
    if (rc == PT_OK && arm) {
        char detail[160], payload[512];
        rc = offer(db, l, c, member_id, now, detail, sizeof detail);
        snprintf(payload, sizeof payload, "{\"campaign\":%lld,\"name\":\"%s\",\"channel\":\"%s\",%s}",
                 (long long)c->id, c->name, c->channel == PT_CONSENT_SMS ? "sms" : "email", detail);
        if (rc == PT_OK)
            rc = pt_outbox_enqueue(s, member_id, "campaign.offer", payload, now, NULL);
    }
    if (rc == PT_OK)
        rc = pt_store_commit(s);
    if (rc) {
        if (pt_store_in_tx(s))
            pt_store_rollback(s);
        return rc;
    }
    if (arm) {
        st->treated++;
        st->points += c->offer_kind == PT_OFFER_POINTS ? c->offer_points : 0;
    } else {
        st->control++;
    }
    return PT_OK;
}

static int count_arm(void *ud, const pt_campaign_member_rec *m)
{
    int64_t *n = ud;
    n[m->arm ? 1 : 0]++;
    return PT_OK;
}

int pt_campaign_launch(pt_db *db, pt_ledger *l, int64_t id, pt_audience_ctx *ctx, pt_campaign_launch_stats *st,
                       char *errmsg, size_t errmsg_len)
{
    pt_campaign_launch_stats local;
    st = st ? st : &local;
    memset(st, 0, sizeof *st);
    pt_store *s = pt_db_store(db);
    pt_campaign_rec c;
    int rc = pt_store_campaign_get(s, id, &c);
    if (rc)
        return fail(errmsg, errmsg_len, rc, "campaign %lld: not found", (long long)id);
    int64_t now = pt_db_now(db);
    if (now < c.starts_at)
        return fail(errmsg, errmsg_len, PT_ESTATE, "campaign %lld starts later (starts_at %lld)", (long long)id,
                    (long long)c.starts_at);
    if (c.offer_kind != PT_OFFER_MESSAGE && !l)
        return fail(errmsg, errmsg_len, PT_EINVAL, "campaign %lld gives an offer: a programme must be loaded",
                    (long long)id);
    pt_audience *a;
    char why[256];
    ctx->channel = c.channel;
    rc = pt_audience_parse(&a, c.audience, why, sizeof why);
    if (rc == PT_OK)
        rc = pt_audience_bind(a, ctx, why, sizeof why);
    if (rc) {
        pt_audience_free(a);
        return fail(errmsg, errmsg_len, rc, "campaign %lld audience: %s", (long long)id, why);
    }
    int64_t *ids;
    size_t n;
    rc = pt_audience_select(a, ctx, &ids, NULL, &n);
    pt_audience_free(a);
    if (rc)
        return fail(errmsg, errmsg_len, rc, "evaluating the audience: %s", pt_db_errmsg(db));
    st->audience = (int64_t)n;
    for (size_t k = 0; k < n && rc == PT_OK; k++) {
        if (c.budget_points > 0 && c.offer_kind == PT_OFFER_POINTS && st->points + c.offer_points > c.budget_points) {
            st->over_budget = (int64_t)(n - k);
            break;
        }
        rc = launch_one(db, l, &c, ids[k], now, st);
        if (rc)
            fail(errmsg, errmsg_len, rc, "member %lld: %s", (long long)ids[k],
                 l && c.offer_kind != PT_OFFER_MESSAGE ? pt_ledger_errmsg(l) : pt_db_errmsg(db));
    }
    free(ids);
    if (rc)
        return rc;
    /* the counts are the store's, so a re-run after an interrupted launch adds up */
    int64_t arms[2] = {0, 0};
    rc = pt_store_campaign_member_list(s, id, count_arm, arms);
    if (rc == PT_OK) {
        c.status = PT_CAMPAIGN_LAUNCHED;
        c.launched_at = c.launched_at ? c.launched_at : now;
        c.control = arms[0];
        c.treated = arms[1];
        rc = pt_store_campaign_update(s, &c);
    }
    if (rc)
        return fail(errmsg, errmsg_len, rc, "%s", pt_db_errmsg(db));
    return PT_OK;
}

/* --- scheduled launches ------------------------------------------------------------------- */

struct due_ids {
    int64_t v[256];
    int     n;
    int64_t now;
};

static int collect_due_campaign(void *ud, const pt_campaign_rec *c)
{
    struct due_ids *d = ud;
    if (c->status == PT_CAMPAIGN_DRAFT && c->starts_at <= d->now && d->n < (int)(sizeof d->v / sizeof *d->v))
        d->v[d->n++] = c->id;
    return PT_OK;
}

/* One due campaign over its own snapshot (the previous launch changed balances). */
static int launch_scheduled(pt_db *db, pt_ledger *l, int64_t id, int64_t now, char *errmsg, size_t errmsg_len)
{
    pt_audience_env env;
    char why[512];
    int rc = pt_audience_env_open(&env, db, l, now, 1, why, sizeof why);
    if (rc)
        return fail(errmsg, errmsg_len, rc, "campaign %lld: %s", (long long)id, why);
    rc = pt_campaign_launch(db, l, id, &env.ctx, NULL, errmsg, errmsg_len);
    pt_audience_env_close(&env);
    return rc;
}

int pt_campaign_launch_due(pt_db *db, int *launched, char *errmsg, size_t errmsg_len)
{
    int local;
    launched = launched ? launched : &local;
    *launched = 0;
    struct due_ids d = {.n = 0, .now = pt_db_now(db)};
    int rc = pt_store_campaign_list(pt_db_store(db), collect_due_campaign, &d);
    if (rc)
        return fail(errmsg, errmsg_len, rc, "listing campaigns: %s", pt_db_errmsg(db));
    if (!d.n)
        return PT_OK;
    pt_ledger *l = NULL;
    char why[256];
    if (pt_ledger_open_current(&l, db, why, sizeof why) != PT_OK)
        l = NULL; /* message-only campaigns still launch; offers fail with a clear message */
    for (int k = 0; k < d.n && rc == PT_OK; k++) {
        rc = launch_scheduled(db, l, d.v[k], d.now, errmsg, errmsg_len);
        if (rc == PT_OK)
            (*launched)++;
    }
    pt_ledger_close(l);
    return rc;
}

/* --- uplift ------------------------------------------------------------------------------- */

static double two_sided_normal_p(double z)
{
    return 2.0 * gsl_cdf_ugaussian_Q(fabs(z));
}

/* Difference of two proportions, unpooled standard error for the interval and pooled for the
 * test (the usual pairing: the test is under "no difference"). */
static void prop_diff(pt_uplift_diff *d, double pt, int64_t nt, double pc, int64_t nc, double conf)
{
    double z = gsl_cdf_ugaussian_Pinv(1.0 - (1.0 - conf) / 2.0);
    d->diff = pt - pc;
    double se = sqrt(pt * (1 - pt) / (double)nt + pc * (1 - pc) / (double)nc);
    d->lo = d->diff - z * se;
    d->hi = d->diff + z * se;
    double pool = (pt * (double)nt + pc * (double)nc) / (double)(nt + nc);
    double se0 = sqrt(pool * (1 - pool) * (1.0 / (double)nt + 1.0 / (double)nc));
    d->p = se0 > 0 ? two_sided_normal_p(d->diff / se0) : (d->diff == 0 ? 1.0 : 0.0);
    d->significant = d->p < 1.0 - conf;
}

/* Welch's t interval and test for a difference of means. */
static void mean_diff(pt_uplift_diff *d, double mt, double vt, int64_t nt, double mc, double vc, int64_t nc,
                      double conf)
{
    d->diff = mt - mc;
    double at = vt / (double)nt, ac = vc / (double)nc;
    double se = sqrt(at + ac);
    if (se <= 0) {
        d->lo = d->hi = d->diff;
        d->p = d->diff == 0 ? 1.0 : 0.0;
        d->significant = d->p < 1.0 - conf;
        return;
    }
    double df = (at + ac) * (at + ac) / (at * at / (double)(nt - 1) + ac * ac / (double)(nc - 1));
    double t = gsl_cdf_tdist_Pinv(1.0 - (1.0 - conf) / 2.0, df);
    d->lo = d->diff - t * se;
    d->hi = d->diff + t * se;
    d->p = 2.0 * gsl_cdf_tdist_Q(fabs(d->diff / se), df);
    d->significant = d->p < 1.0 - conf;
}

struct acc {
    int64_t n, conv, rep;
    double  sum_o, sum_oo, sum_r, sum_rr;
};

static void arm_of(pt_uplift_arm *a, const struct acc *x, double *var_o, double *var_r)
{
    double n = (double)x->n;
    a->n = x->n;
    a->conversion = (double)x->conv / n;
    a->repurchase = (double)x->rep / n;
    a->orders = x->sum_o / n;
    a->revenue = x->sum_r / n;
    *var_o = (x->sum_oo - n * a->orders * a->orders) / (n - 1);
    *var_r = (x->sum_rr - n * a->revenue * a->revenue) / (n - 1);
    if (*var_o < 0)
        *var_o = 0;
    if (*var_r < 0)
        *var_r = 0;
    a->revenue_sd = sqrt(*var_r);
}

int pt_uplift_compute(pt_uplift *out, const int *arm, const int64_t *orders, const int64_t *revenue, size_t n,
                      double confidence)
{
    memset(out, 0, sizeof *out);
    if (!(confidence > 0 && confidence < 1))
        return PT_EINVAL;
    struct acc x[2] = {{0}, {0}};
    for (size_t k = 0; k < n; k++) {
        struct acc *a = &x[arm[k] ? 1 : 0];
        double o = (double)orders[k], r = (double)revenue[k];
        a->n++;
        a->conv += orders[k] >= 1;
        a->rep += orders[k] >= 2;
        a->sum_o += o;
        a->sum_oo += o * o;
        a->sum_r += r;
        a->sum_rr += r * r;
    }
    if (x[0].n < 2 || x[1].n < 2)
        return PT_EINVAL;
    out->confidence = confidence;
    double vto, vtr, vco, vcr;
    arm_of(&out->t, &x[1], &vto, &vtr);
    arm_of(&out->c, &x[0], &vco, &vcr);
    prop_diff(&out->conversion, out->t.conversion, x[1].n, out->c.conversion, x[0].n, confidence);
    prop_diff(&out->repurchase, out->t.repurchase, x[1].n, out->c.repurchase, x[0].n, confidence);
    mean_diff(&out->revenue, out->t.revenue, vtr, x[1].n, out->c.revenue, vcr, x[0].n, confidence);
    mean_diff(&out->orders, out->t.orders, vto, x[1].n, out->c.orders, vco, x[0].n, confidence);
    out->incremental_revenue = out->revenue.diff * (double)x[1].n;
    out->incremental_orders = out->orders.diff * (double)x[1].n;
    return PT_OK;
}

/* --- report ------------------------------------------------------------------------------- */

struct outcomes {
    const pt_snapshot *snap;
    int64_t            from, to;
    size_t             n, cap;
    int               *arm;
    int64_t           *orders, *revenue;
    size_t             cursor;   /* snapshot index: members come ascending */
};

static int add_outcome(void *ud, const pt_campaign_member_rec *m)
{
    struct outcomes *o = ud;
    const pt_snapshot *snap = o->snap;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 1024;
        int *a = realloc(o->arm, cap * sizeof *a);
        if (a)
            o->arm = a;
        int64_t *b = realloc(o->orders, cap * sizeof *b);
        if (b)
            o->orders = b;
        int64_t *r = realloc(o->revenue, cap * sizeof *r);
        if (r)
            o->revenue = r;
        if (!a || !b || !r)
            return PT_ENOMEM;
        o->cap = cap;
    }
    while (o->cursor < snap->nmembers && snap->member_id[o->cursor] < m->member_id)
        o->cursor++;
    int64_t orders = 0, cents = 0;
    if (o->cursor < snap->nmembers && snap->member_id[o->cursor] == m->member_id) {
        size_t i = o->cursor;
        for (size_t r = snap->first[i]; r < snap->first[i + 1]; r++) {
            if (snap->order_status[r] != PT_ORDER_PAID || snap->order_at[r] < o->from || snap->order_at[r] >= o->to)
                continue;
            orders++;
            cents += snap->order_cents[r];
        }
    }
    /* a member merged away or erased since launch keeps its arm with no outcome: dropping it
     * would bias the comparison toward members who stayed */
    o->arm[o->n] = m->arm;
    o->orders[o->n] = orders;
    o->revenue[o->n] = cents;
    o->n++;
    return PT_OK;
}

int pt_campaign_report_compute(pt_db *db, int64_t id, const pt_snapshot *snap, int64_t as_of, const pt_programme *p,
                               double confidence, pt_campaign_report *out, char *errmsg, size_t errmsg_len)
{
    memset(out, 0, sizeof *out);
    pt_store *s = pt_db_store(db);
    int rc = pt_store_campaign_get(s, id, &out->c);
    if (rc)
        return fail(errmsg, errmsg_len, rc, "campaign %lld: not found", (long long)id);
    if (out->c.status != PT_CAMPAIGN_LAUNCHED)
        return fail(errmsg, errmsg_len, PT_ESTATE, "campaign %lld has not been launched", (long long)id);
    out->window_from = out->c.launched_at;
    out->window_to = out->c.ends_at && out->c.ends_at < as_of ? out->c.ends_at : as_of;
    struct outcomes o = {.snap = snap, .from = out->window_from, .to = out->window_to};
    rc = pt_store_campaign_member_list(s, id, add_outcome, &o);
    if (rc == PT_OK) {
        rc = pt_uplift_compute(&out->u, o.arm, o.orders, o.revenue, o.n, confidence);
        if (rc)
            fail(errmsg, errmsg_len, rc, "campaign %lld: each arm needs at least 2 members (treated %lld, control %lld)",
                 (long long)id, (long long)out->c.treated, (long long)out->c.control);
    } else {
        fail(errmsg, errmsg_len, rc, "%s", pt_db_errmsg(db));
    }
    free(o.arm);
    free(o.orders);
    free(o.revenue);
    if (rc)
        return rc;
    out->points_cost = out->c.offer_kind == PT_OFFER_POINTS ? out->c.offer_points * out->u.t.n : 0;
    out->points_cost_cents = p ? pt_ledger_points_value_cents(p, out->points_cost) : 0;
    if (out->c.offer_kind == PT_OFFER_COUPON)
        out->points_cost_cents = out->c.offer_cents * out->u.t.n; /* upper bound: every coupon used */
    out->cost_per_incremental_order_cents =
        out->u.incremental_orders > 0 ? (double)out->points_cost_cents / out->u.incremental_orders : 0;
    return PT_OK;
}

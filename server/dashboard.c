/* dashboard.c — the dashboard panels' JSON: the handle (snapshot loaded once and reloaded after
 * ttl_s, caches dropped with it), the dispatch by panel name, parameter parsing, and the
 * period panels — meta, overview, trends, cohorts, lifecycle, tiers (with the programme's
 * activity per month from points_activity.h). The member-level panels
 * (segments, value, churn, member) are in dashboard_value.c.
 *
 * Invariants: every figure comes from a libpatron analysis (metrics.h, lifecycle.h, rfm.h,
 * clv.h) over the snapshot — this file adds no definitions of its own, so the overview's KPIs
 * are pt_metrics_kpi's, byte for byte what `patron kpi --json` prints for the same [from, to).
 * Everything runs under d->mu; a failed request leaves the caches as they were. */
#include "dashboard_int.h"
#include "dashboard_params.h"

#include "patron/error.h"
#include "patron/ledger.h"
#include "patron/lifecycle.h"
#include "patron/metrics.h"
#include "patron/points_activity.h"
#include "patron/programme.h"
#include "patron/tz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DASH_TREND_MONTHS_MAX 120 /* months in one trends or lifecycle request */
#define DASH_SPARK_MONTHS     12

int pt_dash_open(pt_dash **out, int ttl_s)
{
    *out = NULL;
    if (ttl_s < 0)
        return PT_EINVAL;
    pt_dash *d = calloc(1, sizeof *d);
    if (!d)
        return PT_ENOMEM;
    if (pthread_mutex_init(&d->mu, NULL)) {
        free(d);
        return PT_ENOMEM;
    }
    if (pthread_mutex_init(&d->load_mu, NULL)) {
        pthread_mutex_destroy(&d->mu);
        free(d);
        return PT_ENOMEM;
    }
    d->ttl_s = ttl_s;
    *out = d;
    return PT_OK;
}

void pt_dash_stats_get(pt_dash *d, pt_dash_stats *out)
{
    *out = (pt_dash_stats){atomic_load(&d->n_loads), atomic_load(&d->n_borrows), atomic_load(&d->n_rfm),
                           atomic_load(&d->n_clv),   atomic_load(&d->n_lc),      atomic_load(&d->n_ledger)};
}

void pt_dash_set_source(pt_dash *d, const pt_dash_source *src)
{
    d->src = *src;
    d->has_source = 1;
}

static int64_t mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

/* --- snapshot generations ----------------------------------------------------------------------- */

/* A generation over snap (one reference, the caller's), or NULL when out of memory. */
static struct dash_gen *gen_new(const pt_snapshot *snap, uint64_t id)
{
    struct dash_gen *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    if (pthread_mutex_init(&g->mu, NULL)) {
        free(g);
        return NULL;
    }
    g->refs = 1;
    g->id = id;
    g->snap = snap;
    g->loaded_at = mono_s();
    for (size_t k = 0; k < snap->norders; k++)
        g->last_order_at = snap->order_at[k] > g->last_order_at ? snap->order_at[k] : g->last_order_at;
    return g;
}

static void gen_free(pt_dash *d, struct dash_gen *g)
{
    dash_gen_caches_free(g);
    pthread_mutex_destroy(&g->mu);
    pt_snapshot_free(g->own);
    if (g->ref)
        d->src.release(d->src.ud, g->ref);
    free(g);
}

static void gen_put(pt_dash *d, struct dash_gen *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&d->mu);
    int last = --g->refs == 0;
    pthread_mutex_unlock(&d->mu);
    if (last)
        gen_free(d, g);
}

/* Makes g (holding one reference for cur) current; returns the one it replaces, for gen_put. */
static struct dash_gen *gen_install(pt_dash *d, struct dash_gen *g)
{
    struct dash_gen *old = d->cur;
    d->cur = g;
    return old;
}

/* The source's current snapshot as a generation, with a reference for the caller: the
 * current one when it is that snapshot already (or a newer one). */
static int gen_borrow(pt_dash *d, pt_db *db, struct dash_gen **out)
{
    const pt_snapshot *snap;
    uint64_t id;
    void *ref;
    int rc = d->src.acquire(d->src.ud, db, &snap, &id, &ref);
    if (rc)
        return rc;
    pthread_mutex_lock(&d->mu);
    struct dash_gen *g = d->cur;
    if (g && g->id >= id) {
        g->refs++;
        pthread_mutex_unlock(&d->mu);
        d->src.release(d->src.ud, ref);
        *out = g;
        return PT_OK;
    }
    pthread_mutex_unlock(&d->mu);
    g = gen_new(snap, id); /* the scan for the last order runs outside the lock */
    if (!g) {
        d->src.release(d->src.ud, ref);
        return PT_ENOMEM;
    }
    g->ref = ref;
    atomic_fetch_add(&d->n_borrows, 1);
    pthread_mutex_lock(&d->mu);
    struct dash_gen *old = NULL;
    if (!d->cur || d->cur->id < id) {
        g->refs++; /* cur's reference */
        old = gen_install(d, g);
    } /* else another call installed this generation or a newer one meanwhile: g is private */
    pthread_mutex_unlock(&d->mu);
    gen_put(d, old);
    *out = g;
    return PT_OK;
}

/* Loads a snapshot of our own into a new current generation (the caller holds load_mu). */
static int gen_load(pt_dash *d, pt_db *db, struct dash_gen **out)
{
    pt_snapshot *snap = NULL;
    atomic_fetch_add(&d->n_loads, 1);
    int rc = pt_snapshot_load(&snap, pt_db_store(db), NULL, NULL);
    struct dash_gen *g = rc ? NULL : gen_new(snap, 0);
    if (!rc && !g)
        rc = PT_ENOMEM;
    if (rc) {
        pt_snapshot_free(snap);
        pthread_mutex_lock(&d->mu);
        d->loading = 0;
        pthread_mutex_unlock(&d->mu);
        return rc;
    }
    g->own = snap;
    pthread_mutex_lock(&d->mu);
    g->id = ++d->loads;
    g->refs = 2; /* cur's and the caller's */
    struct dash_gen *old = gen_install(d, g);
    d->loading = 0;
    pthread_mutex_unlock(&d->mu);
    gen_put(d, old);
    *out = g;
    return PT_OK;
}

/* Our own snapshot, loaded when absent or older than ttl_s. While one call loads a newer one,
 * the others go on reading the current generation; only when there is none yet do they wait
 * for the load. */
static int gen_own(pt_dash *d, pt_db *db, struct dash_gen **out)
{
    pthread_mutex_lock(&d->mu);
    struct dash_gen *g = d->cur;
    if (g && (mono_s() - g->loaded_at < d->ttl_s || d->loading)) {
        g->refs++;
        pthread_mutex_unlock(&d->mu);
        *out = g;
        return PT_OK;
    }
    d->loading = 1;
    pthread_mutex_unlock(&d->mu);
    pthread_mutex_lock(&d->load_mu);
    if (!g) { /* the first load: whoever got here first may have made one meanwhile */
        pthread_mutex_lock(&d->mu);
        struct dash_gen *now = d->cur;
        if (now) {
            now->refs++;
            d->loading = 0;
        }
        pthread_mutex_unlock(&d->mu);
        if (now) {
            pthread_mutex_unlock(&d->load_mu);
            *out = now;
            return PT_OK;
        }
    }
    int rc = gen_load(d, db, out);
    pthread_mutex_unlock(&d->load_mu);
    return rc;
}

static int gen_acquire(pt_dash *d, pt_db *db, struct dash_gen **out)
{
    *out = NULL;
    return d->has_source ? gen_borrow(d, db, out) : gen_own(d, db, out);
}

void pt_dash_close(pt_dash *d)
{
    if (!d)
        return;
    gen_put(d, d->cur);
    pthread_mutex_destroy(&d->load_mu);
    pthread_mutex_destroy(&d->mu);
    free(d);
}

void pt_dash_invalidate(pt_dash *d)
{
    pthread_mutex_lock(&d->mu);
    struct dash_gen *old = gen_install(d, NULL);
    pthread_mutex_unlock(&d->mu);
    gen_put(d, old);
}

/* --- helpers shared with dashboard_value.c ------------------------------------------------- */

int dash_fail(struct dash_req *r, int status, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_decref(r->res->body);
    r->res->body = json_pack("{s:s}", "error", msg);
    r->res->status = status;
    /* "parameter 'NAME': …" names the field for the server's error body */
    const char *q = strncmp(msg, "parameter '", 11) == 0 ? msg + 11 : NULL;
    const char *e = q ? strchr(q, '\'') : NULL;
    if (e && (size_t)(e - q) < sizeof r->res->field)
        snprintf(r->res->field, sizeof r->res->field, "%.*s", (int)(e - q), q);
    return status;
}

const char *dash_zone(const struct dash_req *r)
{
    return pt_db_config(r->db)->timezone;
}

int dash_date(struct dash_req *r, const char *name, int64_t dflt, int64_t *t)
{
    const char *s = r->param(r->ud, name);
    if (!s || !*s) {
        *t = dflt;
        return 0;
    }
    pt_civil c = {0};
    if (pt_dash_parse_date(s, &c.year, &c.month, &c.day))
        return dash_fail(r, 400, "parameter '%s': '%.32s' is not a date (YYYY-MM-DD)", name, s);
    if (pt_tz_utc(dash_zone(r), &c, t) != PT_OK)
        return dash_fail(r, 500, "the time zone '%s' in config.json is not known", dash_zone(r));
    return 0;
}

int dash_int(struct dash_req *r, const char *name, int64_t dflt, int64_t lo, int64_t hi, int64_t *v)
{
    const char *s = r->param(r->ud, name);
    if (!s || !*s) {
        *v = dflt;
        return 0;
    }
    if (pt_dash_parse_int(s, lo, hi, v))
        return dash_fail(r, 400, "parameter '%s': '%.32s' is not a whole number from %lld to %lld", name, s,
                         (long long)lo, (long long)hi);
    return 0;
}

/* The 12 complete months before the current one — or, when the orders stop earlier (imported
 * history, the demo data), the 12 months up to the last order's month, so the first view shows
 * data rather than empty months. */
int dash_default_period(const struct dash_req *r, int64_t *from, int64_t *to)
{
    const char *zone = dash_zone(r);
    int64_t last_month, last_order_at = r->g->last_order_at;
    if (pt_tz_start_of(zone, PT_TZ_MONTH, pt_db_now(r->db), to))
        return PT_EINVAL;
    if (last_order_at && last_order_at < *to) {
        if (pt_tz_start_of(zone, PT_TZ_MONTH, last_order_at, &last_month) ||
            pt_tz_add(zone, PT_TZ_MONTH, last_month, 1, to))
            return PT_EINVAL;
    }
    return pt_tz_add(zone, PT_TZ_MONTH, *to, -12, from) ? PT_EINVAL : PT_OK;
}

int dash_period(struct dash_req *r, int64_t *from, int64_t *to)
{
    int64_t df, dt;
    if (dash_default_period(r, &df, &dt))
        return dash_fail(r, 500, "the time zone '%s' in config.json is not known", dash_zone(r));
    if (dash_date(r, "from", df, from) || dash_date(r, "to", dt, to))
        return r->res->status;
    if (*to <= *from)
        return dash_fail(r, 400, "parameter 'to': must be after 'from'");
    return 0;
}

static json_t *civil_json(const struct dash_req *r, int64_t t, int month)
{
    pt_civil c;
    char buf[32];
    if (pt_tz_civil(dash_zone(r), t, &c) != PT_OK)
        return json_null();
    if (month)
        snprintf(buf, sizeof buf, "%04d-%02d", c.year, c.month);
    else
        snprintf(buf, sizeof buf, "%04d-%02d-%02d", c.year, c.month, c.day);
    return json_string(buf);
}

json_t *dash_date_json(const struct dash_req *r, int64_t t)
{
    return civil_json(r, t, 0);
}

json_t *dash_month_json(const struct dash_req *r, int64_t t)
{
    return civil_json(r, t, 1);
}

json_t *dash_opt_int(int64_t v)
{
    return v == PT_METRICS_NONE ? json_null() : json_integer((json_int_t)v);
}


/* --- meta ------------------------------------------------------------------------------------ */

int dash_meta(struct dash_req *r)
{
    const pt_snapshot *s = r->g->snap;
    int64_t from, to, first = 0, last = 0;
    if (dash_default_period(r, &from, &to))
        return dash_fail(r, 500, "the time zone '%s' in config.json is not known", dash_zone(r));
    for (size_t k = 0; k < s->norders; k++) {
        first = !first || s->order_at[k] < first ? s->order_at[k] : first;
        last = s->order_at[k] > last ? s->order_at[k] : last;
    }
    json_t *ch = json_array();
    for (size_t k = 0; s->order_channel && k < s->nchannel_names; k++)
        json_array_append_new(ch, json_string(s->channel_names[k]));
    r->res->body = json_pack("{s:s,s:s,s:I,s:o,s:o,s:o,s:o,s:o,s:I,s:I}", "personal",
                             r->personal == PT_DASH_MASKED ? "masked" : "pseudonymous", "zone", dash_zone(r), "now",
                             (json_int_t)pt_db_now(r->db), "default_from", dash_date_json(r, from),
                             "default_to", dash_date_json(r, to), "first_order_date",
                             first ? dash_date_json(r, first) : json_null(), "last_order_date",
                             last ? dash_date_json(r, last) : json_null(), "channels", ch, "members",
                             (json_int_t)s->nmembers, "orders", (json_int_t)s->norders);
    return 200;
}

/* --- overview and trends --------------------------------------------------------------------- */

/* The KPIs under the keys of `patron kpi --json`. */
static json_t *kpi_json(const struct dash_req *r, const pt_kpi *k)
{
    json_t *o = json_pack("{s:I,s:I,s:o,s:o}", "from", (json_int_t)k->from, "to", (json_int_t)k->to, "from_date",
                          dash_date_json(r, k->from), "to_date", dash_date_json(r, k->to));
    json_object_set_new(o, "members", json_integer((json_int_t)k->members));
    json_object_set_new(o, "members_new", json_integer((json_int_t)k->members_new));
    json_object_set_new(o, "active", json_integer((json_int_t)k->active));
    json_object_set_new(o, "orders", json_integer(k->orders));
    json_object_set_new(o, "revenue_cents", json_integer(k->revenue_cents));
    json_object_set_new(o, "aov_cents", dash_opt_int(k->aov_cents));
    json_object_set_new(o, "frequency_x100", dash_opt_int(k->frequency_x100));
    json_object_set_new(o, "anonymous_no_consent", json_integer((json_int_t)k->anonymous_no_consent));
    json_object_set_new(o, "anonymous_erased", json_integer((json_int_t)k->anonymous_erased));
    json_object_set_new(o, "buyers", json_integer((json_int_t)k->buyers));
    json_object_set_new(o, "repeat_buyers", json_integer((json_int_t)k->repeat_buyers));
    json_object_set_new(o, "repurchase_bp", dash_opt_int(k->repurchase_bp));
    json_object_set_new(o, "ever_buyers", json_integer((json_int_t)k->ever_buyers));
    json_object_set_new(o, "ever_repeat", json_integer((json_int_t)k->ever_repeat));
    json_object_set_new(o, "repurchase_ever_bp", dash_opt_int(k->repurchase_ever_bp));
    json_object_set_new(o, "prev_active", json_integer((json_int_t)k->prev_active));
    json_object_set_new(o, "churned", json_integer((json_int_t)k->churned));
    json_object_set_new(o, "churn_bp", dash_opt_int(k->churn_bp));
    return o;
}

/* The `channel` parameter: −1 for all, else the snapshot's channel index. */
static int channel_param(struct dash_req *r, int32_t *ch)
{
    const char *name = r->param(r->ud, "channel");
    *ch = -1;
    if (!name || !*name)
        return 0;
    int k = r->g->snap->order_channel ? pt_snapshot_channel(r->g->snap, name) : -1;
    if (k < 0)
        return dash_fail(r, 400, "parameter 'channel': no orders come from channel '%.64s'", name);
    *ch = k;
    return 0;
}

static int kpi_of(const pt_snapshot *s, int64_t from, int64_t to, int32_t ch, pt_kpi *k)
{
    if (ch < 0) /* exactly what `patron kpi` computes */
        return pt_metrics_kpi(k, s, from, to);
    pt_kpi_slice sl = {.group = NULL, .g = 0, .channel = ch};
    return pt_metrics_kpi_slice(k, s, from, to, &sl);
}

static json_t *nps_json(const pt_nps *n)
{
    return json_pack("{s:o,s:I,s:I,s:I,s:I}", "nps_x100", dash_opt_int(n->nps_x100), "answers",
                     (json_int_t)n->answers, "promoters", (json_int_t)n->promoters, "passives",
                     (json_int_t)n->passives, "detractors", (json_int_t)n->detractors);
}

/* One row per local month of [from, to) (whole months): the KPIs of that month. */
static int monthly(struct dash_req *r, int64_t from, int64_t to, int32_t ch, json_t **out)
{
    int64_t *m = NULL;
    size_t n = 0;
    int rc = pt_metrics_months(dash_zone(r), from, to, 0, &m, &n);
    if (rc)
        return dash_fail(r, 400, "the period has more than %d months", PT_METRICS_MONTHS_MAX);
    if (n > DASH_TREND_MONTHS_MAX) {
        free(m);
        return dash_fail(r, 400, "the period has %zu months; at most %d", n, DASH_TREND_MONTHS_MAX);
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        pt_kpi k;
        rc = kpi_of(r->g->snap, m[i], m[i + 1], ch, &k);
        if (rc)
            break;
        json_array_append_new(arr, json_pack("{s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o}", "month",
                                             dash_month_json(r, m[i]), "members", (json_int_t)k.members,
                                             "members_new", (json_int_t)k.members_new, "active",
                                             (json_int_t)k.active, "churned", (json_int_t)k.churned, "orders",
                                             (json_int_t)k.orders, "revenue_cents", (json_int_t)k.revenue_cents,
                                             "aov_cents", dash_opt_int(k.aov_cents), "repurchase_bp",
                                             dash_opt_int(k.repurchase_bp), "churn_bp", dash_opt_int(k.churn_bp)));
    }
    free(m);
    if (rc) {
        json_decref(arr);
        return dash_fail(r, 500, "monthly KPIs: %s", pt_strerror(rc));
    }
    *out = arr;
    return 0;
}

int dash_overview(struct dash_req *r)
{
    int64_t from, to;
    int32_t ch;
    if (dash_period(r, &from, &to) || channel_param(r, &ch))
        return r->res->status;
    const pt_snapshot *s = r->g->snap;
    pt_kpi cur, prev;
    pt_nps ncur, nprev;
    int64_t len = to - from;
    int rc = kpi_of(s, from, to, ch, &cur);
    if (!rc)
        rc = kpi_of(s, from - len, from, ch, &prev);
    if (!rc)
        rc = pt_metrics_nps(&ncur, s, "nps", from, to);
    if (!rc)
        rc = pt_metrics_nps(&nprev, s, "nps", from - len, from);
    if (rc)
        return dash_fail(r, 500, "KPIs: %s", pt_strerror(rc));
    /* the sparkline: the 12 months up to the period's last one */
    int64_t last_month, spark_from;
    json_t *spark = NULL;
    if (pt_tz_start_of(dash_zone(r), PT_TZ_MONTH, to - 1, &last_month) ||
        pt_tz_add(dash_zone(r), PT_TZ_MONTH, last_month, 1 - DASH_SPARK_MONTHS, &spark_from))
        return dash_fail(r, 500, "the time zone '%s' in config.json is not known", dash_zone(r));
    if (monthly(r, spark_from, to, ch, &spark))
        return r->res->status;
    json_t *points = json_null();
    pt_points_tiers pt;
    if (pt_metrics_points(&pt, s) == PT_OK) {
        json_decref(points);
        points = json_pack("{s:I,s:I,s:I}", "liability_points", (json_int_t)pt.liability_points, "pending_points",
                           (json_int_t)pt.pending_points, "holders", (json_int_t)pt.holders);
        pt_metrics_points_free(&pt);
    }
    const char *chname = ch >= 0 ? s->channel_names[ch] : NULL;
    r->res->body = json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "zone", dash_zone(r), "channel",
                             chname ? json_string(chname) : json_null(), "period", kpi_json(r, &cur),
                             "previous", kpi_json(r, &prev), "nps", nps_json(&ncur), "previous_nps",
                             nps_json(&nprev), "points", points, "spark", spark);
    return 200;
}

int dash_trends(struct dash_req *r)
{
    int64_t from, to;
    int32_t ch;
    json_t *months;
    if (dash_period(r, &from, &to) || channel_param(r, &ch) || monthly(r, from, to, ch, &months))
        return r->res->status;
    r->res->body = json_pack("{s:s,s:o,s:o,s:o}", "zone", dash_zone(r), "from_date", dash_date_json(r, from),
                             "to_date", dash_date_json(r, to), "months", months);
    return 200;
}

/* --- cohorts, lifecycle, tiers ---------------------------------------------------------------- */

int dash_cohorts(struct dash_req *r)
{
    int64_t from, to, months;
    if (dash_period(r, &from, &to) || dash_int(r, "months", 12, 1, PT_COHORT_MONTHS_MAX, &months))
        return r->res->status;
    pt_cohorts c;
    int rc = pt_metrics_cohorts(&c, r->g->snap, dash_zone(r), from, to, (int)months);
    if (rc == PT_EINVAL)
        return dash_fail(r, 400, "the period has more than %d months", PT_METRICS_MONTHS_MAX);
    if (rc)
        return dash_fail(r, 500, "cohorts: %s", pt_strerror(rc));
    json_t *arr = json_array();
    for (size_t i = 0; i < c.n; i++) {
        json_t *ret = json_array();
        for (int k = 0; k <= c.months; k++)
            json_array_append_new(ret, json_integer((json_int_t)c.cohorts[i].retained[k]));
        json_array_append_new(arr, json_pack("{s:o,s:I,s:i,s:o}", "month", dash_month_json(r, c.cohorts[i].month),
                                             "size", (json_int_t)c.cohorts[i].size, "observed", c.cohorts[i].observed,
                                             "retained", ret));
    }
    r->res->body = json_pack("{s:i,s:I,s:o}", "months", c.months, "anonymous", (json_int_t)c.anonymous, "cohorts", arr);
    pt_metrics_cohorts_free(&c);
    return 200;
}

static json_t *stages_json(const pt_lifecycle_counts *c)
{
    json_t *a = json_array();
    for (int k = 0; k < PT_LC__COUNT; k++)
        json_array_append_new(a, json_integer((json_int_t)c->stage[k]));
    return a;
}

int dash_lifecycle(struct dash_req *r)
{
    int64_t from, to;
    if (dash_period(r, &from, &to))
        return r->res->status;
    const pt_snapshot *s = r->g->snap;
    pt_lifecycle_opts o;
    pt_lifecycle_thresholds th;
    pt_lifecycle_opts_init(&o);
    int rc = pt_lifecycle_derive(&th, s, &o, to);
    if (rc)
        return dash_fail(r, 500, "lifecycle thresholds: %s", pt_strerror(rc));
    int64_t *ends = NULL, *at = NULL;
    size_t n = 0;
    if (pt_lifecycle_month_ends(dash_zone(r), from, to, &ends, &n) || n > DASH_TREND_MONTHS_MAX) {
        free(ends);
        return dash_fail(r, 400, "the period has more than %d months", DASH_TREND_MONTHS_MAX);
    }
    /* the counts at from and at every month start after it, up to to */
    at = malloc((n + 1) * sizeof *at);
    pt_lifecycle_counts *c = calloc(n + 1, sizeof *c);
    pt_lifecycle_transitions tr;
    rc = at && c ? PT_OK : PT_ENOMEM;
    if (!rc) {
        at[0] = from;
        if (n)
            memcpy(at + 1, ends, n * sizeof *at);
        rc = pt_lifecycle_counts_at(c, s, at, n + 1, &th);
    }
    if (!rc)
        rc = pt_lifecycle_transition_matrix(&tr, s, from, to, &th);
    if (!rc) {
        json_t *stages = json_array(), *months = json_array(), *matrix = json_array();
        for (int k = 0; k < PT_LC__COUNT; k++)
            json_array_append_new(stages, json_pack("{s:s,s:s,s:s}", "key", pt_lifecycle_stage_key(k), "name_en",
                                                    pt_lifecycle_stage_name(k, 0), "name_zh",
                                                    pt_lifecycle_stage_name(k, 1)));
        for (size_t i = 0; i <= n; i++)
            json_array_append_new(months, json_pack("{s:o,s:o,s:I,s:I}", "as_of_date", dash_date_json(r, at[i]),
                                                    "counts", stages_json(&c[i]), "no_consent",
                                                    (json_int_t)c[i].no_consent, "erased", (json_int_t)c[i].erased));
        for (int a = 0; a < PT_LC__COUNT; a++) {
            json_t *row = json_array();
            for (int b = 0; b < PT_LC__COUNT; b++)
                json_array_append_new(row, json_integer((json_int_t)tr.matrix[a][b]));
            json_array_append_new(matrix, row);
        }
        r->res->body = json_pack(
            "{s:{s:i,s:i,s:i,s:b},s:o,s:o,s:{s:o,s:o,s:o}}", "thresholds", "active_days", th.active_days, "churn_days",
            th.churn_days, "new_days", th.new_days, "derived", th.active_derived || th.churn_derived, "stages", stages,
            "months", months, "transitions", "from_date", dash_date_json(r, from), "to_date",
            dash_date_json(r, to), "matrix", matrix);
        r->res->status = 200;
    }
    free(ends);
    free(at);
    free(c);
    if (rc)
        return dash_fail(r, 500, "lifecycle: %s", pt_strerror(rc));
    return 200;
}

/* The programme's tiers, lowest first (codes, and English and Chinese names by code), read
 * from the ledger once per generation; none without a programme. */
static const struct dash_gen *programme_tiers(struct dash_req *r)
{
    struct dash_gen *g = r->g;
    if (g->tiers_valid)
        return g;
    g->ntiers = 0;
    g->tier_names = json_object();
    pt_ledger *l = NULL;
    char err[256];
    atomic_fetch_add(&r->d->n_ledger, 1);
    if (pt_ledger_open_current(&l, r->db, err, sizeof err) == PT_OK) {
        const pt_programme *p = pt_ledger_programme(l);
        for (int k = 0; k < p->ntiers && k < PT_PROG_TIERS_MAX; k++, g->ntiers++) {
            snprintf(g->tier_codes[k], PT_PROG_CODE_MAX, "%s", p->tiers[k].code);
            json_object_set_new(g->tier_names, p->tiers[k].code,
                                json_pack("{s:s,s:s,s:i}", "name_en", p->tiers[k].name_en, "name_zh",
                                          p->tiers[k].name_zh, "rank", k));
        }
        pt_ledger_close(l);
    }
    g->tiers_valid = 1;
    return g;
}

static json_t *activity_json(const struct dash_req *r, const pt_points_month *m, size_t n)
{
    json_t *arr = json_array();
    for (size_t k = 0; k < n; k++)
        json_array_append_new(
            arr, json_pack("{s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "month", dash_month_json(r, m[k].month),
                           "earned", (json_int_t)m[k].earned, "redeemed", (json_int_t)m[k].redeemed, "expired",
                           (json_int_t)m[k].expired, "reversed", (json_int_t)m[k].reversed, "adjusted",
                           (json_int_t)m[k].adjusted, "redemptions", (json_int_t)m[k].redemptions,
                           "redemption_points", (json_int_t)m[k].redemption_points, "tier_up",
                           (json_int_t)m[k].tier_up, "tier_down", (json_int_t)m[k].tier_down, "tier_other",
                           (json_int_t)m[k].tier_other));
    return arr;
}

/* Members per tier and the liability (as loaded), and the programme's activity per month of
 * [from, to): points in and out, redemptions, tier changes up and down. */
int dash_tiers(struct dash_req *r)
{
    int64_t from, to;
    if (dash_period(r, &from, &to))
        return r->res->status;
    const pt_snapshot *s = r->g->snap;
    pt_points_tiers p;
    int rc = pt_metrics_points(&p, s);
    if (rc == PT_ENOTFOUND) {
        r->res->body = json_pack("{s:b}", "has_accounts", 0);
        return 200;
    }
    if (rc)
        return dash_fail(r, 500, "points: %s", pt_strerror(rc));
    const struct dash_gen *pg = programme_tiers(r);
    const char *rank[PT_PROG_TIERS_MAX];
    for (size_t k = 0; k < pg->ntiers; k++)
        rank[k] = pg->tier_codes[k];
    pt_points_month *m = NULL;
    size_t nm = 0;
    rc = pt_points_activity(&m, &nm, pt_db_store(r->db), dash_zone(r), from, to, rank, pg->ntiers);
    if (rc) {
        pt_metrics_points_free(&p);
        return rc == PT_EINVAL ? dash_fail(r, 400, "the period has more than %d months", PT_METRICS_MONTHS_MAX)
                               : dash_fail(r, 500, "points activity: %s", pt_strerror(rc));
    }
    json_t *months = activity_json(r, m, nm);
    free(m);
    json_t *tiers = json_array();
    for (size_t k = 0; k < p.ntiers; k++)
        json_array_append_new(tiers, json_pack("{s:s,s:I}", "name", s->tier_names[k], "members",
                                               (json_int_t)p.members_per_tier[k]));
    r->res->body = json_pack("{s:b,s:I,s:I,s:I,s:I,s:o,s:I,s:o,s:o}", "has_accounts", 1, "liability_points",
                             (json_int_t)p.liability_points, "pending_points", (json_int_t)p.pending_points,
                             "overdrawn_points", (json_int_t)p.overdrawn_points, "holders", (json_int_t)p.holders,
                             "tiers", tiers, "no_tier", (json_int_t)p.members_per_tier[p.ntiers], "tier_names",
                             json_deep_copy(pg->tier_names), "months", months);
    pt_metrics_points_free(&p);
    return 200;
}

/* --- dispatch --------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    int (*fn)(struct dash_req *);
} PANELS[] = {
    {"meta", dash_meta},         {"overview", dash_overview},   {"trends", dash_trends},
    {"cohorts", dash_cohorts},   {"lifecycle", dash_lifecycle}, {"tiers", dash_tiers},
    {"segments", dash_segments}, {"segments/members", dash_segment_members},
    {"value", dash_value},       {"churn", dash_churn},         {"member", dash_member},
};

int pt_dash_panel(pt_dash *d, pt_db *db, const char *panel, pt_dash_param_fn param, void *ud, int personal,
                  pt_dash_result *res)
{
    *res = (pt_dash_result){0};
    struct dash_req r = {d, NULL, db, param, ud, personal, res};
    for (size_t k = 0; k < sizeof PANELS / sizeof PANELS[0]; k++) {
        if (strcmp(panel, PANELS[k].name))
            continue;
        int rc = gen_acquire(d, db, &r.g);
        if (rc) {
            dash_fail(&r, 500, "loading the snapshot: %s", pt_strerror(rc));
        } else {
            pthread_mutex_lock(&r.g->mu);
            r.g->uses++;
            if (PANELS[k].fn(&r) == 200)
                res->status = 200;
            pthread_mutex_unlock(&r.g->mu);
            gen_put(d, r.g);
        }
        if (res->status == 200 && !res->body && !res->csv)
            dash_fail(&r, 500, "out of memory");
        return res->status;
    }
    return dash_fail(&r, 404, "no dashboard panel '%.64s'", panel);
}

void pt_dash_result_free(pt_dash_result *res)
{
    json_decref(res->body);
    free(res->csv);
    *res = (pt_dash_result){0};
}

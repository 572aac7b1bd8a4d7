/* routes_analytics.c — analytics reads over a snapshot that is refreshed, not rebuilt per
 * request: RFM per member, the segment summary, lifecycle stage counts and KPIs.
 *
 * A view (snapshot + RFM + lifecycle as of the load time) is built when the serve loop starts
 * and then by its periodic job every opts.snapshot_refresh seconds (a request that comes before
 * the first build waits for it); requests take a reference to the current view under a mutex and drop it
 * when done, so a refresh never frees a view still being read. Members without analytics
 * consent, and erased ones, are not in the rows (libpatron's rule) — a per-member request
 * for them is 404 not_in_analytics, the same answer as for an unknown member, so consent is
 * not revealed to analysts either.
 *
 * The view's snapshot is the server's only one: the dashboard borrows it (analytics_view.h,
 * routes_dashboard.c) with a reference of its own, numbered by generation so it knows when a
 * refresh has replaced it.
 */
#include "server_int.h"
#include "analytics_view.h"
#include "patron/error.h"
#include "patron/lifecycle.h"
#include "patron/metrics.h"
#include "patron/rfm.h"
#include "patron/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct view {
    int           refs;
    uint64_t      gen;    /* 1, 2, … in the order the views were made current */
    int64_t       as_of;
    pt_snapshot  *snap;
    pt_rfm        rfm;
    pt_lifecycle  lc;
};

struct srv_analytics {
    pthread_mutex_t mu;
    pthread_mutex_t build_mu; /* one build at a time */
    struct view    *cur;
    uint64_t        gens;     /* views made current so far (under mu) */
};

static void view_put(struct srv_analytics *a, struct view *v)
{
    if (!v)
        return;
    pthread_mutex_lock(&a->mu);
    int last = --v->refs == 0;
    pthread_mutex_unlock(&a->mu);
    if (!last)
        return;
    pt_rfm_free(&v->rfm);
    pt_lifecycle_free(&v->lc);
    pt_snapshot_free(v->snap);
    free(v);
}

static int view_build(pt_db *db, struct view **out)
{
    struct view *v = calloc(1, sizeof *v);
    if (!v)
        return PT_ENOMEM;
    v->refs = 1;
    v->as_of = pt_db_now(db);
    int rc = pt_snapshot_load(&v->snap, pt_db_store(db), NULL, NULL);
    pt_rfm_opts ro;
    pt_rfm_opts_init(&ro, v->as_of);
    ro.threads = 1; /* the pool threads serve requests meanwhile */
    if (rc == PT_OK)
        rc = pt_rfm_compute(&v->rfm, v->snap, &ro);
    pt_lifecycle_opts lo;
    pt_lifecycle_opts_init(&lo);
    pt_lifecycle_thresholds th;
    if (rc == PT_OK)
        rc = pt_lifecycle_derive(&th, v->snap, &lo, v->as_of);
    if (rc == PT_OK)
        rc = pt_lifecycle_compute(&v->lc, v->snap, v->as_of, &th);
    if (rc) {
        if (v->snap) {
            pt_rfm_free(&v->rfm);
            pt_snapshot_free(v->snap);
        }
        free(v);
        return rc;
    }
    *out = v;
    return PT_OK;
}

/* Builds a view with db and makes it current; with only_if_none, nothing when one exists by
 * the time this caller's turn to build comes (requests racing for the first view build once). */
static int refresh_with(struct pt_server *srv, pt_db *db, int only_if_none)
{
    struct srv_analytics *a = srv->analytics;
    struct view *v;
    pthread_mutex_lock(&a->build_mu);
    pthread_mutex_lock(&a->mu);
    int have = a->cur != NULL;
    pthread_mutex_unlock(&a->mu);
    if (only_if_none && have) {
        pthread_mutex_unlock(&a->build_mu);
        return PT_OK;
    }
    int rc = view_build(db, &v);
    if (rc == PT_OK) {
        pthread_mutex_lock(&a->mu);
        struct view *old = a->cur;
        v->gen = ++a->gens;
        a->cur = v;
        pthread_mutex_unlock(&a->mu);
        view_put(a, old);
    }
    pthread_mutex_unlock(&a->build_mu);
    return rc;
}

void srv_analytics_refresh(void *ud, int64_t now)
{
    (void)now;
    struct pt_server *srv = ud;
    int rc = refresh_with(srv, srv->main_db, 0);
    if (rc)
        fprintf(stderr, "patron serve: analytics snapshot refresh failed: %s\n", pt_errname(rc));
}

int srv_analytics_init(struct pt_server *srv)
{
    srv->analytics = calloc(1, sizeof *srv->analytics);
    if (!srv->analytics)
        return -1;
    pthread_mutex_init(&srv->analytics->mu, NULL);
    pthread_mutex_init(&srv->analytics->build_mu, NULL);
    return 0;
}

void srv_analytics_free(struct pt_server *srv)
{
    struct srv_analytics *a = srv->analytics;
    if (!a)
        return;
    srv_dashboard_drop_snapshot(srv); /* its reference to the current view */
    view_put(a, a->cur);
    pthread_mutex_destroy(&a->mu);
    pthread_mutex_destroy(&a->build_mu);
    free(a);
    srv->analytics = NULL;
}

/* The current view with a reference taken (built now with db if there is none); NULL with
 * *rc set when it could not be built. */
static struct view *view_ref(struct pt_server *srv, pt_db *db, int *rc)
{
    struct srv_analytics *a = srv->analytics;
    pthread_mutex_lock(&a->mu);
    struct view *v = a->cur;
    if (v)
        v->refs++;
    pthread_mutex_unlock(&a->mu);
    *rc = PT_OK;
    if (v)
        return v;
    *rc = refresh_with(srv, db, 1);
    pthread_mutex_lock(&a->mu);
    v = a->cur;
    if (v)
        v->refs++;
    pthread_mutex_unlock(&a->mu);
    if (!v && !*rc)
        *rc = PT_EIO;
    return v;
}

/* The current view with a reference taken; NULL with r set. */
static struct view *view_get(struct srv_req *r, struct srv_thread *t)
{
    int rc;
    struct view *v = view_ref(r->srv, t->db, &rc);
    if (!v)
        srv_error_rc(r, rc, "the analytics snapshot could not be built");
    return v;
}

int srv_analytics_snapshot(void *srv, pt_db *db, const pt_snapshot **snap, uint64_t *gen, void **ref)
{
    int rc;
    struct view *v = view_ref(srv, db, &rc);
    if (!v)
        return rc;
    *snap = v->snap;
    *gen = v->gen;
    *ref = v;
    return PT_OK;
}

void srv_analytics_snapshot_put(void *srv, void *ref)
{
    view_put(((struct pt_server *)srv)->analytics, ref);
}

void route_an_rfm_member(struct srv_req *r, struct srv_thread *t)
{
    int64_t id;
    if (srv_member_param(r, t, &id))
        return;
    struct view *v = view_get(r, t);
    if (!v)
        return;
    size_t lo = 0, hi = v->rfm.nrows;
    while (lo < hi) { /* rows ascend by member id */
        size_t mid = lo + (hi - lo) / 2;
        if (v->rfm.rows[mid].member_id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == v->rfm.nrows || v->rfm.rows[lo].member_id != id) {
        srv_error(r, 404, "not_in_analytics", "member", "this member is not in the analytics snapshot");
    } else {
        const pt_rfm_row *row = &v->rfm.rows[lo];
        const char *s11 = pt_rfm_segment_key(PT_RFM_MAP11, pt_rfm_row_segment(row, PT_RFM_MAP11));
        const char *s8 = pt_rfm_segment_key(PT_RFM_MAP8, pt_rfm_row_segment(row, PT_RFM_MAP8));
        srv_json(r, 200, json_pack("{s:s,s:I,s:I,s:I,s:I,s:i,s:i,s:i,s:s,s:s,s:I}", "member", r->params[0],
                                   "recency_days", (json_int_t)row->recency_days, "frequency",
                                   (json_int_t)row->frequency, "revenue_cents", (json_int_t)row->revenue_cents,
                                   "monetary_cents", (json_int_t)row->monetary_cents, "r", row->r, "f", row->f,
                                   "m", row->m, "segment", s11 ? s11 : "none", "segment8", s8 ? s8 : "none",
                                   "as_of", (json_int_t)v->as_of));
    }
    view_put(r->srv->analytics, v);
}

void route_an_segments(struct srv_req *r, struct srv_thread *t)
{
    const char *mq = srv_query(r, "map");
    int map = !mq || strcmp(mq, "11") == 0 ? PT_RFM_MAP11 : strcmp(mq, "8") == 0 ? PT_RFM_MAP8 : -1;
    if (map < 0) {
        srv_error(r, 400, "invalid_query", "map", "map must be 11 or 8");
        return;
    }
    struct view *v = view_get(r, t);
    if (!v)
        return;
    pt_rfm_segment seg[PT_RFM_SEGMENTS_MAX];
    int n = pt_rfm_segments(&v->rfm, map, seg);
    json_t *arr = json_array();
    for (int i = 0; i < n; i++) {
        const char *key = pt_rfm_segment_key(map, seg[i].id);
        json_array_append_new(arr, json_pack("{s:s,s:I,s:I,s:f,s:f}", "segment", key ? key : "?", "members",
                                             (json_int_t)seg[i].members, "revenue_cents",
                                             (json_int_t)seg[i].revenue_cents, "share_members", seg[i].share_members,
                                             "share_revenue", seg[i].share_revenue));
    }
    srv_json(r, 200, json_pack("{s:I,s:i,s:o}", "as_of", (json_int_t)v->as_of, "map", map == PT_RFM_MAP11 ? 11 : 8,
                               "segments", arr));
    view_put(r->srv->analytics, v);
}

void route_an_lifecycle(struct srv_req *r, struct srv_thread *t)
{
    struct view *v = view_get(r, t);
    if (!v)
        return;
    json_t *st = json_object();
    for (int s = 0; s < PT_LC__COUNT; s++)
        json_object_set_new(st, pt_lifecycle_stage_key(s), json_integer((json_int_t)v->lc.counts.stage[s]));
    srv_json(r, 200, json_pack("{s:I,s:o,s:I,s:I,s:I,s:i,s:i}", "as_of", (json_int_t)v->as_of, "stages", st,
                               "members", (json_int_t)v->lc.counts.members, "no_consent",
                               (json_int_t)v->lc.counts.no_consent, "erased", (json_int_t)v->lc.counts.erased,
                               "active_days", v->lc.th.active_days, "churn_days", v->lc.th.churn_days));
    view_put(r->srv->analytics, v);
}

static int query_time(struct srv_req *r, const char *name, int64_t dflt, int64_t *out)
{
    const char *q = srv_query(r, name);
    if (!q) {
        *out = dflt;
        return 0;
    }
    char *end;
    long long x = strtoll(q, &end, 10);
    if (!*q || *end || x < 0) {
        srv_error(r, 400, "invalid_query", name, "%s must be UTC epoch seconds", name);
        return -1;
    }
    *out = x;
    return 0;
}

void route_an_kpi(struct srv_req *r, struct srv_thread *t)
{
    struct view *v = view_get(r, t);
    if (!v)
        return;
    int64_t to, from;
    pt_kpi k;
    if (query_time(r, "to", v->as_of, &to) == 0 && query_time(r, "from", to - 30 * 86400, &from) == 0) {
        int rc = pt_metrics_kpi(&k, v->snap, from, to);
        if (rc == PT_EINVAL)
            srv_error(r, 400, "invalid_query", "from", "from must be before to");
        else if (rc)
            srv_error_rc(r, rc, "computing KPIs");
        else
            srv_json(r, 200,
                     json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "from", (json_int_t)k.from, "to",
                               (json_int_t)k.to, "members", (json_int_t)k.members, "members_new",
                               (json_int_t)k.members_new, "active", (json_int_t)k.active, "orders",
                               (json_int_t)k.orders, "revenue_cents", (json_int_t)k.revenue_cents, "aov_cents",
                               (json_int_t)k.aov_cents, "repurchase_bp", (json_int_t)k.repurchase_bp,
                               "churn_bp", (json_int_t)k.churn_bp, "buyers", (json_int_t)k.buyers,
                               "snapshot_at", (json_int_t)v->as_of));
    }
    view_put(r->srv->analytics, v);
}

/* test_dashboard_gen.c — the dashboard's snapshot generations (server/dashboard.c): with a
 * source it answers from the source's snapshot and loads none of its own; a newer snapshot
 * replaces the current one while a call still reads the old one, without waiting for that call
 * and without handing the old one back before it ends; and, loading its own, a load does not
 * wait for calls reading the previous snapshot.
 *
 * The "meanwhile" is made with the parameter callback, which a panel calls in the middle of
 * its work: from there a second call runs on another thread, and must finish while the first
 * is still inside its panel. */
#include "test.h"

#include "../server/dashboard.h"
#include "patron/error.h"
#include "patron/snapshot.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pt_db *demo_db(const char *name, int members)
{
    char *out = NULL, err[256], dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", pt_test_tmpdir(), name);
    int rc = pt_test_run(&out, "'%s' demo --members %d --seed 5 --data '%s' >/dev/null 2>&1", pt_test_patron_bin(),
                         members, dir);
    free(out);
    pt_db *db = NULL;
    if (rc == 0 && pt_db_open(&db, dir, NULL, err, sizeof err) != PT_OK) {
        fprintf(stderr, "    pt_db_open: %s\n", err);
        db = NULL;
    }
    return db;
}

/* A source of two snapshots, generation 1 and 2; `cur` says which one acquire gives. */
struct src {
    pthread_mutex_t mu;
    pt_snapshot    *snap[2];
    int             cur;
    int             refs[2];     /* references out */
    int             acquired[2];
};

static int src_acquire(void *ud, pt_db *db, const pt_snapshot **snap, uint64_t *gen, void **ref)
{
    (void)db;
    struct src *s = ud;
    pthread_mutex_lock(&s->mu);
    int k = s->cur;
    s->refs[k]++;
    s->acquired[k]++;
    pthread_mutex_unlock(&s->mu);
    *snap = s->snap[k];
    *gen = (uint64_t)k + 1;
    *ref = &s->refs[k];
    return PT_OK;
}

static void src_release(void *ud, void *ref)
{
    struct src *s = ud;
    pthread_mutex_lock(&s->mu);
    (*(int *)ref)--;
    pthread_mutex_unlock(&s->mu);
}

static int src_refs(struct src *s, int k)
{
    pthread_mutex_lock(&s->mu);
    int n = s->refs[k];
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* A call made from inside another call's parameter callback, on a thread of its own. */
struct inner {
    pt_dash *d;
    pt_db   *db;
    int      status;
    long long members;
    int      done;     /* under mu */
    pthread_mutex_t mu;
    pthread_cond_t  cv;
};

static const char *no_param(void *ud, const char *name)
{
    (void)ud;
    (void)name;
    return NULL;
}

static void *inner_run(void *ud)
{
    struct inner *in = ud;
    pt_dash_result res;
    in->status = pt_dash_panel(in->d, in->db, "meta", no_param, NULL, PT_DASH_MASKED, &res);
    json_t *m = json_object_get(res.body, "members");
    in->members = json_is_integer(m) ? (long long)json_integer_value(m) : -1;
    pt_dash_result_free(&res);
    pthread_mutex_lock(&in->mu);
    in->done = 1;
    pthread_cond_signal(&in->cv);
    pthread_mutex_unlock(&in->mu);
    return NULL;
}

/* What the outer call's callback saw. */
struct outer {
    struct src   *src;      /* NULL: the dashboard loads its own */
    struct inner  in;
    int           ran;      /* the inner call was made */
    int           finished; /* … and ended while the outer call was still in its panel */
    int           old_refs; /* generation 1's references out when the inner call had ended */
};

static const char *outer_param(void *ud, const char *name)
{
    struct outer *o = ud;
    if (o->ran || strcmp(name, "from"))
        return NULL;
    o->ran = 1;
    if (o->src) { /* a refresh: the source now gives generation 2 */
        pthread_mutex_lock(&o->src->mu);
        o->src->cur = 1;
        pthread_mutex_unlock(&o->src->mu);
    }
    pthread_t th;
    if (pthread_create(&th, NULL, inner_run, &o->in))
        return NULL;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 60;
    pthread_mutex_lock(&o->in.mu);
    while (!o->in.done && pthread_cond_timedwait(&o->in.cv, &o->in.mu, &until) == 0)
        ;
    o->finished = o->in.done;
    pthread_mutex_unlock(&o->in.mu);
    if (o->src)
        o->old_refs = src_refs(o->src, 0);
    if (!o->finished) /* it waits for us: let it go on once this call is over */
        pthread_detach(th);
    else
        pthread_join(th, NULL);
    return NULL;
}

static int overview(pt_dash *d, pt_db *db, struct outer *o)
{
    pt_dash_result res;
    int st = pt_dash_panel(d, db, "overview", outer_param, o, PT_DASH_MASKED, &res);
    pt_dash_result_free(&res);
    return st;
}

TEST(dashboard_borrows_the_source_snapshot_and_a_refresh_neither_waits_for_nor_frees_one_in_use)
{
    pt_db *big = demo_db("big", 600), *small = demo_db("small", 200);
    ASSERT(big && small);
    struct src s = {.cur = 0};
    pthread_mutex_init(&s.mu, NULL);
    ASSERT_OK(pt_snapshot_load(&s.snap[0], pt_db_store(big), NULL, NULL));
    ASSERT_OK(pt_snapshot_load(&s.snap[1], pt_db_store(small), NULL, NULL));
    long long n0 = (long long)s.snap[0]->nmembers, n1 = (long long)s.snap[1]->nmembers;
    ASSERT_GT(n0, n1); /* the member count tells the two apart */
    pt_dash *d;
    ASSERT_OK(pt_dash_open(&d, 0)); /* ttl 0: an own snapshot would be loaded on every call */
    pt_dash_set_source(d, &(pt_dash_source){src_acquire, src_release, &s});
    struct outer o = {.src = &s, .in = {.d = d, .db = big}};
    pthread_mutex_init(&o.in.mu, NULL);
    pthread_cond_init(&o.in.cv, NULL);
    ASSERT_EQ(overview(d, big, &o), 200);
    ASSERT(o.ran);
    ASSERT(o.finished);            /* the call on generation 2 did not wait for the one on 1 */
    ASSERT_EQ(o.in.status, 200);
    ASSERT_EQ(o.in.members, n1);   /* generation 2's snapshot, the source's: none loaded from big */
    ASSERT_EQ(o.old_refs, 1);      /* generation 1 was still held by the outer call … */
    ASSERT_EQ(src_refs(&s, 0), 0); /* … and handed back when it ended */
    ASSERT_EQ(src_refs(&s, 1), 1); /* generation 2 is current */
    /* the current generation is kept: the next call borrows no further reference */
    pt_dash_result res;
    ASSERT_EQ(pt_dash_panel(d, big, "meta", no_param, NULL, PT_DASH_MASKED, &res), 200);
    ASSERT_EQ(json_integer_value(json_object_get(res.body, "members")), n1);
    pt_dash_result_free(&res);
    ASSERT_EQ(src_refs(&s, 1), 1);
    ASSERT_EQ(s.acquired[1], 2);
    pt_dash_invalidate(d);
    ASSERT_EQ(src_refs(&s, 1), 0);
    pt_dash_close(d);
    ASSERT_EQ(src_refs(&s, 0) + src_refs(&s, 1), 0);
    pthread_cond_destroy(&o.in.cv);
    pthread_mutex_destroy(&o.in.mu);
    pthread_mutex_destroy(&s.mu);
    pt_snapshot_free(s.snap[0]);
    pt_snapshot_free(s.snap[1]);
    pt_db_close(big);
    pt_db_close(small);
}

TEST(dashboard_own_load_does_not_wait_for_calls_reading_the_previous_snapshot)
{
    pt_db *db = demo_db("demo", 300);
    ASSERT(db);
    pt_snapshot *snap = NULL;
    ASSERT_OK(pt_snapshot_load(&snap, pt_db_store(db), NULL, NULL));
    long long n = (long long)snap->nmembers;
    pt_snapshot_free(snap);
    pt_dash *d;
    ASSERT_OK(pt_dash_open(&d, 0)); /* ttl 0: the inner call loads a new snapshot */
    struct outer o = {.src = NULL, .in = {.d = d, .db = db}};
    pthread_mutex_init(&o.in.mu, NULL);
    pthread_cond_init(&o.in.cv, NULL);
    ASSERT_EQ(overview(d, db, &o), 200);
    ASSERT(o.ran);
    ASSERT(o.finished);
    ASSERT_EQ(o.in.status, 200);
    ASSERT_EQ(o.in.members, n);
    pt_dash_close(d);
    pthread_cond_destroy(&o.in.cv);
    pthread_mutex_destroy(&o.in.mu);
    pt_db_close(db);
}

/* --- caches per generation ------------------------------------------------------------------- */

struct kv {
    const char *kv[8]; /* name, value, …, NULL */
};

static const char *kv_param(void *ud, const char *name)
{
    const struct kv *q = ud;
    for (int i = 0; q->kv[i]; i += 2)
        if (strcmp(q->kv[i], name) == 0)
            return q->kv[i + 1];
    return NULL;
}

/* The panel's body (a reference) when 200, else NULL; *ms the call's wall time. */
static json_t *call(pt_dash *d, pt_db *db, const char *panel, struct kv q, double *ms)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pt_dash_result res;
    int st = pt_dash_panel(d, db, panel, kv_param, &q, PT_DASH_MASKED, &res);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (ms)
        *ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    json_t *b = st == 200 ? json_incref(res.body) : NULL;
    pt_dash_result_free(&res);
    return b;
}

/* The value and member pages at different dates, each asked twice: one CLV fit per date, one
 * lifecycle derivation and one RFM run per date, the ledger opened once for the tiers — and the
 * repeated answers are the first ones. A new generation computes afresh. */
TEST(dashboard_caches_each_analysis_per_generation_and_date)
{
    pt_db *db = demo_db("demo", 300);
    ASSERT(db);
    pt_dash *d;
    ASSERT_OK(pt_dash_open(&d, 3600));
    json_t *list = call(d, db, "segments/members", (struct kv){{"segment", "champions", NULL}}, NULL);
    json_t *first = json_array_get(json_object_get(list, "members"), 0);
    char no[32] = "";
    snprintf(no, sizeof no, "%s", first ? json_string_value(json_object_get(first, "member_no")) : "");
    json_decref(list);
    ASSERT(no[0]);
    pt_dash_stats s0;
    pt_dash_stats_get(d, &s0);
    ASSERT_EQ(s0.loads, 1);
    double ms[4];
    json_t *v1 = call(d, db, "value", (struct kv){{"as_of", "2026-03-01", NULL}}, NULL);
    json_t *m1 = call(d, db, "member", (struct kv){{"q", no, "as_of", "2026-02-01", NULL}}, &ms[0]);
    json_t *v2 = call(d, db, "value", (struct kv){{"as_of", "2026-03-01", NULL}}, NULL);
    json_t *m2 = call(d, db, "member", (struct kv){{"q", no, "as_of", "2026-02-01", NULL}}, &ms[1]);
    json_t *t1 = call(d, db, "tiers", (struct kv){{NULL}}, NULL);
    json_t *t2 = call(d, db, "tiers", (struct kv){{NULL}}, NULL);
    ASSERT(v1 && m1 && v2 && m2 && t1 && t2);
    ASSERT(json_equal(v1, v2));
    ASSERT(json_equal(m1, m2));
    ASSERT(json_equal(t1, t2));
    ASSERT(json_object_get(m1, "lifecycle") && !json_is_null(json_object_get(m1, "lifecycle")));
    pt_dash_stats s;
    pt_dash_stats_get(d, &s);
    ASSERT_EQ(s.loads, 1);
    ASSERT_EQ(s.clv_fits, 2);       /* 2026-03-01 and 2026-02-01, once each */
    ASSERT_EQ(s.lifecycle_runs, 1); /* the member page's date */
    ASSERT_EQ(s.rfm_runs - s0.rfm_runs, 2); /* each date once: the value page's at-risk spend, the member page */
    ASSERT_EQ(s.ledger_opens, 1);
    /* a new generation: computed again, from its own snapshot */
    pt_dash_invalidate(d);
    json_t *m3 = call(d, db, "member", (struct kv){{"q", no, "as_of", "2026-02-01", NULL}}, &ms[2]);
    json_t *m4 = call(d, db, "member", (struct kv){{"q", no, "as_of", "2026-02-01", NULL}}, &ms[3]);
    ASSERT(json_equal(m1, m3) && json_equal(m3, m4));
    pt_dash_stats_get(d, &s);
    ASSERT_EQ(s.loads, 2);
    ASSERT_EQ(s.clv_fits, 3);
    ASSERT_EQ(s.lifecycle_runs, 2);
    fprintf(stderr, "    member page: %.1f ms computing, %.1f ms cached (new generation: %.1f, %.1f ms)\n", ms[0],
            ms[1], ms[2], ms[3]);
    json_decref(v1);
    json_decref(v2);
    json_decref(m1);
    json_decref(m2);
    json_decref(m3);
    json_decref(m4);
    json_decref(t1);
    json_decref(t2);
    pt_dash_close(d);
    pt_db_close(db);
}

/* test_outbox.c — the outbox and its webhook deliverer against a real local HTTP receiver
 * (libmicrohttpd in a thread of the test), on both backends:
 *  - signatures: sign/verify round trip, a changed body or timestamp fails;
 *  - a receiver that fails the first requests and then is down for a while: every committed
 *    event arrives, signatures verify, each member's events arrive in the order written, a
 *    repeated delivery carries the same event id, and the event of a rolled-back transaction
 *    never arrives;
 *  - dead letter after max_attempts, then replay delivers it;
 *  - delivery per endpoint: an endpoint that is down neither blocks the others nor makes them
 *    receive an event twice; it gets the event once when it recovers; a dead letter is replayed
 *    only to the endpoints that never accepted it; retention deletes the delivery rows;
 *  - programme events: a points earn enqueues "points.earn" with the audit seq and no personal
 *    data, in its transaction; a write that fails (a redeem beyond the balance) enqueues nothing;
 *  - kill -9 of a deliverer process in the middle of a burst: after a restart every event is
 *    delivered, and the only duplicates are re-sends with the same event id (at most one per
 *    in-flight request);
 *  - `patron serve` delivers the outbox on its own, as a periodic job of the serve loop; killed
 *    with kill -9 while events are being written and delivered, then restarted, it delivers every
 *    committed event (duplicates only with the same event id) and none of a rolled-back write. */
#include "test.h"
#include "helpers.h"
#include "patron/error.h"
#include "patron/ledger.h"
#include "patron/outbox.h"
#include "patron/server.h"
#include "patron/server_jobs.h"

#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SECRET "test-secret-0123456789abcdef"
#define MAX_REQ 4096

/* --- the receiver ------------------------------------------------------------------------- */

struct req {
    char    event_id[PT_EVENT_ID_MAX];
    int64_t member_id;
    int     seq;
    int     sig_ok;
    int     accepted;   /* answered 2xx */
    char    kind[48];
};

struct receiver {
    struct MHD_Daemon *d;
    int                port;
    pthread_mutex_t    mu;
    int                fail_first;  /* answer 500 to this many requests first */
    int                down;        /* answer 503 while set */
    int                always_fail;
    int                delay_ms;
    int                n;
    struct req         r[MAX_REQ];
};

struct body {
    char  *p;
    size_t n;
};

static int64_t num_after(const char *s, const char *key)
{
    const char *p = strstr(s, key);
    return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)url;
    (void)method;
    (void)version;
    struct receiver *rv = cls;
    struct body *b = *con_cls;
    if (!b) {
        b = calloc(1, sizeof *b);
        *con_cls = b;
        return b ? MHD_YES : MHD_NO;
    }
    if (*upload_size) {
        char *p = realloc(b->p, b->n + *upload_size + 1);
        if (!p)
            return MHD_NO;
        memcpy(p + b->n, upload, *upload_size);
        b->p = p;
        b->n += *upload_size;
        b->p[b->n] = 0;
        *upload_size = 0;
        return MHD_YES;
    }
    if (rv->delay_ms)
        usleep((useconds_t)rv->delay_ms * 1000);
    const char *id = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Patron-Event-Id");
    const char *ts = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Patron-Timestamp");
    const char *sig = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Patron-Signature");
    const char *body = b->p ? b->p : "";
    unsigned status = 200;
    pthread_mutex_lock(&rv->mu);
    if (rv->n < MAX_REQ) {
        struct req *q = &rv->r[rv->n++];
        memset(q, 0, sizeof *q);
        snprintf(q->event_id, sizeof q->event_id, "%s", id ? id : "");
        q->member_id = num_after(body, "\"member_id\":");
        q->seq = (int)num_after(body, "\"seq\":");
        q->sig_ok = ts && pt_webhook_verify(SECRET, strtoll(ts, NULL, 10), body, b->n, sig) &&
                    strstr(body, q->event_id) != NULL;
        const char *k = strstr(body, "\"kind\":\"");
        if (k)
            snprintf(q->kind, sizeof q->kind, "%.*s", (int)strcspn(k + 8, "\""), k + 8);
        if (rv->always_fail || rv->fail_first > 0) {
            status = 500;
            if (rv->fail_first > 0)
                rv->fail_first--;
        } else if (rv->down) {
            status = 503;
        }
        q->accepted = status == 200;
    }
    pthread_mutex_unlock(&rv->mu);
    free(b->p);
    free(b);
    *con_cls = NULL;
    struct MHD_Response *resp = MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct body *b = *con_cls;
    if (b) {
        free(b->p);
        free(b);
        *con_cls = NULL;
    }
}

static int receiver_start(struct receiver *rv)
{
    pthread_mutex_init(&rv->mu, NULL);
    rv->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handle, rv, MHD_OPTION_NOTIFY_COMPLETED,
                             completed, rv, MHD_OPTION_END);
    if (!rv->d)
        return -1;
    rv->port = MHD_get_daemon_info(rv->d, MHD_DAEMON_INFO_BIND_PORT)->port;
    return 0;
}

static void receiver_stop(struct receiver *rv)
{
    if (rv->d)
        MHD_stop_daemon(rv->d);
    pthread_mutex_destroy(&rv->mu);
}

static int receiver_count(struct receiver *rv)
{
    pthread_mutex_lock(&rv->mu);
    int n = rv->n;
    pthread_mutex_unlock(&rv->mu);
    return n;
}

static int add_hook(pt_db *db, struct receiver *rv)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", rv->port);
    return pt_webhook_add(db, url, SECRET, NULL);
}

static int enqueue(pt_db *db, int64_t member, int seq, const char *kind)
{
    char payload[64];
    snprintf(payload, sizeof payload, "{\"seq\":%d}", seq);
    return pt_outbox_enqueue(pt_db_store(db), member, kind, payload, pt_db_now(db), NULL);
}

struct states {
    int pending, delivered, dead;
};

static int count_states(void *ud, const pt_outbox_rec *r)
{
    struct states *s = ud;
    s->pending += r->state == PT_OUTBOX_PENDING;
    s->delivered += r->state == PT_OUTBOX_DELIVERED;
    s->dead += r->state == PT_OUTBOX_DEAD;
    return PT_OK;
}

/* Distinct accepted event ids; checks signatures and per-member order of first acceptance. */
static int check_received(struct receiver *rv, int *distinct, int *dups, char *why, size_t len)
{
    *distinct = *dups = 0;
    int last_seq[64];
    for (int k = 0; k < 64; k++)
        last_seq[k] = -1;
    for (int i = 0; i < rv->n; i++) {
        struct req *q = &rv->r[i];
        if (!q->sig_ok) {
            snprintf(why, len, "request %d: bad signature", i);
            return -1;
        }
        if (!q->accepted)
            continue;
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = rv->r[j].accepted && strcmp(rv->r[j].event_id, q->event_id) == 0;
        if (seen) {
            (*dups)++;
            continue;
        }
        (*distinct)++;
        if (q->member_id >= 0 && q->member_id < 64) {
            if (q->seq <= last_seq[q->member_id]) {
                snprintf(why, len, "member %lld: seq %d after %d", (long long)q->member_id, q->seq,
                         last_seq[q->member_id]);
                return -1;
            }
            last_seq[q->member_id] = q->seq;
        }
    }
    return 0;
}

TEST(webhook_signature_verifies_and_detects_changes)
{
    char sig[72];
    const char *body = "{\"event_id\":\"evt_1\"}";
    pt_webhook_sign(SECRET, 1750000000, body, strlen(body), sig);
    ASSERT_EQ(strncmp(sig, "v1=", 3), 0);
    ASSERT_EQ(strlen(sig), 67);
    ASSERT_EQ(pt_webhook_verify(SECRET, 1750000000, body, strlen(body), sig), 1);
    ASSERT_EQ(pt_webhook_verify(SECRET, 1750000001, body, strlen(body), sig), 0);
    ASSERT_EQ(pt_webhook_verify(SECRET, 1750000000, "{\"event_id\":\"evt_2\"}", strlen(body), sig), 0);
    ASSERT_EQ(pt_webhook_verify("another-secret-0123456", 1750000000, body, strlen(body), sig), 0);
}

BOTH_TEST(outbox_delivers_every_committed_event_in_member_order_through_failures)
{
    static struct receiver rv;
    memset(&rv, 0, sizeof rv);
    ASSERT_EQ(receiver_start(&rv), 0);
    rv.fail_first = 5;
    pt_db *db = test_db_on(be, "ob");
    ASSERT(db != NULL);
    ASSERT_OK(add_hook(db, &rv));
    pt_store *s = pt_db_store(db);
    for (int seq = 0; seq < 4; seq++)
        for (int64_t m = 1; m <= 3; m++)
            ASSERT_OK(enqueue(db, m, seq, "test.event"));
    /* a change that rolled back: its message must never be sent */
    ASSERT_OK(pt_store_begin(s));
    ASSERT_OK(enqueue(db, 1, 99, "test.rolled_back"));
    ASSERT_OK(pt_store_rollback(s));
    pt_outbox_opts o = {.no_jitter = 1, .base_delay_s = 1, .max_delay_s = 4, .max_attempts = 50, .timeout_ms = 5000};
    int64_t now = TEST_NOW;
    struct states st = {0};
    for (int pass = 0; pass < 200; pass++) {
        rv.down = pass >= 4 && pass < 10; /* down for a while after the first failures */
        pt_outbox_stats ost;
        ASSERT_OK(pt_outbox_deliver_once(db, &o, &ost));
        now += 5;
        pt_db_set_clock(db, now);
        memset(&st, 0, sizeof st);
        ASSERT_OK(pt_store_outbox_list(s, count_states, &st));
        if (st.pending == 0 && pass > 10)
            break;
    }
    ASSERT_EQ(st.delivered, 12);
    ASSERT_EQ(st.pending + st.dead, 0);
    int distinct, dups;
    char why[128] = "";
    int ok = check_received(&rv, &distinct, &dups, why, sizeof why);
    if (ok)
        fprintf(stderr, "    %s\n", why);
    ASSERT_EQ(ok, 0);
    ASSERT_EQ(distinct, 12);
    ASSERT_GT(rv.n, 12); /* the failures were real requests */
    for (int i = 0; i < rv.n; i++)
        ASSERT(strcmp(rv.r[i].kind, "test.rolled_back") != 0);
    pt_db_close(db);
    receiver_stop(&rv);
}

BOTH_TEST(outbox_dead_letters_after_the_last_attempt_and_replays)
{
    static struct receiver rv;
    memset(&rv, 0, sizeof rv);
    ASSERT_EQ(receiver_start(&rv), 0);
    rv.always_fail = 1;
    pt_db *db = test_db_on(be, "dead");
    ASSERT(db != NULL);
    ASSERT_OK(add_hook(db, &rv));
    pt_outbox_rec e;
    ASSERT_OK(pt_outbox_enqueue(pt_db_store(db), 7, "test.event", "{\"seq\":0}", TEST_NOW, &e));
    pt_outbox_opts o = {.no_jitter = 1, .base_delay_s = 10, .max_attempts = 3};
    pt_outbox_stats ost;
    int64_t expect_next[] = {TEST_NOW + 10, TEST_NOW + 10 + 20};
    int64_t now = TEST_NOW;
    for (int k = 0; k < 3; k++) {
        ASSERT_OK(pt_outbox_deliver_once(db, &o, &ost));
        ASSERT_EQ(ost.attempted, 1);
        pt_outbox_rec r;
        ASSERT_OK(pt_store_outbox_get(pt_db_store(db), e.id, &r));
        ASSERT_EQ(r.attempts, k + 1);
        if (k < 2) {
            ASSERT_EQ(r.state, PT_OUTBOX_PENDING);
            ASSERT_EQ(r.next_at, expect_next[k]); /* 10 s, then 20 s: exponential */
            /* not due before next_at */
            pt_db_set_clock(db, r.next_at - 1);
            ASSERT_OK(pt_outbox_deliver_once(db, &o, &ost));
            ASSERT_EQ(ost.attempted, 0);
            now = r.next_at;
            pt_db_set_clock(db, now);
        } else {
            ASSERT_EQ(r.state, PT_OUTBOX_DEAD);
            ASSERT(strstr(r.last_error, "HTTP 500") != NULL);
        }
    }
    rv.always_fail = 0;
    ASSERT_OK(pt_outbox_replay(db, e.id));
    ASSERT_OK(pt_outbox_deliver_once(db, &o, &ost));
    ASSERT_EQ(ost.delivered, 1);
    int distinct, dups;
    char why[128];
    ASSERT_EQ(check_received(&rv, &distinct, &dups, why, sizeof why), 0);
    ASSERT_EQ(distinct, 1);
    ASSERT_EQ(rv.n, 4);
    pt_db_close(db);
    receiver_stop(&rv);
}

/* Retention: a delivered entry goes keep_days after its delivery and not a second before; a
 * dead letter dead_keep_days after its last attempt; a pending entry never, however old;
 * keep_days < 0 keeps everything. */
BOTH_TEST(outbox_retention_prunes_old_delivered_entries_and_dead_letters_but_never_pending_ones)
{
    static struct receiver rv;
    memset(&rv, 0, sizeof rv);
    ASSERT_EQ(receiver_start(&rv), 0);
    pt_db *db = test_db_on(be, "retention");
    ASSERT(db != NULL);
    ASSERT_OK(add_hook(db, &rv));
    pt_store *s = pt_db_store(db);
    const int64_t day = 86400;
    pt_outbox_rec delivered, dead, pending;
    ASSERT_OK(pt_outbox_enqueue(s, 1, "test.event", "{\"seq\":1}", TEST_NOW, &delivered));
    pt_outbox_opts o = {.no_jitter = 1, .max_attempts = 1};
    pt_outbox_stats st;
    ASSERT_OK(pt_outbox_deliver_once(db, &o, &st));
    ASSERT_EQ(st.delivered, 1);
    pt_db_set_clock(db, TEST_NOW + 100); /* the dead letter's last attempt: 100 s later */
    rv.always_fail = 1;
    ASSERT_OK(pt_outbox_enqueue(s, 2, "test.event", "{\"seq\":2}", TEST_NOW + 100, &dead));
    ASSERT_OK(pt_outbox_deliver_once(db, &o, &st));
    ASSERT_EQ(st.dead, 1);
    ASSERT_OK(pt_outbox_enqueue(s, 3, "test.event", "{\"seq\":3}", TEST_NOW + 100, &pending));
    pt_outbox_rec r;
    ASSERT_OK(pt_store_outbox_get(s, delivered.id, &r));
    ASSERT_EQ(r.state, PT_OUTBOX_DELIVERED);
    ASSERT_EQ(r.delivered_at, TEST_NOW);
    ASSERT_OK(pt_store_outbox_get(s, dead.id, &r));
    ASSERT_EQ(r.state, PT_OUTBOX_DEAD);
    ASSERT_EQ(r.next_at, TEST_NOW + 100);

    /* one second short of 7 days: nothing; at 7 days: the delivered entry only */
    pt_outbox_opts keep = {.now = TEST_NOW + 7 * day};
    ASSERT_OK(pt_outbox_prune(db, &keep, &st));
    ASSERT_EQ(st.pruned + st.pruned_dead, 0);
    keep.now = TEST_NOW + 7 * day + 1;
    keep.keep_days = -1; /* forever: still nothing */
    ASSERT_OK(pt_outbox_prune(db, &keep, &st));
    ASSERT_EQ(st.pruned + st.pruned_dead, 0);
    keep.keep_days = 0; /* the default, 7 */
    ASSERT_OK(pt_outbox_prune(db, &keep, &st));
    ASSERT_EQ(st.pruned, 1);
    ASSERT_EQ(st.pruned_dead, 0);
    ASSERT_EQ(pt_store_outbox_get(s, delivered.id, &r), PT_ENOTFOUND);
    ASSERT_OK(pt_store_outbox_get(s, dead.id, &r));
    /* the dead letter: 90 days after its last attempt (a shorter keep given here: 30) */
    keep.now = TEST_NOW + 100 + 90 * day;
    ASSERT_OK(pt_outbox_prune(db, &keep, &st));
    ASSERT_EQ(st.pruned_dead, 0);
    keep.dead_keep_days = 30;
    keep.now = TEST_NOW + 100 + 30 * day + 1;
    ASSERT_OK(pt_outbox_prune(db, &keep, &st));
    ASSERT_EQ(st.pruned_dead, 1);
    ASSERT_EQ(pt_store_outbox_get(s, dead.id, &r), PT_ENOTFOUND);
    /* the pending entry stays, years on */
    keep = (pt_outbox_opts){.now = TEST_NOW + 3650 * day, .keep_days = 1, .dead_keep_days = 1};
    ASSERT_OK(pt_outbox_prune(db, &keep, &st));
    ASSERT_EQ(st.pruned + st.pruned_dead, 0);
    struct states n = {0};
    ASSERT_OK(pt_store_outbox_list(s, count_states, &n));
    ASSERT_EQ(n.pending, 1);
    ASSERT_EQ(n.delivered + n.dead, 0);
    int64_t k;
    ASSERT_EQ(pt_store_outbox_prune(s, PT_OUTBOX_PENDING, TEST_NOW + 3650 * day, 10, &k), PT_EINVAL);
    pt_db_close(db);
    receiver_stop(&rv);
}

/* The batch bounds one call: 5 old delivered entries, batch 2 → 2, 2, 1, 0. */
BOTH_TEST(outbox_retention_deletes_at_most_a_batch_per_call)
{
    static struct receiver rv;
    memset(&rv, 0, sizeof rv);
    ASSERT_EQ(receiver_start(&rv), 0);
    pt_db *db = test_db_on(be, "retention_batch");
    ASSERT(db != NULL);
    ASSERT_OK(add_hook(db, &rv));
    for (int k = 0; k < 5; k++)
        ASSERT_OK(enqueue(db, 10 + k, k, "test.event"));
    pt_outbox_stats st;
    ASSERT_OK(pt_outbox_deliver_once(db, &(pt_outbox_opts){.no_jitter = 1}, &st));
    ASSERT_EQ(st.delivered, 5);
    pt_outbox_opts o = {.now = TEST_NOW + 8 * 86400, .prune_batch = 2};
    int64_t want[] = {2, 2, 1, 0};
    for (int k = 0; k < 4; k++) {
        ASSERT_OK(pt_outbox_prune(db, &o, &st));
        ASSERT_EQ(st.pruned, want[k]);
    }
    pt_db_close(db);
    receiver_stop(&rv);
}

/* --- delivery per endpoint ---------------------------------------------------------------- */

static int add_hook_rec(pt_db *db, struct receiver *rv, pt_webhook_rec *out)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", rv->port);
    return pt_webhook_add(db, url, SECRET, out);
}

/* Requests a receiver got for event_id, and how many of them it accepted. */
static int got(struct receiver *rv, const char *event_id, int *accepted)
{
    int n = 0;
    *accepted = 0;
    pthread_mutex_lock(&rv->mu);
    for (int i = 0; i < rv->n; i++) {
        if (strcmp(rv->r[i].event_id, event_id) != 0)
            continue;
        n++;
        *accepted += rv->r[i].accepted;
    }
    pthread_mutex_unlock(&rv->mu);
    return n;
}

struct hook_ids {
    int64_t v[8];
    int     n;
    int64_t at;
};

static int collect_delivery(void *ud, const pt_outbox_delivery_rec *r)
{
    struct hook_ids *h = ud;
    if (h->n < 8)
        h->v[h->n++] = r->webhook_id;
    h->at = r->delivered_at;
    return PT_OK;
}

static struct hook_ids deliveries(pt_db *db, const pt_outbox_rec *e)
{
    struct hook_ids h = {0};
    if (pt_store_outbox_delivery_list(pt_db_store(db), e->member_id, e->id, collect_delivery, &h) != PT_OK)
        h.n = -1;
    return h;
}

/* Three endpoints, the middle one down: the two healthy ones get the event once, on the first
 * pass, and never again across the retries; the broken one alone is retried (its id in
 * last_error), gets the event once when it recovers, and only then is the entry delivered. */
BOTH_TEST(outbox_endpoint_that_is_down_neither_blocks_nor_duplicates_delivery_to_the_others)
{
    static struct receiver a, b, c;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(&c, 0, sizeof c);
    ASSERT_EQ(receiver_start(&a), 0);
    ASSERT_EQ(receiver_start(&b), 0);
    ASSERT_EQ(receiver_start(&c), 0);
    b.down = 1;
    pt_db *db = test_db_on(be, "per_endpoint");
    ASSERT(db != NULL);
    pt_webhook_rec ha, hb, hc;
    ASSERT_OK(add_hook_rec(db, &a, &ha));
    ASSERT_OK(add_hook_rec(db, &b, &hb));
    ASSERT_OK(add_hook_rec(db, &c, &hc));
    pt_store *s = pt_db_store(db);
    pt_outbox_rec e, r;
    ASSERT_OK(pt_outbox_enqueue(s, 7, "test.event", "{\"seq\":0}", TEST_NOW, &e));
    pt_outbox_opts o = {.no_jitter = 1, .base_delay_s = 10, .max_attempts = 5};
    pt_outbox_stats st;
    int acc;

    ASSERT_OK(pt_outbox_deliver_once(db, &o, &st));
    ASSERT_EQ(st.requests, 3); /* b's failure did not stop c */
    ASSERT_EQ(st.failed, 1);
    ASSERT_EQ(got(&a, e.event_id, &acc), 1);
    ASSERT_EQ(acc, 1);
    ASSERT_EQ(got(&c, e.event_id, &acc), 1);
    ASSERT_EQ(acc, 1);
    ASSERT_OK(pt_store_outbox_get(s, e.id, &r));
    ASSERT_EQ(r.state, PT_OUTBOX_PENDING);
    ASSERT_EQ(r.attempts, 1);
    ASSERT_EQ(r.next_at, TEST_NOW + 10);
    char want[64];
    snprintf(want, sizeof want, "webhook %lld: HTTP 503", (long long)hb.id);
    ASSERT_STR_EQ(r.last_error, want);
    struct hook_ids d = deliveries(db, &e);
    ASSERT_EQ(d.n, 2);
    ASSERT_EQ(d.v[0], ha.id);
    ASSERT_EQ(d.v[1], hc.id);
    ASSERT_EQ(d.at, TEST_NOW);

    /* two retries while b is still down: b alone is posted to */
    int64_t now = TEST_NOW;
    for (int k = 0; k < 2; k++) {
        now = r.next_at;
        pt_db_set_clock(db, now);
        ASSERT_OK(pt_outbox_deliver_once(db, &o, &st));
        ASSERT_EQ(st.attempted, 1);
        ASSERT_EQ(st.requests, 1);
        ASSERT_OK(pt_store_outbox_get(s, e.id, &r));
        ASSERT_EQ(r.state, PT_OUTBOX_PENDING);
        ASSERT_EQ(r.attempts, k + 2);
    }
    ASSERT_EQ(got(&a, e.event_id, &acc), 1);
    ASSERT_EQ(got(&c, e.event_id, &acc), 1);
    ASSERT_EQ(got(&b, e.event_id, &acc), 3);
    ASSERT_EQ(acc, 0);

    /* b recovers: it gets the event once and the entry is delivered */
    b.down = 0;
    now = r.next_at;
    pt_db_set_clock(db, now);
    ASSERT_OK(pt_outbox_deliver_once(db, &o, &st));
    ASSERT_EQ(st.requests, 1);
    ASSERT_EQ(st.delivered, 1);
    ASSERT_OK(pt_store_outbox_get(s, e.id, &r));
    ASSERT_EQ(r.state, PT_OUTBOX_DELIVERED);
    ASSERT_EQ(r.delivered_at, now);
    ASSERT_STR_EQ(r.last_error, "");
    ASSERT_EQ(got(&b, e.event_id, &acc), 4);
    ASSERT_EQ(acc, 1);
    ASSERT_EQ(got(&a, e.event_id, &acc), 1);
    ASSERT_EQ(got(&c, e.event_id, &acc), 1);
    ASSERT_EQ(deliveries(db, &e).n, 3);
    /* nothing more goes out */
    pt_db_set_clock(db, now + 3600);
    ASSERT_OK(pt_outbox_deliver_once(db, &o, &st));
    ASSERT_EQ(st.requests, 0);
    ASSERT_EQ(a.n + b.n + c.n, 6);
    pt_db_close(db);
    receiver_stop(&a);
    receiver_stop(&b);
    receiver_stop(&c);
}

/* max_attempts with one endpoint down: the dead letter is dead for the missing endpoint only —
 * the healthy one got it once and keeps its record — and a replay re-sends only to the missing
 * one. A replay of a delivered entry goes to every endpoint again. */
BOTH_TEST(outbox_dead_letter_replay_re_sends_only_to_the_endpoints_that_never_accepted_it)
{
    static struct receiver a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    ASSERT_EQ(receiver_start(&a), 0);
    ASSERT_EQ(receiver_start(&b), 0);
    a.always_fail = 1; /* the broken one first: it must not hold back b */
    pt_db *db = test_db_on(be, "per_endpoint_dead");
    ASSERT(db != NULL);
    pt_webhook_rec ha, hb;
    ASSERT_OK(add_hook_rec(db, &a, &ha));
    ASSERT_OK(add_hook_rec(db, &b, &hb));
    pt_store *s = pt_db_store(db);
    pt_outbox_rec e, r;
    ASSERT_OK(pt_outbox_enqueue(s, 9, "test.event", "{\"seq\":0}", TEST_NOW, &e));
    pt_outbox_opts o = {.no_jitter = 1, .base_delay_s = 10, .max_attempts = 2};
    pt_outbox_stats st;
    int acc;
    ASSERT_OK(pt_outbox_deliver_once(db, &o, &st));
    ASSERT_EQ(st.requests, 2);
    ASSERT_OK(pt_store_outbox_get(s, e.id, &r));
    pt_db_set_clock(db, r.next_at);
    ASSERT_OK(pt_outbox_deliver_once(db, &o, &st));
    ASSERT_EQ(st.requests, 1);
    ASSERT_EQ(st.dead, 1);
    ASSERT_OK(pt_store_outbox_get(s, e.id, &r));
    ASSERT_EQ(r.state, PT_OUTBOX_DEAD);
    char want[64];
    snprintf(want, sizeof want, "webhook %lld: HTTP 500", (long long)ha.id);
    ASSERT_STR_EQ(r.last_error, want);
    ASSERT_EQ(got(&b, e.event_id, &acc), 1);
    ASSERT_EQ(acc, 1);
    ASSERT_EQ(got(&a, e.event_id, &acc), 2);
    ASSERT_EQ(acc, 0);
    struct hook_ids d = deliveries(db, &e);
    ASSERT_EQ(d.n, 1);
    ASSERT_EQ(d.v[0], hb.id);

    /* a recovers; the replay sends to a alone */
    a.always_fail = 0;
    ASSERT_OK(pt_outbox_replay(db, e.id));
    ASSERT_OK(pt_outbox_deliver_once(db, &o, &st));
    ASSERT_EQ(st.requests, 1);
    ASSERT_EQ(st.delivered, 1);
    ASSERT_EQ(got(&a, e.event_id, &acc), 3);
    ASSERT_EQ(acc, 1);
    ASSERT_EQ(got(&b, e.event_id, &acc), 1);
    ASSERT_OK(pt_store_outbox_get(s, e.id, &r));
    ASSERT_EQ(r.state, PT_OUTBOX_DELIVERED);
    ASSERT_EQ(deliveries(db, &e).n, 2);

    /* a delivered entry replayed: both endpoints get it again, same event id */
    ASSERT_OK(pt_outbox_replay(db, e.id));
    ASSERT_EQ(deliveries(db, &e).n, 0);
    ASSERT_OK(pt_outbox_deliver_once(db, &o, &st));
    ASSERT_EQ(st.requests, 2);
    ASSERT_EQ(st.delivered, 1);
    ASSERT_EQ(got(&a, e.event_id, &acc), 4);
    ASSERT_EQ(acc, 2);
    ASSERT_EQ(got(&b, e.event_id, &acc), 2);
    ASSERT_EQ(acc, 2);
    pt_db_close(db);
    receiver_stop(&a);
    receiver_stop(&b);
}

/* Retention takes an entry's delivery rows with it; a kept entry keeps its rows. */
BOTH_TEST(outbox_retention_deletes_the_delivery_rows_of_pruned_entries)
{
    static struct receiver a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    ASSERT_EQ(receiver_start(&a), 0);
    ASSERT_EQ(receiver_start(&b), 0);
    pt_db *db = test_db_on(be, "per_endpoint_prune");
    ASSERT(db != NULL);
    ASSERT_OK(add_hook_rec(db, &a, NULL));
    ASSERT_OK(add_hook_rec(db, &b, NULL));
    pt_store *s = pt_db_store(db);
    pt_outbox_rec old, young;
    ASSERT_OK(pt_outbox_enqueue(s, 1, "test.event", "{\"seq\":1}", TEST_NOW, &old));
    pt_outbox_stats st;
    ASSERT_OK(pt_outbox_deliver_once(db, &(pt_outbox_opts){.no_jitter = 1}, &st));
    ASSERT_EQ(st.delivered, 1);
    pt_db_set_clock(db, TEST_NOW + 5 * 86400);
    ASSERT_OK(pt_outbox_enqueue(s, 2, "test.event", "{\"seq\":2}", TEST_NOW + 5 * 86400, &young));
    ASSERT_OK(pt_outbox_deliver_once(db, &(pt_outbox_opts){.no_jitter = 1}, &st));
    ASSERT_EQ(st.delivered, 1);
    ASSERT_EQ(deliveries(db, &old).n, 2);
    ASSERT_EQ(deliveries(db, &young).n, 2);
    ASSERT_OK(pt_outbox_prune(db, &(pt_outbox_opts){.now = TEST_NOW + 8 * 86400}, &st));
    ASSERT_EQ(st.pruned, 1);
    pt_outbox_rec r;
    ASSERT_EQ(pt_store_outbox_get(s, old.id, &r), PT_ENOTFOUND);
    ASSERT_EQ(deliveries(db, &old).n, 0);
    ASSERT_EQ(deliveries(db, &young).n, 2);
    pt_db_close(db);
    receiver_stop(&a);
    receiver_stop(&b);
}

BOTH_TEST(outbox_loses_nothing_when_the_deliverer_is_killed_mid_burst)
{
    static struct receiver rv;
    memset(&rv, 0, sizeof rv);
    ASSERT_EQ(receiver_start(&rv), 0);
    rv.delay_ms = 3;
    pt_db *db = test_db_on(be, "kill");
    ASSERT(db != NULL);
    ASSERT_OK(add_hook(db, &rv));
    const int members = 40, per = 5, total = members * per;
    for (int seq = 0; seq < per; seq++)
        for (int64_t m = 1; m <= members; m++)
            ASSERT_OK(enqueue(db, m, seq, "test.burst"));
    char dir[4200], url[4200];
    snprintf(dir, sizeof dir, "%s/kill", pt_test_tmpdir());
    snprintf(url, sizeof url, "%s", test_store_url(be, "kill", NULL));
    fflush(NULL);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        /* the deliverer process: its own connection, real clock */
        pt_db *cdb = NULL;
        char err[512];
        pt_db_opts dopts = {.store_url = url};
        if (pt_db_open(&cdb, dir, &dopts, err, sizeof err))
            _exit(3);
        pt_outbox_opts o = {.batch = 10};
        for (int k = 0; k < 1000; k++) {
            pt_outbox_stats ost;
            if (pt_outbox_deliver_once(cdb, &o, &ost))
                _exit(4);
            if (ost.attempted == 0)
                break;
        }
        _exit(0);
    }
    /* kill it once about a third of the burst has gone out */
    for (int k = 0; k < 20000 && receiver_count(&rv) < total / 3; k++)
        usleep(1000);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    int before = receiver_count(&rv);
    ASSERT_LT(before, total); /* it really was killed mid-burst */
    /* restart: a new deliverer finishes the work */
    pt_outbox_opts o = {.batch = 50};
    for (int k = 0; k < 100; k++) {
        pt_outbox_stats ost;
        ASSERT_OK(pt_outbox_deliver_once(db, &o, &ost));
        if (ost.attempted == 0)
            break;
    }
    struct states st = {0};
    ASSERT_OK(pt_store_outbox_list(pt_db_store(db), count_states, &st));
    ASSERT_EQ(st.delivered, total);
    int distinct, dups;
    char why[128] = "";
    int ok = check_received(&rv, &distinct, &dups, why, sizeof why);
    if (ok)
        fprintf(stderr, "    %s\n", why);
    ASSERT_EQ(ok, 0);
    ASSERT_EQ(distinct, total);
    ASSERT_LE(dups, 1); /* one request in flight at the kill */
    fprintf(stderr, "    killed after %d requests; %d duplicate(s) re-sent with the same event id\n", before, dups);
    pt_db_close(db);
    receiver_stop(&rv);
}

struct kinds {
    int  earn, other;
    char payload[PT_OUTBOX_PAYLOAD_MAX];
};

static int collect_kinds(void *ud, const pt_outbox_rec *r)
{
    struct kinds *k = ud;
    if (strcmp(r->kind, "points.earn") == 0) {
        k->earn++;
        snprintf(k->payload, sizeof k->payload, "%s", r->payload);
    } else {
        k->other++;
    }
    return PT_OK;
}

BOTH_TEST(programme_events_are_enqueued_with_the_change_and_not_for_a_failed_write)
{
    pt_db *db = test_db_on(be, "prog");
    ASSERT(db != NULL);
    pt_programme p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "test");
    snprintf(p.currency, sizeof p.currency, "CNY");
    snprintf(p.timezone, sizeof p.timezone, "Asia/Shanghai");
    p.growth_per_unit = 1;
    p.growth_unit_cents = 100;
    p.ntiers = 1;
    snprintf(p.tiers[0].code, sizeof p.tiers[0].code, "normal");
    p.tiers[0].points_multiplier_bp = PT_BP_ONE;
    pt_ledger *l = NULL;
    ASSERT_OK(pt_ledger_open(&l, db, &p));
    int64_t m = test_add_member(db, "t", "13800000009", NULL, "王五", "1990-01-02", TEST_NOW - 86400, NULL);
    ASSERT_GT(m, 0);
    struct kinds before = {0};
    ASSERT_OK(pt_store_outbox_list(pt_db_store(db), collect_kinds, &before));
    pt_ledger_req req = {.idem_key = "e1"};
    pt_ledger_result res;
    ASSERT_OK(pt_ledger_earn(l, m, 40, &req, &res));
    pt_ledger_req r2 = {.idem_key = "r1"};
    ASSERT_EQ(pt_ledger_redeem(l, m, 500, &r2, &res), PT_EFUNDS);
    struct kinds after = {0};
    ASSERT_OK(pt_store_outbox_list(pt_db_store(db), collect_kinds, &after));
    ASSERT_EQ(after.earn, before.earn + 1);
    ASSERT_EQ(after.other, before.other); /* the failed redeem left nothing */
    /* an earn whose enclosing transaction rolls back leaves no event either: the enqueue goes
     * with the change's transaction (same connection), never on its own */
    ASSERT_OK(pt_store_begin(pt_db_store(db)));
    pt_ledger_req r3 = {.idem_key = "e-rolled-back"};
    ASSERT_OK(pt_ledger_earn(l, m, 7, &r3, &res));
    ASSERT_OK(pt_store_rollback(pt_db_store(db)));
    struct kinds undone = {0};
    ASSERT_OK(pt_store_outbox_list(pt_db_store(db), collect_kinds, &undone));
    ASSERT_EQ(undone.earn, after.earn);
    ASSERT(strstr(after.payload, "\"audit_seq\":") != NULL);
    ASSERT(strstr(after.payload, "\"points\":40") != NULL);
    /* no personal data: the member's name, phone and birthday are nowhere in the payload */
    ASSERT(strstr(after.payload, "王五") == NULL);
    ASSERT(strstr(after.payload, "13800000009") == NULL);
    ASSERT(strstr(after.payload, "1990-01-02") == NULL);
    pt_ledger_close(l);
    pt_db_close(db);
}

/* --- inside patron serve ------------------------------------------------------------------ */

static void *serve_loop(void *srv)
{
    pt_server_run(srv);
    return NULL;
}

BOTH_TEST(outbox_is_delivered_by_the_serve_loop_as_a_periodic_job)
{
    static struct receiver rv;
    memset(&rv, 0, sizeof rv);
    ASSERT_EQ(receiver_start(&rv), 0);
    pt_db *db = test_db_on(be, "sj");
    ASSERT(db != NULL);
    ASSERT_OK(add_hook(db, &rv));
    for (int64_t m = 1; m <= 3; m++)
        ASSERT_OK(enqueue(db, m, 0, "test.event"));
    char dir[4200], url[1024];
    snprintf(dir, sizeof dir, "%s", pt_db_dir(db));
    snprintf(url, sizeof url, "%s", test_store_url(be, "sj", NULL));
    pt_db_close(db);

    pt_server_opts o = {.data_dir = dir, .store_url = url, .threads = 1};
    pt_server *srv = NULL;
    char err[512] = "";
    ASSERT_OK(pt_server_start(&srv, &o, err, sizeof err));
    pt_server_jobs j;
    pt_server_jobs_init(&j);
    j.data_dir = dir;
    j.store_url = url;
    j.outbox_every = 1;
    j.launch_every = j.triggers_every = 0; /* only the outbox: the others need a snapshot */
    ASSERT_OK(pt_server_add_jobs(srv, &j));
    pthread_t th;
    ASSERT_EQ(pthread_create(&th, NULL, serve_loop, srv), 0);
    for (int i = 0; i < 200 && receiver_count(&rv) < 3; i++) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    pt_server_request_stop(srv);
    pthread_join(th, NULL);
    pt_server_free(srv);

    int distinct = 0, dups = 0;
    char why[128] = "";
    int bad = check_received(&rv, &distinct, &dups, why, sizeof why);
    if (bad)
        fprintf(stderr, "    %s\n", why);
    ASSERT_EQ(bad, 0);
    ASSERT_EQ(distinct, 3);
    ASSERT_GE(j.outbox_runs, 1);
    ASSERT_EQ(j.failures, 0);
    receiver_stop(&rv);
}

/* `patron serve` on DIR/URL (port 0) with only the outbox job, every second; its pid. */
static pid_t serve_outbox(const char *dir, const char *url)
{
    char cmd[9000];
    snprintf(cmd, sizeof cmd,
             "exec '%s' serve --data '%s' --store '%s' --listen 127.0.0.1:0 --outbox-every 1"
             " --campaigns-every 86400 --triggers-every 604800 >/dev/null",
             pt_test_patron_bin(), dir, url);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a crashed test runner */
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

struct writer {
    const char *dir, *url;
    int         committed, rolled_back, failed;
};

/* 240 events over about 1.2 s, one committed transaction each; every 10th is rolled back. */
static void *write_events(void *ud)
{
    struct writer *w = ud;
    pt_db *db = NULL;
    pt_db_opts o = {.store_url = w->url};
    char err[256];
    if (pt_db_open(&db, w->dir, &o, err, sizeof err) != PT_OK) {
        w->failed = 1;
        return NULL;
    }
    pt_store *s = pt_db_store(db);
    for (int i = 0; i < 240; i++) {
        int undo = i % 10 == 9;
        if (pt_store_begin(s) || enqueue(db, 1 + i % 4, i, undo ? "test.rolled_back" : "test.event") ||
            (undo ? pt_store_rollback(s) : pt_store_commit(s))) {
            w->failed = 1;
            break;
        }
        w->committed += !undo;
        w->rolled_back += undo;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    pt_db_close(db);
    return NULL;
}

BOTH_TEST(outbox_survives_kill_9_of_the_server_mid_burst_and_delivers_every_committed_event_once_restarted)
{
    static struct receiver rv;
    memset(&rv, 0, sizeof rv);
    ASSERT_EQ(receiver_start(&rv), 0);
    rv.delay_ms = 3; /* deliveries take a while, so the kill finds some in flight */
    pt_db *db = test_db_on(be, "k9");
    ASSERT(db != NULL);
    ASSERT_OK(add_hook(db, &rv));
    char dir[4200], url[1024];
    snprintf(dir, sizeof dir, "%s", pt_db_dir(db));
    snprintf(url, sizeof url, "%s", test_store_url(be, "k9", NULL));
    pt_db_close(db);

    pid_t pid = serve_outbox(dir, url);
    ASSERT_GT(pid, 0);
    struct writer w = {.dir = dir, .url = url};
    pthread_t th;
    ASSERT_EQ(pthread_create(&th, NULL, write_events, &w), 0);
    for (int i = 0; i < 100 && receiver_count(&rv) < 20; i++) { /* delivering: then kill it */
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    int before = receiver_count(&rv);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    pthread_join(th, NULL);
    ASSERT_EQ(w.failed, 0);
    ASSERT_GT(before, 0);

    pid = serve_outbox(dir, url); /* restarted: it finishes the job */
    ASSERT_GT(pid, 0);
    int distinct = 0, dups = 0;
    char why[128] = "";
    for (int i = 0; i < 600; i++) {
        pthread_mutex_lock(&rv.mu); /* the receiver is still writing */
        int done = check_received(&rv, &distinct, &dups, why, sizeof why) == 0 && distinct >= w.committed;
        pthread_mutex_unlock(&rv.mu);
        if (done)
            break;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    int bad = check_received(&rv, &distinct, &dups, why, sizeof why);
    if (bad)
        fprintf(stderr, "    %s\n", why);
    ASSERT_EQ(bad, 0);
    ASSERT_EQ(distinct, w.committed);
    ASSERT_LE(dups, 4); /* at most the requests in flight when it was killed */
    for (int i = 0; i < rv.n; i++)
        ASSERT(strcmp(rv.r[i].kind, "test.rolled_back") != 0);
    receiver_stop(&rv);
}

/* outbox.c — the transactional outbox and its webhook deliverer (outbox.h).
 *
 * Invariants: an entry is written only through pt_outbox_enqueue, inside the caller's
 * transaction; its event id never changes; its state moves pending → delivered or pending →
 * dead, and back to pending only by an explicit replay; retention (pt_outbox_prune) deletes
 * delivered entries and dead letters once old enough (their per-endpoint delivery rows go with
 * them), a pending entry never. Delivery is per endpoint: each endpoint's acceptance of an entry
 * is recorded (outbox_deliveries), an entry is posted only to the active endpoints that have not
 * accepted it, and it is delivered once none is missing; attempts, backoff and the dead letter
 * concern the missing endpoints only, and one endpoint that is down never holds back the
 * others. The deliverer never holds a store transaction open across an HTTP request (a slow
 * receiver must not block writers): it reads a batch of due entries, posts each, records each
 * acceptance in a short transaction right after its answer and the entry's outcome in another.
 * A crash after a post and before its record re-sends the entry later to that one endpoint with
 * the same event id — the at-least-once half of the contract; receivers de-duplicate by event id.
 */
#include "patron/outbox.h"
#include "store_int.h"
#include "patron/error.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODY_MAX (PT_OUTBOX_PAYLOAD_MAX + 512)

int pt_outbox_enqueue(pt_store *s, int64_t member_id, const char *kind, const char *payload_json, int64_t now,
                      pt_outbox_rec *out)
{
    pt_outbox_rec local;
    pt_outbox_rec *r = out ? out : &local;
    memset(r, 0, sizeof *r);
    if (!kind || !*kind || strlen(kind) >= sizeof r->kind || !payload_json ||
        strlen(payload_json) >= sizeof r->payload)
        return pt__store_error(s, PT_EINVAL, "outbox entry: kind or payload missing or too long");
    uint8_t rnd[16];
    randombytes_buf(rnd, sizeof rnd);
    memcpy(r->event_id, "evt_", 4);
    sodium_bin2hex(r->event_id + 4, sizeof r->event_id - 4, rnd, sizeof rnd);
    r->member_id = member_id;
    snprintf(r->kind, sizeof r->kind, "%s", kind);
    snprintf(r->payload, sizeof r->payload, "%s", payload_json);
    r->created_at = now;
    r->state = PT_OUTBOX_PENDING;
    r->next_at = now;
    return pt_store_outbox_insert(s, r);
}

/* --- signatures --------------------------------------------------------------------------- */

void pt_webhook_sign(const char *secret, int64_t ts, const char *body, size_t body_len, char sig[72])
{
    crypto_auth_hmacsha256_state st;
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    char prefix[32];
    int n = snprintf(prefix, sizeof prefix, "%lld.", (long long)ts);
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)prefix, (unsigned long long)n);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, body_len);
    crypto_auth_hmacsha256_final(&st, mac);
    memcpy(sig, "v1=", 3);
    sodium_bin2hex(sig + 3, 72 - 3, mac, sizeof mac);
}

int pt_webhook_verify(const char *secret, int64_t ts, const char *body, size_t body_len, const char *header)
{
    char want[72];
    pt_webhook_sign(secret, ts, body, body_len, want);
    size_t n = strlen(want);
    if (!header || strlen(header) != n)
        return 0;
    return sodium_memcmp(want, header, n) == 0;
}

/* --- webhooks ----------------------------------------------------------------------------- */

int pt_webhook_add(pt_db *db, const char *url, const char *secret, pt_webhook_rec *out)
{
    pt_webhook_rec local;
    pt_webhook_rec *r = out ? out : &local;
    memset(r, 0, sizeof *r);
    pt_store *s = pt_db_store(db);
    if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) || strlen(url) >= sizeof r->url)
        return pt__store_error(s, PT_EINVAL, "webhook url: must start with http:// or https:// (at most %zu bytes)",
                               sizeof r->url - 1);
    if (secret && (strlen(secret) < 16 || strlen(secret) >= sizeof r->secret))
        return pt__store_error(s, PT_EINVAL, "webhook secret: 16 to %zu bytes", sizeof r->secret - 1);
    snprintf(r->url, sizeof r->url, "%s", url);
    if (secret) {
        snprintf(r->secret, sizeof r->secret, "%s", secret);
    } else {
        uint8_t rnd[32];
        randombytes_buf(rnd, sizeof rnd);
        sodium_bin2hex(r->secret, sizeof r->secret, rnd, sizeof rnd);
    }
    r->active = 1;
    r->created_at = pt_db_now(db);
    return pt_store_webhook_insert(s, r);
}

/* --- delivery ----------------------------------------------------------------------------- */

struct hooks {
    pt_webhook_rec *v;
    size_t          n, cap;
};

static int collect_hook(void *ud, const pt_webhook_rec *r)
{
    struct hooks *h = ud;
    if (!r->active)
        return PT_OK;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 4;
        pt_webhook_rec *v = realloc(h->v, cap * sizeof *v);
        if (!v)
            return PT_ENOMEM;
        h->v = v;
        h->cap = cap;
    }
    h->v[h->n++] = *r;
    return PT_OK;
}

struct due {
    pt_outbox_rec *v;
    size_t         n, cap;
};

static int collect_due(void *ud, const pt_outbox_rec *r)
{
    struct due *d = ud;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        pt_outbox_rec *v = realloc(d->v, cap * sizeof *v);
        if (!v)
            return PT_ENOMEM;
        d->v = v;
        d->cap = cap;
    }
    d->v[d->n++] = *r;
    return PT_OK;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Posts body to one endpoint; 0 on a 2xx answer, else a short reason in why. */
static int post(CURL *c, const pt_webhook_rec *w, const pt_outbox_rec *e, const char *body, size_t len, int64_t ts,
                long timeout_ms, char *why, size_t whylen)
{
    char sig[72], h_sig[96], h_ts[64], h_id[80];
    pt_webhook_sign(w->secret, ts, body, len, sig);
    snprintf(h_sig, sizeof h_sig, "X-Patron-Signature: %s", sig);
    snprintf(h_ts, sizeof h_ts, "X-Patron-Timestamp: %lld", (long long)ts);
    snprintf(h_id, sizeof h_id, "X-Patron-Event-Id: %s", e->event_id);
    struct curl_slist *h = NULL, *t;
    const char *hs[] = {"Content-Type: application/json", h_sig, h_ts, h_id, "Expect:"};
    for (size_t k = 0; k < sizeof hs / sizeof *hs; k++) {
        t = curl_slist_append(h, hs[k]);
        if (!t) {
            curl_slist_free_all(h);
            snprintf(why, whylen, "out of memory");
            return -1;
        }
        h = t;
    }
    curl_easy_setopt(c, CURLOPT_URL, w->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    CURLcode cc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(h);
    if (cc != CURLE_OK) {
        snprintf(why, whylen, "webhook %lld: %s", (long long)w->id, curl_easy_strerror(cc));
        return -1;
    }
    if (code < 200 || code > 299) {
        snprintf(why, whylen, "webhook %lld: HTTP %ld", (long long)w->id, code);
        return -1;
    }
    return 0;
}

static int64_t backoff(const pt_outbox_opts *o, int attempts)
{
    int64_t base = o->base_delay_s > 0 ? o->base_delay_s : 30;
    int64_t cap = o->max_delay_s > 0 ? o->max_delay_s : 6 * 3600;
    int64_t d = base;
    for (int k = 1; k < attempts && d < cap; k++)
        d *= 2;
    if (d > cap)
        d = cap;
    if (o->no_jitter)
        return d;
    /* U(0.5, 1.5) · d, in integer arithmetic: spreads retries of many entries that failed
     * together (a receiver that was down) instead of hitting it again all at once. */
    uint32_t u = randombytes_uniform(1000);
    return d / 2 + d * (int64_t)u / 1000;
}

static int record(pt_store *s, const pt_outbox_rec *e)
{
    int rc = pt_store_begin(s);
    if (rc)
        return rc;
    rc = pt_store_outbox_update(s, e);
    if (rc == PT_OK)
        return pt_store_commit(s);
    pt_store_rollback(s);
    return rc;
}

/* One endpoint's acceptance, in a short transaction of its own, right after its 2xx. */
static int record_accept(pt_store *s, const pt_outbox_rec *e, int64_t webhook_id, int64_t now)
{
    pt_outbox_delivery_rec d = {.member_id = e->member_id, .outbox_id = e->id, .webhook_id = webhook_id,
                                .delivered_at = now};
    int rc = pt_store_begin(s);
    if (rc)
        return rc;
    rc = pt_store_outbox_delivery_insert(s, &d);
    if (rc == PT_OK)
        return pt_store_commit(s);
    pt_store_rollback(s);
    return rc;
}

/* The webhook ids that already accepted the entry. */
struct accepted {
    int64_t *v;
    size_t   n, cap;
};

static int collect_accepted(void *ud, const pt_outbox_delivery_rec *r)
{
    struct accepted *a = ud;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        int64_t *v = realloc(a->v, cap * sizeof *v);
        if (!v)
            return PT_ENOMEM;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = r->webhook_id;
    return PT_OK;
}

static int has_accepted(const struct accepted *a, int64_t webhook_id)
{
    for (size_t k = 0; k < a->n; k++)
        if (a->v[k] == webhook_id)
            return 1;
    return 0;
}

/* After a pass over the endpoints still missing: delivered when none is missing any more; else
 * backoff, or dead-lettered after the last attempt (for the missing endpoints only: those that
 * accepted keep their record, and a replay does not send to them again). */
static void settle(pt_outbox_rec *e, size_t missing, const char *why, const pt_outbox_opts *o, int64_t now,
                   pt_outbox_stats *st)
{
    st->attempted++;
    e->attempts++;
    if (missing == 0) {
        e->state = PT_OUTBOX_DELIVERED;
        e->delivered_at = now;
        e->last_error[0] = 0;
        st->delivered++;
        return;
    }
    snprintf(e->last_error, sizeof e->last_error, "%s", why);
    int max = o->max_attempts > 0 ? o->max_attempts : 16;
    if (e->attempts >= max) {
        e->state = PT_OUTBOX_DEAD;
        e->next_at = now; /* a dead letter's next_at is its last attempt: its retention counts from it */
        st->dead++;
    } else {
        e->next_at = now + backoff(o, e->attempts);
        st->failed++;
    }
}

/* Posts the entry to every active endpoint that has not accepted it yet; one failing endpoint
 * does not stop the others. Each acceptance is recorded as soon as it is answered, so a retry
 * (or a crash and restart) posts only to the endpoints still missing. */
static int deliver_one(pt_store *s, CURL *c, const struct hooks *h, pt_outbox_rec *e, const pt_outbox_opts *o,
                       int64_t now, pt_outbox_stats *st)
{
    struct accepted acc = {0};
    int rc = pt_store_outbox_delivery_list(s, e->member_id, e->id, collect_accepted, &acc);
    if (rc) {
        free(acc.v);
        return rc;
    }
    char body[BODY_MAX];
    int len = snprintf(body, sizeof body,
                       "{\"event_id\":\"%s\",\"kind\":\"%s\",\"member_id\":%lld,\"created_at\":%lld,\"data\":%s}",
                       e->event_id, e->kind, (long long)e->member_id, (long long)e->created_at, e->payload);
    char why[PT_OUTBOX_ERROR_MAX] = "", one[PT_OUTBOX_ERROR_MAX];
    size_t missing = 0, failed = 0;
    int fits = len > 0 && (size_t)len < sizeof body;
    for (size_t k = 0; rc == PT_OK && k < h->n; k++) {
        if (has_accepted(&acc, h->v[k].id))
            continue;
        int ok = 0;
        if (!fits) {
            snprintf(one, sizeof one, "body too long");
        } else {
            st->requests++;
            ok = post(c, &h->v[k], e, body, (size_t)len, now, o->timeout_ms > 0 ? o->timeout_ms : 10000, one,
                      sizeof one) == 0;
        }
        if (ok) {
            rc = record_accept(s, e, h->v[k].id, now);
            continue;
        }
        missing++;
        if (failed++ == 0)
            snprintf(why, sizeof why, "%s", one);
    }
    free(acc.v);
    if (rc)
        return rc;
    if (failed > 1) {
        size_t n = strlen(why);
        char more[40];
        int m = snprintf(more, sizeof more, " (+%zu more)", failed - 1);
        if (m > 0 && n + (size_t)m >= sizeof why)
            n = sizeof why - 1 - (size_t)m;
        snprintf(why + n, sizeof why - n, "%s", more);
    }
    settle(e, missing, why, o, now, st);
    return record(s, e);
}

int pt_outbox_deliver_once(pt_db *db, const pt_outbox_opts *opts, pt_outbox_stats *st)
{
    pt_outbox_opts o = opts ? *opts : (pt_outbox_opts){0};
    pt_outbox_stats local;
    st = st ? st : &local;
    memset(st, 0, sizeof *st);
    pt_store *s = pt_db_store(db);
    int64_t now = o.now ? o.now : pt_db_now(db);
    struct hooks h = {0};
    struct due d = {0};
    int rc = pt_store_webhook_list(s, collect_hook, &h);
    if (rc == PT_OK && h.n)
        rc = pt_store_outbox_due(s, now, o.batch > 0 ? o.batch : 100, collect_due, &d);
    CURL *c = NULL;
    if (rc == PT_OK && d.n) {
        pthread_once(&curl_once, curl_init);
        c = curl_easy_init();
        if (!c)
            rc = pt__store_error(s, PT_ENOMEM, "cannot start an HTTP client");
    }
    for (size_t k = 0; rc == PT_OK && k < d.n; k++)
        rc = deliver_one(s, c, &h, &d.v[k], &o, now, st);
    if (c)
        curl_easy_cleanup(c);
    free(h.v);
    free(d.v);
    return rc;
}

/* Deletes entries in state older than keep_days (0: dflt, < 0: none), up to batch. */
static int prune_state(pt_store *s, int state, int keep_days, int dflt, int64_t now, int batch, int64_t *n)
{
    *n = 0;
    if (keep_days < 0)
        return PT_OK;
    int64_t days = keep_days ? keep_days : dflt;
    return pt_store_outbox_prune(s, state, now - days * 86400, batch, n);
}

int pt_outbox_prune(pt_db *db, const pt_outbox_opts *opts, pt_outbox_stats *st)
{
    pt_outbox_opts o = opts ? *opts : (pt_outbox_opts){0};
    pt_outbox_stats local;
    st = st ? st : &local;
    memset(st, 0, sizeof *st);
    pt_store *s = pt_db_store(db);
    int64_t now = o.now ? o.now : pt_db_now(db);
    int batch = o.prune_batch > 0 ? o.prune_batch : 10000;
    int rc = prune_state(s, PT_OUTBOX_DELIVERED, o.keep_days, 7, now, batch, &st->pruned);
    if (rc == PT_OK)
        rc = prune_state(s, PT_OUTBOX_DEAD, o.dead_keep_days, 90, now, batch, &st->pruned_dead);
    return rc;
}

int pt_outbox_replay(pt_db *db, int64_t id)
{
    pt_store *s = pt_db_store(db);
    pt_outbox_rec e;
    int rc = pt_store_begin(s);
    if (rc)
        return rc;
    rc = pt_store_outbox_get(s, id, &e);
    /* A delivered entry is replayed to every endpoint again (its receivers asked for it); a
     * dead letter only to the endpoints that never accepted it. */
    int64_t cleared = 0;
    if (rc == PT_OK && e.state == PT_OUTBOX_DELIVERED)
        rc = pt_store_outbox_delivery_clear(s, e.member_id, e.id, &cleared);
    if (rc == PT_OK) {
        e.state = PT_OUTBOX_PENDING;
        e.attempts = 0;
        e.next_at = pt_db_now(db);
        e.last_error[0] = 0;
        rc = pt_store_outbox_update(s, &e);
    }
    if (rc == PT_OK)
        return pt_store_commit(s);
    pt_store_rollback(s);
    return rc;
}

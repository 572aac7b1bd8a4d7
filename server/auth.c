/* auth.c — API keys on requests, and a rate limit per key.
 *
 * Keys arrive as "Authorization: Bearer KEY". A cache maps a key's hash to its id, role and
 * name, so a request costs one BLAKE2b hash and a table probe, not a store read. The cache is
 * rebuilt from the store every 2 s by a periodic job (srv_auth_reload): a key revoked with
 * `patron key revoke` stops working within 2 s. A key not in the cache is looked up in the
 * store once (so a key created a moment ago works at once) and cached if live. Unknown keys
 * are not cached (their number would be unbounded); their look-up is one indexed read.
 *
 * Rate limit: a token bucket per key id (opts.rate_per_sec tokens per second, at most
 * opts.rate_burst banked). An empty bucket answers 429 with Retry-After: the seconds until a
 * token is back (at least 1).
 */
#include "server_int.h"
#include "patron/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct key_entry {
    uint8_t hash[PT_APIKEY_HASH_LEN];
    int64_t id;
    int     role;
    char    name[PT_APIKEY_NAME_MAX];
    double  tokens;
    int64_t refill_ns;
    int     used;
};

#define CACHE_SLOTS 1024 /* open addressing; keys beyond ~700 live ones are looked up each time */

struct srv_auth {
    pthread_mutex_t  mu;
    struct key_entry slot[CACHE_SLOTS];
};

int srv_auth_init(struct pt_server *srv)
{
    srv->auth = calloc(1, sizeof *srv->auth);
    if (!srv->auth)
        return -1;
    pthread_mutex_init(&srv->auth->mu, NULL);
    return 0;
}

void srv_auth_free(struct pt_server *srv)
{
    if (!srv->auth)
        return;
    pthread_mutex_destroy(&srv->auth->mu);
    free(srv->auth);
    srv->auth = NULL;
}

static size_t slot_of(const uint8_t *hash)
{
    size_t h;
    memcpy(&h, hash, sizeof h);
    return h % CACHE_SLOTS;
}

/* The entry for hash, or NULL. Caller holds mu. */
static struct key_entry *find(struct srv_auth *a, const uint8_t *hash)
{
    size_t i = slot_of(hash);
    for (size_t n = 0; n < CACHE_SLOTS; n++, i = (i + 1) % CACHE_SLOTS) {
        if (!a->slot[i].used)
            return NULL;
        if (memcmp(a->slot[i].hash, hash, PT_APIKEY_HASH_LEN) == 0)
            return &a->slot[i];
    }
    return NULL;
}

/* Adds a live key, keeping an existing entry's bucket. Caller holds mu. */
static void put(struct srv_auth *a, const pt_apikey_rec *k, double burst)
{
    int role = pt_role_parse(k->role);
    if (role < 0 || k->revoked_at > 0)
        return;
    size_t i = slot_of(k->hash);
    for (size_t n = 0; n < CACHE_SLOTS * 3 / 4; n++, i = (i + 1) % CACHE_SLOTS) {
        struct key_entry *e = &a->slot[i];
        if (e->used && memcmp(e->hash, k->hash, PT_APIKEY_HASH_LEN) != 0)
            continue;
        if (!e->used) {
            memcpy(e->hash, k->hash, PT_APIKEY_HASH_LEN);
            e->tokens = burst;
            e->refill_ns = srv_now_ns();
            e->used = 1;
        }
        e->id = k->id;
        e->role = role;
        snprintf(e->name, sizeof e->name, "%s", k->name);
        return;
    }
}

struct reload {
    struct srv_auth *fresh;
    double           burst;
};

static int reload_one(void *ud, const pt_apikey_rec *k)
{
    struct reload *rl = ud;
    put(rl->fresh, k, rl->burst);
    return 0;
}

void srv_auth_reload(void *ud, int64_t now)
{
    (void)now;
    struct pt_server *srv = ud;
    struct srv_auth *fresh = calloc(1, sizeof *fresh);
    if (!fresh)
        return;
    /* Read the store without the lock (requests go on meanwhile), then swap under it. */
    struct reload rl = {fresh, srv->opts.rate_burst};
    int rc = pt_apikey_list(srv->main_db, reload_one, &rl);
    if (rc) {
        fprintf(stderr, "patron serve: reloading API keys failed: %s\n", pt_db_errmsg(srv->main_db));
        free(fresh);
        return;
    }
    pthread_mutex_lock(&srv->auth->mu);
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        struct key_entry *was = fresh->slot[i].used ? find(srv->auth, fresh->slot[i].hash) : NULL;
        if (was) { /* a reload must not refill anyone's bucket */
            fresh->slot[i].tokens = was->tokens;
            fresh->slot[i].refill_ns = was->refill_ns;
        }
    }
    memcpy(srv->auth->slot, fresh->slot, sizeof fresh->slot);
    pthread_mutex_unlock(&srv->auth->mu);
    free(fresh);
}

/* Takes a token; returns 0, or the seconds to wait. Caller holds mu. */
static int take_token(struct key_entry *e, const pt_server_opts *o)
{
    int64_t now = srv_now_ns();
    e->tokens += (double)(now - e->refill_ns) / 1e9 * o->rate_per_sec;
    if (e->tokens > o->rate_burst)
        e->tokens = o->rate_burst;
    e->refill_ns = now;
    if (e->tokens >= 1.0) {
        e->tokens -= 1.0;
        return 0;
    }
    int wait = (int)ceil((1.0 - e->tokens) / o->rate_per_sec);
    return wait < 1 ? 1 : wait;
}

/* Fills r from a cached entry and takes its token (caller holds mu); 0 or seconds to wait. */
static int admit(struct srv_req *r, struct key_entry *e)
{
    r->role = e->role;
    r->key_id = e->id;
    snprintf(r->key_name, sizeof r->key_name, "%s", e->name);
    return take_token(e, &r->srv->opts);
}

/* A key that is not cached: one store read. It is cached when there is room; a key that did
 * not fit (the cache is full) is admitted from the store record, without a bucket. */
static int admit_uncached(struct srv_req *r, struct srv_thread *t, const char *key, size_t len,
                          const uint8_t *hash, int *wait)
{
    struct pt_server *srv = r->srv;
    pt_apikey_rec k;
    int rc = pt_apikey_check(t->db, key, len, &k);
    if (rc != PT_OK) {
        srv_error(r, 401, "unauthenticated", "Authorization",
                  rc == PT_ESTATE ? "this API key was revoked" : "unknown API key");
        return -1;
    }
    pthread_mutex_lock(&srv->auth->mu);
    put(srv->auth, &k, srv->opts.rate_burst);
    struct key_entry *e = find(srv->auth, hash);
    *wait = e ? admit(r, e) : 0;
    pthread_mutex_unlock(&srv->auth->mu);
    if (!e) {
        r->role = pt_role_parse(k.role);
        r->key_id = k.id;
        snprintf(r->key_name, sizeof r->key_name, "%s", k.name);
    }
    return 0;
}

int srv_auth_check(struct srv_req *r, struct srv_thread *t)
{
    struct pt_server *srv = r->srv;
    const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncmp(h, "Bearer ", 7) != 0) {
        srv_error(r, 401, "unauthenticated", "Authorization", "send an API key as Authorization: Bearer KEY");
        return -1;
    }
    const char *key = h + 7;
    size_t len = strlen(key);
    uint8_t hash[PT_APIKEY_HASH_LEN];
    pt_apikey_hash(key, len, hash);
    /* The common case: one probe and the token, under one lock. */
    pthread_mutex_lock(&srv->auth->mu);
    struct key_entry *e = find(srv->auth, hash);
    int wait = e ? admit(r, e) : 0;
    pthread_mutex_unlock(&srv->auth->mu);
    if (!e && admit_uncached(r, t, key, len, hash, &wait) != 0)
        return -1;
    if (wait) {
        r->retry_after = wait;
        srv_error(r, 429, "rate_limited", NULL, "too many requests for this API key; retry after %d s", wait);
        return -1;
    }
    return 0;
}

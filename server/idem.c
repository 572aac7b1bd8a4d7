/* idem.c — the Idempotency-Key of writes that do not go through the ledger (member create and
 * merge, identities, events and surveys, tier evaluation, referrals).
 *
 * The ledger keeps its own idempotency (ledger.c); these writes reuse its table
 * (idempotency_keys, one row per member and key, through pt_store_idem_get/insert) with an op
 * of their own ("members.create", …), the request's fingerprint (BLAKE2b of the op, the path
 * argument and the canonical body) and the first response (status and body). A write whose
 * member is known before it runs is scoped to that member, as the ledger's are. A write that
 * has no member before it runs (a create, an ingest batch) is "global": a meta entry
 * "idem.<op>.<key>" points the key at the member its record is kept under.
 *
 * Invariants: both lookups and the record run on the writer thread inside the request's
 * savepoint, so a request that fails leaves no record, and two requests with the same key in
 * one batch see each other (the second replays). A replay answers the first status and body
 * with "replayed": true; the same key with another request is 409 idempotency_conflict.
 * Records hold no personal data: the request body is hashed, never stored, and the personal
 * fields of a stored response (a member view's name, phone, e-mail, birthday and address; an
 * identifier's masked value) are dropped before it is stored — records are not encrypted. A
 * route whose answer had them fills them in again on replay (srv_idem_replay's caller).
 */
#include "server_int.h"
#include "patron/error.h"
#include "patron/store.h"
#include "patron/store_ledger.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Computed once per job (srv_idem_replay, then srv_idem_remember both need it): a batch of
 * ingest items is a large body to serialise on the writer thread. */
static int fingerprint(struct srv_job *j, const char *op, uint8_t out[PT_HASH_LEN])
{
    _Static_assert(sizeof j->req_hash == PT_HASH_LEN, "srv_job.req_hash holds one fingerprint");
    if (j->req_hashed) {
        memcpy(out, j->req_hash, PT_HASH_LEN);
        return PT_OK;
    }
    char *text = j->in ? json_dumps(j->in, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (j->in && !text)
        return PT_ENOMEM;
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, PT_HASH_LEN);
    crypto_generichash_update(&st, (const uint8_t *)op, strlen(op) + 1);
    crypto_generichash_update(&st, (const uint8_t *)j->arg, strlen(j->arg) + 1);
    if (text) {
        crypto_generichash_update(&st, (const uint8_t *)text, strlen(text));
        sodium_memzero(text, strlen(text)); /* the body may hold a phone or an e-mail */
        free(text);
    }
    crypto_generichash_final(&st, out, PT_HASH_LEN);
    memcpy(j->req_hash, out, PT_HASH_LEN);
    j->req_hashed = 1;
    return PT_OK;
}

static void meta_key(const struct srv_job *j, const char *op, char *out, size_t cap)
{
    snprintf(out, cap, "idem.%s.%s", op, j->idem);
}

static int conflict(struct srv_job *j)
{
    srv_job_error(j, PT_ECONFLICT, "this Idempotency-Key was used for a different request");
    return PT_ECONFLICT;
}

/* The member a global key's record is kept under; 0 when the key is unused. */
static int global_member(struct srv_job *j, pt_store *s, const char *op, int64_t *member_id)
{
    char key[SRV_IDEM_MAX + 64];
    pt_buf v;
    pt_buf_init(&v, 64);
    meta_key(j, op, key, sizeof key);
    *member_id = 0;
    int rc = pt_store_meta_get(s, key, &v);
    if (rc == PT_OK) {
        char *end;
        long long id = strtoll(pt_buf_str(&v), &end, 10);
        rc = *end || id <= 0 ? PT_ECORRUPT : PT_OK;
        *member_id = id;
    }
    pt_buf_free(&v);
    return rc == PT_ENOTFOUND ? PT_OK : rc;
}

int srv_idem_replay(struct srv_job *j, pt_db *db, const char *op, int64_t member_id, int *replayed)
{
    pt_store *s = pt_db_store(db);
    uint8_t hash[PT_HASH_LEN];
    *replayed = 0;
    int rc = member_id ? PT_OK : global_member(j, s, op, &member_id);
    if (rc == PT_OK)
        rc = fingerprint(j, op, hash);
    if (rc) {
        srv_job_error(j, rc, pt_store_errmsg(s));
        return rc;
    }
    if (!member_id)
        return PT_OK;
    pt_idem_rec rec;
    pt_idem_rec_init(&rec);
    rc = pt_store_idem_get(s, member_id, j->idem, &rec);
    if (rc == PT_ENOTFOUND) {
        rc = PT_OK;
    } else if (rc == PT_OK && (strcmp(rec.op, op) != 0 || memcmp(rec.request_hash, hash, PT_HASH_LEN) != 0)) {
        rc = conflict(j);
    } else if (rc == PT_OK) {
        json_error_t err;
        json_t *first = json_loadb((const char *)rec.result.data, rec.result.len, 0, &err);
        json_t *body = json_object_get(first, "body");
        int status = (int)json_integer_value(json_object_get(first, "status"));
        if (!json_is_object(body) || status < 200 || status > 299) {
            rc = PT_ECORRUPT;
            srv_job_error(j, rc, "an idempotency record is unreadable");
        } else {
            json_decref(j->result);
            j->result = json_incref(body);
            json_object_set_new(j->result, "replayed", json_true());
            j->status = status;
            *replayed = 1;
        }
        json_decref(first);
    } else {
        srv_job_error(j, rc, pt_store_errmsg(s));
    }
    pt_idem_rec_free(&rec);
    return rc;
}

/* The response as it may be stored: without personal fields. */
static json_t *storable(const json_t *body)
{
    static const char *const personal[] = {"name", "phone", "email", "birthday", "address", "value"};
    json_t *copy = json_deep_copy(body);
    for (size_t i = 0; copy && i < sizeof personal / sizeof *personal; i++)
        json_object_del(copy, personal[i]);
    return copy;
}

int srv_idem_remember(struct srv_job *j, pt_db *db, const char *op, int64_t member_id, int global)
{
    pt_store *s = pt_db_store(db);
    pt_idem_rec rec;
    pt_idem_rec_init(&rec);
    rec.member_id = member_id;
    snprintf(rec.key, sizeof rec.key, "%s", j->idem);
    snprintf(rec.op, sizeof rec.op, "%s", op);
    rec.created_at = pt_db_now(db);
    json_object_set_new(j->result, "replayed", json_false());
    json_t *first = json_pack("{s:i,s:o*}", "status", j->status, "body", storable(j->result));
    char *text = first ? json_dumps(first, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    int rc = text ? fingerprint(j, op, rec.request_hash) : PT_ENOMEM;
    if (rc == PT_OK)
        rc = pt_buf_set(&rec.result, text, strlen(text));
    if (rc == PT_OK)
        rc = pt_store_idem_insert(s, &rec);
    if (rc == PT_OK && global) {
        char key[SRV_IDEM_MAX + 64], id[24];
        meta_key(j, op, key, sizeof key);
        snprintf(id, sizeof id, "%lld", (long long)member_id);
        rc = pt_store_meta_set(s, key, id);
    }
    free(text);
    json_decref(first);
    pt_idem_rec_free(&rec);
    if (rc == PT_EEXIST) /* the member's key was taken by another kind of write */
        return conflict(j);
    if (rc)
        srv_job_error(j, rc, pt_store_errmsg(s));
    return rc;
}

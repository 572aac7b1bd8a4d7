/* reward_frame.c — the transaction frame, idempotency records, random codes and audit
 * records shared by the rewards modules (reward_int.h has the contract).
 *
 * Invariants: a frame either commits everything its body did or nothing; an idempotency
 * record is written in the same transaction as the change it describes, so a key is applied
 * at most once even across a crash and a retry.
 */
#include "reward_int.h"
#include "patron/audit.h"
#include "patron/error.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRIES 8

int pt__reward_store_error(pt_ledger *l, int rc)
{
    return pt__ledger_error(l, rc, "%s", pt_store_errmsg(l->s));
}

/* Locks the member's account when it exists (a member without one has no points yet). */
static int lock_member(struct rw_op *o)
{
    if (!o->member_id)
        return PT_OK;
    int rc = pt_store_account_get(o->l->s, o->member_id, 1, &o->acct);
    o->has_acct = rc == PT_OK;
    if (rc == PT_ENOTFOUND) {
        memset(&o->acct, 0, sizeof o->acct);
        o->acct.member_id = o->member_id;
        rc = PT_OK;
    }
    return rc ? pt__reward_store_error(o->l, rc) : PT_OK;
}

static int attempt(pt_ledger *l, int64_t member_id, const pt_ledger_req *req, rw_body body, void *arg)
{
    struct rw_op o = {.l = l, .member_id = member_id, .now = pt_db_now(l->db)};
    o.at = req && req->at ? req->at : o.now;
    o.actor = req && req->actor && *req->actor ? req->actor : "system";
    int rc = pt_store_begin_locking(l->s);
    if (rc)
        return pt__reward_store_error(l, rc);
    rc = lock_member(&o);
    if (rc == PT_OK)
        rc = body(&o, arg);
    if (rc == PT_OK && (rc = pt_store_commit(l->s)))
        pt__reward_store_error(l, rc);
    if (rc && pt_store_in_tx(l->s))
        pt_store_rollback(l->s);
    return rc;
}

int pt__reward_run(pt_ledger *l, int64_t member_id, const pt_ledger_req *req, rw_body body, void *arg)
{
    int outer = !pt_store_in_tx(l->s);
    int rc;
    for (int i = 0;; i++) {
        l->errmsg[0] = 0;
        rc = attempt(l, member_id, req, body, arg);
        if (rc != PT_ERETRY || !outer || i + 1 == RETRIES)
            break;
    }
    if (rc && !l->errmsg[0])
        pt__reward_store_error(l, rc);
    return rc;
}

/* --- idempotency -------------------------------------------------------------------------- */

static void request_hash(const char *op, const char *text, uint8_t out[PT_HASH_LEN])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, PT_HASH_LEN);
    crypto_generichash_update(&st, (const uint8_t *)op, strlen(op) + 1);
    crypto_generichash_update(&st, (const uint8_t *)text, strlen(text));
    crypto_generichash_final(&st, out, PT_HASH_LEN);
}

int pt__reward_idem_get(struct rw_op *o, const char *key, const char *op, const char *request, json_t **result)
{
    uint8_t hash[PT_HASH_LEN];
    request_hash(op, request, hash);
    pt_idem_rec r;
    pt_idem_rec_init(&r);
    *result = NULL;
    int rc = pt_store_idem_get(o->l->s, o->member_id, key, &r);
    if (rc == PT_OK && (strcmp(r.op, op) != 0 || memcmp(r.request_hash, hash, PT_HASH_LEN) != 0))
        rc = pt__ledger_error(o->l, PT_ECONFLICT, "idempotency key %s was used for a different request", key);
    else if (rc == PT_OK && !(*result = json_loadb((const char *)r.result.data, r.result.len, 0, NULL)))
        rc = pt__ledger_error(o->l, PT_ECORRUPT, "idempotency key %s: stored result does not parse", key);
    else if (rc && rc != PT_ENOTFOUND)
        rc = pt__reward_store_error(o->l, rc);
    pt_idem_rec_free(&r);
    return rc;
}

int pt__reward_idem_put(struct rw_op *o, const char *key, const char *op, const char *request, json_t *result)
{
    pt_idem_rec r;
    pt_idem_rec_init(&r);
    r.member_id = o->member_id;
    snprintf(r.key, sizeof r.key, "%s", key);
    snprintf(r.op, sizeof r.op, "%s", op);
    request_hash(op, request, r.request_hash);
    r.created_at = o->now;
    char *text = json_dumps(result, JSON_COMPACT | JSON_SORT_KEYS);
    int rc = text ? pt_buf_set(&r.result, text, strlen(text)) : PT_ENOMEM;
    if (rc == PT_OK && (rc = pt_store_idem_insert(o->l->s, &r)))
        pt__reward_store_error(o->l, rc);
    free(text);
    pt_idem_rec_free(&r);
    return rc;
}

/* --- codes and audit ---------------------------------------------------------------------- */

void pt__reward_code(char *out, size_t cap, size_t n)
{
    static const char alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    _Static_assert(sizeof alphabet - 1 == 32, "the code alphabet has 32 symbols");
    uint8_t raw[64];
    if (n >= cap)
        n = cap - 1;
    if (n > sizeof raw)
        n = sizeof raw;
    randombytes_buf(raw, n);
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[raw[i] & 31]; /* 256 is a multiple of 32: no bias */
    out[n] = 0;
    sodium_memzero(raw, sizeof raw);
}

int pt__reward_audit(struct rw_op *o, int64_t member_id, const char *action, json_t *detail)
{
    char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    int rc = text ? pt_audit_append(o->l->s, o->l->crypt, member_id, o->now, o->actor, action, text) : PT_ENOMEM;
    if (rc && rc != PT_ENOMEM)
        pt__reward_store_error(o->l, rc);
    free(text);
    return rc;
}

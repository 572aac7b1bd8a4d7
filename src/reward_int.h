/* reward_int.h — what reward.c, coupon.c, referral.c and activity.c share (reward_frame.c):
 * the transaction frame, idempotency records with a JSON result, random codes, audit records.
 *
 * The frame (pt__reward_run) is the rewards' counterpart of the ledger's run_op: begin a
 * locking transaction, lock the member's points account row when there is one (so every
 * write for one member — ours and the ledger's — serialises on the same row, taken first),
 * run the body, commit; any failure rolls back everything the body did, including the
 * ledger writes it made (those run as savepoints inside it). PT_ERETRY retries the whole
 * frame when it is the outermost transaction.
 */
#ifndef PATRON_REWARD_INT_H
#define PATRON_REWARD_INT_H

#include "ledger_int.h"
#include "patron/reward.h"

#include <jansson.h>

struct rw_op {
    pt_ledger     *l;
    int64_t        member_id;  /* whose account row is locked (0: none) */
    int64_t        at;         /* business time (req->at or now) */
    int64_t        now;        /* wall clock */
    const char    *actor;      /* "system" when the request names none */
    pt_account_rec acct;       /* the locked account (zeros and tier "" when has_acct = 0) */
    int            has_acct;
};

typedef int (*rw_body)(struct rw_op *o, void *arg);

/* Runs body in one locking transaction (see above). req may be NULL. */
int pt__reward_run(pt_ledger *l, int64_t member_id, const pt_ledger_req *req, rw_body body, void *arg);

/* Idempotency for the rewards' own operations, in the ledger's idempotency table (member-
 * scoped; op names "reward.redeem", "coupon.issue", "activity.checkin", …). request is the
 * canonical request text. Lookup: PT_OK with *result (caller decrefs) when the key applied
 * this request before, PT_ENOTFOUND when unused, PT_ECONFLICT when used for another request. */
int pt__reward_idem_get(struct rw_op *o, const char *key, const char *op, const char *request, json_t **result);
int pt__reward_idem_put(struct rw_op *o, const char *key, const char *op, const char *request, json_t *result);

/* A random code of n characters (n < cap) of the unambiguous alphabet 2–9, A–Z without I and O
 * (32 symbols: 5 bits each, from randombytes_buf). */
void pt__reward_code(char *out, size_t cap, size_t n);

/* Appends an audit record for member_id (detail: a JSON object, no personal data). */
int pt__reward_audit(struct rw_op *o, int64_t member_id, const char *action, json_t *detail);

/* The store's message as the ledger's, returning rc. */
int pt__reward_store_error(pt_ledger *l, int rc);

#define PT_REWARD_KEY_MAX 70 /* client keys: room for a "reward:" / "activity:" prefix */

#endif

/* audit.h — the append-only, hash-chained audit log.
 *
 * Every change to a member's points, tier, coupons or personal data, and every store-wide
 * change (keys, programme loads), appends one record in the same transaction as the change:
 * who (actor), what (action), when, and a JSON detail with ids and amounts before/after —
 * never personal data. Records form one chain per member (member 0: store-wide); each record's
 * hash is a keyed BLAKE2b (the master key's audit subkey) over the previous hash and the
 * record's fields, and the chain's head (last seq and hash) is kept in its own row. So a
 * changed record breaks its hash, a deleted record breaks the sequence or the next link, and
 * a deleted tail no longer matches the head; without the master key no one can re-link.
 */
#ifndef PATRON_AUDIT_H
#define PATRON_AUDIT_H

#include "patron/crypt.h"
#include "patron/store.h"

#include <stdint.h>

/* Appends a record to member_id's chain (0: store-wide). Must run inside a transaction; takes
 * the chain head's row lock. detail_json is a JSON object (not checked here). */
int pt_audit_append(pt_store *s, const pt_crypt *c, int64_t member_id, int64_t at, const char *actor,
                    const char *action, const char *detail_json);

typedef struct pt_audit_report {
    int64_t chains;
    int64_t records;
    int64_t problems;
} pt_audit_report;

/* Called once per problem found: member chain, seq (0 when about the head) and what is wrong. */
typedef void (*pt_audit_problem_cb)(void *ud, int64_t member_id, int64_t seq, const char *problem);

/* Checks every chain against its head. Returns 0 when intact, PT_ECORRUPT when any problem was
 * reported, or a store error. */
int pt_audit_verify(pt_store *s, const pt_crypt *c, pt_audit_problem_cb cb, void *ud, pt_audit_report *rep);

#endif

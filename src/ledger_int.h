/* ledger_int.h — what ledger.c (the operations) and ledger_lots.c (lot mechanics) share.
 *
 * A `struct op` is one ledger write for one member inside one locking transaction: the
 * account as locked (`acct`) and as it was (`before`), the business time, the actor. Every
 * helper here writes entries, lots and uses for op->member_id and keeps op->acct equal to the
 * sums of what it wrote; ledger.c stores the account once at the end.
 */
#ifndef PATRON_LEDGER_INT_H
#define PATRON_LEDGER_INT_H

#include "patron/ledger.h"

struct pt_ledger {
    pt_db          *db;
    pt_store       *s;
    const pt_crypt *crypt;
    pt_programme    prog;
    char            version[33];
    char            errmsg[256];
};

struct op {
    pt_ledger            *l;
    int64_t               member_id;
    int64_t               at;       /* business time */
    int64_t               now;      /* wall clock */
    const char           *actor;
    const char           *idem_key;
    pt_account_rec        acct;
    pt_account_rec        before;
    pt_ledger_job_stats   due;      /* what processing due lots did in this op */
};

int  pt__ledger_error(pt_ledger *l, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Writes an entry (member, actor, key, created_at filled in) and applies it to op->acct. */
int  pt__ledger_entry(struct op *o, pt_entry_rec *e);
/* A new lot of points (state pending when available_at > at), with the entry that credits
 * it (kind EARN or ADJUST). */
int  pt__ledger_new_lot(struct op *o, int kind, int64_t points, int64_t growth, int64_t available_at, int64_t order_id,
                        const char *ref, const char *note, pt_lot_rec *lot, pt_entry_rec *earn);
/* Takes `points` from the member's available lots in the programme's order, recording each
 * use under entry_id (skip_lot: a lot not to touch, or 0). Returns what it could take. */
int  pt__ledger_take(struct op *o, int64_t entry_id, int64_t points, int64_t skip_lot, int64_t *taken);
/* Takes up to `points` from one lot; *taken says how many. */
int  pt__ledger_take_from(struct op *o, int64_t entry_id, pt_lot_rec *lot, int64_t points, int64_t *taken);
/* Settles overdraft or debt from a lot that just became available. */
int  pt__ledger_settle(struct op *o, pt_lot_rec *lot);
/* Releases and expires the member's lots due at as_of. */
int  pt__ledger_process_due(struct op *o, int64_t as_of);
/* Locks (creating if needed) op->member_id's account into op->acct (ledger.c). */
int  pt__ledger_lock_account(struct op *o);
/* The audit record of a ledger write for op's member (ledger.c). */
int  pt__ledger_audit_op(struct op *o, const char *action, const pt_ledger_result *res);
/* Upgrades the member's tier if this write's growth qualifies it (tier.c). */
int  pt__tier_after_write(struct op *o);
/* Points of a lot that expired (sum of its EXPIRE entries). */
int  pt__ledger_expired_of(struct op *o, int64_t lot_id, int64_t *expired);

#endif

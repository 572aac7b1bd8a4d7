/* ledger.h — the points ledger: earn, redeem, refund, adjust, release and expiry, with
 * idempotency keys, an audit record per change, and a verifier.
 *
 * Model (docs/ledger.md has worked examples):
 *  - Entries are append-only. A member's available balance is the sum of its entries in the
 *    available bucket, its pending points the sum in the pending bucket; the account row caches
 *    both and is updated in the same transaction.
 *  - Every earn creates a lot with an expiry from the programme (N days, N months, year end,
 *    never). Points from an order stay pending until the return window passes, then a release
 *    moves them to available. Redemption takes lots soonest-expiring first (or oldest first,
 *    per the programme), recording each lot it took from.
 *  - A refund reverses exactly what the refunded lines earned: from the order's own lot first;
 *    what was already spent follows the programme's policy — "negative": taken from the other
 *    lots and, if those run out, the balance goes negative (overdraft); "debt": recorded as
 *    debt, settled from the points of later earns as they become available. Points that
 *    expired are not clawed back twice. Growth value is reversed too.
 *  - Due lots (pending past their window, available past their expiry) are processed for a
 *    member at the start of every write for that member, and for everyone by
 *    pt_ledger_run_due; running it twice for the same date changes nothing.
 *  - Every client write carries an idempotency key (scoped to the member): the same key with
 *    the same request returns the first result (replayed = 1) and writes nothing; the same key
 *    with a different request is PT_ECONFLICT.
 *  - Concurrency: each write locks the member's account row (store_ledger.h), so writes to
 *    one member serialise and writes to different members run in parallel; a deadlock or
 *    serialization failure is retried a few times inside the call.
 * Invariants checked by pt_ledger_verify: account = sums of entries per bucket; available
 * lots' remainders sum to balance + overdraft; pending lots' remainders sum to pending; every
 * lot's remainder = points − its uses, between 0 and points; overdraft > 0 only when no lot
 * has points left; growth = sum of entries' growth.
 */
#ifndef PATRON_LEDGER_H
#define PATRON_LEDGER_H

#include "patron/db.h"
#include "patron/programme.h"
#include "patron/rules.h"
#include "patron/store_ledger.h"

#include <stddef.h>
#include <stdint.h>

typedef struct pt_ledger pt_ledger;

/* Binds a data directory to a programme (copied). The programme's version is recorded in the
 * store (programmes table and meta "programme.current") and in the audit log when new. */
int  pt_ledger_open(pt_ledger **out, pt_db *db, const pt_programme *p);
/* The same with the store's current programme (the last `patron programme load`). */
int  pt_ledger_open_current(pt_ledger **out, pt_db *db, char *errmsg, size_t errmsg_len);
void pt_ledger_close(pt_ledger *l);
const char *pt_ledger_errmsg(const pt_ledger *l);
const pt_programme *pt_ledger_programme(const pt_ledger *l);

typedef struct pt_ledger_req {
    const char *idem_key;  /* required for client writes; NULL only where documented */
    const char *actor;     /* the operator; NULL = "system" */
    const char *note;      /* reason (required for adjust); never personal data */
    const char *ref;       /* what a redemption paid for (reward code, order no.), or NULL */
    int64_t     at;        /* business time (UTC epoch s); 0 = now */
} pt_ledger_req;

typedef struct pt_ledger_result {
    int64_t member_id;
    int64_t entry_id;      /* the main entry written (0 if none) */
    int64_t points;        /* signed change of available + pending points */
    int64_t balance;       /* after the write */
    int64_t pending;
    int64_t overdraft;
    int64_t debt;
    int64_t growth;
    char    tier[PT_CODE_MAX];
    int64_t lot_id;        /* earns: the new lot */
    int64_t expires_at;    /* earns: its expiry (0 = never) */
    int64_t available_at;  /* earns: when pending points become available (0 = now) */
    int     replayed;      /* 1: the idempotency key had already applied this request */
} pt_ledger_result;

/* Points given outright (a goodwill credit, a bonus) as a new lot available at once. */
int pt_ledger_earn(pt_ledger *l, int64_t member_id, int64_t points, const pt_ledger_req *req,
                   pt_ledger_result *res);
/* Points and growth value for an activity (a check-in, a review, a share: reward.h): like an
 * earn, with growth; points ≥ 0, growth ≥ 0 (an entry is written even when both are 0, so the
 * activity is on record). req->ref and req->note label the entry. */
int pt_ledger_credit(pt_ledger *l, int64_t member_id, int64_t points, int64_t growth, const pt_ledger_req *req,
                     pt_ledger_result *res);
/* Group commit: several earns in one transaction, each in its own savepoint (a failing earn
 * undoes only itself; its rc says why). Nothing is acknowledged before the one commit: when
 * it fails every item's rc is the commit's error. Items are applied in member_id order, so
 * concurrent batches lock accounts in one order and cannot deadlock. Returns the commit's rc. */
typedef struct pt_ledger_earn_item {
    int64_t          member_id;
    int64_t          points;
    pt_ledger_req    req;
    pt_ledger_result res;
    int              rc;
} pt_ledger_earn_item;
int pt_ledger_earn_batch(pt_ledger *l, pt_ledger_earn_item *items, size_t n);

/* Points an order earns under the programme's rules (trace optional). An order earns once:
 * a retry with the same key (or no key: "order:<order_no>" is used) replays the result; a
 * second earn under another key is PT_EEXIST. */
int pt_ledger_earn_order(pt_ledger *l, const char *order_no, const pt_ledger_req *req, pt_ledger_result *res,
                         pt_earn_result *trace);
/* What an order would earn, without writing (the member's current tier and history). */
int pt_ledger_preview_order(pt_ledger *l, int64_t member_id, int64_t at, const pt_earn_line *lines, size_t n,
                            pt_earn_result *out);
/* PT_EFUNDS when the balance (after due expiries) is short. */
int pt_ledger_redeem(pt_ledger *l, int64_t member_id, int64_t points, const pt_ledger_req *req,
                     pt_ledger_result *res);
/* Refunds the given lines of an order (nlines = 0: every line). Lines already refunded
 * reverse nothing more. */
int pt_ledger_refund(pt_ledger *l, const char *order_no, const int *lines, size_t nlines, const pt_ledger_req *req,
                     pt_ledger_result *res);
/* ±points by an operator with a reason. A negative adjustment needs the points (PT_EFUNDS). */
int pt_ledger_adjust(pt_ledger *l, int64_t member_id, int64_t delta, const pt_ledger_req *req,
                     pt_ledger_result *res);

/* Points as payment at checkout (积分抵现): pays part of an order of amount_cents with
 * points, redeemed like any redemption (req->ref names the order). The points must be a whole
 * number of the programme's payment units (PT_EINVAL) and at most the programme's share of
 * the order (PT_ELIMIT, the message says the cap); *value_cents gets what they pay. */
int pt_ledger_pay(pt_ledger *l, int64_t member_id, int64_t points, int64_t amount_cents, const pt_ledger_req *req,
                  pt_ledger_result *res, int64_t *value_cents);

/* Points as payment: the most an order of amount_cents may pay in points, and their value. */
int64_t pt_ledger_payment_max_points(const pt_programme *p, int64_t amount_cents);
int64_t pt_ledger_points_value_cents(const pt_programme *p, int64_t points);

typedef struct pt_ledger_job_stats {
    int64_t members;       /* members with something due */
    int64_t released_lots, released_points;
    int64_t expired_lots, expired_points;
} pt_ledger_job_stats;

/* Releases pending lots whose window passed and expires lots past their expiry, as of as_of,
 * for every member; commits every batch of members. progress may be NULL. */
int pt_ledger_run_due(pt_ledger *l, int64_t as_of, pt_ledger_job_stats *st,
                      void (*progress)(void *ud, int64_t done), void *ud);

typedef struct pt_ledger_replay_stats {
    int64_t orders_earned, orders_skipped, orders_refused;
    int64_t points;
} pt_ledger_replay_stats;

/* Earns every paid order not yet earned, member by member in the order they were placed
 * (src/ledger_replay.c). Commits in batches; can be resumed. */
int pt_ledger_replay_orders(pt_ledger *l, pt_ledger_replay_stats *st,
                            void (*progress)(void *ud, int64_t done, int64_t total), void *ud);

typedef struct pt_ledger_birthday_stats {
    int64_t checked;       /* active members whose birthday month it is */
    int64_t members;       /* given a gift by this run */
    int64_t points;
} pt_ledger_birthday_stats;

/* Tier benefit: gives each active member whose birthday month (programme zone) contains as_of
 * the birthday gift points of their tier, once per year (src/ledger_birthday.c). */
int pt_ledger_birthday_gifts(pt_ledger *l, int64_t as_of, pt_ledger_birthday_stats *st);

/* Points follow merges (src/ledger_merge.c): moves every merged-away member's lots (with
 * their expiries), debt, overdraft and growth value to the member it was merged into. The due
 * job runs it first. *members and *points (may be NULL) say what moved. */
int pt_ledger_absorb_merged(pt_ledger *l, int64_t *members, int64_t *points);
/* The same for one member right after it was merged away (the server's merge): what its
 * account holds moves to its final survivor, inside the caller's transaction if one is open.
 * No account, or an empty one: PT_OK with nothing moved. *points (may be NULL) = points moved. */
int pt_ledger_absorb_member(pt_ledger *l, int64_t member_id, int64_t *points);

/* The member's account (PT_ENOTFOUND before any ledger activity). */
int pt_ledger_account(pt_ledger *l, int64_t member_id, pt_account_rec *out);

typedef void (*pt_ledger_problem_cb)(void *ud, int64_t member_id, const char *problem);
/* Checks every invariant for every member; PT_ECORRUPT if any broke (each reported). */
int pt_ledger_verify(pt_ledger *l, pt_ledger_problem_cb cb, void *ud, int64_t *members_checked);

const char *pt_entry_kind_name(int kind);
const char *pt_lot_state_name(int state);

#endif

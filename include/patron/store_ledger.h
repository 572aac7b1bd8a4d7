/* store_ledger.h — the store's records for the loyalty programme: points accounts, ledger
 * entries, lots and their consumption, what each order line earned, idempotency keys, tier
 * history, programme versions and the audit log. Same contract as store.h (records, never SQL;
 * 0 or PT_E*; records filled by get/list are caller-owned; callback records are valid only
 * during the callback; a non-zero callback return stops the iteration and is returned).
 *
 * Distribution: every table here except programmes is member-scoped — it carries member_id,
 * which leads its primary key and every unique key — so a Citus deployment distributes them
 * all by member_id and one member's ledger write touches one shard (docs/scaling.md).
 *
 * Concurrency: a ledger write begins with pt_store_begin_locking and then reads the member's
 * account with lock = 1, which holds the member's row lock until the transaction ends
 * (SELECT … FOR UPDATE on PostgreSQL, whose transaction then runs READ COMMITTED; SQLite has a
 * single writer anyway). Everything else the write reads about that member is read after the
 * lock, so it is current. A deadlock or serialization failure is PT_ERETRY: roll back, retry.
 */
#ifndef PATRON_STORE_LEDGER_H
#define PATRON_STORE_LEDGER_H

#include "patron/buf.h"
#include "patron/store.h"

#include <stdint.h>

#define PT_CODE_MAX   32  /* tier, rule, reward codes; actor; action (incl. NUL) */
#define PT_IDEM_MAX   80  /* idempotency key (incl. NUL) */
#define PT_REF_MAX    64
#define PT_NOTE_MAX   160
#define PT_HASH_LEN   32

enum pt_entry_kind {
    PT_ENTRY_EARN = 1,      /* +points: creates a lot (pending or available) */
    PT_ENTRY_REDEEM = 2,    /* −points: consumes lots */
    PT_ENTRY_EXPIRE = 3,    /* −points: a lot's remainder at its expiry */
    PT_ENTRY_REVERSE = 4,   /* −points: a refund claws back what the refunded lines earned */
    PT_ENTRY_ADJUST = 5,    /* ±points by an operator, with a reason */
    PT_ENTRY_RELEASE = 6,   /* pending → available: one entry −p pending, one +p available */
    PT_ENTRY_SETTLE = 7,    /* −points from a new lot towards recorded debt */
    PT_ENTRY_RESTORE = 8,   /* +points: a cancelled redemption gives its lots back */
    PT_ENTRY_TRANSFER = 9,  /* ±points: a merged-away member's points move to the survivor */
};

enum pt_bucket {
    PT_BUCKET_AVAILABLE = 1,
    PT_BUCKET_PENDING = 2,
};

enum pt_lot_state {
    PT_LOT_PENDING = 1,     /* inside the return window; not spendable */
    PT_LOT_AVAILABLE = 2,
    PT_LOT_CANCELLED = 3,   /* refunded while pending */
    PT_LOT_EXPIRED = 4,     /* its remainder was expired (remaining = 0) */
};

/* One per member with any ledger activity. balance and pending are caches of sums of entries
 * (per bucket) updated in the same transaction as the entries; growth likewise.
 * overdraft > 0 only under the "negative" refund policy: the balance is −overdraft and no lot
 * has points left. debt > 0 only under the "debt" policy: points owed, settled from future
 * earns, not part of the balance. */
typedef struct pt_account_rec {
    int64_t member_id;
    int64_t balance;              /* available points */
    int64_t pending;              /* points in the return window */
    int64_t overdraft;
    int64_t debt;
    int64_t growth;               /* lifetime growth value (sum of entries' growth) */
    char    tier[PT_CODE_MAX];    /* current tier code */
    int64_t tier_since;
    int64_t review_at;            /* next tier review (UTC epoch s) */
    int64_t updated_at;
} pt_account_rec;

typedef struct pt_entry_rec {
    int64_t member_id;
    int64_t id;                   /* assigned on insert; per member, increases in commit order */
    int     kind;                 /* enum pt_entry_kind */
    int     bucket;               /* enum pt_bucket */
    int64_t points;               /* signed */
    int64_t growth;               /* signed growth-value change */
    int64_t at;                   /* business time: order time, job's as-of, or now */
    int64_t order_id;             /* 0 when not about an order */
    int64_t lot_id;               /* EARN / RELEASE / SETTLE: the lot; else 0 */
    char    ref[PT_REF_MAX];      /* reward code, rule code, campaign … ; "" if none */
    char    note[PT_NOTE_MAX];    /* reason for ADJUST and others; never personal data */
    char    actor[PT_CODE_MAX];   /* operator or "system" */
    char    idem_key[PT_IDEM_MAX];/* the request key that wrote it, "" for jobs */
    int64_t created_at;           /* wall clock */
} pt_entry_rec;

typedef struct pt_lot_rec {
    int64_t member_id;
    int64_t id;
    int64_t entry_id;             /* the EARN entry */
    int64_t order_id;             /* 0 unless earned by an order */
    int64_t earned_at;
    int64_t available_at;         /* pending until then; 0 = available at once */
    int64_t expires_at;           /* last usable second; 0 = never */
    int64_t points;               /* as earned */
    int64_t remaining;            /* points − sum of its uses; never < 0 */
    int     state;                /* enum pt_lot_state */
} pt_lot_rec;

/* Points an entry took from (or, for RESTORE, gave back to) a lot. */
typedef struct pt_lot_use_rec {
    int64_t member_id;
    int64_t entry_id;
    int64_t lot_id;
    int64_t points;               /* > 0 taken; < 0 given back */
} pt_lot_use_rec;

/* What one order line earned, and what of it a refund has reversed. */
typedef struct pt_line_earn_rec {
    int64_t member_id;
    int64_t order_id;
    int     line_no;              /* 0: the order-level bonuses */
    int64_t lot_id;
    int64_t points;
    int64_t growth;
    char    rule[PT_CODE_MAX];    /* the rule that set the line's base */
    int64_t reversed_points;
    int64_t reversed_growth;
} pt_line_earn_rec;

typedef struct pt_idem_rec {
    int64_t member_id;
    char    key[PT_IDEM_MAX];
    char    op[PT_CODE_MAX];      /* "points.earn", … */
    uint8_t request_hash[PT_HASH_LEN];
    pt_buf  result;               /* JSON of the first result */
    int64_t created_at;
} pt_idem_rec;

typedef struct pt_tier_change_rec {
    int64_t member_id;
    int64_t id;
    int64_t at;
    char    from_tier[PT_CODE_MAX];
    char    to_tier[PT_CODE_MAX];
    char    reason[PT_NOTE_MAX];  /* "upgrade: growth 5200 ≥ 5000", "review: …" */
    char    actor[PT_CODE_MAX];
} pt_tier_change_rec;

/* Audit records form one hash chain per member (member_id 0: store-wide events such as keys
 * and programme loads); the head of each chain is kept in a separate row. */
typedef struct pt_audit_rec {
    int64_t member_id;
    int64_t seq;                  /* 1, 2, … within the chain */
    int64_t at;
    char    actor[PT_CODE_MAX];
    char    action[PT_CODE_MAX];  /* "points.earn", "tier.change", "member.update", … */
    pt_buf  detail;               /* JSON: amounts before/after, ids; never personal data */
    uint8_t prev[PT_HASH_LEN];
    uint8_t hash[PT_HASH_LEN];
} pt_audit_rec;

typedef struct pt_audit_head_rec {
    int64_t member_id;
    int64_t seq;
    uint8_t hash[PT_HASH_LEN];
} pt_audit_head_rec;

/* Per-member aggregates recomputed from the rows, for `patron points verify`. */
typedef struct pt_ledger_check_rec {
    int64_t member_id;
    int     has_account;
    pt_account_rec account;       /* zeros when has_account is 0 */
    int64_t entries_available;    /* sum of entries' points, available bucket */
    int64_t entries_pending;      /* … pending bucket */
    int64_t entries_growth;
    int64_t lots_remaining;       /* sum of remaining over AVAILABLE lots */
    int64_t lots_pending;         /* sum of remaining over PENDING lots */
    int64_t lots_negative;        /* lots with remaining < 0 or remaining > points */
    int64_t lots_mismatched;      /* lots whose points − sum(uses) ≠ remaining */
    int64_t bad_lot_id;           /* one such lot, or 0 */
} pt_ledger_check_rec;

/* The highest entry kind (enum pt_entry_kind starts at 1). Sums of entries per kind and period
 * are pt_store_activity_summary's (store_stats.h). */
#define PT_ENTRY_KIND_MAX 9

typedef int (*pt_entry_cb)(void *ud, const pt_entry_rec *r);
typedef int (*pt_lot_cb)(void *ud, const pt_lot_rec *r);
typedef int (*pt_lot_use_cb)(void *ud, const pt_lot_use_rec *r);
typedef int (*pt_line_earn_cb)(void *ud, const pt_line_earn_rec *r);
typedef int (*pt_tier_change_cb)(void *ud, const pt_tier_change_rec *r);
typedef int (*pt_audit_cb)(void *ud, const pt_audit_rec *r);
typedef int (*pt_audit_head_cb)(void *ud, const pt_audit_head_rec *r);
typedef int (*pt_ledger_check_cb)(void *ud, const pt_ledger_check_rec *r);
typedef int (*pt_member_id_cb)(void *ud, int64_t member_id);

/* A write transaction made consistent by row locks (see the top of this file). Nested calls
 * are savepoints, as with pt_store_begin. */
int pt_store_begin_locking(pt_store *s);

/* --- accounts ----------------------------------------------------------------------------- */
/* lock = 1 holds the row lock until the transaction ends (must be inside one). */
int pt_store_account_get(pt_store *s, int64_t member_id, int lock, pt_account_rec *r); /* PT_ENOTFOUND */
int pt_store_account_insert(pt_store *s, const pt_account_rec *r);    /* PT_EEXIST */
int pt_store_account_update(pt_store *s, const pt_account_rec *r);    /* every column, by member_id */
/* Members whose next tier review is due (review_at ≤ as_of, review_at > 0), by member_id. */
int pt_store_account_scan_review(pt_store *s, int64_t as_of, pt_member_id_cb cb, void *ud);

/* --- entries, lots, uses ------------------------------------------------------------------ */
int pt_store_entry_insert(pt_store *s, pt_entry_rec *r);              /* sets r->id */
int pt_store_entry_get(pt_store *s, int64_t member_id, int64_t id, pt_entry_rec *r);
int pt_store_entry_list(pt_store *s, int64_t member_id, pt_entry_cb cb, void *ud); /* by id */
/* The member's newest `limit` entries, by id (one bounded read). */
int pt_store_entry_list_recent(pt_store *s, int64_t member_id, int64_t limit, pt_entry_cb cb, void *ud);
/* Sum of growth over the member's entries with at ≥ since (tier qualification). */
int pt_store_entry_growth_since(pt_store *s, int64_t member_id, int64_t since, int64_t *growth);

int pt_store_lot_insert(pt_store *s, pt_lot_rec *r);                  /* sets r->id */
int pt_store_lot_update(pt_store *s, const pt_lot_rec *r);            /* remaining, state, available_at */
int pt_store_lot_get(pt_store *s, int64_t member_id, int64_t id, pt_lot_rec *r);
/* open_only: PENDING lots and AVAILABLE lots with remaining ≠ 0. By id. */
int pt_store_lot_list(pt_store *s, int64_t member_id, int open_only, pt_lot_cb cb, void *ud);
/* Members with a lot due at as_of: PENDING with available_at ≤ as_of, or AVAILABLE with
 * remaining > 0 and 0 < expires_at < as_of. Ascending member_id, each once. */
int pt_store_lot_due_members(pt_store *s, int64_t as_of, pt_member_id_cb cb, void *ud);
/* The member's lots due at as_of (the same test as pt_store_lot_due_members), by id: what a
 * write processes first, without reading every open lot of the member. */
int pt_store_lot_list_due(pt_store *s, int64_t member_id, int64_t as_of, pt_lot_cb cb, void *ud);
/* Every member's AVAILABLE lots with remaining > 0 that expire in (from, to], by member_id, then
 * expires_at and id: the "points expiring soon" trigger reads them in one pass. */
int pt_store_lot_expiring(pt_store *s, int64_t from, int64_t to, pt_lot_cb cb, void *ud);

int pt_store_lot_use_insert(pt_store *s, const pt_lot_use_rec *r);    /* (member, entry, lot) unique */
int pt_store_lot_use_list(pt_store *s, int64_t member_id, int64_t entry_id, pt_lot_use_cb cb, void *ud);

/* --- order lines ---------------------------------------------------------------------------*/
int pt_store_line_earn_insert(pt_store *s, const pt_line_earn_rec *r); /* PT_EEXIST if (member, order, line) */
int pt_store_line_earn_update(pt_store *s, const pt_line_earn_rec *r); /* reversed_* by key */
int pt_store_line_earn_list(pt_store *s, int64_t member_id, int64_t order_id, pt_line_earn_cb cb, void *ud);

/* --- idempotency -------------------------------------------------------------------------- */
void pt_idem_rec_init(pt_idem_rec *r);
void pt_idem_rec_free(pt_idem_rec *r);
int  pt_store_idem_get(pt_store *s, int64_t member_id, const char *key, pt_idem_rec *r); /* PT_ENOTFOUND */
int  pt_store_idem_insert(pt_store *s, const pt_idem_rec *r);         /* PT_EEXIST */

/* --- tiers and programme versions --------------------------------------------------------- */
int pt_store_tier_change_insert(pt_store *s, pt_tier_change_rec *r);  /* sets r->id */
int pt_store_tier_change_list(pt_store *s, int64_t member_id, pt_tier_change_cb cb, void *ud);
/* A programme version (its canonical JSON); inserting an existing version is PT_EEXIST. */
int pt_store_programme_insert(pt_store *s, const char *version, const char *canonical, int64_t loaded_at);
int pt_store_programme_get(pt_store *s, const char *version, pt_buf *canonical); /* PT_ENOTFOUND */

/* --- audit -------------------------------------------------------------------------------- */
void pt_audit_rec_init(pt_audit_rec *r);
void pt_audit_rec_free(pt_audit_rec *r);
int  pt_store_audit_insert(pt_store *s, const pt_audit_rec *r);       /* PT_EEXIST if (member, seq) */
/* lock = 1: the head row stays locked until the transaction ends. PT_ENOTFOUND if none. */
int  pt_store_audit_head_get(pt_store *s, int64_t member_id, int lock, pt_audit_head_rec *r);
int  pt_store_audit_head_put(pt_store *s, const pt_audit_head_rec *r); /* insert or replace */
int  pt_store_audit_list(pt_store *s, int64_t member_id, pt_audit_cb cb, void *ud); /* by seq */
int  pt_store_audit_scan(pt_store *s, pt_audit_cb cb, void *ud);      /* by member_id, seq */
int  pt_store_audit_head_scan(pt_store *s, pt_audit_head_cb cb, void *ud); /* by member_id */

/* --- orders' refund state -------------------------------------------------------------------
 * The ledger marks an order refunded (enum pt_order_status) once every line is refunded. */
int pt_store_order_set_status(pt_store *s, int64_t member_id, int64_t order_id, int status);

/* --- campaign caps and budgets ------------------------------------------------------------ *
 * What each earn rule gave: per member and local day (for per-day and per-member caps), and in
 * total over all members (for a campaign's budget). rule_credits is member-scoped; rule_budgets
 * is one row per rule: locking it serialises the earns that may draw on that budget. */
int pt_store_rule_credit_add(pt_store *s, int64_t member_id, const char *rule, int64_t day, int64_t points);
/* Points the rule gave the member on `day` (a local day's first second) and in all. */
int pt_store_rule_credit_sums(pt_store *s, int64_t member_id, const char *rule, int64_t day, int64_t *on_day,
                              int64_t *total);
/* Points the rule gave everyone; lock = 1 holds the budget row until the transaction ends. */
int pt_store_rule_budget_get(pt_store *s, const char *rule, int lock, int64_t *given);
int pt_store_rule_budget_add(pt_store *s, const char *rule, int64_t points);

/* --- verification ------------------------------------------------------------------------- */
/* One record per member having an account, an entry or a lot; ascending member_id. */
int pt_store_ledger_check_scan(pt_store *s, pt_ledger_check_cb cb, void *ud);

#endif

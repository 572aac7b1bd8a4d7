/* store_reward.h — the store's records for rewards, coupons and referrals: reward stock,
 * redemptions, coupons with their global code look-up, invite codes and referrals. Same
 * contract as store.h (records, never SQL; 0 or PT_E*; records filled by get/list are
 * caller-owned; callback records are valid only during the callback; a non-zero callback
 * return stops the iteration and is returned).
 *
 * Distribution (docs/ledger.md, docs/scaling.md): redemptions, coupons and referrals are
 * member-scoped — member_id leads their primary keys — so one member's writes touch one shard.
 * Three tables are keyed by something else on purpose:
 *  - reward_stock: one row per reward code, shared by every member (the "one row" layout of
 *    docs/scaling.md: a reference table on Citus, every redemption a two-node transaction);
 *  - coupon_codes (code → member_id) and invite_codes (code → member_id): look-up tables, so a
 *    code can be found without knowing its member; on Citus they are distributed by code, like
 *    the order-number look-up docs/scaling.md describes.
 *
 * Concurrency: pt_store_reward_stock_take is one conditional UPDATE (stock > 0, or unlimited):
 * it can never oversell. Inside a locking transaction (pt_store_begin_locking, READ COMMITTED
 * on PostgreSQL) concurrent takers queue on the row and each re-reads it after the holder
 * commits. pt_store_coupon_use is likewise conditional on the coupon being unused.
 */
#ifndef PATRON_STORE_REWARD_H
#define PATRON_STORE_REWARD_H

#include "patron/store.h"
#include "patron/store_ledger.h"

#include <stdint.h>

#define PT_COUPON_CODE_MAX 24 /* coupon and invite codes (incl. NUL) */

/* Stock of one reward. stock = -1: unlimited. issued counts every unit taken. */
typedef struct pt_reward_stock_rec {
    char    code[PT_CODE_MAX];
    int64_t stock;                /* units left; -1 = unlimited; never < -1 */
    int64_t issued;               /* units taken so far */
    int64_t updated_at;
} pt_reward_stock_rec;

typedef struct pt_redemption_rec {
    int64_t member_id;
    int64_t id;                   /* assigned on insert */
    char    reward[PT_CODE_MAX];
    int64_t entry_id;             /* the ledger's REDEEM entry (0 for a free reward) */
    int64_t points;               /* points charged */
    char    coupon_code[PT_COUPON_CODE_MAX]; /* "" unless the reward is a coupon */
    int64_t at;
    char    idem_key[PT_IDEM_MAX];
} pt_redemption_rec;

enum pt_coupon_kind {
    PT_COUPON_AMOUNT = 1,         /* value_cents off an order of at least min_spend_cents */
};

typedef struct pt_coupon_rec {
    int64_t member_id;
    char    code[PT_COUPON_CODE_MAX]; /* unique across the store */
    int     kind;                 /* enum pt_coupon_kind */
    int64_t value_cents;
    int64_t min_spend_cents;      /* 0 = any order */
    int64_t issued_at;
    int64_t expires_at;           /* last second it can be used; 0 = never */
    int64_t used_at;              /* 0 = unused */
    char    used_ref[PT_REF_MAX]; /* what it was used on (an order number) */
    char    source[PT_REF_MAX];   /* "reward:CODE", "campaign:NAME", "segment:NAME", "manual" */
} pt_coupon_rec;

enum pt_referral_state {
    PT_REFERRAL_PENDING = 1,      /* linked; waiting for the invitee's first purchase */
    PT_REFERRAL_HELD = 2,         /* shares an identifier with the referrer: held for review */
    PT_REFERRAL_REWARDED = 3,     /* both rewarded (once) */
    PT_REFERRAL_REJECTED = 4,     /* refused (reason says why) */
};

/* One per invitee: a member is referred at most once. */
typedef struct pt_referral_rec {
    int64_t member_id;            /* the invitee */
    int64_t referrer_id;
    char    code[PT_COUPON_CODE_MAX]; /* the invite code used */
    int     state;                /* enum pt_referral_state */
    char    reason[PT_NOTE_MAX];  /* why held or rejected; never personal data */
    int64_t created_at;
    int64_t rewarded_at;          /* 0 until rewarded */
} pt_referral_rec;

typedef int (*pt_reward_stock_cb)(void *ud, const pt_reward_stock_rec *r);
typedef int (*pt_redemption_cb)(void *ud, const pt_redemption_rec *r);
typedef int (*pt_coupon_cb)(void *ud, const pt_coupon_rec *r);

/* --- reward stock ------------------------------------------------------------------------- */
/* A reward's initial stock, only when the code has no row yet: PT_EEXIST (nothing changed)
 * when it has one — a programme load never resets stock. */
int pt_store_reward_stock_seed(pt_store *s, const char *code, int64_t stock, int64_t at);
int pt_store_reward_stock_get(pt_store *s, const char *code, pt_reward_stock_rec *r); /* PT_ENOTFOUND */
int pt_store_reward_stock_list(pt_store *s, pt_reward_stock_cb cb, void *ud);        /* by code */
/* Takes one unit: stock − 1 (unless unlimited) and issued + 1, only while stock ≠ 0.
 * PT_ESOLDOUT when no unit is left (or the code has no row). r (may be NULL) gets the row after. */
int pt_store_reward_stock_take(pt_store *s, const char *code, int64_t at, pt_reward_stock_rec *r);

/* --- redemptions -------------------------------------------------------------------------- */
int pt_store_redemption_insert(pt_store *s, pt_redemption_rec *r);   /* sets r->id */
/* How many times the member redeemed the reward. */
int pt_store_redemption_count(pt_store *s, int64_t member_id, const char *reward, int64_t *n);
int pt_store_redemption_list(pt_store *s, int64_t member_id, pt_redemption_cb cb, void *ud); /* by id */

/* --- coupons ------------------------------------------------------------------------------ */
/* Inserts the coupon and its code's look-up row; PT_EEXIST if the code is taken anywhere. */
int pt_store_coupon_insert(pt_store *s, const pt_coupon_rec *r);
/* By code alone (through the look-up table). PT_ENOTFOUND if no such code. */
int pt_store_coupon_get(pt_store *s, const char *code, pt_coupon_rec *r);
/* Marks the member's coupon used, only if unused and not expired at `at`: PT_ESTATE when it
 * was used (or expired) meanwhile, PT_ENOTFOUND when there is no such coupon. */
int pt_store_coupon_use(pt_store *s, int64_t member_id, const char *code, int64_t at, const char *ref);
int pt_store_coupon_list(pt_store *s, int64_t member_id, pt_coupon_cb cb, void *ud); /* by issued_at, code */

/* --- invite codes and referrals ----------------------------------------------------------- */
/* PT_EEXIST when the code is taken or the member already has a code. */
int pt_store_invite_insert(pt_store *s, int64_t member_id, const char *code, int64_t at);
int pt_store_invite_find(pt_store *s, const char *code, int64_t *member_id);           /* PT_ENOTFOUND */
int pt_store_invite_of(pt_store *s, int64_t member_id, char code[PT_COUPON_CODE_MAX]); /* PT_ENOTFOUND */
int pt_store_referral_insert(pt_store *s, const pt_referral_rec *r); /* PT_EEXIST: already referred */
/* lock = 1 holds the row lock until the transaction ends (must be inside one). */
int pt_store_referral_get(pt_store *s, int64_t invitee, int lock, pt_referral_rec *r); /* PT_ENOTFOUND */
int pt_store_referral_update(pt_store *s, const pt_referral_rec *r); /* state, reason, rewarded_at */

#endif

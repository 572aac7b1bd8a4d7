/* reward.h — rewards (兑换), coupons (优惠券), referrals and activity points (check-ins,
 * reviews, shares), on top of the points ledger (ledger.h). docs/ledger.md, section "Rewards,
 * coupons, referrals", has the rules and their reasons.
 *
 * Every function takes the ledger handle (its programme, store, clock and message:
 * pt_ledger_errmsg says why a call failed) and runs as one locking transaction, retried on
 * PT_ERETRY when it is the outermost one. Writes a client may retry carry an idempotency key,
 * scoped to the member like the ledger's: the same key with the same request returns the
 * first result (replayed = 1) and writes nothing; with another request it is PT_ECONFLICT.
 * Every change appends an audit record in the same transaction.
 *
 *  - src/reward.c: the catalogue's stock and pt_reward_redeem (validity window, tier, per-member
 *    limit, stock, then the points — all-or-nothing; stock can never be oversold).
 *  - src/coupon.c: coupons — unguessable codes, issue, use once, expiry.
 *  - src/referral.c: invite codes, referral links and their reward on the first purchase.
 *  - src/activity.c: check-ins (one per local day, streaks), reviews and shares.
 */
#ifndef PATRON_REWARD_H
#define PATRON_REWARD_H

#include "patron/ledger.h"
#include "patron/store_reward.h"

#include <stdint.h>

/* --- rewards catalogue (reward.c) --------------------------------------------------------- */

/* Seeds the stock of every reward of the programme that has no stock row yet (a programme
 * load sets the initial stock of new codes; it never resets the stock of an existing one). */
int pt_reward_sync_stock(pt_ledger *l);

typedef struct pt_reward_info {
    const pt_reward_def *def;        /* the programme's definition (owned by the ledger) */
    int64_t              stock;      /* units left; -1 = unlimited */
    int64_t              issued;
    int                  available;  /* 1 if inside its validity window now */
} pt_reward_info;

typedef int (*pt_reward_info_cb)(void *ud, const pt_reward_info *r);
/* The programme's rewards in file order, with their stock (syncs stock first). */
int pt_reward_list(pt_ledger *l, pt_reward_info_cb cb, void *ud);

typedef struct pt_reward_result {
    int64_t member_id;
    int64_t redemption_id;
    char    reward[PT_CODE_MAX];
    int64_t points;                  /* points charged */
    int64_t entry_id;                /* the ledger's REDEEM entry (0 for a free reward) */
    int64_t balance;                 /* after the redemption */
    int64_t stock_left;              /* after the redemption; -1 = unlimited */
    char    coupon_code[PT_COUPON_CODE_MAX]; /* the coupon issued, for a coupon reward */
    int64_t coupon_expires_at;
    int     replayed;
} pt_reward_result;

/* Redeems one unit of a reward for a member. Checks, in this order: the reward exists
 * (PT_ENOTFOUND), req->at (0 = now) is inside its validity window (PT_ESTATE), the member's
 * tier is at least min_tier (PT_ESTATE), the member has redeemed it fewer than
 * per_member_limit times (PT_ELIMIT), enough points (PT_EFUNDS), a unit of stock is left
 * (PT_ESOLDOUT); then charges the points through the ledger and, for a coupon reward, issues
 * the coupon — all in one transaction. req->idem_key is required (≤ 70 characters). */
int pt_reward_redeem(pt_ledger *l, int64_t member_id, const char *reward_code, const pt_ledger_req *req,
                     pt_reward_result *res);

/* --- coupons (coupon.c) ------------------------------------------------------------------- */

typedef struct pt_coupon_spec {
    int64_t     value_cents;         /* > 0 */
    int64_t     min_spend_cents;     /* 0 = any order */
    int         valid_days;          /* expires at the end of the local day this many days after
                                        issue; 0 = never */
    const char *source;              /* "manual", "campaign:NAME", "segment:NAME"; NULL = "manual" */
} pt_coupon_spec;

/* Issues a coupon with a fresh code (16 characters of an unambiguous base32 alphabet, from
 * libsodium's randombytes: 80 bits, unguessable). Idempotent by req->idem_key (required). */
int pt_coupon_issue(pt_ledger *l, int64_t member_id, const pt_coupon_spec *spec, const pt_ledger_req *req,
                    pt_coupon_rec *out);

typedef struct pt_coupon_batch_stats {
    int64_t issued, replayed, failed;
} pt_coupon_batch_stats;
/* Issues one coupon to each member of a list (a segment), each in its own transaction with
 * the key "<key_prefix>:<member_id>", so a re-run after a failure issues only what is missing.
 * Returns the first failure (the others are still attempted and counted). */
int pt_coupon_issue_many(pt_ledger *l, const int64_t *member_ids, size_t n, const pt_coupon_spec *spec,
                         const char *key_prefix, const char *actor, pt_coupon_batch_stats *st);

/* Uses a coupon once, on `ref` (an order number; required). A second use is PT_ESTATE
 * ("already used") — except a retry with the same ref, which returns the coupon again with
 * *replayed = 1; a coupon past its expiry is PT_ESTATE ("expired"); an unknown code PT_ENOTFOUND.
 * out and replayed may be NULL. */
int pt_coupon_use(pt_ledger *l, const char *code, const char *ref, const char *actor, pt_coupon_rec *out,
                  int *replayed);

/* A member's coupons, oldest first. */
int pt_coupon_list(pt_ledger *l, int64_t member_id, pt_coupon_cb cb, void *ud);
/* "unused", "used" or "expired" at time `at`. */
const char *pt_coupon_state_name(const pt_coupon_rec *c, int64_t at);

/* Coupon writes inside a caller's open transaction (reward.c issues a reward's coupon in the
 * redemption's transaction): inserts the coupon with a fresh code and its audit record. */
int pt__coupon_issue_in_tx(pt_ledger *l, int64_t member_id, const pt_coupon_spec *spec, int64_t at,
                           const char *actor, pt_coupon_rec *out);

/* --- referrals (referral.c) --------------------------------------------------------------- */

/* The member's invite code, created on first request (10 characters, same alphabet). */
int pt_referral_code(pt_ledger *l, int64_t member_id, char code[PT_COUPON_CODE_MAX]);

/* Links an invitee to the owner of an invite code. Refused without a record: an unknown code
 * (PT_ENOTFOUND), the member's own code or a code of a member it was merged with (PT_EINVAL),
 * an invitee already referred (PT_EEXIST) or who already made a purchase (PT_ESTATE).
 * Recorded with a state: "rejected" when the two share a phone or e-mail identifier (the same
 * person), "held" for review when they share an app user id, WeChat openid/unionid or store
 * card, else "pending". out (may be NULL) gets the record. */
int pt_referral_register(pt_ledger *l, int64_t invitee_id, const char *code, const char *actor,
                         pt_referral_rec *out);

/* Releases or refuses a held referral after review (approve: held → pending). PT_ESTATE when
 * it is not held. */
int pt_referral_review(pt_ledger *l, int64_t invitee_id, int approve, const char *actor, const char *reason);

/* Call after the invitee's order earned points: if the invitee has a pending referral and a
 * paid order, both members get the programme's referral points (ledger keys
 * "referral:<invitee>:referrer" and "referral:<invitee>:invitee") and the referral becomes
 * "rewarded" — exactly once. *rewarded (may be NULL) = 1 when this call rewarded it. No
 * referral, or one not pending: PT_OK with *rewarded = 0. */
int pt_referral_on_first_purchase(pt_ledger *l, int64_t invitee_id, int *rewarded);

/* "pending", "held", "rewarded", "rejected" (or "?"). */
const char *pt_referral_state_name(int state);

/* The pure decision of pt_referral_register from the two members' identifiers, given as
 * (kind, blind index) pairs: PT_REFERRAL_REJECTED (a shared phone or e-mail),
 * PT_REFERRAL_HELD (a shared app user id, openid, unionid or store card) or
 * PT_REFERRAL_PENDING; why (may be NULL) names the kind, never the value. */
typedef struct pt_ident_key {
    int     kind;
    uint8_t blind[PT_BLIND_LEN];
} pt_ident_key;
int pt_referral_judge(const pt_ident_key *referrer, size_t nreferrer, const pt_ident_key *invitee,
                      size_t ninvitee, char *why, size_t why_len);

/* --- activities (activity.c) -------------------------------------------------------------- */

typedef struct pt_activity_result {
    int64_t member_id;
    int     kind;                    /* PT_RULE_CHECKIN, PT_RULE_REVIEW or PT_RULE_SHARE */
    int     streak;                  /* check-ins: consecutive local days ending today */
    int64_t points;
    int64_t growth;
    int64_t entry_id;
    int64_t balance;                 /* after */
    int64_t at;                      /* business time of the activity */
    int     replayed;
} pt_activity_result;

/* Points and growth value for an activity, from the programme's CHECKIN / REVIEW / SHARE rules
 * (pt_rules_evaluate_activity) and growth_checkin / growth_review / growth_share, credited
 * through the ledger. A check-in is once per local day (PT_EEXIST on the second); its streak
 * counts the member's earlier check-ins on consecutive local days. req->idem_key is required
 * (≤ 70 characters); req->at (0 = now) is the activity's time. */
int pt_activity_earn(pt_ledger *l, int64_t member_id, int kind, const pt_ledger_req *req, pt_activity_result *res);

/* "checkin", "review", "share" ↔ PT_RULE_*; 0 / NULL when unknown. */
int         pt_activity_kind_parse(const char *s);
const char *pt_activity_kind_name(int kind);

#endif

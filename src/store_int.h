/* store_int.h — what a store backend implements (after SQLite's VFS: a table of functions).
 *
 * store.c owns the public handle's common part (ops table, transaction depth, last message)
 * and forwards each public call to the backend. A backend allocates a struct that begins with
 * `struct pt_store` and fills `ops`. Backends map their own failures onto PT_E* codes: a
 * unique-key violation is always PT_EEXIST, a lock timeout PT_EBUSY.
 */
#ifndef PATRON_STORE_INT_H
#define PATRON_STORE_INT_H

#include "patron/store.h"
#include "patron/store_ledger.h"
#include "patron/store_reward.h"
#include "patron/store_score.h"
#include "patron/store_campaign.h"
#include "patron/store_stats.h"
#include "patron/store_apikey.h"

/* PT_TX_BEGIN_LOCKING: an outermost transaction made consistent by the row locks the caller
 * takes (store_ledger.h); PT_TX_BEGIN_READ: an outermost read-only transaction on one
 * consistent snapshot that never blocks writers. At depth > 0 both are plain savepoints. */
enum pt_tx_op { PT_TX_BEGIN, PT_TX_COMMIT, PT_TX_ROLLBACK, PT_TX_BEGIN_LOCKING, PT_TX_BEGIN_READ };

/* The programme's records (store_ledger.h), kept in a table of their own so that each backend
 * implements them in a file of their own. */
struct pt_store_ledger_ops {
    int (*account_get)(pt_store *s, int64_t member_id, int lock, pt_account_rec *r);
    int (*account_insert)(pt_store *s, const pt_account_rec *r);
    int (*account_update)(pt_store *s, const pt_account_rec *r);
    int (*account_scan_review)(pt_store *s, int64_t as_of, pt_member_id_cb cb, void *ud);
    int (*entry_insert)(pt_store *s, pt_entry_rec *r);
    int (*entry_get)(pt_store *s, int64_t member_id, int64_t id, pt_entry_rec *r);
    int (*entry_list)(pt_store *s, int64_t member_id, pt_entry_cb cb, void *ud);
    int (*entry_growth_since)(pt_store *s, int64_t member_id, int64_t since, int64_t *growth);
    int (*lot_insert)(pt_store *s, pt_lot_rec *r);
    int (*lot_update)(pt_store *s, const pt_lot_rec *r);
    int (*lot_get)(pt_store *s, int64_t member_id, int64_t id, pt_lot_rec *r);
    int (*lot_list)(pt_store *s, int64_t member_id, int open_only, pt_lot_cb cb, void *ud);
    int (*lot_due_members)(pt_store *s, int64_t as_of, pt_member_id_cb cb, void *ud);
    int (*lot_use_insert)(pt_store *s, const pt_lot_use_rec *r);
    int (*lot_use_list)(pt_store *s, int64_t member_id, int64_t entry_id, pt_lot_use_cb cb, void *ud);
    int (*line_earn_insert)(pt_store *s, const pt_line_earn_rec *r);
    int (*line_earn_update)(pt_store *s, const pt_line_earn_rec *r);
    int (*line_earn_list)(pt_store *s, int64_t member_id, int64_t order_id, pt_line_earn_cb cb, void *ud);
    int (*idem_get)(pt_store *s, int64_t member_id, const char *key, pt_idem_rec *r);
    int (*idem_insert)(pt_store *s, const pt_idem_rec *r);
    int (*tier_change_insert)(pt_store *s, pt_tier_change_rec *r);
    int (*tier_change_list)(pt_store *s, int64_t member_id, pt_tier_change_cb cb, void *ud);
    int (*programme_insert)(pt_store *s, const char *version, const char *canonical, int64_t loaded_at);
    int (*programme_get)(pt_store *s, const char *version, pt_buf *canonical);
    int (*audit_insert)(pt_store *s, const pt_audit_rec *r);
    int (*audit_head_get)(pt_store *s, int64_t member_id, int lock, pt_audit_head_rec *r);
    int (*audit_head_put)(pt_store *s, const pt_audit_head_rec *r);
    int (*audit_list)(pt_store *s, int64_t member_id, pt_audit_cb cb, void *ud);
    int (*audit_scan)(pt_store *s, pt_audit_cb cb, void *ud);
    int (*audit_head_scan)(pt_store *s, pt_audit_head_cb cb, void *ud);
    int (*ledger_check_scan)(pt_store *s, pt_ledger_check_cb cb, void *ud);
    int (*rule_credit_add)(pt_store *s, int64_t member_id, const char *rule, int64_t day, int64_t points);
    int (*rule_credit_sums)(pt_store *s, int64_t member_id, const char *rule, int64_t day, int64_t *on_day,
                            int64_t *total);
    int (*rule_budget_get)(pt_store *s, const char *rule, int lock, int64_t *given);
    int (*rule_budget_add)(pt_store *s, const char *rule, int64_t points);
    int (*order_set_status)(pt_store *s, int64_t member_id, int64_t order_id, int status);
    int (*lot_list_due)(pt_store *s, int64_t member_id, int64_t as_of, pt_lot_cb cb, void *ud);
    int (*lot_expiring)(pt_store *s, int64_t from, int64_t to, pt_lot_cb cb, void *ud);
    int (*entry_list_recent)(pt_store *s, int64_t member_id, int64_t limit, pt_entry_cb cb, void *ud);
};

/* Rewards, coupons and referrals (store_reward.h), likewise in a file of their own per backend. */
struct pt_store_reward_ops {
    int (*reward_stock_seed)(pt_store *s, const char *code, int64_t stock, int64_t at);
    int (*reward_stock_get)(pt_store *s, const char *code, pt_reward_stock_rec *r);
    int (*reward_stock_list)(pt_store *s, pt_reward_stock_cb cb, void *ud);
    int (*reward_stock_take)(pt_store *s, const char *code, int64_t at, pt_reward_stock_rec *r);
    int (*redemption_insert)(pt_store *s, pt_redemption_rec *r);
    int (*redemption_count)(pt_store *s, int64_t member_id, const char *reward, int64_t *n);
    int (*redemption_list)(pt_store *s, int64_t member_id, pt_redemption_cb cb, void *ud);
    int (*coupon_insert)(pt_store *s, const pt_coupon_rec *r);
    int (*coupon_get)(pt_store *s, const char *code, pt_coupon_rec *r);
    int (*coupon_use)(pt_store *s, int64_t member_id, const char *code, int64_t at, const char *ref);
    int (*coupon_list)(pt_store *s, int64_t member_id, pt_coupon_cb cb, void *ud);
    int (*invite_insert)(pt_store *s, int64_t member_id, const char *code, int64_t at);
    int (*invite_find)(pt_store *s, const char *code, int64_t *member_id);
    int (*invite_of)(pt_store *s, int64_t member_id, char code[PT_COUPON_CODE_MAX]);
    int (*referral_insert)(pt_store *s, const pt_referral_rec *r);
    int (*referral_get)(pt_store *s, int64_t invitee, int lock, pt_referral_rec *r);
    int (*referral_update)(pt_store *s, const pt_referral_rec *r);
};

/* Model scores per member (store_score.h), likewise in a file of their own per backend. */
struct pt_store_score_ops {
    int (*score_put)(pt_store *s, const pt_score_rec *r);
    int (*score_get)(pt_store *s, int64_t member_id, const char *model, pt_score_rec *r);
    int (*score_scan)(pt_store *s, const char *model, int64_t min_ppm, pt_score_cb cb, void *ud);
    int (*score_clear_model)(pt_store *s, const char *model, int64_t *n);
};

/* Campaigns, triggers, outbox and webhooks (store_campaign.h), in a file of their own per backend. */
struct pt_store_campaign_ops {
    int (*campaign_insert)(pt_store *s, pt_campaign_rec *r);
    int (*campaign_get)(pt_store *s, int64_t id, pt_campaign_rec *r);
    int (*campaign_get_by_name)(pt_store *s, const char *name, pt_campaign_rec *r);
    int (*campaign_list)(pt_store *s, pt_campaign_cb cb, void *ud);
    int (*campaign_update)(pt_store *s, const pt_campaign_rec *r);
    int (*campaign_member_insert)(pt_store *s, const pt_campaign_member_rec *r);
    int (*campaign_member_list)(pt_store *s, int64_t campaign_id, pt_campaign_member_cb cb, void *ud);
    int (*trigger_fire_insert)(pt_store *s, const pt_trigger_fire_rec *r);
    int (*trigger_fire_count)(pt_store *s, int64_t member_id, int64_t since, int64_t *n);
    int (*outbox_insert)(pt_store *s, pt_outbox_rec *r);
    int (*outbox_get)(pt_store *s, int64_t id, pt_outbox_rec *r);
    int (*outbox_due)(pt_store *s, int64_t now, int limit, pt_outbox_cb cb, void *ud);
    int (*outbox_update)(pt_store *s, const pt_outbox_rec *r);
    int (*outbox_prune)(pt_store *s, int state, int64_t before, int limit, int64_t *deleted);
    int (*outbox_list)(pt_store *s, pt_outbox_cb cb, void *ud);
    int (*webhook_insert)(pt_store *s, pt_webhook_rec *r);
    int (*webhook_list)(pt_store *s, pt_webhook_cb cb, void *ud);
    int (*outbox_delivery_insert)(pt_store *s, const pt_outbox_delivery_rec *r);
    int (*outbox_delivery_list)(pt_store *s, int64_t member_id, int64_t outbox_id, pt_outbox_delivery_cb cb,
                                void *ud);
    int (*outbox_delivery_clear)(pt_store *s, int64_t member_id, int64_t outbox_id, int64_t *deleted);
};

/* API keys of the HTTP server (store_apikey.h), in a file of their own per backend. */
struct pt_store_apikey_ops {
    int (*apikey_insert)(pt_store *s, pt_apikey_rec *r);
    int (*apikey_get_by_hash)(pt_store *s, const uint8_t hash[PT_APIKEY_HASH_LEN], pt_apikey_rec *r);
    int (*apikey_list)(pt_store *s, pt_apikey_cb cb, void *ud);
    int (*apikey_revoke)(pt_store *s, int64_t id, int64_t at);
};

/* Store-wide activity summaries for analytics (store_stats.h), in a file of their own per
 * backend. */
struct pt_store_stats_ops {
    int (*activity_summary)(pt_store *s, int64_t from, int64_t to, pt_stats_cb cb, void *ud);
};

struct pt_store_ops {
    const char *name;
    void (*close)(pt_store *s);
    int (*schema_version)(pt_store *s, int *version);
    /* depth is the nesting level the operation applies to: 0 for the outermost transaction. */
    int (*tx)(pt_store *s, enum pt_tx_op op, int depth);
    int (*meta_get)(pt_store *s, const char *key, pt_buf *val);
    int (*meta_set)(pt_store *s, const char *key, const char *val);

    int (*member_insert)(pt_store *s, pt_member_rec *r);
    int (*member_update)(pt_store *s, const pt_member_rec *r);
    int (*member_get)(pt_store *s, int64_t id, pt_member_rec *r);
    int (*member_get_by_no)(pt_store *s, const char *member_no, pt_member_rec *r);
    int (*member_scan)(pt_store *s, pt_member_cb cb, void *ud);

    int (*identity_insert)(pt_store *s, pt_identity_rec *r);
    int (*identity_update)(pt_store *s, const pt_identity_rec *r);
    int (*identity_find)(pt_store *s, int kind, const uint8_t blind[PT_BLIND_LEN], pt_identity_rec *r);
    int (*identity_list)(pt_store *s, int64_t member_id, pt_identity_cb cb, void *ud);
    int (*identity_delete_member)(pt_store *s, int64_t member_id);
    int (*identity_scan)(pt_store *s, pt_identity_cb cb, void *ud);

    int (*order_insert)(pt_store *s, pt_order_rec *r);
    int (*order_find_by_no)(pt_store *s, const char *order_no, pt_order_rec *r);
    int (*order_list)(pt_store *s, int64_t member_id, pt_order_cb cb, void *ud);
    int (*order_scan)(pt_store *s, pt_order_cb cb, void *ud);
    int (*item_insert)(pt_store *s, const pt_item_rec *r);
    int (*item_list)(pt_store *s, int64_t order_id, pt_item_cb cb, void *ud);
    int (*event_insert)(pt_store *s, pt_event_rec *r);
    int (*event_list)(pt_store *s, int64_t member_id, pt_event_cb cb, void *ud);
    int (*survey_insert)(pt_store *s, pt_survey_rec *r);
    int (*survey_list)(pt_store *s, int64_t member_id, pt_survey_cb cb, void *ud);

    int (*merge_insert)(pt_store *s, pt_merge_rec *r);
    int (*merge_get)(pt_store *s, int64_t id, pt_merge_rec *r);
    int (*merge_mark_undone)(pt_store *s, int64_t id, int64_t at);
    int (*merge_list)(pt_store *s, int64_t member_id, int (*cb)(void *, const pt_merge_rec *), void *ud);
    int (*member_move_rows)(pt_store *s, int64_t merge_id, int64_t from, int64_t to);
    int (*member_unmove_rows)(pt_store *s, int64_t merge_id, int64_t to);
    int (*merge_moved_add)(pt_store *s, int64_t merge_id, int kind, int64_t row_id);
    int (*merge_moved_list)(pt_store *s, int64_t merge_id, pt_row_cb cb, void *ud);

    int (*import_run_insert)(pt_store *s, pt_import_run_rec *r);
    int (*import_run_update)(pt_store *s, const pt_import_run_rec *r);
    int (*import_run_scan)(pt_store *s, pt_import_run_cb cb, void *ud);
    int (*conflict_insert)(pt_store *s, const pt_conflict_rec *r);
    int (*conflict_scan)(pt_store *s, pt_conflict_cb cb, void *ud);

    int (*stats_get)(pt_store *s, pt_store_stats *out);
    int (*order_columns)(pt_store *s, pt_order_columns_cb cb, void *ud);
    int (*member_columns)(pt_store *s, pt_member_columns_cb cb, void *ud);
    int (*survey_columns)(pt_store *s, pt_survey_columns_cb cb, void *ud);
    int (*account_columns)(pt_store *s, pt_account_columns_cb cb, void *ud);
    int (*item_columns)(pt_store *s, pt_item_columns_cb cb, void *ud);
    int (*event_columns)(pt_store *s, pt_event_columns_cb cb, void *ud);

    const struct pt_store_ledger_ops *ledger; /* store_ledger.h */
    const struct pt_store_reward_ops *reward; /* store_reward.h */
    const struct pt_store_score_ops  *score;  /* store_score.h */
    const struct pt_store_campaign_ops *campaign; /* store_campaign.h */
    const struct pt_store_apikey_ops *apikey; /* store_apikey.h */
    const struct pt_store_stats_ops  *stats;  /* store_stats.h */
    /* Write-ahead log upkeep (store.h); NULL on a backend without one. */
    int (*wal_watch)(pt_store *s, void (*cb)(void *ud, int log_pages), void *ud);
    int (*wal_checkpoint)(pt_store *s, int *log_pages, int *copied_pages);
};

struct pt_store {
    const struct pt_store_ops *ops;
    int  depth;          /* open transactions: 0 = none, 1 = outermost, >1 = savepoints */
    char errmsg[512];    /* last failure's detail; never holds personal data */
};

/* Sets an activity row's points from the query's two sums: entries get points_in = in,
 * points_out = out and points = in − out; redemptions points = in (the points spent). */
void pt__stats_row_points(pt_stats_row *r, int64_t in, int64_t out);

/* Records the detail of a failure and returns rc, so backends can `return pt__store_error(…)`. */
int pt__store_error(pt_store *s, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Column batches for pt_store_order_columns, filled by a backend's stream. */
struct pt_columns_buf {
    int64_t member_id[PT_COLUMNS_BATCH];
    int64_t ordered_at[PT_COLUMNS_BATCH];
    int64_t amount_cents[PT_COLUMNS_BATCH];
    int32_t status[PT_COLUMNS_BATCH];
    int64_t id[PT_COLUMNS_BATCH];
    char    channel[PT_COLUMNS_BATCH][PT_LABEL_MAX];
    size_t  n;
};
/* Hands the filled batch to cb and empties it. */
int pt__columns_flush(struct pt_columns_buf *b, pt_order_columns_cb cb, void *ud);
int pt__sq_order_columns(pt_store *s, pt_order_columns_cb cb, void *ud);
int pt__pg_order_columns(pt_store *s, pt_order_columns_cb cb, void *ud);
/* Column batches for pt_store_member_columns, likewise. */
struct pt_member_columns_buf {
    int64_t  id[PT_COLUMNS_BATCH];
    int64_t  registered_at[PT_COLUMNS_BATCH];
    int64_t  merged_into[PT_COLUMNS_BATCH];
    int32_t  status[PT_COLUMNS_BATCH];
    uint32_t consent[PT_COLUMNS_BATCH];
    size_t   n;
};
int pt__member_columns_flush(struct pt_member_columns_buf *b, pt_member_columns_cb cb, void *ud);
int pt__sq_member_columns(pt_store *s, pt_member_columns_cb cb, void *ud);
int pt__pg_member_columns(pt_store *s, pt_member_columns_cb cb, void *ud);
/* Column batches for pt_store_survey_columns, likewise. */
struct pt_survey_columns_buf {
    int64_t member_id[PT_COLUMNS_BATCH];
    char    survey[PT_COLUMNS_BATCH][PT_LABEL_MAX];
    int64_t at[PT_COLUMNS_BATCH];
    int32_t score[PT_COLUMNS_BATCH];
    size_t  n;
};
int pt__survey_columns_flush(struct pt_survey_columns_buf *b, pt_survey_columns_cb cb, void *ud);
int pt__sq_survey_columns(pt_store *s, pt_survey_columns_cb cb, void *ud);
int pt__pg_survey_columns(pt_store *s, pt_survey_columns_cb cb, void *ud);
/* Column batches for pt_store_account_columns, likewise. */
_Static_assert(PT_CODE_MAX <= PT_LABEL_MAX, "a tier code fits an account column");
struct pt_account_columns_buf {
    int64_t member_id[PT_COLUMNS_BATCH];
    int64_t balance[PT_COLUMNS_BATCH];
    int64_t pending[PT_COLUMNS_BATCH];
    char    tier[PT_COLUMNS_BATCH][PT_LABEL_MAX];
    size_t  n;
};
int pt__account_columns_flush(struct pt_account_columns_buf *b, pt_account_columns_cb cb, void *ud);
int pt__sq_account_columns(pt_store *s, pt_account_columns_cb cb, void *ud);
int pt__pg_account_columns(pt_store *s, pt_account_columns_cb cb, void *ud);
/* Column batches for pt_store_item_columns, likewise. */
struct pt_item_columns_buf {
    int64_t order_id[PT_COLUMNS_BATCH];
    char    sku[PT_COLUMNS_BATCH][PT_SKU_MAX];
    char    category[PT_COLUMNS_BATCH][PT_CATEGORY_MAX];
    int64_t qty[PT_COLUMNS_BATCH];
    int64_t amount_cents[PT_COLUMNS_BATCH];
    size_t  n;
};
int pt__item_columns_flush(struct pt_item_columns_buf *b, pt_item_columns_cb cb, void *ud);
int pt__sq_item_columns(pt_store *s, pt_item_columns_cb cb, void *ud);
int pt__pg_item_columns(pt_store *s, pt_item_columns_cb cb, void *ud);
/* Column batches for pt_store_event_columns, likewise. */
struct pt_event_columns_buf {
    int64_t member_id[PT_COLUMNS_BATCH];
    char    kind[PT_COLUMNS_BATCH][PT_LABEL_MAX];
    int64_t at[PT_COLUMNS_BATCH];
    int64_t value[PT_COLUMNS_BATCH];
    size_t  n;
};
int pt__event_columns_flush(struct pt_event_columns_buf *b, pt_event_columns_cb cb, void *ud);
int pt__sq_event_columns(pt_store *s, pt_event_columns_cb cb, void *ud);
int pt__pg_event_columns(pt_store *s, pt_event_columns_cb cb, void *ud);

/* The SQLite backend: path is a file name (created if missing). */
int pt__store_sqlite_open(pt_store **out, const char *path, char *errmsg, size_t errmsg_len);

/* The PostgreSQL backend: url is a postgres:// or postgresql:// URL, handed to libpq as is. */
int pt__store_pg_open(pt_store **out, const char *url, char *errmsg, size_t errmsg_len);

/* Raw handles, for code that works on whole tables rather than records (store_copy.c): the
 * SQLite connection, or NULL when s is another backend; likewise the libpq connection. */
struct sqlite3;
struct pg_conn;
struct sqlite3 *pt__store_sqlite_handle(pt_store *s);
struct pg_conn *pt__store_pg_conn(pt_store *s);
/* PostgreSQL keeps look-up tables derived from other tables (member and order numbers,
 * identity keys: docs/scaling.md). They are not data of their own: a whole-table copy skips
 * them (1 when `table` is one) and rebuilds them once the other tables are loaded, inside the
 * destination's transaction. */
int pt__store_pg_derived_table(const char *table);
int pt__store_pg_derived_rebuild(pt_store *s);
/* Applies the PostgreSQL migrations up to `version` and no further (tests of a migration on
 * the data of an older schema). */
int pt__store_pg_migrate_to(const char *url, int version, char *errmsg, size_t errmsg_len);

/* Typed record callbacks reached from a backend's generic row loop (which passes const void *)
 * without casting function pointers: struct <name>_cb {cb, ud} and call_<name>(ctx, rec). */
#define PT_STORE_TRAMPOLINE(name, type)                                                        \
    struct name##_cb {                                                                         \
        int (*cb)(void *, const type *);                                                       \
        void *ud;                                                                              \
    };                                                                                         \
    static inline int call_##name(void *ctx, const void *rec)                                  \
    {                                                                                          \
        const struct name##_cb *c = ctx;                                                       \
        return c->cb(c->ud, rec);                                                              \
    }
PT_STORE_TRAMPOLINE(member, pt_member_rec)
PT_STORE_TRAMPOLINE(identity, pt_identity_rec)
PT_STORE_TRAMPOLINE(order, pt_order_rec)
PT_STORE_TRAMPOLINE(item, pt_item_rec)
PT_STORE_TRAMPOLINE(event, pt_event_rec)
PT_STORE_TRAMPOLINE(survey, pt_survey_rec)
PT_STORE_TRAMPOLINE(merge, pt_merge_rec)
PT_STORE_TRAMPOLINE(run, pt_import_run_rec)
PT_STORE_TRAMPOLINE(conflict, pt_conflict_rec)
PT_STORE_TRAMPOLINE(entry, pt_entry_rec)
PT_STORE_TRAMPOLINE(lot, pt_lot_rec)
PT_STORE_TRAMPOLINE(lot_use, pt_lot_use_rec)
PT_STORE_TRAMPOLINE(line_earn, pt_line_earn_rec)
PT_STORE_TRAMPOLINE(tier_change, pt_tier_change_rec)
PT_STORE_TRAMPOLINE(audit, pt_audit_rec)
PT_STORE_TRAMPOLINE(audit_head, pt_audit_head_rec)
PT_STORE_TRAMPOLINE(ledger_check, pt_ledger_check_rec)
PT_STORE_TRAMPOLINE(reward_stock, pt_reward_stock_rec)
PT_STORE_TRAMPOLINE(redemption, pt_redemption_rec)
PT_STORE_TRAMPOLINE(coupon, pt_coupon_rec)
PT_STORE_TRAMPOLINE(score, pt_score_rec)
PT_STORE_TRAMPOLINE(campaign, pt_campaign_rec)
PT_STORE_TRAMPOLINE(campaign_member, pt_campaign_member_rec)
PT_STORE_TRAMPOLINE(outbox, pt_outbox_rec)
PT_STORE_TRAMPOLINE(webhook, pt_webhook_rec)
PT_STORE_TRAMPOLINE(outbox_delivery, pt_outbox_delivery_rec)
PT_STORE_TRAMPOLINE(apikey, pt_apikey_rec)

/* A member id passed to a pt_member_id_cb from a generic row loop. */
struct member_id_cb {
    pt_member_id_cb cb;
    void           *ud;
};
static inline int call_member_id(void *ctx, const void *rec)
{
    const struct member_id_cb *c = ctx;
    return c->cb(c->ud, *(const int64_t *)rec);
}

/* A row a merge moved (merge_moved table), and the callback bridge for pt_row_cb. */
struct moved_row {
    int     kind;
    int64_t row_id;
};
struct moved_cb {
    pt_row_cb cb;
    void     *ud;
};
static inline int call_moved(void *ud, const void *rec)
{
    const struct moved_cb *c = ud;
    const struct moved_row *m = rec;
    return c->cb(c->ud, m->kind, m->row_id);
}

/* Buffer limits every backend applies to the variable-length columns it reads back. */
#define PT_STORE_KEY_MAX        4096
#define PT_STORE_PII_MAX        ((size_t)1 << 20)
#define PT_STORE_PROVENANCE_MAX ((size_t)64 << 10)

#endif

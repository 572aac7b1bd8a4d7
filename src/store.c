/* store.c — the store's public face: picks a backend from the URL, keeps the transaction depth
 * (outermost begin is a transaction, inner ones are savepoints) and forwards every record call
 * to the backend's table. Invariant: depth equals the number of begins not yet committed or
 * rolled back; a failed begin leaves it unchanged. */
#include "store_int.h"
#include "patron/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int pt__store_error(pt_store *s, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->errmsg, sizeof s->errmsg, fmt, ap);
    va_end(ap);
    return rc;
}

static int has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

int pt_store_open(pt_store **out, const char *url, char *errmsg, size_t errmsg_len)
{
    char dummy[8];
    if (!errmsg) {
        errmsg = dummy;
        errmsg_len = sizeof dummy;
    }
    *out = NULL;
    errmsg[0] = 0;
    if (!url || !*url) {
        snprintf(errmsg, errmsg_len, "empty store URL");
        return PT_EINVAL;
    }
    if (has_prefix(url, "postgres://") || has_prefix(url, "postgresql://")) {
        return pt__store_pg_open(out, url, errmsg, errmsg_len);
    }
    const char *path = has_prefix(url, "sqlite:") ? url + strlen("sqlite:") : url;
    if (has_prefix(path, "//"))
        path += 2; /* sqlite:///abs/path */
    if (!*path) {
        snprintf(errmsg, errmsg_len, "store URL %s names no file", url);
        return PT_EINVAL;
    }
    return pt__store_sqlite_open(out, path, errmsg, errmsg_len);
}

void pt_store_close(pt_store *s)
{
    if (!s)
        return;
    if (s->depth)
        s->ops->tx(s, PT_TX_ROLLBACK, 0); /* never commit what the caller did not */
    s->ops->close(s);
}

const char *pt_store_errmsg(const pt_store *s)
{
    return s ? s->errmsg : "no store";
}

const char *pt_store_backend(const pt_store *s)
{
    return s->ops->name;
}

int pt_store_schema_version(pt_store *s, int *version)
{
    return s->ops->schema_version(s, version);
}

int pt_store_begin(pt_store *s)
{
    int rc = s->ops->tx(s, PT_TX_BEGIN, s->depth);
    if (rc == PT_OK)
        s->depth++;
    return rc;
}

int pt_store_begin_locking(pt_store *s)
{
    int rc = s->ops->tx(s, s->depth == 0 ? PT_TX_BEGIN_LOCKING : PT_TX_BEGIN, s->depth);
    if (rc == PT_OK)
        s->depth++;
    return rc;
}

int pt_store_begin_read(pt_store *s)
{
    int rc = s->ops->tx(s, s->depth == 0 ? PT_TX_BEGIN_READ : PT_TX_BEGIN, s->depth);
    if (rc == PT_OK)
        s->depth++;
    return rc;
}

int pt_store_commit(pt_store *s)
{
    if (s->depth == 0)
        return pt__store_error(s, PT_ESTATE, "commit without a transaction");
    int rc = s->ops->tx(s, PT_TX_COMMIT, s->depth - 1);
    if (rc == PT_OK)
        s->depth--;
    return rc;
}

int pt_store_rollback(pt_store *s)
{
    if (s->depth == 0)
        return pt__store_error(s, PT_ESTATE, "rollback without a transaction");
    int rc = s->ops->tx(s, PT_TX_ROLLBACK, s->depth - 1);
    s->depth--; /* a failed rollback still ends this level: the backend has abandoned it */
    return rc;
}

int pt_store_in_tx(const pt_store *s)
{
    return s->depth > 0;
}

/* --- records -------------------------------------------------------------------------------- */

void pt_member_rec_init(pt_member_rec *r)
{
    memset(r, 0, sizeof *r);
    pt_buf_init(&r->key_wrapped, PT_STORE_KEY_MAX);
    pt_buf_init(&r->pii, PT_STORE_PII_MAX);
    pt_buf_init(&r->provenance, PT_STORE_PROVENANCE_MAX);
}

void pt_member_rec_free(pt_member_rec *r)
{
    pt_buf_wipe(&r->key_wrapped);
    pt_buf_free(&r->pii);
    pt_buf_free(&r->provenance);
}

void pt_identity_rec_init(pt_identity_rec *r)
{
    memset(r, 0, sizeof *r);
    pt_buf_init(&r->value, PT_STORE_KEY_MAX);
}

void pt_identity_rec_free(pt_identity_rec *r)
{
    pt_buf_free(&r->value);
}

void pt_merge_rec_init(pt_merge_rec *r)
{
    memset(r, 0, sizeof *r);
    pt_buf_init(&r->survivor_before, PT_STORE_PII_MAX);
}

void pt_merge_rec_free(pt_merge_rec *r)
{
    pt_buf_free(&r->survivor_before);
}

void pt_import_run_rec_init(pt_import_run_rec *r)
{
    memset(r, 0, sizeof *r);
    pt_buf_init(&r->missing, PT_STORE_PROVENANCE_MAX);
}

void pt_import_run_rec_free(pt_import_run_rec *r)
{
    pt_buf_free(&r->missing);
}

void pt_idem_rec_init(pt_idem_rec *r)
{
    memset(r, 0, sizeof *r);
    pt_buf_init(&r->result, PT_STORE_PROVENANCE_MAX);
}

void pt_idem_rec_free(pt_idem_rec *r)
{
    pt_buf_free(&r->result);
}

void pt_audit_rec_init(pt_audit_rec *r)
{
    memset(r, 0, sizeof *r);
    pt_buf_init(&r->detail, PT_STORE_PROVENANCE_MAX);
}

void pt_audit_rec_free(pt_audit_rec *r)
{
    pt_buf_free(&r->detail);
}

/* --- forwarding ----------------------------------------------------------------------------- */

#define FWD(ret, name, params, args)                                                           \
    ret pt_store_##name params                                                                 \
    {                                                                                          \
        return s->ops->name args;                                                              \
    }

FWD(int, meta_get, (pt_store *s, const char *key, pt_buf *val), (s, key, val))
FWD(int, meta_set, (pt_store *s, const char *key, const char *val), (s, key, val))
FWD(int, member_insert, (pt_store *s, pt_member_rec *r), (s, r))
FWD(int, member_update, (pt_store *s, const pt_member_rec *r), (s, r))
FWD(int, member_get, (pt_store *s, int64_t id, pt_member_rec *r), (s, id, r))
FWD(int, member_get_by_no, (pt_store *s, const char *no, pt_member_rec *r), (s, no, r))
FWD(int, member_scan, (pt_store *s, pt_member_cb cb, void *ud), (s, cb, ud))
FWD(int, identity_insert, (pt_store *s, pt_identity_rec *r), (s, r))
FWD(int, identity_update, (pt_store *s, const pt_identity_rec *r), (s, r))
FWD(int, identity_find, (pt_store *s, int kind, const uint8_t blind[PT_BLIND_LEN], pt_identity_rec *r),
    (s, kind, blind, r))
FWD(int, identity_list, (pt_store *s, int64_t member_id, pt_identity_cb cb, void *ud), (s, member_id, cb, ud))
FWD(int, identity_delete_member, (pt_store *s, int64_t member_id), (s, member_id))
FWD(int, identity_scan, (pt_store *s, pt_identity_cb cb, void *ud), (s, cb, ud))
FWD(int, order_insert, (pt_store *s, pt_order_rec *r), (s, r))
FWD(int, order_find_by_no, (pt_store *s, const char *no, pt_order_rec *r), (s, no, r))
FWD(int, order_list, (pt_store *s, int64_t member_id, pt_order_cb cb, void *ud), (s, member_id, cb, ud))
FWD(int, order_scan, (pt_store *s, pt_order_cb cb, void *ud), (s, cb, ud))
FWD(int, item_insert, (pt_store *s, const pt_item_rec *r), (s, r))
FWD(int, item_list, (pt_store *s, int64_t order_id, pt_item_cb cb, void *ud), (s, order_id, cb, ud))
FWD(int, event_insert, (pt_store *s, pt_event_rec *r), (s, r))
FWD(int, event_list, (pt_store *s, int64_t member_id, pt_event_cb cb, void *ud), (s, member_id, cb, ud))
FWD(int, survey_insert, (pt_store *s, pt_survey_rec *r), (s, r))
FWD(int, survey_list, (pt_store *s, int64_t member_id, pt_survey_cb cb, void *ud), (s, member_id, cb, ud))
FWD(int, merge_insert, (pt_store *s, pt_merge_rec *r), (s, r))
FWD(int, merge_get, (pt_store *s, int64_t id, pt_merge_rec *r), (s, id, r))
FWD(int, merge_mark_undone, (pt_store *s, int64_t id, int64_t at), (s, id, at))
FWD(int, merge_list, (pt_store *s, int64_t member_id, int (*cb)(void *, const pt_merge_rec *), void *ud),
    (s, member_id, cb, ud))
FWD(int, member_move_rows, (pt_store *s, int64_t merge_id, int64_t from, int64_t to), (s, merge_id, from, to))
FWD(int, member_unmove_rows, (pt_store *s, int64_t merge_id, int64_t to), (s, merge_id, to))
FWD(int, merge_moved_add, (pt_store *s, int64_t merge_id, int kind, int64_t row_id), (s, merge_id, kind, row_id))
FWD(int, merge_moved_list, (pt_store *s, int64_t merge_id, pt_row_cb cb, void *ud), (s, merge_id, cb, ud))
FWD(int, import_run_insert, (pt_store *s, pt_import_run_rec *r), (s, r))
FWD(int, import_run_update, (pt_store *s, const pt_import_run_rec *r), (s, r))
FWD(int, import_run_scan, (pt_store *s, pt_import_run_cb cb, void *ud), (s, cb, ud))
FWD(int, conflict_insert, (pt_store *s, const pt_conflict_rec *r), (s, r))
FWD(int, conflict_scan, (pt_store *s, pt_conflict_cb cb, void *ud), (s, cb, ud))
FWD(int, stats_get, (pt_store *s, pt_store_stats *out), (s, out))
FWD(int, order_columns, (pt_store *s, pt_order_columns_cb cb, void *ud), (s, cb, ud))
FWD(int, member_columns, (pt_store *s, pt_member_columns_cb cb, void *ud), (s, cb, ud))
FWD(int, survey_columns, (pt_store *s, pt_survey_columns_cb cb, void *ud), (s, cb, ud))
FWD(int, account_columns, (pt_store *s, pt_account_columns_cb cb, void *ud), (s, cb, ud))
FWD(int, item_columns, (pt_store *s, pt_item_columns_cb cb, void *ud), (s, cb, ud))
FWD(int, event_columns, (pt_store *s, pt_event_columns_cb cb, void *ud), (s, cb, ud))

void pt__stats_row_points(pt_stats_row *r, int64_t in, int64_t out)
{
    if (r->what == PT_STATS_ENTRIES) {
        r->points_in = in;
        r->points_out = out;
        r->points = in - out;
    } else {
        r->points = in;
    }
}

int pt__columns_flush(struct pt_columns_buf *b, pt_order_columns_cb cb, void *ud)
{
    if (b->n == 0)
        return PT_OK;
    pt_order_columns c = {b->n,     b->member_id, b->ordered_at,
                          b->amount_cents, b->status, b->id, (const char(*)[PT_LABEL_MAX])b->channel};
    b->n = 0;
    return cb(ud, &c);
}

int pt__member_columns_flush(struct pt_member_columns_buf *b, pt_member_columns_cb cb, void *ud)
{
    if (b->n == 0)
        return PT_OK;
    pt_member_columns c = {b->n, b->id, b->registered_at, b->merged_into, b->status, b->consent};
    b->n = 0;
    return cb(ud, &c);
}

int pt__survey_columns_flush(struct pt_survey_columns_buf *b, pt_survey_columns_cb cb, void *ud)
{
    if (b->n == 0)
        return PT_OK;
    pt_survey_columns c = {b->n, b->member_id, (const char(*)[PT_LABEL_MAX])b->survey, b->at, b->score};
    b->n = 0;
    return cb(ud, &c);
}

int pt__account_columns_flush(struct pt_account_columns_buf *b, pt_account_columns_cb cb, void *ud)
{
    if (b->n == 0)
        return PT_OK;
    pt_account_columns c = {b->n, b->member_id, b->balance, b->pending, (const char(*)[PT_LABEL_MAX])b->tier};
    b->n = 0;
    return cb(ud, &c);
}

int pt__item_columns_flush(struct pt_item_columns_buf *b, pt_item_columns_cb cb, void *ud)
{
    if (b->n == 0)
        return PT_OK;
    pt_item_columns c = {b->n, b->order_id, (const char(*)[PT_SKU_MAX])b->sku,
                         (const char(*)[PT_CATEGORY_MAX])b->category, b->qty, b->amount_cents};
    b->n = 0;
    return cb(ud, &c);
}

int pt__event_columns_flush(struct pt_event_columns_buf *b, pt_event_columns_cb cb, void *ud)
{
    if (b->n == 0)
        return PT_OK;
    pt_event_columns c = {b->n, b->member_id, (const char(*)[PT_LABEL_MAX])b->kind, b->at, b->value};
    b->n = 0;
    return cb(ud, &c);
}

/* store_ledger.h */
#define LFWD(ret, name, params, args)                                                          \
    ret pt_store_##name params                                                                 \
    {                                                                                          \
        return s->ops->ledger->name args;                                                      \
    }
LFWD(int, account_get, (pt_store *s, int64_t member_id, int lock, pt_account_rec *r), (s, member_id, lock, r))
LFWD(int, account_insert, (pt_store *s, const pt_account_rec *r), (s, r))
LFWD(int, account_update, (pt_store *s, const pt_account_rec *r), (s, r))
LFWD(int, account_scan_review, (pt_store *s, int64_t as_of, pt_member_id_cb cb, void *ud), (s, as_of, cb, ud))
LFWD(int, entry_insert, (pt_store *s, pt_entry_rec *r), (s, r))
LFWD(int, entry_get, (pt_store *s, int64_t member_id, int64_t id, pt_entry_rec *r), (s, member_id, id, r))
LFWD(int, entry_list, (pt_store *s, int64_t member_id, pt_entry_cb cb, void *ud), (s, member_id, cb, ud))
LFWD(int, entry_growth_since, (pt_store *s, int64_t member_id, int64_t since, int64_t *growth),
    (s, member_id, since, growth))
LFWD(int, lot_insert, (pt_store *s, pt_lot_rec *r), (s, r))
LFWD(int, lot_update, (pt_store *s, const pt_lot_rec *r), (s, r))
LFWD(int, lot_get, (pt_store *s, int64_t member_id, int64_t id, pt_lot_rec *r), (s, member_id, id, r))
LFWD(int, lot_list, (pt_store *s, int64_t member_id, int open_only, pt_lot_cb cb, void *ud),
    (s, member_id, open_only, cb, ud))
LFWD(int, entry_list_recent, (pt_store *s, int64_t member_id, int64_t limit, pt_entry_cb cb, void *ud),
    (s, member_id, limit, cb, ud))
LFWD(int, lot_list_due, (pt_store *s, int64_t member_id, int64_t as_of, pt_lot_cb cb, void *ud),
    (s, member_id, as_of, cb, ud))
LFWD(int, lot_due_members, (pt_store *s, int64_t as_of, pt_member_id_cb cb, void *ud), (s, as_of, cb, ud))
LFWD(int, lot_expiring, (pt_store *s, int64_t from, int64_t to, pt_lot_cb cb, void *ud), (s, from, to, cb, ud))
LFWD(int, lot_use_insert, (pt_store *s, const pt_lot_use_rec *r), (s, r))
LFWD(int, lot_use_list, (pt_store *s, int64_t member_id, int64_t entry_id, pt_lot_use_cb cb, void *ud),
    (s, member_id, entry_id, cb, ud))
LFWD(int, line_earn_insert, (pt_store *s, const pt_line_earn_rec *r), (s, r))
LFWD(int, line_earn_update, (pt_store *s, const pt_line_earn_rec *r), (s, r))
LFWD(int, line_earn_list, (pt_store *s, int64_t member_id, int64_t order_id, pt_line_earn_cb cb, void *ud),
    (s, member_id, order_id, cb, ud))
LFWD(int, idem_get, (pt_store *s, int64_t member_id, const char *key, pt_idem_rec *r), (s, member_id, key, r))
LFWD(int, idem_insert, (pt_store *s, const pt_idem_rec *r), (s, r))
LFWD(int, tier_change_insert, (pt_store *s, pt_tier_change_rec *r), (s, r))
LFWD(int, tier_change_list, (pt_store *s, int64_t member_id, pt_tier_change_cb cb, void *ud), (s, member_id, cb, ud))
LFWD(int, programme_insert, (pt_store *s, const char *version, const char *canonical, int64_t loaded_at),
    (s, version, canonical, loaded_at))
LFWD(int, programme_get, (pt_store *s, const char *version, pt_buf *canonical), (s, version, canonical))
LFWD(int, audit_insert, (pt_store *s, const pt_audit_rec *r), (s, r))
LFWD(int, audit_head_get, (pt_store *s, int64_t member_id, int lock, pt_audit_head_rec *r), (s, member_id, lock, r))
LFWD(int, audit_head_put, (pt_store *s, const pt_audit_head_rec *r), (s, r))
LFWD(int, audit_list, (pt_store *s, int64_t member_id, pt_audit_cb cb, void *ud), (s, member_id, cb, ud))
LFWD(int, audit_scan, (pt_store *s, pt_audit_cb cb, void *ud), (s, cb, ud))
LFWD(int, audit_head_scan, (pt_store *s, pt_audit_head_cb cb, void *ud), (s, cb, ud))
LFWD(int, ledger_check_scan, (pt_store *s, pt_ledger_check_cb cb, void *ud), (s, cb, ud))
LFWD(int, rule_credit_add, (pt_store *s, int64_t member_id, const char *rule, int64_t day, int64_t points),
     (s, member_id, rule, day, points))
LFWD(int, rule_credit_sums,
     (pt_store *s, int64_t member_id, const char *rule, int64_t day, int64_t *on_day, int64_t *total),
     (s, member_id, rule, day, on_day, total))
LFWD(int, rule_budget_get, (pt_store *s, const char *rule, int lock, int64_t *given), (s, rule, lock, given))
LFWD(int, rule_budget_add, (pt_store *s, const char *rule, int64_t points), (s, rule, points))
LFWD(int, order_set_status, (pt_store *s, int64_t member_id, int64_t order_id, int status),
     (s, member_id, order_id, status))

/* store_reward.h */
#define RFWD(ret, name, params, args)                                                          \
    ret pt_store_##name params                                                                 \
    {                                                                                          \
        return s->ops->reward->name args;                                                      \
    }
RFWD(int, reward_stock_seed, (pt_store *s, const char *code, int64_t stock, int64_t at), (s, code, stock, at))
RFWD(int, reward_stock_get, (pt_store *s, const char *code, pt_reward_stock_rec *r), (s, code, r))
RFWD(int, reward_stock_list, (pt_store *s, pt_reward_stock_cb cb, void *ud), (s, cb, ud))
RFWD(int, reward_stock_take, (pt_store *s, const char *code, int64_t at, pt_reward_stock_rec *r), (s, code, at, r))
RFWD(int, redemption_insert, (pt_store *s, pt_redemption_rec *r), (s, r))
RFWD(int, redemption_count, (pt_store *s, int64_t member_id, const char *reward, int64_t *n),
     (s, member_id, reward, n))
RFWD(int, redemption_list, (pt_store *s, int64_t member_id, pt_redemption_cb cb, void *ud), (s, member_id, cb, ud))
RFWD(int, coupon_insert, (pt_store *s, const pt_coupon_rec *r), (s, r))
RFWD(int, coupon_get, (pt_store *s, const char *code, pt_coupon_rec *r), (s, code, r))
RFWD(int, coupon_use, (pt_store *s, int64_t member_id, const char *code, int64_t at, const char *ref),
     (s, member_id, code, at, ref))
RFWD(int, coupon_list, (pt_store *s, int64_t member_id, pt_coupon_cb cb, void *ud), (s, member_id, cb, ud))
RFWD(int, invite_insert, (pt_store *s, int64_t member_id, const char *code, int64_t at), (s, member_id, code, at))
RFWD(int, invite_find, (pt_store *s, const char *code, int64_t *member_id), (s, code, member_id))
RFWD(int, invite_of, (pt_store *s, int64_t member_id, char code[PT_COUPON_CODE_MAX]), (s, member_id, code))
RFWD(int, referral_insert, (pt_store *s, const pt_referral_rec *r), (s, r))
RFWD(int, referral_get, (pt_store *s, int64_t invitee, int lock, pt_referral_rec *r), (s, invitee, lock, r))
RFWD(int, referral_update, (pt_store *s, const pt_referral_rec *r), (s, r))

/* store_score.h */
#define SFWD(ret, name, params, args)                                                          \
    ret pt_store_##name params                                                                 \
    {                                                                                          \
        return s->ops->score->name args;                                                       \
    }
SFWD(int, score_put, (pt_store *s, const pt_score_rec *r), (s, r))
SFWD(int, score_get, (pt_store *s, int64_t member_id, const char *model, pt_score_rec *r), (s, member_id, model, r))
SFWD(int, score_scan, (pt_store *s, const char *model, int64_t min_ppm, pt_score_cb cb, void *ud),
     (s, model, min_ppm, cb, ud))
SFWD(int, score_clear_model, (pt_store *s, const char *model, int64_t *n), (s, model, n))
/* store_campaign.h */
#define CFWD(ret, name, params, args)                                                          \
    ret pt_store_##name params                                                                 \
    {                                                                                          \
        return s->ops->campaign->name args;                                                    \
    }
CFWD(int, campaign_insert, (pt_store *s, pt_campaign_rec *r), (s, r))
CFWD(int, campaign_get, (pt_store *s, int64_t id, pt_campaign_rec *r), (s, id, r))
CFWD(int, campaign_get_by_name, (pt_store *s, const char *name, pt_campaign_rec *r), (s, name, r))
CFWD(int, campaign_list, (pt_store *s, pt_campaign_cb cb, void *ud), (s, cb, ud))
CFWD(int, campaign_update, (pt_store *s, const pt_campaign_rec *r), (s, r))
CFWD(int, campaign_member_insert, (pt_store *s, const pt_campaign_member_rec *r), (s, r))
CFWD(int, campaign_member_list, (pt_store *s, int64_t campaign_id, pt_campaign_member_cb cb, void *ud),
     (s, campaign_id, cb, ud))
CFWD(int, trigger_fire_insert, (pt_store *s, const pt_trigger_fire_rec *r), (s, r))
CFWD(int, trigger_fire_count, (pt_store *s, int64_t member_id, int64_t since, int64_t *n), (s, member_id, since, n))
CFWD(int, outbox_insert, (pt_store *s, pt_outbox_rec *r), (s, r))
CFWD(int, outbox_get, (pt_store *s, int64_t id, pt_outbox_rec *r), (s, id, r))
CFWD(int, outbox_due, (pt_store *s, int64_t now, int limit, pt_outbox_cb cb, void *ud), (s, now, limit, cb, ud))
CFWD(int, outbox_update, (pt_store *s, const pt_outbox_rec *r), (s, r))

int pt_store_outbox_prune(pt_store *s, int state, int64_t before, int limit, int64_t *deleted)
{
    *deleted = 0;
    if ((state != PT_OUTBOX_DELIVERED && state != PT_OUTBOX_DEAD) || limit <= 0)
        return PT_EINVAL;
    return s->ops->campaign->outbox_prune(s, state, before, limit, deleted);
}
CFWD(int, outbox_list, (pt_store *s, pt_outbox_cb cb, void *ud), (s, cb, ud))
CFWD(int, webhook_insert, (pt_store *s, pt_webhook_rec *r), (s, r))
CFWD(int, webhook_list, (pt_store *s, pt_webhook_cb cb, void *ud), (s, cb, ud))
CFWD(int, outbox_delivery_insert, (pt_store *s, const pt_outbox_delivery_rec *r), (s, r))
CFWD(int, outbox_delivery_list,
     (pt_store *s, int64_t member_id, int64_t outbox_id, pt_outbox_delivery_cb cb, void *ud),
     (s, member_id, outbox_id, cb, ud))
CFWD(int, outbox_delivery_clear, (pt_store *s, int64_t member_id, int64_t outbox_id, int64_t *deleted),
     (s, member_id, outbox_id, deleted))
/* store_apikey.h */
#define KFWD(ret, name, params, args)                                                          \
    ret pt_store_##name params                                                                 \
    {                                                                                          \
        return s->ops->apikey->name args;                                                      \
    }
KFWD(int, apikey_insert, (pt_store *s, pt_apikey_rec *r), (s, r))
KFWD(int, apikey_get_by_hash, (pt_store *s, const uint8_t hash[PT_APIKEY_HASH_LEN], pt_apikey_rec *r), (s, hash, r))
KFWD(int, apikey_list, (pt_store *s, pt_apikey_cb cb, void *ud), (s, cb, ud))
KFWD(int, apikey_revoke, (pt_store *s, int64_t id, int64_t at), (s, id, at))

/* store_stats.h */
int pt_store_activity_summary(pt_store *s, int64_t from, int64_t to, pt_stats_cb cb, void *ud)
{
    if (to <= from)
        return PT_EINVAL;
    return s->ops->stats->activity_summary(s, from, to, cb, ud);
}

/* write-ahead log upkeep (store.h) */
int pt_store_wal_watch(pt_store *s, void (*cb)(void *ud, int log_pages), void *ud)
{
    return s->ops->wal_watch ? s->ops->wal_watch(s, cb, ud) : PT_OK;
}

int pt_store_wal_checkpoint(pt_store *s, int *log_pages, int *copied_pages)
{
    *log_pages = *copied_pages = 0;
    return s->ops->wal_checkpoint ? s->ops->wal_checkpoint(s, log_pages, copied_pages) : PT_OK;
}

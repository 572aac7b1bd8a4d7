/* store_sqlite_campaign.c — campaigns, triggers, outbox and webhooks (store_campaign.h) on
 * SQLite.
 *
 * Tables come from migrations 11 and 14 (outbox_deliveries) in store_sqlite.c. SQLite has one writer at a time, so the
 * "at most once" inserts (a member's arm in a campaign, a trigger occurrence) are plain
 * inserts whose primary-key violation is PT_EEXIST (the statement alone is undone, the
 * caller's transaction goes on). Statement slots are SQ_CAMPAIGN_FIRST + the ids below. This
 * file and the other store_sqlite*.c are the only ones that write SQL for SQLite.
 */
#include "store_sqlite_int.h"
#include "patron/error.h"

#define CAMPAIGN_COLS                                                                          \
    "id, name, audience, channel, offer_kind, offer_points, offer_cents, offer_code, control_bp, seed," \
    " starts_at, ends_at, budget_points, status, created_at, launched_at, treated, control"
#define OUTBOX_COLS                                                                            \
    "member_id, id, event_id, kind, payload, created_at, state, attempts, next_at, delivered_at, last_error"
#define WEBHOOK_COLS "id, url, secret, active, created_at"

#define CAMPAIGN_STATEMENTS(X)                                                                 \
    X(CAMPAIGN_INSERT, "INSERT INTO campaigns(" CAMPAIGN_COLS ") VALUES (NULL,?2,?3,?4,?5,?6,?7,?8,?9,?10," \
                       "?11,?12,?13,?14,?15,?16,?17,?18)")                                     \
    X(CAMPAIGN_GET, "SELECT " CAMPAIGN_COLS " FROM campaigns WHERE id = ?1")                   \
    X(CAMPAIGN_GET_NAME, "SELECT " CAMPAIGN_COLS " FROM campaigns WHERE name = ?1")            \
    X(CAMPAIGN_LIST, "SELECT " CAMPAIGN_COLS " FROM campaigns ORDER BY id")                    \
    X(CAMPAIGN_UPDATE, "UPDATE campaigns SET status = ?2, launched_at = ?3, treated = ?4, control = ?5" \
                       " WHERE id = ?1")                                                       \
    X(CMEMBER_INSERT, "INSERT INTO campaign_members(member_id, campaign_id, arm, at) VALUES (?1,?2,?3,?4)") \
    X(CMEMBER_LIST, "SELECT member_id, campaign_id, arm, at FROM campaign_members WHERE campaign_id = ?1" \
                    " ORDER BY member_id")                                                     \
    X(FIRE_INSERT, "INSERT INTO trigger_fires(member_id, rule, occurrence, at) VALUES (?1,?2,?3,?4)") \
    X(FIRE_COUNT, "SELECT count(*) FROM trigger_fires WHERE member_id = ?1 AND at >= ?2")      \
    X(OUTBOX_INSERT, "INSERT INTO outbox(" OUTBOX_COLS ") VALUES (?1,NULL,?3,?4,?5,?6,?7,?8,?9,?10,?11)") \
    X(OUTBOX_GET, "SELECT " OUTBOX_COLS " FROM outbox WHERE id = ?1")                          \
    X(OUTBOX_DUE, "SELECT " OUTBOX_COLS " FROM outbox o WHERE o.state = 0 AND o.next_at <= ?1" \
                  " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.state = 0 AND p.member_id = o.member_id" \
                  " AND p.id < o.id) ORDER BY o.id LIMIT ?2")                                  \
    X(OUTBOX_UPDATE, "UPDATE outbox SET state = ?3, attempts = ?4, next_at = ?5, delivered_at = ?6," \
                     " last_error = ?7 WHERE member_id = ?1 AND id = ?2")                      \
    X(OUTBOX_LIST, "SELECT " OUTBOX_COLS " FROM outbox ORDER BY id")                           \
    X(OUTBOX_PRUNE_DELIVERED, "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE state = 1" \
                              " AND delivered_at < ?1 ORDER BY id LIMIT ?2)")                  \
    X(OUTBOX_PRUNE_DEAD, "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE state = 2" \
                         " AND next_at < ?1 ORDER BY id LIMIT ?2)")                            \
    X(WEBHOOK_INSERT, "INSERT INTO webhooks(" WEBHOOK_COLS ") VALUES (NULL,?2,?3,?4,?5)")      \
    X(WEBHOOK_LIST, "SELECT " WEBHOOK_COLS " FROM webhooks ORDER BY id")                       \
    X(DELIVERY_INSERT, "INSERT INTO outbox_deliveries(member_id, outbox_id, webhook_id, delivered_at)" \
                       " VALUES (?1,?2,?3,?4) ON CONFLICT (outbox_id, webhook_id) DO NOTHING")  \
    X(DELIVERY_LIST, "SELECT member_id, outbox_id, webhook_id, delivered_at FROM outbox_deliveries" \
                     " WHERE outbox_id = ?2 AND member_id = ?1 ORDER BY webhook_id")           \
    X(DELIVERY_CLEAR, "DELETE FROM outbox_deliveries WHERE outbox_id = ?2 AND member_id = ?1")

enum campaign_stmt {
#define CSTMT_ENUM(id, sql) CS_##id,
    CAMPAIGN_STATEMENTS(CSTMT_ENUM)
#undef CSTMT_ENUM
    CS__COUNT
};
_Static_assert(SQ_CAMPAIGN_FIRST + CS__COUNT <= SQ_STMT_SLOTS, "statement cache too small");

static const char *const campaign_sql[CS__COUNT] = {
#define CSTMT_SQL(id, sql) [CS_##id] = sql,
    CAMPAIGN_STATEMENTS(CSTMT_SQL)
#undef CSTMT_SQL
};

#define SLOT(id) (SQ_CAMPAIGN_FIRST + (int)(id))

static int prep(pt_store *s, enum campaign_stmt id, sqlite3_stmt **st)
{
    return pt__sq_prepare(SQ(s), SLOT(id), campaign_sql[id], st);
}

static int run(pt_store *s, enum campaign_stmt id, sqlite3_stmt *st, const char *doing)
{
    return pt__sq_run(SQ(s), SLOT(id), st, doing);
}

static int one(pt_store *s, enum campaign_stmt id, sqlite3_stmt *st, int (*read)(sqlite3_stmt *, void *), void *rec,
               const char *doing)
{
    return pt__sq_query_one(SQ(s), SLOT(id), st, read, rec, doing);
}

static int each(pt_store *s, enum campaign_stmt id, sqlite3_stmt *st, int (*read)(sqlite3_stmt *, void *),
                void *rec, int (*cb)(void *, const void *), void *ud, const char *doing)
{
    return pt__sq_query_each(SQ(s), SLOT(id), st, read, rec, cb, ud, doing);
}

static int read_i64(sqlite3_stmt *st, void *p)
{
    *(int64_t *)p = col_i64(st, 0);
    return PT_OK;
}

/* --- campaigns ---------------------------------------------------------------------------- */

static int read_campaign(sqlite3_stmt *st, void *p)
{
    pt_campaign_rec *r = p;
    r->id = col_i64(st, 0);
    col_text(st, 1, r->name, sizeof r->name);
    col_text(st, 2, r->audience, sizeof r->audience);
    r->channel = col_int(st, 3);
    r->offer_kind = col_int(st, 4);
    r->offer_points = col_i64(st, 5);
    r->offer_cents = col_i64(st, 6);
    col_text(st, 7, r->offer_code, sizeof r->offer_code);
    r->control_bp = col_int(st, 8);
    r->seed = col_i64(st, 9);
    r->starts_at = col_i64(st, 10);
    r->ends_at = col_i64(st, 11);
    r->budget_points = col_i64(st, 12);
    r->status = col_int(st, 13);
    r->created_at = col_i64(st, 14);
    r->launched_at = col_i64(st, 15);
    r->treated = col_i64(st, 16);
    r->control = col_i64(st, 17);
    return PT_OK;
}

static int sq_campaign_insert(pt_store *s, pt_campaign_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, CS_CAMPAIGN_INSERT, &st);
    if (rc)
        return rc;
    bind_text(st, 2, r->name);
    bind_text(st, 3, r->audience);
    sqlite3_bind_int(st, 4, r->channel);
    sqlite3_bind_int(st, 5, r->offer_kind);
    sqlite3_bind_int64(st, 6, r->offer_points);
    sqlite3_bind_int64(st, 7, r->offer_cents);
    bind_text(st, 8, r->offer_code);
    sqlite3_bind_int(st, 9, r->control_bp);
    sqlite3_bind_int64(st, 10, r->seed);
    sqlite3_bind_int64(st, 11, r->starts_at);
    sqlite3_bind_int64(st, 12, r->ends_at);
    sqlite3_bind_int64(st, 13, r->budget_points);
    sqlite3_bind_int(st, 14, r->status);
    sqlite3_bind_int64(st, 15, r->created_at);
    sqlite3_bind_int64(st, 16, r->launched_at);
    sqlite3_bind_int64(st, 17, r->treated);
    sqlite3_bind_int64(st, 18, r->control);
    rc = run(s, CS_CAMPAIGN_INSERT, st, "inserting campaign");
    if (rc == PT_OK)
        r->id = sqlite3_last_insert_rowid(SQ(s)->db);
    return rc;
}

static int sq_campaign_get(pt_store *s, int64_t id, pt_campaign_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, CS_CAMPAIGN_GET, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    return one(s, CS_CAMPAIGN_GET, st, read_campaign, r, "reading campaign");
}

static int sq_campaign_get_by_name(pt_store *s, const char *name, pt_campaign_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, CS_CAMPAIGN_GET_NAME, &st);
    if (rc)
        return rc;
    bind_text(st, 1, name);
    return one(s, CS_CAMPAIGN_GET_NAME, st, read_campaign, r, "reading campaign by name");
}

static int sq_campaign_list(pt_store *s, pt_campaign_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = prep(s, CS_CAMPAIGN_LIST, &st);
    if (rc)
        return rc;
    pt_campaign_rec r;
    struct campaign_cb c = {cb, ud};
    return each(s, CS_CAMPAIGN_LIST, st, read_campaign, &r, call_campaign, &c, "listing campaigns");
}

static int sq_campaign_update(pt_store *s, const pt_campaign_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, CS_CAMPAIGN_UPDATE, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_int(st, 2, r->status);
    sqlite3_bind_int64(st, 3, r->launched_at);
    sqlite3_bind_int64(st, 4, r->treated);
    sqlite3_bind_int64(st, 5, r->control);
    rc = run(s, CS_CAMPAIGN_UPDATE, st, "updating campaign");
    return pt__sq_changed_one(SQ(s), rc, "updating campaign");
}

static int read_cmember(sqlite3_stmt *st, void *p)
{
    pt_campaign_member_rec *r = p;
    r->member_id = col_i64(st, 0);
    r->campaign_id = col_i64(st, 1);
    r->arm = col_int(st, 2);
    r->at = col_i64(st, 3);
    return PT_OK;
}

static int sq_cmember_insert(pt_store *s, const pt_campaign_member_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, CS_CMEMBER_INSERT, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->member_id);
    sqlite3_bind_int64(st, 2, r->campaign_id);
    sqlite3_bind_int(st, 3, r->arm);
    sqlite3_bind_int64(st, 4, r->at);
    return run(s, CS_CMEMBER_INSERT, st, "assigning a campaign member");
}

static int sq_cmember_list(pt_store *s, int64_t campaign_id, pt_campaign_member_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = prep(s, CS_CMEMBER_LIST, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, campaign_id);
    pt_campaign_member_rec r;
    struct campaign_member_cb c = {cb, ud};
    return each(s, CS_CMEMBER_LIST, st, read_cmember, &r, call_campaign_member, &c, "listing campaign members");
}

/* --- triggers ----------------------------------------------------------------------------- */

static int sq_fire_insert(pt_store *s, const pt_trigger_fire_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, CS_FIRE_INSERT, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->member_id);
    bind_text(st, 2, r->rule);
    bind_text(st, 3, r->occurrence);
    sqlite3_bind_int64(st, 4, r->at);
    return run(s, CS_FIRE_INSERT, st, "recording a trigger occurrence");
}

static int sq_fire_count(pt_store *s, int64_t member_id, int64_t since, int64_t *n)
{
    sqlite3_stmt *st;
    int rc = prep(s, CS_FIRE_COUNT, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, since);
    return one(s, CS_FIRE_COUNT, st, read_i64, n, "counting trigger occurrences");
}

/* --- outbox ------------------------------------------------------------------------------- */

static int read_outbox(sqlite3_stmt *st, void *p)
{
    pt_outbox_rec *r = p;
    r->member_id = col_i64(st, 0);
    r->id = col_i64(st, 1);
    col_text(st, 2, r->event_id, sizeof r->event_id);
    col_text(st, 3, r->kind, sizeof r->kind);
    col_text(st, 4, r->payload, sizeof r->payload);
    r->created_at = col_i64(st, 5);
    r->state = col_int(st, 6);
    r->attempts = col_int(st, 7);
    r->next_at = col_i64(st, 8);
    r->delivered_at = col_i64(st, 9);
    col_text(st, 10, r->last_error, sizeof r->last_error);
    return PT_OK;
}

static int sq_outbox_insert(pt_store *s, pt_outbox_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, CS_OUTBOX_INSERT, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->member_id);
    bind_text(st, 3, r->event_id);
    bind_text(st, 4, r->kind);
    bind_text(st, 5, r->payload);
    sqlite3_bind_int64(st, 6, r->created_at);
    sqlite3_bind_int(st, 7, r->state);
    sqlite3_bind_int(st, 8, r->attempts);
    sqlite3_bind_int64(st, 9, r->next_at);
    sqlite3_bind_int64(st, 10, r->delivered_at);
    bind_text(st, 11, r->last_error);
    rc = run(s, CS_OUTBOX_INSERT, st, "inserting an outbox entry");
    if (rc == PT_OK)
        r->id = sqlite3_last_insert_rowid(SQ(s)->db);
    return rc;
}

static int sq_outbox_get(pt_store *s, int64_t id, pt_outbox_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, CS_OUTBOX_GET, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    return one(s, CS_OUTBOX_GET, st, read_outbox, r, "reading an outbox entry");
}

static int sq_outbox_due(pt_store *s, int64_t now, int limit, pt_outbox_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = prep(s, CS_OUTBOX_DUE, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, limit);
    pt_outbox_rec r;
    struct outbox_cb c = {cb, ud};
    return each(s, CS_OUTBOX_DUE, st, read_outbox, &r, call_outbox, &c, "reading due outbox entries");
}

static int sq_outbox_prune(pt_store *s, int state, int64_t before, int limit, int64_t *deleted)
{
    *deleted = 0;
    enum campaign_stmt id = state == PT_OUTBOX_DELIVERED ? CS_OUTBOX_PRUNE_DELIVERED : CS_OUTBOX_PRUNE_DEAD;
    sqlite3_stmt *st;
    int rc = prep(s, id, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, before);
    sqlite3_bind_int(st, 2, limit);
    rc = run(s, id, st, "pruning the outbox");
    if (rc == PT_OK)
        *deleted = sqlite3_changes(SQ(s)->db);
    return rc;
}

static int sq_outbox_update(pt_store *s, const pt_outbox_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, CS_OUTBOX_UPDATE, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->member_id);
    sqlite3_bind_int64(st, 2, r->id);
    sqlite3_bind_int(st, 3, r->state);
    sqlite3_bind_int(st, 4, r->attempts);
    sqlite3_bind_int64(st, 5, r->next_at);
    sqlite3_bind_int64(st, 6, r->delivered_at);
    bind_text(st, 7, r->last_error);
    rc = run(s, CS_OUTBOX_UPDATE, st, "updating an outbox entry");
    return pt__sq_changed_one(SQ(s), rc, "updating an outbox entry");
}

static int sq_outbox_list(pt_store *s, pt_outbox_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = prep(s, CS_OUTBOX_LIST, &st);
    if (rc)
        return rc;
    pt_outbox_rec r;
    struct outbox_cb c = {cb, ud};
    return each(s, CS_OUTBOX_LIST, st, read_outbox, &r, call_outbox, &c, "listing the outbox");
}

/* --- webhooks ----------------------------------------------------------------------------- */

static int read_webhook(sqlite3_stmt *st, void *p)
{
    pt_webhook_rec *r = p;
    r->id = col_i64(st, 0);
    col_text(st, 1, r->url, sizeof r->url);
    col_text(st, 2, r->secret, sizeof r->secret);
    r->active = col_int(st, 3);
    r->created_at = col_i64(st, 4);
    return PT_OK;
}

static int sq_webhook_insert(pt_store *s, pt_webhook_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, CS_WEBHOOK_INSERT, &st);
    if (rc)
        return rc;
    bind_text(st, 2, r->url);
    bind_text(st, 3, r->secret);
    sqlite3_bind_int(st, 4, r->active);
    sqlite3_bind_int64(st, 5, r->created_at);
    rc = run(s, CS_WEBHOOK_INSERT, st, "inserting a webhook");
    if (rc == PT_OK)
        r->id = sqlite3_last_insert_rowid(SQ(s)->db);
    return rc;
}

static int sq_webhook_list(pt_store *s, pt_webhook_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = prep(s, CS_WEBHOOK_LIST, &st);
    if (rc)
        return rc;
    pt_webhook_rec r;
    struct webhook_cb c = {cb, ud};
    return each(s, CS_WEBHOOK_LIST, st, read_webhook, &r, call_webhook, &c, "listing webhooks");
}

/* --- per-endpoint deliveries (migration 14) -------------------------------------------------- */

static int read_delivery(sqlite3_stmt *st, void *p)
{
    pt_outbox_delivery_rec *r = p;
    r->member_id = col_i64(st, 0);
    r->outbox_id = col_i64(st, 1);
    r->webhook_id = col_i64(st, 2);
    r->delivered_at = col_i64(st, 3);
    return PT_OK;
}

static int sq_delivery_insert(pt_store *s, const pt_outbox_delivery_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, CS_DELIVERY_INSERT, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->member_id);
    sqlite3_bind_int64(st, 2, r->outbox_id);
    sqlite3_bind_int64(st, 3, r->webhook_id);
    sqlite3_bind_int64(st, 4, r->delivered_at);
    return run(s, CS_DELIVERY_INSERT, st, "recording an outbox delivery");
}

static int sq_delivery_list(pt_store *s, int64_t member_id, int64_t outbox_id, pt_outbox_delivery_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = prep(s, CS_DELIVERY_LIST, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, outbox_id);
    pt_outbox_delivery_rec r;
    struct outbox_delivery_cb c = {cb, ud};
    return each(s, CS_DELIVERY_LIST, st, read_delivery, &r, call_outbox_delivery, &c, "listing outbox deliveries");
}

static int sq_delivery_clear(pt_store *s, int64_t member_id, int64_t outbox_id, int64_t *deleted)
{
    *deleted = 0;
    sqlite3_stmt *st;
    int rc = prep(s, CS_DELIVERY_CLEAR, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, outbox_id);
    rc = run(s, CS_DELIVERY_CLEAR, st, "clearing outbox deliveries");
    if (rc == PT_OK)
        *deleted = sqlite3_changes(SQ(s)->db);
    return rc;
}

const struct pt_store_campaign_ops pt__sq_campaign_ops = {
    .campaign_insert = sq_campaign_insert,
    .campaign_get = sq_campaign_get,
    .campaign_get_by_name = sq_campaign_get_by_name,
    .campaign_list = sq_campaign_list,
    .campaign_update = sq_campaign_update,
    .campaign_member_insert = sq_cmember_insert,
    .campaign_member_list = sq_cmember_list,
    .trigger_fire_insert = sq_fire_insert,
    .trigger_fire_count = sq_fire_count,
    .outbox_insert = sq_outbox_insert,
    .outbox_get = sq_outbox_get,
    .outbox_due = sq_outbox_due,
    .outbox_update = sq_outbox_update,
    .outbox_prune = sq_outbox_prune,
    .outbox_list = sq_outbox_list,
    .webhook_insert = sq_webhook_insert,
    .webhook_list = sq_webhook_list,
    .outbox_delivery_insert = sq_delivery_insert,
    .outbox_delivery_list = sq_delivery_list,
    .outbox_delivery_clear = sq_delivery_clear,
};

/* store_pg_campaign.c — campaigns, triggers, outbox and webhooks (store_campaign.h) on
 * PostgreSQL.
 *
 * Tables come from migrations 11 and 14 (outbox_deliveries) in store_pg.c; the conventions are store_pg.c's (statements
 * prepared at open, named pt_<PG_CAMPAIGN_FIRST + i>; inserts that may clash are guarded —
 * ON CONFLICT DO NOTHING RETURNING — so PT_EEXIST leaves the caller's transaction usable; this
 * matters here because a launch or a trigger run meets "already done" members routinely).
 * Layout for Citus (docs/scaling.md): campaigns and webhooks are reference tables;
 * campaign_members, trigger_fires, outbox and outbox_deliveries are member-scoped, their keys
 * led by member_id.
 * The outbox's due query reads each member's head entry; ids come from one sequence, so "older"
 * is "smaller id" on one node.
 */
#include "store_pg_int.h"
#include "patron/error.h"

#define CAMPAIGN_COLS                                                                          \
    "id, name, audience, channel, offer_kind, offer_points, offer_cents, offer_code, control_bp, seed," \
    " starts_at, ends_at, budget_points, status, created_at, launched_at, treated, control"
#define OUTBOX_COLS                                                                            \
    "member_id, id, event_id, kind, payload, created_at, state, attempts, next_at, delivered_at, last_error"
#define WEBHOOK_COLS "id, url, secret, active, created_at"

#define CAMPAIGN_STATEMENTS(X)                                                                 \
    X(CAMPAIGN_INSERT,                                                                         \
      GUARDED_INSERT("TRUE", "INSERT INTO campaigns (name, audience, channel, offer_kind, offer_points," \
                     " offer_cents, offer_code, control_bp, seed, starts_at, ends_at, budget_points, status," \
                     " created_at, launched_at, treated, control) SELECT $1::text, $2::text, $3::integer," \
                     " $4::integer, $5::bigint, $6::bigint, $7::text, $8::integer, $9::bigint, $10::bigint," \
                     " $11::bigint, $12::bigint, $13::integer, $14::bigint, $15::bigint, $16::bigint," \
                     " $17::bigint FROM fk WHERE fk.ok"))                                      \
    X(CAMPAIGN_GET, "SELECT " CAMPAIGN_COLS " FROM campaigns WHERE id = $1")                   \
    X(CAMPAIGN_GET_NAME, "SELECT " CAMPAIGN_COLS " FROM campaigns WHERE name = $1")            \
    X(CAMPAIGN_LIST, "SELECT " CAMPAIGN_COLS " FROM campaigns ORDER BY id")                    \
    X(CAMPAIGN_UPDATE, "UPDATE campaigns SET status = $2, launched_at = $3, treated = $4, control = $5" \
                       " WHERE id = $1")                                                       \
    X(CMEMBER_INSERT,                                                                          \
      GUARDED_INSERT_RET(MEMBER_EXISTS("$1") " AND EXISTS (SELECT 1 FROM campaigns WHERE id = $2::bigint)", \
                         "INSERT INTO campaign_members (member_id, campaign_id, arm, at) SELECT $1::bigint," \
                         " $2::bigint, $3::integer, $4::bigint FROM fk WHERE fk.ok", "1"))     \
    X(CMEMBER_LIST, "SELECT member_id, campaign_id, arm, at FROM campaign_members WHERE campaign_id = $1" \
                    " ORDER BY member_id")                                                     \
    X(FIRE_INSERT,                                                                             \
      GUARDED_INSERT_RET(MEMBER_EXISTS("$1"),                                                  \
                         "INSERT INTO trigger_fires (member_id, rule, occurrence, at) SELECT $1::bigint," \
                         " $2::text, $3::text, $4::bigint FROM fk WHERE fk.ok", "1"))          \
    X(FIRE_COUNT, "SELECT count(*) FROM trigger_fires WHERE member_id = $1 AND at >= $2")      \
    X(OUTBOX_INSERT, "INSERT INTO outbox (member_id, event_id, kind, payload, created_at, state, attempts," \
                     " next_at, delivered_at, last_error) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id") \
    X(OUTBOX_GET, "SELECT " OUTBOX_COLS " FROM outbox WHERE id = $1")                          \
    X(OUTBOX_DUE, "SELECT " OUTBOX_COLS " FROM outbox o WHERE o.state = 0 AND o.next_at <= $1" \
                  " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.state = 0 AND p.member_id = o.member_id" \
                  " AND p.id < o.id) ORDER BY o.id LIMIT $2")                                  \
    X(OUTBOX_UPDATE, "UPDATE outbox SET state = $3, attempts = $4, next_at = $5, delivered_at = $6," \
                     " last_error = $7 WHERE member_id = $1 AND id = $2")                      \
    X(OUTBOX_LIST, "SELECT " OUTBOX_COLS " FROM outbox ORDER BY id")                           \
    X(OUTBOX_PRUNE_DELIVERED, "DELETE FROM outbox WHERE (member_id, id) IN (SELECT member_id, id FROM outbox" \
                              " WHERE state = 1 AND delivered_at < $1 ORDER BY id LIMIT $2)")  \
    X(OUTBOX_PRUNE_DEAD, "DELETE FROM outbox WHERE (member_id, id) IN (SELECT member_id, id FROM outbox" \
                         " WHERE state = 2 AND next_at < $1 ORDER BY id LIMIT $2)")            \
    X(WEBHOOK_INSERT, "INSERT INTO webhooks (url, secret, active, created_at) VALUES ($1,$2,$3,$4) RETURNING id") \
    X(WEBHOOK_LIST, "SELECT " WEBHOOK_COLS " FROM webhooks ORDER BY id")                       \
    X(DELIVERY_INSERT, "INSERT INTO outbox_deliveries (member_id, outbox_id, webhook_id, delivered_at)" \
                       " VALUES ($1,$2,$3,$4) ON CONFLICT (member_id, outbox_id, webhook_id) DO NOTHING") \
    X(DELIVERY_LIST, "SELECT member_id, outbox_id, webhook_id, delivered_at FROM outbox_deliveries" \
                     " WHERE member_id = $1 AND outbox_id = $2 ORDER BY webhook_id")           \
    X(DELIVERY_CLEAR, "DELETE FROM outbox_deliveries WHERE member_id = $1 AND outbox_id = $2")

enum campaign_stmt {
#define CSTMT_ENUM(id, sql) CS_##id,
    CAMPAIGN_STATEMENTS(CSTMT_ENUM)
#undef CSTMT_ENUM
    CS__COUNT
};
_Static_assert(PG_CAMPAIGN_FIRST + CS__COUNT <= PG_CAMPAIGN_FIRST + 100, "statement id range too small");

const char *const pt__pg_campaign_sql[CS__COUNT] = {
#define CSTMT_SQL(id, sql) [CS_##id] = sql,
    CAMPAIGN_STATEMENTS(CSTMT_SQL)
#undef CSTMT_SQL
};
const int pt__pg_campaign_nsql = CS__COUNT;

#define STMT(id) (PG_CAMPAIGN_FIRST + (int)(id))

static int run_cmd(pt_store *s, enum campaign_stmt id, const struct params *p, const char *doing, int64_t *changed)
{
    return pt__pg_run_cmd(PG(s), STMT(id), p, doing, changed);
}

static int one(pt_store *s, enum campaign_stmt id, const struct params *p, row_reader read, void *rec,
               const char *doing)
{
    return pt__pg_query_one(PG(s), STMT(id), p, read, rec, doing);
}

static int each(pt_store *s, enum campaign_stmt id, const struct params *p, row_reader read, void *rec,
                int (*cb)(void *, const void *), void *ud, const char *doing)
{
    return pt__pg_query_each(PG(s), STMT(id), p, read, rec, cb, ud, doing);
}

static int insert(pt_store *s, enum campaign_stmt id, const struct params *p, const char *doing, const char *unique,
                  int64_t *new_id)
{
    return pt__pg_guarded_insert(PG(s), STMT(id), p, doing, unique, new_id);
}

static int read_i64(const PGresult *res, int row, void *p)
{
    *(int64_t *)p = g_i64(res, row, 0);
    return PT_OK;
}

static int changed_one(pt_store *s, int rc, int64_t n, const char *what)
{
    if (rc == PT_OK && n == 0)
        return pt__store_error(s, PT_ENOTFOUND, "%s: no such row", what);
    return rc;
}

/* --- campaigns ---------------------------------------------------------------------------- */

static int read_campaign(const PGresult *res, int row, void *p)
{
    pt_campaign_rec *r = p;
    r->id = g_i64(res, row, 0);
    g_text(res, row, 1, r->name, sizeof r->name);
    g_text(res, row, 2, r->audience, sizeof r->audience);
    r->channel = g_int(res, row, 3);
    r->offer_kind = g_int(res, row, 4);
    r->offer_points = g_i64(res, row, 5);
    r->offer_cents = g_i64(res, row, 6);
    g_text(res, row, 7, r->offer_code, sizeof r->offer_code);
    r->control_bp = g_int(res, row, 8);
    r->seed = g_i64(res, row, 9);
    r->starts_at = g_i64(res, row, 10);
    r->ends_at = g_i64(res, row, 11);
    r->budget_points = g_i64(res, row, 12);
    r->status = g_int(res, row, 13);
    r->created_at = g_i64(res, row, 14);
    r->launched_at = g_i64(res, row, 15);
    r->treated = g_i64(res, row, 16);
    r->control = g_i64(res, row, 17);
    return PT_OK;
}

static int pg_campaign_insert(pt_store *s, pt_campaign_rec *r)
{
    struct params p = {0};
    p_text(&p, r->name);
    p_text(&p, r->audience);
    p_i64(&p, r->channel);
    p_i64(&p, r->offer_kind);
    p_i64(&p, r->offer_points);
    p_i64(&p, r->offer_cents);
    p_text(&p, r->offer_code);
    p_i64(&p, r->control_bp);
    p_i64(&p, r->seed);
    p_i64(&p, r->starts_at);
    p_i64(&p, r->ends_at);
    p_i64(&p, r->budget_points);
    p_i64(&p, r->status);
    p_i64(&p, r->created_at);
    p_i64(&p, r->launched_at);
    p_i64(&p, r->treated);
    p_i64(&p, r->control);
    return insert(s, CS_CAMPAIGN_INSERT, &p, "inserting campaign", "campaigns.name", &r->id);
}

static int pg_campaign_get(pt_store *s, int64_t id, pt_campaign_rec *r)
{
    struct params p = {0};
    p_i64(&p, id);
    return one(s, CS_CAMPAIGN_GET, &p, read_campaign, r, "reading campaign");
}

static int pg_campaign_get_by_name(pt_store *s, const char *name, pt_campaign_rec *r)
{
    struct params p = {0};
    p_text(&p, name);
    return one(s, CS_CAMPAIGN_GET_NAME, &p, read_campaign, r, "reading campaign by name");
}

static int pg_campaign_list(pt_store *s, pt_campaign_cb cb, void *ud)
{
    struct params p = {0};
    pt_campaign_rec r;
    struct campaign_cb c = {cb, ud};
    return each(s, CS_CAMPAIGN_LIST, &p, read_campaign, &r, call_campaign, &c, "listing campaigns");
}

static int pg_campaign_update(pt_store *s, const pt_campaign_rec *r)
{
    struct params p = {0};
    int64_t n = 0;
    p_i64(&p, r->id);
    p_i64(&p, r->status);
    p_i64(&p, r->launched_at);
    p_i64(&p, r->treated);
    p_i64(&p, r->control);
    int rc = run_cmd(s, CS_CAMPAIGN_UPDATE, &p, "updating campaign", &n);
    return changed_one(s, rc, n, "updating campaign");
}

static int read_cmember(const PGresult *res, int row, void *p)
{
    pt_campaign_member_rec *r = p;
    r->member_id = g_i64(res, row, 0);
    r->campaign_id = g_i64(res, row, 1);
    r->arm = g_int(res, row, 2);
    r->at = g_i64(res, row, 3);
    return PT_OK;
}

static int pg_cmember_insert(pt_store *s, const pt_campaign_member_rec *r)
{
    struct params p = {0};
    p_i64(&p, r->member_id);
    p_i64(&p, r->campaign_id);
    p_i64(&p, r->arm);
    p_i64(&p, r->at);
    return insert(s, CS_CMEMBER_INSERT, &p, "assigning a campaign member", "campaign_members key", NULL);
}

static int pg_cmember_list(pt_store *s, int64_t campaign_id, pt_campaign_member_cb cb, void *ud)
{
    struct params p = {0};
    p_i64(&p, campaign_id);
    pt_campaign_member_rec r;
    struct campaign_member_cb c = {cb, ud};
    return each(s, CS_CMEMBER_LIST, &p, read_cmember, &r, call_campaign_member, &c, "listing campaign members");
}

/* --- triggers ----------------------------------------------------------------------------- */

static int pg_fire_insert(pt_store *s, const pt_trigger_fire_rec *r)
{
    struct params p = {0};
    p_i64(&p, r->member_id);
    p_text(&p, r->rule);
    p_text(&p, r->occurrence);
    p_i64(&p, r->at);
    return insert(s, CS_FIRE_INSERT, &p, "recording a trigger occurrence", "trigger_fires key", NULL);
}

static int pg_fire_count(pt_store *s, int64_t member_id, int64_t since, int64_t *n)
{
    struct params p = {0};
    p_i64(&p, member_id);
    p_i64(&p, since);
    return one(s, CS_FIRE_COUNT, &p, read_i64, n, "counting trigger occurrences");
}

/* --- outbox ------------------------------------------------------------------------------- */

static int read_outbox(const PGresult *res, int row, void *p)
{
    pt_outbox_rec *r = p;
    r->member_id = g_i64(res, row, 0);
    r->id = g_i64(res, row, 1);
    g_text(res, row, 2, r->event_id, sizeof r->event_id);
    g_text(res, row, 3, r->kind, sizeof r->kind);
    g_text(res, row, 4, r->payload, sizeof r->payload);
    r->created_at = g_i64(res, row, 5);
    r->state = g_int(res, row, 6);
    r->attempts = g_int(res, row, 7);
    r->next_at = g_i64(res, row, 8);
    r->delivered_at = g_i64(res, row, 9);
    g_text(res, row, 10, r->last_error, sizeof r->last_error);
    return PT_OK;
}

static int pg_outbox_insert(pt_store *s, pt_outbox_rec *r)
{
    struct params p = {0};
    p_i64(&p, r->member_id);
    p_text(&p, r->event_id);
    p_text(&p, r->kind);
    p_text(&p, r->payload);
    p_i64(&p, r->created_at);
    p_i64(&p, r->state);
    p_i64(&p, r->attempts);
    p_i64(&p, r->next_at);
    p_i64(&p, r->delivered_at);
    p_text(&p, r->last_error);
    return one(s, CS_OUTBOX_INSERT, &p, read_i64, &r->id, "inserting an outbox entry");
}

static int pg_outbox_get(pt_store *s, int64_t id, pt_outbox_rec *r)
{
    struct params p = {0};
    p_i64(&p, id);
    return one(s, CS_OUTBOX_GET, &p, read_outbox, r, "reading an outbox entry");
}

static int pg_outbox_due(pt_store *s, int64_t now, int limit, pt_outbox_cb cb, void *ud)
{
    struct params p = {0};
    p_i64(&p, now);
    p_i64(&p, limit);
    pt_outbox_rec r;
    struct outbox_cb c = {cb, ud};
    return each(s, CS_OUTBOX_DUE, &p, read_outbox, &r, call_outbox, &c, "reading due outbox entries");
}

static int pg_outbox_prune(pt_store *s, int state, int64_t before, int limit, int64_t *deleted)
{
    struct params p = {0};
    *deleted = 0;
    p_i64(&p, before);
    p_i64(&p, limit);
    return run_cmd(s, state == PT_OUTBOX_DELIVERED ? CS_OUTBOX_PRUNE_DELIVERED : CS_OUTBOX_PRUNE_DEAD, &p,
                   "pruning the outbox", deleted);
}

static int pg_outbox_update(pt_store *s, const pt_outbox_rec *r)
{
    struct params p = {0};
    int64_t n = 0;
    p_i64(&p, r->member_id);
    p_i64(&p, r->id);
    p_i64(&p, r->state);
    p_i64(&p, r->attempts);
    p_i64(&p, r->next_at);
    p_i64(&p, r->delivered_at);
    p_text(&p, r->last_error);
    int rc = run_cmd(s, CS_OUTBOX_UPDATE, &p, "updating an outbox entry", &n);
    return changed_one(s, rc, n, "updating an outbox entry");
}

static int pg_outbox_list(pt_store *s, pt_outbox_cb cb, void *ud)
{
    pt_outbox_rec r;
    struct outbox_cb c = {cb, ud};
    return pt__pg_scan_each(PG(s), "SELECT " OUTBOX_COLS " FROM outbox ORDER BY id", NULL, FETCH_ROWS_MEMBER,
                            read_outbox, &r, call_outbox, &c, "listing the outbox");
}

/* --- webhooks ----------------------------------------------------------------------------- */

static int read_webhook(const PGresult *res, int row, void *p)
{
    pt_webhook_rec *r = p;
    r->id = g_i64(res, row, 0);
    g_text(res, row, 1, r->url, sizeof r->url);
    g_text(res, row, 2, r->secret, sizeof r->secret);
    r->active = g_int(res, row, 3);
    r->created_at = g_i64(res, row, 4);
    return PT_OK;
}

static int pg_webhook_insert(pt_store *s, pt_webhook_rec *r)
{
    struct params p = {0};
    p_text(&p, r->url);
    p_text(&p, r->secret);
    p_i64(&p, r->active);
    p_i64(&p, r->created_at);
    return one(s, CS_WEBHOOK_INSERT, &p, read_i64, &r->id, "inserting a webhook");
}

static int pg_webhook_list(pt_store *s, pt_webhook_cb cb, void *ud)
{
    struct params p = {0};
    pt_webhook_rec r;
    struct webhook_cb c = {cb, ud};
    return each(s, CS_WEBHOOK_LIST, &p, read_webhook, &r, call_webhook, &c, "listing webhooks");
}

/* --- per-endpoint deliveries (migration 14) -------------------------------------------------- */

static int read_delivery(const PGresult *res, int row, void *p)
{
    pt_outbox_delivery_rec *r = p;
    r->member_id = g_i64(res, row, 0);
    r->outbox_id = g_i64(res, row, 1);
    r->webhook_id = g_i64(res, row, 2);
    r->delivered_at = g_i64(res, row, 3);
    return PT_OK;
}

static int pg_delivery_insert(pt_store *s, const pt_outbox_delivery_rec *r)
{
    struct params p = {0};
    int64_t n = 0;
    p_i64(&p, r->member_id);
    p_i64(&p, r->outbox_id);
    p_i64(&p, r->webhook_id);
    p_i64(&p, r->delivered_at);
    return run_cmd(s, CS_DELIVERY_INSERT, &p, "recording an outbox delivery", &n);
}

static int pg_delivery_list(pt_store *s, int64_t member_id, int64_t outbox_id, pt_outbox_delivery_cb cb, void *ud)
{
    struct params p = {0};
    p_i64(&p, member_id);
    p_i64(&p, outbox_id);
    pt_outbox_delivery_rec r;
    struct outbox_delivery_cb c = {cb, ud};
    return each(s, CS_DELIVERY_LIST, &p, read_delivery, &r, call_outbox_delivery, &c, "listing outbox deliveries");
}

static int pg_delivery_clear(pt_store *s, int64_t member_id, int64_t outbox_id, int64_t *deleted)
{
    struct params p = {0};
    *deleted = 0;
    p_i64(&p, member_id);
    p_i64(&p, outbox_id);
    return run_cmd(s, CS_DELIVERY_CLEAR, &p, "clearing outbox deliveries", deleted);
}

const struct pt_store_campaign_ops pt__pg_campaign_ops = {
    .campaign_insert = pg_campaign_insert,
    .campaign_get = pg_campaign_get,
    .campaign_get_by_name = pg_campaign_get_by_name,
    .campaign_list = pg_campaign_list,
    .campaign_update = pg_campaign_update,
    .campaign_member_insert = pg_cmember_insert,
    .campaign_member_list = pg_cmember_list,
    .trigger_fire_insert = pg_fire_insert,
    .trigger_fire_count = pg_fire_count,
    .outbox_insert = pg_outbox_insert,
    .outbox_get = pg_outbox_get,
    .outbox_due = pg_outbox_due,
    .outbox_update = pg_outbox_update,
    .outbox_prune = pg_outbox_prune,
    .outbox_list = pg_outbox_list,
    .webhook_insert = pg_webhook_insert,
    .webhook_list = pg_webhook_list,
    .outbox_delivery_insert = pg_delivery_insert,
    .outbox_delivery_list = pg_delivery_list,
    .outbox_delivery_clear = pg_delivery_clear,
};

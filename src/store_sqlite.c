/* store_sqlite.c — the embedded SQLite backend of the store.
 *
 * The database runs in WAL mode with synchronous=FULL (a commit that returned is on disk),
 * foreign keys enforced, secure_delete on (erased personal data does not linger in free
 * pages), and a busy timeout. Statements are prepared once and cached by id; a cached
 * statement that is still stepping (a callback re-entered the store) is replaced by a
 * one-off one. The schema is a list of migrations; PRAGMA user_version counts those applied.
 * This file is the only one that writes SQL for SQLite.
 */
#include "store_sqlite_int.h"
#include "patron/error.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* --- schema ------------------------------------------------------------------------------- */

static const char *const migrations[] = {
    /* 1: foundation — members, identities, commerce, merges, imports */
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE members ("
    " id INTEGER PRIMARY KEY, member_no TEXT UNIQUE, status INTEGER NOT NULL,"
    " registered_at INTEGER NOT NULL, reg_channel TEXT NOT NULL, gender TEXT, region TEXT NOT NULL,"
    " consent INTEGER NOT NULL, consent_sms_at INTEGER NOT NULL, consent_email_at INTEGER NOT NULL,"
    " consent_analytics_at INTEGER NOT NULL, merged_into INTEGER REFERENCES members(id),"
    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, key_wrapped BLOB, pii BLOB,"
    " provenance TEXT NOT NULL);"
    "CREATE TABLE identities ("
    " id INTEGER PRIMARY KEY, member_id INTEGER NOT NULL REFERENCES members(id), kind INTEGER NOT NULL,"
    " blind BLOB NOT NULL, value BLOB, source TEXT NOT NULL, added_at INTEGER NOT NULL,"
    " UNIQUE (kind, blind));"
    "CREATE INDEX identities_member ON identities(member_id);"
    "CREATE TABLE import_runs ("
    " id INTEGER PRIMARY KEY, kind TEXT NOT NULL, source TEXT NOT NULL, file TEXT NOT NULL,"
    " started_at INTEGER NOT NULL, finished_at INTEGER NOT NULL, rows_read INTEGER NOT NULL,"
    " rows_accepted INTEGER NOT NULL, rows_rejected INTEGER NOT NULL, duplicates INTEGER NOT NULL,"
    " members_created INTEGER NOT NULL, members_attached INTEGER NOT NULL,"
    " members_merged INTEGER NOT NULL, conflicts INTEGER NOT NULL, filled INTEGER NOT NULL,"
    " missing TEXT NOT NULL);"
    "CREATE TABLE orders ("
    " id INTEGER PRIMARY KEY, member_id INTEGER NOT NULL REFERENCES members(id),"
    " order_no TEXT NOT NULL UNIQUE, source TEXT NOT NULL, channel TEXT NOT NULL, store TEXT NOT NULL,"
    " ordered_at INTEGER NOT NULL, amount_cents INTEGER NOT NULL, status INTEGER NOT NULL,"
    " import_run INTEGER NOT NULL);"
    "CREATE INDEX orders_member ON orders(member_id, ordered_at);"
    "CREATE TABLE items ("
    " order_id INTEGER NOT NULL REFERENCES orders(id), member_id INTEGER NOT NULL, line_no INTEGER NOT NULL,"
    " sku TEXT NOT NULL, category TEXT NOT NULL, qty INTEGER NOT NULL, unit_cents INTEGER NOT NULL,"
    " amount_cents INTEGER NOT NULL, PRIMARY KEY (order_id, line_no)) WITHOUT ROWID;"
    "CREATE TABLE events ("
    " id INTEGER PRIMARY KEY, member_id INTEGER NOT NULL REFERENCES members(id), kind TEXT NOT NULL,"
    " at INTEGER NOT NULL, source TEXT NOT NULL, value INTEGER NOT NULL,"
    " UNIQUE (member_id, kind, at, source));"
    "CREATE TABLE surveys ("
    " id INTEGER PRIMARY KEY, member_id INTEGER NOT NULL REFERENCES members(id), survey TEXT NOT NULL,"
    " at INTEGER NOT NULL, score INTEGER NOT NULL, source TEXT NOT NULL,"
    " UNIQUE (member_id, survey, at));"
    "CREATE TABLE merges ("
    " id INTEGER PRIMARY KEY, survivor_id INTEGER NOT NULL REFERENCES members(id),"
    " loser_id INTEGER NOT NULL REFERENCES members(id), merged_at INTEGER NOT NULL,"
    " undone_at INTEGER NOT NULL, reason TEXT NOT NULL, fields_taken INTEGER NOT NULL,"
    " survivor_before BLOB);"
    "CREATE INDEX merges_survivor ON merges(survivor_id);"
    "CREATE INDEX merges_loser ON merges(loser_id);"
    "CREATE TABLE merge_moved ("
    " merge_id INTEGER NOT NULL REFERENCES merges(id), kind INTEGER NOT NULL, row_id INTEGER NOT NULL,"
    " PRIMARY KEY (merge_id, kind, row_id)) WITHOUT ROWID;"
    "CREATE TABLE conflicts ("
    " id INTEGER PRIMARY KEY, import_run INTEGER NOT NULL, member_id INTEGER NOT NULL,"
    " field INTEGER NOT NULL, rule TEXT NOT NULL, kept_source TEXT NOT NULL,"
    " other_source TEXT NOT NULL);",
    /* 2: the loyalty programme — accounts, ledger, lots, tiers, programme versions, audit.
     * Member-scoped tables lead their keys with member_id, as on PostgreSQL. */
    "CREATE TABLE accounts ("
    " member_id INTEGER PRIMARY KEY REFERENCES members(id), balance INTEGER NOT NULL,"
    " pending INTEGER NOT NULL, overdraft INTEGER NOT NULL, debt INTEGER NOT NULL,"
    " growth INTEGER NOT NULL, tier TEXT NOT NULL, tier_since INTEGER NOT NULL,"
    " review_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE INDEX accounts_review ON accounts(review_at) WHERE review_at > 0;"
    "CREATE TABLE ledger_entries ("
    " id INTEGER PRIMARY KEY, member_id INTEGER NOT NULL REFERENCES members(id),"
    " kind INTEGER NOT NULL, bucket INTEGER NOT NULL, points INTEGER NOT NULL,"
    " growth INTEGER NOT NULL, at INTEGER NOT NULL, order_id INTEGER NOT NULL,"
    " lot_id INTEGER NOT NULL, ref TEXT NOT NULL, note TEXT NOT NULL, actor TEXT NOT NULL,"
    " idem_key TEXT NOT NULL, created_at INTEGER NOT NULL);"
    "CREATE INDEX ledger_entries_member ON ledger_entries(member_id, id);"
    "CREATE TABLE lots ("
    " id INTEGER PRIMARY KEY, member_id INTEGER NOT NULL REFERENCES members(id),"
    " entry_id INTEGER NOT NULL, order_id INTEGER NOT NULL, earned_at INTEGER NOT NULL,"
    " available_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, points INTEGER NOT NULL,"
    " remaining INTEGER NOT NULL, state INTEGER NOT NULL);"
    "CREATE INDEX lots_member ON lots(member_id, id);"
    "CREATE INDEX lots_release ON lots(available_at, member_id) WHERE state = 1;"
    "CREATE INDEX lots_expire ON lots(expires_at, member_id)"
    " WHERE state = 2 AND remaining > 0 AND expires_at > 0;"
    "CREATE TABLE lot_uses ("
    " member_id INTEGER NOT NULL REFERENCES members(id), entry_id INTEGER NOT NULL,"
    " lot_id INTEGER NOT NULL, points INTEGER NOT NULL, PRIMARY KEY (member_id, entry_id, lot_id)) WITHOUT ROWID;"
    "CREATE INDEX lot_uses_lot ON lot_uses(member_id, lot_id);"
    "CREATE TABLE line_earns ("
    " member_id INTEGER NOT NULL REFERENCES members(id), order_id INTEGER NOT NULL,"
    " line_no INTEGER NOT NULL, lot_id INTEGER NOT NULL, points INTEGER NOT NULL, growth INTEGER NOT NULL, rule TEXT NOT NULL,"
    " reversed_points INTEGER NOT NULL, reversed_growth INTEGER NOT NULL,"
    " PRIMARY KEY (member_id, order_id, line_no)) WITHOUT ROWID;"
    "CREATE TABLE idempotency_keys ("
    " member_id INTEGER NOT NULL REFERENCES members(id), key TEXT NOT NULL, op TEXT NOT NULL,"
    " request_hash BLOB NOT NULL,"
    " result TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (member_id, key)) WITHOUT ROWID;"
    "CREATE TABLE tier_changes ("
    " id INTEGER PRIMARY KEY, member_id INTEGER NOT NULL REFERENCES members(id), at INTEGER NOT NULL,"
    " from_tier TEXT NOT NULL, to_tier TEXT NOT NULL, reason TEXT NOT NULL, actor TEXT NOT NULL);"
    "CREATE INDEX tier_changes_member ON tier_changes(member_id, id);"
    "CREATE TABLE programmes ("
    " version TEXT PRIMARY KEY, canonical TEXT NOT NULL, loaded_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE audit_log ("
    " member_id INTEGER NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL, actor TEXT NOT NULL,"
    " action TEXT NOT NULL, detail TEXT NOT NULL, prev BLOB NOT NULL, hash BLOB NOT NULL,"
    " PRIMARY KEY (member_id, seq)) WITHOUT ROWID;"
    "CREATE TABLE audit_heads ("
    " member_id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, hash BLOB NOT NULL);",
    /* 3: rewards, coupons, referrals (store_reward.h; store_sqlite_reward.c). reward_stock is
     * one row per reward; coupon_codes and invite_codes are the look-ups by code. */
    "CREATE TABLE reward_stock ("
    " code TEXT PRIMARY KEY, stock INTEGER NOT NULL CHECK (stock >= -1), issued INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE reward_redemptions ("
    " id INTEGER PRIMARY KEY, member_id INTEGER NOT NULL REFERENCES members(id), reward TEXT NOT NULL,"
    " entry_id INTEGER NOT NULL, points INTEGER NOT NULL, coupon_code TEXT NOT NULL, at INTEGER NOT NULL,"
    " idem_key TEXT NOT NULL);"
    "CREATE INDEX reward_redemptions_member ON reward_redemptions(member_id, reward);"
    "CREATE TABLE coupon_codes ("
    " code TEXT PRIMARY KEY, member_id INTEGER NOT NULL REFERENCES members(id)) WITHOUT ROWID;"
    "CREATE TABLE coupons ("
    " member_id INTEGER NOT NULL REFERENCES members(id), code TEXT NOT NULL, kind INTEGER NOT NULL,"
    " value_cents INTEGER NOT NULL, min_spend_cents INTEGER NOT NULL, issued_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL, used_at INTEGER NOT NULL, used_ref TEXT NOT NULL, source TEXT NOT NULL,"
    " PRIMARY KEY (member_id, code)) WITHOUT ROWID;"
    "CREATE TABLE invite_codes ("
    " code TEXT PRIMARY KEY, member_id INTEGER NOT NULL UNIQUE REFERENCES members(id),"
    " created_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE referrals ("
    " member_id INTEGER PRIMARY KEY REFERENCES members(id), referrer_id INTEGER NOT NULL REFERENCES members(id),"
    " code TEXT NOT NULL, state INTEGER NOT NULL, reason TEXT NOT NULL, created_at INTEGER NOT NULL,"
    " rewarded_at INTEGER NOT NULL);"
    "CREATE INDEX referrals_referrer ON referrals(referrer_id);",
    /* 4: what each earn rule gave, for caps per day and member and for campaign budgets */
    "CREATE TABLE rule_credits ("
    " member_id INTEGER NOT NULL REFERENCES members(id), rule TEXT NOT NULL, day INTEGER NOT NULL,"
    " points INTEGER NOT NULL, PRIMARY KEY (member_id, rule, day)) WITHOUT ROWID;"
    "CREATE TABLE rule_budgets (rule TEXT PRIMARY KEY, given INTEGER NOT NULL) WITHOUT ROWID;",
    /* 5: PostgreSQL's distributable keys and look-up tables (store_pg.c, docs/scaling.md).
     * SQLite never distributes, so nothing changes here; the entry keeps both backends at the
     * same version, which `store copy` requires. */
    "",

    /* 6-8: reserved by 0e9babf and landed as no-ops, so stores made by that build are at
     * version 8 without these tables; the tables are migrations 9-11 below, which every store
     * runs whatever version it is at. Never give these three entries work to do. */
    "SELECT 1",
    "SELECT 1",
    "SELECT 1",

    /* 9-11 create with IF NOT EXISTS: a store at version 8 made by 4a04d6a already has 11's
     * campaign tables (its migration 8 made them, with the same columns), one made by 0e9babf
     * has none of them. */
    /* 9: API keys of the HTTP server (store_apikey.h; store_sqlite_keys.c). Only the key's
     * hash is kept. The request log is a file (DIR/logs/requests.log, server/reqlog.c), not a
     * table: a row per request would cost a write per read request. */
    "CREATE TABLE IF NOT EXISTS api_keys ("
    " id INTEGER PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, prefix TEXT NOT NULL,"
    " hash BLOB NOT NULL UNIQUE, created_at INTEGER NOT NULL, revoked_at INTEGER NOT NULL DEFAULT 0);",

    /* 10: member scores with model version (churn; store_score.h, store_sqlite_score.c). One row
     * per (member, model): the latest score, the model version and the features' as-of time. */
    "CREATE TABLE IF NOT EXISTS member_scores ("
    " member_id INTEGER NOT NULL REFERENCES members(id), model TEXT NOT NULL, version TEXT NOT NULL,"
    " as_of INTEGER NOT NULL, score_ppm INTEGER NOT NULL CHECK (score_ppm BETWEEN 0 AND 1000000),"
    " reasons TEXT NOT NULL, scored_at INTEGER NOT NULL, PRIMARY KEY (member_id, model)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS member_scores_model ON member_scores(model, score_ppm DESC, member_id);",

    /* 11: campaigns, triggers, outbox, webhooks (store_campaign.h; store_sqlite_campaign.c).
     * campaign_members and trigger_fires are keyed so that an arm and an occurrence are
     * written at most once; outbox_pending serves the head-per-member due query. */
    "CREATE TABLE IF NOT EXISTS campaigns ("
    " id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, audience TEXT NOT NULL, channel INTEGER NOT NULL,"
    " offer_kind INTEGER NOT NULL, offer_points INTEGER NOT NULL, offer_cents INTEGER NOT NULL,"
    " offer_code TEXT NOT NULL, control_bp INTEGER NOT NULL, seed INTEGER NOT NULL, starts_at INTEGER NOT NULL,"
    " ends_at INTEGER NOT NULL, budget_points INTEGER NOT NULL, status INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL, launched_at INTEGER NOT NULL, treated INTEGER NOT NULL,"
    " control INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS campaign_members ("
    " member_id INTEGER NOT NULL REFERENCES members(id), campaign_id INTEGER NOT NULL REFERENCES campaigns(id),"
    " arm INTEGER NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (member_id, campaign_id)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS campaign_members_campaign ON campaign_members(campaign_id, member_id);"
    "CREATE TABLE IF NOT EXISTS trigger_fires ("
    " member_id INTEGER NOT NULL REFERENCES members(id), rule TEXT NOT NULL, occurrence TEXT NOT NULL,"
    " at INTEGER NOT NULL, PRIMARY KEY (member_id, rule, occurrence)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS trigger_fires_at ON trigger_fires(member_id, at);"
    "CREATE TABLE IF NOT EXISTS outbox ("
    " id INTEGER PRIMARY KEY, member_id INTEGER NOT NULL, event_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,"
    " payload TEXT NOT NULL, created_at INTEGER NOT NULL, state INTEGER NOT NULL, attempts INTEGER NOT NULL,"
    " next_at INTEGER NOT NULL, delivered_at INTEGER NOT NULL, last_error TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(state, member_id, id);"
    "CREATE TABLE IF NOT EXISTS webhooks ("
    " id INTEGER PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL, active INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL);",

    /* 12: the activity summary (store_stats.h) reads a period's ledger entries, tier changes and
     * redemptions by business time, and the outbox's retention (outbox.h) its delivered rows by
     * delivery time: indexes on those, so neither scans the whole table. IF NOT EXISTS: a
     * store put back to version 8 runs every migration after it again. */
    "CREATE INDEX IF NOT EXISTS ledger_entries_at ON ledger_entries(at);"
    "CREATE INDEX IF NOT EXISTS tier_changes_at ON tier_changes(at);"
    "CREATE INDEX IF NOT EXISTS reward_redemptions_at ON reward_redemptions(at);"
    "CREATE INDEX IF NOT EXISTS outbox_delivered ON outbox(state, delivered_at);",

    /* 13: every write first looks for its member's due lots (LOT_LIST_DUE, one branch per
     * state): per-member partial indexes holding only the pending lots and the available lots
     * that can expire, so the look-up reads the due rows alone instead of every lot of the
     * member through lots_member. (lots_release and lots_expire, by time first, stay for the
     * sweep over all members.) No (member_id, at) index for the tier check's growth sum here,
     * unlike PostgreSQL's ledger_entries_at: measured on POST /v1/orders with ~150-300 entries
     * a member, the extra b-tree written with every entry cost more than the sum it saved
     * (bench/README.md, HTTP server). */
    "CREATE INDEX IF NOT EXISTS lots_member_release ON lots(member_id, available_at) WHERE state = 1;"
    "CREATE INDEX IF NOT EXISTS lots_member_expire ON lots(member_id, expires_at)"
    " WHERE state = 2 AND remaining > 0 AND expires_at > 0;",

    /* 14: per-endpoint delivery of the outbox (outbox.h): which webhook accepted which entry,
     * so a retry posts only to the endpoints still missing. Deleted with its entry (retention)
     * by the cascade. IF NOT EXISTS: a store put back to version 8 runs this again. */
    "CREATE TABLE IF NOT EXISTS outbox_deliveries ("
    " member_id INTEGER NOT NULL, outbox_id INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,"
    " webhook_id INTEGER NOT NULL REFERENCES webhooks(id), delivered_at INTEGER NOT NULL,"
    " PRIMARY KEY (outbox_id, webhook_id)) WITHOUT ROWID;",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof *migrations))

/* --- statements --------------------------------------------------------------------------- */

#define MEMBER_COLS                                                                            \
    "id, member_no, status, registered_at, reg_channel, gender, region, consent, consent_sms_at," \
    " consent_email_at, consent_analytics_at, merged_into, created_at, updated_at, key_wrapped,"  \
    " pii, provenance"
#define ORDER_COLS "id, member_id, order_no, source, channel, store, ordered_at, amount_cents, status, import_run"
#define MERGE_COLS "id, survivor_id, loser_id, merged_at, undone_at, reason, fields_taken, survivor_before"
#define RUN_COLS                                                                               \
    "id, kind, source, file, started_at, finished_at, rows_read, rows_accepted, rows_rejected," \
    " duplicates, members_created, members_attached, members_merged, conflicts, filled, missing"

#define STATEMENTS(X)                                                                          \
    X(META_GET, "SELECT value FROM meta WHERE key = ?1")                                       \
    X(META_SET, "INSERT INTO meta(key, value) VALUES (?1, ?2)"                                 \
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value")                      \
    X(MEMBER_INSERT, "INSERT INTO members(" MEMBER_COLS ") VALUES "                            \
                     "(NULL,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)")       \
    X(MEMBER_UPDATE, "UPDATE members SET member_no=?2, status=?3, registered_at=?4,"           \
                     " reg_channel=?5, gender=?6, region=?7, consent=?8, consent_sms_at=?9,"    \
                     " consent_email_at=?10, consent_analytics_at=?11, merged_into=?12,"       \
                     " created_at=?13, updated_at=?14, key_wrapped=?15, pii=?16,"              \
                     " provenance=?17 WHERE id=?1")                                            \
    X(MEMBER_GET, "SELECT " MEMBER_COLS " FROM members WHERE id = ?1")                         \
    X(MEMBER_GET_BY_NO, "SELECT " MEMBER_COLS " FROM members WHERE member_no = ?1")            \
    X(MEMBER_SCAN, "SELECT " MEMBER_COLS " FROM members ORDER BY id")                          \
    X(IDENTITY_INSERT, "INSERT INTO identities(member_id, kind, blind, value, source, added_at)" \
                       " VALUES (?1,?2,?3,?4,?5,?6)")                                          \
    X(IDENTITY_UPDATE, "UPDATE identities SET member_id=?2, value=?3, source=?4 WHERE id=?1")  \
    X(IDENTITY_FIND, "SELECT id, member_id, kind, blind, value, source, added_at"              \
                     " FROM identities WHERE kind = ?1 AND blind = ?2")                        \
    X(IDENTITY_LIST, "SELECT id, member_id, kind, blind, value, source, added_at"              \
                     " FROM identities WHERE member_id = ?1 ORDER BY id")                      \
    X(IDENTITY_DELETE_MEMBER, "DELETE FROM identities WHERE member_id = ?1")                  \
    X(IDENTITY_SCAN, "SELECT id, member_id, kind, blind, NULL, '', 0 FROM identities")        \
    X(ORDER_INSERT, "INSERT INTO orders(member_id, order_no, source, channel, store,"          \
                    " ordered_at, amount_cents, status, import_run) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)") \
    X(ORDER_FIND_BY_NO, "SELECT " ORDER_COLS " FROM orders WHERE order_no = ?1")               \
    X(ORDER_LIST, "SELECT " ORDER_COLS " FROM orders WHERE member_id = ?1 ORDER BY ordered_at, id") \
    X(ORDER_SCAN, "SELECT " ORDER_COLS " FROM orders ORDER BY member_id, ordered_at, id")      \
    X(ITEM_INSERT, "INSERT INTO items(order_id, member_id, line_no, sku, category, qty,"       \
                   " unit_cents, amount_cents) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)")             \
    X(ITEM_LIST, "SELECT order_id, member_id, line_no, sku, category, qty, unit_cents,"        \
                 " amount_cents FROM items WHERE order_id = ?1 ORDER BY line_no")              \
    X(EVENT_INSERT, "INSERT INTO events(member_id, kind, at, source, value) VALUES (?1,?2,?3,?4,?5)") \
    X(EVENT_LIST, "SELECT id, member_id, kind, at, source, value FROM events"                  \
                  " WHERE member_id = ?1 ORDER BY at, id")                                     \
    X(SURVEY_INSERT, "INSERT INTO surveys(member_id, survey, at, score, source) VALUES (?1,?2,?3,?4,?5)") \
    X(SURVEY_LIST, "SELECT id, member_id, survey, at, score, source FROM surveys"              \
                   " WHERE member_id = ?1 ORDER BY at, id")                                    \
    X(MERGE_INSERT, "INSERT INTO merges(survivor_id, loser_id, merged_at, undone_at, reason,"  \
                    " fields_taken, survivor_before) VALUES (?1,?2,?3,?4,?5,?6,?7)")          \
    X(MERGE_GET, "SELECT " MERGE_COLS " FROM merges WHERE id = ?1")                            \
    X(MERGE_UNDONE, "UPDATE merges SET undone_at = ?2 WHERE id = ?1 AND undone_at = 0")       \
    X(MERGE_LIST, "SELECT " MERGE_COLS " FROM merges WHERE undone_at = 0"                      \
                  " AND (survivor_id = ?1 OR loser_id = ?1) ORDER BY id")                      \
    X(MOVED_ADD, "INSERT INTO merge_moved(merge_id, kind, row_id) VALUES (?1,?2,?3)")          \
    X(MOVED_LIST, "SELECT kind, row_id FROM merge_moved WHERE merge_id = ?1 ORDER BY kind, row_id") \
    X(MOVE_ORDERS_NOTE, "INSERT INTO merge_moved(merge_id, kind, row_id)"                      \
                        " SELECT ?1, 2, id FROM orders WHERE member_id = ?2")                  \
    X(MOVE_EVENTS_NOTE, "INSERT INTO merge_moved(merge_id, kind, row_id)"                      \
                        " SELECT ?1, 3, e.id FROM events e WHERE e.member_id = ?2 AND NOT EXISTS" \
                        " (SELECT 1 FROM events t WHERE t.member_id = ?3 AND t.kind = e.kind"  \
                        " AND t.at = e.at AND t.source = e.source)")                           \
    X(MOVE_SURVEYS_NOTE, "INSERT INTO merge_moved(merge_id, kind, row_id)"                     \
                         " SELECT ?1, 4, v.id FROM surveys v WHERE v.member_id = ?2 AND NOT EXISTS" \
                         " (SELECT 1 FROM surveys t WHERE t.member_id = ?3 AND t.survey = v.survey" \
                         " AND t.at = v.at)")                                                  \
    X(MOVE_ORDERS, "UPDATE orders SET member_id = ?2 WHERE id IN"                              \
                   " (SELECT row_id FROM merge_moved WHERE merge_id = ?1 AND kind = 2)")       \
    X(MOVE_ITEMS, "UPDATE items SET member_id = ?2 WHERE order_id IN"                          \
                  " (SELECT row_id FROM merge_moved WHERE merge_id = ?1 AND kind = 2)")        \
    X(MOVE_EVENTS, "UPDATE events SET member_id = ?2 WHERE id IN"                              \
                   " (SELECT row_id FROM merge_moved WHERE merge_id = ?1 AND kind = 3)")       \
    X(MOVE_SURVEYS, "UPDATE surveys SET member_id = ?2 WHERE id IN"                            \
                    " (SELECT row_id FROM merge_moved WHERE merge_id = ?1 AND kind = 4)")      \
    X(RUN_INSERT, "INSERT INTO import_runs(" RUN_COLS ") VALUES "                              \
                  "(NULL,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)")               \
    X(RUN_UPDATE, "UPDATE import_runs SET kind=?2, source=?3, file=?4, started_at=?5,"         \
                  " finished_at=?6, rows_read=?7, rows_accepted=?8, rows_rejected=?9,"         \
                  " duplicates=?10, members_created=?11, members_attached=?12,"                \
                  " members_merged=?13, conflicts=?14, filled=?15, missing=?16 WHERE id=?1")  \
    X(RUN_SCAN, "SELECT " RUN_COLS " FROM import_runs ORDER BY id")                            \
    X(CONFLICT_INSERT, "INSERT INTO conflicts(import_run, member_id, field, rule, kept_source," \
                       " other_source) VALUES (?1,?2,?3,?4,?5,?6)")                            \
    X(CONFLICT_SCAN, "SELECT import_run, member_id, field, rule, kept_source, other_source"    \
                     " FROM conflicts ORDER BY id")                                            \
    X(STATS, "SELECT (SELECT count(*) FROM members),"                                          \
             " (SELECT count(*) FROM members WHERE status = 1 AND merged_into IS NULL),"        \
             " (SELECT count(*) FROM members WHERE status = 2 AND merged_into IS NULL),"        \
             " (SELECT count(*) FROM members WHERE status = 3),"                                \
             " (SELECT count(*) FROM members WHERE merged_into IS NOT NULL),"                   \
             " (SELECT count(*) FROM identities), (SELECT count(*) FROM orders),"               \
             " (SELECT coalesce(sum(amount_cents), 0) FROM orders), (SELECT count(*) FROM items)," \
             " (SELECT count(*) FROM events), (SELECT count(*) FROM surveys),"                  \
             " (SELECT count(*) FROM merges WHERE undone_at = 0)")

enum stmt_id {
#define STMT_ENUM(id, sql) ST_##id,
    STATEMENTS(STMT_ENUM)
#undef STMT_ENUM
    ST__COUNT
};
_Static_assert(ST__COUNT <= SQ_LEDGER_FIRST, "core statements overflow into the ledger's slots");

static const char *const stmt_sql[ST__COUNT] = {
#define STMT_SQL(id, sql) [ST_##id] = sql,
    STATEMENTS(STMT_SQL)
#undef STMT_SQL
};

/* Maps an SQLite result code onto a PT_E* code and records the message. */
int pt__sq_fail(sq_store *q, int src, const char *doing)
{
    int rc;
    switch (src & 0xff) {
    case SQLITE_CONSTRAINT:
        rc = (src == SQLITE_CONSTRAINT_UNIQUE || src == SQLITE_CONSTRAINT_PRIMARYKEY) ? PT_EEXIST : PT_EINVAL;
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:   rc = PT_EBUSY; break;
    case SQLITE_NOMEM:    rc = PT_ENOMEM; break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:   rc = PT_ECORRUPT; break;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY: rc = PT_EIO; break;
    case SQLITE_TOOBIG:   rc = PT_ETOOBIG; break;
    default:              rc = PT_ESTORE; break;
    }
    return pt__store_error(&q->base, rc, "sqlite: %s: %s", doing, q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(src));
}

int pt__sq_exec(sq_store *q, const char *sql, const char *doing)
{
    int src = sqlite3_exec(q->db, sql, NULL, NULL, NULL);
    return src == SQLITE_OK ? PT_OK : pt__sq_fail(q, src, doing);
}

int pt__sq_prepare(sq_store *q, int slot, const char *sql, sqlite3_stmt **st)
{
    sqlite3_stmt *c = q->stmt[slot];
    if (c && !sqlite3_stmt_busy(c)) {
        *st = c;
        return PT_OK;
    }
    unsigned flags = c ? 0 : SQLITE_PREPARE_PERSISTENT;
    int src = sqlite3_prepare_v3(q->db, sql, -1, flags, st, NULL);
    if (src != SQLITE_OK)
        return pt__sq_fail(q, src, "preparing statement");
    if (!c)
        q->stmt[slot] = *st;
    return PT_OK;
}

static int stmt_get(sq_store *q, enum stmt_id id, sqlite3_stmt **st)
{
    return pt__sq_prepare(q, (int)id, stmt_sql[id], st);
}

void pt__sq_done(sq_store *q, int id, sqlite3_stmt *st)
{
    if (st == q->stmt[id]) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    } else {
        sqlite3_finalize(st);
    }
}

/* Steps a statement that returns no rows. */
int pt__sq_run(sq_store *q, int id, sqlite3_stmt *st, const char *doing)
{
    int src = sqlite3_step(st);
    int rc = src == SQLITE_DONE ? PT_OK : pt__sq_fail(q, src, doing);
    pt__sq_done(q, id, st);
    return rc;
}

/* Runs a query expected to yield at most one row into `read`; PT_ENOTFOUND when none. */
int pt__sq_query_one(sq_store *q, int id, sqlite3_stmt *st, int (*read)(sqlite3_stmt *, void *),
                     void *rec, const char *doing)
{
    int src = sqlite3_step(st);
    int rc;
    if (src == SQLITE_ROW)
        rc = read(st, rec);
    else if (src == SQLITE_DONE)
        rc = pt__store_error(&q->base, PT_ENOTFOUND, "%s: not found", doing);
    else
        rc = pt__sq_fail(q, sqlite3_extended_errcode(q->db), doing);
    pt__sq_done(q, id, st);
    return rc;
}

/* Runs a query and calls cb(ud, rec) per row after read(st, rec) fills rec. */
int pt__sq_query_each(sq_store *q, int id, sqlite3_stmt *st, int (*read)(sqlite3_stmt *, void *),
                      void *rec, int (*cb)(void *, const void *), void *ud, const char *doing)
{
    int rc = PT_OK, src;
    while (rc == PT_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        rc = read(st, rec);
        if (rc == PT_OK)
            rc = cb(ud, rec);
    }
    if (rc == PT_OK && src != SQLITE_DONE)
        rc = pt__sq_fail(q, sqlite3_extended_errcode(q->db), doing);
    pt__sq_done(q, id, st);
    return rc;
}


/* --- open, close, transactions, meta ------------------------------------------------------ */

static int sq_schema_version(pt_store *s, int *version)
{
    sqlite3_stmt *st;
    int src = sqlite3_prepare_v2(SQ(s)->db, "PRAGMA user_version", -1, &st, NULL);
    if (src != SQLITE_OK)
        return pt__sq_fail(SQ(s), src, "reading schema version");
    src = sqlite3_step(st);
    *version = src == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return src == SQLITE_ROW ? PT_OK : pt__sq_fail(SQ(s), src, "reading schema version");
}

/* Runs one transaction statement from its prepared slot (prepared on first use): a write
 * runs several per request (batch, job savepoint, ledger savepoint), so they are not parsed
 * again each time. */
static int tx_run(sq_store *q, int slot, const char *sql, const char *doing)
{
    sqlite3_stmt *st = q->tx[slot];
    if (!st) {
        int src = sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
        if (src != SQLITE_OK)
            return pt__sq_fail(q, src, doing);
        q->tx[slot] = st;
    }
    int src = sqlite3_step(st);
    int rc = src == SQLITE_DONE ? PT_OK : pt__sq_fail(q, src, doing);
    sqlite3_reset(st);
    return rc;
}

static int sq_tx(pt_store *s, enum pt_tx_op op, int depth)
{
    char sql[96];
    if (depth == 0) {
        /* one writer at a time: a locking transaction needs nothing more */
        /* a read transaction is deferred: its first read pins a WAL snapshot, writers go on */
        static const char *const outer[] = {"BEGIN IMMEDIATE", "COMMIT", "ROLLBACK", "BEGIN IMMEDIATE",
                                            "BEGIN DEFERRED"};
        return tx_run(SQ(s), (int)op, outer[op], outer[op]);
    }
    int begin = op == PT_TX_BEGIN || op == PT_TX_BEGIN_LOCKING || op == PT_TX_BEGIN_READ;
    if (begin)
        snprintf(sql, sizeof sql, "SAVEPOINT sp%d", depth);
    else if (op == PT_TX_COMMIT)
        snprintf(sql, sizeof sql, "RELEASE sp%d", depth);
    else
        snprintf(sql, sizeof sql, "ROLLBACK TO sp%d; RELEASE sp%d", depth, depth);
    if (depth <= SQ_TX_DEPTHS && (begin || op == PT_TX_COMMIT))
        return tx_run(SQ(s), 5 + 2 * (depth - 1) + !begin, sql, "savepoint");
    return pt__sq_exec(SQ(s), sql, "savepoint");
}

static int migrate(sq_store *q)
{
    int version = 0;
    int rc = sq_schema_version(&q->base, &version);
    if (rc)
        return rc;
    if (version > SCHEMA_VERSION)
        return pt__store_error(&q->base, PT_ESCHEMA, "store has schema version %d; this program knows up to %d",
                               version, SCHEMA_VERSION);
    if (version == SCHEMA_VERSION)
        return PT_OK;
    if ((rc = pt__sq_exec(q, "BEGIN IMMEDIATE", "starting migration")))
        return rc;
    for (int v = version; rc == PT_OK && v < SCHEMA_VERSION; v++)
        rc = pt__sq_exec(q, migrations[v], "migrating schema");
    if (rc == PT_OK) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", SCHEMA_VERSION);
        rc = pt__sq_exec(q, sql, "recording schema version");
    }
    if (rc == PT_OK)
        rc = pt__sq_exec(q, "COMMIT", "committing migration");
    if (rc)
        sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static void sq_close(pt_store *s)
{
    sq_store *q = SQ(s);
    for (int i = 0; i < SQ_STMT_SLOTS; i++)
        sqlite3_finalize(q->stmt[i]);
    for (int i = 0; i < SQ_TX_SLOTS; i++)
        sqlite3_finalize(q->tx[i]);
    sqlite3_close_v2(q->db);
    free(q);
}

static int sq_meta_get(pt_store *s, const char *key, pt_buf *val)
{
    sq_store *q = SQ(s);
    sqlite3_stmt *st;
    int rc = stmt_get(q, ST_META_GET, &st);
    if (rc)
        return rc;
    bind_text(st, 1, key);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        rc = pt_buf_set(val, t ? t : (const unsigned char *)"", (size_t)sqlite3_column_bytes(st, 0));
    } else {
        rc = src == SQLITE_DONE ? pt__store_error(s, PT_ENOTFOUND, "no setting %s", key)
                                : pt__sq_fail(q, sqlite3_extended_errcode(q->db), "reading setting");
    }
    pt__sq_done(q, ST_META_GET, st);
    return rc;
}

static int sq_meta_set(pt_store *s, const char *key, const char *val)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_META_SET, &st);
    if (rc)
        return rc;
    bind_text(st, 1, key);
    bind_text(st, 2, val);
    return pt__sq_run(SQ(s), ST_META_SET, st, "writing setting");
}

/* --- members ------------------------------------------------------------------------------ */

static void bind_member(sqlite3_stmt *st, const pt_member_rec *r)
{
    char gender[2] = {r->gender, 0};
    sqlite3_bind_int64(st, 1, r->id);
    bind_text_or_null(st, 2, r->member_no);
    sqlite3_bind_int(st, 3, r->status);
    sqlite3_bind_int64(st, 4, r->registered_at);
    bind_text(st, 5, r->reg_channel);
    if (r->gender)
        sqlite3_bind_text(st, 6, gender, 1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 6);
    bind_text(st, 7, r->region);
    sqlite3_bind_int64(st, 8, r->consent);
    for (int k = 0; k < PT_CONSENT__COUNT; k++)
        sqlite3_bind_int64(st, 9 + k, r->consent_at[k]);
    if (r->merged_into)
        sqlite3_bind_int64(st, 12, r->merged_into);
    else
        sqlite3_bind_null(st, 12);
    sqlite3_bind_int64(st, 13, r->created_at);
    sqlite3_bind_int64(st, 14, r->updated_at);
    bind_buf(st, 15, &r->key_wrapped);
    bind_buf(st, 16, &r->pii);
    bind_buf_text(st, 17, &r->provenance);
}

static int read_member(sqlite3_stmt *st, void *p)
{
    pt_member_rec *r = p;
    r->id = col_i64(st, 0);
    col_text(st, 1, r->member_no, sizeof r->member_no);
    r->status = col_int(st, 2);
    r->registered_at = col_i64(st, 3);
    col_text(st, 4, r->reg_channel, sizeof r->reg_channel);
    const unsigned char *g = sqlite3_column_text(st, 5);
    r->gender = g ? (char)g[0] : 0;
    col_text(st, 6, r->region, sizeof r->region);
    r->consent = (uint32_t)col_i64(st, 7);
    for (int k = 0; k < PT_CONSENT__COUNT; k++)
        r->consent_at[k] = col_i64(st, 8 + k);
    r->merged_into = col_i64(st, 11);
    r->created_at = col_i64(st, 12);
    r->updated_at = col_i64(st, 13);
    int rc = col_buf(st, 14, &r->key_wrapped);
    if (rc == PT_OK)
        rc = col_buf(st, 15, &r->pii);
    if (rc == PT_OK)
        rc = col_buf(st, 16, &r->provenance);
    return rc;
}

static int sq_member_insert(pt_store *s, pt_member_rec *r)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_MEMBER_INSERT, &st);
    if (rc)
        return rc;
    bind_member(st, r);
    sqlite3_bind_null(st, 1);
    rc = pt__sq_run(SQ(s), ST_MEMBER_INSERT, st, "inserting member");
    if (rc == PT_OK)
        r->id = sqlite3_last_insert_rowid(SQ(s)->db);
    return rc;
}

int pt__sq_changed_one(sq_store *q, int rc, const char *what)
{
    if (rc == PT_OK && sqlite3_changes(q->db) == 0)
        return pt__store_error(&q->base, PT_ENOTFOUND, "%s: no such row", what);
    return rc;
}

static int sq_member_update(pt_store *s, const pt_member_rec *r)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_MEMBER_UPDATE, &st);
    if (rc)
        return rc;
    bind_member(st, r);
    return pt__sq_changed_one(SQ(s), pt__sq_run(SQ(s), ST_MEMBER_UPDATE, st, "updating member"), "updating member");
}

static int sq_member_get(pt_store *s, int64_t id, pt_member_rec *r)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_MEMBER_GET, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    return pt__sq_query_one(SQ(s), ST_MEMBER_GET, st, read_member, r, "reading member");
}

static int sq_member_get_by_no(pt_store *s, const char *member_no, pt_member_rec *r)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_MEMBER_GET_BY_NO, &st);
    if (rc)
        return rc;
    bind_text(st, 1, member_no);
    return pt__sq_query_one(SQ(s), ST_MEMBER_GET_BY_NO, st, read_member, r, "reading member by number");
}

static int sq_member_scan(pt_store *s, pt_member_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_MEMBER_SCAN, &st);
    if (rc)
        return rc;
    pt_member_rec r;
    struct member_cb c = {cb, ud};
    pt_member_rec_init(&r);
    rc = pt__sq_query_each(SQ(s), ST_MEMBER_SCAN, st, read_member, &r, call_member, &c,
                    "scanning members");
    pt_member_rec_free(&r);
    return rc;
}

/* --- identities --------------------------------------------------------------------------- */

static int read_identity(sqlite3_stmt *st, void *p)
{
    pt_identity_rec *r = p;
    r->id = col_i64(st, 0);
    r->member_id = col_i64(st, 1);
    r->kind = col_int(st, 2);
    memset(r->blind, 0, sizeof r->blind);
    const void *b = sqlite3_column_blob(st, 3);
    int n = sqlite3_column_bytes(st, 3);
    if (b && n == PT_BLIND_LEN)
        memcpy(r->blind, b, PT_BLIND_LEN);
    col_text(st, 5, r->source, sizeof r->source);
    r->added_at = col_i64(st, 6);
    return col_buf(st, 4, &r->value);
}

static int sq_identity_insert(pt_store *s, pt_identity_rec *r)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_IDENTITY_INSERT, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->member_id);
    sqlite3_bind_int(st, 2, r->kind);
    sqlite3_bind_blob(st, 3, r->blind, PT_BLIND_LEN, SQLITE_STATIC);
    bind_buf(st, 4, &r->value);
    bind_text(st, 5, r->source);
    sqlite3_bind_int64(st, 6, r->added_at);
    rc = pt__sq_run(SQ(s), ST_IDENTITY_INSERT, st, "inserting identifier");
    if (rc == PT_OK)
        r->id = sqlite3_last_insert_rowid(SQ(s)->db);
    return rc;
}

static int sq_identity_update(pt_store *s, const pt_identity_rec *r)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_IDENTITY_UPDATE, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_int64(st, 2, r->member_id);
    bind_buf(st, 3, &r->value);
    bind_text(st, 4, r->source);
    return pt__sq_changed_one(SQ(s), pt__sq_run(SQ(s), ST_IDENTITY_UPDATE, st, "updating identifier"), "updating identifier");
}

static int sq_identity_find(pt_store *s, int kind, const uint8_t blind[PT_BLIND_LEN], pt_identity_rec *r)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_IDENTITY_FIND, &st);
    if (rc)
        return rc;
    sqlite3_bind_int(st, 1, kind);
    sqlite3_bind_blob(st, 2, blind, PT_BLIND_LEN, SQLITE_STATIC);
    return pt__sq_query_one(SQ(s), ST_IDENTITY_FIND, st, read_identity, r, "finding identifier");
}

static int identity_iter(pt_store *s, enum stmt_id id, int64_t member_id, pt_identity_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), id, &st);
    if (rc)
        return rc;
    if (id == ST_IDENTITY_LIST)
        sqlite3_bind_int64(st, 1, member_id);
    pt_identity_rec r;
    struct identity_cb c = {cb, ud};
    pt_identity_rec_init(&r);
    rc = pt__sq_query_each(SQ(s), id, st, read_identity, &r, call_identity, &c, "listing identifiers");
    pt_identity_rec_free(&r);
    return rc;
}

static int sq_identity_list(pt_store *s, int64_t member_id, pt_identity_cb cb, void *ud)
{
    return identity_iter(s, ST_IDENTITY_LIST, member_id, cb, ud);
}

static int sq_identity_scan(pt_store *s, pt_identity_cb cb, void *ud)
{
    return identity_iter(s, ST_IDENTITY_SCAN, 0, cb, ud);
}

static int sq_identity_delete_member(pt_store *s, int64_t member_id)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_IDENTITY_DELETE_MEMBER, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    return pt__sq_run(SQ(s), ST_IDENTITY_DELETE_MEMBER, st, "deleting identifiers");
}

/* --- orders, items, events, surveys ------------------------------------------------------- */

static int read_order(sqlite3_stmt *st, void *p)
{
    pt_order_rec *r = p;
    r->id = col_i64(st, 0);
    r->member_id = col_i64(st, 1);
    col_text(st, 2, r->order_no, sizeof r->order_no);
    col_text(st, 3, r->source, sizeof r->source);
    col_text(st, 4, r->channel, sizeof r->channel);
    col_text(st, 5, r->store, sizeof r->store);
    r->ordered_at = col_i64(st, 6);
    r->amount_cents = col_i64(st, 7);
    r->status = col_int(st, 8);
    r->import_run = col_i64(st, 9);
    return PT_OK;
}

static int sq_order_insert(pt_store *s, pt_order_rec *r)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_ORDER_INSERT, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->member_id);
    bind_text(st, 2, r->order_no);
    bind_text(st, 3, r->source);
    bind_text(st, 4, r->channel);
    bind_text(st, 5, r->store);
    sqlite3_bind_int64(st, 6, r->ordered_at);
    sqlite3_bind_int64(st, 7, r->amount_cents);
    sqlite3_bind_int(st, 8, r->status);
    sqlite3_bind_int64(st, 9, r->import_run);
    rc = pt__sq_run(SQ(s), ST_ORDER_INSERT, st, "inserting order");
    if (rc == PT_OK)
        r->id = sqlite3_last_insert_rowid(SQ(s)->db);
    return rc;
}

static int sq_order_find_by_no(pt_store *s, const char *order_no, pt_order_rec *r)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_ORDER_FIND_BY_NO, &st);
    if (rc)
        return rc;
    bind_text(st, 1, order_no);
    return pt__sq_query_one(SQ(s), ST_ORDER_FIND_BY_NO, st, read_order, r, "finding order");
}

static int order_iter(pt_store *s, enum stmt_id id, int64_t member_id, pt_order_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), id, &st);
    if (rc)
        return rc;
    if (id == ST_ORDER_LIST)
        sqlite3_bind_int64(st, 1, member_id);
    pt_order_rec r;
    struct order_cb c = {cb, ud};
    return pt__sq_query_each(SQ(s), id, st, read_order, &r, call_order, &c, "listing orders");
}

static int sq_order_list(pt_store *s, int64_t member_id, pt_order_cb cb, void *ud)
{
    return order_iter(s, ST_ORDER_LIST, member_id, cb, ud);
}

static int sq_order_scan(pt_store *s, pt_order_cb cb, void *ud)
{
    return order_iter(s, ST_ORDER_SCAN, 0, cb, ud);
}

static int sq_item_insert(pt_store *s, const pt_item_rec *r)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_ITEM_INSERT, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->order_id);
    sqlite3_bind_int64(st, 2, r->member_id);
    sqlite3_bind_int(st, 3, r->line_no);
    bind_text(st, 4, r->sku);
    bind_text(st, 5, r->category);
    sqlite3_bind_int64(st, 6, r->qty);
    sqlite3_bind_int64(st, 7, r->unit_cents);
    sqlite3_bind_int64(st, 8, r->amount_cents);
    return pt__sq_run(SQ(s), ST_ITEM_INSERT, st, "inserting order item");
}

static int read_item(sqlite3_stmt *st, void *p)
{
    pt_item_rec *r = p;
    r->order_id = col_i64(st, 0);
    r->member_id = col_i64(st, 1);
    r->line_no = col_int(st, 2);
    col_text(st, 3, r->sku, sizeof r->sku);
    col_text(st, 4, r->category, sizeof r->category);
    r->qty = col_i64(st, 5);
    r->unit_cents = col_i64(st, 6);
    r->amount_cents = col_i64(st, 7);
    return PT_OK;
}

static int sq_item_list(pt_store *s, int64_t order_id, pt_item_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_ITEM_LIST, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, order_id);
    pt_item_rec r;
    struct item_cb c = {cb, ud};
    return pt__sq_query_each(SQ(s), ST_ITEM_LIST, st, read_item, &r, call_item, &c, "listing items");
}

static int sq_event_insert(pt_store *s, pt_event_rec *r)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_EVENT_INSERT, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->member_id);
    bind_text(st, 2, r->kind);
    sqlite3_bind_int64(st, 3, r->at);
    bind_text(st, 4, r->source);
    sqlite3_bind_int64(st, 5, r->value);
    rc = pt__sq_run(SQ(s), ST_EVENT_INSERT, st, "inserting event");
    if (rc == PT_OK)
        r->id = sqlite3_last_insert_rowid(SQ(s)->db);
    return rc;
}

static int read_event(sqlite3_stmt *st, void *p)
{
    pt_event_rec *r = p;
    r->id = col_i64(st, 0);
    r->member_id = col_i64(st, 1);
    col_text(st, 2, r->kind, sizeof r->kind);
    r->at = col_i64(st, 3);
    col_text(st, 4, r->source, sizeof r->source);
    r->value = col_i64(st, 5);
    return PT_OK;
}

static int sq_event_list(pt_store *s, int64_t member_id, pt_event_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_EVENT_LIST, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    pt_event_rec r;
    struct event_cb c = {cb, ud};
    return pt__sq_query_each(SQ(s), ST_EVENT_LIST, st, read_event, &r, call_event, &c, "listing events");
}

static int sq_survey_insert(pt_store *s, pt_survey_rec *r)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_SURVEY_INSERT, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->member_id);
    bind_text(st, 2, r->survey);
    sqlite3_bind_int64(st, 3, r->at);
    sqlite3_bind_int(st, 4, r->score);
    bind_text(st, 5, r->source);
    rc = pt__sq_run(SQ(s), ST_SURVEY_INSERT, st, "inserting survey answer");
    if (rc == PT_OK)
        r->id = sqlite3_last_insert_rowid(SQ(s)->db);
    return rc;
}

static int read_survey(sqlite3_stmt *st, void *p)
{
    pt_survey_rec *r = p;
    r->id = col_i64(st, 0);
    r->member_id = col_i64(st, 1);
    col_text(st, 2, r->survey, sizeof r->survey);
    r->at = col_i64(st, 3);
    r->score = col_int(st, 4);
    col_text(st, 5, r->source, sizeof r->source);
    return PT_OK;
}

static int sq_survey_list(pt_store *s, int64_t member_id, pt_survey_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_SURVEY_LIST, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    pt_survey_rec r;
    struct survey_cb c = {cb, ud};
    return pt__sq_query_each(SQ(s), ST_SURVEY_LIST, st, read_survey, &r, call_survey, &c,
                      "listing survey answers");
}

/* --- merges ------------------------------------------------------------------------------- */

static int read_merge(sqlite3_stmt *st, void *p)
{
    pt_merge_rec *r = p;
    r->id = col_i64(st, 0);
    r->survivor_id = col_i64(st, 1);
    r->loser_id = col_i64(st, 2);
    r->merged_at = col_i64(st, 3);
    r->undone_at = col_i64(st, 4);
    col_text(st, 5, r->reason, sizeof r->reason);
    r->fields_taken = (uint32_t)col_i64(st, 6);
    return col_buf(st, 7, &r->survivor_before);
}

static int sq_merge_insert(pt_store *s, pt_merge_rec *r)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_MERGE_INSERT, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->survivor_id);
    sqlite3_bind_int64(st, 2, r->loser_id);
    sqlite3_bind_int64(st, 3, r->merged_at);
    sqlite3_bind_int64(st, 4, r->undone_at);
    bind_text(st, 5, r->reason);
    sqlite3_bind_int64(st, 6, r->fields_taken);
    bind_buf(st, 7, &r->survivor_before);
    rc = pt__sq_run(SQ(s), ST_MERGE_INSERT, st, "recording merge");
    if (rc == PT_OK)
        r->id = sqlite3_last_insert_rowid(SQ(s)->db);
    return rc;
}

static int sq_merge_get(pt_store *s, int64_t id, pt_merge_rec *r)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_MERGE_GET, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    return pt__sq_query_one(SQ(s), ST_MERGE_GET, st, read_merge, r, "reading merge");
}

static int sq_merge_mark_undone(pt_store *s, int64_t id, int64_t at)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_MERGE_UNDONE, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, at);
    return pt__sq_changed_one(SQ(s), pt__sq_run(SQ(s), ST_MERGE_UNDONE, st, "undoing merge"), "merge in force");
}

static int sq_merge_list(pt_store *s, int64_t member_id, int (*cb)(void *, const pt_merge_rec *), void *ud)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_MERGE_LIST, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    pt_merge_rec r;
    struct merge_cb c = {cb, ud};
    pt_merge_rec_init(&r);
    rc = pt__sq_query_each(SQ(s), ST_MERGE_LIST, st, read_merge, &r, call_merge, &c, "listing merges");
    pt_merge_rec_free(&r);
    return rc;
}

/* Runs one of the move statements, bound (?1 merge, ?2 a member, ?3 another member). */
static int run_move(sq_store *q, enum stmt_id id, int64_t merge_id, int64_t a, int64_t b)
{
    sqlite3_stmt *st;
    int rc = stmt_get(q, id, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, merge_id);
    sqlite3_bind_int64(st, 2, a);
    if (sqlite3_bind_parameter_count(st) >= 3)
        sqlite3_bind_int64(st, 3, b);
    return pt__sq_run(q, id, st, "moving rows between members");
}

/* Rows are noted first, then moved by the note, so undo moves exactly the same rows back. An
 * event or survey answer the survivor already has (same key) stays with the loser. */
static int sq_member_move_rows(pt_store *s, int64_t merge_id, int64_t from, int64_t to)
{
    static const enum stmt_id notes[] = {ST_MOVE_ORDERS_NOTE, ST_MOVE_EVENTS_NOTE, ST_MOVE_SURVEYS_NOTE};
    int rc = PT_OK;
    for (size_t i = 0; rc == PT_OK && i < sizeof notes / sizeof *notes; i++)
        rc = run_move(SQ(s), notes[i], merge_id, from, to);
    return rc ? rc : pt_store_member_unmove_rows(s, merge_id, to);
}

static int sq_member_unmove_rows(pt_store *s, int64_t merge_id, int64_t to)
{
    static const enum stmt_id moves[] = {ST_MOVE_ORDERS, ST_MOVE_ITEMS, ST_MOVE_EVENTS, ST_MOVE_SURVEYS};
    int rc = PT_OK;
    for (size_t i = 0; rc == PT_OK && i < sizeof moves / sizeof *moves; i++)
        rc = run_move(SQ(s), moves[i], merge_id, to, 0);
    return rc;
}

static int sq_merge_moved_add(pt_store *s, int64_t merge_id, int kind, int64_t row_id)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_MOVED_ADD, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, merge_id);
    sqlite3_bind_int(st, 2, kind);
    sqlite3_bind_int64(st, 3, row_id);
    return pt__sq_run(SQ(s), ST_MOVED_ADD, st, "noting moved row");
}

static int read_moved(sqlite3_stmt *st, void *p)
{
    struct moved_row *m = p;
    m->kind = col_int(st, 0);
    m->row_id = col_i64(st, 1);
    return PT_OK;
}

static int sq_merge_moved_list(pt_store *s, int64_t merge_id, pt_row_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_MOVED_LIST, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, merge_id);
    struct moved_row m;
    struct moved_cb c = {cb, ud};
    return pt__sq_query_each(SQ(s), ST_MOVED_LIST, st, read_moved, &m, call_moved, &c, "listing moved rows");
}

/* --- import runs and conflicts ------------------------------------------------------------ */

static void bind_run(sqlite3_stmt *st, const pt_import_run_rec *r)
{
    const int64_t counts[] = {r->started_at,      r->finished_at,      r->rows_read,      r->rows_accepted,
                              r->rows_rejected,   r->duplicates,       r->members_created, r->members_attached,
                              r->members_merged,  r->conflicts,        r->filled};
    sqlite3_bind_int64(st, 1, r->id);
    bind_text(st, 2, r->kind);
    bind_text(st, 3, r->source);
    bind_text(st, 4, r->file);
    for (int i = 0; i < (int)(sizeof counts / sizeof *counts); i++)
        sqlite3_bind_int64(st, 5 + i, counts[i]);
    if (r->missing.len)
        bind_buf_text(st, 16, &r->missing);
    else
        bind_text(st, 16, "{}");
}

static int read_run(sqlite3_stmt *st, void *p)
{
    pt_import_run_rec *r = p;
    int64_t *counts[] = {&r->started_at,     &r->finished_at,     &r->rows_read,       &r->rows_accepted,
                         &r->rows_rejected,  &r->duplicates,      &r->members_created, &r->members_attached,
                         &r->members_merged, &r->conflicts,       &r->filled};
    r->id = col_i64(st, 0);
    col_text(st, 1, r->kind, sizeof r->kind);
    col_text(st, 2, r->source, sizeof r->source);
    col_text(st, 3, r->file, sizeof r->file);
    for (int i = 0; i < (int)(sizeof counts / sizeof *counts); i++)
        *counts[i] = col_i64(st, 4 + i);
    const unsigned char *t = sqlite3_column_text(st, 15);
    return pt_buf_set(&r->missing, t ? t : (const unsigned char *)"", (size_t)sqlite3_column_bytes(st, 15));
}

static int sq_import_run_insert(pt_store *s, pt_import_run_rec *r)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_RUN_INSERT, &st);
    if (rc)
        return rc;
    bind_run(st, r);
    sqlite3_bind_null(st, 1);
    rc = pt__sq_run(SQ(s), ST_RUN_INSERT, st, "recording import run");
    if (rc == PT_OK)
        r->id = sqlite3_last_insert_rowid(SQ(s)->db);
    return rc;
}

static int sq_import_run_update(pt_store *s, const pt_import_run_rec *r)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_RUN_UPDATE, &st);
    if (rc)
        return rc;
    bind_run(st, r);
    return pt__sq_changed_one(SQ(s), pt__sq_run(SQ(s), ST_RUN_UPDATE, st, "updating import run"), "updating import run");
}

static int sq_import_run_scan(pt_store *s, pt_import_run_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_RUN_SCAN, &st);
    if (rc)
        return rc;
    pt_import_run_rec r;
    struct run_cb c = {cb, ud};
    pt_import_run_rec_init(&r);
    rc = pt__sq_query_each(SQ(s), ST_RUN_SCAN, st, read_run, &r, call_run, &c, "listing imports");
    pt_import_run_rec_free(&r);
    return rc;
}

static int sq_conflict_insert(pt_store *s, const pt_conflict_rec *r)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_CONFLICT_INSERT, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->import_run);
    sqlite3_bind_int64(st, 2, r->member_id);
    sqlite3_bind_int(st, 3, r->field);
    bind_text(st, 4, r->rule);
    bind_text(st, 5, r->kept_source);
    bind_text(st, 6, r->other_source);
    return pt__sq_run(SQ(s), ST_CONFLICT_INSERT, st, "recording conflict");
}

static int read_conflict(sqlite3_stmt *st, void *p)
{
    pt_conflict_rec *r = p;
    r->import_run = col_i64(st, 0);
    r->member_id = col_i64(st, 1);
    r->field = col_int(st, 2);
    col_text(st, 3, r->rule, sizeof r->rule);
    col_text(st, 4, r->kept_source, sizeof r->kept_source);
    col_text(st, 5, r->other_source, sizeof r->other_source);
    return PT_OK;
}

static int sq_conflict_scan(pt_store *s, pt_conflict_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_CONFLICT_SCAN, &st);
    if (rc)
        return rc;
    pt_conflict_rec r;
    struct conflict_cb c = {cb, ud};
    return pt__sq_query_each(SQ(s), ST_CONFLICT_SCAN, st, read_conflict, &r, call_conflict, &c,
                      "listing conflicts");
}

static int read_stats(sqlite3_stmt *st, void *p)
{
    pt_store_stats *o = p;
    int64_t *f[] = {&o->members,    &o->members_active, &o->members_frozen, &o->members_erased,
                    &o->members_merged_away, &o->identities, &o->orders, &o->order_cents,
                    &o->items,      &o->events,         &o->surveys,        &o->merges_in_force};
    for (int i = 0; i < (int)(sizeof f / sizeof *f); i++)
        *f[i] = col_i64(st, i);
    return PT_OK;
}

static int sq_stats_get(pt_store *s, pt_store_stats *out)
{
    sqlite3_stmt *st;
    int rc = stmt_get(SQ(s), ST_STATS, &st);
    if (rc)
        return rc;
    return pt__sq_query_one(SQ(s), ST_STATS, st, read_stats, out, "counting");
}

/* --- the table ---------------------------------------------------------------------------- */

/* --- write-ahead log upkeep (store.h) --------------------------------------------------------- */

static int wal_hook(void *ud, sqlite3 *db, const char *name, int pages)
{
    (void)db;
    (void)name;
    sq_store *q = ud;
    q->wal_cb(q->wal_ud, pages);
    return SQLITE_OK;
}

/* Replaces SQLite's automatic checkpoint on this connection (itself a WAL hook) by cb. */
static int sq_wal_watch(pt_store *s, void (*cb)(void *ud, int log_pages), void *ud)
{
    sq_store *q = SQ(s);
    q->wal_cb = cb;
    q->wal_ud = ud;
    sqlite3_wal_hook(q->db, cb ? wal_hook : NULL, cb ? q : NULL);
    return PT_OK;
}

static int sq_wal_checkpoint(pt_store *s, int *log_pages, int *copied_pages)
{
    int src = sqlite3_wal_checkpoint_v2(SQ(s)->db, NULL, SQLITE_CHECKPOINT_PASSIVE, log_pages, copied_pages);
    if (*log_pages < 0)
        *log_pages = 0;
    if (*copied_pages < 0)
        *copied_pages = 0;
    return src == SQLITE_OK ? PT_OK : pt__sq_fail(SQ(s), src, "checkpointing the write-ahead log");
}

static const struct pt_store_ops sqlite_ops;

struct sqlite3 *pt__store_sqlite_handle(pt_store *s)
{
    return s && s->ops == &sqlite_ops ? SQ(s)->db : NULL;
}

static const struct pt_store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .schema_version = sq_schema_version,
    .tx = sq_tx,
    .meta_get = sq_meta_get,
    .meta_set = sq_meta_set,
    .member_insert = sq_member_insert,
    .member_update = sq_member_update,
    .member_get = sq_member_get,
    .member_get_by_no = sq_member_get_by_no,
    .member_scan = sq_member_scan,
    .identity_insert = sq_identity_insert,
    .identity_update = sq_identity_update,
    .identity_find = sq_identity_find,
    .identity_list = sq_identity_list,
    .identity_delete_member = sq_identity_delete_member,
    .identity_scan = sq_identity_scan,
    .order_insert = sq_order_insert,
    .order_find_by_no = sq_order_find_by_no,
    .order_list = sq_order_list,
    .order_scan = sq_order_scan,
    .item_insert = sq_item_insert,
    .item_list = sq_item_list,
    .event_insert = sq_event_insert,
    .event_list = sq_event_list,
    .survey_insert = sq_survey_insert,
    .survey_list = sq_survey_list,
    .merge_insert = sq_merge_insert,
    .merge_get = sq_merge_get,
    .merge_mark_undone = sq_merge_mark_undone,
    .merge_list = sq_merge_list,
    .member_move_rows = sq_member_move_rows,
    .member_unmove_rows = sq_member_unmove_rows,
    .merge_moved_add = sq_merge_moved_add,
    .merge_moved_list = sq_merge_moved_list,
    .import_run_insert = sq_import_run_insert,
    .import_run_update = sq_import_run_update,
    .import_run_scan = sq_import_run_scan,
    .conflict_insert = sq_conflict_insert,
    .conflict_scan = sq_conflict_scan,
    .order_columns = pt__sq_order_columns,
    .member_columns = pt__sq_member_columns,
    .survey_columns = pt__sq_survey_columns,
    .account_columns = pt__sq_account_columns,
    .item_columns = pt__sq_item_columns,
    .event_columns = pt__sq_event_columns,
    .stats_get = sq_stats_get,
    .ledger = &pt__sq_ledger_ops,
    .reward = &pt__sq_reward_ops,
    .score = &pt__sq_score_ops,
    .campaign = &pt__sq_campaign_ops,
    .apikey = &pt__sq_apikey_ops,
    .stats = &pt__sq_stats_ops,
    .wal_watch = sq_wal_watch,
    .wal_checkpoint = sq_wal_checkpoint,
};

static int configure(sq_store *q)
{
    static const char *const pragmas =
        "PRAGMA journal_mode = WAL;"
        "PRAGMA synchronous = FULL;"
        "PRAGMA foreign_keys = ON;"
        "PRAGMA secure_delete = ON;"
        "PRAGMA temp_store = MEMORY;"
        "PRAGMA cache_size = -16384;"       /* 16 MiB: reads go through the mapping below */
        "PRAGMA mmap_size = 4294967296;";   /* map up to 4 GiB: no copy per page read */
    sqlite3_busy_timeout(q->db, 10000);
    sqlite3_extended_result_codes(q->db, 1);
    return pt__sq_exec(q, pragmas, "configuring");
}

int pt__store_sqlite_open(pt_store **out, const char *path, char *errmsg, size_t errmsg_len)
{
    sq_store *q = calloc(1, sizeof *q);
    if (!q) {
        snprintf(errmsg, errmsg_len, "out of memory");
        return PT_ENOMEM;
    }
    q->base.ops = &sqlite_ops;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int src = sqlite3_open_v2(path, &q->db, flags, NULL);
    int rc = src == SQLITE_OK ? PT_OK : pt__sq_fail(q, src, "opening");
    if (rc == PT_OK)
        rc = configure(q);
    if (rc == PT_OK)
        chmod(path, 0600); /* personal data lives here, even if sealed; WAL files inherit it */
    if (rc == PT_OK)
        rc = migrate(q);
    if (rc) {
        snprintf(errmsg, errmsg_len, "%s: %s", path, q->base.errmsg);
        sq_close(&q->base);
        return rc;
    }
    *out = &q->base;
    return PT_OK;
}

/* test_store_migrations.c — a store made by the build that reserved migrations 6-8 as no-ops
 * (0e9babf: version 8, none of the server's, churn's or campaigns' tables) is brought up to date
 * when it is opened: migrations 9-11 create the API keys, member scores and campaign tables, and
 * the records work. Simulated on a current store by dropping those tables and setting the
 * version back to 8. A store at version 12 gets migration 13's indexes for the due-lot
 * look-up the same way, and a store at version 8 that already had the campaign tables (4a04d6a)
 * keeps them. Both backends. */
#include "helpers.h"
#include "test.h"
#include "patron/error.h"
#include "patron/store.h"
#include "patron/store_apikey.h"
#include "patron/store_campaign.h"
#include "patron/store_ledger.h"
#include "patron/store_score.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AS_MADE_BY_0E9BABF                                                                      \
    "DROP TABLE outbox_deliveries; DROP TABLE outbox; DROP TABLE trigger_fires; DROP TABLE campaign_members;" \
    " DROP TABLE campaigns; DROP TABLE webhooks; DROP TABLE member_scores; DROP TABLE api_keys;"

/* Runs sql on the store at url outside Patron. 0 on success. */
static int raw_sql(enum test_backend be, const char *url, const char *sql)
{
    if (be == TEST_SQLITE) {
        sqlite3 *db = NULL;
        int rc = sqlite3_open(url + strlen("sqlite:"), &db) != SQLITE_OK ||
                 sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK;
        sqlite3_close(db);
        return rc;
    }
    PGconn *c = PQconnectdb(url);
    PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
    int rc = !r || PQresultStatus(r) != PGRES_COMMAND_OK;
    PQclear(r);
    PQfinish(c);
    return rc;
}

static int count_key(void *ud, const pt_apikey_rec *r)
{
    (void)r;
    ++*(int *)ud;
    return 0;
}

static int count_campaign(void *ud, const pt_campaign_rec *r)
{
    (void)r;
    ++*(int *)ud;
    return 0;
}

static int count_delivery(void *ud, const pt_outbox_delivery_rec *r)
{
    (void)r;
    ++*(int *)ud;
    return 0;
}

static int count_score(void *ud, const pt_score_rec *r)
{
    (void)r;
    ++*(int *)ud;
    return 0;
}

BOTH_TEST(store_at_version_8_without_the_reserved_tables_gets_them_from_migrations_9_to_11)
{
    pt_store *s = test_store_open(be, "v8", NULL);
    ASSERT(s);
    int latest = 0;
    ASSERT_OK(pt_store_schema_version(s, &latest));
    ASSERT_GE(latest, 11);
    pt_store_close(s);

    const char *url = test_store_url(be, "v8", NULL);
    char sql[1024];
    snprintf(sql, sizeof sql, "%s %s", AS_MADE_BY_0E9BABF,
             be == TEST_SQLITE ? "PRAGMA user_version = 8;" : "DELETE FROM schema_version WHERE version > 8;");
    ASSERT_EQ(raw_sql(be, url, sql), 0);

    s = test_store_open(be, "v8", NULL);
    ASSERT(s);
    int v = 0;
    ASSERT_OK(pt_store_schema_version(s, &v));
    ASSERT_EQ(v, latest);
    /* each table is there and works */
    pt_apikey_rec k = {.created_at = 1};
    snprintf(k.name, sizeof k.name, "ops");
    snprintf(k.role, sizeof k.role, "admin");
    snprintf(k.prefix, sizeof k.prefix, "pk_test");
    memset(k.hash, 7, sizeof k.hash);
    ASSERT_OK(pt_store_apikey_insert(s, &k));
    int n = 0;
    ASSERT_OK(pt_store_apikey_list(s, count_key, &n));
    ASSERT_EQ(n, 1);
    n = 0;
    ASSERT_OK(pt_store_campaign_list(s, count_campaign, &n));
    ASSERT_EQ(n, 0);
    n = 0;
    ASSERT_OK(pt_store_score_scan(s, "churn:xgb", 0, count_score, &n));
    ASSERT_EQ(n, 0);
    n = 0; /* outbox_deliveries (migration 14) is back too */
    ASSERT_OK(pt_store_outbox_delivery_list(s, 1, 1, count_delivery, &n));
    ASSERT_EQ(n, 0);
    pt_store_close(s);
}

static int count_webhook(void *ud, const pt_webhook_rec *r)
{
    (void)r;
    ++*(int *)ud;
    return 0;
}

/* The build at 4a04d6a made the campaign tables in its migration 8 (the same columns as today's
 * migration 11) but had no API keys, member scores or per-endpoint deliveries. Such a store
 * opens: migrations 9-11 create only what is missing (IF NOT EXISTS), and its campaign data
 * stays. */
BOTH_TEST(store_at_version_8_with_the_campaign_tables_of_4a04d6a_opens_and_keeps_them)
{
    pt_store *s = test_store_open(be, "v8c", NULL);
    ASSERT(s);
    int latest = 0;
    ASSERT_OK(pt_store_schema_version(s, &latest));
    pt_webhook_rec w = {.active = 1, .created_at = 1};
    snprintf(w.url, sizeof w.url, "http://127.0.0.1:9/hook");
    snprintf(w.secret, sizeof w.secret, "s3cret");
    ASSERT_OK(pt_store_webhook_insert(s, &w));
    pt_store_close(s);

    const char *url = test_store_url(be, "v8c", NULL);
    char sql[1024];
    snprintf(sql, sizeof sql, "DROP TABLE outbox_deliveries; DROP TABLE member_scores; DROP TABLE api_keys; %s",
             be == TEST_SQLITE ? "PRAGMA user_version = 8;" : "DELETE FROM schema_version WHERE version > 8;");
    ASSERT_EQ(raw_sql(be, url, sql), 0);

    s = test_store_open(be, "v8c", NULL);
    ASSERT(s);
    int v = 0;
    ASSERT_OK(pt_store_schema_version(s, &v));
    ASSERT_EQ(v, latest);
    int n = 0;
    ASSERT_OK(pt_store_webhook_list(s, count_webhook, &n));
    ASSERT_EQ(n, 1); /* kept */
    n = 0;
    ASSERT_OK(pt_store_apikey_list(s, count_key, &n));
    ASSERT_EQ(n, 0); /* created */
    pt_store_close(s);
}

/* The number the query sql (one row, one integer column) gives on the store at url outside
 * Patron; -1 on error. */
static long long raw_count(enum test_backend be, const char *url, const char *sql)
{
    long long n = -1;
    if (be == TEST_SQLITE) {
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        if (sqlite3_open(url + strlen("sqlite:"), &db) == SQLITE_OK &&
            sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(db);
        return n;
    }
    PGconn *c = PQconnectdb(url);
    PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
    if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    PQfinish(c);
    return n;
}

#define M13_INDEXES_SQLITE                                                                      \
    "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN"                      \
    " ('lots_member_release', 'lots_member_expire')"
#define M13_INDEXES_PG                                                                          \
    "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname IN"     \
    " ('lots_member_release', 'lots_member_expire')"

/* The lots of one member due at 2000: a pending lot come due and an available one expired,
 * beside four that are not (pending later, available later, spent, never expiring). Returns
 * the member's id, the two due lots' ids in due[]. */
static int64_t member_with_lots(pt_store *s, int64_t due[2])
{
    pt_member_rec m;
    pt_member_rec_init(&m);
    snprintf(m.member_no, sizeof m.member_no, "M13");
    m.status = PT_MEMBER_ACTIVE;
    m.registered_at = m.created_at = m.updated_at = 100;
    snprintf(m.reg_channel, sizeof m.reg_channel, "store");
    int rc = pt_store_member_insert(s, &m);
    pt_member_rec_free(&m);
    if (rc)
        return -1;
    static const struct { int64_t available_at, expires_at, remaining; int state; } lots[] = {
        {900, 5000, 10, PT_LOT_PENDING}, {100, 1500, 10, PT_LOT_AVAILABLE}, {2001, 5000, 10, PT_LOT_PENDING},
        {100, 3000, 10, PT_LOT_AVAILABLE}, {100, 1500, 0, PT_LOT_AVAILABLE}, {100, 0, 10, PT_LOT_AVAILABLE},
    };
    for (int i = 0; i < 6; i++) {
        pt_lot_rec l = {.member_id = m.id, .entry_id = i + 1, .earned_at = 100, .available_at = lots[i].available_at,
                        .expires_at = lots[i].expires_at, .points = 10, .remaining = lots[i].remaining,
                        .state = lots[i].state};
        if (pt_store_lot_insert(s, &l))
            return -1;
        if (i < 2)
            due[i] = l.id;
    }
    return m.id;
}

struct ids {
    int64_t id[8];
    int     n;
};

static int collect_lot(void *ud, const pt_lot_rec *r)
{
    struct ids *x = ud;
    if (x->n < 8)
        x->id[x->n++] = r->id;
    return 0;
}

BOTH_TEST(store_at_version_12_gets_the_due_lot_indexes_from_migration_13)
{
    pt_store *s = test_store_open(be, "v12", NULL);
    ASSERT(s);
    int latest = 0;
    ASSERT_OK(pt_store_schema_version(s, &latest));
    ASSERT_GE(latest, 13);
    int64_t due[2] = {0, 0};
    int64_t m = member_with_lots(s, due);
    ASSERT_GT(m, 0);
    pt_store_close(s);

    const char *url = test_store_url(be, "v12", NULL);
    const char *count = be == TEST_SQLITE ? M13_INDEXES_SQLITE : M13_INDEXES_PG;
    ASSERT_EQ(raw_count(be, url, count), 2);
    ASSERT_EQ(raw_sql(be, url,
                      be == TEST_SQLITE ? "DROP INDEX lots_member_release; DROP INDEX lots_member_expire;"
                                          " PRAGMA user_version = 12;"
                                        : "DROP INDEX lots_member_release; DROP INDEX lots_member_expire;"
                                          " DELETE FROM schema_version WHERE version > 12;"),
              0);
    ASSERT_EQ(raw_count(be, url, count), 0);

    s = test_store_open(be, "v12", NULL);
    ASSERT(s);
    int v = 0;
    ASSERT_OK(pt_store_schema_version(s, &v));
    ASSERT_EQ(v, latest);
    ASSERT_EQ(raw_count(be, url, count), 2);
    struct ids got = {{0}, 0};
    ASSERT_OK(pt_store_lot_list_due(s, m, 2000, collect_lot, &got));
    ASSERT_EQ(got.n, 2);
    ASSERT_EQ(got.id[0], due[0]);
    ASSERT_EQ(got.id[1], due[1]);
    pt_store_close(s);
}

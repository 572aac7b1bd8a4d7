/* test_store_migrations.c — a store made by the build that reserved migrations 6-8 as no-ops
 * (0e9babf: version 8, none of the server's, churn's or campaigns' tables) is brought up to date
 * when it is opened: migrations 9-11 create the API keys, member scores and campaign tables, and
 * the records work. Simulated on a current store by dropping those tables and setting the
 * version back to 8. Both backends. */
#include "helpers.h"
#include "test.h"
#include "patron/error.h"
#include "patron/store.h"
#include "patron/store_apikey.h"
#include "patron/store_campaign.h"
#include "patron/store_score.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
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

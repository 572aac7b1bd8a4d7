/* test_store.c — the store interface, run on every backend from one source: migrations,
 * transactions and savepoints, unique keys as PT_EEXIST (and the transaction staying usable),
 * record round trips, merges moving rows and back, streaming scans with re-entrant callbacks,
 * error mapping and messages without row values, and durability across reopen.
 *
 * STORE_TEST(name) defines one body taking the backend and registers name_on_sqlite and
 * name_on_postgres. The PostgreSQL variants need PATRON_TEST_PG (a URL of a server the tests
 * may create schemas on; scripts/run-tests starts a throwaway one) and skip without it. Each
 * PostgreSQL store lives in a fresh schema, selected through the URL's search_path option. */
#include "helpers.h"
#include "test.h"
#include "patron/error.h"
#include "patron/store.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum backend { BE_SQLITE, BE_POSTGRES };

static const char *pg_base(void)
{
    const char *u = getenv("PATRON_TEST_PG");
    return u && *u ? u : NULL;
}

#define STORE_TEST(name)                                                                       \
    static void store_##name(enum backend be);                                                 \
    TEST(name##_on_sqlite)                                                                     \
    {                                                                                          \
        store_##name(BE_SQLITE);                                                               \
    }                                                                                          \
    TEST(name##_on_postgres)                                                                   \
    {                                                                                          \
        if (!pg_base())                                                                        \
            SKIP("PATRON_TEST_PG is unset (scripts/run-tests starts a throwaway PostgreSQL)"); \
        store_##name(BE_POSTGRES);                                                             \
    }                                                                                          \
    static void store_##name(enum backend be)

/* --- backends --------------------------------------------------------------------------------- */

/* The schema of a PostgreSQL test store: unique per test (from its temp dir) and name. */
static void pg_schema(const char *name, char *out, size_t cap)
{
    const char *t = pt_test_tmpdir();
    const char *b = strrchr(t, '-');
    size_t n = (size_t)snprintf(out, cap, "t_");
    for (b = b ? b + 1 : t; *b && n + 3 < cap; b++)
        n += (size_t)snprintf(out + n, cap - n, "%02x", (unsigned char)*b);
    snprintf(out + n, cap - n, "_%s", name);
}

static void no_notice(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* Runs SQL on a maintenance connection to PATRON_TEST_PG; returns the first column of the
 * first row as a number (0 when none) or -1 on failure. */
static long long pg_sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long long pg_sql(const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    PGconn *c = PQconnectdb(pg_base());
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "    maintenance connection: %s", PQerrorMessage(c));
        PQfinish(c);
        return -1;
    }
    PQsetNoticeProcessor(c, no_notice, NULL);
    PGresult *r = PQexec(c, sql);
    long long v = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK)
        v = PQntuples(r) && PQnfields(r) ? atoll(PQgetvalue(r, 0, 0)) : 0;
    else if (PQresultStatus(r) == PGRES_COMMAND_OK)
        v = 0;
    else
        fprintf(stderr, "    %s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return v;
}

/* The URL of test store `name`; `options` adds server settings (URL-encoded, each starting with
 * "%20-c") for PostgreSQL. Creates the PostgreSQL schema on first use. */
static const char *store_url(enum backend be, const char *name, const char *options)
{
    static char url[4200];
    if (be == BE_SQLITE) {
        snprintf(url, sizeof url, "sqlite:%s/%s.db", pt_test_tmpdir(), name);
        return url;
    }
    char schema[128];
    pg_schema(name, schema, sizeof schema);
    if (pg_sql("CREATE SCHEMA IF NOT EXISTS %s", schema) < 0)
        return NULL;
    const char *base = pg_base();
    snprintf(url, sizeof url, "%s%soptions=-csearch_path%%3D%s%s", base, strchr(base, '?') ? "&" : "?", schema,
             options ? options : "");
    return url;
}

static pt_store *open_store_with(enum backend be, const char *name, const char *options)
{
    char err[512] = "";
    const char *url = store_url(be, name, options);
    pt_store *s = NULL;
    if (!url)
        return NULL;
    int rc = pt_store_open(&s, url, err, sizeof err);
    if (rc)
        fprintf(stderr, "    open %s: %s (%s)\n", name, err, pt_errname(rc));
    return s;
}

static pt_store *open_store(enum backend be, const char *name)
{
    return open_store_with(be, name, NULL);
}

/* Records a schema version as if a newer program had written the store. */
static int bump_schema_version(enum backend be, const char *name, int version)
{
    if (be == BE_SQLITE) {
        char path[4200], sql[64];
        snprintf(path, sizeof path, "%s/%s.db", pt_test_tmpdir(), name);
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", version);
        sqlite3 *db = NULL;
        int src = sqlite3_open(path, &db);
        if (src == SQLITE_OK)
            src = sqlite3_exec(db, sql, NULL, NULL, NULL);
        sqlite3_close(db);
        return src == SQLITE_OK ? 0 : -1;
    }
    char schema[128];
    pg_schema(name, schema, sizeof schema);
    return pg_sql("INSERT INTO %s.schema_version (version) VALUES (%d)", schema, version) < 0 ? -1 : 0;
}

/* --- records ---------------------------------------------------------------------------------- */

static int64_t add_order_at(pt_store *s, int64_t member, const char *no, int64_t cents, int64_t at)
{
    pt_order_rec o = {.member_id = member, .ordered_at = at, .amount_cents = cents, .status = PT_ORDER_PAID};
    snprintf(o.order_no, sizeof o.order_no, "%s", no);
    snprintf(o.source, sizeof o.source, "pos");
    return pt_store_order_insert(s, &o) ? -1 : o.id;
}

static int64_t add_order(pt_store *s, int64_t member, const char *no, int64_t cents)
{
    return add_order_at(s, member, no, cents, 1700000100);
}

/* --- tests ------------------------------------------------------------------------------------ */

STORE_TEST(store_open_applies_migrations_and_reports_the_schema_version)
{
    pt_store *s = open_store(be, "mig");
    ASSERT(s);
    int v = 0;
    ASSERT_OK(pt_store_schema_version(s, &v));
    ASSERT_GE(v, 1);
    ASSERT_STR_EQ(pt_store_backend(s), be == BE_SQLITE ? "sqlite" : "postgres");
    pt_store_close(s);
}

STORE_TEST(store_refuses_a_store_written_by_a_newer_schema)
{
    pt_store *s = open_store(be, "newer");
    ASSERT(s);
    pt_store_close(s);
    ASSERT_OK(bump_schema_version(be, "newer", 999));
    char err[512] = "";
    s = NULL;
    ASSERT_EQ(pt_store_open(&s, store_url(be, "newer", NULL), err, sizeof err), PT_ESCHEMA);
    ASSERT(s == NULL);
    ASSERT_STR_CONTAINS(err, "999");
}

STORE_TEST(store_reopening_does_not_run_the_migrations_again)
{
    pt_store *s = open_store(be, "reopen");
    ASSERT(s);
    int v1 = 0, v2 = 0;
    ASSERT_OK(pt_store_schema_version(s, &v1));
    ASSERT_OK(pt_store_meta_set(s, "k", "kept"));
    int64_t a = test_store_member(s, "A");
    ASSERT_GT(a, 0);
    pt_store_close(s);
    char schema[128];
    long long applied = 0;
    if (be == BE_POSTGRES) {
        pg_schema("reopen", schema, sizeof schema);
        applied = pg_sql("SELECT extract(epoch FROM max(applied_at)) * 1000000 FROM %s.schema_version", schema);
        ASSERT_GT(applied, 0);
    }
    for (int i = 0; i < 2; i++) {
        s = open_store(be, "reopen");
        ASSERT(s);
        ASSERT_OK(pt_store_schema_version(s, &v2));
        ASSERT_EQ(v2, v1);
        pt_buf v;
        pt_buf_init(&v, 64);
        ASSERT_OK(pt_store_meta_get(s, "k", &v));
        ASSERT_STR_EQ(pt_buf_str(&v), "kept");
        pt_buf_free(&v);
        pt_store_close(s);
    }
    if (be == BE_POSTGRES) {
        /* one row per migration, each applied once, at the first open */
        ASSERT_EQ(pg_sql("SELECT count(*) FROM %s.schema_version", schema), v1);
        ASSERT_EQ(pg_sql("SELECT extract(epoch FROM max(applied_at)) * 1000000 FROM %s.schema_version", schema),
                  applied);
    }
}

TEST(store_rejects_an_unknown_backend_with_a_clear_message)
{
    pt_store *s = NULL;
    char err[256] = "";
    ASSERT_EQ(pt_store_open(&s, "", err, sizeof err), PT_EINVAL);
    ASSERT_EQ(pt_store_open(&s, "sqlite:", err, sizeof err), PT_EINVAL);
    ASSERT_STR_CONTAINS(err, "names no file");
}

TEST(store_postgres_connection_failure_is_eio_and_does_not_echo_the_url)
{
    pt_store *s = NULL;
    char err[512] = "";
    ASSERT_EQ(pt_store_open(&s, "postgresql://patron:hunter2@/nodb?host=/nonexistent-patron-dir", err, sizeof err),
              PT_EIO);
    ASSERT(s == NULL);
    ASSERT_STR_CONTAINS(err, "connecting");
    ASSERT(strstr(err, "hunter2") == NULL);
}

STORE_TEST(store_meta_round_trips_and_reports_absent_keys)
{
    pt_store *s = open_store(be, "meta");
    ASSERT(s);
    pt_buf v;
    pt_buf_init(&v, 1024);
    ASSERT_EQ(pt_store_meta_get(s, "k", &v), PT_ENOTFOUND);
    ASSERT_OK(pt_store_meta_set(s, "k", "one"));
    ASSERT_OK(pt_store_meta_set(s, "k", "two"));
    ASSERT_OK(pt_store_meta_get(s, "k", &v));
    ASSERT_STR_EQ(pt_buf_str(&v), "two");
    ASSERT_OK(pt_store_meta_set(s, "empty", ""));
    ASSERT_OK(pt_store_meta_get(s, "empty", &v));
    ASSERT_STR_EQ(pt_buf_str(&v), "");
    pt_buf_free(&v);
    pt_store_close(s);
}

STORE_TEST(store_member_round_trips_every_column)
{
    pt_store *s = open_store(be, "member");
    ASSERT(s);
    pt_member_rec m, g;
    pt_member_rec_init(&m);
    pt_member_rec_init(&g);
    snprintf(m.member_no, sizeof m.member_no, "M000000001");
    m.status = PT_MEMBER_FROZEN;
    m.registered_at = 1600000000;
    snprintf(m.reg_channel, sizeof m.reg_channel, "app");
    m.gender = 'F';
    snprintf(m.region, sizeof m.region, "浙江");
    m.consent = PT_CONSENT_BIT(PT_CONSENT_SMS) | PT_CONSENT_BIT(PT_CONSENT_ANALYTICS);
    m.consent_at[PT_CONSENT_SMS] = 1600000001;
    m.consent_at[PT_CONSENT_EMAIL] = 1600000002;
    m.consent_at[PT_CONSENT_ANALYTICS] = -5; /* before 1970: negative seconds survive */
    m.created_at = 1600000003;
    m.updated_at = INT64_MAX;
    ASSERT_OK(pt_buf_set(&m.key_wrapped, "\x00\x01wrapped", 9));
    ASSERT_OK(pt_buf_set(&m.pii, "sealed\x00bytes", 12));
    ASSERT_OK(pt_buf_append_str(&m.provenance, "{\"name\":[\"app\",1]}"));
    ASSERT_OK(pt_store_member_insert(s, &m));
    ASSERT_GT(m.id, 0);
    ASSERT_OK(pt_store_member_get(s, m.id, &g));
    ASSERT_STR_EQ(g.member_no, "M000000001");
    ASSERT_EQ(g.status, PT_MEMBER_FROZEN);
    ASSERT_EQ(g.registered_at, 1600000000);
    ASSERT_STR_EQ(g.reg_channel, "app");
    ASSERT_EQ(g.gender, 'F');
    ASSERT_STR_EQ(g.region, "浙江");
    ASSERT_EQ(g.consent, m.consent);
    ASSERT_EQ(g.consent_at[PT_CONSENT_EMAIL], 1600000002);
    ASSERT_EQ(g.consent_at[PT_CONSENT_ANALYTICS], -5);
    ASSERT_EQ(g.updated_at, INT64_MAX);
    ASSERT_EQ(g.merged_into, 0);
    ASSERT_EQ(g.key_wrapped.len, 9);
    ASSERT_EQ(memcmp(g.key_wrapped.data, "\x00\x01wrapped", 9), 0);
    ASSERT_EQ(g.pii.len, 12);
    ASSERT_EQ(memcmp(g.pii.data, "sealed\x00bytes", 12), 0);
    ASSERT_STR_EQ(pt_buf_str(&g.provenance), "{\"name\":[\"app\",1]}");
    g.gender = 0;
    g.status = PT_MEMBER_ACTIVE;
    pt_buf_reset(&g.pii); /* erased: the column becomes empty */
    ASSERT_OK(pt_store_member_update(s, &g));
    ASSERT_OK(pt_store_member_get_by_no(s, "M000000001", &m));
    ASSERT_EQ(m.gender, 0);
    ASSERT_EQ(m.status, PT_MEMBER_ACTIVE);
    ASSERT_EQ(m.pii.len, 0);
    ASSERT_EQ(m.key_wrapped.len, 9);
    ASSERT_EQ(pt_store_member_get(s, 999, &m), PT_ENOTFOUND);
    ASSERT_EQ(pt_store_member_get_by_no(s, "nobody", &m), PT_ENOTFOUND);
    g.id = 999;
    ASSERT_EQ(pt_store_member_update(s, &g), PT_ENOTFOUND);
    pt_member_rec_free(&m);
    pt_member_rec_free(&g);
    pt_store_close(s);
}

STORE_TEST(store_unique_keys_fail_with_eexist_and_leave_the_transaction_usable)
{
    pt_store *s = open_store(be, "unique");
    ASSERT(s);
    ASSERT_OK(pt_store_begin(s));
    int64_t a = test_store_member(s, "M1");
    ASSERT_GT(a, 0);
    ASSERT_EQ(test_store_member(s, "M1"), -1);
    ASSERT_GT(test_store_member(s, ""), 0); /* empty numbers do not collide */
    ASSERT_GT(test_store_member(s, ""), 0);
    ASSERT_GT(add_order(s, a, "O-1", 100), 0);
    pt_order_rec dup = {.member_id = a, .status = PT_ORDER_PAID};
    snprintf(dup.order_no, sizeof dup.order_no, "O-1");
    ASSERT_EQ(pt_store_order_insert(s, &dup), PT_EEXIST);
    pt_identity_rec id;
    pt_identity_rec_init(&id);
    id.member_id = a;
    id.kind = PT_ID_PHONE;
    memset(id.blind, 7, sizeof id.blind);
    ASSERT_OK(pt_store_identity_insert(s, &id));
    ASSERT_EQ(pt_store_identity_insert(s, &id), PT_EEXIST);
    id.kind = PT_ID_EMAIL; /* the same blind under another kind is another identifier */
    ASSERT_OK(pt_store_identity_insert(s, &id));
    pt_identity_rec_free(&id);
    ASSERT_OK(pt_store_commit(s));
    pt_store_stats st;
    ASSERT_OK(pt_store_stats_get(s, &st));
    ASSERT_EQ(st.members, 3);
    ASSERT_EQ(st.orders, 1);
    ASSERT_EQ(st.identities, 2);
    pt_store_close(s);
}

/* What importers rely on: inside one long transaction, every kind of duplicate (and a missing
 * parent) fails alone and the transaction carries on to commit what succeeded. */
STORE_TEST(store_every_failed_insert_inside_a_transaction_leaves_it_usable)
{
    pt_store *s = open_store(be, "longtx");
    ASSERT(s);
    ASSERT_OK(pt_store_begin(s));
    int64_t a = test_store_member(s, "A"), b = test_store_member(s, "B");
    int64_t o = add_order(s, a, "O1", 100);
    ASSERT_GT(o, 0);
    ASSERT_EQ(add_order(s, b, "O1", 100), -1);
    ASSERT_EQ(add_order(s, 987654, "O2", 100), -1); /* no such member */
    ASSERT_STR_CONTAINS(pt_store_errmsg(s), "FOREIGN KEY");
    pt_item_rec it = {.order_id = o, .member_id = a, .line_no = 1, .qty = 1, .unit_cents = 100, .amount_cents = 100};
    snprintf(it.sku, sizeof it.sku, "SKU");
    ASSERT_OK(pt_store_item_insert(s, &it));
    ASSERT_EQ(pt_store_item_insert(s, &it), PT_EEXIST);
    it.order_id = 987654;
    ASSERT_EQ(pt_store_item_insert(s, &it), PT_EINVAL);
    pt_event_rec e = {.member_id = a, .at = 5};
    snprintf(e.kind, sizeof e.kind, "checkin");
    snprintf(e.source, sizeof e.source, "app");
    ASSERT_OK(pt_store_event_insert(s, &e));
    ASSERT_EQ(pt_store_event_insert(s, &e), PT_EEXIST);
    pt_survey_rec v = {.member_id = a, .at = 5, .score = 9};
    snprintf(v.survey, sizeof v.survey, "nps");
    ASSERT_OK(pt_store_survey_insert(s, &v));
    ASSERT_EQ(pt_store_survey_insert(s, &v), PT_EEXIST);
    pt_merge_rec mr;
    pt_merge_rec_init(&mr);
    mr.survivor_id = a;
    mr.loser_id = 987654;
    ASSERT_EQ(pt_store_merge_insert(s, &mr), PT_EINVAL);
    mr.loser_id = b;
    ASSERT_OK(pt_store_merge_insert(s, &mr));
    ASSERT_OK(pt_store_merge_moved_add(s, mr.id, PT_ROW_IDENTITY, 1));
    ASSERT_EQ(pt_store_merge_moved_add(s, mr.id, PT_ROW_IDENTITY, 1), PT_EEXIST);
    pt_merge_rec_free(&mr);
    /* updates: a taken member number, a missing merge target */
    pt_member_rec m;
    pt_member_rec_init(&m);
    ASSERT_OK(pt_store_member_get(s, b, &m));
    snprintf(m.member_no, sizeof m.member_no, "A");
    ASSERT_EQ(pt_store_member_update(s, &m), PT_EEXIST);
    snprintf(m.member_no, sizeof m.member_no, "B");
    m.merged_into = 987654;
    ASSERT_EQ(pt_store_member_update(s, &m), PT_EINVAL);
    m.merged_into = a;
    ASSERT_OK(pt_store_member_update(s, &m));
    pt_member_rec_free(&m);
    ASSERT_GT(test_store_member(s, "C"), 0);
    ASSERT_OK(pt_store_commit(s));
    pt_store_stats st;
    ASSERT_OK(pt_store_stats_get(s, &st));
    ASSERT_EQ(st.members, 3);
    ASSERT_EQ(st.members_merged_away, 1);
    ASSERT_EQ(st.orders, 1);
    ASSERT_EQ(st.items, 1);
    ASSERT_EQ(st.events, 1);
    ASSERT_EQ(st.surveys, 1);
    ASSERT_EQ(st.merges_in_force, 1);
    pt_store_close(s);
}

STORE_TEST(store_unique_violation_messages_hold_no_inserted_value)
{
    pt_store *s = open_store(be, "secret");
    ASSERT(s);
    int64_t a = test_store_member(s, "SECRET-9");
    ASSERT_GT(a, 0);
    ASSERT_GT(add_order(s, a, "SECRET-123", 1), 0);
    ASSERT_EQ(add_order(s, a, "SECRET-123", 1), -1);
    ASSERT_STR_CONTAINS(pt_store_errmsg(s), "UNIQUE");
    ASSERT(strstr(pt_store_errmsg(s), "SECRET-123") == NULL);
    ASSERT_EQ(test_store_member(s, "SECRET-9"), -1);
    ASSERT(strstr(pt_store_errmsg(s), "SECRET") == NULL);
    int64_t b = test_store_member(s, "OTHER");
    pt_member_rec m;
    pt_member_rec_init(&m);
    ASSERT_OK(pt_store_member_get(s, b, &m));
    snprintf(m.member_no, sizeof m.member_no, "SECRET-9");
    ASSERT_EQ(pt_store_member_update(s, &m), PT_EEXIST);
    ASSERT(strstr(pt_store_errmsg(s), "SECRET") == NULL);
    pt_member_rec_free(&m);
    pt_store_close(s);
}

STORE_TEST(store_savepoint_rollback_undoes_only_the_inner_work)
{
    pt_store *s = open_store(be, "nest");
    ASSERT(s);
    ASSERT_OK(pt_store_begin(s));
    int64_t a = test_store_member(s, "A");
    ASSERT_OK(pt_store_begin(s));
    ASSERT_EQ(pt_store_in_tx(s), 1);
    test_store_member(s, "B");
    ASSERT_OK(pt_store_rollback(s));
    ASSERT_OK(pt_store_begin(s));
    test_store_member(s, "C");
    ASSERT_OK(pt_store_commit(s));
    ASSERT_OK(pt_store_commit(s));
    ASSERT_EQ(pt_store_in_tx(s), 0);
    pt_member_rec m;
    pt_member_rec_init(&m);
    ASSERT_OK(pt_store_member_get(s, a, &m));
    ASSERT_EQ(pt_store_member_get_by_no(s, "B", &m), PT_ENOTFOUND);
    ASSERT_OK(pt_store_member_get_by_no(s, "C", &m));
    pt_member_rec_free(&m);
    ASSERT_EQ(pt_store_commit(s), PT_ESTATE);
    ASSERT_EQ(pt_store_rollback(s), PT_ESTATE);
    pt_store_close(s);
}

STORE_TEST(store_closing_with_an_open_transaction_keeps_nothing_of_it)
{
    pt_store *s = open_store(be, "close");
    ASSERT(s);
    test_store_member(s, "kept");
    ASSERT_OK(pt_store_begin(s));
    test_store_member(s, "lost");
    pt_store_close(s);
    s = open_store(be, "close");
    ASSERT(s);
    pt_store_stats st;
    ASSERT_OK(pt_store_stats_get(s, &st));
    ASSERT_EQ(st.members, 1);
    pt_store_close(s);
}

struct collect {
    int64_t ids[16];
    int     n;
};

static int collect_order(void *ud, const pt_order_rec *r)
{
    struct collect *c = ud;
    if (c->n < 16)
        c->ids[c->n++] = r->id;
    return 0;
}

static int collect_event(void *ud, const pt_event_rec *r)
{
    struct collect *c = ud;
    if (c->n < 16)
        c->ids[c->n++] = r->id;
    return 0;
}

static int stop_at_first(void *ud, const pt_order_rec *r)
{
    (void)r;
    ++*(int *)ud;
    return 42;
}

STORE_TEST(store_iteration_stops_when_the_callback_returns_nonzero)
{
    pt_store *s = open_store(be, "iter");
    ASSERT(s);
    int64_t a = test_store_member(s, "A");
    add_order(s, a, "O1", 1);
    add_order(s, a, "O2", 2);
    int calls = 0;
    ASSERT_EQ(pt_store_order_list(s, a, stop_at_first, &calls), 42);
    ASSERT_EQ(calls, 1);
    calls = 0;
    ASSERT_EQ(pt_store_order_scan(s, stop_at_first, &calls), 42); /* the statement was reset */
    ASSERT_EQ(calls, 1);
    calls = 0;
    ASSERT_OK(pt_store_begin(s));
    ASSERT_EQ(pt_store_order_scan(s, stop_at_first, &calls), 42); /* and inside a transaction */
    ASSERT_EQ(pt_store_order_scan(s, stop_at_first, &calls), 42);
    ASSERT_OK(pt_store_commit(s));
    ASSERT_EQ(calls, 2);
    pt_store_close(s);
}

struct nested {
    pt_store *s;
    int       inner;
};

static int list_again(void *ud, const pt_order_rec *r)
{
    struct nested *n = ud;
    struct collect c = {0};
    int rc = pt_store_order_list(n->s, r->member_id, collect_order, &c);
    n->inner += c.n;
    return rc;
}

STORE_TEST(store_callbacks_may_reenter_the_same_query)
{
    pt_store *s = open_store(be, "reenter");
    ASSERT(s);
    int64_t a = test_store_member(s, "A");
    add_order(s, a, "O1", 1);
    add_order(s, a, "O2", 2);
    struct nested n = {s, 0};
    ASSERT_OK(pt_store_order_list(s, a, list_again, &n));
    ASSERT_EQ(n.inner, 4);
    n.inner = 0;
    ASSERT_OK(pt_store_order_scan(s, list_again, &n));
    ASSERT_EQ(n.inner, 4);
    pt_store_close(s);
}

/* Full scans stream in batches; callbacks may write (outside a transaction: each write
 * commits on its own; inside one: the scan sees the transaction's rows) and nest scans. */
struct touch {
    pt_store *s;
    int       members;
    int64_t   orders;
    int       rc;
};

static int count_orders(void *ud, const pt_order_rec *r)
{
    (void)r;
    ((struct touch *)ud)->orders++;
    return 0;
}

static int touch_member(void *ud, const pt_member_rec *r)
{
    struct touch *t = ud;
    pt_member_rec m = *r; /* borrowed buffers: update only reads them */
    m.updated_at = r->updated_at + 1;
    if (t->members++ == 0) {
        int rc = pt_store_order_scan(t->s, count_orders, t); /* a scan inside a scan */
        if (rc)
            return rc;
    }
    /* every 50th (and the last): outside a transaction each update is a durable commit */
    return r->id % 50 == 0 || strcmp(r->member_no, "M2099") == 0 ? pt_store_member_update(t->s, &m) : 0;
}

STORE_TEST(store_scans_stream_many_rows_and_callbacks_may_write)
{
    enum { MEMBERS = 2100, ORDERS = 10050 };
    pt_store *s = open_store(be, "scan");
    ASSERT(s);
    ASSERT_OK(pt_store_begin(s));
    int64_t first = 0;
    for (int i = 0; i < MEMBERS; i++) {
        char no[16];
        snprintf(no, sizeof no, "M%d", i);
        int64_t id = test_store_member(s, no);
        ASSERT_GT(id, 0);
        if (!first)
            first = id;
    }
    for (int i = 0; i < ORDERS; i++) {
        char no[32];
        snprintf(no, sizeof no, "O%d", i);
        ASSERT_GT(add_order_at(s, first + i % 7, no, 1, i), 0);
    }
    struct touch t = {s, 0, 0, 0};
    ASSERT_OK(pt_store_member_scan(s, touch_member, &t)); /* inside the transaction */
    ASSERT_EQ(t.members, MEMBERS);
    ASSERT_EQ(t.orders, ORDERS);
    ASSERT_OK(pt_store_commit(s));
    t = (struct touch){s, 0, 0, 0};
    ASSERT_OK(pt_store_member_scan(s, touch_member, &t)); /* outside: each update commits */
    ASSERT_EQ(t.members, MEMBERS);
    ASSERT_EQ(t.orders, ORDERS);
    pt_member_rec m;
    pt_member_rec_init(&m);
    ASSERT_OK(pt_store_member_get_by_no(s, "M2099", &m));
    ASSERT_EQ(m.updated_at, 1700000002);
    pt_member_rec_free(&m);
    pt_store_close(s);
}

STORE_TEST(store_merge_moves_rows_to_the_survivor_and_undo_moves_the_same_rows_back)
{
    pt_store *s = open_store(be, "merge");
    ASSERT(s);
    int64_t keep = test_store_member(s, "K"), lose = test_store_member(s, "L");
    int64_t o1 = add_order(s, lose, "O1", 500);
    add_order(s, keep, "O2", 700);
    pt_item_rec it = {.order_id = o1, .member_id = lose, .line_no = 1, .qty = 1, .unit_cents = 500, .amount_cents = 500};
    snprintf(it.sku, sizeof it.sku, "SKU1");
    ASSERT_OK(pt_store_item_insert(s, &it));
    ASSERT_EQ(pt_store_item_insert(s, &it), PT_EEXIST);
    pt_event_rec e = {.member_id = lose, .at = 10, .value = 5};
    snprintf(e.kind, sizeof e.kind, "checkin");
    snprintf(e.source, sizeof e.source, "app");
    ASSERT_OK(pt_store_event_insert(s, &e));
    pt_event_rec same = e;
    same.member_id = keep; /* the survivor has the very same event: it stays with the loser */
    ASSERT_OK(pt_store_event_insert(s, &same));
    pt_event_rec other = e;
    other.at = 11;
    ASSERT_OK(pt_store_event_insert(s, &other));
    pt_survey_rec sv = {.member_id = lose, .at = 10, .score = 7};
    snprintf(sv.survey, sizeof sv.survey, "nps");
    ASSERT_OK(pt_store_survey_insert(s, &sv));
    pt_survey_rec sv_same = sv;
    sv_same.member_id = keep;
    ASSERT_OK(pt_store_survey_insert(s, &sv_same));

    pt_merge_rec mr;
    pt_merge_rec_init(&mr);
    mr.survivor_id = keep;
    mr.loser_id = lose;
    mr.merged_at = 20;
    snprintf(mr.reason, sizeof mr.reason, "phone");
    ASSERT_OK(pt_buf_set(&mr.survivor_before, "\x00sealed", 7));
    ASSERT_OK(pt_store_begin(s));
    ASSERT_OK(pt_store_merge_insert(s, &mr));
    ASSERT_OK(pt_store_member_move_rows(s, mr.id, lose, keep));
    ASSERT_OK(pt_store_commit(s));

    struct collect c = {0};
    ASSERT_OK(pt_store_order_list(s, keep, collect_order, &c));
    ASSERT_EQ(c.n, 2);
    memset(&c, 0, sizeof c);
    ASSERT_OK(pt_store_event_list(s, lose, collect_event, &c));
    ASSERT_EQ(c.n, 1); /* the duplicate */
    memset(&c, 0, sizeof c);
    ASSERT_OK(pt_store_event_list(s, keep, collect_event, &c));
    ASSERT_EQ(c.n, 2);
    pt_merge_rec g;
    pt_merge_rec_init(&g);
    ASSERT_OK(pt_store_merge_get(s, mr.id, &g));
    ASSERT_EQ(g.survivor_before.len, 7);
    ASSERT_EQ(memcmp(g.survivor_before.data, "\x00sealed", 7), 0);

    ASSERT_OK(pt_store_member_unmove_rows(s, mr.id, lose));
    ASSERT_OK(pt_store_merge_mark_undone(s, mr.id, 30));
    ASSERT_EQ(pt_store_merge_mark_undone(s, mr.id, 31), PT_ENOTFOUND);
    memset(&c, 0, sizeof c);
    ASSERT_OK(pt_store_order_list(s, lose, collect_order, &c));
    ASSERT_EQ(c.n, 1);
    ASSERT_EQ(c.ids[0], o1);
    memset(&c, 0, sizeof c);
    ASSERT_OK(pt_store_event_list(s, lose, collect_event, &c));
    ASSERT_EQ(c.n, 2);
    ASSERT_OK(pt_store_merge_get(s, mr.id, &g));
    ASSERT_EQ(g.undone_at, 30);
    ASSERT_STR_EQ(g.reason, "phone");
    pt_store_stats st;
    ASSERT_OK(pt_store_stats_get(s, &st));
    ASSERT_EQ(st.merges_in_force, 0);
    ASSERT_EQ(st.order_cents, 1200);
    ASSERT_EQ(st.surveys, 2);
    pt_merge_rec_free(&g);
    pt_merge_rec_free(&mr);
    pt_store_close(s);
}

/* Moving rows can fail part-way (here: noting the same rows twice under one merge); the
 * transaction stays usable, and rolling back the savepoint restores the store. */
STORE_TEST(store_a_failed_move_of_rows_leaves_the_transaction_usable)
{
    pt_store *s = open_store(be, "recover");
    ASSERT(s);
    int64_t keep = test_store_member(s, "K"), lose = test_store_member(s, "L");
    add_order(s, lose, "O1", 5);
    pt_merge_rec mr;
    pt_merge_rec_init(&mr);
    mr.survivor_id = keep;
    mr.loser_id = lose;
    ASSERT_OK(pt_store_merge_insert(s, &mr));
    ASSERT_OK(pt_store_begin(s));
    ASSERT_OK(pt_store_begin(s));
    ASSERT_OK(pt_store_member_move_rows(s, mr.id, lose, keep));
    ASSERT_OK(pt_store_member_unmove_rows(s, mr.id, lose));
    ASSERT_EQ(pt_store_member_move_rows(s, mr.id, lose, keep), PT_EEXIST);
    ASSERT_GT(test_store_member(s, "X"), 0);
    ASSERT_OK(pt_store_rollback(s)); /* the savepoint: X and the notes go */
    ASSERT_GT(test_store_member(s, "Y"), 0);
    ASSERT_OK(pt_store_member_move_rows(s, mr.id, lose, keep));
    ASSERT_OK(pt_store_commit(s));
    pt_store_stats st;
    ASSERT_OK(pt_store_stats_get(s, &st));
    ASSERT_EQ(st.members, 3);
    struct collect c = {0};
    ASSERT_OK(pt_store_order_list(s, keep, collect_order, &c));
    ASSERT_EQ(c.n, 1);
    pt_merge_rec_free(&mr);
    pt_store_close(s);
}

static int count_moved(void *ud, int kind, int64_t row_id)
{
    (void)row_id;
    ((int *)ud)[kind]++;
    return 0;
}

STORE_TEST(store_merge_notes_exactly_the_rows_it_moves)
{
    pt_store *s = open_store(be, "moved");
    ASSERT(s);
    int64_t keep = test_store_member(s, "K"), lose = test_store_member(s, "L");
    add_order(s, lose, "O1", 1);
    add_order(s, lose, "O2", 1);
    pt_event_rec e = {.member_id = lose, .at = 10};
    snprintf(e.kind, sizeof e.kind, "share");
    ASSERT_OK(pt_store_event_insert(s, &e));
    e.member_id = keep;
    ASSERT_OK(pt_store_event_insert(s, &e)); /* survivor already has it */
    pt_merge_rec mr;
    pt_merge_rec_init(&mr);
    mr.survivor_id = keep;
    mr.loser_id = lose;
    ASSERT_OK(pt_store_merge_insert(s, &mr));
    ASSERT_OK(pt_store_merge_moved_add(s, mr.id, PT_ROW_IDENTITY, 77));
    ASSERT_OK(pt_store_member_move_rows(s, mr.id, lose, keep));
    int kinds[5] = {0};
    ASSERT_OK(pt_store_merge_moved_list(s, mr.id, count_moved, kinds));
    ASSERT_EQ(kinds[PT_ROW_IDENTITY], 1);
    ASSERT_EQ(kinds[PT_ROW_ORDER], 2);
    ASSERT_EQ(kinds[PT_ROW_EVENT], 0);
    ASSERT_EQ(kinds[PT_ROW_SURVEY], 0);
    ASSERT_EQ(pt_store_merge_moved_add(s, 987654, PT_ROW_ORDER, 1), PT_EINVAL);
    pt_merge_rec_free(&mr);
    pt_store_close(s);
}

static int count_run(void *ud, const pt_import_run_rec *r)
{
    if (r->rows_read == 10 && r->rows_rejected == 2 && strcmp(pt_buf_str(&r->missing), "{\"email\":3}") == 0)
        ++*(int *)ud;
    return 0;
}

STORE_TEST(store_import_runs_are_updated_in_place)
{
    pt_store *s = open_store(be, "runs");
    ASSERT(s);
    pt_import_run_rec r;
    pt_import_run_rec_init(&r);
    snprintf(r.kind, sizeof r.kind, "members");
    snprintf(r.source, sizeof r.source, "pos");
    snprintf(r.file, sizeof r.file, "a.csv");
    ASSERT_OK(pt_store_import_run_insert(s, &r));
    ASSERT_GT(r.id, 0);
    r.rows_read = 10;
    r.rows_rejected = 2;
    ASSERT_OK(pt_buf_append_str(&r.missing, "{\"email\":3}"));
    ASSERT_OK(pt_store_import_run_update(s, &r));
    int n = 0;
    ASSERT_OK(pt_store_import_run_scan(s, count_run, &n));
    ASSERT_EQ(n, 1);
    r.id = 987654;
    ASSERT_EQ(pt_store_import_run_update(s, &r), PT_ENOTFOUND);
    pt_import_run_rec_free(&r);
    pt_store_close(s);
}

static int count_conflict(void *ud, const pt_conflict_rec *r)
{
    if (r->field == PT_F_REGION && strcmp(r->rule, "newest") == 0 && strcmp(r->other_source, "app") == 0)
        ++*(int *)ud;
    return 0;
}

static int count_identity(void *ud, const pt_identity_rec *r)
{
    if (r->value.len == 0 && r->blind[0] == 3)
        ++*(int *)ud;
    return 0;
}

STORE_TEST(store_conflicts_and_identities_round_trip_through_scans)
{
    pt_store *s = open_store(be, "scans");
    ASSERT(s);
    int64_t a = test_store_member(s, "A"), b = test_store_member(s, "B");
    pt_conflict_rec c = {.import_run = 1, .member_id = a, .field = PT_F_REGION};
    snprintf(c.rule, sizeof c.rule, "newest");
    snprintf(c.kept_source, sizeof c.kept_source, "pos");
    snprintf(c.other_source, sizeof c.other_source, "app");
    ASSERT_OK(pt_store_conflict_insert(s, &c));
    int n = 0;
    ASSERT_OK(pt_store_conflict_scan(s, count_conflict, &n));
    ASSERT_EQ(n, 1);
    pt_identity_rec id, g;
    pt_identity_rec_init(&id);
    pt_identity_rec_init(&g);
    id.member_id = a;
    id.kind = PT_ID_OPENID;
    id.added_at = 9;
    memset(id.blind, 3, sizeof id.blind);
    id.blind[5] = 0; /* blinds are bytes */
    snprintf(id.source, sizeof id.source, "wechat");
    ASSERT_OK(pt_buf_set(&id.value, "\x00\xff" "sealed", 8));
    ASSERT_OK(pt_store_identity_insert(s, &id));
    ASSERT_OK(pt_store_identity_find(s, PT_ID_OPENID, id.blind, &g));
    ASSERT_EQ(g.member_id, a);
    ASSERT_EQ(g.value.len, 8);
    ASSERT_EQ(memcmp(g.value.data, "\x00\xff" "sealed", 8), 0);
    ASSERT_STR_EQ(g.source, "wechat");
    ASSERT_EQ(g.added_at, 9);
    g.member_id = b;
    ASSERT_OK(pt_store_identity_update(s, &g));
    g.member_id = 987654;
    ASSERT_EQ(pt_store_identity_update(s, &g), PT_EINVAL);
    g.id = 987654;
    ASSERT_EQ(pt_store_identity_update(s, &g), PT_ENOTFOUND);
    n = 0;
    ASSERT_OK(pt_store_identity_scan(s, count_identity, &n)); /* the value is left empty */
    ASSERT_EQ(n, 1);
    ASSERT_OK(pt_store_identity_delete_member(s, b));
    ASSERT_EQ(pt_store_identity_find(s, PT_ID_OPENID, id.blind, &g), PT_ENOTFOUND);
    pt_identity_rec_free(&id);
    pt_identity_rec_free(&g);
    pt_store_close(s);
}

STORE_TEST(store_foreign_keys_refuse_orders_of_unknown_members)
{
    pt_store *s = open_store(be, "fk");
    ASSERT(s);
    ASSERT_EQ(add_order(s, 12345, "O1", 1), -1);
    ASSERT_STR_CONTAINS(pt_store_errmsg(s), "FOREIGN KEY");
    pt_store_close(s);
}

STORE_TEST(store_text_that_is_not_utf8_is_refused_without_breaking_the_transaction)
{
    if (be == BE_SQLITE)
        SKIP("SQLite stores text as given bytes; only PostgreSQL requires UTF-8");
    pt_store *s = open_store(be, "utf8");
    ASSERT(s);
    ASSERT_OK(pt_store_begin(s));
    int64_t a = test_store_member(s, "A");
    ASSERT_EQ(add_order(s, a, "GBK-\xb6\xa9\xb5\xa5", 1), -1); /* "订单" in GBK */
    ASSERT_STR_CONTAINS(pt_store_errmsg(s), "UTF-8");
    ASSERT_GT(add_order(s, a, "订单-1", 1), 0);
    ASSERT_OK(pt_store_commit(s));
    pt_order_rec o;
    ASSERT_OK(pt_store_order_find_by_no(s, "订单-1", &o));
    pt_store_close(s);
}

/* Two connections contending: a lock wait past lock_timeout is PT_EBUSY; a write that lost a
 * serialization race is PT_ERETRY. SQLite serialises writers and waits its 10 s busy timeout. */
STORE_TEST(store_lock_timeouts_are_ebusy_and_serialization_failures_eretry)
{
    if (be == BE_SQLITE)
        SKIP("SQLite would wait out its 10 s busy timeout; the mapping is covered on PostgreSQL");
    pt_store *s1 = open_store_with(be, "contend", "%20-clock_timeout%3D200");
    ASSERT(s1);
    pt_store *s2 = open_store_with(be, "contend", "%20-clock_timeout%3D200");
    ASSERT(s2);
    int64_t a = test_store_member(s1, "SECRET-A");
    ASSERT_GT(a, 0);
    pt_member_rec m1, m2;
    pt_member_rec_init(&m1);
    pt_member_rec_init(&m2);

    /* s1 holds the row lock; s2 gives up after lock_timeout */
    ASSERT_OK(pt_store_begin(s1));
    ASSERT_OK(pt_store_member_get(s1, a, &m1));
    m1.updated_at++;
    ASSERT_OK(pt_store_member_update(s1, &m1));
    ASSERT_OK(pt_store_member_get(s2, a, &m2));
    m2.updated_at += 2;
    ASSERT_EQ(pt_store_member_update(s2, &m2), PT_EBUSY);
    ASSERT(strstr(pt_store_errmsg(s2), "SECRET") == NULL);
    ASSERT_OK(pt_store_commit(s1));

    /* s1 read the row in its snapshot, s2 changed it and committed: s1 must retry */
    ASSERT_OK(pt_store_begin(s1));
    ASSERT_OK(pt_store_member_get(s1, a, &m1));
    ASSERT_OK(pt_store_member_get(s2, a, &m2));
    m2.updated_at += 10;
    ASSERT_OK(pt_store_member_update(s2, &m2));
    m1.updated_at += 20;
    ASSERT_EQ(pt_store_member_update(s1, &m1), PT_ERETRY);
    ASSERT(strstr(pt_store_errmsg(s1), "SECRET") == NULL);
    ASSERT_EQ(pt_store_commit(s1), PT_ESTATE); /* the failed transaction cannot commit */
    ASSERT_OK(pt_store_rollback(s1));
    /* the retry succeeds */
    ASSERT_OK(pt_store_begin(s1));
    ASSERT_OK(pt_store_member_get(s1, a, &m1));
    m1.updated_at += 20;
    ASSERT_OK(pt_store_member_update(s1, &m1));
    ASSERT_OK(pt_store_commit(s1));
    ASSERT_OK(pt_store_member_get(s2, a, &m2));
    ASSERT_EQ(m2.updated_at, 1700000000 + 1 + 10 + 20);
    pt_member_rec_free(&m1);
    pt_member_rec_free(&m2);
    pt_store_close(s1);
    pt_store_close(s2);
}

/* test_store_pg_schema.c — the PostgreSQL schema is ready to distribute (docs/scaling.md),
 * checked in the catalogue rather than claimed, and migration 5 carries an older store's data.
 *
 * The layout the checker holds the schema to: every table is a reference table (listed below,
 * whole on every node), a look-up table (listed below, distributed by the value it looks up, in
 * a colocation group of its own), `members` (distributed by id) or a member-scoped table (any
 * other table with a member_id column, distributed by member_id and colocated with members).
 * Then, as Citus requires:
 *  - a distributed table has a primary key, and it and every unique key lead with the
 *    distribution column;
 *  - a foreign key from a distributed table goes to a reference table, or to a table of the same
 *    colocation group through the distribution columns of both (member_id → members.id or
 *    member_id → member_id); a reference table's foreign keys go to reference tables only.
 * A table added without member_id and not listed fails, naming the table: list it here and in
 * docs/scaling.md. PostgreSQL only; skips without PATRON_TEST_PG.
 */
#include "test.h"
#include "helpers.h"
#include "store_int.h"
#include "patron/error.h"
#include "patron/store.h"
#include "patron/store_reward.h"

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Small tables every node reads whole (create_reference_table). */
static const char *const reference_tables[] = {
    "schema_version", "meta", "import_runs", "merges", "merge_moved", "programmes", "reward_stock", "rule_budgets",
    "api_keys",
};

/* Global look-ups, distributed by the value they look up (colocate_with => 'none'). */
static const struct {
    const char *table, *column;
} lookup_tables[] = {
    {"member_numbers", "member_no"}, {"identity_keys", "blind"}, {"order_numbers", "order_no"},
    {"coupon_codes", "code"},        {"invite_codes", "code"},
};

#define MAX_TABLES 128

struct table {
    char name[64];
    char dist[64]; /* distribution column; "" for a reference table */
    int  member_group; /* colocated with members */
};

struct schema {
    struct table t[MAX_TABLES];
    int          n;
    char         report[8192];
    int          violations;
};

static void violation(struct schema *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void violation(struct schema *s, const char *fmt, ...)
{
    size_t n = strlen(s->report);
    va_list ap;
    va_start(ap, fmt);
    if (n + 8 < sizeof s->report) {
        s->report[n++] = '\n';
        memcpy(s->report + n, "      ", 6);
        n += 6;
        vsnprintf(s->report + n, sizeof s->report - n, fmt, ap);
    }
    va_end(ap);
    s->violations++;
}

static const struct table *table_of(const struct schema *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->t[i].name, name) == 0)
            return &s->t[i];
    return NULL;
}

static PGresult *query(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "    %s: %s", sql, PQerrorMessage(c));
        PQclear(r);
        return NULL;
    }
    return r;
}

/* Classifies every table of the current schema; an unclassifiable one is a violation. */
static int classify(PGconn *c, struct schema *s)
{
    PGresult *r = query(c, "SELECT c.relname, EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid"
                           " AND a.attname = 'member_id' AND NOT a.attisdropped)"
                           " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                           " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
                           " AND NOT c.relispartition ORDER BY 1");
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r) && s->n < MAX_TABLES; i++) {
        struct table *t = &s->t[s->n++];
        memset(t, 0, sizeof *t);
        snprintf(t->name, sizeof t->name, "%s", PQgetvalue(r, i, 0));
        int has_member_id = PQgetvalue(r, i, 1)[0] == 't', listed = 0;
        for (size_t k = 0; k < sizeof reference_tables / sizeof *reference_tables; k++)
            listed |= strcmp(t->name, reference_tables[k]) == 0;
        for (size_t k = 0; !listed && k < sizeof lookup_tables / sizeof *lookup_tables; k++)
            if (strcmp(t->name, lookup_tables[k].table) == 0) {
                snprintf(t->dist, sizeof t->dist, "%s", lookup_tables[k].column);
                listed = 1;
            }
        if (listed)
            continue;
        t->member_group = 1;
        if (strcmp(t->name, "members") == 0)
            snprintf(t->dist, sizeof t->dist, "id");
        else if (has_member_id)
            snprintf(t->dist, sizeof t->dist, "member_id");
        else
            violation(s, "%s: no member_id and not listed as a reference or look-up table"
                         " (tests/test_store_pg_schema.c, docs/scaling.md)", t->name);
    }
    PQclear(r);
    return 0;
}

/* Primary and unique keys of distributed tables lead with the distribution column. */
static int check_keys(PGconn *c, struct schema *s)
{
    PGresult *r = query(c, "SELECT c.relname, i.relname, x.indisprimary, coalesce(a.attname, '(expression)')"
                           " FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid"
                           " JOIN pg_class i ON i.oid = x.indexrelid"
                           " JOIN pg_namespace n ON n.oid = c.relnamespace"
                           " LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = x.indkey[0]"
                           " WHERE n.nspname = current_schema() AND x.indisunique ORDER BY 1, 2");
    if (!r)
        return -1;
    for (int k = 0; k < s->n; k++) {
        const struct table *t = &s->t[k];
        int has_pk = 0;
        for (int i = 0; t->dist[0] && i < PQntuples(r); i++) {
            if (strcmp(PQgetvalue(r, i, 0), t->name) != 0)
                continue;
            has_pk |= PQgetvalue(r, i, 2)[0] == 't';
            if (strcmp(PQgetvalue(r, i, 3), t->dist) != 0)
                violation(s, "%s: %s key %s leads with %s, not the distribution column %s", t->name,
                          PQgetvalue(r, i, 2)[0] == 't' ? "primary" : "unique", PQgetvalue(r, i, 1),
                          PQgetvalue(r, i, 3), t->dist);
        }
        if (t->dist[0] && !has_pk)
            violation(s, "%s: no primary key", t->name);
    }
    PQclear(r);
    return 0;
}

/* 1 when the foreign key's column pairs ("a=b,c=d") map from_col to to_col. */
static int maps(const char *pairs, const char *from_col, const char *to_col)
{
    char want[140];
    snprintf(want, sizeof want, "%s=%s", from_col, to_col);
    size_t n = strlen(want);
    for (const char *p = pairs; (p = strstr(p, want)) != NULL; p += n)
        if ((p == pairs || p[-1] == ',') && (p[n] == ',' || p[n] == 0))
            return 1;
    return 0;
}

static int check_foreign_keys(PGconn *c, struct schema *s)
{
    PGresult *r = query(c, "SELECT c.relname, f.relname, con.conname,"
                           " (SELECT string_agg(a.attname || '=' || b.attname, ',')"
                           "  FROM unnest(con.conkey, con.confkey) AS k(x, y)"
                           "  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.x"
                           "  JOIN pg_attribute b ON b.attrelid = con.confrelid AND b.attnum = k.y)"
                           " FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid"
                           " JOIN pg_class f ON f.oid = con.confrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                           " WHERE con.contype = 'f' AND n.nspname = current_schema() ORDER BY 1, 3");
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        const struct table *from = table_of(s, PQgetvalue(r, i, 0)), *to = table_of(s, PQgetvalue(r, i, 1));
        const char *name = PQgetvalue(r, i, 2), *pairs = PQgetvalue(r, i, 3);
        if (!from || !to || !to->dist[0])
            continue; /* to a reference table: allowed from anywhere */
        if (!from->dist[0])
            violation(s, "%s: foreign key %s goes from a reference table to the distributed %s", from->name,
                      name, to->name);
        else if (!from->member_group || !to->member_group)
            violation(s, "%s: foreign key %s joins %s, which is not colocated with it", from->name, name,
                      to->name);
        else if (!maps(pairs, from->dist, to->dist))
            violation(s, "%s: foreign key %s (%s) does not go through %s → %s.%s", from->name, name, pairs,
                      from->dist, to->name, to->dist);
    }
    PQclear(r);
    return 0;
}

/* Checks the schema of the store at url; fills s (violations and their report). */
static int check_schema(const char *url, struct schema *s)
{
    memset(s, 0, sizeof *s);
    PGconn *c = PQconnectdb(url);
    int rc = PQstatus(c) == CONNECTION_OK ? 0 : -1;
    if (rc)
        fprintf(stderr, "    connecting: %s", PQerrorMessage(c));
    if (rc == 0)
        rc = classify(c, s);
    if (rc == 0)
        rc = check_keys(c, s);
    if (rc == 0)
        rc = check_foreign_keys(c, s);
    PQfinish(c);
    return rc;
}

#define PG_ONLY()                                                                              \
    do {                                                                                       \
        if (!test_pg_base())                                                                   \
            SKIP("PATRON_TEST_PG is unset (scripts/run-tests starts a throwaway PostgreSQL)"); \
    } while (0)

TEST(pg_schema_every_key_and_foreign_key_of_a_distributed_table_holds_its_distribution_column)
{
    PG_ONLY();
    pt_store *st = test_store_open(TEST_POSTGRES, "layout", NULL);
    ASSERT(st);
    pt_store_close(st);
    struct schema s;
    ASSERT_EQ(check_schema(test_store_url(TEST_POSTGRES, "layout", NULL), &s), 0);
    if (s.violations)
        fprintf(stderr, "    %d violations:%s\n", s.violations, s.report);
    ASSERT_EQ(s.violations, 0);
    /* the tables the plan names are there and classified as docs/scaling.md says */
    ASSERT_GE(s.n, 33);
    ASSERT_STR_EQ(table_of(&s, "members")->dist, "id");
    ASSERT_STR_EQ(table_of(&s, "items")->dist, "member_id");
    ASSERT_STR_EQ(table_of(&s, "identity_keys")->dist, "blind");
    ASSERT_EQ(table_of(&s, "identity_keys")->member_group, 0);
    ASSERT_STR_EQ(table_of(&s, "merges")->dist, "");
}

/* The checker itself: a table with a global unique key, a key and a foreign key that bypass
 * member_id, an unlisted table without member_id and a reference table pointing at members
 * are each reported. */
TEST(pg_schema_check_reports_keys_and_foreign_keys_that_would_cross_shards)
{
    PG_ONLY();
    pt_store *st = test_store_open(TEST_POSTGRES, "bad", NULL);
    ASSERT(st);
    pt_store_close(st);
    char schema[128];
    test_pg_schema("bad", schema, sizeof schema);
    ASSERT_EQ(test_pg_sql("CREATE TABLE %s.bad_scores (id bigint PRIMARY KEY, member_id bigint NOT NULL,"
                          " ext text UNIQUE, other_member bigint REFERENCES %s.members(id))",
                          schema, schema), 0);
    ASSERT_EQ(test_pg_sql("CREATE TABLE %s.loose (x integer)", schema), 0);
    ASSERT_EQ(test_pg_sql("ALTER TABLE %s.import_runs ADD COLUMN m bigint REFERENCES %s.members(id)", schema,
                          schema), 0);
    struct schema s;
    ASSERT_EQ(check_schema(test_store_url(TEST_POSTGRES, "bad", NULL), &s), 0);
    ASSERT_EQ(s.violations, 5);
    ASSERT_STR_CONTAINS(s.report, "bad_scores: primary key bad_scores_pkey leads with id");
    ASSERT_STR_CONTAINS(s.report, "bad_scores: unique key bad_scores_ext_key leads with ext");
    ASSERT_STR_CONTAINS(s.report, "bad_scores: foreign key bad_scores_other_member_fkey (other_member=id)");
    ASSERT_STR_CONTAINS(s.report, "loose: no member_id and not listed");
    ASSERT_STR_CONTAINS(s.report, "import_runs: foreign key import_runs_m_fkey goes from a reference table");
}

/* --- migration 5 on the data of a version-4 store ---------------------------------------- */

/* Runs "INSERT INTO schema.table (…) VALUES" + values; 0 or -1 (printed). */
static int sql_insert(const char *schema, const char *fmt, const char *values)
{
    char q[1024];
    snprintf(q, sizeof q, fmt, schema);
    return test_pg_sql("%s %s RETURNING 1", q, values) < 0 ? -1 : 0;
}

/* Members, an identifier, orders with an item and an invite code written under schema 4 (with
 * its global unique keys) are found through the look-up tables after migration 5, and the
 * global keys still refuse duplicates. */
TEST(pg_schema_migration_5_carries_the_global_keys_of_existing_data_into_the_look_up_tables)
{
    PG_ONLY();
    char schema[128], err[512] = "";
    const char *u = test_store_url(TEST_POSTGRES, "old", NULL);
    ASSERT(u);
    char url[4200];
    snprintf(url, sizeof url, "%s", u);
    test_pg_schema("old", schema, sizeof schema);
    int rc = pt__store_pg_migrate_to(url, 4, err, sizeof err);
    if (rc)
        fprintf(stderr, "    %s\n", err);
    ASSERT_OK(rc);
    ASSERT_EQ(test_pg_sql("SELECT max(version) FROM %s.schema_version", schema), 4);
    const char *member_cols = "INSERT INTO %s.members (id, member_no, status, registered_at, reg_channel,"
                              " region, consent, consent_sms_at, consent_email_at, consent_analytics_at,"
                              " merged_into, created_at, updated_at, provenance) VALUES";
    ASSERT_EQ(sql_insert(schema, member_cols, "(101, 'M1', 1, 5, 'app', '', 0, 0, 0, 0, NULL, 5, 5, '{}')"), 0);
    ASSERT_EQ(sql_insert(schema, member_cols, "(102, 'M2', 1, 5, 'app', '', 0, 0, 0, 0, NULL, 5, 5, '{}')"), 0);
    ASSERT_EQ(sql_insert(schema, member_cols, "(103, NULL, 1, 5, 'app', '', 0, 0, 0, 0, 101, 5, 5, '{}')"), 0);
    ASSERT_EQ(sql_insert(schema, "INSERT INTO %s.identities (member_id, kind, blind, source, added_at) VALUES",
                     "(101, 1, decode(repeat('ab', 32), 'hex'), 'app', 5)"), 0);
    const char *order_cols = "INSERT INTO %s.orders (id, member_id, order_no, source, channel, store,"
                             " ordered_at, amount_cents, status, import_run) VALUES";
    ASSERT_EQ(sql_insert(schema, order_cols, "(201, 101, 'O-1', 'pos', 'store', 'S1', 7, 1500, 1, 0)"), 0);
    ASSERT_EQ(sql_insert(schema, order_cols, "(202, 102, 'O-2', 'pos', 'store', 'S1', 8, 2500, 1, 0)"), 0);
    ASSERT_EQ(sql_insert(schema, "INSERT INTO %s.items (order_id, member_id, line_no, sku, category, qty,"
                             " unit_cents, amount_cents) VALUES", "(201, 101, 1, 'SKU', 'cat', 3, 500, 1500)"), 0);
    ASSERT_EQ(sql_insert(schema, "INSERT INTO %s.invite_codes (code, member_id, created_at) VALUES",
                     "('INVITE1', 102, 5)"), 0);
    /* ids above were given explicitly: move the sequences past them, as an old store's are */
    ASSERT_EQ(test_pg_sql("SELECT setval(pg_get_serial_sequence('%s.members', 'id'), 103),"
                          " setval(pg_get_serial_sequence('%s.orders', 'id'), 202)", schema, schema), 103);

    pt_store *s = test_store_open(TEST_POSTGRES, "old", NULL);
    ASSERT(s);
    int version = 0;
    ASSERT_OK(pt_store_schema_version(s, &version));
    ASSERT_GE(version, 5);
    ASSERT_EQ(test_pg_sql("SELECT count(*) FROM %s.member_numbers", schema), 2);
    pt_member_rec m;
    pt_member_rec_init(&m);
    ASSERT_OK(pt_store_member_get_by_no(s, "M2", &m));
    ASSERT_EQ(m.id, 102);
    pt_identity_rec id;
    pt_identity_rec_init(&id);
    uint8_t blind[PT_BLIND_LEN];
    memset(blind, 0xab, sizeof blind);
    ASSERT_OK(pt_store_identity_find(s, 1, blind, &id));
    ASSERT_EQ(id.member_id, 101);
    pt_order_rec o;
    ASSERT_OK(pt_store_order_find_by_no(s, "O-2", &o));
    ASSERT_EQ(o.id, 202);
    ASSERT_EQ(o.member_id, 102);
    ASSERT_EQ(o.amount_cents, 2500);
    int64_t who = 0;
    ASSERT_OK(pt_store_invite_find(s, "INVITE1", &who));
    ASSERT_EQ(who, 102);
    char code[PT_COUPON_CODE_MAX];
    ASSERT_OK(pt_store_invite_of(s, 102, code));
    ASSERT_STR_EQ(code, "INVITE1");
    /* the global keys still hold */
    o.member_id = 101;
    snprintf(o.order_no, sizeof o.order_no, "O-2");
    ASSERT_EQ(pt_store_order_insert(s, &o), PT_EEXIST);
    snprintf(m.member_no, sizeof m.member_no, "M1");
    ASSERT_EQ(pt_store_member_insert(s, &m), PT_EEXIST);
    id.member_id = 102;
    ASSERT_EQ(pt_store_identity_insert(s, &id), PT_EEXIST);
    ASSERT_EQ(pt_store_invite_insert(s, 102, "INVITE2", 9), PT_EEXIST); /* one code per member */
    snprintf(m.member_no, sizeof m.member_no, "M4");
    ASSERT_OK(pt_store_member_insert(s, &m));
    ASSERT_EQ(m.id, 105); /* the refused M1 drew 104: ids are unique, not dense (a sequence) */
    pt_store_stats stats;
    ASSERT_OK(pt_store_stats_get(s, &stats));
    ASSERT_EQ(stats.members, 4);
    ASSERT_EQ(stats.members_merged_away, 1);
    ASSERT_EQ(stats.orders, 2);
    ASSERT_EQ(stats.order_cents, 4000);
    ASSERT_EQ(stats.items, 1);
    pt_identity_rec_free(&id);
    pt_member_rec_free(&m);
    pt_store_close(s);
    struct schema sc;
    ASSERT_EQ(check_schema(url, &sc), 0);
    ASSERT_EQ(sc.violations, 0);
}

/* test_store_copy.c — `store copy`: a whole store moved between backends (SQLite → SQLite,
 * SQLite → PostgreSQL, PostgreSQL → SQLite, PostgreSQL → PostgreSQL) keeps every row, column
 * and id — merges, identities with blobs, sealed personal data, unicode text, NULLs —, checks
 * itself, keeps the master key check, and leaves sequences so that later inserts work; it
 * refuses a destination with data or bound to another key, stores at different schema
 * versions, a source table it does not know and differing columns; a copy that fails midway
 * leaves the destination empty. End to end: the demo store goes SQLite → PostgreSQL → SQLite
 * through `patron store copy` with identical overviews, and the final copy opens with the
 * original master key.
 *
 * PostgreSQL variants need PATRON_TEST_PG (scripts/run-tests starts a throwaway server) and
 * skip without it; each PostgreSQL store lives in a fresh schema selected by the URL's
 * search_path option. */
#include "test.h"
#include "patron/error.h"
#include "patron/store.h"
#include "patron/store_copy.h"
#include "patron/store_ledger.h"

#include <jansson.h>
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

#define PG_SKIP_MSG "PATRON_TEST_PG is unset (scripts/run-tests starts a throwaway PostgreSQL)"

/* COPY_TEST(name) defines one body taking the two backends and registers a test per pair. */
#define COPY_TEST(name)                                                                        \
    static void copy_##name(enum backend from, enum backend to);                               \
    TEST(name##_sqlite_to_sqlite)                                                              \
    {                                                                                          \
        copy_##name(BE_SQLITE, BE_SQLITE);                                                     \
    }                                                                                          \
    TEST(name##_sqlite_to_postgres)                                                            \
    {                                                                                          \
        if (!pg_base())                                                                        \
            SKIP(PG_SKIP_MSG);                                                                 \
        copy_##name(BE_SQLITE, BE_POSTGRES);                                                   \
    }                                                                                          \
    TEST(name##_postgres_to_sqlite)                                                            \
    {                                                                                          \
        if (!pg_base())                                                                        \
            SKIP(PG_SKIP_MSG);                                                                 \
        copy_##name(BE_POSTGRES, BE_SQLITE);                                                   \
    }                                                                                          \
    TEST(name##_postgres_to_postgres)                                                          \
    {                                                                                          \
        if (!pg_base())                                                                        \
            SKIP(PG_SKIP_MSG);                                                                 \
        copy_##name(BE_POSTGRES, BE_POSTGRES);                                                 \
    }                                                                                          \
    static void copy_##name(enum backend from, enum backend to)

/* DEST_TEST(name) runs one body with a SQLite source into each destination backend. */
#define DEST_TEST(name)                                                                        \
    static void dest_##name(enum backend to);                                                  \
    TEST(name##_into_sqlite)                                                                   \
    {                                                                                          \
        dest_##name(BE_SQLITE);                                                                \
    }                                                                                          \
    TEST(name##_into_postgres)                                                                 \
    {                                                                                          \
        if (!pg_base())                                                                        \
            SKIP(PG_SKIP_MSG);                                                                 \
        dest_##name(BE_POSTGRES);                                                              \
    }                                                                                          \
    static void dest_##name(enum backend to)

/* --- stores ----------------------------------------------------------------------------------- */

/* A schema name unique to this test (from its temp dir) and name. */
static void pg_schema(const char *name, char *out, size_t cap)
{
    const char *t = pt_test_tmpdir();
    const char *b = strrchr(t, '-');
    size_t n = (size_t)snprintf(out, cap, "c_");
    for (b = b ? b + 1 : t; *b && n + 3 < cap; b++)
        n += (size_t)snprintf(out + n, cap - n, "%02x", (unsigned char)*b);
    snprintf(out + n, cap - n, "_%s", name);
}

static void no_notice(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* Runs SQL on a maintenance connection; 0, or -1 on failure. */
static int pg_sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int pg_sql(const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    PGconn *c = PQconnectdb(pg_base());
    PQsetNoticeProcessor(c, no_notice, NULL);
    PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
    int ok = r && (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
    if (!ok)
        fprintf(stderr, "    %s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

/* The URL of test store `name` (a fresh PostgreSQL schema, or a SQLite file in the temp dir). */
static const char *store_url(enum backend be, const char *name)
{
    static char urls[4][4400];
    static int slot;
    char *url = urls[slot++ % 4];
    if (be == BE_SQLITE) {
        snprintf(url, sizeof urls[0], "sqlite:%s/%s.db", pt_test_tmpdir(), name);
        return url;
    }
    char schema[128];
    pg_schema(name, schema, sizeof schema);
    if (pg_sql("DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema, schema) < 0)
        return NULL;
    const char *base = pg_base();
    snprintf(url, sizeof urls[0], "%s%soptions=-csearch_path%%3D%s", base, strchr(base, '?') ? "&" : "?", schema);
    return url;
}

static pt_store *open_store(enum backend be, const char *name)
{
    char err[512] = "";
    const char *url = store_url(be, name);
    pt_store *s = NULL;
    if (!url)
        return NULL;
    int rc = pt_store_open(&s, url, err, sizeof err);
    if (rc)
        fprintf(stderr, "    open %s: %s (%s)\n", name, err, pt_errname(rc));
    return s;
}

/* Runs SQL on the SQLite file of test store `name` through a connection of its own. */
static int sqlite_sql(const char *name, const char *sql)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.db", pt_test_tmpdir(), name);
    sqlite3 *db = NULL;
    int src = sqlite3_open(path, &db);
    if (src == SQLITE_OK)
        src = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (src != SQLITE_OK)
        fprintf(stderr, "    %s: %s\n", sql, sqlite3_errmsg(db));
    sqlite3_close(db);
    return src == SQLITE_OK ? 0 : -1;
}

/* --- the fixture ------------------------------------------------------------------------------ */

#define KEY_CHECK "0f1e2d3c4b5a6978"

static void fill_bytes(pt_buf *b, size_t n, unsigned seed)
{
    pt_buf_reset(b);
    for (size_t i = 0; i < n; i++) {
        uint8_t x = (uint8_t)((i * 131 + seed * 7) ^ (i >> 3)); /* zeros, 0xff and everything between */
        pt_buf_append(b, &x, 1);
    }
}

static int64_t add_member(pt_store *s, const char *no, unsigned seed, int with_pii)
{
    pt_member_rec m;
    pt_member_rec_init(&m);
    snprintf(m.member_no, sizeof m.member_no, "%s", no);
    m.status = PT_MEMBER_ACTIVE;
    m.registered_at = 1700000000 + seed;
    snprintf(m.reg_channel, sizeof m.reg_channel, "%s", seed % 2 ? "小程序" : "store");
    m.gender = seed % 3 == 0 ? 0 : seed % 3 == 1 ? 'F' : 'M';
    snprintf(m.region, sizeof m.region, "%s", seed % 2 ? "上海市 浦东新区" : "Zürich");
    m.consent = PT_CONSENT_BIT(PT_CONSENT_SMS);
    m.consent_at[PT_CONSENT_SMS] = 1700000001;
    m.consent_at[PT_CONSENT_ANALYTICS] = -5;
    m.created_at = 1700000002;
    m.updated_at = INT64_MAX - seed;
    if (with_pii) {
        fill_bytes(&m.key_wrapped, 72, seed);
        fill_bytes(&m.pii, 300 + seed, seed + 1);
    }
    pt_buf_append_str(&m.provenance, "{\"name\":[\"门店\",1700000000],\"tab\":\"a\\tb\\\\c\\n\"}");
    int rc = pt_store_member_insert(s, &m);
    pt_member_rec_free(&m);
    return rc ? -1 : m.id;
}

static int set_merged_into(pt_store *s, int64_t id, int64_t into)
{
    pt_member_rec m;
    pt_member_rec_init(&m);
    int rc = pt_store_member_get(s, id, &m);
    m.merged_into = into;
    if (rc == PT_OK)
        rc = pt_store_member_update(s, &m);
    pt_member_rec_free(&m);
    return rc;
}

static int add_identity(pt_store *s, int64_t member, int kind, unsigned seed)
{
    pt_identity_rec r;
    pt_identity_rec_init(&r);
    r.member_id = member;
    r.kind = kind;
    for (int i = 0; i < PT_BLIND_LEN; i++)
        r.blind[i] = (uint8_t)(seed * 37 + (unsigned)i * 11);
    fill_bytes(&r.value, 40, seed);
    snprintf(r.source, sizeof r.source, "eshop");
    r.added_at = 1700000100;
    int rc = pt_store_identity_insert(s, &r);
    pt_identity_rec_free(&r);
    return rc;
}

static int64_t add_order(pt_store *s, int64_t member, const char *no, int64_t cents)
{
    pt_order_rec o = {.member_id = member, .ordered_at = 1700000200, .amount_cents = cents, .status = PT_ORDER_PAID,
                      .import_run = 1};
    snprintf(o.order_no, sizeof o.order_no, "%s", no);
    snprintf(o.source, sizeof o.source, "pos");
    snprintf(o.channel, sizeof o.channel, "门店");
    snprintf(o.store, sizeof o.store, "徐家汇店");
    return pt_store_order_insert(s, &o) ? -1 : o.id;
}

static int add_items(pt_store *s, int64_t order, int64_t member)
{
    int rc = PT_OK;
    for (int line = 1; rc == PT_OK && line <= 2; line++) {
        pt_item_rec it = {.order_id = order, .member_id = member, .line_no = line, .qty = line, .unit_cents = 1999,
                          .amount_cents = 1999 * line};
        snprintf(it.sku, sizeof it.sku, "SKU-%d", line);
        snprintf(it.category, sizeof it.category, "%s", line == 1 ? "衬衫" : "café ☕");
        rc = pt_store_item_insert(s, &it);
    }
    return rc;
}

static int add_activity(pt_store *s, int64_t member)
{
    pt_event_rec e = {.member_id = member, .at = 1700000300, .value = 5};
    snprintf(e.kind, sizeof e.kind, "review");
    snprintf(e.source, sizeof e.source, "app");
    pt_survey_rec v = {.member_id = member, .at = 1700000400, .score = 9};
    snprintf(v.survey, sizeof v.survey, "nps");
    snprintf(v.source, sizeof v.source, "app");
    int rc = pt_store_event_insert(s, &e);
    return rc ? rc : pt_store_survey_insert(s, &v);
}

static int add_runs(pt_store *s, int64_t member)
{
    pt_import_run_rec r;
    pt_import_run_rec_init(&r);
    snprintf(r.kind, sizeof r.kind, "members");
    snprintf(r.source, sizeof r.source, "eshop");
    snprintf(r.file, sizeof r.file, "/data/会员.csv");
    r.rows_read = 10;
    r.rows_accepted = 9;
    r.rows_rejected = 1;
    pt_buf_append_str(&r.missing, "{\"email\":3}");
    int rc = pt_store_import_run_insert(s, &r);
    pt_conflict_rec c = {.import_run = r.id, .member_id = member, .field = 1};
    snprintf(c.rule, sizeof c.rule, "most_recent");
    snprintf(c.kept_source, sizeof c.kept_source, "eshop");
    snprintf(c.other_source, sizeof c.other_source, "store");
    if (rc == PT_OK)
        rc = pt_store_conflict_insert(s, &c);
    pt_import_run_rec_free(&r);
    return rc;
}

/* Loser's rows move to the survivor under a merge record holding a sealed blob. */
static int add_merge(pt_store *s, int64_t survivor, int64_t loser)
{
    pt_merge_rec g;
    pt_merge_rec_init(&g);
    g.survivor_id = survivor;
    g.loser_id = loser;
    g.merged_at = 1700000500;
    snprintf(g.reason, sizeof g.reason, "same phone");
    g.fields_taken = 5;
    fill_bytes(&g.survivor_before, 120, 9);
    int rc = pt_store_merge_insert(s, &g);
    if (rc == PT_OK)
        rc = pt_store_member_move_rows(s, g.id, loser, survivor);
    if (rc == PT_OK)
        rc = set_merged_into(s, loser, survivor);
    pt_merge_rec_free(&g);
    return rc;
}

static int add_entry(pt_store *s, int64_t member, int kind, int64_t points)
{
    pt_entry_rec e = {.member_id = member, .kind = kind, .bucket = PT_BUCKET_AVAILABLE, .points = points,
                      .at = 1700000600, .created_at = 1700000600};
    snprintf(e.note, sizeof e.note, "%s", points > 0 ? "生日礼" : "兑换");
    snprintf(e.actor, sizeof e.actor, "system");
    return pt_store_entry_insert(s, &e);
}

/* Two ledger entries (+500, −120), an audit record with hash blobs, a programme version. */
static int add_ledger(pt_store *s, int64_t member)
{
    pt_audit_rec a;
    pt_audit_rec_init(&a);
    a.member_id = member;
    a.seq = 1;
    a.at = 1700000700;
    snprintf(a.actor, sizeof a.actor, "system");
    snprintf(a.action, sizeof a.action, "points.earn");
    pt_buf_append_str(&a.detail, "{\"points\":500}");
    for (int i = 0; i < PT_HASH_LEN; i++)
        a.hash[i] = (uint8_t)(255 - i);
    int rc = add_entry(s, member, PT_ENTRY_EARN, 500);
    if (rc == PT_OK)
        rc = add_entry(s, member, PT_ENTRY_REDEEM, -120);
    if (rc == PT_OK)
        rc = pt_store_audit_insert(s, &a);
    if (rc == PT_OK)
        rc = pt_store_programme_insert(s, "2026-01", "{\"name\":\"会员计划\"}", 1700000800);
    pt_audit_rec_free(&a);
    return rc;
}

/* Members 1–5 (3 merged into 1; 2 merged into 5, a later id; 4 without personal data or a
 * number), identities, orders with items, events, surveys, an import run, a conflict, ledger
 * entries, an audit record, a programme version, meta. */
static int fill_store(pt_store *s)
{
    int64_t m[6] = {0};
    int rc = pt_store_begin(s);
    for (int i = 1; rc == PT_OK && i <= 5; i++) {
        char no[16];
        snprintf(no, sizeof no, "M%04d", i);
        m[i] = add_member(s, i == 4 ? "" : no, (unsigned)i, i != 4);
        rc = m[i] > 0 ? PT_OK : PT_ESTORE;
    }
    for (int i = 1; rc == PT_OK && i <= 5; i++)
        rc = add_identity(s, m[i], PT_ID_PHONE, (unsigned)i);
    if (rc == PT_OK)
        rc = add_identity(s, m[1], PT_ID_EMAIL, 77);
    for (int i = 1; rc == PT_OK && i <= 5; i++) {
        char no[32];
        snprintf(no, sizeof no, "订单-%d", i);
        int64_t o = add_order(s, m[i], no, 12345 * i);
        rc = o > 0 ? add_items(s, o, m[i]) : PT_ESTORE;
        if (rc == PT_OK)
            rc = add_activity(s, m[i]);
    }
    if (rc == PT_OK)
        rc = add_runs(s, m[1]);
    if (rc == PT_OK)
        rc = add_merge(s, m[1], m[3]);
    if (rc == PT_OK)
        rc = add_merge(s, m[5], m[2]);
    if (rc == PT_OK)
        rc = add_ledger(s, m[1]);
    if (rc == PT_OK)
        rc = pt_store_meta_set(s, "master_key_check", KEY_CHECK);
    if (rc == PT_OK)
        rc = pt_store_commit(s);
    else
        pt_store_rollback(s);
    if (rc)
        fprintf(stderr, "    fill: %s\n", pt_store_errmsg(s));
    return rc;
}

/* --- comparing two stores through the record interface ---------------------------------------- */

static int buf_eq(const pt_buf *a, const pt_buf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static int member_eq(const pt_member_rec *a, const pt_member_rec *b)
{
    return a->id == b->id && strcmp(a->member_no, b->member_no) == 0 && a->status == b->status &&
           a->registered_at == b->registered_at && strcmp(a->reg_channel, b->reg_channel) == 0 &&
           a->gender == b->gender && strcmp(a->region, b->region) == 0 && a->consent == b->consent &&
           memcmp(a->consent_at, b->consent_at, sizeof a->consent_at) == 0 && a->merged_into == b->merged_into &&
           a->created_at == b->created_at && a->updated_at == b->updated_at && buf_eq(&a->key_wrapped, &b->key_wrapped) &&
           buf_eq(&a->pii, &b->pii) && buf_eq(&a->provenance, &b->provenance);
}

struct cmp {
    pt_store *src, *dst;
    int       checked, differ;
};

static int cmp_member(void *ud, const pt_member_rec *r)
{
    struct cmp *c = ud;
    pt_member_rec o;
    pt_member_rec_init(&o);
    int rc = pt_store_member_get(c->dst, r->id, &o);
    c->checked++;
    c->differ += rc != PT_OK || !member_eq(r, &o);
    pt_member_rec_free(&o);
    return 0;
}

static int cmp_identity(void *ud, const pt_identity_rec *r)
{
    struct cmp *c = ud;
    pt_identity_rec o;
    pt_identity_rec_init(&o);
    int rc = pt_store_identity_find(c->dst, r->kind, r->blind, &o);
    c->checked++;
    c->differ += rc != PT_OK || o.id != r->id || o.member_id != r->member_id || !buf_eq(&o.value, &r->value) ||
                 strcmp(o.source, r->source) != 0 || o.added_at != r->added_at;
    pt_identity_rec_free(&o);
    return 0;
}

/* Scans leave identity values out: list each member's identities (values included). */
static int cmp_identities_of(void *ud, const pt_member_rec *r)
{
    struct cmp *c = ud;
    return pt_store_identity_list(c->src, r->id, cmp_identity, c);
}

struct item_list {
    pt_item_rec it[8];
    int         n;
};

static int keep_item(void *ud, const pt_item_rec *r)
{
    struct item_list *l = ud;
    if (l->n < 8)
        l->it[l->n++] = *r;
    return 0;
}

static int items_eq(const struct item_list *a, const struct item_list *b)
{
    if (a->n != b->n)
        return 0;
    for (int i = 0; i < a->n; i++) {
        const pt_item_rec *x = &a->it[i], *y = &b->it[i];
        if (x->order_id != y->order_id || x->member_id != y->member_id || x->line_no != y->line_no ||
            strcmp(x->sku, y->sku) != 0 || strcmp(x->category, y->category) != 0 || x->qty != y->qty ||
            x->unit_cents != y->unit_cents || x->amount_cents != y->amount_cents)
            return 0;
    }
    return 1;
}

static int cmp_order(void *ud, const pt_order_rec *r)
{
    struct cmp *c = ud;
    pt_order_rec o;
    struct item_list a = {.n = 0}, b = {.n = 0};
    int rc = pt_store_order_find_by_no(c->dst, r->order_no, &o);
    if (rc == PT_OK)
        rc = pt_store_item_list(c->src, r->id, keep_item, &a);
    if (rc == PT_OK)
        rc = pt_store_item_list(c->dst, r->id, keep_item, &b);
    c->checked++;
    c->differ += rc != PT_OK || o.id != r->id || o.member_id != r->member_id || strcmp(o.source, r->source) != 0 ||
                 strcmp(o.channel, r->channel) != 0 || strcmp(o.store, r->store) != 0 ||
                 o.ordered_at != r->ordered_at || o.amount_cents != r->amount_cents || o.status != r->status ||
                 o.import_run != r->import_run || a.n == 0 || !items_eq(&a, &b);
    return 0;
}

static int count_moved(void *ud, int kind, int64_t row_id)
{
    int64_t *sum = ud;
    *sum += kind * 1000 + row_id;
    return 0;
}

/* Merge `id` is the same on both stores, with the same moved rows. */
static int merge_same(pt_store *a, pt_store *b, int64_t id)
{
    pt_merge_rec x, y;
    int64_t ma = 0, mb = 0;
    pt_merge_rec_init(&x);
    pt_merge_rec_init(&y);
    int ok = pt_store_merge_get(a, id, &x) == PT_OK && pt_store_merge_get(b, id, &y) == PT_OK &&
             x.survivor_id == y.survivor_id && x.loser_id == y.loser_id && x.merged_at == y.merged_at &&
             x.undone_at == y.undone_at && strcmp(x.reason, y.reason) == 0 && x.fields_taken == y.fields_taken &&
             buf_eq(&x.survivor_before, &y.survivor_before) && x.survivor_before.len == 120 &&
             pt_store_merge_moved_list(a, id, count_moved, &ma) == PT_OK &&
             pt_store_merge_moved_list(b, id, count_moved, &mb) == PT_OK && ma == mb && ma > 0;
    pt_merge_rec_free(&x);
    pt_merge_rec_free(&y);
    return ok;
}

static int stats_same(pt_store *a, pt_store *b)
{
    pt_store_stats x, y;
    memset(&x, 0, sizeof x);
    memset(&y, 0, sizeof y);
    return pt_store_stats_get(a, &x) == PT_OK && pt_store_stats_get(b, &y) == PT_OK && memcmp(&x, &y, sizeof x) == 0;
}

static int64_t total_rows(pt_store *s)
{
    pt_store_table_count t[PT_STORE_COPY_TABLES_MAX];
    int n = 0;
    int64_t sum = 0;
    if (pt_store_table_counts(s, t, PT_STORE_COPY_TABLES_MAX, &n))
        return -1;
    for (int i = 0; i < n; i++)
        sum += t[i].rows;
    return sum;
}

static const pt_store_copy_table *report_table(const pt_store_copy_report *r, const char *name)
{
    for (int i = 0; i < r->ntables; i++)
        if (strcmp(r->tables[i].name, name) == 0)
            return &r->tables[i];
    return NULL;
}

/* --- copying ---------------------------------------------------------------------------------- */

COPY_TEST(store_copy_keeps_every_row_column_and_id)
{
    pt_store *a = open_store(from, "src");
    pt_store *b = open_store(to, "dst");
    ASSERT(a && b);
    ASSERT_OK(fill_store(a));
    /* as `patron init` with the same master key leaves it: the key check already there */
    ASSERT_OK(pt_store_meta_set(b, "master_key_check", KEY_CHECK));
    pt_store_copy_report *r = calloc(1, sizeof *r);
    int rc = pt_store_copy(a, b, NULL, r);
    if (rc)
        fprintf(stderr, "    %s\n", r->errmsg);
    ASSERT_OK(rc);
    ASSERT_STR_EQ(r->errmsg, "");
    ASSERT_GE(r->ntables, 11);
    for (int i = 0; i < r->ntables; i++) {
        const pt_store_copy_table *t = &r->tables[i];
        if (!t->ok || t->rows_destination != t->rows_source || t->sum_destination != t->sum_source)
            fprintf(stderr, "    %s: %lld/%lld rows\n", t->name, (long long)t->rows_source, (long long)t->rows_destination);
        ASSERT(t->ok);
        /* the checksum does not depend on the backend the rows were read from */
        ASSERT_EQ(t->sum_destination, t->sum_source);
        ASSERT_EQ(t->rows_destination, t->rows_source);
    }
    ASSERT_STR_EQ(r->tables[0].name, "meta");
    ASSERT_EQ(report_table(r, "meta")->rows_copied, report_table(r, "meta")->rows_source - 1);
    ASSERT_EQ(report_table(r, "members")->rows_copied, 5);
    ASSERT_EQ(report_table(r, "identities")->rows_copied, 6);
    ASSERT_EQ(report_table(r, "items")->rows_copied, 10);
    ASSERT_EQ(report_table(r, "merges")->rows_copied, 2);
    ASSERT_GT(report_table(r, "merge_moved")->rows_copied, 1);
    ASSERT_EQ(r->source.members, 5);
    ASSERT_EQ(r->source.orders, 5);
    ASSERT_EQ(r->source.order_cents, 12345 * 15);
    ASSERT(r->has_ledger);
    ASSERT_EQ(r->source.points, 380);
    ASSERT(memcmp(&r->source, &r->destination, sizeof r->source) == 0);

    /* every record reads back the same through the store interface */
    struct cmp c = {.src = a, .dst = b};
    ASSERT_OK(pt_store_member_scan(a, cmp_member, &c));
    ASSERT_EQ(c.checked, 5);
    ASSERT_OK(pt_store_member_scan(a, cmp_identities_of, &c));
    ASSERT_EQ(c.checked, 11);
    ASSERT_OK(pt_store_order_scan(a, cmp_order, &c));
    ASSERT_EQ(c.checked, 16);
    ASSERT_EQ(c.differ, 0);
    ASSERT(merge_same(a, b, 1));
    ASSERT(merge_same(a, b, 2));
    ASSERT(stats_same(a, b));
    pt_member_rec m;
    pt_member_rec_init(&m);
    ASSERT_OK(pt_store_member_get(b, 2, &m));
    ASSERT_EQ(m.merged_into, 5); /* a later id of the same table */
    ASSERT_OK(pt_store_member_get(b, 4, &m));
    ASSERT_STR_EQ(m.member_no, ""); /* NULL stays NULL */
    ASSERT_EQ(m.pii.len, 0);
    ASSERT_STR_EQ(m.region, "Zürich");
    pt_member_rec_free(&m);
    pt_buf v;
    pt_buf_init(&v, 256);
    ASSERT_OK(pt_store_meta_get(b, "master_key_check", &v));
    ASSERT_STR_EQ(pt_buf_str(&v), KEY_CHECK);
    pt_buf_free(&v);

    /* later inserts take the next ids: sequences moved past the copied rows */
    int64_t id = add_member(b, "M0006", 6, 1);
    ASSERT_EQ(id, 6);
    ASSERT_OK(add_identity(b, id, PT_ID_EMAIL, 66));
    ASSERT_EQ(add_order(b, id, "订单-6", 100), 6);
    ASSERT_OK(add_activity(b, id));
    ASSERT_OK(add_runs(b, id));
    ASSERT_OK(add_merge(b, id, 4));
    pt_merge_rec g;
    pt_merge_rec_init(&g);
    ASSERT_OK(pt_store_merge_get(b, 3, &g));
    ASSERT_EQ(g.loser_id, 4);
    pt_merge_rec_free(&g);
    pt_identity_rec ir;
    pt_identity_rec_init(&ir);
    uint8_t blind[PT_BLIND_LEN];
    for (int i = 0; i < PT_BLIND_LEN; i++)
        blind[i] = (uint8_t)(66 * 37 + i * 11);
    ASSERT_OK(pt_store_identity_find(b, PT_ID_EMAIL, blind, &ir));
    ASSERT_EQ(ir.id, 7);
    pt_identity_rec_free(&ir);
    pt_entry_rec e = {.member_id = id, .kind = PT_ENTRY_ADJUST, .bucket = PT_BUCKET_AVAILABLE, .points = 1};
    ASSERT_OK(pt_store_entry_insert(b, &e));
    ASSERT_EQ(e.id, 3);
    /* foreign keys are enforced again after the copy */
    ASSERT_EQ(add_identity(b, 999, PT_ID_PHONE, 99), PT_EINVAL);
    free(r);
    pt_store_close(a);
    pt_store_close(b);
}

TEST(store_copy_round_trip_sqlite_postgres_sqlite_gives_back_the_same_tables)
{
    if (!pg_base())
        SKIP(PG_SKIP_MSG);
    pt_store *a = open_store(BE_SQLITE, "rt_a");
    pt_store *b = open_store(BE_POSTGRES, "rt_b");
    pt_store *c = open_store(BE_SQLITE, "rt_c");
    ASSERT(a && b && c);
    ASSERT_OK(fill_store(a));
    pt_store_copy_report *r1 = calloc(1, sizeof *r1), *r2 = calloc(1, sizeof *r2);
    ASSERT_OK(pt_store_copy(a, b, NULL, r1));
    ASSERT_OK(pt_store_copy(b, c, NULL, r2));
    ASSERT_EQ(r1->ntables, r2->ntables);
    for (int i = 0; i < r1->ntables; i++) {
        ASSERT_STR_EQ(r1->tables[i].name, r2->tables[i].name);
        if (r1->tables[i].sum_source != r2->tables[i].sum_destination)
            fprintf(stderr, "    %s: %lld/%lld/%lld/%lld rows\n", r1->tables[i].name, (long long)r1->tables[i].rows_source,
                    (long long)r1->tables[i].rows_destination, (long long)r2->tables[i].rows_source,
                    (long long)r2->tables[i].rows_destination);
        ASSERT_EQ(r1->tables[i].sum_source, r2->tables[i].sum_destination);
        ASSERT_EQ(r1->tables[i].rows_source, r2->tables[i].rows_destination);
    }
    struct cmp k = {.src = a, .dst = c};
    ASSERT_OK(pt_store_member_scan(a, cmp_member, &k));
    ASSERT_OK(pt_store_member_scan(a, cmp_identities_of, &k));
    ASSERT_OK(pt_store_order_scan(a, cmp_order, &k));
    ASSERT_EQ(k.checked, 16);
    ASSERT_EQ(k.differ, 0);
    ASSERT(stats_same(a, c));
    free(r1);
    free(r2);
    pt_store_close(a);
    pt_store_close(b);
    pt_store_close(c);
}

struct progress {
    uint64_t last_done, last_total, calls;
};

static void on_progress(void *ud, uint64_t done, uint64_t total, int64_t rows)
{
    struct progress *p = ud;
    (void)rows;
    p->last_done = done;
    p->last_total = total;
    p->calls++;
}

TEST(store_copy_reports_progress_up_to_twice_the_source_rows)
{
    pt_store *a = open_store(BE_SQLITE, "src");
    pt_store *b = open_store(BE_SQLITE, "dst");
    ASSERT(a && b);
    ASSERT_OK(fill_store(a));
    struct progress p = {0};
    pt_store_copy_opts o = {.progress = on_progress, .progress_ud = &p};
    ASSERT_OK(pt_store_copy(a, b, &o, NULL));
    ASSERT_GT(p.calls, 1);
    ASSERT_EQ(p.last_total, 2 * (uint64_t)total_rows(a));
    ASSERT_EQ(p.last_done, p.last_total);
    pt_store_close(a);
    pt_store_close(b);
}

/* --- refusals --------------------------------------------------------------------------------- */

/* Copies a into b expecting failure `want`; the message must contain `needle`. */
static int copy_fails(pt_store *a, pt_store *b, int want, const char *needle)
{
    pt_store_copy_report *r = calloc(1, sizeof *r);
    int rc = pt_store_copy(a, b, NULL, r);
    int ok = rc == want && strstr(r->errmsg, needle) != NULL;
    if (!ok)
        fprintf(stderr, "    copy gave %s (want %s): \"%s\" (want \"%s\")\n", pt_errname(rc), pt_errname(want),
                r->errmsg, needle);
    free(r);
    return ok;
}

DEST_TEST(store_copy_refuses_a_destination_that_holds_data)
{
    pt_store *a = open_store(BE_SQLITE, "src");
    pt_store *b = open_store(to, "dst");
    ASSERT(a && b);
    ASSERT_OK(fill_store(a));
    ASSERT_EQ(add_member(b, "already-here", 1, 0), 1);
    ASSERT(copy_fails(a, b, PT_ESTATE, "members holds 1 rows"));
    ASSERT_EQ(total_rows(b), 1);
    ASSERT(!pt_store_in_tx(a) && !pt_store_in_tx(b));
    pt_store_close(a);
    pt_store_close(b);
}

DEST_TEST(store_copy_refuses_a_destination_bound_to_another_master_key)
{
    pt_store *a = open_store(BE_SQLITE, "src");
    pt_store *b = open_store(to, "dst");
    ASSERT(a && b);
    ASSERT_OK(fill_store(a));
    ASSERT_OK(pt_store_meta_set(b, "master_key_check", "ffffffffffffffff"));
    ASSERT(copy_fails(a, b, PT_ESTATE, "another master key"));
    ASSERT_EQ(total_rows(b), 1);
    pt_store_close(a);
    pt_store_close(b);
}

/* A source row names a parent that does not exist (written behind the store's back): the copy
 * fails at the last table (PostgreSQL) or at the commit (SQLite), after every other table was
 * loaded — and the destination is as empty as before, its ids included. */
DEST_TEST(store_copy_that_fails_midway_leaves_the_destination_empty)
{
    pt_store *a = open_store(BE_SQLITE, "src");
    pt_store *b = open_store(to, "dst");
    ASSERT(a && b);
    ASSERT_OK(fill_store(a));
    ASSERT_OK(sqlite_sql("src", "INSERT INTO merge_moved (merge_id, kind, row_id) VALUES (999, 2, 1)"));
    ASSERT(copy_fails(a, b, PT_EINVAL, "merge_moved"));
    ASSERT_EQ(total_rows(b), 0);
    ASSERT(!pt_store_in_tx(b));
    ASSERT_EQ(add_member(b, "first", 1, 1), 1);
    ASSERT_EQ(add_identity(b, 999, PT_ID_PHONE, 99), PT_EINVAL); /* foreign keys enforced again */
    pt_store_close(a);
    pt_store_close(b);
}

TEST(store_copy_refuses_stores_at_different_schema_versions)
{
    pt_store *a = open_store(BE_SQLITE, "src");
    pt_store *b = open_store(BE_SQLITE, "dst");
    ASSERT(a && b);
    ASSERT_OK(fill_store(a));
    ASSERT_OK(sqlite_sql("dst", "PRAGMA user_version = 99"));
    ASSERT(copy_fails(a, b, PT_ESCHEMA, "schema version"));
    ASSERT_EQ(total_rows(b), 0);
    pt_store_close(a);
    pt_store_close(b);
}

TEST(store_copy_refuses_a_source_table_it_does_not_know_by_name)
{
    pt_store *a = open_store(BE_SQLITE, "src");
    pt_store *b = open_store(BE_SQLITE, "dst");
    ASSERT(a && b);
    ASSERT_OK(fill_store(a));
    ASSERT_OK(sqlite_sql("src", "CREATE TABLE loyalty_extra (id INTEGER PRIMARY KEY, note TEXT);"
                                "INSERT INTO loyalty_extra (note) VALUES ('x')"));
    ASSERT(copy_fails(a, b, PT_ESCHEMA, "loyalty_extra"));
    ASSERT(copy_fails(a, b, PT_ESCHEMA, "table_order in src/store_copy.c"));
    ASSERT_EQ(total_rows(b), 0);
    pt_store_close(a);
    pt_store_close(b);
}

TEST(store_copy_refuses_tables_whose_columns_differ)
{
    pt_store *a = open_store(BE_SQLITE, "src");
    pt_store *b = open_store(BE_SQLITE, "dst");
    ASSERT(a && b);
    ASSERT_OK(fill_store(a));
    ASSERT_OK(sqlite_sql("dst", "ALTER TABLE orders ADD COLUMN note TEXT"));
    ASSERT(copy_fails(a, b, PT_ESCHEMA, "table orders has a column note that the source lacks"));
    pt_store *b2 = open_store(BE_SQLITE, "dst2");
    ASSERT(b2);
    ASSERT_OK(sqlite_sql("src", "ALTER TABLE events ADD COLUMN weight INTEGER"));
    ASSERT(copy_fails(a, b2, PT_ESCHEMA, "table events has no column weight"));
    ASSERT_EQ(total_rows(b), 0);
    ASSERT_EQ(total_rows(b2), 0);
    pt_store_close(a);
    pt_store_close(b);
    pt_store_close(b2);
}

TEST(store_copy_refuses_to_copy_a_store_onto_itself_or_inside_a_transaction)
{
    pt_store *a = open_store(BE_SQLITE, "src");
    pt_store *a2 = open_store(BE_SQLITE, "src");
    pt_store *b = open_store(BE_SQLITE, "dst");
    ASSERT(a && a2 && b);
    ASSERT(copy_fails(a, a2, PT_EINVAL, "same store"));
    ASSERT_OK(pt_store_begin(b));
    ASSERT(copy_fails(a, b, PT_ESTATE, "transaction"));
    ASSERT_OK(pt_store_rollback(b));
    pt_store_close(a);
    pt_store_close(a2);
    pt_store_close(b);
}

/* --- the command line ------------------------------------------------------------------------- */

#define BIN pt_test_patron_bin()

/* Runs a patron command line (printf-style, BIN first) and parses its stdout as JSON. */
static json_t *run_json(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *run_json(const char *fmt, ...)
{
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char *out = NULL;
    int st = pt_test_run(&out, "%s", cmd);
    json_t *o = st == 0 && out ? json_loads(out, 0, NULL) : NULL;
    if (!o)
        fprintf(stderr, "    `%s` exited %d: %.300s\n", cmd, st, out ? out : "");
    free(out);
    return o;
}

/* The overview of a store without its "store" (backend) field. */
static json_t *overview(const char *data, const char *store_url)
{
    json_t *o = store_url ? run_json("'%s' overview --json --data '%s' --store '%s'", BIN, data, store_url)
                          : run_json("'%s' overview --json --data '%s'", BIN, data);
    if (o)
        json_object_del(o, "store");
    return o;
}

static json_t *info_tables(const char *data, const char *store_url)
{
    json_t *o = store_url ? run_json("'%s' store info --json --data '%s' --store '%s'", BIN, data, store_url)
                          : run_json("'%s' store info --json --data '%s'", BIN, data);
    json_t *t = o ? json_incref(json_object_get(o, "tables")) : NULL;
    json_decref(o);
    return t;
}

TEST(store_copy_cli_round_trips_the_demo_store_sqlite_postgres_sqlite)
{
    if (!pg_base())
        SKIP(PG_SKIP_MSG);
    const char *dir = pt_test_tmpdir();
    char data[4200], src[4300], final[4300], pg[4400], *out = NULL;
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(src, sizeof src, "sqlite:%s/patron.db", data);
    snprintf(final, sizeof final, "sqlite:%s/final.db", dir);
    snprintf(pg, sizeof pg, "%s", store_url(BE_POSTGRES, "cli_round_trip"));
    int st = pt_test_run(&out, "'%s' demo --members 5000 --seed 11 --data '%s' 2>&1", BIN, data);
    if (st)
        fprintf(stderr, "%s\n", out ? out : "");
    free(out);
    ASSERT_EQ(st, 0);

    json_t *c1 = run_json("'%s' store copy --from '%s' --to '%s' --json 2>/dev/null", BIN, src, pg);
    json_t *c2 = run_json("'%s' store copy --from '%s' --to '%s' --json 2>/dev/null", BIN, pg, final);
    ASSERT(c1 && c2);
    ASSERT(json_is_true(json_object_get(c1, "ok")));
    ASSERT_STR_EQ(json_string_value(json_object_get(c1, "to_backend")), "postgres");
    ASSERT_STR_EQ(json_string_value(json_object_get(c2, "to_backend")), "sqlite");
    ASSERT_GT(json_integer_value(json_object_get(c1, "rows")), 20000);
    ASSERT(json_equal(json_object_get(c1, "source"), json_object_get(c2, "destination")));
    /* every table holds the same content at the end as at the start */
    json_t *ta = json_object_get(c1, "tables"), *tb = json_object_get(c2, "tables");
    ASSERT_EQ(json_array_size(ta), json_array_size(tb));
    for (size_t i = 0; i < json_array_size(ta); i++)
        ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(ta, i), "checksum_source")),
                      json_string_value(json_object_get(json_array_get(tb, i), "checksum_destination")));
    json_decref(c1);
    json_decref(c2);

    /* the same overview from all three, each opened with the original master key */
    json_t *o1 = overview(data, NULL), *o2 = overview(data, pg), *o3 = overview(data, final);
    ASSERT(o1 && o2 && o3);
    ASSERT_GT(json_integer_value(json_object_get(o1, "members")), 4000);
    ASSERT_GT(json_integer_value(json_object_get(o1, "orders")), 10000);
    ASSERT_GT(json_integer_value(json_object_get(o1, "revenue_cents")), 0);
    ASSERT(json_equal(o1, o2));
    ASSERT(json_equal(o1, o3));
    json_decref(o1);
    json_decref(o2);
    json_decref(o3);
    json_t *t1 = info_tables(data, NULL), *t2 = info_tables(data, pg), *t3 = info_tables(data, final);
    ASSERT(t1 && t2 && t3);
    ASSERT(json_equal(t1, t2));
    ASSERT(json_equal(t1, t3));
    json_decref(t1);
    json_decref(t2);
    json_decref(t3);

    /* a member found by phone on the final copy, as on the original */
    st = pt_test_run(&out, "cd '%s/demo-input' && tr -d ' -' <members_store.csv | grep -oE '1[3-9][0-9]{9}' | head -n 1",
                     data);
    ASSERT_EQ(st, 0);
    char phone[32];
    snprintf(phone, sizeof phone, "%.11s", out ? out : "");
    free(out);
    ASSERT_EQ(strlen(phone), 11);
    json_t *m1 = run_json("'%s' member show --phone '%s' --json --data '%s'", BIN, phone, data);
    json_t *m3 = run_json("'%s' member show --phone '%s' --json --data '%s' --store '%s'", BIN, phone, data, final);
    ASSERT(m1 && m3);
    ASSERT_EQ(strlen(json_string_value(json_object_get(m3, "member_no"))), 10);
    ASSERT(json_equal(m1, m3));
    json_decref(m1);
    json_decref(m3);
}

TEST(store_copy_cli_copies_to_a_new_store_and_refuses_one_with_data)
{
    const char *dir = pt_test_tmpdir();
    char data[4200], copy[4300], *out = NULL;
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(copy, sizeof copy, "%s/copy.db", dir);
    ASSERT_EQ(pt_test_run(NULL, "'%s' init --data '%s' >/dev/null 2>&1", BIN, data), 0);
    const char *csv = pt_test_write_file(dir, "m.csv", "phone,name\n+86 138 0013 8000,李伟\n139-0013-9000,王芳\n");
    ASSERT_EQ(pt_test_run(NULL, "'%s' import members '%s' --source pos --data '%s' >/dev/null 2>&1", BIN, csv, data), 0);
    /* --from defaults to the current store */
    ASSERT_EQ(pt_test_run(&out, "'%s' store copy --to '%s' --data '%s' 2>&1", BIN, copy, data), 0);
    ASSERT_STR_CONTAINS(out, "members");
    ASSERT_STR_CONTAINS(out, " ok");
    free(out);
    json_t *t = info_tables(data, copy);
    ASSERT(t);
    ASSERT_EQ(json_integer_value(json_object_get(t, "members")), 2);
    json_decref(t);
    ASSERT_EQ(pt_test_run(NULL, "'%s' member show --phone 13800138000 --data '%s' --store '%s' >/dev/null", BIN, data,
                          copy), 0);
    /* again: the destination has data now */
    ASSERT_EQ(pt_test_run(&out, "'%s' store copy --to '%s' --data '%s' 2>&1", BIN, copy, data), 4);
    ASSERT_STR_CONTAINS(out, "not empty");
    free(out);
    /* usage errors, a missing source, help */
    ASSERT_EQ(pt_test_run(NULL, "'%s' store copy --data '%s' 2>/dev/null", BIN, data), 2);
    ASSERT_EQ(pt_test_run(NULL, "'%s' store frobnicate 2>/dev/null", BIN), 2);
    ASSERT_EQ(pt_test_run(NULL, "'%s' store copy --from '%s/none.db' --to '%s/x.db' 2>/dev/null", BIN, dir, dir), 3);
    ASSERT_EQ(pt_test_run(&out, "'%s' store --help", BIN), 0);
    ASSERT_STR_CONTAINS(out, "usage: patron store copy");
    free(out);
    ASSERT_EQ(pt_test_run(&out, "'%s' store info --data '%s'", BIN, data), 0);
    ASSERT_STR_CONTAINS(out, "backend sqlite");
    free(out);
}

TEST(store_copy_cli_masks_the_password_of_a_postgresql_url)
{
    char *out = NULL;
    const char *dir = pt_test_tmpdir();
    int st = pt_test_run(&out, "'%s' store copy --from 'sqlite:%s/a.db' --to 'postgresql://u:hunter2@/db?host=/nonexistent-dir'"
                         " 2>&1", BIN, dir);
    ASSERT_EQ(st, 3); /* no store at --from: nothing is created there */
    free(out);
    pt_store *a = open_store(BE_SQLITE, "a");
    ASSERT(a);
    pt_store_close(a);
    st = pt_test_run(&out, "'%s' store copy --from 'sqlite:%s/a.db' --to 'postgresql://u:hunter2@/db?host=/nonexistent-dir'"
                     " 2>&1", BIN, dir);
    ASSERT_EQ(st, 5);
    ASSERT(strstr(out, "hunter2") == NULL);
    ASSERT_STR_CONTAINS(out, "postgresql://u:***@/db");
    free(out);
    st = pt_test_run(&out, "'%s' store info --store 'postgresql://u:hunter2@/db?host=/nonexistent-dir' 2>&1", BIN);
    ASSERT_EQ(st, 5);
    ASSERT(strstr(out, "hunter2") == NULL);
    free(out);
}

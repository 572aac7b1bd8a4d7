/* test_store.c — the store interface on the SQLite backend: migrations, transactions and
 * savepoints, unique keys as PT_EEXIST, record round trips, merges moving rows and back, and
 * durability across reopen. */
#include "test.h"
#include "patron/error.h"
#include "patron/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pt_store *open_store(const char *name)
{
    char url[4200], err[256] = "";
    snprintf(url, sizeof url, "sqlite:%s/%s.db", pt_test_tmpdir(), name);
    pt_store *s = NULL;
    int rc = pt_store_open(&s, url, err, sizeof err);
    if (rc)
        fprintf(stderr, "open %s: %s\n", url, err);
    return s;
}

static int64_t add_member(pt_store *s, const char *no)
{
    pt_member_rec m;
    pt_member_rec_init(&m);
    snprintf(m.member_no, sizeof m.member_no, "%s", no);
    m.status = PT_MEMBER_ACTIVE;
    m.registered_at = 1700000000;
    snprintf(m.reg_channel, sizeof m.reg_channel, "store");
    m.created_at = m.updated_at = 1700000000;
    int rc = pt_store_member_insert(s, &m);
    pt_member_rec_free(&m);
    return rc ? -1 : m.id;
}

static int64_t add_order(pt_store *s, int64_t member, const char *no, int64_t cents)
{
    pt_order_rec o = {.member_id = member, .ordered_at = 1700000100, .amount_cents = cents, .status = PT_ORDER_PAID};
    snprintf(o.order_no, sizeof o.order_no, "%s", no);
    snprintf(o.source, sizeof o.source, "pos");
    return pt_store_order_insert(s, &o) ? -1 : o.id;
}

TEST(store_open_applies_migrations_and_reports_the_schema_version)
{
    pt_store *s = open_store("mig");
    ASSERT(s);
    int v = 0;
    ASSERT_OK(pt_store_schema_version(s, &v));
    ASSERT_GE(v, 1);
    ASSERT_STR_EQ(pt_store_backend(s), "sqlite");
    pt_store_close(s);
}

TEST(store_refuses_a_store_written_by_a_newer_schema)
{
    pt_store *s = open_store("newer");
    ASSERT(s);
    pt_store_close(s);
    char path[4200];
    snprintf(path, sizeof path, "%s/newer.db", pt_test_tmpdir());
    sqlite3 *db = NULL;
    ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    char url[4200], err[256] = "";
    snprintf(url, sizeof url, "%s/newer.db", pt_test_tmpdir());
    ASSERT_EQ(pt_store_open(&s, url, err, sizeof err), PT_ESCHEMA);
    ASSERT(s == NULL);
    ASSERT_STR_CONTAINS(err, "999");
}

TEST(store_rejects_an_unknown_backend_with_a_clear_message)
{
    pt_store *s = NULL;
    char err[256] = "";
    ASSERT_EQ(pt_store_open(&s, "", err, sizeof err), PT_EINVAL);
    ASSERT_EQ(pt_store_open(&s, "sqlite:", err, sizeof err), PT_EINVAL);
    ASSERT_STR_CONTAINS(err, "names no file");
}

TEST(store_meta_round_trips_and_reports_absent_keys)
{
    pt_store *s = open_store("meta");
    ASSERT(s);
    pt_buf v;
    pt_buf_init(&v, 1024);
    ASSERT_EQ(pt_store_meta_get(s, "k", &v), PT_ENOTFOUND);
    ASSERT_OK(pt_store_meta_set(s, "k", "one"));
    ASSERT_OK(pt_store_meta_set(s, "k", "two"));
    ASSERT_OK(pt_store_meta_get(s, "k", &v));
    ASSERT_STR_EQ(pt_buf_str(&v), "two");
    pt_buf_free(&v);
    pt_store_close(s);
}

TEST(store_member_round_trips_every_column)
{
    pt_store *s = open_store("member");
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
    m.created_at = 1600000003;
    m.updated_at = 1600000004;
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
    ASSERT_EQ(g.merged_into, 0);
    ASSERT_EQ(g.key_wrapped.len, 9);
    ASSERT_EQ(memcmp(g.key_wrapped.data, "\x00\x01wrapped", 9), 0);
    ASSERT_EQ(g.pii.len, 12);
    ASSERT_STR_EQ(pt_buf_str(&g.provenance), "{\"name\":[\"app\",1]}");
    g.gender = 0;
    g.status = PT_MEMBER_ACTIVE;
    ASSERT_OK(pt_store_member_update(s, &g));
    ASSERT_OK(pt_store_member_get_by_no(s, "M000000001", &m));
    ASSERT_EQ(m.gender, 0);
    ASSERT_EQ(m.status, PT_MEMBER_ACTIVE);
    ASSERT_EQ(pt_store_member_get(s, 999, &m), PT_ENOTFOUND);
    g.id = 999;
    ASSERT_EQ(pt_store_member_update(s, &g), PT_ENOTFOUND);
    pt_member_rec_free(&m);
    pt_member_rec_free(&g);
    pt_store_close(s);
}

TEST(store_unique_keys_fail_with_eexist_and_leave_the_transaction_usable)
{
    pt_store *s = open_store("unique");
    ASSERT(s);
    ASSERT_OK(pt_store_begin(s));
    int64_t a = add_member(s, "M1");
    ASSERT_GT(a, 0);
    ASSERT_EQ(add_member(s, "M1"), -1);
    ASSERT_GT(add_member(s, ""), 0); /* empty numbers do not collide */
    ASSERT_GT(add_member(s, ""), 0);
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

TEST(store_savepoint_rollback_undoes_only_the_inner_work)
{
    pt_store *s = open_store("nest");
    ASSERT(s);
    ASSERT_OK(pt_store_begin(s));
    int64_t a = add_member(s, "A");
    ASSERT_OK(pt_store_begin(s));
    ASSERT_EQ(pt_store_in_tx(s), 1);
    add_member(s, "B");
    ASSERT_OK(pt_store_rollback(s));
    ASSERT_OK(pt_store_begin(s));
    add_member(s, "C");
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
    pt_store_close(s);
}

TEST(store_closing_with_an_open_transaction_keeps_nothing_of_it)
{
    pt_store *s = open_store("close");
    ASSERT(s);
    add_member(s, "kept");
    ASSERT_OK(pt_store_begin(s));
    add_member(s, "lost");
    pt_store_close(s);
    s = open_store("close");
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

TEST(store_iteration_stops_when_the_callback_returns_nonzero)
{
    pt_store *s = open_store("iter");
    ASSERT(s);
    int64_t a = add_member(s, "A");
    add_order(s, a, "O1", 1);
    add_order(s, a, "O2", 2);
    int calls = 0;
    ASSERT_EQ(pt_store_order_list(s, a, stop_at_first, &calls), 42);
    ASSERT_EQ(calls, 1);
    calls = 0;
    ASSERT_EQ(pt_store_order_scan(s, stop_at_first, &calls), 42); /* the statement was reset */
    ASSERT_EQ(calls, 1);
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

TEST(store_callbacks_may_reenter_the_same_query)
{
    pt_store *s = open_store("reenter");
    ASSERT(s);
    int64_t a = add_member(s, "A");
    add_order(s, a, "O1", 1);
    add_order(s, a, "O2", 2);
    struct nested n = {s, 0};
    ASSERT_OK(pt_store_order_list(s, a, list_again, &n));
    ASSERT_EQ(n.inner, 4);
    pt_store_close(s);
}

TEST(store_merge_moves_rows_to_the_survivor_and_undo_moves_the_same_rows_back)
{
    pt_store *s = open_store("merge");
    ASSERT(s);
    int64_t keep = add_member(s, "K"), lose = add_member(s, "L");
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

    pt_merge_rec mr;
    pt_merge_rec_init(&mr);
    mr.survivor_id = keep;
    mr.loser_id = lose;
    mr.merged_at = 20;
    snprintf(mr.reason, sizeof mr.reason, "phone");
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
    pt_merge_rec g;
    pt_merge_rec_init(&g);
    ASSERT_OK(pt_store_merge_get(s, mr.id, &g));
    ASSERT_EQ(g.undone_at, 30);
    ASSERT_STR_EQ(g.reason, "phone");
    pt_store_stats st;
    ASSERT_OK(pt_store_stats_get(s, &st));
    ASSERT_EQ(st.merges_in_force, 0);
    ASSERT_EQ(st.order_cents, 1200);
    pt_merge_rec_free(&g);
    pt_merge_rec_free(&mr);
    pt_store_close(s);
}

static int count_run(void *ud, const pt_import_run_rec *r)
{
    if (r->rows_read == 10 && r->rows_rejected == 2 && strcmp(pt_buf_str(&r->missing), "{\"email\":3}") == 0)
        ++*(int *)ud;
    return 0;
}

TEST(store_import_runs_are_updated_in_place)
{
    pt_store *s = open_store("runs");
    ASSERT(s);
    pt_import_run_rec r;
    pt_import_run_rec_init(&r);
    snprintf(r.kind, sizeof r.kind, "members");
    snprintf(r.source, sizeof r.source, "pos");
    snprintf(r.file, sizeof r.file, "a.csv");
    ASSERT_OK(pt_store_import_run_insert(s, &r));
    r.rows_read = 10;
    r.rows_rejected = 2;
    ASSERT_OK(pt_buf_append_str(&r.missing, "{\"email\":3}"));
    ASSERT_OK(pt_store_import_run_update(s, &r));
    int n = 0;
    ASSERT_OK(pt_store_import_run_scan(s, count_run, &n));
    ASSERT_EQ(n, 1);
    pt_import_run_rec_free(&r);
    pt_store_close(s);
}

TEST(store_foreign_keys_refuse_orders_of_unknown_members)
{
    pt_store *s = open_store("fk");
    ASSERT(s);
    ASSERT_EQ(add_order(s, 12345, "O1", 1), -1);
    ASSERT_STR_CONTAINS(pt_store_errmsg(s), "FOREIGN KEY");
    pt_store_close(s);
}

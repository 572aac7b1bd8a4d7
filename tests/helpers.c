/* helpers.c — see helpers.h. */
#include "helpers.h"
#include "patron/snapshot.h"
#include "test.h"
#include "patron/error.h"

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

pt_db *test_db(const char *name)
{
    char dir[4200], err[1024] = "";
    snprintf(dir, sizeof dir, "%s/%s", pt_test_tmpdir(), name);
    pt_db *db = NULL;
    if (pt_db_init(dir, NULL, err, sizeof err) || pt_db_open(&db, dir, NULL, err, sizeof err)) {
        fprintf(stderr, "    test_db: %s\n", err);
        return NULL;
    }
    pt_db_set_clock(db, TEST_NOW);
    return db;
}

static void add_id(pt_db *db, pt_profile_in *in, int kind, const char *raw)
{
    if (!raw)
        return;
    pt_ident *id = &in->ids[in->nids];
    if (pt_identifier_normalise(db, kind, raw, id->value, sizeof id->value, NULL) == PT_OK) {
        id->kind = kind;
        in->nids++;
    }
}

int64_t test_add_member(pt_db *db, const char *source, const char *phone, const char *email,
                        const char *name, const char *birthday, int64_t at, pt_resolve_out *out)
{
    pt_profile_in in;
    pt_resolve_out scratch;
    memset(&in, 0, sizeof in);
    pt_member_init(&in.m);
    in.source = source;
    in.observed_at = at;
    in.m.registered_at = at;
    add_id(db, &in, PT_ID_PHONE, phone);
    add_id(db, &in, PT_ID_EMAIL, email);
    for (int i = 0; i < in.nids; i++) {
        if (in.ids[i].kind == PT_ID_PHONE)
            snprintf(in.m.phone, sizeof in.m.phone, "%s", in.ids[i].value);
        if (in.ids[i].kind == PT_ID_EMAIL)
            snprintf(in.m.email, sizeof in.m.email, "%s", in.ids[i].value);
    }
    if (name)
        snprintf(in.m.name, sizeof in.m.name, "%s", name);
    if (birthday)
        snprintf(in.m.birthday, sizeof in.m.birthday, "%s", birthday);
    int rc = pt_identity_resolve(db, &in, out ? out : &scratch);
    pt_member_wipe(&in.m);
    if (rc) {
        fprintf(stderr, "    test_add_member: %s\n", pt_db_errmsg(db));
        return -1;
    }
    return (out ? out : &scratch)->member_id;
}

int test_file_contains_any(const char *path, const char *const *needles, int n)
{
    size_t len;
    char *buf = pt_test_slurp(path, &len);
    int found = 0;
    for (int i = 0; buf && i < n && !found; i++)
        found = memmem(buf, len, needles[i], strlen(needles[i])) != NULL;
    free(buf);
    return found;
}

/* --- stores on both backends ------------------------------------------------------------- */

const char *test_pg_base(void)
{
    const char *u = getenv("PATRON_TEST_PG");
    return u && *u ? u : NULL;
}

void test_pg_schema(const char *name, char *out, size_t cap)
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

long long test_pg_sql(const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    if (!test_pg_base())
        return -1;
    PGconn *c = PQconnectdb(test_pg_base());
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

const char *test_store_url(enum test_backend be, const char *name, const char *options)
{
    static char url[4200];
    if (be == TEST_SQLITE) {
        snprintf(url, sizeof url, "sqlite:%s/%s.db", pt_test_tmpdir(), name);
        return url;
    }
    char schema[128];
    test_pg_schema(name, schema, sizeof schema);
    if (test_pg_sql("CREATE SCHEMA IF NOT EXISTS %s", schema) < 0)
        return NULL;
    const char *base = test_pg_base();
    snprintf(url, sizeof url, "%s%soptions=-csearch_path%%3D%s%s", base, strchr(base, '?') ? "&" : "?", schema,
             options ? options : "");
    return url;
}

pt_store *test_store_open(enum test_backend be, const char *name, const char *options)
{
    char err[512] = "";
    const char *url = test_store_url(be, name, options);
    pt_store *s = NULL;
    if (!url)
        return NULL;
    int rc = pt_store_open(&s, url, err, sizeof err);
    if (rc)
        fprintf(stderr, "    open %s: %s (%s)\n", name, err, pt_errname(rc));
    return s;
}

pt_db *test_db_on(enum test_backend be, const char *name)
{
    char dir[4200], url[4200], err[1024] = "";
    snprintf(dir, sizeof dir, "%s/%s", pt_test_tmpdir(), name);
    const char *u = test_store_url(be, name, NULL);
    if (!u)
        return NULL;
    snprintf(url, sizeof url, "%s", u);
    pt_db_opts o = {.store_url = url};
    pt_db *db = NULL;
    if (pt_db_init(dir, &o, err, sizeof err) || pt_db_open(&db, dir, &o, err, sizeof err)) {
        fprintf(stderr, "    test_db_on: %s\n", err);
        return NULL;
    }
    pt_db_set_clock(db, TEST_NOW);
    return db;
}

int64_t test_store_member(pt_store *s, const char *no)
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

pt_snapshot *test_snapshot_of_csv(const char *text)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    if (!f)
        return NULL;
    pt_snapshot *snap = NULL;
    char err[256];
    int rc = pt_snapshot_load_transactions(&snap, f, "test.csv", NULL, NULL, err, sizeof err);
    fclose(f);
    if (rc)
        fprintf(stderr, "    loading the CSV: %s\n", err);
    return rc ? NULL : snap;
}

/* test_store_retry.c — concurrent conflicting writes on every backend: writers on their own
 * connections collide on the same new identifiers, and every write still succeeds with the
 * outcome a one-at-a-time order would give. On PostgreSQL the losers of a collision fail with a
 * serialization failure or deadlock (PT_ERETRY) and the record resolution and the importer run
 * their transaction again; on SQLite writers queue on the database lock.
 */
#include "test.h"
#include "helpers.h"
#include "patron/db.h"
#include "patron/error.h"
#include "patron/identity.h"
#include "patron/ingest.h"
#include "patron/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WRITERS 4
#define ROUNDS  6

struct writer {
    char               dir[4200], url[4200];
    enum test_backend  be;
    pthread_barrier_t *start;
    int                id;
    const char        *file;              /* import: the file to load */
    int64_t            member[ROUNDS];    /* resolve: the member each round's record went to */
    int                created;
    int                failed;
    pt_import_run_rec  run;               /* import: the stored counts */
};

static pt_db *open_writer(struct writer *w)
{
    pt_db_opts o = {.store_url = w->url};
    pt_db *db = NULL;
    char err[512];
    if (pt_db_open(&db, w->dir, &o, err, sizeof err)) {
        fprintf(stderr, "    writer %d: %s\n", w->id, err);
        return NULL;
    }
    pt_db_set_clock(db, TEST_NOW);
    return db;
}

/* Each round every writer resolves the same new phone at the same moment. */
static void *resolver(void *arg)
{
    struct writer *w = arg;
    pt_db *db = open_writer(w);
    for (int r = 0; r < ROUNDS; r++) {
        char phone[16];
        snprintf(phone, sizeof phone, "1380013%04d", r);
        pthread_barrier_wait(w->start);
        pt_resolve_out out;
        if (!db || (w->member[r] = test_add_member(db, "app", phone, NULL, NULL, NULL, TEST_NOW, &out)) < 0)
            w->failed++;
        else
            w->created += out.created;
    }
    pt_db_close(db);
    return NULL;
}

static void run_writers(struct writer *w, void *(*fn)(void *))
{
    static pthread_barrier_t start;
    pthread_t th[WRITERS];
    pthread_barrier_init(&start, NULL, WRITERS);
    for (int i = 0; i < WRITERS; i++) {
        w[i].start = &start;
        pthread_create(&th[i], NULL, fn, &w[i]);
    }
    for (int i = 0; i < WRITERS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
}

static void writer_init(struct writer *w, int i, enum test_backend be, const char *name)
{
    memset(w, 0, sizeof *w);
    w->id = i;
    w->be = be;
    snprintf(w->dir, sizeof w->dir, "%s/%s", pt_test_tmpdir(), name);
    snprintf(w->url, sizeof w->url, "%s", test_store_url(be, name, NULL));
}

/* 4 writers × 6 rounds: in each round all four resolve the same new phone at once. Every call
 * succeeds; all four get the same member; exactly one of them created it; the store ends with
 * 6 members and 6 identifiers. */
BOTH_TEST(store_concurrent_resolves_of_one_new_identifier_all_succeed_on_one_member)
{
    pt_db *db = test_db_on(be, "resolve");
    ASSERT(db);
    static struct writer w[WRITERS];
    for (int i = 0; i < WRITERS; i++)
        writer_init(&w[i], i, be, "resolve");
    run_writers(w, resolver);
    int failed = 0, created = 0;
    for (int i = 0; i < WRITERS; i++) {
        failed += w[i].failed;
        created += w[i].created;
    }
    ASSERT_EQ(failed, 0);
    ASSERT_EQ(created, ROUNDS);
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 1; i < WRITERS; i++)
            ASSERT_EQ(w[i].member[r], w[0].member[r]);
    pt_store_stats st;
    ASSERT_OK(pt_store_stats_get(pt_db_store(db), &st));
    ASSERT_EQ(st.members, ROUNDS);
    ASSERT_EQ(st.identities, ROUNDS);
    pt_db_close(db);
}

/* --- imports ------------------------------------------------------------------------------- */

#define SHARED 20 /* phones in every file */
#define OWN    5  /* phones in one file only */

static void *importer(void *arg)
{
    struct writer *w = arg;
    pt_db *db = open_writer(w);
    pthread_barrier_wait(w->start);
    pt_import_opts o = {.source = "eshop"};
    pt_import_result res;
    pt_import_result_init(&res);
    int rc = db ? pt_import_file(db, PT_IMPORT_MEMBERS, w->file, &o, &res) : PT_EIO;
    if (rc) {
        fprintf(stderr, "    importer %d: %s (%s)\n", w->id, db ? pt_db_errmsg(db) : "no store", pt_errname(rc));
        w->failed++;
    }
    w->run = res.run;
    w->run.missing = (pt_buf){0}; /* not read; freed below */
    pt_import_result_free(&res);
    pt_db_close(db);
    return NULL;
}

/* Writes writer i's members file: the SHARED phones (in an order of its own, so the writers
 * lock them in different orders) and OWN phones of its own. */
static const char *members_file(int i)
{
    static const int step[WRITERS] = {1, 3, 7, 9}; /* coprime with SHARED: each a permutation */
    char name[32];
    pt_buf b;
    pt_buf_init(&b, 1 << 20);
    pt_buf_appendf(&b, "phone,name\n");
    for (int k = 0; k < SHARED; k++)
        pt_buf_appendf(&b, "1390013%04d,shared\n", k * step[i] % SHARED);
    for (int k = 0; k < OWN; k++)
        pt_buf_appendf(&b, "1370013%02d%02d,own\n", i, k);
    snprintf(name, sizeof name, "m%d.csv", i);
    const char *path = pt_test_write_file(pt_test_tmpdir(), name, pt_buf_str(&b));
    pt_buf_free(&b);
    return path;
}

/* 4 imports of overlapping member files at once: each one succeeds with all 25 rows accepted;
 * the store ends with one member per phone (20 shared + 4 × 5 own = 40), the creations summed
 * over the four runs are 40 and each shared phone has one identifier. */
BOTH_TEST(store_concurrent_imports_of_overlapping_members_all_succeed_with_one_member_per_phone)
{
    pt_db *db = test_db_on(be, "imports");
    ASSERT(db);
    static struct writer w[WRITERS];
    static char paths[WRITERS][4200];
    for (int i = 0; i < WRITERS; i++) {
        writer_init(&w[i], i, be, "imports");
        snprintf(paths[i], sizeof paths[i], "%s", members_file(i));
        w[i].file = paths[i];
    }
    run_writers(w, importer);
    int failed = 0;
    int64_t created = 0;
    for (int i = 0; i < WRITERS; i++) {
        failed += w[i].failed;
        created += w[i].run.members_created;
        ASSERT_EQ(w[i].run.rows_accepted, SHARED + OWN);
        ASSERT_EQ(w[i].run.rows_rejected, 0);
    }
    ASSERT_EQ(failed, 0);
    ASSERT_EQ(created, SHARED + WRITERS * OWN);
    pt_store_stats st;
    ASSERT_OK(pt_store_stats_get(pt_db_store(db), &st));
    ASSERT_EQ(st.members, SHARED + WRITERS * OWN);
    ASSERT_EQ(st.identities, SHARED + WRITERS * OWN);
    pt_db_close(db);
}

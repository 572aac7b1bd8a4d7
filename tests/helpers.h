/* helpers.h — fixtures shared by the library tests: a fresh data directory with a pinned
 * clock, members built from plain values, a scan of files for clear-text needles, and stores on
 * either backend (a PostgreSQL store lives in a fresh schema of PATRON_TEST_PG per test). */
#ifndef PATRON_TEST_HELPERS_H
#define PATRON_TEST_HELPERS_H

#include "patron/db.h"
#include "patron/identity.h"
#include "patron/member.h"
#include "patron/store.h"

#include <stddef.h>

#define TEST_NOW 1750000000 /* 2025-06-15T15:06:40Z */

/* Initialises and opens a data directory in the test's temp dir (subdirectory `name`). */
pt_db *test_db(const char *name);
/* Resolves a member record from raw values (any may be NULL); returns the member id or -1. */
int64_t test_add_member(pt_db *db, const char *source, const char *phone, const char *email,
                        const char *name, const char *birthday, int64_t at, pt_resolve_out *out);
/* 1 if any of the needles occurs in the file (0 if the file is missing). */
int test_file_contains_any(const char *path, const char *const *needles, int n);

/* --- stores on both backends ------------------------------------------------------------- */
enum test_backend { TEST_SQLITE, TEST_POSTGRES };

/* PATRON_TEST_PG (a server the tests may create schemas on), or NULL when unset. */
const char *test_pg_base(void);
/* The PostgreSQL schema of test store `name`: unique per test (from its temp dir) and name. */
void test_pg_schema(const char *name, char *out, size_t cap);
/* Runs SQL on a fresh maintenance connection to PATRON_TEST_PG; returns the first column of the
 * first row as a number (0 when none) or -1 on failure (printed). */
long long test_pg_sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The URL of test store `name` (static buffer); `options` adds PostgreSQL server settings
 * (URL-encoded, each starting with "%20-c"). Creates the PostgreSQL schema on first use. */
const char *test_store_url(enum test_backend be, const char *name, const char *options);
/* A data directory `name` in the test's temp dir whose store is test_store_url(be, name) (so
 * other connections can open the same store by that URL); pinned clock, as test_db. NULL (with
 * the reason printed) on failure. */
pt_db *test_db_on(enum test_backend be, const char *name);

/* BOTH_TEST(name) { … uses `be` … } registers name_on_sqlite and name_on_postgres; the
 * PostgreSQL variant skips when PATRON_TEST_PG is unset. */
#define BOTH_TEST(name)                                                                        \
    static void both_##name(enum test_backend be);                                             \
    TEST(name##_on_sqlite)                                                                     \
    {                                                                                          \
        both_##name(TEST_SQLITE);                                                              \
    }                                                                                          \
    TEST(name##_on_postgres)                                                                   \
    {                                                                                          \
        if (!test_pg_base())                                                                   \
            SKIP("PATRON_TEST_PG is unset (scripts/run-tests starts a throwaway PostgreSQL)"); \
        both_##name(TEST_POSTGRES);                                                            \
    }                                                                                          \
    static void both_##name(enum test_backend be)

/* Opens test store `name`; NULL (with the reason printed) on failure. */
pt_store *test_store_open(enum test_backend be, const char *name, const char *options);
/* Inserts an active member record numbered no straight into store s (registered in the "store"
 * channel at 1700000000, no personal data); its id, or -1. */
int64_t test_store_member(pt_store *s, const char *no);
/* A snapshot of a transactions CSV given as text (default columns and options); NULL, with the
 * loader's message printed, when it does not load. */
struct pt_snapshot *test_snapshot_of_csv(const char *text);

#endif

/* helpers.h — fixtures shared by the library tests: a fresh data directory with a pinned
 * clock, members built from plain values, and a scan of files for clear-text needles. */
#ifndef PATRON_TEST_HELPERS_H
#define PATRON_TEST_HELPERS_H

#include "patron/db.h"
#include "patron/identity.h"
#include "patron/member.h"

#define TEST_NOW 1750000000 /* 2025-06-15T15:06:40Z */

/* Initialises and opens a data directory in the test's temp dir (subdirectory `name`). */
pt_db *test_db(const char *name);
/* Resolves a member record from raw values (any may be NULL); returns the member id or -1. */
int64_t test_add_member(pt_db *db, const char *source, const char *phone, const char *email,
                        const char *name, const char *birthday, int64_t at, pt_resolve_out *out);
/* 1 if any of the needles occurs in the file (0 if the file is missing). */
int test_file_contains_any(const char *path, const char *const *needles, int n);

#endif

/* test.h — Patron's single test registry (after libuv's runner).
 *
 * TEST(name) defines and registers a test; the name states the behaviour it proves. Asserts
 * print both sides and stop the current test. SKIP("why") marks a test skipped (e.g. a data set
 * from ../shared/data is absent). The runner prints one line per test and ends with
 * "N passed, N failed, N skipped".
 */
#ifndef PATRON_TEST_H
#define PATRON_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef void (*pt_test_fn)(void);
void pt_test_register(const char *name, const char *file, pt_test_fn fn);
void pt_test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void pt_test_skip(const char *why);
int  pt_test_failed(void);

/* A fresh empty directory for this test, removed after the run; never NULL. */
const char *pt_test_tmpdir(void);
/* ../shared/data/<rel> if it exists, else NULL. */
const char *pt_test_shared(const char *rel);
/* Path to the built `patron` program (PATRON_BIN). */
const char *pt_test_patron_bin(void);
/* Runs a shell command, captures stdout into out (malloc'd, caller frees), returns exit status. */
int pt_test_run(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Whole file in a malloc'd NUL-terminated buffer (caller frees), its length in *len when len
 * is not NULL; NULL if the file cannot be read. */
char *pt_test_slurp(const char *path, size_t *len);
/* Writes text to dir/name and returns the path (static buffer per call ring). */
const char *pt_test_write_file(const char *dir, const char *name, const char *text);

#define TEST(name)                                                                     \
    static void test_##name(void);                                                     \
    __attribute__((constructor)) static void test_register_##name(void)               \
    {                                                                                  \
        pt_test_register(#name, __FILE__, test_##name);                                \
    }                                                                                  \
    static void test_##name(void)

#define PT__FAIL(...)                                                                  \
    do {                                                                               \
        pt_test_fail(__FILE__, __LINE__, __VA_ARGS__);                                 \
        return;                                                                        \
    } while (0)

#define ASSERT(cond)                                                                   \
    do {                                                                               \
        if (!(cond))                                                                   \
            PT__FAIL("ASSERT(%s) is false", #cond);                                    \
    } while (0)

#define ASSERT_INT_OP(a, op, b)                                                        \
    do {                                                                               \
        long long pt__a = (long long)(a), pt__b = (long long)(b);                      \
        if (!(pt__a op pt__b))                                                         \
            PT__FAIL("%s %s %s: %lld vs %lld", #a, #op, #b, pt__a, pt__b);             \
    } while (0)

#define ASSERT_EQ(a, b) ASSERT_INT_OP(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_INT_OP(a, !=, b)
#define ASSERT_LT(a, b) ASSERT_INT_OP(a, <, b)
#define ASSERT_LE(a, b) ASSERT_INT_OP(a, <=, b)
#define ASSERT_GT(a, b) ASSERT_INT_OP(a, >, b)
#define ASSERT_GE(a, b) ASSERT_INT_OP(a, >=, b)
#define ASSERT_OK(expr)                                                                \
    do {                                                                               \
        int pt__rc = (expr);                                                           \
        if (pt__rc != 0)                                                               \
            PT__FAIL("%s returned %d (%s)", #expr, pt__rc, pt_test_errname(pt__rc));   \
    } while (0)

#define ASSERT_STR_EQ(a, b)                                                            \
    do {                                                                               \
        const char *pt__a = (a), *pt__b = (b);                                         \
        if (!pt__a || !pt__b || strcmp(pt__a, pt__b) != 0)                             \
            PT__FAIL("%s == %s: \"%s\" vs \"%s\"", #a, #b, pt__a ? pt__a : "(null)",   \
                     pt__b ? pt__b : "(null)");                                        \
    } while (0)

#define ASSERT_STR_CONTAINS(hay, needle)                                               \
    do {                                                                               \
        const char *pt__h = (hay), *pt__n = (needle);                                  \
        if (!pt__h || !strstr(pt__h, pt__n))                                           \
            PT__FAIL("%s does not contain \"%s\": \"%.400s\"", #hay, pt__n,            \
                     pt__h ? pt__h : "(null)");                                        \
    } while (0)

#define SKIP(why)                                                                      \
    do {                                                                               \
        pt_test_skip(why);                                                             \
        return;                                                                        \
    } while (0)

const char *pt_test_errname(int rc);

#endif

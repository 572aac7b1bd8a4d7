/* main.c — the test runner: runs every registered test (or those whose name contains argv[1]),
 * each in the order registered, and ends with "N passed, N failed, N skipped". Temp dirs are
 * made under $TMPDIR and removed after each test unless PT_KEEP_TMP is set. */
#include "test.h"
#include "patron/error.h"

#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_TESTS 2048

struct test {
    const char *name;
    const char *file;
    pt_test_fn  fn;
};

static struct test tests[MAX_TESTS];
static int ntests;
static int cur_failed;
static int cur_skipped;
static char cur_tmp[4096];

void pt_test_register(const char *name, const char *file, pt_test_fn fn)
{
    if (ntests == MAX_TESTS) {
        fprintf(stderr, "too many tests\n");
        exit(2);
    }
    tests[ntests++] = (struct test){name, file, fn};
}

void pt_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "    %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    cur_failed = 1;
}

void pt_test_skip(const char *why)
{
    fprintf(stderr, "    skipped: %s\n", why);
    cur_skipped = 1;
}

int pt_test_failed(void) { return cur_failed; }

const char *pt_test_errname(int rc) { return pt_errname(rc); }

const char *pt_test_tmpdir(void)
{
    if (cur_tmp[0])
        return cur_tmp;
    const char *base = getenv("TMPDIR");
    snprintf(cur_tmp, sizeof cur_tmp, "%s/patron-test-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(cur_tmp)) {
        perror("mkdtemp");
        exit(2);
    }
    return cur_tmp;
}

const char *pt_test_shared(const char *rel)
{
    static char path[8][4096];
    static int slot;
    const char *root = getenv("PATRON_SHARED");
    char *p = path[slot++ % 8];
    snprintf(p, 4096, "%s/data/%s", root && *root ? root : "../shared", rel);
    return access(p, R_OK) == 0 ? p : NULL;
}

const char *pt_test_patron_bin(void)
{
    const char *b = getenv("PATRON_BIN");
    return b && *b ? b : "build/release/bin/patron";
}

int pt_test_run(char **out, const char *fmt, ...)
{
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 2) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (buf)
        buf[len] = 0;
    int st = pclose(p);
    if (out)
        *out = buf;
    else
        free(buf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

char *pt_test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0, got;
    char *b = malloc(cap);
    while (b && (got = fread(b + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n < 2) {
            char *nb = realloc(b, cap * 2);
            if (!nb)
                free(b);
            b = nb;
            cap *= 2;
        }
    }
    if (b && ferror(f)) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b)
        b[n] = 0;
    if (len)
        *len = b ? n : 0;
    return b;
}

const char *pt_test_write_file(const char *dir, const char *name, const char *text)
{
    static char path[8][4096];
    static int slot;
    char *p = path[slot++ % 8];
    snprintf(p, 4096, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f) {
        perror(p);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
    return p;
}

static void remove_tmp(void)
{
    if (!cur_tmp[0])
        return;
    if (!getenv("PT_KEEP_TMP")) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", cur_tmp);
        if (system(cmd) != 0)
            fprintf(stderr, "    could not remove %s\n", cur_tmp);
    }
    cur_tmp[0] = 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0, skipped = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 0; i < ntests; i++) {
        if (filter && !strstr(tests[i].name, filter))
            continue;
        cur_failed = 0;
        cur_skipped = 0;
        double t0 = now_s();
        tests[i].fn();
        remove_tmp();
        double dt = now_s() - t0;
        const char *verdict = cur_failed ? "FAIL" : cur_skipped ? "skip" : "ok";
        printf("%-4s %-60s %7.2fs\n", verdict, tests[i].name, dt);
        if (cur_failed)
            failed++;
        else if (cur_skipped)
            skipped++;
        else
            passed++;
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}

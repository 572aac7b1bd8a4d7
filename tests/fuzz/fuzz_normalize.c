/* fuzz_normalize.c — libFuzzer target for the value normalisers (src/normalize.c).
 *
 * Feeds the input, NUL-terminated, to every pt_norm_* function and checks invariants:
 *   - phone: "+" then 8–15 digits, and normalising the result again gives the same result;
 *   - email: no ASCII upper case, one '@', idempotent;
 *   - time: pt_format_time of the result re-parses to the same instant;
 *   - date: "YYYY-MM-DD", idempotent; money and int: the value printed back re-parses equal;
 *   - gender / bool: only the documented outputs; trim: never longer than the input;
 *   - pt_utf8_valid agrees with a slow reference decoder on the raw bytes.
 * Every failure path must leave a NUL-terminated reason shorter than PT_WHY_MAX.
 *
 * FUZZ_SOURCES: src/normalize.c src/error.c
 */
#include "patron/error.h"
#include "patron/normalize.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                           \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "fuzz_normalize: check failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

/* A reason was written: NUL-terminated within PT_WHY_MAX and not empty. */
static void check_why(const char *why)
{
    CHECK(memchr(why, 0, PT_WHY_MAX) != NULL);
    CHECK(why[0] != 0);
}

/* Reference UTF-8 check: decode each sequence by its lead byte and test the code point. */
static int utf8_reference(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t b = s[i];
        size_t len;
        uint32_t cp;
        if (b < 0x80) {
            i++;
            continue;
        } else if ((b & 0xE0) == 0xC0) {
            len = 2;
            cp = b & 0x1F;
        } else if ((b & 0xF0) == 0xE0) {
            len = 3;
            cp = b & 0x0F;
        } else if ((b & 0xF8) == 0xF0) {
            len = 4;
            cp = b & 0x07;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

static void fuzz_phone(const char *s, const char *cc)
{
    char out[PT_PHONE_MAX], again[PT_PHONE_MAX], why[PT_WHY_MAX];
    int rc = pt_norm_phone(s, cc, out, why);
    if (rc) {
        CHECK(rc == PT_EPARSE);
        check_why(why);
        return;
    }
    size_t n = strlen(out);
    CHECK(out[0] == '+');
    CHECK(n >= 9 && n <= 16);
    CHECK(strspn(out + 1, "0123456789") == n - 1);
    CHECK(out[1] != '0');
    CHECK(pt_norm_phone(out, cc, again, why) == 0);
    CHECK(strcmp(out, again) == 0);
}

static void fuzz_email(const char *s)
{
    char out[PT_EMAIL_MAX + 1], again[PT_EMAIL_MAX + 1], why[PT_WHY_MAX];
    int rc = pt_norm_email(s, out, why);
    if (rc) {
        CHECK(rc == PT_EPARSE);
        check_why(why);
        return;
    }
    size_t n = strlen(out);
    CHECK(n >= 5 && n <= 254);
    CHECK(strchr(out, '@') && strchr(out, '@') == strrchr(out, '@'));
    for (size_t i = 0; i < n; i++)
        CHECK(!(out[i] >= 'A' && out[i] <= 'Z') && out[i] != ' ');
    CHECK(pt_norm_email(out, again, why) == 0);
    CHECK(strcmp(out, again) == 0);
}

static void fuzz_time(const char *s, int tz)
{
    char why[PT_WHY_MAX], buf[20];
    int64_t t, back;
    int rc = pt_norm_time(s, tz, &t, why);
    if (rc) {
        CHECK(rc == PT_EPARSE);
        check_why(why);
        return;
    }
    pt_format_time(t, tz, buf);
    CHECK(strlen(buf) == 19);
    pt_format_time(t, 0, buf);
    CHECK(strlen(buf) == 19);
    int year = atoi(buf);
    if (year >= 1900 && year <= 2999) {
        CHECK(pt_norm_time(buf, 0, &back, why) == 0);
        CHECK(back == t);
    }
}

static void fuzz_date(const char *s)
{
    char out[PT_DATE_MAX], again[PT_DATE_MAX], why[PT_WHY_MAX];
    int rc = pt_norm_date(s, out, why);
    if (rc) {
        CHECK(rc == PT_EPARSE);
        check_why(why);
        return;
    }
    CHECK(strlen(out) == 10 && out[4] == '-' && out[7] == '-');
    CHECK(pt_norm_date(out, again, why) == 0);
    CHECK(strcmp(out, again) == 0);
}

static void fuzz_money(const char *s)
{
    char why[PT_WHY_MAX], buf[64];
    int64_t cents, back;
    int rc = pt_norm_money(s, &cents, why);
    if (rc) {
        CHECK(rc == PT_EPARSE);
        check_why(why);
        return;
    }
    CHECK(cents != INT64_MIN);
    int64_t a = cents < 0 ? -cents : cents;
    snprintf(buf, sizeof buf, "%s%" PRId64 ".%02d", cents < 0 ? "-" : "", a / 100, (int)(a % 100));
    CHECK(pt_norm_money(buf, &back, why) == 0);
    CHECK(back == cents);
}

static void fuzz_int(const char *s, int64_t min, int64_t max)
{
    char why[PT_WHY_MAX], buf[32];
    int64_t v, back;
    int rc = pt_norm_int(s, min, max, &v, why);
    if (rc) {
        CHECK(rc == PT_EPARSE);
        check_why(why);
        return;
    }
    CHECK(v >= min && v <= max);
    snprintf(buf, sizeof buf, "%" PRId64, v);
    CHECK(pt_norm_int(buf, min, max, &back, why) == 0);
    CHECK(back == v);
}

static void fuzz_small(const char *s, size_t n)
{
    char why[PT_WHY_MAX], g = 'x', out[64];
    int b = -1;
    int rc = pt_norm_gender(s, &g, why);
    if (rc) {
        CHECK(rc == PT_EPARSE);
        check_why(why);
    } else {
        CHECK(g == 0 || g == 'M' || g == 'F');
    }
    rc = pt_norm_bool(s, &b, why);
    if (rc) {
        CHECK(rc == PT_EPARSE);
        check_why(why);
    } else {
        CHECK(b == 0 || b == 1);
    }
    rc = pt_norm_trim(s, out, sizeof out);
    CHECK(rc == 0 || rc == PT_ETOOBIG);
    if (rc == 0) {
        CHECK(strlen(out) <= n);
        CHECK(strstr(s, out) != NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    CHECK(pt_utf8_valid((const char *)data, size) == utf8_reference(data, size));
    char *s = malloc(size + 1);
    CHECK(s);
    memcpy(s, data, size);
    s[size] = 0; /* an embedded NUL just ends the value early */
    size_t n = strlen(s);
    int tz = (int)(size % 29) * 1800 - 14 * 1800;
    fuzz_phone(s, "86");
    fuzz_phone(s, "44");
    fuzz_email(s);
    fuzz_time(s, tz);
    fuzz_time(s, 0);
    fuzz_date(s);
    fuzz_money(s);
    fuzz_int(s, INT64_MIN, INT64_MAX);
    fuzz_int(s, 0, 100000);
    fuzz_small(s, n);
    free(s);
    return 0;
}

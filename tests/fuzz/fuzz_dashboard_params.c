/* fuzz_dashboard_params.c — libFuzzer target for the dashboard's parsers of untrusted text
 * (server/dashboard_params.c): query-string dates and numbers, and static file names.
 *
 * Feeds the input, NUL-terminated, to each parser and checks the invariants:
 *   - a date accepted is a real calendar day and prints back as exactly the input;
 *   - a number accepted is within the bounds and prints back as exactly the input;
 *   - a file name accepted has no '/', does not start with '.', and only [A-Za-z0-9._-].
 *
 * FUZZ_SOURCES: server/dashboard_params.c
 */
#include "../../server/dashboard_params.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                   \
    do {                                                                                              \
        if (!(cond)) {                                                                                \
            fprintf(stderr, "fuzz_dashboard_params: check failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                                  \
        }                                                                                             \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    char back[64];
    int y, m, d;
    if (pt_dash_parse_date(s, &y, &m, &d) == 0) {
        CHECK(m >= 1 && m <= 12 && d >= 1 && d <= 31 && y >= 1000 && y <= 9999);
        snprintf(back, sizeof back, "%04d-%02d-%02d", y, m, d);
        CHECK(strcmp(back, s) == 0);
    }
    int64_t v;
    int64_t lo = size > 0 ? -(int64_t)data[0] * 1000 : 0, hi = size > 1 ? (int64_t)data[1] * 100000 : INT64_MAX;
    if (pt_dash_parse_int(s, lo, hi, &v) == 0) {
        CHECK(v >= lo && v <= hi);
        snprintf(back, sizeof back, "%" PRId64, v);
        CHECK(strcmp(back, s) == 0);
    }
    if (pt_dash_parse_int(s, INT64_MIN, INT64_MAX, &v) == 0) {
        snprintf(back, sizeof back, "%" PRId64, v);
        CHECK(strcmp(back, s) == 0);
    }
    if (pt_dash_safe_file_name(s)) {
        CHECK(s[0] != '.' && !strchr(s, '/') && strlen(s) <= 128);
        CHECK(strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == strlen(s));
    }
    free(s);
    return 0;
}

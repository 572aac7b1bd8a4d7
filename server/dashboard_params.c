/* dashboard_params.c — parsers of the dashboard's untrusted text (see dashboard_params.h).
 * Invariant: what they accept is canonical — a date or number accepted prints back as the same
 * text, so no two spellings of one value reach the analytics, and a file name accepted cannot
 * leave the directory it is looked up in. */
#include "dashboard_params.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int pt_dash_parse_date(const char *s, int *year, int *month, int *day)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2))
        return -1;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1000 || m < 1 || m > 12 || d < 1 || d > dim[m - 1] + (m == 2 && leap(y)))
        return -1;
    *year = y;
    *month = m;
    *day = d;
    return 0;
}

int pt_dash_parse_int(const char *s, int64_t lo, int64_t hi, int64_t *v)
{
    const char *p = s[0] == '-' ? s + 1 : s;
    size_t n = strlen(p);
    if (n == 0 || n > 19 || !digits(p, (int)n) || (p[0] == '0' && n > 1) || (s[0] == '-' && p[0] == '0'))
        return -1;
    errno = 0;
    long long x = strtoll(s, NULL, 10);
    if (errno || x < lo || x > hi)
        return -1;
    *v = x;
    return 0;
}

int pt_dash_safe_file_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128 || s[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return 0;
    }
    return 1;
}

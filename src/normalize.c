/* normalize.c — canonical values from what real exports contain.
 *
 * Every function here is pure: it reads its NUL-terminated input and writes only its outputs.
 * Nothing depends on the C locale: characters are classified with explicit ASCII tests, and the
 * few non-ASCII forms we accept (full-width digits and signs, U+3000, ¥, ￥, £, 男/女/未知, 是/否)
 * are matched as UTF-8 byte sequences. On bad input a function returns PT_EPARSE (PT_EINVAL for
 * a bad argument) and writes a short reason into `why` (PT_WHY_MAX bytes) — never the value,
 * which may be personal data.
 *
 * Money never goes through a double: it is parsed digit by digit into integer cents with
 * overflow checks. Dates use Howard Hinnant's days_from_civil / civil_from_days, which are
 * exact for the proleptic Gregorian calendar over the whole int64 day range we use.
 */
#include "patron/normalize.h"
#include "patron/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* --- small helpers ----------------------------------------------------------------------- */

static int fail(char *why, const char *msg)
{
    if (why)
        snprintf(why, PT_WHY_MAX, "%s", msg);
    return PT_EPARSE;
}

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_ascii_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
static unsigned char to_lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c; }

/* U+3000 IDEOGRAPHIC SPACE is E3 80 80 in UTF-8. */
static int is_fw_space(const unsigned char *p, const unsigned char *e)
{
    return e - p >= 3 && p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80;
}

/* Finds the span of `in` without leading/trailing ASCII white space and U+3000. */
static void trim_span(const char *in, const unsigned char **b, const unsigned char **e)
{
    const unsigned char *p = (const unsigned char *)(in ? in : "");
    const unsigned char *q = p + strlen((const char *)p);
    for (;;) {
        if (p < q && is_ascii_space(*p))
            p++;
        else if (is_fw_space(p, q))
            p += 3;
        else
            break;
    }
    for (;;) {
        if (q > p && is_ascii_space(q[-1]))
            q--;
        else if (q - p >= 3 && is_fw_space(q - 3, q))
            q -= 3;
        else
            break;
    }
    *b = p;
    *e = q;
}

/* 1 if [b, e) equals the ASCII word w, ignoring ASCII case. */
static int span_eq_ci(const unsigned char *b, const unsigned char *e, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(e - b) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (to_lower(b[i]) != to_lower((unsigned char)w[i]))
            return 0;
    return 1;
}

/* 1 if [b, e) equals s byte for byte. */
static int span_eq(const unsigned char *b, const unsigned char *e, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(e - b) == n && memcmp(b, s, n) == 0;
}

/* --- UTF-8 and trim ---------------------------------------------------------------------- */

int pt_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        while (n - i >= 8) { /* ASCII fast path: eight bytes at a time */
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c < 0xC2) /* a stray continuation byte, or an overlong two-byte form */
            return 0;
        if (c < 0xE0) {
            if (n - i < 2 || (s[i + 1] & 0xC0) != 0x80)
                return 0;
            i += 2;
            continue;
        }
        if (c < 0xF0) {
            if (n - i < 3 || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80)
                return 0;
            if (c == 0xE0 && s[i + 1] < 0xA0) /* overlong */
                return 0;
            if (c == 0xED && s[i + 1] > 0x9F) /* UTF-16 surrogates U+D800..U+DFFF */
                return 0;
            i += 3;
            continue;
        }
        if (c < 0xF5) {
            if (n - i < 4 || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 ||
                (s[i + 3] & 0xC0) != 0x80)
                return 0;
            if (c == 0xF0 && s[i + 1] < 0x90) /* overlong */
                return 0;
            if (c == 0xF4 && s[i + 1] > 0x8F) /* above U+10FFFF */
                return 0;
            i += 4;
            continue;
        }
        return 0; /* F5..FF never appear in UTF-8 */
    }
    return 1;
}

int pt_norm_trim(const char *in, char *out, size_t cap)
{
    const unsigned char *b, *e;
    if (!out || cap == 0)
        return PT_ETOOBIG;
    trim_span(in, &b, &e);
    size_t n = (size_t)(e - b);
    if (n + 1 > cap) {
        out[0] = 0;
        return PT_ETOOBIG;
    }
    memmove(out, b, n); /* in and out may be the same buffer */
    out[n] = 0;
    return PT_OK;
}

/* --- phone ------------------------------------------------------------------------------- */

#define PHONE_MAX_DIGITS 20

/* Chinese mobile: 11 digits, 1 then 3–9. */
static int is_cn_mobile(const char *d, size_t n)
{
    return n == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9';
}

/* Decodes one character of a phone number at *pp: returns the ASCII digit, '+', ' ' for a
 * separator, or 0 for anything else. Full-width forms map to their ASCII equivalents. */
static int phone_char(const unsigned char **pp, const unsigned char *e)
{
    const unsigned char *p = *pp;
    unsigned c = p[0];
    if (c < 0x80) {
        *pp = p + 1;
        if (is_digit((unsigned char)c) || c == '+')
            return (int)c;
        if (c == ' ' || c == '\t' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/')
            return ' ';
        return 0;
    }
    if (e - p >= 2 && c == 0xC2 && p[1] == 0xA0) { /* NO-BREAK SPACE */
        *pp = p + 2;
        return ' ';
    }
    if (e - p < 3)
        return 0;
    *pp = p + 3;
    if (c == 0xEF && p[1] == 0xBC) {
        unsigned t = p[2];
        if (t >= 0x90 && t <= 0x99) /* ０..９ U+FF10..FF19 */
            return (int)('0' + (t - 0x90));
        if (t == 0x8B) /* ＋ U+FF0B */
            return '+';
        if (t == 0x88 || t == 0x89 || t == 0x8D || t == 0x8E || t == 0x8F) /* （ ） － ． ／ */
            return ' ';
        return 0;
    }
    if (c == 0xE3 && p[1] == 0x80 && p[2] == 0x80) /* U+3000 */
        return ' ';
    if (c == 0xE2 && p[1] == 0x80 && p[2] >= 0x90 && p[2] <= 0x95) /* U+2010..2015 dashes */
        return ' ';
    if (c == 0xE2 && p[1] == 0x88 && p[2] == 0x92) /* U+2212 minus */
        return ' ';
    return 0;
}

static int phone_out(char out[PT_PHONE_MAX], const char *cc, const char *nat, size_t nn, char *why)
{
    size_t ncc = strlen(cc);
    if (ncc + nn < 8 || ncc + nn > 15) {
        out[0] = 0;
        return fail(why, "phone number must have 8 to 15 digits with the country code");
    }
    out[0] = '+';
    memcpy(out + 1, cc, ncc);
    memcpy(out + 1 + ncc, nat, nn);
    out[1 + ncc + nn] = 0;
    return PT_OK;
}

/* An international number (after + or 00): digits = country code + national number. */
static int phone_intl(const char *d, size_t nd, char out[PT_PHONE_MAX], char *why)
{
    if (nd == 0 || d[0] == '0') {
        out[0] = 0;
        return fail(why, "country code missing or starts with 0");
    }
    if (nd >= 2 && d[0] == '8' && d[1] == '6') {
        const char *nat = d + 2;
        size_t nn = nd - 2;
        if (nn > 0 && nat[0] == '0') { /* trunk prefix written after +86: +86 010… */
            nat++;
            nn--;
        }
        if (nn > 0 && nat[0] == '0') {
            out[0] = 0;
            return fail(why, "national number starts with 0 after the country code");
        }
        if (is_cn_mobile(nat, nn))
            return phone_out(out, "86", nat, nn, why);
        /* +86 1x… is a mobile unless it is Beijing's area code 10 */
        if (nn >= 2 && nat[0] == '1' && nat[1] != '0') {
            out[0] = 0;
            return fail(why, "not a valid Chinese mobile number (+86 1[3-9] and 9 more digits)");
        }
        return phone_out(out, "86", nat, nn, why);
    }
    return phone_out(out, "", d, nd, why);
}

int pt_norm_phone(const char *in, const char *default_cc, char out[PT_PHONE_MAX], char *why)
{
    const unsigned char *p, *e;
    char d[PHONE_MAX_DIGITS + 1];
    size_t nd = 0;
    int plus = 0;
    const char *cc = default_cc && *default_cc ? default_cc : "86";
    out[0] = 0;
    size_t ncc = strlen(cc);
    if (ncc > 3 || cc[0] == '0' || strspn(cc, "0123456789") != ncc) {
        if (why)
            snprintf(why, PT_WHY_MAX, "default country code must be 1 to 3 digits");
        return PT_EINVAL;
    }
    trim_span(in, &p, &e);
    if (p == e)
        return fail(why, "empty phone number");
    while (p < e) {
        int ch = phone_char(&p, e);
        if (ch == 0)
            return fail(why, "unexpected character in phone number");
        if (ch == '+') {
            if (plus || nd)
                return fail(why, "'+' must come before the digits of a phone number");
            plus = 1;
        } else if (ch != ' ') {
            if (nd == PHONE_MAX_DIGITS)
                return fail(why, "too many digits for a phone number");
            d[nd++] = (char)ch;
        }
    }
    d[nd] = 0;
    if (nd == 0)
        return fail(why, "no digits in phone number");
    if (plus)
        return phone_intl(d, nd, out, why);
    if (nd >= 2 && d[0] == '0' && d[1] == '0')
        return phone_intl(d + 2, nd - 2, out, why);
    if (strcmp(cc, "86") == 0) {
        if (is_cn_mobile(d, nd))
            return phone_out(out, "86", d, nd, why);
        if (nd == 13 && d[0] == '8' && d[1] == '6' && is_cn_mobile(d + 2, 11))
            return phone_out(out, "86", d + 2, 11, why);
        return fail(why, "not a valid Chinese mobile number (11 digits starting 1[3-9])");
    }
    /* Another default country: national number without its trunk 0. */
    const char *nat = d;
    size_t nn = nd;
    if (nat[0] == '0') {
        nat++;
        nn--;
    }
    return phone_out(out, cc, nat, nn, why);
}

/* --- email ------------------------------------------------------------------------------- */

static int email_local_ok(const unsigned char *s, size_t n)
{
    if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '.' && s[i + 1] == '.')
            return 0;
        if (c < 0x80 && strchr("\"(),:;<>[\\]", c))
            return 0;
    }
    return 1;
}

static int email_domain_ok(const unsigned char *s, size_t n)
{
    size_t label = 0, labels = 0, tld_start = 0;
    if (n == 0 || n > 253)
        return 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (label == 0 || label > 63 || s[i - 1] == '-' || s[i - label] == '-')
                return 0;
            labels++;
            if (i < n)
                tld_start = i + 1;
            label = 0;
            continue;
        }
        unsigned char c = s[i];
        if (!(is_alpha(c) || is_digit(c) || c == '-' || c >= 0x80))
            return 0;
        label++;
    }
    if (labels < 2 || n - tld_start < 2)
        return 0;
    for (size_t i = tld_start; i < n; i++)
        if (!is_digit(s[i]))
            return 1;
    return 0; /* an all-digit TLD: an IP address or a typo */
}

int pt_norm_email(const char *in, char out[PT_EMAIL_MAX + 1], char *why)
{
    const unsigned char *b, *e;
    out[0] = 0;
    trim_span(in, &b, &e);
    size_t n = (size_t)(e - b);
    if (n == 0)
        return fail(why, "empty email address");
    if (n > 254)
        return fail(why, "email address longer than 254 bytes");
    if (!pt_utf8_valid((const char *)b, n))
        return fail(why, "email address is not valid UTF-8");
    size_t at = n, nat = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = b[i];
        if (c <= 0x20 || c == 0x7F)
            return fail(why, "space or control character in email address");
        if (c == '@') {
            at = i;
            nat++;
        }
    }
    if (nat != 1)
        return fail(why, "email address must contain exactly one '@'");
    for (size_t i = 0; i < n; i++)
        out[i] = (char)to_lower(b[i]);
    out[n] = 0;
    const unsigned char *o = (const unsigned char *)out;
    if (!email_local_ok(o, at)) {
        out[0] = 0;
        return fail(why, "bad local part in email address");
    }
    if (!email_domain_ok(o + at + 1, n - at - 1)) {
        out[0] = 0;
        return fail(why, "bad domain in email address (expected name.tld)");
    }
    return PT_OK;
}

/* --- calendar ---------------------------------------------------------------------------- */

int64_t pt_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    const int64_t mm = m, dd = d; /* signed from here: d == 0 means the day before the 1st */
    y -= mm <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;                                     /* [0, 399] */
    const int64_t doy = (153 * (mm > 2 ? mm - 3 : mm + 9) + 2) / 5 + dd - 1; /* [0, 365] */
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;             /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

void pt_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;                                       /* [0, 146096] */
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  /* [0, 399] */
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                /* [0, 365] */
    const int64_t mp = (5 * doy + 2) / 153;                                     /* [0, 11] */
    const unsigned dd = (unsigned)(doy - (153 * mp + 2) / 5 + 1);               /* [1, 31] */
    const unsigned mm = (unsigned)(mp < 10 ? mp + 3 : mp - 9);                  /* [1, 12] */
    *y = yoe + era * 400 + (mm <= 2);
    *m = mm;
    *d = dd;
}

#define TIME_MIN INT64_C(-62135596800) /* 0001-01-01 00:00:00 */
#define TIME_MAX INT64_C(253402300799) /* 9999-12-31 23:59:59 */

void pt_format_time(int64_t t, int tz_offset_s, char out[20])
{
    if (t < TIME_MIN + 86400)
        t = TIME_MIN + 86400;
    if (t > TIME_MAX - 86400)
        t = TIME_MAX - 86400;
    if (tz_offset_s < -86400 || tz_offset_s > 86400)
        tz_offset_s = 0;
    t += tz_offset_s;
    int64_t days = t / 86400, secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    pt_civil_from_days(days, &y, &m, &d);
    snprintf(out, 20, "%04" PRId64 "-%02u-%02u %02d:%02d:%02d", y, m, d, (int)(secs / 3600),
             (int)(secs / 60 % 60), (int)(secs % 60));
}

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* --- date and time parsing ----------------------------------------------------------------- */

struct dt {
    int y, mo, d;       /* calendar date as written */
    int h, mi, s;       /* time of day; 0 when absent */
    int has_zone;       /* 1 if an explicit zone (Z or ±hh[:mm]) was given */
    int zone_s;         /* its offset east of UTC in seconds */
};

/* Reads between min and max ASCII digits at *pp into *v; 0 on success. */
static int read_num(const unsigned char **pp, const unsigned char *e, int min, int max, int *v)
{
    const unsigned char *p = *pp;
    int n = 0, val = 0;
    while (p < e && n < max && is_digit(*p)) {
        val = val * 10 + (*p - '0');
        p++;
        n++;
    }
    if (n < min || (p < e && is_digit(*p)))
        return -1;
    *pp = p;
    *v = val;
    return 0;
}

/* Reads exactly two ASCII digits at *pp into *v; 0 on success. */
static int read2(const unsigned char **pp, const unsigned char *e, int *v)
{
    const unsigned char *p = *pp;
    if (e - p < 2 || !is_digit(p[0]) || !is_digit(p[1]))
        return -1;
    *v = (p[0] - '0') * 10 + (p[1] - '0');
    *pp = p + 2;
    return 0;
}

/* Reads "[T| ]hh:mm[:ss[.frac]][ ][Z|±hh[:mm]|±hhmm]" at p; 0 on success. */
static int parse_clock(const unsigned char *p, const unsigned char *e, struct dt *r, const char **why)
{
    if (read_num(&p, e, 1, 2, &r->h) || p >= e || *p != ':')
        goto bad;
    p++;
    if (read_num(&p, e, 2, 2, &r->mi))
        goto bad;
    if (p < e && *p == ':') {
        p++;
        if (read_num(&p, e, 2, 2, &r->s))
            goto bad;
        if (p < e && (*p == '.' || *p == ',')) { /* fractional seconds: ignored */
            p++;
            if (p >= e || !is_digit(*p))
                goto bad;
            while (p < e && is_digit(*p))
                p++;
        }
    }
    while (p < e && *p == ' ')
        p++;
    if (p == e)
        return 0;
    if ((*p == 'Z' || *p == 'z') && p + 1 == e) {
        r->has_zone = 1;
        r->zone_s = 0;
        return 0;
    }
    if (*p != '+' && *p != '-')
        goto bad;
    int sign = *p == '-' ? -1 : 1, zh = 0, zm = 0;
    p++;
    if (read2(&p, e, &zh))
        goto badzone;
    if (p < e && *p == ':')
        p++;
    if (p < e && read2(&p, e, &zm))
        goto badzone;
    if (p != e || zh > 14 || zm > 59)
        goto badzone;
    r->has_zone = 1;
    r->zone_s = sign * (zh * 3600 + zm * 60);
    return 0;
badzone:
    *why = "invalid time zone offset";
    return -1;
bad:
    *why = "unrecognised date/time format";
    return -1;
}

static int all_digits(const unsigned char *b, const unsigned char *e)
{
    if (b == e)
        return 0;
    for (const unsigned char *p = b; p < e; p++)
        if (!is_digit(*p))
            return 0;
    return 1;
}

/* Parses the calendar forms (not epoch numbers) into r; checks field ranges. */
static int parse_dt(const unsigned char *b, const unsigned char *e, struct dt *r, const char **why)
{
    const unsigned char *p = b;
    size_t n = (size_t)(e - b);
    memset(r, 0, sizeof *r);
    *why = "unrecognised date/time format";
    if (all_digits(b, e)) { /* YYYYMMDD[HHMMSS] */
        if (n != 8 && n != 14)
            return -1;
        read_num(&p, b + 4, 4, 4, &r->y);
        read_num(&p, b + 6, 2, 2, &r->mo);
        read_num(&p, b + 8, 2, 2, &r->d);
        if (n == 14) {
            read_num(&p, b + 10, 2, 2, &r->h);
            read_num(&p, b + 12, 2, 2, &r->mi);
            read_num(&p, b + 14, 2, 2, &r->s);
        }
    } else {
        if (read_num(&p, e, 4, 4, &r->y) || p >= e || (*p != '-' && *p != '/'))
            return -1;
        unsigned char sep = *p++;
        if (read_num(&p, e, 1, 2, &r->mo) || p >= e || *p != sep)
            return -1;
        p++;
        if (read_num(&p, e, 1, 2, &r->d))
            return -1;
        if (p < e) {
            if (*p != 'T' && *p != 't' && *p != ' ')
                return -1;
            p++;
            while (p < e && *p == ' ')
                p++;
            if (parse_clock(p, e, r, why))
                return -1;
        }
    }
    if (r->mo < 1 || r->mo > 12) {
        *why = "month out of range";
        return -1;
    }
    if (r->d < 1 || r->d > days_in_month(r->y, r->mo)) {
        *why = "day out of range for the month";
        return -1;
    }
    if (r->h > 23 || r->mi > 59 || r->s > 59) {
        *why = "time of day out of range";
        return -1;
    }
    return 0;
}

int pt_norm_time(const char *in, int tz_offset_s, int64_t *out, char *why)
{
    const unsigned char *b, *e;
    const char *reason = NULL;
    struct dt r;
    *out = 0;
    trim_span(in, &b, &e);
    size_t n = (size_t)(e - b);
    if (n == 0)
        return fail(why, "empty date/time");
    if (all_digits(b, e) && (n == 9 || n == 10 || n == 13)) { /* epoch seconds or milliseconds */
        int64_t v = 0;
        for (const unsigned char *p = b; p < e; p++)
            v = v * 10 + (*p - '0');
        *out = n == 13 ? v / 1000 : v;
        return PT_OK;
    }
    if (parse_dt(b, e, &r, &reason))
        return fail(why, reason);
    if (r.y < 1900 || r.y > 2999)
        return fail(why, "year out of range (1900-2999)");
    int64_t t = pt_days_from_civil(r.y, (unsigned)r.mo, (unsigned)r.d) * 86400 + r.h * 3600 +
                r.mi * 60 + r.s;
    *out = t - (r.has_zone ? r.zone_s : tz_offset_s);
    return PT_OK;
}

/* A birthday is a calendar date, not an instant: a time or zone after it is checked and then
 * ignored, and the date is kept as written. */
int pt_norm_date(const char *in, char out[PT_DATE_MAX], char *why)
{
    const unsigned char *b, *e;
    const char *reason = NULL;
    struct dt r;
    out[0] = 0;
    trim_span(in, &b, &e);
    if (b == e)
        return fail(why, "empty date");
    if (all_digits(b, e) && e - b != 8 && e - b != 14)
        return fail(why, "not a calendar date (expected YYYY-MM-DD)");
    if (parse_dt(b, e, &r, &reason))
        return fail(why, reason);
    if (r.y < 1900 || r.y > 2100)
        return fail(why, "year out of range (1900-2100)");
    snprintf(out, PT_DATE_MAX, "%04d-%02d-%02d", r.y, r.mo, r.d);
    return PT_OK;
}

/* --- money ------------------------------------------------------------------------------- */

/* Skips a currency prefix (¥ ￥ $ £ RMB CNY, any ASCII case) and the spaces after it. */
static const unsigned char *skip_currency(const unsigned char *p, const unsigned char *e)
{
    static const char *const sym[] = {"\xC2\xA5", "\xEF\xBF\xA5", "$", "\xC2\xA3"};
    for (size_t i = 0; i < sizeof sym / sizeof *sym; i++) {
        size_t n = strlen(sym[i]);
        if ((size_t)(e - p) >= n && memcmp(p, sym[i], n) == 0) {
            p += n;
            goto spaces;
        }
    }
    if (e - p >= 3 && (span_eq_ci(p, p + 3, "RMB") || span_eq_ci(p, p + 3, "CNY")))
        p += 3;
spaces:
    while (p < e && (*p == ' ' || is_fw_space(p, e)))
        p += *p == ' ' ? 1 : 3;
    return p;
}

/* Parses [p, e) as digits with optional valid thousands groups, then .dd; into *cents. */
static int money_number(const unsigned char *p, const unsigned char *e, int64_t *cents, char *why)
{
    int64_t units = 0;
    int ndig = 0, group = 0, commas = 0;
    for (; p < e && (is_digit(*p) || *p == ','); p++) {
        if (*p == ',') {
            if (group == 0 || (commas == 0 && group > 3) || (commas > 0 && group != 3))
                return fail(why, "misplaced thousands separator in amount");
            commas++;
            group = 0;
            continue;
        }
        if (units > (INT64_MAX / 100 - (*p - '0')) / 10)
            return fail(why, "amount too large");
        units = units * 10 + (*p - '0');
        ndig++;
        group++;
    }
    if (commas > 0 && group != 3)
        return fail(why, "misplaced thousands separator in amount");
    int64_t frac = 0;
    int nfrac = 0;
    if (p < e && *p == '.') {
        for (p++; p < e && is_digit(*p); p++, nfrac++) {
            if (nfrac < 2)
                frac = frac * 10 + (*p - '0');
            else if (*p != '0')
                return fail(why, "more than two decimal places in amount");
        }
    }
    if (p != e || (ndig == 0 && nfrac == 0))
        return fail(why, "not an amount of money");
    if (nfrac == 1)
        frac *= 10;
    if (units > (INT64_MAX - frac) / 100)
        return fail(why, "amount too large");
    *cents = units * 100 + frac;
    return PT_OK;
}

int pt_norm_money(const char *in, int64_t *cents, char *why)
{
    const unsigned char *p, *e;
    int neg = 0, signs = 0;
    *cents = 0;
    trim_span(in, &p, &e);
    if (p == e)
        return fail(why, "empty amount");
    if (*p == '-' || *p == '+') {
        neg = *p == '-';
        signs++;
        p++;
    }
    p = skip_currency(p, e);
    if (p < e && (*p == '-' || *p == '+')) {
        neg = *p == '-';
        signs++;
        p++;
    }
    if (signs > 1)
        return fail(why, "more than one sign in amount");
    int64_t v;
    int rc = money_number(p, e, &v, why);
    if (rc)
        return rc;
    *cents = neg ? -v : v;
    return PT_OK;
}

/* --- small enumerations ------------------------------------------------------------------ */

int pt_norm_gender(const char *in, char *out, char *why)
{
    const unsigned char *b, *e;
    *out = 0;
    trim_span(in, &b, &e);
    if (span_eq_ci(b, e, "m") || span_eq_ci(b, e, "male") || span_eq(b, e, "\xE7\x94\xB7") ||
        span_eq(b, e, "\xE7\x94\xB7\xE6\x80\xA7")) { /* 男, 男性 */
        *out = 'M';
        return PT_OK;
    }
    if (span_eq_ci(b, e, "f") || span_eq_ci(b, e, "female") || span_eq(b, e, "\xE5\xA5\xB3") ||
        span_eq(b, e, "\xE5\xA5\xB3\xE6\x80\xA7")) { /* 女, 女性 */
        *out = 'F';
        return PT_OK;
    }
    if (b == e || span_eq_ci(b, e, "unknown") || span_eq(b, e, "0") ||
        span_eq(b, e, "\xE6\x9C\xAA\xE7\x9F\xA5") || /* 未知 */
        span_eq(b, e, "\xE4\xBF\x9D\xE5\xAF\x86"))   /* 保密 ("private") */
        return PT_OK;
    return fail(why, "not a gender (M/F/male/female/男/女, or unknown)");
}

int pt_norm_bool(const char *in, int *out, char *why)
{
    static const char *const yes[] = {"1", "true", "yes", "y", "t", "\xE6\x98\xAF" /* 是 */};
    static const char *const no[] = {"0", "false", "no", "n", "f", "\xE5\x90\xA6" /* 否 */};
    const unsigned char *b, *e;
    *out = 0;
    trim_span(in, &b, &e);
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        if (span_eq_ci(b, e, yes[i])) {
            *out = 1;
            return PT_OK;
        }
        if (span_eq_ci(b, e, no[i]))
            return PT_OK;
    }
    return fail(why, b == e ? "empty boolean" : "not a boolean (1/0, true/false, yes/no, 是/否)");
}

int pt_norm_int(const char *in, int64_t min, int64_t max, int64_t *out, char *why)
{
    const unsigned char *p, *e;
    uint64_t v = 0;
    int neg = 0, nd = 0;
    *out = 0;
    trim_span(in, &p, &e);
    if (p == e)
        return fail(why, "empty number");
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    for (; p < e && is_digit(*p); p++, nd++) {
        if (v > (UINT64_MAX - 9) / 10)
            return fail(why, "number too large");
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (nd == 0)
        return fail(why, "not a whole number");
    if (p < e && *p == '.') { /* "17850.0": a float with a zero fraction, as Excel writes */
        for (p++; p < e && *p == '0'; p++)
            ;
        if (p < e && is_digit(*p))
            return fail(why, "not a whole number (has a fraction)");
    }
    if (p != e)
        return fail(why, "not a whole number");
    int64_t r;
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return fail(why, "number too large");
        r = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX)
            return fail(why, "number too large");
        r = (int64_t)v;
    }
    if (r < min || r > max) {
        if (why)
            snprintf(why, PT_WHY_MAX, "number out of range (%" PRId64 " to %" PRId64 ")", min, max);
        return PT_EPARSE;
    }
    *out = r;
    return PT_OK;
}

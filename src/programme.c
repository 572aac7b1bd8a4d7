/* programme.c — the programme file: JSON → pt_programme, every field checked, the canonical
 * text and its version, lot expiry. The format is specified in docs/programme.md.
 *
 * Parsing is one pass over the JSON tree that fills the struct and appends one issue per bad
 * field (JSON path, value as written, reason) to the report; it never stops at the first
 * problem, so a loyalty manager sees every mistake at once. Unknown keys are errors (a typo
 * must not silently turn a campaign off), with a "did you mean" when a known key is close.
 * After the pass, a check pass adds warnings about rules that can never fire or that conflict;
 * it skips rules that already have errors so one mistake is not reported twice.
 *
 * Exactness: rates are read into basis points without rounding (a JSON number goes through its
 * shortest round-trip decimal, so 1.2 is read as "1.2"), money and points are integers, dates
 * are local to the programme's zone and stored as UTC epoch seconds.
 *
 * The canonical text is a function of the struct alone (sorted keys, compact, every default
 * written out, times as UTC "…Z"), and it is itself a valid programme file: parsing it gives
 * the same struct back, so the store can keep the text and the version names it exactly.
 */
#include "patron/programme.h"
#include "patron/error.h"
#include "patron/normalize.h"
#include "patron/tz.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG_FILE_MAX ((size_t)4 << 20) /* largest programme file read */
#define PROG_BP_MAX   1000000           /* ×100: largest multiplier */
#define PROG_PPU_MAX  1000000           /* base points per currency unit */
#define PROG_POINTS_MAX 1000000000000LL /* 10^12: bonus points, costs, thresholds */
#define PROG_CAP_MAX  1000000000000000LL /* 10^15: caps, budgets, stock */
#define PROG_CENTS_MAX 1000000000000LL  /* 10^12 cents */
#define PROG_PATH_MAX 96

static const char *const kind_names[] = {
    NULL, "base", "category", "sku", "tier", "window", "member_day",
    "birthday", "first_purchase", "checkin", "review", "share",
};
#define KIND_COUNT ((int)(sizeof kind_names / sizeof *kind_names))

static const char *const expiry_names[] = {"never", "days", "months", "year_end"};
static const char *const redeem_names[] = {"soonest_expiring", "oldest"};
static const char *const refund_names[] = {"negative_balance", "debt"};
static const char *const qualify_names[] = {"growth", "spend_12m"};

struct parser {
    pt_programme        *p;
    pt_programme_report *rep;
    int                  tz_ok;     /* the timezone is valid: dates can be converted */
    int                  unconverted; /* dates left unconverted because the timezone is bad */
    unsigned char        rule_bad[PT_PROG_RULES_MAX];
};

/* --- the report --------------------------------------------------------------------------- */

/* Copies src into dst[cap], cutting at a UTF-8 character boundary and marking the cut with "…". */
static void copy_trunc(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n < cap) {
        memcpy(dst, src, n + 1);
        return;
    }
    n = cap - 4;
    while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
        n--;
    memcpy(dst, src, n);
    memcpy(dst + n, "\xE2\x80\xA6", 4); /* "…" and the NUL */
}

/* Replaces every byte that does not start a valid UTF-8 character with '?' (jansson's parse
 * errors quote the input around the error, which may cut a character in half). */
static void utf8_clean(char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (len <= n - i && pt_utf8_valid(s + i, len)) {
            i += len;
        } else {
            s[i] = '?';
            i++;
        }
    }
}

static void value_text(json_t *v, char *out, size_t cap)
{
    out[0] = 0;
    if (!v)
        return;
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (s)
        copy_trunc(out, cap, s);
    free(s);
}

static void issue_add(struct parser *ps, int severity, const char *path, json_t *value, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void issue_add(struct parser *ps, int severity, const char *path, json_t *value, const char *fmt, ...)
{
    pt_programme_report *rep = ps->rep;
    int slot = rep->nissues++;
    if (severity == PT_ISSUE_ERROR)
        rep->nerrors++;
    if (slot >= (int)(sizeof rep->issues / sizeof *rep->issues))
        return;
    pt_programme_issue *is = &rep->issues[slot];
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    is->severity = severity;
    copy_trunc(is->path, sizeof is->path, path);
    copy_trunc(is->reason, sizeof is->reason, reason);
    value_text(value, is->value, sizeof is->value);
}

#define ERR(ps, path, v, ...)  issue_add((ps), PT_ISSUE_ERROR, (path), (v), __VA_ARGS__)
#define WARN(ps, path, v, ...) issue_add((ps), PT_ISSUE_WARNING, (path), (v), __VA_ARGS__)

static void path_key(char out[PROG_PATH_MAX], const char *at, const char *key)
{
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s%s%s", at, *at ? "." : "", key);
    copy_trunc(out, PROG_PATH_MAX, tmp);
}

static void path_index(char out[PROG_PATH_MAX], const char *at, size_t i)
{
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s[%zu]", at, i);
    copy_trunc(out, PROG_PATH_MAX, tmp);
}

/* --- unknown keys ------------------------------------------------------------------------- */

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return 99;
    size_t row[41];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The known key closest to `key` (at most 2 edits, and fewer than half its length), or NULL. */
static const char *suggest(const char *key, const char *const *known)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; known[i]; i++) {
        size_t d = edit_distance(key, known[i]);
        if (d < best_d && d * 2 < strlen(known[i])) {
            best = known[i];
            best_d = d;
        }
    }
    return best;
}

static int is_note(struct parser *ps, const char *at, const char *key, json_t *v)
{
    if (strcmp(key, "note") != 0)
        return 0;
    if (!json_is_string(v)) {
        char path[PROG_PATH_MAX];
        path_key(path, at, key);
        ERR(ps, path, v, "a note is free text (a string)");
    }
    return 1;
}

/* Reports every key of obj that is not in `known` (nor "note"). */
static void check_keys(struct parser *ps, json_t *obj, const char *at, const char *const *known)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        int found = is_note(ps, at, key, v);
        for (size_t i = 0; !found && known[i]; i++)
            found = strcmp(key, known[i]) == 0;
        if (found)
            continue;
        char path[PROG_PATH_MAX];
        path_key(path, at, key);
        const char *near = suggest(key, known);
        if (near)
            ERR(ps, path, v, "unknown field; did you mean \"%s\"?", near);
        else
            ERR(ps, path, v, "unknown field");
    }
}

/* --- scalar fields -------------------------------------------------------------------------
 * Each getter reads obj.key: 1 = present and valid (*out set), 0 = absent (reported when
 * required), -1 = present but wrong (reported; *out unchanged). */

enum { OPT = 0, REQ = 1 };

static json_t *field(struct parser *ps, json_t *obj, const char *at, const char *key, int req,
                     char path[PROG_PATH_MAX])
{
    path_key(path, at, key);
    json_t *v = json_object_get(obj, key);
    if (!v && req)
        ERR(ps, path, NULL, "missing (required)");
    return v;
}

static int get_int(struct parser *ps, json_t *obj, const char *at, const char *key, int req, int64_t min,
                   int64_t max, int64_t *out)
{
    char path[PROG_PATH_MAX];
    json_t *v = field(ps, obj, at, key, req, path);
    if (!v)
        return 0;
    if (!json_is_integer(v)) {
        ERR(ps, path, v, "expected a whole number");
        return -1;
    }
    json_int_t n = json_integer_value(v);
    if (n < min || n > max) {
        ERR(ps, path, v, "must be from %lld to %lld", (long long)min, (long long)max);
        return -1;
    }
    *out = n;
    return 1;
}

static int get_bool(struct parser *ps, json_t *obj, const char *at, const char *key, int *out)
{
    char path[PROG_PATH_MAX];
    json_t *v = field(ps, obj, at, key, OPT, path);
    if (!v)
        return 0;
    if (!json_is_boolean(v)) {
        ERR(ps, path, v, "expected true or false");
        return -1;
    }
    *out = json_is_true(v);
    return 1;
}

static int code_ok(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

enum { TEXT = 0, CODE = 1 };

/* A non-empty string of fewer than cap bytes; CODE: also only a–z, 0–9, '_' and '-'. */
static int get_str(struct parser *ps, json_t *obj, const char *at, const char *key, int req, int kind,
                   char *out, size_t cap)
{
    char path[PROG_PATH_MAX];
    json_t *v = field(ps, obj, at, key, req, path);
    if (!v)
        return 0;
    const char *s = json_string_value(v);
    if (!s) {
        ERR(ps, path, v, "expected a string");
        return -1;
    }
    if (!*s || strlen(s) >= cap) {
        ERR(ps, path, v, "must be 1 to %zu bytes long", cap - 1);
        return -1;
    }
    if (kind == CODE && !code_ok(s)) {
        ERR(ps, path, v, "a code may hold only a-z, 0-9, '_' and '-'");
        return -1;
    }
    memcpy(out, s, strlen(s) + 1);
    return 1;
}

static int get_enum(struct parser *ps, json_t *obj, const char *at, const char *key, int req,
                    const char *const *names, int n, int *out)
{
    char path[PROG_PATH_MAX];
    json_t *v = field(ps, obj, at, key, req, path);
    if (!v)
        return 0;
    const char *s = json_string_value(v);
    for (int i = 0; s && i < n; i++) {
        if (names[i] && strcmp(s, names[i]) == 0) {
            *out = i;
            return 1;
        }
    }
    char list[256] = "";
    for (int i = 0; i < n; i++)
        if (names[i])
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", *list ? ", " : "", names[i]);
    ERR(ps, path, v, "expected one of: %s", list);
    return -1;
}

/* An object field: the object, or NULL when absent or not an object (reported). */
static json_t *get_object(struct parser *ps, json_t *obj, const char *at, const char *key, int req)
{
    char path[PROG_PATH_MAX];
    json_t *v = field(ps, obj, at, key, req, path);
    if (v && !json_is_object(v)) {
        ERR(ps, path, v, "expected an object {…}");
        return NULL;
    }
    return v;
}

static json_t *get_array(struct parser *ps, json_t *obj, const char *at, const char *key, int req)
{
    char path[PROG_PATH_MAX];
    json_t *v = field(ps, obj, at, key, req, path);
    if (v && !json_is_array(v)) {
        ERR(ps, path, v, "expected an array […]");
        return NULL;
    }
    return v;
}

/* A list of distinct category or SKU strings into match[][64]. */
static int get_list(struct parser *ps, json_t *obj, const char *at, const char *key, int req,
                    char match[PT_PROG_MATCH_MAX][64], int *n)
{
    char path[PROG_PATH_MAX];
    json_t *arr = get_array(ps, obj, at, key, req);
    if (!arr)
        return json_object_get(obj, key) ? -1 : 0;
    path_key(path, at, key);
    if (json_array_size(arr) > PT_PROG_MATCH_MAX) {
        ERR(ps, path, NULL, "at most %d entries (found %zu)", PT_PROG_MATCH_MAX, json_array_size(arr));
        return -1;
    }
    int bad = 0;
    size_t i;
    json_t *v;
    *n = 0;
    json_array_foreach(arr, i, v) {
        char ipath[PROG_PATH_MAX];
        path_index(ipath, path, i);
        const char *s = json_string_value(v);
        if (!s || !*s || strlen(s) >= 64) {
            ERR(ps, ipath, v, "expected a string of 1 to 63 bytes");
            bad = 1;
            continue;
        }
        for (int j = 0; j < *n; j++) {
            if (strcmp(match[j], s) == 0) {
                ERR(ps, ipath, v, "listed twice");
                bad = 1;
            }
        }
        memcpy(match[(*n)++], s, strlen(s) + 1);
    }
    return bad ? -1 : 1;
}

/* --- rates: exact decimal → basis points -------------------------------------------------- */

/* "1.5", "2", "150%", "0.05" → basis points, exactly; NULL or the reason it is not a rate. */
static const char *rate_from_text(const char *s, int64_t *bp)
{
    int64_t ip = 0;
    int nint = 0, nfrac = 0, pct = 0;
    char frac[32];
    for (; *s >= '0' && *s <= '9'; s++, nint++) {
        if (nint >= 9)
            return "too large";
        ip = ip * 10 + (*s - '0');
    }
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++) {
            if (nfrac >= (int)sizeof frac)
                return "too many decimals";
            frac[nfrac++] = *s;
        }
        if (nfrac == 0)
            return "expected a decimal like \"1.5\" or \"50%\"";
    }
    if (*s == '%') {
        pct = 1;
        s++;
    }
    if (*s || nint == 0)
        return "expected a decimal like \"1.5\" or \"50%\"";
    while (nfrac > 0 && frac[nfrac - 1] == '0')
        nfrac--;
    int scale = pct ? 2 : 4;
    if (nfrac > scale)
        return pct ? "more than 2 decimals in a percentage (rates are whole basis points)"
                   : "more than 4 decimals (rates are whole basis points, 0.0001)";
    int64_t fp = 0;
    for (int i = 0; i < scale; i++)
        fp = fp * 10 + (i < nfrac ? frac[i] - '0' : 0);
    *bp = ip * (pct ? 100 : 10000) + fp;
    return NULL;
}

/* A JSON real as the shortest decimal that reads back as the same double ("1.2", not
 * "1.19999…"), then exactly as text. */
static const char *rate_from_real(double d, int64_t *bp)
{
    if (d < 0)
        return "must not be negative";
    char text[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(text, sizeof text, "%.*g", prec, d);
        if (strtod(text, NULL) == d)
            break;
    }
    if (strchr(text, 'e'))
        return d >= 1 ? "too large" : "more than 4 decimals (rates are whole basis points, 0.0001)";
    if (!strchr(text, '.'))
        snprintf(text + strlen(text), sizeof text - strlen(text), ".0");
    return rate_from_text(text, bp);
}

/* A rate (multiplier, share, discount) in [min_bp, max_bp]; `range` says what the range is. */
static int get_rate(struct parser *ps, json_t *obj, const char *at, const char *key, int req, int64_t min_bp,
                    int64_t max_bp, const char *range, int64_t *out)
{
    char path[PROG_PATH_MAX];
    json_t *v = field(ps, obj, at, key, req, path);
    if (!v)
        return 0;
    int64_t bp = 0;
    const char *why = NULL;
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (n < 0)
            why = "must not be negative";
        else if (n > 100000)
            why = "too large";
        else
            bp = n * 10000;
    } else if (json_is_real(v)) {
        why = rate_from_real(json_real_value(v), &bp);
    } else if (json_is_string(v)) {
        why = rate_from_text(json_string_value(v), &bp);
    } else {
        why = "expected a number or a decimal string like \"1.5\" or \"50%\"";
    }
    if (!why && (bp < min_bp || bp > max_bp))
        why = range;
    if (why) {
        ERR(ps, path, v, "%s", why);
        return -1;
    }
    *out = bp;
    return 1;
}

/* --- dates: local civil text → UTC epoch seconds ----------------------------------------- */

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

/* "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS" or the latter + "Z" into c; *has_time, *utc. */
static int time_text_parse(const char *s, pt_civil *c, int *has_time, int *utc)
{
    size_t n = strlen(s);
    memset(c, 0, sizeof *c);
    *has_time = n >= 19;
    *utc = n == 20 && s[19] == 'Z';
    if (n != 10 && n != 19 && !*utc)
        return 0;
    if (!digits(s, 4, &c->year) || s[4] != '-' || !digits(s + 5, 2, &c->month) || s[7] != '-' ||
        !digits(s + 8, 2, &c->day))
        return 0;
    if (*has_time && (s[10] != 'T' || !digits(s + 11, 2, &c->hour) || s[13] != ':' ||
                      !digits(s + 14, 2, &c->min) || s[16] != ':' || !digits(s + 17, 2, &c->sec)))
        return 0;
    return 1;
}

static int64_t utc_seconds(const pt_civil *c)
{
    return pt_days_from_civil(c->year, (unsigned)c->month, (unsigned)c->day) * 86400 + c->hour * 3600 +
           c->min * 60 + c->sec;
}

/* A date or date-time field. is_end: a date alone means "through that day", so it is stored as
 * the next local midnight (windows are [start, end)). */
static int get_time(struct parser *ps, json_t *obj, const char *at, const char *key, int is_end, int64_t *out)
{
    char path[PROG_PATH_MAX];
    json_t *v = field(ps, obj, at, key, OPT, path);
    if (!v)
        return 0;
    pt_civil c;
    int has_time = 0, utc = 0;
    const char *s = json_string_value(v);
    if (!s || !time_text_parse(s, &c, &has_time, &utc)) {
        ERR(ps, path, v, "expected a local date \"YYYY-MM-DD\" or date and time \"YYYY-MM-DDTHH:MM:SS\"");
        return -1;
    }
    int lo = utc ? 1970 : 1971, hi = utc ? 2999 : 2998;
    if (c.year < lo || c.year > hi || c.month < 1 || c.month > 12 || c.day < 1 ||
        c.day > pt_tz_days_in_month(c.year, c.month) || c.hour > 23 || c.min > 59 || c.sec > 59) {
        ERR(ps, path, v, "no such date or time (years %d to %d)", lo, hi);
        return -1;
    }
    if (is_end && !has_time) {
        int64_t y;
        unsigned m, d;
        pt_civil_from_days(pt_days_from_civil(c.year, (unsigned)c.month, (unsigned)c.day) + 1, &y, &m, &d);
        c.year = (int)y;
        c.month = (int)m;
        c.day = (int)d;
    }
    int64_t t = 0;
    if (utc)
        t = utc_seconds(&c);
    else if (!ps->tz_ok || pt_tz_utc(ps->p->timezone, &c, &t) != 0) {
        ps->unconverted++; /* the timezone's own issue says why */
        return -1;
    }
    if (t <= 0) {
        ERR(ps, path, v, "must be after 1970-01-01T00:00:00Z");
        return -1;
    }
    *out = t;
    return 1;
}

/* --- sections ----------------------------------------------------------------------------- */

/* An explicit 0 in a cap means "no limit", which is rarely what someone who wrote it meant. */
static void warn_zero_cap(struct parser *ps, json_t *obj, const char *at, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_integer(v) && json_integer_value(v) == 0) {
        char path[PROG_PATH_MAX];
        path_key(path, at, key);
        WARN(ps, path, v, "0 means no limit; leave the field out, or give the limit");
    }
}

static void parse_expiry(struct parser *ps, json_t *o)
{
    static const char *const keys[] = {"policy", "days", "months", "years_after", NULL};
    static const char *const for_kind[] = {NULL, "days", "months", "years_after"};
    static const int64_t max_n[] = {0, 3650, 120, 10};
    pt_programme *p = ps->p;
    check_keys(ps, o, "points.expiry", keys);
    if (get_enum(ps, o, "points.expiry", "policy", REQ, expiry_names, 4, &p->expiry_kind) <= 0)
        return;
    for (int k = 1; k < 4; k++) {
        json_t *v = json_object_get(o, for_kind[k]);
        if (v && k != p->expiry_kind) {
            char path[PROG_PATH_MAX];
            path_key(path, "points.expiry", for_kind[k]);
            ERR(ps, path, v, "not used by policy \"%s\"", expiry_names[p->expiry_kind]);
        }
    }
    int64_t n = 0;
    int k = p->expiry_kind;
    if (k != PT_EXPIRY_NEVER &&
        get_int(ps, o, "points.expiry", for_kind[k], k != PT_EXPIRY_YEAR_END, k == PT_EXPIRY_YEAR_END ? 0 : 1,
                max_n[k], &n) > 0)
        p->expiry_n = (int)n;
}

static void parse_payment(struct parser *ps, json_t *o)
{
    static const char *const keys[] = {"points", "value_cents", "max_share", NULL};
    pt_programme *p = ps->p;
    int64_t v;
    check_keys(ps, o, "points.payment", keys);
    if (get_int(ps, o, "points.payment", "points", REQ, 1, 1000000, &v) > 0)
        p->points_per_payment_unit = v;
    if (get_int(ps, o, "points.payment", "value_cents", REQ, 1, 1000000, &v) > 0)
        p->payment_unit_cents = v;
    if (get_rate(ps, o, "points.payment", "max_share", OPT, 1, PT_BP_ONE,
                 "must be above 0 and at most 100% of the order", &v) > 0)
        p->payment_max_bp = (int32_t)v;
}

static void parse_points(struct parser *ps, json_t *o)
{
    static const char *const keys[] = {"expiry", "redeem_order", "return_window_days", "refund_policy",
                                       "payment", "daily_cap", NULL};
    pt_programme *p = ps->p;
    int64_t v;
    check_keys(ps, o, "points", keys);
    json_t *sub = get_object(ps, o, "points", "expiry", OPT);
    if (sub)
        parse_expiry(ps, sub);
    get_enum(ps, o, "points", "redeem_order", OPT, redeem_names, 2, &p->redeem_order);
    if (get_int(ps, o, "points", "return_window_days", OPT, 0, 365, &v) > 0)
        p->pending_days = (int)v;
    get_enum(ps, o, "points", "refund_policy", OPT, refund_names, 2, &p->refund_policy);
    sub = get_object(ps, o, "points", "payment", OPT);
    if (sub)
        parse_payment(ps, sub);
    if (get_int(ps, o, "points", "daily_cap", OPT, 0, PROG_CAP_MAX, &v) > 0)
        p->daily_points_cap = v;
    warn_zero_cap(ps, o, "points", "daily_cap");
}

static void parse_growth(struct parser *ps, json_t *o)
{
    static const char *const keys[] = {"per_unit", "unit_cents", "checkin", "review", "share", NULL};
    pt_programme *p = ps->p;
    check_keys(ps, o, "growth", keys);
    get_int(ps, o, "growth", "per_unit", OPT, 0, PROG_PPU_MAX, &p->growth_per_unit);
    get_int(ps, o, "growth", "unit_cents", OPT, 1, PROG_CENTS_MAX, &p->growth_unit_cents);
    get_int(ps, o, "growth", "checkin", OPT, 0, PROG_POINTS_MAX, &p->growth_checkin);
    get_int(ps, o, "growth", "review", OPT, 0, PROG_POINTS_MAX, &p->growth_review);
    get_int(ps, o, "growth", "share", OPT, 0, PROG_POINTS_MAX, &p->growth_share);
}

static void parse_tier_policy(struct parser *ps, json_t *o)
{
    static const char *const keys[] = {"qualify_on", "review_months", "max_downgrade_steps", NULL};
    pt_programme *p = ps->p;
    int64_t v;
    check_keys(ps, o, "tier_policy", keys);
    get_enum(ps, o, "tier_policy", "qualify_on", OPT, qualify_names, 2, &p->qualify_basis);
    if (get_int(ps, o, "tier_policy", "review_months", OPT, 1, 60, &v) > 0)
        p->review_months = (int)v;
    if (get_int(ps, o, "tier_policy", "max_downgrade_steps", OPT, 1, PT_PROG_TIERS_MAX - 1, &v) > 0)
        p->downgrade_steps = (int)v;
}

static void parse_referral(struct parser *ps, json_t *o)
{
    static const char *const keys[] = {"referrer_points", "invitee_points", NULL};
    check_keys(ps, o, "referral", keys);
    get_int(ps, o, "referral", "referrer_points", OPT, 0, PROG_POINTS_MAX, &ps->p->referral_referrer_points);
    get_int(ps, o, "referral", "invitee_points", OPT, 0, PROG_POINTS_MAX, &ps->p->referral_invitee_points);
}

/* --- tiers -------------------------------------------------------------------------------- */

static void parse_tier(struct parser *ps, json_t *o, const char *at, int i)
{
    static const char *const keys[] = {"code", "name_zh", "name_en", "threshold", "retain", "points_multiplier",
                                       "discount", "birthday_gift_points", "free_shipping", NULL};
    pt_tier_def *t = &ps->p->tiers[i];
    int64_t v;
    check_keys(ps, o, at, keys);
    get_str(ps, o, at, "code", REQ, CODE, t->code, sizeof t->code);
    get_str(ps, o, at, "name_zh", REQ, TEXT, t->name_zh, sizeof t->name_zh);
    get_str(ps, o, at, "name_en", OPT, TEXT, t->name_en, sizeof t->name_en);
    int has_threshold = get_int(ps, o, at, "threshold", REQ, 0, PROG_POINTS_MAX, &t->threshold) > 0;
    if (get_int(ps, o, at, "retain", OPT, 0, PROG_POINTS_MAX, &t->retain) == 0)
        t->retain = t->threshold;
    t->points_multiplier_bp = PT_BP_ONE;
    if (get_rate(ps, o, at, "points_multiplier", OPT, PT_BP_ONE, PROG_BP_MAX,
                 "a multiplier must be from 1.0 to 100", &v) > 0)
        t->points_multiplier_bp = (int32_t)v;
    if (get_rate(ps, o, at, "discount", OPT, 0, PT_BP_ONE - 1, "a discount must be from 0 to below 100%", &v) > 0)
        t->discount_bp = (int32_t)v;
    get_int(ps, o, at, "birthday_gift_points", OPT, 0, PROG_POINTS_MAX, &t->birthday_gift_points);
    get_bool(ps, o, at, "free_shipping", &t->free_shipping);

    char path[PROG_PATH_MAX];
    path_key(path, at, "threshold");
    if (has_threshold && i == 0 && t->threshold != 0)
        ERR(ps, path, json_object_get(o, "threshold"), "the entry tier (tiers[0]) must have threshold 0");
    if (has_threshold && i > 0 && t->threshold <= ps->p->tiers[i - 1].threshold)
        ERR(ps, path, json_object_get(o, "threshold"), "must be above tiers[%d]'s threshold %lld", i - 1,
            (long long)ps->p->tiers[i - 1].threshold);
    path_key(path, at, "retain");
    if (t->retain > t->threshold)
        ERR(ps, path, json_object_get(o, "retain"), "must not be above the threshold %lld",
            (long long)t->threshold);
    path_key(path, at, "points_multiplier");
    if (i > 0 && t->points_multiplier_bp < ps->p->tiers[i - 1].points_multiplier_bp)
        WARN(ps, path, json_object_get(o, "points_multiplier"), "a higher tier earns less than tiers[%d]", i - 1);
}

static void parse_tiers(struct parser *ps, json_t *root)
{
    json_t *arr = get_array(ps, root, "", "tiers", REQ);
    if (!arr)
        return;
    size_t n = json_array_size(arr);
    if (n == 0 || n > PT_PROG_TIERS_MAX) {
        ERR(ps, "tiers", NULL, "needs 1 to %d tiers (found %zu)", PT_PROG_TIERS_MAX, n);
        if (n == 0)
            return;
        n = PT_PROG_TIERS_MAX;
    }
    for (size_t i = 0; i < n; i++) {
        char at[PROG_PATH_MAX];
        path_index(at, "tiers", i);
        json_t *o = json_array_get(arr, i);
        if (!json_is_object(o)) {
            ERR(ps, at, o, "expected an object {…}");
            continue;
        }
        parse_tier(ps, o, at, (int)i);
        for (size_t j = 0; j < i; j++) {
            if (ps->p->tiers[i].code[0] && strcmp(ps->p->tiers[i].code, ps->p->tiers[j].code) == 0) {
                char path[PROG_PATH_MAX];
                path_key(path, at, "code");
                ERR(ps, path, json_object_get(o, "code"), "duplicate code: also tiers[%zu]", j);
            }
        }
    }
    ps->p->ntiers = (int)n;
}

/* --- rules -------------------------------------------------------------------------------- */

#define KB(k) (1u << (k))
#define K_ALL 0xFFFu
#define K_MULT                                                                                   \
    (KB(PT_RULE_CATEGORY) | KB(PT_RULE_SKU) | KB(PT_RULE_WINDOW) | KB(PT_RULE_MEMBER_DAY) |         \
     KB(PT_RULE_BIRTHDAY))
#define K_BONUS                                                                                  \
    (KB(PT_RULE_BIRTHDAY) | KB(PT_RULE_FIRST_PURCHASE) | KB(PT_RULE_CHECKIN) | KB(PT_RULE_REVIEW) | \
     KB(PT_RULE_SHARE))

static const struct rule_key {
    const char *key;
    unsigned    kinds; /* bit k: used by rules of kind k */
} rule_keys[] = {
    {"code", K_ALL},         {"name", K_ALL},        {"kind", K_ALL},
    {"priority", K_ALL},     {"starts", K_ALL},      {"ends", K_ALL},
    {"daily_cap", K_ALL},    {"budget", K_ALL},      {"member_cap", K_ALL},
    {"points_per_unit", KB(PT_RULE_BASE)},           {"unit_cents", KB(PT_RULE_BASE)},
    {"categories", KB(PT_RULE_BASE) | KB(PT_RULE_CATEGORY)},
    {"skus", KB(PT_RULE_SKU)},
    {"multiplier", K_MULT},  {"stackable", K_MULT},  {"points", K_BONUS},
    {"day_of_month", KB(PT_RULE_MEMBER_DAY)},
    {"streak_days", KB(PT_RULE_CHECKIN)},           {"streak_points", KB(PT_RULE_CHECKIN)},
};
#define RULE_KEY_COUNT (sizeof rule_keys / sizeof *rule_keys)

/* Unknown keys, and known keys that the rule's kind does not use (kind 0: not known yet). */
static void rule_check_keys(struct parser *ps, json_t *o, const char *at, int kind)
{
    const char *known[RULE_KEY_COUNT + 1];
    for (size_t i = 0; i < RULE_KEY_COUNT; i++)
        known[i] = rule_keys[i].key;
    known[RULE_KEY_COUNT] = NULL;
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        if (is_note(ps, at, key, v))
            continue;
        char path[PROG_PATH_MAX];
        path_key(path, at, key);
        size_t i = 0;
        while (i < RULE_KEY_COUNT && strcmp(rule_keys[i].key, key) != 0)
            i++;
        const char *near = i == RULE_KEY_COUNT ? suggest(key, known) : NULL;
        if (i < RULE_KEY_COUNT && kind && !(rule_keys[i].kinds & KB(kind)))
            ERR(ps, path, v, "not used by a rule of kind \"%s\"", kind_names[kind]);
        else if (near)
            ERR(ps, path, v, "unknown field; did you mean \"%s\"?", near);
        else if (i == RULE_KEY_COUNT)
            ERR(ps, path, v, "unknown field");
    }
}

static void parse_rule_multiplier(struct parser *ps, json_t *o, const char *at, pt_rule_def *r, int req)
{
    int64_t v;
    if (get_rate(ps, o, at, "multiplier", req, PT_BP_ONE, PROG_BP_MAX, "a multiplier must be from 1.0 to 100", &v) > 0)
        r->multiplier_bp = (int32_t)v;
    get_bool(ps, o, at, "stackable", &r->stackable);
}

/* The fields that depend on the rule's kind. */
static void parse_rule_kind(struct parser *ps, json_t *o, const char *at, pt_rule_def *r)
{
    int64_t v;
    switch (r->kind) {
    case PT_RULE_BASE:
        get_int(ps, o, at, "points_per_unit", REQ, 0, PROG_PPU_MAX, &r->points);
        get_int(ps, o, at, "unit_cents", OPT, 1, PROG_CENTS_MAX, &r->unit_cents);
        get_list(ps, o, at, "categories", OPT, r->match, &r->nmatch);
        break;
    case PT_RULE_CATEGORY:
    case PT_RULE_SKU:
        get_list(ps, o, at, r->kind == PT_RULE_SKU ? "skus" : "categories", REQ, r->match, &r->nmatch);
        parse_rule_multiplier(ps, o, at, r, REQ);
        break;
    case PT_RULE_WINDOW:
        parse_rule_multiplier(ps, o, at, r, REQ);
        break;
    case PT_RULE_MEMBER_DAY:
        if (get_int(ps, o, at, "day_of_month", REQ, 1, 31, &v) > 0)
            r->day_of_month = (int)v;
        parse_rule_multiplier(ps, o, at, r, REQ);
        break;
    case PT_RULE_BIRTHDAY:
        parse_rule_multiplier(ps, o, at, r, OPT);
        get_int(ps, o, at, "points", OPT, 0, PROG_POINTS_MAX, &r->points);
        if (!json_object_get(o, "multiplier") && !json_object_get(o, "points"))
            ERR(ps, at, NULL, "a birthday rule needs a multiplier, points, or both");
        break;
    case PT_RULE_CHECKIN:
        get_int(ps, o, at, "points", REQ, 0, PROG_POINTS_MAX, &r->points);
        if (get_int(ps, o, at, "streak_days", OPT, 0, 366, &v) > 0)
            r->streak_days = (int)v;
        get_int(ps, o, at, "streak_points", OPT, 0, PROG_POINTS_MAX, &r->streak_points);
        if ((r->streak_days > 0) != (r->streak_points > 0))
            ERR(ps, at, NULL, "streak_days and streak_points go together (a bonus every N days)");
        break;
    case PT_RULE_FIRST_PURCHASE:
    case PT_RULE_REVIEW:
    case PT_RULE_SHARE:
        get_int(ps, o, at, "points", REQ, 0, PROG_POINTS_MAX, &r->points);
        break;
    default: /* PT_RULE_TIER: nothing of its own */
        break;
    }
}

static void parse_rule(struct parser *ps, json_t *o, const char *at, pt_rule_def *r)
{
    int64_t v;
    r->multiplier_bp = PT_BP_ONE;
    r->unit_cents = 100;
    int kind = 0;
    if (get_enum(ps, o, at, "kind", REQ, kind_names, KIND_COUNT, &kind) > 0)
        r->kind = kind;
    rule_check_keys(ps, o, at, r->kind);
    get_str(ps, o, at, "code", REQ, CODE, r->code, sizeof r->code);
    get_str(ps, o, at, "name", OPT, TEXT, r->name, sizeof r->name);
    if (get_int(ps, o, at, "priority", OPT, -1000, 1000, &v) > 0)
        r->priority = (int)v;
    get_time(ps, o, at, "starts", 0, &r->starts_at);
    get_time(ps, o, at, "ends", 1, &r->ends_at);
    if (r->starts_at && r->ends_at && r->ends_at <= r->starts_at) {
        char path[PROG_PATH_MAX];
        path_key(path, at, "ends");
        ERR(ps, path, json_object_get(o, "ends"), "ends before it starts (starts %s)",
            json_string_value(json_object_get(o, "starts")));
    }
    get_int(ps, o, at, "daily_cap", OPT, 0, PROG_CAP_MAX, &r->daily_cap);
    get_int(ps, o, at, "budget", OPT, 0, PROG_CAP_MAX, &r->budget);
    get_int(ps, o, at, "member_cap", OPT, 0, PROG_CAP_MAX, &r->member_cap);
    warn_zero_cap(ps, o, at, "daily_cap");
    warn_zero_cap(ps, o, at, "budget");
    warn_zero_cap(ps, o, at, "member_cap");
    if (r->kind)
        parse_rule_kind(ps, o, at, r);
}

static void parse_rules(struct parser *ps, json_t *root)
{
    json_t *arr = get_array(ps, root, "", "rules", OPT);
    size_t n = json_array_size(arr);
    if (n > PT_PROG_RULES_MAX) {
        ERR(ps, "rules", NULL, "at most %d rules (found %zu)", PT_PROG_RULES_MAX, n);
        n = PT_PROG_RULES_MAX;
    }
    for (size_t i = 0; i < n; i++) {
        char at[PROG_PATH_MAX];
        path_index(at, "rules", i);
        json_t *o = json_array_get(arr, i);
        int errors_before = ps->rep->nerrors, unconverted_before = ps->unconverted;
        pt_rule_def *r = &ps->p->rules[i];
        if (json_is_object(o))
            parse_rule(ps, o, at, r);
        else
            ERR(ps, at, o, "expected an object {…}");
        for (size_t j = 0; j < i; j++) {
            if (r->code[0] && strcmp(r->code, ps->p->rules[j].code) == 0) {
                char path[PROG_PATH_MAX];
                path_key(path, at, "code");
                ERR(ps, path, json_object_get(o, "code"), "duplicate code: also rules[%zu]", j);
            }
        }
        ps->rule_bad[i] = ps->rep->nerrors > errors_before || ps->unconverted > unconverted_before || r->kind == 0;
    }
    ps->p->nrules = (int)n;
}

/* --- rewards ------------------------------------------------------------------------------ */

static void parse_coupon(struct parser *ps, json_t *o, const char *at, pt_reward_def *w)
{
    static const char *const keys[] = {"value_cents", "valid_days", "min_spend_cents", NULL};
    int64_t v;
    check_keys(ps, o, at, keys);
    w->is_coupon = 1;
    get_int(ps, o, at, "value_cents", REQ, 1, PROG_CENTS_MAX, &w->coupon_value_cents);
    if (get_int(ps, o, at, "valid_days", REQ, 1, 3650, &v) > 0)
        w->coupon_valid_days = (int)v;
    get_int(ps, o, at, "min_spend_cents", OPT, 0, PROG_CENTS_MAX, &w->coupon_min_spend_cents);
}

static void parse_reward(struct parser *ps, json_t *o, const char *at, pt_reward_def *w)
{
    static const char *const keys[] = {"code", "name", "cost_points", "stock", "per_member_limit", "min_tier",
                                       "valid_from", "valid_to", "coupon", NULL};
    char path[PROG_PATH_MAX];
    check_keys(ps, o, at, keys);
    w->stock = -1;
    get_str(ps, o, at, "code", REQ, CODE, w->code, sizeof w->code);
    get_str(ps, o, at, "name", REQ, TEXT, w->name, sizeof w->name);
    get_int(ps, o, at, "cost_points", REQ, 0, PROG_POINTS_MAX, &w->cost_points);
    get_int(ps, o, at, "stock", OPT, 0, PROG_CAP_MAX, &w->stock);
    get_int(ps, o, at, "per_member_limit", OPT, 0, 1000000, &w->per_member_limit);
    path_key(path, at, "stock");
    if (w->stock == 0)
        WARN(ps, path, json_object_get(o, "stock"), "stock 0: nobody can ever redeem it");
    if (get_str(ps, o, at, "min_tier", OPT, CODE, w->min_tier, sizeof w->min_tier) > 0 &&
        pt_programme_tier_index(ps->p, w->min_tier) < 0) {
        path_key(path, at, "min_tier");
        ERR(ps, path, json_object_get(o, "min_tier"), "no tier has this code");
    }
    get_time(ps, o, at, "valid_from", 0, &w->valid_from);
    get_time(ps, o, at, "valid_to", 1, &w->valid_to);
    if (w->valid_from && w->valid_to && w->valid_to <= w->valid_from) {
        path_key(path, at, "valid_to");
        ERR(ps, path, json_object_get(o, "valid_to"), "ends before it starts (valid_from %s)",
            json_string_value(json_object_get(o, "valid_from")));
    }
    path_key(path, at, "coupon");
    json_t *coupon = get_object(ps, o, at, "coupon", OPT);
    if (coupon)
        parse_coupon(ps, coupon, path, w);
}

static void parse_rewards(struct parser *ps, json_t *root)
{
    json_t *arr = get_array(ps, root, "", "rewards", OPT);
    size_t n = json_array_size(arr);
    if (n > PT_PROG_REWARDS_MAX) {
        ERR(ps, "rewards", NULL, "at most %d rewards (found %zu)", PT_PROG_REWARDS_MAX, n);
        n = PT_PROG_REWARDS_MAX;
    }
    for (size_t i = 0; i < n; i++) {
        char at[PROG_PATH_MAX];
        path_index(at, "rewards", i);
        json_t *o = json_array_get(arr, i);
        pt_reward_def *w = &ps->p->rewards[i];
        if (json_is_object(o))
            parse_reward(ps, o, at, w);
        else
            ERR(ps, at, o, "expected an object {…}");
        for (size_t j = 0; j < i; j++) {
            if (w->code[0] && strcmp(w->code, ps->p->rewards[j].code) == 0) {
                char path[PROG_PATH_MAX];
                path_key(path, at, "code");
                ERR(ps, path, json_object_get(o, "code"), "duplicate code: also rewards[%zu]", j);
            }
        }
    }
    ps->p->nrewards = (int)n;
}

/* --- the whole file ----------------------------------------------------------------------- */

static void programme_defaults(pt_programme *p)
{
    memset(p, 0, sizeof *p);
    p->payment_max_bp = PT_BP_ONE;
    p->growth_unit_cents = 100;
    p->review_months = 12;
    p->downgrade_steps = 1;
}

static void parse_header(struct parser *ps, json_t *root)
{
    pt_programme *p = ps->p;
    get_str(ps, root, "", "name", REQ, TEXT, p->name, sizeof p->name);
    if (get_str(ps, root, "", "currency", REQ, TEXT, p->currency, sizeof p->currency) > 0) {
        int ok = strlen(p->currency) == 3;
        for (int i = 0; ok && i < 3; i++)
            ok = p->currency[i] >= 'A' && p->currency[i] <= 'Z';
        if (!ok)
            ERR(ps, "currency", json_object_get(root, "currency"), "expected an ISO 4217 code such as \"CNY\"");
    }
    if (get_str(ps, root, "", "timezone", REQ, TEXT, p->timezone, sizeof p->timezone) > 0) {
        ps->tz_ok = pt_tz_check(p->timezone) == 0;
        if (!ps->tz_ok)
            ERR(ps, "timezone", json_object_get(root, "timezone"),
                "not an IANA time zone name (e.g. \"Asia/Shanghai\")");
    }
}

static void parse_root(struct parser *ps, json_t *root)
{
    static const char *const keys[] = {"name", "currency", "timezone", "points", "growth", "tier_policy",
                                       "tiers", "rules", "rewards", "referral", NULL};
    check_keys(ps, root, "", keys);
    parse_header(ps, root);
    json_t *o = get_object(ps, root, "", "points", OPT);
    if (o)
        parse_points(ps, o);
    o = get_object(ps, root, "", "growth", OPT);
    if (o)
        parse_growth(ps, o);
    o = get_object(ps, root, "", "tier_policy", OPT);
    if (o)
        parse_tier_policy(ps, o);
    parse_tiers(ps, root);
    parse_rules(ps, root);
    parse_rewards(ps, root);
    o = get_object(ps, root, "", "referral", OPT);
    if (o)
        parse_referral(ps, o);
}

/* --- warnings: rules that never fire, rules that conflict -------------------------------- */

static int is_multiplier_kind(int kind)
{
    return kind == PT_RULE_CATEGORY || kind == PT_RULE_SKU || kind == PT_RULE_WINDOW ||
           kind == PT_RULE_MEMBER_DAY || kind == PT_RULE_BIRTHDAY || kind == PT_RULE_TIER;
}

static int windows_overlap(const pt_rule_def *a, const pt_rule_def *b)
{
    int64_t lo = a->starts_at > b->starts_at ? a->starts_at : b->starts_at; /* 0: unbounded */
    int64_t hi = a->ends_at < b->ends_at ? a->ends_at : b->ends_at;
    if (!a->ends_at || !b->ends_at)
        hi = a->ends_at ? a->ends_at : b->ends_at;
    return hi == 0 || lo < hi;
}

/* a's window contains b's. */
static int window_covers(const pt_rule_def *a, const pt_rule_def *b)
{
    return (!a->starts_at || (b->starts_at && a->starts_at <= b->starts_at)) &&
           (!a->ends_at || (b->ends_at && a->ends_at >= b->ends_at));
}

static int matches_overlap(const pt_rule_def *a, const pt_rule_def *b)
{
    for (int i = 0; i < a->nmatch; i++)
        for (int j = 0; j < b->nmatch; j++)
            if (strcmp(a->match[i], b->match[j]) == 0)
                return 1;
    return 0;
}

/* Two non-stackable multipliers of one kind that can both apply to one line at one time. */
static int multipliers_conflict(const pt_rule_def *a, const pt_rule_def *b)
{
    if (a->kind != b->kind || !is_multiplier_kind(a->kind) || !windows_overlap(a, b))
        return 0;
    if (a->kind != PT_RULE_TIER && (a->stackable || b->stackable))
        return 0;
    switch (a->kind) {
    case PT_RULE_CATEGORY:
    case PT_RULE_SKU:
        return matches_overlap(a, b);
    case PT_RULE_MEMBER_DAY:
        return a->day_of_month == b->day_of_month;
    case PT_RULE_BIRTHDAY:
        return a->multiplier_bp > PT_BP_ONE && b->multiplier_bp > PT_BP_ONE;
    default:
        return 1;
    }
}

/* b comes before a among base rules (priority, then code). */
static int base_precedes(const pt_rule_def *b, const pt_rule_def *a)
{
    return b->priority != a->priority ? b->priority < a->priority : strcmp(b->code, a->code) < 0;
}

static int all_tiers_one(const pt_programme *p)
{
    for (int t = 0; t < p->ntiers; t++)
        if (p->tiers[t].points_multiplier_bp != PT_BP_ONE)
            return 0;
    return 1;
}

static void check_never_fires(struct parser *ps, int i, const char *at)
{
    const pt_rule_def *r = &ps->p->rules[i];
    char bp[32];
    if (r->kind != PT_RULE_BIRTHDAY && r->kind != PT_RULE_TIER && is_multiplier_kind(r->kind) &&
        r->multiplier_bp == PT_BP_ONE)
        WARN(ps, at, NULL, "never fires: a multiplier of %s changes nothing", pt_bp_str(r->multiplier_bp, bp));
    if ((r->kind == PT_RULE_CATEGORY || r->kind == PT_RULE_SKU) && r->nmatch == 0)
        WARN(ps, at, NULL, "never fires: it lists no %s", r->kind == PT_RULE_SKU ? "SKUs" : "categories");
    if (r->kind == PT_RULE_BIRTHDAY && r->multiplier_bp == PT_BP_ONE && r->points == 0)
        WARN(ps, at, NULL, "never fires: multiplier 1 and no points change nothing");
    if ((r->kind == PT_RULE_FIRST_PURCHASE || r->kind == PT_RULE_REVIEW || r->kind == PT_RULE_SHARE ||
         (r->kind == PT_RULE_CHECKIN && r->streak_points == 0)) && r->points == 0)
        WARN(ps, at, NULL, "never fires: it gives 0 points");
    if (r->kind == PT_RULE_BASE && r->points == 0 && r->nmatch == 0)
        WARN(ps, at, NULL, "every line earns 0 base points, so no multiplier can fire either");
    if (r->kind == PT_RULE_TIER && all_tiers_one(ps->p))
        WARN(ps, at, NULL, "never fires: every tier's points_multiplier is 1");
    if (r->kind == PT_RULE_MEMBER_DAY && r->day_of_month >= 29) {
        const char *when = r->day_of_month == 31   ? "the 7 months that have a 31st"
                           : r->day_of_month == 30 ? "11 months (never in February)"
                                                   : "February of leap years and the other 11 months";
        WARN(ps, at, NULL, "day %d fires only in %s", r->day_of_month, when);
    }
    if (r->kind == PT_RULE_CHECKIN && r->streak_days == 1)
        WARN(ps, at, NULL, "a 1-day streak gives the streak bonus on every check-in");
    if (r->kind == PT_RULE_WINDOW && !r->starts_at && !r->ends_at)
        WARN(ps, at, NULL, "a window rule without starts or ends applies at all times");
}

/* Base rules: one earlier in order that matches every line over a wider window hides this one. */
static void check_base_hidden(struct parser *ps, int i, const char *at)
{
    const pt_programme *p = ps->p;
    const pt_rule_def *r = &p->rules[i];
    for (int j = 0; j < p->nrules; j++) {
        const pt_rule_def *b = &p->rules[j];
        if (j == i || ps->rule_bad[j] || b->kind != PT_RULE_BASE || b->nmatch != 0)
            continue;
        if (base_precedes(b, r) && window_covers(b, r)) {
            WARN(ps, at, NULL, "never fires: rules[%d] \"%s\" gives every line its base first (lower priority "
                 "or code); give this rule a lower priority", j, b->code);
            return;
        }
    }
}

static void check_conflicts(struct parser *ps, int i, const char *at)
{
    const pt_programme *p = ps->p;
    const pt_rule_def *r = &p->rules[i];
    for (int j = 0; j < i; j++) {
        const pt_rule_def *b = &p->rules[j];
        if (ps->rule_bad[j] || !multipliers_conflict(b, r))
            continue;
        char bp1[32], bp2[32];
        int32_t hi = b->multiplier_bp > r->multiplier_bp ? b->multiplier_bp : r->multiplier_bp;
        if (r->kind == PT_RULE_TIER)
            WARN(ps, at, NULL, "conflicts with rules[%d] \"%s\": two tier rules at the same time; only one applies",
                 j, b->code);
        else
            WARN(ps, at, NULL, "conflicts with rules[%d] \"%s\" (×%s): non-stackable %s multipliers that can "
                 "apply together; only the larger (×%s) counts", j, b->code, pt_bp_str(b->multiplier_bp, bp1),
                 kind_names[r->kind], pt_bp_str(hi, bp2));
    }
}

static void check_programme(struct parser *ps)
{
    const pt_programme *p = ps->p;
    int has_base = 0, has_tier_rule = 0;
    for (int i = 0; i < p->nrules; i++) {
        has_base |= p->rules[i].kind == PT_RULE_BASE;
        has_tier_rule |= p->rules[i].kind == PT_RULE_TIER;
        if (ps->rule_bad[i])
            continue;
        char at[PROG_PATH_MAX];
        path_index(at, "rules", (size_t)i);
        check_never_fires(ps, i, at);
        if (p->rules[i].kind == PT_RULE_BASE)
            check_base_hidden(ps, i, at);
        check_conflicts(ps, i, at);
    }
    if (!has_base)
        WARN(ps, "rules", NULL, "no rule of kind \"base\": orders earn no points");
    if (!has_tier_rule && p->ntiers > 0 && !all_tiers_one(p))
        WARN(ps, "tiers", NULL, "tier points multipliers are never applied: add a rule of kind \"tier\"");
    if (p->qualify_basis == PT_QUALIFY_GROWTH && p->ntiers > 1 && p->growth_per_unit == 0 &&
        p->growth_checkin == 0 && p->growth_review == 0 && p->growth_share == 0)
        WARN(ps, "growth", NULL, "no growth value is ever earned, so no member can rise above tiers[0]");
}

/* --- public: parse, load --------------------------------------------------------------- */

int pt_programme_parse(const char *json, size_t len, pt_programme *out, pt_programme_report *rep)
{
    pt_programme_report local;
    if (!rep)
        rep = &local;
    memset(rep, 0, sizeof *rep);
    if (!out || (!json && len))
        return PT_EINVAL;
    programme_defaults(out);
    struct parser ps = {.p = out, .rep = rep};
    json_error_t jerr;
    json_t *root = json_loadb(json ? json : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        utf8_clean(jerr.text);
        ERR(&ps, "", NULL, "not valid JSON: line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        return PT_EPARSE;
    }
    if (!json_is_object(root)) {
        ERR(&ps, "", root, "expected a JSON object {…} at the top");
    } else {
        parse_root(&ps, root);
        check_programme(&ps);
    }
    json_decref(root);
    return rep->nerrors ? PT_EINVAL : PT_OK;
}

int pt_programme_load_file(const char *path, pt_programme *out, pt_programme_report *rep)
{
    pt_programme_report local;
    if (!rep)
        rep = &local;
    memset(rep, 0, sizeof *rep);
    struct parser ps = {.p = out, .rep = rep};
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        ERR(&ps, "", NULL, "cannot open: %s", strerror(e));
        return e == ENOENT ? PT_ENOTFOUND : PT_EIO;
    }
    char *text = malloc(PROG_FILE_MAX + 1);
    size_t n = text ? fread(text, 1, PROG_FILE_MAX + 1, f) : 0;
    int rc = !text ? PT_ENOMEM : ferror(f) ? PT_EIO : n > PROG_FILE_MAX ? PT_ETOOBIG : PT_OK;
    fclose(f);
    if (rc == PT_OK)
        rc = pt_programme_parse(text, n, out, rep);
    else
        ERR(&ps, "", NULL, "%s", rc == PT_ETOOBIG ? "larger than 4 MiB" : pt_strerror(rc));
    free(text);
    return rc;
}

/* --- look-ups and names ------------------------------------------------------------------- */

int pt_programme_tier_index(const pt_programme *p, const char *code)
{
    for (int i = 0; i < p->ntiers; i++)
        if (strcmp(p->tiers[i].code, code) == 0)
            return i;
    return -1;
}

int pt_programme_rule_index(const pt_programme *p, const char *code)
{
    for (int i = 0; i < p->nrules; i++)
        if (strcmp(p->rules[i].code, code) == 0)
            return i;
    return -1;
}

const pt_reward_def *pt_programme_reward(const pt_programme *p, const char *code)
{
    for (int i = 0; i < p->nrewards; i++)
        if (strcmp(p->rewards[i].code, code) == 0)
            return &p->rewards[i];
    return NULL;
}

const char *pt_rule_kind_name(int kind)
{
    return kind >= 1 && kind < KIND_COUNT ? kind_names[kind] : "?";
}

const char *pt_bp_str(int64_t bp, char buf[32])
{
    int neg = bp < 0;
    uint64_t a = neg ? (uint64_t)0 - (uint64_t)bp : (uint64_t)bp;
    char frac[8];
    snprintf(frac, sizeof frac, "%04u", (unsigned)(a % 10000));
    for (int i = 3; i >= 0 && frac[i] == '0'; i--)
        frac[i] = 0;
    snprintf(buf, 32, "%s%llu%s%s", neg ? "-" : "", (unsigned long long)(a / 10000), frac[0] ? "." : "", frac);
    return buf;
}

/* --- canonical text ----------------------------------------------------------------------- */

struct canon {
    int bad; /* a value could not be represented (text that is not UTF-8, out of memory) */
};

static void put(struct canon *cn, json_t *o, const char *key, json_t *v)
{
    if (!v || json_object_set_new(o, key, v) != 0)
        cn->bad = 1;
}

static void put_rate(struct canon *cn, json_t *o, const char *key, int64_t bp)
{
    char buf[32];
    put(cn, o, key, json_string(pt_bp_str(bp, buf)));
}

static void put_time(struct canon *cn, json_t *o, const char *key, int64_t t)
{
    if (!t)
        return;
    int64_t y;
    unsigned m, d;
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t secs = t - days * 86400;
    pt_civil_from_days(days, &y, &m, &d);
    char buf[32];
    snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d, (int)(secs / 3600),
             (int)(secs / 60 % 60), (int)(secs % 60));
    put(cn, o, key, json_string(buf));
}

static void put_nonzero(struct canon *cn, json_t *o, const char *key, int64_t v)
{
    if (v)
        put(cn, o, key, json_integer(v));
}

static json_t *canon_list(struct canon *cn, const pt_rule_def *r)
{
    json_t *a = json_array();
    for (int i = 0; a && i < r->nmatch && i < PT_PROG_MATCH_MAX; i++)
        if (json_array_append_new(a, json_string(r->match[i])) != 0)
            cn->bad = 1;
    return a;
}

static json_t *canon_points(struct canon *cn, const pt_programme *p)
{
    static const char *const n_key[] = {NULL, "days", "months", "years_after"};
    json_t *o = json_object(), *e = json_object();
    int k = p->expiry_kind >= 0 && p->expiry_kind < 4 ? p->expiry_kind : 0;
    put(cn, e, "policy", json_string(expiry_names[k]));
    if (k)
        put(cn, e, n_key[k], json_integer(p->expiry_n));
    put(cn, o, "expiry", e);
    put(cn, o, "redeem_order", json_string(redeem_names[p->redeem_order == PT_REDEEM_OLDEST]));
    put(cn, o, "refund_policy", json_string(refund_names[p->refund_policy == PT_REFUND_DEBT]));
    put(cn, o, "return_window_days", json_integer(p->pending_days));
    put_nonzero(cn, o, "daily_cap", p->daily_points_cap);
    if (p->points_per_payment_unit) {
        json_t *pay = json_object();
        put(cn, pay, "points", json_integer(p->points_per_payment_unit));
        put(cn, pay, "value_cents", json_integer(p->payment_unit_cents));
        put_rate(cn, pay, "max_share", p->payment_max_bp);
        put(cn, o, "payment", pay);
    }
    return o;
}

static json_t *canon_tier(struct canon *cn, const pt_tier_def *t)
{
    json_t *o = json_object();
    put(cn, o, "code", json_string(t->code));
    put(cn, o, "name_zh", json_string(t->name_zh));
    if (t->name_en[0])
        put(cn, o, "name_en", json_string(t->name_en));
    put(cn, o, "threshold", json_integer(t->threshold));
    put(cn, o, "retain", json_integer(t->retain));
    put_rate(cn, o, "points_multiplier", t->points_multiplier_bp);
    put_rate(cn, o, "discount", t->discount_bp);
    put(cn, o, "birthday_gift_points", json_integer(t->birthday_gift_points));
    put(cn, o, "free_shipping", json_boolean(t->free_shipping));
    return o;
}

static void canon_rule_kind(struct canon *cn, json_t *o, const pt_rule_def *r)
{
    if (r->kind == PT_RULE_BASE) {
        put(cn, o, "points_per_unit", json_integer(r->points));
        put(cn, o, "unit_cents", json_integer(r->unit_cents));
        if (r->nmatch)
            put(cn, o, "categories", canon_list(cn, r));
    }
    if (r->kind == PT_RULE_CATEGORY || r->kind == PT_RULE_SKU)
        put(cn, o, r->kind == PT_RULE_SKU ? "skus" : "categories", canon_list(cn, r));
    if (r->kind == PT_RULE_MEMBER_DAY)
        put(cn, o, "day_of_month", json_integer(r->day_of_month));
    if (r->kind != PT_RULE_BASE && r->kind != PT_RULE_TIER && is_multiplier_kind(r->kind)) {
        put_rate(cn, o, "multiplier", r->multiplier_bp);
        put(cn, o, "stackable", json_boolean(r->stackable));
    }
    if (r->kind >= PT_RULE_BIRTHDAY && r->kind <= PT_RULE_SHARE)
        put(cn, o, "points", json_integer(r->points));
    if (r->kind == PT_RULE_CHECKIN && r->streak_days) {
        put(cn, o, "streak_days", json_integer(r->streak_days));
        put(cn, o, "streak_points", json_integer(r->streak_points));
    }
}

static json_t *canon_rule(struct canon *cn, const pt_rule_def *r)
{
    json_t *o = json_object();
    put(cn, o, "code", json_string(r->code));
    put(cn, o, "kind", json_string(pt_rule_kind_name(r->kind)));
    if (r->name[0])
        put(cn, o, "name", json_string(r->name));
    put(cn, o, "priority", json_integer(r->priority));
    put_time(cn, o, "starts", r->starts_at);
    put_time(cn, o, "ends", r->ends_at);
    put_nonzero(cn, o, "daily_cap", r->daily_cap);
    put_nonzero(cn, o, "budget", r->budget);
    put_nonzero(cn, o, "member_cap", r->member_cap);
    canon_rule_kind(cn, o, r);
    return o;
}

static json_t *canon_reward(struct canon *cn, const pt_reward_def *w)
{
    json_t *o = json_object();
    put(cn, o, "code", json_string(w->code));
    put(cn, o, "name", json_string(w->name));
    put(cn, o, "cost_points", json_integer(w->cost_points));
    if (w->stock >= 0)
        put(cn, o, "stock", json_integer(w->stock));
    put(cn, o, "per_member_limit", json_integer(w->per_member_limit));
    if (w->min_tier[0])
        put(cn, o, "min_tier", json_string(w->min_tier));
    put_time(cn, o, "valid_from", w->valid_from);
    put_time(cn, o, "valid_to", w->valid_to);
    if (w->is_coupon) {
        json_t *c = json_object();
        put(cn, c, "value_cents", json_integer(w->coupon_value_cents));
        put(cn, c, "valid_days", json_integer(w->coupon_valid_days));
        put(cn, c, "min_spend_cents", json_integer(w->coupon_min_spend_cents));
        put(cn, o, "coupon", c);
    }
    return o;
}

static json_t *canon_array(struct canon *cn, int n, json_t *(*item)(struct canon *, const void *),
                           const void *base, size_t size)
{
    json_t *a = json_array();
    for (int i = 0; a && i < n; i++)
        if (json_array_append_new(a, item(cn, (const char *)base + (size_t)i * size)) != 0)
            cn->bad = 1;
    return a;
}

static json_t *tier_item(struct canon *cn, const void *t) { return canon_tier(cn, t); }
static json_t *rule_item(struct canon *cn, const void *r) { return canon_rule(cn, r); }
static json_t *reward_item(struct canon *cn, const void *w) { return canon_reward(cn, w); }

static json_t *canon_programme(struct canon *cn, const pt_programme *p)
{
    json_t *o = json_object(), *g = json_object(), *tp = json_object(), *ref = json_object();
    put(cn, o, "name", json_string(p->name));
    put(cn, o, "currency", json_string(p->currency));
    put(cn, o, "timezone", json_string(p->timezone));
    put(cn, o, "points", canon_points(cn, p));
    put(cn, g, "per_unit", json_integer(p->growth_per_unit));
    put(cn, g, "unit_cents", json_integer(p->growth_unit_cents));
    put(cn, g, "checkin", json_integer(p->growth_checkin));
    put(cn, g, "review", json_integer(p->growth_review));
    put(cn, g, "share", json_integer(p->growth_share));
    put(cn, o, "growth", g);
    put(cn, tp, "qualify_on", json_string(qualify_names[p->qualify_basis == PT_QUALIFY_SPEND_12M]));
    put(cn, tp, "review_months", json_integer(p->review_months));
    put(cn, tp, "max_downgrade_steps", json_integer(p->downgrade_steps));
    put(cn, o, "tier_policy", tp);
    put(cn, o, "tiers", canon_array(cn, p->ntiers, tier_item, p->tiers, sizeof *p->tiers));
    put(cn, o, "rules", canon_array(cn, p->nrules, rule_item, p->rules, sizeof *p->rules));
    put(cn, o, "rewards", canon_array(cn, p->nrewards, reward_item, p->rewards, sizeof *p->rewards));
    put(cn, ref, "referrer_points", json_integer(p->referral_referrer_points));
    put(cn, ref, "invitee_points", json_integer(p->referral_invitee_points));
    put(cn, o, "referral", ref);
    return o;
}

int pt_programme_canonical(const pt_programme *p, pt_buf *json, char version[33])
{
    if (p->ntiers < 0 || p->ntiers > PT_PROG_TIERS_MAX || p->nrules < 0 || p->nrules > PT_PROG_RULES_MAX ||
        p->nrewards < 0 || p->nrewards > PT_PROG_REWARDS_MAX)
        return PT_EINVAL;
    struct canon cn = {0};
    json_t *root = canon_programme(&cn, p);
    char *text = !cn.bad && root ? json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(root);
    if (!text)
        return cn.bad ? PT_EINVAL : PT_ENOMEM;
    size_t len = strlen(text);
    int rc = PT_OK;
    if (json) {
        pt_buf_reset(json);
        rc = pt_buf_append(json, text, len);
    }
    if (rc == PT_OK && version) {
        unsigned char hash[16];
        if (sodium_init() < 0 || crypto_generichash(hash, sizeof hash, (const unsigned char *)text, len, NULL, 0) != 0)
            rc = PT_ECRYPTO;
        else
            sodium_bin2hex(version, 33, hash, sizeof hash);
    }
    free(text);
    return rc;
}

/* --- lot expiry --------------------------------------------------------------------------- */

int64_t pt_programme_lot_expiry(const pt_programme *p, int64_t earned_at)
{
    int64_t t = 0, end = 0;
    int rc;
    switch (p->expiry_kind) {
    case PT_EXPIRY_DAYS:
        rc = pt_tz_add(p->timezone, PT_TZ_DAY, earned_at, p->expiry_n, &t);
        rc = rc ? rc : pt_tz_end_of(p->timezone, PT_TZ_DAY, t, &end);
        break;
    case PT_EXPIRY_MONTHS:
        rc = pt_tz_add(p->timezone, PT_TZ_MONTH, earned_at, p->expiry_n, &t);
        rc = rc ? rc : pt_tz_end_of(p->timezone, PT_TZ_DAY, t, &end);
        break;
    case PT_EXPIRY_YEAR_END:
        rc = pt_tz_add(p->timezone, PT_TZ_YEAR, earned_at, p->expiry_n, &t);
        rc = rc ? rc : pt_tz_end_of(p->timezone, PT_TZ_YEAR, t, &end);
        break;
    default:
        return 0;
    }
    return rc ? 0 : end;
}

/* tz.c — local civil time in an IANA zone on ICU's C calendar (ucal_*).
 *
 * ICU does the zone work (offsets, DST transitions, the tz database); date arithmetic (adding
 * days and months, the next day or month) is done here on civil fields with
 * pt_days_from_civil, so clamping and the gap/overlap rule are ours and stated in tz.h.
 *
 * Each thread caches one open UCalendar for the zone it used last (a pthread key whose
 * destructor closes it), because opening a calendar costs far more than a conversion. A
 * calendar is set up once with the overlap rule (UCAL_WALLTIME_FIRST) and the gap rule
 * (UCAL_WALLTIME_NEXT_VALID) and never shared between threads. Nothing here reads TZ.
 *
 * Invariant: every function checks the zone name, its inputs and the civil year range before
 * calling ICU, and maps any ICU failure to PT_EINVAL (or PT_ENOMEM when ICU ran out of memory).
 */
#include "patron/tz.h"
#include "patron/error.h"
#include "patron/normalize.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/ustring.h>

#define TZ_NAME_MAX 64
/* Coarse bounds on instants (1899-01-01Z … 3001-01-01Z); the civil year is checked after. */
#define TZ_T_MIN (-2240524800LL)
#define TZ_T_MAX (32535216000LL)

struct tz_cache {
    char       zone[TZ_NAME_MAX];
    UCalendar *cal;
};

static pthread_key_t  cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static int            cache_key_ok;

static void cache_free(void *p)
{
    struct tz_cache *c = p;
    if (c->cal)
        ucal_close(c->cal);
    free(c);
}

static void cache_key_create(void)
{
    cache_key_ok = pthread_key_create(&cache_key, cache_free) == 0;
}

/* Zone names are short ASCII: letters, digits and / _ + -. */
static int zone_text_ok(const char *zone)
{
    size_t n = zone ? strlen(zone) : 0;
    if (n == 0 || n >= TZ_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = zone[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '/' || c == '_' || c == '+' || c == '-';
        if (!ok)
            return 0;
    }
    return 1;
}

static int icu_rc(UErrorCode st)
{
    return st == U_MEMORY_ALLOCATION_ERROR ? PT_ENOMEM : PT_EINVAL;
}

int pt_tz_check(const char *zone)
{
    if (!zone_text_ok(zone) || strcmp(zone, "Etc/Unknown") == 0)
        return PT_EINVAL;
    UChar id[TZ_NAME_MAX], canon[128];
    u_uastrncpy(id, zone, TZ_NAME_MAX);
    UBool is_system = 0;
    UErrorCode st = U_ZERO_ERROR;
    ucal_getCanonicalTimeZoneID(id, -1, canon, (int32_t)(sizeof canon / sizeof *canon), &is_system, &st);
    if (U_FAILURE(st))
        return icu_rc(st);
    return is_system ? PT_OK : PT_EINVAL;
}

static int calendar_open(const char *zone, UCalendar **out)
{
    UChar id[TZ_NAME_MAX];
    u_uastrncpy(id, zone, TZ_NAME_MAX);
    UErrorCode st = U_ZERO_ERROR;
    UCalendar *cal = ucal_open(id, -1, "en_US_POSIX", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st) || !cal) {
        if (cal)
            ucal_close(cal);
        return icu_rc(st);
    }
    ucal_setAttribute(cal, UCAL_LENIENT, 1);
    ucal_setAttribute(cal, UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_FIRST);
    ucal_setAttribute(cal, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_NEXT_VALID);
    *out = cal;
    return PT_OK;
}

/* This thread's calendar for `zone`, opened (and the zone checked) on a cache miss. */
static int calendar_for(const char *zone, UCalendar **out)
{
    pthread_once(&cache_once, cache_key_create);
    if (!cache_key_ok)
        return PT_ENOMEM;
    struct tz_cache *c = pthread_getspecific(cache_key);
    if (c && c->cal && strcmp(c->zone, zone) == 0) {
        *out = c->cal;
        return PT_OK;
    }
    int rc = pt_tz_check(zone);
    if (rc)
        return rc;
    if (!c) {
        c = calloc(1, sizeof *c);
        if (!c)
            return PT_ENOMEM;
        if (pthread_setspecific(cache_key, c) != 0) {
            free(c);
            return PT_ENOMEM;
        }
    }
    if (c->cal) {
        ucal_close(c->cal);
        c->cal = NULL;
    }
    rc = calendar_open(zone, &c->cal);
    if (rc)
        return rc;
    snprintf(c->zone, sizeof c->zone, "%s", zone);
    *out = c->cal;
    return PT_OK;
}

int pt_tz_days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return days[month - 1] + (month == 2 && leap);
}

static int civil_ok(const pt_civil *c)
{
    return c->year >= PT_TZ_YEAR_MIN && c->year <= PT_TZ_YEAR_MAX && c->month >= 1 && c->month <= 12 &&
           c->day >= 1 && c->day <= pt_tz_days_in_month(c->year, c->month) && c->hour >= 0 &&
           c->hour <= 23 && c->min >= 0 && c->min <= 59 && c->sec >= 0 && c->sec <= 59;
}

int pt_tz_civil(const char *zone, int64_t t, pt_civil *out)
{
    if (t < TZ_T_MIN || t > TZ_T_MAX)
        return PT_EINVAL;
    UCalendar *cal;
    int rc = calendar_for(zone, &cal);
    if (rc)
        return rc;
    UErrorCode st = U_ZERO_ERROR;
    ucal_setMillis(cal, (UDate)t * 1000.0, &st);
    pt_civil c = {
        .year = ucal_get(cal, UCAL_EXTENDED_YEAR, &st),
        .month = ucal_get(cal, UCAL_MONTH, &st) + 1,
        .day = ucal_get(cal, UCAL_DATE, &st),
        .hour = ucal_get(cal, UCAL_HOUR_OF_DAY, &st),
        .min = ucal_get(cal, UCAL_MINUTE, &st),
        .sec = ucal_get(cal, UCAL_SECOND, &st),
        .yday = ucal_get(cal, UCAL_DAY_OF_YEAR, &st),
    };
    int dow = ucal_get(cal, UCAL_DAY_OF_WEEK, &st); /* 1 = Sunday … 7 = Saturday */
    c.weekday = dow == UCAL_SUNDAY ? 7 : dow - 1;
    int32_t off_ms = ucal_get(cal, UCAL_ZONE_OFFSET, &st) + ucal_get(cal, UCAL_DST_OFFSET, &st);
    c.utc_offset_s = off_ms / 1000;
    if (U_FAILURE(st))
        return icu_rc(st);
    if (!civil_ok(&c))
        return PT_EINVAL;
    *out = c;
    return PT_OK;
}

int pt_tz_utc(const char *zone, const pt_civil *local, int64_t *out)
{
    if (!civil_ok(local))
        return PT_EINVAL;
    UCalendar *cal;
    int rc = calendar_for(zone, &cal);
    if (rc)
        return rc;
    UErrorCode st = U_ZERO_ERROR;
    ucal_clear(cal);
    ucal_setDateTime(cal, local->year, local->month - 1, local->day, local->hour, local->min, local->sec, &st);
    UDate ms = ucal_getMillis(cal, &st);
    if (U_FAILURE(st))
        return icu_rc(st);
    *out = (int64_t)floor(ms / 1000.0);
    return PT_OK;
}

/* Moves a civil date by n days (time of day unchanged). */
static void civil_add_days(pt_civil *c, int64_t n)
{
    int64_t y;
    unsigned m, d;
    pt_civil_from_days(pt_days_from_civil(c->year, (unsigned)c->month, (unsigned)c->day) + n, &y, &m, &d);
    c->year = (int)y;
    c->month = (int)m;
    c->day = (int)d;
}

/* Moves a civil date by n months, clamping the day to the target month's length. */
static int civil_add_months(pt_civil *c, int64_t n)
{
    int64_t idx = (int64_t)c->year * 12 + (c->month - 1) + n;
    if (idx < (int64_t)PT_TZ_YEAR_MIN * 12 || idx > (int64_t)PT_TZ_YEAR_MAX * 12 + 11)
        return PT_EINVAL;
    c->year = (int)(idx / 12);
    c->month = (int)(idx % 12) + 1;
    int dim = pt_tz_days_in_month(c->year, c->month);
    if (c->day > dim)
        c->day = dim;
    return PT_OK;
}

/* The civil start (00:00:00 on the first day) of the unit containing c. */
static int civil_truncate(pt_civil *c, int unit)
{
    if (unit != PT_TZ_DAY && unit != PT_TZ_MONTH && unit != PT_TZ_YEAR)
        return PT_EINVAL;
    c->hour = c->min = c->sec = 0;
    if (unit != PT_TZ_DAY)
        c->day = 1;
    if (unit == PT_TZ_YEAR)
        c->month = 1;
    return PT_OK;
}

int pt_tz_start_of(const char *zone, int unit, int64_t t, int64_t *out)
{
    pt_civil c;
    int rc = pt_tz_civil(zone, t, &c);
    if (rc == PT_OK)
        rc = civil_truncate(&c, unit);
    return rc ? rc : pt_tz_utc(zone, &c, out);
}

int pt_tz_end_of(const char *zone, int unit, int64_t t, int64_t *out)
{
    pt_civil c;
    int rc = pt_tz_civil(zone, t, &c);
    if (rc == PT_OK)
        rc = civil_truncate(&c, unit);
    if (rc)
        return rc;
    if (unit == PT_TZ_DAY)
        civil_add_days(&c, 1);
    else
        rc = civil_add_months(&c, unit == PT_TZ_MONTH ? 1 : 12);
    int64_t next;
    if (rc == PT_OK)
        rc = pt_tz_utc(zone, &c, &next);
    if (rc)
        return rc;
    *out = next - 1;
    return PT_OK;
}

int pt_tz_add(const char *zone, int unit, int64_t t, int n, int64_t *out)
{
    pt_civil c;
    int rc = pt_tz_civil(zone, t, &c);
    if (rc)
        return rc;
    if (unit == PT_TZ_DAY) {
        if (n < -(PT_TZ_YEAR_MAX - PT_TZ_YEAR_MIN + 1) * 366 || n > (PT_TZ_YEAR_MAX - PT_TZ_YEAR_MIN + 1) * 366)
            return PT_EINVAL;
        civil_add_days(&c, n);
    } else if (unit == PT_TZ_MONTH || unit == PT_TZ_YEAR) {
        rc = civil_add_months(&c, unit == PT_TZ_MONTH ? (int64_t)n : (int64_t)n * 12);
    } else {
        rc = PT_EINVAL;
    }
    return rc ? rc : pt_tz_utc(zone, &c, out);
}

int pt_tz_format(const char *zone, int64_t t, char out[20])
{
    pt_civil c;
    out[0] = 0;
    int rc = pt_tz_civil(zone, t, &c);
    if (rc == PT_OK)
        snprintf(out, 20, "%04d-%02d-%02d %02d:%02d:%02d", c.year % 10000, c.month % 100, c.day % 100, c.hour % 100,
                 c.min % 100, c.sec % 100);
    return rc;
}

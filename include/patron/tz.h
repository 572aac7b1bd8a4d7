/* tz.h — local civil time in an IANA time zone ("Asia/Shanghai", "America/New_York").
 *
 * Patron keeps time as UTC epoch seconds; a programme's days, months, years, member days and
 * birthdays are local to its zone. These helpers convert between the two with ICU's calendar
 * (the tz database ICU ships), never through the process's TZ, so they are thread-safe: each
 * thread keeps one calendar per zone it last used.
 *
 * Local → UTC when the wall time is not a single instant (the rule, everywhere in Patron):
 *  - a time that does not exist (a spring-forward gap, 02:30 on 2025-03-09 in New York) maps
 *    to the first instant after the gap (03:00 EDT);
 *  - a time that occurs twice (a fall-back overlap, 01:30 on 2025-11-02 in New York) maps to
 *    its first occurrence (01:30 EDT, 05:30Z).
 * So the start of a local day is always the first instant whose local date is that day, even
 * where midnight itself is skipped.
 *
 * Supported range: local years 1900–2999 and instants inside it; outside it, PT_EINVAL.
 * Every function returns 0 or a negative PT_E* code (PT_EINVAL: unknown zone or value out of
 * range; PT_ENOMEM: ICU could not allocate).
 */
#ifndef PATRON_TZ_H
#define PATRON_TZ_H

#include <stdint.h>

#define PT_TZ_YEAR_MIN 1900
#define PT_TZ_YEAR_MAX 2999

enum pt_tz_unit {
    PT_TZ_DAY = 1,
    PT_TZ_MONTH = 2,
    PT_TZ_YEAR = 3,
};

typedef struct pt_civil {
    int year;          /* 1900–2999 */
    int month;         /* 1–12 */
    int day;           /* 1–31 */
    int hour;          /* 0–23 */
    int min;           /* 0–59 */
    int sec;           /* 0–59 */
    int weekday;       /* ISO: 1 = Monday … 7 = Sunday (output only) */
    int yday;          /* day of the year, 1–366 (output only) */
    int utc_offset_s;  /* offset in effect, DST included, seconds east of UTC (output only) */
} pt_civil;

/* 0 if `zone` is a known IANA zone name of the tz database (UTC included), else PT_EINVAL.
 * Custom ids ("GMT+8") and "Etc/Unknown" are rejected. */
int pt_tz_check(const char *zone);

/* The local civil time at UTC epoch second t. */
int pt_tz_civil(const char *zone, int64_t t, pt_civil *out);

/* The UTC epoch second of a local civil time (year…sec of `local`; the rest is ignored), with
 * the gap/overlap rule above. Fields out of range (month 13, 31 April, 24:00) are PT_EINVAL. */
int pt_tz_utc(const char *zone, const pt_civil *local, int64_t *out);

/* First second of the local day, month or year containing t. */
int pt_tz_start_of(const char *zone, int unit, int64_t t, int64_t *out);

/* Last second of the local day, month or year containing t (the next one's start − 1). */
int pt_tz_end_of(const char *zone, int unit, int64_t t, int64_t *out);

/* The same local wall time n days, months or years after t (n may be negative). A day of the
 * month that the target month lacks is clamped to its last day: 31 Jan + 1 month = 28 Feb
 * (29 in a leap year); 29 Feb + 1 year = 28 Feb. Then the gap/overlap rule above. */
int pt_tz_add(const char *zone, int unit, int64_t t, int n, int64_t *out);

/* "YYYY-MM-DD HH:MM:SS" of UTC epoch second t in zone (DST and all). PT_EINVAL for an unknown
 * zone or t out of range (out is then ""). */
int pt_tz_format(const char *zone, int64_t t, char out[20]);

/* Days in a month of the proleptic Gregorian calendar (28–31), or 0 for a bad month. */
int pt_tz_days_in_month(int year, int month);

#endif

/* test_tz.c — local civil time in IANA zones (src/tz.c): zone names, UTC ↔ local in
 * Asia/Shanghai (no DST) and America/New_York (DST gap and overlap), start and end of local
 * days, months and years, month arithmetic with day-of-month clamping, and that conversions
 * are cheap and safe from several threads at once.
 *
 * Epoch values are worked out by hand from 2025-01-01T00:00:00Z = 1735689600 and 86400 s a
 * day; the comment next to each says how. */
#include "test.h"
#include "patron/error.h"
#include "patron/tz.h"

#include <pthread.h>
#include <time.h>

#define JAN1_2025 1735689600LL /* 2025-01-01T00:00:00Z */
#define DAY 86400LL

static pt_civil civil(int y, int mo, int d, int h, int mi, int s)
{
    return (pt_civil){.year = y, .month = mo, .day = d, .hour = h, .min = mi, .sec = s};
}

TEST(tz_check_accepts_iana_zones_and_rejects_the_rest)
{
    ASSERT_OK(pt_tz_check("Asia/Shanghai"));
    ASSERT_OK(pt_tz_check("America/New_York"));
    ASSERT_OK(pt_tz_check("UTC"));
    ASSERT_EQ(pt_tz_check("Asia/Shanghia"), PT_EINVAL);
    ASSERT_EQ(pt_tz_check("GMT+8"), PT_EINVAL);        /* a custom id, not a tz database zone */
    ASSERT_EQ(pt_tz_check("Etc/Unknown"), PT_EINVAL);  /* ICU's placeholder for "unknown" */
    ASSERT_EQ(pt_tz_check(""), PT_EINVAL);
    ASSERT_EQ(pt_tz_check("Asia/Shanghai; rm -rf"), PT_EINVAL);
    ASSERT_EQ(pt_tz_check(NULL), PT_EINVAL);
}

TEST(tz_shanghai_is_utc_plus_8_all_year)
{
    /* 1750000000 = 2025-06-15T15:06:40Z → 23:06:40 in Beijing, a Sunday (ISO 7); day of year
     * 31+28+31+30+31 + 15 = 166. */
    pt_civil c;
    ASSERT_OK(pt_tz_civil("Asia/Shanghai", 1750000000, &c));
    ASSERT_EQ(c.year, 2025);
    ASSERT_EQ(c.month, 6);
    ASSERT_EQ(c.day, 15);
    ASSERT_EQ(c.hour, 23);
    ASSERT_EQ(c.min, 6);
    ASSERT_EQ(c.sec, 40);
    ASSERT_EQ(c.weekday, 7);
    ASSERT_EQ(c.yday, 166);
    ASSERT_EQ(c.utc_offset_s, 8 * 3600);
    /* and back */
    int64_t t;
    pt_civil local = civil(2025, 6, 15, 23, 6, 40);
    ASSERT_OK(pt_tz_utc("Asia/Shanghai", &local, &t));
    ASSERT_EQ(t, 1750000000);
    /* 2026-01-01 00:10 in Beijing is still 2025 in UTC: 2025-12-31T16:10Z = JAN1_2025 + 364 days
     * + 16 h 10 min */
    local = civil(2026, 1, 1, 0, 10, 0);
    ASSERT_OK(pt_tz_utc("Asia/Shanghai", &local, &t));
    ASSERT_EQ(t, JAN1_2025 + 364 * DAY + 16 * 3600 + 600);
}

TEST(tz_new_york_spring_forward_gap_maps_to_the_first_instant_after_it)
{
    /* 2025-03-09: at 02:00 EST clocks jump to 03:00 EDT, so 02:30 does not exist. The rule: the
     * first instant after the gap, 03:00 EDT = 07:00Z. 2025-03-09T00:00Z = JAN1_2025 + (31 + 28
     * + 8) days = 1741478400; + 7 h = 1741503600. */
    int64_t t;
    pt_civil local = civil(2025, 3, 9, 2, 30, 0);
    ASSERT_OK(pt_tz_utc("America/New_York", &local, &t));
    ASSERT_EQ(t, 1741503600);
    pt_civil c;
    ASSERT_OK(pt_tz_civil("America/New_York", t, &c));
    ASSERT_EQ(c.hour, 3);
    ASSERT_EQ(c.min, 0);
    ASSERT_EQ(c.utc_offset_s, -4 * 3600);
    /* 01:59:59 EST, just before the gap, is 06:59:59Z */
    local = civil(2025, 3, 9, 1, 59, 59);
    ASSERT_OK(pt_tz_utc("America/New_York", &local, &t));
    ASSERT_EQ(t, 1741503600 - 1);
}

TEST(tz_new_york_fall_back_overlap_maps_to_the_first_occurrence)
{
    /* 2025-11-02: at 02:00 EDT clocks go back to 01:00 EST, so 01:30 happens twice: 05:30Z (EDT)
     * and 06:30Z (EST). The rule: the first. 2025-11-02T00:00Z = JAN1_2025 + 305 days
     * (304 for January–October, + 1) = 1762041600; + 5 h 30 = 1762061400. */
    int64_t t;
    pt_civil local = civil(2025, 11, 2, 1, 30, 0);
    ASSERT_OK(pt_tz_utc("America/New_York", &local, &t));
    ASSERT_EQ(t, 1762061400);
    /* an hour later it is 01:30 again, now EST */
    pt_civil c;
    ASSERT_OK(pt_tz_civil("America/New_York", t + 3600, &c));
    ASSERT_EQ(c.hour, 1);
    ASSERT_EQ(c.min, 30);
    ASSERT_EQ(c.utc_offset_s, -5 * 3600);
}

TEST(tz_new_york_days_are_23_and_25_hours_long_at_dst_changes)
{
    int64_t start, end;
    /* 2025-03-09 12:00 EDT = 16:00Z */
    ASSERT_OK(pt_tz_start_of("America/New_York", PT_TZ_DAY, 1741478400 + 16 * 3600, &start));
    ASSERT_OK(pt_tz_end_of("America/New_York", PT_TZ_DAY, 1741478400 + 16 * 3600, &end));
    ASSERT_EQ(start, 1741478400 + 5 * 3600); /* midnight EST = 05:00Z */
    ASSERT_EQ(end - start + 1, 23 * 3600);
    /* 2025-11-02 12:00 EST = 17:00Z */
    ASSERT_OK(pt_tz_start_of("America/New_York", PT_TZ_DAY, 1762041600 + 17 * 3600, &start));
    ASSERT_OK(pt_tz_end_of("America/New_York", PT_TZ_DAY, 1762041600 + 17 * 3600, &end));
    ASSERT_EQ(start, 1762041600 + 4 * 3600); /* midnight EDT = 04:00Z */
    ASSERT_EQ(end - start + 1, 25 * 3600);
}

TEST(tz_start_and_end_of_month_and_year_are_local)
{
    int64_t t = 1750000000; /* 2025-06-15 23:06:40 Beijing */
    int64_t v;
    /* 2025-06-01 00:00 Beijing = 2025-05-31T16:00Z = JAN1_2025 + 150 days + 16 h */
    ASSERT_OK(pt_tz_start_of("Asia/Shanghai", PT_TZ_MONTH, t, &v));
    ASSERT_EQ(v, JAN1_2025 + 150 * DAY + 16 * 3600);
    /* 2025-06-30 23:59:59 Beijing = 2025-06-30T15:59:59Z = JAN1_2025 + 180 days + 15:59:59 */
    ASSERT_OK(pt_tz_end_of("Asia/Shanghai", PT_TZ_MONTH, t, &v));
    ASSERT_EQ(v, JAN1_2025 + 180 * DAY + 15 * 3600 + 59 * 60 + 59);
    /* 2025-01-01 00:00 Beijing = 2024-12-31T16:00Z */
    ASSERT_OK(pt_tz_start_of("Asia/Shanghai", PT_TZ_YEAR, t, &v));
    ASSERT_EQ(v, JAN1_2025 - 8 * 3600);
    /* 2025-12-31 23:59:59 Beijing = 2025-12-31T15:59:59Z = JAN1_2025 + 364 days + 15:59:59 */
    ASSERT_OK(pt_tz_end_of("Asia/Shanghai", PT_TZ_YEAR, t, &v));
    ASSERT_EQ(v, JAN1_2025 + 364 * DAY + 15 * 3600 + 59 * 60 + 59);
    ASSERT_EQ(pt_tz_start_of("Asia/Shanghai", 9, t, &v), PT_EINVAL);
}

/* The local date after adding `n` units to local y-mo-d 12:00 in Shanghai, as y*10000+m*100+d. */
static int add_date(int unit, int y, int mo, int d, int n)
{
    pt_civil c = civil(y, mo, d, 12, 0, 0);
    int64_t t, u;
    if (pt_tz_utc("Asia/Shanghai", &c, &t) || pt_tz_add("Asia/Shanghai", unit, t, n, &u) ||
        pt_tz_civil("Asia/Shanghai", u, &c) || c.hour != 12)
        return -1;
    return c.year * 10000 + c.month * 100 + c.day;
}

TEST(tz_add_months_clamps_the_day_of_month)
{
    ASSERT_EQ(add_date(PT_TZ_MONTH, 2025, 1, 31, 1), 20250228);  /* no 31 Feb: last day */
    ASSERT_EQ(add_date(PT_TZ_MONTH, 2024, 1, 31, 1), 20240229);  /* leap year */
    ASSERT_EQ(add_date(PT_TZ_MONTH, 2025, 3, 31, -1), 20250228); /* backwards too */
    ASSERT_EQ(add_date(PT_TZ_MONTH, 2025, 1, 31, 13), 20260228);
    ASSERT_EQ(add_date(PT_TZ_MONTH, 2025, 8, 31, 1), 20250930);
    ASSERT_EQ(add_date(PT_TZ_MONTH, 2025, 11, 15, 2), 20260115); /* across the year */
    ASSERT_EQ(add_date(PT_TZ_YEAR, 2024, 2, 29, 1), 20250228);
    ASSERT_EQ(add_date(PT_TZ_YEAR, 2024, 2, 29, 4), 20280229);
    ASSERT_EQ(add_date(PT_TZ_DAY, 2025, 12, 31, 1), 20260101);
    ASSERT_EQ(add_date(PT_TZ_DAY, 2024, 2, 28, 1), 20240229);
    ASSERT_EQ(add_date(PT_TZ_DAY, 2025, 3, 1, -1), 20250228);
}

TEST(tz_add_days_keeps_the_wall_time_across_dst)
{
    /* 2025-03-08 12:00 EST (17:00Z) + 1 day = 2025-03-09 12:00 EDT (16:00Z): 23 hours later */
    int64_t t = 1741478400 - DAY + 17 * 3600, u;
    ASSERT_OK(pt_tz_add("America/New_York", PT_TZ_DAY, t, 1, &u));
    ASSERT_EQ(u - t, 23 * 3600);
}

TEST(tz_rejects_fields_and_instants_out_of_range)
{
    int64_t t;
    pt_civil c = civil(2025, 13, 1, 0, 0, 0);
    ASSERT_EQ(pt_tz_utc("Asia/Shanghai", &c, &t), PT_EINVAL);
    c = civil(2025, 2, 29, 0, 0, 0);
    ASSERT_EQ(pt_tz_utc("Asia/Shanghai", &c, &t), PT_EINVAL);
    c = civil(2025, 4, 31, 0, 0, 0);
    ASSERT_EQ(pt_tz_utc("Asia/Shanghai", &c, &t), PT_EINVAL);
    c = civil(2025, 1, 1, 24, 0, 0);
    ASSERT_EQ(pt_tz_utc("Asia/Shanghai", &c, &t), PT_EINVAL);
    c = civil(3000, 1, 1, 0, 0, 0);
    ASSERT_EQ(pt_tz_utc("Asia/Shanghai", &c, &t), PT_EINVAL);
    c = civil(2025, 1, 1, 0, 0, 0);
    ASSERT_EQ(pt_tz_utc("Nowhere/City", &c, &t), PT_EINVAL);
    ASSERT_EQ(pt_tz_civil("Asia/Shanghai", INT64_MAX, &c), PT_EINVAL);
    ASSERT_EQ(pt_tz_civil("Asia/Shanghai", INT64_MIN, &c), PT_EINVAL);
    ASSERT_EQ(pt_tz_days_in_month(2025, 0), 0);
    ASSERT_EQ(pt_tz_days_in_month(2100, 2), 28); /* not a leap year */
    ASSERT_EQ(pt_tz_days_in_month(2000, 2), 29);
}

TEST(tz_conversions_are_cheap_with_the_cached_calendar)
{
    /* 20,000 round trips (civil → utc → civil) in two zones, about 1 µs each unsanitised. The
     * bound is loose (sanitisers, busy machines) but catches a calendar opened per call. The
     * wall time always comes back; the instant does too except in New York's repeated
     * fall-back hour, which maps to its first occurrence (one hour earlier). */
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int wall_mismatch = 0, instant_mismatch = 0;
    for (int i = 0; i < 20000; i++) {
        pt_civil c, back;
        int64_t t, t0 = 1750000000 + (int64_t)i * 3607;
        const char *zone = i < 10000 ? "Asia/Shanghai" : "America/New_York";
        if (pt_tz_civil(zone, t0, &c) || pt_tz_utc(zone, &c, &t) || pt_tz_civil(zone, t, &back))
            PT__FAIL("conversion %d failed", i);
        wall_mismatch += back.day != c.day || back.hour != c.hour || back.min != c.min || back.sec != c.sec;
        instant_mismatch += t != t0 && !(t0 - t == 3600 && c.month == 11);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    ASSERT_EQ(wall_mismatch, 0);
    ASSERT_EQ(instant_mismatch, 0);
    ASSERT_LT(ms, 2000);
}

struct zone_job {
    const char *zone;
    int         expect_hour; /* local hour of 2025-06-15T04:00Z */
    int         bad;
};

static void *zone_worker(void *arg)
{
    struct zone_job *j = arg;
    for (int i = 0; i < 2000; i++) {
        pt_civil c;
        if (pt_tz_civil(j->zone, 1749960000 + (int64_t)i * DAY, &c) || c.hour != j->expect_hour)
            j->bad++;
    }
    return NULL;
}

TEST(tz_threads_in_different_zones_do_not_disturb_each_other)
{
    /* 2025-06-15T04:00Z and the same time on the next 2,000 days, in four zones without DST,
     * so each thread knows the local hour it must see every time. */
    struct zone_job jobs[] = {{"Asia/Shanghai", 12, 0}, {"UTC", 4, 0}, {"Asia/Tokyo", 13, 0}, {"Asia/Kolkata", 9, 0}};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        ASSERT_EQ(pthread_create(&th[i], NULL, zone_worker, &jobs[i]), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++)
        ASSERT_EQ(jobs[i].bad, 0);
}

/* Display times follow the zone's rules, DST included — not one fixed offset all year. */
TEST(tz_format_shows_local_time_with_daylight_saving)
{
    char buf[20];
    ASSERT_OK(pt_tz_format("America/New_York", 1719835200, buf)); /* 2024-07-01 12:00 UTC: EDT */
    ASSERT_STR_EQ(buf, "2024-07-01 08:00:00");
    ASSERT_OK(pt_tz_format("America/New_York", 1704110400, buf)); /* 2024-01-01 12:00 UTC: EST */
    ASSERT_STR_EQ(buf, "2024-01-01 07:00:00");
    ASSERT_OK(pt_tz_format("Asia/Shanghai", 1704110400, buf));
    ASSERT_STR_EQ(buf, "2024-01-01 20:00:00");
    ASSERT_EQ(pt_tz_format("Mars/Olympus", 1704110400, buf), PT_EINVAL);
    ASSERT_STR_EQ(buf, "");
}

/* test_normalize.c — canonical values from real-export forms: phones to E.164, emails, date and
 * time formats to UTC epoch seconds, money to exact cents, gender, booleans, integers, trimming,
 * UTF-8 validation and the civil-calendar conversions. Bad inputs must be rejected with a reason
 * that never repeats the value. */
#include "test.h"
#include "patron/error.h"
#include "patron/normalize.h"

#include <stdint.h>
#include <string.h>

#define PHONE_OK(in, want)                                                                 \
    do {                                                                                   \
        char o_[PT_PHONE_MAX], w_[PT_WHY_MAX] = "";                                        \
        ASSERT_OK(pt_norm_phone((in), "86", o_, w_));                                      \
        ASSERT_STR_EQ(o_, (want));                                                         \
    } while (0)

#define PHONE_BAD(in)                                                                      \
    do {                                                                                   \
        char o_[PT_PHONE_MAX], w_[PT_WHY_MAX] = "";                                        \
        ASSERT_EQ(pt_norm_phone((in), "86", o_, w_), PT_EPARSE);                           \
        ASSERT(w_[0] != 0);                                                                \
    } while (0)

#define EMAIL_OK(in, want)                                                                 \
    do {                                                                                   \
        char o_[PT_EMAIL_MAX + 1], w_[PT_WHY_MAX] = "";                                    \
        ASSERT_OK(pt_norm_email((in), o_, w_));                                            \
        ASSERT_STR_EQ(o_, (want));                                                         \
    } while (0)

#define EMAIL_BAD(in)                                                                      \
    do {                                                                                   \
        char o_[PT_EMAIL_MAX + 1], w_[PT_WHY_MAX] = "";                                    \
        ASSERT_EQ(pt_norm_email((in), o_, w_), PT_EPARSE);                                 \
        ASSERT(w_[0] != 0);                                                                \
    } while (0)

#define TIME_OK(in, tz, want)                                                              \
    do {                                                                                   \
        int64_t t_ = -1;                                                                   \
        char w_[PT_WHY_MAX] = "";                                                          \
        ASSERT_OK(pt_norm_time((in), (tz), &t_, w_));                                      \
        ASSERT_EQ(t_, (want));                                                             \
    } while (0)

#define TIME_BAD(in)                                                                       \
    do {                                                                                   \
        int64_t t_ = -1;                                                                   \
        char w_[PT_WHY_MAX] = "";                                                          \
        ASSERT_EQ(pt_norm_time((in), 0, &t_, w_), PT_EPARSE);                              \
        ASSERT(w_[0] != 0);                                                                \
    } while (0)

#define DATE_OK(in, want)                                                                  \
    do {                                                                                   \
        char o_[PT_DATE_MAX], w_[PT_WHY_MAX] = "";                                         \
        ASSERT_OK(pt_norm_date((in), o_, w_));                                             \
        ASSERT_STR_EQ(o_, (want));                                                         \
    } while (0)

#define DATE_BAD(in)                                                                       \
    do {                                                                                   \
        char o_[PT_DATE_MAX], w_[PT_WHY_MAX] = "";                                         \
        ASSERT_EQ(pt_norm_date((in), o_, w_), PT_EPARSE);                                  \
        ASSERT(w_[0] != 0);                                                                \
    } while (0)

#define MONEY_OK(in, want)                                                                 \
    do {                                                                                   \
        int64_t c_ = -1;                                                                   \
        char w_[PT_WHY_MAX] = "";                                                          \
        ASSERT_OK(pt_norm_money((in), &c_, w_));                                           \
        ASSERT_EQ(c_, (want));                                                             \
    } while (0)

#define MONEY_BAD(in)                                                                      \
    do {                                                                                   \
        int64_t c_ = -1;                                                                   \
        char w_[PT_WHY_MAX] = "";                                                          \
        ASSERT_EQ(pt_norm_money((in), &c_, w_), PT_EPARSE);                                \
        ASSERT(w_[0] != 0);                                                                \
    } while (0)

#define INT_OK(in, want)                                                                   \
    do {                                                                                   \
        int64_t v_ = -1;                                                                   \
        char w_[PT_WHY_MAX] = "";                                                          \
        ASSERT_OK(pt_norm_int((in), INT64_MIN, INT64_MAX, &v_, w_));                       \
        ASSERT_EQ(v_, (want));                                                             \
    } while (0)

#define INT_BAD(in)                                                                        \
    do {                                                                                   \
        int64_t v_ = -1;                                                                   \
        char w_[PT_WHY_MAX] = "";                                                          \
        ASSERT_EQ(pt_norm_int((in), INT64_MIN, INT64_MAX, &v_, w_), PT_EPARSE);            \
        ASSERT(w_[0] != 0);                                                                \
    } while (0)

#define GENDER_IS(in, want)                                                                \
    do {                                                                                   \
        char g_ = 'x';                                                                     \
        ASSERT_OK(pt_norm_gender((in), &g_, NULL));                                        \
        ASSERT_EQ(g_, (want));                                                             \
    } while (0)

#define BOOL_IS(in, want)                                                                  \
    do {                                                                                   \
        int b_ = -1;                                                                       \
        ASSERT_OK(pt_norm_bool((in), &b_, NULL));                                          \
        ASSERT_EQ(b_, (want));                                                             \
    } while (0)

#define UTF8(lit) pt_utf8_valid((lit), sizeof(lit) - 1)

static const int64_t H8 = 8 * 3600;

/* --- phone ------------------------------------------------------------------------------- */

TEST(normalize_phone_accepts_plain_chinese_mobile)
{
    PHONE_OK("13800138000", "+8613800138000");
    PHONE_OK("19912345678", "+8619912345678");
    PHONE_OK("15000000000", "+8615000000000");
}

TEST(normalize_phone_accepts_dashes_spaces_and_dots)
{
    PHONE_OK("138-0013-8000", "+8613800138000");
    PHONE_OK("138 0013 8000", "+8613800138000");
    PHONE_OK("138.0013.8000", "+8613800138000");
    PHONE_OK("  138 0013 8000\t", "+8613800138000");
}

TEST(normalize_phone_accepts_plus86_forms)
{
    PHONE_OK("+86 138 0013 8000", "+8613800138000");
    PHONE_OK("+86-138-0013-8000", "+8613800138000");
    PHONE_OK("+8613800138000", "+8613800138000");
}

TEST(normalize_phone_accepts_0086_and_86_prefixes)
{
    PHONE_OK("0086-138-0013-8000", "+8613800138000");
    PHONE_OK("008613800138000", "+8613800138000");
    PHONE_OK("8613800138000", "+8613800138000");
    PHONE_OK("86 138 0013 8000", "+8613800138000");
}

TEST(normalize_phone_accepts_parenthesised_plus86)
{
    PHONE_OK("(+86)13800138000", "+8613800138000");
    PHONE_OK("(+86) 138-0013-8000", "+8613800138000");
    PHONE_OK("(86)13800138000", "+8613800138000");
    PHONE_OK("\xEF\xBC\x88+86\xEF\xBC\x89" "13800138000", "+8613800138000"); /* （+86） */
}

TEST(normalize_phone_accepts_full_width_digits)
{
    PHONE_OK("\xEF\xBC\x91\xEF\xBC\x93\xEF\xBC\x98\xEF\xBC\x90\xEF\xBC\x90\xEF\xBC\x91"
             "\xEF\xBC\x93\xEF\xBC\x98\xEF\xBC\x90\xEF\xBC\x90\xEF\xBC\x90", /* １３８００１３８０００ */
             "+8613800138000");
    /* ＋８６　１３８－００１３－８０００ with a full-width plus, U+3000 space and full-width dashes */
    PHONE_OK("\xEF\xBC\x8B\xEF\xBC\x98\xEF\xBC\x96\xE3\x80\x80\xEF\xBC\x91\xEF\xBC\x93\xEF\xBC\x98"
             "\xEF\xBC\x8D\xEF\xBC\x90\xEF\xBC\x90\xEF\xBC\x91\xEF\xBC\x93\xEF\xBC\x8D\xEF\xBC\x98"
             "\xEF\xBC\x90\xEF\xBC\x90\xEF\xBC\x90",
             "+8613800138000");
}

TEST(normalize_phone_trims_full_width_spaces)
{
    PHONE_OK("\xE3\x80\x80" "13800138000\xE3\x80\x80", "+8613800138000");
}

TEST(normalize_phone_keeps_other_country_codes)
{
    PHONE_OK("+1 415-555-2671", "+14155552671");
    PHONE_OK("0044 20 7946 0958", "+442079460958");
    PHONE_OK("+852 9123 4567", "+85291234567");
    PHONE_OK("+12345678", "+12345678"); /* 8 digits: the minimum */
    PHONE_OK("+123456789012345", "+123456789012345"); /* 15 digits: the maximum */
}

TEST(normalize_phone_accepts_plus86_landline)
{
    PHONE_OK("+86 10 8888 8888", "+861088888888");
    PHONE_OK("+86 (0)21 6888 8888", "+862168888888");
}

TEST(normalize_phone_rejects_bare_number_that_is_not_a_mobile)
{
    PHONE_BAD("12345678");
    PHONE_BAD("010-12345678");
    PHONE_BAD("23800138000");
    PHONE_BAD("12800138000");
    PHONE_BAD("8612800138000");
}

TEST(normalize_phone_rejects_mobile_of_wrong_length)
{
    PHONE_BAD("1380013800");
    PHONE_BAD("138001380001");
    PHONE_BAD("+86 138 0013 800");
    PHONE_BAD("+86 128 0013 8000");
}

TEST(normalize_phone_rejects_letters_and_symbols)
{
    PHONE_BAD("138-0013-800O");
    PHONE_BAD("abc");
    PHONE_BAD("13800138000 ext 12");
    PHONE_BAD("13800138000#");
    PHONE_BAD("\xE5\xBC\xA0\xE4\xB8\x89"); /* 张三 */
}

TEST(normalize_phone_rejects_empty_and_separator_only)
{
    PHONE_BAD("");
    PHONE_BAD("   ");
    PHONE_BAD("---");
    PHONE_BAD("+");
}

TEST(normalize_phone_rejects_international_outside_8_to_15_digits)
{
    PHONE_BAD("+1234567");
    PHONE_BAD("+1234567890123456");
    PHONE_BAD("0012345");
    PHONE_BAD("+0123456789");
}

TEST(normalize_phone_rejects_plus_after_digits)
{
    PHONE_BAD("138+00138000");
    PHONE_BAD("++8613800138000");
}

TEST(normalize_phone_uses_default_country_for_other_bare_numbers)
{
    char out[PT_PHONE_MAX], why[PT_WHY_MAX];
    ASSERT_OK(pt_norm_phone("020 7946 0958", "44", out, why));
    ASSERT_STR_EQ(out, "+442079460958");
    ASSERT_OK(pt_norm_phone("13800138000", NULL, out, why));
    ASSERT_STR_EQ(out, "+8613800138000");
    ASSERT_EQ(pt_norm_phone("13800138000", "x1", out, why), PT_EINVAL);
}

TEST(normalize_phone_reason_never_contains_the_value)
{
    static const char *const bad[] = {"1380013800", "138-0013-800O", "23800138000", "+1234567"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char out[PT_PHONE_MAX], why[PT_WHY_MAX] = "";
        ASSERT_EQ(pt_norm_phone(bad[i], "86", out, why), PT_EPARSE);
        ASSERT(why[0]);
        ASSERT(strstr(why, bad[i]) == NULL);
        ASSERT(strstr(why, "0013") == NULL);
    }
    char out[PT_PHONE_MAX];
    ASSERT_EQ(pt_norm_phone("abc", "86", out, NULL), PT_EPARSE); /* why may be NULL */
}

/* --- email ------------------------------------------------------------------------------- */

TEST(normalize_email_lowercases_and_trims)
{
    EMAIL_OK("  Alice.Smith@Example.COM ", "alice.smith@example.com");
    EMAIL_OK("\xE3\x80\x80" "bob@example.cn\xE3\x80\x80", "bob@example.cn");
    EMAIL_OK("a+tag@mail.example.co.uk", "a+tag@mail.example.co.uk");
    EMAIL_OK("x_y-z@sub-domain.example.org", "x_y-z@sub-domain.example.org");
}

TEST(normalize_email_rejects_bad_shapes)
{
    EMAIL_BAD("");
    EMAIL_BAD("   ");
    EMAIL_BAD("alice");
    EMAIL_BAD("alice@");
    EMAIL_BAD("@example.com");
    EMAIL_BAD("alice@example");
    EMAIL_BAD("alice@@example.com");
    EMAIL_BAD("a@b@example.com");
    EMAIL_BAD("ali ce@example.com");
    EMAIL_BAD(".alice@example.com");
    EMAIL_BAD("alice.@example.com");
    EMAIL_BAD("al..ice@example.com");
    EMAIL_BAD("alice@example..com");
    EMAIL_BAD("alice@-example.com");
    EMAIL_BAD("alice@example-.com");
    EMAIL_BAD("alice@example.c");
    EMAIL_BAD("alice@1.2.3.4");
    EMAIL_BAD("alice@exa_mple.com");
    EMAIL_BAD("<alice@example.com>");
    EMAIL_BAD("alice@example.com\xFF");
}

TEST(normalize_email_rejects_overlong_address)
{
    char in[400];
    memset(in, 'a', 300);
    memcpy(in + 300, "@example.com", 13);
    EMAIL_BAD(in);
    memset(in, 'a', 65); /* local part over 64 */
    memcpy(in + 65, "@example.com", 13);
    EMAIL_BAD(in);
    memcpy(in + 64, "@example.com", 13);
    char out[PT_EMAIL_MAX + 1];
    ASSERT_OK(pt_norm_email(in, out, NULL));
}

/* --- time -------------------------------------------------------------------------------- */

TEST(normalize_time_parses_iso_8601_utc)
{
    TIME_OK("2025-05-24T14:35:19Z", 0, 1748097319);
    TIME_OK("2025-05-24T14:35:19z", H8, 1748097319); /* an explicit zone wins over tz */
    TIME_OK("2025-05-24 14:35:19Z", 0, 1748097319);
}

TEST(normalize_time_applies_explicit_offsets)
{
    TIME_OK("2025-05-24T14:35:19+08:00", 0, 1748068519);
    TIME_OK("2025-05-24T14:35:19+0800", 0, 1748068519);
    TIME_OK("2025-05-24T14:35:19+08", 0, 1748068519);
    TIME_OK("2025-05-24 14:35:19 +08:00", 0, 1748068519);
    TIME_OK("2025-05-24T09:35:19-05:00", 0, 1748097319);
}

TEST(normalize_time_ignores_fractional_seconds)
{
    TIME_OK("2025-05-24T14:35:19.123Z", 0, 1748097319);
    TIME_OK("2025-05-24T14:35:19.999999+08:00", 0, 1748068519);
    TIME_OK("2025-05-24 14:35:19,5", 0, 1748097319);
}

TEST(normalize_time_without_zone_is_local_at_tz_offset)
{
    TIME_OK("2025-05-24 14:35:19", H8, 1748068519);
    TIME_OK("2025-05-24T14:35:19", H8, 1748068519);
    TIME_OK("2025/05/24 14:35:19", H8, 1748068519);
    TIME_OK("2025-05-24 14:35", H8, 1748068500);
    TIME_OK("2025-05-24 9:05", 0, 1748044800 + 9 * 3600 + 5 * 60);
    TIME_OK("20250524143519", H8, 1748068519);
}

TEST(normalize_time_date_only_is_local_midnight)
{
    TIME_OK("2025-05-24", 0, 1748044800);
    TIME_OK("2025-05-24", H8, 1748016000);
    TIME_OK("2025/5/24", H8, 1748016000);
    TIME_OK("20250524", H8, 1748016000);
    TIME_OK("  2025-05-24\xE3\x80\x80", H8, 1748016000);
}

TEST(normalize_time_accepts_epoch_seconds_and_milliseconds)
{
    TIME_OK("1748097319", H8, 1748097319);
    TIME_OK("999999999", 0, 999999999);
    TIME_OK("1748097319123", 0, 1748097319);
}

TEST(normalize_time_validates_month_and_day_ranges)
{
    TIME_BAD("2025-02-30");
    TIME_BAD("2025-13-45");
    TIME_BAD("2025-00-10");
    TIME_BAD("2025-04-31");
    TIME_BAD("2025-01-00");
    TIME_BAD("2025-02-29");
    TIME_BAD("1900-02-29");
    TIME_OK("2024-02-29", 0, 1709164800);
    TIME_OK("2000-02-29", 0, 951782400);
    TIME_BAD("20251345");
}

TEST(normalize_time_validates_time_of_day)
{
    TIME_BAD("2025-05-24 24:00:00");
    TIME_BAD("2025-05-24 12:60");
    TIME_BAD("2025-05-24 12:00:61");
    TIME_BAD("2025-05-24T14:35:19+25:00");
    TIME_BAD("2025-05-24T14:35:19+08:60");
    TIME_BAD("20250524246000");
}

TEST(normalize_time_rejects_unknown_formats)
{
    TIME_BAD("");
    TIME_BAD("yesterday");
    TIME_BAD("2025-05");
    TIME_BAD("12345678901");
    TIME_BAD("12345678");      /* 8 digits is YYYYMMDD: month 56 */
    TIME_BAD("2025-05-24X");
    TIME_BAD("2025-05/24");
    TIME_BAD("2025-05-24T");
    TIME_BAD("2025-05-24T14");
    TIME_BAD("2025-05-24T14:35:19.");
    TIME_BAD("2025-05-24T14:35:19Zjunk");
    TIME_BAD("25-05-24");
    TIME_BAD("-1748097319");
}

TEST(normalize_time_reason_never_contains_the_value)
{
    int64_t t;
    char why[PT_WHY_MAX] = "";
    ASSERT_EQ(pt_norm_time("2025-02-30", 0, &t, why), PT_EPARSE);
    ASSERT(why[0]);
    ASSERT(strstr(why, "2025") == NULL);
}

/* --- date -------------------------------------------------------------------------------- */

TEST(normalize_date_formats_canonically)
{
    DATE_OK("1990-5-4", "1990-05-04");
    DATE_OK("1990/05/04", "1990-05-04");
    DATE_OK("19900504", "1990-05-04");
    DATE_OK(" 1990-05-04 00:00:00 ", "1990-05-04");
    DATE_OK("1990-05-04T00:00:00Z", "1990-05-04");
}

TEST(normalize_date_enforces_year_1900_to_2100)
{
    DATE_OK("1900-01-01", "1900-01-01");
    DATE_OK("2100-12-31", "2100-12-31");
    DATE_BAD("1899-12-31");
    DATE_BAD("2101-01-01");
}

TEST(normalize_date_rejects_impossible_dates_and_epochs)
{
    DATE_BAD("2025-02-30");
    DATE_BAD("2025-13-45");
    DATE_BAD("1748097319");
    DATE_BAD("");
    DATE_BAD("May 4 1990");
    DATE_OK("2024-02-29", "2024-02-29");
}

/* --- money ------------------------------------------------------------------------------- */

TEST(normalize_money_accepts_currency_prefixes)
{
    MONEY_OK("\xC2\xA5" "1,234.50", 123450);   /* ¥ */
    MONEY_OK("\xEF\xBF\xA5" "1234.5", 123450); /* ￥ */
    MONEY_OK("RMB 12", 1200);
    MONEY_OK("rmb12", 1200);
    MONEY_OK("CNY12.00", 1200);
    MONEY_OK("$3", 300);
    MONEY_OK("\xC2\xA3" "2.5", 250); /* £ */
}

TEST(normalize_money_is_exact_to_the_cent)
{
    MONEY_OK("12", 1200);
    MONEY_OK("0.01", 1);
    MONEY_OK("0.1", 10);
    MONEY_OK(".5", 50);
    MONEY_OK("19.99", 1999);
    MONEY_OK("1,234,567.89", 123456789);
    MONEY_OK("  42.10  ", 4210);
    MONEY_OK("92233720368547758.07", INT64_MAX);
}

TEST(normalize_money_accepts_negative_amounts)
{
    MONEY_OK("-3.20", -320);
    MONEY_OK("\xC2\xA5-3.20", -320);
    MONEY_OK("-\xC2\xA5" "3.20", -320);
    MONEY_OK("+5", 500);
    MONEY_OK("-0", 0);
}

TEST(normalize_money_rejects_three_decimals)
{
    MONEY_BAD("1.234");
    MONEY_BAD("12.345");
    MONEY_BAD("0.001");
}

TEST(normalize_money_accepts_zero_digits_beyond_cents_without_rounding)
{
    MONEY_OK("1.230", 123);
    MONEY_OK("17850.000", 1785000);
}

TEST(normalize_money_accepts_thousands_only_in_groups_of_three)
{
    MONEY_OK("1,234", 123400);
    MONEY_OK("12,345,678", 1234567800);
    MONEY_BAD("1,23");
    MONEY_BAD("12,3456");
    MONEY_BAD("1234,567");
    MONEY_BAD(",123");
    MONEY_BAD("1,,234");
    MONEY_BAD("1,234,");
    MONEY_BAD("1,234,56.00");
}

TEST(normalize_money_rejects_ambiguous_european_form)
{
    MONEY_BAD("1 234,50");
    MONEY_BAD("1234,50");
    MONEY_BAD("1.234,50");
}

TEST(normalize_money_rejects_non_numbers)
{
    MONEY_BAD("abc");
    MONEY_BAD("");
    MONEY_BAD("\xC2\xA5");
    MONEY_BAD("--3");
    MONEY_BAD("-\xC2\xA5-3");
    MONEY_BAD("1.2.3");
    MONEY_BAD("12e3");
    MONEY_BAD("NaN");
    MONEY_BAD(".");
    MONEY_BAD("EUR 12");
    MONEY_BAD("12 RMB");
}

TEST(normalize_money_rejects_overflow)
{
    MONEY_BAD("99999999999999999999");
    MONEY_BAD("92233720368547758.08");
    MONEY_BAD("-99999999999999999999.99");
}

/* --- gender, bool, int ------------------------------------------------------------------- */

TEST(normalize_gender_maps_known_forms)
{
    GENDER_IS("M", 'M');
    GENDER_IS("m", 'M');
    GENDER_IS("male", 'M');
    GENDER_IS(" Male ", 'M');
    GENDER_IS("\xE7\x94\xB7", 'M'); /* 男 */
    GENDER_IS("F", 'F');
    GENDER_IS("f", 'F');
    GENDER_IS("FEMALE", 'F');
    GENDER_IS("\xE5\xA5\xB3", 'F'); /* 女 */
}

TEST(normalize_gender_unknown_forms_give_zero)
{
    GENDER_IS("", 0);
    GENDER_IS("  ", 0);
    GENDER_IS("unknown", 0);
    GENDER_IS("Unknown", 0);
    GENDER_IS("\xE6\x9C\xAA\xE7\x9F\xA5", 0); /* 未知 */
    GENDER_IS("0", 0);
}

TEST(normalize_gender_rejects_anything_else)
{
    char g;
    char why[PT_WHY_MAX] = "";
    ASSERT_EQ(pt_norm_gender("x", &g, why), PT_EPARSE);
    ASSERT(why[0]);
    ASSERT_EQ(pt_norm_gender("2", &g, why), PT_EPARSE);
    ASSERT_EQ(pt_norm_gender("males", &g, why), PT_EPARSE);
    ASSERT_EQ(pt_norm_gender("\xE5\x85\xB6\xE4\xBB\x96", &g, why), PT_EPARSE); /* 其他 */
}

TEST(normalize_bool_accepts_all_listed_forms)
{
    BOOL_IS("1", 1);
    BOOL_IS("true", 1);
    BOOL_IS("TRUE", 1);
    BOOL_IS("Yes", 1);
    BOOL_IS("y", 1);
    BOOL_IS("T", 1);
    BOOL_IS("\xE6\x98\xAF", 1); /* 是 */
    BOOL_IS("0", 0);
    BOOL_IS("false", 0);
    BOOL_IS("No", 0);
    BOOL_IS("N", 0);
    BOOL_IS("f", 0);
    BOOL_IS(" \xE5\x90\xA6 ", 0); /* 否 */
}

TEST(normalize_bool_rejects_other_values)
{
    int b;
    char why[PT_WHY_MAX] = "";
    ASSERT_EQ(pt_norm_bool("maybe", &b, why), PT_EPARSE);
    ASSERT(why[0]);
    ASSERT_EQ(pt_norm_bool("", &b, why), PT_EPARSE);
    ASSERT_EQ(pt_norm_bool("2", &b, why), PT_EPARSE);
    ASSERT_EQ(pt_norm_bool("yess", &b, why), PT_EPARSE);
}

TEST(normalize_int_accepts_whole_numbers_and_excel_floats)
{
    INT_OK("42", 42);
    INT_OK(" -7 ", -7);
    INT_OK("+5", 5);
    INT_OK("17850.0", 17850);
    INT_OK("17850.00", 17850);
    INT_OK("17850.", 17850);
    INT_OK("9223372036854775807", INT64_MAX);
    INT_OK("-9223372036854775808", INT64_MIN);
}

TEST(normalize_int_rejects_fractions_junk_and_overflow)
{
    INT_BAD("17850.5");
    INT_BAD("1e3");
    INT_BAD("");
    INT_BAD("12abc");
    INT_BAD("-");
    INT_BAD("1,000");
    INT_BAD("9223372036854775808");
    INT_BAD("-9223372036854775809");
    INT_BAD("99999999999999999999999");
}

TEST(normalize_int_enforces_range)
{
    int64_t v;
    char why[PT_WHY_MAX] = "";
    ASSERT_OK(pt_norm_int("10", 0, 10, &v, why));
    ASSERT_EQ(v, 10);
    ASSERT_EQ(pt_norm_int("11", 0, 10, &v, why), PT_EPARSE);
    ASSERT_STR_CONTAINS(why, "out of range");
    ASSERT_EQ(pt_norm_int("-1", 0, 10, &v, why), PT_EPARSE);
}

/* --- trim, UTF-8, calendar ---------------------------------------------------------------- */

TEST(normalize_trim_strips_ascii_and_full_width_spaces)
{
    char out[64];
    ASSERT_OK(pt_norm_trim("  a b \t\r\n", out, sizeof out));
    ASSERT_STR_EQ(out, "a b");
    ASSERT_OK(pt_norm_trim("\xE3\x80\x80\xE5\xBC\xA0\xE4\xB8\x89\xE3\x80\x80 ", out, sizeof out));
    ASSERT_STR_EQ(out, "张三");
    ASSERT_OK(pt_norm_trim("\xE3\x80\x80 \xE3\x80\x80", out, sizeof out));
    ASSERT_STR_EQ(out, "");
    ASSERT_OK(pt_norm_trim("", out, sizeof out));
    ASSERT_STR_EQ(out, "");
}

TEST(normalize_trim_reports_too_big_when_it_does_not_fit)
{
    char out[4];
    ASSERT_OK(pt_norm_trim("  abc  ", out, sizeof out));
    ASSERT_STR_EQ(out, "abc");
    ASSERT_EQ(pt_norm_trim("abcd", out, sizeof out), PT_ETOOBIG);
}

TEST(normalize_trim_works_in_place)
{
    char buf[32] = "   in place  ";
    ASSERT_OK(pt_norm_trim(buf, buf, sizeof buf));
    ASSERT_STR_EQ(buf, "in place");
}

TEST(normalize_utf8_accepts_valid_text)
{
    ASSERT_EQ(UTF8(""), 1);
    ASSERT_EQ(UTF8("plain ascii text that is long enough for the fast path"), 1);
    ASSERT_EQ(UTF8("\xE5\xBC\xA0\xE4\xB8\x89"), 1);  /* 张三 */
    ASSERT_EQ(UTF8("\xF0\x9F\x98\x80"), 1);          /* U+1F600 */
    ASSERT_EQ(UTF8("\xC2\x80"), 1);                  /* U+0080 */
    ASSERT_EQ(UTF8("\xED\x9F\xBF"), 1);              /* U+D7FF */
    ASSERT_EQ(UTF8("\xEE\x80\x80"), 1);              /* U+E000 */
    ASSERT_EQ(UTF8("\xF4\x8F\xBF\xBF"), 1);          /* U+10FFFF */
    ASSERT_EQ(UTF8("\xEF\xBB\xBF"), 1);              /* BOM is a valid character */
}

TEST(normalize_utf8_rejects_overlongs_surrogates_and_out_of_range)
{
    ASSERT_EQ(UTF8("\xC0\xAF"), 0);
    ASSERT_EQ(UTF8("\xC1\xBF"), 0);
    ASSERT_EQ(UTF8("\xE0\x80\xAF"), 0);
    ASSERT_EQ(UTF8("\xE0\x9F\xBF"), 0);
    ASSERT_EQ(UTF8("\xF0\x80\x80\xAF"), 0);
    ASSERT_EQ(UTF8("\xF0\x8F\xBF\xBF"), 0);
    ASSERT_EQ(UTF8("\xED\xA0\x80"), 0); /* U+D800 */
    ASSERT_EQ(UTF8("\xED\xBF\xBF"), 0); /* U+DFFF */
    ASSERT_EQ(UTF8("\xF4\x90\x80\x80"), 0); /* U+110000 */
    ASSERT_EQ(UTF8("\xF5\x80\x80\x80"), 0);
    ASSERT_EQ(UTF8("\xFF"), 0);
}

TEST(normalize_utf8_rejects_truncated_and_stray_bytes)
{
    ASSERT_EQ(UTF8("\x80"), 0);
    ASSERT_EQ(UTF8("\xE5\xBC"), 0);
    ASSERT_EQ(UTF8("\xF0\x9F\x98"), 0);
    ASSERT_EQ(UTF8("abcdefghijklmnop\xE5"), 0);
    ASSERT_EQ(UTF8("abcdefghijklmnop\xE5\xBCz"), 0);
    ASSERT_EQ(UTF8("\xC3\x28"), 0);
    /* the length bounds the check: a valid prefix of an invalid buffer is valid */
    ASSERT_EQ(pt_utf8_valid("ab\xFF", 2), 1);
}

TEST(normalize_civil_days_match_known_dates)
{
    ASSERT_EQ(pt_days_from_civil(1970, 1, 1), 0);
    ASSERT_EQ(pt_days_from_civil(2000, 3, 1), 11017);
    ASSERT_EQ(pt_days_from_civil(1900, 1, 1), -25567);
    ASSERT_EQ(pt_days_from_civil(1969, 12, 31), -1);
    ASSERT_EQ(pt_days_from_civil(2025, 5, 24) * 86400, 1748044800);
    ASSERT_EQ(pt_days_from_civil(2025, 3, 0), pt_days_from_civil(2025, 2, 28));
    ASSERT_EQ(pt_days_from_civil(-1, 12, 31), pt_days_from_civil(0, 1, 1) - 1);
}

TEST(normalize_civil_round_trips_every_day_for_2000_years)
{
    int64_t prev_y = 0;
    unsigned prev_m = 0, prev_d = 0;
    for (int64_t z = -400000; z <= 400000; z++) {
        int64_t y;
        unsigned m, d;
        pt_civil_from_days(z, &y, &m, &d);
        if (pt_days_from_civil(y, m, d) != z)
            PT__FAIL("day %lld does not round-trip", (long long)z);
        if (z > -400000 && !(y > prev_y || (y == prev_y && (m > prev_m || (m == prev_m && d == prev_d + 1)))))
            PT__FAIL("day %lld does not follow the previous day", (long long)z);
        prev_y = y;
        prev_m = m;
        prev_d = d;
    }
}

TEST(normalize_format_time_shifts_to_the_zone)
{
    char out[20];
    pt_format_time(1748097319, 8 * 3600, out);
    ASSERT_STR_EQ(out, "2025-05-24 22:35:19");
    pt_format_time(1748097319, 0, out);
    ASSERT_STR_EQ(out, "2025-05-24 14:35:19");
    pt_format_time(0, 0, out);
    ASSERT_STR_EQ(out, "1970-01-01 00:00:00");
    pt_format_time(-1, 0, out);
    ASSERT_STR_EQ(out, "1969-12-31 23:59:59");
    pt_format_time(1709164800 - 1, -5 * 3600, out);
    ASSERT_STR_EQ(out, "2024-02-28 18:59:59");
}

TEST(normalize_format_time_clamps_extreme_values)
{
    char out[20];
    pt_format_time(INT64_MAX, 0, out);
    ASSERT_EQ(strlen(out), 19);
    pt_format_time(INT64_MIN, INT32_MIN, out);
    ASSERT_EQ(strlen(out), 19);
}

TEST(normalize_time_round_trips_through_format_time)
{
    int64_t t;
    char out[20];
    ASSERT_OK(pt_norm_time("2025-05-24 14:35:19", H8, &t, NULL));
    pt_format_time(t, H8, out);
    ASSERT_STR_EQ(out, "2025-05-24 14:35:19");
    ASSERT_OK(pt_norm_time(out, H8, &t, NULL));
    ASSERT_EQ(t, 1748068519);
}

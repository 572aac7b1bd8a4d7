/* normalize.h — turns the values real exports contain into canonical ones.
 *
 * Every function is pure: it reads its input and writes only its output. On bad input it
 * returns PT_EPARSE (or PT_EINVAL) and writes a short reason — never the value itself, which may
 * be personal — into `why` when `why` is not NULL.
 */
#ifndef PATRON_NORMALIZE_H
#define PATRON_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

#define PT_PHONE_MAX 20  /* "+" + up to 15 digits + NUL, rounded up */
#define PT_EMAIL_MAX 255
#define PT_DATE_MAX  11  /* "YYYY-MM-DD" + NUL */
#define PT_WHY_MAX   96

/* Phone to E.164. Chinese mobiles in any common form (13800138000, 138-0013-8000,
 * 138 0013 8000, +86 138 0013 8000, 0086-138…, 86138…, (+86)138…, full-width digits) become
 * +8613800138000; other numbers written with + or 00 and a country code keep it (8–15 digits).
 * A bare number that is not a valid mobile for default_cc ("86") is rejected. */
int pt_norm_phone(const char *in, const char *default_cc, char out[PT_PHONE_MAX], char *why);

/* Email trimmed and lower-cased; must look like local@domain.tld with no spaces. */
int pt_norm_email(const char *in, char out[PT_EMAIL_MAX + 1], char *why);

/* Date and time to UTC epoch seconds. Accepts ISO 8601 (2025-05-24T14:35:19Z, with +08:00 or
 * +0800, with or without T, fractional seconds ignored, date only), 2025/05/24 14:35:19,
 * 2025/5/24, 2025-05-24 14:35, 20250524, 20250524143519, and epoch seconds (9–10 digits) or
 * milliseconds (13 digits). Times without a zone are local at tz_offset_s east of UTC. */
int pt_norm_time(const char *in, int tz_offset_s, int64_t *out, char *why);

/* Calendar date (birthday) to "YYYY-MM-DD"; accepts the date forms above; year 1900–2100. */
int pt_norm_date(const char *in, char out[PT_DATE_MAX], char *why);

/* Money to integer cents: "¥1,234.50", "￥1234.5", "RMB 12", "CNY12.00", "$3", "£2.5", "-3.20",
 * "1 234,50" is rejected (ambiguous). More than two decimals is rejected, never rounded. */
int pt_norm_money(const char *in, int64_t *cents, char *why);

/* Gender: M/F/male/female/男/女/m/f → 'M'/'F'; ""/unknown/未知/0 → 0 with return 0;
 * anything else PT_EPARSE. */
int pt_norm_gender(const char *in, char *out, char *why);

/* Boolean: 1/0, true/false, yes/no, y/n, t/f, 是/否 (case-insensitive). */
int pt_norm_bool(const char *in, int *out, char *why);

/* Integer in [min, max]; also accepts "17850.0" (a float with zero fraction, as Excel writes). */
int pt_norm_int(const char *in, int64_t min, int64_t max, int64_t *out, char *why);

/* Copies `in` without leading/trailing ASCII and full-width spaces into out (cap bytes incl.
 * NUL); PT_ETOOBIG if it does not fit. */
int pt_norm_trim(const char *in, char *out, size_t cap);

/* 1 if s[0..n) is valid UTF-8 (no overlongs, no surrogates), else 0. */
int pt_utf8_valid(const char *s, size_t n);

/* Days since 1970-01-01 for a proleptic Gregorian date, and back. */
int64_t pt_days_from_civil(int64_t y, unsigned m, unsigned d);
void    pt_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
/* Formats UTC epoch seconds shifted by tz_offset_s as "YYYY-MM-DD HH:MM:SS" (20 bytes incl NUL). */
void    pt_format_time(int64_t t, int tz_offset_s, char out[20]);

#endif

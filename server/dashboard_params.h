/* dashboard_params.h — the dashboard's parsers of untrusted text: query-string dates and whole
 * numbers, and the file names the static file route accepts. Pure functions (no store, no
 * time zone), so tests/fuzz/fuzz_dashboard_params.c fuzzes them alone. */
#ifndef PATRON_SERVER_DASHBOARD_PARAMS_H
#define PATRON_SERVER_DASHBOARD_PARAMS_H

#include <stdint.h>

/* "YYYY-MM-DD" exactly (four-digit year 1000–9999, a real calendar day): 0 and the parts,
 * else −1. */
int pt_dash_parse_date(const char *s, int *year, int *month, int *day);
/* A decimal integer (optional '-', digits only, no spaces) in [lo, hi]: 0 and *v, else −1. */
int pt_dash_parse_int(const char *s, int64_t lo, int64_t hi, int64_t *v);
/* 1 when s is one path segment the static route may open: 1–128 bytes of [A-Za-z0-9._-],
 * not starting with '.' (so neither "..", nor a hidden file, nor a '/'). */
int pt_dash_safe_file_name(const char *s);

#endif

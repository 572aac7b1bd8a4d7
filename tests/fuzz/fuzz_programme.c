/* fuzz_programme.c — libFuzzer target for the programme file (src/programme.c) and, on every
 * input that parses, the rules engine (src/rules.c).
 *
 * Checks what the modules promise: parse returns 0, PT_EPARSE or PT_EINVAL, fails exactly when
 * the report has errors, and every issue's path, value and reason are NUL-terminated valid
 * UTF-8. A programme that parses has a canonical text that parses again, with no errors, to the
 * same canonical text and version. Evaluating an order and each activity under it keeps the
 * bookkeeping exact (total = Σ lines = Σ rule shares, nothing negative, nothing above the
 * clamp), and a lot's expiry is 0 or later than when it was earned. Any broken promise aborts.
 *
 * FUZZ_SOURCES: src/programme.c src/rules.c src/tz.c src/normalize.c src/buf.c src/error.c
 * FUZZ_PKGS: jansson libsodium icu-i18n icu-uc
 */
#include "patron/buf.h"
#include "patron/error.h"
#include "patron/normalize.h"
#include "patron/programme.h"
#include "patron/rules.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                           \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "fuzz_programme: check failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

static pt_programme prog, again;
static pt_programme_report rep;
static pt_earn_result res;

static void check_text(const char *s, size_t cap)
{
    CHECK(memchr(s, 0, cap) != NULL);
    CHECK(pt_utf8_valid(s, strlen(s)));
}

static void check_report(int rc)
{
    CHECK(rc == PT_OK || rc == PT_EPARSE || rc == PT_EINVAL);
    CHECK((rc != PT_OK) == (rep.nerrors > 0));
    CHECK(rep.nissues >= rep.nerrors);
    for (int i = 0; i < rep.nissues && i < 128; i++) {
        const pt_programme_issue *is = &rep.issues[i];
        CHECK(is->severity == PT_ISSUE_ERROR || is->severity == PT_ISSUE_WARNING);
        check_text(is->path, sizeof is->path);
        check_text(is->value, sizeof is->value);
        check_text(is->reason, sizeof is->reason);
    }
}

static void check_canonical_round_trip(void)
{
    pt_buf a, b;
    char va[33], vb[33];
    pt_buf_init(&a, 0);
    pt_buf_init(&b, 0);
    CHECK(pt_programme_canonical(&prog, &a, va) == PT_OK);
    CHECK(pt_programme_parse((const char *)a.data, a.len, &again, &rep) == PT_OK);
    CHECK(pt_programme_canonical(&again, &b, vb) == PT_OK);
    CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    CHECK(strcmp(va, vb) == 0);
    pt_buf_free(&a);
    pt_buf_free(&b);
}

static void check_result(void)
{
    int64_t lines = 0, rules = 0;
    CHECK(res.nlines >= 1 && res.nlines <= PT_EARN_LINES_MAX + 1);
    for (int i = 0; i < res.nlines; i++) {
        CHECK(res.lines[i].points >= 0 && res.lines[i].points <= PT_EARN_POINTS_MAX);
        CHECK(res.lines[i].growth >= 0);
        lines += res.lines[i].points;
    }
    for (int r = 0; r < PT_PROG_RULES_MAX; r++) {
        CHECK(res.rule_points[r] >= 0);
        rules += res.rule_points[r];
    }
    CHECK(lines == res.total_points && rules == res.total_points);
    CHECK(res.nsteps >= 0 && res.nsteps <= PT_EARN_TRACE_MAX);
    for (int i = 0; i < res.nsteps; i++)
        check_text(res.steps[i].why, sizeof res.steps[i].why);
}

/* An order touching the programme's own categories and SKUs, at a time taken from the input. */
static void evaluate(uint64_t seed)
{
    pt_earn_ctx ctx = {.at = 946684800 + (int64_t)(seed % 3155760000u), .tier = (int)(seed % (unsigned)prog.ntiers),
                       .birthday_month = (int)(seed % 13), .first_purchase = (int)(seed & 1),
                       .earned_today = (int64_t)(seed % 1000)};
    pt_earn_line lines[3] = {{.line_no = 3, .amount_cents = 12850}, {.line_no = 1, .amount_cents = 999999},
                             {.line_no = 2, .amount_cents = (int64_t)(seed % 100000) - 100}};
    for (int i = 0; i < prog.nrules && i < 3; i++) {
        if (prog.rules[i].nmatch > 0) {
            snprintf(lines[i].category, sizeof lines[i].category, "%s", prog.rules[i].match[0]);
            snprintf(lines[i].sku, sizeof lines[i].sku, "%s", prog.rules[i].match[0]);
        }
    }
    CHECK(pt_rules_evaluate_order(&prog, &ctx, lines, 3, &res) == PT_OK);
    check_result();
    CHECK(res.nlines == 4);
    for (int kind = PT_RULE_CHECKIN; kind <= PT_RULE_SHARE; kind++) {
        CHECK(pt_rules_evaluate_activity(&prog, &ctx, kind, (int)(seed % 30), &res) == PT_OK);
        check_result();
    }
    int64_t exp = pt_programme_lot_expiry(&prog, ctx.at);
    CHECK(exp == 0 || exp >= ctx.at);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int rc = pt_programme_parse((const char *)data, size, &prog, &rep);
    check_report(rc);
    if (rc != PT_OK)
        return 0;
    uint64_t seed = 0;
    for (size_t i = 0; i < size; i++)
        seed = seed * 131 + data[i];
    evaluate(seed);
    check_canonical_round_trip();
    return 0;
}

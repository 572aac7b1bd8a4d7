/* csv.c — streaming RFC 4180 reader.
 *
 * The input is read into one window, buf[0..end), which holds file bytes [base, base + end).
 * The first read fills a CSV_START window (small files stay cheap); later reads grow it to two
 * CSV_CHUNKs, and beyond whenever less than half a chunk is free, so big files are read in
 * chunks of 256–512 KiB. A record is read in two passes:
 *
 *   1. find its end: memchr for the next LF, and for quotes that open a quoted field (a quote
 *      opens a field only right after a delimiter or at the start of the record — a stray quote
 *      inside an unquoted field does not, so one bad field cannot swallow the rest of the file).
 *      Inside a quoted field memchr finds the closing quote; "" stays inside. When the window
 *      runs out the record is moved to the front and more is read. A record longer than
 *      max_record switches to skipping: its first max_record bytes are kept for row->raw and
 *      the scan goes on through the quotes, discarding bytes, to the record boundary.
 *   2. split the now contiguous record into fields, unquoting into fbuf, checking for stray
 *      quotes, junk after a closing quote, NUL bytes and invalid UTF-8 (only fields with a byte
 *      >= 0x80 go through pt_utf8_valid).
 *
 * Invariants: pos <= end <= cap; every record returned is contiguous in buf at [pos, ...) when
 * phase 2 runs; fbuf holds at least 2 * record length + 2 bytes, so unquoting cannot overflow
 * (each field adds at most its raw bytes plus one NUL). Lines are physical lines, counted by
 * LFs: a record's line is where it starts, and newlines inside quotes advance the count.
 *
 * Error messages name the line and the field number but never field contents, which may be
 * personal data. PT_EIO and PT_ENOMEM are sticky: every later call returns them again.
 */
#include "patron/csv.h"
#include "patron/error.h"
#include "patron/normalize.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CSV_CHUNK              ((size_t)256 << 10)
#define CSV_SNIFF              8192
#define CSV_START              ((size_t)64 << 10)  /* first window size */
#define CSV_DEFAULT_MAX_RECORD ((size_t)1 << 20)
#define CSV_DEFAULT_MAX_FIELDS 256
#define CSV_LIMIT              ((size_t)1 << 30) /* largest max_record accepted */

enum { CLS_PLAIN = 0, CLS_DELIM, CLS_QUOTE, CLS_NUL, CLS_HIGH };

struct pt_csv {
    FILE    *f;          /* borrowed */
    size_t   max_record; /* bytes of one record, excluding its line end */
    size_t   max_fields;
    char     delim;
    unsigned char cls[256]; /* byte classes for the unquoted-field scan */

    char    *buf;        /* input window */
    size_t   cap;        /* bytes allocated for buf */
    size_t   end;        /* bytes of buf holding input */
    size_t   pos;        /* start of the next record in buf */
    uint64_t base;       /* file offset of buf[0] */
    int      eof;        /* no more input after buf[end - 1] */
    int      started;    /* the first (CSV_START-sized) read is done */
    int      fatal;      /* sticky PT_EIO / PT_ENOMEM, else 0 */
    int64_t  line;       /* line where the next record starts */

    char    *fbuf;       /* unquoted field values, NUL-terminated, back to back */
    size_t   fcap;
    char   **fptr;       /* field pointers into fbuf */
    size_t  *flen;       /* field lengths */
    size_t   fslots;     /* entries allocated in fptr / flen */
    char    *raw;        /* first max_record bytes of a skipped record */

    char     err[192];   /* reason for the last bad record */
};

/* --- input window ------------------------------------------------------------------------ */

/* Drops buf[0..keep), grows the window when less than half a chunk is free, and reads more.
 * The caller shifts its own indices by `keep`. Returns 0, PT_EIO or PT_ENOMEM. */
static int csv_fill(struct pt_csv *c, size_t keep)
{
    if (keep) {
        memmove(c->buf, c->buf + keep, c->end - keep);
        c->end -= keep;
        c->pos = c->pos > keep ? c->pos - keep : 0;
        c->base += keep;
    }
    if (c->started && (c->cap < 2 * CSV_CHUNK || c->cap - c->end < CSV_CHUNK / 2)) {
        size_t ncap = c->cap * 2;
        char *nb = realloc(c->buf, ncap);
        if (!nb) {
            snprintf(c->err, sizeof c->err, "out of memory reading CSV");
            return c->fatal = PT_ENOMEM;
        }
        c->buf = nb;
        c->cap = ncap;
    }
    c->started = 1;
    size_t want = c->cap - c->end;
    size_t n = fread(c->buf + c->end, 1, want, c->f);
    c->end += n;
    if (n < want) {
        if (ferror(c->f)) {
            snprintf(c->err, sizeof c->err, "read error: %s", strerror(errno ? errno : EIO));
            return c->fatal = PT_EIO;
        }
        c->eof = 1;
    }
    return PT_OK;
}

static size_t count_lf(const char *p, size_t n)
{
    size_t k = 0;
    const char *e = p + n;
    while (p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
        k++;
        p++;
    }
    return k;
}

/* The first quote in buf[p, lim) that opens a quoted field, or lim. at_start says whether p is
 * the start of a field. */
static size_t open_quote(const struct pt_csv *c, size_t p, size_t lim, int at_start)
{
    size_t i = p;
    while (i < lim) {
        const char *q = memchr(c->buf + i, '"', lim - i);
        if (!q)
            return lim;
        size_t qi = (size_t)(q - c->buf);
        if (qi == p ? at_start : c->buf[qi - 1] == c->delim)
            return qi;
        i = qi + 1;
    }
    return lim;
}

/* --- phase 1: find the record's end ------------------------------------------------------- */

struct span {
    size_t  rs, re;      /* record in buf: [rs, re), re at its LF or at end of input */
    int     has_lf;      /* the record ended with LF (consumed with it) */
    int     skipped;     /* longer than max_record: only c->raw holds its start */
    int     unterminated;/* end of input inside a quoted field */
    int64_t lfs;         /* LFs inside quoted fields */
};

/* Starts skipping a too-long record: keeps its first max_record bytes in c->raw. */
static int start_skip(struct pt_csv *c, struct span *s)
{
    if (!c->raw) {
        c->raw = malloc(c->max_record + 1);
        if (!c->raw) {
            snprintf(c->err, sizeof c->err, "out of memory reading CSV");
            return c->fatal = PT_ENOMEM;
        }
    }
    memcpy(c->raw, c->buf + s->rs, c->max_record);
    c->raw[c->max_record] = 0;
    s->skipped = 1;
    return PT_OK;
}

static int find_record(struct pt_csv *c, struct span *s)
{
    size_t p = c->pos;
    int in_quote = 0, at_start = 1;
    memset(s, 0, sizeof *s);
    s->rs = c->pos;
    for (;;) {
        if (in_quote) {
            const char *q = memchr(c->buf + p, '"', c->end - p);
            size_t qi = q ? (size_t)(q - c->buf) : c->end;
            s->lfs += (int64_t)count_lf(c->buf + p, qi - p);
            p = qi;
            if (q && (qi + 1 < c->end || c->eof)) {
                if (qi + 1 < c->end && c->buf[qi + 1] == '"') {
                    p = qi + 2; /* "" inside a quoted field */
                } else {
                    p = qi + 1;
                    in_quote = 0;
                    at_start = 0;
                }
                continue;
            }
            if (!q && c->eof) {
                s->re = c->end;
                s->unterminated = 1;
                break;
            }
        } else {
            const char *nl = memchr(c->buf + p, '\n', c->end - p);
            size_t lim = nl ? (size_t)(nl - c->buf) : c->end;
            size_t qi = open_quote(c, p, lim, at_start);
            if (qi < lim) {
                in_quote = 1;
                p = qi + 1;
                continue;
            }
            if (nl) {
                s->re = lim;
                s->has_lf = 1;
                break;
            }
            if (lim > p)
                at_start = c->buf[lim - 1] == c->delim;
            p = lim;
            if (c->eof) {
                s->re = c->end;
                break;
            }
        }
        /* need more input */
        if (!s->skipped && p - s->rs > c->max_record && start_skip(c, s))
            return c->fatal;
        size_t keep = s->skipped ? p : s->rs;
        if (csv_fill(c, keep))
            return c->fatal;
        p -= keep;
        s->rs = s->skipped ? 0 : s->rs - keep;
    }
    if (!s->skipped && s->re - s->rs > c->max_record && start_skip(c, s))
        return c->fatal;
    return PT_OK;
}

/* --- phase 2: split into fields ----------------------------------------------------------- */

static int reserve_fields(struct pt_csv *c, size_t reclen)
{
    size_t need = 2 * reclen + 2;
    if (need > c->fcap) {
        size_t ncap = c->fcap ? c->fcap : 4096;
        while (ncap < need)
            ncap *= 2;
        char *nb = realloc(c->fbuf, ncap);
        if (!nb)
            return PT_ENOMEM;
        c->fbuf = nb;
        c->fcap = ncap;
    }
    return PT_OK;
}

static int grow_slots(struct pt_csv *c)
{
    size_t n = c->fslots ? c->fslots * 2 : 32;
    if (n > c->max_fields)
        n = c->max_fields;
    char **np = realloc(c->fptr, n * sizeof *np);
    if (!np)
        return PT_ENOMEM;
    c->fptr = np;
    size_t *nl = realloc(c->flen, n * sizeof *nl);
    if (!nl)
        return PT_ENOMEM;
    c->flen = nl;
    c->fslots = n;
    return PT_OK;
}

/* Checks a field value: 0 if fine, else writes the reason. */
static int check_text(struct pt_csv *c, const char *s, size_t n, int high, int64_t line, size_t field)
{
    if (memchr(s, 0, n)) {
        snprintf(c->err, sizeof c->err, "line %lld, field %zu: NUL byte in field", (long long)line, field);
        return PT_EPARSE;
    }
    if (high && !pt_utf8_valid(s, n)) {
        snprintf(c->err, sizeof c->err, "line %lld, field %zu: invalid UTF-8 (save the file as UTF-8)",
                 (long long)line, field);
        return PT_EPARSE;
    }
    return PT_OK;
}

/* Unquotes a field whose opening quote is just before *ps, moving it down to *po (po <= ps). */
static int quoted_field(struct pt_csv *c, char **ps, char *e, char **po, int64_t line, size_t field)
{
    char *s = *ps, *o = *po, *start = o;
    for (;;) {
        char *q = memchr(s, '"', (size_t)(e - s));
        if (!q) { /* cannot happen after phase 1; kept as a guard */
            snprintf(c->err, sizeof c->err, "line %lld: unterminated quoted field", (long long)line);
            return PT_EPARSE;
        }
        memmove(o, s, (size_t)(q - s));
        o += q - s;
        s = q + 1;
        if (s < e && *s == '"') {
            *o++ = '"';
            s++;
            continue;
        }
        break;
    }
    if (s < e && *s != c->delim) {
        snprintf(c->err, sizeof c->err,
                 "line %lld, field %zu: unexpected character after closing quote", (long long)line, field);
        return PT_EPARSE;
    }
    *ps = s;
    *po = o;
    return check_text(c, start, (size_t)(o - start), 1, line, field);
}

#define ONES  0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Bytes of x equal to the byte in every lane of pat get their top bit set (exact for the
 * lowest match, which is all we use). */
static inline uint64_t lanes_eq(uint64_t x, uint64_t pat)
{
    uint64_t y = x ^ pat;
    return (y - ONES) & ~y & HIGHS;
}

/* Finds the end of an unquoted field starting at s: the delimiter or e. Sets *high when a byte
 * >= 0x80 may be in the field. Returns NULL after writing the reason for a stray quote or NUL. */
static char *plain_end(struct pt_csv *c, char *s, char *e, int *high, int64_t line, size_t field)
{
    const uint64_t dpat = ONES * (unsigned char)c->delim, qpat = ONES * (unsigned char)'"';
    uint64_t hi = 0;
    unsigned char *t = (unsigned char *)s, *ue = (unsigned char *)e;
    for (;;) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        while (ue - t >= 8) { /* eight bytes at a time: delimiter, quote or NUL? */
            uint64_t x;
            memcpy(&x, t, 8);
            uint64_t m = lanes_eq(x, dpat) | lanes_eq(x, qpat) | lanes_eq(x, 0);
            hi |= x; /* may include bytes past the field: only costs a UTF-8 check */
            if (m) {
                t += __builtin_ctzll(m) / 8;
                goto special;
            }
            t += 8;
        }
#endif
        while (t < ue && c->cls[*t] != CLS_DELIM && c->cls[*t] != CLS_QUOTE && c->cls[*t] != CLS_NUL) {
            hi |= *t;
            t++;
        }
        if (t == ue)
            break;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    special:
#endif
        if (c->cls[*t] == CLS_DELIM)
            break;
        if (*t == '"') {
            snprintf(c->err, sizeof c->err,
                     "line %lld, field %zu: stray quote in unquoted field (quote the whole field and "
                     "double the quote)", (long long)line, field);
            return NULL;
        }
        snprintf(c->err, sizeof c->err, "line %lld, field %zu: NUL byte in field", (long long)line, field);
        return NULL;
    }
    *high = (hi & HIGHS) != 0;
    return (char *)t;
}

/* Splits the record src[0..len) into fields. The record is copied into fbuf once; unquoted
 * fields stay in place (their delimiter becomes the NUL) until a quoted field shortens the
 * output, after which fields move down. The output never overtakes the input. */
static int split_record(struct pt_csv *c, const char *src, size_t len, int64_t line, size_t *nfields)
{
    char *s = c->fbuf, *e = c->fbuf + len, *o = c->fbuf;
    size_t n = 0;
    memcpy(c->fbuf, src, len);
    c->fbuf[len] = 0;
    for (;;) {
        if (n == c->max_fields) {
            snprintf(c->err, sizeof c->err, "line %lld: more than %zu fields", (long long)line, c->max_fields);
            return PT_EPARSE;
        }
        if (n == c->fslots && grow_slots(c)) {
            snprintf(c->err, sizeof c->err, "out of memory reading CSV");
            return c->fatal = PT_ENOMEM;
        }
        char *start = o;
        if (s < e && *s == '"') {
            s++;
            if (quoted_field(c, &s, e, &o, line, n + 1))
                return PT_EPARSE;
        } else {
            int high = 0;
            char *t = plain_end(c, s, e, &high, line, n + 1);
            if (!t)
                return PT_EPARSE;
            size_t fl = (size_t)(t - s);
            if (o != s)
                memmove(o, s, fl);
            if (high && check_text(c, o, fl, 1, line, n + 1))
                return PT_EPARSE;
            o += fl;
            s = t;
        }
        int last = s >= e;
        *o++ = 0; /* may overwrite the delimiter at s, which is consumed below */
        c->fptr[n] = start;
        c->flen[n] = (size_t)(o - 1 - start);
        n++;
        if (last)
            break;
        s++; /* the delimiter */
    }
    *nfields = n;
    return PT_OK;
}

/* --- public API ---------------------------------------------------------------------------- */

int pt_csv_open(pt_csv **out, FILE *f, const pt_csv_opts *opts, char *errmsg, size_t errmsg_len)
{
    pt_csv_opts o = opts ? *opts : (pt_csv_opts){0};
    if (errmsg && errmsg_len)
        errmsg[0] = 0;
    if (out)
        *out = NULL;
    char delim = o.delim ? o.delim : ',';
    if (!out || !f || delim == '"' || delim == '\n' || delim == '\r' || (unsigned char)delim >= 0x80 ||
        o.max_record > CSV_LIMIT) {
        if (errmsg && errmsg_len)
            snprintf(errmsg, errmsg_len, "invalid CSV reader options");
        return PT_EINVAL;
    }
    struct pt_csv *c = calloc(1, sizeof *c);
    if (!c)
        return PT_ENOMEM;
    c->f = f;
    c->max_record = o.max_record ? o.max_record : CSV_DEFAULT_MAX_RECORD;
    c->max_fields = o.max_fields ? o.max_fields : CSV_DEFAULT_MAX_FIELDS;
    c->delim = delim;
    c->line = 1;
    c->cls[(unsigned char)delim] = CLS_DELIM;
    c->cls['"'] = CLS_QUOTE;
    c->cls[0] = CLS_NUL;
    for (int i = 0x80; i < 256; i++)
        c->cls[i] = CLS_HIGH;
    c->cap = CSV_START; /* grows to ~2 chunks on big inputs; small inputs stay cheap */
    c->buf = malloc(c->cap);
    if (!c->buf) {
        free(c);
        return PT_ENOMEM;
    }
    int rc = csv_fill(c, 0);
    if (rc) {
        if (errmsg && errmsg_len)
            snprintf(errmsg, errmsg_len, "%s", c->err);
        pt_csv_close(c);
        return rc;
    }
    const char *nul = memchr(c->buf, 0, c->end < CSV_SNIFF ? c->end : CSV_SNIFF);
    if (nul) {
        if (errmsg && errmsg_len)
            snprintf(errmsg, errmsg_len, "binary file (NUL byte at offset %zu); expected CSV text",
                     (size_t)(nul - c->buf));
        pt_csv_close(c);
        return PT_EPARSE;
    }
    if (c->end >= 3 && memcmp(c->buf, "\xEF\xBB\xBF", 3) == 0)
        c->pos = 3; /* UTF-8 byte-order mark */
    *out = c;
    return PT_OK;
}

int pt_csv_next(pt_csv *c, pt_csv_row *row)
{
    static const char *const no_fields[1] = {""};
    static const size_t no_len[1] = {0};
    struct span s;
    *row = (pt_csv_row){.field = no_fields, .len = no_len, .raw = ""};
    if (c->fatal)
        return c->fatal;
    c->err[0] = 0;
    if (c->pos == c->end && !c->eof && csv_fill(c, c->pos))
        return c->fatal;
    if (c->pos == c->end && c->eof)
        return 1;
    if (find_record(c, &s))
        return c->fatal;
    row->line = c->line;
    c->line += s.lfs + s.has_lf;
    c->pos = s.re + (size_t)s.has_lf;
    if (s.skipped) {
        row->raw = c->raw;
        row->raw_len = c->max_record;
        if (s.unterminated) {
            snprintf(c->err, sizeof c->err, "line %lld: unterminated quoted field", (long long)row->line);
            return PT_EPARSE;
        }
        snprintf(c->err, sizeof c->err, "line %lld: record longer than %zu bytes; skipped",
                 (long long)row->line, c->max_record);
        return PT_ETOOBIG;
    }
    row->raw = c->buf + s.rs;
    row->raw_len = c->pos - s.rs;
    if (s.unterminated) {
        snprintf(c->err, sizeof c->err, "line %lld: unterminated quoted field", (long long)row->line);
        return PT_EPARSE;
    }
    size_t ce = s.re;
    if (ce > s.rs && c->buf[ce - 1] == '\r')
        ce--; /* CRLF */
    if (reserve_fields(c, ce - s.rs)) {
        snprintf(c->err, sizeof c->err, "out of memory reading CSV");
        return c->fatal = PT_ENOMEM;
    }
    size_t nf = 0;
    int rc = split_record(c, c->buf + s.rs, ce - s.rs, row->line, &nf);
    if (rc)
        return rc;
    row->field = (const char *const *)c->fptr;
    row->len = c->flen;
    row->nfields = nf;
    return PT_OK;
}

const char *pt_csv_error(const pt_csv *c)
{
    return c && c->err[0] ? c->err : "no error";
}

uint64_t pt_csv_offset(const pt_csv *c)
{
    return c ? c->base + c->pos : 0;
}

void pt_csv_close(pt_csv *c)
{
    if (!c)
        return;
    free(c->buf);
    free(c->fbuf);
    free(c->fptr);
    free(c->flen);
    free(c->raw);
    free(c);
}

int pt_csv_write_field(FILE *f, const char *s, size_t n)
{
    int quote = n > 0 && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t');
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote)
        return fwrite(s, 1, n, f) == n ? PT_OK : PT_EIO;
    int ok = putc('"', f) != EOF;
    const char *p = s, *e = s + n;
    while (ok && p < e) {
        const char *q = memchr(p, '"', (size_t)(e - p));
        size_t seg = q ? (size_t)(q - p) + 1 : (size_t)(e - p);
        ok = fwrite(p, 1, seg, f) == seg;
        if (ok && q)
            ok = putc('"', f) != EOF; /* double the quote */
        p += seg;
    }
    if (ok)
        ok = putc('"', f) != EOF;
    return ok ? PT_OK : PT_EIO;
}

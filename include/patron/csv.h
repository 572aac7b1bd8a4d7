/* csv.h — streaming RFC 4180 CSV reader.
 *
 * Handles quoted fields with embedded commas, quotes ("") and newlines, CRLF or LF line ends, a
 * UTF-8 byte-order mark at the start, and a final record with no line end. Each record is
 * bounded by max_record bytes; a longer one is skipped (the reader resynchronises at the next
 * record boundary) and reported as PT_ETOOBIG. Fields are checked to be valid UTF-8 and free
 * of NUL bytes.
 *
 * Ownership: the reader owns the field strings; they stay valid until the next pt_csv_next or
 * pt_csv_close. The FILE is borrowed and not closed.
 */
#ifndef PATRON_CSV_H
#define PATRON_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct pt_csv pt_csv;

typedef struct pt_csv_opts {
    size_t max_record; /* bytes in one record (raw); 0 = 1 MiB */
    size_t max_fields; /* 0 = 256 */
    char   delim;      /* 0 = ',' */
} pt_csv_opts;

typedef struct pt_csv_row {
    const char *const *field;  /* nfields NUL-terminated, unquoted field values */
    const size_t      *len;    /* length of each field */
    size_t             nfields;
    int64_t            line;   /* 1-based line where the record starts */
    const char        *raw;    /* the record's raw bytes, as read (for reject files) */
    size_t             raw_len;
} pt_csv_row;

/* Opens a reader on f. If the first 8 KiB hold a NUL byte the file is taken to be binary and
 * PT_EPARSE is returned with the reason in errmsg. */
int pt_csv_open(pt_csv **out, FILE *f, const pt_csv_opts *opts, char *errmsg, size_t errmsg_len);
/* Reads the next record. Returns 0 with *row filled; 1 at end of input; or a negative code for
 * a bad record: PT_ETOOBIG (record too long), PT_EPARSE (unterminated quote at end of input,
 * stray quote, invalid UTF-8, NUL byte, too many fields). After a bad-record error row->line
 * and row->raw describe what was skipped (raw possibly truncated to max_record), pt_csv_error()
 * says why, and reading can continue. PT_EIO and PT_ENOMEM are fatal. */
int pt_csv_next(pt_csv *c, pt_csv_row *row);
/* Reason for the last bad record, naming the line and, where known, the field number. */
const char *pt_csv_error(const pt_csv *c);
/* Bytes consumed so far (for progress). */
uint64_t pt_csv_offset(const pt_csv *c);
void pt_csv_close(pt_csv *c);

/* Writes one field to f quoted per RFC 4180 when needed. */
int pt_csv_write_field(FILE *f, const char *s, size_t n);

#endif

/* test_csv.c — the streaming CSV reader and writer: RFC 4180 quoting, line ends, BOM, bounded
 * records, and every bad-input path (binary, truncated quote, stray quote, invalid UTF-8, NUL,
 * too many fields, over-long records) with reading resuming afterwards. */
#include "test.h"
#include "patron/csv.h"
#include "patron/error.h"

#include <stdlib.h>
#include <string.h>

/* A FILE holding exactly n bytes of s (tmpfile, so NUL bytes and big inputs work). */
static FILE *mem(const char *s, size_t n)
{
    FILE *f = tmpfile();
    if (!f)
        return NULL;
    if (n && fwrite(s, 1, n, f) != n) {
        fclose(f);
        return NULL;
    }
    rewind(f);
    return f;
}

#define MEM(lit) mem((lit), sizeof(lit) - 1)

static pt_csv *open_opts(FILE *f, size_t max_record, size_t max_fields, char delim)
{
    pt_csv *c = NULL;
    pt_csv_opts o = {.max_record = max_record, .max_fields = max_fields, .delim = delim};
    char err[256];
    if (!f || pt_csv_open(&c, f, &o, err, sizeof err) != 0)
        return NULL;
    return c;
}

static pt_csv *open_default(FILE *f) { return open_opts(f, 0, 0, 0); }

TEST(csv_reads_simple_records_with_lf)
{
    FILE *f = MEM("id,name\n1,alice\n2,bob\n");
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(r.nfields, 2);
    ASSERT_STR_EQ(r.field[0], "id");
    ASSERT_STR_EQ(r.field[1], "name");
    ASSERT_EQ(r.line, 1);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_STR_EQ(r.field[1], "alice");
    ASSERT_EQ(r.len[1], 5);
    ASSERT_EQ(r.line, 2);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_STR_EQ(r.field[0], "2");
    ASSERT_STR_EQ(r.field[1], "bob");
    ASSERT_EQ(r.line, 3);
    ASSERT_EQ(pt_csv_next(c, &r), 1);
    ASSERT_EQ(pt_csv_next(c, &r), 1);
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_crlf_line_ends_are_stripped)
{
    FILE *f = MEM("a,b\r\n\"x\",y\r\nlast,z\r\n");
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_STR_EQ(r.field[1], "b");
    ASSERT_EQ(r.len[1], 1);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_STR_EQ(r.field[0], "x");
    ASSERT_STR_EQ(r.field[1], "y");
    ASSERT_EQ(r.line, 2);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_STR_EQ(r.field[1], "z");
    ASSERT_EQ(r.line, 3);
    ASSERT_EQ(pt_csv_next(c, &r), 1);
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_final_record_without_newline_is_read)
{
    FILE *f = MEM("a,b\nc,\"d\"");
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(r.nfields, 2);
    ASSERT_STR_EQ(r.field[0], "c");
    ASSERT_STR_EQ(r.field[1], "d");
    ASSERT_EQ(r.line, 2);
    ASSERT_EQ(r.raw_len, 5);
    ASSERT_EQ(pt_csv_next(c, &r), 1);
    ASSERT_EQ(pt_csv_offset(c), 9);
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_utf8_bom_is_skipped_at_start)
{
    FILE *f = MEM("\xEF\xBB\xBF\xE6\x89\x8B\xE6\x9C\xBA\xE5\x8F\xB7,name\n1,\xE5\xBC\xA0\xE4\xB8\x89\n");
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_EQ(pt_csv_offset(c), 3);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_STR_EQ(r.field[0], "手机号");
    ASSERT_EQ(r.len[0], 9);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_STR_EQ(r.field[1], "张三");
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_bom_only_file_is_empty)
{
    FILE *f = MEM("\xEF\xBB\xBF");
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_EQ(pt_csv_next(c, &r), 1);
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_empty_file_returns_end_of_input)
{
    FILE *f = tmpfile();
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_EQ(pt_csv_next(c, &r), 1);
    ASSERT_EQ(pt_csv_offset(c), 0);
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_quoted_field_keeps_embedded_comma_and_doubled_quote)
{
    FILE *f = MEM("\"Smith, John\",\"say \"\"hi\"\"\",\"\"\n");
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(r.nfields, 3);
    ASSERT_STR_EQ(r.field[0], "Smith, John");
    ASSERT_STR_EQ(r.field[1], "say \"hi\"");
    ASSERT_EQ(r.len[1], 8);
    ASSERT_STR_EQ(r.field[2], "");
    ASSERT_EQ(r.len[2], 0);
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_quoted_field_keeps_embedded_newline_and_counts_lines)
{
    FILE *f = MEM("h1,h2\n1,\"line one\nline two\r\nline three\"\n2,after\n");
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(r.line, 2);
    ASSERT_STR_EQ(r.field[1], "line one\nline two\r\nline three");
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(r.line, 5);
    ASSERT_STR_EQ(r.field[1], "after");
    ASSERT_EQ(pt_csv_next(c, &r), 1);
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_empty_fields_and_trailing_delimiter_are_kept)
{
    FILE *f = MEM(",a,,\n");
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(r.nfields, 4);
    ASSERT_STR_EQ(r.field[0], "");
    ASSERT_STR_EQ(r.field[1], "a");
    ASSERT_STR_EQ(r.field[2], "");
    ASSERT_STR_EQ(r.field[3], "");
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_blank_line_is_one_empty_field)
{
    FILE *f = MEM("a\n\n\r\nb\n");
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(r.nfields, 1);
    ASSERT_EQ(r.len[0], 0);
    ASSERT_EQ(r.line, 2);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(r.nfields, 1);
    ASSERT_EQ(r.len[0], 0);
    ASSERT_EQ(r.line, 3);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_STR_EQ(r.field[0], "b");
    ASSERT_EQ(r.line, 4);
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_spaces_around_unquoted_fields_are_kept)
{
    FILE *f = MEM(" a , b \n");
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_STR_EQ(r.field[0], " a ");
    ASSERT_STR_EQ(r.field[1], " b ");
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_custom_delimiter_splits_on_it_only)
{
    FILE *f = MEM("a;b,c;\"d;e\"\n");
    pt_csv *c = open_opts(f, 0, 0, ';');
    pt_csv_row r;
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(r.nfields, 3);
    ASSERT_STR_EQ(r.field[0], "a");
    ASSERT_STR_EQ(r.field[1], "b,c");
    ASSERT_STR_EQ(r.field[2], "d;e");
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_tab_delimiter_is_supported)
{
    FILE *f = MEM("a\tb c\t\n");
    pt_csv *c = open_opts(f, 0, 0, '\t');
    pt_csv_row r;
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(r.nfields, 3);
    ASSERT_STR_EQ(r.field[1], "b c");
    ASSERT_STR_EQ(r.field[2], "");
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_open_rejects_quote_or_newline_as_delimiter)
{
    FILE *f = MEM("a\n");
    pt_csv *c = NULL;
    pt_csv_opts o = {.delim = '"'};
    char err[128];
    ASSERT_EQ(pt_csv_open(&c, f, &o, err, sizeof err), PT_EINVAL);
    ASSERT(c == NULL);
    o.delim = '\n';
    ASSERT_EQ(pt_csv_open(&c, f, &o, err, sizeof err), PT_EINVAL);
    fclose(f);
}

TEST(csv_unterminated_quote_at_eof_is_parse_error)
{
    FILE *f = MEM("a,b\n1,\"never closed\n2,x\n");
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(pt_csv_next(c, &r), PT_EPARSE);
    ASSERT_EQ(r.line, 2);
    ASSERT_STR_EQ(pt_csv_error(c), "line 2: unterminated quoted field");
    ASSERT(r.raw_len > 0);
    ASSERT_EQ(pt_csv_next(c, &r), 1);
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_truncated_quote_in_last_byte_is_parse_error)
{
    FILE *f = MEM("x\n\"");
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(pt_csv_next(c, &r), PT_EPARSE);
    ASSERT_STR_CONTAINS(pt_csv_error(c), "line 2: unterminated quoted field");
    ASSERT_EQ(pt_csv_next(c, &r), 1);
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_stray_quote_in_unquoted_field_is_rejected_and_next_line_read)
{
    FILE *f = MEM("a,b\n1,5\" screen\n2,ok\n");
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(pt_csv_next(c, &r), PT_EPARSE);
    ASSERT_EQ(r.line, 2);
    ASSERT_STR_CONTAINS(pt_csv_error(c), "line 2, field 2");
    ASSERT_STR_CONTAINS(pt_csv_error(c), "stray quote");
    ASSERT_EQ(r.raw_len, 12);
    ASSERT(memcmp(r.raw, "1,5\" screen\n", 12) == 0);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(r.line, 3);
    ASSERT_STR_EQ(r.field[1], "ok");
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_junk_after_closing_quote_is_rejected_naming_field)
{
    FILE *f = MEM("x,\"abc\"def,y\nnext,1\n");
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_EQ(pt_csv_next(c, &r), PT_EPARSE);
    ASSERT_STR_CONTAINS(pt_csv_error(c), "line 1, field 2");
    ASSERT_STR_CONTAINS(pt_csv_error(c), "after closing quote");
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_STR_EQ(r.field[0], "next");
    ASSERT_EQ(r.line, 2);
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_invalid_utf8_is_rejected_naming_line_and_field)
{
    /* GBK bytes for 张三, as an export saved in the wrong encoding would hold */
    FILE *f = MEM("id,name\n1,\xD5\xC5\xC8\xFD\n2,ok\n");
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(pt_csv_next(c, &r), PT_EPARSE);
    ASSERT_EQ(r.line, 2);
    ASSERT_STR_CONTAINS(pt_csv_error(c), "line 2, field 2");
    ASSERT_STR_CONTAINS(pt_csv_error(c), "UTF-8");
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_STR_EQ(r.field[1], "ok");
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_invalid_utf8_inside_quoted_field_is_rejected)
{
    FILE *f = MEM("\"ok\",\"bad \xC0\xAF overlong\"\n");
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_EQ(pt_csv_next(c, &r), PT_EPARSE);
    ASSERT_STR_CONTAINS(pt_csv_error(c), "line 1, field 2");
    ASSERT_EQ(pt_csv_next(c, &r), 1);
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_binary_file_is_rejected_at_open)
{
    static const char data[] = "PK\x03\x04\x00\x00garbage";
    FILE *f = mem(data, sizeof data - 1);
    pt_csv *c = NULL;
    char err[256];
    ASSERT(f);
    ASSERT_EQ(pt_csv_open(&c, f, NULL, err, sizeof err), PT_EPARSE);
    ASSERT(c == NULL);
    ASSERT_STR_EQ(err, "binary file (NUL byte at offset 4); expected CSV text");
    fclose(f);
}

TEST(csv_nul_byte_after_first_8k_is_rejected_as_a_record)
{
    size_t n = 20000;
    char *data = malloc(n);
    ASSERT(data);
    memset(data, 'a', n);
    for (size_t i = 99; i < n; i += 100)
        data[i] = '\n'; /* 200 lines of 99 bytes */
    data[150 * 100 + 5] = 0; /* line 151 */
    FILE *f = mem(data, n);
    free(data);
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    int rc, bad = 0, good = 0;
    while ((rc = pt_csv_next(c, &r)) != 1) {
        if (rc == PT_EPARSE) {
            bad++;
            ASSERT_EQ(r.line, 151);
            ASSERT_STR_CONTAINS(pt_csv_error(c), "line 151, field 1");
            ASSERT_STR_CONTAINS(pt_csv_error(c), "NUL");
        } else {
            ASSERT_OK(rc);
            good++;
        }
    }
    ASSERT_EQ(bad, 1);
    ASSERT_EQ(good, 199);
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_too_many_fields_is_parse_error)
{
    FILE *f = MEM("a,b,c\na,b,c,d\nx,y\n");
    pt_csv *c = open_opts(f, 0, 3, 0);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(r.nfields, 3);
    ASSERT_EQ(pt_csv_next(c, &r), PT_EPARSE);
    ASSERT_STR_EQ(pt_csv_error(c), "line 2: more than 3 fields");
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(r.nfields, 2);
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_default_max_fields_is_256)
{
    char line[2048];
    size_t n = 0;
    for (int i = 0; i < 257; i++)
        n += (size_t)snprintf(line + n, sizeof line - n, i ? ",%d" : "%d", i);
    line[n++] = '\n';
    FILE *f = mem(line, n);
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_EQ(pt_csv_next(c, &r), PT_EPARSE);
    ASSERT_STR_CONTAINS(pt_csv_error(c), "more than 256 fields");
    pt_csv_close(c);
    fclose(f);
    f = mem(line, n - 5); /* drop ",256\n": 256 fields */
    c = open_default(f);
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(r.nfields, 256);
    ASSERT_STR_EQ(r.field[255], "255");
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_record_over_max_is_skipped_and_reading_resumes)
{
    FILE *f = MEM("short\nthis record is far too long\nok\n");
    pt_csv *c = open_opts(f, 16, 0, 0);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(pt_csv_next(c, &r), PT_ETOOBIG);
    ASSERT_EQ(r.line, 2);
    ASSERT_EQ(r.raw_len, 16);
    ASSERT(memcmp(r.raw, "this record is f", 16) == 0);
    ASSERT_STR_EQ(pt_csv_error(c), "line 2: record longer than 16 bytes; skipped");
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_STR_EQ(r.field[0], "ok");
    ASSERT_EQ(r.line, 3);
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_record_of_exactly_max_record_bytes_is_accepted)
{
    FILE *f = MEM("0123456789abcdef\r\n0123456789abcdefg\n");
    pt_csv *c = open_opts(f, 16, 0, 0);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_EQ(pt_csv_next(c, &r), PT_ETOOBIG); /* 16 bytes + CR is 17 */
    pt_csv_close(c);
    rewind(f);
    c = open_opts(f, 17, 0, 0);
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_STR_EQ(r.field[0], "0123456789abcdef");
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_STR_EQ(r.field[0], "0123456789abcdefg");
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_ten_mb_line_with_1mib_max_is_skipped_and_next_line_read)
{
    size_t big = (size_t)10 << 20;
    const char *head = "id,note\n1,";
    const char *tail = "\n2,fine\n";
    size_t n = strlen(head) + big + strlen(tail);
    char *data = malloc(n);
    ASSERT(data);
    memcpy(data, head, strlen(head));
    memset(data + strlen(head), 'x', big);
    memcpy(data + strlen(head) + big, tail, strlen(tail));
    FILE *f = mem(data, n);
    free(data);
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(pt_csv_next(c, &r), PT_ETOOBIG);
    ASSERT_EQ(r.line, 2);
    ASSERT_EQ(r.raw_len, (size_t)1 << 20);
    ASSERT(memcmp(r.raw, "1,xxx", 5) == 0);
    ASSERT_STR_CONTAINS(pt_csv_error(c), "line 2: record longer than 1048576 bytes");
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(r.line, 3);
    ASSERT_STR_EQ(r.field[0], "2");
    ASSERT_STR_EQ(r.field[1], "fine");
    ASSERT_EQ(pt_csv_next(c, &r), 1);
    ASSERT_EQ(pt_csv_offset(c), n);
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_long_quoted_record_is_skipped_respecting_quotes_and_lines)
{
    /* The too-long record holds quoted newlines and a quoted "\n2,fake" that must not resync. */
    FILE *f = MEM("1,\"aaaaaaaaaa\nbbbbbbbbbbbbb\n2,fake\ncccccccccccc\",end\n3,real\n");
    pt_csv *c = open_opts(f, 20, 0, 0);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_EQ(pt_csv_next(c, &r), PT_ETOOBIG);
    ASSERT_EQ(r.line, 1);
    ASSERT_EQ(r.raw_len, 20);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_STR_EQ(r.field[0], "3");
    ASSERT_STR_EQ(r.field[1], "real");
    ASSERT_EQ(r.line, 5);
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_big_file_with_quotes_across_chunk_boundaries_reads_every_record)
{
    /* ~3 MB: records with quoted commas, doubled quotes and newlines cross every chunk edge. */
    size_t cap = (size_t)4 << 20, n = 0;
    char *data = malloc(cap);
    ASSERT(data);
    int rows = 0;
    while (n < cap - 200) {
        n += (size_t)snprintf(data + n, cap - n, "%d,\"a,\"\"%d\"\"\nz\",plain%d\r\n", rows, rows, rows);
        rows++;
    }
    FILE *f = mem(data, n);
    free(data);
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    for (int i = 0; i < rows; i++) {
        char want[64];
        ASSERT_OK(pt_csv_next(c, &r));
        ASSERT_EQ(r.nfields, 3);
        ASSERT_EQ(r.line, 1 + 2 * (int64_t)i);
        snprintf(want, sizeof want, "a,\"%d\"\nz", i);
        ASSERT_STR_EQ(r.field[1], want);
        snprintf(want, sizeof want, "plain%d", i);
        ASSERT_STR_EQ(r.field[2], want);
    }
    ASSERT_EQ(pt_csv_next(c, &r), 1);
    ASSERT_EQ(pt_csv_offset(c), n);
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_doubled_quote_straddling_the_first_read_is_unescaped)
{
    /* The first read fills the 64 KiB starting window; put the "" pair (and then a CRLF)
     * across that edge, at each alignment. */
    const size_t edge = (size_t)64 << 10;
    for (size_t shift = 0; shift < 6; shift++) {
        size_t filler = edge - 3 - shift; /* record 2 starts at filler + 1 */
        size_t n = filler + 1 + 15;
        char *data = malloc(n);
        ASSERT(data);
        memset(data, 'x', filler);
        data[filler] = '\n';
        memcpy(data + filler + 1, "\"a\"\"b\",c\r\nlast\n", 15);
        FILE *f = mem(data, n);
        free(data);
        pt_csv *c = open_default(f);
        pt_csv_row r;
        ASSERT(c);
        ASSERT_OK(pt_csv_next(c, &r));
        ASSERT_EQ(r.len[0], filler);
        ASSERT_OK(pt_csv_next(c, &r));
        ASSERT_EQ(r.nfields, 2);
        ASSERT_STR_EQ(r.field[0], "a\"b");
        ASSERT_STR_EQ(r.field[1], "c");
        ASSERT_OK(pt_csv_next(c, &r));
        ASSERT_STR_EQ(r.field[0], "last");
        ASSERT_EQ(r.line, 3);
        ASSERT_EQ(pt_csv_next(c, &r), 1);
        pt_csv_close(c);
        fclose(f);
    }
}

TEST(csv_raw_holds_the_record_bytes_as_read)
{
    FILE *f = MEM("a,\"b\nc\"\r\nnext\n");
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(r.raw_len, 9);
    ASSERT(memcmp(r.raw, "a,\"b\nc\"\r\n", 9) == 0);
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_offset_counts_bytes_consumed)
{
    FILE *f = MEM("ab,c\n\"d\ne\",f\ng\n");
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_EQ(pt_csv_offset(c), 0);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(pt_csv_offset(c), 5);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(pt_csv_offset(c), 13);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(pt_csv_offset(c), 15);
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_error_messages_never_contain_field_contents)
{
    static const char *const bad[] = {
        "13800138000,\"secret\"junk\n", "13800138000,sec\"ret\n", "13800138000,\"secret",
        "13800138000,secret\xFF\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        FILE *f = mem(bad[i], strlen(bad[i]));
        pt_csv *c = open_default(f);
        pt_csv_row r;
        ASSERT(c);
        ASSERT_EQ(pt_csv_next(c, &r), PT_EPARSE);
        ASSERT(strstr(pt_csv_error(c), "secret") == NULL);
        ASSERT(strstr(pt_csv_error(c), "13800138000") == NULL);
        ASSERT(strstr(pt_csv_error(c), "line 1") != NULL);
        pt_csv_close(c);
        fclose(f);
    }
}

/* Writes one field with pt_csv_write_field and returns what was written (static buffer). */
static const char *written(const char *s, size_t n)
{
    static char out[256];
    FILE *f = tmpfile();
    if (!f)
        return "(tmpfile failed)";
    if (pt_csv_write_field(f, s, n) != 0) {
        fclose(f);
        return "(write failed)";
    }
    long len = ftell(f);
    rewind(f);
    size_t got = fread(out, 1, sizeof out - 1, f);
    out[got] = 0;
    fclose(f);
    return len == (long)got ? out : "(short read)";
}

TEST(csv_write_field_quotes_only_when_needed)
{
    ASSERT_STR_EQ(written("plain", 5), "plain");
    ASSERT_STR_EQ(written("", 0), "");
    ASSERT_STR_EQ(written("张三", 6), "张三");
    ASSERT_STR_EQ(written("a,b", 3), "\"a,b\"");
    ASSERT_STR_EQ(written("say \"hi\"", 8), "\"say \"\"hi\"\"\"");
    ASSERT_STR_EQ(written("\"", 1), "\"\"\"\"");
    ASSERT_STR_EQ(written("two\nlines", 9), "\"two\nlines\"");
    ASSERT_STR_EQ(written("cr\r", 3), "\"cr\r\"");
    ASSERT_STR_EQ(written(" lead", 5), "\" lead\"");
    ASSERT_STR_EQ(written("trail ", 6), "\"trail \"");
    ASSERT_STR_EQ(written("mid dle", 7), "mid dle");
}

TEST(csv_write_field_round_trips_through_reader)
{
    static const char *const vals[] = {"", "a,b", "\"q\"", "x\r\ny", " s ", "\"\"\"", ",", "\n"};
    size_t nv = sizeof vals / sizeof *vals;
    FILE *f = tmpfile();
    ASSERT(f);
    for (size_t i = 0; i < nv; i++) {
        ASSERT_OK(pt_csv_write_field(f, vals[i], strlen(vals[i])));
        fputc(i + 1 < nv ? ',' : '\n', f);
    }
    rewind(f);
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(r.nfields, nv);
    for (size_t i = 0; i < nv; i++)
        ASSERT_STR_EQ(r.field[i], vals[i]);
    ASSERT_EQ(pt_csv_next(c, &r), 1);
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_lines_count_crlf_inside_and_outside_quotes)
{
    FILE *f = MEM("a\r\n\"b\r\n\r\nc\"\r\nd\r\n");
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(r.line, 1);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(r.line, 2);
    ASSERT_STR_EQ(r.field[0], "b\r\n\r\nc");
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(r.line, 5);
    ASSERT_STR_EQ(r.field[0], "d");
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_quote_mid_field_does_not_swallow_following_lines)
{
    /* A stray quote opens nothing: lines 2 and 3 are separate records. */
    FILE *f = MEM("ab\"c\nd\"\ne\n");
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_EQ(pt_csv_next(c, &r), PT_EPARSE);
    ASSERT_EQ(pt_csv_next(c, &r), PT_EPARSE);
    ASSERT_EQ(r.line, 2);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_STR_EQ(r.field[0], "e");
    ASSERT_EQ(r.line, 3);
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_read_error_is_reported_as_eio)
{
    const char *path = pt_test_write_file(pt_test_tmpdir(), "w.csv", "a,b\n");
    FILE *f = fopen(path, "ab"); /* write-only: every read fails */
    pt_csv *c = NULL;
    char err[256] = "";
    ASSERT(f);
    ASSERT_EQ(pt_csv_open(&c, f, NULL, err, sizeof err), PT_EIO);
    ASSERT(c == NULL);
    ASSERT_STR_CONTAINS(err, "read error");
    fclose(f);
}

TEST(csv_lone_cr_inside_a_field_is_data)
{
    FILE *f = MEM("a\rb,c\n");
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(r.nfields, 2);
    ASSERT_STR_EQ(r.field[0], "a\rb");
    pt_csv_close(c);
    fclose(f);
}

TEST(csv_fields_after_a_quoted_field_are_moved_intact)
{
    FILE *f = MEM("\"q\"\"x\",plain,\"\",last one,\"é\"\n");
    pt_csv *c = open_default(f);
    pt_csv_row r;
    ASSERT(c);
    ASSERT_OK(pt_csv_next(c, &r));
    ASSERT_EQ(r.nfields, 5);
    ASSERT_STR_EQ(r.field[0], "q\"x");
    ASSERT_STR_EQ(r.field[1], "plain");
    ASSERT_STR_EQ(r.field[2], "");
    ASSERT_STR_EQ(r.field[3], "last one");
    ASSERT_STR_EQ(r.field[4], "é");
    ASSERT_EQ(r.len[3], 8);
    pt_csv_close(c);
    fclose(f);
}

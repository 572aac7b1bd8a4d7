/* ingest.c — the import driver: opens a CSV or JSON-lines file, maps its columns to targets,
 * feeds each row to the row handler (ingest_rows.c), writes rejects, and keeps the counts.
 *
 * Invariants: one file = one transaction (nothing half-applied); a row is accepted whole or
 * rejected whole, and every rejected row reaches the reject file with file, line, field and
 * reason; messages name fields and lines, never personal values; memory per row is bounded by
 * max_record.
 */
#include "ingest_int.h"
#include "idmap.h"
#include "db_int.h"
#include "patron/csv.h"
#include "patron/error.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define K_MEMBERS (1u << PT_IMPORT_MEMBERS)
#define K_ORDERS  (1u << PT_IMPORT_ORDERS)
#define K_ITEMS   (1u << PT_IMPORT_ITEMS)
#define K_EVENTS  (1u << PT_IMPORT_EVENTS)
#define K_SURVEYS (1u << PT_IMPORT_SURVEYS)
#define K_REFS    (K_MEMBERS | K_ORDERS | K_EVENTS | K_SURVEYS) /* kinds that name a member */
#define K_ALL     (K_REFS | K_ITEMS)

struct col_def {
    int         col;
    unsigned    kinds;
    const char *names; /* '|'-separated; first is the canonical target name */
};

static const struct col_def col_defs[] = {
    {COL_PHONE, K_REFS, "phone|mobile|mobile_phone|cellphone|tel|telephone|手机号|手机|手机号码|电话|联系电话"},
    {COL_EMAIL, K_REFS, "email|e_mail|mail|email_address|邮箱|电子邮箱|电子邮件"},
    {COL_UNIONID, K_REFS, "unionid|union_id|wechat_unionid"},
    {COL_OPENID, K_REFS, "openid|open_id|wechat_openid"},
    {COL_APP_USER, K_REFS, "app_user_id|app_uid|app_user"},
    {COL_STORE_CARD, K_REFS, "store_card|card_no|member_card|loyalty_card|会员卡号|卡号"},
    {COL_ESHOP, K_REFS, "eshop_account|customer_id|customerid|shop_account|客户编号|客户id"},
    {COL_MEMBER_NO, K_ORDERS | K_EVENTS | K_SURVEYS, "member_no|member_number|会员编号"},
    {COL_NAME, K_MEMBERS, "name|full_name|姓名|名字"},
    {COL_GENDER, K_MEMBERS, "gender|sex|性别"},
    {COL_BIRTHDAY, K_MEMBERS, "birthday|birth_date|date_of_birth|dob|生日|出生日期"},
    {COL_REGION, K_MEMBERS, "region|province|city|area|地区|省份|城市"},
    {COL_ADDRESS, K_MEMBERS, "address|地址|收货地址|联系地址"},
    {COL_REGISTERED_AT, K_MEMBERS, "registered_at|register_time|register_ts|registration_time|signup_at|created_at|注册时间"},
    {COL_CHANNEL, K_MEMBERS | K_ORDERS, "channel|渠道|注册渠道"},
    {COL_CONSENT_SMS, K_MEMBERS, "consent_sms|sms_opt_in|sms_consent|短信营销"},
    {COL_CONSENT_EMAIL, K_MEMBERS, "consent_email|email_opt_in|email_consent|邮件营销"},
    {COL_CONSENT_ANALYTICS, K_MEMBERS, "consent_analytics|analytics_opt_in|analytics_consent"},
    {COL_CONSENT_AT, K_MEMBERS, "consent_at|opt_in_time"},
    {COL_ORDER_NO, K_ORDERS | K_ITEMS, "order_no|order_id|order_number|invoice_no|invoiceno|单号|订单号"},
    {COL_AT, K_ORDERS | K_EVENTS | K_SURVEYS,
     "at|time|ts|timestamp|ordered_at|order_time|order_date|paid_at|invoice_date|invoicedate|event_time|answered_at|下单时间|支付时间|时间"},
    {COL_AMOUNT, K_ORDERS | K_ITEMS, "amount|total|order_amount|paid_amount|金额|实付金额|订单金额"},
    {COL_STATUS, K_ORDERS, "status|order_status|状态|订单状态"},
    {COL_STORE, K_ORDERS | K_MEMBERS, "store|store_name|shop|门店|注册门店"},
    {COL_LINE, K_ITEMS, "line|line_no|行号"},
    {COL_SKU, K_ITEMS, "sku|stock_code|stockcode|product_id|item_id|商品编码"},
    {COL_CATEGORY, K_ITEMS, "category|品类|类目"},
    {COL_QTY, K_ITEMS, "qty|quantity|数量"},
    {COL_UNIT_PRICE, K_ITEMS, "unit_price|unitprice|price|单价"},
    {COL_EVENT, K_EVENTS, "event|event_type|kind|事件"},
    {COL_VALUE, K_EVENTS, "value|stars|rating"},
    {COL_SCORE, K_SURVEYS, "score|nps|nps_score|评分"},
    {COL_SURVEY, K_SURVEYS, "survey|survey_id|问卷"},
    {COL_IGNORE, K_ALL, "ignore"},
};

static const char *const kind_names[] = {
    [PT_IMPORT_MEMBERS] = "members", [PT_IMPORT_ORDERS] = "orders", [PT_IMPORT_ITEMS] = "items",
    [PT_IMPORT_EVENTS] = "events",   [PT_IMPORT_SURVEYS] = "surveys",
};

int pt_import_kind_parse(const char *s)
{
    for (int k = PT_IMPORT_MEMBERS; k <= PT_IMPORT_SURVEYS; k++)
        if (strcmp(s, kind_names[k]) == 0)
            return k;
    return 0;
}

const char *pt_import_kind_name(int kind)
{
    return kind >= PT_IMPORT_MEMBERS && kind <= PT_IMPORT_SURVEYS ? kind_names[kind] : "?";
}

const char *pt__ingest_col_name(int col)
{
    static char names[COL__COUNT][32];
    for (size_t i = 0; i < sizeof col_defs / sizeof *col_defs; i++)
        if (col_defs[i].col == col) {
            const char *bar = strchr(col_defs[i].names, '|');
            size_t n = bar ? (size_t)(bar - col_defs[i].names) : strlen(col_defs[i].names);
            snprintf(names[col], sizeof names[col], "%.*s", (int)n, col_defs[i].names);
            return names[col];
        }
    return "?";
}

const char *pt_import_columns_help(int kind)
{
    static char help[4096];
    size_t n = 0;
    help[0] = 0;
    for (size_t i = 0; i < sizeof col_defs / sizeof *col_defs && n < sizeof help - 200; i++) {
        if (!(col_defs[i].kinds & (1u << kind)))
            continue;
        int w = snprintf(help + n, sizeof help - n, "  %s\n", col_defs[i].names);
        n += w > 0 ? (size_t)w : 0;
    }
    return help;
}

/* Header text → lower-case ASCII, spaces and '-' as '_', trimmed. */
static void header_key(const char *in, char *out, size_t cap)
{
    char tmp[256];
    if (pt_norm_trim(in, tmp, sizeof tmp))
        tmp[0] = 0;
    size_t j = 0;
    for (size_t i = 0; tmp[i] && j + 1 < cap; i++) {
        unsigned char c = (unsigned char)tmp[i];
        out[j++] = (c == ' ' || c == '-') ? '_' : (char)tolower(c);
    }
    out[j] = 0;
}

static int target_by_name(int kind, const char *key)
{
    for (size_t i = 0; i < sizeof col_defs / sizeof *col_defs; i++) {
        if (!(col_defs[i].kinds & (1u << kind)))
            continue;
        const char *p = col_defs[i].names;
        size_t klen = strlen(key);
        while (*p) {
            const char *bar = strchr(p, '|');
            size_t n = bar ? (size_t)(bar - p) : strlen(p);
            if (n == klen && memcmp(p, key, n) == 0)
                return col_defs[i].col;
            p += n + (bar ? 1 : 0);
        }
    }
    return COL_NONE;
}

/* --- column mapping (flags and mapping file) --------------------------------------------- */

struct mapping {
    char header[64][128];
    char target[64][64];
    int  n;
};

static int mapping_add(struct mapping *m, const char *line, const char *where, char *err, size_t errlen)
{
    const char *eq = strchr(line, '=');
    char h[256], t[256];
    if (!eq || m->n == 64) {
        snprintf(err, errlen, "%s: expected HEADER=target", where);
        return PT_EINVAL;
    }
    snprintf(h, sizeof h, "%.*s", (int)(eq - line), line);
    header_key(h, m->header[m->n], sizeof m->header[m->n]);
    header_key(eq + 1, t, sizeof t);
    snprintf(m->target[m->n], sizeof m->target[m->n], "%s", t);
    m->n++;
    return PT_OK;
}

static int mapping_load(struct mapping *m, const pt_import_opts *o, char *err, size_t errlen)
{
    m->n = 0;
    if (o->mapping_file) {
        FILE *f = fopen(o->mapping_file, "r");
        if (!f) {
            snprintf(err, errlen, "cannot open mapping file %s", o->mapping_file);
            return PT_EIO;
        }
        char line[512], where[600];
        for (int ln = 1; fgets(line, sizeof line, f); ln++) {
            line[strcspn(line, "\r\n")] = 0;
            char trimmed[512];
            if (pt_norm_trim(line, trimmed, sizeof trimmed) || !trimmed[0] || trimmed[0] == '#')
                continue;
            snprintf(where, sizeof where, "%s:%d", o->mapping_file, ln);
            if (mapping_add(m, trimmed, where, err, errlen)) {
                fclose(f);
                return PT_EINVAL;
            }
        }
        fclose(f);
    }
    for (size_t i = 0; i < o->nmaps; i++)
        if (mapping_add(m, o->maps[i], "--map", err, errlen))
            return PT_EINVAL;
    return PT_OK;
}

/* Target for one header: an explicit mapping first, then the built-in names. */
static int resolve_header(const struct import *im, const struct mapping *map, const char *header, int *col)
{
    char key[256];
    header_key(header, key, sizeof key);
    for (int i = 0; i < map->n; i++)
        if (strcmp(map->header[i], key) == 0) {
            *col = target_by_name(im->kind, map->target[i]);
            return *col ? PT_OK : PT_EINVAL;
        }
    *col = target_by_name(im->kind, key);
    return PT_OK;
}

/* --- reject file ------------------------------------------------------------------------- */

static int reject_open(struct import *im)
{
    if (im->rejects)
        return PT_OK;
    char *path = im->res->reject_path;
    if (im->opts->reject_path)
        snprintf(path, sizeof im->res->reject_path, "%s", im->opts->reject_path);
    else
        snprintf(path, sizeof im->res->reject_path, "%s/rejects/%s.rejects.csv", pt_db_dir(im->db), im->file_name);
    FILE *f = fopen(path, "w");
    if (!f)
        return pt__db_error(im->db, PT_EIO, "cannot write reject file %s", path);
    chmod(path, 0600); /* rejected records may hold personal data */
    fputs("file,line,field,reason,record\n", f);
    im->rejects = f;
    return PT_OK;
}

static int reject_row(struct import *im, int64_t line, const char *field, const char *why,
                      const char *raw, size_t raw_len)
{
    int rc = reject_open(im);
    if (rc)
        return rc;
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long)line);
    pt_csv_write_field(im->rejects, im->file_name, strlen(im->file_name));
    fputc(',', im->rejects);
    fputs(num, im->rejects);
    fputc(',', im->rejects);
    pt_csv_write_field(im->rejects, field, strlen(field));
    fputc(',', im->rejects);
    pt_csv_write_field(im->rejects, why, strlen(why));
    fputc(',', im->rejects);
    while (raw_len && (raw[raw_len - 1] == '\n' || raw[raw_len - 1] == '\r'))
        raw_len--;
    pt_csv_write_field(im->rejects, raw ? raw : "", raw ? raw_len : 0);
    fputc('\n', im->rejects);
    im->res->run.rows_rejected++;
    return PT_OK;
}

/* --- rows -------------------------------------------------------------------------------- */

/* Runs one mapped row; returns 0 to go on, or a negative code to abort the import. */
static int feed_row(struct import *im, const struct row *r)
{
    const char *field = "";
    char why[160] = "";
    im->res->run.rows_read++;
    int rc = pt__ingest_row(im, r, &field, why, sizeof why);
    if (rc < 0)
        return rc;
    if (rc == ROW_DUPLICATE)
        im->res->run.duplicates++;
    if (rc != ROW_REJECTED) {
        im->res->run.rows_accepted++;
        return PT_OK;
    }
    rc = reject_row(im, r->line, field, why, r->raw, r->raw_len);
    if (rc == PT_OK && im->opts->stop_on_error)
        rc = pt__db_error(im->db, PT_EPARSE, "%s:%lld: %s: %s (stopped at the first bad row; nothing imported)",
                          im->file_name, (long long)r->line, field, why);
    return rc;
}

static void progress(struct import *im, uint64_t done, uint64_t total)
{
    if (im->opts->progress && (im->res->run.rows_read & 0xFFFF) == 0)
        im->opts->progress(im->opts->progress_ud, done, total, im->res->run.rows_read);
}

static int note_ignored(struct import *im, const char *header)
{
    char *list = im->res->ignored_columns;
    size_t n = strlen(list);
    snprintf(list + n, sizeof im->res->ignored_columns - n, "%s%s", n ? "," : "", header);
    return PT_OK;
}

/* Maps CSV header fields to targets; an unknown header is an error unless ignore_unknown. */
static int map_csv_header(struct import *im, const pt_csv_row *h, int *cols)
{
    struct mapping map;
    char err[512];
    if (mapping_load(&map, im->opts, err, sizeof err))
        return pt__db_error(im->db, PT_EINVAL, "%s", err);
    for (size_t i = 0; i < h->nfields; i++) {
        int col = COL_NONE;
        if (resolve_header(im, &map, h->field[i], &col))
            return pt__db_error(im->db, PT_EINVAL, "%s: column %zu: mapped to an unknown target for %s",
                                im->file_name, i + 1, pt_import_kind_name(im->kind));
        if (col == COL_NONE && !im->opts->ignore_unknown) {
            reject_row(im, h->line, h->field[i], "unknown column", h->raw, h->raw_len);
            return pt__db_error(im->db, PT_EINVAL,
                                "%s:%lld: column %zu \"%s\" is not a known %s column; map it with "
                                "--map '%s=TARGET' or skip it with --map '%s=ignore' "
                                "(see `patron import --help`)",
                                im->file_name, (long long)h->line, i + 1, h->field[i],
                                pt_import_kind_name(im->kind), h->field[i], h->field[i]);
        }
        if (col == COL_NONE || col == COL_IGNORE || (im->kind == PT_IMPORT_MEMBERS && col == COL_STORE))
            note_ignored(im, h->field[i]);
        if (col != COL_NONE && col != COL_IGNORE && im->present[col])
            return pt__db_error(im->db, PT_EINVAL, "%s: columns for %s appear twice (column %zu)",
                                im->file_name, pt__ingest_col_name(col), i + 1);
        cols[i] = col;
        if (col != COL_NONE)
            im->present[col] = 1;
    }
    return PT_OK;
}

static int import_csv(struct import *im, FILE *f, uint64_t total)
{
    pt_csv *csv = NULL;
    char err[256] = "";
    pt_csv_opts co = {.max_record = im->opts->max_record};
    int rc = pt_csv_open(&csv, f, &co, err, sizeof err);
    if (rc)
        return pt__db_error(im->db, rc, "%s: %s", im->file_name, err);
    pt_csv_row row;
    int cols[256] = {0};
    size_t ncols = 0;
    rc = pt_csv_next(csv, &row);
    if (rc == 1)
        rc = pt__db_error(im->db, PT_EPARSE, "%s: empty file (no header line)", im->file_name);
    else if (rc < 0)
        rc = pt__db_error(im->db, rc, "%s: header: %s", im->file_name, pt_csv_error(csv));
    else if (row.nfields > 256)
        rc = pt__db_error(im->db, PT_ETOOBIG, "%s: more than 256 columns", im->file_name);
    else {
        ncols = row.nfields;
        rc = map_csv_header(im, &row, cols);
    }
    while (rc == PT_OK) {
        int r = pt_csv_next(csv, &row);
        if (r == 1)
            break;
        if (r == PT_EIO || r == PT_ENOMEM) {
            rc = pt__db_error(im->db, r, "%s: %s", im->file_name, pt_csv_error(csv));
            break;
        }
        if (r < 0) {
            im->res->run.rows_read++;
            rc = reject_row(im, row.line, "record", pt_csv_error(csv), row.raw, row.raw_len);
            if (rc == PT_OK && im->opts->stop_on_error)
                rc = pt__db_error(im->db, PT_EPARSE, "%s: %s (stopped; nothing imported)", im->file_name,
                                  pt_csv_error(csv));
            continue;
        }
        if (row.nfields == 1 && row.len[0] == 0)
            continue; /* blank line */
        struct row mr = {.line = row.line, .raw = row.raw, .raw_len = row.raw_len};
        if (row.nfields != ncols) {
            char why[96];
            im->res->run.rows_read++;
            snprintf(why, sizeof why, "expected %zu fields, found %zu", ncols, row.nfields);
            rc = reject_row(im, row.line, "record", why, row.raw, row.raw_len);
            if (rc == PT_OK && im->opts->stop_on_error)
                rc = pt__db_error(im->db, PT_EPARSE, "%s:%lld: %s (stopped; nothing imported)",
                                  im->file_name, (long long)row.line, why);
            continue;
        }
        for (size_t i = 0; i < ncols; i++)
            if (cols[i] != COL_NONE && cols[i] != COL_IGNORE && row.len[i])
                mr.v[cols[i]] = row.field[i];
        rc = feed_row(im, &mr);
        progress(im, pt_csv_offset(csv), total);
    }
    pt_csv_close(csv);
    return rc;
}

/* --- JSON lines -------------------------------------------------------------------------- */

/* Reads one line into buf (at most max bytes, excluding the newline). Returns 0, 1 at end of
 * input, or PT_ETOOBIG after skipping a longer line to its end. */
static int read_line(FILE *f, pt_buf *buf, size_t max, uint64_t *offset)
{
    pt_buf_reset(buf);
    int c = EOF, too_big = 0, any = 0;
    char chunk[4096];
    size_t n = 0;
    while ((c = getc_unlocked(f)) != EOF) {
        any = 1;
        (*offset)++;
        if (c == '\n')
            break;
        if (too_big)
            continue;
        chunk[n++] = (char)c;
        if (n == sizeof chunk) {
            if (buf->len + n > max || pt_buf_append(buf, chunk, n))
                too_big = 1;
            n = 0;
        }
    }
    if (!too_big && (buf->len + n > max || pt_buf_append(buf, chunk, n)))
        too_big = 1;
    if (!any)
        return 1;
    if (too_big)
        return PT_ETOOBIG;
    if (buf->len && buf->data[buf->len - 1] == '\r')
        buf->data[--buf->len] = 0;
    return PT_OK;
}

struct key_cache {
    char key[64][128];
    int  col[64];
    int  n;
};

static int json_key_col(struct import *im, const struct mapping *map, struct key_cache *kc, const char *key, int *col)
{
    for (int i = 0; i < kc->n; i++)
        if (strcmp(kc->key[i], key) == 0) {
            *col = kc->col[i];
            return PT_OK;
        }
    int rc = resolve_header(im, map, key, col);
    if (rc)
        return rc;
    if (*col == COL_NONE || *col == COL_IGNORE || (im->kind == PT_IMPORT_MEMBERS && *col == COL_STORE))
        note_ignored(im, key);
    if (kc->n < 64 && strlen(key) < sizeof kc->key[0]) {
        snprintf(kc->key[kc->n], sizeof kc->key[0], "%s", key);
        kc->col[kc->n++] = *col;
    }
    return PT_OK;
}

/* Scalar JSON value as text in scratch (or the string itself); NULL for null/empty. */
static const char *json_text(json_t *v, char scratch[64], int *bad)
{
    *bad = 0;
    switch (json_typeof(v)) {
    case JSON_STRING:
        return json_string_length(v) ? json_string_value(v) : NULL;
    case JSON_INTEGER:
        snprintf(scratch, 64, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return scratch;
    case JSON_REAL:
        snprintf(scratch, 64, "%.15g", json_real_value(v));
        return scratch;
    case JSON_TRUE:
        return "1";
    case JSON_FALSE:
        return "0";
    case JSON_NULL:
        return NULL;
    default:
        *bad = 1;
        return NULL;
    }
}

static int json_row(struct import *im, const struct mapping *map, struct key_cache *kc, json_t *obj,
                    struct row *r, char (*scratch)[64], const char **field, char *why, size_t whylen)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        int col = COL_NONE, bad = 0;
        if (json_key_col(im, map, kc, key, &col))
            return pt__db_error(im->db, PT_EINVAL, "%s:%lld: key \"%s\" is mapped to an unknown target",
                                im->file_name, (long long)r->line, key);
        if (col == COL_NONE && !im->opts->ignore_unknown)
            return pt__db_error(im->db, PT_EINVAL,
                                "%s:%lld: key \"%s\" is not a known %s field; map it with --map '%s=TARGET' "
                                "or skip it with --map '%s=ignore'",
                                im->file_name, (long long)r->line, key, pt_import_kind_name(im->kind), key, key);
        if (col == COL_NONE || col == COL_IGNORE)
            continue;
        const char *text = json_text(v, scratch[col], &bad);
        if (bad) {
            *field = key;
            snprintf(why, whylen, "expected a string, number, boolean or null");
            return ROW_REJECTED;
        }
        im->present[col] = 1;
        r->v[col] = text;
    }
    return PT_OK;
}

static int import_jsonl(struct import *im, FILE *f, uint64_t total)
{
    struct mapping map;
    char err[512];
    if (mapping_load(&map, im->opts, err, sizeof err))
        return pt__db_error(im->db, PT_EINVAL, "%s", err);
    struct key_cache *kc = calloc(1, sizeof *kc);
    char (*scratch)[64] = calloc(COL__COUNT, 64);
    pt_buf line;
    pt_buf_init(&line, 0);
    size_t max = im->opts->max_record ? im->opts->max_record : (size_t)1 << 20;
    uint64_t offset = 0;
    int rc = kc && scratch ? PT_OK : PT_ENOMEM;
    for (int64_t ln = 1; rc == PT_OK; ln++) {
        int r = read_line(f, &line, max, &offset);
        if (r == 1)
            break;
        struct row mr = {.line = ln, .raw = pt_buf_str(&line), .raw_len = line.len};
        const char *field = "record";
        char why[160] = "";
        json_error_t jerr;
        json_t *obj = NULL;
        if (r == PT_ETOOBIG) {
            snprintf(why, sizeof why, "line longer than %zu bytes", max);
            mr.raw = "";
            mr.raw_len = 0;
        } else if (line.len == 0) {
            continue;
        } else if (!(obj = json_loadb((const char *)line.data, line.len, JSON_REJECT_DUPLICATES, &jerr))) {
            snprintf(why, sizeof why, "invalid JSON at column %d: %s", jerr.column, jerr.text);
        } else if (!json_is_object(obj)) {
            snprintf(why, sizeof why, "expected a JSON object");
        } else {
            int jr = json_row(im, &map, kc, obj, &mr, scratch, &field, why, sizeof why);
            if (jr < 0)
                rc = jr;
            else if (jr == PT_OK)
                rc = feed_row(im, &mr);
        }
        if (rc == PT_OK && why[0]) {
            im->res->run.rows_read++;
            rc = reject_row(im, ln, field, why, mr.raw, mr.raw_len);
            if (rc == PT_OK && im->opts->stop_on_error)
                rc = pt__db_error(im->db, PT_EPARSE, "%s:%lld: %s: %s (stopped; nothing imported)",
                                  im->file_name, (long long)ln, field, why);
        }
        json_decref(obj);
        progress(im, offset, total);
    }
    pt_buf_wipe(&line);
    free(scratch);
    free(kc);
    return rc;
}

/* --- the import -------------------------------------------------------------------------- */

void pt_import_result_init(pt_import_result *res)
{
    memset(res, 0, sizeof *res);
    pt_import_run_rec_init(&res->run);
}

void pt_import_result_free(pt_import_result *res)
{
    pt_import_run_rec_free(&res->run);
}

static int is_jsonl(const char *path, int format)
{
    if (format)
        return format == PT_FORMAT_JSONL;
    const char *dot = strrchr(path, '.');
    return dot && (strcmp(dot, ".jsonl") == 0 || strcmp(dot, ".ndjson") == 0 || strcmp(dot, ".json") == 0);
}

static int missing_json(const struct import *im, pt_buf *out)
{
    json_t *o = json_object();
    for (int c = 1; c < COL__COUNT; c++)
        if (im->missing[c])
            json_object_set_new(o, pt__ingest_col_name(c), json_integer(im->missing[c]));
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    int rc = s ? pt_buf_set(out, s, strlen(s)) : PT_ENOMEM;
    free(s);
    return rc;
}

static int run_begin(struct import *im, const char *path)
{
    pt_import_run_rec *run = &im->res->run;
    snprintf(run->kind, sizeof run->kind, "%s", pt_import_kind_name(im->kind));
    snprintf(run->source, sizeof run->source, "%s", im->opts->source);
    snprintf(run->file, sizeof run->file, "%s", path);
    run->started_at = pt_db_now(im->db);
    int rc = pt_store_import_run_insert(im->store, run);
    return rc ? pt__db_store_error(im->db, rc, "recording the import") : PT_OK;
}

static int run_end(struct import *im)
{
    pt_import_run_rec *run = &im->res->run;
    run->finished_at = pt_db_now(im->db);
    int rc = missing_json(im, &run->missing);
    if (rc == PT_OK)
        rc = pt_store_import_run_update(im->store, run);
    return rc ? pt__db_store_error(im->db, rc, "recording the import") : PT_OK;
}

static int check_opts(pt_db *db, int kind, const pt_import_opts *o)
{
    if (kind < PT_IMPORT_MEMBERS || kind > PT_IMPORT_SURVEYS)
        return pt__db_error(db, PT_EINVAL, "unknown import kind");
    if (!o || !o->source || !o->source[0] || strlen(o->source) >= PT_LABEL_MAX)
        return pt__db_error(db, PT_EINVAL, "--source NAME is required (at most %d bytes)", PT_LABEL_MAX - 1);
    return PT_OK;
}

static int import_in_tx(struct import *im, FILE *f, uint64_t total)
{
    int rc = run_begin(im, im->path);
    if (rc == PT_OK)
        rc = is_jsonl(im->path, im->opts->format) ? import_jsonl(im, f, total) : import_csv(im, f, total);
    if (rc == PT_OK && ferror(f))
        rc = pt__db_error(im->db, PT_EIO, "%s: read error", im->file_name);
    if (rc == PT_OK)
        rc = run_end(im);
    return rc;
}

/* One attempt: the whole file in one transaction. */
static int import_once(struct import *im, FILE *f, uint64_t total)
{
    int rc = pt_store_begin(im->store);
    if (rc)
        return pt__db_store_error(im->db, rc, "starting the import");
    rc = import_in_tx(im, f, total);
    if (rc == PT_OK && (rc = pt_store_commit(im->store)))
        pt__db_store_error(im->db, rc, "committing the import");
    if (rc) {
        if (pt_store_in_tx(im->store))
            pt_store_rollback(im->store);
        im->res->run.rows_accepted = 0;
    }
    return rc;
}

/* Back to the state before the first attempt (`fresh`): a conflict with a concurrent writer
 * (PT_ERETRY) rolled the whole file back, so it is read again from the start with new counts,
 * an empty reject file and no cached identifiers (the rolled-back members are gone). */
static int import_rewind(struct import *im, const struct import *fresh, FILE *f)
{
    if (im->rejects)
        fclose(im->rejects); /* reopened ("w": truncated) by the next reject */
    pt__idmap_free(im->ids);
    *im = *fresh;
    pt_import_run_rec_free(&im->res->run);
    pt_import_run_rec_init(&im->res->run);
    im->res->reject_path[0] = 0;
    im->res->ignored_columns[0] = 0;
    if (fseek(f, 0, SEEK_SET) != 0)
        return pt__db_error(im->db, PT_EIO, "%s: cannot read it again after a conflict", im->file_name);
    clearerr(f);
    return PT_OK;
}

int pt_import_file(pt_db *db, int kind, const char *path, const pt_import_opts *opts, pt_import_result *res)
{
    int rc = check_opts(db, kind, opts);
    if (rc)
        return rc;
    FILE *f = fopen(path, "rb");
    if (!f)
        return pt__db_error(db, PT_EIO, "cannot open %s", path);
    struct stat st;
    uint64_t total = fstat(fileno(f), &st) == 0 ? (uint64_t)st.st_size : 0;
    const char *slash = strrchr(path, '/');
    const struct import fresh = {.db = db, .store = pt_db_store(db), .kind = kind, .path = path,
                                 .file_name = slash ? slash + 1 : path, .opts = opts, .res = res,
                                 .tz = pt_db_config(db)->tz_offset_s};
    struct import im = fresh;
    int outer = !pt_store_in_tx(im.store);
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    for (int i = 0;; i++) {
        rc = import_once(&im, f, total);
        if (rc != PT_ERETRY || !outer || i + 1 == PT__TX_TRIES || (rc = import_rewind(&im, &fresh, f)))
            break;
        pt__tx_backoff(i);
    }
    if (opts->progress)
        opts->progress(opts->progress_ud, total, total, res->run.rows_read);
    if (im.rejects && fclose(im.rejects) != 0 && rc == PT_OK)
        rc = pt__db_error(db, PT_EIO, "writing reject file %s", res->reject_path);
    pt__idmap_free(im.ids);
    fclose(f);
    return rc;
}

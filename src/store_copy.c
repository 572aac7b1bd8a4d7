/* store_copy.c — `store copy`: every table of one store into an empty store of any backend,
 * verified (the contract is in patron/store_copy.h).
 *
 * The copy is planned, then done, then checked, all before the destination commits:
 *  1. Both stores are at the same schema version, outside any transaction, and not the same
 *     store. The source is read inside one transaction (a consistent snapshot), the destination
 *     written inside one (pt_store_begin, so the handles' depth stays right).
 *  2. Tables come from the source's catalogue. Each must be in `table_order` below, the one
 *     place that knows the tables and their dependency order (parents before children); a
 *     table that is not is refused by name, so whoever adds a table to the migrations adds it
 *     here too (test_store_copy.c proves the refusal). The destination must have the same
 *     tables with the same column names (order may differ: columns are matched by name) and
 *     no rows except in meta.
 *  3. Rows stream from the source's reader into the destination's writer, table by table in
 *     that order. Each row is hashed on the way (the checksum of store_copy.h) and the headline
 *     figures are summed. Meta rows the destination already holds with the same value are
 *     skipped; a different value is refused (PT_ESTATE) — for master_key_check that means the
 *     destination was bound to another master key. The destination's stream checks foreign
 *     keys its own way (PostgreSQL per COPY statement, SQLite once after the load: see
 *     load_begin/load_check in store_copy_int.h); a row without its parent fails the copy.
 *  4. Each destination table is read back in the same transaction: rows and checksum must equal
 *     the source's (plus, for meta, the rows it held before); else PT_ECORRUPT naming the table.
 *     Verifying before the commit keeps the promise that a failed copy leaves the destination
 *     as it was, a failed check included. Then the destination commits.
 * Any failure rolls both transactions back. The detail is recorded on the store where it arose
 * and copied into the report.
 */
#include "store_copy_int.h"
#include "patron/error.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every table a store may have, parents before children (foreign keys point backwards in this
 * list; members.merged_into points into its own table, which loads in one statement). */
static const char *const table_order[] = {
    "meta",
    "members",
    "identities",  /* → members */
    "import_runs",
    "orders",      /* → members */
    "items",       /* → orders */
    "events",      /* → members */
    "surveys",     /* → members */
    "merges",      /* → members */
    "merge_moved", /* → merges */
    "conflicts",
    /* the loyalty programme: member-scoped tables reference members(id) only */
    "accounts",
    "ledger_entries",
    "lots",
    "lot_uses",
    "line_earns",
    "idempotency_keys",
    "tier_changes",
    "programmes",
    "audit_log",
    "audit_heads",
    /* rewards, coupons, referrals: member-scoped tables reference members(id) only */
    "reward_stock",
    "reward_redemptions",
    "coupon_codes",
    "coupons",
    "invite_codes",
    "referrals",
    /* campaign caps and budgets */
    "rule_credits",
    "rule_budgets",
    /* model scores (churn): member-scoped, → members */
    "member_scores",
    /* campaigns, triggers, outbox, webhooks (migration 11) */
    "campaigns",
    "campaign_members", /* → campaigns, members */
    "trigger_fires",
    "outbox",
    "webhooks",
    "outbox_deliveries", /* → outbox, webhooks (migration 14) */
    /* API keys of the HTTP server (hashes only): a moved store keeps its clients' keys */
    "api_keys",
};
#define TABLE_ORDER_N ((int)(sizeof table_order / sizeof *table_order))

#define META_ROWS_MAX   4096
#define PROGRESS_EVERY  4096
#define ROW_ENCODED_MAX ((size_t)1 << 30)

int pt__copy_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n >= PT__COPY_NAME_MAX || (name[0] >= '0' && name[0] <= '9'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
            return 0;
    return 1;
}

/* --- state ---------------------------------------------------------------------------------- */

struct side {
    pt_store                     *s;
    const struct pt__copy_stream *io;
};

struct meta_row {
    char    *key;
    uint8_t *val;
    size_t   val_len;
    uint64_t hash;
};

/* One table: its columns on both sides (the destination's in the source's order), what the
 * destination held before (meta only) and where the figures headline columns are. */
struct plan {
    char                  name[PT__COPY_NAME_MAX];
    struct pt__copy_cols  src, dst;
    int                   by_name[PT__COPY_COLS_MAX]; /* source column indices, names ascending */
    int64_t               rows_expected;  /* source count, for progress */
    int64_t               pre_rows;       /* rows the destination held before (meta) and keeps */
    uint64_t              pre_sum;
    int                   key_col, val_col;       /* meta */
    int                   is_members, is_orders;  /* tables whose rows are headline counts */
    int                   amount_col, points_col; /* orders.amount_cents, ledger_entries.points */
    pt_store_copy_table  *rep;
};

struct copy {
    struct side                from, to;
    const pt_store_copy_opts  *opts;
    pt_store_copy_report      *rep;
    pt_store                  *failed; /* where the failure was recorded */
    struct plan               *plans;
    int                        nplans;
    struct meta_row           *meta;   /* destination's meta rows before the copy */
    int                        nmeta;
    pt_buf                     enc;    /* a row's canonical encoding */
    uint64_t                   done, total;
    int                        load_saved; /* what load_begin changed, for load_end */
    /* the pass in progress */
    struct plan               *cur;
    struct pt__copy_writer    *writer;
    int64_t                    pass_rows;
    uint64_t                   pass_sum;
};

static int fail(struct copy *c, pt_store *s, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(struct copy *c, pt_store *s, int rc, const char *fmt, ...)
{
    char msg[480];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!c->failed)
        c->failed = s;
    return pt__store_error(s, rc, "store copy: %s", msg);
}

/* Notes which store a stream failure was recorded on (the first one wins). */
static int on(struct copy *c, pt_store *s, int rc)
{
    if (rc && !c->failed)
        c->failed = s;
    return rc;
}

static const struct pt__copy_stream *stream_of(pt_store *s)
{
    if (pt__store_sqlite_handle(s))
        return &pt__copy_sqlite;
    if (pt__store_pg_conn(s))
        return &pt__copy_pg;
    return NULL;
}

/* --- checksum and figures ------------------------------------------------------------------- */

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* The row's canonical encoding, hashed: the columns in the order of their names (backends may
 * order a table's columns differently), each as a tag (0 NULL, 1 integer, 2 bytes), then the
 * integer as 8 bytes little-endian, or the length (8 bytes) and the bytes. Text and blobs
 * encode alike, so a text column copied into a bytea one checks equal. v is in the source's
 * column order (both passes read in it). */
static int row_hash(struct copy *c, const struct plan *p, const struct pt__copy_value *v, uint64_t *out)
{
    static const unsigned char zero_key[crypto_shorthash_KEYBYTES];
    uint8_t head[9];
    int rc = PT_OK;
    pt_buf_reset(&c->enc);
    for (int k = 0; rc == PT_OK && k < p->src.n; k++) {
        const struct pt__copy_value *x = &v[p->by_name[k]];
        head[0] = x->kind == PT__CV_NULL ? 0 : x->kind == PT__CV_INT ? 1 : 2;
        put_le64(head + 1, x->kind == PT__CV_INT ? (uint64_t)x->i : (uint64_t)x->n);
        rc = pt_buf_append(&c->enc, head, head[0] ? 9 : 1);
        if (rc == PT_OK && head[0] == 2 && x->n)
            rc = pt_buf_append(&c->enc, x->p, x->n);
    }
    if (rc)
        return rc;
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, c->enc.data ? c->enc.data : (const unsigned char *)"", c->enc.len, zero_key);
    *out = 0;
    for (int i = 7; i >= 0; i--)
        *out = *out << 8 | h[i];
    return PT_OK;
}

static int64_t add_wrap(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

static void add_figures(const struct plan *p, const struct pt__copy_value *v, pt_store_copy_figures *f)
{
    f->members += p->is_members;
    f->orders += p->is_orders;
    if (p->amount_col >= 0 && v[p->amount_col].kind == PT__CV_INT)
        f->order_cents = add_wrap(f->order_cents, v[p->amount_col].i);
    if (p->points_col >= 0 && v[p->points_col].kind == PT__CV_INT)
        f->points = add_wrap(f->points, v[p->points_col].i);
}

static void report(struct copy *c)
{
    if (c->opts && c->opts->progress)
        c->opts->progress(c->opts->progress_ud, c->done, c->total, c->rep->rows_total);
}

/* One more row handled (copied or read back). */
static void tick(struct copy *c)
{
    c->done++;
    if (c->done % PROGRESS_EVERY == 0)
        report(c);
}

/* --- planning ------------------------------------------------------------------------------- */

static int order_of(const char *table)
{
    for (int i = 0; i < TABLE_ORDER_N; i++)
        if (strcmp(table_order[i], table) == 0)
            return i;
    return -1;
}

static int col_index(const struct pt__copy_cols *cols, const char *name)
{
    for (int i = 0; i < cols->n; i++)
        if (strcmp(cols->name[i], name) == 0)
            return i;
    return -1;
}

static int has_table(char (*names)[PT__COPY_NAME_MAX], int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

/* The source's tables in table_order; both stores must have the same set. */
static int plan_tables(struct copy *c)
{
    char (*src)[PT__COPY_NAME_MAX] = calloc(2 * PT_STORE_COPY_TABLES_MAX, PT__COPY_NAME_MAX);
    char (*dst)[PT__COPY_NAME_MAX] = src ? src + PT_STORE_COPY_TABLES_MAX : NULL;
    int ns = 0, nd = 0, rc = PT_OK;
    if (!src)
        return fail(c, c->to.s, PT_ENOMEM, "out of memory");
    rc = on(c, c->from.s, c->from.io->tables(c->from.s, src, PT_STORE_COPY_TABLES_MAX, &ns));
    if (rc == PT_OK)
        rc = on(c, c->to.s, c->to.io->tables(c->to.s, dst, PT_STORE_COPY_TABLES_MAX, &nd));
    for (int i = 0; rc == PT_OK && i < ns; i++) {
        if (order_of(src[i]) < 0)
            rc = fail(c, c->from.s, PT_ESCHEMA, "the source has a table \"%s\" that store copy does not know; add it"
                      " to table_order in src/store_copy.c (after the tables it references)", src[i]);
        else if (!has_table(dst, nd, src[i]))
            rc = fail(c, c->to.s, PT_ESCHEMA, "the destination has no table %s", src[i]);
    }
    for (int i = 0; rc == PT_OK && i < nd; i++)
        if (!has_table(src, ns, dst[i]))
            rc = fail(c, c->to.s, PT_ESCHEMA, "the destination has a table %s that the source lacks", dst[i]);
    for (int k = 0; rc == PT_OK && k < TABLE_ORDER_N; k++)
        if (has_table(src, ns, table_order[k]))
            snprintf(c->plans[c->nplans++].name, PT__COPY_NAME_MAX, "%s", table_order[k]);
    free(src);
    return rc;
}

/* p->by_name: the source's column indices ordered by name (insertion sort: tables are narrow). */
static void sort_by_name(struct plan *p)
{
    for (int i = 0; i < p->src.n; i++) {
        int j = i;
        for (; j > 0 && strcmp(p->src.name[p->by_name[j - 1]], p->src.name[i]) > 0; j--)
            p->by_name[j] = p->by_name[j - 1];
        p->by_name[j] = i;
    }
}

/* Destination columns in the source's order; the two sets of names must be equal. */
static int plan_columns(struct copy *c, struct plan *p)
{
    struct pt__copy_cols *d = calloc(1, sizeof *d);
    if (!d)
        return fail(c, c->to.s, PT_ENOMEM, "out of memory");
    int rc = on(c, c->from.s, c->from.io->columns(c->from.s, p->name, &p->src));
    if (rc == PT_OK)
        rc = on(c, c->to.s, c->to.io->columns(c->to.s, p->name, d));
    for (int i = 0; rc == PT_OK && i < p->src.n; i++) {
        int j = col_index(d, p->src.name[i]);
        if (j < 0)
            rc = fail(c, c->to.s, PT_ESCHEMA, "the destination's table %s has no column %s", p->name, p->src.name[i]);
        else {
            snprintf(p->dst.name[i], PT__COPY_NAME_MAX, "%s", d->name[j]);
            p->dst.type[i] = d->type[j];
            p->dst.has_seq[i] = d->has_seq[j];
        }
    }
    for (int j = 0; rc == PT_OK && j < d->n; j++)
        if (col_index(&p->src, d->name[j]) < 0)
            rc = fail(c, c->to.s, PT_ESCHEMA, "the destination's table %s has a column %s that the source lacks",
                      p->name, d->name[j]);
    p->dst.n = p->src.n;
    free(d);
    sort_by_name(p);
    return rc;
}

static int keep_meta_row(void *ud, const struct pt__copy_value *v, int n)
{
    struct copy *c = ud;
    struct plan *p = c->cur;
    (void)n;
    if (c->nmeta == META_ROWS_MAX)
        return fail(c, c->to.s, PT_ETOOBIG, "the destination's meta has more than %d rows", META_ROWS_MAX);
    const struct pt__copy_value *k = &v[p->key_col], *val = &v[p->val_col];
    struct meta_row *m = &c->meta[c->nmeta];
    int rc = row_hash(c, p, v, &m->hash);
    if (rc)
        return fail(c, c->to.s, rc, "meta row too big");
    m->key = calloc(1, k->n + 1);
    m->val = malloc(val->n + 1);
    if (!m->key || !m->val) {
        free(m->key);
        free(m->val);
        *m = (struct meta_row){0};
        return fail(c, c->to.s, PT_ENOMEM, "out of memory");
    }
    if (k->n)
        memcpy(m->key, k->p, k->n);
    if (val->n)
        memcpy(m->val, val->p, val->n);
    m->val_len = val->n;
    c->nmeta++;
    p->pre_rows++;
    p->pre_sum += m->hash;
    return PT_OK;
}

/* The destination holds no rows, except in meta, whose rows are remembered. */
static int plan_emptiness(struct copy *c, struct plan *p)
{
    if (strcmp(p->name, "meta") == 0) {
        p->key_col = col_index(&p->src, "key");
        p->val_col = col_index(&p->src, "value");
        if (p->key_col < 0 || p->val_col < 0)
            return fail(c, c->to.s, PT_ESCHEMA, "table meta has no key and value columns");
        c->cur = p;
        return on(c, c->to.s, c->to.io->read(c->to.s, p->name, &p->dst, keep_meta_row, c));
    }
    int64_t rows = 0;
    int rc = on(c, c->to.s, c->to.io->count(c->to.s, p->name, &rows));
    if (rc == PT_OK && rows > 0)
        rc = fail(c, c->to.s, PT_ESTATE, "the destination is not empty: its table %s holds %lld rows; copy into a"
                  " new store", p->name, (long long)rows);
    return rc;
}

static int plan_table(struct copy *c, struct plan *p)
{
    p->key_col = p->val_col = -1;
    int rc = plan_columns(c, p);
    if (rc == PT_OK)
        rc = on(c, c->from.s, c->from.io->count(c->from.s, p->name, &p->rows_expected));
    if (rc == PT_OK)
        rc = plan_emptiness(c, p);
    p->is_members = strcmp(p->name, "members") == 0;
    p->is_orders = strcmp(p->name, "orders") == 0;
    p->amount_col = p->is_orders ? col_index(&p->src, "amount_cents") : -1;
    p->points_col = strcmp(p->name, "ledger_entries") == 0 ? col_index(&p->src, "points") : -1;
    if (p->points_col >= 0)
        c->rep->has_ledger = 1;
    c->total += 2 * (uint64_t)p->rows_expected;
    return rc;
}

static int plan_all(struct copy *c)
{
    c->plans = calloc(PT_STORE_COPY_TABLES_MAX, sizeof *c->plans);
    c->meta = calloc(META_ROWS_MAX, sizeof *c->meta);
    if (!c->plans || !c->meta)
        return fail(c, c->to.s, PT_ENOMEM, "out of memory");
    int rc = plan_tables(c);
    for (int i = 0; rc == PT_OK && i < c->nplans; i++) {
        struct plan *p = &c->plans[i];
        p->rep = &c->rep->tables[c->rep->ntables++];
        snprintf(p->rep->name, sizeof p->rep->name, "%s", p->name);
        rc = plan_table(c, p);
    }
    return rc;
}

/* --- copying and checking ------------------------------------------------------------------- */

/* A source meta row: PT_OK to write it, 1 when the destination has it already, or a refusal. */
static int meta_check(struct copy *c, const struct pt__copy_value *v, uint64_t h)
{
    struct plan *p = c->cur;
    const struct pt__copy_value *k = &v[p->key_col], *val = &v[p->val_col];
    for (int i = 0; i < c->nmeta; i++) {
        struct meta_row *m = &c->meta[i];
        if (strlen(m->key) != k->n || (k->n && memcmp(m->key, k->p, k->n) != 0))
            continue;
        if (m->val_len == val->n && (val->n == 0 || memcmp(m->val, val->p, val->n) == 0) && m->hash == h) {
            p->pre_rows--;
            p->pre_sum -= h;
            return 1;
        }
        if (strcmp(m->key, "master_key_check") == 0)
            return fail(c, c->to.s, PT_ESTATE, "the destination is bound to another master key (its meta"
                        " master_key_check differs from the source's); copy into a store not initialised with"
                        " another key");
        return fail(c, c->to.s, PT_ESTATE, "the destination's meta %s differs from the source's", m->key);
    }
    return PT_OK;
}

static int on_source_row(void *ud, const struct pt__copy_value *v, int n)
{
    struct copy *c = ud;
    struct plan *p = c->cur;
    uint64_t h;
    int rc = row_hash(c, p, v, &h);
    (void)n;
    if (rc)
        return fail(c, c->from.s, rc, "a row of %s is too big", p->name);
    p->rep->rows_source++;
    p->rep->sum_source += h;
    add_figures(p, v, &c->rep->source);
    rc = p->key_col >= 0 ? meta_check(c, v, h) : PT_OK;
    if (rc == 1) {
        tick(c);
        return PT_OK;
    }
    if (rc == PT_OK)
        rc = on(c, c->to.s, c->to.io->writer_row(c->writer, v));
    if (rc == PT_OK) {
        p->rep->rows_copied++;
        c->rep->rows_total++;
        tick(c);
    }
    return rc;
}

static int copy_table(struct copy *c, struct plan *p)
{
    c->cur = p;
    int rc = on(c, c->to.s, c->to.io->writer_open(c->to.s, p->name, &p->dst, &c->writer));
    if (rc == PT_OK)
        rc = on(c, c->from.s, c->from.io->read(c->from.s, p->name, &p->src, on_source_row, c));
    if (c->writer) {
        int crc = on(c, c->to.s, c->to.io->writer_close(c->writer, rc == PT_OK));
        c->writer = NULL;
        if (rc == PT_OK)
            rc = crc;
    }
    if (rc == PT_OK)
        rc = on(c, c->to.s, c->to.io->table_loaded(c->to.s, p->name, &p->dst));
    report(c);
    return rc;
}

static int on_dest_row(void *ud, const struct pt__copy_value *v, int n)
{
    struct copy *c = ud;
    uint64_t h;
    int rc = row_hash(c, c->cur, v, &h);
    (void)n;
    if (rc)
        return fail(c, c->to.s, rc, "a row of %s is too big", c->cur->name);
    c->pass_rows++;
    c->pass_sum += h;
    add_figures(c->cur, v, &c->rep->destination);
    tick(c);
    return PT_OK;
}

static int verify_table(struct copy *c, struct plan *p)
{
    c->cur = p;
    c->pass_rows = 0;
    c->pass_sum = 0;
    int rc = on(c, c->to.s, c->to.io->read(c->to.s, p->name, &p->dst, on_dest_row, c));
    if (rc)
        return rc;
    p->rep->rows_destination = c->pass_rows;
    p->rep->sum_destination = c->pass_sum;
    p->rep->ok = c->pass_rows == p->rep->rows_source + p->pre_rows && c->pass_sum == p->rep->sum_source + p->pre_sum;
    if (!p->rep->ok)
        return fail(c, c->to.s, PT_ECORRUPT, "table %s reads back as %lld rows with checksum %016llx; expected %lld"
                    " rows with checksum %016llx", p->name, (long long)c->pass_rows, (unsigned long long)c->pass_sum,
                    (long long)(p->rep->rows_source + p->pre_rows),
                    (unsigned long long)(p->rep->sum_source + p->pre_sum));
    return PT_OK;
}

/* --- the whole copy ------------------------------------------------------------------------- */

static int check_stores(struct copy *c)
{
    int vf = 0, vt = 0;
    if (!c->from.io || !c->to.io)
        return fail(c, c->from.io ? c->to.s : c->from.s, PT_EINVAL, "unknown store backend");
    if (pt_store_in_tx(c->from.s) || pt_store_in_tx(c->to.s))
        return fail(c, pt_store_in_tx(c->from.s) ? c->from.s : c->to.s, PT_ESTATE,
                    "a store is inside a transaction; copy between stores that are not");
    int rc = on(c, c->from.s, pt_store_schema_version(c->from.s, &vf));
    if (rc == PT_OK)
        rc = on(c, c->to.s, pt_store_schema_version(c->to.s, &vt));
    if (rc == PT_OK && vf != vt)
        rc = fail(c, c->to.s, PT_ESCHEMA, "the source has schema version %d and the destination %d; both must be"
                  " at the same version (opening a store with this program brings it to %s)", vf, vt,
                  vf > vt ? "the source's" : "the destination's");
    c->rep->schema_version = vf;
    char wf[4400] = "", wt[4400] = "";
    if (rc == PT_OK)
        rc = on(c, c->from.s, c->from.io->where(c->from.s, wf, sizeof wf));
    if (rc == PT_OK)
        rc = on(c, c->to.s, c->to.io->where(c->to.s, wt, sizeof wt));
    if (rc == PT_OK && strcmp(wf, wt) == 0)
        rc = fail(c, c->to.s, PT_EINVAL, "the source and the destination are the same store");
    return rc;
}

static int copy_and_verify(struct copy *c)
{
    int rc = plan_all(c);
    for (int i = 0; rc == PT_OK && i < c->nplans; i++)
        rc = copy_table(c, &c->plans[i]);
    if (rc == PT_OK)
        rc = on(c, c->to.s, c->to.io->load_check(c->to.s));
    for (int i = 0; rc == PT_OK && i < c->nplans; i++)
        rc = verify_table(c, &c->plans[i]);
    if (rc == PT_OK)
        report(c);
    return rc;
}

static void free_copy(struct copy *c)
{
    for (int i = 0; c->meta && i < c->nmeta; i++) {
        free(c->meta[i].key);
        free(c->meta[i].val);
    }
    free(c->meta);
    free(c->plans);
    pt_buf_free(&c->enc);
}

int pt_store_copy(pt_store *from, pt_store *to, const pt_store_copy_opts *opts, pt_store_copy_report *rep)
{
    pt_store_copy_report scratch;
    if (!rep)
        rep = &scratch;
    memset(rep, 0, sizeof *rep);
    struct copy c = {.from = {from, stream_of(from)}, .to = {to, stream_of(to)}, .opts = opts, .rep = rep};
    pt_buf_init(&c.enc, ROW_ENCODED_MAX);
    int rc = sodium_init() < 0 ? fail(&c, to, PT_ECRYPTO, "libsodium did not initialise") : PT_OK;
    if (rc == PT_OK)
        rc = check_stores(&c);
    int in_from = 0, in_to = 0, loading = 0;
    if (rc == PT_OK) {
        rc = on(&c, from, pt_store_begin(from));
        in_from = rc == PT_OK;
    }
    if (rc == PT_OK) {
        rc = on(&c, to, c.to.io->load_begin(to, &c.load_saved));
        loading = rc == PT_OK;
    }
    if (rc == PT_OK) {
        rc = on(&c, to, pt_store_begin(to));
        in_to = rc == PT_OK;
    }
    if (rc == PT_OK)
        rc = copy_and_verify(&c);
    if (rc == PT_OK)
        rc = on(&c, to, pt_store_commit(to));
    if (rc) /* before the rollbacks, which may record messages of their own */
        snprintf(rep->errmsg, sizeof rep->errmsg, "%s%s",
                 c.failed == from ? "source: " : c.failed == to ? "destination: " : "",
                 c.failed ? pt_store_errmsg(c.failed) : pt_strerror(rc));
    if (in_to && pt_store_in_tx(to))
        pt_store_rollback(to); /* a failure before or at the commit: nothing of the copy stays */
    if (in_from)
        pt_store_rollback(from); /* only read: nothing to keep */
    if (loading)
        c.to.io->load_end(to, c.load_saved);
    free_copy(&c);
    return rc;
}

int pt_store_table_counts(pt_store *s, pt_store_table_count *out, int cap, int *n)
{
    const struct pt__copy_stream *io = stream_of(s);
    *n = 0;
    if (!io)
        return pt__store_error(s, PT_EINVAL, "store copy: unknown store backend");
    char (*names)[PT__COPY_NAME_MAX] = calloc(PT_STORE_COPY_TABLES_MAX, PT__COPY_NAME_MAX);
    if (!names)
        return pt__store_error(s, PT_ENOMEM, "out of memory");
    int nt = 0;
    int rc = io->tables(s, names, PT_STORE_COPY_TABLES_MAX, &nt);
    for (int i = 0; rc == PT_OK && i < nt; i++) {
        if (*n == cap) {
            rc = pt__store_error(s, PT_ETOOBIG, "more than %d tables", cap);
            break;
        }
        snprintf(out[*n].name, sizeof out[*n].name, "%s", names[i]);
        rc = io->count(s, names[i], &out[*n].rows);
        (*n)++;
    }
    free(names);
    return rc;
}

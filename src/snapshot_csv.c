/* snapshot_csv.c — a snapshot from a transactions CSV (pt_snapshot_load_transactions; the
 * contract is in snapshot.h, the column names and cleaning rules in docs/rfm.md).
 *
 * Two passes over memory, one over the file: every kept row becomes a struct txrow (member key,
 * invoice, time, product, quantity, cents); the rows are sorted by (member, invoice) to give
 * each invoice its earliest time, then by (member, order time, invoice, row) — the snapshot's
 * order — and walked once to fill the CSR columns. Names (member ids, invoices, products,
 * categories) are interned with the snapshot builders' hash table (snapshot_names.c). On any
 * failure nothing is returned and errmsg says where: "FILE:LINE: column 'NAME': reason". */
#include "patron/csv.h"
#include "patron/error.h"
#include "patron/normalize.h"
#include "patron/snapshot.h"
#include "patron/types.h"
#include "snapshot_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { C_ID, C_DATE, C_AMOUNT, C_ITEM, C_QTY, C_PRICE, C_INVOICE, C_DESC, C_CATEGORY, C__COUNT };

/* The usual header names of each column, tried in order when no name is given. */
static const char *const USUAL[C__COUNT][8] = {
    [C_ID] = {"customer_id", "CustomerID", "member_id", "member", "customer", "user_id", "id", NULL},
    [C_DATE] = {"date", "InvoiceDate", "ordered_at", "order_date", "time", "datetime", NULL},
    [C_AMOUNT] = {"amount", "sales", "revenue", "total", "order_amount", NULL},
    [C_ITEM] = {"StockCode", "sku", "item", "product", "product_id", "item_id", NULL},
    [C_QTY] = {"Quantity", "qty", NULL},
    [C_PRICE] = {"UnitPrice", "unit_price", "price", NULL},
    [C_INVOICE] = {"InvoiceNo", "invoice", "invoice_no", "order_no", "order_id", NULL},
    [C_DESC] = {"Description", "product_name", "item_name", NULL},
    [C_CATEGORY] = {"category", "product_category", NULL},
};

/* Codes that are charges, postage or adjustments rather than products (Online Retail). */
static const char *const NON_PRODUCT[] = {"POST", "DOT", "C2", "D",           "M",         "m",
                                          "S",    "B",   "BANK CHARGES", "AMAZONFEE", "CRUK"};

static const char *const DROP_REASON[PT_TX_DROP__COUNT] = {
    [PT_TX_NO_ID] = "no member id",
    [PT_TX_CANCELLED] = "cancelled (invoice starting with C)",
    [PT_TX_RETURN] = "return (quantity <= 0)",
    [PT_TX_NO_PRICE] = "no price (unit price <= 0)",
    [PT_TX_NON_PRODUCT] = "non-product code (postage, fees, adjustments)",
    [PT_TX_NEGATIVE] = "negative amount",
    [PT_TX_SUB_CENT] = "line amount not whole cents",
};

const char *pt_tx_drop_reason(int rule)
{
    return rule >= 0 && rule < PT_TX_DROP__COUNT ? DROP_REASON[rule] : "?";
}

struct txrow {
    int64_t num;     /* numeric member id, or −1 */
    int64_t at;      /* row time */
    int64_t oat;     /* its order's time (earliest row of the invoice) */
    int64_t seq;     /* row number among kept rows */
    int64_t qty;
    int64_t cents;   /* row (line) amount */
    int64_t key;     /* member id in the snapshot */
    int32_t sid;     /* interned member id string */
    int32_t inv;     /* interned invoice, or −1 (then the row is its own order) */
    int32_t product; /* −1 without an item column */
};

struct loader {
    const char      *name;
    int              col[C__COUNT]; /* field index, or −1 */
    const pt_tx_opts *o;
    pt_tx_report    *rep;
    struct txrow    *rows;
    size_t           nrows, cap;
    int              all_numeric;
    struct pt__names ids, invoices, products, categories;
    int32_t         *product_category;
    size_t           cap_pc;
    char           (*product_name)[PT_SNAPSHOT_PRODUCT_NAME];
    size_t           cap_pn, npn;   /* npn: names set so far */
    int              has_names;     /* some product had a description */
    char            *err;
    size_t           errlen;
};

static int fail(struct loader *l, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct loader *l, int rc, const char *fmt, ...)
{
    if (l->err && l->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(l->err, l->errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* --- the header ----------------------------------------------------------------------------- */

static int find_col(const pt_csv_row *h, const char *name)
{
    char want[128], have[128];
    if (pt_norm_trim(name, want, sizeof want))
        return -1;
    for (size_t i = 0; i < h->nfields; i++)
        if (pt_norm_trim(h->field[i], have, sizeof have) == PT_OK && strcasecmp(have, want) == 0)
            return (int)i;
    return -1;
}

static int resolve(struct loader *l, const pt_csv_row *h)
{
    const pt_tx_opts *o = l->o;
    const char *given[C__COUNT] = {o->id_col,    o->date_col,    o->amount_col, o->item_col, o->qty_col,
                                   o->price_col, o->invoice_col, o->desc_col,   o->category_col};
    static const char *const what[C__COUNT] = {"member id", "date", "amount", "item",    "quantity",
                                               "price",     "invoice", "description", "category"};
    for (int c = 0; c < C__COUNT; c++) {
        l->col[c] = -1;
        if (given[c] && given[c][0]) {
            l->col[c] = find_col(h, given[c]);
            if (l->col[c] < 0)
                return fail(l, PT_EPARSE, "%s:%lld: no %s column '%s' in the header", l->name, (long long)h->line,
                            what[c], given[c]);
        }
        for (int k = 0; l->col[c] < 0 && !given[c] && USUAL[c][k]; k++)
            l->col[c] = find_col(h, USUAL[c][k]);
        if (l->col[c] >= 0)
            pt__copy_cut(l->rep->col[c], sizeof l->rep->col[c], h->field[l->col[c]]);
    }
    if (l->col[C_ID] < 0 || l->col[C_DATE] < 0)
        return fail(l, PT_EPARSE, "%s:%lld: the header names no %s column (give --%s-col)", l->name,
                    (long long)h->line, l->col[C_ID] < 0 ? "member id" : "date", l->col[C_ID] < 0 ? "id" : "date");
    if (l->col[C_AMOUNT] < 0 && (l->col[C_QTY] < 0 || l->col[C_PRICE] < 0))
        return fail(l, PT_EPARSE, "%s:%lld: the header names no amount column, nor quantity and price (give --amount-col)",
                    l->name, (long long)h->line);
    return PT_OK;
}

/* --- one row --------------------------------------------------------------------------------- */

/* A price as a decimal with at most 4 decimals, in 1/10,000 of the currency unit. */
static int parse_price(const char *in, int64_t *e4, char *why)
{
    char s[64];
    if (pt_norm_trim(in, s, sizeof s) || !s[0]) {
        snprintf(why, PT_WHY_MAX, "not a price");
        return PT_EPARSE;
    }
    const char *p = s;
    int neg = *p == '-';
    p += *p == '-' || *p == '+';
    int64_t v = 0;
    int digits = 0, decimals = -1;
    for (; *p; p++) {
        if (*p == '.' && decimals < 0) {
            decimals = 0;
            continue;
        }
        if (*p < '0' || *p > '9' || decimals == 4 || v > INT64_MAX / 100) {
            snprintf(why, PT_WHY_MAX, "not a price with at most 4 decimals");
            return PT_EPARSE;
        }
        v = v * 10 + (*p - '0');
        digits++;
        decimals += decimals >= 0;
    }
    if (!digits || v > (int64_t)1e15) {
        snprintf(why, PT_WHY_MAX, digits ? "price too large" : "not a price");
        return PT_EPARSE;
    }
    for (int d = decimals < 0 ? 0 : decimals; d < 4; d++)
        v *= 10;
    *e4 = neg ? -v : v;
    return PT_OK;
}

static int is_non_product(const char *code)
{
    for (size_t k = 0; k < sizeof NON_PRODUCT / sizeof *NON_PRODUCT; k++)
        if (strcmp(code, NON_PRODUCT[k]) == 0)
            return 1;
    return 0;
}

static const char *field(const pt_csv_row *r, int col)
{
    return col >= 0 && (size_t)col < r->nfields ? r->field[col] : "";
}

static int bad(struct loader *l, const pt_csv_row *r, int c, const char *why)
{
    return fail(l, PT_EPARSE, "%s:%lld: column '%s': %s", l->name, (long long)r->line, l->rep->col[c], why);
}

/* The quantity and price rules; *drop set to the rule that drops the row, else −1. */
static int qty_price(struct loader *l, const pt_csv_row *r, struct txrow *t, int64_t *price_e4, int *drop)
{
    char why[PT_WHY_MAX] = "";
    t->qty = 1;
    if (l->col[C_QTY] >= 0 && pt_norm_int(field(r, l->col[C_QTY]), -1000000000, 1000000000, &t->qty, why))
        return bad(l, r, C_QTY, why);
    if (t->qty <= 0) {
        *drop = PT_TX_RETURN;
        return PT_OK;
    }
    *price_e4 = 0;
    if (l->col[C_PRICE] >= 0) {
        if (parse_price(field(r, l->col[C_PRICE]), price_e4, why))
            return bad(l, r, C_PRICE, why);
        if (*price_e4 <= 0)
            *drop = PT_TX_NO_PRICE;
    }
    return PT_OK;
}

/* The row's amount in cents: the amount column, else quantity × price (whole cents or dropped). */
static int amount(struct loader *l, const pt_csv_row *r, struct txrow *t, int64_t price_e4, int *drop)
{
    char why[PT_WHY_MAX] = "";
    if (l->col[C_AMOUNT] >= 0) {
        if (pt_norm_money(field(r, l->col[C_AMOUNT]), &t->cents, why))
            return bad(l, r, C_AMOUNT, why);
        if (t->cents < 0)
            *drop = PT_TX_NEGATIVE;
        return PT_OK;
    }
    int64_t e4;
    if (__builtin_mul_overflow(t->qty, price_e4, &e4))
        return bad(l, r, C_PRICE, "quantity × price too large");
    if (e4 % 100)
        *drop = PT_TX_SUB_CENT;
    t->cents = e4 / 100;
    return PT_OK;
}

/* Interns the row's product, keeping the description column in step: a product's name is the
 * first non-empty description seen for it (the same code may come with several). */
static int product(struct loader *l, const pt_csv_row *r, const char *code, struct txrow *t)
{
    char cat[PT_CATEGORY_MAX] = "";
    if (l->col[C_CATEGORY] >= 0 && pt_norm_trim(field(r, l->col[C_CATEGORY]), cat, sizeof cat))
        return bad(l, r, C_CATEGORY, "longer than 63 bytes");
    int rc = pt__snapshot_product(&l->products, &l->categories, &l->product_category, &l->cap_pc, code, cat,
                                  &t->product);
    if (rc || l->col[C_DESC] < 0)
        return rc;
    rc = pt__grow((void **)&l->product_name, &l->cap_pn, l->products.n, sizeof *l->product_name);
    if (rc)
        return rc;
    while (l->npn < l->products.n)
        l->product_name[l->npn++][0] = '\0';
    char *name = l->product_name[t->product];
    if (!name[0]) {
        char d[PT_SNAPSHOT_PRODUCT_NAME * 2];
        if (pt_norm_trim(field(r, l->col[C_DESC]), d, sizeof d) == PT_ETOOBIG)
            pt__copy_cut(d, sizeof d, field(r, l->col[C_DESC]));
        pt__copy_cut(name, PT_SNAPSHOT_PRODUCT_NAME, d);
        l->has_names |= name[0] != '\0';
    }
    return PT_OK;
}

/* The member id: kept as a string (interned), and as a number while every id is one. */
static int member(struct loader *l, const pt_csv_row *r, const char *id, struct txrow *t)
{
    if (strlen(id) >= PT_SNAPSHOT_EXT_ID)
        return bad(l, r, C_ID, "longer than 63 bytes");
    int64_t v = -1;
    if (l->all_numeric && pt_norm_int(id, 1, INT64_MAX / 2, &v, NULL) != PT_OK) {
        l->all_numeric = 0;
        v = -1;
    }
    t->num = v;
    return pt__names_intern(&l->ids, id, &t->sid);
}

static int push(struct loader *l, const struct txrow *t)
{
    int rc = pt__grow((void **)&l->rows, &l->cap, l->nrows + 1, sizeof *l->rows);
    if (rc == PT_OK)
        l->rows[l->nrows++] = *t;
    return rc;
}

/* One data row: the cleaning rules in their documented order, then the values. */
static int take_row(struct loader *l, const pt_csv_row *r)
{
    char id[PT_SNAPSHOT_EXT_ID * 2], inv[64] = "", code[PT_SKU_MAX] = "", why[PT_WHY_MAX] = "";
    struct txrow t = {.inv = -1, .product = -1, .seq = (int64_t)l->nrows};
    int drop = -1;
    if (pt_norm_trim(field(r, l->col[C_ID]), id, sizeof id))
        return bad(l, r, C_ID, "longer than 63 bytes");
    if (l->col[C_INVOICE] >= 0 && pt_norm_trim(field(r, l->col[C_INVOICE]), inv, sizeof inv))
        return bad(l, r, C_INVOICE, "longer than 63 bytes");
    if (l->col[C_ITEM] >= 0 && pt_norm_trim(field(r, l->col[C_ITEM]), code, sizeof code))
        return bad(l, r, C_ITEM, "longer than 63 bytes");
    int64_t price_e4 = 0;
    int rc = PT_OK;
    if (!id[0])
        drop = PT_TX_NO_ID;
    else if (inv[0] == 'C' || inv[0] == 'c')
        drop = PT_TX_CANCELLED;
    else
        rc = qty_price(l, r, &t, &price_e4, &drop);
    if (rc == PT_OK && drop < 0 && l->col[C_ITEM] >= 0 && is_non_product(code))
        drop = PT_TX_NON_PRODUCT;
    if (rc == PT_OK && drop < 0 && pt_norm_time(field(r, l->col[C_DATE]), l->o->tz_offset_s, &t.at, why))
        rc = bad(l, r, C_DATE, why);
    if (rc == PT_OK && drop < 0)
        rc = amount(l, r, &t, price_e4, &drop);
    if (rc)
        return rc;
    if (drop >= 0) {
        l->rep->dropped[drop]++;
        return PT_OK;
    }
    if (l->col[C_ITEM] >= 0 && !code[0])
        return bad(l, r, C_ITEM, "empty");
    rc = member(l, r, id, &t);
    if (rc == PT_OK && inv[0])
        rc = pt__names_intern(&l->invoices, inv, &t.inv);
    if (rc == PT_OK && l->col[C_ITEM] >= 0)
        rc = product(l, r, code, &t);
    if (rc == PT_OK)
        rc = push(l, &t);
    l->rep->used += rc == PT_OK;
    return rc;
}

/* The header, then every data row; blank lines are not rows. */
static int read_rows(struct loader *l, FILE *f)
{
    pt_csv *c = NULL;
    char err[256];
    pt_csv_opts co = {.max_record = 64 << 10, .max_fields = 256};
    if (pt_csv_open(&c, f, &co, err, sizeof err))
        return fail(l, PT_EPARSE, "%s: %s", l->name, err);
    pt_csv_row r;
    int rc = pt_csv_next(c, &r);
    if (rc == 1)
        rc = fail(l, PT_EPARSE, "%s: empty file: no header row", l->name);
    else if (rc == PT_OK)
        rc = resolve(l, &r);
    else if (rc == PT_EPARSE || rc == PT_ETOOBIG)
        rc = fail(l, PT_EPARSE, "%s: %s", l->name, pt_csv_error(c));
    while (rc == PT_OK) {
        rc = pt_csv_next(c, &r);
        if (rc == PT_EPARSE || rc == PT_ETOOBIG)
            rc = fail(l, PT_EPARSE, "%s: %s", l->name, pt_csv_error(c));
        if (rc)
            break;
        if (r.nfields == 1 && r.len[0] == 0)
            continue;
        l->rep->rows++;
        rc = take_row(l, &r);
    }
    if (rc == PT_EIO)
        fail(l, rc, "%s: read error", l->name);
    pt_csv_close(c);
    return rc == 1 ? PT_OK : rc;
}

/* --- building the snapshot ------------------------------------------------------------------- */

static int by_member_invoice(const void *pa, const void *pb)
{
    const struct txrow *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    if (a->inv != b->inv)
        return a->inv < b->inv ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The snapshot's order: member, order time, the order (invoice, or the row alone), row. */
static int by_member_time(const void *pa, const void *pb)
{
    const struct txrow *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    if (a->oat != b->oat)
        return a->oat < b->oat ? -1 : 1;
    if (a->inv != b->inv)
        return a->inv < b->inv ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Member keys, and each row's order time: the earliest time of its invoice. */
static void order_rows(struct loader *l)
{
    if (!l->nrows)
        return;
    for (size_t i = 0; i < l->nrows; i++) {
        struct txrow *t = &l->rows[i];
        t->key = l->all_numeric ? t->num : (int64_t)t->sid + 1;
        t->oat = t->at;
    }
    qsort(l->rows, l->nrows, sizeof *l->rows, by_member_invoice);
    for (size_t i = 0, j; i < l->nrows; i = j) {
        int64_t first = l->rows[i].at;
        for (j = i + 1; j < l->nrows && l->rows[i].inv >= 0 && l->rows[j].key == l->rows[i].key &&
                        l->rows[j].inv == l->rows[i].inv;
             j++)
            first = l->rows[j].at < first ? l->rows[j].at : first;
        for (size_t k = i; k < j; k++)
            l->rows[k].oat = first;
    }
    qsort(l->rows, l->nrows, sizeof *l->rows, by_member_time);
}

/* Upper bounds are the row count: every array is allocated once at that size. */
static int alloc_columns(pt_snapshot *s, size_t n, size_t nmembers, int items)
{
    size_t m = nmembers + 1;
    s->member_id = malloc(m * sizeof *s->member_id);
    s->member_registered_at = malloc(m * sizeof *s->member_registered_at);
    s->member_merged_into = calloc(m, sizeof *s->member_merged_into);
    s->member_status = malloc(m * sizeof *s->member_status);
    s->member_consent = malloc(m * sizeof *s->member_consent);
    s->member_ext_id = malloc(m * sizeof *s->member_ext_id);
    s->first = malloc(m * sizeof *s->first);
    s->order_at = malloc((n + 1) * sizeof *s->order_at);
    s->order_cents = malloc((n + 1) * sizeof *s->order_cents);
    s->order_status = malloc((n + 1) * sizeof *s->order_status);
    int ok = s->member_id && s->member_registered_at && s->member_merged_into && s->member_status &&
             s->member_consent && s->member_ext_id && s->first && s->order_at && s->order_cents && s->order_status;
    if (ok && items) {
        s->item_first = malloc((n + 1) * sizeof *s->item_first);
        s->item_product = malloc((n + 1) * sizeof *s->item_product);
        s->item_qty = malloc((n + 1) * sizeof *s->item_qty);
        s->item_cents = malloc((n + 1) * sizeof *s->item_cents);
        ok = s->item_first && s->item_product && s->item_qty && s->item_cents;
    }
    return ok ? PT_OK : PT_ENOMEM;
}

static void add_member(pt_snapshot *s, const struct loader *l, const struct txrow *t)
{
    size_t i = s->nmembers++;
    s->member_id[i] = t->key;
    s->member_registered_at[i] = t->oat;
    s->member_status[i] = PT_MEMBER_ACTIVE;
    s->member_consent[i] = PT_CONSENT_BIT(PT_CONSENT_ANALYTICS);
    memcpy(s->member_ext_id[i], l->ids.v + (size_t)t->sid * l->ids.width, PT_SNAPSHOT_EXT_ID);
    s->first[i] = s->norders;
}

/* One walk over the sorted rows: a member where the key changes, an order where the invoice
 * (or, without invoices, the row) changes, a line per row when there are items. */
static int build(pt_snapshot *s, struct loader *l)
{
    int items = l->col[C_ITEM] >= 0;
    int rc = alloc_columns(s, l->nrows, l->ids.n, items);
    for (size_t i = 0; rc == PT_OK && i < l->nrows; i++) {
        const struct txrow *t = &l->rows[i], *p = i ? &l->rows[i - 1] : NULL;
        int new_member = !p || p->key != t->key;
        if (new_member)
            add_member(s, l, t);
        if (new_member || t->inv < 0 || t->inv != p->inv || t->oat != p->oat) {
            s->order_at[s->norders] = t->oat;
            s->order_cents[s->norders] = 0;
            s->order_status[s->norders] = PT_ORDER_PAID;
            if (items)
                s->item_first[s->norders] = s->nitems;
            s->norders++;
        }
        if (__builtin_add_overflow(s->order_cents[s->norders - 1], t->cents, &s->order_cents[s->norders - 1]) ||
            __builtin_add_overflow(s->revenue_cents, t->cents, &s->revenue_cents))
            rc = fail(l, PT_EPARSE, "%s: amounts too large to add up", l->name);
        if (items) {
            s->item_product[s->nitems] = t->product;
            s->item_qty[s->nitems] = t->qty;
            s->item_cents[s->nitems++] = t->cents;
        }
    }
    if (rc)
        return rc;
    s->first[s->nmembers] = s->norders;
    if (items)
        s->item_first[s->norders] = s->nitems;
    return PT_OK;
}

/* The interned products become the snapshot's product columns. */
static void take_products(pt_snapshot *s, struct loader *l)
{
    s->nproducts = l->products.n;
    s->product_code = pt__names_take(&l->products);
    s->ncategories = l->categories.n;
    s->category_names = pt__names_take(&l->categories);
    s->product_category = l->product_category;
    l->product_category = NULL;
    if (l->has_names) {
        s->product_name = l->product_name;
        l->product_name = NULL;
    }
}

static void loader_free(struct loader *l)
{
    free(l->rows);
    free(l->product_category);
    free(l->product_name);
    pt__names_free(&l->ids);
    pt__names_free(&l->invoices);
    pt__names_free(&l->products);
    pt__names_free(&l->categories);
}

int pt_snapshot_load_transactions(pt_snapshot **out, FILE *f, const char *name, const pt_tx_opts *opts,
                                  pt_tx_report *rep, char *errmsg, size_t errmsg_len)
{
    *out = NULL;
    pt_tx_report local;
    pt_tx_opts none = {0};
    struct loader l = {.name = name ? name : "transactions", .o = opts ? opts : &none, .rep = rep ? rep : &local,
                       .all_numeric = 1, .err = errmsg, .errlen = errmsg_len};
    memset(l.rep, 0, sizeof *l.rep);
    pt__names_init(&l.ids, PT_SNAPSHOT_EXT_ID, SIZE_MAX);
    pt__names_init(&l.invoices, 64, SIZE_MAX);
    pt__names_init(&l.products, PT_SKU_MAX, SIZE_MAX);
    pt__names_init(&l.categories, PT_CATEGORY_MAX, SIZE_MAX);
    pt_snapshot *s = calloc(1, sizeof *s);
    int rc = s ? read_rows(&l, f) : PT_ENOMEM;
    if (rc == PT_OK) {
        order_rows(&l);
        rc = build(s, &l);
    }
    if (rc == PT_ENOMEM)
        fail(&l, rc, "%s: out of memory", l.name);
    if (rc) {
        loader_free(&l);
        pt_snapshot_free(s);
        return rc;
    }
    take_products(s, &l);
    l.rep->members = (int64_t)s->nmembers;
    l.rep->orders = (int64_t)s->norders;
    l.rep->lines = (int64_t)s->nitems;
    loader_free(&l);
    *out = s;
    return PT_OK;
}

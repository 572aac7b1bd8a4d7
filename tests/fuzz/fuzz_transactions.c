/* fuzz_transactions.c — libFuzzer target for the transactions-file loader
 * (pt_snapshot_load_transactions, src/snapshot_csv.c).
 *
 * The input is the CSV; its first byte picks the columns: even → the usual names (CDNOW-style
 * files and whatever the header holds), odd → Online Retail names given explicitly. On failure
 * the message must name the file. On success the snapshot must keep its layout: member ids
 * strictly ascending, order CSR offsets non-decreasing and ending at norders, orders ascending
 * by time within a member, line CSR likewise with valid product indexes, revenue the sum of
 * the orders, and the report's rows = used + every drop. Any broken promise aborts.
 *
 * FUZZ_SOURCES: src/snapshot_csv.c src/snapshot_names.c src/snapshot_core.c src/csv.c src/normalize.c src/error.c
 */
#include "patron/error.h"
#include "patron/snapshot.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                              \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "fuzz_transactions: check failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                             \
        }                                                                                        \
    } while (0)

static void check_orders(const pt_snapshot *s)
{
    CHECK(s->first[0] == 0 && s->first[s->nmembers] == s->norders);
    int64_t revenue = 0;
    for (size_t i = 0; i < s->nmembers; i++) {
        CHECK(i == 0 || s->member_id[i] > s->member_id[i - 1]);
        CHECK(s->first[i] <= s->first[i + 1]);
        CHECK(s->first[i + 1] > s->first[i]); /* a member from a file has an order */
        for (size_t r = s->first[i] + 1; r < s->first[i + 1]; r++)
            CHECK(s->order_at[r] >= s->order_at[r - 1]);
        CHECK(pt_snapshot_member_use(s, i) == PT_SNAP_USE);
    }
    for (size_t r = 0; r < s->norders; r++)
        revenue += s->order_cents[r];
    CHECK(revenue == s->revenue_cents);
}

static void check_lines(const pt_snapshot *s)
{
    if (!s->item_first)
        return;
    CHECK(s->item_first[0] == 0 && s->item_first[s->norders] == s->nitems);
    for (size_t r = 0; r < s->norders; r++) {
        CHECK(s->item_first[r] < s->item_first[r + 1]); /* an order from lines has one */
        int64_t sum = 0;
        for (size_t l = s->item_first[r]; l < s->item_first[r + 1]; l++)
            sum += s->item_cents[l];
        CHECK(sum == s->order_cents[r]);
    }
    for (size_t l = 0; l < s->nitems; l++)
        CHECK(s->item_product[l] >= 0 && (size_t)s->item_product[l] < s->nproducts);
    for (size_t p = 0; p < s->nproducts; p++)
        CHECK(s->product_category[p] >= -1 && s->product_category[p] < (int32_t)s->ncategories);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    FILE *f = fmemopen((void *)(data + 1), size - 1, "rb");
    if (!f)
        return 0;
    pt_tx_opts retail = {.id_col = "CustomerID", .date_col = "InvoiceDate", .item_col = "StockCode",
                         .qty_col = "Quantity", .price_col = "UnitPrice", .invoice_col = "InvoiceNo",
                         .desc_col = "Description"};
    pt_snapshot *s = NULL;
    pt_tx_report rep;
    char err[512] = "";
    int rc = pt_snapshot_load_transactions(&s, f, "fuzz.csv", data[0] & 1 ? &retail : NULL, &rep, err, sizeof err);
    fclose(f);
    if (rc) {
        CHECK(s == NULL);
        CHECK(rc == PT_EPARSE || rc == PT_ENOMEM || rc == PT_EIO);
        CHECK(strncmp(err, "fuzz.csv", 8) == 0);
        return 0;
    }
    int64_t dropped = 0;
    for (int k = 0; k < PT_TX_DROP__COUNT; k++)
        dropped += rep.dropped[k];
    CHECK(rep.rows == rep.used + dropped);
    CHECK(rep.members == (int64_t)s->nmembers && rep.orders == (int64_t)s->norders);
    check_orders(s);
    check_lines(s);
    pt_snapshot_free(s);
    return 0;
}

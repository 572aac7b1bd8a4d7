/* test_snapshot_csv.c — pt_snapshot_load_transactions: a snapshot from a transactions CSV.
 * Small hand-made files with worked values (one row per order; invoice lines grouped into
 * orders; every cleaning rule counted; string and numeric member ids), the file:line:column
 * errors, and the two shared data sets (CDNOW, Online Retail) when present. */
#include "test.h"
#include "patron/error.h"
#include "patron/snapshot.h"
#include "patron/types.h"

#include <stdio.h>
#include <string.h>

/* Loads text as file "t.csv" with opts (NULL: defaults). */
static int load(pt_snapshot **s, const char *text, const pt_tx_opts *o, pt_tx_report *rep, char *err, size_t n)
{
    FILE *f = fmemopen((void *)text, strlen(text), "rb");
    if (!f)
        return PT_EIO;
    int rc = pt_snapshot_load_transactions(s, f, "t.csv", o, rep, err, n);
    fclose(f);
    return rc;
}

/* CDNOW style: customer_id, date (YYYYMMDD), amount; one row = one order. Members 2 and 10
 * (ids "0010" and "2", numeric: sorted 2 then 10); member 10 has two orders on one day — two
 * orders, not merged (the CLV summary merges days). 1997-01-01 = 852076800. */
TEST(transactions_one_row_per_order_with_numeric_ids_sorted_by_member_then_time)
{
    const char *csv = "customer_id,date,cds,amount\n"
                      "0010,19970105,1,12.50\n"
                      "0010,19970101,2,29.33\n"
                      "2,19970103,1,0.99\n"
                      "0010,19970105,3,7\n";
    pt_snapshot *s = NULL;
    pt_tx_report rep;
    char err[256] = "";
    ASSERT_OK(load(&s, csv, NULL, &rep, err, sizeof err));
    ASSERT_EQ(s->nmembers, 2);
    ASSERT_EQ(s->member_id[0], 2);
    ASSERT_EQ(s->member_id[1], 10);
    ASSERT_STR_EQ(s->member_ext_id[1], "0010");
    ASSERT_EQ(s->norders, 4);
    static const size_t first[3] = {0, 1, 4};
    static const int64_t at[4] = {852076800 + 2 * 86400, 852076800, 852076800 + 4 * 86400, 852076800 + 4 * 86400};
    static const int64_t cents[4] = {99, 2933, 1250, 700};
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(s->first[i], first[i]);
    for (int r = 0; r < 4; r++) {
        ASSERT_EQ(s->order_at[r], at[r]);
        ASSERT_EQ(s->order_cents[r], cents[r]);
        ASSERT_EQ(s->order_status[r], PT_ORDER_PAID);
    }
    ASSERT_EQ(s->revenue_cents, 99 + 2933 + 1250 + 700);
    ASSERT_EQ(s->member_registered_at[1], 852076800);
    ASSERT_EQ(pt_snapshot_member_use(s, 0), PT_SNAP_USE);
    ASSERT(s->item_first == NULL && s->survey_first == NULL && s->event_first == NULL && !s->has_accounts);
    ASSERT_STR_EQ(rep.col[0], "customer_id");
    ASSERT_STR_EQ(rep.col[2], "amount");
    ASSERT_EQ(rep.rows, 4);
    ASSERT_EQ(rep.used, 4);
    pt_snapshot_free(s);
}

/* Online Retail style: invoice lines → orders, quantity × price → cents, and every cleaning
 * rule that applies without an amount column once (in the documented order):
 *   line 2, 3: invoice 1 of member 17850 (two lines: 6 × 2.55 = 1530, 2 × 0.85 = 170) → 1700
 *   line 4: no id; 5: cancellation C2; 6: return (qty −1); 7: price 0; 8: POST;
 *   line 9: 1 × 0.001 is not whole cents; line 10: invoice 3 of 12000 (A again: 1 × 2.55)
 *   line 11: invoice 1 again but later (same order; its time is the earliest line's). */
TEST(transactions_group_invoice_lines_into_orders_and_count_every_cleaning_rule)
{
    const char *csv = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
                      "1,A,HEART HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,UK\n"
                      "1,K,,2,2010-12-01 08:26:00,0.85,17850.0,UK\n"
                      "2,A,HEART HOLDER,1,2010-12-02 10:00:00,2.55,,UK\n"
                      "C2,A,HEART HOLDER,-1,2010-12-02 11:00:00,2.55,17850.0,UK\n"
                      "3,A,HEART HOLDER,-2,2010-12-02 11:00:00,2.55,12000.0,UK\n"
                      "3,K,LANTERN,1,2010-12-02 11:00:00,0,12000.0,UK\n"
                      "3,POST,POSTAGE,1,2010-12-02 11:00:00,18.00,12000.0,UK\n"
                      "3,PADS,PADS,1,2010-12-02 11:00:00,0.001,12000.0,UK\n"
                      "3,A,heart holder (2),1,2010-12-02 11:00:00,2.55,12000.0,UK\n"
                      "1,L,LANTERN,1,2010-12-01 09:00:00,1,17850.0,UK\n";
    pt_snapshot *s = NULL;
    pt_tx_report rep;
    char err[256] = "";
    ASSERT_OK(load(&s, csv, NULL, &rep, err, sizeof err));
    ASSERT_EQ(rep.rows, 10);
    ASSERT_EQ(rep.used, 4);
    for (int k = 0; k < PT_TX_DROP__COUNT; k++) /* no amount column: no negative amounts */
        ASSERT_EQ(rep.dropped[k], k == PT_TX_NEGATIVE ? 0 : 1);
    ASSERT_EQ(s->nmembers, 2);
    ASSERT_EQ(s->member_id[0], 12000);
    ASSERT_EQ(s->norders, 2);
    ASSERT_EQ(s->order_cents[0], 255);
    ASSERT_EQ(s->order_cents[1], 1530 + 170 + 100);
    ASSERT_EQ(s->order_at[1], 1291191960); /* 2010-12-01 08:26:00 UTC */
    ASSERT_EQ(s->nitems, 4);
    static const size_t item_first[3] = {0, 1, 4};
    for (int r = 0; r < 3; r++)
        ASSERT_EQ(s->item_first[r], item_first[r]);
    ASSERT_EQ(s->nproducts, 3);
    ASSERT_STR_EQ(s->product_code[s->item_product[0]], "A");
    ASSERT_STR_EQ(s->product_name[s->item_product[0]], "HEART HOLDER"); /* the first description */
    ASSERT_STR_EQ(s->product_name[s->item_product[2]], "");             /* K: none given */
    ASSERT_EQ(s->item_qty[1], 6);
    ASSERT_EQ(s->item_cents[3], 100);
    ASSERT_EQ(s->product_category[0], -1);
    ASSERT_EQ(rep.lines, 4);
    pt_snapshot_free(s);
}

/* Ids that are not all numbers are numbered in order of first appearance; named columns; a
 * negative amount is dropped and counted. */
TEST(transactions_with_text_ids_and_named_columns_number_members_by_first_appearance)
{
    const char *csv2 = "who,when,paid\n"
                       "zoe,2024-03-02,10.00\n"
                       "amy,2024-03-01,5\n"
                       "zoe,2024-03-01,1.10\n"
                       "amy,2024-03-04,-2.00\n";
    pt_tx_report rep;
    pt_tx_opts o = {.id_col = "WHO", .date_col = "when", .amount_col = "paid"};
    pt_snapshot *s = NULL;
    char err[256] = "";
    ASSERT_OK(load(&s, csv2, &o, &rep, err, sizeof err));
    ASSERT_EQ(rep.dropped[PT_TX_NEGATIVE], 1);
    ASSERT_EQ(rep.used, 3);
    ASSERT_EQ(s->nmembers, 2);
    ASSERT_EQ(s->member_id[0], 1);
    ASSERT_STR_EQ(s->member_ext_id[0], "zoe");
    ASSERT_STR_EQ(s->member_ext_id[1], "amy");
    ASSERT_EQ(s->order_cents[0], 110); /* zoe's orders by time: 03-01 then 03-02 */
    ASSERT_EQ(s->order_cents[1], 1000);
    ASSERT_EQ(s->order_cents[2], 500);
    pt_snapshot_free(s);
}

TEST(transactions_bad_values_fail_naming_file_line_and_column)
{
    pt_snapshot *s = NULL;
    char err[256] = "";
    ASSERT_EQ(load(&s, "customer_id,date,amount\n1,2024-01-01,3.00\n2,yesterday,4.00\n", NULL, NULL, err, sizeof err),
              PT_EPARSE);
    ASSERT(s == NULL);
    ASSERT(strncmp(err, "t.csv:3: column 'date': ", 24) == 0);
    ASSERT_EQ(load(&s, "customer_id,date,amount\n1,2024-01-01,3.001\n", NULL, NULL, err, sizeof err), PT_EPARSE);
    ASSERT(strncmp(err, "t.csv:2: column 'amount': ", 26) == 0);
    ASSERT_EQ(load(&s, "customer_id,day,amount\n", NULL, NULL, err, sizeof err), PT_EPARSE);
    ASSERT_STR_EQ(err, "t.csv:1: the header names no date column (give --date-col)");
    pt_tx_opts o = {.amount_col = "total"};
    ASSERT_EQ(load(&s, "customer_id,date,amount\n", &o, NULL, err, sizeof err), PT_EPARSE);
    ASSERT_STR_EQ(err, "t.csv:1: no amount column 'total' in the header");
    ASSERT_EQ(load(&s, "", NULL, NULL, err, sizeof err), PT_EPARSE);
    ASSERT_STR_EQ(err, "t.csv: empty file: no header row");
    ASSERT_EQ(load(&s, "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n1,A,two,2024-01-01,1,5\n", NULL,
                   NULL, err, sizeof err),
              PT_EPARSE);
    ASSERT(strncmp(err, "t.csv:2: column 'Quantity': ", 28) == 0);
    ASSERT(s == NULL);
}

/* The shared CDNOW sample: 2,357 customers, 6,919 transactions (its README). */
TEST(transactions_cdnow_sample_loads_every_customer_and_transaction)
{
    const char *path = pt_test_shared("cdnow/cdnow_sample.csv");
    if (!path)
        SKIP("../shared/data/cdnow is absent");
    FILE *f = fopen(path, "rb");
    ASSERT(f);
    pt_snapshot *s = NULL;
    pt_tx_report rep;
    char err[256] = "";
    int rc = pt_snapshot_load_transactions(&s, f, path, NULL, &rep, err, sizeof err);
    fclose(f);
    ASSERT_OK(rc);
    ASSERT_EQ(s->nmembers, 2357);
    ASSERT_EQ(s->norders, 6919);
    ASSERT_EQ(rep.used, 6919);
    pt_snapshot_free(s);
}

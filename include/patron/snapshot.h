/* snapshot.h — what analytics read, loaded from the store once into columnar arrays.
 *
 * Every member with its status and consent, the paid and refunded orders as columns, sorted by
 * member then time, with their channels and their lines (items), the survey answers and member
 * events likewise, and each member's points account. Loading goes through
 * pt_store_member_columns, pt_store_order_columns, pt_store_item_columns,
 * pt_store_survey_columns, pt_store_event_columns and pt_store_account_columns — prepared scans
 * on SQLite, binary COPYs on PostgreSQL — inside one read transaction, so every stream sees the
 * same state; never record by record. pt_snapshot_load_transactions (snapshot_csv.c) builds the
 * same layout from a transactions CSV instead.
 *
 * Layout (CSR): members 0..nmembers−1 are every member row of the store — merged-away and
 * erased ones included, members without orders included — with ids member_id[i] strictly
 * ascending; member i's orders are rows first[i] .. first[i+1]−1 of the order columns,
 * ascending by time (an empty range when it has none); first[nmembers] = norders. The snapshot
 * owns every array; pt_snapshot_free releases them.
 *
 * Survey answers (pt_store_survey_columns, read in the same transaction) are a second CSR over
 * the same members: member i's answers are rows survey_first[i] .. survey_first[i+1]−1,
 * ascending by time; survey_first[nmembers] = nsurveys. A survey's name is interned:
 * survey_kind[r] indexes survey_names, which lists the distinct names in order of first
 * appearance. A snapshot built by hand may leave survey_first NULL: it then has no answers.
 *
 * Order channels: order_channel[r] indexes channel_names (distinct channel names in order of
 * first appearance; "" when the source gave none). NULL in a snapshot built by hand.
 *
 * Order lines (items) are a CSR over the orders: order r's lines are rows item_first[r] ..
 * item_first[r+1]−1 of the item columns, in line order; item_first[norders] = nitems; an order
 * without lines has an empty range. item_product[l] indexes the products: product_code[p]
 * (distinct SKUs in order of first appearance), product_name[p] (a description when the source
 * had one, "" otherwise; the array is NULL when no source had any) and product_category[p] (an
 * index into category_names, the first non-empty category seen for the product, −1 for none).
 * item_cents[l] is the line's amount in cents as imported (refund lines included, as their
 * orders are). A snapshot built by hand may leave item_first NULL: it then has no lines.
 *
 * Member events (check-ins, reviews, shares, … as imported; pt_store_event_columns) are a CSR
 * over the members like the survey answers: member i's events are rows event_first[i] ..
 * event_first[i+1]−1, ascending by time; event_first[nmembers] = nevents; event_kind[e]
 * indexes event_names; event_value[e] is kind-specific (review stars; 0 if none). A snapshot
 * built by hand may leave event_first NULL: it then has no events.
 *
 * Points accounts (pt_store_account_columns, same transaction) are dense per member:
 * member_points[i], member_pending[i] and member_tier[i] (an index into tier_names, −1 without
 * an account or a tier); 0 / −1 for members without ledger activity. A snapshot built by hand
 * may leave member_points NULL (has_accounts = 0): it then has no accounts.
 *
 * Consent and erasure (DESIGN.md): analyses must ask pt_snapshot_member_use(snap, i) before
 * giving anything per member. Only PT_SNAP_USE members appear in per-member outputs; members
 * without the PT_CONSENT_ANALYTICS bit and erased members are counted only in anonymous totals
 * (their orders still add up in revenue); merged-away members are no members any more — their
 * orders were moved to the survivor, so they have none and count nowhere.
 */
#ifndef PATRON_SNAPSHOT_H
#define PATRON_SNAPSHOT_H

#include "patron/store.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PT_SNAPSHOT_PRODUCT_NAME 128 /* bytes of a product description kept, NUL included */
#define PT_SNAPSHOT_EXT_ID       64  /* bytes of a member id from a file, NUL included */

typedef struct pt_snapshot {
    size_t    nmembers;             /* every member row */
    int64_t  *member_id;            /* [nmembers] strictly ascending */
    int64_t  *member_registered_at; /* [nmembers] UTC epoch s */
    int64_t  *member_merged_into;   /* [nmembers] survivor id, 0 unless merged away */
    int32_t  *member_status;        /* [nmembers] enum pt_member_status */
    uint32_t *member_consent;       /* [nmembers] PT_CONSENT_BIT(kind) bits */
    size_t   *first;                /* [nmembers + 1] CSR offsets into the order columns */
    size_t    norders;
    int64_t  *order_at;             /* [norders] UTC epoch s */
    int64_t  *order_cents;          /* [norders] */
    int32_t  *order_status;         /* [norders] enum pt_order_status */
    int64_t   revenue_cents;        /* sum over paid orders, every member */
    size_t   *survey_first;         /* [nmembers + 1] CSR offsets into the survey columns, or NULL */
    size_t    nsurveys;
    int64_t  *survey_at;            /* [nsurveys] UTC epoch s */
    int32_t  *survey_score;         /* [nsurveys] as imported (0–10 for NPS) */
    int32_t  *survey_kind;          /* [nsurveys] index into survey_names */
    size_t    nsurvey_names;        /* at most PT_SNAPSHOT_SURVEY_NAMES */
    char    (*survey_names)[PT_LABEL_MAX]; /* [nsurvey_names] distinct names, NUL-terminated */
    int       has_accounts;         /* the arrays below are set */
    int64_t  *member_points;        /* [nmembers] available points balance */
    int64_t  *member_pending;       /* [nmembers] points in the return window */
    int32_t  *member_tier;          /* [nmembers] index into tier_names, −1 for none */
    size_t    ntier_names;
    char    (*tier_names)[PT_LABEL_MAX]; /* [ntier_names] distinct tier codes */
    int32_t  *order_channel;        /* [norders] index into channel_names, or NULL */
    size_t    nchannel_names;
    char    (*channel_names)[PT_LABEL_MAX];
    size_t   *item_first;           /* [norders + 1] CSR offsets into the item columns, or NULL */
    size_t    nitems;
    int32_t  *item_product;         /* [nitems] index into the product columns */
    int64_t  *item_qty;             /* [nitems] */
    int64_t  *item_cents;           /* [nitems] line amount */
    size_t    nproducts;
    char    (*product_code)[PT_SKU_MAX];              /* [nproducts] distinct SKUs */
    char    (*product_name)[PT_SNAPSHOT_PRODUCT_NAME]; /* [nproducts] or NULL */
    int32_t  *product_category;     /* [nproducts] index into category_names, −1 for none */
    size_t    ncategories;
    char    (*category_names)[PT_CATEGORY_MAX];       /* [ncategories] distinct categories */
    size_t   *event_first;          /* [nmembers + 1] CSR offsets into the event columns, or NULL */
    size_t    nevents;
    int64_t  *event_at;             /* [nevents] UTC epoch s */
    int32_t  *event_kind;           /* [nevents] index into event_names */
    int64_t  *event_value;          /* [nevents] */
    size_t    nevent_names;
    char    (*event_names)[PT_LABEL_MAX]; /* [nevent_names] distinct event kinds */
    char    (*member_ext_id)[PT_SNAPSHOT_EXT_ID]; /* [nmembers] the id as the file wrote it, or NULL */
} pt_snapshot;

/* Distinct survey names, tier codes, channel names and event kinds, each; more is PT_ETOOBIG.
 * Products and categories are limited only by memory (and INT32_MAX). */
#define PT_SNAPSHOT_SURVEY_NAMES 4096

/* The index of survey `name` in snap->survey_names, or −1 when no answer has that name; the
 * same for an event kind, a channel, a product code and a category. */
int pt_snapshot_survey_kind(const pt_snapshot *snap, const char *name);
int pt_snapshot_event_kind(const pt_snapshot *snap, const char *name);
int pt_snapshot_channel(const pt_snapshot *snap, const char *name);
int pt_snapshot_product(const pt_snapshot *snap, const char *code);
int pt_snapshot_category(const pt_snapshot *snap, const char *name);

/* How an analysis may use member i, checked in this order. */
enum pt_snapshot_use {
    PT_SNAP_USE = 0,        /* per-member outputs allowed */
    PT_SNAP_MERGED = 1,     /* merged away: not a member; skip entirely */
    PT_SNAP_ERASED = 2,     /* erased: anonymous totals only */
    PT_SNAP_NO_CONSENT = 3, /* no PT_CONSENT_ANALYTICS bit: anonymous totals only */
};
int pt_snapshot_member_use(const pt_snapshot *snap, size_t i);
/* The dense index of member id (member_id ascends: a binary search), or −1 when absent. */
long pt_snapshot_member_index(const pt_snapshot *snap, int64_t id);

/* Loads the members, orders with their channels and lines, survey answers, events and points
 * accounts of store s (see the top of this file). progress (may be NULL) is called after each
 * order batch with the order rows read so far. PT_ECORRUPT when the store's streams break the
 * layout (unsorted, or an order, answer, event or account of an unknown member, a line of an
 * unknown order); PT_ETOOBIG past PT_SNAPSHOT_SURVEY_NAMES names of one kind. */
int  pt_snapshot_load(pt_snapshot **out, pt_store *s, void (*progress)(void *ud, int64_t rows), void *ud);
void pt_snapshot_free(pt_snapshot *snap);

/* --- a snapshot from a transactions file (snapshot_csv.c) ----------------------------------
 * A CSV with a header row: one row per purchase (CDNOW style) or per invoice line (Online
 * Retail style). Columns are found by name, case-insensitively; a column left NULL here is
 * looked for under its usual names (docs/rfm.md, "Transactions files"): member id, date and
 * either an amount or quantity × unit price are required; item, quantity, price, invoice,
 * description and category are used when present. Rows of one invoice (and member) become one
 * order at its earliest time; without an invoice column every row is one order. Amounts are
 * decimals turned into integer cents exactly (a price may have up to 4 decimals; a line whose
 * quantity × price is not whole cents is dropped and counted).
 *
 * Members are the distinct ids: their numeric value when every id is an integer (17850.0 and
 * 0017850 are both member 17850), otherwise numbered 1, 2, … in order of first appearance; the
 * id as written is kept in member_ext_id. Members from the user's own file have analytics
 * consent; registered_at is their first order. There are no surveys, events, channels or
 * accounts (those arrays are NULL). Every kept order is paid.
 *
 * Cleaning, in this order, each counted in the report, never silent: no member id; a
 * cancellation (invoice starting with C); a return (quantity ≤ 0); no price (≤ 0); a
 * non-product code (POST, DOT, C2, D, M, m, S, B, BANK CHARGES, AMAZONFEE, CRUK); a negative
 * amount; a line amount that is not whole cents. Any other bad value fails the whole load with
 * errmsg "FILE:LINE: column 'NAME': reason". */
typedef struct pt_tx_opts {
    const char *id_col, *date_col, *amount_col;          /* NULL: the usual names */
    const char *item_col, *qty_col, *price_col;          /* NULL: the usual names, if present */
    const char *invoice_col, *desc_col, *category_col;   /* likewise */
    int         tz_offset_s;                             /* for times without a zone; 0 = UTC */
} pt_tx_opts;

enum pt_tx_drop {
    PT_TX_NO_ID,
    PT_TX_CANCELLED,
    PT_TX_RETURN,
    PT_TX_NO_PRICE,
    PT_TX_NON_PRODUCT,
    PT_TX_NEGATIVE,
    PT_TX_SUB_CENT,
    PT_TX_DROP__COUNT
};

typedef struct pt_tx_report {
    int64_t rows;                        /* data rows read */
    int64_t used;                        /* rows kept */
    int64_t dropped[PT_TX_DROP__COUNT];  /* rows dropped by each cleaning rule */
    int64_t members, orders, lines;
    char    col[9][64];                  /* the header name used for id, date, amount, item, qty,
                                            price, invoice, description, category ("" unused) */
} pt_tx_report;

/* "no member id", "cancelled (invoice C…)", … for report lines. */
const char *pt_tx_drop_reason(int rule);

/* Reads f (named name in messages) into a new snapshot. PT_EPARSE (bad header, row or value),
 * PT_ENOMEM, PT_EIO; errmsg then says where and why. rep (may be NULL) gets the counts. */
int pt_snapshot_load_transactions(pt_snapshot **out, FILE *f, const char *name, const pt_tx_opts *opts,
                                  pt_tx_report *rep, char *errmsg, size_t errmsg_len);

#endif

/* ingest_int.h — shared between the import driver (ingest.c) and the row handlers
 * (ingest_rows.c): column targets, the row being imported, the per-import context. */
#ifndef PATRON_INGEST_INT_H
#define PATRON_INGEST_INT_H

#include "patron/ingest.h"
#include "patron/normalize.h"

#include <stdio.h>

/* Import targets. The first block equals enum pt_id_kind so an identifier column's target is
 * its kind. */
enum col {
    COL_NONE = 0,
    COL_PHONE = PT_ID_PHONE,
    COL_EMAIL = PT_ID_EMAIL,
    COL_UNIONID = PT_ID_UNIONID,
    COL_OPENID = PT_ID_OPENID,
    COL_APP_USER = PT_ID_APP_USER,
    COL_STORE_CARD = PT_ID_STORE_CARD,
    COL_ESHOP = PT_ID_ESHOP,
    COL_MEMBER_NO,
    COL_NAME,
    COL_GENDER,
    COL_BIRTHDAY,
    COL_REGION,
    COL_ADDRESS,
    COL_REGISTERED_AT,
    COL_CHANNEL,
    COL_CONSENT_SMS,
    COL_CONSENT_EMAIL,
    COL_CONSENT_ANALYTICS,
    COL_CONSENT_AT,
    COL_ORDER_NO,
    COL_AT,
    COL_AMOUNT,
    COL_STATUS,
    COL_STORE,
    COL_LINE,
    COL_SKU,
    COL_CATEGORY,
    COL_QTY,
    COL_UNIT_PRICE,
    COL_EVENT,
    COL_VALUE,
    COL_SCORE,
    COL_SURVEY,
    COL_IGNORE,
    COL__COUNT
};

/* One input row: the value of each target (NULL when absent or empty), and where it came from. */
struct row {
    const char *v[COL__COUNT];
    int64_t     line;
    const char *raw;
    size_t      raw_len;
};

struct idmap; /* in-memory (kind, blind index) → member id, for fast reference resolution */

struct import {
    pt_db             *db;
    pt_store          *store;
    int                kind;
    const char        *path;
    const char        *file_name;   /* basename of path */
    const pt_import_opts *opts;
    pt_import_result  *res;
    FILE              *rejects;
    struct idmap      *ids;         /* built lazily for orders, items, events, surveys */
    int64_t            lookups;     /* identifier look-ups so far (the map is built after a few) */
    int                tz;          /* zone-less local times: seconds east of UTC */
    int64_t            missing[COL__COUNT];
    int                present[COL__COUNT]; /* the file has a column for the target */
    char               last_order_no[PT_ORDER_NO_MAX]; /* items without a line column */
    pt_order_rec       item_order;  /* the order the previous item belonged to (id 0: none) */
    int                next_line_no;
};

/* Row outcome: accepted, duplicate (stored once already), or rejected (reason given). */
enum { ROW_OK = 0, ROW_DUPLICATE = 1, ROW_REJECTED = 2 };

/* Handles one row of the import's kind; on ROW_REJECTED fills field and why. A negative
 * return is a fatal error (store failure) that aborts the import. */
int pt__ingest_row(struct import *im, const struct row *r, const char **field, char *why, size_t whylen);
const char *pt__ingest_col_name(int col);


#endif

/* snapshot.h — what analytics read, loaded from the store once into columnar arrays.
 *
 * This is the first part of the analytics snapshot (the analytics issue extends it with
 * members, items, events and surveys): paid and refunded orders as columns, sorted by member
 * then time, with a dense member index. Loading goes through pt_store_order_columns — a
 * prepared scan on SQLite, one binary COPY on PostgreSQL — never record by record.
 *
 * Layout (CSR): members 0..nmembers−1 have ids member_id[i] (ascending); member i's orders
 * are rows first[i] .. first[i+1]−1 of the order columns, ascending by time. The snapshot
 * owns every array; pt_snapshot_free releases them.
 */
#ifndef PATRON_SNAPSHOT_H
#define PATRON_SNAPSHOT_H

#include "patron/store.h"

#include <stddef.h>
#include <stdint.h>

typedef struct pt_snapshot {
    size_t   nmembers;
    int64_t *member_id;     /* [nmembers] */
    size_t  *first;         /* [nmembers + 1] */
    size_t   norders;
    int64_t *order_at;      /* [norders] UTC epoch s */
    int64_t *order_cents;   /* [norders] */
    int32_t *order_status;  /* [norders] enum pt_order_status */
    int64_t  revenue_cents; /* sum over paid orders */
} pt_snapshot;

/* Loads the orders of store s. progress (may be NULL) is called after each batch with the rows
 * read so far. */
int  pt_snapshot_load(pt_snapshot **out, pt_store *s, void (*progress)(void *ud, int64_t rows), void *ud);
void pt_snapshot_free(pt_snapshot *snap);

#endif

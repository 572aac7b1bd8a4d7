/* snapshot.h — what analytics read, loaded from the store once into columnar arrays.
 *
 * Part of the analytics snapshot (the analytics issue extends it with items, events and
 * surveys): every member with its status and consent, and the paid and refunded orders as
 * columns, sorted by member then time. Loading goes through pt_store_member_columns and
 * pt_store_order_columns — prepared scans on SQLite, binary COPYs on PostgreSQL — inside one
 * store transaction, so both streams see the same state (on SQLite that holds the writer lock
 * for the length of the load); never record by record.
 *
 * Layout (CSR): members 0..nmembers−1 are every member row of the store — merged-away and
 * erased ones included, members without orders included — with ids member_id[i] strictly
 * ascending; member i's orders are rows first[i] .. first[i+1]−1 of the order columns,
 * ascending by time (an empty range when it has none); first[nmembers] = norders. The snapshot
 * owns every array; pt_snapshot_free releases them.
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
} pt_snapshot;

/* How an analysis may use member i, checked in this order. */
enum pt_snapshot_use {
    PT_SNAP_USE = 0,        /* per-member outputs allowed */
    PT_SNAP_MERGED = 1,     /* merged away: not a member; skip entirely */
    PT_SNAP_ERASED = 2,     /* erased: anonymous totals only */
    PT_SNAP_NO_CONSENT = 3, /* no PT_CONSENT_ANALYTICS bit: anonymous totals only */
};
int pt_snapshot_member_use(const pt_snapshot *snap, size_t i);

/* Loads the members and orders of store s (see the top of this file). progress (may be NULL)
 * is called after each order batch with the order rows read so far. PT_ECORRUPT when the
 * store's streams break the layout (unsorted, or an order of an unknown member). */
int  pt_snapshot_load(pt_snapshot **out, pt_store *s, void (*progress)(void *ud, int64_t rows), void *ud);
void pt_snapshot_free(pt_snapshot *snap);

#endif

/* snapshot.h — what analytics read, loaded from the store once into columnar arrays.
 *
 * Part of the analytics snapshot (the analytics issue extends it with items and events): every
 * member with its status and consent, the paid and refunded orders as columns, sorted by member
 * then time, the survey answers likewise, and each member's points account. Loading goes through
 * pt_store_member_columns, pt_store_order_columns, pt_store_survey_columns and
 * pt_store_account_columns — prepared scans on SQLite, binary COPYs on PostgreSQL — inside one
 * store transaction, so both streams see the same state (on SQLite that holds the writer lock
 * for the length of the load); never record by record.
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
} pt_snapshot;

#define PT_SNAPSHOT_SURVEY_NAMES 4096 /* distinct survey names, and tier codes; more is PT_ETOOBIG */

/* The index of survey `name` in snap->survey_names, or −1 when no answer has that name. */
int pt_snapshot_survey_kind(const pt_snapshot *snap, const char *name);

/* How an analysis may use member i, checked in this order. */
enum pt_snapshot_use {
    PT_SNAP_USE = 0,        /* per-member outputs allowed */
    PT_SNAP_MERGED = 1,     /* merged away: not a member; skip entirely */
    PT_SNAP_ERASED = 2,     /* erased: anonymous totals only */
    PT_SNAP_NO_CONSENT = 3, /* no PT_CONSENT_ANALYTICS bit: anonymous totals only */
};
int pt_snapshot_member_use(const pt_snapshot *snap, size_t i);

/* Loads the members, orders, survey answers and points accounts of store s (see the top of this file). progress (may be NULL)
 * is called after each order batch with the order rows read so far. PT_ECORRUPT when the
 * store's streams break the layout (unsorted, or an order, answer or account of an unknown
 * member);
 * PT_ETOOBIG past PT_SNAPSHOT_SURVEY_NAMES survey names. */
int  pt_snapshot_load(pt_snapshot **out, pt_store *s, void (*progress)(void *ud, int64_t rows), void *ud);
void pt_snapshot_free(pt_snapshot *snap);

#endif

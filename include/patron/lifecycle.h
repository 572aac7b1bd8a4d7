/* lifecycle.h — lifecycle stages per member over a snapshot: prospect, new, active, won back,
 * dormant (沉睡), churned (流失); stage counts at many instants (e.g. month ends in the tenant's
 * zone) and the stage-to-stage transition matrix between two instants. docs/lifecycle.md has
 * the definitions; in short, as of an instant as_of (UTC epoch s), counting a member's paid
 * orders strictly before as_of, with D = 86400 s and thresholds A (active), C (churn), N (new)
 * in days, 1 ≤ A < C:
 *
 *   no paid order, registered before as_of        prospect
 *   no paid order, registered at/after as_of      not_registered (not a member yet)
 *   as_of − last > C·D                            churned
 *   A·D < as_of − last ≤ C·D                      dormant
 *   otherwise (as_of − last ≤ A·D), in this order:
 *     a purchase r with as_of − r ≤ A·D came after a gap > C·D since the one before   won back
 *     as_of − first ≤ N·D                                                             new
 *     else                                                                            active
 *
 * Every threshold is inclusive on the recent side: a purchase exactly A days before as_of is
 * still active, one second earlier it is dormant.
 *
 * Default thresholds come from the data (pt_lifecycle_derive): over the consenting members'
 * repeat purchases before as_of, the gaps between consecutive paid orders in whole days
 * ⌊Δs / D⌋, gaps of 0 days (orders under 24 h apart) left out; A = the median (the ⌈n/2⌉-th
 * smallest gap), C = the 90th percentile (the ⌈9n/10⌉-th smallest), N = A; with C raised to
 * A + 1 when it is not above A. Without any gap: A = 90, C = 180.
 *
 * Consent: only members with pt_snapshot_member_use = PT_SNAP_USE get rows and are counted per
 * stage; members without analytics consent and erased members are counted only in the
 * anonymous totals; merged-away members count nowhere. So at every instant
 * Σ stage counts + no_consent + erased = members.
 *
 * Memory: pt_lifecycle owns its rows (pt_lifecycle_free); the other results are caller-owned
 * plain structs or arrays. Single-threaded; one forward walk over each member's orders serves
 * any number of instants.
 */
#ifndef PATRON_LIFECYCLE_H
#define PATRON_LIFECYCLE_H

#include "patron/snapshot.h"

#include <stddef.h>
#include <stdint.h>

#define PT_LC_DAY_S                86400
#define PT_LC_FALLBACK_ACTIVE_DAYS 90  /* when the data have no repeat purchase */
#define PT_LC_FALLBACK_CHURN_DAYS  180
#define PT_LC_MAX_DAYS             36500 /* thresholds and gap statistics stop at 100 years */

enum pt_lc_stage {
    PT_LC_PROSPECT = 0,   /* registered, never paid for an order */
    PT_LC_NEW,            /* first purchase within N days, still active */
    PT_LC_ACTIVE,         /* last purchase within A days */
    PT_LC_WON_BACK,       /* active, and returned within A days after a gap longer than C */
    PT_LC_DORMANT,        /* last purchase more than A, at most C days ago (沉睡) */
    PT_LC_CHURNED,        /* last purchase more than C days ago (流失) */
    PT_LC_NOT_REGISTERED, /* no purchase and registered at or after as_of */
    PT_LC__COUNT
};

typedef struct pt_lifecycle_opts {
    int active_days; /* A; 0 = derive from the data */
    int churn_days;  /* C; 0 = derive */
    int new_days;    /* N; 0 = A */
} pt_lifecycle_opts;

/* Everything derived. Cannot fail. */
void pt_lifecycle_opts_init(pt_lifecycle_opts *o);

typedef struct pt_lifecycle_thresholds {
    int     active_days, churn_days, new_days; /* A, C, N as used */
    int     active_derived, churn_derived;     /* 1 when taken from the data */
    int64_t derived_as_of;                     /* the gaps are of orders before this instant */
    size_t  gaps;                              /* repeat-purchase gaps seen (0-day ones excluded) */
    int64_t median_gap_days, p90_gap_days;     /* −1 when gaps = 0 */
} pt_lifecycle_thresholds;

/* Fills out from o, deriving what o leaves 0 from snap's orders before as_of (see the top).
 * A threshold given explicitly wins; a derived churn threshold is raised to A + 1 if needed and a
 * derived active one lowered to C − 1. PT_EINVAL when a threshold is negative or above
 * PT_LC_MAX_DAYS, or the result breaks 1 ≤ A < C, N ≥ 1. */
int pt_lifecycle_derive(pt_lifecycle_thresholds *out, const pt_snapshot *snap, const pt_lifecycle_opts *o,
                        int64_t as_of);

typedef struct pt_lifecycle_row {
    int64_t member_id;
    int     stage;            /* enum pt_lc_stage */
    int64_t orders;           /* paid orders before as_of */
    int64_t days_since_first; /* ⌊(as_of − first) / D⌋, −1 without a paid order */
    int64_t days_since_last;  /* ⌊(as_of − last) / D⌋, −1 without a paid order */
} pt_lifecycle_row;

typedef struct pt_lifecycle_counts {
    int64_t as_of;
    size_t  stage[PT_LC__COUNT]; /* members shown, per stage */
    size_t  members;             /* not merged away: Σ stage + no_consent + erased */
    size_t  no_consent, erased, merged_away;
} pt_lifecycle_counts;

typedef struct pt_lifecycle {
    int64_t                 as_of;
    pt_lifecycle_thresholds th;
    size_t                  nrows;
    pt_lifecycle_row       *rows;   /* [nrows] shown members, ascending id */
    pt_lifecycle_counts     counts;
} pt_lifecycle;

/* Stage of every shown member as of as_of under th (validated: PT_EINVAL). PT_ENOMEM; out is
 * zeroed on failure. */
int  pt_lifecycle_compute(pt_lifecycle *out, const pt_snapshot *snap, int64_t as_of,
                          const pt_lifecycle_thresholds *th);
void pt_lifecycle_free(pt_lifecycle *lc);

/* Stage counts at n instants as_of[0..n−1], non-decreasing (else PT_EINVAL), into out[n]. */
int pt_lifecycle_counts_at(pt_lifecycle_counts *out, const pt_snapshot *snap, const int64_t *as_of, size_t n,
                           const pt_lifecycle_thresholds *th);

typedef struct pt_lifecycle_transitions {
    pt_lifecycle_counts from, to;                 /* the counts at both instants */
    size_t matrix[PT_LC__COUNT][PT_LC__COUNT];    /* [stage at from][stage at to], shown members */
} pt_lifecycle_transitions;

/* The transition matrix between from ≤ to (else PT_EINVAL): row s sums to from.stage[s],
 * column t to to.stage[t]. */
int pt_lifecycle_transition_matrix(pt_lifecycle_transitions *out, const pt_snapshot *snap, int64_t from,
                                   int64_t to, const pt_lifecycle_thresholds *th);

/* The month ends in (from, to] in time zone `zone`: the first instant of every local calendar
 * month that starts after from and at or before to, ascending — the instants at which "the
 * stage at the end of the previous month" is read. *out is malloc'd (caller frees; NULL when
 * *n = 0). PT_EINVAL for an unknown zone, to < from or more than 1,200 months; PT_ENOMEM. */
int pt_lifecycle_month_ends(const char *zone, int64_t from, int64_t to, int64_t **out, size_t *n);

/* Stable ASCII key ("won_back"), display name in English or zh-CN; NULL for an unknown stage. */
const char *pt_lifecycle_stage_key(int stage);
const char *pt_lifecycle_stage_name(int stage, int zh);

#endif

/* rfm.h — recency, frequency and monetary value per member over a snapshot, quintile scores,
 * the above/below-mean variant and two named segment maps (docs/rfm.md has the definitions).
 *
 * As of an instant as_of (UTC epoch s), for every member the snapshot may show
 * (pt_snapshot_member_use = PT_SNAP_USE), counting paid orders only:
 *  - recency   whole days from the last paid order before as_of to as_of (⌊Δs / 86400⌋);
 *  - frequency paid orders in the window: [as_of − window_days·86400, as_of), or all history
 *              before as_of when window_days is 0;
 *  - monetary  their sum in cents, or the average per order in cents rounded down.
 * Members with at least one paid order in the window are "scored"; the others keep their
 * values but have scores 0 and segment PT_RFM_SEG_NONE.
 *
 * Scores 1–5, rank-based over the n scored members: a value's score is 1 + ⌊5·b/n⌋ where b is
 * how many scored members have a strictly worse value (recency: more days; frequency and
 * monetary: less). Equal values always get equal scores: a run of ties takes the score of its
 * worst-ranked position, so ties fall to the lower quintile, and a quintile a tie spans may
 * stay empty. Equivalently score = 1 + #{k = 1..4 : value better than cut_k}, cut_k being the
 * ⌈k·n/5⌉-th worst value (the cuts are in pt_rfm_totals). All integer.
 *
 * Above/below the mean: H when strictly better than the mean of the scored members (recency:
 * fewer days), else L — decided exactly with integer sums (v·n against Σ).
 *
 * Consent: members without analytics consent and erased members are not rows; they count in
 * pt_rfm_totals (members, orders, revenue in the window) and in the segment summary's
 * anonymous rows only. Merged-away members count nowhere.
 *
 * Threads: computing the values and the scores splits the members over opts.threads threads
 * (pthreads), the three sorts run in parallel. Results do not depend on the thread count.
 * Memory: pt_rfm owns its rows; pt_rfm_free releases everything.
 */
#ifndef PATRON_RFM_H
#define PATRON_RFM_H

#include "patron/snapshot.h"

#include <stddef.h>
#include <stdint.h>

#define PT_RFM_DAY_S       86400
#define PT_RFM_THREADS_MAX 64

enum pt_rfm_monetary {
    PT_RFM_SUM = 0, /* total spend in the window */
    PT_RFM_AVG = 1, /* spend per order, rounded down to the cent */
};

enum pt_rfm_map {
    PT_RFM_MAP11 = 11, /* R-F-M score code (125 codes) → 11 named segments */
    PT_RFM_MAP8 = 8,   /* R/F/M above or below the mean: 重要价值客户 … 一般挽留客户 */
};

/* Segments of the 11 map (ids 0..10) — docs/rfm.md has the table of the 125 codes. */
enum pt_rfm_seg11 {
    PT_SEG_CHAMPIONS = 0,
    PT_SEG_LOYAL,
    PT_SEG_POTENTIAL_LOYALIST,
    PT_SEG_NEW,
    PT_SEG_PROMISING,
    PT_SEG_NEED_ATTENTION,
    PT_SEG_ABOUT_TO_SLEEP,
    PT_SEG_AT_RISK,
    PT_SEG_CANT_LOSE_THEM,
    PT_SEG_HIBERNATING,
    PT_SEG_LOST,
    PT_SEG11__COUNT
};

/* Segments of the 8 map (ids 0..7), R first, H = better than the mean. */
enum pt_rfm_seg8 {
    PT_SEG_IMPORTANT_VALUE = 0,   /* HHH 重要价值客户 */
    PT_SEG_IMPORTANT_DEVELOP,     /* HLH 重要发展客户 */
    PT_SEG_IMPORTANT_RETAIN,      /* LHH 重要保持客户 */
    PT_SEG_IMPORTANT_WINBACK,     /* LLH 重要挽留客户 */
    PT_SEG_GENERAL_VALUE,         /* HHL 一般价值客户 */
    PT_SEG_GENERAL_DEVELOP,       /* HLL 一般发展客户 */
    PT_SEG_GENERAL_RETAIN,        /* LHL 一般保持客户 */
    PT_SEG_GENERAL_WINBACK,       /* LLL 一般挽留客户 */
    PT_SEG8__COUNT
};

/* Pseudo-segments, in both maps: a shown member without paid orders in the window, and the
 * two anonymous rows of the summary. */
#define PT_RFM_SEG_NONE       100
#define PT_RFM_SEG_NO_CONSENT 101
#define PT_RFM_SEG_ERASED     102

/* hl bits: better than the mean. */
#define PT_RFM_HL_R 4
#define PT_RFM_HL_F 2
#define PT_RFM_HL_M 1

typedef struct pt_rfm_opts {
    int64_t as_of;       /* UTC epoch s; orders strictly before it count */
    int     window_days; /* 0 = all history before as_of */
    int     monetary;    /* enum pt_rfm_monetary */
    int     threads;     /* 0 = online CPUs (≤ PT_RFM_THREADS_MAX); 1 = the calling thread only */
} pt_rfm_opts;

/* as_of given; all history, sum, threads 0. Cannot fail. */
void pt_rfm_opts_init(pt_rfm_opts *o, int64_t as_of);

typedef struct pt_rfm_row {
    int64_t member_id;
    int64_t recency_days;   /* −1 when no paid order before as_of at all */
    int64_t frequency;      /* paid orders in the window */
    int64_t revenue_cents;  /* their sum */
    int64_t monetary_cents; /* revenue_cents, or revenue_cents / frequency (opts.monetary); 0 if none */
    uint8_t r, f, m;        /* 1–5; 0 when unscored */
    uint8_t hl;             /* PT_RFM_HL_* bits; 0 when unscored */
    uint8_t seg11, seg8;    /* segment ids, or PT_RFM_SEG_NONE when unscored */
} pt_rfm_row;

typedef struct pt_rfm_totals {
    size_t  members;           /* not merged away: rows + no_consent + erased */
    size_t  rows;              /* members shown */
    size_t  scored;            /* rows with a paid order in the window */
    size_t  no_consent, erased, merged_away;
    size_t  anon_buyers;       /* not shown (no consent or erased), with a paid order in the window */
    int64_t anon_orders, anon_revenue_cents; /* their paid orders in the window */
    int64_t erased_revenue_cents;             /* the erased members' part of it */
    int64_t orders, revenue_cents;            /* paid orders in the window, every member */
    int64_t sum_recency_days, sum_frequency, sum_monetary_cents; /* over scored rows */
    int64_t cut_recency_days[4], cut_frequency[4], cut_monetary_cents[4]; /* cut_1..cut_4 */
} pt_rfm_totals;

typedef struct pt_rfm {
    pt_rfm_opts   opts;     /* as used (threads: how many ran) */
    size_t        nrows;
    pt_rfm_row   *rows;     /* [nrows] shown members, ascending id */
    pt_rfm_totals t;
} pt_rfm;

/* Computes out over snap. PT_EINVAL for a negative window or an unknown monetary mode,
 * PT_ENOMEM; out is zeroed on failure. */
int  pt_rfm_compute(pt_rfm *out, const pt_snapshot *snap, const pt_rfm_opts *o);
void pt_rfm_free(pt_rfm *r);

/* One row of the segment summary. Averages are over the members of the segment that have
 * values (0 for the anonymous rows); shares are of totals.members and of every member's
 * revenue in the window (for display; no decision rests on them). */
typedef struct pt_rfm_segment {
    int     id;              /* segment id or PT_RFM_SEG_* pseudo-segment */
    size_t  members;
    int64_t revenue_cents;
    double  share_members;   /* 0–1 */
    double  share_revenue;   /* 0–1; 0 when there is no revenue */
    double  avg_recency_days, avg_frequency, avg_monetary_cents;
} pt_rfm_segment;

#define PT_RFM_SEGMENTS_MAX (PT_SEG11__COUNT + 3)
/* The summary for map (enum pt_rfm_map): the map's segments in id order, then NONE,
 * NO_CONSENT and ERASED; member counts add up to totals.members. Returns the number of rows
 * written to out[PT_RFM_SEGMENTS_MAX], or PT_EINVAL for an unknown map. */
int pt_rfm_segments(const pt_rfm *r, int map, pt_rfm_segment *out);

/* The 11-map segment of scores r, f, m (each 1–5): the entry for code "rfm" in the 125-code
 * table (../shared/data/rfm/rfm_segment_map_11seg_125codes.csv); −1 when a score is out of
 * range. The 8-map segment of hl bits (0–7), as in ../shared/data/rfm/rfm_segment_map_cn8.csv. */
int pt_rfm_seg11_of(int r, int f, int m);
int pt_rfm_seg8_of(int hl);
/* The segment of row in map (enum pt_rfm_map). */
int pt_rfm_row_segment(const pt_rfm_row *row, int map);
/* Display name in English or zh-CN (zh non-zero), and a stable ASCII key ("champions",
 * "important_value", "none", …); NULL for an unknown segment. */
const char *pt_rfm_segment_name(int map, int seg, int zh);
const char *pt_rfm_segment_key(int map, int seg);
/* "HLH" for hl bits (static storage, one per combination). */
const char *pt_rfm_hl_code(int hl);

#endif

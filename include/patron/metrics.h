/* metrics.h — loyalty KPIs over a snapshot: members, new and active members, repurchase rate
 * (复购率, two definitions), churn rate (客户流失率), average order value, purchase frequency,
 * revenue, retention by first-purchase cohort (monthly matrix), NPS (净推荐值) per survey, and
 * monthly trends. docs/metrics.md has every definition; in short, for a period [from, to) in
 * UTC epoch seconds, counting paid orders only (refunded and cancelled ones count nowhere):
 *
 *   members        not merged away, registered before to
 *   new            registered in [from, to)
 *   active         at least one paid order in [from, to)
 *   repurchase     buyers in the period with ≥ 2 paid orders in it / buyers in the period
 *   repurchase ever  members with ≥ 2 paid orders before to / members with ≥ 1 before to
 *   churn          active in the previous period [from − L, from), L = to − from, and without a
 *                  paid order in [from, to) / active in the previous period
 *   AOV            revenue / orders in the period, cents, rounded to the nearest cent (halves up)
 *   frequency      orders / active members in the period (the exact fraction, and ×100 rounded)
 *
 * Rates are basis points (1 bp = 0.01 %), rounded to the nearest (halves away from zero), and
 * PT_METRICS_NONE when the denominator is 0; every count behind a rate is given too, so the
 * exact fraction is always available.
 *
 * Populations (consent, DESIGN.md): plain totals — members, new, active, orders, revenue, AOV,
 * frequency and the monthly trends — count every member not merged away, those without
 * analytics consent and erased ones included, anonymously (no per-member figure comes out of a
 * total). Measures that follow a member's own history or answers — both repurchase rates, churn,
 * the cohort matrix and NPS — use only members with pt_snapshot_member_use = PT_SNAP_USE; how
 * many were left out is reported beside each. Merged-away members count nowhere (their orders
 * moved to the survivor).
 *
 * Points liability and tier distribution are read from the snapshot's accounts as loaded (now,
 * not a period): every member not merged away, anonymously.
 *
 * Months are local calendar months in a time zone (the tenant's, config.json), via tz.h.
 * Memory: results are caller-owned structs; pt_metrics_cohorts_free and free() for trends.
 * Single-threaded: one pass over the orders per call.
 */
#ifndef PATRON_METRICS_H
#define PATRON_METRICS_H

#include "patron/snapshot.h"

#include <stddef.h>
#include <stdint.h>

#define PT_METRICS_NONE       (-1)  /* a rate or average without a denominator */
#define PT_METRICS_MONTHS_MAX 1200  /* months in one cohort or trend run */
#define PT_COHORT_MONTHS_MAX  60    /* retention cells per cohort */

/* num · 10000 / den in basis points, rounded to the nearest (halves away from zero);
 * PT_METRICS_NONE when den = 0. */
int64_t pt_metrics_bp(int64_t num, int64_t den);
/* The bucket k with b[k] ≤ t < b[k + 1] of nb ascending boundaries (nb − 1 buckets, e.g. month
 * starts and the end of the last), or −1 when t falls outside them all. */
long    pt_metrics_bucket_of(const int64_t *b, size_t nb, int64_t t);
/* num / den rounded to the nearest integer (halves away from zero); PT_METRICS_NONE when den = 0. */
int64_t pt_metrics_div(int64_t num, int64_t den);

typedef struct pt_kpi {
    int64_t from, to;          /* the period [from, to), UTC epoch s */
    /* every member not merged away, anonymously */
    size_t  members;           /* registered before to */
    size_t  members_new;       /* registered in [from, to) */
    size_t  active;            /* ≥ 1 paid order in [from, to) */
    int64_t orders;            /* paid orders in [from, to) */
    int64_t revenue_cents;     /* their amounts */
    int64_t aov_cents;         /* pt_metrics_div(revenue_cents, orders) */
    int64_t frequency_x100;    /* pt_metrics_div(100 · orders, active) */
    size_t  anonymous_no_consent, anonymous_erased; /* of members: left out of the measures below */
    /* consenting members only (PT_SNAP_USE) */
    size_t  buyers;            /* ≥ 1 paid order in [from, to) */
    size_t  repeat_buyers;     /* ≥ 2 paid orders in [from, to) */
    int64_t repurchase_bp;     /* repeat_buyers / buyers */
    size_t  ever_buyers;       /* ≥ 1 paid order before to */
    size_t  ever_repeat;       /* ≥ 2 paid orders before to */
    int64_t repurchase_ever_bp;/* ever_repeat / ever_buyers */
    size_t  prev_active;       /* ≥ 1 paid order in [from − (to − from), from) */
    size_t  churned;           /* of those, no paid order in [from, to) */
    int64_t churn_bp;          /* churned / prev_active */
} pt_kpi;

/* The KPIs of [from, to). PT_EINVAL when to ≤ from. */
int pt_metrics_kpi(pt_kpi *out, const pt_snapshot *snap, int64_t from, int64_t to);

/* A slice of the KPIs (`patron kpi --by`): only members i with group[i] == g (group NULL: every
 * member), and only the orders of channel index `channel` (−1: every order; otherwise the
 * snapshot must have order_channel) — as if the others did not exist, so "active" means bought
 * in that channel, repurchase means two orders there, and members / new count every member of
 * the group. The same definitions and populations as pt_metrics_kpi otherwise. */
typedef struct pt_kpi_slice {
    const int32_t *group;   /* [nmembers] group of each member, or NULL */
    int32_t        g;
    int32_t        channel; /* −1: all */
} pt_kpi_slice;
int pt_metrics_kpi_slice(pt_kpi *out, const pt_snapshot *snap, int64_t from, int64_t to, const pt_kpi_slice *sl);

typedef struct pt_cohort {
    int64_t month;     /* first instant of the local month of first purchase, UTC epoch s */
    size_t  size;      /* consenting members whose first paid order ever is in this month */
    int     observed;  /* cells 1..observed are months that ended by `to`; later ones are 0 */
    size_t  retained[PT_COHORT_MONTHS_MAX + 1]; /* [k]: of size, with a paid order in month +k; [0] = size */
} pt_cohort;

typedef struct pt_cohorts {
    int        months;    /* cells per cohort, 1..PT_COHORT_MONTHS_MAX */
    size_t     n;
    pt_cohort *cohorts;   /* [n] every local month overlapping [from, to), ascending, empty ones included */
    size_t     anonymous; /* members without consent or erased whose first purchase is in those months */
} pt_cohorts;

/* Retention by first-purchase month: cohorts are the local months (zone) overlapping [from, to),
 * whole months; a member belongs to the month of its first paid order ever; cell k counts the
 * cohort's members with a paid order in the k-th month after it. A cell is observed only when
 * that month ended at or before to. PT_EINVAL for to ≤ from, an unknown zone, months outside
 * 1..PT_COHORT_MONTHS_MAX or more than PT_METRICS_MONTHS_MAX months; PT_ENOMEM. out is zeroed
 * on failure. */
int  pt_metrics_cohorts(pt_cohorts *out, const pt_snapshot *snap, const char *zone, int64_t from, int64_t to,
                        int months);
void pt_metrics_cohorts_free(pt_cohorts *c);

typedef struct pt_nps {
    size_t  answers;        /* consenting members' answers scored 0–10 in [from, to) */
    size_t  promoters;      /* 9–10 */
    size_t  passives;       /* 7–8 */
    size_t  detractors;     /* 0–6 */
    size_t  respondents;    /* distinct members behind `answers` */
    int64_t nps_x100;       /* (promoters − detractors) · 10000 / answers, i.e. NPS × 100 (−10000..10000), */
                            /* rounded halves away from zero; PT_METRICS_NONE without answers */
    size_t  out_of_range;   /* consenting answers with a score outside 0–10: left out */
    size_t  anonymous;      /* answers of members without consent or erased: left out */
    size_t  merged_away;    /* answers still held by merged-away members: left out */
} pt_nps;

/* NPS of survey `name` (e.g. "nps") over answers given in [from, to); every answer counts (a
 * member answering twice counts twice). A survey nobody answered gives zeros and PT_OK.
 * answers + out_of_range + anonymous + merged_away = every answer of that survey in the period.
 * PT_EINVAL when to ≤ from. */
int pt_metrics_nps(pt_nps *out, const pt_snapshot *snap, const char *name, int64_t from, int64_t to);

/* The same over the members i with group[i] == g only (group NULL: every member), e.g. one tier
 * (snap->member_tier) or one RFM segment (`patron nps --by tier|segment`). The counts of every
 * group of a partition add up to those of pt_metrics_nps. */
int pt_metrics_nps_slice(pt_nps *out, const pt_snapshot *snap, const char *name, int64_t from, int64_t to,
                         const int32_t *group, int32_t g);

typedef struct pt_trend_month {
    int64_t month;          /* first instant of the local month, UTC epoch s */
    size_t  members;        /* not merged away, registered before the month ends */
    size_t  members_new;    /* registered in the month */
    size_t  active;         /* ≥ 1 paid order in the month */
    int64_t orders;         /* paid orders in the month */
    int64_t revenue_cents;
    int64_t aov_cents;      /* pt_metrics_div(revenue_cents, orders) */
} pt_trend_month;

/* One row per local month (zone) overlapping [from, to), whole months, every member not merged
 * away counted anonymously. *out is malloc'd (caller frees). PT_EINVAL as for cohorts;
 * PT_ENOMEM. */
int pt_metrics_trends(pt_trend_month **out, size_t *n, const pt_snapshot *snap, const char *zone, int64_t from,
                      int64_t to);

typedef struct pt_points_tiers {
    size_t  holders;           /* members not merged away with a positive available balance */
    int64_t liability_points;  /* Σ positive available balances: points members can still redeem */
    int64_t pending_points;    /* Σ pending points (return window), not yet redeemable */
    int64_t overdrawn_points;  /* Σ −balance over negative balances (refunds under "negative") */
    size_t  ntiers;            /* = snap->ntier_names */
    size_t *members_per_tier;  /* [ntiers + 1]: [k] members in tier snap->tier_names[k], [ntiers] without a tier */
} pt_points_tiers;

/* Points liability and tier distribution over every member not merged away. PT_ENOTFOUND when
 * the snapshot has no accounts (has_accounts = 0); PT_ENOMEM. pt_metrics_points_free frees. */
int  pt_metrics_points(pt_points_tiers *out, const pt_snapshot *snap);
void pt_metrics_points_free(pt_points_tiers *p);

/* Points flows of a period [from, to) from the ledger (not the snapshot: the snapshot holds
 * balances, not entries), store-wide and anonymous, by the entries' business time:
 *   issued     Σ earned points (EARN, pending or available)   reversed  Σ clawed back by refunds
 *   issued_net issued − reversed                               redeemed  Σ REDEEM − Σ RESTORE
 *   expired    Σ expired remainders                            adjusted_in / adjusted_out by operators
 *   redemption_rate_bp = redeemed / issued_net, breakage_bp = expired / issued_net (basis points;
 *   PT_METRICS_NONE when issued_net ≤ 0). Over a programme's whole life, issued_net + adjusted_in
 *   − adjusted_out = redeemed + expired + what is still held (docs/metrics.md). PT_EINVAL when
 *   to ≤ from; the store's errors. */
typedef struct pt_points_flow {
    int64_t issued, reversed, issued_net, redeemed, expired, adjusted_in, adjusted_out;
    int64_t earn_entries, redeem_entries, expire_entries;
    int64_t redemption_rate_bp, breakage_bp;
} pt_points_flow;
int pt_metrics_points_flow(pt_points_flow *out, pt_store *store, int64_t from, int64_t to);

/* The first instants of the local months overlapping [from, to), plus `extra` more months after
 * them and the end of the last: *n months, (*n + extra + 1) instants in *out (malloc'd). */
int pt_metrics_months(const char *zone, int64_t from, int64_t to, int extra, int64_t **out, size_t *n);

#endif

/* campaign.h — campaigns: an audience, an offer, a schedule, a reproducible control group,
 * a launch that issues the offers through the programme and enqueues the messages, and a
 * report of measured uplift (treatment vs control) with confidence intervals.
 *
 * Control group: member m is held out of campaign c when
 *   u(m) = first 8 bytes (little-endian) of BLAKE2b-64(seed ‖ member_id) / 2^64  <  control_bp / 10000
 * — random in the statistical sense, reproducible (same seed, same members, any machine, any
 * order) and independent between campaigns with different seeds.
 *
 * Launch: for each member of the audience (evaluated on a snapshot taken at launch), in one
 * locking transaction: the member's arm (campaign_members; an arm already there means the
 * member was done by an earlier, interrupted launch: skipped), then for treatment the offer
 * (bonus points through pt_ledger_earn with the idempotency key "campaign:<id>", or a coupon,
 * with its audit record) and the message in the outbox. So a launch can be re-run after a
 * crash and never gives twice; the outbox message exists only if the offer committed.
 *
 * Report (docs/campaigns.md): over [launched_at, ends_at), per arm: conversion (≥ 1 paid
 * order), repurchase (≥ 2), orders and revenue per member; the differences with
 * normal-approximation intervals for proportions (unpooled standard error) and Welch
 * intervals for means (t distribution, Welch–Satterthwaite degrees of freedom), two-sided
 * p-values, incremental revenue and orders (difference × treated) and the cost per
 * incremental order (points value of the offer / incremental orders).
 */
#ifndef PATRON_CAMPAIGN_H
#define PATRON_CAMPAIGN_H

#include "patron/audience.h"
#include "patron/ledger.h"
#include "patron/store_campaign.h"

#include <stddef.h>
#include <stdint.h>

/* 1 when member_id is in the control group of a campaign with this seed and share. */
int    pt_campaign_in_control(int64_t seed, int64_t member_id, int control_bp);
double pt_campaign_unit(int64_t seed, int64_t member_id); /* u(m) in [0, 1) */

/* Checks and stores a new campaign (id, status and counts set here). PT_EINVAL / PT_EPARSE
 * with the field and reason in errmsg; PT_EEXIST for a taken name. */
int pt_campaign_create(pt_db *db, pt_campaign_rec *c, char *errmsg, size_t errmsg_len);

typedef struct pt_campaign_launch_stats {
    int64_t audience;       /* members matched */
    int64_t treated, control;
    int64_t skipped;        /* already assigned by an earlier launch */
    int64_t over_budget;    /* not assigned: the points budget was reached */
    int64_t points;         /* points given */
} pt_campaign_launch_stats;

/* Launches campaign id over ctx (prepared on a fresh snapshot; ctx->channel is set from the
 * campaign). l may be NULL unless the offer is points. PT_ESTATE before starts_at. */
int pt_campaign_launch(pt_db *db, pt_ledger *l, int64_t id, pt_audience_ctx *ctx, pt_campaign_launch_stats *st,
                       char *errmsg, size_t errmsg_len);

/* The scheduler's call (`patron serve`, cron; `patron campaign run-due`): launches every draft
 * campaign whose starts_at has come, each over a fresh snapshot with the programme's tier
 * ladder and the BG/NBD p_alive / churn_risk score sources. *launched counts them. Stops at
 * the first failure (errmsg names the campaign). */
int pt_campaign_launch_due(pt_db *db, int *launched, char *errmsg, size_t errmsg_len);

typedef struct pt_uplift_arm {
    int64_t n;
    double  conversion;     /* share with ≥ 1 paid order */
    double  repurchase;     /* share with ≥ 2 */
    double  orders;         /* per member */
    double  revenue;        /* cents per member */
    double  revenue_sd;     /* sample standard deviation of revenue per member */
} pt_uplift_arm;

typedef struct pt_uplift_diff {
    double diff, lo, hi;    /* treatment − control and its interval */
    double p;               /* two-sided p-value of "no difference" */
    int    significant;     /* p < 1 − confidence */
} pt_uplift_diff;

typedef struct pt_uplift {
    double         confidence;          /* e.g. 0.95 */
    pt_uplift_arm  t, c;
    pt_uplift_diff conversion, repurchase, revenue, orders;
    double         incremental_revenue; /* cents: revenue.diff × t.n */
    double         incremental_orders;  /* orders.diff × t.n */
} pt_uplift;

/* The statistics from per-member outcomes: arm[k] 1 treatment / 0 control, orders[k] paid
 * orders in the window, revenue[k] cents. PT_EINVAL when an arm has fewer than 2 members or
 * confidence is outside (0, 1). */
int pt_uplift_compute(pt_uplift *out, const int *arm, const int64_t *orders, const int64_t *revenue, size_t n,
                      double confidence);

typedef struct pt_campaign_report {
    pt_campaign_rec c;
    int64_t         window_from, window_to;
    pt_uplift       u;
    int64_t         points_cost;        /* offer points × treated */
    int64_t         points_cost_cents;  /* their value under the programme (0 without one) */
    double          cost_per_incremental_order_cents; /* 0 when no incremental order */
} pt_campaign_report;

/* Outcomes of the campaign's members in snap over [launched_at, ends_at) (ends_at 0 or in the
 * future: up to as_of). PT_ESTATE when not launched. p (may be NULL) values the points. */
int pt_campaign_report_compute(pt_db *db, int64_t id, const pt_snapshot *snap, int64_t as_of, const pt_programme *p,
                               double confidence, pt_campaign_report *out, char *errmsg, size_t errmsg_len);

#endif

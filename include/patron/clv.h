/* clv.h — customer lifetime value: the BG/NBD and Pareto/NBD purchase models, the Gamma-Gamma
 * spend model, fitted by maximum likelihood (GSL multimin), and per-member P(alive), expected
 * purchases, expected spend and discounted lifetime value (docs/clv.md has every formula with
 * its source).
 *
 * Summary (the models' sufficient statistics), per member, over the calibration period that
 * ends at the instant end (orders strictly before it count), paid orders only:
 *  - purchases on one day (UTC day shifted by tz_offset_s) merge into one transaction whose
 *    amount is their sum (the CDNOW convention);
 *  - x   = transactions − 1 (repeat transactions; the first purchase is not counted);
 *  - t_x = days from the first to the last transaction / unit_days;
 *  - T   = days from the first transaction to the last calibration day (the day of end − 1s)
 *          / unit_days — so with end = 1997-10-01T00:00 the last day is 1997-09-30, as in the
 *          literature;
 *  - m_x = mean amount of the repeat transactions (the first excluded), in cents as a double
 *          (a mean need not be whole cents); 0 when x = 0.
 * Only members the snapshot may show (pt_snapshot_member_use = PT_SNAP_USE) with a paid order
 * before end are rows; members without analytics consent and erased members are counted in
 * anon and are in neither the fit nor the output (withdrawn consent keeps a member's data out
 * of analytics altogether). A summary built from plain arrays has no member ids and any units.
 *
 * Units: time in the summary's unit (weeks by default); model parameters α, β are in that
 * unit, γ in the summary's money unit (cents from a snapshot, dollars for the CDNOW arrays).
 * Doubles are used inside the models; money leaves the API as whole cents (rounded, clamped).
 *
 * Threads: the log-likelihood sum over distinct summary rows and the scoring are split over
 * threads (pthreads) when there are enough rows to pay; floating-point partial sums are added
 * in thread order, so a fit may differ in the last bits between thread counts, never more.
 * Memory: each struct owns its arrays; the *_free functions release them.
 */
#ifndef PATRON_CLV_H
#define PATRON_CLV_H

#include "patron/snapshot.h"

#include <stddef.h>
#include <stdint.h>

#define PT_CLV_THREADS_MAX 64
#define PT_CLV_PARAMS_MAX  4

enum pt_clv_model {
    PT_CLV_BGNBD = 1,  /* r, alpha, a, b   (Fader, Hardie & Lee 2005) */
    PT_CLV_PARETO = 2, /* r, alpha, s, beta (Schmittlein, Morrison & Colombo 1987) */
    PT_CLV_GG = 3,     /* p, q, gamma       (Fader, Hardie & Lee 2005, "RFM and CLV") */
};

/* "bgnbd", "pareto", "gg"; NULL for an unknown model. Parameter names in JSON order. */
const char *pt_clv_model_name(int model);
int         pt_clv_model_of(const char *name); /* 0 when unknown */
const char *pt_clv_param_name(int model, int k);
int         pt_clv_nparams(int model);

/* --- summary --------------------------------------------------------------------------------- */
typedef struct pt_clv_summary {
    size_t   n;
    int64_t *member_id;  /* [n] ascending, or NULL for a summary from arrays */
    double  *x;          /* [n] repeat transactions */
    double  *t_x;        /* [n] time of the last transaction, in units since the first */
    double  *T;          /* [n] age at the end of calibration, in units */
    double  *m_x;        /* [n] mean repeat spend (cents from a snapshot), 0 when x = 0 */
    double   unit_days;  /* days per time unit (7 = weeks) */
    int64_t  end;        /* calibration end, UTC epoch s (0 from arrays) */
    size_t   no_history; /* shown members without a paid order before end */
    size_t   anon;       /* members without analytics consent or erased */
} pt_clv_summary;

/* The summary of snap as of end (see the top of this file); unit_days > 0; tz_offset_s moves
 * day boundaries to the tenant's zone. PT_EINVAL, PT_ENOMEM; out is zeroed on failure. */
int pt_clv_summary_from_snapshot(pt_clv_summary *out, const pt_snapshot *snap, int64_t end, double unit_days,
                                 int32_t tz_offset_s);
/* A copy of plain arrays (m_x may be NULL: no spend). PT_EINVAL when a row is impossible
 * (x < 0, t_x < 0, T < t_x, x > 0 with t_x = 0 allowed), PT_ENOMEM. */
int  pt_clv_summary_from_arrays(pt_clv_summary *out, size_t n, const double *x, const double *t_x,
                                const double *T, const double *m_x);
void pt_clv_summary_free(pt_clv_summary *s);

/* --- per-customer model functions (param in the order of pt_clv_param_name) ---------------- */
/* BG/NBD: log-likelihood of (x, t_x, T); P(alive at T); E[X(t)] for a new customer;
 * E[Y(t) | x, t_x, T] in the next t units; P(X(t) = n) for a new customer. */
double pt_clv_bgnbd_ll(const double *param, double x, double t_x, double T);
double pt_clv_bgnbd_p_alive(const double *param, double x, double t_x, double T);
double pt_clv_bgnbd_expected(const double *param, double t);
double pt_clv_bgnbd_conditional(const double *param, double t, double x, double t_x, double T);
double pt_clv_bgnbd_pmf(const double *param, double t, int n);
/* Pareto/NBD: the same quantities (no pmf). */
double pt_clv_pareto_ll(const double *param, double x, double t_x, double T);
double pt_clv_pareto_p_alive(const double *param, double x, double t_x, double T);
double pt_clv_pareto_expected(const double *param, double t);
double pt_clv_pareto_conditional(const double *param, double t, double x, double t_x, double T);
/* Gamma-Gamma: log-likelihood of a customer's x ≥ 1 repeat transactions with mean m; the
 * conditional expected average spend E[Z | x, m] (the population mean pγ/(q − 1) when x = 0;
 * NaN when q ≤ 1). */
double pt_clv_gg_ll(const double *param, double x, double m);
double pt_clv_gg_conditional(const double *param, double x, double m);

/* Dispatch on a purchase model (PT_CLV_BGNBD or PT_CLV_PARETO); NaN for another model. */
double pt_clv_p_alive(int model, const double *param, double x, double t_x, double T);
double pt_clv_conditional(int model, const double *param, double t, double x, double t_x, double T);
double pt_clv_expected(int model, const double *param, double t);

/* log 2F1(a, b; c; z) for a, b, c > 0 and 0 ≤ z < 1, where every term of the series is
 * positive: GSL's gsl_sf_hyperg_2F1 first, the series summed in scaled form when GSL reports
 * an error (e.g. z near 1 with large a, b). NaN outside that domain. */
double pt_clv_log_hyp2f1(double a, double b, double c, double z);

/* --- fitting --------------------------------------------------------------------------------- */
typedef struct pt_clv_fit_opts {
    int    model;    /* enum pt_clv_model */
    int    threads;  /* 0 = online CPUs (≤ PT_CLV_THREADS_MAX); 1 = the calling thread */
    int    max_iter; /* iterations per run: each Nelder–Mead run, and the BFGS polish (≤ 200) */
    double tol;      /* stop when the simplex size (in log-parameters) is below this */
} pt_clv_fit_opts;

/* model given; threads 0, max_iter 2000, tol 1e-8. Cannot fail. */
void pt_clv_fit_opts_init(pt_clv_fit_opts *o, int model);

typedef struct pt_clv_fit {
    int    model;
    int    nparams;
    double param[PT_CLV_PARAMS_MAX]; /* in pt_clv_param_name order */
    double log_likelihood;           /* at param, summed over the customers used */
    size_t n_used;                   /* customers in the likelihood (GG: those with x ≥ 1, m > 0) */
    size_t n_distinct;               /* distinct rows the likelihood was summed over */
    int    iterations;               /* over every start and the restarts */
    int    converged;                /* 1 when ‖∇(−LL/N)‖₂ in log-parameters ≤ 1e-6 at param (clv.c says
                                        why that bound) */
    int    threads;                  /* threads used for the likelihood sum */
    double seconds;                  /* wall time of the fit */
} pt_clv_fit;

/* Maximises the log-likelihood of s under o->model (see docs/clv.md for the starts and the
 * stopping rule). PT_EINVAL for an unknown model, PT_ENOTFOUND when no customer qualifies,
 * PT_ENOMEM; PT_EINVAL also when no start gives a finite likelihood. */
int pt_clv_fit_model(pt_clv_fit *out, const pt_clv_summary *s, const pt_clv_fit_opts *o);
/* Total log-likelihood of s at param (the sum the fit maximises); NaN for an unknown model. */
double pt_clv_total_ll(int model, const double *param, const pt_clv_summary *s);

/* --- scoring --------------------------------------------------------------------------------- */
typedef struct pt_clv_score_opts {
    double horizon_months;  /* whole months > 0 (months of 365.25/12 days) */
    double discount_annual; /* annual rate ≥ 0, compounded monthly: d = (1 + rate)^(1/12) − 1 */
    int    threads;         /* as in pt_clv_fit_opts */
} pt_clv_score_opts;

/* 12 months, 10 % a year, threads 0. Cannot fail. */
void pt_clv_score_opts_init(pt_clv_score_opts *o);

typedef struct pt_clv_row {
    int64_t member_id;
    double  p_alive;            /* 0–1 */
    double  expected_purchases; /* E[Y(horizon) | x, t_x, T] */
    int64_t avg_spend_cents;    /* Gamma-Gamma E[Z | x, m_x], rounded */
    int64_t spend_cents;        /* avg_spend × expected_purchases, undiscounted, rounded */
    int64_t clv_cents;          /* discounted, rounded, clamped to ±INT64_MAX/2 */
} pt_clv_row;

/* Discounted value of one customer: Σ_{k=1..periods} spend · (E[Y(k·len)] − E[Y((k−1)·len)])
 * / (1 + rate)^k — in the spend's unit, period length len in the summary's time unit. */
double pt_clv_value(int model, const double *param, double x, double t_x, double T, double spend, int periods,
                    double len, double rate);

/* One row per summary row (rows[i] ↔ s->x[i]); tx is a BG/NBD or Pareto/NBD fit, gg a
 * Gamma-Gamma fit on a summary whose money unit is cents. *rows is malloc'd (caller frees);
 * PT_EINVAL, PT_ENOMEM. */
int pt_clv_score(pt_clv_row **rows, const pt_clv_summary *s, const pt_clv_fit *tx, const pt_clv_fit *gg,
                 const pt_clv_score_opts *o);

/* --- calibration / holdout report --------------------------------------------------------------
 * How well a purchase model predicts the holdout period [s->end, holdout_end): per bucket of
 * calibration frequency x = 0, 1, …, 6 and 7+ (the literature's table), the members, their mean
 * actual holdout transactions (paid orders, one per distinct day, as in the summary) and the
 * mean predicted E[Y(t) | x, t_x, T] with t the holdout length in the summary's unit; also over
 * all members. Summary rows are those of pt_clv_summary_from_snapshot(s, snap, …) with the
 * same tz_offset_s. */
#define PT_CLV_BUCKETS 8

typedef struct pt_clv_holdout {
    double t;                          /* holdout length, summary units */
    size_t n[PT_CLV_BUCKETS];          /* members with x = k (the last: x ≥ 7) */
    double actual[PT_CLV_BUCKETS];     /* mean holdout transactions */
    double predicted[PT_CLV_BUCKETS];  /* mean E[Y(t) | x, t_x, T] */
    size_t n_all;
    double actual_all, predicted_all;  /* means over every member */
} pt_clv_holdout;

/* PT_EINVAL when holdout_end is not after s->end, the fit is not BG/NBD or Pareto/NBD, or the
 * summary has no member ids (built from arrays); PT_ECORRUPT when a summary member is not in
 * snap. */
int pt_clv_holdout_report(pt_clv_holdout *out, const pt_clv_summary *s, const pt_snapshot *snap, const pt_clv_fit *f,
                          int64_t holdout_end, int32_t tz_offset_s);

#endif

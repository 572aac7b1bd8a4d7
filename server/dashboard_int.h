/* dashboard_int.h — what the dashboard's files share: the pt_dash handle (snapshot, caches,
 * mutex), the request being answered, parameter parsing that names the parameter and the
 * reason on failure, and the panels of each file. Internal to server/dashboard*.c. */
#ifndef PATRON_SERVER_DASHBOARD_INT_H
#define PATRON_SERVER_DASHBOARD_INT_H

#include "dashboard.h"
#include "patron/clv.h"
#include "patron/rfm.h"
#include "patron/snapshot.h"

#include <pthread.h>
#include <stdint.h>

#define DASH_TOP 20 /* rows of the top and at-risk lists */

struct dash_clv {
    int             valid;     /* computed for as_of */
    int64_t         as_of;
    int             fitted;    /* 0: too little history to fit (rows stay empty) */
    pt_clv_summary  sum;
    pt_clv_fit      tx, gg;
    pt_clv_row     *rows;      /* [sum.n], rows[i] ↔ sum.member_id[i] */
};

struct pt_dash {
    pthread_mutex_t mu;
    pt_db          *db;        /* the calling thread's handle, set for one call */
    int             ttl_s;
    pt_snapshot    *snap;      /* NULL until loaded */
    int64_t         loaded_at; /* monotonic seconds */
    int64_t         last_order_at; /* the snapshot's latest order, UTC epoch s (0: none) */
    int             rfm_valid;
    int64_t         rfm_as_of;
    pt_rfm          rfm;
    struct dash_clv clv;
    /* the tiers panel's activity per month for one period (a store scan of seconds on a large
     * ledger), dropped with the snapshot */
    int64_t         act_from, act_to;
    json_t         *act_months;
};

/* One request: its parameters and where the error message goes. */
struct dash_req {
    pt_dash         *d;
    pt_dash_param_fn param;
    void            *ud;
    int              personal;
    pt_dash_result  *res;
};

/* Sets res to 400/404/500 with {"error": msg}; returns the status. */
int dash_fail(struct dash_req *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

const char *dash_zone(const pt_dash *d);
/* Parameter `name` as a local date (YYYY-MM-DD): absent → *t = dflt, 0; malformed → 400. */
int dash_date(struct dash_req *r, const char *name, int64_t dflt, int64_t *t);
/* Parameter `name` as an integer in [lo, hi]: absent → dflt. */
int dash_int(struct dash_req *r, const char *name, int64_t dflt, int64_t lo, int64_t hi, int64_t *v);
/* from and to (defaults: the last 12 complete months), checked to < from. */
int dash_period(struct dash_req *r, int64_t *from, int64_t *to);
/* The default period: 12 complete local months (dashboard.c says which). */
int dash_default_period(const pt_dash *d, int64_t *from, int64_t *to);
/* "YYYY-MM-DD" / "YYYY-MM" of t in the tenant's zone. */
json_t *dash_date_json(const pt_dash *d, int64_t t);
json_t *dash_month_json(const pt_dash *d, int64_t t);
/* A rate or average, null when PT_METRICS_NONE. */
json_t *dash_opt_int(int64_t v);
/* The RFM result as of as_of (all history, sum), cached. */
int dash_rfm(pt_dash *d, int64_t as_of, const pt_rfm **out);
/* The CLV fit and scores as of as_of (BG/NBD + Gamma-Gamma, weeks, 12 months), cached. */
int dash_clv(pt_dash *d, int64_t as_of, const struct dash_clv **out);

/* dashboard.c */
int dash_meta(struct dash_req *r);
int dash_overview(struct dash_req *r);
int dash_trends(struct dash_req *r);
int dash_cohorts(struct dash_req *r);
int dash_lifecycle(struct dash_req *r);
int dash_tiers(struct dash_req *r);
/* dashboard_value.c */
int dash_segments(struct dash_req *r);
int dash_segment_members(struct dash_req *r);
int dash_value(struct dash_req *r);
/* dashboard_churn.c */
int dash_churn(struct dash_req *r);
int dash_member(struct dash_req *r);

#endif

/* dashboard_int.h — what the dashboard's files share: the pt_dash handle (the current snapshot
 * generation and its caches, the mutexes), the request being answered, parameter parsing that names the parameter and the
 * reason on failure, and the panels of each file. Internal to server/dashboard*.c. */
#ifndef PATRON_SERVER_DASHBOARD_INT_H
#define PATRON_SERVER_DASHBOARD_INT_H

#include "dashboard.h"
#include "patron/clv.h"
#include "patron/lifecycle.h"
#include "patron/programme.h"
#include "patron/rfm.h"
#include "patron/snapshot.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#define DASH_TOP   20 /* rows of the top and at-risk lists */
#define DASH_SLOTS 3  /* as_of dates cached per analysis (the value and member pages may differ) */

/* What a cache slot is for: valid for as_of, last used at the generation's use count `used`
 * (the least recently used slot goes first). */
struct dash_slot {
    int      valid;
    int64_t  as_of;
    uint64_t used;
};

struct dash_clv {
    struct dash_slot slot;
    int             fitted;    /* 0: too little history to fit (rows stay empty) */
    pt_clv_summary  sum;
    pt_clv_fit      tx, gg;
    pt_clv_row     *rows;      /* [sum.n], rows[i] ↔ sum.member_id[i] */
};

struct dash_rfm {
    struct dash_slot slot;
    pt_rfm           rfm;
};

struct dash_lc {
    struct dash_slot slot;
    pt_lifecycle     lc;
};

/* One snapshot generation and everything computed from it. A request holds a reference for its
 * whole run; a newer generation replaces it as pt_dash.cur without waiting for those requests,
 * and the last reference frees it (and hands the snapshot back to its source). */
struct dash_gen {
    int                refs;      /* under pt_dash.mu */
    uint64_t           id;        /* the source's generation number (own loads: a counter) */
    const pt_snapshot *snap;
    pt_snapshot       *own;       /* loaded by the pt_dash itself (no source), freed with the generation */
    void              *ref;       /* the source's reference, released with the generation */
    int64_t            loaded_at; /* monotonic seconds (own loads: for ttl_s) */
    int64_t            last_order_at; /* the snapshot's latest order, UTC epoch s (0: none) */
    pthread_mutex_t    mu;        /* the caches below; held for a whole panel call */
    uint64_t           uses;
    struct dash_rfm    rfm[DASH_SLOTS];
    struct dash_clv    clv[DASH_SLOTS];
    struct dash_lc     lc[DASH_SLOTS];
    int                tiers_valid; /* the programme's tiers, read from the ledger once */
    size_t             ntiers;
    char               tier_codes[PT_PROG_TIERS_MAX][PT_PROG_CODE_MAX];
    json_t            *tier_names;
};

struct pt_dash {
    pthread_mutex_t  mu;      /* cur, refs, loading */
    pthread_mutex_t  load_mu; /* one own load at a time */
    int              ttl_s;
    int              loading; /* an own load is under way: readers keep the current generation */
    uint64_t         loads;
    struct dash_gen *cur;     /* NULL until the first call */
    int              has_source;
    pt_dash_source   src;
    /* pt_dash_stats, counted from any thread */
    atomic_long      n_loads, n_borrows, n_rfm, n_clv, n_lc, n_ledger;
};

/* One request: the generation it reads, the caller's db handle, its parameters and where the
 * error message goes. */
struct dash_req {
    pt_dash         *d;
    struct dash_gen *g;
    pt_db           *db;
    pt_dash_param_fn param;
    void            *ud;
    int              personal;
    pt_dash_result  *res;
};

/* Sets res to 400/404/500 with {"error": msg}; returns the status. */
int dash_fail(struct dash_req *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

const char *dash_zone(const struct dash_req *r);
/* Parameter `name` as a local date (YYYY-MM-DD): absent → *t = dflt, 0; malformed → 400. */
int dash_date(struct dash_req *r, const char *name, int64_t dflt, int64_t *t);
/* Parameter `name` as an integer in [lo, hi]: absent → dflt. */
int dash_int(struct dash_req *r, const char *name, int64_t dflt, int64_t lo, int64_t hi, int64_t *v);
/* from and to (defaults: the last 12 complete months), checked to < from. */
int dash_period(struct dash_req *r, int64_t *from, int64_t *to);
/* The default period: 12 complete local months (dashboard.c says which). */
int dash_default_period(const struct dash_req *r, int64_t *from, int64_t *to);
/* "YYYY-MM-DD" / "YYYY-MM" of t in the tenant's zone. */
json_t *dash_date_json(const struct dash_req *r, int64_t t);
json_t *dash_month_json(const struct dash_req *r, int64_t t);
/* A rate or average, null when PT_METRICS_NONE. */
json_t *dash_opt_int(int64_t v);
/* The RFM result as of as_of (all history, sum), cached in the generation per as_of. */
int dash_rfm(struct dash_req *r, int64_t as_of, const pt_rfm **out);
/* The CLV fit and scores as of as_of (BG/NBD + Gamma-Gamma, weeks, 12 months), cached likewise. */
int dash_clv(struct dash_req *r, int64_t as_of, const struct dash_clv **out);
/* Every member's lifecycle stage as of as_of (thresholds derived as of then), cached likewise. */
int dash_lifecycle_of(struct dash_req *r, int64_t as_of, const pt_lifecycle **out);
/* Frees a generation's caches (dashboard_value.c). */
void dash_gen_caches_free(struct dash_gen *g);

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

/* server_int.h — what the server's files share: the server handle, the per-thread data
 * directory handles, one request's state, the route table, write jobs for the group-commit
 * writer, and the JSON response helpers.
 *
 * Ownership: a struct srv_req lives from the first call of the access handler for a request to
 * MHD's "request completed" callback, which frees it (body, response JSON, job). A write job
 * belongs to its request; the writer only fills it.
 */
#ifndef PATRON_SERVER_INT_H
#define PATRON_SERVER_INT_H

#include "patron/apikey.h"
#include "patron/db.h"
#include "patron/ledger.h"
#include "patron/server.h"

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>

#define SRV_PARAMS_MAX 3
#define SRV_PARAM_LEN  80
#define SRV_PERIODIC_MAX 16
#define SRV_IDEM_MAX   71 /* an Idempotency-Key of at most 70 characters (the ledger's limit) */

struct pt_server;

/* A pool thread's own handles (SQLite connections are not shared between threads). */
struct srv_thread {
    pt_db             *db;
    pt_ledger         *ledger;   /* NULL when the store has no programme yet */
    int64_t            ledger_retry_ns; /* monotonic: when a NULL ledger is looked for again */
    struct srv_thread *next;
};

/* Role bits for the route table. */
#define R_ADMIN    (1u << PT_ROLE_ADMIN)
#define R_OPERATOR (1u << PT_ROLE_OPERATOR)
#define R_ANALYST  (1u << PT_ROLE_ANALYST)
#define R_AUDITOR  (1u << PT_ROLE_AUDITOR)
#define R_PUBLIC   0u             /* no key needed */

struct srv_req;
struct srv_job;
typedef void (*srv_handler)(struct srv_req *r, struct srv_thread *t);
/* Runs on the writer thread inside the batch transaction (its own savepoint). Fills
 * j->status and j->result (or calls srv_job_error). Returns 0, or an error code to undo the
 * request's savepoint. */
typedef int (*srv_job_fn)(struct srv_job *j, pt_db *db, pt_ledger *l);

struct srv_route {
    const char *method;
    const char *pattern;   /* "/v1/members/{member}"; {x} matches one non-empty segment */
    unsigned    roles;     /* who may call it; R_PUBLIC: anyone, without a key */
    int         write;     /* 1: goes through the writer (and requires Idempotency-Key) */
    srv_handler fn;
};

extern const struct srv_route srv_routes[];
extern const int srv_nroutes;

struct srv_job {
    srv_job_fn      fn;
    struct srv_req *r;
    json_t         *in;         /* the parsed body (owned) */
    int64_t         member_id;
    char            arg[SRV_PARAM_LEN];
    char            idem[SRV_IDEM_MAX];
    char            actor[PT_APIKEY_NAME_MAX + 16];
    int             status;     /* HTTP status when fn succeeded */
    json_t         *result;     /* response body (owned) */
    int             rc;
    void           *ext;        /* route-specific input prepared on the pool thread */
    void          (*ext_free)(void *ext);
    uint8_t         req_hash[32];  /* idem.c: the request's fingerprint, once computed */
    int             req_hashed;
    struct srv_job *next;
};

enum srv_state { REQ_NEW, REQ_BODY, REQ_QUEUED, REQ_DONE };

struct srv_req {
    struct pt_server      *srv;
    struct MHD_Connection *conn;
    enum srv_state         state;
    int                    route;        /* index into srv_routes, -1 when none matched */
    const char            *method, *url;
    char                   params[SRV_PARAMS_MAX][SRV_PARAM_LEN];
    int                    nparams;
    char                  *body;
    size_t                 len, cap;
    int                    too_big;
    int                    role;         /* of the key; -1 when unauthenticated */
    int64_t                key_id;
    char                   key_name[PT_APIKEY_NAME_MAX];
    int64_t                t0_ns;        /* monotonic start */
    int                    status;
    json_t                *resp;         /* body to send (owned) */
    const char            *raw_type;     /* non-NULL: raw_body is sent with this type */
    const char            *raw_body;     /* static or owned per raw_owned */
    size_t                 raw_len;
    int                    raw_owned;
    int                    retry_after;  /* seconds, for 429/503 */
    int                    counted;      /* in pt_server.inflight (not when refused while draining) */
    struct srv_job        *job;
};

struct srv_periodic {
    unsigned         every;
    pt_server_job_fn fn;
    void            *ud;
    int64_t          next_at;
};

struct srv_writer;
struct srv_metrics;
struct srv_auth;
struct srv_analytics;
struct srv_dashboard;
struct srv_reco;

struct pt_server {
    pt_server_opts        opts;
    char                  data_dir[4096];
    char                  store_url[1024];
    struct MHD_Daemon    *mhd;
    uint16_t              port;
    pthread_key_t         tkey;
    pthread_mutex_t       threads_mu;
    struct srv_thread    *threads;
    volatile int          stop;
    int                   inflight;      /* requests admitted and not completed (atomic) */
    int                   draining;      /* stopping: new requests get 503 (atomic) */
    struct srv_writer    *writer;
    struct srv_metrics   *metrics;
    struct srv_auth      *auth;
    struct srv_analytics *analytics;
    struct srv_dashboard *dashboard;     /* routes_dashboard.c */
    struct srv_reco      *reco;          /* routes_reco.c: the recommendation model in use */
    pt_db                *main_db;       /* for the serve loop's own periodic jobs */
    struct srv_periodic   periodic[SRV_PERIODIC_MAX];
    int                   nperiodic;
    pthread_mutex_t       log_mu;
    void                 *log;           /* FILE * of DIR/logs/requests.log */
};

/* --- server.c ----------------------------------------------------------------------------- */
/* The calling pool thread's handles, opened on first use; NULL (with 503 set on r) on failure. */
struct srv_thread *srv_thread_get(struct pt_server *srv, struct srv_req *r);
int64_t srv_now_ns(void);

/* --- router.c ----------------------------------------------------------------------------- */
/* The route matching method and path (params captured into r); -1 none. *path_known is set
 * when some route has the path with another method (405 rather than 404). */
int srv_route_match(const char *method, const char *path, struct srv_req *r, int *path_known);

/* --- http.c: responses -------------------------------------------------------------------- */
void srv_json(struct srv_req *r, int status, json_t *body);   /* takes body */
void srv_error(struct srv_req *r, int status, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Maps a libpatron error onto a status and code, with msg (never personal data). */
void srv_error_rc(struct srv_req *r, int rc, const char *msg);
int  srv_status_of(int rc, const char **code);
json_t *srv_error_body(const char *code, const char *field, const char *msg);
/* 0 when a programme is loaded (l not NULL); else r gets 409 no_programme and -1. */
int srv_need_ledger(struct srv_req *r, const pt_ledger *l);
/* A query-string value, or NULL. */
const char *srv_query(struct srv_req *r, const char *name);

/* --- body.c: request bodies --------------------------------------------------------------- */
enum srv_ftype { F_INT, F_STR, F_BOOL, F_INT_ARRAY, F_OBJ_ARRAY };
struct srv_field {
    const char              *name;
    enum srv_ftype           type;
    int                      required;
    int64_t                  min, max; /* F_INT: value range; F_STR: length in bytes; arrays: items */
    const struct srv_field  *sub;      /* F_OBJ_ARRAY: the fields of each element */
    int                      nsub;
};
/* Parses body as one JSON object with exactly the given fields (unknown ones refused, types
 * and ranges checked). On failure returns NULL and fills code/field/msg for a 400/422. */
json_t *srv_body_parse(const char *body, size_t len, const struct srv_field *fields, int nfields,
                       const char **code, char *field, size_t field_cap, char *msg, size_t msg_cap);

/* --- writer.c: group commit --------------------------------------------------------------- */
int  srv_writer_start(struct pt_server *srv, char *errmsg, size_t cap);
/* Suspends r's connection and queues j; the writer resumes it after the commit. */
void srv_writer_submit(struct pt_server *srv, struct srv_req *r, struct srv_job *j);
/* Runs what is queued, then stops the thread. */
void srv_writer_stop(struct pt_server *srv);
void srv_job_error(struct srv_job *j, int rc, const char *msg);
/* On the writer: 0 when a programme is loaded (l not NULL); else PT_ESTATE with j's error set. */
int  srv_job_need_ledger(struct srv_job *j, const pt_ledger *l);
/* Starts a write request: checks Idempotency-Key, parses the body against fields, fills a job
 * and submits it. On a validation failure r gets the 4xx response and nothing is queued. */
void srv_write(struct srv_req *r, srv_job_fn fn, const struct srv_field *fields, int nfields, int64_t member_id,
               const char *arg);
/* The same in two steps, for routes that check more on the pool thread before queueing:
 * srv_write_prepare returns the job (NULL: r has the 4xx response), srv_writer_submit queues it
 * and srv_job_free drops it instead. */
struct srv_job *srv_write_prepare(struct srv_req *r, srv_job_fn fn, const struct srv_field *fields, int nfields,
                                  int64_t member_id, const char *arg);
void srv_job_free(struct srv_job *j);
/* Writer statistics for /metrics. */
void srv_writer_stats(struct pt_server *srv, uint64_t *batches, uint64_t *writes, uint64_t *commit_ns);
/* Checkpoints of the write-ahead log run so far (SQLite; 0 elsewhere), and in *tail_ns the
 * time the writer thread itself spent in them (copying the tails). */
uint64_t srv_writer_checkpoints(struct pt_server *srv, uint64_t *tail_ns);

/* --- auth.c: API keys and rate limits ------------------------------------------------------ */
int  srv_auth_init(struct pt_server *srv);
void srv_auth_free(struct pt_server *srv);
/* Checks the Authorization header; on success fills r->role, key_id, key_name. On failure sets
 * the 401 or 429 response and returns -1. */
int  srv_auth_check(struct srv_req *r, struct srv_thread *t);
void srv_auth_reload(void *ud, int64_t now);

/* --- metrics.c ------------------------------------------------------------------------------ */
int  srv_metrics_init(struct pt_server *srv);
void srv_metrics_free(struct pt_server *srv);
void srv_metrics_observe(struct pt_server *srv, int route, int status, int64_t ns);
void srv_route_metrics(struct srv_req *r, struct srv_thread *t);

/* --- reqlog.c -------------------------------------------------------------------------------- */
int  srv_log_open(struct pt_server *srv);
void srv_log_request(struct pt_server *srv, const struct srv_req *r, int64_t ns);
void srv_log_flush(void *ud, int64_t now);
void srv_log_close(struct pt_server *srv);

/* --- analytics (routes_analytics.c) ------------------------------------------------------- */
int  srv_analytics_init(struct pt_server *srv);
void srv_analytics_free(struct pt_server *srv);
void srv_analytics_refresh(void *ud, int64_t now);

/* --- member look-up shared by routes --------------------------------------------------------- */
/* Resolves the {member} parameter (a member number, or a numeric id) to an id; on failure sets
 * a 404/400 on r and returns -1. */
int srv_member_param(struct srv_req *r, struct srv_thread *t, int64_t *id);
/* The same for a member number given elsewhere (a body field). */
int srv_member_lookup(struct srv_req *r, struct srv_thread *t, const char *member_no, int64_t *id);

/* Handlers (routes_*.c). */
void route_healthz(struct srv_req *r, struct srv_thread *t);
void route_metrics(struct srv_req *r, struct srv_thread *t);
void route_openapi(struct srv_req *r, struct srv_thread *t);
void route_member_create(struct srv_req *r, struct srv_thread *t);
void route_member_get(struct srv_req *r, struct srv_thread *t);
void route_member_search(struct srv_req *r, struct srv_thread *t);
void route_member_update(struct srv_req *r, struct srv_thread *t);
void route_member_erase(struct srv_req *r, struct srv_thread *t);
void route_points_balance(struct srv_req *r, struct srv_thread *t);
void route_points_history(struct srv_req *r, struct srv_thread *t);
void route_points_lots(struct srv_req *r, struct srv_thread *t);   /* routes_ledger.c */
void route_tier_history(struct srv_req *r, struct srv_thread *t);  /* routes_ledger.c */
void route_points_earn(struct srv_req *r, struct srv_thread *t);
void route_points_redeem(struct srv_req *r, struct srv_thread *t);
void route_points_adjust(struct srv_req *r, struct srv_thread *t);
void route_order_earn(struct srv_req *r, struct srv_thread *t);
void route_order_refund(struct srv_req *r, struct srv_thread *t);
void route_tier_get(struct srv_req *r, struct srv_thread *t);
void route_rewards_list(struct srv_req *r, struct srv_thread *t);
void route_reward_redeem(struct srv_req *r, struct srv_thread *t);
void route_audit_list(struct srv_req *r, struct srv_thread *t);
void route_an_rfm_member(struct srv_req *r, struct srv_thread *t);
void route_an_segments(struct srv_req *r, struct srv_thread *t);
void route_an_lifecycle(struct srv_req *r, struct srv_thread *t);
void route_an_kpi(struct srv_req *r, struct srv_thread *t);
void route_member_export(struct srv_req *r, struct srv_thread *t);
void route_coupons_list(struct srv_req *r, struct srv_thread *t);
void route_coupon_issue(struct srv_req *r, struct srv_thread *t);
void route_coupon_use(struct srv_req *r, struct srv_thread *t);
void route_activity(struct srv_req *r, struct srv_thread *t);
void route_order_create(struct srv_req *r, struct srv_thread *t);

/* --- idem.c: Idempotency-Key of writes outside the ledger ------------------------------------ */
/* On the writer, before the write: a key already used for this request (same op, path and
 * body) fills j with the first response and sets *replayed; used for another request: 409
 * (j filled, PT_ECONFLICT). member_id 0: the key is global (its record is found through a
 * meta entry). */
int srv_idem_replay(struct srv_job *j, pt_db *db, const char *op, int64_t member_id, int *replayed);
/* After the write succeeded: keeps j's status and body under (member_id, key); global also
 * writes the meta entry srv_idem_replay finds it by. Adds "replayed": false to the body. */
int srv_idem_remember(struct srv_job *j, pt_db *db, const char *op, int64_t member_id, int global);

/* Handlers of the member merge, identities, ingest, tier evaluation, referrals and scores. */
void route_member_merge(struct srv_req *r, struct srv_thread *t);      /* routes_members.c */
void route_identities_list(struct srv_req *r, struct srv_thread *t);   /* routes_identities.c */
void route_identity_attach(struct srv_req *r, struct srv_thread *t);
void route_events_ingest(struct srv_req *r, struct srv_thread *t);     /* routes_ingest.c */
void route_surveys_ingest(struct srv_req *r, struct srv_thread *t);
void route_tier_evaluate(struct srv_req *r, struct srv_thread *t);     /* routes_tier.c */
void route_referral_code(struct srv_req *r, struct srv_thread *t);     /* routes_referrals.c */
void route_referral_register(struct srv_req *r, struct srv_thread *t);
void route_an_clv_member(struct srv_req *r, struct srv_thread *t);     /* routes_scores.c */
void route_an_churn_member(struct srv_req *r, struct srv_thread *t);

/* --- recommendations (routes_reco.c) ------------------------------------------------------- */
int  srv_reco_init(struct pt_server *srv);
void srv_reco_free(struct pt_server *srv);
void route_member_recommendations(struct srv_req *r, struct srv_thread *t);

/* --- dashboard (routes_dashboard.c) ---------------------------------------------------------- */
int  srv_dashboard_init(struct pt_server *srv);
void srv_dashboard_free(struct pt_server *srv);
void route_dashboard(struct srv_req *r, struct srv_thread *t);
void route_dashboard_segment_members(struct srv_req *r, struct srv_thread *t);
void route_web(struct srv_req *r, struct srv_thread *t);
/* The dashboard's handle (its snapshot and cached fits), for routes that read one member's
 * analytics from it (routes_scores.c); NULL before srv_dashboard_init. */
struct pt_dash *srv_dashboard_dash(struct pt_server *srv);

/* The OpenAPI document (docs/openapi.json, embedded at build time by openapi.c). */
extern const char pt__openapi_json[];

#endif

/* server_jobs.h — the campaign work `patron serve` runs on its own, as periodic jobs of the
 * serve loop (pt_server_add_periodic): deliver the outbox to the webhooks, launch campaigns
 * whose start has come, and fire the triggers. Each run opens its own data directory handle
 * (never a request thread's), does one pass and closes it; a failure is written to stderr
 * (the store's message, never personal data) and the next run tries again. Every one of these
 * passes is idempotent (campaign.h, triggers.h, outbox.h), so a run cut short by a stop or a
 * crash is simply done again.
 */
#ifndef PATRON_SERVER_JOBS_H
#define PATRON_SERVER_JOBS_H

#include "patron/server.h"

typedef struct pt_server_jobs {
    const char *data_dir;        /* required */
    const char *store_url;       /* NULL: the directory's own store */
    unsigned    outbox_every;    /* seconds between outbox passes; 0 = off */
    unsigned    launch_every;    /* seconds between checks for due campaigns; 0 = off */
    unsigned    triggers_every;  /* seconds between trigger runs; 0 = off */
    double      churn_threshold; /* the churn trigger's threshold (0 < t < 1); 0 = rule off */
    int         outbox_keep_days;      /* delivered outbox entries kept (pt_outbox_prune); 0 = 7, < 0 = forever */
    int         outbox_dead_keep_days; /* dead letters kept; 0 = 90, < 0 = forever */
    /* counts since start, for tests and /metrics-like reporting (written by the serve loop) */
    long        outbox_runs, launch_runs, trigger_runs, failures;
    long        outbox_pruned;   /* outbox entries deleted by retention */
} pt_server_jobs;

/* Defaults: outbox every 5 s, due campaigns every 60 s, triggers every 24 h, churn threshold
 * 0.7. data_dir and store_url are left for the caller. */
void pt_server_jobs_init(pt_server_jobs *j);
/* Adds the jobs that are on to srv; j must outlive the server. PT_ELIMIT (no room). */
int  pt_server_add_jobs(pt_server *srv, pt_server_jobs *j);

#endif

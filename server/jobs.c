/* jobs.c — the campaign module's periodic work inside `patron serve` (server_jobs.h): outbox
 * delivery (and then its retention: delivered entries and dead letters past their keep),
 * due campaign launches and trigger runs, each a short pass on its own data directory
 * handle, on the serve loop's thread between requests served by the pool.
 *
 * Invariant: a job never uses a pool thread's handle and never keeps one across runs, so a job
 * cannot hold a transaction open while requests wait on the writer.
 */
#include "patron/server_jobs.h"
#include "patron/campaign.h"
#include "patron/db.h"
#include "patron/error.h"
#include "patron/outbox.h"
#include "patron/triggers.h"

#include <stdio.h>
#include <time.h>

void pt_server_jobs_init(pt_server_jobs *j)
{
    *j = (pt_server_jobs){.outbox_every = 5, .launch_every = 60, .triggers_every = 86400, .churn_threshold = 0.7};
}

static pt_db *open_db(pt_server_jobs *j, const char *job)
{
    pt_db *db = NULL;
    pt_db_opts o = {.store_url = j->store_url};
    char err[512] = "";
    if (pt_db_open(&db, j->data_dir, &o, err, sizeof err) != PT_OK) {
        fprintf(stderr, "patron serve: %s: cannot open the data directory: %s\n", job, err);
        j->failures++;
        return NULL;
    }
    return db;
}

static void outbox_job(void *ud, int64_t now)
{
    pt_server_jobs *j = ud;
    pt_db *db = open_db(j, "outbox");
    if (!db)
        return;
    /* One pass sends each member's oldest due entry only (order per member), so passes repeat
     * while they find work — for at most about two seconds, as other jobs wait meanwhile. */
    pt_outbox_opts o = {.now = now};
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        pt_outbox_stats st = {0};
        if (pt_outbox_deliver_once(db, &o, &st) != PT_OK) {
            fprintf(stderr, "patron serve: outbox: %s\n", pt_db_errmsg(db));
            j->failures++;
            break;
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (st.attempted == 0 || t.tv_sec - t0.tv_sec >= 2)
            break;
    }
    pt_outbox_opts po = {.now = now, .keep_days = j->outbox_keep_days, .dead_keep_days = j->outbox_dead_keep_days};
    pt_outbox_stats ps;
    if (pt_outbox_prune(db, &po, &ps) != PT_OK) {
        fprintf(stderr, "patron serve: outbox retention: %s\n", pt_db_errmsg(db));
        j->failures++;
    } else {
        j->outbox_pruned += ps.pruned + ps.pruned_dead;
    }
    j->outbox_runs++;
    pt_db_close(db);
}

static void launch_job(void *ud, int64_t now)
{
    (void)now;
    pt_server_jobs *j = ud;
    pt_db *db = open_db(j, "campaigns");
    if (!db)
        return;
    int launched = 0;
    char err[512] = "";
    if (pt_campaign_launch_due(db, &launched, err, sizeof err) != PT_OK) {
        fprintf(stderr, "patron serve: campaigns: %s\n", err);
        j->failures++;
    } else if (launched)
        fprintf(stderr, "patron serve: campaigns: %d launched\n", launched);
    j->launch_runs++;
    pt_db_close(db);
}

static void triggers_job(void *ud, int64_t now)
{
    pt_server_jobs *j = ud;
    pt_db *db = open_db(j, "triggers");
    if (!db)
        return;
    pt_trigger_opts o;
    pt_trigger_opts_init(&o);
    o.as_of = now;
    o.churn_threshold = j->churn_threshold; /* the source: the stored churn model, else BG/NBD */
    pt_trigger_stats st;
    char err[512] = "";
    if (pt_triggers_run_db(db, &o, &st, err, sizeof err) != PT_OK) {
        fprintf(stderr, "patron serve: triggers: %s\n", err);
        j->failures++;
    }
    j->trigger_runs++;
    pt_db_close(db);
}

int pt_server_add_jobs(pt_server *srv, pt_server_jobs *j)
{
    int rc = PT_OK;
    if (j->outbox_every)
        rc = pt_server_add_periodic(srv, j->outbox_every, outbox_job, j);
    if (rc == PT_OK && j->launch_every)
        rc = pt_server_add_periodic(srv, j->launch_every, launch_job, j);
    if (rc == PT_OK && j->triggers_every)
        rc = pt_server_add_periodic(srv, j->triggers_every, triggers_job, j);
    return rc;
}

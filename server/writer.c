/* writer.c — durable writes with group commit.
 *
 * Every write request (POST/PATCH/DELETE) becomes a job in one queue. One writer thread, with
 * its own data directory handle and ledger, takes everything queued (up to opts.batch_max),
 * opens one locking transaction, runs each job in its own savepoint — a failing job rolls back
 * only its savepoint and gets its own error — and commits once: one fsync for the whole batch
 * (SQLite WAL with synchronous=FULL; PostgreSQL's commit). Only after the commit returns are
 * the jobs' connections resumed and answered, so an acknowledged write is on disk. If the
 * commit fails, every job of the batch is answered with that failure (nothing was written).
 *
 * While a batch commits, new requests queue up: the batch size adapts to the load by itself
 * (one job at low load, hundreds at high load) and no request waits for a timer.
 *
 * Jobs run in arrival order. Two writes with the same Idempotency-Key in one batch are applied
 * once: the second sees the first's key inside the same transaction and replays its result.
 * One writer means no two batches contend for the same rows (no deadlocks on PostgreSQL).
 *
 * Checkpoints (SQLite): the writer's commits do not copy the write-ahead log back into the
 * database as SQLite's automatic checkpoint would (inside a commit every 1000 pages, stalling
 * the batch for tens of ms and copying the same hot pages again and again). When a commit
 * leaves the log longer than CKPT_PAGES, the writer wakes a checkpointer thread with its own
 * connection, which runs PASSIVE checkpoints beside the writer's next batches until less than
 * CKPT_TAIL pages are left uncopied. The writer then copies that tail itself between two
 * batches (a short checkpoint on its own connection), so that the log is wholly copied when its
 * next transaction starts and SQLite starts the log over instead of growing it. While writes
 * come faster than the checkpointer can copy, the log grows (up to CKPT_HARD) rather than the
 * writer stalling on a long copy. Checkpoints run with synchronous=FULL (the database is
 * synced before the log may be reused) and every commit still syncs the log, so durability
 * does not change. The tail is copied after the batch's requests were resumed, so it delays
 * the next batch, never an answer already decided.
 */
#include "server_int.h"
#include "patron/error.h"
#include "patron/store_ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Log length (pages of 4 KiB) that wakes the checkpointer: long enough that a checkpoint
 * copies each hot page once for many commits, short enough to keep the log tens of MiB. */
#define CKPT_PAGES 16384
/* Uncopied pages the checkpointer may leave to the writer (a few ms of copying). */
#define CKPT_TAIL 1024
/* Under a write load the disk cannot absorb, the checkpointer never gets the tail that short;
 * the writer then leaves the log to grow (no stall of every write for a long copy) until this
 * length, where it copies whatever is left (a bound on the log's size: 1 GiB). */
#define CKPT_HARD (CKPT_PAGES * 16)

struct srv_writer {
    pthread_t       th;
    pthread_mutex_t mu;
    pthread_cond_t  cv;
    struct srv_job *head, *tail;
    int             stopping;
    int             started;
    pt_db          *db;
    pt_ledger      *ledger;
    uint64_t        batches, writes, commit_ns;
    /* the checkpointer (SQLite): its thread, handle and wake-up, under mu */
    pthread_t       ck_th;
    pthread_cond_t  ck_cv;
    int             ck_started, ck_wanted, ck_busy;
    int             tail_ready;  /* the checkpointer left only a short tail: the writer copies it */
    pt_db          *ck_db;
    int             log_pages;   /* after the writer's last commit (writer thread only) */
    uint64_t        checkpoints;
    uint64_t        tail_ns;     /* time the writer spent copying tails */
};

void srv_job_error(struct srv_job *j, int rc, const char *msg)
{
    const char *code;
    int status = srv_status_of(rc, &code);
    j->rc = rc;
    json_decref(j->result);
    if (status == 500) {
        fprintf(stderr, "patron serve: write failed: %s (%s)\n", msg ? msg : "", pt_errname(rc));
        msg = "internal error";
    }
    j->status = status;
    j->result = srv_error_body(code, NULL, msg ? msg : pt_strerror(rc));
}

/* Runs one job in its own savepoint; its failure leaves the batch intact. */
static void run_job(struct srv_writer *w, struct srv_job *j)
{
    pt_store *s = pt_db_store(w->db);
    int rc = pt_store_begin(s);
    if (rc == PT_OK) {
        rc = j->fn(j, w->db, w->ledger);
        if (rc == PT_OK)
            rc = pt_store_commit(s);   /* releases the savepoint only */
        else
            pt_store_rollback(s);
    }
    /* A job that failed (or whose savepoint could not be released) answers with an error,
     * whatever it had prepared. */
    if (rc && (!j->result || j->status < 400))
        srv_job_error(j, rc, pt_db_errmsg(w->db));
    if (rc)
        j->rc = rc;
}

/* Called by SQLite on the writer thread after each of its commits. */
static void on_wal(void *ud, int log_pages)
{
    struct srv_writer *w = ud;
    w->log_pages = log_pages;
}

static void *checkpointer_main(void *arg)
{
    struct srv_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->ck_wanted && !w->stopping)
            pthread_cond_wait(&w->ck_cv, &w->mu);
        if (w->stopping)
            break;
        w->ck_wanted = 0;
        w->ck_busy = 1;
        pthread_mutex_unlock(&w->mu);
        /* Copy until only a short tail is left (the writer keeps appending meanwhile). */
        int log_pages = 0, copied = 0, rc, passes = 0;
        do {
            rc = pt_store_wal_checkpoint(pt_db_store(w->ck_db), &log_pages, &copied);
            __atomic_add_fetch(&w->checkpoints, 1, __ATOMIC_RELAXED);
        } while (rc == PT_OK && log_pages - copied > CKPT_TAIL && ++passes < 8 &&
                 !__atomic_load_n(&w->stopping, __ATOMIC_RELAXED));
        if (rc && rc != PT_EBUSY)
            fprintf(stderr, "patron serve: checkpoint failed: %s\n", pt_db_errmsg(w->ck_db));
        pthread_mutex_lock(&w->mu);
        w->ck_busy = 0;
        w->tail_ready = rc == PT_OK && (log_pages - copied <= CKPT_TAIL || log_pages >= CKPT_HARD);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* After a batch (writer thread): copies the tail the checkpointer left, or wakes the
 * checkpointer when the log has grown past CKPT_PAGES and it is idle. */
static void maybe_checkpoint(struct srv_writer *w)
{
    if (!w->ck_started)
        return;
    pthread_mutex_lock(&w->mu);
    int tail = w->tail_ready;
    w->tail_ready = 0;
    if (!tail && w->log_pages >= CKPT_PAGES && !w->ck_busy && !w->ck_wanted) {
        w->ck_wanted = 1;
        pthread_cond_signal(&w->ck_cv);
    }
    pthread_mutex_unlock(&w->mu);
    if (tail) {
        int64_t t0 = srv_now_ns();
        int log_pages, copied;
        if (pt_store_wal_checkpoint(pt_db_store(w->db), &log_pages, &copied) == PT_OK)
            __atomic_add_fetch(&w->checkpoints, 1, __ATOMIC_RELAXED);
        __atomic_add_fetch(&w->tail_ns, (uint64_t)(srv_now_ns() - t0), __ATOMIC_RELAXED);
    }
}

static void run_batch(struct srv_writer *w, struct srv_job *batch)
{
    pt_store *s = pt_db_store(w->db);
    int64_t t0 = srv_now_ns();
    if (!w->ledger) { /* a programme may have been loaded since the server started */
        char err[256];
        if (pt_ledger_open_current(&w->ledger, w->db, err, sizeof err) != 0)
            w->ledger = NULL;
    }
    int rc = pt_store_begin_locking(s);
    size_t n = 0;
    for (struct srv_job *j = batch; rc == PT_OK && j; j = j->next, n++)
        run_job(w, j);
    if (rc == PT_OK)
        rc = pt_store_commit(s);
    if (rc) {
        if (pt_store_in_tx(s))
            pt_store_rollback(s);
        /* Nothing of the batch is on disk: every job reports the failure, none succeeded. */
        for (struct srv_job *j = batch; j; j = j->next) {
            srv_job_error(j, rc == PT_ERETRY ? PT_EBUSY : rc, "the transaction could not be committed; retry");
            j->rc = rc;
        }
    }
    __atomic_add_fetch(&w->batches, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&w->writes, n, __ATOMIC_RELAXED);
    __atomic_add_fetch(&w->commit_ns, (uint64_t)(srv_now_ns() - t0), __ATOMIC_RELAXED);
    /* Answer only now: each request's response was decided before, but is sent after commit. */
    while (batch) {
        struct srv_job *next = batch->next;
        batch->next = NULL;
        MHD_resume_connection(batch->r->conn);
        batch = next;
    }
    maybe_checkpoint(w);
}

static void *writer_main(void *arg)
{
    struct pt_server *srv = arg;
    struct srv_writer *w = srv->writer;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->head && w->stopping) {
            pthread_mutex_unlock(&w->mu);
            break;
        }
        struct srv_job *batch = w->head, *last = w->head;
        unsigned n = 1;
        while (last->next && n < srv->opts.batch_max) {
            last = last->next;
            n++;
        }
        w->head = last->next;
        if (!w->head)
            w->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&w->mu);
        run_batch(w, batch);
    }
    return NULL;
}

int srv_writer_start(struct pt_server *srv, char *errmsg, size_t cap)
{
    struct srv_writer *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(errmsg, cap, "out of memory");
        return PT_ENOMEM;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    pthread_cond_init(&w->ck_cv, NULL);
    srv->writer = w;
    pt_db_opts o = {.store_url = srv->store_url[0] ? srv->store_url : NULL};
    int rc = pt_db_open(&w->db, srv->data_dir, &o, errmsg, cap);
    if (rc)
        return rc;
    char err[256];
    if (pt_ledger_open_current(&w->ledger, w->db, err, sizeof err) != 0)
        w->ledger = NULL; /* no programme: member writes still work, points writes say so */
    /* The checkpointer, where the store has a write-ahead log to keep short. */
    if (strcmp(pt_store_backend(pt_db_store(w->db)), "sqlite") == 0) {
        rc = pt_db_open(&w->ck_db, srv->data_dir, &o, errmsg, cap);
        if (rc)
            return rc;
        if (pthread_create(&w->ck_th, NULL, checkpointer_main, w) != 0) {
            snprintf(errmsg, cap, "cannot start the checkpointer thread");
            return PT_EIO;
        }
        w->ck_started = 1;
        pt_store_wal_watch(pt_db_store(w->db), on_wal, w);
    }
    if (pthread_create(&w->th, NULL, writer_main, srv) != 0) {
        snprintf(errmsg, cap, "cannot start the writer thread");
        return PT_EIO;
    }
    w->started = 1;
    return PT_OK;
}

void srv_writer_submit(struct pt_server *srv, struct srv_req *r, struct srv_job *j)
{
    struct srv_writer *w = srv->writer;
    j->r = r;
    j->next = NULL;
    r->job = j;
    r->state = REQ_QUEUED;
    /* Suspend before queueing: the writer may finish the job before this thread returns. */
    MHD_suspend_connection(r->conn);
    pthread_mutex_lock(&w->mu);
    if (w->tail)
        w->tail->next = j;
    else
        w->head = j;
    w->tail = j;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void srv_writer_stop(struct pt_server *srv)
{
    struct srv_writer *w = srv->writer;
    if (!w)
        return;
    if (w->started) {
        pthread_mutex_lock(&w->mu);
        w->stopping = 1;
        pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->th, NULL);
    }
    if (w->ck_started) { /* stopping is set: it ends after any checkpoint under way */
        pthread_mutex_lock(&w->mu);
        w->stopping = 1;
        pthread_cond_signal(&w->ck_cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->ck_th, NULL);
    }
    if (w->ck_db)
        pt_db_close(w->ck_db);
    if (w->ledger)
        pt_ledger_close(w->ledger);
    if (w->db)
        pt_db_close(w->db);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    pthread_cond_destroy(&w->ck_cv);
    free(w);
    srv->writer = NULL;
}

void srv_writer_stats(struct pt_server *srv, uint64_t *batches, uint64_t *writes, uint64_t *commit_ns)
{
    struct srv_writer *w = srv->writer;
    *batches = w ? __atomic_load_n(&w->batches, __ATOMIC_RELAXED) : 0;
    *writes = w ? __atomic_load_n(&w->writes, __ATOMIC_RELAXED) : 0;
    *commit_ns = w ? __atomic_load_n(&w->commit_ns, __ATOMIC_RELAXED) : 0;
}

uint64_t srv_writer_checkpoints(struct pt_server *srv, uint64_t *tail_ns)
{
    struct srv_writer *w = srv->writer;
    *tail_ns = w ? __atomic_load_n(&w->tail_ns, __ATOMIC_RELAXED) : 0;
    return w ? __atomic_load_n(&w->checkpoints, __ATOMIC_RELAXED) : 0;
}

int srv_job_need_ledger(struct srv_job *j, const pt_ledger *l)
{
    if (l)
        return 0;
    srv_job_error(j, PT_ESTATE, "no loyalty programme is loaded");
    return PT_ESTATE;
}

static int idem_ok(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n >= SRV_IDEM_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (k[i] < 0x21 || k[i] > 0x7e)
            return 0;
    return 1;
}

struct srv_job *srv_write_prepare(struct srv_req *r, srv_job_fn fn, const struct srv_field *fields, int nfields,
                                  int64_t member_id, const char *arg)
{
    const char *idem = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Idempotency-Key");
    if (!idem) {
        srv_error(r, 400, "missing_idempotency_key", "Idempotency-Key",
                  "every write needs an Idempotency-Key header (a retry with the same key applies once)");
        return NULL;
    }
    if (!idem_ok(idem)) {
        srv_error(r, 400, "invalid_idempotency_key", "Idempotency-Key",
                  "Idempotency-Key must be 1 to %d printable ASCII characters without spaces", SRV_IDEM_MAX - 1);
        return NULL;
    }
    const char *code;
    char field[128], msg[512];
    json_t *in = srv_body_parse(r->body, r->len, fields, nfields, &code, field, sizeof field, msg, sizeof msg);
    if (!in) {
        srv_error(r, strcmp(code, "out_of_range") == 0 || strcmp(code, "invalid_value") == 0 ? 422 : 400, code,
                  field, "%s", msg);
        return NULL;
    }
    struct srv_job *j = calloc(1, sizeof *j);
    if (!j) {
        json_decref(in);
        srv_error(r, 500, "internal", NULL, "out of memory");
        return NULL;
    }
    j->fn = fn;
    j->in = in;
    j->member_id = member_id;
    snprintf(j->arg, sizeof j->arg, "%s", arg ? arg : "");
    snprintf(j->idem, sizeof j->idem, "%s", idem);
    snprintf(j->actor, sizeof j->actor, "api:%s#%lld", r->key_name[0] ? r->key_name : "key", (long long)r->key_id);
    return j;
}

void srv_job_free(struct srv_job *j)
{
    if (!j)
        return;
    json_decref(j->in);
    json_decref(j->result);
    if (j->ext_free)
        j->ext_free(j->ext);
    free(j);
}

void srv_write(struct srv_req *r, srv_job_fn fn, const struct srv_field *fields, int nfields, int64_t member_id,
               const char *arg)
{
    struct srv_job *j = srv_write_prepare(r, fn, fields, nfields, member_id, arg);
    if (j)
        srv_writer_submit(r->srv, r, j);
}

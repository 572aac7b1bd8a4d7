/* outbox.h — the transactional outbox and its webhook deliverer.
 *
 * Producers call pt_outbox_enqueue inside the transaction that makes the change the message
 * is about (a trigger occurrence and its audit record, a campaign offer and its ledger entry):
 * the message exists if and only if the change committed. Each entry gets a random event id
 * ("evt_" + 32 hex digits) that never changes, so receivers de-duplicate by it.
 *
 * pt_outbox_deliver_once posts due entries to every active webhook (libcurl), one HTTP POST
 * per entry and endpoint, body:
 *   {"event_id":"evt_…","kind":"trigger.birthday","member_id":123,"created_at":…,"data":{…}}
 * with headers
 *   X-Patron-Event-Id: evt_…
 *   X-Patron-Timestamp: <UTC epoch s of this attempt>
 *   X-Patron-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
 * Delivery state is per endpoint: each 2xx is recorded (outbox_deliveries) in a short transaction
 * right after it, and an entry is posted only to the active endpoints that have not accepted it;
 * one failing endpoint does not stop the others. The entry is marked delivered once none is
 * missing. A crash between an answer and its record sends the entry again to that endpoint with
 * the same event id (at-least-once). A failure schedules the next attempt (to the missing
 * endpoints only) at now + min(max_delay, base · 2^(attempts−1)) · U(0.5, 1.5) (exponential
 * backoff with jitter); last_error names the failing endpoint's webhook id; after max_attempts
 * the entry is dead-lettered for the missing endpoints (pt_outbox_replay brings it back). Only
 * each member's oldest pending entry is due, so a member's events arrive in the order they were
 * written (an endpoint that is down holds a member's later entries back for every endpoint).
 * Payloads never hold personal data.
 *
 * Retention: pt_outbox_prune deletes delivered entries keep_days (default 7) after delivery and
 * dead letters dead_keep_days (default 90) after their last attempt — long enough to be replayed
 * — with their delivery rows, and never a pending entry; `patron serve` runs it after each delivery pass (server/jobs.c).
 */
#ifndef PATRON_OUTBOX_H
#define PATRON_OUTBOX_H

#include "patron/db.h"
#include "patron/store_campaign.h"

#include <stddef.h>
#include <stdint.h>

/* Writes one entry (inside the caller's transaction, if any). payload_json must be a JSON
 * object without personal data. out (may be NULL) gets the stored entry. */
int pt_outbox_enqueue(pt_store *s, int64_t member_id, const char *kind, const char *payload_json, int64_t now,
                      pt_outbox_rec *out);

typedef struct pt_outbox_opts {
    int64_t now;            /* 0 = pt_db_now */
    int     batch;          /* entries per call; 0 = 100 */
    int     max_attempts;   /* 0 = 16 (with the default delays: more than 24 hours of retries) */
    int64_t base_delay_s;   /* 0 = 30 */
    int64_t max_delay_s;    /* 0 = 6 hours */
    long    timeout_ms;     /* per request; 0 = 10 s */
    int     no_jitter;      /* tests: exact delays */
    int     keep_days;      /* pt_outbox_prune: delivered entries kept this long; 0 = 7, < 0 = forever */
    int     dead_keep_days; /* pt_outbox_prune: dead letters kept this long; 0 = 90, < 0 = forever */
    int     prune_batch;    /* pt_outbox_prune: rows deleted per state per call at most; 0 = 10000 */
} pt_outbox_opts;

typedef struct pt_outbox_stats {
    int64_t attempted;      /* entries tried */
    int64_t delivered;      /* entries now accepted by every active endpoint */
    int64_t failed;         /* rescheduled (an endpoint still missing) */
    int64_t dead;           /* dead-lettered now */
    int64_t requests;       /* HTTP requests made */
    int64_t pruned;         /* pt_outbox_prune: delivered entries deleted */
    int64_t pruned_dead;    /* pt_outbox_prune: dead letters deleted */
} pt_outbox_stats;

/* One pass: every due entry (up to batch) to every active webhook that has not accepted it. Without an active webhook
 * nothing is attempted (entries wait). Errors are the store's; HTTP failures are counted and
 * rescheduled, never returned. errmsg gets the store's message. */
int pt_outbox_deliver_once(pt_db *db, const pt_outbox_opts *o, pt_outbox_stats *st);

/* Deletes the delivered entries older than keep_days and the dead letters older than
 * dead_keep_days (pt_outbox_opts; the rest of o is ignored), at most prune_batch of each per
 * call, counted in st->pruned and st->pruned_dead (st's other counts are zeroed). */
int pt_outbox_prune(pt_db *db, const pt_outbox_opts *o, pt_outbox_stats *st);

/* A dead (or delivered) entry back to pending, due now, attempts 0. PT_ENOTFOUND. A dead letter
 * is then sent only to the endpoints that never accepted it; a delivered entry's acceptances are
 * forgotten, so it goes to every active endpoint again. */
int pt_outbox_replay(pt_db *db, int64_t id);

/* Registers an endpoint. secret NULL: a random one (64 hex digits) is made and stored; out gets
 * the record. PT_EINVAL for a URL that is not http:// or https://. */
int pt_webhook_add(pt_db *db, const char *url, const char *secret, pt_webhook_rec *out);

/* The v1 signature of body at timestamp ts: "v1=" + 64 hex digits into sig[72]. */
void pt_webhook_sign(const char *secret, int64_t ts, const char *body, size_t body_len, char sig[72]);
/* 1 when header equals the signature of (ts, body), compared in constant time. */
int  pt_webhook_verify(const char *secret, int64_t ts, const char *body, size_t body_len, const char *header);

#endif

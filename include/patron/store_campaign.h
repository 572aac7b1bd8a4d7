/* store_campaign.h — the store's records for campaigns, triggers, the outbox and webhooks
 * (migration 11). Same contract as store.h: records, never SQL; 0 or PT_E*; records filled by
 * get/list are caller-owned; callback records are valid only during the callback; a non-zero
 * callback return stops the iteration and is returned.
 *
 * Tables and why they are keyed as they are (docs/campaigns.md, docs/scaling.md):
 *  - campaigns, webhooks: a few rows each, shared by every member (reference tables on Citus);
 *  - campaign_members (member_id, campaign_id): who was in a launched campaign and in which
 *    arm; the key makes a launch idempotent — a member is assigned at most once per campaign;
 *  - trigger_fires (member_id, rule, occurrence): one row per trigger occurrence that fired;
 *    the key is the "at most once per occurrence" guarantee;
 *  - outbox (member_id, id): messages and events waiting for delivery, written in the same
 *    transaction as the change that causes them. event_id is stable across retries so that
 *    receivers can de-duplicate. member_id 0 is an event about no member.
 *
 *  - outbox_deliveries (member_id, outbox_id, webhook_id; migration 14): which endpoint accepted
 *    which entry, so a retry posts only to the endpoints still missing; colocated with outbox
 *    (its key is led by member_id on PostgreSQL) and deleted with its entry (ON DELETE CASCADE).
 *
 * Ordering: pt_store_outbox_due gives, for each member, only its oldest pending entry, so a
 * member's events are delivered in the order they were written (a failed head blocks the
 * member's later entries until it is delivered or dead-lettered).
 */
#ifndef PATRON_STORE_CAMPAIGN_H
#define PATRON_STORE_CAMPAIGN_H

#include "patron/store.h"
#include "patron/store_ledger.h"

#include <stdint.h>

#define PT_CAMPAIGN_NAME_MAX     64
#define PT_AUDIENCE_MAX          1024  /* audience definition text, NUL included */
#define PT_TRIGGER_RULE_MAX      32
#define PT_TRIGGER_OCC_MAX       64
#define PT_EVENT_ID_MAX          40    /* 32 hex digits + "evt_" + NUL */
#define PT_OUTBOX_KIND_MAX       48
#define PT_OUTBOX_PAYLOAD_MAX    2048  /* JSON body, NUL included */
#define PT_OUTBOX_ERROR_MAX      160
#define PT_WEBHOOK_URL_MAX       512
#define PT_WEBHOOK_SECRET_MAX    80

enum pt_offer_kind {
    PT_OFFER_MESSAGE = 0,         /* only a message (offer_code = template id) */
    PT_OFFER_POINTS = 1,          /* offer_points bonus points through the ledger */
    PT_OFFER_COUPON = 2,          /* a coupon of offer_cents (min spend 0) */
};

enum pt_campaign_status {
    PT_CAMPAIGN_DRAFT = 0,
    PT_CAMPAIGN_LAUNCHED = 1,
};

typedef struct pt_campaign_rec {
    int64_t id;                              /* assigned on insert */
    char    name[PT_CAMPAIGN_NAME_MAX];      /* unique */
    char    audience[PT_AUDIENCE_MAX];       /* audience.h definition */
    int     channel;                         /* enum pt_consent_kind the message goes through */
    int     offer_kind;                      /* enum pt_offer_kind */
    int64_t offer_points;
    int64_t offer_cents;
    char    offer_code[PT_CODE_MAX];         /* template id (message) */
    int     control_bp;                      /* control share in basis points (1000 = 10%) */
    int64_t seed;                            /* control-group hash seed */
    int64_t starts_at;                       /* launch no earlier than this */
    int64_t ends_at;                         /* end of the measurement window */
    int64_t budget_points;                   /* 0 = unlimited; launch stops before exceeding it */
    int     status;                          /* enum pt_campaign_status */
    int64_t created_at;
    int64_t launched_at;
    int64_t treated;                         /* members assigned to treatment */
    int64_t control;                         /* members held out */
} pt_campaign_rec;

typedef struct pt_campaign_member_rec {
    int64_t member_id;
    int64_t campaign_id;
    int     arm;                             /* 1 treatment, 0 control */
    int64_t at;
} pt_campaign_member_rec;

typedef struct pt_trigger_fire_rec {
    int64_t member_id;
    char    rule[PT_TRIGGER_RULE_MAX];
    char    occurrence[PT_TRIGGER_OCC_MAX];  /* identifies one occurrence, e.g. "2026" or "lot:17" */
    int64_t at;
} pt_trigger_fire_rec;

enum pt_outbox_state {
    PT_OUTBOX_PENDING = 0,
    PT_OUTBOX_DELIVERED = 1,
    PT_OUTBOX_DEAD = 2,
};

typedef struct pt_outbox_rec {
    int64_t member_id;                       /* 0: not about one member */
    int64_t id;                              /* assigned on insert; increasing */
    char    event_id[PT_EVENT_ID_MAX];       /* stable across retries */
    char    kind[PT_OUTBOX_KIND_MAX];        /* "trigger.birthday", "campaign.offer", … */
    char    payload[PT_OUTBOX_PAYLOAD_MAX];  /* JSON; never personal data */
    int64_t created_at;
    int     state;                           /* enum pt_outbox_state */
    int     attempts;
    int64_t next_at;                         /* not before this */
    int64_t delivered_at;
    char    last_error[PT_OUTBOX_ERROR_MAX];
} pt_outbox_rec;

typedef struct pt_webhook_rec {
    int64_t id;
    char    url[PT_WEBHOOK_URL_MAX];
    char    secret[PT_WEBHOOK_SECRET_MAX];   /* HMAC-SHA256 key */
    int     active;
    int64_t created_at;
} pt_webhook_rec;

/* One endpoint's acceptance (a 2xx answer) of one outbox entry. */
typedef struct pt_outbox_delivery_rec {
    int64_t member_id;                       /* the entry's */
    int64_t outbox_id;
    int64_t webhook_id;
    int64_t delivered_at;
} pt_outbox_delivery_rec;

typedef int (*pt_campaign_cb)(void *ud, const pt_campaign_rec *r);
typedef int (*pt_campaign_member_cb)(void *ud, const pt_campaign_member_rec *r);
typedef int (*pt_outbox_cb)(void *ud, const pt_outbox_rec *r);
typedef int (*pt_webhook_cb)(void *ud, const pt_webhook_rec *r);
typedef int (*pt_outbox_delivery_cb)(void *ud, const pt_outbox_delivery_rec *r);

/* --- campaigns ---------------------------------------------------------------------------- */
int pt_store_campaign_insert(pt_store *s, pt_campaign_rec *r);   /* sets r->id; PT_EEXIST: name taken */
int pt_store_campaign_get(pt_store *s, int64_t id, pt_campaign_rec *r);         /* PT_ENOTFOUND */
int pt_store_campaign_get_by_name(pt_store *s, const char *name, pt_campaign_rec *r);
int pt_store_campaign_list(pt_store *s, pt_campaign_cb cb, void *ud);            /* by id */
/* status, launched_at, treated, control */
int pt_store_campaign_update(pt_store *s, const pt_campaign_rec *r);
/* PT_EEXIST when the member already has an arm in that campaign (nothing written). */
int pt_store_campaign_member_insert(pt_store *s, const pt_campaign_member_rec *r);
int pt_store_campaign_member_list(pt_store *s, int64_t campaign_id, pt_campaign_member_cb cb, void *ud);

/* --- triggers ----------------------------------------------------------------------------- */
/* PT_EEXIST when this occurrence already fired for the member (nothing written). */
int pt_store_trigger_fire_insert(pt_store *s, const pt_trigger_fire_rec *r);
/* How many trigger occurrences fired for the member at or after `since`. */
int pt_store_trigger_fire_count(pt_store *s, int64_t member_id, int64_t since, int64_t *n);

/* --- outbox ------------------------------------------------------------------------------- */
int pt_store_outbox_insert(pt_store *s, pt_outbox_rec *r);       /* sets r->id */
int pt_store_outbox_get(pt_store *s, int64_t id, pt_outbox_rec *r);              /* PT_ENOTFOUND */
/* Pending entries with next_at ≤ now that are their member's oldest pending entry, by id, at
 * most `limit`. The callback must not write the outbox (collect, then update). */
int pt_store_outbox_due(pt_store *s, int64_t now, int limit, pt_outbox_cb cb, void *ud);
/* state, attempts, next_at, delivered_at, last_error of entry (member_id, id). */
int pt_store_outbox_update(pt_store *s, const pt_outbox_rec *r);
/* Every entry, by id (replay, reports). */
int pt_store_outbox_list(pt_store *s, pt_outbox_cb cb, void *ud);
/* Deletes up to `limit` entries in `state`, oldest id first: PT_OUTBOX_DELIVERED ones delivered
 * before `before`, PT_OUTBOX_DEAD ones whose last attempt (next_at) was before it; *deleted
 * gets how many. PT_EINVAL for another state or limit ≤ 0 — pending entries are never pruned. */
int pt_store_outbox_prune(pt_store *s, int state, int64_t before, int limit, int64_t *deleted);
/* Records that endpoint r->webhook_id accepted entry (r->member_id, r->outbox_id). Recording
 * it again is PT_OK and keeps the first delivered_at (a re-send after a crash). */
int pt_store_outbox_delivery_insert(pt_store *s, const pt_outbox_delivery_rec *r);
/* The endpoints that accepted entry (member_id, outbox_id), by webhook id. */
int pt_store_outbox_delivery_list(pt_store *s, int64_t member_id, int64_t outbox_id, pt_outbox_delivery_cb cb,
                                  void *ud);
/* Forgets every acceptance of entry (member_id, outbox_id) (a replay that re-sends to all);
 * *deleted gets how many. */
int pt_store_outbox_delivery_clear(pt_store *s, int64_t member_id, int64_t outbox_id, int64_t *deleted);

/* --- webhooks ----------------------------------------------------------------------------- */
int pt_store_webhook_insert(pt_store *s, pt_webhook_rec *r);     /* sets r->id */
int pt_store_webhook_list(pt_store *s, pt_webhook_cb cb, void *ud); /* by id */

#endif

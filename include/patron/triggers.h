/* triggers.h — rules that fire per member when the data say so, each at most once per
 * occurrence, delivered through the outbox.
 *
 * Rules and what one occurrence is (the key of trigger_fires, store_campaign.h):
 *  - points_expiring: available points expiring within N days; one occurrence per lot (the
 *    soonest-expiring lot in the window: "lot:<id>");
 *  - churn_risk: a score source (the churn model's, or any other) above a threshold; one
 *    occurrence per member per calendar month of the run date ("YYYY-MM") while above;
 *  - birthday: the member's birthday (month and day) is the run date's local day in the
 *    programme's time zone; one per year ("YYYY"); 29 February birthdays fire on 28 February
 *    in other years;
 *  - tier_drop: the next tier review is within N days and a review now would lower the tier;
 *    one per review ("review:<review_at>");
 *  - dormant: lifecycle stage dormant (沉睡); one per dormancy, i.e. per last purchase
 *    ("last:<time of the last paid order>"): a member who buys and lapses again fires again;
 *  - welcome: the member's first paid order was within the last N days; once per member
 *    ("first").
 * Every fire is one locking transaction: the frequency cap (at most weekly_cap fires in the 7
 * days before the run date, across rules), the occurrence row, an audit record (no personal
 * data) and the outbox message — all or nothing. Members must pass the same gate as an
 * audience (analytics consent, active, not erased) and have consent for the channel.
 * pt_triggers_run is idempotent: a second run for the same date writes nothing.
 */
#ifndef PATRON_TRIGGERS_H
#define PATRON_TRIGGERS_H

#include "patron/audience.h"
#include "patron/ledger.h"

#include <stdint.h>

typedef struct pt_trigger_opts {
    int64_t                as_of;            /* run date (UTC epoch s); 0 = now */
    int                    channel;          /* enum pt_consent_kind; default (init) SMS */
    int                    weekly_cap;       /* 0 = no cap */
    int                    expiring_days;    /* 0 = rule off */
    const pt_score_source *churn;            /* NULL = rule off */
    double                 churn_threshold;
    int                    birthday;         /* 1 = on (needs the programme's zone: l) */
    int                    tier_drop_days;   /* 0 = off (needs l) */
    int                    dormant;          /* 1 = on */
    int                    welcome_days;     /* 0 = off */
} pt_trigger_opts;

/* Every rule on: 30 days, birthday, tier drop within 14 days, dormant, welcome within 7 days;
 * no churn source; cap 3; SMS. */
void pt_trigger_opts_init(pt_trigger_opts *o);

enum pt_trigger_rule {
    PT_TRIG_EXPIRING, PT_TRIG_CHURN, PT_TRIG_BIRTHDAY, PT_TRIG_TIER_DROP, PT_TRIG_DORMANT, PT_TRIG_WELCOME,
    PT_TRIG__COUNT
};
const char *pt_trigger_rule_name(int rule);

typedef struct pt_trigger_stats {
    int64_t fired[PT_TRIG__COUNT];
    int64_t already;       /* occurrences that had fired in an earlier run */
    int64_t capped;        /* held back by the frequency cap */
    int64_t no_consent;    /* candidates without consent for the channel */
} pt_trigger_stats;

/* Runs every rule that is on over ctx (prepared on a fresh snapshot at o->as_of). l (may be
 * NULL: birthday uses UTC and tier_drop is off) gives the programme. */
int pt_triggers_run(pt_db *db, pt_ledger *l, pt_audience_ctx *ctx, const pt_trigger_opts *o, pt_trigger_stats *st,
                    char *errmsg, size_t errmsg_len);

/* The whole job in one call, for schedulers (`patron serve`, cron): opens the store's current
 * programme (none loaded: birthday in UTC, no tier_drop), loads a snapshot, prepares the
 * context as of o->as_of (0 = now) with the programme's tier ladder, and runs the rules. When
 * o->churn is NULL and o->churn_threshold > 0, churn_risk = 1 − BG/NBD P(alive) fitted on the
 * snapshot (skipped when no member has history). */
int pt_triggers_run_db(pt_db *db, const pt_trigger_opts *o, pt_trigger_stats *st, char *errmsg, size_t errmsg_len);

#endif

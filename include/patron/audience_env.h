/* audience_env.h — everything an audience or a trigger is evaluated against, set up from one
 * store in one call: a snapshot, the stored and fitted member scores (score_sources.h), the
 * programme's tier ladder and the RFM and lifecycle context (audience.h), all as of one time.
 * Campaign launches (`patron campaign`, scheduled launches) and triggers use it, so the three
 * see the same members the same way.
 *
 * Ownership: the env owns the snapshot and the scores; ctx points into both and into ladder,
 * so the env must not be copied or moved while ctx is in use. The ledger is borrowed (only its
 * programme's tier codes are read, at open).
 */
#ifndef PATRON_AUDIENCE_ENV_H
#define PATRON_AUDIENCE_ENV_H

#include "patron/audience.h"
#include "patron/db.h"
#include "patron/ledger.h"
#include "patron/programme.h"
#include "patron/score_sources.h"

typedef struct pt_audience_env {
    pt_snapshot     *snap;
    pt_score_sources scores;
    const char      *ladder[PT_PROG_TIERS_MAX];
    pt_audience_ctx  ctx;
} pt_audience_env;

/* Loads the snapshot of db's store, with scores = 1 its member scores (fitting P(alive) costs a
 * BG/NBD fit: skip it when nothing will compare a score), and the audience context as of as_of;
 * l (may be NULL: no programme, no tier ladder) gives the tier order. On failure errmsg says
 * which step failed and why, and everything opened so far is closed. */
int  pt_audience_env_open(pt_audience_env *e, pt_db *db, const pt_ledger *l, int64_t as_of, int scores,
                          char *errmsg, size_t errmsg_len);
void pt_audience_env_close(pt_audience_env *e);

#endif

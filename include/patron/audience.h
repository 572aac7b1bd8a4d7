/* audience.h — audiences: a small declarative language over the snapshot (and the store, for
 * expiring points), parsed once, then evaluated per member.
 *
 *   segment in ("At Risk", "Can't Lose Them") and tier >= silver and points_expiring_30d > 0
 *
 * Grammar (docs/campaigns.md has the full reference):
 *   expr    := and ("or" and)*
 *   and     := unary ("and" unary)*
 *   unary   := "not" unary | "(" expr ")" | test
 *   test    := FIELD OP value | FIELD ["not"] "in" "(" value ("," value)* ")"
 *   OP      := "=" | "!=" | "<" | "<=" | ">" | ">="
 *   value   := NUMBER | "string" | IDENT
 * Keywords are case-insensitive. Fields: segment (RFM 11-segment key or name), stage
 * (lifecycle key), tier (ordered by the programme's ladder), consent (sms, email, analytics),
 * points, pending, recency_days, orders, spend_cents, registered_days, points_expiring_<N>d,
 * and any other identifier names a score source (p_alive, churn_risk, …) that must be given in
 * the context when the audience is bound. A member without a value for a numeric field (no
 * order for recency_days, no score) makes every comparison on it false.
 *
 * Errors are PT_EPARSE with "line L, column C: reason" in errmsg (1-based, columns in bytes).
 *
 * Who can be in an audience at all: members the snapshot may show (pt_snapshot_member_use ==
 * PT_SNAP_USE: analytics consent, not erased, not merged away), active, and — when the context
 * names a channel — with consent for that channel. The expression only narrows that set.
 */
#ifndef PATRON_AUDIENCE_H
#define PATRON_AUDIENCE_H

#include "patron/lifecycle.h"
#include "patron/rfm.h"
#include "patron/snapshot.h"
#include "patron/store.h"

#include <stddef.h>
#include <stdint.h>

#define PT_AUDIENCE_DEPTH_MAX 64    /* nesting of parentheses and "not" */
#define PT_AUDIENCE_NODES_MAX 1024

typedef struct pt_audience pt_audience;

/* A score per member from somewhere else (BG/NBD P(alive), a churn model): the pluggable part.
 * score(ud, snap, i, &v) sets v for snapshot member i and returns 1, or returns 0 when the
 * member has no score. It is called only for members that reach the comparison. */
typedef struct pt_score_source {
    const char *name;                 /* the field name in audiences, e.g. "churn_risk" */
    int (*score)(void *ud, const pt_snapshot *snap, size_t i, double *v);
    void *ud;
} pt_score_source;

typedef struct pt_audience_ctx {
    const pt_snapshot     *snap;
    int64_t                as_of;          /* UTC epoch s */
    pt_store              *store;          /* for points_expiring_<N>d; NULL: that field is an error */
    const char *const     *tier_order;     /* tier codes, lowest first (the programme's ladder) */
    size_t                 ntiers;
    const pt_score_source *scores;
    size_t                 nscores;
    int                    channel;        /* enum pt_consent_kind required, or −1 for none */
    /* filled by pt_audience_ctx_prepare, released by pt_audience_ctx_free */
    pt_rfm                 rfm;
    pt_lifecycle           lc;
    int32_t               *rfm_row;        /* [nmembers] row in rfm.rows or −1 */
    int32_t               *lc_row;         /* [nmembers] row in lc.rows or −1 */
    int32_t               *tier_rank;      /* [ntier_names] rank in tier_order or −1 */
} pt_audience_ctx;

/* Sets the inputs (the rest zeroed) and computes RFM and lifecycle stages as of as_of. */
int  pt_audience_ctx_prepare(pt_audience_ctx *ctx, const pt_snapshot *snap, int64_t as_of);
void pt_audience_ctx_free(pt_audience_ctx *ctx);

/* Parses text. PT_EPARSE (errmsg: line, column, reason), PT_ETOOBIG past the limits, PT_ENOMEM. */
int  pt_audience_parse(pt_audience **out, const char *text, char *errmsg, size_t errmsg_len);
void pt_audience_free(pt_audience *a);
/* Resolves what depends on the context: tier names, score sources, the store for expiring
 * points. PT_EPARSE naming the position of an unknown tier or score. Call before matching. */
int  pt_audience_bind(pt_audience *a, const pt_audience_ctx *ctx, char *errmsg, size_t errmsg_len);
/* *match = 1 when snapshot member i is in the audience. Errors come only from the store. */
int  pt_audience_match(const pt_audience *a, const pt_audience_ctx *ctx, size_t i, int *match);
/* The member ids in the audience, ascending (caller frees *ids). */
int  pt_audience_select(const pt_audience *a, const pt_audience_ctx *ctx, int64_t **ids, size_t **idx, size_t *n);

#endif

/* ledger_lots.c — lot mechanics of the points ledger: new lots, taking points from lots in
 * the programme's order, settling overdraft and debt, releasing pending lots and expiring
 * lots that are due.
 *
 * Invariants kept for the member of the op: every change of a lot's remainder is one lot use
 * row (positive = taken); a lot's remainder stays within [0, points]; the account in op->acct
 * moves by exactly the points of the entries written.
 */
#include "ledger_int.h"
#include "patron/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pt__ledger_entry(struct op *o, pt_entry_rec *e)
{
    e->member_id = o->member_id;
    e->created_at = o->now;
    if (!e->at)
        e->at = o->at;
    snprintf(e->actor, sizeof e->actor, "%s", o->actor);
    snprintf(e->idem_key, sizeof e->idem_key, "%s", o->idem_key ? o->idem_key : "");
    int rc = pt_store_entry_insert(o->l->s, e);
    if (rc)
        return rc;
    if (e->bucket == PT_BUCKET_PENDING)
        o->acct.pending += e->points;
    else
        o->acct.balance += e->points;
    o->acct.growth += e->growth;
    return PT_OK;
}

int pt__ledger_new_lot(struct op *o, int kind, int64_t points, int64_t growth, int64_t available_at, int64_t order_id,
                       const char *ref, const char *note, pt_lot_rec *lot, pt_entry_rec *earn)
{
    int pending = available_at > o->at;
    memset(earn, 0, sizeof *earn);
    earn->kind = kind;
    earn->bucket = pending ? PT_BUCKET_PENDING : PT_BUCKET_AVAILABLE;
    earn->points = points;
    earn->growth = growth;
    earn->order_id = order_id;
    snprintf(earn->ref, sizeof earn->ref, "%s", ref ? ref : "");
    snprintf(earn->note, sizeof earn->note, "%s", note ? note : "");
    int rc = pt__ledger_entry(o, earn);
    if (rc)
        return rc;
    memset(lot, 0, sizeof *lot);
    lot->member_id = o->member_id;
    lot->entry_id = earn->id;
    lot->order_id = order_id;
    lot->earned_at = o->at;
    lot->available_at = pending ? available_at : 0;
    lot->expires_at = pt_programme_lot_expiry(&o->l->prog, o->at);
    lot->points = points;
    lot->remaining = points;
    lot->state = pending ? PT_LOT_PENDING : PT_LOT_AVAILABLE;
    rc = pt_store_lot_insert(o->l->s, lot);
    if (rc == PT_OK && !pending)
        rc = pt__ledger_settle(o, lot);
    return rc;
}

int pt__ledger_take_from(struct op *o, int64_t entry_id, pt_lot_rec *lot, int64_t points, int64_t *taken)
{
    int64_t t = points < lot->remaining ? points : lot->remaining;
    *taken = 0;
    if (t <= 0)
        return PT_OK;
    pt_lot_use_rec u = {.member_id = o->member_id, .entry_id = entry_id, .lot_id = lot->id, .points = t};
    int rc = pt_store_lot_use_insert(o->l->s, &u);
    if (rc)
        return rc;
    lot->remaining -= t;
    if (lot->remaining == 0 && lot->state == PT_LOT_PENDING)
        lot->state = PT_LOT_CANCELLED;
    rc = pt_store_lot_update(o->l->s, lot);
    if (rc == PT_OK)
        *taken = t;
    return rc;
}

/* --- the member's open lots, in consumption order ------------------------------------------ */

struct lots {
    pt_lot_rec *v;
    size_t      n, cap;
};

static int collect_lot(void *ud, const pt_lot_rec *r)
{
    struct lots *ls = ud;
    if (ls->n == ls->cap) {
        size_t cap = ls->cap ? ls->cap * 2 : 16;
        pt_lot_rec *v = realloc(ls->v, cap * sizeof *v);
        if (!v)
            return PT_ENOMEM;
        ls->v = v;
        ls->cap = cap;
    }
    ls->v[ls->n++] = *r;
    return PT_OK;
}

static int load_open_lots(struct op *o, struct lots *ls)
{
    memset(ls, 0, sizeof *ls);
    int rc = pt_store_lot_list(o->l->s, o->member_id, 1, collect_lot, ls);
    if (rc) {
        free(ls->v);
        ls->v = NULL;
    }
    return rc;
}

/* Soonest-expiring first; never-expiring last; ties by earning time, then id. */
static int by_expiry(const void *a, const void *b)
{
    const pt_lot_rec *x = a, *y = b;
    uint64_t ex = x->expires_at ? (uint64_t)x->expires_at : UINT64_MAX;
    uint64_t ey = y->expires_at ? (uint64_t)y->expires_at : UINT64_MAX;
    if (ex != ey)
        return ex < ey ? -1 : 1;
    if (x->earned_at != y->earned_at)
        return x->earned_at < y->earned_at ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static int by_age(const void *a, const void *b)
{
    const pt_lot_rec *x = a, *y = b;
    if (x->earned_at != y->earned_at)
        return x->earned_at < y->earned_at ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

int pt__ledger_take(struct op *o, int64_t entry_id, int64_t points, int64_t skip_lot, int64_t *taken)
{
    struct lots ls;
    int rc = load_open_lots(o, &ls);
    if (rc)
        return rc;
    if (ls.n > 1)
        qsort(ls.v, ls.n, sizeof *ls.v, o->l->prog.redeem_order == PT_REDEEM_OLDEST ? by_age : by_expiry);
    *taken = 0;
    for (size_t i = 0; rc == PT_OK && i < ls.n && *taken < points; i++) {
        if (ls.v[i].state != PT_LOT_AVAILABLE || ls.v[i].id == skip_lot)
            continue;
        int64_t t;
        rc = pt__ledger_take_from(o, entry_id, &ls.v[i], points - *taken, &t);
        *taken += t;
    }
    free(ls.v);
    return rc;
}

/* --- settling overdraft and debt ----------------------------------------------------------- */

int pt__ledger_settle(struct op *o, pt_lot_rec *lot)
{
    int64_t owed = o->acct.overdraft ? o->acct.overdraft : o->acct.debt;
    if (owed <= 0 || lot->remaining <= 0)
        return PT_OK;
    int is_debt = o->acct.overdraft == 0;
    int64_t x = owed < lot->remaining ? owed : lot->remaining;
    /* Overdraft: the balance already went below zero when it arose, so settling moves no
     * points (a zero entry that records the use). Debt was never taken off: it is now. */
    pt_entry_rec e = {.kind = PT_ENTRY_SETTLE, .bucket = PT_BUCKET_AVAILABLE, .points = is_debt ? -x : 0,
                      .lot_id = lot->id};
    snprintf(e.note, sizeof e.note, "%s settled: %lld", is_debt ? "debt" : "overdraft", (long long)x);
    int rc = pt__ledger_entry(o, &e);
    int64_t taken = 0;
    if (rc == PT_OK)
        rc = pt__ledger_take_from(o, e.id, lot, x, &taken);
    if (rc)
        return rc;
    if (is_debt)
        o->acct.debt -= taken;
    else
        o->acct.overdraft -= taken;
    return PT_OK;
}

/* --- release and expiry ------------------------------------------------------------------ */

/* Entries of due lots carry the moment the change took effect (the end of the return window,
 * the first second after expiry), not the moment the job noticed it. */
static int release_lot(struct op *o, pt_lot_rec *lot)
{
    int64_t p = lot->remaining;
    pt_entry_rec out = {.kind = PT_ENTRY_RELEASE, .bucket = PT_BUCKET_PENDING, .points = -p,
                        .lot_id = lot->id, .order_id = lot->order_id, .at = lot->available_at};
    pt_entry_rec in = out;
    in.bucket = PT_BUCKET_AVAILABLE;
    in.points = p;
    snprintf(out.note, sizeof out.note, "return window passed");
    snprintf(in.note, sizeof in.note, "return window passed");
    int rc = pt__ledger_entry(o, &out);
    if (rc == PT_OK)
        rc = pt__ledger_entry(o, &in);
    lot->state = PT_LOT_AVAILABLE;
    if (rc == PT_OK)
        rc = pt_store_lot_update(o->l->s, lot);
    if (rc == PT_OK)
        rc = pt__ledger_settle(o, lot);
    if (rc == PT_OK) {
        o->due.released_lots++;
        o->due.released_points += p;
    }
    return rc;
}

static int expire_lot(struct op *o, pt_lot_rec *lot)
{
    int64_t p = lot->remaining;
    pt_entry_rec e = {.kind = PT_ENTRY_EXPIRE, .bucket = PT_BUCKET_AVAILABLE, .points = -p, .lot_id = lot->id,
                      .order_id = lot->order_id, .at = lot->expires_at + 1};
    snprintf(e.note, sizeof e.note, "expired at end of validity");
    int rc = pt__ledger_entry(o, &e);
    int64_t taken = 0;
    if (rc == PT_OK)
        rc = pt__ledger_take_from(o, e.id, lot, p, &taken);
    if (rc == PT_OK && taken != p)
        return pt__ledger_error(o->l, PT_ECORRUPT, "lot %lld: could not expire its remainder", (long long)lot->id);
    lot->state = PT_LOT_EXPIRED;
    if (rc == PT_OK)
        rc = pt_store_lot_update(o->l->s, lot);
    if (rc == PT_OK) {
        o->due.expired_lots++;
        o->due.expired_points += p;
    }
    return rc;
}

static int by_available(const void *a, const void *b)
{
    const pt_lot_rec *x = a, *y = b;
    if (x->available_at != y->available_at)
        return x->available_at < y->available_at ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Only the lots due at as_of are read (one indexed query), not every open lot of the member:
 * a member with hundreds of open lots costs a write no more than one with a single lot. */
int pt__ledger_process_due(struct op *o, int64_t as_of)
{
    struct lots ls;
    memset(&ls, 0, sizeof ls);
    int rc = pt_store_lot_list_due(o->l->s, o->member_id, as_of, collect_lot, &ls);
    if (rc) {
        free(ls.v);
        return rc;
    }
    if (ls.n > 1)
        qsort(ls.v, ls.n, sizeof *ls.v, by_available);
    for (size_t i = 0; rc == PT_OK && i < ls.n; i++)
        if (ls.v[i].state == PT_LOT_PENDING && ls.v[i].available_at <= as_of)
            rc = release_lot(o, &ls.v[i]);
    for (size_t i = 0; rc == PT_OK && i < ls.n; i++) {
        pt_lot_rec *lot = &ls.v[i];
        if (lot->state == PT_LOT_AVAILABLE && lot->remaining > 0 && lot->expires_at > 0 && lot->expires_at < as_of)
            rc = expire_lot(o, lot);
    }
    free(ls.v);
    return rc;
}

struct expired_sum {
    int64_t lot_id;
    int64_t sum;
};

static int add_expired(void *ud, const pt_entry_rec *e)
{
    struct expired_sum *x = ud;
    if (e->kind == PT_ENTRY_EXPIRE && e->lot_id == x->lot_id)
        x->sum -= e->points;
    return PT_OK;
}

int pt__ledger_expired_of(struct op *o, int64_t lot_id, int64_t *expired)
{
    struct expired_sum x = {lot_id, 0};
    int rc = pt_store_entry_list(o->l->s, o->member_id, add_expired, &x);
    *expired = x.sum;
    return rc;
}

/* ledger_merge.c — points follow a merge: when identity resolution (or `patron member merge`)
 * merges member L into survivor S, L's points, lots, debt, overdraft and growth value move to
 * S. Merging happens below the ledger (an import may run with no programme loaded), so the
 * ledger catches up: pt_ledger_absorb_merged finds every merged-away member whose account
 * still holds anything and moves it; the due job runs it first (`patron points expire`), and
 * so does the order replay.
 *
 * A move, for each of L's open lots with r points left: a TRANSFER entry −r on L (a lot use
 * takes the lot to 0) and a TRANSFER entry +r on S with a new lot that keeps the original
 * earning time, availability and expiry — so S cannot use L's points longer than L could.
 * L's growth goes with the first entry pair; debt moves as debt; an overdraft becomes S's,
 * settled at once from S's lots as far as they reach. Both accounts are locked in id order,
 * and both chains get an audit record. Running it again finds nothing to move.
 */
#include "ledger_int.h"
#include "db_int.h"
#include "patron/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lots {
    pt_lot_rec *v;
    size_t      n, cap;
};

static int collect(void *ud, const pt_lot_rec *r)
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

/* One lot: out of L, into a copy on S. */
static int move_lot(struct op *from, struct op *to, pt_lot_rec *lot, int64_t *growth)
{
    int bucket = lot->state == PT_LOT_PENDING ? PT_BUCKET_PENDING : PT_BUCKET_AVAILABLE;
    int64_t r = lot->remaining;
    pt_entry_rec out = {.kind = PT_ENTRY_TRANSFER, .bucket = bucket, .points = -r, .growth = -*growth,
                        .lot_id = lot->id, .order_id = lot->order_id};
    snprintf(out.note, sizeof out.note, "merged into member %lld", (long long)to->member_id);
    int64_t taken = 0;
    int rc = pt__ledger_entry(from, &out);
    if (rc == PT_OK)
        rc = pt__ledger_take_from(from, out.id, lot, r, &taken);
    pt_entry_rec in = {.kind = PT_ENTRY_TRANSFER, .bucket = bucket, .points = r, .growth = *growth,
                       .order_id = lot->order_id};
    snprintf(in.note, sizeof in.note, "from merged member %lld", (long long)from->member_id);
    if (rc == PT_OK)
        rc = pt__ledger_entry(to, &in);
    pt_lot_rec copy = {.member_id = to->member_id, .entry_id = in.id, .order_id = lot->order_id,
                       .earned_at = lot->earned_at, .available_at = lot->available_at,
                       .expires_at = lot->expires_at, .points = r, .remaining = r,
                       .state = bucket == PT_BUCKET_PENDING ? PT_LOT_PENDING : PT_LOT_AVAILABLE};
    if (rc == PT_OK)
        rc = pt_store_lot_insert(to->l->s, &copy);
    if (rc == PT_OK && bucket == PT_BUCKET_AVAILABLE)
        rc = pt__ledger_settle(to, &copy);
    *growth = 0; /* moved once, with the first lot */
    return rc;
}

/* What is left after the lots: growth (if no lot carried it), debt and overdraft. */
static int move_rest(struct op *from, struct op *to, int64_t growth)
{
    int rc = PT_OK;
    int64_t o = from->acct.overdraft;
    if (growth || o) {
        /* L's balance is −o: +o closes it; S takes −o, covered by its lots as far as they reach */
        pt_entry_rec out = {.kind = PT_ENTRY_TRANSFER, .bucket = PT_BUCKET_AVAILABLE, .points = o, .growth = -growth};
        pt_entry_rec in = {.kind = PT_ENTRY_TRANSFER, .bucket = PT_BUCKET_AVAILABLE, .points = -o, .growth = growth};
        snprintf(out.note, sizeof out.note, "merged into member %lld", (long long)to->member_id);
        snprintf(in.note, sizeof in.note, "from merged member %lld", (long long)from->member_id);
        int64_t taken = 0;
        rc = pt__ledger_entry(from, &out);
        if (rc == PT_OK)
            rc = pt__ledger_entry(to, &in);
        if (rc == PT_OK && o)
            rc = pt__ledger_take(to, in.id, o, 0, &taken);
        from->acct.overdraft = 0;
        to->acct.overdraft += o - taken;
    }
    to->acct.debt += from->acct.debt;
    from->acct.debt = 0;
    return rc;
}

static int absorb_one(pt_ledger *l, int64_t loser, int64_t survivor, int64_t now, int64_t *moved)
{
    struct op a = {.l = l, .member_id = loser, .at = now, .now = now, .actor = "system"};
    struct op b = {.l = l, .member_id = survivor, .at = now, .now = now, .actor = "system"};
    struct op *first = loser < survivor ? &a : &b, *second = loser < survivor ? &b : &a;
    struct lots ls = {0};
    int rc = pt__ledger_lock_account(first);
    if (rc == PT_OK)
        rc = pt__ledger_lock_account(second);
    if (rc == PT_OK)
        rc = pt_store_lot_list(l->s, loser, 1, collect, &ls);
    int64_t growth = a.acct.growth;
    for (size_t i = 0; rc == PT_OK && i < ls.n; i++)
        if (ls.v[i].remaining > 0)
            rc = move_lot(&a, &b, &ls.v[i], &growth);
    if (rc == PT_OK)
        rc = move_rest(&a, &b, growth);
    a.acct.updated_at = b.acct.updated_at = now;
    pt_ledger_result res = {.points = b.acct.balance + b.acct.pending - b.before.balance - b.before.pending};
    *moved = res.points;
    if (rc == PT_OK && (rc = pt_store_account_update(l->s, &a.acct)) == PT_OK)
        rc = pt_store_account_update(l->s, &b.acct);
    if (rc == PT_OK)
        rc = pt__ledger_audit_op(&b, "points.merge_in", &res);
    res.points = -res.points;
    if (rc == PT_OK)
        rc = pt__ledger_audit_op(&a, "points.merge_out", &res);
    if (rc == PT_OK)
        rc = pt__tier_after_write(&b);
    if (rc == PT_OK)
        rc = pt_store_account_update(l->s, &b.acct); /* a tier change, if any */
    free(ls.v);
    return rc;
}

/* One member's points into its survivor in a locking transaction of its own, run again when a
 * concurrent ledger write made it fail with PT_ERETRY (rolled back: nothing of it was kept). */
static int absorb_tx(pt_ledger *l, int64_t loser, int64_t survivor, int64_t now, int64_t *moved)
{
    int outer = !pt_store_in_tx(l->s), rc;
    for (int i = 0;; i++) {
        *moved = 0;
        if ((rc = pt_store_begin_locking(l->s)))
            return rc;
        rc = absorb_one(l, loser, survivor, now, moved);
        if (rc == PT_OK)
            rc = pt_store_commit(l->s);
        if (rc) /* a failed commit leaves the transaction open too */
            pt_store_rollback(l->s);
        if (rc != PT_ERETRY || !outer || i + 1 == PT__TX_TRIES)
            return rc;
        pt__tx_backoff(i);
        l->errmsg[0] = 0;
    }
}

/* The member a merged-away member ended up in (merges can chain). */
static int final_survivor(pt_ledger *l, int64_t id, int64_t *out)
{
    pt_member_rec m;
    pt_member_rec_init(&m);
    int rc = PT_OK;
    *out = id;
    for (int hops = 0; rc == PT_OK && hops < 64; hops++) {
        if ((rc = pt_store_member_get(l->s, *out, &m)) || !m.merged_into)
            break;
        *out = m.merged_into;
    }
    pt_member_rec_free(&m);
    return rc;
}

struct candidates {
    int64_t *v;
    size_t   n, cap;
};

static int merged_with_account(void *ud, const pt_member_rec *m)
{
    struct candidates *c = ud;
    if (!m->merged_into)
        return PT_OK;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        int64_t *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return PT_ENOMEM;
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = m->id;
    return PT_OK;
}

/* Moves what member id's account holds to the member it was finally merged into, in its own
 * transaction (or the caller's). PT_ENOTFOUND when there is nothing to move: no account, an
 * empty one, or no survivor other than itself. */
static int absorb_account(pt_ledger *l, int64_t id, int64_t now, int64_t *moved)
{
    pt_account_rec acct;
    int64_t survivor = id;
    *moved = 0;
    int rc = pt_store_account_get(l->s, id, 0, &acct);
    if (rc)
        return rc;
    if (!acct.balance && !acct.pending && !acct.debt && !acct.overdraft && !acct.growth)
        return PT_ENOTFOUND;
    if ((rc = final_survivor(l, id, &survivor)))
        return rc;
    return survivor == id ? PT_ENOTFOUND : absorb_tx(l, id, survivor, now, moved);
}

int pt_ledger_absorb_merged(pt_ledger *l, int64_t *members, int64_t *points)
{
    struct candidates c = {0};
    int64_t nm = 0, np = 0, now = pt_db_now(l->db);
    int rc = pt_store_member_scan(l->s, merged_with_account, &c);
    for (size_t i = 0; rc == PT_OK && i < c.n; i++) {
        int64_t moved;
        int r = absorb_account(l, c.v[i], now, &moved);
        if (r == PT_ENOTFOUND)
            continue;
        rc = r;
        nm += rc == PT_OK;
        np += rc == PT_OK ? moved : 0;
    }
    free(c.v);
    if (members)
        *members = nm;
    if (points)
        *points = np;
    if (rc && !l->errmsg[0])
        pt__ledger_error(l, rc, "moving merged members' points: %s", pt_store_errmsg(l->s));
    return rc;
}

int pt_ledger_absorb_member(pt_ledger *l, int64_t member_id, int64_t *points)
{
    int64_t moved = 0;
    int rc = absorb_account(l, member_id, pt_db_now(l->db), &moved);
    if (points)
        *points = rc == PT_OK ? moved : 0;
    if (rc == PT_ENOTFOUND)
        return PT_OK;
    if (rc && !l->errmsg[0])
        pt__ledger_error(l, rc, "moving a merged member's points: %s", pt_store_errmsg(l->s));
    return rc;
}

/* ledger_replay.c — runs every imported order through the programme, member by member in the
 * order they were placed, as if each had earned when it was placed: how a store that imports
 * its history gets realistic balances, lots, expiries and tiers (and how the demo does).
 *
 * Orders already earned are skipped (an order earns once), so a replay can be resumed. Work is
 * committed every REPLAY_BATCH orders (group commit: each order in its own savepoint). Due
 * lots are released and expired, per member, as the replay passes their dates; the caller
 * then runs the due job and the tier reviews as of now.
 */
#include "ledger_int.h"
#include "patron/error.h"
#include "patron/reward.h"

#include <stdlib.h>
#include <string.h>

#define REPLAY_BATCH 512

struct order_nos {
    char  (*no)[PT_ORDER_NO_MAX];
    size_t n, cap;
};

static int collect_order(void *ud, const pt_order_rec *o)
{
    struct order_nos *v = ud;
    if (o->status != PT_ORDER_PAID)
        return PT_OK;
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 4096;
        char(*no)[PT_ORDER_NO_MAX] = realloc(v->no, cap * sizeof *no);
        if (!no)
            return PT_ENOMEM;
        v->no = no;
        v->cap = cap;
    }
    memcpy(v->no[v->n++], o->order_no, PT_ORDER_NO_MAX);
    return PT_OK;
}

static int replay_batch(pt_ledger *l, struct order_nos *v, size_t from, size_t to, pt_ledger_replay_stats *st)
{
    int rc = pt_store_begin_locking(l->s);
    for (size_t i = from; rc == PT_OK && i < to; i++) {
        pt_ledger_result res;
        int r = pt_ledger_earn_order(l, v->no[i], NULL, &res, NULL);
        if (r == PT_OK && !res.replayed) {
            st->orders_earned++;
            st->points += res.points;
            /* a first purchase completes a pending referral (a no-op otherwise) */
            if ((r = pt_referral_on_first_purchase(l, res.member_id, NULL)) != PT_OK)
                rc = r;
        } else if (r == PT_OK || r == PT_EEXIST) {
            st->orders_skipped++;
        } else if (r == PT_ESTATE || r == PT_ENOTFOUND) {
            st->orders_refused++; /* e.g. the member was frozen or merged away */
        } else {
            rc = r;
        }
    }
    if (rc == PT_OK)
        return pt_store_commit(l->s);
    if (pt_store_in_tx(l->s))
        pt_store_rollback(l->s);
    return rc;
}

int pt_ledger_replay_orders(pt_ledger *l, pt_ledger_replay_stats *st, void (*progress)(void *ud, int64_t done, int64_t total),
                            void *ud)
{
    pt_ledger_replay_stats local;
    st = st ? st : &local;
    memset(st, 0, sizeof *st);
    struct order_nos v = {0};
    int rc = pt_store_order_scan(l->s, collect_order, &v); /* by member, then time */
    for (size_t i = 0; rc == PT_OK && i < v.n; i += REPLAY_BATCH) {
        size_t to = i + REPLAY_BATCH < v.n ? i + REPLAY_BATCH : v.n;
        rc = replay_batch(l, &v, i, to, st);
        if (progress)
            progress(ud, (int64_t)to, (int64_t)v.n);
    }
    free(v.no);
    if (rc && !l->errmsg[0])
        pt__ledger_error(l, rc, "replaying orders: %s", pt_store_errmsg(l->s));
    return rc;
}

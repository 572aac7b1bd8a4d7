/* snapshot.c — builds the columnar snapshot (see snapshot.h) from the store's order column
 * stream. Invariants: member ids strictly ascending; first[] non-decreasing with
 * first[nmembers] = norders; within a member, order times non-decreasing (the stream's order,
 * checked: a store that broke it would make every per-member analysis wrong). */
#include "patron/snapshot.h"
#include "patron/error.h"
#include "patron/types.h"

#include <stdlib.h>
#include <string.h>

struct builder {
    pt_snapshot *snap;
    size_t       cap_orders, cap_members;
    void       (*progress)(void *ud, int64_t rows);
    void        *ud;
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return PT_OK;
    size_t cap2 = *cap ? *cap : 4096;
    while (cap2 < need)
        cap2 *= 2;
    void *n = realloc(*p, cap2 * elem);
    if (!n)
        return PT_ENOMEM;
    *p = n;
    *cap = cap2;
    return PT_OK;
}

static int reserve(struct builder *b, size_t rows)
{
    pt_snapshot *s = b->snap;
    size_t need = s->norders + rows, cap = b->cap_orders, c2 = cap, c3 = cap;
    int rc = grow((void **)&s->order_at, &cap, need, sizeof *s->order_at);
    if (rc == PT_OK)
        rc = grow((void **)&s->order_cents, &c2, need, sizeof *s->order_cents);
    if (rc == PT_OK)
        rc = grow((void **)&s->order_status, &c3, need, sizeof *s->order_status);
    if (rc == PT_OK)
        b->cap_orders = cap;
    return rc;
}

static int add_member(struct builder *b, int64_t id)
{
    pt_snapshot *s = b->snap;
    size_t cap = b->cap_members, c2 = cap;
    int rc = grow((void **)&s->member_id, &cap, s->nmembers + 1, sizeof *s->member_id);
    if (rc == PT_OK)
        rc = grow((void **)&s->first, &c2, s->nmembers + 2, sizeof *s->first);
    if (rc)
        return rc;
    b->cap_members = cap;
    s->member_id[s->nmembers] = id;
    s->first[s->nmembers] = s->norders;
    s->nmembers++;
    return PT_OK;
}

static int take_batch(void *ud, const pt_order_columns *c)
{
    struct builder *b = ud;
    pt_snapshot *s = b->snap;
    int rc = reserve(b, c->n);
    for (size_t i = 0; rc == PT_OK && i < c->n; i++) {
        int64_t last = s->nmembers ? s->member_id[s->nmembers - 1] : INT64_MIN;
        if (c->member_id[i] < last)
            return PT_ECORRUPT;
        if (c->member_id[i] != last)
            rc = add_member(b, c->member_id[i]);
        else if (c->ordered_at[i] < s->order_at[s->norders - 1])
            return PT_ECORRUPT;
        s->order_at[s->norders] = c->ordered_at[i];
        s->order_cents[s->norders] = c->amount_cents[i];
        s->order_status[s->norders] = c->status[i];
        if (c->status[i] == PT_ORDER_PAID)
            s->revenue_cents += c->amount_cents[i];
        s->norders++;
    }
    if (rc == PT_OK && b->progress)
        b->progress(b->ud, (int64_t)s->norders);
    return rc;
}

void pt_snapshot_free(pt_snapshot *s)
{
    if (!s)
        return;
    free(s->member_id);
    free(s->first);
    free(s->order_at);
    free(s->order_cents);
    free(s->order_status);
    free(s);
}

int pt_snapshot_load(pt_snapshot **out, pt_store *st, void (*progress)(void *ud, int64_t rows), void *ud)
{
    *out = NULL;
    pt_snapshot *s = calloc(1, sizeof *s);
    if (!s)
        return PT_ENOMEM;
    struct builder b = {.snap = s, .progress = progress, .ud = ud};
    int rc = pt_store_order_columns(st, take_batch, &b);
    if (rc == PT_OK && !s->first && !(s->first = calloc(1, sizeof *s->first)))
        rc = PT_ENOMEM;
    if (rc) {
        pt_snapshot_free(s);
        return rc;
    }
    s->first[s->nmembers] = s->norders;
    *out = s;
    return PT_OK;
}

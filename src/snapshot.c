/* snapshot.c — builds the columnar snapshot (see snapshot.h) from the store's member and order
 * column streams, read inside one store transaction.
 *
 * Members come first (ascending ids, every row); then the order stream, also ascending by
 * member, is merge-joined onto them with a cursor that only moves forward, filling first[].
 * Invariants, checked as the streams arrive (a store that broke them would make every
 * per-member analysis wrong): member ids strictly ascending; every order's member is in the
 * member stream; orders non-decreasing by member, and by time within a member; first[]
 * non-decreasing with first[nmembers] = norders. On failure nothing is returned. */
#include "patron/snapshot.h"
#include "patron/error.h"
#include "patron/types.h"

#include <stdlib.h>
#include <string.h>

struct builder {
    pt_snapshot *snap;
    size_t       cap_orders, cap_members;
    size_t       next;      /* first member whose first[] is not set yet */
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

/* Room for `need` entries in every array of one CSR side; *cap is updated only when all grew. */
static int grow_all(void **arrays[], const size_t elems[], int n, size_t *cap, size_t need)
{
    for (int i = 0; i < n; i++) {
        size_t c = *cap;
        int rc = grow(arrays[i], &c, need, elems[i]);
        if (rc)
            return rc;
    }
    if (need > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (c < need)
            c *= 2;
        *cap = c;
    }
    return PT_OK;
}

static int take_members(void *ud, const pt_member_columns *c)
{
    struct builder *b = ud;
    pt_snapshot *s = b->snap;
    void **arrays[] = {(void **)&s->member_id, (void **)&s->member_registered_at, (void **)&s->member_merged_into,
                       (void **)&s->member_status, (void **)&s->member_consent};
    const size_t elems[] = {sizeof *s->member_id, sizeof *s->member_registered_at, sizeof *s->member_merged_into,
                            sizeof *s->member_status, sizeof *s->member_consent};
    int rc = grow_all(arrays, elems, 5, &b->cap_members, s->nmembers + c->n);
    for (size_t i = 0; rc == PT_OK && i < c->n; i++) {
        size_t k = s->nmembers;
        if (k && c->id[i] <= s->member_id[k - 1])
            return PT_ECORRUPT;
        s->member_id[k] = c->id[i];
        s->member_registered_at[k] = c->registered_at[i];
        s->member_merged_into[k] = c->merged_into[i];
        s->member_status[k] = c->status[i];
        s->member_consent[k] = c->consent[i];
        s->nmembers++;
    }
    return rc;
}

/* Moves the member cursor to member id m (setting first[] of the members passed on the way);
 * PT_ECORRUPT when m is behind the cursor or not a member. */
static int seek_member(struct builder *b, int64_t m)
{
    pt_snapshot *s = b->snap;
    if (b->next && s->member_id[b->next - 1] == m)
        return PT_OK;
    if (b->next && s->member_id[b->next - 1] > m)
        return PT_ECORRUPT;
    while (b->next < s->nmembers && s->member_id[b->next] < m)
        s->first[b->next++] = s->norders;
    if (b->next == s->nmembers || s->member_id[b->next] != m)
        return PT_ECORRUPT;
    s->first[b->next++] = s->norders;
    return PT_OK;
}

static int take_orders(void *ud, const pt_order_columns *c)
{
    struct builder *b = ud;
    pt_snapshot *s = b->snap;
    void **arrays[] = {(void **)&s->order_at, (void **)&s->order_cents, (void **)&s->order_status};
    const size_t elems[] = {sizeof *s->order_at, sizeof *s->order_cents, sizeof *s->order_status};
    int rc = grow_all(arrays, elems, 3, &b->cap_orders, s->norders + c->n);
    for (size_t i = 0; rc == PT_OK && i < c->n; i++) {
        size_t was = b->next;
        rc = seek_member(b, c->member_id[i]);
        if (rc)
            return rc;
        if (b->next == was && s->norders > s->first[b->next - 1] && c->ordered_at[i] < s->order_at[s->norders - 1])
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

int pt_snapshot_member_use(const pt_snapshot *s, size_t i)
{
    if (s->member_merged_into[i])
        return PT_SNAP_MERGED;
    if (s->member_status[i] == PT_MEMBER_ERASED)
        return PT_SNAP_ERASED;
    if (!(s->member_consent[i] & PT_CONSENT_BIT(PT_CONSENT_ANALYTICS)))
        return PT_SNAP_NO_CONSENT;
    return PT_SNAP_USE;
}

void pt_snapshot_free(pt_snapshot *s)
{
    if (!s)
        return;
    free(s->member_id);
    free(s->member_registered_at);
    free(s->member_merged_into);
    free(s->member_status);
    free(s->member_consent);
    free(s->first);
    free(s->order_at);
    free(s->order_cents);
    free(s->order_status);
    free(s);
}

/* Both streams in one read transaction: one consistent state, and writers are not blocked
 * while a large store loads. */
static int read_streams(pt_store *st, struct builder *b)
{
    int rc = pt_store_begin_read(st);
    if (rc)
        return rc;
    rc = pt_store_member_columns(st, take_members, b);
    if (rc == PT_OK && !(b->snap->first = calloc(b->snap->nmembers + 1, sizeof *b->snap->first)))
        rc = PT_ENOMEM;
    if (rc == PT_OK)
        rc = pt_store_order_columns(st, take_orders, b);
    int rc2 = pt_store_rollback(st);
    return rc ? rc : rc2;
}

int pt_snapshot_load(pt_snapshot **out, pt_store *st, void (*progress)(void *ud, int64_t rows), void *ud)
{
    *out = NULL;
    pt_snapshot *s = calloc(1, sizeof *s);
    if (!s)
        return PT_ENOMEM;
    struct builder b = {.snap = s, .progress = progress, .ud = ud};
    int rc = read_streams(st, &b);
    if (rc) {
        pt_snapshot_free(s);
        return rc;
    }
    while (b.next < s->nmembers)
        s->first[b.next++] = s->norders;
    s->first[s->nmembers] = s->norders;
    *out = s;
    return PT_OK;
}

/* snapshot.c — builds the columnar snapshot (see snapshot.h) from the store's member, order and
 * survey column streams, read inside one store transaction.
 *
 * Members come first (ascending ids, every row); then the order stream, also ascending by
 * member, is merge-joined onto them with a cursor that only moves forward, filling first[].
 * Invariants, checked as the streams arrive (a store that broke them would make every
 * per-member analysis wrong): member ids strictly ascending; every order's member is in the
 * member stream; orders non-decreasing by member, and by time within a member; first[]
 * non-decreasing with first[nmembers] = norders. Each order's channel is interned as it
 * arrives, and its id kept aside; the line stream, in the same order as the orders, is then
 * merge-joined onto them by order id with a forward cursor, filling item_first[] (a line whose
 * order is not ahead of the cursor breaks the layout). The survey and event streams are
 * merge-joined onto the members the same way with their own cursors, their names interned; the
 * accounts likewise into the dense per-member columns, tier codes interned too. Names go
 * through the hash tables of snapshot_names.c. On failure nothing is returned. */
#include "patron/snapshot.h"
#include "patron/error.h"
#include "snapshot_int.h"
#include "patron/types.h"

#include <stdlib.h>
#include <string.h>

struct builder {
    pt_snapshot *snap;
    size_t       cap_orders, cap_members, cap_surveys, cap_items, cap_events, cap_products;
    size_t       next;  /* first member whose first[] is not set yet */
    size_t       snext; /* likewise for survey_first[] */
    size_t       enext; /* likewise for event_first[] */
    size_t       inext; /* first order whose item_first[] is not set yet */
    size_t       anext; /* the account cursor: members before it are passed */
    int64_t     *oid;   /* [norders] order ids, to join the lines; freed after the load */
    struct pt__names surveys, tiers, channels, events, products, categories;
    void       (*progress)(void *ud, int64_t rows);
    void        *ud;
};

/* Room for `need` entries in every array of one CSR side; *cap is updated only when all grew. */
static int grow_all(void **arrays[], const size_t elems[], int n, size_t *cap, size_t need)
{
    for (int i = 0; i < n; i++) {
        size_t c = *cap;
        int rc = pt__grow(arrays[i], &c, need, elems[i]);
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

/* Moves a member cursor *next to member id m, setting first[] of the members passed on the way
 * (and of m) to rows, the rows taken so far; PT_ECORRUPT when m is behind the cursor or not a
 * member. */
static int seek(const pt_snapshot *s, size_t *next, size_t *first, size_t rows, int64_t m)
{
    if (*next && s->member_id[*next - 1] == m)
        return PT_OK;
    if (*next && s->member_id[*next - 1] > m)
        return PT_ECORRUPT;
    while (*next < s->nmembers && s->member_id[*next] < m)
        first[(*next)++] = rows;
    if (*next == s->nmembers || s->member_id[*next] != m)
        return PT_ECORRUPT;
    first[(*next)++] = rows;
    return PT_OK;
}

static int seek_member(struct builder *b, int64_t m)
{
    return seek(b->snap, &b->next, b->snap->first, b->snap->norders, m);
}

static int take_orders(void *ud, const pt_order_columns *c)
{
    struct builder *b = ud;
    pt_snapshot *s = b->snap;
    void **arrays[] = {(void **)&s->order_at, (void **)&s->order_cents, (void **)&s->order_status,
                       (void **)&s->order_channel, (void **)&b->oid};
    const size_t elems[] = {sizeof *s->order_at, sizeof *s->order_cents, sizeof *s->order_status,
                            sizeof *s->order_channel, sizeof *b->oid};
    int rc = grow_all(arrays, elems, 5, &b->cap_orders, s->norders + c->n);
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
        b->oid[s->norders] = c->id[i];
        rc = pt__names_intern(&b->channels, c->channel[i], &s->order_channel[s->norders]);
        if (rc)
            return rc;
        if (c->status[i] == PT_ORDER_PAID)
            s->revenue_cents += c->amount_cents[i];
        s->norders++;
    }
    if (rc == PT_OK && b->progress)
        b->progress(b->ud, (int64_t)s->norders);
    return rc;
}

static int take_surveys(void *ud, const pt_survey_columns *c)
{
    struct builder *b = ud;
    pt_snapshot *s = b->snap;
    void **arrays[] = {(void **)&s->survey_at, (void **)&s->survey_score, (void **)&s->survey_kind};
    const size_t elems[] = {sizeof *s->survey_at, sizeof *s->survey_score, sizeof *s->survey_kind};
    int rc = grow_all(arrays, elems, 3, &b->cap_surveys, s->nsurveys + c->n);
    for (size_t i = 0; rc == PT_OK && i < c->n; i++) {
        size_t was = b->snext;
        rc = seek(s, &b->snext, s->survey_first, s->nsurveys, c->member_id[i]);
        if (rc)
            return rc;
        if (b->snext == was && s->nsurveys > s->survey_first[b->snext - 1] &&
            c->at[i] < s->survey_at[s->nsurveys - 1])
            return PT_ECORRUPT;
        rc = pt__names_intern(&b->surveys, c->survey[i], &s->survey_kind[s->nsurveys]);
        s->survey_at[s->nsurveys] = c->at[i];
        s->survey_score[s->nsurveys] = c->score[i];
        s->nsurveys += rc == PT_OK;
    }
    return rc;
}

/* Accounts ascend by member id: a forward cursor finds each one's member. */
static int take_accounts(void *ud, const pt_account_columns *c)
{
    struct builder *b = ud;
    pt_snapshot *s = b->snap;
    int rc = PT_OK;
    for (size_t i = 0; rc == PT_OK && i < c->n; i++) {
        if (b->anext && s->member_id[b->anext - 1] >= c->member_id[i])
            return PT_ECORRUPT;
        while (b->anext < s->nmembers && s->member_id[b->anext] < c->member_id[i])
            b->anext++;
        if (b->anext == s->nmembers || s->member_id[b->anext] != c->member_id[i])
            return PT_ECORRUPT;
        size_t m = b->anext++;
        s->member_points[m] = c->balance[i];
        s->member_pending[m] = c->pending[i];
        if (c->tier[i][0])
            rc = pt__names_intern(&b->tiers, c->tier[i], &s->member_tier[m]);
    }
    return rc;
}

static int take_events(void *ud, const pt_event_columns *c)
{
    struct builder *b = ud;
    pt_snapshot *s = b->snap;
    void **arrays[] = {(void **)&s->event_at, (void **)&s->event_kind, (void **)&s->event_value};
    const size_t elems[] = {sizeof *s->event_at, sizeof *s->event_kind, sizeof *s->event_value};
    int rc = grow_all(arrays, elems, 3, &b->cap_events, s->nevents + c->n);
    for (size_t i = 0; rc == PT_OK && i < c->n; i++) {
        size_t was = b->enext;
        rc = seek(s, &b->enext, s->event_first, s->nevents, c->member_id[i]);
        if (rc)
            return rc;
        if (b->enext == was && s->nevents > s->event_first[b->enext - 1] && c->at[i] < s->event_at[s->nevents - 1])
            return PT_ECORRUPT;
        rc = pt__names_intern(&b->events, c->kind[i], &s->event_kind[s->nevents]);
        s->event_at[s->nevents] = c->at[i];
        s->event_value[s->nevents] = c->value[i];
        s->nevents += rc == PT_OK;
    }
    return rc;
}

/* Moves the order cursor to the order with id oid (the current one, or one ahead), setting
 * item_first[] of the orders passed; PT_ECORRUPT when no order ahead has that id. */
static int seek_order(struct builder *b, int64_t oid)
{
    pt_snapshot *s = b->snap;
    if (b->inext && b->oid[b->inext - 1] == oid)
        return PT_OK;
    while (b->inext < s->norders && b->oid[b->inext] != oid)
        s->item_first[b->inext++] = s->nitems;
    if (b->inext == s->norders)
        return PT_ECORRUPT;
    s->item_first[b->inext++] = s->nitems;
    return PT_OK;
}

static int take_items(void *ud, const pt_item_columns *c)
{
    struct builder *b = ud;
    pt_snapshot *s = b->snap;
    void **arrays[] = {(void **)&s->item_product, (void **)&s->item_qty, (void **)&s->item_cents};
    const size_t elems[] = {sizeof *s->item_product, sizeof *s->item_qty, sizeof *s->item_cents};
    int rc = grow_all(arrays, elems, 3, &b->cap_items, s->nitems + c->n);
    for (size_t i = 0; rc == PT_OK && i < c->n; i++) {
        rc = seek_order(b, c->order_id[i]);
        if (rc == PT_OK)
            rc = pt__snapshot_product(&b->products, &b->categories, &s->product_category, &b->cap_products,
                                      c->sku[i], c->category[i], &s->item_product[s->nitems]);
        if (rc)
            return rc;
        s->item_qty[s->nitems] = c->qty[i];
        s->item_cents[s->nitems] = c->amount_cents[i];
        s->nitems++;
    }
    return rc;
}

/* The dense account columns: zeros, and no tier. */
static int accounts_init(pt_snapshot *s)
{
    size_t n = s->nmembers + 1;
    s->member_points = calloc(n, sizeof *s->member_points);
    s->member_pending = calloc(n, sizeof *s->member_pending);
    s->member_tier = malloc(n * sizeof *s->member_tier);
    if (!s->member_points || !s->member_pending || !s->member_tier)
        return PT_ENOMEM;
    for (size_t i = 0; i < n; i++)
        s->member_tier[i] = -1;
    s->has_accounts = 1;
    return PT_OK;
}

/* A zeroed CSR offsets array of n + 1 entries into *first. */
static int offsets(size_t **first, size_t n)
{
    *first = calloc(n + 1, sizeof **first);
    return *first ? PT_OK : PT_ENOMEM;
}

/* Every stream in one read transaction: one consistent state, and writers are not blocked
 * while a large store loads. */
static int read_streams(pt_store *st, struct builder *b)
{
    pt_snapshot *s = b->snap;
    int rc = pt_store_begin_read(st);
    if (rc)
        return rc;
    rc = pt_store_member_columns(st, take_members, b);
    if (rc == PT_OK)
        rc = offsets(&s->first, s->nmembers);
    if (rc == PT_OK)
        rc = pt_store_order_columns(st, take_orders, b);
    if (rc == PT_OK)
        rc = offsets(&s->item_first, s->norders);
    if (rc == PT_OK)
        rc = pt_store_item_columns(st, take_items, b);
    if (rc == PT_OK)
        rc = offsets(&s->survey_first, s->nmembers);
    if (rc == PT_OK)
        rc = pt_store_survey_columns(st, take_surveys, b);
    if (rc == PT_OK)
        rc = offsets(&s->event_first, s->nmembers);
    if (rc == PT_OK)
        rc = pt_store_event_columns(st, take_events, b);
    if (rc == PT_OK)
        rc = accounts_init(s);
    if (rc == PT_OK)
        rc = pt_store_account_columns(st, take_accounts, b);
    int rc2 = pt_store_rollback(st);
    return rc ? rc : rc2;
}

/* Sets the CSR offsets of the rows after the last cursor position: first[next..n] = rows. */
static void close_csr(size_t *first, size_t next, size_t n, size_t rows)
{
    while (next <= n)
        first[next++] = rows;
}

static void builder_free(struct builder *b)
{
    free(b->oid);
    struct pt__names *t[] = {&b->surveys, &b->tiers, &b->channels, &b->events, &b->products, &b->categories};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        pt__names_free(t[i]);
}

static void builder_init(struct builder *b, pt_snapshot *s)
{
    *b = (struct builder){.snap = s};
    pt__names_init(&b->surveys, PT_LABEL_MAX, PT_SNAPSHOT_SURVEY_NAMES);
    pt__names_init(&b->tiers, PT_LABEL_MAX, PT_SNAPSHOT_SURVEY_NAMES);
    pt__names_init(&b->channels, PT_LABEL_MAX, PT_SNAPSHOT_SURVEY_NAMES);
    pt__names_init(&b->events, PT_LABEL_MAX, PT_SNAPSHOT_SURVEY_NAMES);
    pt__names_init(&b->products, PT_SKU_MAX, SIZE_MAX);
    pt__names_init(&b->categories, PT_CATEGORY_MAX, SIZE_MAX);
}

/* The interned names become the snapshot's name columns. */
static void take_names(struct builder *b)
{
    pt_snapshot *s = b->snap;
    s->nsurvey_names = b->surveys.n;
    s->survey_names = pt__names_take(&b->surveys);
    s->ntier_names = b->tiers.n;
    s->tier_names = pt__names_take(&b->tiers);
    s->nchannel_names = b->channels.n;
    s->channel_names = pt__names_take(&b->channels);
    s->nevent_names = b->events.n;
    s->event_names = pt__names_take(&b->events);
    s->nproducts = b->products.n;
    s->product_code = pt__names_take(&b->products);
    s->ncategories = b->categories.n;
    s->category_names = pt__names_take(&b->categories);
}

int pt_snapshot_load(pt_snapshot **out, pt_store *st, void (*progress)(void *ud, int64_t rows), void *ud)
{
    *out = NULL;
    pt_snapshot *s = calloc(1, sizeof *s);
    if (!s)
        return PT_ENOMEM;
    struct builder b;
    builder_init(&b, s);
    b.progress = progress;
    b.ud = ud;
    int rc = read_streams(st, &b);
    if (rc) {
        builder_free(&b);
        pt_snapshot_free(s);
        return rc;
    }
    close_csr(s->first, b.next, s->nmembers, s->norders);
    close_csr(s->item_first, b.inext, s->norders, s->nitems);
    close_csr(s->survey_first, b.snext, s->nmembers, s->nsurveys);
    close_csr(s->event_first, b.enext, s->nmembers, s->nevents);
    take_names(&b);
    builder_free(&b);
    *out = s;
    return PT_OK;
}

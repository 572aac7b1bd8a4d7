/* snapshot.c — builds the columnar snapshot (see snapshot.h) from the store's member, order and
 * survey column streams, read inside one store transaction.
 *
 * Members come first (ascending ids, every row); then the order stream, also ascending by
 * member, is merge-joined onto them with a cursor that only moves forward, filling first[].
 * Invariants, checked as the streams arrive (a store that broke them would make every
 * per-member analysis wrong): member ids strictly ascending; every order's member is in the
 * member stream; orders non-decreasing by member, and by time within a member; first[]
 * non-decreasing with first[nmembers] = norders. The survey stream is merge-joined the same way
 * with its own cursor into survey_first[], its names interned (a linear search from the last
 * name hit: surveys are few); the accounts likewise into the dense per-member columns, tier codes
 * interned the same way. On failure nothing is returned. */
#include "patron/snapshot.h"
#include "patron/error.h"
#include "patron/types.h"

#include <stdlib.h>
#include <string.h>

struct builder {
    pt_snapshot *snap;
    size_t       cap_orders, cap_members, cap_surveys, cap_names, cap_tiers;
    size_t       next;      /* first member whose first[] is not set yet */
    size_t       snext;     /* likewise for survey_first[] */
    size_t       last_kind; /* the name the previous answer had */
    size_t       anext;     /* the account cursor: members before it are passed */
    size_t       last_tier; /* the tier the previous account had */
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

static int find_name(char (*names)[PT_LABEL_MAX], size_t n, const char *name)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(names[k], name) == 0)
            return (int)k;
    return -1;
}

int pt_snapshot_survey_kind(const pt_snapshot *s, const char *name)
{
    return find_name(s->survey_names, s->nsurvey_names, name);
}

/* An interning table: the names, their count and capacity, the last one hit. */
struct names {
    char  (**v)[PT_LABEL_MAX];
    size_t *n, *cap, *last;
};

/* The index of name in t, added when new. */
static int intern(const struct names *t, const char *name, int32_t *kind)
{
    if (*t->last < *t->n && strcmp((*t->v)[*t->last], name) == 0) {
        *kind = (int32_t)*t->last;
        return PT_OK;
    }
    int k = find_name(*t->v, *t->n, name);
    if (k < 0) {
        if (*t->n == PT_SNAPSHOT_SURVEY_NAMES)
            return PT_ETOOBIG;
        int rc = grow((void **)t->v, t->cap, *t->n + 1, sizeof **t->v);
        if (rc)
            return rc;
        memcpy((*t->v)[*t->n], name, PT_LABEL_MAX);
        (*t->v)[*t->n][PT_LABEL_MAX - 1] = '\0';
        k = (int)(*t->n)++;
    }
    *t->last = (size_t)k;
    *kind = (int32_t)k;
    return PT_OK;
}

static int take_surveys(void *ud, const pt_survey_columns *c)
{
    struct builder *b = ud;
    pt_snapshot *s = b->snap;
    const struct names t = {&s->survey_names, &s->nsurvey_names, &b->cap_names, &b->last_kind};
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
        rc = intern(&t, c->survey[i], &s->survey_kind[s->nsurveys]);
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
    const struct names t = {&s->tier_names, &s->ntier_names, &b->cap_tiers, &b->last_tier};
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
            rc = intern(&t, c->tier[i], &s->member_tier[m]);
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
    free(s->survey_first);
    free(s->survey_at);
    free(s->survey_score);
    free(s->survey_kind);
    free(s->survey_names);
    free(s->member_points);
    free(s->member_pending);
    free(s->member_tier);
    free(s->tier_names);
    free(s);
}

/* Every stream in one read transaction: one consistent state, and writers are not blocked
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
    if (rc == PT_OK && !(b->snap->survey_first = calloc(b->snap->nmembers + 1, sizeof *b->snap->survey_first)))
        rc = PT_ENOMEM;
    if (rc == PT_OK)
        rc = pt_store_survey_columns(st, take_surveys, b);
    if (rc == PT_OK)
        rc = accounts_init(b->snap);
    if (rc == PT_OK)
        rc = pt_store_account_columns(st, take_accounts, b);
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
    while (b.snext < s->nmembers)
        s->survey_first[b.snext++] = s->nsurveys;
    s->survey_first[s->nmembers] = s->nsurveys;
    *out = s;
    return PT_OK;
}

/* lifecycle.c — lifecycle stages over a snapshot (definitions in lifecycle.h and
 * docs/lifecycle.md).
 *
 * The core is one forward walk per member: its paid orders are consumed in time order while a
 * sorted list of instants is visited, keeping only four numbers (paid orders so far, first and
 * last purchase, and the latest "return": a purchase that came after a gap longer than the churn
 * threshold). The stage at an instant is a function of those four numbers, the member's
 * registration time and the thresholds (stage_of). Per-member rows, counts at many instants and
 * the transition matrix all use that walk, so they agree by construction.
 *
 * Threshold derivation histograms the gaps between consecutive paid orders in whole days
 * (capped at PT_LC_MAX_DAYS) and reads the median and 90th percentile off the cumulative counts:
 * integer, one pass, no sort. Everything here is integer arithmetic on UTC epoch seconds.
 */
#include "patron/lifecycle.h"
#include "patron/error.h"
#include "patron/types.h"
#include "patron/tz.h"

#include <stdlib.h>
#include <string.h>

#define DAY PT_LC_DAY_S

/* --- names ---------------------------------------------------------------------------------- */
static const struct {
    const char *key, *en, *zh;
} STAGE[PT_LC__COUNT] = {
    [PT_LC_PROSPECT] = {"prospect", "Prospect (never bought)", "潜在客户（未购买）"},
    [PT_LC_NEW] = {"new", "New", "新客户"},
    [PT_LC_ACTIVE] = {"active", "Active", "活跃客户"},
    [PT_LC_WON_BACK] = {"won_back", "Won back", "回流客户"},
    [PT_LC_DORMANT] = {"dormant", "Dormant", "沉睡客户"},
    [PT_LC_CHURNED] = {"churned", "Churned", "流失客户"},
    [PT_LC_NOT_REGISTERED] = {"not_registered", "Not registered yet", "尚未注册"},
};

const char *pt_lifecycle_stage_key(int stage)
{
    return stage >= 0 && stage < PT_LC__COUNT ? STAGE[stage].key : NULL;
}

const char *pt_lifecycle_stage_name(int stage, int zh)
{
    if (stage < 0 || stage >= PT_LC__COUNT)
        return NULL;
    return zh ? STAGE[stage].zh : STAGE[stage].en;
}

void pt_lifecycle_opts_init(pt_lifecycle_opts *o)
{
    *o = (pt_lifecycle_opts){0};
}

/* --- one member's history ------------------------------------------------------------------- */
struct hist {
    int64_t orders;      /* paid orders consumed */
    int64_t first, last; /* first and last paid purchase (valid when orders > 0) */
    int64_t ret;         /* latest purchase after a gap > C·D; INT64_MIN when none */
};

struct walker {
    const pt_snapshot *s;
    size_t             k, end; /* next order, end of the member's orders */
    int64_t            churn_s;
    struct hist        h;
};

static void walker_start(struct walker *w, const pt_snapshot *s, size_t i, const pt_lifecycle_thresholds *th)
{
    *w = (struct walker){.s = s, .k = s->first[i], .end = s->first[i + 1],
                         .churn_s = (int64_t)th->churn_days * DAY, .h = {.ret = INT64_MIN}};
}

/* Consumes the member's paid orders strictly before as_of. */
static void walker_advance(struct walker *w, int64_t as_of)
{
    const pt_snapshot *s = w->s;
    for (; w->k < w->end && s->order_at[w->k] < as_of; w->k++) {
        if (s->order_status[w->k] != PT_ORDER_PAID)
            continue;
        int64_t at = s->order_at[w->k];
        if (w->h.orders == 0)
            w->h.first = at;
        else if (at - w->h.last > w->churn_s)
            w->h.ret = at;
        w->h.last = at;
        w->h.orders++;
    }
}

static int stage_of(const struct hist *h, int64_t registered_at, int64_t as_of, const pt_lifecycle_thresholds *th)
{
    if (h->orders == 0)
        return registered_at < as_of ? PT_LC_PROSPECT : PT_LC_NOT_REGISTERED;
    int64_t since = as_of - h->last, active_s = (int64_t)th->active_days * DAY;
    if (since > (int64_t)th->churn_days * DAY)
        return PT_LC_CHURNED;
    if (since > active_s)
        return PT_LC_DORMANT;
    if (h->ret != INT64_MIN && as_of - h->ret <= active_s)
        return PT_LC_WON_BACK;
    if (as_of - h->first <= (int64_t)th->new_days * DAY)
        return PT_LC_NEW;
    return PT_LC_ACTIVE;
}

/* --- thresholds ----------------------------------------------------------------------------- */
static int check_thresholds(const pt_lifecycle_thresholds *th)
{
    if (th->active_days < 1 || th->churn_days <= th->active_days || th->new_days < 1)
        return PT_EINVAL;
    if (th->churn_days > PT_LC_MAX_DAYS || th->new_days > PT_LC_MAX_DAYS)
        return PT_EINVAL;
    return PT_OK;
}

/* The k-th smallest (1-based) value of a day histogram. */
static int64_t hist_kth(const size_t *count, size_t k)
{
    size_t seen = 0;
    for (int64_t d = 0; d <= PT_LC_MAX_DAYS; d++) {
        seen += count[d];
        if (seen >= k)
            return d;
    }
    return PT_LC_MAX_DAYS;
}

/* Gap histogram over consenting members' paid orders before as_of; returns the gap count. */
static size_t gap_histogram(const pt_snapshot *s, int64_t as_of, size_t *count)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nmembers; i++) {
        if (pt_snapshot_member_use(s, i) != PT_SNAP_USE)
            continue;
        int64_t prev = INT64_MIN;
        for (size_t k = s->first[i]; k < s->first[i + 1] && s->order_at[k] < as_of; k++) {
            if (s->order_status[k] != PT_ORDER_PAID)
                continue;
            int64_t days = prev == INT64_MIN ? 0 : (s->order_at[k] - prev) / DAY;
            prev = s->order_at[k];
            if (days < 1)
                continue;
            count[days > PT_LC_MAX_DAYS ? PT_LC_MAX_DAYS : days]++;
            n++;
        }
    }
    return n;
}

static int derive_gaps(pt_lifecycle_thresholds *th, const pt_snapshot *s, int64_t as_of)
{
    size_t *count = calloc(PT_LC_MAX_DAYS + 1, sizeof *count);
    if (!count)
        return PT_ENOMEM;
    th->gaps = gap_histogram(s, as_of, count);
    th->median_gap_days = th->p90_gap_days = -1;
    if (th->gaps) {
        th->median_gap_days = hist_kth(count, (th->gaps + 1) / 2);
        th->p90_gap_days = hist_kth(count, (9 * th->gaps + 9) / 10);
    }
    free(count);
    return PT_OK;
}

int pt_lifecycle_derive(pt_lifecycle_thresholds *out, const pt_snapshot *s, const pt_lifecycle_opts *o,
                        int64_t as_of)
{
    memset(out, 0, sizeof *out);
    if (o->active_days < 0 || o->churn_days < 0 || o->new_days < 0 || o->active_days > PT_LC_MAX_DAYS ||
        o->churn_days > PT_LC_MAX_DAYS || o->new_days > PT_LC_MAX_DAYS)
        return PT_EINVAL;
    out->derived_as_of = as_of;
    int rc = derive_gaps(out, s, as_of);
    if (rc)
        return rc;
    int has = out->gaps > 0;
    int median = has ? (int)out->median_gap_days : PT_LC_FALLBACK_ACTIVE_DAYS;
    int p90 = has ? (int)out->p90_gap_days : PT_LC_FALLBACK_CHURN_DAYS;
    out->active_derived = o->active_days == 0;
    out->churn_derived = o->churn_days == 0;
    out->churn_days = o->churn_days ? o->churn_days : p90;
    out->active_days = o->active_days ? o->active_days : median;
    if (out->active_derived && out->active_days >= out->churn_days)
        out->active_days = out->churn_days - 1; /* C given explicitly, at or below the median */
    if (out->active_days < 1 && out->active_derived)
        out->active_days = 1;
    if (out->churn_derived && out->churn_days <= out->active_days)
        out->churn_days = out->active_days + 1;
    out->new_days = o->new_days ? o->new_days : out->active_days;
    return check_thresholds(out);
}

/* --- per member, counts, transitions -------------------------------------------------------- */
/* Stages of member i at the n ascending instants t[]; the history after the last in *h. */
static void member_stages(const pt_snapshot *s, size_t i, const int64_t *t, size_t n,
                          const pt_lifecycle_thresholds *th, int *stage, struct hist *h)
{
    struct walker w;
    walker_start(&w, s, i, th);
    for (size_t p = 0; p < n; p++) {
        walker_advance(&w, t[p]);
        stage[p] = stage_of(&w.h, s->member_registered_at[i], t[p], th);
    }
    if (h)
        *h = w.h;
}

/* Counts member i's use (not its stage) into c; returns the use. */
static int count_use(const pt_snapshot *s, size_t i, pt_lifecycle_counts *c)
{
    int use = pt_snapshot_member_use(s, i);
    if (use == PT_SNAP_MERGED) {
        c->merged_away++;
        return use;
    }
    c->members++;
    if (use == PT_SNAP_ERASED)
        c->erased++;
    else if (use == PT_SNAP_NO_CONSENT)
        c->no_consent++;
    return use;
}

static int ascending(const int64_t *t, size_t n)
{
    for (size_t p = 1; p < n; p++)
        if (t[p] < t[p - 1])
            return 0;
    return 1;
}

void pt_lifecycle_free(pt_lifecycle *lc)
{
    if (!lc)
        return;
    free(lc->rows);
    memset(lc, 0, sizeof *lc);
}

static void fill_row(pt_lifecycle_row *r, int64_t id, int stage, const struct hist *h, int64_t as_of)
{
    *r = (pt_lifecycle_row){.member_id = id, .stage = stage, .orders = h->orders,
                            .days_since_first = -1, .days_since_last = -1};
    if (h->orders) {
        r->days_since_first = (as_of - h->first) / DAY;
        r->days_since_last = (as_of - h->last) / DAY;
    }
}

int pt_lifecycle_compute(pt_lifecycle *out, const pt_snapshot *s, int64_t as_of, const pt_lifecycle_thresholds *th)
{
    memset(out, 0, sizeof *out);
    if (check_thresholds(th))
        return PT_EINVAL;
    out->rows = malloc((s->nmembers ? s->nmembers : 1) * sizeof *out->rows);
    if (!out->rows)
        return PT_ENOMEM;
    out->as_of = out->counts.as_of = as_of;
    out->th = *th;
    for (size_t i = 0; i < s->nmembers; i++) {
        if (count_use(s, i, &out->counts) != PT_SNAP_USE)
            continue;
        int stage;
        struct hist h;
        member_stages(s, i, &as_of, 1, th, &stage, &h);
        fill_row(&out->rows[out->nrows++], s->member_id[i], stage, &h, as_of);
        out->counts.stage[stage]++;
    }
    return PT_OK;
}

int pt_lifecycle_counts_at(pt_lifecycle_counts *out, const pt_snapshot *s, const int64_t *as_of, size_t n,
                           const pt_lifecycle_thresholds *th)
{
    if (check_thresholds(th) || !ascending(as_of, n))
        return PT_EINVAL;
    int *stage = malloc((n ? n : 1) * sizeof *stage);
    if (!stage)
        return PT_ENOMEM;
    pt_lifecycle_counts base = {0};
    for (size_t p = 0; p < n; p++)
        out[p] = (pt_lifecycle_counts){.as_of = as_of[p]};
    for (size_t i = 0; i < s->nmembers; i++) {
        if (count_use(s, i, &base) != PT_SNAP_USE)
            continue;
        member_stages(s, i, as_of, n, th, stage, NULL);
        for (size_t p = 0; p < n; p++)
            out[p].stage[stage[p]]++;
    }
    for (size_t p = 0; p < n; p++) {
        out[p].members = base.members;
        out[p].no_consent = base.no_consent;
        out[p].erased = base.erased;
        out[p].merged_away = base.merged_away;
    }
    free(stage);
    return PT_OK;
}

int pt_lifecycle_transition_matrix(pt_lifecycle_transitions *out, const pt_snapshot *s, int64_t from,
                                   int64_t to, const pt_lifecycle_thresholds *th)
{
    memset(out, 0, sizeof *out);
    if (check_thresholds(th) || to < from)
        return PT_EINVAL;
    const int64_t t[2] = {from, to};
    out->from.as_of = from;
    out->to.as_of = to;
    for (size_t i = 0; i < s->nmembers; i++) {
        count_use(s, i, &out->to);
        if (count_use(s, i, &out->from) != PT_SNAP_USE)
            continue;
        int stage[2];
        member_stages(s, i, t, 2, th, stage, NULL);
        out->from.stage[stage[0]]++;
        out->to.stage[stage[1]]++;
        out->matrix[stage[0]][stage[1]]++;
    }
    return PT_OK;
}

/* --- month ends ----------------------------------------------------------------------------- */
#define MONTHS_MAX 1200

int pt_lifecycle_month_ends(const char *zone, int64_t from, int64_t to, int64_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (to < from || (to - from) / DAY > (int64_t)MONTHS_MAX * 31)
        return PT_EINVAL;
    int64_t start, next;
    int rc = pt_tz_start_of(zone, PT_TZ_MONTH, from, &start);
    if (rc == PT_OK)
        rc = pt_tz_add(zone, PT_TZ_MONTH, start, 1, &next);
    if (rc)
        return rc;
    int64_t *t = malloc((MONTHS_MAX + 1) * sizeof *t);
    if (!t)
        return PT_ENOMEM;
    size_t k = 0;
    while (rc == PT_OK && next <= to && k < MONTHS_MAX) {
        t[k++] = next;
        rc = pt_tz_add(zone, PT_TZ_MONTH, next, 1, &next);
    }
    if (rc || k == 0) {
        free(t);
        return rc;
    }
    *out = t;
    *n = k;
    return PT_OK;
}

/* dashboard_value.c — the member-level dashboard panels: RFM segments and a segment's members
 * (paged JSON or the whole list as CSV, for a campaign), customer lifetime value (BG/NBD +
 * Gamma-Gamma: distribution, top members, P(alive) against value, at-risk high-value
 * members), churn risk, and the member 360 view.
 *
 * Invariants: only members the snapshot may show (pt_snapshot_member_use = PT_SNAP_USE) appear
 * by number — rfm.h and clv.h already leave the others out; the member panel gives personal
 * fields masked, or not at all for a pseudonymous caller, never in clear. RFM, CLV and
 * lifecycle results are cached in the snapshot generation for the last DASH_SLOTS as_of dates
 * each (and go with it), because a CLV fit takes seconds and the pages ask for the same few
 * dates again and again. */
#include "dashboard_int.h"

#include "patron/buf.h"
#include "patron/error.h"
#include "patron/ledger.h"
#include "patron/lifecycle.h"
#include "patron/member.h"
#include "patron/normalize.h"
#include "patron/store_ledger.h"
#include "patron/tz.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DASH_PAGE_MAX   500   /* members per page of a segment list */
#define DASH_SCATTER    2000  /* points of the P(alive)/CLV scatter (every k-th member) */
#define DASH_BINS       10    /* CLV histogram bins */
#define DASH_MEMBER_ROWS 50   /* latest orders and ledger entries in the member view */
#define DASH_CSV_MAX    ((size_t)256 << 20)

/* --- caches ----------------------------------------------------------------------------------- */

/* The index of the slot for as_of: the one holding it (*hit = 1), else a free one, else the
 * least recently used; marked used now. */
static size_t slot_pick(struct dash_slot *const slots[DASH_SLOTS], int64_t as_of, uint64_t now, int *hit)
{
    size_t pick = 0;
    *hit = 0;
    for (size_t k = 0; k < DASH_SLOTS; k++) {
        if (slots[k]->valid && slots[k]->as_of == as_of) {
            pick = k;
            *hit = 1;
            break;
        }
        int better = !slots[k]->valid ? slots[pick]->valid : slots[pick]->valid && slots[k]->used < slots[pick]->used;
        if (better)
            pick = k;
    }
    slots[pick]->used = now;
    return pick;
}

static void clv_slot_free(struct dash_clv *c)
{
    if (c->slot.valid) {
        pt_clv_summary_free(&c->sum);
        free(c->rows);
    }
    memset(c, 0, sizeof *c);
}

void dash_gen_caches_free(struct dash_gen *g)
{
    for (size_t k = 0; k < DASH_SLOTS; k++) {
        if (g->rfm[k].slot.valid)
            pt_rfm_free(&g->rfm[k].rfm);
        if (g->lc[k].slot.valid)
            pt_lifecycle_free(&g->lc[k].lc);
        clv_slot_free(&g->clv[k]);
    }
    json_decref(g->tier_names);
    g->tier_names = NULL;
}

int dash_rfm(struct dash_req *r, int64_t as_of, const pt_rfm **out)
{
    int hit;
    struct dash_slot *slots[DASH_SLOTS];
    for (size_t k = 0; k < DASH_SLOTS; k++)
        slots[k] = &r->g->rfm[k].slot;
    struct dash_rfm *c = &r->g->rfm[slot_pick(slots, as_of, r->g->uses, &hit)];
    if (!hit) {
        if (c->slot.valid)
            pt_rfm_free(&c->rfm);
        c->slot.valid = 0;
        pt_rfm_opts o;
        pt_rfm_opts_init(&o, as_of);
        atomic_fetch_add(&r->d->n_rfm, 1);
        int rc = pt_rfm_compute(&c->rfm, r->g->snap, &o);
        if (rc)
            return rc;
        c->slot.valid = 1;
        c->slot.as_of = as_of;
    }
    *out = &c->rfm;
    return PT_OK;
}

int dash_lifecycle_of(struct dash_req *r, int64_t as_of, const pt_lifecycle **out)
{
    int hit;
    struct dash_slot *slots[DASH_SLOTS];
    for (size_t k = 0; k < DASH_SLOTS; k++)
        slots[k] = &r->g->lc[k].slot;
    struct dash_lc *c = &r->g->lc[slot_pick(slots, as_of, r->g->uses, &hit)];
    if (!hit) {
        if (c->slot.valid)
            pt_lifecycle_free(&c->lc);
        c->slot.valid = 0;
        pt_lifecycle_opts lo;
        pt_lifecycle_thresholds th;
        pt_lifecycle_opts_init(&lo);
        atomic_fetch_add(&r->d->n_lc, 1);
        int rc = pt_lifecycle_derive(&th, r->g->snap, &lo, as_of);
        if (!rc)
            rc = pt_lifecycle_compute(&c->lc, r->g->snap, as_of, &th);
        if (rc)
            return rc;
        c->slot.valid = 1;
        c->slot.as_of = as_of;
    }
    *out = &c->lc;
    return PT_OK;
}

int dash_clv(struct dash_req *r, int64_t as_of, const struct dash_clv **out)
{
    int hit;
    struct dash_slot *slots[DASH_SLOTS];
    for (size_t k = 0; k < DASH_SLOTS; k++)
        slots[k] = &r->g->clv[k].slot;
    struct dash_clv *c = &r->g->clv[slot_pick(slots, as_of, r->g->uses, &hit)];
    if (hit) {
        *out = c;
        return PT_OK;
    }
    uint64_t used = c->slot.used;
    clv_slot_free(c);
    c->slot.used = used;
    atomic_fetch_add(&r->d->n_clv, 1);
    int rc = pt_clv_summary_from_snapshot(&c->sum, r->g->snap, as_of, 7.0, pt_db_config(r->db)->tz_offset_s);
    if (rc)
        return rc;
    pt_clv_fit_opts fo;
    pt_clv_fit_opts_init(&fo, PT_CLV_BGNBD);
    rc = pt_clv_fit_model(&c->tx, &c->sum, &fo);
    if (!rc) {
        pt_clv_fit_opts_init(&fo, PT_CLV_GG);
        rc = pt_clv_fit_model(&c->gg, &c->sum, &fo);
    }
    if (!rc) {
        pt_clv_score_opts so;
        pt_clv_score_opts_init(&so);
        rc = pt_clv_score(&c->rows, &c->sum, &c->tx, &c->gg, &so);
        if (rc) {
            pt_clv_summary_free(&c->sum);
            return rc;
        }
        c->fitted = 1;
    } else if (rc == PT_ENOTFOUND || rc == PT_EINVAL) {
        c->fitted = 0; /* too little history: an empty state, not an error */
    } else {
        pt_clv_summary_free(&c->sum);
        return rc;
    }
    c->slot.valid = 1;
    c->slot.as_of = as_of;
    *out = c;
    return PT_OK;
}

/* The `as_of` parameter; default: the end of the default period. */
static int as_of_param(struct dash_req *r, int64_t *as_of)
{
    int64_t from, to;
    if (dash_default_period(r, &from, &to))
        return dash_fail(r, 500, "the time zone '%s' in config.json is not known", dash_zone(r));
    return dash_date(r, "as_of", to, as_of);
}

/* --- segments --------------------------------------------------------------------------------- */

static int map_param(struct dash_req *r, int *map)
{
    int64_t m;
    if (dash_int(r, "map", 11, 8, 11, &m))
        return r->res->status;
    if (m != PT_RFM_MAP11 && m != PT_RFM_MAP8)
        return dash_fail(r, 400, "parameter 'map': 11 or 8");
    *map = (int)m;
    return 0;
}

int dash_segments(struct dash_req *r)
{
    int map;
    int64_t as_of;
    const pt_rfm *rfm;
    if (map_param(r, &map) || as_of_param(r, &as_of))
        return r->res->status;
    int rc = dash_rfm(r, as_of, &rfm);
    if (rc)
        return dash_fail(r, 500, "RFM: %s", pt_strerror(rc));
    pt_rfm_segment seg[PT_RFM_SEGMENTS_MAX];
    int n = pt_rfm_segments(rfm, map, seg);
    if (n < 0)
        return dash_fail(r, 500, "RFM segments: %s", pt_strerror(n));
    json_t *arr = json_array();
    for (int k = 0; k < n; k++)
        json_array_append_new(
            arr, json_pack("{s:i,s:s,s:s,s:s,s:I,s:I,s:f,s:f,s:f,s:f,s:f,s:b}", "id", seg[k].id, "key",
                           pt_rfm_segment_key(map, seg[k].id), "name_en", pt_rfm_segment_name(map, seg[k].id, 0),
                           "name_zh", pt_rfm_segment_name(map, seg[k].id, 1), "members", (json_int_t)seg[k].members,
                           "revenue_cents", (json_int_t)seg[k].revenue_cents, "share_members", seg[k].share_members,
                           "share_revenue", seg[k].share_revenue, "avg_recency_days", seg[k].avg_recency_days,
                           "avg_frequency", seg[k].avg_frequency, "avg_monetary_cents", seg[k].avg_monetary_cents,
                           "listable", seg[k].id < PT_RFM_SEG_NO_CONSENT));
    r->res->body = json_pack("{s:i,s:o,s:{s:I,s:I,s:I},s:o}", "map", map, "as_of_date", dash_date_json(r, as_of),
                             "totals", "members", (json_int_t)rfm->t.members, "rows", (json_int_t)rfm->t.rows,
                             "scored", (json_int_t)rfm->t.scored, "segments", arr);
    return 200;
}

/* The segment id of key in map (a named segment or "none"), or −1. */
static int segment_of_key(int map, const char *key)
{
    int count = map == PT_RFM_MAP11 ? PT_SEG11__COUNT : PT_SEG8__COUNT;
    for (int s = 0; s < count; s++)
        if (strcmp(pt_rfm_segment_key(map, s), key) == 0)
            return s;
    return strcmp(pt_rfm_segment_key(map, PT_RFM_SEG_NONE), key) == 0 ? PT_RFM_SEG_NONE : -1;
}

static int members_csv(struct dash_req *r, const pt_rfm *rfm, int map, int seg)
{
    pt_buf b;
    pt_buf_init(&b, DASH_CSV_MAX);
    int rc = pt_buf_append_str(&b, "member_no,segment,recency_days,frequency,revenue_cents,r,f,m\n");
    for (size_t i = 0; !rc && i < rfm->nrows; i++) {
        const pt_rfm_row *row = &rfm->rows[i];
        if (pt_rfm_row_segment(row, map) != seg)
            continue;
        char no[PT_MEMBER_NO_MAX];
        pt_member_no_for_id(row->member_id, no);
        rc = pt_buf_appendf(&b, "%s,%s,%lld,%lld,%lld,%d,%d,%d\n", no, pt_rfm_segment_key(map, seg),
                            (long long)row->recency_days, (long long)row->frequency, (long long)row->revenue_cents,
                            row->r, row->f, row->m);
    }
    if (rc) {
        pt_buf_free(&b);
        return dash_fail(r, 500, "CSV: %s", pt_strerror(rc));
    }
    r->res->csv_len = b.len;
    r->res->csv = b.len ? (char *)b.data : NULL;
    if (!r->res->csv)
        pt_buf_free(&b);
    return 200;
}

int dash_segment_members(struct dash_req *r)
{
    int map;
    int64_t as_of, page, per_page;
    const pt_rfm *rfm;
    if (map_param(r, &map) || as_of_param(r, &as_of) || dash_int(r, "page", 1, 1, INT32_MAX, &page) ||
        dash_int(r, "per_page", 20, 1, DASH_PAGE_MAX, &per_page))
        return r->res->status;
    const char *key = r->param(r->ud, "segment");
    const char *format = r->param(r->ud, "format");
    if (!key)
        return dash_fail(r, 400, "parameter 'segment' is required (a segment key, e.g. champions)");
    int seg = segment_of_key(map, key);
    if (seg < 0)
        return dash_fail(r, 400, "parameter 'segment': '%.64s' is no segment of the %d map", key, map);
    if (format && strcmp(format, "csv") && strcmp(format, "json"))
        return dash_fail(r, 400, "parameter 'format': csv or json");
    int rc = dash_rfm(r, as_of, &rfm);
    if (rc)
        return dash_fail(r, 500, "RFM: %s", pt_strerror(rc));
    if (format && strcmp(format, "csv") == 0)
        return members_csv(r, rfm, map, seg);
    json_t *arr = json_array();
    int64_t total = 0, skip = (page - 1) * per_page;
    for (size_t i = 0; i < rfm->nrows; i++) {
        const pt_rfm_row *row = &rfm->rows[i];
        if (pt_rfm_row_segment(row, map) != seg)
            continue;
        if (total++ < skip || (int64_t)json_array_size(arr) >= per_page)
            continue;
        char no[PT_MEMBER_NO_MAX];
        pt_member_no_for_id(row->member_id, no);
        json_array_append_new(arr, json_pack("{s:s,s:I,s:I,s:I,s:i,s:i,s:i}", "member_no", no, "recency_days",
                                             (json_int_t)row->recency_days, "frequency", (json_int_t)row->frequency,
                                             "revenue_cents", (json_int_t)row->revenue_cents, "r", row->r, "f",
                                             row->f, "m", row->m));
    }
    r->res->body = json_pack("{s:i,s:s,s:o,s:I,s:I,s:I,s:o}", "map", map, "segment", key, "as_of_date",
                             dash_date_json(r, as_of), "total", (json_int_t)total, "page", (json_int_t)page,
                             "per_page", (json_int_t)per_page, "members", arr);
    return 200;
}

/* --- value (CLV) -------------------------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Indexes of rows sorted by CLV, highest first (ctx: the rows). */
static int cmp_by_clv_desc(const void *a, const void *b, void *ctx)
{
    const pt_clv_row *rows = ctx;
    int64_t x = rows[*(const size_t *)a].clv_cents, y = rows[*(const size_t *)b].clv_cents;
    return (x < y) - (x > y);
}

static json_t *clv_member_json(const pt_clv_row *row)
{
    char no[PT_MEMBER_NO_MAX];
    pt_member_no_for_id(row->member_id, no);
    return json_pack("{s:s,s:I,s:f,s:f}", "member_no", no, "clv_cents", (json_int_t)row->clv_cents, "p_alive",
                     row->p_alive, "expected_purchases", row->expected_purchases);
}

/* Indexes sorted by past value, highest first (ctx: the values). */
static int cmp_by_past_desc(const void *a, const void *b, void *ctx)
{
    const int64_t *past = ctx;
    int64_t x = past[*(const size_t *)a], y = past[*(const size_t *)b];
    return (x < y) - (x > y);
}

/* High-value members at risk: spend to date (all history before as_of) in the top quarter of the
 * fitted members' and P(alive) < 0.5, most spent first. Not by CLV: a low P(alive) is what makes
 * a member's CLV small, so "CLV in the top quarter and P(alive) < 0.5" is almost always empty.
 * *p75 gets the quarter's threshold. CLV rows and RFM rows are both in member id order. */
static int at_risk(struct dash_req *r, int64_t as_of, const struct dash_clv *c, json_t **out, int64_t *p75)
{
    const pt_rfm *rfm;
    int rc = dash_rfm(r, as_of, &rfm);
    if (rc)
        return rc;
    size_t n = c->sum.n, j = 0;
    int64_t *past = malloc(n * sizeof *past), *sorted = malloc(n * sizeof *sorted);
    size_t *pick = malloc(n * sizeof *pick), npick = 0;
    if (!past || !sorted || !pick) {
        free(past), free(sorted), free(pick);
        return PT_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        while (j < rfm->nrows && rfm->rows[j].member_id < c->rows[i].member_id)
            j++;
        past[i] = sorted[i] = j < rfm->nrows && rfm->rows[j].member_id == c->rows[i].member_id
                                  ? rfm->rows[j].revenue_cents
                                  : 0;
    }
    qsort(sorted, n, sizeof *sorted, cmp_i64);
    *p75 = sorted[(n - 1) * 3 / 4];
    for (size_t i = 0; i < n; i++)
        if (past[i] >= *p75 && c->rows[i].p_alive < 0.5)
            pick[npick++] = i;
    qsort_r(pick, npick, sizeof *pick, cmp_by_past_desc, past);
    *out = json_array();
    for (size_t k = 0; k < npick && k < DASH_TOP; k++) {
        json_t *o = clv_member_json(&c->rows[pick[k]]);
        json_object_set_new(o, "past_value_cents", json_integer(past[pick[k]]));
        json_array_append_new(*out, o);
    }
    free(past), free(sorted), free(pick);
    return PT_OK;
}

/* A bin width that is 1, 2 or 5 × 10^k cents, covering [0, hi] in DASH_BINS bins. */
static int64_t nice_width(int64_t hi)
{
    int64_t raw = hi / DASH_BINS + 1, w = 1;
    while (w < raw) {
        if (w * 2 >= raw)
            return w * 2;
        if (w * 5 >= raw)
            return w * 5;
        w *= 10;
    }
    return w;
}

static json_t *histogram(const pt_clv_row *rows, size_t n, const int64_t *sorted)
{
    int64_t p99 = sorted[(n - 1) * 99 / 100];
    int64_t w = nice_width(p99 > 0 ? p99 : 1);
    size_t cnt[DASH_BINS] = {0};
    for (size_t i = 0; i < n; i++) {
        int64_t b = rows[i].clv_cents <= 0 ? 0 : rows[i].clv_cents / w;
        cnt[b >= DASH_BINS ? DASH_BINS - 1 : b]++;
    }
    json_t *arr = json_array();
    for (int b = 0; b < DASH_BINS; b++)
        json_array_append_new(arr, json_pack("{s:I,s:I,s:I}", "lo_cents", (json_int_t)(b * w), "hi_cents",
                                             (json_int_t)((b + 1) * w), "members", (json_int_t)cnt[b]));
    return arr;
}

int dash_value(struct dash_req *r)
{
    int64_t as_of;
    const struct dash_clv *c;
    if (as_of_param(r, &as_of))
        return r->res->status;
    int rc = dash_clv(r, as_of, &c);
    if (rc)
        return dash_fail(r, 500, "CLV: %s", pt_strerror(rc));
    size_t n = c->fitted ? c->sum.n : 0;
    if (!n) {
        r->res->body = json_pack("{s:b,s:o}", "fitted", 0, "as_of_date", dash_date_json(r, as_of));
        return 200;
    }
    int64_t *sorted = malloc(n * sizeof *sorted);
    size_t *order = malloc(n * sizeof *order);
    if (!sorted || !order) {
        free(sorted);
        free(order);
        return dash_fail(r, 500, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        sorted[i] = c->rows[i].clv_cents;
        order[i] = i;
    }
    qsort(sorted, n, sizeof *sorted, cmp_i64);
    qsort_r(order, n, sizeof *order, cmp_by_clv_desc, c->rows);
    int64_t p75 = sorted[(n - 1) * 3 / 4];
    json_t *top = json_array(), *risk = NULL, *scatter = json_array();
    for (size_t k = 0; k < n && k < DASH_TOP; k++)
        json_array_append_new(top, clv_member_json(&c->rows[order[k]]));
    int64_t p75_past = 0;
    rc = at_risk(r, as_of, c, &risk, &p75_past);
    if (rc) {
        json_decref(top), json_decref(scatter);
        free(sorted), free(order);
        return dash_fail(r, 500, "at-risk members: %s", pt_strerror(rc));
    }
    size_t step = n / DASH_SCATTER + 1;
    for (size_t i = 0; i < n; i += step)
        json_array_append_new(scatter, json_pack("[f,I]", round(c->rows[i].p_alive * 1e4) / 1e4,
                                                 (json_int_t)c->rows[i].clv_cents));
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += c->rows[i].clv_cents;
    r->res->body = json_pack("{s:b,s:s,s:o,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o}", "fitted", 1, "model",
                             "BG/NBD + Gamma-Gamma", "as_of_date", dash_date_json(r, as_of), "members", (json_int_t)n,
                             "sum_clv_cents", (json_int_t)sum, "p75_clv_cents", (json_int_t)p75,
                             "p75_past_value_cents", (json_int_t)p75_past, "histogram", histogram(c->rows, n, sorted),
                             "top", top, "at_risk", risk, "scatter", scatter);
    free(sorted);
    free(order);
    return 200;
}

/* --- member 360 --------------------------------------------------------------------------------- */

static json_t *time_str(pt_db *db, int64_t t)
{
    char buf[20];
    if (!t)
        return json_null();
    /* in the tenant's zone, DST included; the fixed offset only if the zone is unknown */
    if (pt_tz_format(pt_db_config(db)->timezone, t, buf) != PT_OK)
        pt_format_time(t, pt_db_config(db)->tz_offset_s, buf);
    return json_string(buf);
}

struct rows_ctx {
    pt_db         *db;
    json_t        *arr;
};

static int order_row(void *ud, const pt_order_rec *o)
{
    static const char *const st[] = {"?", "paid", "refunded", "cancelled"};
    struct rows_ctx *c = ud;
    json_array_append_new(c->arr, json_pack("{s:s,s:o,s:s,s:I,s:s}", "order_no", o->order_no, "ordered_at",
                                            time_str(c->db, o->ordered_at), "channel", o->channel, "amount_cents",
                                            (json_int_t)o->amount_cents, "status",
                                            o->status >= 1 && o->status <= 3 ? st[o->status] : "?"));
    return 0;
}

static int entry_row(void *ud, const pt_entry_rec *e)
{
    struct rows_ctx *c = ud;
    const char *kind = pt_entry_kind_name(e->kind);
    json_array_append_new(c->arr, json_pack("{s:o,s:s,s:I,s:s}", "at", time_str(c->db, e->at), "kind",
                                            kind ? kind : "?", "points", (json_int_t)e->points, "ref", e->ref));
    return 0;
}

/* The last DASH_MEMBER_ROWS rows of arr, newest first. */
static json_t *latest(json_t *arr)
{
    json_t *out = json_array();
    size_t n = json_array_size(arr);
    for (size_t k = 0; k < n && k < DASH_MEMBER_ROWS; k++)
        json_array_append(out, json_array_get(arr, n - 1 - k));
    json_decref(arr);
    return out;
}

/* RFM, lifecycle stage and CLV of snapshot member i as of as_of. */
static void member_analytics(struct dash_req *r, json_t *o, int64_t id, int64_t as_of)
{
    const pt_rfm *rfm;
    json_object_set_new(o, "rfm", json_null());
    json_object_set_new(o, "lifecycle", json_null());
    json_object_set_new(o, "clv", json_null());
    if (dash_rfm(r, as_of, &rfm) == PT_OK)
        for (size_t k = 0; k < rfm->nrows; k++)
            if (rfm->rows[k].member_id == id) {
                const pt_rfm_row *x = &rfm->rows[k];
                json_object_set_new(o, "rfm", json_pack("{s:i,s:i,s:i,s:I,s:I,s:I,s:s,s:s}", "r", x->r, "f", x->f, "m",
                                                        x->m, "recency_days", (json_int_t)x->recency_days, "frequency",
                                                        (json_int_t)x->frequency, "revenue_cents",
                                                        (json_int_t)x->revenue_cents, "segment_en",
                                                        pt_rfm_segment_name(PT_RFM_MAP11, x->seg11, 0), "segment_zh",
                                                        pt_rfm_segment_name(PT_RFM_MAP11, x->seg11, 1)));
                break;
            }
    const pt_lifecycle *lc;
    if (dash_lifecycle_of(r, as_of, &lc) == PT_OK)
        for (size_t k = 0; k < lc->nrows; k++)
            if (lc->rows[k].member_id == id) {
                int st = lc->rows[k].stage;
                json_object_set_new(o, "lifecycle", json_pack("{s:s,s:s,s:s}", "key", pt_lifecycle_stage_key(st),
                                                              "name_en", pt_lifecycle_stage_name(st, 0), "name_zh",
                                                              pt_lifecycle_stage_name(st, 1)));
                break;
            }
    const struct dash_clv *c;
    if (dash_clv(r, as_of, &c) == PT_OK && c->fitted)
        for (size_t k = 0; k < c->sum.n; k++)
            if (c->sum.member_id[k] == id) {
                json_object_set_new(o, "clv", json_pack("{s:I,s:f,s:f}", "clv_cents", (json_int_t)c->rows[k].clv_cents,
                                                        "p_alive", c->rows[k].p_alive, "expected_purchases",
                                                        c->rows[k].expected_purchases));
                break;
            }
}

int dash_member(struct dash_req *r)
{
    pt_db *db = r->db;
    const pt_snapshot *snap = r->g->snap;
    const char *q = r->param(r->ud, "q"), *by = r->param(r->ud, "by");
    int64_t as_of;
    int kind = 0; /* 0: member number, else an identifier kind */
    if (!q || !*q)
        return dash_fail(r, 400, "parameter 'q' is required (a member number, or a phone or email with by=)");
    if (by && strcmp(by, "phone") == 0)
        kind = PT_ID_PHONE;
    else if (by && strcmp(by, "email") == 0)
        kind = PT_ID_EMAIL;
    else if (by && strcmp(by, "no") != 0)
        return dash_fail(r, 400, "parameter 'by': no (member number), phone or email");
    /* finding a member by phone or email links personal data to a member: not for a
     * pseudonymous caller */
    if (kind && r->personal == PT_DASH_PSEUDONYMOUS)
        return dash_fail(r, 403, "parameter 'by': this key may look members up by member number only");
    if (!kind && strlen(q) >= PT_MEMBER_NO_MAX)
        return dash_fail(r, 400, "parameter 'q': a member number has at most %d characters", PT_MEMBER_NO_MAX - 1);
    if (as_of_param(r, &as_of))
        return r->res->status;
    int64_t id = 0;
    int redirected = 0, rc;
    if (kind) { /* by phone or email: the blind index finds the member (its profile is loaded) */
        pt_member m;
        rc = pt_member_find(db, kind, q, &m);
        if (rc == PT_OK) {
            id = m.id;
            pt_member_wipe(&m);
        }
    } else { /* by number: no profile to decrypt; show_json below reads and masks it */
        rc = pt_member_resolve_no(db, q, &id, &redirected);
    }
    if (rc == PT_EPARSE)
        return dash_fail(r, 400, "parameter 'q': not a valid %s", kind == PT_ID_PHONE ? "phone number" : "email address");
    if (rc == PT_ENOTFOUND) {
        if (kind) /* never echo a phone or email back */
            q = "";
        r->res->body = json_pack("{s:b,s:s}", "found", 0, "q", q);
        return 200;
    }
    if (rc)
        return dash_fail(r, 500, "member: %s", pt_strerror(rc));
    pt_buf b;
    pt_buf_init(&b, (size_t)1 << 20);
    rc = pt_member_show_json(db, id, 0, &b);
    json_t *o = rc ? NULL : json_loads(pt_buf_str(&b), 0, NULL);
    pt_buf_wipe(&b);
    pt_buf_free(&b);
    if (!o)
        return dash_fail(r, 500, "member: %s", rc ? pt_strerror(rc) : "bad JSON");
    if (r->personal == PT_DASH_PSEUDONYMOUS) {
        json_object_set_new(o, "profile", json_null());
        json_object_set_new(o, "identifiers", json_array());
    }
    json_object_set_new(o, "found", json_true());
    json_object_set_new(o, "redirected", json_boolean(redirected));
    struct rows_ctx oc = {db, json_array()}, ec = {db, json_array()};
    json_object_set_new(o, "order_summary", json_incref(json_object_get(o, "orders")));
    if (pt_store_order_list(pt_db_store(db), id, order_row, &oc) == PT_OK)
        json_object_set_new(o, "orders", latest(oc.arr));
    else
        json_object_set_new(o, "orders", (json_decref(oc.arr), json_array()));
    if (pt_store_entry_list_recent(pt_db_store(db), id, DASH_MEMBER_ROWS, entry_row, &ec) == PT_OK)
        json_object_set_new(o, "history", latest(ec.arr));
    else
        json_object_set_new(o, "history", (json_decref(ec.arr), json_array()));
    long i = pt_snapshot_member_index(snap, id);
    if (i >= 0 && snap->has_accounts) {
        int32_t t = snap->member_tier[i];
        json_object_set_new(o, "points", json_pack("{s:I,s:I,s:o}", "balance", (json_int_t)snap->member_points[i],
                                                   "pending", (json_int_t)snap->member_pending[i], "tier",
                                                   t >= 0 ? json_string(snap->tier_names[t]) : json_null()));
    } else {
        json_object_set_new(o, "points", json_null());
    }
    member_analytics(r, o, id, as_of);
    r->res->body = o;
    return 200;
}

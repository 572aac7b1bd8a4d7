/* rfm.c — RFM values, quintile scores, above/below-mean codes and segment maps over a
 * snapshot (definitions in rfm.h and docs/rfm.md).
 *
 * Three passes, each over all members or all scored values:
 *  1. values: per member, one backward walk over its orders (newest first) gives recency,
 *     frequency and revenue in the window; members are split over threads in contiguous
 *     ranges balanced by order count, each thread writing its own slice of rows (offsets
 *     from a sequential count of shown members) and its own partial totals;
 *  2. cuts: the scored values gathered into three key arrays (recency negated, so larger is
 *     better for all three), each sorted by an LSD radix sort (one sort per thread); the four
 *     cut values are order statistics of the sorted keys;
 *  3. scores: per row, score = 1 + #{cuts below its key}, the H/L code against the exact
 *     integer mean, and both segments; again split over threads.
 * Invariant: nothing here depends on the thread count (partials are summed in thread order,
 * integer sums commute). Every allocation is freed before return (or owned by pt_rfm).
 */
#include "patron/rfm.h"
#include "patron/error.h"
#include "patron/types.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- names ---------------------------------------------------------------------------------- */
struct seg_name {
    const char *key, *en, *zh;
};

static const struct seg_name SEG11[PT_SEG11__COUNT] = {
    {"champions", "Champions", "冠军客户"},
    {"loyal", "Loyal", "忠诚客户"},
    {"potential_loyalist", "Potential Loyalist", "潜在忠诚客户"},
    {"new", "New", "新客户"},
    {"promising", "Promising", "有潜力客户"},
    {"need_attention", "Need Attention", "需要关注客户"},
    {"about_to_sleep", "About to Sleep", "即将沉睡客户"},
    {"at_risk", "At Risk", "有流失风险客户"},
    {"cant_lose_them", "Can't Lose Them", "不能失去的客户"},
    {"hibernating", "Hibernating", "休眠客户"},
    {"lost", "Lost", "已流失客户"},
};

static const struct seg_name SEG8[PT_SEG8__COUNT] = {
    {"important_value", "Important value", "重要价值客户"},
    {"important_develop", "Important to develop", "重要发展客户"},
    {"important_retain", "Important to retain", "重要保持客户"},
    {"important_winback", "Important to win back", "重要挽留客户"},
    {"general_value", "General value", "一般价值客户"},
    {"general_develop", "General to develop", "一般发展客户"},
    {"general_retain", "General to retain", "一般保持客户"},
    {"general_winback", "General to win back", "一般挽留客户"},
};

static const struct seg_name PSEUDO[3] = {
    {"none", "No paid order in window", "窗口内无订单"},
    {"anonymous_no_consent", "Anonymous: no analytics consent", "匿名：未同意分析"},
    {"anonymous_erased", "Anonymous: erased", "匿名：已删除"},
};

/* 8 map: segment by hl bits (R = 4, F = 2, M = 1; R high = fewer days than the mean). Checked
 * against ../shared/data/rfm/rfm_segment_map_cn8.csv (its R_high is "recent"): 重要价值 HHH,
 * 重要保持 LHH, 重要发展 HLH, 重要挽留 LLH, and the same four with M low for 一般…. */
static const uint8_t SEG8_OF_HL[8] = {
    [0] = PT_SEG_GENERAL_WINBACK,   [1] = PT_SEG_IMPORTANT_WINBACK, [2] = PT_SEG_GENERAL_RETAIN,
    [3] = PT_SEG_IMPORTANT_RETAIN,  [4] = PT_SEG_GENERAL_DEVELOP,   [5] = PT_SEG_IMPORTANT_DEVELOP,
    [6] = PT_SEG_GENERAL_VALUE,     [7] = PT_SEG_IMPORTANT_VALUE,
};

/* 11 map: the segment of every R-F-M code, [R − 1][F − 1][M − 1]. Transcribed from
 * ../shared/data/rfm/rfm_segment_map_11seg_125codes.csv (the community 11-segment map over all
 * 125 codes; its "Loyal Customers", "New Customers" and "About To Sleep" are our Loyal, New and
 * About to Sleep). Variants of this table circulate and differ on a few codes (231/241/251);
 * this is the one the project uses. tests/test_rfm.c checks every code against the CSV. */
enum {
    CH = PT_SEG_CHAMPIONS, LO = PT_SEG_LOYAL, PL = PT_SEG_POTENTIAL_LOYALIST, NW = PT_SEG_NEW,
    PR = PT_SEG_PROMISING, NA = PT_SEG_NEED_ATTENTION, AS = PT_SEG_ABOUT_TO_SLEEP, AR = PT_SEG_AT_RISK,
    CL = PT_SEG_CANT_LOSE_THEM, HI = PT_SEG_HIBERNATING, LS = PT_SEG_LOST,
};
static const uint8_t SEG11_OF_CODE[5][5][5] = {
    /* R=1 */ {
        /* F=1 */ {LS, LS, CL, CL, CL},
        /* F=2 */ {LS, HI, HI, AR, AR},
        /* F=3 */ {LS, HI, AR, AR, AR},
        /* F=4 */ {LS, AR, AR, CL, AR},
        /* F=5 */ {LS, AR, AR, CL, CL},
    },
    /* R=2 */ {
        /* F=1 */ {HI, HI, AS, CL, CL},
        /* F=2 */ {AS, HI, HI, AR, AR},
        /* F=3 */ {HI, HI, HI, AR, AR},
        /* F=4 */ {HI, AR, AR, AR, AR},
        /* F=5 */ {HI, AR, AR, AR, AR},
    },
    /* R=3 */ {
        /* F=1 */ {NW, AS, PR, PR, PR},
        /* F=2 */ {AS, HI, PL, NA, NA},
        /* F=3 */ {AS, HI, PL, NA, LO},
        /* F=4 */ {PL, PL, NA, LO, LO},
        /* F=5 */ {PL, PL, PL, LO, LO},
    },
    /* R=4 */ {
        /* F=1 */ {NW, NW, PR, PR, PR},
        /* F=2 */ {NW, NW, PL, PR, PR},
        /* F=3 */ {PL, PL, PL, NA, LO},
        /* F=4 */ {PL, PL, NA, LO, CH},
        /* F=5 */ {PL, PL, PL, CH, CH},
    },
    /* R=5 */ {
        /* F=1 */ {NW, NW, PR, PR, PR},
        /* F=2 */ {PR, PR, PR, PR, PR},
        /* F=3 */ {PL, PL, PL, NA, NA},
        /* F=4 */ {PL, PL, LO, CH, CH},
        /* F=5 */ {PL, PL, PL, CH, CH},
    },
};

static const struct seg_name *seg_name(int map, int seg)
{
    if (seg >= PT_RFM_SEG_NONE && seg <= PT_RFM_SEG_ERASED)
        return &PSEUDO[seg - PT_RFM_SEG_NONE];
    if (map == PT_RFM_MAP11 && seg >= 0 && seg < PT_SEG11__COUNT)
        return &SEG11[seg];
    if (map == PT_RFM_MAP8 && seg >= 0 && seg < PT_SEG8__COUNT)
        return &SEG8[seg];
    return NULL;
}

const char *pt_rfm_segment_name(int map, int seg, int zh)
{
    const struct seg_name *n = seg_name(map, seg);
    return n ? (zh ? n->zh : n->en) : NULL;
}

const char *pt_rfm_segment_key(int map, int seg)
{
    const struct seg_name *n = seg_name(map, seg);
    return n ? n->key : NULL;
}

const char *pt_rfm_hl_code(int hl)
{
    static const char codes[8][4] = {"LLL", "LLH", "LHL", "LHH", "HLL", "HLH", "HHL", "HHH"};
    return codes[hl & 7];
}

int pt_rfm_seg11_of(int r, int f, int m)
{
    if (r < 1 || r > 5 || f < 1 || f > 5 || m < 1 || m > 5)
        return -1;
    return SEG11_OF_CODE[r - 1][f - 1][m - 1];
}

int pt_rfm_seg8_of(int hl)
{
    return SEG8_OF_HL[hl & 7];
}

int pt_rfm_row_segment(const pt_rfm_row *row, int map)
{
    return map == PT_RFM_MAP8 ? row->seg8 : row->seg11;
}

void pt_rfm_opts_init(pt_rfm_opts *o, int64_t as_of)
{
    *o = (pt_rfm_opts){.as_of = as_of, .window_days = 0, .monetary = PT_RFM_SUM, .threads = 0};
}

/* --- threads -------------------------------------------------------------------------------- */
/* Runs fn(arg + i·size) for i < n, on n − 1 new threads and the caller; a thread that cannot
 * be started runs on the caller instead, so this cannot fail. */
static void run_parallel(void *(*fn)(void *), void *arg, size_t size, int n)
{
    pthread_t tid[PT_RFM_THREADS_MAX];
    int started[PT_RFM_THREADS_MAX] = {0};
    for (int i = 1; i < n; i++)
        started[i] = pthread_create(&tid[i], NULL, fn, (char *)arg + (size_t)i * size) == 0;
    fn(arg);
    for (int i = 1; i < n; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            fn((char *)arg + (size_t)i * size);
    }
}

static int resolve_threads(int asked)
{
    long n = asked > 0 ? asked : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    return n > PT_RFM_THREADS_MAX ? PT_RFM_THREADS_MAX : (int)n;
}

/* --- pass 1: values ------------------------------------------------------------------------- */
struct values_job {
    const pt_snapshot *snap;
    const pt_rfm_opts *o;
    int64_t            lo;          /* window start (inclusive) */
    size_t             from, to;    /* members */
    pt_rfm_row        *rows;        /* this job's first row */
    pt_rfm_totals      t;           /* partial */
};

/* One member's values from its orders, newest first. Returns 1 if it has a paid order in
 * the window. */
static int member_values(const pt_snapshot *s, size_t i, int64_t as_of, int64_t lo, pt_rfm_row *r)
{
    int64_t last = INT64_MIN, freq = 0, rev = 0;
    for (size_t k = s->first[i + 1]; k-- > s->first[i];) {
        int64_t at = s->order_at[k];
        if (at >= as_of || s->order_status[k] != PT_ORDER_PAID)
            continue;
        if (last == INT64_MIN)
            last = at;
        if (at < lo)
            break;
        freq++;
        rev += s->order_cents[k];
    }
    r->member_id = s->member_id[i];
    r->recency_days = last == INT64_MIN ? -1 : (as_of - last) / PT_RFM_DAY_S;
    r->frequency = freq;
    r->revenue_cents = rev;
    return freq > 0;
}

static void *values_worker(void *arg)
{
    struct values_job *j = arg;
    const pt_snapshot *s = j->snap;
    size_t out = 0;
    for (size_t i = j->from; i < j->to; i++) {
        int use = pt_snapshot_member_use(s, i);
        if (use == PT_SNAP_MERGED) {
            j->t.merged_away++;
            continue;
        }
        j->t.members++;
        pt_rfm_row tmp, *r = use == PT_SNAP_USE ? &j->rows[out++] : &tmp;
        memset(r, 0, sizeof *r);
        int buyer = member_values(s, i, j->o->as_of, j->lo, r);
        j->t.orders += r->frequency;
        j->t.revenue_cents += r->revenue_cents;
        if (use != PT_SNAP_USE) {
            *(use == PT_SNAP_ERASED ? &j->t.erased : &j->t.no_consent) += 1;
            j->t.anon_buyers += (size_t)buyer;
            j->t.anon_orders += r->frequency;
            j->t.anon_revenue_cents += r->revenue_cents;
            if (use == PT_SNAP_ERASED)
                j->t.erased_revenue_cents += r->revenue_cents;
            continue;
        }
        j->t.rows++;
        r->monetary_cents = j->o->monetary == PT_RFM_AVG && buyer ? r->revenue_cents / r->frequency : r->revenue_cents;
        r->seg11 = r->seg8 = PT_RFM_SEG_NONE;
        if (buyer) {
            j->t.scored++;
            j->t.sum_recency_days += r->recency_days;
            j->t.sum_frequency += r->frequency;
            j->t.sum_monetary_cents += r->monetary_cents;
        }
    }
    return NULL;
}

static void add_totals(pt_rfm_totals *a, const pt_rfm_totals *b)
{
    a->members += b->members;
    a->rows += b->rows;
    a->scored += b->scored;
    a->no_consent += b->no_consent;
    a->erased += b->erased;
    a->merged_away += b->merged_away;
    a->anon_buyers += b->anon_buyers;
    a->anon_orders += b->anon_orders;
    a->anon_revenue_cents += b->anon_revenue_cents;
    a->erased_revenue_cents += b->erased_revenue_cents;
    a->orders += b->orders;
    a->revenue_cents += b->revenue_cents;
    a->sum_recency_days += b->sum_recency_days;
    a->sum_frequency += b->sum_frequency;
    a->sum_monetary_cents += b->sum_monetary_cents;
}

/* Splits members into n ranges of about equal order counts: range k is [cut[k], cut[k+1]). */
static void split_members(const pt_snapshot *s, int n, size_t *cut)
{
    cut[0] = 0;
    for (int k = 1; k < n; k++) {
        size_t goal = s->norders / (size_t)n * (size_t)k, lo = cut[k - 1], hi = s->nmembers;
        while (lo < hi) { /* first member whose orders start at or after goal */
            size_t mid = lo + (hi - lo) / 2;
            if (s->first[mid] < goal)
                lo = mid + 1;
            else
                hi = mid;
        }
        cut[k] = lo;
    }
    cut[n] = s->nmembers;
}

/* --- pass 2: cuts --------------------------------------------------------------------------- */
/* Sorts n signed keys ascending: LSD radix on the sign-flipped bits, 8 bits per pass,
 * skipping passes where every key has the same byte. tmp has room for n keys. */
static void radix_sort(int64_t *keys, int64_t *tmp, size_t n)
{
    static const uint64_t FLIP = UINT64_C(1) << 63;
    size_t count[8][256] = {{0}};
    for (size_t i = 0; i < n; i++) {
        uint64_t u = (uint64_t)keys[i] ^ FLIP;
        for (int b = 0; b < 8; b++)
            count[b][(u >> (8 * b)) & 0xff]++;
    }
    int64_t *src = keys, *dst = tmp;
    for (int b = 0; b < 8; b++) {
        size_t pos = 0, skip = 0;
        for (int v = 0; v < 256; v++) {
            size_t c = count[b][v];
            skip |= c == n;
            count[b][v] = pos;
            pos += c;
        }
        if (skip)
            continue;
        for (size_t i = 0; i < n; i++) {
            uint64_t u = (uint64_t)src[i] ^ FLIP;
            dst[count[b][(u >> (8 * b)) & 0xff]++] = src[i];
        }
        int64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != keys)
        memcpy(keys, src, n * sizeof *keys);
}

struct sort_job {
    int64_t *keys, *tmp; /* [n] each */
    size_t   n;
    int64_t  cut[4];
};

/* Sorts one key array and takes cut_k = the ⌈k·n/5⌉-th smallest key, k = 1..4. */
static void sort_one(struct sort_job *j)
{
    if (j->n == 0)
        return;
    radix_sort(j->keys, j->tmp, j->n);
    for (int k = 1; k <= 4; k++)
        j->cut[k - 1] = j->keys[((size_t)k * j->n + 4) / 5 - 1];
}

struct sort_group {
    struct sort_job *jobs;
    int              first, step;
};

static void *sort_worker(void *arg)
{
    struct sort_group *g = arg;
    for (int k = g->first; k < 3; k += g->step)
        sort_one(&g->jobs[k]);
    return NULL;
}

/* --- pass 3: scores ------------------------------------------------------------------------- */
struct score_job {
    pt_rfm_row          *rows;
    size_t               from, to;
    const int64_t       *cut;       /* [3][4] keys: −recency, frequency, monetary */
    int64_t              mean_r_ceil, mean_f_floor, mean_m_floor;
};

static uint8_t score(int64_t key, const int64_t *cut)
{
    uint8_t s = 1;
    for (int k = 0; k < 4; k++)
        s += key > cut[k];
    return s;
}

static void *score_worker(void *arg)
{
    struct score_job *j = arg;
    for (size_t i = j->from; i < j->to; i++) {
        pt_rfm_row *r = &j->rows[i];
        if (r->frequency == 0)
            continue;
        r->r = score(-r->recency_days, j->cut);
        r->f = score(r->frequency, j->cut + 4);
        r->m = score(r->monetary_cents, j->cut + 8);
        /* v better than the mean Σ/n ⇔ (integers) v > ⌊Σ/n⌋, or for days v < ⌈Σ/n⌉ */
        r->hl = (uint8_t)((r->recency_days < j->mean_r_ceil ? PT_RFM_HL_R : 0) |
                          (r->frequency > j->mean_f_floor ? PT_RFM_HL_F : 0) |
                          (r->monetary_cents > j->mean_m_floor ? PT_RFM_HL_M : 0));
        r->seg8 = SEG8_OF_HL[r->hl];
        r->seg11 = SEG11_OF_CODE[r->r - 1][r->f - 1][r->m - 1];
    }
    return NULL;
}

/* --- the pass driver ------------------------------------------------------------------------ */
static int values_pass(pt_rfm *out, const pt_snapshot *s, int nt)
{
    struct values_job jobs[PT_RFM_THREADS_MAX];
    size_t cut[PT_RFM_THREADS_MAX + 1], offset = 0;
    split_members(s, nt, cut);
    int64_t lo = out->opts.window_days ? out->opts.as_of - (int64_t)out->opts.window_days * PT_RFM_DAY_S : INT64_MIN;
    for (int k = 0; k < nt; k++) {
        jobs[k] = (struct values_job){.snap = s, .o = &out->opts, .lo = lo, .from = cut[k], .to = cut[k + 1]};
        jobs[k].rows = out->rows + offset;
        for (size_t i = cut[k]; i < cut[k + 1]; i++)
            offset += pt_snapshot_member_use(s, i) == PT_SNAP_USE;
    }
    out->nrows = offset;
    run_parallel(values_worker, jobs, sizeof *jobs, nt);
    for (int k = 0; k < nt; k++)
        add_totals(&out->t, &jobs[k].t);
    return PT_OK;
}

/* Gathers the scored keys and sorts them; cuts[3][4] in key space. */
static int cuts_pass(pt_rfm *out, int nt, int64_t *cuts)
{
    size_t n = out->t.scored;
    int64_t *mem = malloc((n ? n : 1) * 6 * sizeof *mem); /* 3 key arrays + 3 radix buffers */
    if (!mem)
        return PT_ENOMEM;
    struct sort_job jobs[3];
    for (int k = 0; k < 3; k++)
        jobs[k] = (struct sort_job){.keys = mem + (size_t)k * n, .tmp = mem + (size_t)(3 + k) * n, .n = n};
    size_t w = 0;
    for (size_t i = 0; i < out->nrows; i++) {
        const pt_rfm_row *r = &out->rows[i];
        if (r->frequency == 0)
            continue;
        jobs[0].keys[w] = -r->recency_days;
        jobs[1].keys[w] = r->frequency;
        jobs[2].keys[w] = r->monetary_cents;
        w++;
    }
    int ns = nt < 3 ? nt : 3;
    struct sort_group groups[3];
    for (int g = 0; g < ns; g++)
        groups[g] = (struct sort_group){.jobs = jobs, .first = g, .step = ns};
    run_parallel(sort_worker, groups, sizeof *groups, ns);
    for (int k = 0; k < 3; k++)
        memcpy(cuts + 4 * k, jobs[k].cut, sizeof jobs[k].cut);
    free(mem);
    return PT_OK;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static void scores_pass(pt_rfm *out, int nt, const int64_t *cuts)
{
    struct score_job jobs[PT_RFM_THREADS_MAX];
    int64_t n = (int64_t)(out->t.scored ? out->t.scored : 1);
    for (int k = 0; k < nt; k++) {
        jobs[k] = (struct score_job){
            .rows = out->rows, .from = out->nrows * (size_t)k / (size_t)nt,
            .to = out->nrows * (size_t)(k + 1) / (size_t)nt, .cut = cuts,
            .mean_r_ceil = -floor_div(-out->t.sum_recency_days, n),
            .mean_f_floor = floor_div(out->t.sum_frequency, n),
            .mean_m_floor = floor_div(out->t.sum_monetary_cents, n)};
    }
    run_parallel(score_worker, jobs, sizeof *jobs, nt);
    for (int k = 0; k < 4; k++) {
        out->t.cut_recency_days[k] = -cuts[k];
        out->t.cut_frequency[k] = cuts[4 + k];
        out->t.cut_monetary_cents[k] = cuts[8 + k];
    }
}

void pt_rfm_free(pt_rfm *r)
{
    if (!r)
        return;
    free(r->rows);
    memset(r, 0, sizeof *r);
}

int pt_rfm_compute(pt_rfm *out, const pt_snapshot *snap, const pt_rfm_opts *o)
{
    memset(out, 0, sizeof *out);
    if (o->window_days < 0 || (o->monetary != PT_RFM_SUM && o->monetary != PT_RFM_AVG))
        return PT_EINVAL;
    out->opts = *o;
    int nt = resolve_threads(o->threads);
    if (snap->nmembers < (size_t)nt * 1024)
        nt = 1; /* not worth a thread */
    out->opts.threads = nt;
    out->rows = malloc((snap->nmembers ? snap->nmembers : 1) * sizeof *out->rows);
    if (!out->rows)
        return PT_ENOMEM;
    int64_t cuts[12] = {0};
    int rc = values_pass(out, snap, nt);
    if (rc == PT_OK)
        rc = cuts_pass(out, nt, cuts);
    if (rc) {
        pt_rfm_free(out);
        return rc;
    }
    scores_pass(out, nt, cuts);
    return PT_OK;
}

/* --- segment summary ------------------------------------------------------------------------ */
struct seg_acc {
    size_t  members, valued;
    int64_t revenue, sum_r, sum_f, sum_m;
};

static void finish_segment(const pt_rfm *r, int id, const struct seg_acc *a, pt_rfm_segment *s)
{
    *s = (pt_rfm_segment){.id = id, .members = a->members, .revenue_cents = a->revenue};
    if (r->t.members)
        s->share_members = (double)a->members / (double)r->t.members;
    if (r->t.revenue_cents)
        s->share_revenue = (double)a->revenue / (double)r->t.revenue_cents;
    if (a->valued) {
        s->avg_recency_days = (double)a->sum_r / (double)a->valued;
        s->avg_frequency = (double)a->sum_f / (double)a->valued;
        s->avg_monetary_cents = (double)a->sum_m / (double)a->valued;
    }
}

int pt_rfm_segments(const pt_rfm *r, int map, pt_rfm_segment *out)
{
    if (map != PT_RFM_MAP11 && map != PT_RFM_MAP8)
        return PT_EINVAL;
    int nseg = map == PT_RFM_MAP11 ? PT_SEG11__COUNT : PT_SEG8__COUNT;
    struct seg_acc acc[PT_SEG11__COUNT + 1] = {{0}}; /* [nseg] = NONE */
    for (size_t i = 0; i < r->nrows; i++) {
        const pt_rfm_row *row = &r->rows[i];
        int seg = pt_rfm_row_segment(row, map);
        struct seg_acc *a = &acc[seg == PT_RFM_SEG_NONE ? nseg : seg];
        a->members++;
        a->revenue += row->revenue_cents;
        if (row->recency_days < 0)
            continue; /* never bought before as_of: no values to average */
        a->valued++;
        a->sum_r += row->recency_days;
        a->sum_f += row->frequency;
        a->sum_m += row->monetary_cents;
    }
    for (int k = 0; k < nseg; k++)
        finish_segment(r, k, &acc[k], &out[k]);
    finish_segment(r, PT_RFM_SEG_NONE, &acc[nseg], &out[nseg]);
    /* anonymous: counts and revenue only */
    struct seg_acc nc = {.members = r->t.no_consent, .revenue = r->t.anon_revenue_cents - r->t.erased_revenue_cents};
    struct seg_acc er = {.members = r->t.erased, .revenue = r->t.erased_revenue_cents};
    finish_segment(r, PT_RFM_SEG_NO_CONSENT, &nc, &out[nseg + 1]);
    finish_segment(r, PT_RFM_SEG_ERASED, &er, &out[nseg + 2]);
    return nseg + 3;
}

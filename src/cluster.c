/* cluster.c — personas (cluster.h): behaviour features per member, k-means++ with restarts,
 * k chosen by the silhouette, and a description and a name for each cluster.
 *
 * How k is chosen: for each k in k_min … k_max, k-means++ (restarts runs, lowest inertia) is
 * fitted on a random subsample of up to 10 × sample rows and the mean silhouette is measured
 * on its first `sample` rows (exact silhouette is O(n²), hence the sample); the k with the
 * highest silhouette wins, the smaller k on a tie. The chosen k is then fitted on every row.
 * With opts.k set, that k is fitted directly (its silhouette is still measured and reported).
 *
 * Invariants: one splitmix64 stream per call, seeded by opts.seed, makes every random choice,
 * so results repeat exactly; an empty cluster during Lloyd iterations is re-seeded at the row
 * farthest from its centroid, so every cluster of the result has members; persona keys are
 * unique within a result (clusters with the same base profile are told apart by their most
 * distinctive other dimension, then by a number).
 */
#include "patron/cluster.h"
#include "patron/error.h"
#include "patron/types.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_S 86400.0

static const char *const PF_NAMES[PT_PF__COUNT] = {
    "recency", "frequency", "monetary", "avg_order_value", "tenure", "gap", "categories", "channels", "events",
};

const char *pt_persona_feature_name(int f)
{
    return f >= 0 && f < PT_PF__COUNT ? PF_NAMES[f] : NULL;
}

void pt_personas_opts_init(pt_personas_opts *o)
{
    *o = (pt_personas_opts){.k = 0, .k_min = 2, .k_max = 8, .restarts = 5, .max_iter = 100, .sample = 2000, .seed = 42};
}

void pt_personas_free(pt_personas *p)
{
    if (!p)
        return;
    free(p->member_id);
    free(p->cluster);
    memset(p, 0, sizeof *p);
}

/* --- random numbers (splitmix64: tiny, well distributed, repeatable) ------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* --- k-means++ ------------------------------------------------------------------------------ */

static double dist2(const double *a, const double *b, int d)
{
    double s = 0;
    for (int j = 0; j < d; j++)
        s += (a[j] - b[j]) * (a[j] - b[j]);
    return s;
}

/* Arthur & Vassilvitskii's seeding: the first centre uniformly, each next one with probability
 * proportional to the squared distance to the nearest centre chosen so far. */
static void seed_centres(const double *x, size_t n, int d, int k, uint64_t *rng, double *c, double *near)
{
    size_t first = (size_t)(rng_unit(rng) * (double)n);
    memcpy(c, x + first * (size_t)d, (size_t)d * sizeof *c);
    for (size_t i = 0; i < n; i++)
        near[i] = dist2(x + i * (size_t)d, c, d);
    for (int q = 1; q < k; q++) {
        double total = 0;
        for (size_t i = 0; i < n; i++)
            total += near[i];
        double target = rng_unit(rng) * total, acc = 0;
        size_t pick = n - 1;
        for (size_t i = 0; i < n; i++) {
            acc += near[i];
            if (acc > target) {
                pick = i;
                break;
            }
        }
        double *cq = c + (size_t)q * (size_t)d;
        memcpy(cq, x + pick * (size_t)d, (size_t)d * sizeof *c);
        for (size_t i = 0; i < n; i++) {
            double v = dist2(x + i * (size_t)d, cq, d);
            near[i] = v < near[i] ? v : near[i];
        }
    }
}

/* Assigns every row to its nearest centre; returns the inertia, *changed how many moved. */
static double assign_rows(const double *x, size_t n, int d, int k, const double *c, int *a, double *near,
                          size_t *changed)
{
    double inertia = 0;
    *changed = 0;
    for (size_t i = 0; i < n; i++) {
        int best = 0;
        double bd = DBL_MAX;
        for (int q = 0; q < k; q++) {
            double v = dist2(x + i * (size_t)d, c + (size_t)q * (size_t)d, d);
            if (v < bd) {
                bd = v;
                best = q;
            }
        }
        *changed += a[i] != best;
        a[i] = best;
        near[i] = bd;
        inertia += bd;
    }
    return inertia;
}

/* Centres = means of their rows; an empty cluster takes the row farthest from its centre. */
static void update_centres(const double *x, size_t n, int d, int k, double *c, const int *a, double *near,
                           size_t *count)
{
    memset(c, 0, (size_t)k * (size_t)d * sizeof *c);
    memset(count, 0, (size_t)k * sizeof *count);
    for (size_t i = 0; i < n; i++) {
        count[a[i]]++;
        for (int j = 0; j < d; j++)
            c[(size_t)a[i] * (size_t)d + (size_t)j] += x[i * (size_t)d + (size_t)j];
    }
    for (int q = 0; q < k; q++) {
        if (count[q]) {
            for (int j = 0; j < d; j++)
                c[(size_t)q * (size_t)d + (size_t)j] /= (double)count[q];
            continue;
        }
        size_t far = 0;
        for (size_t i = 1; i < n; i++)
            far = near[i] > near[far] ? i : far;
        memcpy(c + (size_t)q * (size_t)d, x + far * (size_t)d, (size_t)d * sizeof *c);
        near[far] = 0;
    }
}

double pt_kmeans(const double *x, size_t n, int d, int k, int restarts, int max_iter, uint64_t seed, int *assign,
                 double *centroids)
{
    if (k < 1 || d < 1 || n < (size_t)k || restarts < 1 || max_iter < 1)
        return -1;
    double *c = malloc((size_t)k * (size_t)d * sizeof *c);
    double *near = malloc(n * sizeof *near);
    int *a = malloc(n * sizeof *a);
    size_t *count = malloc((size_t)k * sizeof *count);
    double best = -1;
    uint64_t rng = seed;
    for (int r = 0; c && near && a && count && r < restarts; r++) {
        seed_centres(x, n, d, k, &rng, c, near);
        for (size_t i = 0; i < n; i++)
            a[i] = -1;
        size_t changed = 1;
        double inertia = 0;
        for (int it = 0; it < max_iter && changed; it++) {
            inertia = assign_rows(x, n, d, k, c, a, near, &changed);
            if (changed)
                update_centres(x, n, d, k, c, a, near, count);
        }
        if (best < 0 || inertia < best) {
            best = inertia;
            memcpy(assign, a, n * sizeof *a);
            memcpy(centroids, c, (size_t)k * (size_t)d * sizeof *c);
        }
    }
    free(c), free(near), free(a), free(count);
    return best;
}

double pt_silhouette(const double *x, size_t n, int d, int k, const int *assign)
{
    double *sum = malloc((size_t)k * sizeof *sum);
    size_t *cnt = calloc((size_t)k, sizeof *cnt);
    if (!sum || !cnt) {
        free(sum), free(cnt);
        return NAN;
    }
    for (size_t i = 0; i < n; i++)
        cnt[assign[i]]++;
    int used = 0;
    for (int q = 0; q < k; q++)
        used += cnt[q] > 0;
    double total = 0;
    for (size_t i = 0; used >= 2 && i < n; i++) {
        memset(sum, 0, (size_t)k * sizeof *sum);
        for (size_t j = 0; j < n; j++)
            if (j != i)
                sum[assign[j]] += sqrt(dist2(x + i * (size_t)d, x + j * (size_t)d, d));
        int own = assign[i];
        if (cnt[own] < 2)
            continue; /* a singleton's silhouette is 0 by convention */
        double a = sum[own] / (double)(cnt[own] - 1), b = DBL_MAX;
        for (int q = 0; q < k; q++)
            if (q != own && cnt[q])
                b = fmin(b, sum[q] / (double)cnt[q]);
        total += (b - a) / fmax(a, b);
    }
    free(sum), free(cnt);
    return used >= 2 ? total / (double)n : NAN;
}

/* --- features --------------------------------------------------------------------------------- */

struct rows {
    size_t   n;
    size_t  *member;   /* [n] snapshot index */
    double  *raw;      /* [n × PT_PF__COUNT] natural units */
    double  *z;        /* [n × PT_PF__COUNT] standardised */
    double  *cents;    /* [n] paid cents */
};

static void rows_free(struct rows *r)
{
    free(r->member), free(r->raw), free(r->z), free(r->cents);
}

/* Member i's raw features; 0 when it has no paid order before as_of. */
static int member_raw(const pt_snapshot *snap, size_t i, int64_t as_of, double *f, double *cents)
{
    int64_t n = 0, sum = 0, first = 0, last = 0;
    int32_t cat[64], chan[16];
    int ncat = 0, nchan = 0;
    for (size_t k = snap->first[i]; k < snap->first[i + 1] && snap->order_at[k] < as_of; k++) {
        if (snap->order_status[k] != PT_ORDER_PAID)
            continue;
        first = n ? first : snap->order_at[k];
        last = snap->order_at[k];
        n++;
        sum += snap->order_cents[k];
        int32_t ch = snap->order_channel ? snap->order_channel[k] : 0;
        int seen = 0;
        for (int q = 0; q < nchan; q++)
            seen |= chan[q] == ch;
        if (!seen && nchan < 16)
            chan[nchan++] = ch;
        for (size_t l = snap->item_first ? snap->item_first[k] : 0; snap->item_first && l < snap->item_first[k + 1]; l++) {
            int32_t p = snap->item_product[l], c = snap->product_category ? snap->product_category[p] : -1;
            int32_t key = c >= 0 ? c : (int32_t)snap->ncategories + p;
            seen = 0;
            for (int q = 0; q < ncat; q++)
                seen |= cat[q] == key;
            if (!seen && ncat < 64)
                cat[ncat++] = key;
        }
    }
    if (n == 0)
        return 0;
    size_t ev = 0;
    for (size_t e = snap->event_first ? snap->event_first[i] : 0; snap->event_first && e < snap->event_first[i + 1]; e++)
        ev += snap->event_at[e] < as_of && (double)(as_of - snap->event_at[e]) <= 90 * DAY_S;
    int64_t start = snap->member_registered_at[i] < first ? snap->member_registered_at[i] : first;
    f[PT_PF_RECENCY] = (double)(as_of - last) / DAY_S;
    f[PT_PF_FREQUENCY] = (double)n;
    f[PT_PF_MONETARY] = (double)sum;
    f[PT_PF_AOV] = (double)sum / (double)n;
    f[PT_PF_TENURE] = (double)(as_of - start) / DAY_S;
    f[PT_PF_GAP] = n > 1 ? (double)(last - first) / DAY_S / (double)(n - 1) : 0;
    f[PT_PF_CATEGORIES] = ncat;
    f[PT_PF_CHANNELS] = nchan;
    f[PT_PF_EVENTS] = (double)ev;
    *cents = (double)sum;
    return 1;
}

static int rows_build(struct rows *r, const pt_snapshot *snap, int64_t as_of)
{
    memset(r, 0, sizeof *r);
    double f[PT_PF__COUNT], c;
    for (size_t i = 0; i < snap->nmembers; i++)
        r->n += pt_snapshot_member_use(snap, i) == PT_SNAP_USE && member_raw(snap, i, as_of, f, &c);
    size_t n = r->n ? r->n : 1;
    r->member = malloc(n * sizeof *r->member);
    r->raw = malloc(n * PT_PF__COUNT * sizeof *r->raw);
    r->z = malloc(n * PT_PF__COUNT * sizeof *r->z);
    r->cents = malloc(n * sizeof *r->cents);
    if (!r->member || !r->raw || !r->z || !r->cents)
        return PT_ENOMEM;
    size_t j = 0;
    for (size_t i = 0; i < snap->nmembers && j < r->n; i++)
        if (pt_snapshot_member_use(snap, i) == PT_SNAP_USE &&
            member_raw(snap, i, as_of, r->raw + j * PT_PF__COUNT, &r->cents[j]))
            r->member[j++] = i;
    /* log1p for the heavy-tailed ones (all but channels), then z-scores over the rows. */
    for (int q = 0; q < PT_PF__COUNT; q++) {
        double s = 0, s2 = 0;
        for (size_t i = 0; i < r->n; i++) {
            double v = r->raw[i * PT_PF__COUNT + (size_t)q];
            v = q == PT_PF_CHANNELS ? v : log1p(v > 0 ? v : 0);
            r->z[i * PT_PF__COUNT + (size_t)q] = v;
            s += v;
            s2 += v * v;
        }
        double mean = s / (double)n, var = s2 / (double)n - mean * mean;
        double sd = var > 1e-12 ? sqrt(var) : 1;
        for (size_t i = 0; i < r->n; i++)
            r->z[i * PT_PF__COUNT + (size_t)q] = (r->z[i * PT_PF__COUNT + (size_t)q] - mean) / sd;
    }
    return PT_OK;
}

/* --- choosing k ------------------------------------------------------------------------------- */

/* Fits every k of the range on a subsample, measures its silhouette; returns the best k. */
static int choose_k(pt_personas *out, const struct rows *r, const pt_personas_opts *o, uint64_t *rng)
{
    size_t m = r->n < 10 * o->sample ? r->n : 10 * o->sample;
    size_t *perm = malloc(r->n * sizeof *perm);
    double *x = malloc(m * PT_PF__COUNT * sizeof *x), *c = malloc(PT_PERSONAS_K_MAX * PT_PF__COUNT * sizeof *c);
    int *a = malloc(m * sizeof *a);
    int best = -1;
    if (!perm || !x || !c || !a)
        goto out;
    for (size_t i = 0; i < r->n; i++)
        perm[i] = i;
    for (size_t i = 0; i < m; i++) { /* partial Fisher–Yates: the first m of a shuffle */
        size_t j = i + (size_t)(rng_unit(rng) * (double)(r->n - i));
        size_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        memcpy(x + i * PT_PF__COUNT, r->z + perm[i] * PT_PF__COUNT, PT_PF__COUNT * sizeof *x);
    }
    out->sample = m < o->sample ? m : o->sample;
    int lo = o->k ? o->k : o->k_min, hi = o->k ? o->k : o->k_max;
    for (int k = lo; k <= hi && (size_t)k * 2 <= m; k++) {
        if (pt_kmeans(x, m, PT_PF__COUNT, k, o->restarts, o->max_iter, rng_next(rng), a, c) < 0)
            goto out;
        out->silhouette[k] = pt_silhouette(x, out->sample, PT_PF__COUNT, k, a);
        if (best < 0 || out->silhouette[k] > out->silhouette[best])
            best = k;
    }
out:
    free(perm), free(x), free(c), free(a);
    return best;
}

/* --- describing and naming ------------------------------------------------------------------ */

struct rule {
    const char *key, *en, *zh;
};

/* The profile rules, first match wins; z values are the centroid's (0 = the average member,
 * recency negated so that higher is more recent). */
static struct rule name_of(const double *z)
{
    double R = -z[PT_PF_RECENCY], F = z[PT_PF_FREQUENCY], M = z[PT_PF_MONETARY], T = z[PT_PF_TENURE];
    if (R > 0.3 && F > 0.5 && M > 0.5)
        return (struct rule){"champions", "Champions: recent, frequent, high spend", "高价值忠诚客户"};
    if (R > 0.3 && T < -0.5 && F <= 0.3)
        return (struct rule){"newcomers", "Newcomers: recent first purchases", "新客户"};
    if (R > 0.3 && F > 0)
        return (struct rule){"loyal", "Loyal regulars", "忠实常客"};
    if (R < -0.5 && (F > 0.3 || M > 0.3))
        return (struct rule){"at_risk", "At risk: valuable but lapsing", "高价值流失风险客户"};
    if (R < -0.5)
        return (struct rule){"lapsed", "Lapsed: long gone, low value", "已沉睡低价值客户"};
    if (z[PT_PF_AOV] > 0.5)
        return (struct rule){"big_ticket", "Big-ticket occasional buyers", "大额低频客户"};
    if (R > 0.3)
        return (struct rule){"recent_occasional", "Recent occasional buyers", "近期偶购客户"};
    return (struct rule){"average", "Average occasional buyers", "一般客户"};
}

/* Words for the most distinctive non-recency dimension of a centroid: [feature][sign]. */
static const struct rule QUALIFIER[PT_PF__COUNT][2] = {
    [PT_PF_FREQUENCY] = {{"frequent", "frequent", "高频"}, {"few_orders", "few orders", "低频"}},
    [PT_PF_MONETARY] = {{"high_spend", "high spend", "高消费"}, {"low_spend", "low spend", "低消费"}},
    [PT_PF_AOV] = {{"big_basket", "big baskets", "大单"}, {"small_basket", "small baskets", "小单"}},
    [PT_PF_TENURE] = {{"long_standing", "long-standing", "老会员"}, {"new_joiners", "recent joiners", "新入会"}},
    [PT_PF_GAP] = {{"long_gaps", "long gaps between orders", "购买间隔长"},
                   {"short_gaps", "short gaps between orders", "购买间隔短"}},
    [PT_PF_CATEGORIES] = {{"broad", "many categories", "多品类"}, {"narrow", "few categories", "品类单一"}},
    [PT_PF_CHANNELS] = {{"omnichannel", "several channels", "全渠道"}, {"one_channel", "one channel", "单渠道"}},
    [PT_PF_EVENTS] = {{"engaged", "engaged", "互动活跃"}, {"quiet", "no recent activity", "互动少"}},
};

static struct rule qualifier_of(const double *z)
{
    int best = PT_PF_FREQUENCY;
    for (int f = PT_PF_FREQUENCY; f < PT_PF__COUNT; f++)
        if (fabs(z[f]) > fabs(z[best]))
            best = f;
    return QUALIFIER[best][z[best] >= 0 ? 0 : 1];
}

/* Names from the rules; clusters sharing a base name get the word for their most distinctive
 * other dimension ("Lapsed … — few orders"), and a number only if that still repeats. */
static void name_personas(pt_personas *out)
{
    struct rule base[PT_PERSONAS_K_MAX];
    for (int q = 0; q < out->k; q++)
        base[q] = name_of(out->persona[q].z);
    for (int q = 0; q < out->k; q++) {
        pt_persona *p = &out->persona[q];
        int shared = 0;
        for (int e = 0; e < out->k; e++)
            shared += e != q && strcmp(base[e].key, base[q].key) == 0;
        if (!shared) {
            snprintf(p->key, sizeof p->key, "%s", base[q].key);
            snprintf(p->name_en, sizeof p->name_en, "%s", base[q].en);
            snprintf(p->name_zh, sizeof p->name_zh, "%s", base[q].zh);
            continue;
        }
        struct rule w = qualifier_of(p->z);
        snprintf(p->key, sizeof p->key, "%s_%s", base[q].key, w.key);
        snprintf(p->name_en, sizeof p->name_en, "%s — %s", base[q].en, w.en);
        snprintf(p->name_zh, sizeof p->name_zh, "%s（%s）", base[q].zh, w.zh);
        int dup = 1;
        for (int e = 0; e < q; e++)
            dup += strcmp(out->persona[e].key, p->key) == 0 ||
                   (strncmp(out->persona[e].key, p->key, strlen(p->key)) == 0 && out->persona[e].key[strlen(p->key)] == '_');
        if (dup > 1) {
            size_t kl = strlen(p->key), el = strlen(p->name_en), zl = strlen(p->name_zh);
            snprintf(p->key + kl, sizeof p->key - kl, "_%d", dup);
            snprintf(p->name_en + el, sizeof p->name_en - el, " (%d)", dup);
            snprintf(p->name_zh + zl, sizeof p->name_zh - zl, "（%d）", dup);
        }
    }
}

static void top_categories(pt_persona *p, const double *cat_cents, size_t ncat)
{
    for (int t = 0; t < PT_PERSONAS_TOP_CAT; t++) {
        p->top_category[t] = -1;
        double best = 0;
        for (size_t c = 0; c < ncat; c++) {
            int taken = 0;
            for (int u = 0; u < t; u++)
                taken |= p->top_category[u] == (int)c;
            if (!taken && cat_cents[c] > best) {
                best = cat_cents[c];
                p->top_category[t] = (int)c;
            }
        }
    }
}

/* Orders per channel and paid cents per category of one member, added to its persona's. */
static void add_mix(const pt_snapshot *snap, size_t i, int64_t as_of, double *chan, double *cat)
{
    for (size_t k = snap->first[i]; k < snap->first[i + 1] && snap->order_at[k] < as_of; k++) {
        if (snap->order_status[k] != PT_ORDER_PAID)
            continue;
        int32_t ch = snap->order_channel ? snap->order_channel[k] : 0;
        chan[ch < PT_PERSONAS_CHAN ? ch : PT_PERSONAS_CHAN - 1] += 1;
        for (size_t l = snap->item_first ? snap->item_first[k] : 0; snap->item_first && l < snap->item_first[k + 1]; l++) {
            int32_t c = snap->product_category ? snap->product_category[snap->item_product[l]] : -1;
            if (c >= 0)
                cat[c] += (double)snap->item_cents[l];
        }
    }
}

static int describe(pt_personas *out, const pt_snapshot *snap, const struct rows *r)
{
    size_t ncat = snap->ncategories;
    double *cat = calloc((size_t)out->k * (ncat ? ncat : 1), sizeof *cat);
    double chan[PT_PERSONAS_K_MAX][PT_PERSONAS_CHAN] = {{0}};
    if (!cat)
        return PT_ENOMEM;
    double revenue = 0;
    for (size_t i = 0; i < r->n; i++) {
        pt_persona *p = &out->persona[out->cluster[i]];
        const double *f = r->raw + i * PT_PF__COUNT;
        p->size++;
        p->recency_days += f[PT_PF_RECENCY], p->orders += f[PT_PF_FREQUENCY];
        p->monetary_cents += f[PT_PF_MONETARY], p->aov_cents += f[PT_PF_AOV];
        p->tenure_days += f[PT_PF_TENURE], p->gap_days += f[PT_PF_GAP];
        p->categories += f[PT_PF_CATEGORIES], p->channels += f[PT_PF_CHANNELS], p->events += f[PT_PF_EVENTS];
        p->revenue_share += r->cents[i];
        revenue += r->cents[i];
        add_mix(snap, r->member[i], out->as_of, chan[out->cluster[i]], cat + (size_t)out->cluster[i] * ncat);
    }
    for (int q = 0; q < out->k; q++) {
        pt_persona *p = &out->persona[q];
        double s = p->size ? (double)p->size : 1, orders = 0;
        p->share = (double)p->size / (double)r->n;
        p->revenue_share = revenue > 0 ? p->revenue_share / revenue : 0;
        p->recency_days /= s, p->orders /= s, p->monetary_cents /= s, p->aov_cents /= s, p->tenure_days /= s;
        p->gap_days /= s, p->categories /= s, p->channels /= s, p->events /= s;
        for (int c = 0; c < PT_PERSONAS_CHAN; c++)
            orders += chan[q][c];
        for (int c = 0; c < PT_PERSONAS_CHAN; c++)
            p->channel_share[c] = orders > 0 ? chan[q][c] / orders : 0;
        top_categories(p, cat + (size_t)q * ncat, ncat);
    }
    free(cat);
    name_personas(out);
    return PT_OK;
}

/* --- the whole run ---------------------------------------------------------------------------- */

int pt_personas_build(pt_personas *out, const pt_snapshot *snap, int64_t as_of, const pt_personas_opts *o)
{
    memset(out, 0, sizeof *out);
    for (int k = 0; k <= PT_PERSONAS_K_MAX; k++)
        out->silhouette[k] = NAN;
    if ((o->k && (o->k < 2 || o->k > PT_PERSONAS_K_MAX)) || o->k_min < 2 || o->k_max > PT_PERSONAS_K_MAX ||
        o->k_min > o->k_max || o->restarts < 1 || o->max_iter < 1 || o->sample < 10)
        return PT_EINVAL;
    struct rows r;
    int rc = rows_build(&r, snap, as_of);
    uint64_t rng = o->seed;
    int k = rc ? -1 : choose_k(out, &r, o, &rng);
    if (rc == PT_OK && k < 0)
        rc = r.n < 4 ? PT_EINVAL : PT_ENOMEM;
    double c[PT_PERSONAS_K_MAX * PT_PF__COUNT];
    out->member_id = rc ? NULL : malloc(r.n * sizeof *out->member_id);
    out->cluster = rc ? NULL : malloc(r.n * sizeof *out->cluster);
    if (rc == PT_OK && (!out->member_id || !out->cluster))
        rc = PT_ENOMEM;
    if (rc == PT_OK) {
        out->k = k;
        out->n = r.n;
        out->as_of = as_of;
        out->inertia = pt_kmeans(r.z, r.n, PT_PF__COUNT, k, o->restarts, o->max_iter, rng_next(&rng), out->cluster, c);
        rc = out->inertia < 0 ? PT_ENOMEM : PT_OK;
    }
    for (size_t i = 0; rc == PT_OK && i < r.n; i++)
        out->member_id[i] = snap->member_id[r.member[i]];
    for (int q = 0; rc == PT_OK && q < k; q++)
        memcpy(out->persona[q].z, c + q * PT_PF__COUNT, sizeof out->persona[q].z);
    if (rc == PT_OK)
        rc = describe(out, snap, &r);
    rows_free(&r);
    if (rc)
        pt_personas_free(out);
    return rc;
}

/* basket.c — frequent itemsets by FP-growth and association rules (basket.h).
 *
 * FP-growth: items below the minimum count are dropped; the rest are ranked by count (desc, then
 * item index), each basket's frequent items inserted in rank order into a prefix tree whose nodes
 * carry counts and are chained per item (the header links). Mining an item of a tree emits
 * suffix ∪ {item} with the item's total count, then builds the conditional tree of the item's
 * prefix paths (weighted by the item's node counts, infrequent items dropped) and recurses, up
 * to max_len items. Every itemset is emitted once: an item is mined only with items of lower
 * rank-order than itself in its prefix, the standard argument (Han, Pei & Yin 2000). A node's
 * child for an item is found through a hash of (node, item), not a sibling list.
 *
 * Trees number their items locally (0 … nloc−1 in global rank order) so that a conditional tree
 * costs in proportion to its own items, not to the whole catalogue. Two scratch arrays over the
 * global ranks are reused by every build (they are consumed before the recursion) and left zero.
 *
 * Rules: every frequent itemset's subsets are frequent, so each antecedent's and consequent's
 * count is found in a hash table of the itemsets (open addressing over the sorted item lists).
 */
#include "patron/basket.h"
#include "patron/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void pt_basket_opts_init(pt_basket_opts *o)
{
    *o = (pt_basket_opts){.min_support = 0.01, .min_confidence = 0.3, .min_lift = 1.0, .max_len = 4,
                          .max_itemsets = 2000000};
}

void pt_baskets_free(pt_baskets *b)
{
    free(b->first);
    free(b->item);
    memset(b, 0, sizeof *b);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int pt_baskets_from_snapshot(pt_baskets *b, const pt_snapshot *s, int64_t from, int64_t before)
{
    memset(b, 0, sizeof *b);
    b->nitems = s->nproducts;
    b->first = calloc(s->norders + 1, sizeof *b->first);
    b->item = malloc((s->nitems + 1) * sizeof *b->item);
    if (!b->first || !b->item) {
        pt_baskets_free(b);
        return PT_ENOMEM;
    }
    size_t at = 0;
    for (size_t r = 0; s->item_first && r < s->norders; r++) {
        if (s->order_status[r] != PT_ORDER_PAID || s->order_at[r] < from || s->order_at[r] >= before)
            continue;
        size_t start = at;
        for (size_t l = s->item_first[r]; l < s->item_first[r + 1]; l++)
            b->item[at++] = s->item_product[l];
        qsort(b->item + start, at - start, sizeof *b->item, cmp_i32);
        size_t w = start;
        for (size_t k = start; k < at; k++)
            if (k == start || b->item[k] != b->item[w - 1])
                b->item[w++] = b->item[k];
        at = w;
        if (at > start)
            b->first[++b->n] = at;
    }
    return PT_OK;
}

/* --- FP-trees ----------------------------------------------------------------------------- */
struct node {
    int32_t item;   /* local item, −1 at the root */
    int32_t parent; /* node index, −1 at the root */
    int32_t link;   /* next node of the same item, −1 none */
    int64_t count;
};

struct tree {
    struct node *nodes;
    size_t       n, cap;
    int32_t      nloc;
    int32_t     *rank;  /* [nloc] global rank of each local item, ascending */
    int32_t     *head;  /* [nloc] first node of the item */
    int64_t     *total; /* [nloc] the item's count in this tree */
    /* Children are found through a hash of (parent, item) → node: a node can have as many
     * children as there are items (the root always does), and a sibling scan per basket line
     * made 5M demo baskets take minutes. Open addressing, load ≤ 1/2; key 0 is empty. */
    uint64_t    *hkey;
    int32_t     *hval;
    size_t       hcap;
};

static void tree_free(struct tree *t)
{
    free(t->nodes);
    free(t->rank);
    free(t->head);
    free(t->total);
    free(t->hkey);
    free(t->hval);
}

static int tree_init(struct tree *t, int32_t nloc)
{
    memset(t, 0, sizeof *t);
    t->nloc = nloc;
    t->cap = 64;
    t->nodes = malloc(t->cap * sizeof *t->nodes);
    t->rank = malloc(((size_t)nloc + 1) * sizeof *t->rank);
    t->head = malloc(((size_t)nloc + 1) * sizeof *t->head);
    t->total = calloc((size_t)nloc + 1, sizeof *t->total);
    t->hcap = 128;
    t->hkey = calloc(t->hcap, sizeof *t->hkey);
    t->hval = malloc(t->hcap * sizeof *t->hval);
    if (!t->nodes || !t->rank || !t->head || !t->total || !t->hkey || !t->hval)
        return PT_ENOMEM;
    for (int32_t k = 0; k < nloc; k++)
        t->head[k] = -1;
    t->nodes[0] = (struct node){.item = -1, .parent = -1, .link = -1};
    t->n = 1;
    return PT_OK;
}

static uint64_t child_key(int32_t parent, int32_t item)
{
    return ((uint64_t)(uint32_t)parent << 32 | (uint32_t)item) + 1; /* never 0 */
}

static size_t child_slot(const struct tree *t, uint64_t key)
{
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    size_t at = (size_t)(h >> 17) & (t->hcap - 1);
    while (t->hkey[at] && t->hkey[at] != key)
        at = (at + 1) & (t->hcap - 1);
    return at;
}

static int child_grow(struct tree *t)
{
    struct tree old = *t;
    t->hcap *= 2;
    t->hkey = calloc(t->hcap, sizeof *t->hkey);
    t->hval = malloc(t->hcap * sizeof *t->hval);
    if (!t->hkey || !t->hval) {
        free(t->hkey);
        free(t->hval);
        t->hkey = old.hkey;
        t->hval = old.hval;
        t->hcap = old.hcap;
        return PT_ENOMEM;
    }
    for (size_t k = 0; k < old.hcap; k++)
        if (old.hkey[k]) {
            size_t at = child_slot(t, old.hkey[k]);
            t->hkey[at] = old.hkey[k];
            t->hval[at] = old.hval[k];
        }
    free(old.hkey);
    free(old.hval);
    return PT_OK;
}

/* A new node for item under cur; PT_ENOMEM, PT_ETOOBIG past INT32_MAX nodes. */
static int new_node(struct tree *t, int32_t cur, int32_t item, int32_t *out)
{
    if (t->n >= INT32_MAX)
        return PT_ETOOBIG;
    if (t->n == t->cap) {
        struct node *nn = realloc(t->nodes, t->cap * 2 * sizeof *nn);
        if (!nn)
            return PT_ENOMEM;
        t->nodes = nn;
        t->cap *= 2;
    }
    if ((t->n + 1) * 2 > t->hcap && child_grow(t))
        return PT_ENOMEM;
    int32_t ch = (int32_t)t->n++;
    t->nodes[ch] = (struct node){.item = item, .parent = cur, .link = t->head[item]};
    t->head[item] = ch;
    uint64_t key = child_key(cur, item);
    size_t at = child_slot(t, key);
    t->hkey[at] = key;
    t->hval[at] = ch;
    *out = ch;
    return PT_OK;
}

/* Inserts the path items[0..n−1] (local items, ascending) with weight c. */
static int tree_insert(struct tree *t, const int32_t *items, size_t n, int64_t c)
{
    int32_t cur = 0;
    for (size_t k = 0; k < n; k++) {
        size_t at = child_slot(t, child_key(cur, items[k]));
        int32_t ch = t->hkey[at] ? t->hval[at] : -1;
        if (ch < 0) {
            int rc = new_node(t, cur, items[k], &ch);
            if (rc)
                return rc;
        }
        t->nodes[ch].count += c;
        t->total[items[k]] += c;
        cur = ch;
    }
    return PT_OK;
}

/* --- mining ------------------------------------------------------------------------------- */
struct miner {
    const pt_basket_opts *o;
    int64_t               min_count;
    int32_t              *item_of_rank; /* [nfreq] global item of each rank */
    int64_t              *cnt;          /* [nfreq] scratch counts by rank, left zero */
    int32_t              *loc;          /* [nfreq] scratch local index by rank, left −1 */
    int32_t              *path;         /* [nfreq] scratch path */
    int32_t               suffix[PT_BASKET_MAX_LEN];
    uint32_t              nsuffix;
    pt_itemsets          *out;
    size_t                cap_sets, cap_pool;
};

static int emit(struct miner *m, int64_t count)
{
    pt_itemsets *o = m->out;
    if (o->n >= m->o->max_itemsets)
        return PT_ETOOBIG;
    size_t pool = o->n ? o->sets[o->n - 1].off + o->sets[o->n - 1].len : 0;
    if (o->n == m->cap_sets) {
        m->cap_sets = m->cap_sets * 2 + 256;
        pt_itemset *ns = realloc(o->sets, m->cap_sets * sizeof *ns);
        if (!ns)
            return PT_ENOMEM;
        o->sets = ns;
    }
    if (pool + m->nsuffix > m->cap_pool) {
        m->cap_pool = m->cap_pool * 2 + 1024;
        int32_t *np = realloc(o->pool, m->cap_pool * sizeof *np);
        if (!np)
            return PT_ENOMEM;
        o->pool = np;
    }
    for (uint32_t k = 0; k < m->nsuffix; k++)
        o->pool[pool + k] = m->item_of_rank[m->suffix[k]];
    qsort(o->pool + pool, m->nsuffix, sizeof *o->pool, cmp_i32);
    o->sets[o->n++] = (pt_itemset){.len = m->nsuffix, .off = (uint32_t)pool, .count = count};
    return PT_OK;
}

static int mine(struct miner *m, const struct tree *t);

/* The conditional tree of local item x of t: its prefix paths weighted by x's node counts. */
static int conditional(struct miner *m, const struct tree *t, int32_t x, struct tree *ct)
{
    for (int32_t nd = t->head[x]; nd >= 0; nd = t->nodes[nd].link)
        for (int32_t p = t->nodes[nd].parent; p > 0; p = t->nodes[p].parent)
            m->cnt[t->rank[t->nodes[p].item]] += t->nodes[nd].count;
    int32_t nloc = 0;
    for (int32_t k = 0; k < x; k++)
        if (m->cnt[t->rank[k]] >= m->min_count)
            nloc++;
    int rc = tree_init(ct, nloc);
    nloc = 0;
    for (int32_t k = 0; k < x; k++) {
        int32_t r = t->rank[k];
        if (m->cnt[r] >= m->min_count && rc == PT_OK) {
            ct->rank[nloc] = r;
            m->loc[r] = nloc++;
        }
        m->cnt[r] = 0;
    }
    for (int32_t nd = t->head[x]; rc == PT_OK && nd >= 0; nd = t->nodes[nd].link) {
        size_t n = 0;
        for (int32_t p = t->nodes[nd].parent; p > 0; p = t->nodes[p].parent) {
            int32_t l = m->loc[t->rank[t->nodes[p].item]];
            if (l >= 0)
                m->path[n++] = l;
        }
        /* the walk went leaf→root, i.e. descending; insert ascending */
        for (size_t a = 0, b = n; a + 1 < b; a++, b--) {
            int32_t tmp = m->path[a];
            m->path[a] = m->path[b - 1];
            m->path[b - 1] = tmp;
        }
        rc = tree_insert(ct, m->path, n, t->nodes[nd].count);
    }
    for (int32_t k = 0; k < ct->nloc && ct->rank; k++)
        m->loc[ct->rank[k]] = -1;
    return rc;
}

static int mine(struct miner *m, const struct tree *t)
{
    for (int32_t x = t->nloc - 1; x >= 0; x--) {
        if (t->total[x] < m->min_count)
            continue;
        m->suffix[m->nsuffix++] = t->rank[x];
        int rc = emit(m, t->total[x]);
        if (rc == PT_OK && m->nsuffix < m->o->max_len && x > 0) {
            struct tree ct;
            rc = conditional(m, t, x, &ct);
            if (rc == PT_OK && ct.nloc > 0)
                rc = mine(m, &ct);
            tree_free(&ct);
        }
        m->nsuffix--;
        if (rc)
            return rc;
    }
    return PT_OK;
}

void pt_itemsets_free(pt_itemsets *s)
{
    free(s->sets);
    free(s->pool);
    memset(s, 0, sizeof *s);
}

static int rank_cmp(const void *a, const void *b, void *ctx)
{
    const int64_t *count = ctx;
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    if (count[x] != count[y])
        return count[x] > count[y] ? -1 : 1;
    return (x > y) - (x < y);
}

/* The whole-data tree: items ranked by count; each basket's frequent items in rank order. */
static int first_tree(struct miner *m, const pt_baskets *b, struct tree *t, int32_t **rank_of_item)
{
    int64_t *count = calloc(b->nitems + 1, sizeof *count);
    int32_t *order = malloc((b->nitems + 1) * sizeof *order);
    *rank_of_item = malloc((b->nitems + 1) * sizeof **rank_of_item);
    if (!count || !order || !*rank_of_item) {
        free(count);
        free(order);
        return PT_ENOMEM;
    }
    for (size_t e = 0; e < b->first[b->n]; e++)
        count[b->item[e]]++;
    int32_t nfreq = 0;
    for (size_t i = 0; i < b->nitems; i++)
        if (count[i] >= m->min_count)
            order[nfreq++] = (int32_t)i;
    qsort_r(order, (size_t)nfreq, sizeof *order, rank_cmp, count);
    for (size_t i = 0; i < b->nitems; i++)
        (*rank_of_item)[i] = -1;
    for (int32_t r = 0; r < nfreq; r++)
        (*rank_of_item)[order[r]] = r;
    m->item_of_rank = order;
    m->cnt = calloc((size_t)nfreq + 1, sizeof *m->cnt);
    m->loc = malloc(((size_t)nfreq + 1) * sizeof *m->loc);
    m->path = malloc(((size_t)nfreq + 1) * sizeof *m->path);
    free(count);
    int rc = m->cnt && m->loc && m->path ? tree_init(t, nfreq) : PT_ENOMEM;
    for (int32_t r = 0; rc == PT_OK && r < nfreq; r++) {
        m->loc[r] = -1;
        t->rank[r] = r;
    }
    for (size_t bk = 0; rc == PT_OK && bk < b->n; bk++) {
        size_t n = 0;
        for (size_t e = b->first[bk]; e < b->first[bk + 1]; e++)
            if ((*rank_of_item)[b->item[e]] >= 0)
                m->path[n++] = (*rank_of_item)[b->item[e]];
        qsort(m->path, n, sizeof *m->path, cmp_i32);
        rc = tree_insert(t, m->path, n, 1);
    }
    return rc;
}

int pt_basket_fpgrowth(pt_itemsets *out, const pt_baskets *b, const pt_basket_opts *o)
{
    memset(out, 0, sizeof *out);
    if (!(o->min_support > 0 && o->min_support <= 1) || o->max_len < 1 || o->max_len > PT_BASKET_MAX_LEN)
        return PT_EINVAL;
    out->nbaskets = b->n;
    struct miner m = {.o = o, .out = out};
    /* ceil without trusting the float: the smallest count c with c ≥ s·N */
    double need = o->min_support * (double)b->n;
    m.min_count = (int64_t)need;
    if ((double)m.min_count < need)
        m.min_count++;
    if (m.min_count < 1)
        m.min_count = 1;
    struct tree t = {0};
    int32_t *rank_of_item = NULL;
    int rc = first_tree(&m, b, &t, &rank_of_item);
    if (rc == PT_OK)
        rc = mine(&m, &t);
    tree_free(&t);
    free(rank_of_item);
    free(m.item_of_rank);
    free(m.cnt);
    free(m.loc);
    free(m.path);
    if (rc)
        pt_itemsets_free(out);
    return rc;
}

/* --- rules -------------------------------------------------------------------------------- */
struct table {
    size_t  cap; /* power of two */
    size_t *slot; /* itemset index + 1, 0 empty */
};

static uint64_t hash_items(const int32_t *it, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t k = 0; k < n; k++) {
        h ^= (uint32_t)it[k];
        h *= 0x100000001b3ull;
    }
    return h ^ (h >> 29);
}

static int table_build(struct table *t, const pt_itemsets *s)
{
    t->cap = 16;
    while (t->cap < s->n * 2 + 2)
        t->cap *= 2;
    t->slot = calloc(t->cap, sizeof *t->slot);
    if (!t->slot)
        return PT_ENOMEM;
    for (size_t k = 0; k < s->n; k++) {
        size_t h = (size_t)hash_items(s->pool + s->sets[k].off, s->sets[k].len) & (t->cap - 1);
        while (t->slot[h])
            h = (h + 1) & (t->cap - 1);
        t->slot[h] = k + 1;
    }
    return PT_OK;
}

/* The count of itemset it[0..n−1] (ascending), 0 when it is not frequent. */
static int64_t table_count(const struct table *t, const pt_itemsets *s, const int32_t *it, size_t n)
{
    size_t h = (size_t)hash_items(it, n) & (t->cap - 1);
    for (; t->slot[h]; h = (h + 1) & (t->cap - 1)) {
        const pt_itemset *x = &s->sets[t->slot[h] - 1];
        if (x->len == n && memcmp(s->pool + x->off, it, n * sizeof *it) == 0)
            return x->count;
    }
    return 0;
}

void pt_basket_rules_free(pt_basket_rules *r)
{
    free(r->rules);
    free(r->pool);
    memset(r, 0, sizeof *r);
}

struct rule_out {
    pt_basket_rules *r;
    size_t           cap, cap_pool, npool;
};

static int add_rule(struct rule_out *ro, const int32_t *a, uint32_t na, const int32_t *c, uint32_t nc,
                    pt_basket_rule rule)
{
    if (ro->r->n == ro->cap) {
        ro->cap = ro->cap * 2 + 256;
        pt_basket_rule *nr = realloc(ro->r->rules, ro->cap * sizeof *nr);
        if (!nr)
            return PT_ENOMEM;
        ro->r->rules = nr;
    }
    if (ro->npool + na + nc > ro->cap_pool) {
        ro->cap_pool = ro->cap_pool * 2 + 1024;
        int32_t *np = realloc(ro->r->pool, ro->cap_pool * sizeof *np);
        if (!np)
            return PT_ENOMEM;
        ro->r->pool = np;
    }
    rule.ante_off = (uint32_t)ro->npool;
    rule.ante_len = na;
    memcpy(ro->r->pool + ro->npool, a, na * sizeof *a);
    ro->npool += na;
    rule.cons_off = (uint32_t)ro->npool;
    rule.cons_len = nc;
    memcpy(ro->r->pool + ro->npool, c, nc * sizeof *c);
    ro->npool += nc;
    ro->r->rules[ro->r->n++] = rule;
    return PT_OK;
}

/* Every split of itemset x into antecedent and consequent. */
static int split_set(struct rule_out *ro, const struct table *t, const pt_itemsets *s, const pt_itemset *x,
                     const pt_basket_opts *o)
{
    const int32_t *it = s->pool + x->off;
    double N = (double)s->nbaskets;
    for (uint32_t mask = 1; mask + 1 < (1u << x->len); mask++) {
        int32_t a[PT_BASKET_MAX_LEN], c[PT_BASKET_MAX_LEN];
        uint32_t na = 0, nc = 0;
        for (uint32_t k = 0; k < x->len; k++) {
            if (mask & (1u << k))
                a[na++] = it[k];
            else
                c[nc++] = it[k];
        }
        int64_t ca = table_count(t, s, a, na), cc = table_count(t, s, c, nc);
        if (ca <= 0 || cc <= 0)
            continue; /* cannot happen for a downward-closed set; never divide by zero */
        double conf = (double)x->count / (double)ca, lift = conf / ((double)cc / N);
        if (conf < o->min_confidence || lift < o->min_lift)
            continue;
        int rc = add_rule(ro, a, na, c, nc,
                          (pt_basket_rule){.count = x->count, .support = (double)x->count / N, .confidence = conf,
                                           .lift = lift});
        if (rc)
            return rc;
    }
    return PT_OK;
}

static int items_cmp(const int32_t *a, uint32_t na, const int32_t *b, uint32_t nb)
{
    for (uint32_t k = 0; k < na && k < nb; k++)
        if (a[k] != b[k])
            return a[k] < b[k] ? -1 : 1;
    return (na > nb) - (na < nb);
}

static int rule_cmp(const void *pa, const void *pb, void *ctx)
{
    const int32_t *sort_pool = ctx;
    const pt_basket_rule *x = pa, *y = pb;
    if (x->lift != y->lift)
        return x->lift > y->lift ? -1 : 1;
    if (x->confidence != y->confidence)
        return x->confidence > y->confidence ? -1 : 1;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    int c = items_cmp(sort_pool + x->ante_off, x->ante_len, sort_pool + y->ante_off, y->ante_len);
    return c ? c : items_cmp(sort_pool + x->cons_off, x->cons_len, sort_pool + y->cons_off, y->cons_len);
}

int pt_basket_rules_mine(pt_basket_rules *out, const pt_itemsets *s, const pt_basket_opts *o)
{
    memset(out, 0, sizeof *out);
    struct table t = {0};
    struct rule_out ro = {.r = out};
    int rc = table_build(&t, s);
    for (size_t k = 0; rc == PT_OK && k < s->n; k++)
        if (s->sets[k].len >= 2)
            rc = split_set(&ro, &t, s, &s->sets[k], o);
    free(t.slot);
    if (rc) {
        pt_basket_rules_free(out);
        return rc;
    }
    if (out->n > 1)
        qsort_r(out->rules, out->n, sizeof *out->rules, rule_cmp, out->pool);
    return PT_OK;
}

/* snapshot_names.c — the snapshot builders' name-interning table (see snapshot_int.h).
 * Indexes are int32 in the snapshot, so a table never holds more than INT32_MAX names; the
 * hash is over the stored (possibly cut) name, so a long name and its cut form are one name. */
#include "snapshot_int.h"
#include "patron/error.h"

#include <stdlib.h>
#include <string.h>

void pt__names_init(struct pt__names *t, size_t width, size_t max)
{
    *t = (struct pt__names){.width = width, .max = max < INT32_MAX ? max : INT32_MAX, .last = SIZE_MAX};
}

void pt__copy_cut(char *dst, size_t cap, const char *src)
{
    size_t len = strnlen(src, cap);
    if (len == cap) { /* too long: back off over UTF-8 continuation bytes */
        len = cap - 1;
        while (len > 0 && ((unsigned char)src[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static const char *name_at(const struct pt__names *t, size_t i)
{
    return t->v + i * t->width;
}

/* The slot holding name, or the empty slot where it would go. */
static size_t probe(const struct pt__names *t, const char *name)
{
    size_t i = hash(name) & t->mask;
    while (t->slot[i] && strcmp(name_at(t, t->slot[i] - 1), name) != 0)
        i = (i + 1) & t->mask;
    return i;
}

/* Doubles the hash (and starts it at 64 slots), re-inserting every name. */
static int rehash(struct pt__names *t)
{
    size_t nslots = t->mask ? (t->mask + 1) * 2 : 64;
    uint32_t *slot = calloc(nslots, sizeof *slot);
    if (!slot)
        return PT_ENOMEM;
    free(t->slot);
    t->slot = slot;
    t->mask = nslots - 1;
    for (size_t k = 0; k < t->n; k++)
        t->slot[probe(t, name_at(t, k))] = (uint32_t)(k + 1);
    return PT_OK;
}

static int append(struct pt__names *t)
{
    if (t->n < t->cap)
        return PT_OK;
    size_t cap = t->cap ? t->cap * 2 : 16;
    char *v = realloc(t->v, cap * t->width);
    if (!v)
        return PT_ENOMEM;
    t->v = v;
    t->cap = cap;
    return PT_OK;
}

int pt__names_intern(struct pt__names *t, const char *name, int32_t *idx)
{
    char cut[1024];
    if (t->width > sizeof cut)
        return PT_EINVAL;
    pt__copy_cut(cut, t->width, name);
    if (t->last < t->n && strcmp(name_at(t, t->last), cut) == 0) {
        *idx = (int32_t)t->last;
        return PT_OK;
    }
    int rc = (t->n + 1) * 2 > t->mask + 1 ? rehash(t) : PT_OK;
    if (rc)
        return rc;
    size_t i = probe(t, cut);
    if (!t->slot[i]) {
        if (t->n == t->max)
            return PT_ETOOBIG;
        rc = append(t);
        if (rc)
            return rc;
        memcpy(t->v + t->n * t->width, cut, t->width);
        t->slot[i] = (uint32_t)++t->n;
    }
    t->last = t->slot[i] - 1;
    *idx = (int32_t)t->last;
    return PT_OK;
}

int32_t pt__names_find(const struct pt__names *t, const char *name)
{
    if (!t->n)
        return -1;
    char cut[1024];
    if (t->width > sizeof cut)
        return -1;
    pt__copy_cut(cut, t->width, name);
    size_t i = probe(t, cut);
    return t->slot[i] ? (int32_t)(t->slot[i] - 1) : -1;
}

void *pt__names_take(struct pt__names *t)
{
    void *v = t->n ? t->v : NULL;
    if (!t->n)
        free(t->v);
    free(t->slot);
    t->v = NULL;
    t->slot = NULL;
    t->n = t->cap = t->mask = 0;
    return v;
}

void pt__names_free(struct pt__names *t)
{
    free(t->v);
    free(t->slot);
    t->v = NULL;
    t->slot = NULL;
    t->n = t->cap = t->mask = 0;
}

int pt__grow(void **p, size_t *cap, size_t need, size_t elem)
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

/* Interns a line's product; a new product takes the line's category (or none), an old one
 * without a category takes the first non-empty one seen. */
int pt__snapshot_product(struct pt__names *products, struct pt__names *categories, int32_t **product_category,
                         size_t *cap, const char *sku, const char *category, int32_t *idx)
{
    size_t had = products->n;
    int rc = pt__names_intern(products, sku, idx);
    if (rc == PT_OK && products->n > had)
        rc = pt__grow((void **)product_category, cap, products->n, sizeof **product_category);
    if (rc)
        return rc;
    int32_t *pc = &(*product_category)[*idx];
    if (products->n > had)
        *pc = -1;
    if (*pc < 0 && category[0])
        rc = pt__names_intern(categories, category, pc);
    return rc;
}


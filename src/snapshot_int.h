/* snapshot_int.h — internal to the snapshot builders (snapshot.c from the store,
 * snapshot_csv.c from a transactions file): the name-interning table that turns strings
 * (products, categories, channels, event kinds, survey names, tiers) into dense indexes.
 *
 * Names live in one array of fixed-width, NUL-terminated slots (width bytes each, longer names
 * are cut at a UTF-8 character boundary), in order of first appearance — the layout the
 * snapshot's *_names arrays have, so pt__names_take hands the array over as is. Look-ups go
 * through an open-addressing hash (FNV-1a, linear probing, load at most one half), with the
 * previous hit checked first because streams repeat names in runs. */
#ifndef PATRON_SNAPSHOT_INT_H
#define PATRON_SNAPSHOT_INT_H

#include <stddef.h>
#include <stdint.h>

struct pt__names {
    char     *v;     /* [cap * width] names */
    size_t    width; /* bytes per name, NUL included */
    size_t    n, cap;
    size_t    max;   /* most names accepted; more is PT_ETOOBIG */
    uint32_t *slot;  /* [mask + 1] index + 1 into v, 0 for empty */
    size_t    mask;
    size_t    last;  /* index of the previous hit, or SIZE_MAX */
};

void pt__names_init(struct pt__names *t, size_t width, size_t max);
/* *idx = the index of name, added when new. PT_ENOMEM, or PT_ETOOBIG past t->max. */
int  pt__names_intern(struct pt__names *t, const char *name, int32_t *idx);
/* The index of name, or −1. */
int32_t pt__names_find(const struct pt__names *t, const char *name);
/* Hands the names array to the caller (NULL when there are none) and frees the rest. */
void *pt__names_take(struct pt__names *t);
void pt__names_free(struct pt__names *t);

/* Copies src into dst[cap] NUL-terminated, cut at a UTF-8 character boundary when too long. */
void pt__copy_cut(char *dst, size_t cap, const char *src);

/* Room for need elements of elem bytes in *p (capacity *cap, doubled from 4096). */
int pt__grow(void **p, size_t *cap, size_t need, size_t elem);

/* Interns a line's product into products (its index into *idx), keeping the per-product
 * category column *product_category (capacity *cap) in step: a new product takes the line's
 * category (interned into categories), or −1 without one; a product without a category takes
 * the first non-empty one seen later. */
int pt__snapshot_product(struct pt__names *products, struct pt__names *categories, int32_t **product_category,
                         size_t *cap, const char *sku, const char *category, int32_t *idx);

#endif

/* idmap.c — see idmap.h.
 *
 * A slot keys on the first 16 bytes of the blind index with the kind folded into the last
 * byte. The blind index is a keyed hash, so two different identifiers share a key with
 * probability about n²/2¹²⁹ (never, in practice), while a slot stays 24 bytes: a map of ten
 * million identifiers fits in well under a gigabyte. Open addressing with linear probing at a
 * load of at most one half; member id 0 marks an empty slot.
 */
#include "idmap.h"
#include "patron/error.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* The map is only built for bulk imports, so it starts at 1 Mi slots (24 MiB). */
#define INITIAL_SLOTS ((size_t)1 << 20)

struct slot {
    uint64_t key[2];
    int64_t  member_id;
};

struct idmap {
    struct slot *slots;
    size_t       mask; /* capacity - 1; capacity is a power of two */
    size_t       n;
};

static void key_of(int kind, const uint8_t *blind, uint64_t key[2])
{
    memcpy(key, blind, 16);
    key[1] ^= (uint64_t)(uint8_t)kind << 56;
}

static struct slot *find_slot(const struct idmap *m, const uint64_t key[2])
{
    size_t i = (size_t)(key[0] ^ (key[1] >> 7)) & m->mask;
    while (m->slots[i].member_id && (m->slots[i].key[0] != key[0] || m->slots[i].key[1] != key[1]))
        i = (i + 1) & m->mask;
    return &m->slots[i];
}

/* Slots come from an anonymous mapping that asks for huge pages: the map is large and
 * touched at random, and a fault per 4 KiB page costs more than the inserts themselves. */
static struct slot *slots_alloc(size_t cap)
{
    void *p = mmap(NULL, cap * sizeof(struct slot), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    madvise(p, cap * sizeof(struct slot), MADV_HUGEPAGE); /* advice only; fine if refused */
    return p;
}

static void slots_free(struct slot *s, size_t cap)
{
    if (s)
        munmap(s, cap * sizeof *s);
}

static int grow(struct idmap *m)
{
    size_t old_cap = m->mask + 1, cap = old_cap * 2;
    struct slot *big = slots_alloc(cap), *old = m->slots;
    if (!big)
        return PT_ENOMEM;
    m->slots = big;
    m->mask = cap - 1;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].member_id)
            *find_slot(m, old[i].key) = old[i];
    slots_free(old, old_cap);
    return PT_OK;
}

static int put(void *ud, const pt_identity_rec *r)
{
    struct idmap *m = ud;
    if ((m->n + 1) * 2 > m->mask + 1 && grow(m))
        return PT_ENOMEM;
    uint64_t key[2];
    key_of(r->kind, r->blind, key);
    struct slot *s = find_slot(m, key);
    if (!s->member_id)
        m->n++;
    memcpy(s->key, key, sizeof key);
    s->member_id = r->member_id;
    return 0;
}

struct idmap *pt__idmap_build(pt_store *s, int *rc)
{
    struct idmap *m = calloc(1, sizeof *m);
    if (m) {
        m->mask = INITIAL_SLOTS - 1;
        m->slots = slots_alloc(INITIAL_SLOTS);
    }
    if (!m || !m->slots) {
        pt__idmap_free(m);
        *rc = PT_ENOMEM;
        return NULL;
    }
    *rc = pt_store_identity_scan(s, put, m);
    if (*rc) {
        pt__idmap_free(m);
        return NULL;
    }
    return m;
}

void pt__idmap_free(struct idmap *m)
{
    if (m)
        slots_free(m->slots, m->mask + 1);
    free(m);
}

int64_t pt__idmap_get(const struct idmap *m, int kind, const uint8_t blind[PT_BLIND_LEN])
{
    uint64_t key[2];
    key_of(kind, blind, key);
    return find_slot(m, key)->member_id;
}

size_t pt__idmap_size(const struct idmap *m)
{
    return m->n;
}

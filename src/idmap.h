/* idmap.h — internal: in-memory map (identifier kind, blind index) → member id, so bulk
 * imports resolve member references without a query per row. Built from the store's
 * identities in one scan; read-only afterwards. */
#ifndef PATRON_IDMAP_H
#define PATRON_IDMAP_H

#include "patron/store.h"

struct idmap;

/* Loads every identifier of the store; NULL with *rc set on failure. */
struct idmap *pt__idmap_build(pt_store *s, int *rc);
void          pt__idmap_free(struct idmap *m);
/* The member holding (kind, blind), or 0. */
int64_t       pt__idmap_get(const struct idmap *m, int kind, const uint8_t blind[PT_BLIND_LEN]);
size_t        pt__idmap_size(const struct idmap *m);

#endif

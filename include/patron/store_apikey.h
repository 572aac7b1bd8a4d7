/* store_apikey.h — the store's records for API keys (migration 9): one row per key the HTTP
 * server (server/) accepts. Same contract as store.h (records, never SQL; 0 or PT_E*).
 *
 * A key itself is never stored: only its BLAKE2b-256 hash (apikey.h says why a fast hash is
 * enough for 256-bit random keys) and a short public prefix so people can tell keys apart in
 * `patron key list`. Keys are never deleted, only revoked (revoked_at > 0), so the request log
 * can always name the key that made a request. api_keys is a small reference table on
 * PostgreSQL/Citus (every node reads it whole).
 */
#ifndef PATRON_STORE_APIKEY_H
#define PATRON_STORE_APIKEY_H

#include "patron/store.h"

#include <stdint.h>

#define PT_APIKEY_HASH_LEN   32 /* BLAKE2b-256 of the whole key */
#define PT_APIKEY_NAME_MAX   64 /* incl. NUL */
#define PT_APIKEY_ROLE_MAX   16
#define PT_APIKEY_PREFIX_MAX 16

typedef struct pt_apikey_rec {
    int64_t id;
    char    name[PT_APIKEY_NAME_MAX];     /* label given at creation; never personal data */
    char    role[PT_APIKEY_ROLE_MAX];     /* "admin", "operator", "analyst", "auditor" */
    char    prefix[PT_APIKEY_PREFIX_MAX]; /* the key's first characters, shown in lists */
    uint8_t hash[PT_APIKEY_HASH_LEN];
    int64_t created_at;
    int64_t revoked_at;                   /* 0 = live */
} pt_apikey_rec;

typedef int (*pt_apikey_cb)(void *ud, const pt_apikey_rec *r);

/* Inserts r (r->id is assigned); PT_EEXIST if the hash is taken. */
int pt_store_apikey_insert(pt_store *s, pt_apikey_rec *r);
/* The key with this hash (live or revoked); PT_ENOTFOUND if none. */
int pt_store_apikey_get_by_hash(pt_store *s, const uint8_t hash[PT_APIKEY_HASH_LEN], pt_apikey_rec *r);
/* Every key, by id. */
int pt_store_apikey_list(pt_store *s, pt_apikey_cb cb, void *ud);
/* Marks key id revoked at `at` (a revoked key stays revoked: its first revocation time is kept);
 * PT_ENOTFOUND if there is no such key. */
int pt_store_apikey_revoke(pt_store *s, int64_t id, int64_t at);

#endif

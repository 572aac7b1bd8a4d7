/* apikey.h — API keys for the HTTP server: creation (shown once), verification, roles,
 * listing and revocation. The records live in the store (store_apikey.h).
 *
 * A key is "ptk_" followed by 43 base64url characters: 256 random bits from libsodium. Only its
 * BLAKE2b-256 hash is stored. A slow password hash (Argon2) is not needed — and would cost
 * milliseconds per request — because the key is not guessable: brute-forcing 2^256 is the
 * attack, not a dictionary. A stolen table of hashes does not give back keys.
 *
 * Roles (what each may do is the router's table, server/router.c):
 *   admin     everything, including API keys and erasure;
 *   operator  members, orders, points, rewards, coupons;
 *   analyst   analytics and pseudonymised member views (no name, phone, email, address);
 *   auditor   the audit log, read-only.
 */
#ifndef PATRON_APIKEY_H
#define PATRON_APIKEY_H

#include "patron/db.h"
#include "patron/store_apikey.h"

#include <stddef.h>
#include <stdint.h>

#define PT_APIKEY_MAX 64 /* a key as text, incl. NUL ("ptk_" + 43 + NUL = 48) */

enum pt_role {
    PT_ROLE_ADMIN = 0,
    PT_ROLE_OPERATOR,
    PT_ROLE_ANALYST,
    PT_ROLE_AUDITOR,
    PT_ROLE__COUNT
};

/* "admin" → PT_ROLE_ADMIN …; -1 for anything else. */
int         pt_role_parse(const char *name);
const char *pt_role_name(int role);

/* The stored hash of a key (the whole text as given). */
void pt_apikey_hash(const char *key, size_t len, uint8_t out[PT_APIKEY_HASH_LEN]);

/* Creates a key with this role and name (NULL: ""; ≤ 63 printable ASCII characters, else
 * PT_EINVAL). key_out gets the key itself — the only time it exists outside the caller — and
 * rec (may be NULL) the stored record. */
int pt_apikey_create(pt_db *db, int role, const char *name, char key_out[PT_APIKEY_MAX], pt_apikey_rec *rec);
/* Looks a presented key up: PT_OK with rec filled for a live key; PT_ENOTFOUND for an unknown
 * or malformed key; PT_ESTATE for a revoked one. */
int pt_apikey_check(pt_db *db, const char *key, size_t len, pt_apikey_rec *rec);
int pt_apikey_list(pt_db *db, pt_apikey_cb cb, void *ud);
int pt_apikey_revoke(pt_db *db, int64_t id);

#endif

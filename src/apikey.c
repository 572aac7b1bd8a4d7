/* apikey.c — API keys: random creation, hash-only storage, look-up and revocation
 * (include/patron/apikey.h has the format and why a fast hash is the right one).
 *
 * Invariants: a key never reaches the store, a log or an error message — only its hash and its
 * first 12 characters (the "ptk_" tag and 8 random characters: 48 bits, useless for guessing
 * the remaining 210). Creation is one insert; a hash collision (impossible in practice) would be
 * PT_EEXIST rather than a shared key.
 */
#include "db_int.h"
#include "patron/apikey.h"
#include "patron/error.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define KEY_TAG        "ptk_"
#define KEY_RAW_BYTES  32
#define KEY_PREFIX_LEN 12

static const char *const role_names[PT_ROLE__COUNT] = {"admin", "operator", "analyst", "auditor"};

int pt_role_parse(const char *name)
{
    for (int i = 0; name && i < PT_ROLE__COUNT; i++)
        if (strcmp(name, role_names[i]) == 0)
            return i;
    return -1;
}

const char *pt_role_name(int role)
{
    return role >= 0 && role < PT_ROLE__COUNT ? role_names[role] : "?";
}

void pt_apikey_hash(const char *key, size_t len, uint8_t out[PT_APIKEY_HASH_LEN])
{
    crypto_generichash(out, PT_APIKEY_HASH_LEN, (const unsigned char *)key, len, NULL, 0);
}

static int name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n >= PT_APIKEY_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (name[i] < 0x20 || name[i] > 0x7e)
            return 0;
    return 1;
}

int pt_apikey_create(pt_db *db, int role, const char *name, char key_out[PT_APIKEY_MAX], pt_apikey_rec *rec)
{
    pt_store *s = pt_db_store(db);
    if (role < 0 || role >= PT_ROLE__COUNT)
        return pt__db_error(db, PT_EINVAL, "role must be admin, operator, analyst or auditor");
    if (!name)
        name = "";
    if (!name_ok(name))
        return pt__db_error(db, PT_EINVAL, "name: at most 63 printable ASCII characters");
    if (sodium_init() < 0)
        return pt__db_error(db, PT_ECRYPTO, "libsodium failed to initialise");
    unsigned char raw[KEY_RAW_BYTES];
    randombytes_buf(raw, sizeof raw);
    memcpy(key_out, KEY_TAG, sizeof KEY_TAG);
    sodium_bin2base64(key_out + strlen(KEY_TAG), PT_APIKEY_MAX - strlen(KEY_TAG), raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);

    pt_apikey_rec r;
    memset(&r, 0, sizeof r);
    snprintf(r.name, sizeof r.name, "%s", name);
    snprintf(r.role, sizeof r.role, "%s", role_names[role]);
    memcpy(r.prefix, key_out, KEY_PREFIX_LEN);
    r.prefix[KEY_PREFIX_LEN] = 0;
    pt_apikey_hash(key_out, strlen(key_out), r.hash);
    r.created_at = pt_db_now(db);
    int rc = pt_store_apikey_insert(s, &r);
    if (rc) {
        sodium_memzero(key_out, PT_APIKEY_MAX);
        return pt__db_store_error(db, rc, "storing the API key");
    }
    if (rec)
        *rec = r;
    return PT_OK;
}

int pt_apikey_check(pt_db *db, const char *key, size_t len, pt_apikey_rec *rec)
{
    /* Malformed keys are refused before any look-up: nothing but the exact format is hashed. */
    size_t want = strlen(KEY_TAG) + sodium_base64_ENCODED_LEN(KEY_RAW_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING) - 1;
    if (!key || len != want || memcmp(key, KEY_TAG, strlen(KEY_TAG)) != 0)
        return PT_ENOTFOUND;
    uint8_t h[PT_APIKEY_HASH_LEN];
    pt_apikey_hash(key, len, h);
    int rc = pt_store_apikey_get_by_hash(pt_db_store(db), h, rec);
    if (rc && rc != PT_ENOTFOUND)
        return pt__db_store_error(db, rc, "looking up an API key");
    if (rc)
        return rc;
    if (rec->revoked_at > 0)
        return PT_ESTATE;
    return PT_OK;
}

int pt_apikey_list(pt_db *db, pt_apikey_cb cb, void *ud)
{
    int rc = pt_store_apikey_list(pt_db_store(db), cb, ud);
    return rc ? pt__db_store_error(db, rc, "listing API keys") : PT_OK;
}

int pt_apikey_revoke(pt_db *db, int64_t id)
{
    int rc = pt_store_apikey_revoke(pt_db_store(db), id, pt_db_now(db));
    return rc ? pt__db_store_error(db, rc, "revoking the API key") : PT_OK;
}

/* crypt.c — libsodium-based encryption of personal fields (see crypt.h for the key hierarchy).
 *
 * Invariants: the master key and its subkeys exist only in sodium_malloc'd memory and are wiped
 * on close; every sealed blob is nonce (24 bytes, random) || ciphertext || tag (16 bytes) with
 * the member id as associated data; nothing here logs or returns a clear value in a message. */
#include "patron/crypt.h"
#include "patron/error.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_LEN   crypto_aead_xchacha20poly1305_ietf_ABYTES
#define KDF_CTX   "patronk1"

enum { SUBKEY_WRAP = 1, SUBKEY_BLIND = 2, SUBKEY_CHECK = 3, SUBKEY_AUDIT = 4 };

struct pt_crypt {
    uint8_t wrap[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
    uint8_t blind[crypto_generichash_KEYBYTES];
    uint8_t check[crypto_kdf_BYTES_MIN]; /* only the first 8 bytes are shown as the key check */
    uint8_t audit[crypto_generichash_KEYBYTES];
};

static int crypt_ready(void)
{
    return sodium_init() < 0 ? PT_ECRYPTO : PT_OK;
}

int pt_crypt_create_keyfile(const char *path)
{
    if (crypt_ready())
        return PT_ECRYPTO;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? PT_EEXIST : PT_EIO;
    uint8_t key[crypto_kdf_KEYBYTES];
    crypto_kdf_keygen(key);
    ssize_t n = write(fd, key, sizeof key);
    sodium_memzero(key, sizeof key);
    int rc = (n == (ssize_t)sizeof key && fsync(fd) == 0) ? PT_OK : PT_EIO;
    if (close(fd) != 0)
        rc = PT_EIO;
    if (rc)
        unlink(path);
    return rc;
}

static int read_master(const char *path, uint8_t key[crypto_kdf_KEYBYTES], char *errmsg, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(errmsg, len, "cannot open master key %s: %s", path, strerror(errno));
        return PT_EIO;
    }
    struct stat st;
    int rc = PT_OK;
    if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
        snprintf(errmsg, len, "master key %s must be readable by its owner only (chmod 600)", path);
        rc = PT_EINVAL;
    } else if (st.st_size != crypto_kdf_KEYBYTES ||
               read(fd, key, crypto_kdf_KEYBYTES) != crypto_kdf_KEYBYTES) {
        snprintf(errmsg, len, "master key %s is not a %d-byte key file", path, crypto_kdf_KEYBYTES);
        rc = PT_EINVAL;
    }
    close(fd);
    return rc;
}

int pt_crypt_open(pt_crypt **out, const char *path, char *errmsg, size_t errmsg_len)
{
    char scratch[8];
    if (!errmsg) {
        errmsg = scratch;
        errmsg_len = sizeof scratch;
    }
    *out = NULL;
    if (crypt_ready())
        return PT_ECRYPTO;
    uint8_t *master = sodium_malloc(crypto_kdf_KEYBYTES);
    struct pt_crypt *c = sodium_malloc(sizeof *c);
    int rc = (master && c) ? read_master(path, master, errmsg, errmsg_len) : PT_ENOMEM;
    if (rc == PT_OK) {
        if (crypto_kdf_derive_from_key(c->wrap, sizeof c->wrap, SUBKEY_WRAP, KDF_CTX, master) ||
            crypto_kdf_derive_from_key(c->blind, sizeof c->blind, SUBKEY_BLIND, KDF_CTX, master) ||
            crypto_kdf_derive_from_key(c->check, sizeof c->check, SUBKEY_CHECK, KDF_CTX, master) ||
            crypto_kdf_derive_from_key(c->audit, sizeof c->audit, SUBKEY_AUDIT, KDF_CTX, master)) {
            snprintf(errmsg, errmsg_len, "cannot derive keys from %s", path);
            rc = PT_ECRYPTO;
        } else {
            *out = c;
            c = NULL;
        }
    }
    sodium_free(master);
    sodium_free(c);
    return rc;
}

void pt_crypt_close(pt_crypt *c)
{
    sodium_free(c); /* sodium_free wipes before freeing */
}

void pt_crypt_key_check(const pt_crypt *c, char out[17])
{
    sodium_bin2hex(out, 17, c->check, 8);
}

void pt_crypt_blind(const pt_crypt *c, int kind, const char *value, size_t len,
                    uint8_t out[PT_BLIND_LEN])
{
    crypto_generichash_state st;
    uint8_t k = (uint8_t)kind;
    crypto_generichash_init(&st, c->blind, sizeof c->blind, PT_BLIND_LEN);
    crypto_generichash_update(&st, &k, 1);
    crypto_generichash_update(&st, (const uint8_t *)value, len);
    crypto_generichash_final(&st, out, PT_BLIND_LEN);
}

void pt_crypt_audit_mac(const pt_crypt *c, const void *msg, size_t len, uint8_t out[32])
{
    crypto_generichash(out, 32, msg, len, c->audit, sizeof c->audit);
}

static void member_ad(int64_t member_id, uint8_t ad[8])
{
    uint64_t v = (uint64_t)member_id;
    for (int i = 0; i < 8; i++)
        ad[i] = (uint8_t)(v >> (8 * i));
}

static int seal_with(const uint8_t *key, int64_t member_id, const void *msg, size_t len, pt_buf *out)
{
    uint8_t ad[8];
    member_ad(member_id, ad);
    pt_buf_reset(out);
    int rc = pt_buf_append(out, NULL, 0);
    if (rc == PT_OK && len > out->max - NONCE_LEN - TAG_LEN)
        rc = PT_ETOOBIG;
    if (rc)
        return rc;
    size_t total = NONCE_LEN + len + TAG_LEN;
    uint8_t nonce[NONCE_LEN];
    randombytes_buf(nonce, sizeof nonce);
    rc = pt_buf_append(out, nonce, sizeof nonce);
    if (rc == PT_OK)
        rc = pt_buf_append(out, msg, len); /* reserve; encrypted in place below */
    if (rc == PT_OK)
        rc = pt_buf_append(out, nonce, TAG_LEN); /* placeholder for the tag */
    if (rc)
        return rc;
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(out->data + NONCE_LEN, &clen, out->data + NONCE_LEN,
                                               len, ad, sizeof ad, NULL, nonce, key);
    return clen + NONCE_LEN == total ? PT_OK : PT_ECRYPTO;
}

static int unseal_with(const uint8_t *key, int64_t member_id, const pt_buf *sealed, pt_buf *out)
{
    uint8_t ad[8];
    member_ad(member_id, ad);
    if (sealed->len < NONCE_LEN + TAG_LEN)
        return PT_ECRYPTO;
    size_t mlen = sealed->len - NONCE_LEN - TAG_LEN;
    pt_buf_wipe(out);
    int rc = pt_buf_append(out, sealed->data + NONCE_LEN, mlen + TAG_LEN);
    if (rc)
        return rc;
    unsigned long long got = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(out->data, &got, NULL, out->data, mlen + TAG_LEN,
                                                   ad, sizeof ad, sealed->data, key) != 0) {
        pt_buf_wipe(out);
        return PT_ECRYPTO;
    }
    out->len = (size_t)got;
    out->data[out->len] = 0;
    return PT_OK;
}

int pt_crypt_new_data_key(const pt_crypt *c, int64_t member_id, pt_data_key *key, pt_buf *wrapped)
{
    randombytes_buf(key->bytes, sizeof key->bytes);
    return seal_with(c->wrap, member_id, key->bytes, sizeof key->bytes, wrapped);
}

int pt_crypt_unwrap(const pt_crypt *c, int64_t member_id, const pt_buf *wrapped, pt_data_key *key)
{
    pt_buf clear;
    pt_buf_init(&clear, 64);
    int rc = unseal_with(c->wrap, member_id, wrapped, &clear);
    if (rc == PT_OK && clear.len != sizeof key->bytes)
        rc = PT_ECRYPTO;
    if (rc == PT_OK)
        memcpy(key->bytes, clear.data, sizeof key->bytes);
    pt_buf_wipe(&clear);
    return rc;
}

void pt_crypt_key_wipe(pt_data_key *key)
{
    sodium_memzero(key->bytes, sizeof key->bytes);
}

int pt_crypt_seal(const pt_data_key *key, int64_t member_id, const void *msg, size_t len, pt_buf *out)
{
    return seal_with(key->bytes, member_id, msg, len, out);
}

int pt_crypt_unseal(const pt_data_key *key, int64_t member_id, const pt_buf *sealed, pt_buf *out)
{
    return unseal_with(key->bytes, member_id, sealed, out);
}

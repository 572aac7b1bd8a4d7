/* crypt.h — personal data at rest.
 *
 * Key hierarchy: a 32-byte master key lives in a file (mode 0600) created by `patron init`.
 * From it subkeys are derived (libsodium KDF): the wrap key, which seals each member's
 * random data key, and the blind-index key, which turns a normalised identifier into a keyed
 * hash (BLAKE2b) so that look-ups by phone or email never need the clear value, and the audit
 * key, which links the audit log's hash chain. Each member's
 * personal fields are sealed (XChaCha20-Poly1305) under that member's own data key, so
 * destroying the wrapped key (erasure) makes the member's ciphertext unreadable.
 *
 * Associated data binds every ciphertext to its member id, so a sealed blob copied onto
 * another member's row fails to open (PT_ECRYPTO).
 *
 * Keys in memory live in sodium_malloc'd, locked memory and are wiped on close.
 */
#ifndef PATRON_CRYPT_H
#define PATRON_CRYPT_H

#include "patron/buf.h"
#include "patron/types.h"

#include <stddef.h>
#include <stdint.h>

#define PT_DATA_KEY_LEN 32

typedef struct pt_crypt pt_crypt;

/* A member's data key, unwrapped; caller-owned, wipe with pt_crypt_key_wipe. */
typedef struct pt_data_key {
    uint8_t bytes[PT_DATA_KEY_LEN];
} pt_data_key;

/* Creates a new master key file at path (mode 0600). PT_EEXIST if it exists. */
int  pt_crypt_create_keyfile(const char *path);
/* Loads the master key. PT_EIO if unreadable; PT_EINVAL if the file's mode lets others read
 * it or its size is wrong (the message says which). */
int  pt_crypt_open(pt_crypt **out, const char *path, char *errmsg, size_t errmsg_len);
void pt_crypt_close(pt_crypt *c);
/* A value that identifies the master key without revealing it (hex, 16 chars), stored in the
 * store so that opening a store with the wrong key file fails clearly. */
void pt_crypt_key_check(const pt_crypt *c, char out[17]);

/* Keyed blind index of a normalised identifier of `kind`. */
void pt_crypt_blind(const pt_crypt *c, int kind, const char *value, size_t len,
                    uint8_t out[PT_BLIND_LEN]);

/* Keyed BLAKE2b-256 of msg under the audit subkey: links of the audit hash chain, which
 * nobody without the master key can recompute after changing a record. */
void pt_crypt_audit_mac(const pt_crypt *c, const void *msg, size_t len, uint8_t out[32]);

/* A fresh random data key for member_id, and that key sealed by the wrap key into wrapped. */
int  pt_crypt_new_data_key(const pt_crypt *c, int64_t member_id, pt_data_key *key, pt_buf *wrapped);
int  pt_crypt_unwrap(const pt_crypt *c, int64_t member_id, const pt_buf *wrapped, pt_data_key *key);
void pt_crypt_key_wipe(pt_data_key *key);

/* Seals msg under key, bound to member_id; out receives nonce || ciphertext || tag. */
int  pt_crypt_seal(const pt_data_key *key, int64_t member_id, const void *msg, size_t len, pt_buf *out);
/* Opens what pt_crypt_seal produced; out receives the clear text (NUL-terminated). Use
 * pt_buf_wipe on out when done. PT_ECRYPTO on a wrong key or tampered data. */
int  pt_crypt_unseal(const pt_data_key *key, int64_t member_id, const pt_buf *sealed, pt_buf *out);

#endif

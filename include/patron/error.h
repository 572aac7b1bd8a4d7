/* error.h — Patron's error codes.
 *
 * Every libpatron function that can fail returns an int: 0 (PT_OK) on success or a negative
 * PT_E* code. The enum, the names and the messages all come from PT_ERRNO_MAP so they can
 * never drift apart. Handles (pt_store, pt_db) also keep a message with the detail (file,
 * line, field); that message never contains personal data.
 */
#ifndef PATRON_ERROR_H
#define PATRON_ERROR_H

#define PT_ERRNO_MAP(X)                                                          \
    X(ENOMEM,    -1,  "out of memory")                                           \
    X(EINVAL,    -2,  "invalid argument")                                        \
    X(ENOTFOUND, -3,  "not found")                                               \
    X(EEXIST,    -4,  "already exists")                                          \
    X(ECONFLICT, -5,  "conflicts with an earlier write")                         \
    X(EIO,       -6,  "input/output error")                                      \
    X(ECORRUPT,  -7,  "data is corrupt")                                         \
    X(ETOOBIG,   -8,  "too big")                                                 \
    X(EBUSY,     -9,  "store is busy")                                           \
    X(ECRYPTO,   -10, "decryption failed (wrong key or tampered data)")          \
    X(ESTORE,    -11, "store error")                                             \
    X(EPARSE,    -12, "cannot parse input")                                      \
    X(ESCHEMA,   -13, "store schema is newer than this program")                 \
    X(ESTATE,    -14, "not allowed in the current state")                        \
    X(ERETRY,    -15, "transient conflict, retry")                               \
    X(EFUNDS,    -16, "not enough points")                                       \
    X(ESOLDOUT,  -17, "out of stock")                                            \
    X(ELIMIT,    -18, "limit reached")

enum pt_errno {
    PT_OK = 0,
#define PT__ERR_ENUM(name, code, msg) PT_##name = (code),
    PT_ERRNO_MAP(PT__ERR_ENUM)
#undef PT__ERR_ENUM
};

/* Human message for a code ("out of memory"); never NULL. */
const char *pt_strerror(int err);
/* Symbolic name for a code ("PT_ENOMEM"); never NULL. */
const char *pt_errname(int err);

#endif

/* db_int.h — internals of pt_db shared by the modules that work on it. */
#ifndef PATRON_DB_INT_H
#define PATRON_DB_INT_H

#include "patron/db.h"

#include <sodium.h>
#include <time.h>

/* Records a message for pt_db_errmsg and returns rc, so callers can `return pt__db_error(…)`. */
int pt__db_error(pt_db *db, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Copies the store's last message into the db's, prefixed with what was being done. */
int pt__db_store_error(pt_db *db, int rc, const char *doing);

/* A transaction of its own that failed with PT_ERETRY (PostgreSQL: a serialization failure or
 * deadlock with a concurrent writer) left nothing behind, so it runs again from its first read,
 * at most this many times in all, after pt__tx_backoff(attempt). Inside a caller's transaction
 * there is no retry: the caller's earlier work went with it, so the error goes up. */
#define PT__TX_TRIES 8

/* Waits a random 0–2^attempt ms before attempt `attempt` + 1 (from 0): writers that collided
 * would otherwise start again in step and collide again. */
static inline void pt__tx_backoff(int attempt)
{
    struct timespec ts = {0, (long)randombytes_uniform(1000u << (attempt < 8 ? attempt : 8)) * 1000L};
    nanosleep(&ts, NULL);
}

#endif

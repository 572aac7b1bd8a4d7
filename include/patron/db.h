/* db.h — a Patron data directory opened for use: the store, the master key and the settings.
 *
 * Layout of DIR: patron.db (SQLite store, unless a store URL is given), master.key (0600),
 * config.json, rejects/ (reject files of imports). pt_db_init creates them; pt_db_open checks
 * that the key file belongs to the store (a key check value is kept in the store's meta) and
 * applies pending migrations.
 *
 * Every pt_db function records a message with the detail of its last failure
 * (pt_db_errmsg); messages never contain personal data.
 */
#ifndef PATRON_DB_H
#define PATRON_DB_H

#include "patron/config.h"
#include "patron/crypt.h"
#include "patron/store.h"

#include <stddef.h>
#include <stdint.h>

typedef struct pt_db pt_db;

typedef struct pt_db_opts {
    const char *store_url; /* NULL: sqlite:DIR/patron.db (or $PATRON_STORE) */
    const char *key_file;  /* NULL: DIR/master.key (or $PATRON_KEY_FILE) */
} pt_db_opts;

/* Creates DIR (if needed), the master key, config.json and the store. Running it on an
 * initialised directory changes nothing and succeeds. */
int  pt_db_init(const char *dir, const pt_db_opts *opts, char *errmsg, size_t errmsg_len);
int  pt_db_open(pt_db **out, const char *dir, const pt_db_opts *opts, char *errmsg, size_t errmsg_len);
void pt_db_close(pt_db *db);

pt_store        *pt_db_store(pt_db *db);
const pt_crypt  *pt_db_crypt(const pt_db *db);
const pt_config *pt_db_config(const pt_db *db);
const char      *pt_db_dir(const pt_db *db);
const char      *pt_db_errmsg(const pt_db *db);

/* Current time (UTC epoch s); tests may pin it with pt_db_set_clock(db, t) (0 = real clock). */
int64_t pt_db_now(const pt_db *db);
void    pt_db_set_clock(pt_db *db, int64_t fixed_now);

#endif

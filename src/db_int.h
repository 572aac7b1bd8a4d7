/* db_int.h — internals of pt_db shared by the modules that work on it. */
#ifndef PATRON_DB_INT_H
#define PATRON_DB_INT_H

#include "patron/db.h"

/* Records a message for pt_db_errmsg and returns rc, so callers can `return pt__db_error(…)`. */
int pt__db_error(pt_db *db, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Copies the store's last message into the db's, prefixed with what was being done. */
int pt__db_store_error(pt_db *db, int rc, const char *doing);

#endif

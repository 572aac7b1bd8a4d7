/* db.c — opens a data directory: store + master key + config, and checks they belong together.
 * Invariant: an open pt_db always has a store with the current schema, a loaded key that
 * matches the store's key check, and a complete config. */
#include "db_int.h"
#include "patron/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct pt_db {
    pt_store *store;
    pt_crypt *crypt;
    pt_config config;
    char      dir[4096];
    char      errmsg[1024];
    int64_t   fixed_now;
};

static void db_paths(const char *dir, const pt_db_opts *opts, char *store_url, char *key_path)
{
    const char *url = opts && opts->store_url ? opts->store_url : getenv("PATRON_STORE");
    const char *key = opts && opts->key_file ? opts->key_file : getenv("PATRON_KEY_FILE");
    if (url && *url)
        snprintf(store_url, 4096, "%s", url);
    else
        snprintf(store_url, 4096, "sqlite:%s/patron.db", dir);
    if (key && *key)
        snprintf(key_path, 4096, "%s", key);
    else
        snprintf(key_path, 4096, "%s/master.key", dir);
}

static int ensure_dir(const char *path, char *errmsg, size_t len)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return PT_OK;
    snprintf(errmsg, len, "cannot create directory %s: %s", path, strerror(errno));
    return PT_EIO;
}

/* Stores the key check on first use, or compares it with the one stored. */
static int bind_key(pt_store *s, const pt_crypt *c, char *errmsg, size_t len)
{
    char check[17];
    pt_crypt_key_check(c, check);
    pt_buf stored;
    pt_buf_init(&stored, 256);
    int rc = pt_store_meta_get(s, "master_key_check", &stored);
    if (rc == PT_ENOTFOUND) {
        rc = pt_store_meta_set(s, "master_key_check", check);
    } else if (rc == PT_OK && strcmp(pt_buf_str(&stored), check) != 0) {
        snprintf(errmsg, len, "the master key file does not belong to this store "
                 "(key check %s, store expects %s)", check, pt_buf_str(&stored));
        rc = PT_ECRYPTO;
    } else if (rc) {
        snprintf(errmsg, len, "reading store meta: %s", pt_store_errmsg(s));
    }
    pt_buf_free(&stored);
    return rc;
}

int pt_db_init(const char *dir, const pt_db_opts *opts, char *errmsg, size_t errmsg_len)
{
    char url[4096], key[4096], path[4200];
    db_paths(dir, opts, url, key);
    int rc = ensure_dir(dir, errmsg, errmsg_len);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "%s/rejects", dir);
    if ((rc = ensure_dir(path, errmsg, errmsg_len)))
        return rc;
    rc = pt_crypt_create_keyfile(key);
    if (rc && rc != PT_EEXIST) {
        snprintf(errmsg, errmsg_len, "cannot create master key %s: %s", key, strerror(errno));
        return rc;
    }
    snprintf(path, sizeof path, "%s/config.json", dir);
    struct stat st;
    if (stat(path, &st) != 0) {
        pt_config c;
        pt_config_default(&c);
        if (pt_config_save(&c, path)) {
            snprintf(errmsg, errmsg_len, "cannot write %s", path);
            return PT_EIO;
        }
    }
    pt_db *db = NULL;
    rc = pt_db_open(&db, dir, opts, errmsg, errmsg_len);
    pt_db_close(db);
    return rc;
}

int pt_db_open(pt_db **out, const char *dir, const pt_db_opts *opts, char *errmsg, size_t errmsg_len)
{
    char url[4096], key[4096], path[4200];
    char scratch[8];
    if (!errmsg) {
        errmsg = scratch;
        errmsg_len = sizeof scratch;
    }
    *out = NULL;
    db_paths(dir, opts, url, key);
    pt_db *db = calloc(1, sizeof *db);
    if (!db)
        return PT_ENOMEM;
    snprintf(db->dir, sizeof db->dir, "%s", dir);
    snprintf(path, sizeof path, "%s/config.json", dir);
    int rc = pt_config_load(&db->config, path, errmsg, errmsg_len);
    if (rc == PT_OK)
        rc = pt_crypt_open(&db->crypt, key, errmsg, errmsg_len);
    if (rc == PT_OK)
        rc = pt_store_open(&db->store, url, errmsg, errmsg_len);
    if (rc == PT_OK)
        rc = bind_key(db->store, db->crypt, errmsg, errmsg_len);
    if (rc) {
        pt_db_close(db);
        return rc;
    }
    *out = db;
    return PT_OK;
}

void pt_db_close(pt_db *db)
{
    if (!db)
        return;
    pt_store_close(db->store);
    pt_crypt_close(db->crypt);
    free(db);
}

pt_store *pt_db_store(pt_db *db) { return db->store; }
const pt_crypt *pt_db_crypt(const pt_db *db) { return db->crypt; }
const pt_config *pt_db_config(const pt_db *db) { return &db->config; }
const char *pt_db_dir(const pt_db *db) { return db->dir; }
const char *pt_db_errmsg(const pt_db *db) { return db->errmsg; }

int64_t pt_db_now(const pt_db *db)
{
    return db->fixed_now ? db->fixed_now : (int64_t)time(NULL);
}

void pt_db_set_clock(pt_db *db, int64_t fixed_now) { db->fixed_now = fixed_now; }

int pt__db_error(pt_db *db, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(db->errmsg, sizeof db->errmsg, fmt, ap);
    va_end(ap);
    return rc;
}

int pt__db_store_error(pt_db *db, int rc, const char *doing)
{
    return pt__db_error(db, rc, "%s: %s", doing, pt_store_errmsg(db->store));
}

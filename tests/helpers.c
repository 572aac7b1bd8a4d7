/* helpers.c — see helpers.h. */
#include "helpers.h"
#include "test.h"
#include "patron/error.h"

#include <stdlib.h>
#include <string.h>

pt_db *test_db(const char *name)
{
    char dir[4200], err[1024] = "";
    snprintf(dir, sizeof dir, "%s/%s", pt_test_tmpdir(), name);
    pt_db *db = NULL;
    if (pt_db_init(dir, NULL, err, sizeof err) || pt_db_open(&db, dir, NULL, err, sizeof err)) {
        fprintf(stderr, "    test_db: %s\n", err);
        return NULL;
    }
    pt_db_set_clock(db, TEST_NOW);
    return db;
}

static void add_id(pt_db *db, pt_profile_in *in, int kind, const char *raw)
{
    if (!raw)
        return;
    pt_ident *id = &in->ids[in->nids];
    if (pt_identifier_normalise(db, kind, raw, id->value, sizeof id->value, NULL) == PT_OK) {
        id->kind = kind;
        in->nids++;
    }
}

int64_t test_add_member(pt_db *db, const char *source, const char *phone, const char *email,
                        const char *name, const char *birthday, int64_t at, pt_resolve_out *out)
{
    pt_profile_in in;
    pt_resolve_out scratch;
    memset(&in, 0, sizeof in);
    pt_member_init(&in.m);
    in.source = source;
    in.observed_at = at;
    in.m.registered_at = at;
    add_id(db, &in, PT_ID_PHONE, phone);
    add_id(db, &in, PT_ID_EMAIL, email);
    for (int i = 0; i < in.nids; i++) {
        if (in.ids[i].kind == PT_ID_PHONE)
            snprintf(in.m.phone, sizeof in.m.phone, "%s", in.ids[i].value);
        if (in.ids[i].kind == PT_ID_EMAIL)
            snprintf(in.m.email, sizeof in.m.email, "%s", in.ids[i].value);
    }
    if (name)
        snprintf(in.m.name, sizeof in.m.name, "%s", name);
    if (birthday)
        snprintf(in.m.birthday, sizeof in.m.birthday, "%s", birthday);
    int rc = pt_identity_resolve(db, &in, out ? out : &scratch);
    pt_member_wipe(&in.m);
    if (rc) {
        fprintf(stderr, "    test_add_member: %s\n", pt_db_errmsg(db));
        return -1;
    }
    return (out ? out : &scratch)->member_id;
}

int test_file_contains_any(const char *path, const char *const *needles, int n)
{
    size_t len;
    char *buf = pt_test_slurp(path, &len);
    int found = 0;
    for (int i = 0; buf && i < n && !found; i++)
        found = memmem(buf, len, needles[i], strlen(needles[i])) != NULL;
    free(buf);
    return found;
}

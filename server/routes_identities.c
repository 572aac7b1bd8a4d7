/* routes_identities.c — a member's channel identifiers: GET lists them, POST attaches one
 * (pt_identity_attach).
 *
 * Personal data: values are never sent raw. Admin and operator keys get each value masked as
 * `patron member show` masks it (pt_identifier_mask); analyst keys get kind, source and time
 * only. A value to attach is normalised on the pool thread (errors name "kind" or "value")
 * and wiped when the request ends. A value another member holds is 409 identifier_taken (the
 * message names that member's number, so the two can be merged); attaching one the member
 * already holds answers 200, a new one 201. The write runs on the writer with the request's
 * Idempotency-Key (idem.c, scoped to the member).
 */
#include "server_int.h"
#include "patron/error.h"
#include "patron/identity.h"
#include "patron/member.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ATTACH_OP "identities.attach"

struct list_ctx {
    json_t *arr;
    int     masked; /* 0: no value at all (analyst) */
};

static int ident_add(void *ud, const pt_ident *id)
{
    struct list_ctx *c = ud;
    json_t *o = json_pack("{s:s,s:s,s:I}", "kind", pt_id_kind_name(id->kind), "source", id->source, "added_at",
                          (json_int_t)id->added_at);
    if (o && c->masked) {
        char masked[PT_VALUE_MAX];
        pt_identifier_mask(id->kind, id->value, masked, sizeof masked);
        json_object_set_new(o, "value", json_string(masked));
    }
    json_array_append_new(c->arr, o);
    return 0;
}

void route_identities_list(struct srv_req *r, struct srv_thread *t)
{
    int64_t id;
    if (srv_member_param(r, t, &id) != 0)
        return;
    pt_member m;
    pt_member_init(&m);
    struct list_ctx c = {json_array(), r->role == PT_ROLE_ADMIN || r->role == PT_ROLE_OPERATOR};
    int rc = pt_member_load(t->db, id, &m);
    if (rc == PT_OK && m.has_key) /* an erased member has no key and no identifiers */
        rc = pt_identity_list(t->db, &m, ident_add, &c);
    if (rc) {
        json_decref(c.arr);
        srv_error_rc(r, rc, pt_db_errmsg(t->db));
    } else {
        srv_json(r, 200, json_pack("{s:s,s:o}", "member", m.member_no, "identities", c.arr));
    }
    pt_member_wipe(&m);
}

/* --- attach ------------------------------------------------------------------------------- */

struct attach_in {
    int  kind;
    char value[PT_VALUE_MAX]; /* normalised, clear: wiped on free */
};

static void attach_free(void *p)
{
    if (!p)
        return;
    sodium_memzero(p, sizeof(struct attach_in));
    free(p);
}

static const struct srv_field attach_fields[] = {
    {"kind", F_STR, 1, 1, 20, NULL, 0},
    {"value", F_STR, 1, 1, PT_VALUE_MAX - 1, NULL, 0},
};

static void taken(struct srv_job *j, int64_t owner)
{
    char no[PT_MEMBER_NO_MAX], msg[128];
    pt_member_no_for_id(owner, no);
    snprintf(msg, sizeof msg, "another member (%s) holds this identifier; merge the two if they are one person", no);
    json_decref(j->result);
    j->rc = PT_EEXIST;
    j->status = 409;
    j->result = srv_error_body("identifier_taken", "value", msg);
}

static int job_attach(struct srv_job *j, pt_db *db, pt_ledger *l)
{
    (void)l;
    struct attach_in *a = j->ext;
    int replayed = 0, rc = srv_idem_replay(j, db, ATTACH_OP, j->member_id, &replayed);
    if (rc || replayed) {
        if (rc == PT_OK) { /* the record keeps no value (idem.c): masked again from the request */
            char masked[PT_VALUE_MAX];
            pt_identifier_mask(a->kind, a->value, masked, sizeof masked);
            json_object_set_new(j->result, "value", json_string(masked));
        }
        return rc;
    }
    pt_member m;
    pt_member_init(&m);
    int64_t owner = 0;
    rc = pt_member_load(db, j->member_id, &m);
    if (rc == PT_OK && (m.status == PT_MEMBER_ERASED || !m.has_key))
        rc = PT_ESTATE;
    int had = 0;
    if (rc == PT_OK) {
        int r2 = pt_identity_lookup(db, a->kind, a->value, &owner);
        had = r2 == PT_OK && owner == m.id;
        rc = r2 == PT_ENOTFOUND || r2 == PT_OK ? PT_OK : r2;
    }
    if (rc == PT_OK)
        rc = pt_identity_attach(db, &m, a->kind, a->value, "api", pt_db_now(db), &owner);
    if (rc == PT_EEXIST) {
        taken(j, owner);
    } else if (rc) {
        srv_job_error(j, rc, rc == PT_ESTATE ? "the member was erased" : pt_db_errmsg(db));
    } else {
        char masked[PT_VALUE_MAX];
        pt_identifier_mask(a->kind, a->value, masked, sizeof masked);
        j->status = had ? 200 : 201;
        j->result = json_pack("{s:s,s:s,s:s,s:b}", "member", m.member_no, "kind", pt_id_kind_name(a->kind), "value",
                              masked, "attached", !had);
        rc = j->result ? srv_idem_remember(j, db, ATTACH_OP, j->member_id, 0) : PT_ENOMEM;
    }
    pt_member_wipe(&m);
    return rc;
}

void route_identity_attach(struct srv_req *r, struct srv_thread *t)
{
    int64_t id;
    if (srv_member_param(r, t, &id) != 0)
        return;
    struct srv_job *j = srv_write_prepare(r, job_attach, attach_fields, 2, id, NULL);
    if (!j)
        return;
    struct attach_in *a = calloc(1, sizeof *a);
    j->ext = a;
    j->ext_free = attach_free;
    char why[128] = "";
    const char *kind = json_string_value(json_object_get(j->in, "kind"));
    if (!a) {
        srv_error(r, 500, "internal", NULL, "out of memory");
    } else if (!(a->kind = pt_id_kind_parse(kind))) {
        srv_error(r, 422, "invalid_value", "kind", "kinds are phone, email, unionid, openid, app_user_id, store_card, eshop_account");
    } else if (pt_identifier_normalise(t->db, a->kind, json_string_value(json_object_get(j->in, "value")), a->value,
                                       sizeof a->value, why) != 0) {
        srv_error(r, 422, "invalid_value", "value", "%s", why[0] ? why : "not a valid identifier of this kind");
    } else {
        srv_writer_submit(r->srv, r, j);
        return;
    }
    srv_job_free(j);
}

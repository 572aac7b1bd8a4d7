/* routes_members.c — /v1/members: create (resolve by phone/e-mail: registering the same phone
 * twice finds the same member), get by number, search by phone or e-mail, update the profile
 * and consent, merge, erase.
 *
 * A number that was merged away stands for its survivor (pt_member_resolve_no /
 * pt_member_get_by_no); GET says so with "redirected_from". Create, update, merge and erase
 * keep their Idempotency-Key through idem.c (a create's key is global: it has no member before
 * it runs);
 * a merge moves the loser's points too (pt_ledger_absorb_member) in the same savepoint.
 *
 * Personal data: the full profile goes only to admin and operator keys; analyst keys get the
 * pseudonymised view (number, status, dates, channel, gender, region, consent — no name,
 * phone, e-mail, birthday or address). Every profile change goes through pt_member_save /
 * pt_identity_resolve / pt_member_erase, which write the audit record. Values are validated
 * and normalised on the pool thread (errors name the field), the write runs on the writer.
 */
#include "server_int.h"
#include "patron/error.h"
#include "patron/identity.h"
#include "patron/member.h"
#include "patron/normalize.h"
#include "patron/store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const consent_names[PT_CONSENT__COUNT] = {"consent_sms", "consent_email", "consent_analytics"};

static const struct srv_field profile_fields[] = {
    {"name", F_STR, 0, 0, PT_NAME_MAX - 1, NULL, 0},
    {"phone", F_STR, 0, 1, 40, NULL, 0},
    {"email", F_STR, 0, 3, PT_EMAIL_MAX, NULL, 0},
    {"birthday", F_STR, 0, 1, 40, NULL, 0},
    {"address", F_STR, 0, 0, PT_ADDRESS_MAX - 1, NULL, 0},
    {"gender", F_STR, 0, 0, 8, NULL, 0},
    {"region", F_STR, 0, 0, PT_REGION_MAX - 1, NULL, 0},
    {"channel", F_STR, 0, 1, PT_LABEL_MAX - 1, NULL, 0},
    {"consent_sms", F_BOOL, 0, 0, 0, NULL, 0},
    {"consent_email", F_BOOL, 0, 0, 0, NULL, 0},
    {"consent_analytics", F_BOOL, 0, 0, 0, NULL, 0},
};
#define NPROFILE ((int)(sizeof profile_fields / sizeof *profile_fields))

int srv_member_param(struct srv_req *r, struct srv_thread *t, int64_t *id)
{
    return srv_member_lookup(r, t, r->params[0], id);
}

int srv_member_lookup(struct srv_req *r, struct srv_thread *t, const char *p, int64_t *id)
{
    /* A number that was merged away stands for its survivor (the library's resolution, as
     * pt_member_get_by_no follows it), so points never land on a merged-away account. */
    int rc = pt_member_resolve_no(t->db, p, id, NULL);
    if (rc == PT_ENOTFOUND)
        srv_error(r, 404, "member_not_found", "member", "no member with this number");
    else if (rc)
        srv_error_rc(r, rc, pt_db_errmsg(t->db));
    return rc ? -1 : 0;
}

/* The member as JSON; personal fields only when full. */
static json_t *member_json(const pt_member *m, int full)
{
    json_t *o = json_pack("{s:s,s:s,s:I,s:s,s:s,s:s}", "member", m->member_no, "status",
                          pt_member_status_name(m->status), "registered_at", (json_int_t)m->registered_at,
                          "channel", m->reg_channel, "gender", m->gender, "region", m->region);
    for (int k = 0; o && k < PT_CONSENT__COUNT; k++)
        json_object_set_new(o, consent_names[k], json_boolean(m->consent & PT_CONSENT_BIT(k)));
    if (o && m->merged_into) {
        char no[PT_MEMBER_NO_MAX];
        pt_member_no_for_id(m->merged_into, no);
        json_object_set_new(o, "merged_into", json_string(no));
    }
    if (o && full) {
        json_object_set_new(o, "name", json_string(m->name));
        json_object_set_new(o, "phone", json_string(m->phone));
        json_object_set_new(o, "email", json_string(m->email));
        json_object_set_new(o, "birthday", json_string(m->birthday));
        json_object_set_new(o, "address", json_string(m->address));
    }
    return o;
}

static int full_view(const struct srv_req *r)
{
    return r->role == PT_ROLE_ADMIN || r->role == PT_ROLE_OPERATOR;
}

void route_member_get(struct srv_req *r, struct srv_thread *t)
{
    pt_member m;
    pt_member_init(&m);
    int redirected = 0;
    int rc = pt_member_get_by_no(t->db, r->params[0], &m, &redirected);
    if (rc == PT_ENOTFOUND) {
        srv_error(r, 404, "member_not_found", "member", "no member with this number");
    } else if (rc) {
        srv_error_rc(r, rc, pt_db_errmsg(t->db));
    } else {
        /* a number merged away answers with its survivor, saying which number was asked for */
        json_t *o = member_json(&m, full_view(r));
        if (o && redirected)
            json_object_set_new(o, "redirected_from", json_string(r->params[0]));
        srv_json(r, 200, o);
    }
    pt_member_wipe(&m);
}

void route_member_search(struct srv_req *r, struct srv_thread *t)
{
    const char *phone = srv_query(r, "phone"), *email = srv_query(r, "email");
    if (!phone == !email) {
        srv_error(r, 400, "invalid_query", phone ? "email" : "phone", "give exactly one of phone= or email=");
        return;
    }
    pt_member m;
    pt_member_init(&m);
    int rc = pt_member_find(t->db, phone ? PT_ID_PHONE : PT_ID_EMAIL, phone ? phone : email, &m);
    if (rc == PT_EPARSE)
        srv_error(r, 422, "invalid_value", phone ? "phone" : "email", "not a valid %s", phone ? "phone number" : "e-mail address");
    else if (rc == PT_ENOTFOUND)
        srv_error(r, 404, "member_not_found", phone ? "phone" : "email", "no member holds this identifier");
    else if (rc)
        srv_error_rc(r, rc, pt_db_errmsg(t->db));
    else
        srv_json(r, 200, json_pack("{s:[o]}", "members", member_json(&m, full_view(r))));
    pt_member_wipe(&m);
}

/* --- profile input, checked on the pool thread -------------------------------------------- */

struct profile {
    pt_profile_in in;
    int           has[PT_F__COUNT];
};

static void profile_free(void *p)
{
    struct profile *pr = p;
    if (!pr)
        return;
    pt_member_wipe(&pr->in.m);
    sodium_memzero(pr, sizeof *pr);
    free(pr);
}

/* The string value of field name, or NULL when absent. */
static const char *str_of(json_t *in, const char *name)
{
    json_t *v = json_object_get(in, name);
    return v ? json_string_value(v) : NULL;
}

static int add_identifier(struct srv_req *r, pt_db *db, struct profile *pr, int kind, const char *raw,
                          const char *field)
{
    char why[128] = "";
    pt_ident *id = &pr->in.ids[pr->in.nids];
    if (pt_identifier_normalise(db, kind, raw, id->value, sizeof id->value, why) != 0) {
        srv_error(r, 422, "invalid_value", field, "%s", why[0] ? why : "not a valid identifier");
        return -1;
    }
    id->kind = kind;
    pr->in.nids++;
    if (kind == PT_ID_PHONE)
        snprintf(pr->in.m.phone, sizeof pr->in.m.phone, "%s", id->value);
    else
        snprintf(pr->in.m.email, sizeof pr->in.m.email, "%s", id->value);
    pr->has[kind == PT_ID_PHONE ? PT_F_PHONE : PT_F_EMAIL] = 1;
    return 0;
}

/* Validates and normalises the profile fields present in `in` into pr. */
static int profile_parse(struct srv_req *r, pt_db *db, json_t *in, struct profile *pr)
{
    char why[128] = "";
    const char *v;
    pt_member_init(&pr->in.m);
    if ((v = str_of(in, "phone")) && add_identifier(r, db, pr, PT_ID_PHONE, v, "phone"))
        return -1;
    if ((v = str_of(in, "email")) && add_identifier(r, db, pr, PT_ID_EMAIL, v, "email"))
        return -1;
    if ((v = str_of(in, "name"))) {
        snprintf(pr->in.m.name, sizeof pr->in.m.name, "%s", v);
        pr->has[PT_F_NAME] = 1;
    }
    if ((v = str_of(in, "address"))) {
        snprintf(pr->in.m.address, sizeof pr->in.m.address, "%s", v);
        pr->has[PT_F_ADDRESS] = 1;
    }
    if ((v = str_of(in, "region"))) {
        snprintf(pr->in.m.region, sizeof pr->in.m.region, "%s", v);
        pr->has[PT_F_REGION] = 1;
    }
    if ((v = str_of(in, "birthday"))) {
        if (pt_norm_date(v, pr->in.m.birthday, why) != 0) {
            srv_error(r, 422, "invalid_value", "birthday", "%s", why[0] ? why : "not a date");
            return -1;
        }
        pr->has[PT_F_BIRTHDAY] = 1;
    }
    if ((v = str_of(in, "gender")) && *v) {
        if (pt_norm_gender(v, &pr->in.m.gender[0], why) != 0) {
            srv_error(r, 422, "invalid_value", "gender", "%s", why[0] ? why : "F, M or empty");
            return -1;
        }
        pr->has[PT_F_GENDER] = 1;
    }
    for (int k = 0; k < PT_CONSENT__COUNT; k++) {
        json_t *b = json_object_get(in, consent_names[k]);
        if (!b)
            continue;
        pr->in.consent_known |= PT_CONSENT_BIT(k);
        if (json_is_true(b))
            pr->in.consent_given |= PT_CONSENT_BIT(k);
    }
    if (!pt_utf8_valid(pr->in.m.name, strlen(pr->in.m.name)) ||
        !pt_utf8_valid(pr->in.m.address, strlen(pr->in.m.address))) {
        srv_error(r, 422, "invalid_value", "name", "text must be valid UTF-8");
        return -1;
    }
    return 0;
}

/* --- create ------------------------------------------------------------------------------- */

#define CREATE_OP "members.create"
#define MERGE_OP  "members.merge"
#define UPDATE_OP "members.update"
#define ERASE_OP  "members.erase"

/* The Idempotency-Key is global for a create (no member before it runs, see idem.c): a retry
 * replays the first status and member number, whatever the body identifies the member by. */
static int job_create(struct srv_job *j, pt_db *db, pt_ledger *l)
{
    (void)l;
    struct profile *pr = j->ext;
    pt_resolve_out out;
    int replayed = 0, rc = srv_idem_replay(j, db, CREATE_OP, 0, &replayed);
    if (rc || replayed)
        return rc;
    int64_t now = pt_db_now(db);
    pr->in.source = "api";
    pr->in.observed_at = now;
    pr->in.m.registered_at = now;
    for (int k = 0; k < PT_CONSENT__COUNT; k++)
        pr->in.m.consent_at[k] = now;
    rc = pr->in.nids ? pt_identity_resolve(db, &pr->in, &out) : pt_identity_create(db, &pr->in, &out);
    if (rc) {
        srv_job_error(j, rc, pt_db_errmsg(db));
        return rc;
    }
    char no[PT_MEMBER_NO_MAX];
    pt_member_no_for_id(out.member_id, no);
    j->status = out.created ? 201 : 200;
    j->result = json_pack("{s:s,s:b,s:i}", "member", no, "created", out.created, "merged", out.merged);
    if (!j->result)
        return PT_ENOMEM;
    return srv_idem_remember(j, db, CREATE_OP, out.member_id, 1);
}

void route_member_create(struct srv_req *r, struct srv_thread *t)
{
    struct srv_job *j = srv_write_prepare(r, job_create, profile_fields, NPROFILE, 0, NULL);
    if (!j)
        return;
    struct profile *pr = calloc(1, sizeof *pr);
    j->ext = pr;
    j->ext_free = profile_free;
    if (!pr) {
        srv_error(r, 500, "internal", NULL, "out of memory");
    } else if (profile_parse(r, t->db, j->in, pr) == 0) {
        const char *ch = str_of(j->in, "channel");
        snprintf(pr->in.m.reg_channel, sizeof pr->in.m.reg_channel, "%s", ch ? ch : "api");
        srv_writer_submit(r->srv, r, j);
        return;
    }
    srv_job_free(j);
}

/* --- merge -------------------------------------------------------------------------------- */

static const struct srv_field merge_fields[] = {
    {"from", F_STR, 1, 1, PT_MEMBER_NO_MAX - 1, NULL, 0},
    {"reason", F_STR, 0, 1, 120, NULL, 0},
};

/* Why loser cannot merge into survivor, as the response; PT_OK when it can. */
static int merge_refusal(struct srv_job *j, pt_db *db, int64_t loser)
{
    pt_member_rec m;
    pt_member_rec_init(&m);
    int rc = pt_store_member_get(pt_db_store(db), loser, &m);
    int merged = m.merged_into != 0, erased = m.status == PT_MEMBER_ERASED;
    pt_member_rec_free(&m);
    if (rc) {
        srv_job_error(j, rc, pt_db_errmsg(db));
        return rc;
    }
    int status = 0;
    const char *code = NULL, *msg = NULL;
    if (loser == j->member_id) {
        status = 422, code = "same_member", msg = "a member cannot be merged into itself";
    } else if (merged) {
        status = 409, code = "already_merged", msg = "that member was already merged into another";
    } else if (erased) {
        status = 409, code = "member_erased", msg = "that member was erased";
    } else {
        return PT_OK;
    }
    json_decref(j->result);
    j->rc = status == 422 ? PT_EINVAL : PT_ESTATE;
    j->status = status;
    j->result = srv_error_body(code, "from", msg);
    return j->rc;
}

/* A replayed merge answers the survivor's view as it is now: the record kept only the merge's
 * own fields (idem.c stores no personal data). */
static int refill_view(struct srv_job *j, pt_db *db)
{
    pt_member m;
    pt_member_init(&m);
    int rc = pt_member_load(db, j->member_id, &m);
    json_t *view = rc == PT_OK ? member_json(&m, 1) : NULL;
    pt_member_wipe(&m);
    if (rc || !view) {
        json_decref(view);
        srv_job_error(j, rc ? rc : PT_ENOMEM, pt_db_errmsg(db));
        return rc ? rc : PT_ENOMEM;
    }
    json_object_update_missing(j->result, view);
    json_decref(view);
    return PT_OK;
}

static int job_merge(struct srv_job *j, pt_db *db, pt_ledger *l)
{
    int replayed = 0, rc = srv_idem_replay(j, db, MERGE_OP, j->member_id, &replayed);
    if (rc || replayed)
        return rc ? rc : refill_view(j, db);
    int64_t loser = 0, merge_id = 0, moved = 0;
    json_t *why = json_object_get(j->in, "reason");
    char reason[160]; /* the merge record's size; a longer reason is cut */
    snprintf(reason, sizeof reason, "merged by hand (api): %s", why ? json_string_value(why) : "same person");
    if ((rc = pt_member_id_of_no(db, j->arg, &loser)) != PT_OK) {
        srv_job_error(j, rc, pt_db_errmsg(db));
        return rc;
    }
    if ((rc = merge_refusal(j, db, loser)) != PT_OK)
        return rc;
    rc = pt_member_merge(db, j->member_id, loser, reason, 0, &merge_id);
    if (rc == PT_OK && l) /* no programme loaded: no points to move */
        rc = pt_ledger_absorb_member(l, loser, &moved);
    pt_member m;
    pt_member_init(&m);
    if (rc == PT_OK)
        rc = pt_member_load(db, j->member_id, &m);
    if (rc) {
        srv_job_error(j, rc, l && pt_ledger_errmsg(l)[0] ? pt_ledger_errmsg(l) : pt_db_errmsg(db));
        pt_member_wipe(&m);
        return rc;
    }
    j->status = 200;
    j->result = member_json(&m, 1);
    pt_member_wipe(&m);
    if (!j->result)
        return PT_ENOMEM;
    json_object_set_new(j->result, "merge", json_integer(merge_id));
    json_object_set_new(j->result, "merged_from", json_string(j->arg));
    json_object_set_new(j->result, "points_moved", json_integer(moved));
    return srv_idem_remember(j, db, MERGE_OP, j->member_id, 0);
}

void route_member_merge(struct srv_req *r, struct srv_thread *t)
{
    int64_t id, from;
    if (srv_member_param(r, t, &id) != 0)
        return;
    struct srv_job *j = srv_write_prepare(r, job_merge, merge_fields, 2, id, NULL);
    if (!j)
        return;
    const char *no = str_of(j->in, "from");
    /* the number exactly as given: merging a number that was merged away is refused, not
     * redirected to its survivor */
    if (pt_member_id_of_no(t->db, no, &from) == PT_ENOTFOUND) {
        srv_error(r, 404, "member_not_found", "from", "no member with this number");
        srv_job_free(j);
        return;
    }
    snprintf(j->arg, sizeof j->arg, "%s", no);
    srv_writer_submit(r->srv, r, j);
}

/* --- update ------------------------------------------------------------------------------- */

static int job_update(struct srv_job *j, pt_db *db, pt_ledger *l)
{
    (void)l;
    struct profile *pr = j->ext;
    int replayed = 0, rc = srv_idem_replay(j, db, UPDATE_OP, j->member_id, &replayed);
    if (rc || replayed)
        return rc ? rc : refill_view(j, db);
    pt_member m;
    pt_member_init(&m);
    rc = pt_member_load(db, j->member_id, &m);
    if (rc == PT_OK && m.status == PT_MEMBER_ERASED)
        rc = PT_ESTATE;
    for (int i = 0; rc == PT_OK && i < pr->in.nids; i++) {
        int64_t owner = 0;
        rc = pt_identity_attach(db, &m, pr->in.ids[i].kind, pr->in.ids[i].value, "api", pt_db_now(db), &owner);
        if (rc == PT_EEXIST) {
            srv_job_error(j, rc, pr->in.ids[i].kind == PT_ID_PHONE ? "this phone belongs to another member"
                                                                   : "this email belongs to another member");
            json_object_set_new(json_object_get(j->result, "error"), "field",
                                json_string(pr->in.ids[i].kind == PT_ID_PHONE ? "phone" : "email"));
        }
    }
    if (rc == PT_OK) {
        for (int f = 0; f < PT_F__COUNT; f++) {
            size_t cap_src, cap_dst;
            char *src = pt_member_field(&pr->in.m, f, &cap_src), *dst = pt_member_field(&m, f, &cap_dst);
            if (pr->has[f] && src && dst)
                snprintf(dst, cap_dst, "%s", src);
        }
        for (int k = 0; k < PT_CONSENT__COUNT; k++) {
            if (!(pr->in.consent_known & PT_CONSENT_BIT(k)))
                continue;
            m.consent = (m.consent & ~PT_CONSENT_BIT(k)) | (pr->in.consent_given & PT_CONSENT_BIT(k));
            m.consent_at[k] = pt_db_now(db);
        }
        rc = pt_member_save(db, &m);
    }
    if (rc == PT_OK) {
        j->status = 200;
        j->result = member_json(&m, 1);
        rc = j->result ? srv_idem_remember(j, db, UPDATE_OP, j->member_id, 0) : PT_ENOMEM;
    } else if (!j->result) {
        srv_job_error(j, rc, rc == PT_ESTATE ? "the member was erased" : pt_db_errmsg(db));
    }
    pt_member_wipe(&m);
    return rc;
}

void route_member_update(struct srv_req *r, struct srv_thread *t)
{
    int64_t id;
    if (srv_member_param(r, t, &id) != 0)
        return;
    struct srv_job *j = srv_write_prepare(r, job_update, profile_fields, NPROFILE, id, NULL);
    if (!j)
        return;
    struct profile *pr = calloc(1, sizeof *pr);
    j->ext = pr;
    j->ext_free = profile_free;
    if (!pr)
        srv_error(r, 500, "internal", NULL, "out of memory");
    else if (json_object_get(j->in, "channel"))
        srv_error(r, 400, "unknown_field", "channel", "the registration channel cannot be changed");
    else if (profile_parse(r, t->db, j->in, pr) == 0) {
        srv_writer_submit(r->srv, r, j);
        return;
    }
    srv_job_free(j);
}

/* --- erase -------------------------------------------------------------------------------- */

static int job_erase(struct srv_job *j, pt_db *db, pt_ledger *l)
{
    (void)l;
    int replayed = 0, rc = srv_idem_replay(j, db, ERASE_OP, j->member_id, &replayed);
    if (rc || replayed)
        return rc;
    rc = pt_member_erase(db, j->member_id);
    if (rc) {
        srv_job_error(j, rc, pt_db_errmsg(db));
        return rc;
    }
    j->status = 200;
    j->result = json_pack("{s:s,s:s}", "member", j->arg, "status", "erased");
    return j->result ? srv_idem_remember(j, db, ERASE_OP, j->member_id, 0) : PT_ENOMEM;
}

void route_member_erase(struct srv_req *r, struct srv_thread *t)
{
    int64_t id;
    if (srv_member_param(r, t, &id) != 0)
        return;
    srv_write(r, job_erase, NULL, 0, id, r->params[0]);
}

/* --- export (right of access) ------------------------------------------------------------- */

void route_member_export(struct srv_req *r, struct srv_thread *t)
{
    int64_t id;
    if (srv_member_param(r, t, &id) != 0)
        return;
    pt_buf out;
    pt_buf_init(&out, 0);
    int rc = pt_member_export_json(t->db, id, &out);
    if (rc) {
        pt_buf_wipe(&out);
        srv_error_rc(r, rc, pt_db_errmsg(t->db));
        return;
    }
    json_error_t err;
    json_t *doc = json_loadb((const char *)out.data, out.len, 0, &err);
    pt_buf_wipe(&out); /* it held personal data in clear */
    if (!doc)
        srv_error(r, 500, "internal", NULL, "the export is not valid JSON");
    else
        srv_json(r, 200, doc);
}

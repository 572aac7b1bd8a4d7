/* member.c — the decrypted member view and its round trip through the store.
 *
 * Invariants: personal fields (name, phone, email, birthday, address) reach the store only
 * sealed under the member's data key (bound to the member id); the data key reaches the store
 * only wrapped by the master key; provenance holds sources and times, never values. An erased
 * member has no key, no personal fields and no identifiers; its orders stay, anonymous.
 * Every pt_member that held clear data is wiped by whoever loaded it.
 */
#include "patron/member.h"
#include "patron/audit.h"
#include "patron/error.h"
#include "db_int.h"
#include "member_int.h"
#include "patron/identity.h"
#include "patron/tz.h"

#include <jansson.h>
#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static const size_t field_offset[PT_F__COUNT] = {
    [PT_F_NAME] = offsetof(pt_member, name),         [PT_F_PHONE] = offsetof(pt_member, phone),
    [PT_F_EMAIL] = offsetof(pt_member, email),       [PT_F_BIRTHDAY] = offsetof(pt_member, birthday),
    [PT_F_ADDRESS] = offsetof(pt_member, address),   [PT_F_GENDER] = offsetof(pt_member, gender),
    [PT_F_REGION] = offsetof(pt_member, region),
};
static const size_t field_cap[PT_F__COUNT] = {
    [PT_F_NAME] = PT_NAME_MAX,   [PT_F_PHONE] = PT_PHONE_MAX,     [PT_F_EMAIL] = PT_EMAIL_MAX + 1,
    [PT_F_BIRTHDAY] = PT_DATE_MAX, [PT_F_ADDRESS] = PT_ADDRESS_MAX, [PT_F_GENDER] = 2,
    [PT_F_REGION] = PT_REGION_MAX,
};

char *pt_member_field(pt_member *m, int field, size_t *cap)
{
    if (cap)
        *cap = field_cap[field];
    return (char *)m + field_offset[field];
}

void pt_member_init(pt_member *m)
{
    memset(m, 0, sizeof *m);
    m->status = PT_MEMBER_ACTIVE;
}

void pt_member_wipe(pt_member *m)
{
    sodium_memzero(m, sizeof *m);
}

void pt_member_no_for_id(int64_t id, char out[PT_MEMBER_NO_MAX])
{
    /* 9 digits up to id 899,999,999; ids never reach the 15 digits PT_MEMBER_NO_MAX allows */
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%09lld", (long long)(100000000 + (id < 0 ? 0 : id)));
    if (n < 0 || n > PT_MEMBER_NO_MAX - 2)
        n = PT_MEMBER_NO_MAX - 2;
    int sum = 0;
    for (int i = 0; i < n; i++) {
        int d = digits[n - 1 - i] - '0';
        if (i % 2 == 0) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    memcpy(out, digits, (size_t)n);
    out[n] = (char)('0' + (10 - sum % 10) % 10);
    out[n + 1] = 0;
}

/* --- record <-> member ------------------------------------------------------------------- */

static int provenance_to_json(const pt_member *m, pt_buf *out)
{
    json_t *o = json_object();
    for (int f = 0; f < PT_F__COUNT; f++)
        if (m->src[f].source[0])
            json_object_set_new(o, pt_field_name(f),
                                json_pack("[s,I]", m->src[f].source, (json_int_t)m->src[f].at));
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    int rc = s ? pt_buf_set(out, s, strlen(s)) : PT_ENOMEM;
    free(s);
    return rc;
}

static void provenance_from_json(pt_member *m, const pt_buf *in)
{
    json_t *o = in->len ? json_loadb((const char *)in->data, in->len, 0, NULL) : NULL;
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        int f = pt_field_parse(key);
        if (f >= 0 && json_is_array(v) && json_is_string(json_array_get(v, 0))) {
            snprintf(m->src[f].source, PT_LABEL_MAX, "%s", json_string_value(json_array_get(v, 0)));
            m->src[f].at = (int64_t)json_integer_value(json_array_get(v, 1));
        }
    }
    json_decref(o);
}

static int pii_seal(const pt_member *m, pt_buf *out)
{
    json_t *o = json_object();
    for (int f = 0; f < PT_F__PERSONAL_COUNT; f++) {
        const char *v = pt_member_field((pt_member *)m, f, NULL);
        if (v[0])
            json_object_set_new(o, pt_field_name(f), json_string(v));
    }
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!s)
        return PT_ENOMEM;
    int rc = pt_crypt_seal(&m->key, m->id, s, strlen(s), out);
    sodium_memzero(s, strlen(s));
    free(s);
    return rc;
}

int pt__member_unseal_json(const pt_member *m, const pt_buf *sealed, json_t **out)
{
    pt_buf clear;
    pt_buf_init(&clear, 0);
    int rc = pt_crypt_unseal(&m->key, m->id, sealed, &clear);
    *out = rc ? NULL : json_loadb((const char *)clear.data, clear.len, 0, NULL);
    pt_buf_wipe(&clear);
    if (rc)
        return rc;
    return *out ? PT_OK : PT_ECORRUPT;
}

static int pii_unseal(pt_member *m, const pt_buf *sealed)
{
    if (!sealed->len)
        return PT_OK;
    json_t *o;
    int rc = pt__member_unseal_json(m, sealed, &o);
    if (rc)
        return rc;
    for (int f = 0; f < PT_F__PERSONAL_COUNT; f++) {
        size_t cap;
        char *dst = pt_member_field(m, f, &cap);
        json_t *v = json_object_get(o, pt_field_name(f));
        if (json_is_string(v))
            snprintf(dst, cap, "%s", json_string_value(v));
    }
    json_decref(o); /* jansson does not wipe; the clear copy lives only inside this call */
    return PT_OK;
}

static void rec_from_member(pt_member_rec *r, const pt_member *m)
{
    r->id = m->id;
    snprintf(r->member_no, sizeof r->member_no, "%s", m->member_no);
    r->status = m->status;
    r->registered_at = m->registered_at;
    snprintf(r->reg_channel, sizeof r->reg_channel, "%s", m->reg_channel);
    r->gender = m->gender[0];
    snprintf(r->region, sizeof r->region, "%s", m->region);
    r->consent = m->consent;
    memcpy(r->consent_at, m->consent_at, sizeof r->consent_at);
    r->merged_into = m->merged_into;
    r->created_at = m->created_at;
    r->updated_at = m->updated_at;
}

static void member_from_rec(pt_member *m, const pt_member_rec *r)
{
    m->id = r->id;
    snprintf(m->member_no, sizeof m->member_no, "%s", r->member_no);
    m->status = r->status;
    m->registered_at = r->registered_at;
    snprintf(m->reg_channel, sizeof m->reg_channel, "%s", r->reg_channel);
    m->gender[0] = r->gender;
    m->gender[1] = 0;
    snprintf(m->region, sizeof m->region, "%s", r->region);
    m->consent = r->consent;
    memcpy(m->consent_at, r->consent_at, sizeof m->consent_at);
    m->merged_into = r->merged_into;
    m->created_at = r->created_at;
    m->updated_at = r->updated_at;
}

/* --- create / load / save ---------------------------------------------------------------- */

static void keep_wrapped(pt_member *m, const pt_buf *wrapped)
{
    m->key_wrapped_len = wrapped->len <= sizeof m->key_wrapped ? wrapped->len : 0;
    if (m->key_wrapped_len)
        memcpy(m->key_wrapped, wrapped->data, m->key_wrapped_len);
}

int pt_member_create(pt_db *db, pt_member *m)
{
    pt_member_rec r;
    pt_member_rec_init(&r);
    m->created_at = m->updated_at = pt_db_now(db);
    if (!m->registered_at)
        m->registered_at = m->created_at;
    m->member_no[0] = 0;
    rec_from_member(&r, m);
    int rc = pt_store_member_insert(pt_db_store(db), &r);
    if (rc) {
        pt_member_rec_free(&r);
        return pt__db_store_error(db, rc, "creating member");
    }
    m->id = r.id;
    pt_member_no_for_id(m->id, m->member_no);
    rc = pt_crypt_new_data_key(pt_db_crypt(db), m->id, &m->key, &r.key_wrapped);
    if (rc == PT_OK) {
        m->has_key = 1;
        keep_wrapped(m, &r.key_wrapped);
    }
    pt_member_rec_free(&r);
    if (rc)
        return pt__db_error(db, rc, "creating a data key for member %lld", (long long)m->id);
    return pt_member_save(db, m);
}

/* The member of a record already read: its fields, and its personal data decrypted. */
static int member_from_stored(pt_db *db, const pt_member_rec *r, pt_member *m)
{
    int rc = PT_OK;
    pt_member_init(m);
    member_from_rec(m, r);
    provenance_from_json(m, &r->provenance);
    if (r->key_wrapped.len) {
        rc = pt_crypt_unwrap(pt_db_crypt(db), r->id, &r->key_wrapped, &m->key);
        m->has_key = rc == PT_OK;
        keep_wrapped(m, &r->key_wrapped);
        if (rc == PT_OK)
            rc = pii_unseal(m, &r->pii);
        if (rc)
            pt__db_error(db, rc, "member %s: cannot decrypt personal data", m->member_no);
    }
    if (rc)
        pt_member_wipe(m);
    return rc;
}

int pt_member_load(pt_db *db, int64_t id, pt_member *m)
{
    pt_member_rec r;
    pt_member_rec_init(&r);
    pt_member_init(m);
    int rc = pt_store_member_get(pt_db_store(db), id, &r);
    if (rc) {
        pt_member_rec_free(&r);
        return rc == PT_ENOTFOUND ? pt__db_error(db, rc, "no member with id %lld", (long long)id)
                                  : pt__db_store_error(db, rc, "loading member");
    }
    rc = member_from_stored(db, &r, m);
    pt_member_rec_free(&r);
    return rc;
}

/* The audit record of a change to a member's record: which personal fields it now holds and
 * its status — never their values. Runs in the caller's transaction (or its own). */
static int audit_member(pt_db *db, const pt_member *m, const char *action)
{
    static const char *const names[PT_F__PERSONAL_COUNT] = {"name", "phone", "email", "birthday", "address"};
    const char *vals[PT_F__PERSONAL_COUNT] = {m->name, m->phone, m->email, m->birthday, m->address};
    char detail[256];
    int n = snprintf(detail, sizeof detail, "{\"member\":\"%s\",\"status\":\"%s\",\"merged_into\":%lld,"
                     "\"personal_fields\":[", m->member_no, pt_member_status_name(m->status),
                     (long long)m->merged_into);
    for (int i = 0, first = 1; i < PT_F__PERSONAL_COUNT && n < (int)sizeof detail - 16; i++)
        if (vals[i][0]) {
            n += snprintf(detail + n, sizeof detail - (size_t)n, "%s\"%s\"", first ? "" : ",", names[i]);
            first = 0;
        }
    snprintf(detail + n, sizeof detail - (size_t)n, "]}");
    return pt_audit_append(pt_db_store(db), pt_db_crypt(db), m->id, pt_db_now(db), "system", action, detail);
}

int pt_member_save(pt_db *db, pt_member *m)
{
    pt_member_rec r;
    pt_member_rec_init(&r);
    m->updated_at = pt_db_now(db);
    rec_from_member(&r, m);
    int rc = PT_OK;
    if (m->has_key) {
        rc = pt_buf_set(&r.key_wrapped, m->key_wrapped, m->key_wrapped_len);
        if (rc == PT_OK)
            rc = pii_seal(m, &r.pii);
    }
    if (rc == PT_OK)
        rc = provenance_to_json(m, &r.provenance);
    pt_store *s = pt_db_store(db);
    int own = rc == PT_OK && !pt_store_in_tx(s); /* the update and its audit record commit together */
    for (int i = 0; rc == PT_OK; i++) {
        if (own)
            rc = pt_store_begin(s);
        if (rc == PT_OK)
            rc = pt_store_member_update(s, &r);
        if (rc == PT_OK)
            rc = audit_member(db, m, "member.update");
        if (own && rc == PT_OK)
            rc = pt_store_commit(s);
        if (own && rc && pt_store_in_tx(s)) /* a failed commit leaves the transaction open too */
            pt_store_rollback(s);
        if (rc != PT_ERETRY || !own || i + 1 == PT__TX_TRIES)
            break;
        pt__tx_backoff(i);
        rc = PT_OK; /* a conflict with a concurrent writer rolled it all back: write again */
    }
    pt_member_rec_free(&r);
    return rc ? pt__db_store_error(db, rc, "saving member") : PT_OK;
}

/* --- look-ups ---------------------------------------------------------------------------- */

/* The sealed row a number stands for: its own, or the member it was merged into (merges can
 * chain; followed up to 64 hops). *redirected (may be NULL) when the number was merged away. */
static int row_of_no(pt_db *db, const char *member_no, pt_member_rec *r, int *redirected)
{
    int rc = pt_store_member_get_by_no(pt_db_store(db), member_no, r);
    for (int hops = 0; rc == PT_OK && r->merged_into && hops < 64; hops++)
        rc = pt_store_member_get(pt_db_store(db), r->merged_into, r);
    if (redirected)
        *redirected = rc == PT_OK && strcmp(r->member_no, member_no) != 0;
    return rc;
}

int pt_member_get_by_no(pt_db *db, const char *member_no, pt_member *m, int *redirected)
{
    pt_member_rec r;
    pt_member_rec_init(&r);
    int rc = row_of_no(db, member_no, &r, redirected);
    if (rc == PT_OK) {
        /* the record in hand is the member's: decrypt it rather than read it again (one
         * statement, so one read transaction, for a member that was never merged away) */
        rc = member_from_stored(db, &r, m);
        pt_member_rec_free(&r);
        return rc;
    }
    pt_member_rec_free(&r);
    if (rc == PT_ENOTFOUND)
        return pt__db_error(db, rc, "no member with number %s", member_no);
    return pt__db_store_error(db, rc, "looking up member number");
}

int pt_member_resolve_no(pt_db *db, const char *member_no, int64_t *id, int *redirected)
{
    pt_member_rec r;
    pt_member_rec_init(&r);
    int rc = row_of_no(db, member_no, &r, redirected);
    *id = r.id;
    pt_member_rec_free(&r);
    if (rc == PT_ENOTFOUND)
        return pt__db_error(db, rc, "no member with number %s", member_no);
    return rc ? pt__db_store_error(db, rc, "looking up member number") : PT_OK;
}

int pt_member_id_of_no(pt_db *db, const char *member_no, int64_t *id)
{
    pt_member_rec r;
    pt_member_rec_init(&r);
    int rc = pt_store_member_get_by_no(pt_db_store(db), member_no, &r);
    *id = r.id;
    pt_member_rec_free(&r);
    if (rc == PT_ENOTFOUND)
        return pt__db_error(db, rc, "no member with number %s", member_no);
    return rc ? pt__db_store_error(db, rc, "looking up member number") : PT_OK;
}

int pt_identifier_normalise(const pt_db *db, int kind, const char *raw, char *out, size_t cap, char *why)
{
    char tmp[PT_VALUE_MAX];
    int rc;
    switch (kind) {
    case PT_ID_PHONE:
        rc = pt_norm_phone(raw, pt_db_config(db)->default_cc, tmp, why);
        break;
    case PT_ID_EMAIL:
        rc = pt_norm_email(raw, tmp, why);
        break;
    default:
        rc = pt_norm_trim(raw, tmp, sizeof tmp);
        if (rc == PT_OK && !tmp[0])
            rc = PT_EPARSE;
        if (rc && why)
            snprintf(why, PT_WHY_MAX, rc == PT_ETOOBIG ? "identifier too long" : "empty identifier");
        break;
    }
    if (rc == PT_OK && strlen(tmp) >= cap)
        rc = PT_ETOOBIG;
    if (rc == PT_OK)
        snprintf(out, cap, "%s", tmp);
    sodium_memzero(tmp, sizeof tmp);
    return rc;
}

int pt_member_find(pt_db *db, int kind, const char *raw, pt_member *m)
{
    char norm[PT_VALUE_MAX], why[PT_WHY_MAX] = "";
    const char *kname = pt_id_kind_name(kind);
    if (!kname)
        return pt__db_error(db, PT_EINVAL, "unknown identifier kind %d", kind);
    int rc = pt_identifier_normalise(db, kind, raw, norm, sizeof norm, why);
    if (rc)
        return pt__db_error(db, PT_EPARSE, "not a valid %s: %s", kname, why);
    int64_t id = 0;
    rc = pt_identity_lookup(db, kind, norm, &id);
    sodium_memzero(norm, sizeof norm);
    if (rc == PT_ENOTFOUND)
        return pt__db_error(db, rc, "no member has that %s", kname);
    return rc ? rc : pt_member_load(db, id, m);
}

int pt_member_set_status(pt_db *db, int64_t id, int status)
{
    pt_member m;
    int rc = pt_member_load(db, id, &m);
    if (rc == PT_OK && m.status == PT_MEMBER_ERASED)
        rc = pt__db_error(db, PT_ESTATE, "member %s is erased", m.member_no);
    if (rc == PT_OK) {
        m.status = status;
        rc = pt_member_save(db, &m);
    }
    pt_member_wipe(&m);
    return rc;
}

int pt_member_set_consent(pt_db *db, int64_t id, int kind, int given, int64_t at)
{
    if (kind < 0 || kind >= PT_CONSENT__COUNT)
        return pt__db_error(db, PT_EINVAL, "unknown consent kind %d", kind);
    pt_member m;
    int rc = pt_member_load(db, id, &m);
    if (rc == PT_OK) {
        if (given)
            m.consent |= PT_CONSENT_BIT(kind);
        else
            m.consent &= ~PT_CONSENT_BIT(kind);
        m.consent_at[kind] = at;
        rc = pt_member_save(db, &m);
    }
    pt_member_wipe(&m);
    return rc;
}

/* --- erasure ----------------------------------------------------------------------------- */

struct id_list {
    int64_t ids[256];
    int     n;
};

static int collect_losers(void *ud, const pt_merge_rec *r)
{
    struct id_list *l = ud;
    int64_t survivor = l->ids[0];
    if (r->survivor_id == survivor && !r->undone_at && l->n < 256)
        l->ids[l->n++] = r->loser_id;
    return 0;
}

static int erase_one(pt_db *db, int64_t id)
{
    pt_store *s = pt_db_store(db);
    pt_member_rec r;
    pt_member_rec_init(&r);
    int rc = pt_store_member_get(s, id, &r);
    if (rc == PT_OK)
        rc = pt_store_identity_delete_member(s, id);
    if (rc == PT_OK) {
        pt_buf_wipe(&r.key_wrapped);
        pt_buf_wipe(&r.pii);
        pt_buf_reset(&r.provenance);
        r.gender = 0;
        r.region[0] = 0;
        r.consent = 0;
        r.status = PT_MEMBER_ERASED;
        r.updated_at = pt_db_now(db);
        rc = pt_store_member_update(s, &r);
    }
    if (rc == PT_OK) {
        char detail[96];
        snprintf(detail, sizeof detail, "{\"member\":\"%s\",\"status\":\"erased\"}", r.member_no);
        rc = pt_audit_append(s, pt_db_crypt(db), id, pt_db_now(db), "system", "member.erase", detail);
    }
    pt_member_rec_free(&r);
    return rc;
}

static int erase_once(pt_db *db, int64_t id)
{
    pt_store *s = pt_db_store(db);
    struct id_list l = {.ids = {id}, .n = 1};
    int rc = pt_store_begin(s);
    if (rc)
        return pt__db_store_error(db, rc, "erasing member");
    for (int i = 0; rc == PT_OK && i < l.n; i++) {
        struct id_list sub = {.ids = {l.ids[i]}, .n = 1};
        rc = pt_store_merge_list(s, l.ids[i], collect_losers, &sub);
        for (int j = 1; rc == PT_OK && j < sub.n && l.n < 256; j++)
            l.ids[l.n++] = sub.ids[j];
    }
    for (int i = 0; rc == PT_OK && i < l.n; i++)
        rc = erase_one(db, l.ids[i]);
    if (rc) {
        pt_store_rollback(s);
        return pt__db_store_error(db, rc, "erasing member");
    }
    if ((rc = pt_store_commit(s)))
        pt_store_rollback(s); /* a failed commit leaves the transaction open */
    return rc ? pt__db_store_error(db, rc, "committing erasure") : PT_OK;
}

int pt_member_erase(pt_db *db, int64_t id)
{
    int outer = !pt_store_in_tx(pt_db_store(db)), rc;
    for (int i = 0;; i++) {
        rc = erase_once(db, id);
        if (rc != PT_ERETRY || !outer || i + 1 == PT__TX_TRIES)
            return rc;
        pt__tx_backoff(i);
    }
}

/* --- export and show --------------------------------------------------------------------- */

static void mask_value(int field_or_kind_is_phone, int is_email, const char *in, char *out, size_t cap)
{
    size_t n = strlen(in);
    if (!n) {
        out[0] = 0;
    } else if (field_or_kind_is_phone && n > 7) {
        snprintf(out, cap, "%.*s****%s", (int)(n - 8), in, in + n - 4);
    } else if (is_email && strchr(in, '@')) {
        snprintf(out, cap, "%c***%s", in[0], strchr(in, '@'));
    } else {
        /* keep the first character (whole UTF-8 sequence) only */
        size_t k = 1;
        while (k < n && ((unsigned char)in[k] & 0xC0) == 0x80)
            k++;
        snprintf(out, cap, "%.*s***", (int)k, in);
    }
}

static json_t *time_json(const pt_db *db, int64_t t)
{
    char buf[20];
    if (!t)
        return json_null();
    /* in the tenant's zone, DST included; the fixed offset only if the zone is unknown */
    if (pt_tz_format(pt_db_config(db)->timezone, t, buf) != PT_OK)
        pt_format_time(t, pt_db_config(db)->tz_offset_s, buf);
    return json_string(buf);
}

static json_t *profile_json(const pt_db *db, pt_member *m, int reveal)
{
    json_t *o = json_object();
    for (int f = 0; f < PT_F__COUNT; f++) {
        const char *v = pt_member_field(m, f, NULL);
        char masked[PT_VALUE_MAX];
        if (!v[0]) {
            json_object_set_new(o, pt_field_name(f), json_null());
            continue;
        }
        if (!reveal && f < PT_F__PERSONAL_COUNT) {
            mask_value(f == PT_F_PHONE, f == PT_F_EMAIL, v, masked, sizeof masked);
            v = masked;
        }
        json_object_set_new(o, pt_field_name(f), json_string(v));
    }
    json_t *prov = json_object();
    for (int f = 0; f < PT_F__COUNT; f++)
        if (m->src[f].source[0])
            json_object_set_new(prov, pt_field_name(f),
                                json_pack("{s:s,s:o}", "source", m->src[f].source, "at",
                                          time_json(db, m->src[f].at)));
    json_object_set_new(o, "sources", prov);
    return o;
}

static json_t *consent_json(const pt_db *db, const pt_member *m)
{
    static const char *const names[PT_CONSENT__COUNT] = {"marketing_sms", "marketing_email", "analytics"};
    json_t *o = json_object();
    for (int k = 0; k < PT_CONSENT__COUNT; k++)
        json_object_set_new(o, names[k],
                            json_pack("{s:b,s:o}", "given", (m->consent & PT_CONSENT_BIT(k)) != 0,
                                      "at", time_json(db, m->consent_at[k])));
    return o;
}

struct ident_json_ctx {
    json_t *arr;
    int     reveal;
    const pt_db *db;
};

static int ident_to_json(void *ud, const pt_ident *id)
{
    struct ident_json_ctx *c = ud;
    char masked[PT_VALUE_MAX];
    const char *v = id->value;
    if (!c->reveal) {
        mask_value(id->kind == PT_ID_PHONE, id->kind == PT_ID_EMAIL, v, masked, sizeof masked);
        v = masked;
    }
    json_array_append_new(c->arr, json_pack("{s:s,s:s,s:s,s:o}", "kind", pt_id_kind_name(id->kind),
                                            "value", v, "source", id->source, "added_at",
                                            time_json(c->db, id->added_at)));
    return 0;
}

static json_t *member_json(pt_db *db, pt_member *m, int reveal)
{
    json_t *o = json_pack("{s:s,s:s,s:o,s:s}", "member_no", m->member_no, "status",
                          pt_member_status_name(m->status), "registered_at",
                          time_json(db, m->registered_at), "registration_channel", m->reg_channel);
    json_object_set_new(o, "profile", profile_json(db, m, reveal));
    json_object_set_new(o, "consent", consent_json(db, m));
    struct ident_json_ctx ic = {json_array(), reveal, db};
    if (m->has_key)
        pt_identity_list(db, m, ident_to_json, &ic);
    json_object_set_new(o, "identifiers", ic.arr);
    return o;
}

struct orders_ctx {
    pt_db  *db;
    json_t *arr;
    int64_t count, cents, last_at;
    int     with_items;
};

static int item_to_json(void *ud, const pt_item_rec *r)
{
    json_array_append_new(ud, json_pack("{s:i,s:s,s:s,s:I,s:I,s:I}", "line", r->line_no, "sku", r->sku,
                                        "category", r->category, "qty", (json_int_t)r->qty,
                                        "unit_cents", (json_int_t)r->unit_cents, "amount_cents",
                                        (json_int_t)r->amount_cents));
    return 0;
}

static int order_to_json(void *ud, const pt_order_rec *r)
{
    struct orders_ctx *c = ud;
    c->count++;
    if (r->status == PT_ORDER_PAID)
        c->cents += r->amount_cents;
    if (r->ordered_at > c->last_at)
        c->last_at = r->ordered_at;
    if (!c->arr)
        return 0;
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:o,s:I,s:i}", "order_no", r->order_no, "source", r->source,
                          "channel", r->channel, "store", r->store, "ordered_at",
                          time_json(c->db, r->ordered_at), "amount_cents", (json_int_t)r->amount_cents,
                          "status", r->status);
    if (c->with_items) {
        json_t *items = json_array();
        pt_store_item_list(pt_db_store(c->db), r->id, item_to_json, items);
        json_object_set_new(o, "items", items);
    }
    json_array_append_new(c->arr, o);
    return 0;
}

static int event_to_json(void *ud, const pt_event_rec *r)
{
    json_array_append_new(ud, json_pack("{s:s,s:I,s:s,s:I}", "kind", r->kind, "at", (json_int_t)r->at,
                                        "source", r->source, "value", (json_int_t)r->value));
    return 0;
}

static int survey_to_json(void *ud, const pt_survey_rec *r)
{
    json_array_append_new(ud, json_pack("{s:s,s:I,s:i,s:s}", "survey", r->survey, "at", (json_int_t)r->at,
                                        "score", r->score, "source", r->source));
    return 0;
}

struct merges_ctx {
    pt_db  *db;
    json_t *arr;
};

static int merge_to_json(void *ud, const pt_merge_rec *r)
{
    struct merges_ctx *c = ud;
    char survivor[PT_MEMBER_NO_MAX], loser[PT_MEMBER_NO_MAX];
    pt_member_no_for_id(r->survivor_id, survivor);
    pt_member_no_for_id(r->loser_id, loser);
    json_array_append_new(c->arr, json_pack("{s:I,s:s,s:s,s:o,s:s}", "merge_id", (json_int_t)r->id,
                                            "survivor", survivor, "merged", loser, "at",
                                            time_json(c->db, r->merged_at), "reason", r->reason));
    return 0;
}

static int dump_json(json_t *o, pt_buf *out)
{
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!s)
        return PT_ENOMEM;
    int rc = pt_buf_append_str(out, s);
    sodium_memzero(s, strlen(s));
    free(s);
    return rc;
}

int pt_member_export_json(pt_db *db, int64_t id, pt_buf *out)
{
    pt_member m;
    int rc = pt_member_load(db, id, &m);
    if (rc)
        return rc;
    pt_store *s = pt_db_store(db);
    json_t *o = member_json(db, &m, 1);
    struct orders_ctx oc = {db, json_array(), 0, 0, 0, 1};
    json_t *events = json_array(), *surveys = json_array();
    struct merges_ctx mc = {db, json_array()};
    pt_store_order_list(s, id, order_to_json, &oc);
    pt_store_event_list(s, id, event_to_json, events);
    pt_store_survey_list(s, id, survey_to_json, surveys);
    pt_store_merge_list(s, id, merge_to_json, &mc);
    json_object_set_new(o, "orders", oc.arr);
    json_object_set_new(o, "events", events);
    json_object_set_new(o, "surveys", surveys);
    json_object_set_new(o, "merges", mc.arr);
    json_object_set_new(o, "exported_at", time_json(db, pt_db_now(db)));
    pt_member_wipe(&m);
    return dump_json(o, out);
}

int pt_member_show_json(pt_db *db, int64_t id, int reveal, pt_buf *out)
{
    pt_member m;
    int rc = pt_member_load(db, id, &m);
    if (rc)
        return rc;
    json_t *o = member_json(db, &m, reveal);
    struct orders_ctx oc = {db, NULL, 0, 0, 0, 0};
    struct merges_ctx mc = {db, json_array()};
    pt_store_order_list(pt_db_store(db), id, order_to_json, &oc);
    pt_store_merge_list(pt_db_store(db), id, merge_to_json, &mc);
    json_object_set_new(o, "orders", json_pack("{s:I,s:I,s:o}", "count", (json_int_t)oc.count,
                                               "paid_cents", (json_int_t)oc.cents, "last_order_at",
                                               time_json(db, oc.last_at)));
    json_object_set_new(o, "merges", mc.arr);
    pt_member_wipe(&m);
    return dump_json(o, out);
}

void pt_identifier_mask(int kind, const char *value, char *out, size_t cap)
{
    mask_value(kind == PT_ID_PHONE, kind == PT_ID_EMAIL, value, out, cap);
}

/* identity.c — identifiers, record resolution, survivorship, merge and unmerge.
 *
 * Invariants: an identifier belongs to one member (unique (kind, blind) in the store) and its
 * sealed value is always under its current owner's data key, so a move re-seals it; a member
 * merged away has merged_into set, no identifiers, and keeps its own row and key so a merge
 * can be undone; every merge/unmerge runs in one transaction (savepoint when nested).
 */
#include "patron/identity.h"
#include "patron/error.h"
#include "db_int.h"
#include "member_int.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- identifiers ------------------------------------------------------------------------- */

static void blind_of(const pt_db *db, int kind, const char *norm, uint8_t out[PT_BLIND_LEN])
{
    pt_crypt_blind(pt_db_crypt(db), kind, norm, strlen(norm), out);
}

int pt_identity_lookup(pt_db *db, int kind, const char *normalised, int64_t *member_id)
{
    pt_identity_rec r;
    pt_identity_rec_init(&r);
    blind_of(db, kind, normalised, r.blind);
    int rc = pt_store_identity_find(pt_db_store(db), kind, r.blind, &r);
    if (rc == PT_OK)
        *member_id = r.member_id;
    pt_identity_rec_free(&r);
    if (rc && rc != PT_ENOTFOUND)
        return pt__db_store_error(db, rc, "looking up identifier");
    return rc;
}

int pt_identity_attach(pt_db *db, pt_member *m, int kind, const char *normalised,
                       const char *source, int64_t at, int64_t *owner)
{
    pt_identity_rec r;
    pt_identity_rec_init(&r);
    blind_of(db, kind, normalised, r.blind);
    int rc = pt_store_identity_find(pt_db_store(db), kind, r.blind, &r);
    if (rc == PT_OK) {
        if (owner)
            *owner = r.member_id;
        rc = r.member_id == m->id ? PT_OK : PT_EEXIST;
        pt_identity_rec_free(&r);
        return rc;
    }
    if (rc == PT_ENOTFOUND) {
        r.member_id = m->id;
        r.kind = kind;
        r.added_at = at;
        snprintf(r.source, sizeof r.source, "%s", source);
        rc = pt_crypt_seal(&m->key, m->id, normalised, strlen(normalised), &r.value);
        if (rc == PT_OK)
            rc = pt_store_identity_insert(pt_db_store(db), &r);
    }
    pt_identity_rec_free(&r);
    return rc ? pt__db_store_error(db, rc, "adding identifier") : PT_OK;
}

struct list_ctx {
    const pt_member *m;
    pt_ident_cb      cb;
    void            *ud;
};

static int list_one(void *ud, const pt_identity_rec *r)
{
    struct list_ctx *c = ud;
    pt_ident id = {.id = r->id, .kind = r->kind, .added_at = r->added_at};
    pt_buf clear;
    pt_buf_init(&clear, PT_VALUE_MAX);
    int rc = pt_crypt_unseal(&c->m->key, c->m->id, &r->value, &clear);
    if (rc == PT_OK) {
        snprintf(id.value, sizeof id.value, "%s", pt_buf_str(&clear));
        snprintf(id.source, sizeof id.source, "%s", r->source);
        rc = c->cb(c->ud, &id);
    }
    pt_buf_wipe(&clear);
    sodium_memzero(id.value, sizeof id.value);
    return rc;
}

int pt_identity_list(pt_db *db, const pt_member *m, pt_ident_cb cb, void *ud)
{
    struct list_ctx c = {m, cb, ud};
    if (!m->has_key)
        return PT_OK;
    return pt_store_identity_list(pt_db_store(db), m->id, list_one, &c);
}

/* --- survivorship ------------------------------------------------------------------------ */

static int survive_takes(const pt_config *cfg, int field, const pt_field_src *have, const pt_field_src *incoming)
{
    switch (cfg->rule[field]) {
    case PT_SURVIVE_KEEP_EXISTING:
        return 0;
    case PT_SURVIVE_MOST_TRUSTED: {
        int a = pt_config_trust_rank(cfg, incoming->source), b = pt_config_trust_rank(cfg, have->source);
        if (a != b)
            return a < b;
        return incoming->at >= have->at;
    }
    default:
        return incoming->at >= have->at;
    }
}

/* Offers one value to dst; *took = 1 if dst now holds it. When two non-empty values disagree
 * the rule decides, *conflicts grows by one and (under an import run) the conflict is recorded. */
static int survive_field(pt_db *db, pt_member *dst, int f, const char *val, const pt_field_src *src,
                         int64_t import_run, int *took, int *conflicts)
{
    size_t cap;
    char *have = pt_member_field(dst, f, &cap);
    *took = 0;
    if (!val[0] || strcmp(have, val) == 0)
        return PT_OK;
    int take = !have[0], rc = PT_OK;
    if (!take) {
        const pt_config *cfg = pt_db_config(db);
        take = survive_takes(cfg, f, &dst->src[f], src);
        ++*conflicts;
        pt_conflict_rec c = {.import_run = import_run, .member_id = dst->id, .field = f};
        snprintf(c.rule, sizeof c.rule, "%s", pt_survive_rule_name(cfg->rule[f]));
        snprintf(c.kept_source, sizeof c.kept_source, "%s", take ? src->source : dst->src[f].source);
        snprintf(c.other_source, sizeof c.other_source, "%s", take ? dst->src[f].source : src->source);
        if (import_run)
            rc = pt_store_conflict_insert(pt_db_store(db), &c);
    }
    if (take) {
        snprintf(have, cap, "%s", val);
        dst->src[f] = *src;
    }
    *took = take;
    return rc;
}

static void survive_consent(pt_member *dst, uint32_t known, uint32_t given, const int64_t at[PT_CONSENT__COUNT])
{
    for (int k = 0; k < PT_CONSENT__COUNT; k++) {
        uint32_t bit = PT_CONSENT_BIT(k);
        if (!(known & bit) || at[k] < dst->consent_at[k])
            continue;
        dst->consent = (dst->consent & ~bit) | (given & bit);
        dst->consent_at[k] = at[k];
    }
}

static void survive_registration(pt_member *dst, const pt_member *other)
{
    if (other->registered_at && (!dst->registered_at || other->registered_at < dst->registered_at)) {
        dst->registered_at = other->registered_at;
        if (other->reg_channel[0])
            snprintf(dst->reg_channel, sizeof dst->reg_channel, "%s", other->reg_channel);
    }
}

/* --- merge ------------------------------------------------------------------------------- */

static int seal_profile(const pt_member *m, pt_buf *out)
{
    json_t *fields = json_object(), *src = json_object();
    for (int f = 0; f < PT_F__COUNT; f++) {
        json_object_set_new(fields, pt_field_name(f), json_string(pt_member_field((pt_member *)m, f, NULL)));
        json_object_set_new(src, pt_field_name(f), json_pack("[s,I]", m->src[f].source, (json_int_t)m->src[f].at));
    }
    json_t *o = json_pack("{s:o,s:o}", "fields", fields, "src", src);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!s)
        return PT_ENOMEM;
    int rc = pt_crypt_seal(&m->key, m->id, s, strlen(s), out);
    sodium_memzero(s, strlen(s));
    free(s);
    return rc;
}

struct move_ctx {
    pt_db        *db;
    pt_member    *to;
    int64_t       merge_id;
    const int64_t *only;   /* NULL: every identifier of the member; else these ids */
    size_t        nonly;
    int64_t       ids[512];
    size_t        nids;
};

/* Re-seals one identifier under c->to's key and gives it to c->to. */
static int move_ident(void *ud, const pt_ident *id)
{
    struct move_ctx *c = ud;
    int wanted = !c->only;
    for (size_t i = 0; !wanted && i < c->nonly; i++)
        wanted = c->only[i] == id->id;
    if (!wanted)
        return 0;
    pt_identity_rec r;
    pt_identity_rec_init(&r);
    r.id = id->id;
    r.member_id = c->to->id;
    r.kind = id->kind;
    snprintf(r.source, sizeof r.source, "%s", id->source);
    int rc = pt_crypt_seal(&c->to->key, c->to->id, id->value, strlen(id->value), &r.value);
    if (rc == PT_OK)
        rc = pt_store_identity_update(pt_db_store(c->db), &r);
    if (rc == PT_OK && c->merge_id)
        rc = pt_store_merge_moved_add(pt_db_store(c->db), c->merge_id, PT_ROW_IDENTITY, id->id);
    pt_identity_rec_free(&r);
    return rc;
}

static int merge_fields(pt_db *db, pt_member *s, const pt_member *l, int64_t run, uint32_t *taken, int *conflicts)
{
    int rc = PT_OK;
    for (int f = 0; rc == PT_OK && f < PT_F__COUNT; f++) {
        int took = 0;
        const char *val = pt_member_field((pt_member *)l, f, NULL);
        rc = survive_field(db, s, f, val, &l->src[f], run, &took, conflicts);
        if (took)
            *taken |= 1u << f;
    }
    survive_consent(s, (1u << PT_CONSENT__COUNT) - 1, l->consent, l->consent_at);
    survive_registration(s, l);
    return rc;
}

static int merge_in_tx(pt_db *db, pt_member *s, pt_member *l, const char *reason, int64_t run,
                       int64_t *merge_id, int *conflicts)
{
    pt_store *st = pt_db_store(db);
    pt_merge_rec mr;
    pt_merge_rec_init(&mr);
    mr.survivor_id = s->id;
    mr.loser_id = l->id;
    mr.merged_at = pt_db_now(db);
    snprintf(mr.reason, sizeof mr.reason, "%s", reason);
    int rc = seal_profile(s, &mr.survivor_before);
    if (rc == PT_OK)
        rc = merge_fields(db, s, l, run, &mr.fields_taken, conflicts);
    if (rc == PT_OK)
        rc = pt_store_merge_insert(st, &mr);
    struct move_ctx mc = {.db = db, .to = s, .merge_id = mr.id};
    if (rc == PT_OK)
        rc = pt_identity_list(db, l, move_ident, &mc);
    if (rc == PT_OK)
        rc = pt_store_member_move_rows(st, mr.id, l->id, s->id);
    l->merged_into = s->id;
    if (rc == PT_OK)
        rc = pt_member_save(db, l);
    if (rc == PT_OK)
        rc = pt_member_save(db, s);
    if (rc == PT_OK && merge_id)
        *merge_id = mr.id;
    pt_merge_rec_free(&mr);
    return rc;
}

static int merge_members(pt_db *db, int64_t survivor_id, int64_t loser_id, const char *reason,
                         int64_t import_run, int64_t *merge_id, int *conflicts)
{
    if (survivor_id == loser_id)
        return pt__db_error(db, PT_EINVAL, "cannot merge a member into itself");
    pt_store *st = pt_db_store(db);
    pt_member s, l;
    int rc = pt_member_load(db, survivor_id, &s);
    if (rc)
        return rc;
    rc = pt_member_load(db, loser_id, &l);
    if (rc) {
        pt_member_wipe(&s);
        return rc;
    }
    if (s.merged_into || l.merged_into || s.status == PT_MEMBER_ERASED || l.status == PT_MEMBER_ERASED)
        rc = pt__db_error(db, PT_ESTATE, "members %s and %s cannot merge: one is erased or already merged",
                          s.member_no, l.member_no);
    if (rc == PT_OK)
        rc = pt_store_begin(st);
    if (rc == PT_OK) {
        rc = merge_in_tx(db, &s, &l, reason, import_run, merge_id, conflicts);
        if (rc == PT_OK)
            rc = pt_store_commit(st);
        if (rc) /* a failed commit leaves the level open too */
            pt_store_rollback(st);
        if (rc && !pt_db_errmsg(db)[0])
            pt__db_store_error(db, rc, "merging members");
    }
    pt_member_wipe(&s);
    pt_member_wipe(&l);
    return rc;
}

int pt_member_merge(pt_db *db, int64_t survivor_id, int64_t loser_id, const char *reason,
                    int64_t import_run, int64_t *merge_id)
{
    int outer = !pt_store_in_tx(pt_db_store(db)), rc;
    for (int i = 0;; i++) {
        int conflicts = 0;
        rc = merge_members(db, survivor_id, loser_id, reason, import_run, merge_id, &conflicts);
        if (rc != PT_ERETRY || !outer || i + 1 == PT__TX_TRIES)
            return rc;
        pt__tx_backoff(i);
    }
}

/* --- unmerge ----------------------------------------------------------------------------- */

static int restore_fields(pt_member *s, const pt_member *l, uint32_t taken, const pt_buf *before)
{
    json_t *o;
    int rc = pt__member_unseal_json(s, before, &o);
    if (rc)
        return rc;
    json_t *fields = json_object_get(o, "fields"), *src = json_object_get(o, "src");
    for (int f = 0; f < PT_F__COUNT; f++) {
        size_t cap;
        char *have = pt_member_field(s, f, &cap);
        const char *lv = pt_member_field((pt_member *)l, f, NULL);
        if (!(taken & (1u << f)) || strcmp(have, lv) != 0)
            continue; /* not taken from the loser, or changed since the merge */
        json_t *v = json_object_get(fields, pt_field_name(f)), *sv = json_object_get(src, pt_field_name(f));
        snprintf(have, cap, "%s", json_is_string(v) ? json_string_value(v) : "");
        snprintf(s->src[f].source, PT_LABEL_MAX, "%s", json_string_value(json_array_get(sv, 0)) ?: "");
        s->src[f].at = (int64_t)json_integer_value(json_array_get(sv, 1));
    }
    json_decref(o);
    return PT_OK;
}

static int collect_moved_idents(void *ud, int kind, int64_t row_id)
{
    struct move_ctx *c = ud;
    if (kind != PT_ROW_IDENTITY)
        return 0;
    if (c->nids == sizeof c->ids / sizeof *c->ids)
        return PT_ETOOBIG;
    c->ids[c->nids++] = row_id;
    return 0;
}

static int unmerge_in_tx(pt_db *db, const pt_merge_rec *mr, pt_member *s, pt_member *l)
{
    pt_store *st = pt_db_store(db);
    struct move_ctx moved = {.db = db};
    int rc = pt_store_merge_moved_list(st, mr->id, collect_moved_idents, &moved);
    struct move_ctx mc = {.db = db, .to = l, .only = moved.ids, .nonly = moved.nids};
    if (rc == PT_OK)
        rc = pt_identity_list(db, s, move_ident, &mc);
    if (rc == PT_OK)
        rc = pt_store_member_unmove_rows(st, mr->id, l->id);
    if (rc == PT_OK)
        rc = restore_fields(s, l, mr->fields_taken, &mr->survivor_before);
    l->merged_into = 0;
    if (rc == PT_OK)
        rc = pt_member_save(db, l);
    if (rc == PT_OK)
        rc = pt_member_save(db, s);
    if (rc == PT_OK)
        rc = pt_store_merge_mark_undone(st, mr->id, pt_db_now(db));
    return rc;
}

static int unmerge_once(pt_db *db, int64_t merge_id)
{
    pt_store *st = pt_db_store(db);
    pt_merge_rec mr;
    pt_merge_rec_init(&mr);
    pt_member s, l;
    pt_member_init(&s);
    pt_member_init(&l);
    int rc = pt_store_merge_get(st, merge_id, &mr);
    if (rc)
        rc = pt__db_error(db, rc, "no merge with id %lld", (long long)merge_id);
    else if (mr.undone_at)
        rc = pt__db_error(db, PT_ESTATE, "merge %lld was already undone", (long long)merge_id);
    if (rc == PT_OK)
        rc = pt_member_load(db, mr.survivor_id, &s);
    if (rc == PT_OK)
        rc = pt_member_load(db, mr.loser_id, &l);
    if (rc == PT_OK && (s.status == PT_MEMBER_ERASED || l.status == PT_MEMBER_ERASED))
        rc = pt__db_error(db, PT_ESTATE, "merge %lld involves an erased member", (long long)merge_id);
    if (rc == PT_OK && s.merged_into)
        rc = pt__db_error(db, PT_ESTATE, "survivor %s was merged again since; undo that merge first",
                          s.member_no);
    if (rc == PT_OK && (rc = pt_store_begin(st)) == PT_OK) {
        rc = unmerge_in_tx(db, &mr, &s, &l);
        if (rc == PT_OK)
            rc = pt_store_commit(st);
        if (rc) /* a failed commit leaves the level open too */
            pt_store_rollback(st);
        if (rc)
            pt__db_store_error(db, rc, "undoing merge");
    }
    pt_merge_rec_free(&mr);
    pt_member_wipe(&s);
    pt_member_wipe(&l);
    return rc;
}

int pt_member_unmerge(pt_db *db, int64_t merge_id)
{
    int outer = !pt_store_in_tx(pt_db_store(db)), rc;
    for (int i = 0;; i++) {
        rc = unmerge_once(db, merge_id);
        if (rc != PT_ERETRY || !outer || i + 1 == PT__TX_TRIES)
            return rc;
        pt__tx_backoff(i);
    }
}

/* --- resolution of an incoming record ---------------------------------------------------- */

struct match {
    int64_t  member_id;
    uint32_t kinds; /* bit per identifier kind that pointed at it */
};

static int find_matches(pt_db *db, const pt_profile_in *in, struct match *mt, int *nmt)
{
    *nmt = 0;
    for (int i = 0; i < in->nids; i++) {
        int64_t id = 0;
        int rc = pt_identity_lookup(db, in->ids[i].kind, in->ids[i].value, &id);
        if (rc == PT_ENOTFOUND)
            continue;
        if (rc)
            return rc;
        int j = 0;
        while (j < *nmt && mt[j].member_id != id)
            j++;
        if (j == *nmt)
            mt[(*nmt)++] = (struct match){id, 0};
        mt[j].kinds |= 1u << in->ids[i].kind;
    }
    /* oldest member first: it survives */
    for (int i = 1; i < *nmt; i++)
        for (int j = i; j > 0 && mt[j].member_id < mt[j - 1].member_id; j--) {
            struct match t = mt[j];
            mt[j] = mt[j - 1];
            mt[j - 1] = t;
        }
    return PT_OK;
}

static void kinds_text(uint32_t kinds, char *out, size_t cap)
{
    out[0] = 0;
    for (int k = PT_ID_PHONE; k <= PT_ID__LAST; k++)
        if (kinds & (1u << k)) {
            size_t n = strlen(out);
            snprintf(out + n, cap - n, "%s%s", n ? "+" : "", pt_id_kind_name(k));
        }
}

static int merge_matches(pt_db *db, const pt_profile_in *in, const struct match *mt, int nmt, pt_resolve_out *out)
{
    for (int i = 1; i < nmt; i++) {
        char sk[96], lk[96], reason[160], sno[PT_MEMBER_NO_MAX], lno[PT_MEMBER_NO_MAX];
        kinds_text(mt[0].kinds, sk, sizeof sk);
        kinds_text(mt[i].kinds, lk, sizeof lk);
        pt_member_no_for_id(mt[0].member_id, sno);
        pt_member_no_for_id(mt[i].member_id, lno);
        snprintf(reason, sizeof reason, "one %s record links %s (by %s) and %s (by %s)", in->source,
                 sno, sk, lno, lk);
        int rc = merge_members(db, mt[0].member_id, mt[i].member_id, reason, in->import_run, NULL, &out->conflicts);
        if (rc)
            return rc;
        out->merged++;
    }
    return PT_OK;
}

/* Applies the incoming profile to m under the survivorship rules. */
static int apply_profile(pt_db *db, pt_member *m, const pt_profile_in *in, int *conflicts)
{
    pt_field_src src = {.at = in->observed_at};
    snprintf(src.source, sizeof src.source, "%s", in->source);
    int rc = PT_OK;
    for (int f = 0; rc == PT_OK && f < PT_F__COUNT; f++) {
        int took = 0;
        rc = survive_field(db, m, f, pt_member_field((pt_member *)&in->m, f, NULL), &src, in->import_run, &took,
                           conflicts);
    }
    survive_consent(m, in->consent_known, in->consent_given, in->m.consent_at);
    survive_registration(m, &in->m);
    if (!m->reg_channel[0])
        snprintf(m->reg_channel, sizeof m->reg_channel, "%s", in->m.reg_channel[0] ? in->m.reg_channel : in->source);
    return rc;
}

static int resolve_in_tx(pt_db *db, pt_profile_in *in, pt_resolve_out *out)
{
    struct match mt[PT_RESOLVE_MAX_IDS];
    int nmt = 0;
    int rc = find_matches(db, in, mt, &nmt);
    if (rc == PT_OK)
        rc = merge_matches(db, in, mt, nmt, out);
    if (rc)
        return rc;
    pt_member m;
    if (nmt == 0) {
        pt_member_init(&m);
        rc = apply_profile(db, &m, in, &out->conflicts);
        if (rc == PT_OK)
            rc = pt_member_create(db, &m);
        out->created = 1;
    } else {
        rc = pt_member_load(db, mt[0].member_id, &m);
        if (rc == PT_OK)
            rc = apply_profile(db, &m, in, &out->conflicts);
        if (rc == PT_OK)
            rc = pt_member_save(db, &m);
        out->attached = 1;
    }
    for (int i = 0; rc == PT_OK && i < in->nids; i++)
        rc = pt_identity_attach(db, &m, in->ids[i].kind, in->ids[i].value, in->source, in->observed_at, NULL);
    out->member_id = m.id;
    pt_member_wipe(&m);
    return rc;
}

/* resolve_in_tx in a transaction of its own (a savepoint inside the caller's), retried when a
 * concurrent writer forced a rollback and the transaction is ours to retry. */
static int resolve_tx(pt_db *db, pt_profile_in *in, pt_resolve_out *out)
{
    pt_store *st = pt_db_store(db);
    int outer = !pt_store_in_tx(st), rc;
    for (int i = 0;; i++) {
        memset(out, 0, sizeof *out);
        if ((rc = pt_store_begin(st)))
            return pt__db_store_error(db, rc, "resolving record");
        rc = resolve_in_tx(db, in, out);
        if (rc == PT_OK && (rc = pt_store_commit(st)))
            pt__db_store_error(db, rc, "resolving record");
        if (rc && pt_store_in_tx(st))
            pt_store_rollback(st);
        if (rc != PT_ERETRY || !outer || i + 1 == PT__TX_TRIES)
            return rc;
        pt__tx_backoff(i);
    }
}

int pt_identity_resolve(pt_db *db, pt_profile_in *in, pt_resolve_out *out)
{
    memset(out, 0, sizeof *out);
    if (in->nids == 0)
        return pt__db_error(db, PT_EINVAL, "record has no identifier");
    return resolve_tx(db, in, out);
}

/* A record without identifiers cannot be resolved (nothing to find it by); a channel that
 * guards its retries otherwise (the server's Idempotency-Key) creates the member outright —
 * resolve_in_tx's no-match branch, with the same transaction and retries. */
int pt_identity_create(pt_db *db, pt_profile_in *in, pt_resolve_out *out)
{
    memset(out, 0, sizeof *out);
    if (in->nids != 0)
        return pt__db_error(db, PT_EINVAL, "a record with identifiers is resolved, not created");
    return resolve_tx(db, in, out);
}

struct merge_of_ctx {
    int64_t loser;
    int64_t merge_id;
};

static int find_merge_of(void *ud, const pt_merge_rec *r)
{
    struct merge_of_ctx *c = ud;
    if (r->loser_id == c->loser && !r->undone_at)
        c->merge_id = r->id;
    return 0;
}

int pt_member_merge_of(pt_db *db, int64_t loser_id, int64_t *merge_id)
{
    struct merge_of_ctx c = {loser_id, 0};
    int rc = pt_store_merge_list(pt_db_store(db), loser_id, find_merge_of, &c);
    if (rc)
        return pt__db_store_error(db, rc, "reading merges");
    if (!c.merge_id)
        return pt__db_error(db, PT_ENOTFOUND, "that member is not merged into another");
    *merge_id = c.merge_id;
    return PT_OK;
}

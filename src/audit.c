/* audit.c — appends to and verifies the hash-chained audit log (see audit.h).
 *
 * Link: hash = MAC(prev ‖ le64 member_id ‖ le64 seq ‖ le64 at ‖ actor ‖ 0 ‖ action ‖ 0 ‖ detail),
 * with prev = 32 zero bytes for seq 1. Invariants: seqs of a chain are 1..n without gaps; the
 * head row holds (n, hash of record n); records are never updated or deleted by Patron.
 *
 * Every record is also an event for other systems: pt_audit_append enqueues it in the outbox
 * (outbox.h) in the same transaction — kind = the action ("points.earn", "tier.change",
 * "member.erase", …), payload = audit seq, actor and the detail, which by the rule above never
 * holds personal data. So every audited change (points, tier, coupons, merges, erasure) reaches
 * the webhooks if and only if it committed. Triggers and campaigns write their own, richer
 * message and are skipped here.
 */
#include "patron/audit.h"
#include "patron/error.h"
#include "patron/outbox.h"
#include "patron/store_ledger.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int put_le64(pt_buf *b, int64_t v)
{
    uint8_t x[8];
    for (int i = 0; i < 8; i++)
        x[i] = (uint8_t)((uint64_t)v >> (8 * i));
    return pt_buf_append(b, x, 8);
}

static int link_hash(const pt_crypt *c, const pt_audit_rec *r, uint8_t out[PT_HASH_LEN])
{
    pt_buf m;
    pt_buf_init(&m, ((size_t)1 << 20));
    int rc = pt_buf_append(&m, r->prev, PT_HASH_LEN);
    if (rc == PT_OK)
        rc = put_le64(&m, r->member_id);
    if (rc == PT_OK)
        rc = put_le64(&m, r->seq);
    if (rc == PT_OK)
        rc = put_le64(&m, r->at);
    if (rc == PT_OK)
        rc = pt_buf_append(&m, r->actor, strlen(r->actor) + 1);
    if (rc == PT_OK)
        rc = pt_buf_append(&m, r->action, strlen(r->action) + 1);
    if (rc == PT_OK && r->detail.len)
        rc = pt_buf_append(&m, r->detail.data, r->detail.len);
    if (rc == PT_OK)
        pt_crypt_audit_mac(c, m.data, m.len, out);
    pt_buf_free(&m);
    return rc;
}

/* The actor as a JSON string body: the characters JSON needs escaped are replaced by '_'
 * (actors are operator names and module names; nothing is lost that the audit log lacks). */
static void actor_json(const char *actor, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = actor; *p && n + 1 < cap; p++)
        out[n++] = (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) ? '_' : *p;
    out[n] = 0;
}

/* The record's event in the outbox (see the top of this file). */
static int audit_event(pt_store *s, const pt_audit_rec *r, const char *detail_json)
{
    if (strncmp(r->action, "trigger.", 8) == 0 || strncmp(r->action, "campaign.", 9) == 0)
        return PT_OK;
    char actor[PT_CODE_MAX], payload[PT_OUTBOX_PAYLOAD_MAX];
    actor_json(r->actor, actor, sizeof actor);
    int n = snprintf(payload, sizeof payload, "{\"audit_seq\":%lld,\"actor\":\"%s\",\"detail\":%s}",
                     (long long)r->seq, actor, detail_json && *detail_json ? detail_json : "null");
    if (n < 0 || (size_t)n >= sizeof payload) /* too long to carry: the receiver can ask by seq */
        snprintf(payload, sizeof payload, "{\"audit_seq\":%lld,\"actor\":\"%s\",\"detail\":null,"
                 "\"detail_omitted\":true}", (long long)r->seq, actor);
    return pt_outbox_enqueue(s, r->member_id, r->action, payload, r->at, NULL);
}

int pt_audit_append(pt_store *s, const pt_crypt *c, int64_t member_id, int64_t at, const char *actor,
                    const char *action, const char *detail_json)
{
    pt_audit_head_rec head = {.member_id = member_id};
    int rc = pt_store_audit_head_get(s, member_id, 1, &head);
    if (rc == PT_ENOTFOUND) {
        memset(&head, 0, sizeof head);
        head.member_id = member_id;
        rc = PT_OK;
    }
    if (rc)
        return rc;
    pt_audit_rec r;
    pt_audit_rec_init(&r);
    r.member_id = member_id;
    r.seq = head.seq + 1;
    r.at = at;
    snprintf(r.actor, sizeof r.actor, "%s", actor && *actor ? actor : "system");
    snprintf(r.action, sizeof r.action, "%s", action);
    memcpy(r.prev, head.hash, PT_HASH_LEN);
    rc = pt_buf_set(&r.detail, detail_json, strlen(detail_json));
    if (rc == PT_OK)
        rc = link_hash(c, &r, r.hash);
    if (rc == PT_OK)
        rc = pt_store_audit_insert(s, &r);
    if (rc == PT_OK) {
        head.seq = r.seq;
        memcpy(head.hash, r.hash, PT_HASH_LEN);
        rc = pt_store_audit_head_put(s, &head);
    }
    if (rc == PT_OK)
        rc = audit_event(s, &r, detail_json);
    pt_audit_rec_free(&r);
    return rc;
}

/* --- verification ------------------------------------------------------------------------- */

struct verify {
    const pt_crypt     *crypt;
    pt_audit_problem_cb cb;
    void               *ud;
    pt_audit_report    *rep;
    pt_audit_head_rec  *heads;   /* ascending member_id */
    unsigned char      *seen;    /* per head: its chain has records */
    size_t              nheads, cap;
    int64_t             member;  /* chain being walked */
    int64_t             seq;     /* last seq seen in it */
    uint8_t             last[PT_HASH_LEN];
    int                 in_chain;
};

static void problem(struct verify *v, int64_t member_id, int64_t seq, const char *what)
{
    v->rep->problems++;
    if (v->cb)
        v->cb(v->ud, member_id, seq, what);
}

static int collect_head(void *ud, const pt_audit_head_rec *h)
{
    struct verify *v = ud;
    if (v->nheads == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 256;
        pt_audit_head_rec *n = realloc(v->heads, cap * sizeof *n);
        if (!n)
            return PT_ENOMEM;
        v->heads = n;
        v->cap = cap;
    }
    v->heads[v->nheads++] = *h;
    return PT_OK;
}

static ptrdiff_t find_head(const struct verify *v, int64_t member_id)
{
    size_t lo = 0, hi = v->nheads;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->heads[mid].member_id < member_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < v->nheads && v->heads[lo].member_id == member_id ? (ptrdiff_t)lo : -1;
}

/* The walked chain ended: its last record must be what the head says. */
static void end_chain(struct verify *v)
{
    if (!v->in_chain)
        return;
    v->in_chain = 0;
    ptrdiff_t i = find_head(v, v->member);
    if (i < 0) {
        problem(v, v->member, 0, "records without a chain head");
        return;
    }
    const pt_audit_head_rec *h = &v->heads[i];
    v->seen[i] = 1;
    if (h->seq != v->seq || memcmp(h->hash, v->last, PT_HASH_LEN) != 0)
        problem(v, v->member, h->seq, "chain does not end at its head (records deleted or head changed)");
}

static int check_record(void *ud, const pt_audit_rec *r)
{
    struct verify *v = ud;
    if (!v->in_chain || r->member_id != v->member) {
        end_chain(v);
        v->rep->chains++;
        v->in_chain = 1;
        v->member = r->member_id;
        v->seq = 0;
        memset(v->last, 0, PT_HASH_LEN);
    }
    v->rep->records++;
    uint8_t want[PT_HASH_LEN];
    int rc = link_hash(v->crypt, r, want);
    if (rc)
        return rc;
    if (r->seq != v->seq + 1)
        problem(v, r->member_id, r->seq, "sequence gap (a record was deleted)");
    else if (memcmp(r->prev, v->last, PT_HASH_LEN) != 0)
        problem(v, r->member_id, r->seq, "link to the previous record is broken");
    if (memcmp(want, r->hash, PT_HASH_LEN) != 0)
        problem(v, r->member_id, r->seq, "record was changed (hash mismatch)");
    v->seq = r->seq;
    memcpy(v->last, r->hash, PT_HASH_LEN);
    return PT_OK;
}

int pt_audit_verify(pt_store *s, const pt_crypt *c, pt_audit_problem_cb cb, void *ud, pt_audit_report *rep)
{
    pt_audit_report local;
    if (!rep)
        rep = &local;
    memset(rep, 0, sizeof *rep);
    struct verify v = {.crypt = c, .cb = cb, .ud = ud, .rep = rep};
    int rc = pt_store_audit_head_scan(s, collect_head, &v);
    if (rc == PT_OK && !(v.seen = calloc(v.nheads + 1, 1)))
        rc = PT_ENOMEM;
    if (rc == PT_OK)
        rc = pt_store_audit_scan(s, check_record, &v);
    if (rc == PT_OK)
        end_chain(&v);
    for (size_t i = 0; rc == PT_OK && i < v.nheads; i++)
        if (!v.seen[i])
            problem(&v, v.heads[i].member_id, v.heads[i].seq, "chain head without records (chain deleted)");
    free(v.heads);
    free(v.seen);
    if (rc)
        return rc;
    return rep->problems ? PT_ECORRUPT : PT_OK;
}

/* ledger.c — the points ledger's operations (see ledger.h for the model).
 *
 * Each write runs `run_op`: begin a locking transaction, lock (or create) the member's
 * account, answer from the idempotency key if it was used before, process the member's due
 * lots, do the operation, store the account, append the audit record, remember the key with
 * its result, commit. Any failure rolls the whole write back; PT_ERETRY (deadlock,
 * serialization failure) retries it from the start a few times.
 */
#include "ledger_int.h"
#include "db_int.h"
#include "patron/audit.h"
#include "patron/error.h"
#include "patron/member.h"
#include "patron/tz.h"

#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRIES 8

int pt__ledger_error(pt_ledger *l, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->errmsg, sizeof l->errmsg, fmt, ap);
    va_end(ap);
    return rc;
}

static int store_error(pt_ledger *l, int rc)
{
    return pt__ledger_error(l, rc, "%s", pt_store_errmsg(l->s));
}

const char *pt_ledger_errmsg(const pt_ledger *l)
{
    return l->errmsg;
}

const pt_programme *pt_ledger_programme(const pt_ledger *l)
{
    return &l->prog;
}

/* --- open --------------------------------------------------------------------------------- */

/* Stores the programme version (once) and makes it current. Openers race harmlessly: the
 * version insert is idempotent and a lost serialization race is retried. */
static int record_programme_once(pt_ledger *l, const pt_buf *canon)
{
    int rc = pt_store_begin(l->s);
    if (rc)
        return rc;
    int64_t now = pt_db_now(l->db);
    rc = pt_store_programme_insert(l->s, l->version, (const char *)canon->data, now);
    if (rc == PT_OK) {
        char detail[96];
        snprintf(detail, sizeof detail, "{\"programme\":\"%s\"}", l->version);
        rc = pt_audit_append(l->s, l->crypt, 0, now, "system", "programme.load", detail);
    } else if (rc == PT_EEXIST) {
        rc = PT_OK;
    }
    if (rc == PT_OK)
        rc = pt_store_meta_set(l->s, "programme.current", l->version);
    if (rc == PT_OK)
        rc = pt_store_commit(l->s);
    if (rc && pt_store_in_tx(l->s))
        pt_store_rollback(l->s);
    return rc;
}

static int record_programme(pt_ledger *l)
{
    pt_buf canon, current;
    pt_buf_init(&canon, (size_t)4 << 20);
    pt_buf_init(&current, 64);
    int rc = pt_programme_canonical(&l->prog, &canon, l->version);
    if (rc == PT_OK && pt_store_meta_get(l->s, "programme.current", &current) == PT_OK &&
        strcmp((const char *)current.data, l->version) == 0)
        goto out; /* already current: nothing to write */
    for (int i = 0; rc == PT_OK && i < RETRIES; i++)
        if ((rc = record_programme_once(l, &canon)) == PT_ERETRY)
            rc = PT_OK;
        else
            break;
out:
    pt_buf_free(&canon);
    pt_buf_free(&current);
    return rc;
}

int pt_ledger_open(pt_ledger **out, pt_db *db, const pt_programme *p)
{
    *out = NULL;
    if (p->ntiers < 1)
        return PT_EINVAL;
    pt_ledger *l = calloc(1, sizeof *l);
    if (!l)
        return PT_ENOMEM;
    l->db = db;
    l->s = pt_db_store(db);
    l->crypt = pt_db_crypt(db);
    l->prog = *p;
    int rc = record_programme(l);
    if (rc) {
        free(l);
        return rc;
    }
    *out = l;
    return PT_OK;
}

void pt_ledger_close(pt_ledger *l)
{
    free(l);
}

/* --- results and idempotency -------------------------------------------------------------- */

static void result_from(const struct op *o, pt_ledger_result *r)
{
    r->member_id = o->member_id;
    r->balance = o->acct.balance;
    r->pending = o->acct.pending;
    r->overdraft = o->acct.overdraft;
    r->debt = o->acct.debt;
    r->growth = o->acct.growth;
    snprintf(r->tier, sizeof r->tier, "%s", o->acct.tier);
}

static json_t *result_json(const pt_ledger_result *r)
{
    return json_pack("{sI sI sI sI sI sI sI sI ss sI sI sI}", "member_id", (json_int_t)r->member_id, "entry_id",
                     (json_int_t)r->entry_id, "points", (json_int_t)r->points, "balance", (json_int_t)r->balance,
                     "pending", (json_int_t)r->pending, "overdraft", (json_int_t)r->overdraft, "debt",
                     (json_int_t)r->debt, "growth", (json_int_t)r->growth, "tier", r->tier, "lot_id",
                     (json_int_t)r->lot_id, "expires_at", (json_int_t)r->expires_at, "available_at",
                     (json_int_t)r->available_at);
}

static int result_parse(const pt_buf *b, pt_ledger_result *r)
{
    json_error_t err;
    json_t *j = json_loadb((const char *)b->data, b->len, 0, &err);
    if (!j)
        return PT_ECORRUPT;
    const char *tier = "";
    json_int_t v[11] = {0};
    int bad = json_unpack(j, "{sI sI sI sI sI sI sI sI ss sI sI sI}", "member_id", &v[0], "entry_id", &v[1],
                          "points", &v[2], "balance", &v[3], "pending", &v[4], "overdraft", &v[5], "debt", &v[6],
                          "growth", &v[7], "tier", &tier, "lot_id", &v[8], "expires_at", &v[9], "available_at",
                          &v[10]);
    if (!bad) {
        *r = (pt_ledger_result){.member_id = v[0], .entry_id = v[1], .points = v[2], .balance = v[3],
                                .pending = v[4], .overdraft = v[5], .debt = v[6], .growth = v[7],
                                .lot_id = v[8], .expires_at = v[9], .available_at = v[10], .replayed = 1};
        snprintf(r->tier, sizeof r->tier, "%s", tier);
    }
    json_decref(j);
    return bad ? PT_ECORRUPT : PT_OK;
}

/* The request's fingerprint: a retry must send the same request to get the first answer. */
static void request_hash(const char *op, const char *text, uint8_t out[PT_HASH_LEN])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, PT_HASH_LEN);
    crypto_generichash_update(&st, (const uint8_t *)op, strlen(op) + 1);
    crypto_generichash_update(&st, (const uint8_t *)text, strlen(text));
    crypto_generichash_final(&st, out, PT_HASH_LEN);
}

/* PT_OK and res filled (replayed) if the key was used for this request; PT_ENOTFOUND if
 * unused; PT_ECONFLICT if used for another request. */
static int idem_lookup(pt_ledger *l, int64_t member_id, const char *key, const char *op,
                       const uint8_t hash[PT_HASH_LEN], pt_ledger_result *res)
{
    pt_idem_rec r;
    pt_idem_rec_init(&r);
    int rc = pt_store_idem_get(l->s, member_id, key, &r);
    if (rc == PT_OK) {
        if (strcmp(r.op, op) != 0 || memcmp(r.request_hash, hash, PT_HASH_LEN) != 0)
            rc = pt__ledger_error(l, PT_ECONFLICT, "idempotency key %s was used for a different request", key);
        else
            rc = result_parse(&r.result, res);
    } else if (rc != PT_ENOTFOUND) {
        rc = store_error(l, rc);
    }
    pt_idem_rec_free(&r);
    return rc;
}

static int idem_remember(struct op *o, const char *op, const uint8_t hash[PT_HASH_LEN], const pt_ledger_result *res)
{
    pt_idem_rec r;
    pt_idem_rec_init(&r);
    r.member_id = o->member_id;
    snprintf(r.key, sizeof r.key, "%s", o->idem_key);
    snprintf(r.op, sizeof r.op, "%s", op);
    memcpy(r.request_hash, hash, PT_HASH_LEN);
    r.created_at = o->now;
    json_t *j = result_json(res);
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    int rc = text ? pt_buf_set(&r.result, text, strlen(text)) : PT_ENOMEM;
    if (rc == PT_OK)
        rc = pt_store_idem_insert(o->l->s, &r);
    free(text);
    json_decref(j);
    pt_idem_rec_free(&r);
    return rc;
}

/* --- accounts ----------------------------------------------------------------------------- */

static int add_months_utc(const pt_programme *p, int64_t t, int months, int64_t *out);
static int lock_account(struct op *o)
{
    pt_ledger *l = o->l;
    int rc = pt_store_account_get(l->s, o->member_id, 1, &o->acct);
    if (rc == PT_ENOTFOUND) {
        memset(&o->acct, 0, sizeof o->acct);
        o->acct.member_id = o->member_id;
        snprintf(o->acct.tier, sizeof o->acct.tier, "%s", l->prog.tiers[0].code);
        o->acct.tier_since = o->at;
        if ((rc = add_months_utc(&l->prog, o->at, l->prog.review_months, &o->acct.review_at)))
            return rc;
        o->acct.updated_at = o->now;
        rc = pt_store_account_insert(l->s, &o->acct);
        if (rc == PT_EEXIST) /* another writer created it first: take its lock instead */
            rc = pt_store_account_get(l->s, o->member_id, 1, &o->acct);
    }
    o->before = o->acct;
    return rc;
}

/* The same local time `months` later in the programme's zone; 0 when there are no reviews. */
static int add_months_utc(const pt_programme *p, int64_t t, int months, int64_t *out)
{
    *out = 0;
    return months > 0 ? pt_tz_add(p->timezone, PT_TZ_MONTH, t, months, out) : PT_OK;
}

static int check_member(pt_ledger *l, int64_t member_id)
{
    pt_member_rec m;
    pt_member_rec_init(&m);
    int rc = pt_store_member_get(l->s, member_id, &m);
    if (rc == PT_ENOTFOUND)
        rc = pt__ledger_error(l, PT_ENOTFOUND, "no member %lld", (long long)member_id);
    else if (rc)
        rc = store_error(l, rc);
    else if (m.merged_into)
        rc = pt__ledger_error(l, PT_ESTATE, "member %lld was merged into %lld", (long long)member_id,
                              (long long)m.merged_into);
    else if (m.status != PT_MEMBER_ACTIVE)
        rc = pt__ledger_error(l, PT_ESTATE, "member %lld is %s", (long long)member_id,
                              pt_member_status_name(m.status));
    pt_member_rec_free(&m);
    return rc;
}

/* --- the write frame ---------------------------------------------------------------------- */

typedef int (*op_body)(struct op *o, void *arg, pt_ledger_result *res);

struct op_spec {
    const char *name;        /* "points.earn", … (audit action and idempotency op) */
    int64_t     member_id;
    const char *request;     /* canonical request text, for the key's fingerprint */
    op_body     body;
    void       *arg;
};

static int audit_op(struct op *o, const char *action, const pt_ledger_result *res);

int pt__ledger_lock_account(struct op *o)
{
    return lock_account(o);
}

int pt__ledger_audit_op(struct op *o, const char *action, const pt_ledger_result *res)
{
    return audit_op(o, action, res);
}

static int audit_op(struct op *o, const char *action, const pt_ledger_result *res)
{
    char detail[512];
    snprintf(detail, sizeof detail,
             "{\"entry\":%lld,\"points\":%lld,\"balance_before\":%lld,\"balance_after\":%lld,"
             "\"pending_before\":%lld,\"pending_after\":%lld,\"growth_before\":%lld,\"growth_after\":%lld,"
             "\"debt_after\":%lld,\"overdraft_after\":%lld,\"expired\":%lld,\"released\":%lld}",
             (long long)res->entry_id, (long long)res->points, (long long)o->before.balance,
             (long long)o->acct.balance, (long long)o->before.pending, (long long)o->acct.pending,
             (long long)o->before.growth, (long long)o->acct.growth, (long long)o->acct.debt,
             (long long)o->acct.overdraft, (long long)o->due.expired_points, (long long)o->due.released_points);
    return pt_audit_append(o->l->s, o->l->crypt, o->member_id, o->now, o->actor, action, detail);
}

static int attempt(pt_ledger *l, const struct op_spec *sp, const pt_ledger_req *req, pt_ledger_result *res)
{
    struct op o = {.l = l, .member_id = sp->member_id, .now = pt_db_now(l->db)};
    o.at = req && req->at ? req->at : o.now;
    o.actor = req && req->actor && *req->actor ? req->actor : "system";
    o.idem_key = req ? req->idem_key : NULL;
    uint8_t hash[PT_HASH_LEN];
    request_hash(sp->name, sp->request, hash);
    int rc = pt_store_begin_locking(l->s);
    if (rc)
        return rc;
    rc = lock_account(&o);
    if (rc == PT_OK && o.idem_key) {
        rc = idem_lookup(l, o.member_id, o.idem_key, sp->name, hash, res);
        if (rc == PT_OK) { /* replayed: write nothing */
            pt_store_rollback(l->s);
            return PT_OK;
        }
        rc = rc == PT_ENOTFOUND ? PT_OK : rc;
    }
    if (rc == PT_OK)
        rc = pt__ledger_process_due(&o, o.at);
    if (rc == PT_OK)
        rc = sp->body(&o, sp->arg, res);
    if (rc == PT_OK)
        rc = pt__tier_after_write(&o);
    if (rc == PT_OK) {
        o.acct.updated_at = o.now;
        result_from(&o, res);
        rc = pt_store_account_update(l->s, &o.acct);
    }
    if (rc == PT_OK)
        rc = audit_op(&o, sp->name, res);
    if (rc == PT_OK && o.idem_key)
        rc = idem_remember(&o, sp->name, hash, res);
    if (rc == PT_OK)
        rc = pt_store_commit(l->s);
    if (rc && pt_store_in_tx(l->s))
        pt_store_rollback(l->s);
    return rc;
}

/* Runs one write, retrying transient conflicts. Inside a caller's transaction there is no
 * retry (the caller's earlier work would be lost): the error goes up. */
static int run_op(pt_ledger *l, const struct op_spec *sp, const pt_ledger_req *req, pt_ledger_result *res)
{
    memset(res, 0, sizeof *res);
    if (req && req->idem_key && (!*req->idem_key || strlen(req->idem_key) >= PT_IDEM_MAX))
        return pt__ledger_error(l, PT_EINVAL, "idempotency key must be 1–%d characters", PT_IDEM_MAX - 1);
    l->errmsg[0] = 0;
    int rc = check_member(l, sp->member_id);
    int outer = !pt_store_in_tx(l->s);
    for (int i = 0; rc == PT_OK; i++) {
        l->errmsg[0] = 0;
        memset(res, 0, sizeof *res);
        rc = attempt(l, sp, req, res);
        if (rc != PT_ERETRY || !outer || i + 1 == RETRIES)
            break;
        pt__tx_backoff(i); /* the writers that collided would collide again in step */
        rc = PT_OK;
    }
    if (rc && !l->errmsg[0]) /* failures of the store carry its message */
        store_error(l, rc);
    return rc;
}

/* --- earn --------------------------------------------------------------------------------- */

struct earn_arg {
    int     kind;            /* entry kind of the credit: EARN (0 means EARN) or ADJUST */
    int64_t points;
    int64_t growth;
    int64_t available_at;
    int64_t order_id;
    const char *ref;
    const char *note;
    const pt_earn_result *lines; /* order earns: what each line earned */
};

static int record_lines(struct op *o, const struct earn_arg *a, int64_t lot_id)
{
    const pt_earn_result *er = a->lines;
    for (int i = 0; er && i < er->nlines; i++) {
        pt_line_earn_rec le = {.member_id = o->member_id, .order_id = a->order_id, .line_no = er->lines[i].line_no,
                               .lot_id = lot_id, .points = er->lines[i].points, .growth = er->lines[i].growth};
        int r = er->lines[i].rule;
        snprintf(le.rule, sizeof le.rule, "%s", r >= 0 && r < o->l->prog.nrules ? o->l->prog.rules[r].code : "");
        int rc = pt_store_line_earn_insert(o->l->s, &le);
        if (rc == PT_EEXIST)
            return pt__ledger_error(o->l, PT_EEXIST, "order already earned points");
        if (rc)
            return rc;
    }
    return PT_OK;
}

static int earn_body(struct op *o, void *arg, pt_ledger_result *res)
{
    const struct earn_arg *a = arg;
    pt_lot_rec lot;
    pt_entry_rec earn;
    int rc = pt__ledger_new_lot(o, a->kind ? a->kind : PT_ENTRY_EARN, a->points, a->growth, a->available_at,
                                a->order_id, a->ref, a->note, &lot, &earn);
    if (rc == PT_OK)
        rc = record_lines(o, a, lot.id);
    res->entry_id = earn.id;
    res->points = a->points;
    res->lot_id = lot.id;
    res->expires_at = lot.expires_at;
    res->available_at = lot.available_at;
    return rc;
}

int pt_ledger_earn(pt_ledger *l, int64_t member_id, int64_t points, const pt_ledger_req *req, pt_ledger_result *res)
{
    if (points <= 0)
        return pt__ledger_error(l, PT_EINVAL, "points to earn must be positive");
    if (!req || !req->idem_key)
        return pt__ledger_error(l, PT_EINVAL, "an earn needs an idempotency key");
    char text[256];
    snprintf(text, sizeof text, "%lld|%lld|%s|%s|%lld", (long long)member_id, (long long)points,
             req->ref ? req->ref : "", req->note ? req->note : "", (long long)req->at);
    struct earn_arg a = {.points = points, .ref = req->ref, .note = req->note};
    struct op_spec sp = {"points.earn", member_id, text, earn_body, &a};
    return run_op(l, &sp, req, res);
}

static int by_member(const void *a, const void *b)
{
    const pt_ledger_earn_item *x = *(pt_ledger_earn_item *const *)a, *y = *(pt_ledger_earn_item *const *)b;
    return (x->member_id > y->member_id) - (x->member_id < y->member_id);
}

int pt_ledger_earn_batch(pt_ledger *l, pt_ledger_earn_item *items, size_t n)
{
    pt_ledger_earn_item **order = malloc((n ? n : 1) * sizeof *order);
    if (!order)
        return PT_ENOMEM;
    for (size_t i = 0; i < n; i++)
        order[i] = &items[i];
    qsort(order, n, sizeof *order, by_member);
    int rc = pt_store_begin_locking(l->s);
    for (size_t i = 0; rc == PT_OK && i < n; i++)
        order[i]->rc = pt_ledger_earn(l, order[i]->member_id, order[i]->points, &order[i]->req, &order[i]->res);
    if (rc == PT_OK)
        rc = pt_store_commit(l->s);
    if (rc) {
        if (pt_store_in_tx(l->s))
            pt_store_rollback(l->s);
        store_error(l, rc);
        for (size_t i = 0; i < n; i++)
            items[i].rc = rc;
    }
    free(order);
    return rc;
}

/* --- orders ------------------------------------------------------------------------------- */

struct lines {
    pt_earn_line v[PT_EARN_LINES_MAX];
    size_t       n;
    int          too_many;
};

static int collect_item(void *ud, const pt_item_rec *it)
{
    struct lines *ls = ud;
    if (ls->n == PT_EARN_LINES_MAX) {
        ls->too_many = 1;
        return 1;
    }
    pt_earn_line *e = &ls->v[ls->n++];
    memset(e, 0, sizeof *e);
    e->line_no = it->line_no;
    snprintf(e->sku, sizeof e->sku, "%s", it->sku);
    snprintf(e->category, sizeof e->category, "%s", it->category);
    e->amount_cents = it->amount_cents;
    return PT_OK;
}

/* The order's lines; an order imported without items is one line of its whole amount. */
static int order_lines(pt_ledger *l, const pt_order_rec *o, struct lines *ls)
{
    ls->n = 0;
    ls->too_many = 0;
    int rc = pt_store_item_list(l->s, o->id, collect_item, ls);
    if (ls->too_many)
        return pt__ledger_error(l, PT_ETOOBIG, "order %s has more than %d lines", o->order_no, PT_EARN_LINES_MAX);
    if (rc)
        return store_error(l, rc);
    if (ls->n == 0) {
        memset(&ls->v[0], 0, sizeof ls->v[0]);
        ls->v[0].line_no = 1;
        ls->v[0].amount_cents = o->amount_cents;
        ls->n = 1;
    }
    return PT_OK;
}

struct first_check {
    int64_t order_id;
    int64_t at;
    int     earlier;
};

static int earlier_order(void *ud, const pt_order_rec *o)
{
    struct first_check *f = ud;
    if (o->id != f->order_id && o->status == PT_ORDER_PAID &&
        (o->ordered_at < f->at || (o->ordered_at == f->at && o->id < f->order_id)))
        f->earlier = 1;
    return PT_OK;
}

static int birthday_month(pt_ledger *l, int64_t member_id)
{
    pt_member m;
    pt_member_init(&m);
    int month = 0;
    if (pt_member_load(l->db, member_id, &m) == PT_OK && strlen(m.birthday) >= 7)
        month = atoi(m.birthday + 5);
    pt_member_wipe(&m);
    return month >= 1 && month <= 12 ? month : 0;
}

struct today_sum {
    int64_t from, to;
    int64_t points;
};

static int add_today(void *ud, const pt_entry_rec *e)
{
    struct today_sum *t = ud;
    if (e->kind == PT_ENTRY_EARN && e->order_id && e->at >= t->from && e->at < t->to)
        t->points += e->points;
    return PT_OK;
}

/* The rules' context for a member at time `at`: tier, birthday, first purchase, today's earns. */
static int has_rule(const pt_programme *p, int kind)
{
    for (int i = 0; i < p->nrules; i++)
        if (p->rules[i].kind == kind)
            return 1;
    return 0;
}

/* Only what some rule reads is gathered: opening the birthday (a decryption), the member's
 * orders and today's entries are per-earn work on the hot path. */
static int earn_context(pt_ledger *l, int64_t member_id, int64_t order_id, int64_t at, const pt_account_rec *acct,
                        pt_earn_ctx *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->at = at;
    ctx->tier = acct ? pt_programme_tier_index(&l->prog, acct->tier) : 0;
    if (ctx->tier < 0)
        ctx->tier = 0;
    int rc = PT_OK;
    if (has_rule(&l->prog, PT_RULE_BIRTHDAY))
        ctx->birthday_month = birthday_month(l, member_id);
    if (has_rule(&l->prog, PT_RULE_FIRST_PURCHASE)) {
        struct first_check f = {order_id, at, 0};
        rc = pt_store_order_list(l->s, member_id, earlier_order, &f);
        ctx->first_purchase = !f.earlier;
    }
    struct today_sum t = {0, 0, 0};
    if (rc == PT_OK && l->prog.daily_points_cap > 0 &&
        pt_tz_start_of(l->prog.timezone, PT_TZ_DAY, at, &t.from) == PT_OK &&
        pt_tz_end_of(l->prog.timezone, PT_TZ_DAY, at, &t.to) == PT_OK) {
        t.to++;
        rc = pt_store_entry_list(l->s, member_id, add_today, &t);
    }
    ctx->earned_today = t.points;
    return rc ? store_error(l, rc) : PT_OK;
}

struct order_arg {
    pt_order_rec   order;
    struct lines   lines;
    pt_earn_result *trace;
};

static int rule_active(const pt_rule_def *r, int64_t at)
{
    return (!r->starts_at || r->starts_at <= at) && (!r->ends_at || at < r->ends_at);
}

static int rule_limited(const pt_rule_def *r)
{
    return r->daily_cap > 0 || r->member_cap > 0 || r->budget > 0;
}

/* What each capped rule already gave: this member today and in all, everyone in all. A budget
 * row is locked (in rule order, so concurrent earns cannot deadlock) until the commit, so two
 * earns cannot both spend the last of a budget. */
static int rule_usage(struct op *o, int64_t day, pt_earn_ctx *ctx)
{
    const pt_programme *p = &o->l->prog;
    int rc = PT_OK;
    for (int i = 0; rc == PT_OK && i < p->nrules; i++) {
        const pt_rule_def *r = &p->rules[i];
        if (!rule_limited(r) || !rule_active(r, ctx->at))
            continue;
        rc = pt_store_rule_credit_sums(o->l->s, o->member_id, r->code, day, &ctx->rule_today[i],
                                       &ctx->rule_member_total[i]);
        if (rc == PT_OK && r->budget > 0)
            rc = pt_store_rule_budget_get(o->l->s, r->code, 1, &ctx->rule_total[i]);
    }
    return rc;
}

/* Records what each capped rule gave in this earn. */
static int record_rule_usage(struct op *o, int64_t day, const pt_earn_result *er)
{
    const pt_programme *p = &o->l->prog;
    int rc = PT_OK;
    for (int i = 0; rc == PT_OK && i < p->nrules; i++) {
        if (!rule_limited(&p->rules[i]) || er->rule_points[i] <= 0)
            continue;
        rc = pt_store_rule_credit_add(o->l->s, o->member_id, p->rules[i].code, day, er->rule_points[i]);
        if (rc == PT_OK && p->rules[i].budget > 0)
            rc = pt_store_rule_budget_add(o->l->s, p->rules[i].code, er->rule_points[i]);
    }
    return rc;
}

static int earn_order_body(struct op *o, void *arg, pt_ledger_result *res)
{
    struct order_arg *a = arg;
    pt_ledger *l = o->l;
    pt_earn_ctx ctx;
    int64_t day = 0;
    int rc = earn_context(l, o->member_id, a->order.id, a->order.ordered_at, &o->acct, &ctx);
    if (rc == PT_OK && (rc = pt_tz_start_of(l->prog.timezone, PT_TZ_DAY, a->order.ordered_at, &day)))
        rc = pt__ledger_error(l, rc, "order %s: its time is out of range", a->order.order_no);
    if (rc == PT_OK)
        rc = rule_usage(o, day, &ctx);
    if (rc == PT_OK && (rc = pt_rules_evaluate_order(&l->prog, &ctx, a->lines.v, a->lines.n, a->trace)))
        rc = pt__ledger_error(l, rc, "order %s: its lines cannot be evaluated", a->order.order_no);
    if (rc == PT_OK)
        rc = record_rule_usage(o, day, a->trace);
    if (rc)
        return rc;
    int64_t window = (int64_t)l->prog.pending_days * 86400;
    struct earn_arg e = {.points = a->trace->total_points, .growth = a->trace->total_growth,
                         .available_at = window > 0 ? a->order.ordered_at + window : 0, .order_id = a->order.id,
                         .ref = a->order.order_no, .note = "order", .lines = a->trace};
    if (e.points == 0 && e.growth == 0) {
        res->points = 0;
        return record_lines(o, &e, 0);
    }
    return earn_body(o, &e, res);
}

int pt_ledger_earn_order(pt_ledger *l, const char *order_no, const pt_ledger_req *req, pt_ledger_result *res,
                         pt_earn_result *trace)
{
    struct order_arg *a = calloc(1, sizeof *a);
    pt_earn_result *own = trace ? NULL : malloc(sizeof *own);
    if (!a || (!trace && !own)) {
        free(a);
        free(own);
        return PT_ENOMEM;
    }
    a->trace = trace ? trace : own;
    int rc = pt_store_order_find_by_no(l->s, order_no, &a->order);
    if (rc == PT_ENOTFOUND)
        rc = pt__ledger_error(l, PT_ENOTFOUND, "no order %s", order_no);
    else if (rc)
        rc = store_error(l, rc);
    else if (a->order.status != PT_ORDER_PAID)
        rc = pt__ledger_error(l, PT_ESTATE, "order %s is not paid", order_no);
    if (rc == PT_OK)
        rc = order_lines(l, &a->order, &a->lines);
    if (rc == PT_OK) {
        char key[PT_IDEM_MAX];
        snprintf(key, sizeof key, "order:%s", order_no);
        pt_ledger_req r = req ? *req : (pt_ledger_req){0};
        if (!r.idem_key)
            r.idem_key = key;
        r.at = a->order.ordered_at;
        struct op_spec sp = {"points.earn_order", a->order.member_id, order_no, earn_order_body, a};
        rc = run_op(l, &sp, &r, res);
    }
    free(a);
    free(own);
    return rc;
}

int pt_ledger_preview_order(pt_ledger *l, int64_t member_id, int64_t at, const pt_earn_line *lines, size_t n,
                            pt_earn_result *out)
{
    pt_account_rec acct;
    int rc = pt_store_account_get(l->s, member_id, 0, &acct);
    if (rc && rc != PT_ENOTFOUND)
        return store_error(l, rc);
    pt_earn_ctx ctx;
    if ((rc = earn_context(l, member_id, 0, at, rc == PT_OK ? &acct : NULL, &ctx)))
        return rc;
    int64_t day = 0;
    for (int i = 0; rc == PT_OK && i < l->prog.nrules; i++) { /* what capped rules gave so far */
        const pt_rule_def *r = &l->prog.rules[i];
        if (!rule_limited(r) || !rule_active(r, at))
            continue;
        if ((rc = pt_tz_start_of(l->prog.timezone, PT_TZ_DAY, at, &day)) == PT_OK)
            rc = pt_store_rule_credit_sums(l->s, member_id, r->code, day, &ctx.rule_today[i], &ctx.rule_member_total[i]);
        if (rc == PT_OK && r->budget > 0)
            rc = pt_store_rule_budget_get(l->s, r->code, 0, &ctx.rule_total[i]);
    }
    if (rc)
        return store_error(l, rc);
    if ((rc = pt_rules_evaluate_order(&l->prog, &ctx, lines, n, out)))
        return pt__ledger_error(l, rc, "the order's lines cannot be evaluated");
    return PT_OK;
}

/* --- redeem and adjust -------------------------------------------------------------------- */

struct spend_arg {
    int64_t     points;
    int         kind;
    const char *ref;
    const char *note;
};

static int spend_body(struct op *o, void *arg, pt_ledger_result *res)
{
    const struct spend_arg *a = arg;
    if (o->acct.balance < a->points || o->acct.overdraft > 0)
        return pt__ledger_error(o->l, PT_EFUNDS, "member %lld has %lld points available, %lld needed",
                                (long long)o->member_id, (long long)o->acct.balance, (long long)a->points);
    pt_entry_rec e = {.kind = a->kind, .bucket = PT_BUCKET_AVAILABLE, .points = -a->points};
    snprintf(e.ref, sizeof e.ref, "%s", a->ref ? a->ref : "");
    snprintf(e.note, sizeof e.note, "%s", a->note ? a->note : "");
    int rc = pt__ledger_entry(o, &e);
    int64_t taken = 0;
    if (rc == PT_OK)
        rc = pt__ledger_take(o, e.id, a->points, 0, &taken);
    if (rc == PT_OK && taken != a->points)
        return pt__ledger_error(o->l, PT_ECORRUPT, "member %lld: lots hold %lld of the %lld points the balance shows",
                                (long long)o->member_id, (long long)taken, (long long)a->points);
    res->entry_id = e.id;
    res->points = -a->points;
    return rc;
}

int pt_ledger_redeem(pt_ledger *l, int64_t member_id, int64_t points, const pt_ledger_req *req,
                     pt_ledger_result *res)
{
    if (points <= 0)
        return pt__ledger_error(l, PT_EINVAL, "points to redeem must be positive");
    if (!req || !req->idem_key)
        return pt__ledger_error(l, PT_EINVAL, "a redemption needs an idempotency key");
    char text[256];
    snprintf(text, sizeof text, "%lld|%lld|%s|%s|%lld", (long long)member_id, (long long)points,
             req->ref ? req->ref : "", req->note ? req->note : "", (long long)req->at);
    struct spend_arg a = {points, PT_ENTRY_REDEEM, req->ref, req->note};
    struct op_spec sp = {"points.redeem", member_id, text, spend_body, &a};
    return run_op(l, &sp, req, res);
}

int pt_ledger_pay(pt_ledger *l, int64_t member_id, int64_t points, int64_t amount_cents, const pt_ledger_req *req,
                  pt_ledger_result *res, int64_t *value_cents)
{
    const pt_programme *p = &l->prog;
    *value_cents = 0;
    if (!req || !req->idem_key)
        return pt__ledger_error(l, PT_EINVAL, "a payment needs an idempotency key");
    if (p->points_per_payment_unit <= 0 || p->payment_unit_cents <= 0)
        return pt__ledger_error(l, PT_ESTATE, "this programme does not take points as payment");
    if (points <= 0 || amount_cents <= 0 || points % p->points_per_payment_unit != 0)
        return pt__ledger_error(l, PT_EINVAL, "pay a positive multiple of %lld points for a positive amount",
                                (long long)p->points_per_payment_unit);
    int64_t max = pt_ledger_payment_max_points(p, amount_cents);
    if (points > max)
        return pt__ledger_error(l, PT_ELIMIT, "an order of %lld cents takes at most %lld points (%d.%02d%% of it)",
                                (long long)amount_cents, (long long)max, p->payment_max_bp / 100,
                                p->payment_max_bp % 100);
    char text[256], note[PT_NOTE_MAX];
    snprintf(text, sizeof text, "%lld|%lld|%lld|%s|%lld", (long long)member_id, (long long)points,
             (long long)amount_cents, req->ref ? req->ref : "", (long long)req->at);
    int64_t value = pt_ledger_points_value_cents(p, points);
    snprintf(note, sizeof note, "payment: %lld cents of an order of %lld cents", (long long)value,
             (long long)amount_cents);
    struct spend_arg a = {points, PT_ENTRY_REDEEM, req->ref, note};
    struct op_spec sp = {"points.pay", member_id, text, spend_body, &a};
    int rc = run_op(l, &sp, req, res);
    if (rc == PT_OK)
        *value_cents = value;
    return rc;
}

int pt_ledger_adjust(pt_ledger *l, int64_t member_id, int64_t delta, const pt_ledger_req *req,
                     pt_ledger_result *res)
{
    if (delta == 0)
        return pt__ledger_error(l, PT_EINVAL, "an adjustment must change the balance");
    if (!req || !req->idem_key || !req->note || !*req->note || !req->actor || !*req->actor)
        return pt__ledger_error(l, PT_EINVAL, "an adjustment needs an idempotency key, a reason and an operator");
    char text[320];
    snprintf(text, sizeof text, "%lld|%lld|%s|%s|%lld", (long long)member_id, (long long)delta, req->note,
             req->ref ? req->ref : "", (long long)req->at);
    if (delta > 0) {
        struct earn_arg a = {.kind = PT_ENTRY_ADJUST, .points = delta, .ref = req->ref, .note = req->note};
        struct op_spec sp = {"points.adjust", member_id, text, earn_body, &a};
        return run_op(l, &sp, req, res);
    }
    struct spend_arg a = {-delta, PT_ENTRY_ADJUST, req->ref, req->note};
    struct op_spec sp = {"points.adjust", member_id, text, spend_body, &a};
    return run_op(l, &sp, req, res);
}

/* --- refunds ------------------------------------------------------------------------------ */

struct refund_arg {
    pt_order_rec      order;
    const int        *lines;     /* NULL: all */
    size_t            nlines;
    pt_line_earn_rec *earned;    /* what the order's lines earned */
    size_t            nearned, cap;
};

static int collect_line(void *ud, const pt_line_earn_rec *r)
{
    struct refund_arg *a = ud;
    if (a->nearned == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        pt_line_earn_rec *v = realloc(a->earned, cap * sizeof *v);
        if (!v)
            return PT_ENOMEM;
        a->earned = v;
        a->cap = cap;
    }
    a->earned[a->nearned++] = *r;
    return PT_OK;
}

static int refunds_line(const struct refund_arg *a, int line_no)
{
    if (!a->lines)
        return 1;
    if (line_no == 0) /* order-level bonuses go with a refund of the whole order only */
        return 0;
    for (size_t i = 0; i < a->nlines; i++)
        if (a->lines[i] == line_no)
            return 1;
    return 0;
}

/* Points of the order's lot already spent (not expired, not reversed before) may be owed. */
static int refund_owed_cap(struct op *o, const struct refund_arg *a, const pt_lot_rec *lot, int64_t *cap)
{
    int64_t expired = 0, reversed_before = 0;
    int rc = pt__ledger_expired_of(o, lot->id, &expired);
    for (size_t i = 0; i < a->nearned; i++)
        reversed_before += a->earned[i].reversed_points;
    *cap = lot->points - lot->remaining - expired - reversed_before;
    if (*cap < 0)
        *cap = 0;
    return rc;
}

static int load_lines(struct op *o, struct refund_arg *a)
{
    a->nearned = 0;
    return pt_store_line_earn_list(o->l->s, o->member_id, a->order.id, collect_line, a);
}

static int refund_body(struct op *o, void *arg, pt_ledger_result *res)
{
    struct refund_arg *a = arg;
    pt_ledger *l = o->l;
    int rc = load_lines(o, a); /* under the account lock: another refund may have run */
    int64_t points = 0, growth = 0, lot_id = 0;
    for (size_t i = 0; rc == PT_OK && i < a->nearned; i++) {
        lot_id = lot_id ? lot_id : a->earned[i].lot_id;
        if (refunds_line(a, a->earned[i].line_no)) {
            points += a->earned[i].points - a->earned[i].reversed_points;
            growth += a->earned[i].growth - a->earned[i].reversed_growth;
        }
    }
    pt_lot_rec lot = {0};
    if (rc == PT_OK && lot_id)
        rc = pt_store_lot_get(l->s, o->member_id, lot_id, &lot);
    int pending = lot.state == PT_LOT_PENDING;
    int64_t from_lot = points < lot.remaining ? points : lot.remaining, cap = 0, owed = 0;
    if (rc == PT_OK && lot_id && !pending)
        rc = refund_owed_cap(o, a, &lot, &cap);
    owed = pending ? 0 : (points - from_lot < cap ? points - from_lot : cap);
    int negative = l->prog.refund_policy == PT_REFUND_NEGATIVE;
    int64_t reversed = from_lot + (negative ? owed : 0);
    pt_entry_rec e = {.kind = PT_ENTRY_REVERSE, .bucket = pending ? PT_BUCKET_PENDING : PT_BUCKET_AVAILABLE,
                      .points = -reversed, .growth = -growth, .order_id = a->order.id, .lot_id = lot_id};
    snprintf(e.ref, sizeof e.ref, "%s", a->order.order_no);
    snprintf(e.note, sizeof e.note, "refund%s", owed && !negative ? "; spent points recorded as debt" : "");
    int64_t taken = 0, recovered = 0;
    if (rc == PT_OK && (points || growth))
        rc = pt__ledger_entry(o, &e);
    if (rc == PT_OK && from_lot)
        rc = pt__ledger_take_from(o, e.id, &lot, from_lot, &taken);
    if (rc == PT_OK && owed && negative) {
        rc = pt__ledger_take(o, e.id, owed, lot_id, &recovered);
        o->acct.overdraft += owed - recovered;
    } else if (owed) {
        o->acct.debt += owed;
    }
    int all_refunded = 1;
    for (size_t i = 0; rc == PT_OK && i < a->nearned; i++) {
        pt_line_earn_rec *le = &a->earned[i];
        if (!refunds_line(a, le->line_no)) {
            all_refunded &= le->line_no == 0 || le->reversed_points == le->points;
            continue;
        }
        if (le->reversed_points == le->points && le->reversed_growth == le->growth)
            continue;
        le->reversed_points = le->points; /* what expired is forgiven, not owed again */
        le->reversed_growth = le->growth;
        rc = pt_store_line_earn_update(l->s, le);
    }
    /* every line refunded: the order no longer counts as a purchase (spend, first purchase) */
    if (rc == PT_OK && all_refunded && a->order.status == PT_ORDER_PAID)
        rc = pt_store_order_set_status(l->s, o->member_id, a->order.id, PT_ORDER_REFUNDED);
    res->entry_id = e.id;
    res->points = -reversed;
    return rc;
}

int pt_ledger_refund(pt_ledger *l, const char *order_no, const int *lines, size_t nlines, const pt_ledger_req *req,
                     pt_ledger_result *res)
{
    if (!req || !req->idem_key)
        return pt__ledger_error(l, PT_EINVAL, "a refund needs an idempotency key");
    struct refund_arg a = {.lines = nlines ? lines : NULL, .nlines = nlines};
    int rc = pt_store_order_find_by_no(l->s, order_no, &a.order);
    if (rc == PT_ENOTFOUND)
        return pt__ledger_error(l, PT_ENOTFOUND, "no order %s", order_no);
    if (rc)
        return store_error(l, rc);
    rc = pt_store_line_earn_list(l->s, a.order.member_id, a.order.id, collect_line, &a);
    if (rc == PT_OK && a.nearned == 0)
        rc = pt__ledger_error(l, PT_ESTATE, "order %s has not earned points", order_no);
    for (size_t i = 0; rc == PT_OK && i < nlines; i++) {
        int found = 0;
        for (size_t j = 0; j < a.nearned; j++)
            found |= a.earned[j].line_no == lines[i];
        if (!found || lines[i] <= 0)
            rc = pt__ledger_error(l, PT_EINVAL, "order %s has no line %d", order_no, lines[i]);
    }
    if (rc == PT_OK) {
        char text[PT_ORDER_NO_MAX + 1200];
        int n = snprintf(text, sizeof text, "%s|", order_no);
        for (size_t i = 0; i < nlines && n < (int)sizeof text - 12; i++)
            n += snprintf(text + n, sizeof text - (size_t)n, "%d,", lines[i]);
        struct op_spec sp = {"points.refund", a.order.member_id, text, refund_body, &a};
        rc = run_op(l, &sp, req, res);
    }
    free(a.earned);
    return rc;
}

/* --- the due job -------------------------------------------------------------------------- */

#define DUE_BATCH 512 /* members per committed transaction */

struct due_ids {
    int64_t *v;
    size_t   n, cap;
};

static int collect_id(void *ud, int64_t id)
{
    struct due_ids *d = ud;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 1024;
        int64_t *v = realloc(d->v, cap * sizeof *v);
        if (!v)
            return PT_ENOMEM;
        d->v = v;
        d->cap = cap;
    }
    d->v[d->n++] = id;
    return PT_OK;
}

/* One member's due lots inside the batch's transaction; the audit record names the job. */
static int due_member(pt_ledger *l, int64_t member_id, int64_t as_of, pt_ledger_job_stats *st)
{
    struct op o = {.l = l, .member_id = member_id, .at = as_of, .now = pt_db_now(l->db), .actor = "system"};
    int rc = pt_store_account_get(l->s, member_id, 1, &o.acct);
    if (rc == PT_ENOTFOUND) /* lots without an account cannot be; verify will say so */
        return PT_OK;
    o.before = o.acct;
    if (rc == PT_OK)
        rc = pt__ledger_process_due(&o, as_of);
    if (rc || (o.due.released_lots == 0 && o.due.expired_lots == 0))
        return rc;
    o.acct.updated_at = o.now;
    pt_ledger_result res = {0};
    res.points = o.due.released_points - o.due.expired_points;
    if ((rc = pt_store_account_update(l->s, &o.acct)) == PT_OK)
        rc = audit_op(&o, "points.due", &res);
    st->members++;
    st->released_lots += o.due.released_lots;
    st->released_points += o.due.released_points;
    st->expired_lots += o.due.expired_lots;
    st->expired_points += o.due.expired_points;
    return rc;
}

static int due_batch(pt_ledger *l, const int64_t *ids, size_t n, int64_t as_of, pt_ledger_job_stats *st)
{
    for (int attempt_no = 0;; attempt_no++) {
        pt_ledger_job_stats part = {0};
        int rc = pt_store_begin_locking(l->s);
        for (size_t i = 0; rc == PT_OK && i < n; i++)
            rc = due_member(l, ids[i], as_of, &part);
        if (rc == PT_OK)
            rc = pt_store_commit(l->s);
        if (rc && pt_store_in_tx(l->s))
            pt_store_rollback(l->s);
        if (rc == PT_OK) {
            st->members += part.members;
            st->released_lots += part.released_lots;
            st->released_points += part.released_points;
            st->expired_lots += part.expired_lots;
            st->expired_points += part.expired_points;
        }
        if (rc != PT_ERETRY || attempt_no + 1 == RETRIES)
            return rc;
    }
}

int pt_ledger_run_due(pt_ledger *l, int64_t as_of, pt_ledger_job_stats *st,
                      void (*progress)(void *ud, int64_t done), void *ud)
{
    pt_ledger_job_stats local;
    st = st ? st : &local;
    memset(st, 0, sizeof *st);
    l->errmsg[0] = 0;
    struct due_ids d = {0};
    int rc = pt_ledger_absorb_merged(l, NULL, NULL); /* merged-away members' points first */
    if (rc == PT_OK)
        rc = pt_store_lot_due_members(l->s, as_of, collect_id, &d);
    for (size_t i = 0; rc == PT_OK && i < d.n; i += DUE_BATCH) {
        size_t n = d.n - i < DUE_BATCH ? d.n - i : DUE_BATCH;
        rc = due_batch(l, d.v + i, n, as_of, st);
        if (progress)
            progress(ud, (int64_t)(i + n));
    }
    free(d.v);
    if (rc && !l->errmsg[0])
        store_error(l, rc);
    return rc;
}

/* --- reading ------------------------------------------------------------------------------ */

int pt_ledger_account(pt_ledger *l, int64_t member_id, pt_account_rec *out)
{
    int rc = pt_store_account_get(l->s, member_id, 0, out);
    if (rc == PT_ENOTFOUND)
        return pt__ledger_error(l, rc, "member %lld has no points activity", (long long)member_id);
    return rc ? store_error(l, rc) : PT_OK;
}

/* --- verification ------------------------------------------------------------------------- */

struct verify_ctx {
    pt_ledger_problem_cb cb;
    void                *ud;
    int64_t              members, problems;
};

static void report(struct verify_ctx *v, int64_t member_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(struct verify_ctx *v, int64_t member_id, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    v->problems++;
    if (v->cb)
        v->cb(v->ud, member_id, msg);
}

static int verify_member(void *ud, const pt_ledger_check_rec *c)
{
    struct verify_ctx *v = ud;
    const pt_account_rec *a = &c->account;
    int64_t m = c->member_id;
    v->members++;
    if (!c->has_account) {
        report(v, m, "ledger rows without a points account");
        return PT_OK;
    }
    if (a->balance != c->entries_available)
        report(v, m, "balance %lld ≠ sum of available entries %lld", (long long)a->balance,
               (long long)c->entries_available);
    if (a->pending != c->entries_pending)
        report(v, m, "pending %lld ≠ sum of pending entries %lld", (long long)a->pending, (long long)c->entries_pending);
    if (a->growth != c->entries_growth)
        report(v, m, "growth %lld ≠ sum of entries' growth %lld", (long long)a->growth, (long long)c->entries_growth);
    if (c->lots_remaining != a->balance + a->overdraft)
        report(v, m, "available lots hold %lld, balance + overdraft is %lld", (long long)c->lots_remaining,
               (long long)(a->balance + a->overdraft));
    if (c->lots_pending != a->pending)
        report(v, m, "pending lots hold %lld, pending is %lld", (long long)c->lots_pending, (long long)a->pending);
    if (c->lots_negative || c->lots_mismatched)
        report(v, m, "lot %lld: remaining disagrees with its points and uses (%lld lots affected)",
               (long long)c->bad_lot_id, (long long)(c->lots_negative + c->lots_mismatched));
    if (a->overdraft < 0 || a->debt < 0 || (a->overdraft > 0 && c->lots_remaining > 0))
        report(v, m, "overdraft %lld / debt %lld inconsistent with lots holding %lld", (long long)a->overdraft,
               (long long)a->debt, (long long)c->lots_remaining);
    return PT_OK;
}

int pt_ledger_verify(pt_ledger *l, pt_ledger_problem_cb cb, void *ud, int64_t *members_checked)
{
    struct verify_ctx v = {cb, ud, 0, 0};
    int rc = pt_store_ledger_check_scan(l->s, verify_member, &v);
    if (members_checked)
        *members_checked = v.members;
    if (rc)
        return store_error(l, rc);
    if (v.problems)
        return pt__ledger_error(l, PT_ECORRUPT, "%lld ledger invariant(s) broken", (long long)v.problems);
    return PT_OK;
}

/* --- points as payment, names --------------------------------------------------------------- */

int64_t pt_ledger_payment_max_points(const pt_programme *p, int64_t amount_cents)
{
    if (p->points_per_payment_unit <= 0 || p->payment_unit_cents <= 0 || amount_cents <= 0)
        return 0;
    __int128 cents = (__int128)amount_cents * p->payment_max_bp / PT_BP_ONE;
    __int128 units = cents / p->payment_unit_cents; /* whole units only: never pay past the cap */
    return (int64_t)(units * p->points_per_payment_unit);
}

int64_t pt_ledger_points_value_cents(const pt_programme *p, int64_t points)
{
    if (p->points_per_payment_unit <= 0)
        return 0;
    return points / p->points_per_payment_unit * p->payment_unit_cents;
}

const char *pt_entry_kind_name(int kind)
{
    static const char *const names[] = {"?",      "earn",   "redeem",  "expire",  "reverse",
                                        "adjust", "release", "settle", "restore", "transfer"};
    return kind > 0 && kind < (int)(sizeof names / sizeof *names) ? names[kind] : "?";
}

const char *pt_lot_state_name(int state)
{
    static const char *const names[] = {"?", "pending", "available", "cancelled", "expired"};
    return state > 0 && state < (int)(sizeof names / sizeof *names) ? names[state] : "?";
}

/* --- the current programme ------------------------------------------------------------------ */

int pt_ledger_open_current(pt_ledger **out, pt_db *db, char *errmsg, size_t errmsg_len)
{
    pt_store *s = pt_db_store(db);
    pt_buf version, canon;
    pt_buf_init(&version, 64);
    pt_buf_init(&canon, (size_t)4 << 20);
    pt_programme *p = malloc(sizeof *p);
    pt_programme_report *rep = malloc(sizeof *rep);
    int rc = p && rep ? pt_store_meta_get(s, "programme.current", &version) : PT_ENOMEM;
    if (rc == PT_ENOTFOUND)
        snprintf(errmsg, errmsg_len, "no loyalty programme loaded: run `patron programme load FILE` first");
    else if (rc == PT_OK && (rc = pt_store_programme_get(s, (const char *)version.data, &canon)))
        snprintf(errmsg, errmsg_len, "programme %s: %s", (const char *)version.data, pt_store_errmsg(s));
    else if (rc == PT_OK && (rc = pt_programme_parse((const char *)canon.data, canon.len, p, rep)))
        snprintf(errmsg, errmsg_len, "stored programme %s no longer parses: %s", (const char *)version.data,
                 rep->nissues ? rep->issues[0].reason : pt_strerror(rc));
    else if (rc == PT_OK && (rc = pt_ledger_open(out, db, p)))
        snprintf(errmsg, errmsg_len, "opening the ledger: %s", pt_store_errmsg(s));
    else if (rc && rc != PT_ENOMEM)
        snprintf(errmsg, errmsg_len, "%s", pt_store_errmsg(s));
    free(p);
    free(rep);
    pt_buf_free(&version);
    pt_buf_free(&canon);
    return rc;
}

/* --- credits with growth value (activities: reward.h) --------------------------------------- */

/* An activity's credit: a lot for the points (none when 0) and the growth on the entry. An
 * entry is written even when both are 0, so the activity itself is on record (check-in days). */
static int credit_body(struct op *o, void *arg, pt_ledger_result *res)
{
    const struct earn_arg *a = arg;
    if (a->points > 0)
        return earn_body(o, arg, res);
    pt_entry_rec e = {.kind = PT_ENTRY_EARN, .bucket = PT_BUCKET_AVAILABLE, .growth = a->growth};
    snprintf(e.ref, sizeof e.ref, "%s", a->ref ? a->ref : "");
    snprintf(e.note, sizeof e.note, "%s", a->note ? a->note : "");
    int rc = pt__ledger_entry(o, &e);
    res->entry_id = e.id;
    res->points = 0;
    return rc;
}

int pt_ledger_credit(pt_ledger *l, int64_t member_id, int64_t points, int64_t growth, const pt_ledger_req *req,
                     pt_ledger_result *res)
{
    if (points < 0 || growth < 0)
        return pt__ledger_error(l, PT_EINVAL, "a credit's points and growth cannot be negative");
    if (!req || !req->idem_key)
        return pt__ledger_error(l, PT_EINVAL, "a credit needs an idempotency key");
    char text[320];
    snprintf(text, sizeof text, "%lld|%lld|%lld|%s|%s|%lld", (long long)member_id, (long long)points,
             (long long)growth, req->ref ? req->ref : "", req->note ? req->note : "", (long long)req->at);
    struct earn_arg a = {.points = points, .growth = growth, .ref = req->ref, .note = req->note};
    struct op_spec sp = {"points.credit", member_id, text, credit_body, &a};
    return run_op(l, &sp, req, res);
}

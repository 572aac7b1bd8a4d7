/* routes_orders.c — POST /v1/orders: a channel records a paid order (with its lines) and it
 * earns points under the programme's rules, in one write.
 *
 * The order is stored (the same records an import writes: order, then its lines) and then
 * earned with pt_ledger_earn_order under the request's Idempotency-Key, all inside the writer's
 * savepoint for this request: a rule or ledger failure leaves no order behind. A retry (same
 * key, same order) finds the order already stored with the same member and amount, skips the
 * insert and gets the ledger's replayed result; the same order number with a different member
 * or amount is 409. The amount is the sum of the lines (qty × unit_cents, exact 64-bit).
 */
#include "server_int.h"
#include "patron/error.h"
#include "patron/member.h"
#include "patron/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINES_MAX 200

static const struct srv_field line_fields[] = {
    {"sku", F_STR, 1, 1, PT_SKU_MAX - 1, NULL, 0},
    {"category", F_STR, 0, 0, PT_CATEGORY_MAX - 1, NULL, 0},
    {"qty", F_INT, 1, 1, 1000000, NULL, 0},
    {"unit_cents", F_INT, 1, 0, 100000000000LL, NULL, 0},
};

static const struct srv_field order_fields[] = {
    {"order_no", F_STR, 1, 1, PT_ORDER_NO_MAX - 1, NULL, 0},
    {"member", F_STR, 1, 1, PT_MEMBER_NO_MAX - 1, NULL, 0},
    {"channel", F_STR, 0, 1, PT_LABEL_MAX - 1, NULL, 0},
    {"store", F_STR, 0, 0, PT_LABEL_MAX - 1, NULL, 0},
    {"ordered_at", F_INT, 0, 946684800, 4102444800LL, NULL, 0}, /* 2000-01-01 … 2100-01-01 */
    {"lines", F_OBJ_ARRAY, 1, 1, LINES_MAX, line_fields, 4},
};

struct order_in {
    pt_order_rec o;
    pt_item_rec  items[LINES_MAX];
    size_t       n;
};

static const char *str_or(json_t *o, const char *k, const char *dflt)
{
    json_t *v = json_object_get(o, k);
    return v ? json_string_value(v) : dflt;
}

/* Builds the records on the pool thread; -1 (r answered) when the lines do not add up. */
static int order_build(struct srv_req *r, json_t *in, int64_t member_id, int64_t now, struct order_in *oi)
{
    memset(oi, 0, sizeof *oi);
    pt_order_rec *o = &oi->o;
    o->member_id = member_id;
    snprintf(o->order_no, sizeof o->order_no, "%s", str_or(in, "order_no", ""));
    snprintf(o->source, sizeof o->source, "api");
    snprintf(o->channel, sizeof o->channel, "%s", str_or(in, "channel", "api"));
    snprintf(o->store, sizeof o->store, "%s", str_or(in, "store", ""));
    json_t *at = json_object_get(in, "ordered_at");
    o->ordered_at = at ? json_integer_value(at) : now;
    o->status = PT_ORDER_PAID;
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(in, "lines"), i, l) {
        pt_item_rec *it = &oi->items[oi->n++];
        it->member_id = member_id;
        it->line_no = (int)i + 1;
        snprintf(it->sku, sizeof it->sku, "%s", str_or(l, "sku", ""));
        snprintf(it->category, sizeof it->category, "%s", str_or(l, "category", ""));
        it->qty = json_integer_value(json_object_get(l, "qty"));
        it->unit_cents = json_integer_value(json_object_get(l, "unit_cents"));
        if (__builtin_mul_overflow(it->qty, it->unit_cents, &it->amount_cents) ||
            __builtin_add_overflow(o->amount_cents, it->amount_cents, &o->amount_cents)) {
            srv_error(r, 422, "out_of_range", "lines", "the order's amount overflows");
            return -1;
        }
    }
    return 0;
}

static int job_order(struct srv_job *j, pt_db *db, pt_ledger *l)
{
    struct order_in *oi = j->ext;
    pt_store *s = pt_db_store(db);
    if (!l) {
        srv_job_error(j, PT_ESTATE, "no loyalty programme is loaded");
        return PT_ESTATE;
    }
    pt_order_rec had;
    int rc = pt_store_order_find_by_no(s, oi->o.order_no, &had);
    if (rc == PT_OK && (had.member_id != oi->o.member_id || had.amount_cents != oi->o.amount_cents)) {
        srv_job_error(j, PT_EEXIST, "an order with this number exists with another member or amount");
        json_object_set_new(json_object_get(j->result, "error"), "field", json_string("order_no"));
        return PT_EEXIST;
    }
    if (rc == PT_ENOTFOUND) { /* new: the order, then its lines */
        rc = pt_store_order_insert(s, &oi->o);
        for (size_t i = 0; rc == PT_OK && i < oi->n; i++) {
            oi->items[i].order_id = oi->o.id;
            rc = pt_store_item_insert(s, &oi->items[i]);
        }
        if (rc) {
            srv_job_error(j, rc, pt_store_errmsg(s));
            return rc;
        }
    } else if (rc) {
        srv_job_error(j, rc, pt_store_errmsg(s));
        return rc;
    }
    pt_ledger_req q = {.idem_key = j->idem, .actor = j->actor};
    pt_ledger_result res;
    rc = pt_ledger_earn_order(l, oi->o.order_no, &q, &res, NULL);
    if (rc) {
        srv_job_error(j, rc, pt_ledger_errmsg(l));
        return rc;
    }
    char no[PT_MEMBER_NO_MAX];
    pt_member_no_for_id(res.member_id, no);
    j->status = res.replayed ? 200 : 201;
    j->result = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:b}", "order_no", oi->o.order_no, "member", no,
                          "amount_cents", (json_int_t)oi->o.amount_cents, "points", (json_int_t)res.points,
                          "balance", (json_int_t)res.balance, "pending", (json_int_t)res.pending, "growth",
                          (json_int_t)res.growth, "available_at", (json_int_t)res.available_at, "tier", res.tier,
                          "replayed", res.replayed);
    return j->result ? PT_OK : PT_ENOMEM;
}

void route_order_create(struct srv_req *r, struct srv_thread *t)
{
    struct srv_job *j = srv_write_prepare(r, job_order, order_fields, 6, 0, NULL);
    if (!j)
        return;
    struct order_in *oi = malloc(sizeof *oi);
    j->ext = oi;
    j->ext_free = free;
    int64_t id;
    if (!oi)
        srv_error(r, 500, "internal", NULL, "out of memory");
    else if (srv_member_lookup(r, t, json_string_value(json_object_get(j->in, "member")), &id) == 0 &&
             order_build(r, j->in, id, pt_db_now(t->db), oi) == 0) {
        j->member_id = id;
        srv_writer_submit(r->srv, r, j);
        return;
    }
    srv_job_free(j);
}

/* ingest_rows.c — one row of each import kind: validate and normalise every value, resolve the
 * member it refers to, and write it through the store. A row handler either writes the whole
 * row or nothing and says which field was wrong and why (never the value).
 *
 * References to members (orders, events, surveys) resolve by the identifier's blind index:
 * through the store for the first few, then through an in-memory map (idmap.c) loaded once, so
 * bulk imports make no per-row identity query.
 */
#include "ingest_int.h"
#include "idmap.h"
#include "db_int.h"
#include "patron/crypt.h"
#include "patron/error.h"
#include "patron/identity.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* --- member references -------------------------------------------------------------------- */

/* Small imports ask the store per reference; past IDMAP_AFTER look-ups the whole identifier
 * map is loaded once, which is much cheaper per row for bulk files. */
#define IDMAP_AFTER 2048

static int member_of_identifier(struct import *im, int kind, const uint8_t blind[PT_BLIND_LEN], int64_t *member_id)
{
    int rc = PT_OK;
    if (!im->ids && ++im->lookups > IDMAP_AFTER)
        im->ids = pt__idmap_build(im->store, &rc);
    if (rc)
        return rc;
    if (im->ids) {
        *member_id = pt__idmap_get(im->ids, kind, blind);
        return PT_OK;
    }
    pt_identity_rec r;
    pt_identity_rec_init(&r);
    rc = pt_store_identity_find(im->store, kind, blind, &r);
    *member_id = rc == PT_OK ? r.member_id : 0;
    pt_identity_rec_free(&r);
    return rc == PT_ENOTFOUND ? PT_OK : rc;
}

/* --- value helpers ----------------------------------------------------------------------- */

#define REJECT(col, ...)                                                                   \
    do {                                                                                   \
        *field = pt__ingest_col_name(col);                                                 \
        snprintf(why, whylen, __VA_ARGS__);                                                \
        return ROW_REJECTED;                                                               \
    } while (0)

/* Copies a trimmed text value; 0, or PT_ETOOBIG. */
static int copy_text(char *dst, size_t cap, const char *v)
{
    if (!v) {
        dst[0] = 0;
        return PT_OK;
    }
    return pt_norm_trim(v, dst, cap);
}

/* Finds the member a row refers to: by member number, else by any identifier column. */
static int row_member(struct import *im, const struct row *r, int64_t *member_id,
                      const char **field, char *why, size_t whylen)
{
    *member_id = 0;
    if (r->v[COL_MEMBER_NO]) {
        pt_member_rec rec;
        pt_member_rec_init(&rec);
        int rc = pt_store_member_get_by_no(im->store, r->v[COL_MEMBER_NO], &rec);
        *member_id = rec.merged_into ? rec.merged_into : rec.id;
        pt_member_rec_free(&rec);
        if (rc == PT_ENOTFOUND)
            REJECT(COL_MEMBER_NO, "no member with this member number");
        if (rc)
            return pt__db_store_error(im->db, rc, "looking up member number");
        return ROW_OK;
    }
    int tried = 0;
    for (int k = PT_ID_PHONE; k <= PT_ID__LAST; k++) {
        if (!r->v[k])
            continue;
        char norm[PT_VALUE_MAX], bad[PT_WHY_MAX] = "";
        if (pt_identifier_normalise(im->db, k, r->v[k], norm, sizeof norm, bad))
            REJECT(k, "%s", bad[0] ? bad : "invalid identifier");
        uint8_t blind[PT_BLIND_LEN];
        pt_crypt_blind(pt_db_crypt(im->db), k, norm, strlen(norm), blind);
        sodium_memzero(norm, sizeof norm);
        int rc = member_of_identifier(im, k, blind, member_id);
        if (rc)
            return pt__db_store_error(im->db, rc, "looking up identifier");
        if (*member_id)
            return ROW_OK;
        tried = k;
    }
    if (tried)
        REJECT(tried, "no member has this %s (import members first)", pt_id_kind_name(tried));
    *field = "member";
    snprintf(why, whylen, "no member reference (member_no or an identifier column)");
    return ROW_REJECTED;
}

static int row_time(struct import *im, const struct row *r, int col, int64_t *t,
                    const char **field, char *why, size_t whylen)
{
    char bad[PT_WHY_MAX] = "";
    if (!r->v[col])
        REJECT(col, "missing");
    if (pt_norm_time(r->v[col], im->tz, t, bad))
        REJECT(col, "%s", bad[0] ? bad : "not a date/time");
    return ROW_OK;
}

static int row_money(const struct row *r, int col, int64_t *cents, const char **field, char *why, size_t whylen)
{
    char bad[PT_WHY_MAX] = "";
    if (!r->v[col])
        REJECT(col, "missing");
    if (pt_norm_money(r->v[col], cents, bad))
        REJECT(col, "%s", bad[0] ? bad : "not an amount of money");
    return ROW_OK;
}

static int row_label(const struct row *r, int col, char *dst, size_t cap, const char *dflt,
                     const char **field, char *why, size_t whylen)
{
    if (copy_text(dst, cap, r->v[col]))
        REJECT(col, "longer than %zu bytes", cap - 1);
    if (!dst[0] && dflt)
        snprintf(dst, cap, "%s", dflt);
    return ROW_OK;
}

/* The outcome of writing a row: a unique-key clash means the row was stored before. */
static int row_stored(struct import *im, int rc, const char *doing)
{
    if (rc == PT_EEXIST)
        return ROW_DUPLICATE;
    return rc ? pt__db_store_error(im->db, rc, doing) : ROW_OK;
}

/* --- members ----------------------------------------------------------------------------- */

static const int profile_cols[] = {COL_NAME, COL_PHONE, COL_EMAIL, COL_GENDER, COL_BIRTHDAY, COL_REGION, COL_ADDRESS};

static int member_ids(struct import *im, const struct row *r, pt_profile_in *in,
                      const char **field, char *why, size_t whylen)
{
    for (int k = PT_ID_PHONE; k <= PT_ID__LAST; k++) {
        char bad[PT_WHY_MAX] = "";
        if (!r->v[k])
            continue;
        pt_ident *id = &in->ids[in->nids];
        if (pt_identifier_normalise(im->db, k, r->v[k], id->value, sizeof id->value, bad))
            REJECT(k, "%s", bad[0] ? bad : "invalid identifier");
        id->kind = k;
        in->nids++;
    }
    if (!in->nids) {
        *field = "member";
        snprintf(why, whylen, "no identifier (phone, email, unionid, openid, app_user_id, store_card or eshop_account)");
        return ROW_REJECTED;
    }
    snprintf(in->m.phone, sizeof in->m.phone, "%s", "");
    for (int i = 0; i < in->nids; i++) {
        if (in->ids[i].kind == PT_ID_PHONE)
            snprintf(in->m.phone, sizeof in->m.phone, "%s", in->ids[i].value);
        if (in->ids[i].kind == PT_ID_EMAIL)
            snprintf(in->m.email, sizeof in->m.email, "%s", in->ids[i].value);
    }
    return ROW_OK;
}

static int member_profile(struct import *im, const struct row *r, pt_profile_in *in,
                          const char **field, char *why, size_t whylen)
{
    char bad[PT_WHY_MAX] = "";
    if (copy_text(in->m.name, sizeof in->m.name, r->v[COL_NAME]))
        REJECT(COL_NAME, "longer than %zu bytes", sizeof in->m.name - 1);
    if (copy_text(in->m.address, sizeof in->m.address, r->v[COL_ADDRESS]))
        REJECT(COL_ADDRESS, "longer than %zu bytes", sizeof in->m.address - 1);
    if (copy_text(in->m.region, sizeof in->m.region, r->v[COL_REGION]))
        REJECT(COL_REGION, "longer than %zu bytes", sizeof in->m.region - 1);
    if (r->v[COL_GENDER] && pt_norm_gender(r->v[COL_GENDER], &in->m.gender[0], bad))
        REJECT(COL_GENDER, "%s", bad[0] ? bad : "not a gender");
    if (r->v[COL_BIRTHDAY] && pt_norm_date(r->v[COL_BIRTHDAY], in->m.birthday, bad))
        REJECT(COL_BIRTHDAY, "%s", bad[0] ? bad : "not a date");
    if (r->v[COL_REGISTERED_AT] && pt_norm_time(r->v[COL_REGISTERED_AT], im->tz, &in->m.registered_at, bad))
        REJECT(COL_REGISTERED_AT, "%s", bad[0] ? bad : "not a date/time");
    return row_label(r, COL_CHANNEL, in->m.reg_channel, sizeof in->m.reg_channel, im->opts->source, field, why, whylen);
}

static int member_consent(struct import *im, const struct row *r, pt_profile_in *in,
                          const char **field, char *why, size_t whylen)
{
    static const int cols[PT_CONSENT__COUNT] = {COL_CONSENT_SMS, COL_CONSENT_EMAIL, COL_CONSENT_ANALYTICS};
    char bad[PT_WHY_MAX] = "";
    int64_t at = in->observed_at;
    if (r->v[COL_CONSENT_AT] && pt_norm_time(r->v[COL_CONSENT_AT], im->tz, &at, bad))
        REJECT(COL_CONSENT_AT, "%s", bad[0] ? bad : "not a date/time");
    for (int k = 0; k < PT_CONSENT__COUNT; k++) {
        int given = 0;
        if (!r->v[cols[k]])
            continue;
        if (pt_norm_bool(r->v[cols[k]], &given, bad))
            REJECT(cols[k], "%s", bad[0] ? bad : "not yes/no");
        in->consent_known |= PT_CONSENT_BIT(k);
        if (given)
            in->consent_given |= PT_CONSENT_BIT(k);
        in->m.consent_at[k] = at;
    }
    return ROW_OK;
}

static int row_members(struct import *im, const struct row *r, const char **field, char *why, size_t whylen)
{
    pt_profile_in in;
    memset(&in, 0, sizeof in);
    pt_member_init(&in.m);
    in.source = im->opts->source;
    in.import_run = im->res->run.id;
    for (size_t i = 0; i < sizeof profile_cols / sizeof *profile_cols; i++)
        if (!r->v[profile_cols[i]])
            im->missing[profile_cols[i]]++;
    int rc = member_ids(im, r, &in, field, why, whylen);
    if (rc == ROW_OK)
        rc = member_profile(im, r, &in, field, why, whylen);
    if (rc == ROW_OK && !in.m.registered_at) {
        in.m.registered_at = pt_db_now(im->db); /* stated rule: unknown → time of import */
        im->res->run.filled++;
    }
    in.observed_at = in.m.registered_at;
    if (rc == ROW_OK)
        rc = member_consent(im, r, &in, field, why, whylen);
    pt_resolve_out out;
    if (rc == ROW_OK) {
        rc = pt_identity_resolve(im->db, &in, &out);
        if (rc == PT_OK) {
            im->res->run.members_created += out.created;
            im->res->run.members_attached += out.attached;
            im->res->run.members_merged += out.merged;
            im->res->run.conflicts += out.conflicts;
        }
    }
    pt_member_wipe(&in.m);
    sodium_memzero(in.ids, sizeof in.ids);
    return rc;
}

/* --- orders, items, events, surveys ------------------------------------------------------ */

static int order_status(const char *v, int *status)
{
    static const struct { const char *name; int status; } names[] = {
        {"paid", PT_ORDER_PAID},           {"completed", PT_ORDER_PAID},  {"complete", PT_ORDER_PAID},
        {"已支付", PT_ORDER_PAID},         {"已完成", PT_ORDER_PAID},     {"refunded", PT_ORDER_REFUNDED},
        {"已退款", PT_ORDER_REFUNDED},     {"cancelled", PT_ORDER_CANCELLED}, {"canceled", PT_ORDER_CANCELLED},
        {"已取消", PT_ORDER_CANCELLED},
    };
    if (!v) {
        *status = PT_ORDER_PAID;
        return PT_OK;
    }
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcasecmp(v, names[i].name) == 0) {
            *status = names[i].status;
            return PT_OK;
        }
    return PT_EPARSE;
}

static int row_orders(struct import *im, const struct row *r, const char **field, char *why, size_t whylen)
{
    pt_order_rec o = {.import_run = im->res->run.id};
    if (!r->v[COL_ORDER_NO])
        REJECT(COL_ORDER_NO, "missing");
    int rc = row_label(r, COL_ORDER_NO, o.order_no, sizeof o.order_no, NULL, field, why, whylen);
    if (rc == ROW_OK)
        rc = row_member(im, r, &o.member_id, field, why, whylen);
    if (rc == ROW_OK)
        rc = row_time(im, r, COL_AT, &o.ordered_at, field, why, whylen);
    if (rc == ROW_OK)
        rc = row_money(r, COL_AMOUNT, &o.amount_cents, field, why, whylen);
    if (rc == ROW_OK && order_status(r->v[COL_STATUS], &o.status))
        REJECT(COL_STATUS, "expected paid, refunded or cancelled");
    if (rc == ROW_OK)
        rc = row_label(r, COL_CHANNEL, o.channel, sizeof o.channel, im->opts->source, field, why, whylen);
    if (rc == ROW_OK)
        rc = row_label(r, COL_STORE, o.store, sizeof o.store, NULL, field, why, whylen);
    if (rc != ROW_OK)
        return rc;
    snprintf(o.source, sizeof o.source, "%s", im->opts->source);
    return row_stored(im, pt_store_order_insert(im->store, &o), "writing order");
}

/* Finds the order an item belongs to. Item files list an order's lines together, so the last
 * order found is kept and a line of the same order costs no query. */
static int item_order(struct import *im, const char *order_no, pt_item_rec *it,
                      const char **field, char *why, size_t whylen)
{
    pt_order_rec *o = &im->item_order;
    if (!o->id || strcmp(o->order_no, order_no) != 0) {
        int rc = pt_store_order_find_by_no(im->store, order_no, o);
        if (rc)
            o->id = 0;
        if (rc == PT_ENOTFOUND)
            REJECT(COL_ORDER_NO, "no order with this order_no (import orders first)");
        if (rc)
            return pt__db_store_error(im->db, rc, "looking up order");
    }
    it->order_id = o->id;
    it->member_id = o->member_id;
    return ROW_OK;
}

static int item_numbers(struct import *im, const struct row *r, pt_item_rec *it,
                        const char **field, char *why, size_t whylen)
{
    char bad[PT_WHY_MAX] = "";
    int64_t line = 0;
    if (r->v[COL_LINE] && pt_norm_int(r->v[COL_LINE], 1, 100000, &line, bad))
        REJECT(COL_LINE, "%s", bad[0] ? bad : "expected a line number from 1");
    if (!r->v[COL_LINE]) {
        int same = strcmp(im->last_order_no, r->v[COL_ORDER_NO]) == 0;
        im->next_line_no = same ? im->next_line_no + 1 : 1;
        line = im->next_line_no;
    }
    snprintf(im->last_order_no, sizeof im->last_order_no, "%s", r->v[COL_ORDER_NO]);
    it->line_no = (int)line;
    if (!r->v[COL_QTY])
        REJECT(COL_QTY, "missing");
    if (pt_norm_int(r->v[COL_QTY], 1, 1000000, &it->qty, bad))
        REJECT(COL_QTY, "expected a whole quantity from 1 to 1,000,000 (returns are refunds, not negative lines)");
    int rc = row_money(r, COL_UNIT_PRICE, &it->unit_cents, field, why, whylen);
    if (rc != ROW_OK)
        return rc;
    if (it->unit_cents < 0)
        REJECT(COL_UNIT_PRICE, "negative price");
    if (r->v[COL_AMOUNT])
        return row_money(r, COL_AMOUNT, &it->amount_cents, field, why, whylen);
    if (__builtin_mul_overflow(it->qty, it->unit_cents, &it->amount_cents))
        REJECT(COL_QTY, "quantity × unit price overflows");
    return ROW_OK;
}

static int row_items(struct import *im, const struct row *r, const char **field, char *why, size_t whylen)
{
    pt_item_rec it = {0};
    char order_no[PT_ORDER_NO_MAX];
    if (!r->v[COL_ORDER_NO])
        REJECT(COL_ORDER_NO, "missing");
    if (!r->v[COL_SKU])
        REJECT(COL_SKU, "missing");
    int rc = row_label(r, COL_ORDER_NO, order_no, sizeof order_no, NULL, field, why, whylen);
    if (rc == ROW_OK)
        rc = item_order(im, order_no, &it, field, why, whylen);
    if (rc == ROW_OK)
        rc = row_label(r, COL_SKU, it.sku, sizeof it.sku, NULL, field, why, whylen);
    if (rc == ROW_OK)
        rc = row_label(r, COL_CATEGORY, it.category, sizeof it.category, NULL, field, why, whylen);
    if (rc == ROW_OK)
        rc = item_numbers(im, r, &it, field, why, whylen);
    if (rc != ROW_OK)
        return rc;
    return row_stored(im, pt_store_item_insert(im->store, &it), "writing order item");
}

int pt_event_kind_valid(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

int pt_survey_score_valid(int64_t score)
{
    return score >= PT_SURVEY_SCORE_MIN && score <= PT_SURVEY_SCORE_MAX;
}

static int row_events(struct import *im, const struct row *r, const char **field, char *why, size_t whylen)
{
    pt_event_rec e = {0};
    char bad[PT_WHY_MAX] = "";
    if (!r->v[COL_EVENT])
        REJECT(COL_EVENT, "missing");
    int rc = row_label(r, COL_EVENT, e.kind, sizeof e.kind, NULL, field, why, whylen);
    if (rc == ROW_OK && !pt_event_kind_valid(e.kind))
        REJECT(COL_EVENT, "event kinds are lower-case letters, digits and _ (checkin, share, review, …)");
    if (rc == ROW_OK)
        rc = row_member(im, r, &e.member_id, field, why, whylen);
    if (rc == ROW_OK)
        rc = row_time(im, r, COL_AT, &e.at, field, why, whylen);
    if (rc == ROW_OK && r->v[COL_VALUE] && pt_norm_int(r->v[COL_VALUE], INT32_MIN, INT32_MAX, &e.value, bad))
        REJECT(COL_VALUE, "%s", bad[0] ? bad : "expected a whole number");
    if (rc != ROW_OK)
        return rc;
    snprintf(e.source, sizeof e.source, "%s", im->opts->source);
    return row_stored(im, pt_store_event_insert(im->store, &e), "writing event");
}

static int row_surveys(struct import *im, const struct row *r, const char **field, char *why, size_t whylen)
{
    pt_survey_rec sv = {0};
    char bad[PT_WHY_MAX] = "";
    int64_t score = 0;
    if (!r->v[COL_SCORE])
        REJECT(COL_SCORE, "missing");
    if (pt_norm_int(r->v[COL_SCORE], PT_SURVEY_SCORE_MIN, PT_SURVEY_SCORE_MAX, &score, bad))
        REJECT(COL_SCORE, "expected a whole score from 0 to 10");
    sv.score = (int)score;
    int rc = row_label(r, COL_SURVEY, sv.survey, sizeof sv.survey, "nps", field, why, whylen);
    if (rc == ROW_OK)
        rc = row_member(im, r, &sv.member_id, field, why, whylen);
    if (rc == ROW_OK)
        rc = row_time(im, r, COL_AT, &sv.at, field, why, whylen);
    if (rc != ROW_OK)
        return rc;
    snprintf(sv.source, sizeof sv.source, "%s", im->opts->source);
    return row_stored(im, pt_store_survey_insert(im->store, &sv), "writing survey answer");
}

int pt__ingest_row(struct import *im, const struct row *r, const char **field, char *why, size_t whylen)
{
    switch (im->kind) {
    case PT_IMPORT_MEMBERS:
        return row_members(im, r, field, why, whylen);
    case PT_IMPORT_ORDERS:
        return row_orders(im, r, field, why, whylen);
    case PT_IMPORT_ITEMS:
        return row_items(im, r, field, why, whylen);
    case PT_IMPORT_EVENTS:
        return row_events(im, r, field, why, whylen);
    default:
        return row_surveys(im, r, field, why, whylen);
    }
}

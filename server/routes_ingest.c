/* routes_ingest.c — POST /v1/events and POST /v1/surveys: a channel sends member events
 * (check-ins, shares, reviews, …) and survey answers (NPS) one at a time or in a batch.
 *
 * The body is one item, or {"items": [...]} with 1 to INGEST_MAX items. Every item is checked
 * on the pool thread with the import's rules (pt_event_kind_valid, pt_survey_score_valid; the
 * member number resolved through merges) before anything is queued: a batch is all or nothing
 * on validation, and the error's field names the item ("items[3].score"). The writer stores
 * the items in the request's savepoint; an item stored before (the store's unique key: member,
 * kind or survey, time, source) is a duplicate, counted and listed, not an error. The
 * Idempotency-Key is global (idem.c), kept under the first item's member: a retry answers the
 * first result.
 */
#include "server_int.h"
#include "patron/error.h"
#include "patron/identity.h"
#include "patron/ingest.h"
#include "patron/member.h"
#include "patron/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INGEST_MAX 1000
#define AT_MIN     946684800LL   /* 2000-01-01 */
#define AT_MAX     4102444800LL  /* 2100-01-01 */

enum { K_EVENT, K_SURVEY };

static const struct srv_field event_fields[] = {
    {"member", F_STR, 1, 1, PT_MEMBER_NO_MAX - 1, NULL, 0},
    {"kind", F_STR, 1, 1, PT_LABEL_MAX - 1, NULL, 0},
    {"at", F_INT, 0, AT_MIN, AT_MAX, NULL, 0},
    {"value", F_INT, 0, INT32_MIN, INT32_MAX, NULL, 0},
};
static const struct srv_field survey_fields[] = {
    {"member", F_STR, 1, 1, PT_MEMBER_NO_MAX - 1, NULL, 0},
    {"survey", F_STR, 0, 1, PT_LABEL_MAX - 1, NULL, 0},
    {"score", F_INT, 1, PT_SURVEY_SCORE_MIN, PT_SURVEY_SCORE_MAX, NULL, 0},
    {"at", F_INT, 0, AT_MIN, AT_MAX, NULL, 0},
};
static const struct srv_field event_batch[] = {{"items", F_OBJ_ARRAY, 1, 1, INGEST_MAX, event_fields, 4}};
static const struct srv_field survey_batch[] = {{"items", F_OBJ_ARRAY, 1, 1, INGEST_MAX, survey_fields, 4}};

/* The members of the items, resolved on the pool thread. */
struct ingest {
    int     kind;
    size_t  n;
    int64_t member[];
};

static const char *str_or(json_t *o, const char *k, const char *dflt)
{
    json_t *v = json_object_get(o, k);
    return v ? json_string_value(v) : dflt;
}

/* The items of the parsed body: its "items", or the body itself as a batch of one. */
static size_t item_count(json_t *in, int batch)
{
    return batch ? json_array_size(json_object_get(in, "items")) : 1;
}

static json_t *item_at(json_t *in, int batch, size_t i)
{
    return batch ? json_array_get(json_object_get(in, "items"), i) : in;
}

static void item_field(char *out, size_t cap, int batch, size_t i, const char *name)
{
    if (batch)
        snprintf(out, cap, "items[%zu].%s", i, name);
    else
        snprintf(out, cap, "%s", name);
}

/* Checks item i the way an import checks a row; fills ig->member[i]. -1: r answered. */
static int item_check(struct srv_req *r, struct srv_thread *t, json_t *it, int batch, size_t i, struct ingest *ig)
{
    char field[64];
    if (ig->kind == K_EVENT && !pt_event_kind_valid(str_or(it, "kind", ""))) {
        item_field(field, sizeof field, batch, i, "kind");
        srv_error(r, 422, "invalid_value", field, "event kinds are lower-case letters, digits and _ (checkin, share, review, …)");
        return -1;
    }
    if (ig->kind == K_SURVEY && json_object_get(it, "survey") && !pt_event_kind_valid(str_or(it, "survey", ""))) {
        item_field(field, sizeof field, batch, i, "survey");
        srv_error(r, 422, "invalid_value", field, "survey names are lower-case letters, digits and _ (nps, …)");
        return -1;
    }
    if (ig->kind == K_SURVEY && !pt_survey_score_valid(json_integer_value(json_object_get(it, "score")))) {
        item_field(field, sizeof field, batch, i, "score");
        srv_error(r, 422, "out_of_range", field, "a score is a whole number from 0 to 10");
        return -1;
    }
    int rc = pt_member_resolve_no(t->db, str_or(it, "member", ""), &ig->member[i], NULL);
    if (rc == PT_ENOTFOUND) {
        item_field(field, sizeof field, batch, i, "member");
        srv_error(r, 422, "member_not_found", field, "no member with this number");
    } else if (rc) {
        srv_error_rc(r, rc, pt_db_errmsg(t->db));
    }
    return rc ? -1 : 0;
}

static int store_item(pt_db *db, const struct ingest *ig, json_t *it, int64_t member_id, int64_t now)
{
    json_t *at = json_object_get(it, "at");
    if (ig->kind == K_EVENT) {
        pt_event_rec e = {.member_id = member_id, .at = at ? json_integer_value(at) : now,
                          .value = json_integer_value(json_object_get(it, "value"))};
        snprintf(e.kind, sizeof e.kind, "%s", str_or(it, "kind", ""));
        snprintf(e.source, sizeof e.source, "api");
        return pt_store_event_insert(pt_db_store(db), &e);
    }
    pt_survey_rec sv = {.member_id = member_id, .at = at ? json_integer_value(at) : now,
                        .score = (int)json_integer_value(json_object_get(it, "score"))};
    snprintf(sv.survey, sizeof sv.survey, "%s", str_or(it, "survey", "nps"));
    snprintf(sv.source, sizeof sv.source, "api");
    return pt_store_survey_insert(pt_db_store(db), &sv);
}

static const char *op_of(int kind)
{
    return kind == K_EVENT ? "events.ingest" : "surveys.ingest";
}

static int job_ingest(struct srv_job *j, pt_db *db, pt_ledger *l)
{
    (void)l;
    struct ingest *ig = j->ext;
    int replayed = 0, rc = srv_idem_replay(j, db, op_of(ig->kind), 0, &replayed);
    if (rc || replayed)
        return rc;
    int batch = json_object_get(j->in, "items") != NULL;
    int64_t now = pt_db_now(db), stored = 0;
    json_t *dups = json_array();
    for (size_t i = 0; rc == PT_OK && i < ig->n; i++) {
        rc = store_item(db, ig, item_at(j->in, batch, i), ig->member[i], now);
        if (rc == PT_EEXIST) { /* stored before: the same event or answer again */
            json_array_append_new(dups, json_integer((json_int_t)i));
            rc = PT_OK;
        } else if (rc == PT_OK) {
            stored++;
        }
    }
    if (rc) {
        json_decref(dups);
        srv_job_error(j, rc, pt_store_errmsg(pt_db_store(db)));
        return rc;
    }
    j->status = stored ? 201 : 200;
    j->result = json_pack("{s:I,s:I,s:I,s:o}", "received", (json_int_t)ig->n, "stored", (json_int_t)stored,
                          "duplicates", (json_int_t)json_array_size(dups), "duplicate_items", dups);
    if (!j->result)
        return PT_ENOMEM;
    return srv_idem_remember(j, db, op_of(ig->kind), ig->member[0], 1);
}

/* "items" at the top of the body: a batch. Anything unparsable is left to srv_body_parse. */
static int is_batch(const struct srv_req *r)
{
    json_error_t err;
    json_t *o = r->body ? json_loadb(r->body, r->len, 0, &err) : NULL;
    int b = json_is_object(o) && json_object_get(o, "items") != NULL;
    json_decref(o);
    return b;
}

static void ingest(struct srv_req *r, struct srv_thread *t, int kind)
{
    int batch = is_batch(r);
    const struct srv_field *f = kind == K_EVENT ? (batch ? event_batch : event_fields)
                                                : (batch ? survey_batch : survey_fields);
    struct srv_job *j = srv_write_prepare(r, job_ingest, f, batch ? 1 : 4, 0, NULL);
    if (!j)
        return;
    size_t n = item_count(j->in, batch);
    struct ingest *ig = calloc(1, sizeof *ig + n * sizeof ig->member[0]);
    j->ext = ig;
    j->ext_free = free;
    if (!ig) {
        srv_error(r, 500, "internal", NULL, "out of memory");
        srv_job_free(j);
        return;
    }
    ig->kind = kind;
    ig->n = n;
    for (size_t i = 0; i < n; i++) {
        if (item_check(r, t, item_at(j->in, batch, i), batch, i, ig) != 0) {
            srv_job_free(j);
            return;
        }
    }
    srv_writer_submit(r->srv, r, j);
}

void route_events_ingest(struct srv_req *r, struct srv_thread *t)
{
    ingest(r, t, K_EVENT);
}

void route_surveys_ingest(struct srv_req *r, struct srv_thread *t)
{
    ingest(r, t, K_SURVEY);
}

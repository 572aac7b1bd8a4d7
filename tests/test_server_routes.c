/* test_server_routes.c — `patron serve` routes beyond the member journey, end to end over HTTP:
 * a member create's Idempotency-Key (replayed without a phone or e-mail too), member merge
 * (points follow, retries replay, self and double merges refused, the merged number
 * redirects), identities, event and survey ingest, tier evaluation, referrals and the
 * per-member CLV — each with exact values.
 */
#include "helpers.h"
#include "server_harness.h"
#include "test.h"
#include "patron/apikey.h"
#include "patron/db.h"
#include "patron/member.h"
#include "patron/store.h"
#include "patron/server.h"
#include "patron/store_score.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- member create: Idempotency-Key ------------------------------------------------------- */

SERVER_TEST(server_member_create_replays_its_first_answer_for_the_same_key_and_refuses_another_body)
{
    char key[PT_APIKEY_MAX], first[16], second[16];
    struct resp r;
    ASSERT_EQ(make_data(s, "d"), 0);
    ASSERT_EQ(make_key(s, "operator", key), 0);
    ASSERT_EQ(start(s, NULL), 0);
    /* no phone or e-mail: only the key makes the retry safe */
    ASSERT_EQ(http(s, "POST", "/v1/members", key, "c-1", "{\"name\":\"No Phone\",\"region\":\"SH\"}", &r), 201);
    snprintf(first, sizeof first, "%s", jstr(&r, "member"));
    ASSERT_EQ(strlen(first), 10);
    ASSERT_EQ(json_is_false(json_object_get(r.json, "replayed")), 1);
    ASSERT_EQ(json_is_true(json_object_get(r.json, "created")), 1);
    resp_free(&r);
    ASSERT_EQ(http(s, "POST", "/v1/members", key, "c-1", "{\"region\":\"SH\",\"name\":\"No Phone\"}", &r), 201);
    ASSERT_STR_EQ(jstr(&r, "member"), first); /* same member, same status; key order is no difference */
    ASSERT_EQ(json_is_true(json_object_get(r.json, "replayed")), 1);
    resp_free(&r);
    ASSERT_EQ(http(s, "POST", "/v1/members", key, "c-1", "{\"name\":\"Someone Else\"}", &r), 409);
    ASSERT_STR_EQ(err_code(&r), "idempotency_conflict");
    resp_free(&r);
    /* another key is another member */
    ASSERT_EQ(http(s, "POST", "/v1/members", key, "c-2", "{\"name\":\"No Phone\",\"region\":\"SH\"}", &r), 201);
    snprintf(second, sizeof second, "%s", jstr(&r, "member"));
    ASSERT(strcmp(second, first) != 0);
    resp_free(&r);
    /* with a phone: a second key finds the member (200), the first key replays its 201 */
    ASSERT_EQ(http(s, "POST", "/v1/members", key, "c-3", "{\"phone\":\"13800138000\"}", &r), 201);
    snprintf(first, sizeof first, "%s", jstr(&r, "member"));
    resp_free(&r);
    ASSERT_EQ(http(s, "POST", "/v1/members", key, "c-4", "{\"phone\":\"13800138000\"}", &r), 200);
    ASSERT_STR_EQ(jstr(&r, "member"), first);
    ASSERT_EQ(json_is_false(json_object_get(r.json, "created")), 1);
    resp_free(&r);
    ASSERT_EQ(http(s, "POST", "/v1/members", key, "c-3", "{\"phone\":\"13800138000\"}", &r), 201);
    ASSERT_STR_EQ(jstr(&r, "member"), first);
    ASSERT_EQ(json_is_true(json_object_get(r.json, "replayed")), 1);
    resp_free(&r);
    /* the member without a phone can be read back by its number */
    char path[64];
    snprintf(path, sizeof path, "/v1/members/%s", second);
    ASSERT_EQ(http(s, "GET", path, key, NULL, NULL, &r), 200);
    ASSERT_STR_EQ(jstr(&r, "name"), "No Phone");
    ASSERT_STR_EQ(jstr(&r, "region"), "SH");
    ASSERT_STR_EQ(jstr(&r, "phone"), "");
    resp_free(&r);
    ASSERT_EQ(stop(s), 0);
}

/* 1 when some stored idempotency record (SQLite store under data) contains text; -1 on error.
 * Records are not encrypted, so they must never hold personal data. */
static int records_hold(const char *data, const char *text)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/patron.db", data);
    sqlite3 *h;
    sqlite3_stmt *st = NULL;
    int found = -1;
    if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, "SELECT count(*) FROM idempotency_keys WHERE instr(CAST(result AS TEXT), ?) > 0", -1,
                           &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            found = sqlite3_column_int(st, 0) > 0;
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return found;
}

/* --- member merge ------------------------------------------------------------------------- */

SERVER_TEST(server_member_merge_moves_points_replays_refuses_self_and_double_merges_and_redirects)
{
    char key[PT_APIKEY_MAX], ana[PT_APIKEY_MAX], a[16], b[16], path[128], body[128];
    struct resp r;
    ASSERT_EQ(make_data(s, "d"), 0);
    ASSERT_EQ(make_key(s, "operator", key), 0);
    ASSERT_EQ(make_key(s, "analyst", ana), 0);
    ASSERT_EQ(start(s, NULL), 0);
    ASSERT_EQ(new_member(s, key, "13800138001", a), 201);
    ASSERT_EQ(new_member(s, key, "13800138002", b), 201);
    snprintf(path, sizeof path, "/v1/members/%s/points/earn", a);
    ASSERT_EQ(http(s, "POST", path, key, "ea", "{\"points\":50}", &r), 201);
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/members/%s/points/earn", b);
    ASSERT_EQ(http(s, "POST", path, key, "eb", "{\"points\":120}", &r), 201);
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/members/%s/merge", a);
    snprintf(body, sizeof body, "{\"from\":\"%s\",\"reason\":\"same person at the counter\"}", b);
    ASSERT_EQ(http(s, "POST", path, key, "m-1", body, &r), 200);
    ASSERT_STR_EQ(jstr(&r, "member"), a);
    ASSERT_STR_EQ(jstr(&r, "merged_from"), b);
    ASSERT_EQ(jint(&r, "points_moved"), 120);
    long long merge = jint(&r, "merge");
    ASSERT(merge > 0);
    ASSERT_STR_EQ(jstr(&r, "name"), "Test Person"); /* the full view: the operator merged */
    char phone[32];
    snprintf(phone, sizeof phone, "%s", jstr(&r, "phone"));
    ASSERT(phone[0]);
    ASSERT_EQ(json_is_false(json_object_get(r.json, "replayed")), 1);
    resp_free(&r);
    /* the points followed: 50 + 120 */
    char pts[128];
    snprintf(pts, sizeof pts, "/v1/members/%s/points", a);
    ASSERT_EQ(http(s, "GET", pts, key, NULL, NULL, &r), 200);
    ASSERT_EQ(jint(&r, "balance"), 170);
    resp_free(&r);
    /* a retry replays (same merge), nothing moves twice */
    ASSERT_EQ(http(s, "POST", path, key, "m-1", body, &r), 200);
    ASSERT_EQ(jint(&r, "merge"), merge);
    ASSERT_EQ(jint(&r, "points_moved"), 120);
    ASSERT_EQ(json_is_true(json_object_get(r.json, "replayed")), 1);
    ASSERT_STR_EQ(jstr(&r, "name"), "Test Person"); /* the view, read again: the record has none */
    ASSERT_STR_EQ(jstr(&r, "phone"), phone);
    resp_free(&r);
    ASSERT_EQ(http(s, "GET", pts, key, NULL, NULL, &r), 200);
    ASSERT_EQ(jint(&r, "balance"), 170);
    resp_free(&r);
    /* the same merge under a new key: b is merged already */
    ASSERT_EQ(http(s, "POST", path, key, "m-2", body, &r), 409);
    ASSERT_STR_EQ(err_code(&r), "already_merged");
    ASSERT_STR_EQ(err_field(&r), "from");
    resp_free(&r);
    /* into itself */
    snprintf(body, sizeof body, "{\"from\":\"%s\"}", a);
    ASSERT_EQ(http(s, "POST", path, key, "m-3", body, &r), 422);
    ASSERT_STR_EQ(err_code(&r), "same_member");
    resp_free(&r);
    /* the same key with another body */
    ASSERT_EQ(http(s, "POST", path, key, "m-1", body, &r), 409);
    ASSERT_STR_EQ(err_code(&r), "idempotency_conflict");
    resp_free(&r);
    /* no such member; no from at all */
    ASSERT_EQ(http(s, "POST", path, key, "m-4", "{\"from\":\"0000000000\"}", &r), 404);
    ASSERT_STR_EQ(err_field(&r), "from");
    resp_free(&r);
    ASSERT_EQ(http(s, "POST", path, key, "m-5", "{}", &r), 400);
    ASSERT_STR_EQ(err_field(&r), "from");
    resp_free(&r);
    /* the merged-away number answers with the survivor and says so, for every role */
    snprintf(path, sizeof path, "/v1/members/%s", b);
    ASSERT_EQ(http(s, "GET", path, key, NULL, NULL, &r), 200);
    ASSERT_STR_EQ(jstr(&r, "member"), a);
    ASSERT_STR_EQ(jstr(&r, "redirected_from"), b);
    resp_free(&r);
    ASSERT_EQ(http(s, "GET", path, ana, NULL, NULL, &r), 200);
    ASSERT_STR_EQ(jstr(&r, "member"), a);
    ASSERT_STR_EQ(jstr(&r, "redirected_from"), b);
    ASSERT(json_object_get(r.json, "phone") == NULL);
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/members/%s", a);
    ASSERT_EQ(http(s, "GET", path, key, NULL, NULL, &r), 200);
    ASSERT(json_object_get(r.json, "redirected_from") == NULL);
    resp_free(&r);
    ASSERT_EQ(stop(s), 0);
    ASSERT_EQ(pt_test_run(NULL, "'%s' points verify --data '%s' >/dev/null 2>&1", BIN, s->data), 0);
    ASSERT_EQ(records_hold(s->data, "\"merged_from\""), 1); /* the merge's record is there… */
    ASSERT_EQ(records_hold(s->data, "Test Person"), 0);      /* …without the name or the phone */
    ASSERT_EQ(records_hold(s->data, "1380013800"), 0);
}

/* --- events and survey answers ------------------------------------------------------------ */

struct seen {
    char text[512];
};

static int event_seen(void *ud, const pt_event_rec *e)
{
    struct seen *s = ud;
    size_t n = strlen(s->text);
    snprintf(s->text + n, sizeof s->text - n, "%s@%lld=%lld/%s;", e->kind, (long long)e->at, (long long)e->value,
             e->source);
    return 0;
}

static int survey_seen(void *ud, const pt_survey_rec *sv)
{
    struct seen *s = ud;
    size_t n = strlen(s->text);
    snprintf(s->text + n, sizeof s->text - n, "%s@%lld=%d/%s;", sv->survey, (long long)sv->at, sv->score, sv->source);
    return 0;
}

SERVER_TEST(server_events_and_surveys_ingest_one_or_a_batch_all_or_nothing_with_duplicates_counted)
{
    char key[PT_APIKEY_MAX], a[16], b[16], body[1024];
    struct resp r;
    ASSERT_EQ(make_data(s, "d"), 0);
    ASSERT_EQ(make_key(s, "operator", key), 0);
    ASSERT_EQ(start(s, NULL), 0);
    ASSERT_EQ(new_member(s, key, "13800138001", a), 201);
    ASSERT_EQ(new_member(s, key, "13800138002", b), 201);
    snprintf(body, sizeof body, "{\"member\":\"%s\",\"kind\":\"checkin\",\"at\":1700000000,\"value\":3}", a);
    ASSERT_EQ(http(s, "POST", "/v1/events", key, "ev-1", body, &r), 201);
    ASSERT_EQ(jint(&r, "received"), 1);
    ASSERT_EQ(jint(&r, "stored"), 1);
    ASSERT_EQ(jint(&r, "duplicates"), 0);
    resp_free(&r);
    snprintf(body, sizeof body,
             "{\"items\":[{\"member\":\"%s\",\"kind\":\"checkin\",\"at\":1700000000,\"value\":3},"
             "{\"member\":\"%s\",\"kind\":\"share\",\"at\":1700000100},"
             "{\"member\":\"%s\",\"kind\":\"review\",\"at\":1700000200,\"value\":5}]}",
             a, b, a);
    ASSERT_EQ(http(s, "POST", "/v1/events", key, "ev-2", body, &r), 201);
    ASSERT_EQ(jint(&r, "received"), 3);
    ASSERT_EQ(jint(&r, "stored"), 2);
    ASSERT_EQ(jint(&r, "duplicates"), 1); /* the first item was sent before, under ev-1 */
    ASSERT_EQ(json_integer_value(json_array_get(json_object_get(r.json, "duplicate_items"), 0)), 0);
    resp_free(&r);
    ASSERT_EQ(http(s, "POST", "/v1/events", key, "ev-2", body, &r), 201);
    ASSERT_EQ(jint(&r, "stored"), 2);
    ASSERT_EQ(json_is_true(json_object_get(r.json, "replayed")), 1);
    resp_free(&r);
    /* one bad item refuses the batch, naming it */
    snprintf(body, sizeof body,
             "{\"items\":[{\"member\":\"%s\",\"kind\":\"share\",\"at\":1700000300},"
             "{\"member\":\"%s\",\"kind\":\"share\",\"at\":1700000400},{\"member\":\"%s\",\"kind\":\"Bad Kind\"}]}",
             a, b, a);
    ASSERT_EQ(http(s, "POST", "/v1/events", key, "ev-3", body, &r), 422);
    ASSERT_STR_EQ(err_field(&r), "items[2].kind");
    resp_free(&r);
    snprintf(body, sizeof body,
             "{\"items\":[{\"member\":\"%s\",\"kind\":\"share\",\"at\":1700000300},{\"member\":\"0000000000\",\"kind\":\"share\"}]}", a);
    ASSERT_EQ(http(s, "POST", "/v1/events", key, "ev-4", body, &r), 422);
    ASSERT_STR_EQ(err_code(&r), "member_not_found");
    ASSERT_STR_EQ(err_field(&r), "items[1].member");
    resp_free(&r);
    /* the cap: 1001 items */
    size_t cap = 1001 * 40 + 64, n = 0;
    char *big = malloc(cap);
    ASSERT(big);
    n += (size_t)snprintf(big, cap, "{\"items\":[");
    for (int i = 0; i < 1001; i++)
        n += (size_t)snprintf(big + n, cap - n, "%s{\"member\":\"%s\",\"kind\":\"x\"}", i ? "," : "", a);
    snprintf(big + n, cap - n, "]}");
    http(s, "POST", "/v1/events", key, "ev-5", big, &r);
    free(big);
    ASSERT_EQ(r.status, 422);
    ASSERT_STR_EQ(err_field(&r), "items");
    resp_free(&r);
    /* survey answers: NPS 0–10 */
    snprintf(body, sizeof body, "{\"member\":\"%s\",\"score\":9,\"at\":1700000000}", a);
    ASSERT_EQ(http(s, "POST", "/v1/surveys", key, "sv-1", body, &r), 201);
    ASSERT_EQ(jint(&r, "stored"), 1);
    resp_free(&r);
    snprintf(body, sizeof body, "{\"member\":\"%s\",\"score\":11}", a);
    ASSERT_EQ(http(s, "POST", "/v1/surveys", key, "sv-2", body, &r), 422);
    ASSERT_STR_EQ(err_field(&r), "score");
    resp_free(&r);
    snprintf(body, sizeof body,
             "{\"items\":[{\"member\":\"%s\",\"score\":0,\"survey\":\"nps\",\"at\":1700000050},"
             "{\"member\":\"%s\",\"score\":-1,\"at\":1700000060}]}", b, a);
    ASSERT_EQ(http(s, "POST", "/v1/surveys", key, "sv-3", body, &r), 422);
    ASSERT_STR_EQ(err_field(&r), "items[1].score");
    resp_free(&r);
    snprintf(body, sizeof body,
             "{\"items\":[{\"member\":\"%s\",\"score\":0,\"survey\":\"nps\",\"at\":1700000050},"
             "{\"member\":\"%s\",\"score\":10,\"survey\":\"csat\",\"at\":1700000060}]}", b, a);
    ASSERT_EQ(http(s, "POST", "/v1/surveys", key, "sv-4", body, &r), 201);
    ASSERT_EQ(jint(&r, "stored"), 2);
    resp_free(&r);
    ASSERT_EQ(stop(s), 0);
    /* exactly what was accepted is stored, nothing of the refused batches */
    pt_db *db;
    char err[256];
    int64_t ida, idb;
    ASSERT_OK(pt_db_open(&db, s->data, NULL, err, sizeof err));
    ASSERT_OK(pt_member_id_of_no(db, a, &ida));
    ASSERT_OK(pt_member_id_of_no(db, b, &idb));
    struct seen ea = {""}, eb = {""}, sa = {""}, sb = {""};
    ASSERT_OK(pt_store_event_list(pt_db_store(db), ida, event_seen, &ea));
    ASSERT_OK(pt_store_event_list(pt_db_store(db), idb, event_seen, &eb));
    ASSERT_OK(pt_store_survey_list(pt_db_store(db), ida, survey_seen, &sa));
    ASSERT_OK(pt_store_survey_list(pt_db_store(db), idb, survey_seen, &sb));
    pt_db_close(db);
    ASSERT_STR_EQ(ea.text, "checkin@1700000000=3/api;review@1700000200=5/api;");
    ASSERT_STR_EQ(eb.text, "share@1700000100=0/api;");
    ASSERT_STR_EQ(sa.text, "nps@1700000000=9/api;csat@1700000060=10/api;");
    ASSERT_STR_EQ(sb.text, "nps@1700000050=0/api;");
}

/* --- tier evaluation ---------------------------------------------------------------------- */

/* Tiers on 12-month spend: silver from ¥1,000 (100000 cents). */
static const char spend_programme[] =
    "{\"name\":\"Spend\",\"currency\":\"CNY\",\"timezone\":\"Asia/Shanghai\","
    "\"points\":{\"expiry\":{\"policy\":\"never\"},\"return_window_days\":0,\"refund_policy\":\"debt\"},"
    "\"growth\":{\"per_unit\":1,\"unit_cents\":100},"
    "\"tier_policy\":{\"qualify_on\":\"spend_12m\",\"review_months\":12},"
    "\"tiers\":[{\"code\":\"normal\",\"name_zh\":\"普通\",\"name_en\":\"Member\",\"threshold\":0,\"retain\":0,\"points_multiplier\":\"1.0\"},"
    "{\"code\":\"silver\",\"name_zh\":\"银卡\",\"name_en\":\"Silver\",\"threshold\":100000,\"retain\":50000,\"points_multiplier\":\"1.0\"}],"
    "\"rules\":[{\"code\":\"base\",\"kind\":\"base\",\"points_per_unit\":1,\"unit_cents\":100}],\"rewards\":[]}";

SERVER_TEST(server_tier_evaluate_applies_an_upgrade_imported_spend_qualifies_for_once_per_key)
{
    char key[PT_APIKEY_MAX], no[16], path[128], rows[256], when[32];
    struct resp r;
    snprintf(s->data, sizeof s->data, "%s/d", pt_test_tmpdir());
    const char *p = pt_test_write_file(pt_test_tmpdir(), "spend.json", spend_programme);
    ASSERT_EQ(pt_test_run(NULL, "'%s' init --data '%s' >/dev/null 2>&1 && '%s' programme load '%s' --data '%s' >/dev/null",
                          BIN, s->data, BIN, p, s->data), 0);
    ASSERT_EQ(make_key(s, "operator", key), 0);
    ASSERT_EQ(start(s, NULL), 0);
    ASSERT_EQ(new_member(s, key, "13800138000", no), 201);
    snprintf(path, sizeof path, "/v1/members/%s/points/earn", no);
    ASSERT_EQ(http(s, "POST", path, key, "e-1", "{\"points\":10}", &r), 201);
    ASSERT_STR_EQ(jstr(&r, "tier"), "normal");
    resp_free(&r);
    /* an order of ¥1,234.00 imported (no ledger write): it qualifies, nothing applied it yet */
    time_t y = time(NULL) - 86400;
    struct tm tm;
    gmtime_r(&y, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
    snprintf(rows, sizeof rows, "order_no,phone,order_time,amount\nO-1,13800138000,%s,1234.00\n", when);
    const char *csv = pt_test_write_file(pt_test_tmpdir(), "orders.csv", rows);
    ASSERT_EQ(pt_test_run(NULL, "'%s' import orders '%s' --source shop --data '%s' >/dev/null 2>&1", BIN, csv, s->data), 0);
    char tier[128];
    snprintf(tier, sizeof tier, "/v1/members/%s/tier", no);
    ASSERT_EQ(http(s, "GET", tier, key, NULL, NULL, &r), 200);
    ASSERT_STR_EQ(jstr(&r, "tier"), "normal");
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/members/%s/tier/evaluate", no);
    ASSERT_EQ(http(s, "POST", path, key, "te-1", NULL, &r), 200);
    ASSERT_STR_EQ(jstr(&r, "member"), no);
    ASSERT_STR_EQ(jstr(&r, "tier_before"), "normal");
    ASSERT_STR_EQ(jstr(&r, "tier_after"), "silver");
    ASSERT_EQ(json_is_true(json_object_get(r.json, "changed")), 1);
    ASSERT_EQ(jint(&r, "upgraded"), 1);
    ASSERT_EQ(jint(&r, "downgraded"), 0);
    ASSERT_EQ(jint(&r, "reviews"), 0);
    ASSERT_EQ(jint(&r, "period_growth"), 123400);
    long long review_at = jint(&r, "review_at");
    ASSERT(review_at > (long long)time(NULL) + 364LL * 86400 && review_at < (long long)time(NULL) + 367LL * 86400);
    resp_free(&r);
    ASSERT_EQ(http(s, "POST", path, key, "te-1", NULL, &r), 200);
    ASSERT_STR_EQ(jstr(&r, "tier_after"), "silver");
    ASSERT_EQ(json_is_true(json_object_get(r.json, "changed")), 1);
    ASSERT_EQ(json_is_true(json_object_get(r.json, "replayed")), 1);
    resp_free(&r);
    ASSERT_EQ(http(s, "POST", path, key, "te-2", NULL, &r), 200);
    ASSERT_STR_EQ(jstr(&r, "tier_before"), "silver");
    ASSERT_STR_EQ(jstr(&r, "tier_after"), "silver");
    ASSERT_EQ(json_is_false(json_object_get(r.json, "changed")), 1);
    ASSERT_EQ(jint(&r, "upgraded"), 0);
    resp_free(&r);
    ASSERT_EQ(http(s, "GET", tier, key, NULL, NULL, &r), 200);
    ASSERT_STR_EQ(jstr(&r, "tier"), "silver");
    resp_free(&r);
    /* one change in the history, from the evaluation */
    snprintf(path, sizeof path, "/v1/members/%s/tier/history", no);
    ASSERT_EQ(http(s, "GET", path, key, NULL, NULL, &r), 200);
    json_t *changes = json_object_get(r.json, "changes");
    ASSERT_EQ(json_array_size(changes), 1);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(changes, 0), "to")), "silver");
    resp_free(&r);
    ASSERT_EQ(stop(s), 0);
}

/* --- identities --------------------------------------------------------------------------- */

SERVER_TEST(server_identities_list_masked_or_without_values_and_attach_refuses_another_members_value)
{
    char key[PT_APIKEY_MAX], ana[PT_APIKEY_MAX], a[16], b[16], path[128], msg[128];
    struct resp r;
    ASSERT_EQ(make_data(s, "d"), 0);
    ASSERT_EQ(make_key(s, "operator", key), 0);
    ASSERT_EQ(make_key(s, "analyst", ana), 0);
    ASSERT_EQ(start(s, NULL), 0);
    ASSERT_EQ(new_member(s, key, "13800138001", a), 201);
    ASSERT_EQ(new_member(s, key, "13800138002", b), 201);
    snprintf(path, sizeof path, "/v1/members/%s/identities", a);
    ASSERT_EQ(http(s, "POST", path, key, "i-1", "{\"kind\":\"email\",\"value\":\"Li.Wei@Example.COM\"}", &r), 201);
    ASSERT_STR_EQ(jstr(&r, "kind"), "email");
    ASSERT_STR_EQ(jstr(&r, "value"), "l***@example.com"); /* normalised, masked */
    ASSERT_EQ(json_is_true(json_object_get(r.json, "attached")), 1);
    resp_free(&r);
    ASSERT_EQ(http(s, "POST", path, key, "i-1", "{\"kind\":\"email\",\"value\":\"Li.Wei@Example.COM\"}", &r), 201);
    ASSERT_EQ(json_is_true(json_object_get(r.json, "replayed")), 1);
    ASSERT_STR_EQ(jstr(&r, "value"), "l***@example.com"); /* masked again from the request */
    resp_free(&r);
    ASSERT_EQ(records_hold(s->data, "example.com"), 0); /* not even masked in the record */
    /* the same value again under a new key: already the member's */
    ASSERT_EQ(http(s, "POST", path, key, "i-2", "{\"kind\":\"email\",\"value\":\"li.wei@example.com\"}", &r), 200);
    ASSERT_EQ(json_is_false(json_object_get(r.json, "attached")), 1);
    resp_free(&r);
    ASSERT_EQ(http(s, "POST", path, key, "i-3", "{\"kind\":\"openid\",\"value\":\"oX7_abc123\"}", &r), 201);
    resp_free(&r);
    /* b's phone is b's */
    ASSERT_EQ(http(s, "POST", path, key, "i-4", "{\"kind\":\"phone\",\"value\":\"138 0013 8002\"}", &r), 409);
    ASSERT_STR_EQ(err_code(&r), "identifier_taken");
    ASSERT_STR_EQ(err_field(&r), "value");
    snprintf(msg, sizeof msg, "another member (%s) holds", b);
    ASSERT_STR_CONTAINS(r.body, msg);
    resp_free(&r);
    ASSERT_EQ(http(s, "POST", path, key, "i-5", "{\"kind\":\"fax\",\"value\":\"1\"}", &r), 422);
    ASSERT_STR_EQ(err_field(&r), "kind");
    resp_free(&r);
    ASSERT_EQ(http(s, "POST", path, key, "i-6", "{\"kind\":\"phone\",\"value\":\"12\"}", &r), 422);
    ASSERT_STR_EQ(err_field(&r), "value");
    resp_free(&r);
    /* the operator's list: masked values in the order added */
    ASSERT_EQ(http(s, "GET", path, key, NULL, NULL, &r), 200);
    json_t *ids = json_object_get(r.json, "identities");
    ASSERT_EQ(json_array_size(ids), 3);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(ids, 0), "kind")), "phone");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(ids, 0), "value")), "+86138****8001");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(ids, 1), "value")), "l***@example.com");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(ids, 2), "kind")), "openid");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(ids, 2), "value")), "o***");
    ASSERT(strstr(r.body, "13800138001") == NULL && strstr(r.body, "li.wei") == NULL);
    resp_free(&r);
    /* the analyst's: kinds, no values */
    ASSERT_EQ(http(s, "GET", path, ana, NULL, NULL, &r), 200);
    ids = json_object_get(r.json, "identities");
    ASSERT_EQ(json_array_size(ids), 3);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(ids, 1), "kind")), "email");
    ASSERT(json_object_get(json_array_get(ids, 0), "value") == NULL);
    ASSERT(strstr(r.body, "8001") == NULL && strstr(r.body, "example") == NULL);
    resp_free(&r);
    ASSERT_EQ(stop(s), 0);
}

/* --- referrals ---------------------------------------------------------------------------- */

SERVER_TEST(server_referral_code_is_made_once_and_an_invitee_registers_with_it_once)
{
    char key[PT_APIKEY_MAX], a[16], b[16], c[16], path[128], body[256], code[32];
    struct resp r;
    ASSERT_EQ(make_data(s, "d"), 0);
    ASSERT_EQ(make_key(s, "operator", key), 0);
    ASSERT_EQ(start(s, NULL), 0);
    ASSERT_EQ(new_member(s, key, "13800138001", a), 201);
    ASSERT_EQ(new_member(s, key, "13800138002", b), 201);
    ASSERT_EQ(new_member(s, key, "13800138003", c), 201);
    snprintf(path, sizeof path, "/v1/members/%s/referral-code", a);
    ASSERT_EQ(http(s, "GET", path, key, NULL, NULL, &r), 200);
    snprintf(code, sizeof code, "%s", jstr(&r, "code"));
    ASSERT_EQ(strlen(code), 10);
    ASSERT_STR_EQ(jstr(&r, "member"), a);
    resp_free(&r);
    ASSERT_EQ(http(s, "GET", path, key, NULL, NULL, &r), 200);
    ASSERT_STR_EQ(jstr(&r, "code"), code); /* the same code ever after */
    resp_free(&r);
    snprintf(body, sizeof body, "{\"invitee\":\"%s\",\"code\":\"%s\"}", b, code);
    ASSERT_EQ(http(s, "POST", "/v1/referrals", key, "rf-1", body, &r), 201);
    ASSERT_STR_EQ(jstr(&r, "invitee"), b);
    ASSERT_STR_EQ(jstr(&r, "referrer"), a);
    ASSERT_STR_EQ(jstr(&r, "state"), "pending");
    ASSERT_STR_EQ(jstr(&r, "code"), code);
    resp_free(&r);
    ASSERT_EQ(http(s, "POST", "/v1/referrals", key, "rf-1", body, &r), 201);
    ASSERT_EQ(json_is_true(json_object_get(r.json, "replayed")), 1);
    ASSERT_STR_EQ(jstr(&r, "referrer"), a);
    resp_free(&r);
    ASSERT_EQ(http(s, "POST", "/v1/referrals", key, "rf-2", body, &r), 409);
    ASSERT_STR_EQ(err_code(&r), "already_referred");
    ASSERT_STR_EQ(err_field(&r), "invitee");
    resp_free(&r);
    snprintf(body, sizeof body, "{\"invitee\":\"%s\",\"code\":\"%s\"}", a, code);
    ASSERT_EQ(http(s, "POST", "/v1/referrals", key, "rf-3", body, &r), 422);
    ASSERT_STR_EQ(err_code(&r), "invite_code_refused");
    resp_free(&r);
    snprintf(body, sizeof body, "{\"invitee\":\"%s\",\"code\":\"NOPE234567\"}", c);
    ASSERT_EQ(http(s, "POST", "/v1/referrals", key, "rf-4", body, &r), 404);
    ASSERT_STR_EQ(err_code(&r), "invite_code_not_found");
    ASSERT_STR_EQ(err_field(&r), "code");
    resp_free(&r);
    snprintf(body, sizeof body, "{\"invitee\":\"0000000000\",\"code\":\"%s\"}", code);
    ASSERT_EQ(http(s, "POST", "/v1/referrals", key, "rf-5", body, &r), 404);
    ASSERT_STR_EQ(err_field(&r), "invitee");
    resp_free(&r);
    ASSERT_EQ(stop(s), 0);
}

/* --- one member's CLV and churn score ----------------------------------------------------- */

SERVER_TEST(server_clv_and_churn_of_one_member_match_the_dashboard_and_the_stored_scores)
{
    char ana[PT_APIKEY_MAX], path[160], no1[PT_MEMBER_NO_MAX], no2[PT_MEMBER_NO_MAX], top[16];
    struct resp r;
    snprintf(s->data, sizeof s->data, "%s/demo", pt_test_tmpdir());
    ASSERT_EQ(pt_test_run(NULL, "'%s' demo --members 600 --seed 5 --data '%s' >/dev/null 2>&1", BIN, s->data), 0);
    ASSERT_EQ(make_key(s, "analyst", ana), 0);
    /* a stored churn score (as `patron churn score` leaves them) for member 1, none for 2 */
    pt_db *db;
    char err[256];
    ASSERT_OK(pt_db_open(&db, s->data, NULL, err, sizeof err));
    pt_score_rec sc = {.member_id = 1, .as_of = 1764547200, .score_ppm = 734000, .scored_at = 1764550000};
    snprintf(sc.model, sizeof sc.model, "churn:lr");
    snprintf(sc.version, sizeof sc.version, "lr-test-1");
    snprintf(sc.reasons, sizeof sc.reasons, "recency_days,overdue_ratio");
    int rc = pt_store_score_put(pt_db_store(db), &sc);
    pt_db_close(db);
    ASSERT_OK(rc);
    pt_member_no_for_id(1, no1);
    pt_member_no_for_id(2, no2);
    ASSERT_EQ(start(s, NULL), 0);
    snprintf(path, sizeof path, "/v1/analytics/churn/%s", no1);
    ASSERT_EQ(http(s, "GET", path, ana, NULL, NULL, &r), 200);
    ASSERT_STR_EQ(jstr(&r, "member"), no1);
    ASSERT_STR_EQ(jstr(&r, "model"), "lr");
    ASSERT_STR_EQ(jstr(&r, "version"), "lr-test-1");
    ASSERT_EQ(jint(&r, "score_ppm"), 734000);
    ASSERT(json_real_value(json_object_get(r.json, "score")) == 0.734);
    ASSERT_EQ(jint(&r, "as_of"), 1764547200);
    json_t *why = json_object_get(r.json, "reasons");
    ASSERT_EQ(json_array_size(why), 2);
    ASSERT_STR_EQ(json_string_value(json_array_get(why, 0)), "recency_days");
    ASSERT_STR_EQ(json_string_value(json_array_get(why, 1)), "overdue_ratio");
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/analytics/churn/%s?model=xgb", no1);
    ASSERT_EQ(http(s, "GET", path, ana, NULL, NULL, &r), 404);
    ASSERT_STR_EQ(err_code(&r), "not_scored");
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/analytics/churn/%s?model=forest", no1);
    ASSERT_EQ(http(s, "GET", path, ana, NULL, NULL, &r), 400);
    ASSERT_STR_EQ(err_field(&r), "model");
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/analytics/churn/%s", no2);
    ASSERT_EQ(http(s, "GET", path, ana, NULL, NULL, &r), 404);
    resp_free(&r);
    /* CLV: the highest-value member of the dashboard's value panel, the same numbers here */
    ASSERT_EQ(http(s, "GET", "/v1/dashboard/value", ana, NULL, NULL, &r), 200);
    json_t *first = json_array_get(json_object_get(r.json, "top"), 0);
    ASSERT(first);
    snprintf(top, sizeof top, "%s", json_string_value(json_object_get(first, "member_no")));
    long long clv = (long long)json_integer_value(json_object_get(first, "clv_cents"));
    double p_alive = json_real_value(json_object_get(first, "p_alive"));
    resp_free(&r);
    ASSERT(clv > 0);
    snprintf(path, sizeof path, "/v1/analytics/clv/%s", top);
    ASSERT_EQ(http(s, "GET", path, ana, NULL, NULL, &r), 200);
    ASSERT_STR_EQ(jstr(&r, "member"), top);
    ASSERT_EQ(jint(&r, "clv_cents"), clv);
    ASSERT(json_real_value(json_object_get(r.json, "p_alive")) == p_alive);
    ASSERT(p_alive > 0 && p_alive <= 1);
    double expected = json_real_value(json_object_get(r.json, "expected_purchases"));
    ASSERT(expected > 0);
    ASSERT(json_object_get(r.json, "name") == NULL && json_object_get(r.json, "phone") == NULL);
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/dashboard/member?q=%s", top);
    ASSERT_EQ(http(s, "GET", path, ana, NULL, NULL, &r), 200);
    json_t *c = json_object_get(r.json, "clv");
    ASSERT(json_real_value(json_object_get(c, "expected_purchases")) == expected);
    resp_free(&r);
    ASSERT_EQ(http(s, "GET", "/v1/analytics/clv/0000000000", ana, NULL, NULL, &r), 404);
    ASSERT_STR_EQ(err_code(&r), "member_not_found");
    resp_free(&r);
    ASSERT_EQ(stop(s), 0);
}

/* --- the same routes on both stores ------------------------------------------------------- */

static void *serve_thread(void *ud)
{
    pt_server_run(ud);
    return NULL;
}

/* The writes of these routes keep their idempotency records through the store (meta entries
 * and idempotency_keys) and rely on its unique keys (events, surveys, identities): the same
 * sequence on SQLite and PostgreSQL, with an in-process server on the store. */
BOTH_TEST(server_new_routes_replay_merge_and_ingest_alike_on_both_stores)
{
    pt_db *db = test_db_on(be, "d");
    ASSERT(db);
    char dir[4200], url[1024], key[PT_APIKEY_MAX], err[512];
    snprintf(dir, sizeof dir, "%s", pt_db_dir(db));
    snprintf(url, sizeof url, "%s", test_store_url(be, "d", NULL));
    ASSERT_OK(pt_apikey_create(db, PT_ROLE_ADMIN, "both", key, NULL));
    pt_db_close(db);
    const char *p = pt_test_write_file(pt_test_tmpdir(), "prog.json", test_server_programme);
    ASSERT_EQ(pt_test_run(NULL, "'%s' programme load '%s' --data '%s' --store '%s' >/dev/null", BIN, p, dir, url), 0);
    pt_server_opts o = {.data_dir = dir, .store_url = url, .threads = 2};
    pt_server *srv = NULL;
    ASSERT_OK(pt_server_start(&srv, &o, err, sizeof err));
    pthread_t th;
    pthread_create(&th, NULL, serve_thread, srv);
    struct srv s = {.pid = 0, .port = pt_server_port(srv)};
    struct resp r;
    char a[16] = "", b[16] = "", path[128], body[512];
    long st[16] = {0};
    long long n[8] = {0};
    const char *txt[4] = {"", "", "", ""};
    json_t *keep[4] = {NULL, NULL, NULL, NULL};
    /* create without a phone, replayed; another body under the key refused */
    st[0] = http(&s, "POST", "/v1/members", key, "c-1", "{\"name\":\"A\"}", &r);
    snprintf(a, sizeof a, "%s", jstr(&r, "member"));
    resp_free(&r);
    st[1] = http(&s, "POST", "/v1/members", key, "c-1", "{\"name\":\"A\"}", &r);
    keep[0] = json_incref(r.json);
    resp_free(&r);
    st[2] = http(&s, "POST", "/v1/members", key, "c-1", "{\"name\":\"B\"}", &r);
    resp_free(&r);
    st[3] = new_member(&s, key, "13800138002", b);
    /* b's points follow b into a */
    snprintf(path, sizeof path, "/v1/members/%s/points/earn", b);
    st[4] = http(&s, "POST", path, key, "e-b", "{\"points\":40}", &r);
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/members/%s/merge", a);
    snprintf(body, sizeof body, "{\"from\":\"%s\"}", b);
    st[5] = http(&s, "POST", path, key, "m-1", body, &r);
    n[0] = jint(&r, "points_moved");
    resp_free(&r);
    st[6] = http(&s, "POST", path, key, "m-1", body, &r);
    keep[1] = json_incref(r.json);
    resp_free(&r);
    st[7] = http(&s, "POST", path, key, "m-2", body, &r);
    keep[2] = json_incref(r.json);
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/members/%s/points", a);
    http(&s, "GET", path, key, NULL, NULL, &r);
    n[1] = jint(&r, "balance");
    resp_free(&r);
    /* a batch with an item that was stored before (addressed by the merged number) */
    snprintf(body, sizeof body, "{\"member\":\"%s\",\"kind\":\"checkin\",\"at\":1700000000}", a);
    st[8] = http(&s, "POST", "/v1/events", key, "ev-1", body, &r);
    resp_free(&r);
    snprintf(body, sizeof body,
             "{\"items\":[{\"member\":\"%s\",\"kind\":\"checkin\",\"at\":1700000000},"
             "{\"member\":\"%s\",\"kind\":\"share\",\"at\":1700000100}]}", b, a);
    st[9] = http(&s, "POST", "/v1/events", key, "ev-2", body, &r);
    n[2] = jint(&r, "stored");
    n[3] = jint(&r, "duplicates");
    resp_free(&r);
    /* an identifier of a, attached; b's phone (now a's) again: already a's */
    snprintf(path, sizeof path, "/v1/members/%s/identities", a);
    st[10] = http(&s, "POST", path, key, "i-1", "{\"kind\":\"email\",\"value\":\"a@example.com\"}", &r);
    txt[0] = r.json ? strdup(jstr(&r, "value")) : NULL;
    resp_free(&r);
    st[11] = http(&s, "POST", path, key, "i-2", "{\"kind\":\"phone\",\"value\":\"13800138002\"}", &r);
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/members/%s/tier/evaluate", a);
    st[12] = http(&s, "POST", path, key, "t-1", NULL, &r);
    txt[1] = r.json ? strdup(jstr(&r, "tier_after")) : NULL;
    resp_free(&r);
    pt_server_request_stop(srv);
    pthread_join(th, NULL);
    pt_server_free(srv);
    int replayed0 = json_is_true(json_object_get(keep[0], "replayed"));
    const char *again = json_string_value(json_object_get(keep[0], "member"));
    int same = again && strcmp(again, a) == 0;
    int replayed1 = json_is_true(json_object_get(keep[1], "replayed"));
    const char *code2 = json_string_value(json_object_get(json_object_get(keep[2], "error"), "code"));
    int already = code2 && strcmp(code2, "already_merged") == 0;
    for (int i = 0; i < 3; i++)
        json_decref(keep[i]);
    char email[64], tier[32];
    snprintf(email, sizeof email, "%s", txt[0] ? txt[0] : "");
    snprintf(tier, sizeof tier, "%s", txt[1] ? txt[1] : "");
    free((char *)txt[0]);
    free((char *)txt[1]);
    ASSERT_EQ(st[0], 201);
    ASSERT_EQ(st[1], 201);
    ASSERT(replayed0 && same);
    ASSERT_EQ(st[2], 409);
    ASSERT_EQ(st[3], 201);
    ASSERT_EQ(st[4], 201);
    ASSERT_EQ(st[5], 200);
    ASSERT_EQ(n[0], 40);
    ASSERT_EQ(st[6], 200);
    ASSERT(replayed1);
    ASSERT_EQ(st[7], 409);
    ASSERT(already);
    ASSERT_EQ(n[1], 40);
    ASSERT_EQ(st[8], 201);
    ASSERT_EQ(st[9], 201);
    ASSERT_EQ(n[2], 1);
    ASSERT_EQ(n[3], 1);
    ASSERT_EQ(st[10], 201);
    ASSERT_STR_EQ(email, "a***@example.com");
    ASSERT_EQ(st[11], 200);
    ASSERT_EQ(st[12], 200);
    ASSERT_STR_EQ(tier, "normal");
}

/* --- update and erase replay by key ------------------------------------------------------------ */

/* A profile update and an erasure keep their Idempotency-Key like every other write: a retry
 * answers the first result (replayed), another body under the key is 409, and the record holds
 * none of the profile. */
SERVER_TEST(server_member_update_and_erase_replay_their_first_answer_for_the_same_key)
{
    char key[PT_APIKEY_MAX], adm[PT_APIKEY_MAX], a[16], path[128];
    struct resp r;
    ASSERT_EQ(make_data(s, "d"), 0);
    ASSERT_EQ(make_key(s, "operator", key), 0);
    ASSERT_EQ(make_key(s, "admin", adm), 0);
    ASSERT_EQ(start(s, NULL), 0);
    ASSERT_EQ(new_member(s, key, "13800138001", a), 201);
    snprintf(path, sizeof path, "/v1/members/%s", a);
    ASSERT_EQ(http(s, "PATCH", path, key, "u-1", "{\"name\":\"Wang Wu\",\"region\":\"BJ\"}", &r), 200);
    ASSERT_STR_EQ(jstr(&r, "name"), "Wang Wu");
    ASSERT_EQ(json_is_false(json_object_get(r.json, "replayed")), 1);
    resp_free(&r);
    ASSERT_EQ(http(s, "PATCH", path, key, "u-1", "{\"name\":\"Wang Wu\",\"region\":\"BJ\"}", &r), 200);
    ASSERT_EQ(json_is_true(json_object_get(r.json, "replayed")), 1);
    ASSERT_STR_EQ(jstr(&r, "name"), "Wang Wu");
    ASSERT_STR_EQ(jstr(&r, "region"), "BJ");
    resp_free(&r);
    ASSERT_EQ(http(s, "PATCH", path, key, "u-1", "{\"name\":\"Zhao Liu\"}", &r), 409);
    ASSERT_STR_EQ(err_code(&r), "idempotency_conflict");
    resp_free(&r);
    ASSERT_EQ(http(s, "GET", path, key, NULL, NULL, &r), 200);
    ASSERT_STR_EQ(jstr(&r, "name"), "Wang Wu"); /* the refused body changed nothing */
    resp_free(&r);
    ASSERT_EQ(records_hold(s->data, "Wang Wu"), 0);
    ASSERT_EQ(http(s, "DELETE", path, adm, "d-1", NULL, &r), 200);
    ASSERT_STR_EQ(jstr(&r, "status"), "erased");
    resp_free(&r);
    ASSERT_EQ(http(s, "DELETE", path, adm, "d-1", NULL, &r), 200);
    ASSERT_EQ(json_is_true(json_object_get(r.json, "replayed")), 1);
    ASSERT_STR_EQ(jstr(&r, "status"), "erased");
    resp_free(&r);
    ASSERT_EQ(stop(s), 0);
}

/* --- recommendations ---------------------------------------------------------------------------- */

/* GET …/recommendations answers what `patron reco for` answers with the same model file (same
 * items, same order), honours n and exclude, says 409 no_model before a model exists, and picks
 * up a model file trained again while it runs. */
SERVER_TEST(server_recommendations_match_the_cli_and_follow_a_retrained_model)
{
    char ana[PT_APIKEY_MAX], path[256], no[PT_MEMBER_NO_MAX] = "1000000016";
    struct resp r;
    snprintf(s->data, sizeof s->data, "%s/demo", pt_test_tmpdir());
    ASSERT_EQ(pt_test_run(NULL, "'%s' demo --members 400 --seed 5 --data '%s' >/dev/null 2>&1", BIN, s->data), 0);
    ASSERT_EQ(make_key(s, "analyst", ana), 0);
    ASSERT_EQ(start(s, NULL), 0);
    snprintf(path, sizeof path, "/v1/members/%s/recommendations?n=5", no);
    ASSERT_EQ(http(s, "GET", path, ana, NULL, NULL, &r), 409);
    ASSERT_STR_EQ(err_code(&r), "no_model");
    resp_free(&r);
    ASSERT_EQ(pt_test_run(NULL, "'%s' reco train --model bm25 --data '%s' >/dev/null 2>&1", BIN, s->data), 0);
    char *cli = NULL;
    ASSERT_EQ(pt_test_run(&cli, "'%s' reco for %s --n 5 --json --data '%s' 2>/dev/null", BIN, no, s->data), 0);
    json_t *want = json_loads(cli ? cli : "", 0, NULL);
    free(cli);
    ASSERT(want);
    struct timespec ts = {1, 100 * 1000 * 1000}; /* the server looks at the file at most once a second */
    nanosleep(&ts, NULL);
    ASSERT_EQ(http(s, "GET", path, ana, NULL, NULL, &r), 200);
    ASSERT_STR_EQ(jstr(&r, "model"), "bm25");
    json_t *got = json_object_get(r.json, "items"), *exp = json_object_get(want, "items");
    ASSERT_EQ(json_array_size(got), 5);
    ASSERT_EQ(json_array_size(exp), 5);
    for (size_t k = 0; k < 5; k++)
        ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(got, k), "item")),
                      json_string_value(json_object_get(json_array_get(exp, k), "item")));
    ASSERT_EQ(jint(&r, "history_items"), json_integer_value(json_object_get(want, "history_items")));
    char first[64];
    snprintf(first, sizeof first, "%s", json_string_value(json_object_get(json_array_get(got, 0), "item")));
    json_decref(want);
    resp_free(&r);
    /* exclude the first: the next four move up */
    snprintf(path, sizeof path, "/v1/members/%s/recommendations?n=4&exclude=%s", no, first);
    ASSERT_EQ(http(s, "GET", path, ana, NULL, NULL, &r), 200);
    ASSERT_EQ(json_array_size(json_object_get(r.json, "items")), 4);
    for (size_t k = 0; k < 4; k++)
        ASSERT(strcmp(json_string_value(json_object_get(json_array_get(json_object_get(r.json, "items"), k), "item")),
                      first) != 0);
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/members/%s/recommendations?n=0", no);
    ASSERT_EQ(http(s, "GET", path, ana, NULL, NULL, &r), 400);
    ASSERT_STR_EQ(err_field(&r), "n");
    resp_free(&r);
    /* trained again as another model: served within about a second, without a restart */
    ASSERT_EQ(pt_test_run(NULL, "'%s' reco train --model popularity --data '%s' >/dev/null 2>&1", BIN, s->data), 0);
    nanosleep(&ts, NULL);
    snprintf(path, sizeof path, "/v1/members/%s/recommendations", no);
    ASSERT_EQ(http(s, "GET", path, ana, NULL, NULL, &r), 200);
    ASSERT_STR_EQ(jstr(&r, "model"), "popularity");
    ASSERT_EQ(json_array_size(json_object_get(r.json, "items")), 10);
    resp_free(&r);
    ASSERT_EQ(stop(s), 0);
}

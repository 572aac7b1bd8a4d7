/* test_server.c — `patron serve` end to end: the real program on a free loopback port, spoken
 * to over HTTP with libcurl (and a raw socket for garbage). Covers the member journey with exact
 * balances, keys and roles (every route × every role), idempotent retries (sequential and
 * concurrent), field-named validation errors, body limits and garbage, the rate limit, key
 * revocation, the analyst's pseudonymised view, SIGTERM's clean exit, and kill -9 during a
 * burst of acknowledged earns losing none of them.
 */
#include "helpers.h"
#include "server_harness.h"
#include "test.h"
#include "patron/apikey.h"
#include "patron/db.h"
#include "patron/member.h"
#include "patron/server.h"
#include "patron/store_ledger.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


/* --- the member journey --------------------------------------------------------------------- */

SERVER_TEST(server_member_journey_register_order_earn_tier_up_redeem_refund_has_exact_balances)
{
    char key[PT_APIKEY_MAX], no[16], path[256];
    struct resp r;
    ASSERT_EQ(make_data(s, "d"), 0);
    ASSERT_EQ(make_key(s, "operator", key), 0);
    ASSERT_EQ(start(s, NULL), 0);
    ASSERT_EQ(new_member(s, key, "13800138000", no), 201);
    ASSERT_EQ(strlen(no), 10);
    /* registering the same phone again finds the same member */
    char again[16];
    ASSERT_EQ(new_member(s, key, "+86 138-0013-8000", again), 200);
    ASSERT_STR_EQ(again, no);
    /* an order from the shop yesterday (imported while the server runs): ¥1,234.00 */
    char rows[256], when[32];
    time_t y = time(NULL) - 86400;
    struct tm tm;
    gmtime_r(&y, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
    snprintf(rows, sizeof rows, "order_no,phone,order_time,amount\nO-1,13800138000,%s,1234.00\n", when);
    const char *csv = pt_test_write_file(pt_test_tmpdir(), "orders.csv", rows);
    ASSERT_EQ(pt_test_run(NULL, "'%s' import orders '%s' --source shop --data '%s' >/dev/null 2>&1", BIN, csv, s->data), 0);
    ASSERT_EQ(http(s, "POST", "/v1/orders/O-1/earn", key, "earn-O-1", NULL, &r), 201);
    ASSERT_EQ(jint(&r, "points"), 1234);  /* 1 per ¥1 at the entry tier */
    ASSERT_EQ(jint(&r, "balance"), 1234);
    ASSERT_EQ(jint(&r, "growth"), 1234);
    ASSERT_STR_EQ(jstr(&r, "tier"), "silver"); /* 1234 growth ≥ 1000: up at once */
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/members/%s/tier", no);
    ASSERT_EQ(http(s, "GET", path, key, NULL, NULL, &r), 200);
    ASSERT_STR_EQ(jstr(&r, "tier"), "silver");
    resp_free(&r);
    /* points given outright are not multiplied */
    snprintf(path, sizeof path, "/v1/members/%s/points/earn", no);
    ASSERT_EQ(http(s, "POST", path, key, "bonus-1", "{\"points\":100,\"note\":\"goodwill\"}", &r), 201);
    ASSERT_EQ(jint(&r, "balance"), 1334);
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/members/%s/points/redeem", no);
    ASSERT_EQ(http(s, "POST", path, key, "spend-1", "{\"points\":1000}", &r), 201);
    ASSERT_EQ(jint(&r, "balance"), 334);
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/members/%s/rewards/mug/redeem", no);
    ASSERT_EQ(http(s, "POST", path, key, "mug-1", NULL, &r), 201);
    ASSERT_EQ(jint(&r, "balance"), 34);
    ASSERT_EQ(jint(&r, "stock_left"), 0);
    resp_free(&r);
    /* the refund reverses the order's 1234 points and growth. The order's lot was spent (the
     * redemptions took the oldest lot first), so under the "debt" policy the 1234 become debt,
     * settled from later earns; the 34 left of the goodwill lot stay; silver holds until review */
    ASSERT_EQ(http(s, "POST", "/v1/orders/O-1/refund", key, "refund-O-1", NULL, &r), 201);
    ASSERT_EQ(jint(&r, "points"), 0);
    ASSERT_EQ(jint(&r, "balance"), 34);
    ASSERT_EQ(jint(&r, "debt"), 1234);
    ASSERT_EQ(jint(&r, "growth"), 0);
    ASSERT_STR_EQ(jstr(&r, "tier"), "silver");
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/members/%s/points/earn", no);
    ASSERT_EQ(http(s, "POST", path, key, "bonus-2", "{\"points\":1000}", &r), 201);
    ASSERT_EQ(jint(&r, "balance"), 34);  /* all 1000 went to the debt */
    ASSERT_EQ(jint(&r, "debt"), 234);
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/members/%s/points", no);
    ASSERT_EQ(http(s, "GET", path, key, NULL, NULL, &r), 200);
    ASSERT_EQ(jint(&r, "balance"), 34);
    ASSERT_EQ(jint(&r, "debt"), 234);
    resp_free(&r);
    /* the open lots hold exactly the balance: the goodwill lot's 34 (the debt took the rest) */
    snprintf(path, sizeof path, "/v1/members/%s/points/lots?open=1", no);
    ASSERT_EQ(http(s, "GET", path, key, NULL, NULL, &r), 200);
    json_t *j = json_loads(r.body, 0, NULL);
    resp_free(&r);
    ASSERT(j);
    json_int_t left = 0;
    for (size_t i = 0; i < json_array_size(json_object_get(j, "lots")); i++)
        left += json_integer_value(json_object_get(json_array_get(json_object_get(j, "lots"), i), "remaining"));
    json_decref(j);
    ASSERT_EQ(left, 34);
    /* the tier history has the upgrade the order's growth gave */
    snprintf(path, sizeof path, "/v1/members/%s/tier/history", no);
    ASSERT_EQ(http(s, "GET", path, key, NULL, NULL, &r), 200);
    j = json_loads(r.body, 0, NULL);
    resp_free(&r);
    ASSERT(j);
    json_t *changes = json_object_get(j, "changes");
    json_t *last = json_array_get(changes, json_array_size(changes) - 1);
    int upgraded = last && strcmp(json_string_value(json_object_get(last, "to")), "silver") == 0;
    json_decref(j);
    ASSERT(upgraded);
    ASSERT_EQ(stop(s), 0);
    ASSERT_EQ(pt_test_run(NULL, "'%s' points verify --data '%s' >/dev/null 2>&1", BIN, s->data), 0);
}

/* --- keys and roles ------------------------------------------------------------------------- */

/* Who may call what, written from the role definitions (not copied from the router):
 * A admin, O operator, N analyst, U auditor; "-" public. */
static const struct {
    const char *method, *path, *roles;
} expected[] = {
    {"GET", "/healthz", "-"},
    {"GET", "/metrics", "-"},
    {"GET", "/openapi.json", "-"},
    {"POST", "/v1/members", "AO"},
    {"GET", "/v1/members?phone=13800138000", "AON"},
    {"GET", "/v1/members/{m}", "AON"},
    {"PATCH", "/v1/members/{m}", "AO"},
    {"GET", "/v1/members/{m}/points", "AO"},
    {"GET", "/v1/members/{m}/points/history", "AO"},
    {"POST", "/v1/members/{m}/points/earn", "AO"},
    {"POST", "/v1/members/{m}/points/redeem", "AO"},
    {"POST", "/v1/members/{m}/points/adjust", "AO"},
    {"GET", "/v1/members/{m}/tier", "AO"},
    {"GET", "/v1/members/{m}/points/lots", "AO"},
    {"GET", "/v1/members/{m}/tier/history", "AO"},
    {"POST", "/v1/members/{m}/rewards/mug/redeem", "AO"},
    {"GET", "/v1/members/{m}/audit", "AU"},
    {"POST", "/v1/orders/O-none/earn", "AO"},
    {"POST", "/v1/orders/O-none/refund", "AO"},
    {"GET", "/v1/rewards", "AO"},
    {"GET", "/v1/analytics/rfm/{m}", "AN"},
    {"GET", "/v1/analytics/segments", "AN"},
    {"GET", "/v1/analytics/lifecycle", "AN"},
    {"GET", "/v1/analytics/kpi", "AN"},
    {"GET", "/v1/members/{m}/export", "A"},
    {"GET", "/v1/members/{m}/coupons", "AO"},
    {"POST", "/v1/members/{m}/coupons", "AO"},
    {"POST", "/v1/coupons/NOPE/use", "AO"},
    {"POST", "/v1/members/{m}/activities/checkin", "AO"},
    {"POST", "/v1/orders", "AO"},
    {"POST", "/v1/members/{m}/merge", "AO"},
    {"POST", "/v1/events", "AO"},
    {"POST", "/v1/surveys", "AO"},
    {"POST", "/v1/members/{m}/tier/evaluate", "AO"},
    {"GET", "/v1/members/{m}/identities", "AON"},
    {"POST", "/v1/members/{m}/identities", "AO"},
    {"GET", "/v1/members/{m}/referral-code", "AO"},
    {"POST", "/v1/referrals", "AO"},
    {"GET", "/v1/analytics/clv/{m}", "AN"},
    {"GET", "/v1/analytics/churn/{m}", "AN"},
    {"GET", "/v1/members/{m}/recommendations", "AON"},
    {"GET", "/v1/dashboard/segments/members", "AN"},
    {"GET", "/v1/dashboard/meta", "AN"},
    {"GET", "/", "-"},
    {"GET", "/index.html", "-"},
    {"DELETE", "/v1/members/{e}", "A"}, /* last: it erases member {e} */
};
#define NEXPECTED ((int)(sizeof expected / sizeof *expected))

extern const int srv_nroutes; /* the router's table (server/router.c) */

static void fill_path(char *out, size_t cap, const char *tmpl, const char *m, const char *e)
{
    size_t n = 0;
    for (const char *p = tmpl; *p && n + 16 < cap; p++) {
        if (strncmp(p, "{m}", 3) == 0 || strncmp(p, "{e}", 3) == 0) {
            n += (size_t)snprintf(out + n, cap - n, "%s", p[1] == 'm' ? m : e);
            p += 2;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = 0;
}

SERVER_TEST(server_every_route_answers_every_role_as_the_role_table_says)
{
    static const char roles[] = "AONU";
    static const char *const names[] = {"admin", "operator", "analyst", "auditor"};
    char keys[4][PT_APIKEY_MAX], m[16], e[16], path[256], idem[64];
    ASSERT_EQ(NEXPECTED, srv_nroutes); /* every route of the router is in the table above */
    ASSERT_EQ(make_data(s, "d"), 0);
    for (int i = 0; i < 4; i++)
        ASSERT_EQ(make_key(s, names[i], keys[i]), 0);
    ASSERT_EQ(start(s, NULL), 0);
    ASSERT_EQ(new_member(s, keys[0], "13800138000", m), 201);
    ASSERT_EQ(new_member(s, keys[0], "13900139000", e), 201);
    int calls = 0;
    for (int k = 0; k < NEXPECTED; k++) {
        fill_path(path, sizeof path, expected[k].path, m, e);
        struct resp r;
        int public = strcmp(expected[k].roles, "-") == 0;
        /* without a key: 401 with the error shape, except the public routes */
        long st = http(s, expected[k].method, path, NULL, "x", NULL, &r);
        if (public)
            ASSERT_EQ(st, 200);
        else {
            ASSERT_EQ(st, 401);
            ASSERT_STR_EQ(err_code(&r), "unauthenticated");
        }
        resp_free(&r);
        for (int ro = 0; ro < 4 && !public; ro++) {
            snprintf(idem, sizeof idem, "roles-%d-%d", k, ro);
            st = http(s, expected[k].method, path, keys[ro], idem, NULL, &r);
            int allowed = strchr(expected[k].roles, roles[ro]) != NULL;
            /* allowed: any answer of the route itself (a write without a body is 400), never a
             * refusal and never a server error */
            /* …nor the router's 404 for a path it does not know (the table's path must be routed) */
            int unrouted = st == 404 && r.body && strstr(r.body, "no such resource");
            if (allowed && (st == 403 || st == 401 || st == 0 || st >= 500 || unrouted))
                PT__FAIL("%s %s as %s: %ld, expected it allowed (%s)", expected[k].method, path, names[ro], st,
                         r.body ? r.body : "");
            if (!allowed && st != 403)
                PT__FAIL("%s %s as %s: %ld, expected 403", expected[k].method, path, names[ro], st);
            if (!allowed)
                ASSERT_STR_EQ(err_code(&r), "forbidden");
            resp_free(&r);
            calls++;
        }
    }
    ASSERT_EQ(calls, (NEXPECTED - 5) * 4); /* five public routes: three, and the dashboard's files */
    /* a made-up key is refused like no key */
    struct resp r;
    ASSERT_EQ(http(s, "GET", "/v1/rewards", "ptk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, NULL, &r), 401);
    resp_free(&r);
    /* the metrics count requests by route pattern and status */
    ASSERT_EQ(http(s, "GET", "/metrics", NULL, NULL, NULL, &r), 200);
    ASSERT_STR_CONTAINS(r.body, "patron_http_requests_total{method=\"GET\",route=\"/v1/rewards\",status=\"403\"} 2");
    ASSERT_STR_CONTAINS(r.body, "patron_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/rewards\"");
    ASSERT(strstr(r.body, m) == NULL); /* no member numbers in metrics */
    resp_free(&r);
    ASSERT_EQ(stop(s), 0);
    /* the request log names routes, never concrete paths or phone numbers */
    char logp[4400];
    snprintf(logp, sizeof logp, "%s/logs/requests.log", s->data);
    static const char *const needles[] = {"13800138000", "Test Person"};
    char *log = pt_test_slurp(logp, NULL);
    ASSERT(log && strstr(log, "/v1/members/{member}/points"));
    ASSERT(strstr(log, m) == NULL);
    free(log);
    ASSERT_EQ(test_file_contains_any(logp, needles, 2), 0);
}

/* --- idempotency ---------------------------------------------------------------------------- */

struct earn_call {
    const struct srv *s;
    const char       *key, *path, *idem, *body;
    long              status;
    long long         entry;
    int               replayed;
};

static void *earn_thread(void *ud)
{
    struct earn_call *c = ud;
    struct resp r;
    c->status = http(c->s, "POST", c->path, c->key, c->idem, c->body, &r);
    c->entry = jint(&r, "entry");
    c->replayed = r.json && json_is_true(json_object_get(r.json, "replayed"));
    resp_free(&r);
    return NULL;
}

SERVER_TEST(server_idempotent_retries_apply_once_even_when_sent_concurrently)
{
    char key[PT_APIKEY_MAX], no[16], path[256];
    ASSERT_EQ(make_data(s, "d"), 0);
    ASSERT_EQ(make_key(s, "operator", key), 0);
    ASSERT_EQ(start(s, NULL), 0);
    ASSERT_EQ(new_member(s, key, "13800138000", no), 201);
    snprintf(path, sizeof path, "/v1/members/%s/points/earn", no);
    enum { N = 8 };
    struct earn_call c[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        c[i] = (struct earn_call){s, key, path, "same-key", "{\"points\":50}", 0, 0, 0};
        pthread_create(&th[i], NULL, earn_thread, &c[i]);
    }
    int fresh = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        ASSERT(c[i].status == 200 || c[i].status == 201);
        ASSERT_EQ(c[i].entry, c[0].entry);
        fresh += !c[i].replayed;
    }
    ASSERT_EQ(fresh, 1);
    /* a later sequential retry replays too; the same key with another body is a conflict */
    struct earn_call again = {s, key, path, "same-key", "{\"points\":50}", 0, 0, 0};
    earn_thread(&again);
    ASSERT_EQ(again.status, 200);
    ASSERT_EQ(again.replayed, 1);
    struct resp r;
    ASSERT_EQ(http(s, "POST", path, key, "same-key", "{\"points\":51}", &r), 409);
    ASSERT_STR_EQ(err_code(&r), "idempotency_conflict");
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/members/%s/points", no);
    ASSERT_EQ(http(s, "GET", path, key, NULL, NULL, &r), 200);
    ASSERT_EQ(jint(&r, "balance"), 50);
    resp_free(&r);
    ASSERT_EQ(stop(s), 0);
}

/* --- bad input -------------------------------------------------------------------------------- */

/* Sends raw bytes on a fresh connection and returns what came back (malloc'd, may be ""). */
static char *raw_exchange(const struct srv *s, const char *bytes, size_t n)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    char *out = calloc(1, 65536);
    if (fd < 0 || !out || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return out;
    }
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (write(fd, bytes, n) < 0) {
        close(fd);
        return out;
    }
    shutdown(fd, SHUT_WR);
    size_t got = 0;
    ssize_t k;
    while (got < 65535 && (k = read(fd, out + got, 65535 - got)) > 0)
        got += (size_t)k;
    close(fd);
    return out;
}

SERVER_TEST(server_bad_input_gets_a_4xx_naming_the_field_and_the_server_stays_up)
{
    char key[PT_APIKEY_MAX], no[16], path[256];
    struct resp r;
    ASSERT_EQ(make_data(s, "d"), 0);
    ASSERT_EQ(make_key(s, "admin", key), 0);
    ASSERT_EQ(start(s, "--max-body 1024"), 0);
    ASSERT_EQ(new_member(s, key, "13800138000", no), 201);
    snprintf(path, sizeof path, "/v1/members/%s/points/earn", no);
    static const struct {
        const char *body, *idem;
        long        status;
        const char *code, *field;
    } cases[] = {
        {"{\"points\":\"100\"}", "b1", 400, "invalid_type", "points"},
        {"{\"points\":1.5}", "b2", 400, "invalid_type", "points"},
        {"{\"points\":100,\"bonus\":1}", "b3", 400, "unknown_field", "bonus"},
        {"{}", "b4", 400, "missing_field", "points"},
        {"{\"points\":0}", "b5", 422, "out_of_range", "points"},
        {"{\"points\":99999999999999999999}", "b6", 400, "invalid_json", ""},
        {"{\"points\":1,\"points\":2}", "b7", 400, "invalid_json", ""},
        {"[1,2]", "b8", 400, "invalid_json", ""},
        {"{\"points\":", "b9", 400, "invalid_json", ""},
        {"{\"points\":10,\"note\":\"a\\u0000b\"}", "b10", 400, "invalid_json", ""},
        {"{\"points\":10}", NULL, 400, "missing_idempotency_key", "Idempotency-Key"},
        {"{\"points\":10}", "has space", 400, "invalid_idempotency_key", "Idempotency-Key"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        long st = http(s, "POST", path, key, cases[i].idem, cases[i].body, &r);
        if (st != cases[i].status || strcmp(err_code(&r), cases[i].code) != 0 || strcmp(err_field(&r), cases[i].field) != 0)
            PT__FAIL("case %zu (%s): %ld %s", i, cases[i].body, st, r.body ? r.body : "");
        resp_free(&r);
    }
    /* member fields are checked too, by name */
    ASSERT_EQ(http(s, "POST", "/v1/members", key, "m1", "{\"phone\":\"12\"}", &r), 422);
    ASSERT_STR_EQ(err_field(&r), "phone");
    resp_free(&r);
    ASSERT_EQ(http(s, "POST", "/v1/members", key, "m2", "{\"phone\":\"13700137000\",\"birthday\":\"31/31/31\"}", &r), 422);
    ASSERT_STR_EQ(err_field(&r), "birthday");
    resp_free(&r);
    /* a body over --max-body is refused unread */
    char *big = malloc(4096);
    ASSERT(big);
    memset(big, ' ', 4095);
    memcpy(big, "{\"points\":1", 11);
    big[4094] = '}';
    big[4095] = 0;
    ASSERT_EQ(http(s, "POST", path, key, "big", big, &r), 413);
    ASSERT_STR_EQ(err_code(&r), "body_too_large");
    resp_free(&r);
    free(big);
    /* so is one streamed without a Content-Length (chunked), once it passes the limit */
    char *chunked = malloc(8192);
    ASSERT(chunked);
    int cn = snprintf(chunked, 8192,
                      "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nIdempotency-Key: chunked\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n800\r\n{\"points\":1",
                      path, key);
    memset(chunked + cn, ' ', 0x800 - 11);
    cn += 0x800 - 11;
    cn += snprintf(chunked + cn, 8192 - (size_t)cn, "\r\n1\r\n}\r\n0\r\n\r\n");
    char *cr = raw_exchange(s, chunked, (size_t)cn);
    ASSERT(cr);
    if (strncmp(cr, "HTTP/1.1 413", 12) != 0 || !strstr(cr, "body_too_large"))
        PT__FAIL("a chunked body over --max-body: %.200s", cr);
    free(cr);
    free(chunked);
    /* garbage bytes and a broken request line get a 4xx (or a closed connection), never a crash */
    char *g = raw_exchange(s, "\x01\x02\xff\xfe GARBAGE\r\n\r\n", 16);
    ASSERT(g);
    ASSERT(g[0] == 0 || strncmp(g, "HTTP/1.1 4", 10) == 0);
    free(g);
    static const char huge_len[] = "POST /v1/members HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999999999999\r\n\r\n";
    g = raw_exchange(s, huge_len, sizeof huge_len - 1);
    ASSERT(g);
    ASSERT(g[0] == 0 || strncmp(g, "HTTP/1.1 4", 10) == 0);
    free(g);
    /* a slow client holding a half-sent request does not hold anyone else up */
    int slow = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    ASSERT(slow >= 0);
    ASSERT_EQ(connect(slow, (struct sockaddr *)&a, sizeof a), 0);
    ASSERT_EQ(write(slow, "POST /v1/members HTTP/1.1\r\nHost: x\r\nContent-Le", 47), 47);
    long hs = http(s, "GET", "/healthz", NULL, NULL, NULL, &r);
    close(slow);
    ASSERT_EQ(hs, 200);
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/members/%s/points", no);
    ASSERT_EQ(http(s, "GET", path, key, NULL, NULL, &r), 200);
    ASSERT_EQ(jint(&r, "balance"), 0); /* none of the bad writes wrote anything */
    resp_free(&r);
    ASSERT_EQ(stop(s), 0);
}

/* --- rate limit, revocation, pseudonymised view ---------------------------------------------- */

SERVER_TEST(server_rate_limit_answers_429_with_retry_after_per_key)
{
    char a[PT_APIKEY_MAX], b[PT_APIKEY_MAX];
    struct resp r;
    ASSERT_EQ(make_data(s, "d"), 0);
    ASSERT_EQ(make_key(s, "operator", a), 0);
    ASSERT_EQ(make_key(s, "admin", b), 0);
    ASSERT_EQ(start(s, "--rate 0.2 --burst 3"), 0);
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ(http(s, "GET", "/v1/rewards", a, NULL, NULL, &r), 200);
        resp_free(&r);
    }
    ASSERT_EQ(http(s, "GET", "/v1/rewards", a, NULL, NULL, &r), 429);
    ASSERT_STR_EQ(err_code(&r), "rate_limited");
    ASSERT_GE(atoi(r.retry_after), 1);
    ASSERT_LE(atoi(r.retry_after), 5);
    resp_free(&r);
    /* another key has its own bucket */
    ASSERT_EQ(http(s, "GET", "/v1/rewards", b, NULL, NULL, &r), 200);
    resp_free(&r);
    ASSERT_EQ(stop(s), 0);
}

SERVER_TEST(server_revoked_key_is_refused_within_seconds)
{
    char a[PT_APIKEY_MAX];
    struct resp r;
    ASSERT_EQ(make_data(s, "d"), 0);
    ASSERT_EQ(make_key(s, "operator", a), 0);
    ASSERT_EQ(start(s, NULL), 0);
    ASSERT_EQ(http(s, "GET", "/v1/rewards", a, NULL, NULL, &r), 200);
    resp_free(&r);
    ASSERT_EQ(pt_test_run(NULL, "'%s' key revoke 1 --data '%s' >/dev/null", BIN, s->data), 0);
    long st = 200;
    for (int i = 0; i < 60 && st == 200; i++) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        st = http(s, "GET", "/v1/rewards", a, NULL, NULL, &r);
        resp_free(&r);
    }
    ASSERT_EQ(st, 401);
    ASSERT_EQ(stop(s), 0);
}

SERVER_TEST(server_analyst_gets_the_member_without_personal_data)
{
    char op[PT_APIKEY_MAX], an[PT_APIKEY_MAX], no[16], path[256];
    struct resp r;
    ASSERT_EQ(make_data(s, "d"), 0);
    ASSERT_EQ(make_key(s, "operator", op), 0);
    ASSERT_EQ(make_key(s, "analyst", an), 0);
    ASSERT_EQ(start(s, NULL), 0);
    ASSERT_EQ(new_member(s, op, "13800138000", no), 201);
    snprintf(path, sizeof path, "/v1/members/%s", no);
    ASSERT_EQ(http(s, "GET", path, op, NULL, NULL, &r), 200);
    ASSERT_STR_EQ(jstr(&r, "name"), "Test Person");
    ASSERT_STR_EQ(jstr(&r, "phone"), "+8613800138000");
    resp_free(&r);
    ASSERT_EQ(http(s, "GET", path, an, NULL, NULL, &r), 200);
    ASSERT_STR_EQ(jstr(&r, "member"), no);
    ASSERT(json_object_get(r.json, "name") == NULL && json_object_get(r.json, "phone") == NULL);
    ASSERT(strstr(r.body, "13800138000") == NULL && strstr(r.body, "Test Person") == NULL);
    resp_free(&r);
    ASSERT_EQ(stop(s), 0);
}

/* --- durability ------------------------------------------------------------------------------- */

#define BURST_THREADS 4
#define BURST_MAX     20000

struct burst {
    const struct srv *s;
    const char       *key;
    char              member[16];
    int               t;
    volatile int     *stop;
    int               n;            /* acknowledged */
    long long         entry[BURST_MAX];
};

static void *burst_thread(void *ud)
{
    struct burst *b = ud;
    char path[128], idem[64];
    snprintf(path, sizeof path, "/v1/members/%s/points/earn", b->member);
    for (int i = 0; !*b->stop && b->n < BURST_MAX; i++) {
        struct resp r;
        snprintf(idem, sizeof idem, "burst-%d-%d", b->t, i);
        long st = http(b->s, "POST", path, b->key, idem, "{\"points\":7}", &r);
        if (st == 201 && jint(&r, "entry") > 0)
            b->entry[b->n++] = jint(&r, "entry"); /* acknowledged: it must survive */
        resp_free(&r);
        if (st == 0)
            break; /* the server is gone */
    }
    return NULL;
}

struct found {
    int64_t *ids;
    size_t   n, cap;
    int64_t  sum;
};

static int collect_entry(void *ud, const pt_entry_rec *e)
{
    struct found *f = ud;
    if (strncmp(e->idem_key, "burst-", 6) != 0)
        return 0;
    if (f->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 1024;
        f->ids = realloc(f->ids, f->cap * sizeof *f->ids);
    }
    f->ids[f->n++] = e->id;
    f->sum += e->points;
    return 0;
}

SERVER_TEST(server_kill_9_during_a_burst_of_earns_loses_no_acknowledged_write)
{
    char key[PT_APIKEY_MAX];
    ASSERT_EQ(make_data(s, "d"), 0);
    ASSERT_EQ(make_key(s, "operator", key), 0);
    ASSERT_EQ(start(s, NULL), 0);
    static struct burst b[BURST_THREADS];
    volatile int stop_flag = 0;
    pthread_t th[BURST_THREADS];
    for (int t = 0; t < BURST_THREADS; t++) {
        char phone[16];
        snprintf(phone, sizeof phone, "1380013800%d", t);
        b[t].s = s;
        b[t].key = key;
        b[t].t = t;
        b[t].stop = &stop_flag;
        b[t].n = 0;
        ASSERT_EQ(new_member(s, key, phone, b[t].member), 201);
    }
    for (int t = 0; t < BURST_THREADS; t++)
        pthread_create(&th[t], NULL, burst_thread, &b[t]);
    struct timespec ts = {1, 500 * 1000 * 1000};
    nanosleep(&ts, NULL);
    kill(s->pid, SIGKILL); /* mid-burst: requests are in flight and in the writer's queue */
    int st;
    waitpid(s->pid, &st, 0);
    stop_flag = 1;
    int acked = 0;
    for (int t = 0; t < BURST_THREADS; t++) {
        pthread_join(th[t], NULL);
        acked += b[t].n;
    }
    ASSERT_GT(acked, 10);
    /* every acknowledged earn is in the store, with the entry id the client was given */
    pt_db *db = NULL;
    char err[256];
    ASSERT_OK(pt_db_open(&db, s->data, NULL, err, sizeof err));
    for (int t = 0; t < BURST_THREADS; t++) {
        int64_t id = 0;
        ASSERT_OK(pt_member_id_of_no(db, b[t].member, &id));
        struct found f = {0};
        ASSERT_OK(pt_store_entry_list(pt_db_store(db), id, collect_entry, &f));
        ASSERT_GE((long long)f.n, b[t].n);
        for (int i = 0; i < b[t].n; i++) {
            int in = 0;
            for (size_t k = 0; k < f.n && !in; k++)
                in = f.ids[k] == b[t].entry[i];
            if (!in) {
                free(f.ids);
                pt_db_close(db);
                PT__FAIL("member %s: acknowledged entry %lld is missing", b[t].member, b[t].entry[i]);
            }
        }
        free(f.ids);
    }
    pt_db_close(db);
    ASSERT_EQ(pt_test_run(NULL, "'%s' points verify --data '%s' >/dev/null 2>&1", BIN, s->data), 0);
}

/* --- in-process: the periodic-job hook, on both backends ------------------------------------- */

struct ticks {
    int     n;
    int64_t last;
};

static void tick(void *ud, int64_t now)
{
    struct ticks *t = ud;
    __atomic_add_fetch(&t->n, 1, __ATOMIC_RELAXED);
    t->last = now;
}

static void *run_server(void *ud)
{
    pt_server_run(ud);
    return NULL;
}

BOTH_TEST(server_in_process_runs_periodic_jobs_and_serves_writes_until_stopped)
{
    pt_db *db = test_db_on(be, "d");
    ASSERT(db);
    char dir[4200], url[1024], key[PT_APIKEY_MAX];
    snprintf(dir, sizeof dir, "%s", pt_db_dir(db));
    snprintf(url, sizeof url, "%s", test_store_url(be, "d", NULL));
    ASSERT_OK(pt_apikey_create(db, PT_ROLE_ADMIN, "in-process", key, NULL));
    pt_db_close(db);
    const char *p = pt_test_write_file(pt_test_tmpdir(), "prog.json", test_server_programme);
    ASSERT_EQ(pt_test_run(NULL, "'%s' programme load '%s' --data '%s' --store '%s' >/dev/null", BIN, p, dir, url), 0);
    pt_server_opts o = {.data_dir = dir, .store_url = url, .threads = 2};
    pt_server *srv = NULL;
    char err[512];
    ASSERT_OK(pt_server_start(&srv, &o, err, sizeof err));
    struct ticks t = {0, 0};
    ASSERT_OK(pt_server_add_periodic(srv, 1, tick, &t));
    pthread_t th;
    pthread_create(&th, NULL, run_server, srv);
    struct srv s = {.pid = 0, .port = pt_server_port(srv)};
    char no[16], path[128];
    struct resp r;
    long st = new_member(&s, key, "13800138000", no);
    snprintf(path, sizeof path, "/v1/members/%s/points/earn", no);
    long st2 = http(&s, "POST", path, key, "k1", "{\"points\":25}", &r);
    long long bal = jint(&r, "balance");
    resp_free(&r);
    for (int i = 0; i < 40 && __atomic_load_n(&t.n, __ATOMIC_RELAXED) < 2; i++) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    pt_server_request_stop(srv);
    pthread_join(th, NULL);
    pt_server_free(srv);
    ASSERT_EQ(st, 201);
    ASSERT_EQ(st2, 201);
    ASSERT_EQ(bal, 25);
    ASSERT_GE(t.n, 2);
    ASSERT_GT(t.last, 1600000000);
}

SERVER_TEST(server_coupons_checkins_and_export_over_http)
{
    char key[PT_APIKEY_MAX], no[16], path[256], code[32];
    struct resp r;
    ASSERT_EQ(make_data(s, "d"), 0);
    ASSERT_EQ(make_key(s, "admin", key), 0);
    ASSERT_EQ(start(s, NULL), 0);
    ASSERT_EQ(new_member(s, key, "13800138000", no), 201);
    snprintf(path, sizeof path, "/v1/members/%s/coupons", no);
    ASSERT_EQ(http(s, "POST", path, key, "c1", "{\"value_cents\":1000,\"min_spend_cents\":9900,\"valid_days\":30}", &r), 201);
    snprintf(code, sizeof code, "%s", jstr(&r, "code"));
    ASSERT_EQ(strlen(code), 16);
    ASSERT_STR_EQ(jstr(&r, "state"), "unused");
    resp_free(&r);
    ASSERT_EQ(http(s, "POST", path, key, "c1", "{\"value_cents\":1000,\"min_spend_cents\":9900,\"valid_days\":30}", &r), 201);
    ASSERT_STR_EQ(jstr(&r, "code"), code); /* the same key issues nothing new */
    resp_free(&r);
    ASSERT_EQ(http(s, "GET", path, key, NULL, NULL, &r), 200);
    ASSERT_EQ(json_array_size(json_object_get(r.json, "coupons")), 1);
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/coupons/%s/use", code);
    ASSERT_EQ(http(s, "POST", path, key, "u1", "{\"ref\":\"ORDER-9\"}", &r), 201);
    ASSERT_STR_EQ(jstr(&r, "state"), "used");
    resp_free(&r);
    ASSERT_EQ(http(s, "POST", path, key, "u2", "{\"ref\":\"ORDER-9\"}", &r), 200); /* same order: replayed */
    resp_free(&r);
    ASSERT_EQ(http(s, "POST", path, key, "u3", "{\"ref\":\"ORDER-10\"}", &r), 422); /* used already */
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/members/%s/activities/checkin", no);
    ASSERT_EQ(http(s, "POST", path, key, "ci1", NULL, &r), 201);
    ASSERT_EQ(jint(&r, "streak"), 1);
    resp_free(&r);
    ASSERT_EQ(http(s, "POST", path, key, "ci2", NULL, &r), 409); /* once per local day */
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/members/%s/activities/dance", no);
    ASSERT_EQ(http(s, "POST", path, key, "ci3", NULL, &r), 404);
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/members/%s/export", no);
    ASSERT_EQ(http(s, "GET", path, key, NULL, NULL, &r), 200);
    ASSERT_STR_CONTAINS(r.body, "+8613800138000");
    resp_free(&r);
    ASSERT_EQ(stop(s), 0);
}

SERVER_TEST(server_writes_to_a_merged_away_number_land_on_the_survivor)
{
    char key[PT_APIKEY_MAX], a[16], b[16], path[256];
    struct resp r;
    ASSERT_EQ(make_data(s, "d"), 0);
    ASSERT_EQ(make_key(s, "operator", key), 0);
    ASSERT_EQ(start(s, NULL), 0);
    ASSERT_EQ(new_member(s, key, "13800138000", a), 201);
    ASSERT_EQ(http(s, "POST", "/v1/members", key, "reg-b", "{\"email\":\"b@example.com\"}", &r), 201);
    snprintf(b, sizeof b, "%s", jstr(&r, "member"));
    resp_free(&r);
    ASSERT(strcmp(a, b) != 0);
    /* a record holding both identifiers merges the newer member into the older */
    ASSERT_EQ(http(s, "POST", "/v1/members", key, "reg-ab", "{\"phone\":\"13800138000\",\"email\":\"b@example.com\"}", &r), 200);
    ASSERT_EQ(jint(&r, "merged"), 1);
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/members/%s/points/earn", b);
    ASSERT_EQ(http(s, "POST", path, key, "e1", "{\"points\":40}", &r), 201);
    ASSERT_STR_EQ(jstr(&r, "member"), a);
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/members/%s/points", a);
    ASSERT_EQ(http(s, "GET", path, key, NULL, NULL, &r), 200);
    ASSERT_EQ(jint(&r, "balance"), 40);
    resp_free(&r);
    ASSERT_EQ(stop(s), 0);
}

SERVER_TEST(server_orders_posted_with_lines_earn_once_and_bad_lines_are_named)
{
    char key[PT_APIKEY_MAX], no[16], body[512], path[256];
    struct resp r;
    ASSERT_EQ(make_data(s, "d"), 0);
    ASSERT_EQ(make_key(s, "operator", key), 0);
    ASSERT_EQ(start(s, NULL), 0);
    ASSERT_EQ(new_member(s, key, "13800138000", no), 201);
    /* 2 × ¥300.50 + 1 × ¥499.00 = ¥1,100.00: 1,100 points and growth at the entry tier */
    snprintf(body, sizeof body,
             "{\"order_no\":\"W-1\",\"member\":\"%s\",\"channel\":\"app\",\"lines\":["
             "{\"sku\":\"A\",\"qty\":2,\"unit_cents\":30050},{\"sku\":\"B\",\"category\":\"shoes\",\"qty\":1,\"unit_cents\":49900}]}",
             no);
    ASSERT_EQ(http(s, "POST", "/v1/orders", key, "w1", body, &r), 201);
    ASSERT_EQ(jint(&r, "amount_cents"), 110000);
    ASSERT_EQ(jint(&r, "points"), 1100);
    ASSERT_EQ(jint(&r, "balance"), 1100);
    ASSERT_STR_EQ(jstr(&r, "tier"), "silver");
    resp_free(&r);
    ASSERT_EQ(http(s, "POST", "/v1/orders", key, "w1", body, &r), 200); /* the retry */
    ASSERT_EQ(jint(&r, "balance"), 1100);
    ASSERT(json_is_true(json_object_get(r.json, "replayed")));
    resp_free(&r);
    snprintf(body, sizeof body, "{\"order_no\":\"W-1\",\"member\":\"%s\",\"lines\":[{\"sku\":\"A\",\"qty\":1,\"unit_cents\":1}]}", no);
    ASSERT_EQ(http(s, "POST", "/v1/orders", key, "w2", body, &r), 409);
    ASSERT_STR_EQ(err_field(&r), "order_no");
    resp_free(&r);
    snprintf(body, sizeof body, "{\"order_no\":\"W-2\",\"member\":\"%s\",\"lines\":[{\"sku\":\"A\",\"qty\":1,\"unit_cents\":1},{\"sku\":\"B\",\"unit_cents\":1}]}", no);
    ASSERT_EQ(http(s, "POST", "/v1/orders", key, "w3", body, &r), 400);
    ASSERT_STR_EQ(err_field(&r), "lines[1].qty");
    resp_free(&r);
    ASSERT_EQ(http(s, "POST", "/v1/orders", key, "w4", "{\"order_no\":\"W-3\",\"member\":\"0000000000\",\"lines\":[{\"sku\":\"A\",\"qty\":1,\"unit_cents\":1}]}", &r), 404);
    ASSERT_STR_EQ(err_field(&r), "member");
    resp_free(&r);
    /* the refund of one line reverses what it earned */
    ASSERT_EQ(http(s, "POST", "/v1/orders/W-1/refund", key, "rf1", "{\"lines\":[2]}", &r), 201);
    ASSERT_EQ(jint(&r, "points"), -499);
    ASSERT_EQ(jint(&r, "balance"), 601);
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/members/%s/points", no);
    ASSERT_EQ(http(s, "GET", path, key, NULL, NULL, &r), 200);
    ASSERT_EQ(jint(&r, "balance"), 601);
    resp_free(&r);
    ASSERT_EQ(stop(s), 0);
}

/* --- SIGTERM under a burst of writes ---------------------------------------------------------- */

struct hammer {
    const struct srv *s;
    const char       *key, *path;
    int               id, ok, refused, other;
};

/* Earns 1 point per request with a fresh key until the server stops answering. */
static void *hammer_earns(void *ud)
{
    struct hammer *h = ud;
    for (int i = 0; i < 100000; i++) {
        char idem[64];
        snprintf(idem, sizeof idem, "drain-%d-%d", h->id, i);
        struct resp r;
        long st = http(h->s, "POST", h->path, h->key, idem, "{\"points\":1}", &r);
        if (st == 201)
            h->ok++;
        else if (st == 503 && strcmp(err_code(&r), "shutting_down") == 0)
            h->refused++;
        else if (st != 0)
            h->other++;
        resp_free(&r);
        if (st == 0)
            break; /* the server has gone */
    }
    return NULL;
}

/* Stopping drains: every write answered 201 before the exit is in the balance, every one
 * refused (503 shutting_down) is not, nothing else is answered, and the exit is clean (0), in
 * five rounds. (The stop no longer calls MHD_quiesce_daemon, whose race with the epoll workers
 * aborted a test run once; this test did not reproduce that abort in 4 runs of the old code, so
 * it proves the drain, not the race's absence.) */
SERVER_TEST(server_sigterm_during_a_burst_of_earns_drains_and_exits_zero)
{
    char key[PT_APIKEY_MAX], no[16], path[128];
    ASSERT_EQ(make_data(s, "d"), 0);
    ASSERT_EQ(make_key(s, "operator", key), 0);
    ASSERT_EQ(start(s, NULL), 0);
    ASSERT_EQ(new_member(s, key, "13800138000", no), 201);
    snprintf(path, sizeof path, "/v1/members/%s/points/earn", no);
    long long acknowledged = 0, refused = 0;
    for (int round = 0; round < 5; round++) {
        if (round)
            ASSERT_EQ(start(s, NULL), 0);
        struct hammer h[4];
        pthread_t th[4];
        for (int k = 0; k < 4; k++) {
            h[k] = (struct hammer){.s = s, .key = key, .path = path, .id = round * 4 + k};
            pthread_create(&th[k], NULL, hammer_earns, &h[k]);
        }
        struct timespec ts = {0, 300 * 1000 * 1000};
        nanosleep(&ts, NULL);
        ASSERT_EQ(stop(s), 0);
        int ok = 0;
        for (int k = 0; k < 4; k++) {
            pthread_join(th[k], NULL);
            ok += h[k].ok;
            refused += h[k].refused;
            ASSERT_EQ(h[k].other, 0);
        }
        ASSERT_GT(ok, 0);
        acknowledged += ok;
    }
    ASSERT_EQ(start(s, NULL), 0);
    struct resp r;
    snprintf(path, sizeof path, "/v1/members/%s/points", no);
    ASSERT_EQ(http(s, "GET", path, key, NULL, NULL, &r), 200);
    long long balance = jint(&r, "balance");
    resp_free(&r);
    fprintf(stderr, "    %lld earns acknowledged, %lld refused while stopping\n", acknowledged, refused);
    ASSERT_EQ(balance, acknowledged);
}

/* --- a programme loaded while the server runs ------------------------------------------------ */

/* The server starts on a store without a programme; points routes answer 409 no_programme.
 * Once `patron programme load` ran (another process), every pool thread picks the programme up
 * within its retry interval (200 ms) — not only the writer — and earns and reads work. */
SERVER_TEST(server_started_without_a_programme_earns_once_one_is_loaded)
{
    char key[PT_APIKEY_MAX], no[16], path[256];
    struct resp r;
    snprintf(s->data, sizeof s->data, "%s/%s", pt_test_tmpdir(), "noprog");
    ASSERT_EQ(pt_test_run(NULL, "'%s' init --data '%s' >/dev/null 2>&1", BIN, s->data), 0);
    ASSERT_EQ(make_key(s, "operator", key), 0);
    ASSERT_EQ(start(s, NULL), 0);
    ASSERT_EQ(new_member(s, key, "13800138000", no), 201);
    snprintf(path, sizeof path, "/v1/members/%s/points/earn", no);
    ASSERT_EQ(http(s, "POST", path, key, "late-0", "{\"points\":5}", &r), 409);
    ASSERT_STR_EQ(err_code(&r), "no_programme");
    resp_free(&r);
    const char *p = pt_test_write_file(pt_test_tmpdir(), "late-prog.json", test_server_programme);
    ASSERT_EQ(pt_test_run(NULL, "'%s' programme load '%s' --data '%s' >/dev/null 2>&1", BIN, p, s->data), 0);
    struct timespec ts = {0, 300 * 1000 * 1000}; /* past every thread's retry interval */
    nanosleep(&ts, NULL);
    long long balance = 0;
    for (int i = 1; i <= 6; i++) { /* a new connection each: both pool threads answer */
        char idem[32];
        snprintf(idem, sizeof idem, "late-%d", i);
        snprintf(path, sizeof path, "/v1/members/%s/points/earn", no);
        ASSERT_EQ(http(s, "POST", path, key, idem, "{\"points\":5}", &r), 201);
        balance += 5;
        ASSERT_EQ(jint(&r, "points"), 5);
        ASSERT_EQ(jint(&r, "balance"), balance);
        resp_free(&r);
        snprintf(path, sizeof path, "/v1/members/%s/points", no);
        ASSERT_EQ(http(s, "GET", path, key, NULL, NULL, &r), 200);
        ASSERT_EQ(jint(&r, "balance"), balance);
        ASSERT_STR_EQ(jstr(&r, "tier"), "normal");
        resp_free(&r);
    }
    ASSERT_EQ(balance, 30);
    ASSERT_EQ(stop(s), 0);
}

/* --- points history: the newest `limit` entries, oldest first ------------------------------- */

SERVER_TEST(server_points_history_returns_the_newest_limit_entries_oldest_first)
{
    char key[PT_APIKEY_MAX], no[16], path[256];
    struct resp r;
    ASSERT_EQ(make_data(s, "hist"), 0);
    ASSERT_EQ(make_key(s, "operator", key), 0);
    ASSERT_EQ(start(s, NULL), 0);
    ASSERT_EQ(new_member(s, key, "13800138000", no), 201);
    long long entry[6];
    for (int i = 1; i <= 5; i++) { /* earns of 1..5 points */
        char idem[32], body[64];
        snprintf(idem, sizeof idem, "h-%d", i);
        snprintf(body, sizeof body, "{\"points\":%d}", i);
        snprintf(path, sizeof path, "/v1/members/%s/points/earn", no);
        ASSERT_EQ(http(s, "POST", path, key, idem, body, &r), 201);
        entry[i] = jint(&r, "entry");
        resp_free(&r);
    }
    snprintf(path, sizeof path, "/v1/members/%s/points/history?limit=3", no);
    ASSERT_EQ(http(s, "GET", path, key, NULL, NULL, &r), 200);
    json_t *arr = json_object_get(r.json, "entries");
    ASSERT_EQ(json_array_size(arr), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *e = json_array_get(arr, i);
        ASSERT_EQ(json_integer_value(json_object_get(e, "points")), (json_int_t)(3 + i));
        ASSERT_EQ(json_integer_value(json_object_get(e, "entry")), entry[3 + i]);
        ASSERT_STR_EQ(json_string_value(json_object_get(e, "kind")), "earn");
    }
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/members/%s/points/history", no); /* default limit 100: all 5 */
    ASSERT_EQ(http(s, "GET", path, key, NULL, NULL, &r), 200);
    arr = json_object_get(r.json, "entries");
    ASSERT_EQ(json_array_size(arr), 5);
    ASSERT_EQ(json_integer_value(json_object_get(json_array_get(arr, 0), "entry")), entry[1]);
    ASSERT_EQ(json_integer_value(json_object_get(json_array_get(arr, 4), "entry")), entry[5]);
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/members/%s/points/history?limit=0", no);
    ASSERT_EQ(http(s, "GET", path, key, NULL, NULL, &r), 400);
    ASSERT_STR_EQ(err_field(&r), "limit");
    resp_free(&r);
    ASSERT_EQ(stop(s), 0);
}

/* test_server_openapi.c — docs/openapi.json (embedded in the server, served at GET
 * /openapi.json) and the router's table describe the same API: every route of the router is an
 * operation of the spec, and every operation of the spec is a route of the router. Also: every
 * operation that is not public declares the 401 error, every write the Idempotency-Key header,
 * and the document is OpenAPI 3.1.
 */
#include "test.h"
#include "../server/server_int.h"

#include <ctype.h>
#include <jansson.h>
#include <string.h>

static void lower(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in[i] && i + 1 < cap; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = 0;
}

static int has_idem_param(json_t *op)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(op, "parameters"), i, p) {
        const char *ref = json_string_value(json_object_get(p, "$ref"));
        if (ref && strcmp(ref, "#/components/parameters/IdempotencyKey") == 0)
            return 1;
    }
    return 0;
}

TEST(openapi_spec_and_router_list_the_same_routes_both_ways)
{
    json_error_t err;
    json_t *doc = json_loads(pt__openapi_json, 0, &err);
    if (!doc)
        PT__FAIL("docs/openapi.json does not parse: %s (line %d)", err.text, err.line);
    ASSERT_STR_EQ(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    json_t *paths = json_object_get(doc, "paths");
    ASSERT(json_is_object(paths));
    /* router → spec */
    for (int i = 0; i < srv_nroutes; i++) {
        char m[16];
        lower(srv_routes[i].method, m, sizeof m);
        json_t *op = json_object_get(json_object_get(paths, srv_routes[i].pattern), m);
        if (!op) {
            json_decref(doc);
            PT__FAIL("route %s %s is not in docs/openapi.json", srv_routes[i].method, srv_routes[i].pattern);
        }
        if (srv_routes[i].roles != R_PUBLIC && !json_object_get(json_object_get(op, "responses"), "401")) {
            json_decref(doc);
            PT__FAIL("%s %s needs a key but its spec has no 401", srv_routes[i].method, srv_routes[i].pattern);
        }
        if (srv_routes[i].write && !has_idem_param(op)) {
            json_decref(doc);
            PT__FAIL("%s %s is a write but its spec has no Idempotency-Key", srv_routes[i].method,
                     srv_routes[i].pattern);
        }
    }
    /* spec → router */
    const char *path;
    json_t *item;
    int ops = 0;
    json_object_foreach(paths, path, item) {
        const char *method;
        json_t *op;
        json_object_foreach(item, method, op) {
            int found = 0;
            for (int i = 0; i < srv_nroutes && !found; i++) {
                char m[16];
                lower(srv_routes[i].method, m, sizeof m);
                found = strcmp(srv_routes[i].pattern, path) == 0 && strcmp(m, method) == 0;
            }
            if (!found) {
                char what[256];
                snprintf(what, sizeof what, "%s %s", method, path);
                json_decref(doc);
                PT__FAIL("docs/openapi.json has %s, which the router does not serve", what);
            }
            ops++;
        }
    }
    ASSERT_EQ(ops, srv_nroutes);
    json_decref(doc);
}

TEST(router_matches_parameters_and_tells_405_from_404)
{
    struct srv_req r;
    int known = 0;
    memset(&r, 0, sizeof r);
    int i = srv_route_match("POST", "/v1/members/1000000016/rewards/mug/redeem", &r, &known);
    ASSERT_GE(i, 0);
    ASSERT_STR_EQ(srv_routes[i].pattern, "/v1/members/{member}/rewards/{reward}/redeem");
    ASSERT_EQ(r.nparams, 2);
    ASSERT_STR_EQ(r.params[0], "1000000016");
    ASSERT_STR_EQ(r.params[1], "mug");
    ASSERT_EQ(srv_route_match("PUT", "/v1/members/1", &r, &known), -1);
    ASSERT_EQ(known, 1);
    ASSERT_EQ(srv_route_match("GET", "/v1/members//points", &r, &known), -1);
    ASSERT_EQ(known, 0);
    ASSERT_EQ(srv_route_match("GET", "/v1/members/1/points/", &r, &known), -1);
    ASSERT_EQ(srv_route_match("GET", "/healthz/x", &r, &known), -1);
}

TEST(body_parser_keeps_64_bit_integers_exact_and_refuses_what_the_route_does_not_declare)
{
    static const struct srv_field f[] = {{"points", F_INT, 1, -9223372036854775807LL, 9223372036854775807LL, NULL, 0},
                                         {"ref", F_STR, 0, 0, 8, NULL, 0}};
    const char *code = NULL;
    char field[64], msg[256];
    json_t *in = srv_body_parse("{\"points\":9007199254740993}", 27, f, 2, &code, field, sizeof field, msg, sizeof msg);
    ASSERT(in);
    ASSERT_EQ(json_integer_value(json_object_get(in, "points")), 9007199254740993LL); /* 2^53 + 1 */
    json_decref(in);
    ASSERT(!srv_body_parse("{\"points\":1,\"ref\":\"123456789\"}", 30, f, 2, &code, field, sizeof field, msg, sizeof msg));
    ASSERT_STR_EQ(code, "out_of_range");
    ASSERT_STR_EQ(field, "ref");
    ASSERT(!srv_body_parse("{\"ref\":\"x\"}", 11, f, 2, &code, field, sizeof field, msg, sizeof msg));
    ASSERT_STR_EQ(code, "missing_field");
    ASSERT_STR_EQ(field, "points");
    ASSERT(!srv_body_parse("{\"points\":1e3}", 14, f, 2, &code, field, sizeof field, msg, sizeof msg));
    ASSERT_STR_EQ(code, "invalid_type");
    ASSERT(!srv_body_parse("\"x\"", 3, f, 2, &code, field, sizeof field, msg, sizeof msg));
    ASSERT_STR_EQ(code, "invalid_json");
}

/* openapi.c — the OpenAPI 3.1 document, docs/openapi.json, embedded into the program at build
 * time (the assembler's .incbin, run from the repository root: the Makefile rebuilds this file
 * when the document changes), served at GET /openapi.json. One source of truth for the spec:
 * the test that walks it against the router (tests/test_server_openapi.c) reads the same bytes.
 */
#include "server_int.h"

#include <string.h>

__asm__(".section .rodata\n"
        ".global pt__openapi_json\n"
        ".type pt__openapi_json, @object\n"
        "pt__openapi_json:\n"
        ".incbin \"docs/openapi.json\"\n"
        ".byte 0\n"
        ".previous\n");

void route_openapi(struct srv_req *r, struct srv_thread *t)
{
    (void)t;
    r->status = 200;
    r->raw_type = "application/json";
    r->raw_body = pt__openapi_json;
    r->raw_len = strlen(pt__openapi_json);
}

void route_healthz(struct srv_req *r, struct srv_thread *t)
{
    (void)t;
    r->status = 200;
    r->raw_type = "application/json";
    r->raw_body = "{\"status\":\"ok\"}";
    r->raw_len = strlen(r->raw_body);
}

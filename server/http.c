/* http.c — response helpers: the one error shape {"error":{"code","message","field"}}, the
 * mapping of libpatron's error codes onto HTTP statuses, and query-string access.
 *
 * Messages come from libpatron's handles or from this server and never hold personal data
 * (the library's rule); request values are never echoed into them except field names.
 */
#include "server_int.h"
#include "patron/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

json_t *srv_error_body(const char *code, const char *field, const char *msg)
{
    json_t *e = json_pack("{s:s,s:s}", "code", code, "message", msg ? msg : "");
    if (e && field && *field)
        json_object_set_new(e, "field", json_string(field));
    return json_pack("{s:o}", "error", e);
}

void srv_json(struct srv_req *r, int status, json_t *body)
{
    json_decref(r->resp);
    r->resp = body;
    r->status = status;
}

void srv_error(struct srv_req *r, int status, const char *code, const char *field, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    srv_json(r, status, srv_error_body(code, field, msg));
}

int srv_status_of(int rc, const char **code)
{
    switch (rc) {
    case PT_ENOTFOUND: *code = "not_found"; return 404;
    case PT_EEXIST: *code = "already_exists"; return 409;
    case PT_ECONFLICT: *code = "idempotency_conflict"; return 409;
    case PT_EINVAL: *code = "invalid"; return 422;
    case PT_EPARSE: *code = "invalid"; return 422;
    case PT_ETOOBIG: *code = "too_big"; return 413;
    case PT_EFUNDS: *code = "insufficient_points"; return 422;
    case PT_ESOLDOUT: *code = "sold_out"; return 422;
    case PT_ELIMIT: *code = "limit_reached"; return 422;
    case PT_ESTATE: *code = "not_allowed_now"; return 422;
    case PT_EBUSY:
    case PT_ERETRY: *code = "busy"; return 503;
    default: *code = "internal"; return 500;
    }
}

void srv_error_rc(struct srv_req *r, int rc, const char *msg)
{
    const char *code;
    int status = srv_status_of(rc, &code);
    if (status == 503)
        r->retry_after = 1;
    /* Internal failures are logged for operators; the client gets a generic message, because
     * a store message may name internals that are none of its business. */
    if (status == 500) {
        fprintf(stderr, "patron serve: %s %s: %s (%s)\n", r->method, r->url, msg ? msg : "", pt_errname(rc));
        msg = "internal error";
    }
    srv_json(r, status, srv_error_body(code, NULL, msg ? msg : pt_strerror(rc)));
}

const char *srv_query(struct srv_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

int srv_need_ledger(struct srv_req *r, const pt_ledger *l)
{
    if (l)
        return 0;
    srv_error(r, 409, "no_programme", NULL, "no loyalty programme is loaded (patron programme load FILE)");
    return -1;
}

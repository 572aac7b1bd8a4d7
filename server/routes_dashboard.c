/* routes_dashboard.c — the dashboard over HTTP: GET /v1/dashboard/{panel} (and
 * /v1/dashboard/segments/members) hand the query string to server/dashboard.c and send its JSON
 * or CSV; GET / and GET /{file} serve the built front end (web/dist, or $PATRON_WEB) to anyone,
 * without a key — the page itself asks for one before it reads any data.
 *
 * Snapshot: the dashboard borrows the analytics view's (routes_analytics.c), refreshed every
 * --snapshot-refresh seconds off the request threads; it loads none of its own.
 *
 * Roles: admin and analyst read the dashboard (router.c). An admin sees the member view
 * masked, an analyst pseudonymised (member numbers, no profile or identifiers): the personal
 * level is chosen here from the key's role and nowhere else.
 *
 * Static files: one path segment of [A-Za-z0-9._-] not starting with a dot
 * (pt_dash_safe_file_name), so nothing outside the directory can be named; read whole per
 * request (the bundle is a few hundred KB and the browser caches it), at most WEB_FILE_MAX
 * bytes.
 */
#include "analytics_view.h"
#include "dashboard.h"
#include "dashboard_params.h"
#include "server_int.h"

#include "patron/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WEB_FILE_MAX ((size_t)16 << 20)

struct srv_dashboard {
    pt_dash *dash;
};

int srv_dashboard_init(struct pt_server *srv)
{
    srv->dashboard = calloc(1, sizeof *srv->dashboard);
    if (!srv->dashboard)
        return -1;
    unsigned ttl = srv->opts.snapshot_refresh ? srv->opts.snapshot_refresh : 300;
    if (pt_dash_open(&srv->dashboard->dash, (int)ttl) != PT_OK) {
        free(srv->dashboard);
        srv->dashboard = NULL;
        return -1;
    }
    /* the analytics view's snapshot, refreshed by its job: one snapshot in the server */
    pt_dash_source src = {srv_analytics_snapshot, srv_analytics_snapshot_put, srv};
    pt_dash_set_source(srv->dashboard->dash, &src);
    return 0;
}

void srv_dashboard_free(struct pt_server *srv)
{
    if (!srv->dashboard)
        return;
    pt_dash_close(srv->dashboard->dash);
    free(srv->dashboard);
    srv->dashboard = NULL;
}

pt_dash *srv_dashboard_dash(struct pt_server *srv)
{
    return srv->dashboard ? srv->dashboard->dash : NULL;
}

void srv_dashboard_drop_snapshot(struct pt_server *srv)
{
    if (srv->dashboard)
        pt_dash_invalidate(srv->dashboard->dash);
}

static const char *query(void *ud, const char *name)
{
    return srv_query(ud, name);
}

static void panel(struct srv_req *r, struct srv_thread *t, const char *name)
{
    pt_dash_result res;
    int personal = r->role == PT_ROLE_ADMIN ? PT_DASH_MASKED : PT_DASH_PSEUDONYMOUS;
    int st = pt_dash_panel(r->srv->dashboard->dash, t->db, name, query, r, personal, &res);
    if (st == 200 && res.csv) {
        r->status = 200;
        r->raw_type = "text/csv; charset=utf-8";
        r->raw_body = res.csv;
        r->raw_len = res.csv_len;
        r->raw_owned = 1;
        res.csv = NULL;
    } else if (st == 200) {
        srv_json(r, 200, res.body);
        res.body = NULL;
    } else {
        const char *msg = json_string_value(json_object_get(res.body, "error"));
        if (st == 500)
            fprintf(stderr, "patron serve: %s %s: %s\n", r->method, r->url, msg ? msg : "");
        srv_error(r, st, st == 400 ? "invalid_query" : st == 403 ? "forbidden" : st == 404 ? "not_found" : "internal",
                  res.field[0] ? res.field : NULL, "%s", st == 500 ? "internal error" : msg ? msg : "");
    }
    pt_dash_result_free(&res);
}

void route_dashboard(struct srv_req *r, struct srv_thread *t)
{
    panel(r, t, r->params[0]);
}

void route_dashboard_segment_members(struct srv_req *r, struct srv_thread *t)
{
    panel(r, t, "segments/members");
}

/* --- the front end ------------------------------------------------------------------------------ */

static const char *content_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},   {".json", "application/json"},
        {".map", "application/json"},          {".svg", "image/svg+xml"},
        {".png", "image/png"},                 {".ico", "image/x-icon"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t k = 0; dot && k < sizeof types / sizeof types[0]; k++)
        if (strcmp(dot, types[k].ext) == 0)
            return types[k].type;
    return NULL;
}

void route_web(struct srv_req *r, struct srv_thread *t)
{
    (void)t;
    const char *name = r->nparams ? r->params[0] : "index.html";
    const char *type = pt_dash_safe_file_name(name) ? content_type(name) : NULL;
    const char *dir = getenv("PATRON_WEB");
    char path[4096];
    if (!type) {
        srv_error(r, 404, "not_found", NULL, "no such resource");
        return;
    }
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "web/dist", name);
    FILE *f = fopen(path, "rb");
    struct stat st;
    char *buf = NULL;
    size_t n = 0;
    if (f && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size <= WEB_FILE_MAX) {
        buf = malloc((size_t)st.st_size + 1);
        n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
        if (buf && n != (size_t)st.st_size) {
            free(buf);
            buf = NULL;
        }
    }
    if (f)
        fclose(f);
    if (!buf && strcmp(name, "index.html") == 0) {
        /* not built here: a page that says so, rather than a bare 404 */
        static const char not_built[] =
            "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Patron</title>"
            "<p>The dashboard is not built here: run <code>make web</code> in the source tree, or set "
            "<code>PATRON_WEB</code> to a built <code>web/dist</code> directory.</p></html>";
        r->status = 200;
        r->raw_type = type;
        r->raw_body = not_built;
        r->raw_len = sizeof not_built - 1;
        r->raw_owned = 0;
        return;
    }
    if (!buf) {
        srv_error(r, 404, "not_found", NULL, "no such resource");
        return;
    }
    r->status = 200;
    r->raw_type = type;
    r->raw_body = buf;
    r->raw_len = n;
    r->raw_owned = 1;
}

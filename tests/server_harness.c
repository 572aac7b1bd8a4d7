/* server_harness.c — the shared part of the `patron serve` integration tests (see
 * server_harness.h): data directories, keys, starting and stopping the real program, HTTP.
 */
#include "server_harness.h"
#include "helpers.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/prctl.h>
#include <unistd.h>

/* A small programme whose arithmetic is easy to follow: 1 point and 1 growth per ¥1, points
 * available at once and never expiring, silver from 1000 growth, refunds of spent points
 * become debt. */
const char test_server_programme[] =
    "{\"name\":\"Test\",\"currency\":\"CNY\",\"timezone\":\"Asia/Shanghai\","
    "\"points\":{\"expiry\":{\"policy\":\"never\"},\"return_window_days\":0,\"refund_policy\":\"debt\"},"
    "\"growth\":{\"per_unit\":1,\"unit_cents\":100},"
    "\"tier_policy\":{\"qualify_on\":\"growth\",\"review_months\":12},"
    "\"tiers\":[{\"code\":\"normal\",\"name_zh\":\"普通\",\"name_en\":\"Member\",\"threshold\":0,\"retain\":0,\"points_multiplier\":\"1.0\"},"
    "{\"code\":\"silver\",\"name_zh\":\"银卡\",\"name_en\":\"Silver\",\"threshold\":1000,\"retain\":500,\"points_multiplier\":\"2.0\"}],"
    "\"rules\":[{\"code\":\"base\",\"kind\":\"base\",\"points_per_unit\":1,\"unit_cents\":100},"
    "{\"code\":\"tier\",\"kind\":\"tier\"}],"
    "\"rewards\":[{\"code\":\"mug\",\"name\":\"Mug\",\"cost_points\":300,\"stock\":1}]}";

/* Initialises data directory `name` with the test programme; returns 0. */
int make_data(struct srv *s, const char *name)
{
    snprintf(s->data, sizeof s->data, "%s/%s", pt_test_tmpdir(), name);
    const char *p = pt_test_write_file(pt_test_tmpdir(), "prog.json", test_server_programme);
    int st = pt_test_run(NULL, "'%s' init --data '%s' >/dev/null 2>&1 && '%s' programme load '%s' --data '%s' >/dev/null",
                         BIN, s->data, BIN, p, s->data);
    return st;
}

/* `patron key create`; the key (last line) into out. */
int make_key(struct srv *s, const char *role, char out[PT_APIKEY_MAX])
{
    char *o = NULL;
    int st = pt_test_run(&o, "'%s' key create --role %s --name t-%s --data '%s' | tail -n 1", BIN, role, role, s->data);
    out[0] = 0;
    if (st == 0 && o) {
        o[strcspn(o, "\n")] = 0;
        snprintf(out, PT_APIKEY_MAX, "%s", o);
    }
    free(o);
    return st == 0 && strncmp(out, "ptk_", 4) == 0 ? 0 : -1;
}

/* Starts `patron serve` on port 0 and reads the port it printed. */
int start(struct srv *s, const char *extra)
{
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "exec '%s' serve --data '%s' --listen 127.0.0.1:0 %s", BIN, s->data, extra ? extra : "");
    s->pid = fork();
    if (s->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a test runner that crashed */
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    FILE *f = fdopen(fd[0], "r");
    char line[256] = "";
    int ok = f && fgets(line, sizeof line, f) != NULL;
    if (f)
        fclose(f);
    const char *c = strrchr(line, ':');
    s->port = ok && c ? atoi(c + 1) : 0;
    return s->port > 0 ? 0 : -1;
}

/* SIGTERM and wait; returns the exit status (or 128 + signal). */
int stop(struct srv *s)
{
    int st = 0;
    kill(s->pid, SIGTERM);
    waitpid(s->pid, &st, 0);
    s->pid = 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}




static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    struct resp *r = ud;
    char *b = realloc(r->body, r->len + sz * n + 1);
    if (!b)
        return 0;
    memcpy(b + r->len, p, sz * n);
    r->body = b;
    r->len += sz * n;
    b[r->len] = 0;
    return sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    struct resp *r = ud;
    if (strncasecmp(p, "Retry-After:", 12) == 0)
        snprintf(r->retry_after, sizeof r->retry_after, "%.*s", (int)strcspn(p + 12, "\r\n"), p + 12);
    return sz * n;
}

void resp_free(struct resp *r)
{
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

/* One request; body may be NULL. Returns the status (0 on a transport failure). */
long http(const struct srv *s, const char *method, const char *path, const char *key, const char *idem,
                 const char *body, struct resp *out)
{
    memset(out, 0, sizeof *out);
    CURL *c = curl_easy_init();
    if (!c)
        return 0;
    char url[512], auth[256], ik[160];
    struct curl_slist *h = NULL;
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", s->port, path);
    if (key) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
        h = curl_slist_append(h, auth);
    }
    if (idem) {
        snprintf(ik, sizeof ik, "Idempotency-Key: %s", idem);
        h = curl_slist_append(h, ik);
    }
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (out->body)
        out->json = json_loads(out->body, 0, NULL);
    return out->status;
}

long long jint(const struct resp *r, const char *name)
{
    return r->json ? (long long)json_integer_value(json_object_get(r->json, name)) : -999999;
}

const char *jstr(const struct resp *r, const char *name)
{
    const char *v = r->json ? json_string_value(json_object_get(r->json, name)) : NULL;
    return v ? v : "";
}

const char *err_field(const struct resp *r)
{
    json_t *e = r->json ? json_object_get(r->json, "error") : NULL;
    const char *v = e ? json_string_value(json_object_get(e, "field")) : NULL;
    return v ? v : "";
}

const char *err_code(const struct resp *r)
{
    json_t *e = r->json ? json_object_get(r->json, "error") : NULL;
    const char *v = e ? json_string_value(json_object_get(e, "code")) : NULL;
    return v ? v : "";
}

/* Registers a member by phone; its number into no. */
long new_member(const struct srv *s, const char *key, const char *phone, char no[16])
{
    struct resp r;
    char body[128], idem[64];
    snprintf(body, sizeof body, "{\"phone\":\"%s\",\"name\":\"Test Person\"}", phone);
    size_t n = 0;
    n += (size_t)snprintf(idem, sizeof idem, "reg-");
    for (const char *c = phone; *c && n + 1 < sizeof idem; c++)
        if (*c >= '0' && *c <= '9')
            idem[n++] = *c;
    idem[n] = 0;
    long st = http(s, "POST", "/v1/members", key, idem, body, &r);
    snprintf(no, 16, "%s", jstr(&r, "member"));
    resp_free(&r);
    return st;
}

/* routes_reco.c — GET /v1/members/{member}/recommendations: what to offer one member, from the
 * model `patron reco train` wrote (DIR/reco.model; docs/reco.md) over the member's purchases in
 * the analytics view's snapshot (as fresh as --snapshot-refresh). Query: n (1–100, default 10),
 * exclude=SKU,… (out of stock, not eligible), category=NAME,… (only these), include_bought=1.
 *
 * The model is read on first use and again when the file changes (its size, mtime or inode),
 * looked at no more than once a second. Invariant: a request holds a reference to the model it
 * scores with, so a reload never frees a model in use; the last reference frees it.
 * Answers hold item codes and names only, no personal data: analysts may call it too.
 */
#include "analytics_view.h"
#include "server_int.h"
#include "patron/error.h"
#include "patron/member.h"
#include "patron/reco.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RECO_N_MAX     100
#define RECO_CHECK_NS  ((int64_t)1000 * 1000 * 1000)
#define RECO_LIST_MAX  64  /* codes or categories in one query parameter */

struct model_ref {
    pt_reco_model *md;
    int            refs; /* under srv_reco.mu */
};

struct srv_reco {
    pthread_mutex_t   mu;
    struct model_ref *cur;
    struct stat       st;       /* of the file cur was read from */
    int64_t           checked_ns;
    char              path[4200];
};

int srv_reco_init(struct pt_server *srv)
{
    struct srv_reco *rc = calloc(1, sizeof *rc);
    if (!rc)
        return PT_ENOMEM;
    pthread_mutex_init(&rc->mu, NULL);
    snprintf(rc->path, sizeof rc->path, "%s/reco.model", srv->data_dir);
    srv->reco = rc;
    return PT_OK;
}

static void ref_put(struct srv_reco *rc, struct model_ref *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&rc->mu);
    int last = --m->refs == 0;
    pthread_mutex_unlock(&rc->mu);
    if (last) {
        pt_reco_model_free(m->md);
        free(m);
    }
}

void srv_reco_free(struct pt_server *srv)
{
    struct srv_reco *rc = srv->reco;
    if (!rc)
        return;
    ref_put(rc, rc->cur);
    pthread_mutex_destroy(&rc->mu);
    free(rc);
    srv->reco = NULL;
}

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
           a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Reads the file when it changed since cur was read (outside the lock: parsing takes a while). */
static void maybe_reload(struct srv_reco *rc)
{
    int64_t now = srv_now_ns();
    struct stat st;
    pthread_mutex_lock(&rc->mu);
    int due = now >= rc->checked_ns;
    if (due)
        rc->checked_ns = now + RECO_CHECK_NS;
    int fresh = due && stat(rc->path, &st) == 0 && !(rc->cur && same_file(&st, &rc->st));
    pthread_mutex_unlock(&rc->mu);
    if (!fresh)
        return;
    struct model_ref *m = calloc(1, sizeof *m);
    char err[512];
    if (!m || pt_reco_model_load(&m->md, rc->path, err, sizeof err) != PT_OK) {
        if (m)
            fprintf(stderr, "patron serve: %s\n", err); /* the old model, if any, stays */
        free(m);
        return;
    }
    m->refs = 1;
    pthread_mutex_lock(&rc->mu);
    struct model_ref *old = rc->cur;
    rc->cur = m;
    rc->st = st;
    pthread_mutex_unlock(&rc->mu);
    ref_put(rc, old);
}

static struct model_ref *ref_get(struct srv_reco *rc)
{
    maybe_reload(rc);
    pthread_mutex_lock(&rc->mu);
    struct model_ref *m = rc->cur;
    if (m)
        m->refs++;
    pthread_mutex_unlock(&rc->mu);
    return m;
}

/* exclude= and category= into the filter; 0, or -1 with r's 400 set. */
static int query_filter(struct srv_req *r, const pt_reco_model *md, pt_reco_filter *f)
{
    const char *inc = srv_query(r, "include_bought");
    f->include_bought = inc && strcmp(inc, "1") == 0;
    char buf[2048];
    const char *ex = srv_query(r, "exclude"), *cat = srv_query(r, "category");
    if ((ex && strlen(ex) >= sizeof buf) || (cat && strlen(cat) >= sizeof buf)) {
        srv_error(r, 400, "invalid_query", ex && strlen(ex) >= sizeof buf ? "exclude" : "category",
                  "at most %zu bytes", sizeof buf - 1);
        return -1;
    }
    snprintf(buf, sizeof buf, "%s", ex ? ex : "");
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        pt_reco_filter_block(f, md, tok); /* an unknown code is not recommended anyway */
    if (cat) {
        const char *names[RECO_LIST_MAX];
        size_t n = 0;
        snprintf(buf, sizeof buf, "%s", cat);
        for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok && n < RECO_LIST_MAX;
             tok = strtok_r(NULL, ",", &save))
            names[n++] = tok;
        pt_reco_filter_categories(f, md, names, n);
    }
    return 0;
}

static json_t *items_json(const pt_reco_model *md, const pt_snapshot *snap, const pt_reco_pick *p, size_t n)
{
    json_t *items = json_array();
    for (size_t k = 0; k < n; k++) {
        const char *code = md->code[p[k].item];
        int32_t prod = pt_snapshot_product(snap, code);
        json_t *it = json_pack("{s:s,s:f}", "item", code, "score", p[k].score);
        if (md->category[p[k].item][0])
            json_object_set_new(it, "category", json_string(md->category[p[k].item]));
        if (prod >= 0 && snap->product_name && snap->product_name[prod][0])
            json_object_set_new(it, "name", json_string(snap->product_name[prod]));
        json_array_append_new(items, it);
    }
    return items;
}

/* Scores with model m for member id over snap; fills r. */
static void recommend(struct srv_req *r, const pt_reco_model *md, const pt_snapshot *snap, int64_t id, size_t n)
{
    long i = pt_snapshot_member_index(snap, id);
    int32_t *item = NULL;
    float *count = NULL;
    size_t nh = 0, nr = 0;
    pt_reco_filter f = {0};
    pt_reco_pick *p = malloc(n * sizeof *p);
    int rc = p ? PT_OK : PT_ENOMEM;
    if (rc == PT_OK && i >= 0) /* not in the snapshot yet (new since the refresh): no history */
        rc = pt_reco_history_of(md, snap, (size_t)i, NULL, &item, &count, &nh);
    if (rc == PT_OK)
        rc = pt_reco_filter_init(&f, md);
    if (rc == PT_OK && query_filter(r, md, &f) != 0)
        rc = -1;
    pt_reco_history h = {.n = nh, .item = item, .count = count};
    if (rc == PT_OK)
        rc = pt_reco_recommend(md, &h, &f, n, p, &nr);
    if (rc == PT_OK) {
        char no[PT_MEMBER_NO_MAX];
        pt_member_no_for_id(id, no);
        srv_json(r, 200, json_pack("{s:s,s:s,s:I,s:o}", "member", no, "model", pt_reco_kind_name(md->kind),
                                   "history_items", (json_int_t)nh, "items", items_json(md, snap, p, nr)));
    } else if (rc > 0) {
        srv_error_rc(r, rc, "recommending");
    }
    pt_reco_filter_free(&f);
    free(p);
    free(item);
    free(count);
}

void route_member_recommendations(struct srv_req *r, struct srv_thread *t)
{
    const char *ns = srv_query(r, "n");
    char *end = NULL;
    long n = ns ? strtol(ns, &end, 10) : 10;
    if (ns && (*end || n < 1 || n > RECO_N_MAX)) {
        srv_error(r, 400, "invalid_query", "n", "n is a whole number from 1 to %d", RECO_N_MAX);
        return;
    }
    int64_t id;
    if (srv_member_param(r, t, &id) != 0)
        return;
    struct model_ref *m = ref_get(r->srv->reco);
    if (!m) {
        srv_error(r, 409, "no_model", NULL,
                  "no recommendation model: train one with `patron reco train` (it writes DIR/reco.model)");
        return;
    }
    const pt_snapshot *snap;
    uint64_t gen;
    void *ref;
    int rc = srv_analytics_snapshot(r->srv, t->db, &snap, &gen, &ref);
    if (rc) {
        srv_error_rc(r, rc, "the analytics snapshot could not be built");
    } else {
        recommend(r, m->md, snap, id, (size_t)n);
        srv_analytics_snapshot_put(r->srv, ref);
    }
    ref_put(r->srv->reco, m);
}

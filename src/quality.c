/* quality.c — aggregates import-run records and conflicts into the data-quality report, and
 * store counts into the overview. Reads only counters the store already keeps; no row scans
 * of members or orders. */
#include "patron/quality.h"
#include "patron/error.h"
#include "patron/types.h"
#include "db_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct totals {
    json_int_t read, accepted, rejected, dup_orders, dups, created, attached, merged, conflicts, filled;
};

struct quality_ctx {
    json_t       *groups;  /* "kind/source" → group object */
    json_t       *runs;
    struct totals t;
};

static void add_int(json_t *o, const char *key, json_int_t v)
{
    json_t *cur = json_object_get(o, key);
    json_object_set_new(o, key, json_integer((cur ? json_integer_value(cur) : 0) + v));
}

static json_t *group_for(struct quality_ctx *c, const pt_import_run_rec *r)
{
    char key[64];
    snprintf(key, sizeof key, "%s/%s", r->kind, r->source);
    json_t *g = json_object_get(c->groups, key);
    if (!g) {
        g = json_pack("{s:s,s:s,s:o}", "kind", r->kind, "source", r->source, "missing", json_object());
        json_object_set_new(c->groups, key, g);
    }
    return g;
}

static int add_run(void *ud, const pt_import_run_rec *r)
{
    struct quality_ctx *c = ud;
    json_t *g = group_for(c, r);
    add_int(g, "files", 1);
    add_int(g, "rows_read", r->rows_read);
    add_int(g, "rows_accepted", r->rows_accepted);
    add_int(g, "rows_rejected", r->rows_rejected);
    add_int(g, "duplicates", r->duplicates);
    add_int(g, "members_created", r->members_created);
    add_int(g, "members_attached", r->members_attached);
    add_int(g, "members_merged", r->members_merged);
    add_int(g, "conflicts", r->conflicts);
    add_int(g, "filled", r->filled);
    json_t *missing = r->missing.len ? json_loadb((const char *)r->missing.data, r->missing.len, 0, NULL) : NULL;
    const char *field;
    json_t *v;
    json_object_foreach(missing, field, v) add_int(json_object_get(g, "missing"), field, json_integer_value(v));
    json_decref(missing);
    json_array_append_new(c->runs, json_pack("{s:I,s:s,s:s,s:s,s:I,s:I,s:I,s:I}", "id", (json_int_t)r->id,
                                             "kind", r->kind, "source", r->source, "file", r->file,
                                             "rows_read", (json_int_t)r->rows_read, "rows_accepted",
                                             (json_int_t)r->rows_accepted, "rows_rejected",
                                             (json_int_t)r->rows_rejected, "duplicates", (json_int_t)r->duplicates));
    c->t.read += r->rows_read;
    c->t.accepted += r->rows_accepted;
    c->t.rejected += r->rows_rejected;
    c->t.dups += r->duplicates;
    if (strcmp(r->kind, "orders") == 0)
        c->t.dup_orders += r->duplicates;
    c->t.created += r->members_created;
    c->t.attached += r->members_attached;
    c->t.merged += r->members_merged;
    c->t.conflicts += r->conflicts;
    c->t.filled += r->filled;
    return 0;
}

static int add_conflict(void *ud, const pt_conflict_rec *r)
{
    json_t *by_field = ud;
    const char *f = pt_field_name(r->field);
    json_t *o = json_object_get(by_field, f);
    if (!o) {
        o = json_pack("{s:s,s:i}", "rule", r->rule, "count", 0);
        json_object_set_new(by_field, f, o);
    }
    add_int(o, "count", 1);
    return 0;
}

/* Turns each group's missing counts into rates of rows read. */
static json_t *groups_array(json_t *groups)
{
    json_t *arr = json_array();
    const char *key;
    json_t *g;
    json_object_foreach(groups, key, g) {
        json_int_t rows = json_integer_value(json_object_get(g, "rows_read"));
        json_t *rate = json_object();
        const char *field;
        json_t *v;
        json_object_foreach(json_object_get(g, "missing"), field, v)
            json_object_set_new(rate, field, json_real(rows ? (double)json_integer_value(v) / (double)rows : 0.0));
        json_object_set_new(g, "missing_rate", rate);
        json_array_append(arr, g);
    }
    return arr;
}

static int dump(json_t *o, pt_buf *out)
{
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!s)
        return PT_ENOMEM;
    int rc = pt_buf_append_str(out, s);
    free(s);
    return rc;
}

int pt_quality_json(pt_db *db, pt_buf *out)
{
    struct quality_ctx c = {.groups = json_object(), .runs = json_array()};
    json_t *conflicts = json_object();
    int rc = pt_store_import_run_scan(pt_db_store(db), add_run, &c);
    if (rc == PT_OK)
        rc = pt_store_conflict_scan(pt_db_store(db), add_conflict, conflicts);
    if (rc) {
        json_decref(c.groups);
        json_decref(c.runs);
        json_decref(conflicts);
        return pt__db_store_error(db, rc, "reading import records");
    }
    json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "rows_read", c.t.read, "rows_accepted",
                          c.t.accepted, "rows_rejected", c.t.rejected, "duplicate_orders", c.t.dup_orders,
                          "duplicates_removed", c.t.dups, "members_created", c.t.created, "members_attached",
                          c.t.attached, "members_merged", c.t.merged, "conflicts", c.t.conflicts, "filled",
                          c.t.filled);
    json_object_set_new(o, "sources", groups_array(c.groups));
    json_object_set_new(o, "conflicts_by_field", conflicts);
    json_object_set_new(o, "imports", c.runs);
    json_decref(c.groups);
    return dump(o, out);
}

int pt_overview_json(pt_db *db, pt_buf *out)
{
    pt_store_stats st;
    memset(&st, 0, sizeof st);
    int rc = pt_store_stats_get(pt_db_store(db), &st);
    if (rc)
        return pt__db_store_error(db, rc, "reading store counts");
    json_t *o = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "store",
                          pt_store_backend(pt_db_store(db)), "members", (json_int_t)st.members_active,
                          "members_frozen", (json_int_t)st.members_frozen, "members_erased",
                          (json_int_t)st.members_erased, "members_merged_away", (json_int_t)st.members_merged_away,
                          "identifiers", (json_int_t)st.identities, "orders", (json_int_t)st.orders,
                          "revenue_cents", (json_int_t)st.order_cents, "items", (json_int_t)st.items,
                          "events", (json_int_t)st.events, "survey_answers", (json_int_t)st.surveys,
                          "merges", (json_int_t)st.merges_in_force, "average_order_cents",
                          (json_int_t)(st.orders ? st.order_cents / st.orders : 0));
    return dump(o, out);
}

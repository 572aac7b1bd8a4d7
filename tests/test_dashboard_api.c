/* test_dashboard_api.c — the dashboard panels' JSON (server/dashboard*.c) on demo data: every
 * figure is the analytics library's for the same period (computed here again, independently,
 * on a snapshot of our own), the segment lists and CSV add up, bad parameters get a 400 that
 * names the parameter, and the member view never carries personal data in clear — masked for
 * an admin, absent for an analyst. */
#include "test.h"

#include "../server/dashboard.h"
#include "patron/error.h"
#include "patron/lifecycle.h"
#include "patron/member.h"
#include "patron/metrics.h"
#include "patron/rfm.h"
#include "patron/snapshot.h"
#include "patron/store_ledger.h"
#include "patron/churn.h"
#include "patron/store_score.h"
#include "patron/tz.h"

#include <stdlib.h>
#include <string.h>

struct q {
    const char *kv[16]; /* name, value, …, NULL */
};

static const char *q_param(void *ud, const char *name)
{
    struct q *q = ud;
    for (int i = 0; q->kv[i]; i += 2)
        if (strcmp(q->kv[i], name) == 0)
            return q->kv[i + 1];
    return NULL;
}

/* Demo data (600 people, fixed seed) in this test's directory, opened. */
static pt_db *demo_db(void)
{
    char *out = NULL, err[256], dir[4096];
    snprintf(dir, sizeof dir, "%s/demo", pt_test_tmpdir());
    int rc = pt_test_run(&out, "'%s' demo --members 600 --seed 5 --data '%s' >/dev/null 2>&1", pt_test_patron_bin(), dir);
    free(out);
    pt_db *db = NULL;
    if (rc == 0 && pt_db_open(&db, dir, NULL, err, sizeof err) != PT_OK) {
        fprintf(stderr, "    pt_db_open: %s\n", err);
        db = NULL;
    }
    return db;
}

/* The panel's JSON for the parameters; NULL unless the status is `want`. */
static json_t *panel(pt_dash *d, pt_db *db, const char *name, struct q q, int personal, int want)
{
    pt_dash_result res;
    int st = pt_dash_panel(d, db, name, q_param, &q, personal, &res);
    if (st != want) {
        char *s = res.body ? json_dumps(res.body, 0) : NULL;
        fprintf(stderr, "    %s: status %d, wanted %d: %s\n", name, st, want, s ? s : "");
        free(s);
        pt_dash_result_free(&res);
        return NULL;
    }
    json_t *b = json_incref(res.body);
    pt_dash_result_free(&res);
    return b;
}

static long long jint(const json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const json_t *v = o;
    for (char *tok = strtok(buf, "."); tok && v; tok = strtok(NULL, "."))
        v = json_object_get(v, tok);
    return v && json_is_integer(v) ? (long long)json_integer_value(v) : -999999;
}

static int64_t local_date(pt_db *db, int y, int m, int day)
{
    pt_civil c = {.year = y, .month = m, .day = day};
    int64_t t = 0;
    pt_tz_utc(pt_db_config(db)->timezone, &c, &t);
    return t;
}

TEST(dashboard_overview_is_the_metrics_kpis_of_the_period_and_the_one_before)
{
    pt_db *db = demo_db();
    ASSERT(db);
    pt_dash *d;
    ASSERT_OK(pt_dash_open(&d, 60));
    json_t *o = panel(d, db, "overview", (struct q){{"from", "2025-10-01", "to", "2026-04-01", NULL}}, PT_DASH_MASKED, 200);
    pt_snapshot *s = NULL;
    int ok = o && pt_snapshot_load(&s, pt_db_store(db), NULL, NULL) == PT_OK;
    pt_kpi cur, prev;
    pt_nps nps;
    int64_t from = local_date(db, 2025, 10, 1), to = local_date(db, 2026, 4, 1);
    ok = ok && pt_metrics_kpi(&cur, s, from, to) == PT_OK && pt_metrics_kpi(&prev, s, from - (to - from), from) == PT_OK &&
         pt_metrics_nps(&nps, s, "nps", from, to) == PT_OK;
    long long got[] = {jint(o, "period.members"), jint(o, "period.active"), jint(o, "period.members_new"),
                       jint(o, "period.orders"), jint(o, "period.revenue_cents"), jint(o, "period.repurchase_bp"),
                       jint(o, "period.churn_bp"), jint(o, "previous.active"), jint(o, "previous.revenue_cents"),
                       jint(o, "nps.answers"), jint(o, "period.from")};
    long long want[] = {(long long)cur.members, (long long)cur.active, (long long)cur.members_new, cur.orders,
                        cur.revenue_cents, cur.repurchase_bp, cur.churn_bp, (long long)prev.active,
                        prev.revenue_cents, (long long)nps.answers, from};
    size_t spark = json_array_size(json_object_get(o, "spark"));
    pt_snapshot_free(s);
    json_decref(o);
    pt_dash_close(d);
    pt_db_close(db);
    ASSERT(ok);
    ASSERT_GT(want[3], 0); /* the period has orders: the comparison is not of zeros */
    for (size_t k = 0; k < sizeof got / sizeof got[0]; k++)
        ASSERT_EQ(got[k], want[k]);
    ASSERT_EQ(spark, 12);
}

TEST(dashboard_channel_filter_counts_only_that_channels_orders)
{
    pt_db *db = demo_db();
    ASSERT(db);
    pt_dash *d;
    ASSERT_OK(pt_dash_open(&d, 60));
    struct q all = {{"from", "2025-07-01", "to", "2026-07-01", NULL}};
    struct q app = {{"from", "2025-07-01", "to", "2026-07-01", "channel", "app", NULL}};
    json_t *a = panel(d, db, "overview", all, PT_DASH_MASKED, 200), *b = panel(d, db, "overview", app, PT_DASH_MASKED, 200);
    json_t *t = panel(d, db, "trends", app, PT_DASH_MASKED, 200);
    pt_snapshot *s = NULL;
    pt_kpi k;
    int ok = a && b && t && pt_snapshot_load(&s, pt_db_store(db), NULL, NULL) == PT_OK;
    int ch = ok ? pt_snapshot_channel(s, "app") : -1;
    pt_kpi_slice sl = {.group = NULL, .channel = ch};
    ok = ok && ch >= 0 && pt_metrics_kpi_slice(&k, s, local_date(db, 2025, 7, 1), local_date(db, 2026, 7, 1), &sl) == PT_OK;
    long long orders_all = jint(a, "period.orders"), orders_app = jint(b, "period.orders");
    long long month_sum = 0;
    for (size_t i = 0; t && i < json_array_size(json_object_get(t, "months")); i++)
        month_sum += jint(json_array_get(json_object_get(t, "months"), i), "orders");
    pt_snapshot_free(s);
    json_decref(a);
    json_decref(b);
    json_decref(t);
    pt_dash_close(d);
    pt_db_close(db);
    ASSERT(ok);
    ASSERT_EQ(orders_app, k.orders);
    ASSERT_GT(orders_app, 0);
    ASSERT_LT(orders_app, orders_all);
    ASSERT_EQ(month_sum, orders_app); /* the months of the trend partition the period */
}

TEST(dashboard_segments_add_up_and_a_segment_lists_pages_and_csv_of_its_members)
{
    pt_db *db = demo_db();
    ASSERT(db);
    pt_dash *d;
    ASSERT_OK(pt_dash_open(&d, 60));
    json_t *seg = panel(d, db, "segments", (struct q){{"map", "8", NULL}}, PT_DASH_MASKED, 200);
    long long sum = 0, first_members = -1;
    const char *first_key = NULL;
    json_t *arr = json_object_get(seg, "segments");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *x = json_array_get(arr, i);
        sum += jint(x, "members");
        if (!first_key && jint(x, "members") > 3 && json_is_true(json_object_get(x, "listable"))) {
            first_key = json_string_value(json_object_get(x, "key"));
            first_members = jint(x, "members");
        }
    }
    ASSERT(first_key);
    json_t *p1 = panel(d, db, "segments/members", (struct q){{"map", "8", "segment", first_key, "per_page", "2", NULL}},
                       PT_DASH_PSEUDONYMOUS, 200);
    json_t *p2 = panel(d, db, "segments/members",
                       (struct q){{"map", "8", "segment", first_key, "per_page", "2", "page", "2", NULL}},
                       PT_DASH_PSEUDONYMOUS, 200);
    pt_dash_result csv;
    struct q cq = {{"map", "8", "segment", first_key, "format", "csv", NULL}};
    int st = pt_dash_panel(d, db, "segments/members", q_param, &cq, PT_DASH_PSEUDONYMOUS, &csv);
    long long lines = 0;
    for (size_t i = 0; i < csv.csv_len; i++)
        lines += csv.csv[i] == '\n';
    const char *no1 = json_string_value(json_object_get(json_array_get(json_object_get(p1, "members"), 0), "member_no"));
    const char *no3 = json_string_value(json_object_get(json_array_get(json_object_get(p2, "members"), 0), "member_no"));
    int distinct = no1 && no3 && strcmp(no1, no3) != 0;
    int in_csv = no3 && csv.csv && strstr(csv.csv, no3) != NULL;
    long long total = jint(p1, "total"), members_of = jint(seg, "totals.members");
    size_t page_len = json_array_size(json_object_get(p1, "members"));
    pt_dash_result_free(&csv);
    json_decref(seg);
    json_decref(p1);
    json_decref(p2);
    pt_dash_close(d);
    pt_db_close(db);
    ASSERT_EQ(sum, members_of);
    ASSERT_EQ(total, first_members);
    ASSERT_EQ(page_len, 2);
    ASSERT(distinct);
    ASSERT_EQ(st, 200);
    ASSERT_EQ(lines, first_members + 1); /* a header, then one line per member */
    ASSERT(in_csv);
}

TEST(dashboard_bad_parameters_get_a_400_that_names_the_parameter)
{
    pt_db *db = demo_db();
    ASSERT(db);
    pt_dash *d;
    ASSERT_OK(pt_dash_open(&d, 60));
    static const struct {
        const char *panel, *k1, *v1, *k2, *v2, *needle;
        int status;
    } cases[] = {
        {"overview", "from", "2025-13-01", NULL, NULL, "'from'", 400},
        {"overview", "from", "2026-02-01", "to", "2026-01-01", "'to'", 400},
        {"trends", "channel", "fax", NULL, NULL, "'channel'", 400},
        {"segments", "map", "9", NULL, NULL, "'map'", 400},
        {"segments/members", "segment", "nobody", NULL, NULL, "'segment'", 400},
        {"segments/members", "segment", "champions", "per_page", "0", "'per_page'", 400},
        {"cohorts", "months", "61", NULL, NULL, "'months'", 400},
        {"member", NULL, NULL, NULL, NULL, "'q'", 400},
        {"member", "q", "1000000001", "by", "fax", "'by'", 400},
        {"nosuch", NULL, NULL, NULL, NULL, "nosuch", 404},
    };
    int bad = -1;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0] && bad < 0; i++) {
        struct q q = {{cases[i].k1, cases[i].v1, cases[i].k2, cases[i].v2, NULL}};
        pt_dash_result res;
        int st = pt_dash_panel(d, db, cases[i].panel, q_param, &q, PT_DASH_MASKED, &res);
        const char *msg = json_string_value(json_object_get(res.body, "error"));
        if (st != cases[i].status || !msg || !strstr(msg, cases[i].needle)) {
            fprintf(stderr, "    %s: %d %s\n", cases[i].panel, st, msg ? msg : "(no message)");
            bad = (int)i;
        }
        pt_dash_result_free(&res);
    }
    pt_dash_close(d);
    pt_db_close(db);
    ASSERT_EQ(bad, -1);
}

/* The clear phone of some member with one, for the needle. */
static int clear_phone_of(pt_db *db, const char *no, char *phone, size_t cap)
{
    pt_member m;
    if (pt_member_get_by_no(db, no, &m, NULL) != PT_OK)
        return -1;
    snprintf(phone, cap, "%s", m.phone);
    pt_member_wipe(&m);
    return phone[0] ? 0 : -1;
}

TEST(dashboard_member_view_is_masked_for_admins_and_pseudonymous_for_analysts)
{
    pt_db *db = demo_db();
    ASSERT(db);
    pt_dash *d;
    ASSERT_OK(pt_dash_open(&d, 60));
    json_t *list = panel(d, db, "segments/members", (struct q){{"segment", "champions", "per_page", "50", NULL}},
                         PT_DASH_MASKED, 200);
    char phone[64] = "", no[32] = "";
    for (size_t i = 0; i < json_array_size(json_object_get(list, "members")) && !phone[0]; i++) {
        snprintf(no, sizeof no, "%s",
                 json_string_value(json_object_get(json_array_get(json_object_get(list, "members"), i), "member_no")));
        if (clear_phone_of(db, no, phone, sizeof phone))
            phone[0] = 0;
    }
    json_decref(list);
    ASSERT(phone[0]);
    json_t *admin = panel(d, db, "member", (struct q){{"q", no, NULL}}, PT_DASH_MASKED, 200);
    json_t *analyst = panel(d, db, "member", (struct q){{"q", no, NULL}}, PT_DASH_PSEUDONYMOUS, 200);
    json_t *none = panel(d, db, "member", (struct q){{"q", "9999999999", NULL}}, PT_DASH_MASKED, 200);
    json_t *by_phone = panel(d, db, "member", (struct q){{"q", phone, "by", "phone", NULL}}, PT_DASH_MASKED, 200);
    json_t *refused = panel(d, db, "member", (struct q){{"q", phone, "by", "phone", NULL}}, PT_DASH_PSEUDONYMOUS, 403);
    const char *found_no = json_string_value(json_object_get(by_phone, "member_no"));
    int phone_ok = found_no && strcmp(found_no, no) == 0 && refused;
    json_decref(by_phone);
    json_decref(refused);
    char *a = admin ? json_dumps(admin, 0) : NULL, *b = analyst ? json_dumps(analyst, 0) : NULL;
    const char *masked = json_string_value(json_object_get(json_object_get(admin, "profile"), "phone"));
    int ok = a && b && masked && strchr(masked, '*') && !strstr(a, phone) && !strstr(b, phone) &&
             !strstr(b, "****") && json_is_null(json_object_get(analyst, "profile")) &&
             json_array_size(json_object_get(analyst, "identifiers")) == 0 &&
             json_array_size(json_object_get(analyst, "orders")) > 0 && json_object_get(analyst, "rfm") &&
             !json_is_null(json_object_get(analyst, "rfm")) && json_is_false(json_object_get(none, "found"));
    if (!ok)
        fprintf(stderr, "    admin: %.300s\n    analyst: %.300s\n", a ? a : "", b ? b : "");
    free(a);
    free(b);
    json_decref(admin);
    json_decref(analyst);
    json_decref(none);
    pt_dash_close(d);
    pt_db_close(db);
    ASSERT(ok);
    ASSERT(phone_ok); /* an admin finds the member by phone; an analyst may not search by phone */
}

TEST(dashboard_lifecycle_transitions_add_up_to_the_stage_counts)
{
    pt_db *db = demo_db();
    ASSERT(db);
    pt_dash *d;
    ASSERT_OK(pt_dash_open(&d, 60));
    json_t *o = panel(d, db, "lifecycle", (struct q){{"from", "2025-07-01", "to", "2026-01-01", NULL}}, PT_DASH_MASKED, 200);
    json_t *months = json_object_get(o, "months"), *m = json_object_get(json_object_get(o, "transitions"), "matrix");
    json_t *first = json_object_get(json_array_get(months, 0), "counts");
    json_t *last = json_object_get(json_array_get(months, json_array_size(months) - 1), "counts");
    int bad = !o || json_array_size(months) != 7 || json_array_size(m) != PT_LC__COUNT;
    long long moved = 0;
    for (size_t a = 0; !bad && a < PT_LC__COUNT; a++) {
        long long row = 0, col = 0;
        for (size_t b = 0; b < PT_LC__COUNT; b++) {
            row += json_integer_value(json_array_get(json_array_get(m, a), b));
            col += json_integer_value(json_array_get(json_array_get(m, b), a));
            moved += a != b ? json_integer_value(json_array_get(json_array_get(m, a), b)) : 0;
        }
        bad |= row != json_integer_value(json_array_get(first, a)) || col != json_integer_value(json_array_get(last, a));
    }
    json_decref(o);
    pt_dash_close(d);
    pt_db_close(db);
    ASSERT(!bad);
    ASSERT_GT(moved, 0);
}

/* Spend to date of member id as of t, recomputed here with pt_rfm over a fresh snapshot. */
static int64_t spend_to_date(pt_db *db, int64_t id, int64_t t)
{
    pt_snapshot *snap = NULL;
    pt_rfm rfm;
    pt_rfm_opts o;
    pt_rfm_opts_init(&o, t);
    int64_t v = -1;
    if (pt_snapshot_load(&snap, pt_db_store(db), NULL, NULL) == PT_OK && pt_rfm_compute(&rfm, snap, &o) == PT_OK) {
        for (size_t i = 0; i < rfm.nrows; i++)
            if (rfm.rows[i].member_id == id)
                v = rfm.rows[i].revenue_cents;
        pt_rfm_free(&rfm);
    }
    pt_snapshot_free(snap);
    return v;
}

TEST(dashboard_value_ranks_members_by_clv_and_flags_high_value_members_at_risk)
{
    pt_db *db = demo_db();
    ASSERT(db);
    pt_dash *d;
    ASSERT_OK(pt_dash_open(&d, 60));
    json_t *o = panel(d, db, "value", (struct q){{"as_of", "2026-06-01", NULL}}, PT_DASH_PSEUDONYMOUS, 200);
    json_t *hist = json_object_get(o, "histogram"), *top = json_object_get(o, "top"), *risk = json_object_get(o, "at_risk");
    long long in_bins = 0, p75 = jint(o, "p75_past_value_cents"), members = jint(o, "members");
    for (size_t i = 0; i < json_array_size(hist); i++)
        in_bins += jint(json_array_get(hist, i), "members");
    int sorted = json_array_size(top) > 1, risky = 1;
    for (size_t i = 1; i < json_array_size(top); i++)
        sorted &= jint(json_array_get(top, i - 1), "clv_cents") >= jint(json_array_get(top, i), "clv_cents");
    /* at risk: spent the most so far (top quarter), likely gone, most spent first */
    for (size_t i = 0; i < json_array_size(risk); i++) {
        json_t *x = json_array_get(risk, i);
        risky &= jint(x, "past_value_cents") >= p75 && json_real_value(json_object_get(x, "p_alive")) < 0.5;
        if (i)
            risky &= jint(json_array_get(risk, i - 1), "past_value_cents") >= jint(x, "past_value_cents");
    }
    /* the first one's spend to date, recomputed independently */
    json_t *first = json_array_get(risk, 0);
    int64_t id = 0;
    if (first)
        pt_member_id_of_no(db, json_string_value(json_object_get(first, "member_no")), &id);
    int64_t as_of = 0;
    pt_civil day = {.year = 2026, .month = 6, .day = 1};
    ASSERT_OK(pt_tz_utc(pt_db_config(db)->timezone, &day, &as_of));
    long long want_past = first ? (long long)spend_to_date(db, id, as_of) : -2, got_past = jint(first, "past_value_cents");
    fprintf(stderr, "    %zu at risk; the first spent %lld cents (recomputed %lld)\n", json_array_size(risk), got_past,
            want_past);
    int fitted = json_is_true(json_object_get(o, "fitted"));
    size_t nrisk = json_array_size(risk);
    json_decref(o);
    pt_dash_close(d);
    pt_db_close(db);
    ASSERT(fitted);
    ASSERT_GT(members, 0);
    ASSERT_EQ(in_bins, members);
    ASSERT(sorted);
    ASSERT_GT(p75, 0);
    ASSERT_GT(nrisk, 0); /* the demo has lapsed big spenders */
    ASSERT(risky);
    ASSERT_EQ(got_past, want_past);
}

struct earn_sum {
    int64_t from, to, earned, expired;
};

static int sum_entry(void *ud, const pt_entry_rec *e)
{
    struct earn_sum *x = ud;
    if (e->at >= x->from && e->at < x->to) {
        x->earned += e->kind == PT_ENTRY_EARN ? e->points : 0;
        x->expired -= e->kind == PT_ENTRY_EXPIRE ? e->points : 0;
    }
    return 0;
}

TEST(dashboard_points_per_month_add_up_to_every_members_ledger_entries)
{
    pt_db *db = demo_db();
    ASSERT(db);
    pt_dash *d;
    ASSERT_OK(pt_dash_open(&d, 60));
    json_t *t = panel(d, db, "tiers", (struct q){{"from", "2025-07-01", "to", "2026-07-01", NULL}}, PT_DASH_MASKED, 200);
    long long earned = 0, expired = 0, ups = 0;
    json_t *months = json_object_get(t, "months");
    for (size_t i = 0; i < json_array_size(months); i++) {
        earned += jint(json_array_get(months, i), "earned");
        expired += jint(json_array_get(months, i), "expired");
        ups += jint(json_array_get(months, i), "tier_up");
    }
    size_t nmonths = json_array_size(months);
    /* the same, member by member through the ledger's own listing (what the scan must equal) */
    pt_snapshot *s = NULL;
    struct earn_sum x = {local_date(db, 2025, 7, 1), local_date(db, 2026, 7, 1), 0, 0};
    int ok = t && pt_snapshot_load(&s, pt_db_store(db), NULL, NULL) == PT_OK;
    for (size_t i = 0; ok && i < s->nmembers; i++)
        ok = pt_store_entry_list(pt_db_store(db), s->member_id[i], sum_entry, &x) == PT_OK;
    int has_names = json_object_size(json_object_get(t, "tier_names")) > 0;
    pt_snapshot_free(s);
    json_decref(t);
    pt_dash_close(d);
    pt_db_close(db);
    ASSERT(ok);
    ASSERT_EQ(nmonths, 12);
    ASSERT_GT(x.earned, 0);
    ASSERT_EQ(earned, x.earned);
    ASSERT_EQ(expired, x.expired);
    ASSERT_GT(ups, 0);
    ASSERT(has_names);
}

TEST(dashboard_tiers_and_cohorts_are_the_metrics_modules_figures)
{
    pt_db *db = demo_db();
    ASSERT(db);
    pt_dash *d;
    ASSERT_OK(pt_dash_open(&d, 60));
    json_t *t = panel(d, db, "tiers", (struct q){{NULL}}, PT_DASH_MASKED, 200);
    json_t *c = panel(d, db, "cohorts", (struct q){{"from", "2025-01-01", "to", "2026-01-01", "months", "6", NULL}},
                      PT_DASH_MASKED, 200);
    pt_snapshot *s = NULL;
    pt_points_tiers p = {0};
    pt_cohorts co = {0};
    int ok = t && c && pt_snapshot_load(&s, pt_db_store(db), NULL, NULL) == PT_OK && pt_metrics_points(&p, s) == PT_OK &&
             pt_metrics_cohorts(&co, s, pt_db_config(db)->timezone, local_date(db, 2025, 1, 1),
                                local_date(db, 2026, 1, 1), 6) == PT_OK;
    int same = ok && jint(t, "liability_points") == p.liability_points &&
               json_array_size(json_object_get(t, "tiers")) == p.ntiers &&
               json_array_size(json_object_get(c, "cohorts")) == co.n && co.n == 12;
    for (size_t i = 0; same && i < co.n; i++) {
        json_t *x = json_array_get(json_object_get(c, "cohorts"), i);
        same = jint(x, "size") == (long long)co.cohorts[i].size &&
               json_integer_value(json_array_get(json_object_get(x, "retained"), 1)) == (json_int_t)co.cohorts[i].retained[1];
    }
    for (size_t k = 0; same && k < p.ntiers; k++)
        same = jint(json_array_get(json_object_get(t, "tiers"), k), "members") == (long long)p.members_per_tier[k];
    pt_metrics_points_free(&p);
    pt_metrics_cohorts_free(&co);
    pt_snapshot_free(s);
    json_decref(t);
    json_decref(c);
    pt_dash_close(d);
    pt_db_close(db);
    ASSERT(ok);
    ASSERT(same);
}

static int count_shown(const pt_snapshot *snap, const pt_score_rec *rows, size_t n, double *max_risk)
{
    int shown = 0;
    *max_risk = -1;
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < snap->nmembers; i++)
            if (snap->member_id[i] == rows[k].member_id && pt_snapshot_member_use(snap, i) == PT_SNAP_USE) {
                shown++;
                double r = (double)rows[k].score_ppm / PT_SCORE_PPM;
                *max_risk = r > *max_risk ? r : *max_risk;
            }
    return shown;
}

/* Before `patron churn score` the churn page says "not scored"; after it, the bands count every
 * stored score of a member the snapshot may show (no more, no fewer), and the list starts with
 * the riskiest such member. */
TEST(dashboard_churn_shows_the_stored_churn_scores_of_members_it_may_show)
{
    pt_db *db = demo_db();
    ASSERT(db);
    pt_dash *d;
    ASSERT_OK(pt_dash_open(&d, 60));
    json_t *before = panel(d, db, "churn", (struct q){{NULL}}, PT_DASH_MASKED, 200);
    ASSERT(before && json_is_false(json_object_get(before, "scored")));
    json_decref(before);

    char *out = NULL;
    int st = pt_test_run(&out, "'%s' churn score --model lr --data '%s' >/dev/null 2>&1", pt_test_patron_bin(),
                         pt_db_dir(db));
    free(out);
    ASSERT_EQ(st, 0);
    pt_score_rec *rows = NULL;
    size_t n = 0;
    ASSERT_OK(pt_churn_scores_load(pt_db_store(db), "lr", 0.0, &rows, &n));
    ASSERT_GT(n, 0);
    pt_snapshot *snap = NULL;
    ASSERT_OK(pt_snapshot_load(&snap, pt_db_store(db), NULL, NULL));
    double max_risk;
    int shown = count_shown(snap, rows, n, &max_risk);
    pt_snapshot_free(snap);
    free(rows);

    pt_dash_close(d); /* a fresh snapshot after the scoring */
    ASSERT_OK(pt_dash_open(&d, 60));
    json_t *after = panel(d, db, "churn", (struct q){{NULL}}, PT_DASH_MASKED, 200);
    ASSERT(after && json_is_true(json_object_get(after, "scored")));
    ASSERT_STR_EQ(json_string_value(json_object_get(after, "model")), "lr");
    ASSERT_EQ(jint(after, "members"), shown);
    long long banded = 0;
    json_t *bands = json_object_get(after, "bands");
    ASSERT_EQ(json_array_size(bands), 10);
    for (size_t b = 0; b < json_array_size(bands); b++)
        banded += jint(json_array_get(bands, b), "members");
    ASSERT_EQ(banded, shown);
    json_t *top = json_object_get(after, "top");
    ASSERT_GT(json_array_size(top), 0);
    double first = json_real_value(json_object_get(json_array_get(top, 0), "risk"));
    ASSERT(first > max_risk - 1e-9 && first < max_risk + 1e-9);
    for (size_t k = 1; k < json_array_size(top); k++)
        ASSERT(json_real_value(json_object_get(json_array_get(top, k), "risk")) <= first + 1e-12);
    json_decref(after);
    pt_dash_close(d);
    pt_db_close(db);
}

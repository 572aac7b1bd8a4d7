/* test_cli.c — the `patron` program end to end: the demo (import of 50,000 generated members
 * must find exactly the merges and duplicate orders the generator planted), the look-up
 * contract, no personal data in clear in the store files, clear errors for bad input. */
#include "test.h"

#include <ctype.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BIN pt_test_patron_bin()

static json_t *load_json_file(const char *path)
{
    return json_load_file(path, 0, NULL);
}

static json_t *run_json(const char *fmt, const char *dir)
{
    char *out = NULL;
    char cmd[8192];
    snprintf(cmd, sizeof cmd, fmt, BIN, dir);
    int st = pt_test_run(&out, "%s", cmd);
    json_t *o = st == 0 && out ? json_loads(out, 0, NULL) : NULL;
    if (!o)
        fprintf(stderr, "    `%s` exited %d: %.300s\n", cmd, st, out ? out : "");
    free(out);
    return o;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every phone (as its 11 digits) and e-mail in the demo's member files. */
static int collect_needles(const char *dir, char ***needles)
{
    char *out = NULL;
    pt_test_run(&out,
                "cd '%s/demo-input' && cat members_*.csv members_app.jsonl | grep -oE '[A-Za-z0-9._%%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]+' "
                "| tr 'A-Z' 'a-z' | sort -u; cd '%s/demo-input' && cat members_*.csv members_app.jsonl | tr -d ' -' "
                "| grep -oE '1[3-9][0-9]{9}' | sort -u",
                dir, dir);
    int n = 0, cap = 1024;
    char **list = malloc(sizeof *list * (size_t)cap);
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        if (n == cap)
            list = realloc(list, sizeof *list * (size_t)(cap *= 2));
        list[n++] = strdup(line);
    }
    free(out);
    qsort(list, (size_t)n, sizeof *list, cmp_str);
    *needles = list;
    return n;
}

/* The 11-digit phone or the e-mail address that starts (phone) or is centred on ('@') buf[i],
 * copied into tmp; NULL if there is none at i. */
static const char *pii_candidate(const char *buf, size_t got, size_t i, char tmp[256])
{
    if (buf[i] == '1' && (i == 0 || !isdigit((unsigned char)buf[i - 1]))) {
        size_t k = 0;
        while (k < 11 && i + k < got && isdigit((unsigned char)buf[i + k]))
            k++;
        if (k < 11)
            return NULL;
        memcpy(tmp, buf + i, 11);
        tmp[11] = 0;
        return tmp;
    }
    if (buf[i] != '@')
        return NULL;
    size_t s = i, e = i + 1;
    while (s > 0 && i - s < 64 && (isalnum((unsigned char)buf[s - 1]) || strchr("._%+-", buf[s - 1])))
        s--;
    while (e < got && e - i < 64 && (isalnum((unsigned char)buf[e]) || buf[e] == '.' || buf[e] == '-'))
        e++;
    if (e - s >= 256 || s == i)
        return NULL;
    memcpy(tmp, buf + s, e - s);
    tmp[e - s] = 0;
    return tmp;
}

/* Scans a file for any needle (sorted with cmp_str); each needle is an 11-digit phone or an
 * e-mail. Every phone- or e-mail-shaped run in the file is a candidate, looked up by binary
 * search. A missing file holds none. */
static int file_has_clear_pii(const char *path, char **needles, int n)
{
    size_t got;
    char *buf = pt_test_slurp(path, &got);
    int hits = 0;
    for (size_t i = 0; buf && i + 11 <= got && !hits; i++) {
        char tmp[256];
        const char *cand = pii_candidate(buf, got, i, tmp);
        hits = cand && bsearch(&cand, needles, (size_t)n, sizeof *needles, cmp_str) != NULL;
    }
    free(buf);
    return hits;
}

TEST(cli_demo_of_50000_members_finds_exactly_the_planted_merges_and_duplicate_orders)
{
    const char *dir = pt_test_tmpdir();
    char *out = NULL;
    int st = pt_test_run(&out, "'%s' demo --members 50000 --seed 7 --no-programme --data '%s/data' 2>&1", BIN, dir);
    if (st != 0)
        fprintf(stderr, "%s\n", out ? out : "");
    free(out);
    ASSERT_EQ(st, 0);
    char data[4200], truth_path[4300];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(truth_path, sizeof truth_path, "%s/demo-truth.json", data);
    json_t *truth = load_json_file(truth_path);
    json_t *q = run_json("'%s' quality --json --data '%s'", data);
    ASSERT(truth && q);
    json_int_t planted_merges = json_integer_value(json_object_get(truth, "merged_members"));
    json_int_t planted_dups = json_integer_value(json_object_get(truth, "duplicate_orders"));
    ASSERT_GT(planted_merges, 100);
    ASSERT_GT(planted_dups, 100);
    ASSERT_EQ(json_integer_value(json_object_get(q, "members_merged")), planted_merges);
    ASSERT_EQ(json_integer_value(json_object_get(q, "duplicate_orders")), planted_dups);
    ASSERT_EQ(json_integer_value(json_object_get(q, "rows_rejected")),
              json_integer_value(json_object_get(truth, "rejected_orders")));
    json_t *ov = run_json("'%s' overview --json --data '%s'", data);
    ASSERT(ov);
    ASSERT_EQ(json_integer_value(json_object_get(ov, "orders")), json_integer_value(json_object_get(truth, "orders")));
    ASSERT_EQ(json_integer_value(json_object_get(ov, "revenue_cents")),
              json_integer_value(json_object_get(truth, "order_cents")));
    json_decref(ov);
    json_decref(truth);
    json_decref(q);

    /* no phone or e-mail from the input is in the store files in clear */
    char **needles = NULL;
    int n = collect_needles(data, &needles);
    ASSERT_GT(n, 1000);
    char path[4300];
    snprintf(path, sizeof path, "%s/patron.db", data);
    ASSERT_EQ(file_has_clear_pii(path, needles, n), 0);
    snprintf(path, sizeof path, "%s/patron.db-wal", data); /* checkpointed away on close, if present */
    ASSERT_EQ(file_has_clear_pii(path, needles, n), 0);
    snprintf(path, sizeof path, "%s/demo-input/members_store.csv", data);
    ASSERT_EQ(file_has_clear_pii(path, needles, n), 1); /* control: the scan does find them in the input */

    /* the look-up contract: a phone in another form finds the member */
    char phone[32] = "";
    for (int i = 0; i < n && !phone[0]; i++)
        if (!strchr(needles[i], '@'))
            snprintf(phone, sizeof phone, "+86 %.3s-%.4s-%.4s", needles[i], needles[i] + 3, needles[i] + 7);
    char fmt[256];
    snprintf(fmt, sizeof fmt, "'%%s' member show --phone '%s' --json --data '%%s'", phone);
    json_t *m = run_json(fmt, data);
    ASSERT(m);
    ASSERT(json_is_string(json_object_get(m, "member_no")));
    ASSERT_EQ(strlen(json_string_value(json_object_get(m, "member_no"))), 10);
    json_decref(m);
    for (int i = 0; i < n; i++)
        free(needles[i]);
    free(needles);
}

static void write_bytes(const char *path, const char *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(bytes, 1, n, f);
    fclose(f);
}

TEST(cli_bad_input_files_give_clear_errors_and_reject_files_never_a_crash)
{
    const char *dir = pt_test_tmpdir();
    char data[4200], path[4300], *out = NULL;
    snprintf(data, sizeof data, "%s/data", dir);
    ASSERT_EQ(pt_test_run(NULL, "'%s' init --data '%s' >/dev/null 2>&1", BIN, data), 0);
    /* unknown column: exit 4 and the message names file, column and what to do */
    snprintf(path, sizeof path, "%s/unknown.csv", dir);
    write_bytes(path, "phone,shoe_size\n13800138000,42\n", 31);
    int st = pt_test_run(&out, "'%s' import members '%s' --source x --data '%s' 2>&1", BIN, path, data);
    ASSERT_EQ(st, 4);
    ASSERT_STR_CONTAINS(out, "unknown.csv");
    ASSERT_STR_CONTAINS(out, "shoe_size");
    free(out);
    /* binary: exit 4, says it looks binary */
    snprintf(path, sizeof path, "%s/binary.csv", dir);
    char bin[2048];
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (char)(i * 31);
    write_bytes(path, bin, sizeof bin);
    st = pt_test_run(&out, "'%s' import orders '%s' --source x --data '%s' 2>&1", BIN, path, data);
    ASSERT_EQ(st, 4);
    ASSERT_STR_CONTAINS(out, "binary");
    free(out);
    /* truncated and invalid UTF-8: imported with rejects, exit 0, reject file named */
    snprintf(path, sizeof path, "%s/messy.csv", dir);
    static const char messy[] = "phone,name\n13800138000,\xff\xfe\n13900139000,\"cut";
    write_bytes(path, messy, sizeof messy - 1);
    st = pt_test_run(&out, "'%s' import members '%s' --source x --data '%s' 2>&1", BIN, path, data);
    ASSERT_EQ(st, 0);
    ASSERT_STR_CONTAINS(out, "2 rejected");
    ASSERT_STR_CONTAINS(out, "messy.csv.rejects.csv");
    free(out);
    /* a missing file and a missing --source are usage/input errors, not crashes */
    ASSERT_EQ(pt_test_run(NULL, "'%s' import members /nonexistent.csv --source x --data '%s' 2>/dev/null", BIN, data), 5);
    ASSERT_EQ(pt_test_run(NULL, "'%s' import members '%s' --data '%s' 2>/dev/null", BIN, path, data), 2);
    ASSERT_EQ(pt_test_run(NULL, "'%s' member show --member 1000000000 --data '%s' 2>/dev/null", BIN, data), 3);
}

TEST(cli_every_command_has_help)
{
    const char *cmds[] = {"init",  "import", "member", "quality", "overview", "demo",     "demo-data", "programme",
                          "points", "tier",  "audit",  "store",   "reward",   "coupon", "referral",  "checkin",
                          "rfm",    "segments", "lifecycle", "clv", "kpi", "cohorts", "nps", "trends"};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        char *out = NULL;
        ASSERT_EQ(pt_test_run(&out, "'%s' %s --help", BIN, cmds[i]), 0);
        ASSERT_STR_CONTAINS(out, "usage: patron");
        free(out);
    }
    ASSERT_EQ(pt_test_run(NULL, "'%s' no-such-command 2>/dev/null", BIN), 2);
}

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Creates a fresh schema on the test PostgreSQL server and writes a store URL selecting it. */
static int pg_fresh_store_url(const char *schema, char *url, size_t cap)
{
    const char *base = getenv("PATRON_TEST_PG");
    PGconn *c = PQconnectdb(base);
    PQsetNoticeProcessor(c, quiet, NULL);
    char sql[256];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema, schema);
    PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
    int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "    %s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    snprintf(url, cap, "%s%soptions=-csearch_path%%3D%s", base, strchr(base, '?') ? "&" : "?", schema);
    return ok;
}

TEST(cli_store_option_keeps_members_in_postgresql_and_finds_them_by_phone)
{
    if (!getenv("PATRON_TEST_PG") || !*getenv("PATRON_TEST_PG"))
        SKIP("PATRON_TEST_PG is not set (scripts/run-tests starts a PostgreSQL server for it)");
    char url[4400], data[4200], *out = NULL;
    ASSERT(pg_fresh_store_url("cli_store_option", url, sizeof url));
    snprintf(data, sizeof data, "%s/pgdata", pt_test_tmpdir());
    ASSERT_EQ(pt_test_run(NULL, "'%s' init --store '%s' --data '%s' >/dev/null 2>&1", BIN, url, data), 0);
    const char *csv = pt_test_write_file(pt_test_tmpdir(), "m.csv",
                                         "phone,email,name\n"
                                         "+86 138 0013 8000,Li.Wei@Example.com,李伟\n"
                                         "139-0013-9000,,王芳\n"
                                         "13800138000,,\n");
    ASSERT_EQ(pt_test_run(NULL, "'%s' import members '%s' --source pos --store '%s' --data '%s' >/dev/null 2>&1",
                          BIN, csv, url, data), 0);
    json_t *ov = NULL;
    int st = pt_test_run(&out, "'%s' overview --json --data '%s' --store='%s'", BIN, data, url);
    ov = st == 0 && out ? json_loads(out, 0, NULL) : NULL;
    free(out);
    ASSERT(ov);
    ASSERT_STR_EQ(json_string_value(json_object_get(ov, "store")), "postgres");
    ASSERT_EQ(json_integer_value(json_object_get(ov, "members")), 2);
    json_decref(ov);
    st = pt_test_run(&out, "'%s' member show --phone '0086 13800138000' --json --store '%s' --data '%s'", BIN, url, data);
    json_t *m = st == 0 && out ? json_loads(out, 0, NULL) : NULL;
    free(out);
    ASSERT(m);
    ASSERT_EQ(strlen(json_string_value(json_object_get(m, "member_no"))), 10);
    json_decref(m);
    /* without --store the same data directory opens its own SQLite store, which is empty */
    st = pt_test_run(&out, "'%s' overview --json --data '%s'", BIN, data);
    ov = st == 0 && out ? json_loads(out, 0, NULL) : NULL;
    free(out);
    ASSERT(ov);
    ASSERT_STR_EQ(json_string_value(json_object_get(ov, "store")), "sqlite");
    ASSERT_EQ(json_integer_value(json_object_get(ov, "members")), 0);
    json_decref(ov);
}

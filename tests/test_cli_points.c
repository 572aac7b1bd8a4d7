/* test_cli_points.c — the points, tier and audit commands end to end on a small demo replayed
 * through examples/programme.json: the contract other tools rely on (`points earn … --key K
 * --json` prints the balance and a retry prints the same and changes nothing; `points verify`
 * and `audit verify` exit 0 when intact and non-zero, naming what broke, after tampering). */
#include "test.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIN pt_test_patron_bin()

static int sql(const char *db, const char *q)
{
    sqlite3 *h;
    if (sqlite3_open(db, &h) != SQLITE_OK)
        return -1;
    int rc = sqlite3_exec(h, q, NULL, NULL, NULL);
    sqlite3_close(h);
    return rc == SQLITE_OK ? 0 : -1;
}

static int nth_member_no(const char *db, int n, char *out, size_t cap);

static int first_member_no(const char *db, char *out, size_t cap)
{
    return nth_member_no(db, 0, out, cap);
}

/* The n-th (from 0) active member with an account, by id. */
static int nth_member_no(const char *db, int n, char *out, size_t cap)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    int ok = 0;
    if (sqlite3_open(db, &h) != SQLITE_OK)
        return 0;
    if (sqlite3_prepare_v2(h, "SELECT m.member_no FROM members m JOIN accounts a ON a.member_id = m.id"
                              " WHERE m.member_no IS NOT NULL AND m.status = 1 ORDER BY m.id LIMIT 1 OFFSET ?",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_bind_int(st, 1, n) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
        ok = 1;
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return ok;
}

static int demo(const char *data)
{
    char *out = NULL;
    int st = pt_test_run(&out, "'%s' demo --members 400 --seed 5 --programme examples/programme.json --data '%s' 2>&1",
                         BIN, data);
    if (st != 0 || !out || !strstr(out, "orders earned"))
        fprintf(stderr, "    demo exited %d: %.400s\n", st, out ? out : "");
    free(out);
    return st;
}

TEST(cli_points_earn_with_a_key_prints_the_balance_and_a_retry_prints_the_same_and_changes_nothing)
{
    char data[4200], db[4300], no[32], *a = NULL, *b = NULL, *c = NULL;
    snprintf(data, sizeof data, "%s/d", pt_test_tmpdir());
    snprintf(db, sizeof db, "%s/patron.db", data);
    ASSERT_EQ(demo(data), 0);
    ASSERT(first_member_no(db, no, sizeof no));
    ASSERT_EQ(pt_test_run(&a, "'%s' points earn %s 25 --key cli-k1 --json --data '%s'", BIN, no, data), 0);
    ASSERT_EQ(pt_test_run(&b, "'%s' points earn %s 25 --key cli-k1 --json --data '%s'", BIN, no, data), 0);
    ASSERT_STR_EQ(a, b);
    json_t *j = json_loads(a, 0, NULL);
    ASSERT(j && json_is_integer(json_object_get(j, "balance")));
    json_int_t balance = json_integer_value(json_object_get(j, "balance"));
    json_decref(j);
    ASSERT_EQ(pt_test_run(&c, "'%s' points balance %s --json --data '%s'", BIN, no, data), 0);
    j = json_loads(c, 0, NULL);
    ASSERT(j);
    ASSERT_EQ(json_integer_value(json_object_get(j, "balance")), balance); /* applied once */
    json_decref(j);
    /* the same key for another amount is refused */
    ASSERT_NE(pt_test_run(NULL, "'%s' points earn %s 26 --key cli-k1 --json --data '%s' 2>/dev/null", BIN, no, data), 0);
    /* redeeming more than the balance is refused with a clear message */
    char *err = NULL;
    ASSERT_NE(pt_test_run(&err, "'%s' points redeem %s 999999999 --key cli-r1 --data '%s' 2>&1", BIN, no, data), 0);
    ASSERT(err && strstr(err, "points available"));
    free(a);
    free(b);
    free(c);
    free(err);
}

TEST(cli_points_verify_and_audit_verify_pass_on_the_replayed_demo_and_fail_after_tampering)
{
    char data[4200], db[4300], no[32], q[256], *out = NULL;
    snprintf(data, sizeof data, "%s/d", pt_test_tmpdir());
    snprintf(db, sizeof db, "%s/patron.db", data);
    ASSERT_EQ(demo(data), 0);
    ASSERT(first_member_no(db, no, sizeof no));
    ASSERT_EQ(pt_test_run(NULL, "'%s' points verify --data '%s' >/dev/null", BIN, data), 0);
    ASSERT_EQ(pt_test_run(NULL, "'%s' audit verify --data '%s' >/dev/null", BIN, data), 0);
    /* a cached balance nudged by one point: verify names the member and the invariant */
    snprintf(q, sizeof q, "UPDATE accounts SET balance = balance + 1 WHERE member_id ="
                          " (SELECT id FROM members WHERE member_no = '%s')", no);
    ASSERT_EQ(sql(db, q), 0);
    ASSERT_NE(pt_test_run(&out, "'%s' points verify --data '%s' 2>&1", BIN, data), 0);
    ASSERT(out && strstr(out, "balance") && strstr(out, "member"));
    free(out);
    out = NULL;
    /* an audit record changed, then one deleted */
    ASSERT_EQ(sql(db, "UPDATE audit_log SET at = at + 1 WHERE member_id = (SELECT min(member_id) FROM audit_log WHERE member_id > 0) AND seq = 1"), 0);
    ASSERT_NE(pt_test_run(NULL, "'%s' audit verify --data '%s' >/dev/null 2>&1", BIN, data), 0);
    ASSERT_EQ(sql(db, "UPDATE audit_log SET at = at - 1 WHERE member_id = (SELECT min(member_id) FROM audit_log WHERE member_id > 0) AND seq = 1"), 0);
    ASSERT_EQ(pt_test_run(NULL, "'%s' audit verify --data '%s' >/dev/null 2>&1", BIN, data), 0);
    ASSERT_EQ(sql(db, "DELETE FROM audit_log WHERE member_id = (SELECT max(member_id) FROM audit_log) AND seq = 1"), 0);
    ASSERT_NE(pt_test_run(&out, "'%s' audit verify --data '%s' 2>&1", BIN, data), 0);
    ASSERT(out && strstr(out, "deleted"));
    free(out);
}

TEST(cli_programme_load_makes_a_programme_current_and_refuses_a_bad_file)
{
    char data[4200], *out = NULL;
    snprintf(data, sizeof data, "%s/d", pt_test_tmpdir());
    ASSERT_EQ(pt_test_run(NULL, "'%s' init --data '%s' >/dev/null", BIN, data), 0);
    /* before any load the points commands say what to do */
    ASSERT_NE(pt_test_run(&out, "'%s' points verify --data '%s' 2>&1", BIN, data), 0);
    ASSERT(out && strstr(out, "programme load"));
    free(out);
    out = NULL;
    ASSERT_EQ(pt_test_run(&out, "'%s' programme load examples/programme.json --data '%s'", BIN, data), 0);
    ASSERT(out && strstr(out, "is now current"));
    free(out);
    ASSERT_EQ(pt_test_run(NULL, "'%s' points verify --data '%s' >/dev/null", BIN, data), 0);
    const char *bad = pt_test_write_file(pt_test_tmpdir(), "bad.json", "{\"name\": \"x\", \"currency\": \"CNY\"}");
    ASSERT_EQ(pt_test_run(NULL, "'%s' programme load '%s' --data '%s' 2>/dev/null", BIN, bad, data), 4);
}

static long long balance_of(const char *data, const char *no)
{
    char *out = NULL;
    long long b = -1;
    if (pt_test_run(&out, "'%s' points balance %s --json --data '%s'", BIN, no, data) == 0) {
        json_t *j = json_loads(out, 0, NULL);
        b = j ? (long long)json_integer_value(json_object_get(j, "balance")) : -1;
        json_decref(j);
    }
    free(out);
    return b;
}

/* A merge by hand moves the merged member's points in the same transaction: the survivor's
 * balance is the sum at once, the merged number shows the survivor, and the ledger verifies. */
TEST(cli_member_merge_moves_the_merged_members_points_at_once)
{
    char data[4200], db[4300], a[32], b[32];
    snprintf(data, sizeof data, "%s/d", pt_test_tmpdir());
    snprintf(db, sizeof db, "%s/patron.db", data);
    ASSERT_EQ(demo(data), 0);
    ASSERT(nth_member_no(db, 0, a, sizeof a) && nth_member_no(db, 1, b, sizeof b));
    long long ba = balance_of(data, a), bb = balance_of(data, b);
    ASSERT(ba >= 0 && bb >= 0);
    ASSERT_EQ(pt_test_run(NULL, "'%s' points earn %s 40 --key m-1 --data '%s' >/dev/null", BIN, b, data), 0);
    char *out = NULL;
    ASSERT_EQ(pt_test_run(&out, "'%s' member merge --member %s --into %s --data '%s'", BIN, b, a, data), 0);
    char want[64];
    snprintf(want, sizeof want, "%lld points moved", bb + 40);
    ASSERT(out && strstr(out, want));
    free(out);
    ASSERT_EQ(balance_of(data, a), ba + bb + 40);
    ASSERT_EQ(pt_test_run(NULL, "'%s' points verify --data '%s' >/dev/null 2>&1", BIN, data), 0);
}

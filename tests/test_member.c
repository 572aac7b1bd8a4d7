/* test_member.c — personal data at rest, member records, identity resolution, survivorship,
 * merge/unmerge, erasure and export. */
#include "helpers.h"
#include "test.h"
#include "patron/crypt.h"
#include "patron/error.h"
#include "patron/identity.h"
#include "patron/member.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TEST(crypt_sealed_value_opens_only_for_its_member_and_detects_tampering)
{
    const char *path = pt_test_write_file(pt_test_tmpdir(), "unused", "");
    (void)path;
    char key_path[4200];
    snprintf(key_path, sizeof key_path, "%s/k.key", pt_test_tmpdir());
    ASSERT_OK(pt_crypt_create_keyfile(key_path));
    pt_crypt *c = NULL;
    ASSERT_OK(pt_crypt_open(&c, key_path, NULL, 0));
    pt_data_key k, k2;
    pt_buf wrapped, sealed, clear;
    pt_buf_init(&wrapped, 0);
    pt_buf_init(&sealed, 0);
    pt_buf_init(&clear, 0);
    ASSERT_OK(pt_crypt_new_data_key(c, 7, &k, &wrapped));
    ASSERT_OK(pt_crypt_unwrap(c, 7, &wrapped, &k2));
    ASSERT_EQ(memcmp(k.bytes, k2.bytes, sizeof k.bytes), 0);
    ASSERT_EQ(pt_crypt_unwrap(c, 8, &wrapped, &k2), PT_ECRYPTO);
    ASSERT_OK(pt_crypt_seal(&k, 7, "+8613800138000", 14, &sealed));
    ASSERT(memmem(sealed.data, sealed.len, "13800138000", 11) == NULL);
    ASSERT_OK(pt_crypt_unseal(&k, 7, &sealed, &clear));
    ASSERT_STR_EQ(pt_buf_str(&clear), "+8613800138000");
    ASSERT_EQ(pt_crypt_unseal(&k, 8, &sealed, &clear), PT_ECRYPTO);
    sealed.data[30] ^= 1;
    ASSERT_EQ(pt_crypt_unseal(&k, 7, &sealed, &clear), PT_ECRYPTO);
    pt_buf_wipe(&wrapped);
    pt_buf_wipe(&sealed);
    pt_buf_wipe(&clear);
    pt_crypt_close(c);
}

TEST(crypt_master_key_file_is_owner_only_and_a_readable_one_is_refused)
{
    char key_path[4200], err[256] = "";
    snprintf(key_path, sizeof key_path, "%s/k.key", pt_test_tmpdir());
    ASSERT_OK(pt_crypt_create_keyfile(key_path));
    struct stat st;
    ASSERT_OK(stat(key_path, &st));
    ASSERT_EQ(st.st_mode & 0777, 0600);
    ASSERT_EQ(pt_crypt_create_keyfile(key_path), PT_EEXIST);
    chmod(key_path, 0644);
    pt_crypt *c = NULL;
    ASSERT_EQ(pt_crypt_open(&c, key_path, err, sizeof err), PT_EINVAL);
    ASSERT_STR_CONTAINS(err, "chmod 600");
}

TEST(db_refuses_a_master_key_that_does_not_belong_to_the_store)
{
    pt_db *db = test_db("d");
    ASSERT(db);
    pt_db_close(db);
    char dir[4200], key[4300], err[1024] = "";
    snprintf(dir, sizeof dir, "%s/d", pt_test_tmpdir());
    snprintf(key, sizeof key, "%s/master.key", dir);
    unlink(key);
    ASSERT_OK(pt_crypt_create_keyfile(key));
    ASSERT_EQ(pt_db_open(&db, dir, NULL, err, sizeof err), PT_ECRYPTO);
    ASSERT_STR_CONTAINS(err, "does not belong");
}

static int luhn_ok(const char *no)
{
    int sum = 0;
    size_t n = strlen(no);
    for (size_t i = 0; i < n; i++) {
        int d = no[n - 1 - i] - '0';
        if (i % 2 == 1) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    return sum % 10 == 0;
}

TEST(member_numbers_are_ten_digits_with_a_valid_luhn_check_digit)
{
    char no[PT_MEMBER_NO_MAX];
    for (int64_t id = 1; id < 5000; id += 7) {
        pt_member_no_for_id(id, no);
        ASSERT_EQ(strlen(no), 10);
        ASSERT(luhn_ok(no));
    }
}

BOTH_TEST(member_personal_fields_round_trip_through_encryption)
{
    pt_db *db = test_db_on(be, "d");
    ASSERT(db);
    int64_t id = test_add_member(db, "store", "138-0013-8000", " Li.Wei@Example.COM ", "李伟", "1990-05-01", TEST_NOW - 86400, NULL);
    ASSERT_GT(id, 0);
    pt_member m;
    ASSERT_OK(pt_member_load(db, id, &m));
    ASSERT_STR_EQ(m.phone, "+8613800138000");
    ASSERT_STR_EQ(m.email, "li.wei@example.com");
    ASSERT_STR_EQ(m.name, "李伟");
    ASSERT_STR_EQ(m.birthday, "1990-05-01");
    ASSERT_STR_EQ(m.src[PT_F_NAME].source, "store");
    ASSERT_EQ(m.registered_at, TEST_NOW - 86400);
    pt_member_wipe(&m);
    pt_db_close(db);
}

BOTH_TEST(member_found_by_phone_in_any_common_form)
{
    pt_db *db = test_db_on(be, "d");
    ASSERT(db);
    int64_t id = test_add_member(db, "store", "13800138000", NULL, NULL, NULL, TEST_NOW, NULL);
    const char *forms[] = {"+86 138 0013 8000", "138-0013-8000", "0086 13800138000", "+8613800138000"};
    for (size_t i = 0; i < 4; i++) {
        pt_member m;
        ASSERT_OK(pt_member_find(db, PT_ID_PHONE, forms[i], &m));
        ASSERT_EQ(m.id, id);
        pt_member_wipe(&m);
    }
    pt_member m;
    ASSERT_EQ(pt_member_find(db, PT_ID_PHONE, "13900000000", &m), PT_ENOTFOUND);
    ASSERT(strstr(pt_db_errmsg(db), "13900000000") == NULL);
    pt_db_close(db);
}

BOTH_TEST(record_with_known_phone_attaches_instead_of_creating)
{
    pt_db *db = test_db_on(be, "d");
    ASSERT(db);
    pt_resolve_out a, b;
    int64_t id1 = test_add_member(db, "store", "13800138000", NULL, NULL, NULL, TEST_NOW, &a);
    int64_t id2 = test_add_member(db, "app", "+86 138-0013-8000", "x@y.cn", NULL, NULL, TEST_NOW, &b);
    ASSERT_EQ(a.created, 1);
    ASSERT_EQ(b.attached, 1);
    ASSERT_EQ(id1, id2);
    pt_member m;
    ASSERT_OK(pt_member_find(db, PT_ID_EMAIL, "X@Y.CN", &m));
    ASSERT_EQ(m.id, id1);
    pt_member_wipe(&m);
    pt_db_close(db);
}

static int count_orders(void *ud, const pt_order_rec *r)
{
    (void)r;
    (*(int *)ud)++;
    return 0;
}

static int64_t add_order(pt_db *db, int64_t member, const char *no, int64_t cents)
{
    pt_order_rec o = {.member_id = member, .ordered_at = TEST_NOW, .amount_cents = cents, .status = PT_ORDER_PAID};
    snprintf(o.order_no, sizeof o.order_no, "%s", no);
    snprintf(o.source, sizeof o.source, "test");
    return pt_store_order_insert(pt_db_store(db), &o) ? -1 : o.id;
}

BOTH_TEST(record_linking_two_members_merges_them_into_the_oldest_and_old_number_finds_survivor)
{
    pt_db *db = test_db_on(be, "d");
    ASSERT(db);
    int64_t a = test_add_member(db, "store", "13800138000", NULL, "张三", NULL, TEST_NOW - 100, NULL);
    int64_t b = test_add_member(db, "eshop", NULL, "zs@example.com", NULL, "1985-02-03", TEST_NOW - 50, NULL);
    ASSERT_NE(a, b);
    ASSERT_GT(add_order(db, b, "E1", 1000), 0);
    pt_resolve_out out;
    int64_t c = test_add_member(db, "app", "13800138000", "zs@example.com", NULL, NULL, TEST_NOW, &out);
    ASSERT_EQ(out.merged, 1);
    ASSERT_EQ(c, a);
    char bno[PT_MEMBER_NO_MAX];
    pt_member_no_for_id(b, bno);
    pt_member m;
    int redirected = 0;
    ASSERT_OK(pt_member_get_by_no(db, bno, &m, &redirected));
    ASSERT_EQ(m.id, a);
    ASSERT_EQ(redirected, 1);
    ASSERT_STR_EQ(m.birthday, "1985-02-03"); /* filled from the merged member */
    ASSERT_STR_EQ(m.email, "zs@example.com");
    pt_member_wipe(&m);
    int n = 0;
    ASSERT_OK(pt_store_order_list(pt_db_store(db), a, count_orders, &n));
    ASSERT_EQ(n, 1);
    pt_db_close(db);
}

BOTH_TEST(unmerge_gives_back_identifiers_orders_and_fields)
{
    pt_db *db = test_db_on(be, "d");
    ASSERT(db);
    int64_t a = test_add_member(db, "store", "13800138000", NULL, NULL, NULL, TEST_NOW - 100, NULL);
    int64_t b = test_add_member(db, "eshop", NULL, "zs@example.com", NULL, "1985-02-03", TEST_NOW - 50, NULL);
    ASSERT_GT(add_order(db, b, "E1", 1000), 0);
    int64_t merge_id = 0;
    ASSERT_OK(pt_member_merge(db, a, b, "test", 0, &merge_id));
    int64_t found = 0;
    ASSERT_OK(pt_member_merge_of(db, b, &found));
    ASSERT_EQ(found, merge_id);
    ASSERT_OK(pt_member_unmerge(db, merge_id));
    pt_member m;
    ASSERT_OK(pt_member_find(db, PT_ID_EMAIL, "zs@example.com", &m));
    ASSERT_EQ(m.id, b);
    ASSERT_EQ(m.merged_into, 0);
    pt_member_wipe(&m);
    ASSERT_OK(pt_member_load(db, a, &m));
    ASSERT_STR_EQ(m.birthday, ""); /* the field the merge took is given back */
    ASSERT_STR_EQ(m.email, "");
    pt_member_wipe(&m);
    int n = 0;
    ASSERT_OK(pt_store_order_list(pt_db_store(db), b, count_orders, &n));
    ASSERT_EQ(n, 1);
    ASSERT_EQ(pt_member_unmerge(db, merge_id), PT_ESTATE);
    pt_db_close(db);
}

static int count_conflicts(void *ud, const pt_conflict_rec *r)
{
    if (r->field == PT_F_BIRTHDAY && strcmp(r->kept_source, "store") == 0 && strcmp(r->rule, "most_trusted") == 0)
        (*(int *)ud)++;
    return 0;
}

BOTH_TEST(conflicting_birthdays_keep_the_most_trusted_source_and_are_recorded)
{
    pt_db *db = test_db_on(be, "d");
    ASSERT(db);
    pt_profile_in in;
    int64_t a = test_add_member(db, "store", "13800138000", NULL, NULL, "1990-01-01", TEST_NOW - 100, NULL);
    /* a later app record says another birthday: store is more trusted by default */
    memset(&in, 0, sizeof in);
    pt_member_init(&in.m);
    in.source = "app";
    in.observed_at = TEST_NOW;
    in.import_run = 1;
    in.ids[0].kind = PT_ID_PHONE;
    snprintf(in.ids[0].value, sizeof in.ids[0].value, "+8613800138000");
    in.nids = 1;
    snprintf(in.m.birthday, sizeof in.m.birthday, "1991-02-02");
    pt_import_run_rec run;
    pt_import_run_rec_init(&run);
    snprintf(run.kind, sizeof run.kind, "members");
    ASSERT_OK(pt_store_import_run_insert(pt_db_store(db), &run));
    in.import_run = run.id;
    pt_import_run_rec_free(&run);
    pt_resolve_out out;
    ASSERT_OK(pt_identity_resolve(db, &in, &out));
    ASSERT_EQ(out.conflicts, 1);
    pt_member m;
    ASSERT_OK(pt_member_load(db, a, &m));
    ASSERT_STR_EQ(m.birthday, "1990-01-01");
    ASSERT_STR_EQ(m.src[PT_F_BIRTHDAY].source, "store");
    pt_member_wipe(&m);
    int n = 0;
    ASSERT_OK(pt_store_conflict_scan(pt_db_store(db), count_conflicts, &n));
    ASSERT_EQ(n, 1);
    pt_db_close(db);
}

BOTH_TEST(erasure_destroys_personal_data_and_identifiers_but_keeps_order_totals)
{
    pt_db *db = test_db_on(be, "d");
    ASSERT(db);
    int64_t a = test_add_member(db, "store", "13800138000", "e@x.cn", "王五", "1980-01-01", TEST_NOW, NULL);
    ASSERT_GT(add_order(db, a, "S1", 12345), 0);
    ASSERT_OK(pt_member_erase(db, a));
    pt_member m;
    ASSERT_EQ(pt_member_find(db, PT_ID_PHONE, "13800138000", &m), PT_ENOTFOUND);
    ASSERT_OK(pt_member_load(db, a, &m));
    ASSERT_EQ(m.status, PT_MEMBER_ERASED);
    ASSERT_EQ(m.has_key, 0);
    ASSERT_STR_EQ(m.name, "");
    pt_member_wipe(&m);
    pt_store_stats st;
    ASSERT_OK(pt_store_stats_get(pt_db_store(db), &st));
    ASSERT_EQ(st.orders, 1);
    ASSERT_EQ(st.order_cents, 12345);
    ASSERT_EQ(st.identities, 0);
    ASSERT_EQ(st.members_erased, 1);
    pt_db_close(db);
}

BOTH_TEST(export_holds_profile_identifiers_and_orders_in_clear)
{
    pt_db *db = test_db_on(be, "d");
    ASSERT(db);
    int64_t a = test_add_member(db, "store", "13800138000", "e@x.cn", "王五", NULL, TEST_NOW, NULL);
    ASSERT_GT(add_order(db, a, "S1", 12345), 0);
    pt_buf out;
    pt_buf_init(&out, 0);
    ASSERT_OK(pt_member_export_json(db, a, &out));
    ASSERT_STR_CONTAINS(pt_buf_str(&out), "\"+8613800138000\"");
    ASSERT_STR_CONTAINS(pt_buf_str(&out), "王五");
    ASSERT_STR_CONTAINS(pt_buf_str(&out), "\"S1\"");
    pt_buf_reset(&out);
    ASSERT_OK(pt_member_show_json(db, a, 0, &out));
    ASSERT(strstr(pt_buf_str(&out), "13800138000") == NULL); /* masked by default */
    ASSERT_STR_CONTAINS(pt_buf_str(&out), "\"member_no\"");
    pt_buf_wipe(&out);
    pt_db_close(db);
}

TEST(store_files_including_wal_hold_no_phone_or_email_in_clear)
{
    pt_db *db = test_db("d");
    ASSERT(db);
    const char *needles[400];
    char phones[200][16], emails[200][40];
    for (int i = 0; i < 200; i++) {
        snprintf(phones[i], sizeof phones[i], "1380013%04d", i);
        snprintf(emails[i], sizeof emails[i], "person%03d@example.com", i);
        needles[2 * i] = phones[i];
        needles[2 * i + 1] = emails[i];
        ASSERT_GT(test_add_member(db, "store", phones[i], emails[i], "某人", "1990-01-01", TEST_NOW, NULL), 0);
    }
    char path[4300];
    snprintf(path, sizeof path, "%s/d/patron.db-wal", pt_test_tmpdir());
    struct stat st;
    ASSERT_OK(stat(path, &st)); /* the WAL is live while the store is open */
    ASSERT_GT(st.st_size, 0);
    ASSERT_EQ(test_file_contains_any(path, needles, 400), 0);
    pt_db_close(db);
    snprintf(path, sizeof path, "%s/d/patron.db", pt_test_tmpdir());
    ASSERT_EQ(test_file_contains_any(path, needles, 400), 0);
    const char *control[] = {"person000"};
    ASSERT_EQ(test_file_contains_any(pt_test_write_file(pt_test_tmpdir(), "ctl", "x person000@example.com"), control, 1), 1);
}

/* test_ingest.c — import and cleaning: formats, column maps, normalisation, duplicates,
 * rejects with line/field/reason, atomicity, and bad files that must fail cleanly. */
#include "helpers.h"
#include "test.h"
#include "patron/error.h"
#include "patron/ingest.h"
#include "patron/member.h"
#include "patron/quality.h"

#include <stdlib.h>
#include <string.h>

static int import_text(pt_db *db, int kind, const char *name, const char *text, const char *source,
                       pt_import_result *res)
{
    const char *path = pt_test_write_file(pt_test_tmpdir(), name, text);
    pt_import_opts o = {.source = source};
    pt_import_result_init(res);
    return pt_import_file(db, kind, path, &o, res);
}

static const char *members_store_csv =
    "\xEF\xBB\xBF会员卡号,姓名,手机号,性别,生日,地区,注册时间,注册门店\r\n"
    "C001,\"李, 伟\",138-0013-8000,男,19900501,上海,2024/03/05 12:00:00,上海徐汇店\r\n"
    "C002,\"王\"\"芳\"\"\",+86 139 0013 9000,女,,北京,2024/03/06 09:30:00,北京朝阳店\r\n"
    "C003,赵六,12345,男,,广东,2024/03/07 10:00:00,广州天河店\r\n";

BOTH_TEST(import_members_csv_with_bom_crlf_quotes_and_chinese_headers)
{
    pt_db *db = test_db_on(be, "d");
    ASSERT(db);
    pt_import_result res;
    ASSERT_OK(import_text(db, PT_IMPORT_MEMBERS, "members_store.csv", members_store_csv, "store", &res));
    ASSERT_EQ(res.run.rows_read, 3);
    ASSERT_EQ(res.run.rows_accepted, 2);
    ASSERT_EQ(res.run.rows_rejected, 1);
    ASSERT_EQ(res.run.members_created, 2);
    ASSERT_STR_CONTAINS(res.ignored_columns, "注册门店");
    pt_member m;
    ASSERT_OK(pt_member_find(db, PT_ID_PHONE, "13800138000", &m));
    ASSERT_STR_EQ(m.name, "李, 伟");
    ASSERT_STR_EQ(m.gender, "M");
    ASSERT_STR_EQ(m.birthday, "1990-05-01");
    ASSERT_EQ(m.registered_at, 1709611200); /* 2024-03-05 12:00 at +08:00 */
    pt_member_wipe(&m);
    ASSERT_OK(pt_member_find(db, PT_ID_STORE_CARD, "C002", &m));
    ASSERT_STR_EQ(m.name, "王\"芳\"");
    pt_member_wipe(&m);
    char *rej = pt_test_slurp(res.reject_path, NULL);
    ASSERT_STR_CONTAINS(rej, "members_store.csv,4,phone,");
    ASSERT(strstr(rej, "12345,男") || strstr(rej, "12345"));
    free(rej);
    pt_import_result_free(&res);
    pt_db_close(db);
}

static void load_two_members(pt_db *db)
{
    pt_import_result res;
    import_text(db, PT_IMPORT_MEMBERS, "m.csv",
                "customer_id,mobile,email\nE1,13800138000,a@x.cn\nE2,13900139000,\n", "eshop", &res);
    pt_import_result_free(&res);
    import_text(db, PT_IMPORT_MEMBERS, "a.jsonl",
                "{\"app_user_id\":\"A9\",\"phone\":\"+86 139-0013-9000\",\"consent_sms\":true}\n", "app", &res);
    pt_import_result_free(&res);
}

BOTH_TEST(same_order_from_two_sources_and_repeated_rows_are_stored_once)
{
    pt_db *db = test_db_on(be, "d");
    ASSERT(db);
    load_two_members(db);
    pt_import_result res;
    ASSERT_OK(import_text(db, PT_IMPORT_ORDERS, "orders_eshop.csv",
                          "order_id,customer_id,order_time,total\n"
                          "E-100,E1,2025-05-24 14:35:19,1234.50\n"
                          "E-101,E2,2025-05-25 10:00:00,\"¥1,000.00\"\n"
                          "E-101,E2,2025-05-25 10:00:00,\"¥1,000.00\"\n",
                          "eshop", &res));
    ASSERT_EQ(res.run.rows_accepted, 3);
    ASSERT_EQ(res.run.duplicates, 1);
    pt_import_result_free(&res);
    ASSERT_OK(import_text(db, PT_IMPORT_ORDERS, "orders_app.jsonl",
                          "{\"order_no\":\"E-100\",\"app_user_id\":\"A9\",\"ts\":1748068519,\"amount\":\"1234.50\"}\n"
                          "{\"order_no\":\"A-1\",\"app_user_id\":\"A9\",\"ts\":1748068519,\"amount\":\"8.8\"}\n",
                          "app", &res));
    ASSERT_EQ(res.run.duplicates, 1);
    pt_import_result_free(&res);
    pt_store_stats st;
    ASSERT_OK(pt_store_stats_get(pt_db_store(db), &st));
    ASSERT_EQ(st.orders, 3);
    ASSERT_EQ(st.order_cents, 123450 + 100000 + 880);
    pt_buf q;
    pt_buf_init(&q, 0);
    ASSERT_OK(pt_quality_json(db, &q));
    ASSERT_STR_CONTAINS(pt_buf_str(&q), "\"duplicate_orders\": 2");
    pt_buf_free(&q);
    pt_db_close(db);
}

BOTH_TEST(bad_order_rows_are_rejected_with_line_field_and_reason_and_good_rows_kept)
{
    pt_db *db = test_db_on(be, "d");
    ASSERT(db);
    load_two_members(db);
    pt_import_result res;
    ASSERT_OK(import_text(db, PT_IMPORT_ORDERS, "o.csv",
                          "order_no,customer_id,order_time,amount\n"
                          "O1,E1,2025-05-24 14:35:19,12.3.4\n"
                          "O2,E1,2025-13-45 10:00:00,10\n"
                          "O3,NOPE,2025-05-24 14:35:19,10\n"
                          "O4,E1,2025-05-24 14:35:19,10.005\n"
                          "O5,E1,2025-05-24 14:35:19,99\n"
                          "O6,E1\n",
                          "eshop", &res));
    ASSERT_EQ(res.run.rows_accepted, 1);
    ASSERT_EQ(res.run.rows_rejected, 5);
    char *rej = pt_test_slurp(res.reject_path, NULL);
    ASSERT_STR_CONTAINS(rej, "o.csv,2,amount,");
    ASSERT_STR_CONTAINS(rej, "o.csv,3,at,");
    ASSERT_STR_CONTAINS(rej, "o.csv,4,eshop_account,no member");
    ASSERT_STR_CONTAINS(rej, "o.csv,5,amount,");
    ASSERT_STR_CONTAINS(rej, "o.csv,7,record,\"expected 4 fields, found 2\"");
    free(rej);
    pt_import_result_free(&res);
    pt_db_close(db);
}

BOTH_TEST(unknown_column_fails_clearly_and_imports_nothing)
{
    pt_db *db = test_db_on(be, "d");
    ASSERT(db);
    pt_import_result res;
    ASSERT_EQ(import_text(db, PT_IMPORT_MEMBERS, "m.csv", "phone,favourite_colour\n13800138000,blue\n", "eshop", &res),
              PT_EINVAL);
    ASSERT_STR_CONTAINS(pt_db_errmsg(db), "favourite_colour");
    ASSERT_STR_CONTAINS(pt_db_errmsg(db), "--map");
    pt_import_result_free(&res);
    pt_store_stats st;
    ASSERT_OK(pt_store_stats_get(pt_db_store(db), &st));
    ASSERT_EQ(st.members, 0);
    /* mapped, the same file imports */
    const char *maps[] = {"favourite_colour=ignore"};
    pt_import_opts o = {.source = "eshop", .maps = maps, .nmaps = 1};
    pt_import_result_init(&res);
    ASSERT_OK(pt_import_file(db, PT_IMPORT_MEMBERS, pt_test_write_file(pt_test_tmpdir(), "m2.csv",
                             "phone,favourite_colour\n13800138000,blue\n"), &o, &res));
    ASSERT_EQ(res.run.members_created, 1);
    pt_import_result_free(&res);
    pt_db_close(db);
}

BOTH_TEST(stop_on_error_rolls_back_the_whole_file)
{
    pt_db *db = test_db_on(be, "d");
    ASSERT(db);
    pt_import_opts o = {.source = "eshop", .stop_on_error = 1};
    pt_import_result res;
    pt_import_result_init(&res);
    const char *path = pt_test_write_file(pt_test_tmpdir(), "m.csv", "phone\n13800138000\n13900139000\nnot-a-phone\n");
    ASSERT_EQ(pt_import_file(db, PT_IMPORT_MEMBERS, path, &o, &res), PT_EPARSE);
    ASSERT_STR_CONTAINS(pt_db_errmsg(db), "m.csv:4: phone:");
    pt_import_result_free(&res);
    pt_store_stats st;
    ASSERT_OK(pt_store_stats_get(pt_db_store(db), &st));
    ASSERT_EQ(st.members, 0);
    ASSERT_EQ(st.identities, 0);
    pt_db_close(db);
}

BOTH_TEST(truncated_csv_rejects_the_cut_record_and_keeps_the_rest)
{
    pt_db *db = test_db_on(be, "d");
    ASSERT(db);
    pt_import_result res;
    ASSERT_OK(import_text(db, PT_IMPORT_MEMBERS, "m.csv", "phone,name\n13800138000,a\n13900139000,\"unfinished", "x", &res));
    ASSERT_EQ(res.run.rows_accepted, 1);
    ASSERT_EQ(res.run.rows_rejected, 1);
    pt_import_result_free(&res);
    pt_db_close(db);
}

BOTH_TEST(binary_file_fails_with_a_clear_error)
{
    pt_db *db = test_db_on(be, "d");
    ASSERT(db);
    char path[4200];
    snprintf(path, sizeof path, "%s/bin.csv", pt_test_tmpdir());
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < 5000; i++)
        fputc((i * 7919) & 0xFF, f);
    fclose(f);
    pt_import_opts o = {.source = "x"};
    pt_import_result res;
    pt_import_result_init(&res);
    ASSERT_EQ(pt_import_file(db, PT_IMPORT_ORDERS, path, &o, &res), PT_EPARSE);
    ASSERT_STR_CONTAINS(pt_db_errmsg(db), "bin.csv");
    pt_import_result_free(&res);
    pt_db_close(db);
}

BOTH_TEST(ten_megabyte_line_is_rejected_and_the_next_row_imported)
{
    pt_db *db = test_db_on(be, "d");
    ASSERT(db);
    for (int fmt = 0; fmt < 2; fmt++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/big%d.%s", pt_test_tmpdir(), fmt, fmt ? "jsonl" : "csv");
        FILE *f = fopen(path, "wb");
        fputs(fmt ? "" : "phone,name\n", f);
        fputs(fmt ? "{\"phone\":\"13700137000\",\"name\":\"" : "13700137000,", f);
        for (int i = 0; i < 10 * 1024 * 1024; i++)
            fputc('x', f);
        fputs(fmt ? "\"}\n{\"phone\":\"13600136000\"}\n" : "\n13600136000,ok\n", f);
        fclose(f);
        pt_import_opts o = {.source = "x"};
        pt_import_result res;
        pt_import_result_init(&res);
        ASSERT_OK(pt_import_file(db, PT_IMPORT_MEMBERS, path, &o, &res));
        ASSERT_EQ(res.run.rows_rejected, 1);
        ASSERT_EQ(res.run.rows_accepted, 1);
        pt_import_result_free(&res);
    }
    pt_db_close(db);
}

BOTH_TEST(invalid_utf8_row_is_rejected)
{
    pt_db *db = test_db_on(be, "d");
    ASSERT(db);
    pt_import_result res;
    ASSERT_OK(import_text(db, PT_IMPORT_MEMBERS, "m.csv", "phone,name\n13800138000,\xC3\x28\n13900139000,ok\n", "x", &res));
    ASSERT_EQ(res.run.rows_rejected, 1);
    ASSERT_EQ(res.run.rows_accepted, 1);
    char *rej = pt_test_slurp(res.reject_path, NULL);
    ASSERT_STR_CONTAINS(rej, "UTF-8");
    free(rej);
    pt_import_result_free(&res);
    pt_db_close(db);
}

BOTH_TEST(items_events_and_surveys_attach_to_orders_and_members)
{
    pt_db *db = test_db_on(be, "d");
    ASSERT(db);
    load_two_members(db);
    pt_import_result res;
    ASSERT_OK(import_text(db, PT_IMPORT_ORDERS, "o.csv", "order_no,customer_id,order_time,amount\nO1,E1,2025-05-24,119.80\n", "eshop", &res));
    pt_import_result_free(&res);
    ASSERT_OK(import_text(db, PT_IMPORT_ITEMS, "i.csv",
                          "order_no,line,sku,category,qty,unit_price\nO1,1,SKU1,美妆,2,59.90\nO1,1,SKU1,美妆,2,59.90\nO9,1,SKU1,美妆,1,1\n",
                          "eshop", &res));
    ASSERT_EQ(res.run.rows_accepted, 2);
    ASSERT_EQ(res.run.duplicates, 1);
    ASSERT_EQ(res.run.rows_rejected, 1);
    pt_import_result_free(&res);
    ASSERT_OK(import_text(db, PT_IMPORT_EVENTS, "e.csv",
                          "app_user_id,event,time,value\nA9,checkin,2025-05-24T10:00:00+08:00,\nA9,review,2025-05-24T11:00:00+08:00,5\nA9,review,2025-05-24T11:00:00+08:00,5\n",
                          "app", &res));
    ASSERT_EQ(res.run.rows_accepted, 3);
    ASSERT_EQ(res.run.duplicates, 1);
    pt_import_result_free(&res);
    ASSERT_OK(import_text(db, PT_IMPORT_SURVEYS, "nps.csv",
                          "mobile,score,answered_at,survey\n139 0013 9000,9,20250524,nps-2025Q2\n13800138000,11,20250524,nps-2025Q2\n",
                          "survey", &res));
    ASSERT_EQ(res.run.rows_accepted, 1);
    ASSERT_EQ(res.run.rows_rejected, 1);
    pt_import_result_free(&res);
    pt_store_stats st;
    ASSERT_OK(pt_store_stats_get(pt_db_store(db), &st));
    ASSERT_EQ(st.items, 1);
    ASSERT_EQ(st.events, 2);
    ASSERT_EQ(st.surveys, 1);
    pt_db_close(db);
}

BOTH_TEST(quality_report_counts_missing_values_per_field)
{
    pt_db *db = test_db_on(be, "d");
    ASSERT(db);
    pt_import_result res;
    ASSERT_OK(import_text(db, PT_IMPORT_MEMBERS, "m.csv", "phone,email,name\n13800138000,,a\n13900139000,b@x.cn,\n13700137000,,\n", "eshop", &res));
    pt_import_result_free(&res);
    pt_buf q;
    pt_buf_init(&q, 0);
    ASSERT_OK(pt_quality_json(db, &q));
    ASSERT_STR_CONTAINS(pt_buf_str(&q), "\"members_created\": 3");
    ASSERT_STR_CONTAINS(pt_buf_str(&q), "\"email\": 0.66");
    pt_buf_free(&q);
    pt_db_close(db);
}

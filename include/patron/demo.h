/* demo.h — deterministic generator of realistic, messy multi-channel member data.
 *
 * pt_demo_generate writes into out_dir the files below (the same seed and options always give
 * byte-identical files) plus demo-truth.json, the facts the generator planted, so tests can
 * check that import and cleaning found exactly them. `patron demo` imports the files in the
 * order of PT_DEMO_FILES.
 *
 * Files (source name in brackets; header line shown):
 *  members_eshop.csv [eshop]   customer_id,name,mobile,email,gender,birthday,province,register_time,sms_opt_in,email_opt_in
 *  members_store.csv [store]   会员卡号,姓名,手机号,性别,生日,地区,注册时间,注册门店
 *  members_mini.csv  [mini]    openid,unionid,phone,register_ts
 *  members_app.jsonl [app]     {"app_user_id","name","phone","email","gender","birthday","registered_at","consent_sms","consent_email","consent_analytics"}
 *  orders_eshop.csv  [eshop]   order_id,customer_id,order_time,total,status
 *  orders_store.csv  [store]   单号,会员卡号,下单时间,金额,门店
 *  orders_mini.csv   [mini]    order_no,openid,paid_at,amount
 *  orders_app.jsonl  [app]     {"order_no","app_user_id","ts","amount"}
 *  items.csv         [all]     order_no,line,sku,category,qty,unit_price
 *  events_app.csv    [app]     app_user_id,event,time,value
 *  nps.csv           [survey]  mobile,score,answered_at,survey
 *
 * Mess planted on purpose: phones in many forms (+86 138 0013 8000, 138-0013-8000, 0086…),
 * mixed-case emails with spaces, several date formats, money with ¥ and thousands separators,
 * missing fields, people registered in several channels, people split into two members (one
 * known by email, one by phone) who are joined by a later app row carrying both (each is one
 * planted merge), the same order exported by two channels and exact duplicate POS rows (each
 * extra copy is one planted duplicate order), and a few malformed order rows (bad amount or
 * date; each is one planted reject).
 */
#ifndef PATRON_DEMO_H
#define PATRON_DEMO_H

#include <stddef.h>
#include <stdint.h>

typedef struct pt_demo_opts {
    int64_t     members;   /* people to simulate (default 50,000) */
    uint64_t    seed;      /* default 42 */
    const char *out_dir;   /* created if missing */
    int64_t     end_at;    /* last day simulated, UTC epoch s; 0 = 2026-06-30 */
    int         months;    /* history length; 0 = 24 */
    void (*progress)(void *ud, int64_t done, int64_t total);
    void       *progress_ud;
} pt_demo_opts;

typedef struct pt_demo_truth {
    int64_t people;            /* persons simulated */
    int64_t member_rows;       /* member rows written across all member files */
    int64_t merged_members;    /* planted merges: members that a correct import merges away */
    int64_t duplicate_orders;  /* planted duplicate order rows */
    int64_t rejected_orders;   /* planted malformed order rows */
    int64_t orders;            /* distinct valid orders */
    int64_t order_cents;       /* their total */
    int64_t items;
    int64_t events;
    int64_t surveys;
} pt_demo_truth;

typedef struct pt_demo_file {
    const char *kind;   /* members, orders, items, events, surveys */
    const char *file;   /* name within out_dir */
    const char *source; /* --source */
} pt_demo_file;

/* The files in import order, terminated by an entry with kind == NULL. */
extern const pt_demo_file PT_DEMO_FILES[];

/* Generates the data set; returns 0 or a negative PT_E* code (errmsg gets the reason). */
int pt_demo_generate(const pt_demo_opts *opts, pt_demo_truth *truth, char *errmsg, size_t errmsg_len);

#endif

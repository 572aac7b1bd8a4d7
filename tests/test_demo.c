/* test_demo.c — the demo generator: deterministic output, and truth counts that match what the
 * files actually hold (rows, duplicates, rejects, orders and their items, time window). The
 * files are parsed here independently of the importer, so these tests pin the generator alone. */
#include <stddef.h> /* demo.h uses size_t */

#include "test.h"
#include "patron/demo.h"
#include "patron/error.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PEOPLE 2000
#define END_AT 1782777600 /* 2026-06-30T00:00:00Z, the default */
#define TZ     (8 * 3600)

/* --- helpers ----------------------------------------------------------------------------- */

static int gen(const char *dir, int64_t people, uint64_t seed, int64_t end_at, int months, pt_demo_truth *t)
{
    pt_demo_opts o = {.members = people, .seed = seed, .out_dir = dir, .end_at = end_at, .months = months};
    char err[512] = "";
    int rc = pt_demo_generate(&o, t, err, sizeof err);
    if (rc)
        fprintf(stderr, "    pt_demo_generate: %s\n", err);
    return rc;
}

static const char *subdir(const char *name)
{
    static char path[4][4096];
    static int slot;
    char *p = path[slot++ % 4];
    snprintf(p, 4096, "%s/%s", pt_test_tmpdir(), name);
    return p;
}

static const char *file_in(const char *dir, const char *name)
{
    static char path[8][4096];
    static int slot;
    char *p = path[slot++ % 8];
    snprintf(p, 4096, "%s/%s", dir, name);
    return p;
}

static int64_t count_lines(const char *path)
{
    size_t n = 0;
    char *b = pt_test_slurp(path, &n);
    if (!b)
        return -1;
    int64_t lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += b[i] == '\n';
    free(b);
    return lines;
}

/* Splits one CSV record (no embedded line breaks) in place; returns the number of fields. */
static int split_csv(char *s, char **field, int max)
{
    int n = 0;
    while (n < max) {
        char *out = s;
        field[n++] = s;
        if (*s == '"') {
            char *in = s + 1;
            for (;;) {
                if (*in == '"' && in[1] == '"') {
                    *out++ = '"';
                    in += 2;
                } else if (*in == '"' || !*in) {
                    in += *in == '"';
                    break;
                } else {
                    *out++ = *in++;
                }
            }
            s = in;
        } else {
            while (*s && *s != ',')
                *out++ = *s++;
        }
        int more = *s == ',';
        *out = 0;
        if (!more)
            break;
        s++;
    }
    return n;
}

/* Calls cb for every data line of a file (CSV header skipped; JSON lines all read). */
typedef int (*line_cb)(void *ud, char *line);

static int each_line(const char *path, int skip_header, line_cb cb, void *ud)
{
    char *b = pt_test_slurp(path, NULL);
    if (!b)
        return -1;
    char *s = b, *nl;
    int rc = 0, first = 1;
    while (rc == 0 && (nl = strchr(s, '\n'))) {
        *nl = 0;
        if (!(first && skip_header))
            rc = cb(ud, s);
        first = 0;
        s = nl + 1;
    }
    free(b);
    return rc;
}

/* Money as the files write it: 1234.50, 12.3, ¥1,234.50, ￥1234.50, or a JSON integer (yuan).
 * Returns 0, or -1 for anything else (the planted bad amounts). */
static int parse_money(const char *s, int64_t *cents)
{
    if (strncmp(s, "\xC2\xA5", 2) == 0)
        s += 2;
    else if (strncmp(s, "\xEF\xBF\xA5", 3) == 0)
        s += 3;
    int64_t yuan = 0;
    int digits = 0, group = -1;
    for (; (*s >= '0' && *s <= '9') || *s == ','; s++) {
        if (*s == ',') {
            if (digits == 0 || (group >= 0 && group != 3) || (group < 0 && digits > 3))
                return -1;
            group = 0;
            continue;
        }
        yuan = yuan * 10 + (*s - '0');
        digits++;
        if (group >= 0)
            group++;
    }
    if (!digits || (group >= 0 && group != 3))
        return -1;
    int64_t fen = 0;
    if (*s == '.') {
        s++;
        if (!(s[0] >= '0' && s[0] <= '9'))
            return -1;
        fen = (s[0] - '0') * 10;
        if (s[1] >= '0' && s[1] <= '9') {
            fen += s[1] - '0';
            s++;
        }
        s++;
    }
    if (*s)
        return -1;
    *cents = yuan * 100 + fen;
    return 0;
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return s[n] == 0;
}

/* Times as the files write them: epoch s/ms, YYYY-MM-DD[ HH:MM:SS], YYYY/MM/DD HH:MM:SS,
 * ISO 8601 with +08:00 or Z. Zone-less times are China time. 0, or -1 if not a valid time. */
static int parse_time(const char *s, int64_t *t)
{
    size_t n = strlen(s);
    if ((n == 10 || n == 13) && all_digits(s, n)) {
        *t = strtoll(s, NULL, 10) / (n == 13 ? 1000 : 1);
        return 0;
    }
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, used = 0;
    char s1 = 0, s2 = 0;
    if (sscanf(s, "%4d%c%2d%c%2d%n", &y, &s1, &mo, &s2, &d, &used) != 5 || s1 != s2 || (s1 != '-' && s1 != '/'))
        return -1;
    const char *rest = s + used;
    int zone = TZ;
    if (*rest) {
        int used2 = 0;
        if ((rest[0] != ' ' && rest[0] != 'T') ||
            sscanf(rest + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &used2) != 3)
            return -1;
        rest += 1 + used2;
        if (strcmp(rest, "Z") == 0)
            zone = 0;
        else if (strcmp(rest, "+08:00") == 0)
            zone = TZ;
        else if (*rest)
            return -1;
    }
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 59)
        return -1;
    *t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - zone;
    return 0;
}

/* Order rows of all four order files: order number, time text, amount text. */
typedef int (*order_cb)(void *ud, const char *no, const char *at, const char *amount);

struct order_files {
    order_cb cb;
    void    *ud;
    int      no, at, amount; /* CSV columns */
};

static int order_csv_line(void *ud, char *line)
{
    struct order_files *of = ud;
    char *f[8];
    if (split_csv(line, f, 8) < 4)
        return -1;
    return of->cb(of->ud, f[of->no], f[of->at], f[of->amount]);
}

static int order_json_line(void *ud, char *line)
{
    struct order_files *of = ud;
    json_t *o = json_loads(line, 0, NULL);
    if (!o)
        return -1;
    json_t *amount = json_object_get(o, "amount");
    char num[32];
    const char *a = json_string_value(amount);
    if (json_is_integer(amount)) {
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(amount));
        a = num;
    }
    const char *no = json_string_value(json_object_get(o, "order_no"));
    const char *at = json_string_value(json_object_get(o, "ts"));
    int rc = no && at && a ? of->cb(of->ud, no, at, a) : -1;
    json_decref(o);
    return rc;
}

static int each_order(const char *dir, order_cb cb, void *ud)
{
    static const char *const csvs[] = {"orders_eshop.csv", "orders_store.csv", "orders_mini.csv"};
    struct order_files of = {cb, ud, 0, 2, 3};
    for (int i = 0; i < 3; i++) {
        int rc = each_line(file_in(dir, csvs[i]), 1, order_csv_line, &of);
        if (rc)
            return rc;
    }
    return each_line(file_in(dir, "orders_app.jsonl"), 0, order_json_line, &of);
}

/* A small string → counters map (open addressing; fixed capacity, ample for the test sizes). */
#define MAP_CAP (1u << 17)

struct slot {
    char   *key;
    int     rows;       /* order rows with this number */
    int     items;      /* item lines */
    int64_t cents;      /* order amount (first valid row) */
    int64_t item_cents; /* sum of qty × unit price */
};

struct map {
    struct slot *s;
    size_t       n;
};

static struct slot *map_get(struct map *m, const char *key, int create)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    for (size_t i = h & (MAP_CAP - 1);; i = (i + 1) & (MAP_CAP - 1)) {
        if (!m->s[i].key) {
            if (!create || m->n >= MAP_CAP / 2)
                return NULL;
            m->s[i].key = strdup(key);
            m->n++;
            return m->s[i].key ? &m->s[i] : NULL;
        }
        if (strcmp(m->s[i].key, key) == 0)
            return &m->s[i];
    }
}

static void map_free(struct map *m)
{
    for (size_t i = 0; m->s && i < MAP_CAP; i++)
        free(m->s[i].key);
    free(m->s);
}

struct order_scan {
    struct map map;
    int64_t    rows, rejected, distinct, cents, dup_extra;
    int        max_rows;
};

static int scan_order(void *ud, const char *no, const char *at, const char *amount)
{
    struct order_scan *sc = ud;
    int64_t cents = 0, t = 0;
    sc->rows++;
    if (parse_money(amount, &cents) || parse_time(at, &t)) {
        sc->rejected++;
        return 0;
    }
    struct slot *s = map_get(&sc->map, no, 1);
    if (!s)
        return -1;
    if (s->rows++ == 0) {
        s->cents = cents;
        sc->distinct++;
        sc->cents += cents;
    } else {
        sc->dup_extra++;
        if (s->cents != cents)
            return -2; /* a duplicate must repeat the amount */
    }
    if (s->rows > sc->max_rows)
        sc->max_rows = s->rows;
    return 0;
}

static int scan_item(void *ud, char *line)
{
    struct order_scan *sc = ud;
    char *f[8];
    int64_t unit = 0;
    if (split_csv(line, f, 8) != 6 || parse_money(f[5], &unit))
        return -1;
    struct slot *s = map_get(&sc->map, f[0], 0);
    if (!s)
        return -3; /* an item whose order is not in any order file (or is malformed) */
    long qty = strtol(f[4], NULL, 10), lineno = strtol(f[1], NULL, 10);
    if (qty < 1 || qty > 5 || lineno != s->items + 1 || !f[2][0] || !f[3][0])
        return -4;
    s->items++;
    s->item_cents += qty * unit;
    return 0;
}

/* --- tests ------------------------------------------------------------------------------- */

TEST(demo_file_table_lists_the_files_in_import_order)
{
    static const char *const want[][3] = {
        {"members", "members_eshop.csv", "eshop"}, {"members", "members_store.csv", "store"},
        {"members", "members_mini.csv", "mini"},   {"members", "members_app.jsonl", "app"},
        {"orders", "orders_eshop.csv", "eshop"},   {"orders", "orders_store.csv", "store"},
        {"orders", "orders_mini.csv", "mini"},     {"orders", "orders_app.jsonl", "app"},
        {"items", "items.csv", "all"},             {"events", "events_app.csv", "app"},
        {"surveys", "nps.csv", "survey"},
    };
    int n = 0;
    for (; PT_DEMO_FILES[n].kind; n++) {
        ASSERT_LT(n, 11);
        ASSERT_STR_EQ(PT_DEMO_FILES[n].kind, want[n][0]);
        ASSERT_STR_EQ(PT_DEMO_FILES[n].file, want[n][1]);
        ASSERT_STR_EQ(PT_DEMO_FILES[n].source, want[n][2]);
    }
    ASSERT_EQ(n, 11);
    ASSERT(PT_DEMO_FILES[n].file == NULL && PT_DEMO_FILES[n].source == NULL);
}

TEST(demo_writes_every_file_with_its_header)
{
    static const char *const headers[][2] = {
        {"members_eshop.csv", "customer_id,name,mobile,email,gender,birthday,province,register_time,sms_opt_in,email_opt_in\n"},
        {"members_store.csv", "会员卡号,姓名,手机号,性别,生日,地区,注册时间,注册门店\n"},
        {"members_mini.csv", "openid,unionid,phone,register_ts\n"},
        {"orders_eshop.csv", "order_id,customer_id,order_time,total,status\n"},
        {"orders_store.csv", "单号,会员卡号,下单时间,金额,门店\n"},
        {"orders_mini.csv", "order_no,openid,paid_at,amount\n"},
        {"items.csv", "order_no,line,sku,category,qty,unit_price\n"},
        {"events_app.csv", "app_user_id,event,time,value\n"},
        {"nps.csv", "mobile,score,answered_at,survey\n"},
        {"members_app.jsonl", "{\"app_user_id\":"},
        {"orders_app.jsonl", "{\"order_no\":"},
    };
    const char *dir = subdir("nested/out"); /* created with its parents */
    pt_demo_truth t;
    ASSERT_OK(gen(dir, 300, 3, 0, 0, &t));
    for (size_t i = 0; i < sizeof headers / sizeof *headers; i++) {
        char *b = pt_test_slurp(file_in(dir, headers[i][0]), NULL);
        ASSERT(b != NULL);
        int ok = strncmp(b, headers[i][1], strlen(headers[i][1])) == 0;
        free(b);
        if (!ok)
            PT__FAIL("%s does not start with %s", headers[i][0], headers[i][1]);
    }
    char *truth = pt_test_slurp(file_in(dir, "demo-truth.json"), NULL);
    ASSERT(truth != NULL);
    json_t *j = json_loads(truth, 0, NULL);
    free(truth);
    ASSERT(j != NULL);
    static const char *const keys[] = {"seed", "members", "people", "member_rows", "merged_members",
                                       "duplicate_orders", "rejected_orders", "orders", "order_cents",
                                       "items", "events", "surveys"};
    const int64_t vals[] = {3, 300, t.people, t.member_rows, t.merged_members, t.duplicate_orders,
                            t.rejected_orders, t.orders, t.order_cents, t.items, t.events, t.surveys};
    int bad = -1;
    for (int i = 0; i < 12; i++)
        if (!json_is_integer(json_object_get(j, keys[i])) || json_integer_value(json_object_get(j, keys[i])) != vals[i])
            bad = i;
    size_t nkeys = json_object_size(j);
    json_decref(j);
    if (bad >= 0)
        PT__FAIL("demo-truth.json: \"%s\" missing or not %lld", keys[bad], (long long)vals[bad]);
    ASSERT_EQ(nkeys, 12);
}

TEST(demo_same_seed_gives_identical_files)
{
    const char *a = subdir("a"), *b = subdir("b"), *c = subdir("c");
    pt_demo_truth ta, tb, tc;
    ASSERT_OK(gen(a, PEOPLE, 11, 0, 0, &ta));
    ASSERT_OK(gen(b, PEOPLE, 11, 0, 0, &tb));
    ASSERT_OK(gen(c, PEOPLE, 12, 0, 0, &tc));
    ASSERT(memcmp(&ta, &tb, sizeof ta) == 0);
    int differ = 0;
    for (int i = 0; PT_DEMO_FILES[i].kind; i++) {
        size_t na = 0, nb = 0, nc = 0;
        char *x = pt_test_slurp(file_in(a, PT_DEMO_FILES[i].file), &na);
        char *y = pt_test_slurp(file_in(b, PT_DEMO_FILES[i].file), &nb);
        char *z = pt_test_slurp(file_in(c, PT_DEMO_FILES[i].file), &nc);
        int same = x && y && na == nb && memcmp(x, y, na) == 0;
        differ += z && x && (na != nc || memcmp(x, z, na) != 0);
        free(x);
        free(y);
        free(z);
        if (!same)
            PT__FAIL("%s differs between two runs with the same seed", PT_DEMO_FILES[i].file);
    }
    size_t na = 0, nb = 0;
    char *x = pt_test_slurp(file_in(a, "demo-truth.json"), &na), *y = pt_test_slurp(file_in(b, "demo-truth.json"), &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    ASSERT(same);
    ASSERT_GE(differ, 10); /* another seed is another data set (the header-only parts aside) */
}

TEST(demo_truth_counts_match_the_rows_written)
{
    const char *dir = subdir("d");
    pt_demo_truth t;
    ASSERT_OK(gen(dir, PEOPLE, 5, 0, 0, &t));
    ASSERT_EQ(t.people, PEOPLE);
    int64_t member_rows = count_lines(file_in(dir, "members_eshop.csv")) - 1 +
                          count_lines(file_in(dir, "members_store.csv")) - 1 +
                          count_lines(file_in(dir, "members_mini.csv")) - 1 +
                          count_lines(file_in(dir, "members_app.jsonl"));
    ASSERT_EQ(member_rows, t.member_rows);
    ASSERT_EQ(count_lines(file_in(dir, "items.csv")) - 1, t.items);
    ASSERT_EQ(count_lines(file_in(dir, "events_app.csv")) - 1, t.events);
    ASSERT_EQ(count_lines(file_in(dir, "nps.csv")) - 1, t.surveys);
    int64_t order_rows = count_lines(file_in(dir, "orders_eshop.csv")) - 1 +
                         count_lines(file_in(dir, "orders_store.csv")) - 1 +
                         count_lines(file_in(dir, "orders_mini.csv")) - 1 +
                         count_lines(file_in(dir, "orders_app.jsonl"));
    ASSERT_EQ(order_rows, t.orders + t.duplicate_orders + t.rejected_orders);
    /* the planted mess is there, at roughly the advertised rates */
    ASSERT_GT(t.member_rows, PEOPLE);
    ASSERT_GT(t.merged_members, PEOPLE / 200);
    ASSERT_LT(t.merged_members, PEOPLE / 20);
    ASSERT_GT(t.orders, PEOPLE * 3);
    ASSERT_LT(t.orders, PEOPLE * 10);
    ASSERT_GT(t.duplicate_orders, order_rows / 200);
    ASSERT_LT(t.duplicate_orders, order_rows / 40);
    ASSERT_GT(t.rejected_orders, 0);
    ASSERT_LT(t.rejected_orders, order_rows / 200);
    ASSERT_GT(t.items, t.orders);
    ASSERT_GT(t.events, 0);
    ASSERT_GT(t.surveys, 0);
}

TEST(demo_planted_duplicate_order_numbers_appear_twice)
{
    const char *dir = subdir("d");
    pt_demo_truth t;
    ASSERT_OK(gen(dir, PEOPLE, 8, 0, 0, &t));
    struct order_scan sc = {.map = {calloc(MAP_CAP, sizeof(struct slot)), 0}};
    ASSERT(sc.map.s != NULL);
    int rc = each_order(dir, scan_order, &sc);
    map_free(&sc.map);
    ASSERT_EQ(rc, 0);
    ASSERT_GT(t.duplicate_orders, 0);
    ASSERT_EQ(sc.dup_extra, t.duplicate_orders);
    ASSERT_EQ(sc.max_rows, 2);
}

TEST(demo_every_item_order_exists_and_sums_to_its_amount)
{
    const char *dir = subdir("d");
    pt_demo_truth t;
    ASSERT_OK(gen(dir, PEOPLE, 9, 0, 0, &t));
    struct order_scan sc = {.map = {calloc(MAP_CAP, sizeof(struct slot)), 0}};
    ASSERT(sc.map.s != NULL);
    int rc = each_order(dir, scan_order, &sc);
    int irc = rc ? rc : each_line(file_in(dir, "items.csv"), 1, scan_item, &sc);
    int64_t items = 0, without_items = 0, mismatched = 0;
    for (size_t i = 0; i < MAP_CAP; i++) {
        const struct slot *s = &sc.map.s[i];
        if (!s->key)
            continue;
        items += s->items;
        without_items += s->items == 0;
        mismatched += s->items && s->item_cents != s->cents;
    }
    map_free(&sc.map);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(irc, 0);
    ASSERT_EQ(sc.rejected, t.rejected_orders);
    ASSERT_EQ(sc.distinct, t.orders);
    ASSERT_EQ(sc.cents, t.order_cents);
    ASSERT_EQ(items, t.items);
    ASSERT_EQ(without_items, 0);
    ASSERT_EQ(mismatched, 0);
}

struct time_scan {
    int64_t lo, hi, seen, bad, out_of_window, order_rows;
    int     col;
};

static void check_time(struct time_scan *ts, const char *s)
{
    int64_t t = 0;
    ts->seen++;
    if (parse_time(s, &t)) {
        ts->bad++;
        return;
    }
    if (t < ts->lo || t >= ts->hi)
        ts->out_of_window++;
}

static int time_csv(void *ud, char *line)
{
    struct time_scan *ts = ud;
    char *f[16];
    int n = split_csv(line, f, 16);
    if (ts->col >= n)
        return -1;
    check_time(ts, f[ts->col]);
    return 0;
}

static int time_member_json(void *ud, char *line)
{
    json_t *o = json_loads(line, 0, NULL);
    const char *at = json_string_value(json_object_get(o, "registered_at"));
    if (at)
        check_time(ud, at);
    json_decref(o);
    return at ? 0 : -1;
}

static int time_order(void *ud, const char *no, const char *at, const char *amount)
{
    struct time_scan *ts = ud;
    int64_t cents;
    (void)no;
    ts->order_rows++;
    if (parse_money(amount, &cents) == 0) /* rows planted with a bad amount have a good time */
        check_time(ts, at);
    return 0;
}

TEST(demo_no_timestamp_after_end)
{
    const char *dir = subdir("d");
    const int64_t end = 1735689600; /* 2025-01-01T00:00:00Z */
    const int months = 6;
    pt_demo_truth t;
    ASSERT_OK(gen(dir, PEOPLE, 13, end, months, &t));
    struct time_scan ts = {.lo = end - (int64_t)months * 31 * 86400, .hi = end};
    static const struct {
        const char *file;
        int         col;
    } cols[] = {{"members_eshop.csv", 7}, {"members_store.csv", 6}, {"members_mini.csv", 3},
                {"events_app.csv", 2},    {"nps.csv", 2}};
    for (size_t i = 0; i < sizeof cols / sizeof *cols; i++) {
        ts.col = cols[i].col;
        ASSERT_EQ(each_line(file_in(dir, cols[i].file), 1, time_csv, &ts), 0);
    }
    ASSERT_EQ(each_line(file_in(dir, "members_app.jsonl"), 0, time_member_json, &ts), 0);
    int64_t bad_before_orders = ts.bad;
    ASSERT_EQ(each_order(dir, time_order, &ts), 0);
    ASSERT_EQ(bad_before_orders, 0);  /* only order rows may be malformed */
    ASSERT_LE(ts.bad, t.rejected_orders); /* the planted impossible dates */
    ASSERT_GT(ts.seen, t.member_rows + t.orders);
    ASSERT_EQ(ts.out_of_window, 0);
}

TEST(demo_unwritable_output_dir_is_reported_with_its_path)
{
    const char *file = pt_test_write_file(pt_test_tmpdir(), "plain-file", "x");
    char dir[4200], err[512] = "";
    snprintf(dir, sizeof dir, "%s/out", file);
    pt_demo_opts o = {.members = 10, .out_dir = dir};
    pt_demo_truth t;
    ASSERT_EQ(pt_demo_generate(&o, &t, err, sizeof err), PT_EIO);
    ASSERT_STR_CONTAINS(err, file);
    pt_demo_opts none = {.members = 10};
    ASSERT_EQ(pt_demo_generate(&none, &t, err, sizeof err), PT_EINVAL);
}

TEST(demo_write_failure_names_the_file)
{
    if (access("/dev/full", W_OK) != 0)
        SKIP("no /dev/full");
    const char *dir = subdir("full");
    ASSERT_EQ(mkdir(dir, 0755), 0);
    ASSERT_EQ(symlink("/dev/full", file_in(dir, "items.csv")), 0); /* every write fails: ENOSPC */
    pt_demo_opts o = {.members = PEOPLE, .out_dir = dir};
    pt_demo_truth t;
    char err[512] = "";
    ASSERT_EQ(pt_demo_generate(&o, &t, err, sizeof err), PT_EIO);
    ASSERT_STR_CONTAINS(err, "items.csv");
}

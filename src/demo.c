/* demo.c — deterministic generator of realistic, messy, multi-channel member data.
 *
 * Design. People are simulated one at a time (index 0..members-1) and each person's rows are
 * appended to all eleven files, which are open at once; memory is bounded by one person's
 * rows, so millions of people stream through. Each person has an own PRNG (xoshiro256**
 * seeded from the seed and the index with splitmix64), so the output depends only on the seed
 * and the options: the same inputs give byte-identical files. The truth counters are summed as
 * rows are written and saved in demo-truth.json.
 *
 * Identity invariants, which make the planted facts exact for a correct importer:
 *  - every identifier (phone, email, openid, unionid, app_user_id, store card, customer_id) is
 *    derived from the person index by a bijection, so no two people ever share one;
 *  - an ordinary person's member rows either carry the person's one phone (email optional,
 *    always the same address) or carry neither phone nor email (a separate, never-merged
 *    member known only by its channel id), so their rows never link two existing members;
 *  - a split person (about 2%) has an eshop row with email and no phone, a store row with
 *    phone and no email, and an app row with both: exactly one merge each;
 *  - only order rows are malformed (about 0.1%: bad amount or impossible date); a malformed
 *    order has no items and its order number appears nowhere else;
 *  - duplicates (about 1% of order rows) are eshop orders re-exported by the app file and
 *    exact repeats of POS rows in the store file; items are written once per distinct order
 *    and sum exactly to its amount;
 *  - every timestamp lies in [end_at - months, end_at); zone-less times are local China time
 *    (UTC+8, the default tz of a data directory).
 */
#include <stddef.h> /* demo.h uses size_t */

#include "patron/demo.h"
#include "patron/error.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEMO_DEFAULT_MEMBERS 50000
#define DEMO_DEFAULT_SEED    42
#define DEMO_DEFAULT_END     1782777600 /* 2026-06-30T00:00:00Z */
#define DEMO_DEFAULT_MONTHS  24
#define DEMO_MAX_MEMBERS     10000000   /* identifiers are bijections on 10^7..10^10 */
#define DAY                  86400
#define TZ                   (8 * 3600) /* local time of the simulated shops */
#define MAX_ORDERS           500        /* per person; order numbers use 3 digits of sequence */
#define MAX_EVENTS           300        /* per person */
#define MAX_LINES            5
#define OUT_CAP              (256 * 1024)

const pt_demo_file PT_DEMO_FILES[] = {
    {"members", "members_eshop.csv", "eshop"}, {"members", "members_store.csv", "store"},
    {"members", "members_mini.csv", "mini"},   {"members", "members_app.jsonl", "app"},
    {"orders", "orders_eshop.csv", "eshop"},   {"orders", "orders_store.csv", "store"},
    {"orders", "orders_mini.csv", "mini"},     {"orders", "orders_app.jsonl", "app"},
    {"items", "items.csv", "all"},             {"events", "events_app.csv", "app"},
    {"surveys", "nps.csv", "survey"},          {NULL, NULL, NULL},
};

enum { F_M_ESHOP, F_M_STORE, F_M_MINI, F_M_APP, F_O_ESHOP, F_O_STORE, F_O_MINI, F_O_APP,
       F_ITEMS, F_EVENTS, F_NPS, F__COUNT };

static const char *const file_header[F__COUNT] = {
    [F_M_ESHOP] = "customer_id,name,mobile,email,gender,birthday,province,register_time,sms_opt_in,email_opt_in",
    [F_M_STORE] = "会员卡号,姓名,手机号,性别,生日,地区,注册时间,注册门店",
    [F_M_MINI] = "openid,unionid,phone,register_ts",
    [F_O_ESHOP] = "order_id,customer_id,order_time,total,status",
    [F_O_STORE] = "单号,会员卡号,下单时间,金额,门店",
    [F_O_MINI] = "order_no,openid,paid_at,amount",
    [F_ITEMS] = "order_no,line,sku,category,qty,unit_price",
    [F_EVENTS] = "app_user_id,event,time,value",
    [F_NPS] = "mobile,score,answered_at,survey",
};

/* --- PRNG: splitmix64 for seeding, xoshiro256** for the stream --------------------------- */

typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A bijection on 64-bit values (the splitmix64 finaliser): distinct inputs stay distinct. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n) (n > 0). */
static uint64_t rng_below(rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

/* Uniform in [lo, hi); lo when the range is empty. */
static int64_t rng_range(rng *r, int64_t lo, int64_t hi)
{
    return hi > lo ? lo + (int64_t)rng_below(r, (uint64_t)(hi - lo)) : lo;
}

static double rng_unit(rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* 1 with probability per_mille / 1000. */
static int rng_pm(rng *r, unsigned per_mille)
{
    return rng_below(r, 1000) < per_mille;
}

static int rng_pick(rng *r, const unsigned *w, int n)
{
    unsigned total = 0;
    for (int i = 0; i < n; i++)
        total += w[i];
    unsigned x = (unsigned)rng_below(r, total);
    for (int i = 0; i < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}

#define PICK(r, w) rng_pick((r), (w), (int)(sizeof(w) / sizeof *(w)))
#define NELEM(a)   ((int)(sizeof(a) / sizeof *(a)))

/* A keyed permutation of [0, a*b) (a four-round unbalanced Feistel network): distinct inputs
 * give distinct outputs that look random, so identifiers derived from the person index never
 * collide and show no pattern. */
static uint64_t permute(uint64_t x, uint64_t a, uint64_t b, uint64_t key)
{
    uint64_t l = x / b, r = x % b;
    for (uint64_t round = 0; round < 4; round++) {
        uint64_t f = mix64(r ^ (key + round * 0x9E3779B97F4A7C15ull)) % a;
        uint64_t nl = r, nr = (l + f) % a;
        l = nl;
        r = nr;
        uint64_t t = a; /* l now ranges over b, r over a */
        a = b;
        b = t;
    }
    return l * b + r;
}

/* --- calendar ---------------------------------------------------------------------------- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Chinese New Year (first day of the lunar year), 2018–2032. */
static const struct { int y, m, d; } cny_dates[] = {
    {2018, 2, 16}, {2019, 2, 5},  {2020, 1, 25}, {2021, 2, 12}, {2022, 2, 1},
    {2023, 1, 22}, {2024, 2, 10}, {2025, 1, 29}, {2026, 2, 17}, {2027, 2, 6},
    {2028, 1, 26}, {2029, 2, 13}, {2030, 2, 3},  {2031, 1, 23}, {2032, 2, 11},
};

/* Relative shopping weight of a local day (10 = ordinary). */
static unsigned day_weight(int64_t day)
{
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    for (int i = 0; i < NELEM(cny_dates); i++) {
        int64_t c = days_from_civil(cny_dates[i].y, (unsigned)cny_dates[i].m, (unsigned)cny_dates[i].d);
        if (day >= c - 21 && day < c)
            return 20; /* New Year shopping */
        if (day >= c && day < c + 7)
            return 5; /* the holiday itself is quiet */
    }
    if (m == 11 && d == 11)
        return 70; /* 双十一 */
    if (m == 11 && d < 11)
        return 25;
    if (m == 11 && d == 12)
        return 15;
    if (m == 6 && d == 18)
        return 35; /* 618 */
    if (m == 6 && d < 18)
        return 16;
    if (m == 12 && d == 12)
        return 25;
    if ((m == 3 && d == 8) || (m == 2 && d == 14) || (m == 5 && d == 20))
        return 16;
    if (m == 12 && d > 20)
        return 13;
    return 10;
}

/* --- name, place, product tables --------------------------------------------------------- */

struct zh {
    const char *zh, *py;
};

static const struct zh surnames[] = {
    {"王", "wang"},  {"李", "li"},     {"张", "zhang"}, {"刘", "liu"},   {"陈", "chen"},  {"杨", "yang"},
    {"黄", "huang"}, {"赵", "zhao"},   {"吴", "wu"},    {"周", "zhou"},  {"徐", "xu"},    {"孙", "sun"},
    {"马", "ma"},    {"朱", "zhu"},    {"胡", "hu"},    {"郭", "guo"},   {"何", "he"},    {"高", "gao"},
    {"林", "lin"},   {"罗", "luo"},    {"郑", "zheng"}, {"梁", "liang"}, {"谢", "xie"},   {"宋", "song"},
    {"唐", "tang"},  {"许", "xu"},     {"韩", "han"},   {"冯", "feng"},  {"邓", "deng"},  {"曹", "cao"},
    {"彭", "peng"},  {"曾", "zeng"},   {"肖", "xiao"},  {"田", "tian"},  {"董", "dong"},  {"袁", "yuan"},
    {"潘", "pan"},   {"于", "yu"},     {"蒋", "jiang"}, {"蔡", "cai"},   {"余", "yu"},    {"杜", "du"},
    {"叶", "ye"},    {"程", "cheng"},  {"苏", "su"},    {"魏", "wei"},   {"吕", "lv"},    {"丁", "ding"},
    {"任", "ren"},   {"沈", "shen"},   {"姚", "yao"},   {"卢", "lu"},    {"傅", "fu"},    {"钟", "zhong"},
    {"欧阳", "ouyang"}, {"司马", "sima"}, {"上官", "shangguan"},
};

static const struct zh given_f[] = {
    {"芳", "fang"}, {"娜", "na"},   {"敏", "min"},   {"静", "jing"}, {"丽", "li"},   {"婷", "ting"},
    {"雪", "xue"},  {"琳", "lin"},  {"颖", "ying"},  {"倩", "qian"}, {"欣", "xin"},  {"怡", "yi"},
    {"梦", "meng"}, {"佳", "jia"},  {"雨", "yu"},    {"涵", "han"},  {"晓", "xiao"}, {"慧", "hui"},
    {"燕", "yan"},  {"萍", "ping"}, {"玲", "ling"},  {"洁", "jie"},  {"璐", "lu"},   {"思", "si"},
    {"悦", "yue"},  {"可", "ke"},   {"诗", "shi"},   {"月", "yue"},  {"蕾", "lei"},  {"婉", "wan"},
};

static const struct zh given_m[] = {
    {"伟", "wei"},  {"强", "qiang"}, {"磊", "lei"},  {"军", "jun"},  {"洋", "yang"}, {"勇", "yong"},
    {"杰", "jie"},  {"涛", "tao"},   {"明", "ming"}, {"超", "chao"}, {"鹏", "peng"}, {"浩", "hao"},
    {"宇", "yu"},   {"轩", "xuan"},  {"博", "bo"},   {"文", "wen"},  {"斌", "bin"},  {"辉", "hui"},
    {"刚", "gang"}, {"俊", "jun"},   {"峰", "feng"}, {"建", "jian"}, {"志", "zhi"},  {"鑫", "xin"},
    {"凯", "kai"},  {"晨", "chen"},  {"天", "tian"}, {"子", "zi"},   {"一", "yi"},   {"航", "hang"},
};

static const char *const provinces[] = {
    "广东", "浙江", "江苏", "上海", "北京", "山东", "四川", "湖北", "河南", "福建", "湖南", "安徽",
    "河北", "陕西", "重庆", "天津", "辽宁", "江西", "广西", "云南", "山西", "吉林", "黑龙江", "贵州",
    "内蒙古", "新疆", "甘肃", "海南", "宁夏", "青海", "西藏",
};
static const unsigned province_w[] = {
    14, 10, 10, 8, 7, 7, 6, 5, 5, 5, 4, 4, 4, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1,
};
/* provinces written with their administrative suffix in some rows */
static const char *const province_long[] = {
    "广东省", "浙江省", "江苏省", "上海市", "北京市", "山东省", "四川省", "湖北省", "河南省", "福建省",
    "湖南省", "安徽省", "河北省", "陕西省", "重庆市", "天津市", "辽宁省", "江西省", "广西壮族自治区",
    "云南省", "山西省", "吉林省", "黑龙江省", "贵州省", "内蒙古自治区", "新疆维吾尔自治区", "甘肃省",
    "海南省", "宁夏回族自治区", "青海省", "西藏自治区",
};

static const char *const stores[] = {
    "上海南京西路店", "上海徐家汇店",   "上海五角场店", "北京三里屯店", "北京西单大悦城店",
    "北京望京店",     "广州天河城店",   "广州正佳店",   "深圳万象城店", "深圳海岸城店",
    "杭州湖滨银泰店", "杭州西溪店",     "南京新街口店", "苏州观前街店", "成都春熙路店",
    "成都太古里店",   "重庆解放碑店",   "武汉江汉路店", "西安钟楼店",   "长沙五一广场店",
    "天津滨江道店",   "青岛万象城店",   "厦门中山路店", "宁波天一广场店", "郑州二七店",
    "合肥万达店",     "昆明南屏街店",   "沈阳中街店",   "济南泉城路店", "福州东街口店",
};

static const char *const phone_prefixes[] = {
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "170", "176", "177", "178", "180", "181",
    "182", "183", "184", "185", "186", "187", "188", "189", "191", "198", "199",
};

static const char *const email_domains[] = {
    "qq.com", "163.com", "126.com", "sina.com", "gmail.com", "hotmail.com", "outlook.com",
    "foxmail.com", "icloud.com", "139.com", "yeah.net", "example.com",
};
static const unsigned email_domain_w[] = {30, 22, 10, 6, 6, 5, 5, 5, 4, 3, 2, 2};

#define NCAT        10
#define SKU_PER_CAT 160

static const struct {
    const char *name, *code;
    int64_t     lo, hi; /* list price range, cents */
} categories[NCAT] = {
    {"美妆护肤", "BEA", 4900, 89900},  {"服饰", "APP", 3900, 59900},     {"鞋包", "SHO", 9900, 129900},
    {"食品饮料", "FOO", 500, 19900},   {"母婴", "BAB", 1900, 39900},     {"家居日用", "HOM", 900, 29900},
    {"数码配件", "DIG", 2900, 199900}, {"个人护理", "PER", 900, 15900},  {"运动户外", "SPO", 4900, 89900},
    {"宠物用品", "PET", 1900, 29900},
};

struct sku {
    char    code[16];
    int64_t price; /* cents */
};

/* --- buffered output --------------------------------------------------------------------- */

struct out {
    FILE *f;
    char *buf;
    size_t len;
    char  path[4096];
    int   err;
};

static void out_flush(struct out *o)
{
    if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len)
        o->err = errno ? errno : EIO;
    o->len = 0;
}

static void out_write(struct out *o, const char *s, size_t n)
{
    if (o->len + n > OUT_CAP)
        out_flush(o);
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

/* One output line under construction; lines are short (names, ids, times). */
struct line {
    char   b[1024];
    size_t n;
};

static void l_mem(struct line *l, const char *s, size_t n)
{
    if (n > sizeof l->b - l->n)
        n = sizeof l->b - l->n;
    memcpy(l->b + l->n, s, n);
    l->n += n;
}

static void l_str(struct line *l, const char *s)
{
    l_mem(l, s, strlen(s));
}

static void l_ch(struct line *l, char c)
{
    l_mem(l, &c, 1);
}

/* Unsigned decimal, at least `width` digits (zero padded). */
static void l_uint(struct line *l, uint64_t v, int width)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width && n < (int)sizeof tmp)
        tmp[n++] = '0';
    char rev[24];
    for (int i = 0; i < n; i++)
        rev[i] = tmp[n - 1 - i];
    l_mem(l, rev, (size_t)n);
}

static void l_int(struct line *l, int64_t v)
{
    if (v < 0) {
        l_ch(l, '-');
        l_uint(l, (uint64_t)0 - (uint64_t)v, 0);
    } else {
        l_uint(l, (uint64_t)v, 0);
    }
}

/* A CSV field, quoted when it holds a comma, quote or line break. */
static void l_csv(struct line *l, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        l_str(l, s);
        return;
    }
    l_ch(l, '"');
    for (; *s; s++) {
        if (*s == '"')
            l_ch(l, '"');
        l_ch(l, *s);
    }
    l_ch(l, '"');
}

/* A JSON string literal (input is valid UTF-8). */
static void l_json_str(struct line *l, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    l_ch(l, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            l_ch(l, '\\');
            l_ch(l, (char)c);
        } else if (c < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            l_mem(l, esc, sizeof esc);
        } else {
            l_ch(l, (char)c);
        }
    }
    l_ch(l, '"');
}

/* `,"key":` (the first key of an object passes first = 1). */
static void l_key(struct line *l, const char *key, int first)
{
    if (!first)
        l_ch(l, ',');
    l_json_str(l, key);
    l_ch(l, ':');
}

static void l_end(struct out *o, struct line *l)
{
    l_ch(l, '\n');
    out_write(o, l->b, l->n);
    l->n = 0;
}

/* --- value formats ----------------------------------------------------------------------- */

enum { T_DASH, T_SLASH, T_DATE, T_ISO8, T_ISOZ, T_EPOCH, T_EPOCH_MS, T_COMPACT };

static void l_time(struct line *l, int64_t t, int style)
{
    if (style == T_EPOCH || style == T_EPOCH_MS) {
        l_int(l, t);
        if (style == T_EPOCH_MS)
            l_str(l, "000");
        return;
    }
    int64_t local = style == T_ISOZ ? t : t + TZ;
    int64_t day = floor_div(local, DAY), sod = local - day * DAY;
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    char sep = style == T_SLASH ? '/' : '-';
    if (style == T_COMPACT) {
        l_uint(l, (uint64_t)y, 4);
        l_uint(l, (uint64_t)m, 2);
        l_uint(l, (uint64_t)d, 2);
        l_uint(l, (uint64_t)(sod / 3600), 2);
        l_uint(l, (uint64_t)(sod / 60 % 60), 2);
        l_uint(l, (uint64_t)(sod % 60), 2);
        return;
    }
    l_uint(l, (uint64_t)y, 4);
    l_ch(l, sep);
    l_uint(l, (uint64_t)m, 2);
    l_ch(l, sep);
    l_uint(l, (uint64_t)d, 2);
    if (style == T_DATE)
        return;
    l_ch(l, style == T_ISO8 || style == T_ISOZ ? 'T' : ' ');
    l_uint(l, (uint64_t)(sod / 3600), 2);
    l_ch(l, ':');
    l_uint(l, (uint64_t)(sod / 60 % 60), 2);
    l_ch(l, ':');
    l_uint(l, (uint64_t)(sod % 60), 2);
    if (style == T_ISO8)
        l_str(l, "+08:00");
    else if (style == T_ISOZ)
        l_ch(l, 'Z');
}

/* yyyymmdd (or yymmdd) of local time, for order numbers */
static void l_ymd(struct line *l, int64_t t, int short_year)
{
    int y, m, d;
    civil_from_days(floor_div(t + TZ, DAY), &y, &m, &d);
    l_uint(l, (uint64_t)(short_year ? y % 100 : y), short_year ? 2 : 4);
    l_uint(l, (uint64_t)m, 2);
    l_uint(l, (uint64_t)d, 2);
}

enum { M_PLAIN, M_YEN, M_FULLWIDTH_YEN, M_SHORT };

/* Money: M_PLAIN "1234.50", M_YEN "¥1,234.50", M_FULLWIDTH_YEN "￥1234.50", M_SHORT "12.3". */
static void l_money(struct line *l, int64_t cents, int style)
{
    uint64_t yuan = (uint64_t)cents / 100, fen = (uint64_t)cents % 100;
    if (style == M_YEN) {
        l_str(l, "¥");
        char digits[24];
        int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)yuan);
        for (int i = 0; i < n; i++) {
            if (i && (n - i) % 3 == 0)
                l_ch(l, ',');
            l_ch(l, digits[i]);
        }
    } else {
        if (style == M_FULLWIDTH_YEN)
            l_str(l, "￥");
        l_uint(l, yuan, 0);
    }
    if (style == M_SHORT) {
        if (fen) {
            l_ch(l, '.');
            l_ch(l, (char)('0' + fen / 10));
            if (fen % 10)
                l_ch(l, (char)('0' + fen % 10));
        }
        return;
    }
    l_ch(l, '.');
    l_uint(l, fen, 2);
}

/* Phone (11 digits) in one of the spellings seen in real exports. */
static void l_phone(struct line *l, const char *d, int style)
{
    static const char *const prefix[] = {"", "", "", "+86 ", "+86", "0086 ", "86-"};
    char tmp[32];
    if (style == 1)
        snprintf(tmp, sizeof tmp, "%.3s-%.4s-%.4s", d, d + 3, d + 7); /* 138-0013-8000 */
    else if (style == 2 || style == 3)
        snprintf(tmp, sizeof tmp, "%s%.3s %.4s %.4s", prefix[style], d, d + 3, d + 7); /* [+86 ]138 0013 8000 */
    else
        snprintf(tmp, sizeof tmp, "%s%.11s", prefix[style], d); /* 13800138000, +86…, 0086 …, 86-… */
    l_str(l, tmp);
}

static const unsigned phone_style_w[] = {55, 12, 8, 8, 7, 5, 5};

/* --- the person -------------------------------------------------------------------------- */

enum { CH_ESHOP, CH_STORE, CH_MINI, CH_APP, CH__COUNT };
enum { SEG_NONE, SEG_ONCE, SEG_OCCASIONAL, SEG_REGULAR, SEG_HEAVY, SEG__COUNT };

struct person {
    int64_t     idx;
    rng         r;
    int         female;
    const struct zh *sur, *g1, *g2; /* g2 may be NULL */
    char        name[32];
    char        phone[24];          /* 11 digits */
    char        email_local[64];    /* lower case; empty = no email */
    const char *email_domain;
    int         by, bm, bd;         /* birthday */
    int         province;
    int         segment;
    int         split;              /* planted split person (one merge) */
    int         churned;
    int         has[CH__COUNT];
    int64_t     reg[CH__COUNT];     /* registration per channel (UTC) */
    int         row_phone[CH__COUNT];
    int         row_email[CH__COUNT];
    int         chan_w[CH__COUNT];
    int64_t     first_reg;
    int64_t     active_hi;          /* no orders at or after this (churn or end) */
    int         cat_pref[2];
    int         home_store;
    int         zoned_events;       /* events written as ISO with zone (else local) */
};

struct order {
    int64_t t;
    int     ch;
    int     seq;  /* per channel, for the order number */
    int     bad;  /* 0 valid, 1 amount "abc", 2 amount "12.345", 3 impossible date */
    int     dup;  /* 1: re-exported by the app, 2: POS row repeated */
};

struct item_line {
    const struct sku *sku;
    int               cat;
    int64_t           qty, unit;
};

struct gen {
    pt_demo_truth      *truth;
    uint64_t            seed;
    int64_t             members, start, end;
    int64_t             day0, ndays; /* local days of the window */
    int64_t            *cum;         /* cum[k] = weight of days day0 .. day0+k-1 */
    struct out          out[F__COUNT];
    struct sku          catalog[NCAT][SKU_PER_CAT];
    struct order        orders[MAX_ORDERS];
    int64_t             ev_t[MAX_EVENTS];
};

static void person_name(struct person *p)
{
    rng *r = &p->r;
    p->female = rng_pm(r, 580);
    p->sur = &surnames[rng_below(r, (uint64_t)NELEM(surnames))];
    const struct zh *g = p->female ? given_f : given_m;
    int ng = p->female ? NELEM(given_f) : NELEM(given_m);
    p->g1 = &g[rng_below(r, (uint64_t)ng)];
    p->g2 = rng_pm(r, 700) ? &g[rng_below(r, (uint64_t)ng)] : NULL;
    snprintf(p->name, sizeof p->name, "%s%s%s", p->sur->zh, p->g1->zh, p->g2 ? p->g2->zh : "");
}

/* Identifiers: each is a bijection of the person index, so no two people share one. */
static void person_phone(struct person *p)
{
    uint64_t np = (uint64_t)NELEM(phone_prefixes);
    uint64_t n = permute((uint64_t)p->idx, np * 10000, 10000, 0x50484F4E45ull);
    snprintf(p->phone, sizeof p->phone, "%s%08llu", phone_prefixes[n % np], (unsigned long long)(n / np % 100000000));
}

static void person_email(struct person *p)
{
    rng *r = &p->r;
    uint64_t n = permute((uint64_t)p->idx, 1000, 10000, 0x454D41494Cull);
    char given[24];
    snprintf(given, sizeof given, "%s%s", p->g1->py, p->g2 ? p->g2->py : "");
    p->email_domain = email_domains[PICK(r, email_domain_w)];
    switch (rng_below(r, 6)) {
    case 0:
        snprintf(p->email_local, sizeof p->email_local, "%s.%s%llu", given, p->sur->py, (unsigned long long)n);
        break;
    case 1:
        snprintf(p->email_local, sizeof p->email_local, "%s%s%llu", p->sur->py, given, (unsigned long long)n);
        break;
    case 2:
        snprintf(p->email_local, sizeof p->email_local, "%s_%s%llu", p->sur->py, given, (unsigned long long)n);
        break;
    case 3: /* QQ mail: the QQ number */
        snprintf(p->email_local, sizeof p->email_local, "%llu",
                 (unsigned long long)(100000000ull + permute((uint64_t)p->idx, 10000, 10000, 0x5151ull)));
        p->email_domain = "qq.com";
        break;
    case 4:
        snprintf(p->email_local, sizeof p->email_local, "%s.%s%llu", p->sur->py, given, (unsigned long long)n);
        break;
    default:
        snprintf(p->email_local, sizeof p->email_local, "%c%s%llu", given[0], p->sur->py, (unsigned long long)n);
        break;
    }
}

static void l_customer_id(struct line *l, const struct person *p)
{
    l_ch(l, 'C');
    l_uint(l, permute((uint64_t)p->idx, 10000, 100000, 0x4553484F50ull), 9);
}

static void l_card(struct line *l, const struct person *p)
{
    l_str(l, "8860");
    l_uint(l, permute((uint64_t)p->idx, 10000, 10000, 0x43415244ull), 8);
}

static uint64_t app_user_id(const struct person *p)
{
    return 100000000ull + permute((uint64_t)p->idx, 10000, 10000, 0x415050ull);
}

/* WeChat-style ids: a fixed app prefix, 11 characters that encode the index bijectively, and
 * 11 characters of filler. */
static void l_wechat_id(struct line *l, const struct person *p, const char *prefix, uint64_t salt)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint64_t v = mix64((uint64_t)p->idx ^ salt), f = mix64((uint64_t)p->idx ^ salt ^ 0x5DEECE66Dull);
    l_str(l, prefix);
    for (int i = 0; i < 11; i++, v >>= 6)
        l_ch(l, b64[v & 63]);
    for (int i = 0; i < 11; i++, f >>= 6)
        l_ch(l, b64[f & 63]);
}

static void l_openid(struct line *l, const struct person *p)
{
    l_wechat_id(l, p, "oUpF8u", 0xA5A5A5A55A5A5A5Aull);
}

static void l_unionid(struct line *l, const struct person *p)
{
    l_wechat_id(l, p, "o6_bmj", 0x0F1E2D3C4B5A6978ull);
}

static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* The email as one export spells it: as typed (lower case), Capitalised.Parts, a Capitalised
 * domain or ALL CAPS; sometimes padded with spaces. */
static void l_email(struct line *l, struct person *p)
{
    rng *r = &p->r;
    int pad = rng_pm(r, 120), style = (int)rng_below(r, 10);
    int caps_parts = style == 6 || style == 7, caps_domain = style == 7 || style == 8, all = style == 9;
    if (pad)
        l_ch(l, ' ');
    int start = 1;
    for (const char *s = p->email_local; *s; s++) {
        l_ch(l, all || (caps_parts && start) ? upper(*s) : *s);
        start = *s == '.' || *s == '_';
    }
    l_ch(l, '@');
    for (const char *s = p->email_domain; *s; s++)
        l_ch(l, all || (caps_domain && s == p->email_domain) ? upper(*s) : *s);
    if (pad)
        l_str(l, rng_pm(r, 500) ? " " : "  ");
}

static void l_birthday(struct line *l, const struct person *p, int style)
{
    char tmp[16];
    if (style == 1)
        snprintf(tmp, sizeof tmp, "%d/%d/%d", p->by, p->bm, p->bd);
    else if (style == 2)
        snprintf(tmp, sizeof tmp, "%04d%02d%02d", p->by, p->bm, p->bd);
    else
        snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", p->by, p->bm, p->bd);
    l_str(l, tmp);
}

static void person_birthday(struct person *p)
{
    static const unsigned decade_w[] = {3, 6, 14, 30, 32, 15}; /* 1950s … 2000s (to 2006) */
    rng *r = &p->r;
    int dec = PICK(r, decade_w);
    p->by = 1950 + dec * 10 + (int)rng_below(r, dec == 5 ? 7 : 10);
    p->bm = 1 + (int)rng_below(r, 12);
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (p->by % 4 == 0 && p->by % 100 != 0) || p->by % 400 == 0;
    p->bd = 1 + (int)rng_below(r, (uint64_t)(mdays[p->bm - 1] + (p->bm == 2 && leap)));
}

/* Registration in the window: a founding cohort early on, then steady growth. */
static void person_channels(struct gen *g, struct person *p)
{
    rng *r = &p->r;
    int64_t earliest = g->start + DAY; /* a store date (local midnight) stays in the window */
    int64_t span = g->end - 14 * DAY - earliest;
    int64_t j = earliest + rng_range(r, 0, rng_pm(r, 250) ? span / 10 : span);
    static const unsigned chan_pm[CH__COUNT] = {520, 450, 340, 280};
    int any = 0;
    for (int c = 0; c < CH__COUNT; c++) {
        p->has[c] = rng_pm(r, chan_pm[c]);
        any |= p->has[c];
    }
    if (!any)
        p->has[rng_below(r, CH__COUNT)] = 1;
    p->split = rng_pm(r, 20);
    if (p->split)
        p->has[CH_ESHOP] = p->has[CH_STORE] = p->has[CH_APP] = 1;
    /* the first channel (random among the person's) at j, the others later */
    int first;
    do
        first = (int)rng_below(r, CH__COUNT);
    while (!p->has[first]);
    p->first_reg = j;
    for (int c = 0; c < CH__COUNT; c++) {
        if (!p->has[c])
            continue;
        int64_t later = g->end - 7 * DAY - j;
        p->reg[c] = c == first ? j : j + rng_range(r, 0, later < 400 * DAY ? later : 400 * DAY);
        p->chan_w[c] = 1 + (int)rng_below(r, 10) + (c == first ? 8 : 0);
    }
    /* who carries which identifiers (see the invariants at the top) */
    for (int c = 0; c < CH__COUNT; c++) {
        if (!p->has[c])
            continue;
        if (p->split) {
            p->row_phone[c] = c != CH_ESHOP;
            p->row_email[c] = c == CH_ESHOP || c == CH_APP;
        } else if (c == CH_MINI) {
            p->row_phone[c] = rng_pm(r, 700);
        } else if (rng_pm(r, 30)) {
            p->row_phone[c] = 0; /* known only by the channel id */
        } else {
            p->row_phone[c] = 1;
            p->row_email[c] = p->email_local[0] && c != CH_STORE && rng_pm(r, 850);
        }
    }
}

static void person_behaviour(struct gen *g, struct person *p)
{
    static const unsigned seg_w[SEG__COUNT] = {12, 33, 30, 17, 8};
    rng *r = &p->r;
    p->segment = PICK(r, seg_w);
    p->active_hi = g->end;
    if (p->segment >= SEG_OCCASIONAL && rng_pm(r, 300)) {
        int64_t lo = p->first_reg, span = g->end - 90 * DAY - lo;
        if (span > 30 * DAY) {
            p->churned = 1;
            p->active_hi = lo + span / 6 + rng_range(r, 0, span * 2 / 3);
        }
    }
    p->cat_pref[0] = (int)rng_below(r, NCAT);
    p->cat_pref[1] = (int)rng_below(r, NCAT);
    p->home_store = (int)rng_below(r, (uint64_t)NELEM(stores));
    p->province = PICK(r, province_w);
    p->zoned_events = rng_pm(r, 500);
}

static void person_make(struct gen *g, int64_t idx, struct person *p)
{
    memset(p, 0, sizeof *p);
    p->idx = idx;
    rng_seed(&p->r, g->seed ^ mix64((uint64_t)idx + 0x632BE59BD9B4E019ull));
    person_name(p);
    person_phone(p);
    if (rng_pm(&p->r, 550))
        person_email(p);
    person_birthday(p);
    person_channels(g, p);
    if (p->split && !p->email_local[0]) {
        person_email(p);
        for (int c = 0; c < CH__COUNT; c++)
            p->row_email[c] = c == CH_ESHOP || c == CH_APP;
    }
    person_behaviour(g, p);
}

/* --- member rows ------------------------------------------------------------------------- */

static void l_gender(struct line *l, struct person *p, int ch)
{
    rng *r = &p->r;
    if (rng_pm(r, 90))
        return; /* blank */
    if (ch == CH_STORE) {
        l_str(l, p->female ? "女" : "男");
        return;
    }
    static const char *const f[] = {"F", "female", "女", "f"}, *const m[] = {"M", "male", "男", "m"};
    int k = (int)rng_below(r, ch == CH_APP ? 4 : 2);
    l_str(l, p->female ? f[k] : m[k]);
}

static void l_bool(struct line *l, rng *r, int yes)
{
    static const char *const y[] = {"1", "true", "是", "TRUE", "Y"}, *const n[] = {"0", "false", "否", "FALSE", "N"};
    static const unsigned w[] = {40, 25, 25, 5, 5};
    int k = PICK(r, w);
    l_str(l, yes ? y[k] : n[k]);
}

static void write_member_eshop(struct gen *g, struct person *p)
{
    rng *r = &p->r;
    struct line l = {.n = 0};
    l_customer_id(&l, p);
    l_ch(&l, ',');
    if (!rng_pm(r, 30))
        l_csv(&l, p->name);
    l_ch(&l, ',');
    if (p->row_phone[CH_ESHOP])
        l_phone(&l, p->phone, PICK(r, phone_style_w));
    l_ch(&l, ',');
    if (p->row_email[CH_ESHOP])
        l_email(&l, p);
    l_ch(&l, ',');
    l_gender(&l, p, CH_ESHOP);
    l_ch(&l, ',');
    if (!rng_pm(r, 150))
        l_birthday(&l, p, (int)rng_below(r, 3));
    l_ch(&l, ',');
    if (!rng_pm(r, 60))
        l_str(&l, rng_pm(r, 300) ? province_long[p->province] : provinces[p->province]);
    l_ch(&l, ',');
    l_time(&l, p->reg[CH_ESHOP], T_SLASH);
    l_ch(&l, ',');
    if (!rng_pm(r, 100))
        l_bool(&l, r, rng_pm(r, 550));
    l_ch(&l, ',');
    if (!rng_pm(r, 100))
        l_bool(&l, r, rng_pm(r, 400));
    l_end(&g->out[F_M_ESHOP], &l);
}

static void write_member_store(struct gen *g, struct person *p)
{
    rng *r = &p->r;
    struct line l = {.n = 0};
    l_card(&l, p);
    l_ch(&l, ',');
    if (!rng_pm(r, 50))
        l_csv(&l, p->name);
    l_ch(&l, ',');
    if (p->row_phone[CH_STORE])
        l_phone(&l, p->phone, PICK(r, phone_style_w));
    l_ch(&l, ',');
    l_gender(&l, p, CH_STORE);
    l_ch(&l, ',');
    if (!rng_pm(r, 250))
        l_birthday(&l, p, (int)rng_below(r, 3));
    l_ch(&l, ',');
    if (!rng_pm(r, 80))
        l_str(&l, rng_pm(r, 500) ? province_long[p->province] : provinces[p->province]);
    l_ch(&l, ',');
    l_time(&l, p->reg[CH_STORE], T_DATE);
    l_ch(&l, ',');
    l_str(&l, stores[p->home_store]);
    l_end(&g->out[F_M_STORE], &l);
}

static void write_member_mini(struct gen *g, struct person *p)
{
    rng *r = &p->r;
    struct line l = {.n = 0};
    l_openid(&l, p);
    l_ch(&l, ',');
    l_unionid(&l, p);
    l_ch(&l, ',');
    if (p->row_phone[CH_MINI])
        l_phone(&l, p->phone, PICK(r, phone_style_w));
    l_ch(&l, ',');
    l_time(&l, p->reg[CH_MINI], T_EPOCH);
    l_end(&g->out[F_M_MINI], &l);
}

static void l_json_bool(struct line *l, rng *r, int yes)
{
    switch (rng_below(r, 10)) {
    case 0:
        l_str(l, yes ? "1" : "0");
        break;
    case 1:
        l_str(l, yes ? "\"是\"" : "\"否\"");
        break;
    case 2:
        l_str(l, yes ? "\"true\"" : "\"false\"");
        break;
    default:
        l_str(l, yes ? "true" : "false");
        break;
    }
}

static void write_member_app(struct gen *g, struct person *p)
{
    rng *r = &p->r;
    struct line l = {.n = 0};
    l_ch(&l, '{');
    l_key(&l, "app_user_id", 1);
    l_uint(&l, app_user_id(p), 0);
    if (!rng_pm(r, 40)) {
        l_key(&l, "name", 0);
        l_json_str(&l, p->name);
    }
    struct line tmp = {.n = 0};
    if (p->row_phone[CH_APP]) {
        l_phone(&tmp, p->phone, PICK(r, phone_style_w));
        tmp.b[tmp.n] = 0;
        l_key(&l, "phone", 0);
        l_json_str(&l, tmp.b);
    } else if (rng_pm(r, 500)) {
        l_key(&l, "phone", 0);
        l_str(&l, rng_pm(r, 500) ? "null" : "\"\"");
    }
    if (p->row_email[CH_APP]) {
        tmp.n = 0;
        l_email(&tmp, p);
        tmp.b[tmp.n] = 0;
        l_key(&l, "email", 0);
        l_json_str(&l, tmp.b);
    } else if (rng_pm(r, 300)) {
        l_key(&l, "email", 0);
        l_str(&l, "null");
    }
    tmp.n = 0;
    l_gender(&tmp, p, CH_APP);
    tmp.b[tmp.n] = 0;
    l_key(&l, "gender", 0);
    if (tmp.n)
        l_json_str(&l, tmp.b);
    else
        l_str(&l, "null");
    if (!rng_pm(r, 200)) {
        tmp.n = 0;
        l_birthday(&tmp, p, (int)rng_below(r, 3));
        tmp.b[tmp.n] = 0;
        l_key(&l, "birthday", 0);
        l_json_str(&l, tmp.b);
    }
    l_key(&l, "registered_at", 0);
    l_ch(&l, '"');
    l_time(&l, p->reg[CH_APP], T_ISO8);
    l_ch(&l, '"');
    l_key(&l, "consent_sms", 0);
    l_json_bool(&l, r, rng_pm(r, 600));
    l_key(&l, "consent_email", 0);
    l_json_bool(&l, r, rng_pm(r, 450));
    l_key(&l, "consent_analytics", 0);
    l_json_bool(&l, r, rng_pm(r, 700));
    l_ch(&l, '}');
    l_end(&g->out[F_M_APP], &l);
}

static void write_members(struct gen *g, struct person *p)
{
    if (p->has[CH_ESHOP])
        write_member_eshop(g, p);
    if (p->has[CH_STORE])
        write_member_store(g, p);
    if (p->has[CH_MINI])
        write_member_mini(g, p);
    if (p->has[CH_APP])
        write_member_app(g, p);
    for (int c = 0; c < CH__COUNT; c++)
        g->truth->member_rows += p->has[c];
    g->truth->merged_members += p->split;
}

/* --- order times ------------------------------------------------------------------------- */

/* A local day in [dlo, dhi] drawn by the seasonal weights. */
static int64_t sample_day(const struct gen *g, rng *r, int64_t dlo, int64_t dhi)
{
    int64_t a = g->cum[dlo - g->day0], b = g->cum[dhi - g->day0 + 1];
    int64_t x = a + (int64_t)rng_below(r, (uint64_t)(b - a));
    int64_t lo = dlo - g->day0, hi = dhi - g->day0; /* first k with cum[k+1] > x */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (g->cum[mid + 1] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return g->day0 + lo;
}

/* Seconds into the local day: shops open 10–22, online peaks at lunch and late evening. */
static int64_t sample_sod(rng *r, int ch)
{
    static const unsigned online[24] = {4, 2, 1, 1, 1, 1, 2, 4, 6, 8, 9, 10, 13, 12, 9, 9, 9, 10, 11, 13, 16, 18, 16, 9};
    static const unsigned shop[24] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 9, 11, 10, 9, 10, 12, 13, 14, 15, 13, 9, 0, 0};
    int h = ch == CH_STORE ? PICK(r, shop) : PICK(r, online);
    return (int64_t)h * 3600 + rng_range(r, 0, 3600);
}

/* A time in [lo, hi) at a plausible hour of a uniformly drawn local day. */
static int64_t sample_time(rng *r, int64_t lo, int64_t hi)
{
    int64_t dlo = floor_div(lo + TZ, DAY), dhi = floor_div(hi - 1 + TZ, DAY);
    for (int tries = 0; tries < 8; tries++) {
        int64_t t = rng_range(r, dlo, dhi + 1) * DAY - TZ + sample_sod(r, CH_APP);
        if (t >= lo && t < hi)
            return t;
    }
    return rng_range(r, lo, hi);
}

static int order_cmp(const void *a, const void *b)
{
    const struct order *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->ch - y->ch;
}

static int order_count(struct person *p, int64_t lo)
{
    static const double per_year[SEG__COUNT] = {0, 0, 3.0, 9.0, 28.0};
    rng *r = &p->r;
    if (p->segment == SEG_NONE || p->active_hi <= lo)
        return 0;
    if (p->segment == SEG_ONCE)
        return 1;
    double years = (double)(p->active_hi - lo) / (365.25 * DAY);
    double e = per_year[p->segment] * years * (0.4 + 1.2 * rng_unit(r));
    int n = (int)e + (rng_unit(r) < e - (double)(int)e);
    return n > MAX_ORDERS ? MAX_ORDERS : n;
}

/* Draws the person's orders (time and channel), sorted by time, numbered per channel. */
static int person_orders(struct gen *g, struct person *p)
{
    rng *r = &p->r;
    int64_t lo = p->first_reg + 3600, hi = p->active_hi;
    int want = order_count(p, lo), n = 0;
    if (want == 0)
        return 0;
    int64_t dlo = floor_div(lo + TZ, DAY), dhi = floor_div(hi - 1 + TZ, DAY);
    for (int k = 0; k < want; k++) {
        for (int tries = 0; tries < 30; tries++) {
            int64_t day = sample_day(g, r, dlo, dhi);
            int w[CH__COUNT], total = 0;
            for (int c = 0; c < CH__COUNT; c++) {
                w[c] = p->has[c] && p->reg[c] + 3600 < (day + 1) * DAY - TZ ? p->chan_w[c] : 0;
                total += w[c];
            }
            if (!total)
                continue;
            int x = (int)rng_below(r, (uint64_t)total), ch = 0;
            while (x >= w[ch])
                x -= w[ch++];
            int64_t t = day * DAY - TZ + sample_sod(r, ch);
            if (t < lo || t >= hi || t < p->reg[ch] + 3600)
                continue;
            g->orders[n++] = (struct order){.t = t, .ch = ch};
            break;
        }
    }
    qsort(g->orders, (size_t)n, sizeof *g->orders, order_cmp);
    int seq[CH__COUNT] = {0};
    for (int k = 0; k < n; k++)
        g->orders[k].seq = seq[g->orders[k].ch]++;
    return n;
}

/* --- order rows and items ---------------------------------------------------------------- */

static void l_order_no(struct line *l, const struct person *p, const struct order *o)
{
    uint64_t x = (uint64_t)p->idx * 1000 + (uint64_t)o->seq;
    switch (o->ch) {
    case CH_ESHOP:
        l_ch(l, 'E');
        l_ymd(l, o->t, 0);
        l_uint(l, permute(x, 100000, 100000, 0xE5ull), 10);
        break;
    case CH_STORE:
        l_ch(l, 'S');
        l_uint(l, (uint64_t)p->home_store + 101, 3);
        l_ch(l, '-');
        l_ymd(l, o->t, 1);
        l_ch(l, '-');
        l_uint(l, permute(x, 100000, 100000, 0x505053ull), 10);
        break;
    case CH_MINI:
        l_str(l, "WX");
        l_time(l, o->t, T_COMPACT);
        l_uint(l, permute(x, 100000, 100000, 0x5758ull), 10);
        break;
    default:
        l_str(l, "APP");
        l_ymd(l, o->t, 1);
        l_uint(l, permute(x, 100000, 100000, 0xA99ull), 10);
        break;
    }
}

/* Items of one order; returns their total (the order amount). */
static int64_t make_items(struct gen *g, struct person *p, struct item_line *it, int *nlines)
{
    static const unsigned lines_w[MAX_LINES] = {48, 26, 14, 8, 4};
    static const unsigned qty_w[5] = {72, 17, 6, 3, 2};
    rng *r = &p->r;
    int n = 1 + PICK(r, lines_w);
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        int cat = rng_pm(r, 600) ? p->cat_pref[rng_below(r, 2)] : (int)rng_below(r, NCAT);
        const struct sku *s = NULL;
        for (int tries = 0; tries < 4; tries++) { /* popular SKUs sell more; avoid repeats */
            uint64_t u = rng_below(r, SKU_PER_CAT);
            s = &g->catalog[cat][u * rng_below(r, SKU_PER_CAT) / SKU_PER_CAT];
            int seen = 0;
            for (int j = 0; j < i; j++)
                seen |= it[j].sku == s;
            if (!seen)
                break;
        }
        int64_t unit = s->price;
        if (rng_pm(r, 120)) /* promotion: 80% of list, to the 10 fen */
            unit = unit * 8 / 100 * 10;
        it[i] = (struct item_line){.sku = s, .cat = cat, .qty = 1 + PICK(r, qty_w), .unit = unit};
        total += it[i].qty * unit;
    }
    *nlines = n;
    return total;
}

static void write_items(struct gen *g, const struct line *order_no, const struct item_line *it, int n)
{
    for (int i = 0; i < n; i++) {
        struct line l = {.n = 0};
        l_mem(&l, order_no->b, order_no->n);
        l_ch(&l, ',');
        l_uint(&l, (uint64_t)i + 1, 0);
        l_ch(&l, ',');
        l_str(&l, it[i].sku->code);
        l_ch(&l, ',');
        l_str(&l, categories[it[i].cat].name);
        l_ch(&l, ',');
        l_int(&l, it[i].qty);
        l_ch(&l, ',');
        l_money(&l, it[i].unit, M_PLAIN);
        l_end(&g->out[F_ITEMS], &l);
    }
    g->truth->items += n;
}

/* The amount field of a malformed or a valid row. */
static void l_amount(struct line *l, int64_t cents, int bad, int style)
{
    if (bad == 1)
        l_str(l, "abc");
    else if (bad == 2)
        l_str(l, "12.345");
    else
        l_money(l, cents, style);
}

static const char BAD_DATE[] = "2025-13-45 10:00:00";

static void write_order_eshop(struct gen *g, struct person *p, const struct order *o, const struct line *no,
                              int64_t cents)
{
    static const unsigned status_w[] = {930, 45, 25};
    static const char *const status[] = {"paid", "refunded", "cancelled"};
    rng *r = &p->r;
    struct line l = {.n = 0};
    l_mem(&l, no->b, no->n);
    l_ch(&l, ',');
    l_customer_id(&l, p);
    l_ch(&l, ',');
    if (o->bad == 3)
        l_str(&l, BAD_DATE);
    else
        l_time(&l, o->t, rng_pm(r, 850) ? T_DASH : T_ISO8);
    l_ch(&l, ',');
    l_amount(&l, cents, o->bad, M_PLAIN);
    l_ch(&l, ',');
    l_str(&l, status[PICK(r, status_w)]);
    l_end(&g->out[F_O_ESHOP], &l);
}

static void write_order_store(struct gen *g, struct person *p, const struct order *o, const struct line *no,
                              int64_t cents)
{
    static const unsigned money_w[] = {20, 70, 10, 0};
    rng *r = &p->r;
    struct line l = {.n = 0}, amount = {.n = 0};
    l_mem(&l, no->b, no->n);
    l_ch(&l, ',');
    l_card(&l, p);
    l_ch(&l, ',');
    if (o->bad == 3)
        l_str(&l, BAD_DATE);
    else
        l_time(&l, o->t, rng_pm(r, 900) ? T_SLASH : T_DASH);
    l_ch(&l, ',');
    l_amount(&amount, cents, o->bad, PICK(r, money_w));
    amount.b[amount.n] = 0;
    l_csv(&l, amount.b);
    l_ch(&l, ',');
    l_str(&l, stores[rng_pm(r, 800) ? p->home_store : (int)rng_below(r, (uint64_t)NELEM(stores))]);
    l_ch(&l, '\n');
    out_write(&g->out[F_O_STORE], l.b, l.n);
    if (o->dup == 2) { /* the POS exported the row twice */
        out_write(&g->out[F_O_STORE], l.b, l.n);
        g->truth->duplicate_orders++;
    }
}

static void write_order_mini(struct gen *g, struct person *p, const struct order *o, const struct line *no,
                             int64_t cents)
{
    rng *r = &p->r;
    struct line l = {.n = 0};
    l_mem(&l, no->b, no->n);
    l_ch(&l, ',');
    l_openid(&l, p);
    l_ch(&l, ',');
    if (o->bad == 3)
        l_str(&l, BAD_DATE);
    else
        l_time(&l, o->t, rng_pm(r, 800) ? T_EPOCH : T_EPOCH_MS);
    l_ch(&l, ',');
    l_amount(&l, cents, o->bad, M_SHORT);
    l_end(&g->out[F_O_MINI], &l);
}

/* An app order row; also used for eshop orders the app re-exports (same order number). */
static void write_order_app(struct gen *g, struct person *p, const struct order *o, const struct line *no,
                            int64_t cents)
{
    rng *r = &p->r;
    struct line l = {.n = 0};
    l_ch(&l, '{');
    l_key(&l, "order_no", 1);
    l_ch(&l, '"');
    l_mem(&l, no->b, no->n);
    l_ch(&l, '"');
    l_key(&l, "app_user_id", 0);
    if (rng_pm(r, 600)) {
        l_uint(&l, app_user_id(p), 0);
    } else {
        l_ch(&l, '"');
        l_uint(&l, app_user_id(p), 0);
        l_ch(&l, '"');
    }
    l_key(&l, "ts", 0);
    l_ch(&l, '"');
    if (o->bad == 3)
        l_str(&l, BAD_DATE);
    else
        l_time(&l, o->t, rng_pm(r, 700) ? T_ISO8 : T_ISOZ);
    l_ch(&l, '"');
    l_key(&l, "amount", 0);
    if (!o->bad && cents % 100 == 0 && rng_pm(r, 700)) {
        l_int(&l, cents / 100);
    } else {
        l_ch(&l, '"');
        l_amount(&l, cents, o->bad, M_PLAIN);
        l_ch(&l, '"');
    }
    l_ch(&l, '}');
    l_end(&g->out[F_O_APP], &l);
}

static void write_orders(struct gen *g, struct person *p, int n)
{
    rng *r = &p->r;
    for (int k = 0; k < n; k++) {
        struct order *o = &g->orders[k];
        struct line no = {.n = 0};
        l_order_no(&no, p, o);
        o->bad = rng_pm(r, 1) ? 1 + (int)rng_below(r, 3) : 0;
        if (!o->bad && o->ch == CH_ESHOP && p->has[CH_APP] && o->t >= p->reg[CH_APP] && rng_pm(r, 80))
            o->dup = 1;
        if (!o->bad && o->ch == CH_STORE && rng_pm(r, 30))
            o->dup = 2;
        struct item_line it[MAX_LINES];
        int nlines = 0;
        int64_t cents;
        if (o->bad)
            cents = 100 * rng_range(r, 10, 2000);
        else
            cents = make_items(g, p, it, &nlines);
        switch (o->ch) {
        case CH_ESHOP:
            write_order_eshop(g, p, o, &no, cents);
            break;
        case CH_STORE:
            write_order_store(g, p, o, &no, cents);
            break;
        case CH_MINI:
            write_order_mini(g, p, o, &no, cents);
            break;
        default:
            write_order_app(g, p, o, &no, cents);
            break;
        }
        if (o->dup == 1) {
            write_order_app(g, p, o, &no, cents);
            g->truth->duplicate_orders++;
        }
        if (o->bad) {
            g->truth->rejected_orders++;
            continue;
        }
        write_items(g, &no, it, nlines);
        g->truth->orders++;
        g->truth->order_cents += cents;
    }
}

/* --- events and surveys ------------------------------------------------------------------ */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void write_events(struct gen *g, struct person *p)
{
    static const int base[SEG__COUNT] = {4, 4, 10, 24, 50};
    static const unsigned kind_w[] = {55, 20, 12, 13};
    static const char *const kinds[] = {"view", "checkin", "share", "review"};
    static const unsigned stars_w[] = {4, 6, 15, 35, 40};
    rng *r = &p->r;
    if (!p->has[CH_APP])
        return;
    int64_t lo = p->reg[CH_APP] + 600, hi = p->active_hi + 30 * DAY;
    if (hi > g->end - 3600)
        hi = g->end - 3600;
    if (hi <= lo)
        return;
    int n = (int)((double)base[p->segment] * (0.2 + 1.6 * rng_unit(r)));
    if (n > MAX_EVENTS)
        n = MAX_EVENTS;
    for (int i = 0; i < n; i++)
        g->ev_t[i] = sample_time(r, lo, hi);
    qsort(g->ev_t, (size_t)n, sizeof *g->ev_t, cmp_i64);
    for (int i = 1; i < n; i++) /* one event per second: (member, kind, time) stays unique */
        if (g->ev_t[i] <= g->ev_t[i - 1])
            g->ev_t[i] = g->ev_t[i - 1] + 1;
    for (int i = 0; i < n && g->ev_t[i] < g->end; i++) {
        int k = PICK(r, kind_w);
        struct line l = {.n = 0};
        l_uint(&l, app_user_id(p), 0);
        l_ch(&l, ',');
        l_str(&l, kinds[k]);
        l_ch(&l, ',');
        l_time(&l, g->ev_t[i], p->zoned_events ? T_ISO8 : T_DASH);
        l_ch(&l, ',');
        if (k == 3)
            l_uint(&l, 1 + (uint64_t)PICK(r, stars_w), 0);
        l_end(&g->out[F_EVENTS], &l);
        g->truth->events++;
    }
}

static void write_survey_row(struct gen *g, struct person *p, int64_t t)
{
    static const unsigned promoter_w[11] = {1, 1, 1, 2, 2, 5, 6, 12, 22, 22, 26};
    static const unsigned churned_w[11] = {6, 4, 5, 7, 8, 12, 12, 14, 14, 9, 9};
    rng *r = &p->r;
    struct line l = {.n = 0}, ph = {.n = 0};
    l_phone(&ph, p->phone, PICK(r, phone_style_w));
    ph.b[ph.n] = 0;
    l_csv(&l, ph.b);
    l_ch(&l, ',');
    l_uint(&l, (uint64_t)(p->churned ? PICK(r, churned_w) : PICK(r, promoter_w)), 0);
    l_ch(&l, ',');
    l_time(&l, t, rng_pm(r, 700) ? T_DASH : T_ISO8);
    l_str(&l, ",nps");
    l_end(&g->out[F_NPS], &l);
    g->truth->surveys++;
}

/* NPS answers come only from people a member row knows by phone. */
static void write_surveys(struct gen *g, struct person *p)
{
    rng *r = &p->r;
    int64_t known = INT64_MAX;
    for (int c = 0; c < CH__COUNT; c++)
        if (p->has[c] && p->row_phone[c] && p->reg[c] < known)
            known = p->reg[c];
    if (known == INT64_MAX || !rng_pm(r, p->segment >= SEG_REGULAR ? 160 : 80))
        return;
    int64_t lo = known + DAY, hi = g->end - 3600;
    if (hi <= lo)
        return;
    int64_t t = sample_time(r, lo, hi);
    write_survey_row(g, p, t);
    if (rng_pm(r, 150) && t + 40 * DAY < hi) /* asked again a season later */
        write_survey_row(g, p, sample_time(r, t + 40 * DAY, hi));
}

/* --- set-up and teardown ----------------------------------------------------------------- */

static void make_catalog(struct gen *g)
{
    rng r;
    rng_seed(&r, g->seed ^ 0xC0FFEE1234567890ull);
    static const int64_t endings[] = {90, 0, 50, 99, 80};
    for (int c = 0; c < NCAT; c++)
        for (int k = 0; k < SKU_PER_CAT; k++) {
            struct sku *s = &g->catalog[c][k];
            double u = rng_unit(&r);
            int64_t span = categories[c].hi - categories[c].lo;
            int64_t price = categories[c].lo + (int64_t)((double)span * u * u * u);
            s->price = price / 100 * 100 + endings[rng_below(&r, 5)];
            snprintf(s->code, sizeof s->code, "%s-%05d", categories[c].code, 10000 + c * 1000 + k * 7 % 1000);
        }
}

static int set_window(struct gen *g)
{
    g->day0 = floor_div(g->start + TZ, DAY);
    int64_t dlast = floor_div(g->end - 1 + TZ, DAY);
    g->ndays = dlast - g->day0 + 1;
    g->cum = malloc((size_t)(g->ndays + 1) * sizeof *g->cum);
    if (!g->cum)
        return PT_ENOMEM;
    g->cum[0] = 0;
    for (int64_t k = 0; k < g->ndays; k++)
        g->cum[k + 1] = g->cum[k] + day_weight(g->day0 + k);
    return PT_OK;
}

static int mkdir_p(const char *dir, char *errmsg, size_t errlen)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        snprintf(errmsg, errlen, "output directory path too long");
        return PT_EINVAL;
    }
    for (char *s = path + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            snprintf(errmsg, errlen, "cannot create directory %s: %s", path, strerror(errno));
            return PT_EIO;
        }
        *s = '/';
    }
    struct stat st;
    if (mkdir(path, 0755) != 0) {
        int e = errno;
        if (e != EEXIST || stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
            snprintf(errmsg, errlen, "cannot create directory %s: %s", path, strerror(e == EEXIST ? ENOTDIR : e));
            return PT_EIO;
        }
    }
    return PT_OK;
}

static int open_files(struct gen *g, const char *dir, char *errmsg, size_t errlen)
{
    for (int i = 0; i < F__COUNT; i++) {
        struct out *o = &g->out[i];
        snprintf(o->path, sizeof o->path, "%s/%s", dir, PT_DEMO_FILES[i].file);
        o->buf = malloc(OUT_CAP);
        if (!o->buf) {
            snprintf(errmsg, errlen, "out of memory");
            return PT_ENOMEM;
        }
        o->f = fopen(o->path, "wb");
        if (!o->f) {
            snprintf(errmsg, errlen, "cannot create %s: %s", o->path, strerror(errno));
            return PT_EIO;
        }
        if (file_header[i]) {
            out_write(o, file_header[i], strlen(file_header[i]));
            out_write(o, "\n", 1);
        }
    }
    return PT_OK;
}

static int write_failed(const struct gen *g)
{
    for (int i = 0; i < F__COUNT; i++)
        if (g->out[i].err)
            return 1;
    return 0;
}

/* Flushes and closes every file; the first failure names its file. */
static int close_files(struct gen *g, int rc, char *errmsg, size_t errlen)
{
    for (int i = 0; i < F__COUNT; i++) {
        struct out *o = &g->out[i];
        if (o->f) {
            errno = 0;
            out_flush(o);
            if (fclose(o->f) != 0 && !o->err)
                o->err = errno ? errno : EIO;
            o->f = NULL;
            if (o->err && rc == PT_OK) {
                snprintf(errmsg, errlen, "cannot write %s: %s", o->path, strerror(o->err));
                rc = PT_EIO;
            }
        }
        free(o->buf);
        o->buf = NULL;
    }
    return rc;
}

static int write_truth(const struct gen *g, const char *dir, char *errmsg, size_t errlen)
{
    const pt_demo_truth *t = g->truth;
    char path[4200];
    snprintf(path, sizeof path, "%s/demo-truth.json", dir);
    json_t *j = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "seed", (json_int_t)g->seed,
                          "members", (json_int_t)g->members, "people", (json_int_t)t->people, "member_rows",
                          (json_int_t)t->member_rows, "merged_members", (json_int_t)t->merged_members,
                          "duplicate_orders", (json_int_t)t->duplicate_orders, "rejected_orders",
                          (json_int_t)t->rejected_orders, "orders", (json_int_t)t->orders, "order_cents",
                          (json_int_t)t->order_cents, "items", (json_int_t)t->items, "events",
                          (json_int_t)t->events, "surveys", (json_int_t)t->surveys);
    if (!j) {
        snprintf(errmsg, errlen, "out of memory");
        return PT_ENOMEM;
    }
    int rc = json_dump_file(j, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (rc != 0) {
        snprintf(errmsg, errlen, "cannot write %s", path);
        return PT_EIO;
    }
    return PT_OK;
}

static int check_opts(const pt_demo_opts *o, char *errmsg, size_t errlen)
{
    if (!o || !o->out_dir || !o->out_dir[0]) {
        snprintf(errmsg, errlen, "an output directory is required");
        return PT_EINVAL;
    }
    if (o->members < 0 || o->members > DEMO_MAX_MEMBERS) {
        snprintf(errmsg, errlen, "members must be from 1 to %d", DEMO_MAX_MEMBERS);
        return PT_EINVAL;
    }
    if (o->months < 0 || o->months > 240) {
        snprintf(errmsg, errlen, "months must be from 1 to 240");
        return PT_EINVAL;
    }
    if (o->end_at < 0 || (o->end_at && o->end_at < 315532800)) { /* 1980-01-01 */
        snprintf(errmsg, errlen, "end_at must be a UTC epoch time after 1980");
        return PT_EINVAL;
    }
    return PT_OK;
}

int pt_demo_generate(const pt_demo_opts *opts, pt_demo_truth *truth, char *errmsg, size_t errmsg_len)
{
    char dummy[8];
    if (!errmsg || !errmsg_len) {
        errmsg = dummy;
        errmsg_len = sizeof dummy;
    }
    errmsg[0] = 0;
    int rc = check_opts(opts, errmsg, errmsg_len);
    if (rc)
        return rc;
    pt_demo_truth local;
    if (!truth)
        truth = &local;
    memset(truth, 0, sizeof *truth);
    struct gen *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(errmsg, errmsg_len, "out of memory");
        return PT_ENOMEM;
    }
    g->truth = truth;
    g->seed = opts->seed ? opts->seed : DEMO_DEFAULT_SEED;
    g->members = opts->members ? opts->members : DEMO_DEFAULT_MEMBERS;
    g->end = opts->end_at ? opts->end_at : DEMO_DEFAULT_END;
    g->start = g->end - (int64_t)(opts->months ? opts->months : DEMO_DEFAULT_MONTHS) * 2629746; /* mean month */
    if (g->start < 366 * DAY) {
        snprintf(errmsg, errmsg_len, "the simulated months must start after 1970 (end_at too early)");
        free(g);
        return PT_EINVAL;
    }
    make_catalog(g);
    rc = set_window(g);
    if (rc)
        snprintf(errmsg, errmsg_len, "out of memory");
    if (rc == PT_OK)
        rc = mkdir_p(opts->out_dir, errmsg, errmsg_len);
    if (rc == PT_OK)
        rc = open_files(g, opts->out_dir, errmsg, errmsg_len);
    for (int64_t i = 0; rc == PT_OK && i < g->members; i++) {
        struct person p;
        person_make(g, i, &p);
        write_members(g, &p);
        write_orders(g, &p, person_orders(g, &p));
        write_events(g, &p);
        write_surveys(g, &p);
        truth->people++;
        if ((i & 4095) != 4095)
            continue;
        if (opts->progress)
            opts->progress(opts->progress_ud, i + 1, g->members);
        if (write_failed(g))
            break; /* close_files reports which file */
    }
    rc = close_files(g, rc, errmsg, errmsg_len);
    if (rc == PT_OK)
        rc = write_truth(g, opts->out_dir, errmsg, errmsg_len);
    if (rc == PT_OK && opts->progress)
        opts->progress(opts->progress_ud, g->members, g->members);
    free(g->cum);
    free(g);
    return rc;
}

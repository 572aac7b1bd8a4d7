/* cmd_points.c — `patron points …`: earn, redeem, refund, adjust, balance, history, lots,
 * expire, verify, preview. Thin over ledger.h: parse flags, call, print (text or --json).
 *
 * MEMBER is a member number, or a numeric member id. Writes take --key (the idempotency key);
 * repeating a command with the same key prints the first result again and changes nothing.
 */
#include "cli.h"
#include "patron/error.h"
#include "patron/ledger.h"
#include "patron/member.h"
#include "patron/reward.h"
#include "patron/store_ledger.h"
#include "patron/tz.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct points_args {
    const char *sub;
    const char *key, *note, *actor, *ref, *as_of, *at;
    int64_t     amount_cents;
    int         lines[64];
    size_t      nlines;
    int         json;
    char      **pos;          /* positional arguments after the subcommand */
    int         npos;
};

static void points_usage(void)
{
    printf("usage: patron points SUBCOMMAND [arguments] [options]\n"
           "\n"
           "  earn MEMBER POINTS --key K     give points outright (a new lot, available at once)\n"
           "  earn --order ORDER_NO [--key K] points an imported order earns under the programme rules\n"
           "  redeem MEMBER POINTS --key K [--ref WHAT]   spend points (soonest-expiring lots first)\n"
           "  pay MEMBER POINTS --amount-cents N --ref ORDER --key K   points as payment at checkout,\n"
           "                                within the programme's cap per order\n"
           "  refund ORDER_NO --key K [--line N]...     reverse what the refunded lines earned\n"
           "  adjust MEMBER ±POINTS --key K --reason R --operator NAME   correct a balance\n"
           "  balance MEMBER                available, pending, debt, growth value and tier\n"
           "  history MEMBER                every ledger entry, oldest first\n"
           "  lots MEMBER                   the member's lots with their expiry and remainder\n"
           "  expire [--as-of DATE]         release pending points and expire lots due by DATE\n"
           "                                (default now); running it twice changes nothing\n"
           "  birthday [--as-of DATE]       give this month's birthday gifts (tier benefit), once a year\n"
           "  verify                        check every ledger invariant; exit 1 naming what broke\n"
           "  preview ORDER.json            what an order would earn and why, without writing\n"
           "\n"
           "options: --json (machine-readable output), --at DATE (business time of a write),\n"
           "         --note TEXT (reason; never personal data), --operator NAME\n"
           "MEMBER is a member number or a numeric member id. DATE is YYYY-MM-DD[THH:MM:SS] in the\n"
           "programme's time zone, or @EPOCH.\n"
           "preview reads {\"member\": \"NO\", \"at\": \"DATE\", \"lines\": [{\"line_no\":1, \"sku\":\"…\",\n"
           "\"category\":\"…\", \"amount_cents\": 1999}, …]}.\n");
}

static int parse_args(int argc, char **argv, struct points_args *a)
{
    static const struct option opts[] = {
        {"key", required_argument, 0, 'k'},    {"note", required_argument, 0, 'n'},
        {"reason", required_argument, 0, 'n'}, {"operator", required_argument, 0, 'o'},
        {"ref", required_argument, 0, 'r'},    {"as-of", required_argument, 0, 'a'},
        {"at", required_argument, 0, 't'},     {"line", required_argument, 0, 'l'},
        {"order", required_argument, 0, 'O'},  {"json", no_argument, 0, 'j'},
        {"amount-cents", required_argument, 0, 'c'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': a->key = optarg; break;
        case 'n': a->note = optarg; break;
        case 'o': a->actor = optarg; break;
        case 'r': a->ref = optarg; break;
        case 'a': a->as_of = optarg; break;
        case 't': a->at = optarg; break;
        case 'O': a->ref = optarg; a->sub = "earn-order"; break;
        case 'l':
            if (a->nlines == sizeof a->lines / sizeof *a->lines || atoi(optarg) <= 0) {
                cli_error("--line takes a line number ≥ 1 (at most 64 lines)");
                return EXIT_USAGE;
            }
            a->lines[a->nlines++] = atoi(optarg);
            break;
        case 'j': a->json = 1; break;
        case 'c': a->amount_cents = strtoll(optarg, NULL, 10); break;
        case 'h': points_usage(); return -1;
        default: return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        points_usage();
        return EXIT_USAGE;
    }
    if (!a->sub || strcmp(argv[optind], "earn") != 0)
        a->sub = argv[optind];
    a->pos = argv + optind + 1;
    a->npos = argc - optind - 1;
    return EXIT_OK;
}

/* A member number, or a numeric id; prints why not. */
static int member_arg(pt_db *db, const char *arg, int64_t *id)
{
    int rc = pt_member_id_of_no(db, arg, id);
    if (rc == PT_ENOTFOUND && arg[0] >= '0' && arg[0] <= '9' && strspn(arg, "0123456789") == strlen(arg)) {
        *id = strtoll(arg, NULL, 10);
        return PT_OK;
    }
    if (rc)
        cli_error("%s", pt_db_errmsg(db));
    return rc;
}

static int parse_points(const char *s, int64_t *v)
{
    char *end;
    long long x = strtoll(s, &end, 10);
    if (!*s || *end) {
        cli_error("'%s' is not a whole number of points", s);
        return EXIT_USAGE;
    }
    *v = x;
    return EXIT_OK;
}

/* DATE (local to the programme zone) or @EPOCH → UTC epoch s. */
static int parse_when(const pt_programme *p, const char *s, int64_t *t)
{
    if (s[0] == '@') {
        *t = strtoll(s + 1, NULL, 10);
        return EXIT_OK;
    }
    pt_civil c = {0};
    int n = sscanf(s, "%d-%d-%dT%d:%d:%d", &c.year, &c.month, &c.day, &c.hour, &c.min, &c.sec);
    if ((n != 3 && n != 6) || pt_tz_utc(p->timezone, &c, t) != PT_OK) {
        cli_error("'%s' is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS in %s, or @EPOCH)", s, p->timezone);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static void print_result(const struct points_args *a, const pt_ledger_result *r)
{
    if (a->json) {
        /* a replay prints exactly what the first call printed (a retry cannot tell them apart) */
        json_t *j = json_pack("{sI sI sI sI sI sI sI sI ss}", "member_id", (json_int_t)r->member_id, "entry_id",
                              (json_int_t)r->entry_id, "points", (json_int_t)r->points, "balance",
                              (json_int_t)r->balance, "pending", (json_int_t)r->pending, "debt", (json_int_t)r->debt,
                              "overdraft", (json_int_t)r->overdraft, "growth", (json_int_t)r->growth, "tier",
                              r->tier);
        if (r->lot_id)
            json_object_set_new(j, "lot", json_pack("{sI sI sI}", "id", (json_int_t)r->lot_id, "expires_at",
                                                    (json_int_t)r->expires_at, "available_at",
                                                    (json_int_t)r->available_at));
        char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        printf("%s\n", s);
        free(s);
        json_decref(j);
        return;
    }
    printf("%s%+lld points; balance %s, pending %s", r->replayed ? "(already applied) " : "", (long long)r->points,
           cli_num(r->balance), cli_num(r->pending));
    if (r->debt)
        printf(", debt %s", cli_num(r->debt));
    if (r->overdraft)
        printf(", overdraft %s", cli_num(r->overdraft));
    printf("; tier %s\n", r->tier);
}

static int need(const struct points_args *a, int npos, const char *what)
{
    if (a->npos != npos) {
        cli_error("points %s takes %s (see patron points --help)", a->sub, what);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static int write_done(pt_ledger *l, const struct points_args *a, int rc, const pt_ledger_result *r)
{
    if (rc) {
        cli_error("%s", pt_ledger_errmsg(l));
        return cli_exit_for(rc);
    }
    print_result(a, r);
    return EXIT_OK;
}

static int req_of(pt_ledger *l, const struct points_args *a, pt_ledger_req *req)
{
    *req = (pt_ledger_req){.idem_key = a->key, .actor = a->actor, .note = a->note, .ref = a->ref};
    if (a->at)
        return parse_when(pt_ledger_programme(l), a->at, &req->at);
    return EXIT_OK;
}

static int points_earn(pt_db *db, pt_ledger *l, const struct points_args *a)
{
    int64_t member, points;
    pt_ledger_req req;
    int code = need(a, 2, "MEMBER POINTS --key KEY");
    if (!code && !a->key) {
        cli_error("points earn needs --key KEY (an idempotency key: the same key never applies twice)");
        code = EXIT_USAGE;
    }
    if (code || (code = parse_points(a->pos[1], &points)) || (code = req_of(l, a, &req)))
        return code;
    if (member_arg(db, a->pos[0], &member))
        return EXIT_NOTFOUND;
    pt_ledger_result r;
    return write_done(l, a, pt_ledger_earn(l, member, points, &req, &r), &r);
}

static int points_earn_order(pt_db *db, pt_ledger *l, const struct points_args *a)
{
    (void)db;
    pt_ledger_req req;
    int code = req_of(l, a, &req);
    if (code)
        return code;
    req.ref = NULL;
    pt_ledger_result r;
    int rc = pt_ledger_earn_order(l, a->ref, &req, &r, NULL);
    if (rc == PT_OK && !r.replayed && (rc = pt_referral_on_first_purchase(l, r.member_id, NULL)) != PT_OK) {
        cli_error("the order earned its points, but the referral reward failed: %s", pt_ledger_errmsg(l));
        return cli_exit_for(rc);
    }
    return write_done(l, a, rc, &r);
}

static int points_redeem(pt_db *db, pt_ledger *l, const struct points_args *a)
{
    int64_t member, points;
    pt_ledger_req req;
    int code = need(a, 2, "MEMBER POINTS --key KEY");
    if (code || (code = parse_points(a->pos[1], &points)) || (code = req_of(l, a, &req)))
        return code;
    if (member_arg(db, a->pos[0], &member))
        return EXIT_NOTFOUND;
    pt_ledger_result r;
    return write_done(l, a, pt_ledger_redeem(l, member, points, &req, &r), &r);
}

static int points_pay(pt_db *db, pt_ledger *l, const struct points_args *a)
{
    int64_t member, points, value = 0;
    pt_ledger_req req;
    int code = need(a, 2, "MEMBER POINTS --amount-cents N --ref ORDER --key KEY");
    if (code || (code = parse_points(a->pos[1], &points)) || (code = req_of(l, a, &req)))
        return code;
    if (member_arg(db, a->pos[0], &member))
        return EXIT_NOTFOUND;
    pt_ledger_result r;
    int rc = pt_ledger_pay(l, member, points, a->amount_cents, &req, &r, &value);
    if (rc == PT_OK && !a->json)
        printf("paid %s of the order with %s points\n", cli_money(value), cli_num(points));
    return write_done(l, a, rc, &r);
}

static int points_refund(pt_db *db, pt_ledger *l, const struct points_args *a)
{
    (void)db;
    pt_ledger_req req;
    int code = need(a, 1, "ORDER_NO --key KEY [--line N]...");
    if (code || (code = req_of(l, a, &req)))
        return code;
    pt_ledger_result r;
    return write_done(l, a, pt_ledger_refund(l, a->pos[0], a->lines, a->nlines, &req, &r), &r);
}

static int points_adjust(pt_db *db, pt_ledger *l, const struct points_args *a)
{
    int64_t member, delta;
    pt_ledger_req req;
    int code = need(a, 2, "MEMBER ±POINTS --key KEY --reason TEXT --operator NAME");
    if (code || (code = parse_points(a->pos[1], &delta)) || (code = req_of(l, a, &req)))
        return code;
    if (member_arg(db, a->pos[0], &member))
        return EXIT_NOTFOUND;
    pt_ledger_result r;
    return write_done(l, a, pt_ledger_adjust(l, member, delta, &req, &r), &r);
}

static int points_balance(pt_db *db, pt_ledger *l, const struct points_args *a)
{
    int64_t member;
    int code = need(a, 1, "MEMBER");
    if (code)
        return code;
    if (member_arg(db, a->pos[0], &member))
        return EXIT_NOTFOUND;
    pt_account_rec acct;
    int rc = pt_ledger_account(l, member, &acct);
    if (rc == PT_ENOTFOUND) { /* no activity yet: a zero balance, not an error */
        memset(&acct, 0, sizeof acct);
        snprintf(acct.tier, sizeof acct.tier, "%s", pt_ledger_programme(l)->tiers[0].code);
    } else if (rc) {
        cli_error("%s", pt_ledger_errmsg(l));
        return cli_exit_for(rc);
    }
    if (a->json) {
        printf("{\"member_id\":%lld,\"balance\":%lld,\"pending\":%lld,\"debt\":%lld,\"overdraft\":%lld,"
               "\"growth\":%lld,\"tier\":\"%s\",\"review_at\":%lld}\n",
               (long long)member, (long long)acct.balance, (long long)acct.pending, (long long)acct.debt,
               (long long)acct.overdraft, (long long)acct.growth, acct.tier, (long long)acct.review_at);
        return EXIT_OK;
    }
    printf("balance   %s\npending   %s\n", cli_num(acct.balance), cli_num(acct.pending));
    if (acct.debt || acct.overdraft)
        printf("debt      %s\noverdraft %s\n", cli_num(acct.debt), cli_num(acct.overdraft));
    printf("growth    %s\ntier      %s\n", cli_num(acct.growth), acct.tier);
    return EXIT_OK;
}

struct list_ctx {
    const struct points_args *a;
    const pt_programme       *p;
    json_t                   *arr;
};

static const char *local_time(const pt_programme *p, int64_t t)
{
    static char buf[4][32];
    static int n;
    char *b = buf[n++ % 4];
    pt_civil c;
    if (t == 0)
        return "never";
    if (pt_tz_civil(p->timezone, t, &c))
        snprintf(b, 32, "@%lld", (long long)t);
    else
        snprintf(b, 32, "%04d-%02d-%02d %02d:%02d", c.year, c.month, c.day, c.hour, c.min);
    return b;
}

static int print_entry(void *ud, const pt_entry_rec *e)
{
    struct list_ctx *c = ud;
    if (c->arr) {
        json_array_append_new(c->arr, json_pack("{sI ss ss sI sI sI sI sI ss ss ss}", "id", (json_int_t)e->id, "kind",
                                                pt_entry_kind_name(e->kind), "bucket",
                                                e->bucket == PT_BUCKET_PENDING ? "pending" : "available", "points",
                                                (json_int_t)e->points, "growth", (json_int_t)e->growth, "at",
                                                (json_int_t)e->at, "lot", (json_int_t)e->lot_id, "order",
                                                (json_int_t)e->order_id, "ref", e->ref, "note", e->note, "actor",
                                                e->actor));
        return PT_OK;
    }
    printf("%8lld  %-16s  %-8s %-9s %+9lld  %-12s %s\n", (long long)e->id, local_time(c->p, e->at),
           pt_entry_kind_name(e->kind), e->bucket == PT_BUCKET_PENDING ? "pending" : "available",
           (long long)e->points, e->ref, e->note);
    return PT_OK;
}

static int print_lot(void *ud, const pt_lot_rec *r)
{
    struct list_ctx *c = ud;
    if (c->arr) {
        json_array_append_new(c->arr, json_pack("{sI ss sI sI sI sI sI sI}", "id", (json_int_t)r->id, "state",
                                                pt_lot_state_name(r->state), "points", (json_int_t)r->points,
                                                "remaining", (json_int_t)r->remaining, "earned_at",
                                                (json_int_t)r->earned_at, "available_at", (json_int_t)r->available_at,
                                                "expires_at", (json_int_t)r->expires_at, "order",
                                                (json_int_t)r->order_id));
        return PT_OK;
    }
    printf("%8lld  %-9s %9lld %9lld  earned %s  expires %s\n", (long long)r->id, pt_lot_state_name(r->state),
           (long long)r->points, (long long)r->remaining, local_time(c->p, r->earned_at),
           local_time(c->p, r->expires_at));
    return PT_OK;
}

static int points_list(pt_db *db, pt_ledger *l, const struct points_args *a)
{
    int64_t member;
    int code = need(a, 1, "MEMBER");
    if (code)
        return code;
    if (member_arg(db, a->pos[0], &member))
        return EXIT_NOTFOUND;
    struct list_ctx c = {a, pt_ledger_programme(l), a->json ? json_array() : NULL};
    int lots = strcmp(a->sub, "lots") == 0;
    if (!a->json)
        printf("%s", lots ? "     lot  state        points remaining\n"
                          : "   entry  at                kind     bucket       points  ref          note\n");
    int rc = lots ? pt_store_lot_list(pt_db_store(db), member, 0, print_lot, &c)
                  : pt_store_entry_list(pt_db_store(db), member, print_entry, &c);
    if (rc == PT_OK && c.arr) {
        char *s = json_dumps(c.arr, JSON_COMPACT);
        printf("%s\n", s);
        free(s);
    }
    json_decref(c.arr);
    if (rc)
        cli_error("%s", pt_store_errmsg(pt_db_store(db)));
    return cli_exit_for(rc);
}

static void due_progress(void *ud, int64_t done)
{
    (void)ud;
    cli_progress(NULL, (uint64_t)done, 0, done);
}

static int points_expire(pt_db *db, pt_ledger *l, const struct points_args *a)
{
    int64_t as_of = pt_db_now(db);
    int code = a->as_of ? parse_when(pt_ledger_programme(l), a->as_of, &as_of) : EXIT_OK;
    if (code)
        return code;
    pt_ledger_job_stats st;
    int rc = pt_ledger_run_due(l, as_of, &st, a->json ? NULL : due_progress, NULL);
    if (!a->json)
        cli_progress_done();
    if (rc) {
        cli_error("%s", pt_ledger_errmsg(l));
        return cli_exit_for(rc);
    }
    if (a->json)
        printf("{\"as_of\":%lld,\"members\":%lld,\"released_lots\":%lld,\"released_points\":%lld,"
               "\"expired_lots\":%lld,\"expired_points\":%lld}\n",
               (long long)as_of, (long long)st.members, (long long)st.released_lots, (long long)st.released_points,
               (long long)st.expired_lots, (long long)st.expired_points);
    else
        printf("as of %s: %s members; released %s points in %s lots; expired %s points in %s lots\n",
               local_time(pt_ledger_programme(l), as_of), cli_num(st.members), cli_num(st.released_points),
               cli_num(st.released_lots), cli_num(st.expired_points), cli_num(st.expired_lots));
    return EXIT_OK;
}

static int points_birthday(pt_db *db, pt_ledger *l, const struct points_args *a)
{
    int64_t as_of = pt_db_now(db);
    int code = a->as_of ? parse_when(pt_ledger_programme(l), a->as_of, &as_of) : EXIT_OK;
    if (code)
        return code;
    pt_ledger_birthday_stats st;
    int rc = pt_ledger_birthday_gifts(l, as_of, &st);
    if (rc) {
        cli_error("%s", pt_ledger_errmsg(l));
        return cli_exit_for(rc);
    }
    if (a->json)
        printf("{\"as_of\":%lld,\"birthday_members\":%lld,\"gifted\":%lld,\"points\":%lld}\n", (long long)as_of,
               (long long)st.checked, (long long)st.members, (long long)st.points);
    else
        printf("birthday month for %s members; %s gifts given now (%s points)\n", cli_num(st.checked),
               cli_num(st.members), cli_num(st.points));
    return EXIT_OK;
}

static void print_problem(void *ud, int64_t member_id, const char *problem)
{
    (void)ud;
    printf("member %lld: %s\n", (long long)member_id, problem);
}

static int points_verify(pt_db *db, pt_ledger *l, const struct points_args *a)
{
    (void)db;
    (void)a;
    int64_t n = 0;
    int rc = pt_ledger_verify(l, print_problem, NULL, &n);
    if (rc == PT_ECORRUPT) {
        cli_error("%s", pt_ledger_errmsg(l));
        return EXIT_FAIL;
    }
    if (rc) {
        cli_error("%s", pt_ledger_errmsg(l));
        return cli_exit_for(rc);
    }
    printf("ledger ok: %s members checked, every invariant holds\n", cli_num(n));
    return EXIT_OK;
}

static int read_preview(pt_db *db, pt_ledger *l, const char *path, int64_t *member, int64_t *at,
                        pt_earn_line *lines, size_t *n)
{
    json_error_t err;
    json_t *j = json_load_file(path, 0, &err);
    if (!j) {
        cli_error("%s:%d:%d: %s", path, err.line, err.column, err.text);
        return EXIT_DATA;
    }
    const char *no = NULL, *when = NULL;
    json_t *arr = NULL;
    int code = EXIT_OK;
    if (json_unpack_ex(j, &err, 0, "{ss s?s so}", "member", &no, "at", &when, "lines", &arr) || !json_is_array(arr)) {
        cli_error("%s: %s", path, arr ? "\"lines\" must be an array" : err.text);
        code = EXIT_DATA;
    }
    if (!code && member_arg(db, no, member))
        code = EXIT_NOTFOUND;
    *at = pt_db_now(db);
    if (!code && when)
        code = parse_when(pt_ledger_programme(l), when, at);
    *n = 0;
    for (size_t i = 0; !code && i < json_array_size(arr); i++) {
        if (i == PT_EARN_LINES_MAX) {
            cli_error("%s: more than %d lines", path, PT_EARN_LINES_MAX);
            code = EXIT_DATA;
            break;
        }
        const char *sku = "", *cat = "";
        json_int_t line_no = (json_int_t)i + 1, cents = 0;
        if (json_unpack_ex(json_array_get(arr, i), &err, 0, "{s?I s?s s?s sI}", "line_no", &line_no, "sku", &sku,
                           "category", &cat, "amount_cents", &cents)) {
            cli_error("%s: lines[%zu]: %s", path, i, err.text);
            code = EXIT_DATA;
            break;
        }
        pt_earn_line *e = &lines[(*n)++];
        memset(e, 0, sizeof *e);
        e->line_no = (int)line_no;
        e->amount_cents = cents;
        snprintf(e->sku, sizeof e->sku, "%s", sku);
        snprintf(e->category, sizeof e->category, "%s", cat);
    }
    json_decref(j);
    return code;
}

static int points_preview(pt_db *db, pt_ledger *l, const struct points_args *a)
{
    int code = need(a, 1, "ORDER.json");
    if (code)
        return code;
    pt_earn_line *lines = calloc(PT_EARN_LINES_MAX, sizeof *lines);
    pt_earn_result *res = calloc(1, sizeof *res);
    int64_t member = 0, at = 0;
    size_t n = 0;
    code = lines && res ? read_preview(db, l, a->pos[0], &member, &at, lines, &n) : EXIT_FAIL;
    int rc = code ? PT_OK : pt_ledger_preview_order(l, member, at, lines, n, res);
    if (!code && rc) {
        cli_error("%s", pt_ledger_errmsg(l));
        code = cli_exit_for(rc);
    }
    const pt_programme *p = pt_ledger_programme(l);
    for (int i = 0; !code && !a->json && i < res->nsteps; i++) {
        const pt_earn_step *s = &res->steps[i];
        printf("line %-3d %-14s %7lld → %-7lld %s\n", s->line_no,
               s->rule >= 0 && s->rule < p->nrules ? p->rules[s->rule].code : "(programme)", (long long)s->points_before,
               (long long)s->points_after, s->why);
    }
    if (!code && a->json) {
        json_t *steps = json_array();
        for (int i = 0; i < res->nsteps; i++) {
            const pt_earn_step *s = &res->steps[i];
            json_array_append_new(steps, json_pack("{si ss sI sI ss}", "line_no", s->line_no, "rule",
                                                   s->rule >= 0 && s->rule < p->nrules ? p->rules[s->rule].code : "",
                                                   "before", (json_int_t)s->points_before, "after",
                                                   (json_int_t)s->points_after, "why", s->why));
        }
        json_t *j = json_pack("{sI sI so}", "points", (json_int_t)res->total_points, "growth",
                              (json_int_t)res->total_growth, "steps", steps);
        char *s = json_dumps(j, JSON_COMPACT);
        printf("%s\n", s);
        free(s);
        json_decref(j);
    } else if (!code) {
        printf("total: %s points, %s growth value\n", cli_num(res->total_points), cli_num(res->total_growth));
    }
    free(lines);
    free(res);
    return code;
}

int cmd_points(int argc, char **argv)
{
    struct points_args a = {0};
    int code = parse_args(argc, argv, &a);
    if (code)
        return code < 0 ? EXIT_OK : code;
    static const struct {
        const char *name;
        int (*fn)(pt_db *, pt_ledger *, const struct points_args *);
    } subs[] = {{"earn", points_earn},       {"earn-order", points_earn_order}, {"redeem", points_redeem},
                {"pay", points_pay},
                {"refund", points_refund},   {"adjust", points_adjust},         {"balance", points_balance},
                {"history", points_list},    {"lots", points_list},             {"expire", points_expire},
                {"verify", points_verify},   {"birthday", points_birthday},   {"preview", points_preview}};
    for (size_t i = 0; i < sizeof subs / sizeof *subs; i++) {
        if (strcmp(a.sub, subs[i].name) != 0)
            continue;
        pt_db *db = cli_open();
        if (!db)
            return EXIT_STORE;
        pt_ledger *l = NULL;
        char err[512];
        int rc = pt_ledger_open_current(&l, db, err, sizeof err);
        if (rc) {
            cli_error("%s", err);
            code = rc == PT_ENOTFOUND ? EXIT_NOTFOUND : cli_exit_for(rc);
        } else {
            code = subs[i].fn(db, l, &a);
        }
        pt_ledger_close(l);
        pt_db_close(db);
        return code;
    }
    cli_error("'%s' is not a points subcommand (see patron points --help)", a.sub);
    return EXIT_USAGE;
}

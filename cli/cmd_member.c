/* cmd_member.c — `patron member show|export|erase|merge|unmerge`: look-ups by member number or
 * any identifier, the rights of access and erasure, manual merge and its undo. */
#include "cli.h"
#include "patron/error.h"
#include "patron/identity.h"
#include "patron/ledger.h"
#include "patron/member.h"
#include "patron/store_ledger.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct member_args {
    const char *sub;
    const char *member_no;
    int         id_kind;
    const char *id_value;
    const char *into;
    const char *out;
    int64_t     merge_id;
    int         json, reveal, yes;
};

static void member_usage(void)
{
    printf("usage: patron member SUBCOMMAND (--member NO | --phone P | --email E | --identifier KIND=VALUE) [options]\n"
           "\n"
           "  show      profile, identifiers across channels, order totals, merges\n"
           "            (personal fields masked; --reveal shows them; --json for JSON)\n"
           "  export    everything Patron holds on the member as JSON (right of access); --out FILE\n"
           "  erase     remove personal fields and identifiers for good (right to erasure); needs --yes\n"
           "  merge     merge the member into --into NO (same person); its orders, identifiers and points move\n"
           "  unmerge   undo a merge: --merge ID, or the member that was merged away\n"
           "\n"
           "A phone may be given in any common form (138-0013-8000, +86 138 0013 8000, …). A number\n"
           "that was merged away finds the surviving member.\n"
           "Identifier kinds: phone, email, unionid, openid, app_user_id, store_card, eshop_account.\n");
}

static int parse_member_args(int argc, char **argv, struct member_args *a)
{
    static const struct option opts[] = {
        {"member", required_argument, 0, 'n'}, {"phone", required_argument, 0, 'p'},
        {"email", required_argument, 0, 'e'}, {"identifier", required_argument, 0, 'i'},
        {"into", required_argument, 0, 't'}, {"merge", required_argument, 0, 'g'},
        {"out", required_argument, 0, 'o'}, {"json", no_argument, 0, 'j'},
        {"reveal", no_argument, 0, 'r'}, {"yes", no_argument, 0, 'y'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'n': a->member_no = optarg; break;
        case 'p': a->id_kind = PT_ID_PHONE; a->id_value = optarg; break;
        case 'e': a->id_kind = PT_ID_EMAIL; a->id_value = optarg; break;
        case 'i': {
            char kind[32];
            const char *eq = strchr(optarg, '=');
            snprintf(kind, sizeof kind, "%.*s", eq ? (int)(eq - optarg) : 0, optarg);
            a->id_kind = pt_id_kind_parse(kind);
            a->id_value = eq ? eq + 1 : NULL;
            if (!a->id_kind || !a->id_value) {
                cli_error("--identifier takes KIND=VALUE with KIND one of phone, email, unionid, openid, "
                          "app_user_id, store_card, eshop_account");
                return EXIT_USAGE;
            }
            break;
        }
        case 't': a->into = optarg; break;
        case 'g': a->merge_id = strtoll(optarg, NULL, 10); break;
        case 'o': a->out = optarg; break;
        case 'j': a->json = 1; break;
        case 'r': a->reveal = 1; break;
        case 'y': a->yes = 1; break;
        case 'h': member_usage(); return -1;
        default: return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        member_usage();
        return EXIT_USAGE;
    }
    a->sub = argv[optind];
    return EXIT_OK;
}

/* Loads the member the flags name (following merges); prints why not. */
static int find_member(pt_db *db, const struct member_args *a, pt_member *m, int *redirected)
{
    int rc;
    *redirected = 0;
    if (a->member_no)
        rc = pt_member_get_by_no(db, a->member_no, m, redirected);
    else if (a->id_value)
        rc = pt_member_find(db, a->id_kind, a->id_value, m);
    else {
        cli_error("say which member: --member NO, --phone P, --email E or --identifier KIND=VALUE");
        return PT_EINVAL;
    }
    if (rc)
        cli_error("%s", pt_db_errmsg(db));
    return rc;
}

static void print_show_text(const char *json_text)
{
    json_t *o = json_loads(json_text, 0, NULL);
    json_t *p = json_object_get(o, "profile");
    json_t *orders = json_object_get(o, "orders");
    printf("member %s (%s), registered %s via %s\n", json_string_value(json_object_get(o, "member_no")),
           json_string_value(json_object_get(o, "status")),
           json_string_value(json_object_get(o, "registered_at")) ?: "?",
           json_string_value(json_object_get(o, "registration_channel")));
    const char *key;
    json_t *v;
    json_object_foreach(p, key, v) {
        if (json_is_string(v)) {
            json_t *src = json_object_get(json_object_get(p, "sources"), key);
            printf("  %-9s %s  (from %s)\n", key, json_string_value(v),
                   json_string_value(json_object_get(src, "source")) ?: "?");
        }
    }
    size_t i;
    json_array_foreach(json_object_get(o, "identifiers"), i, v)
        printf("  id        %-13s %s  (%s)\n", json_string_value(json_object_get(v, "kind")),
               json_string_value(json_object_get(v, "value")), json_string_value(json_object_get(v, "source")));
    printf("  orders    %s, %s paid, last %s\n", cli_num(json_integer_value(json_object_get(orders, "count"))),
           cli_money(json_integer_value(json_object_get(orders, "paid_cents"))),
           json_string_value(json_object_get(orders, "last_order_at")) ?: "never");
    json_array_foreach(json_object_get(o, "merges"), i, v)
        printf("  merge %lld: %s merged into %s — %s\n", (long long)json_integer_value(json_object_get(v, "merge_id")),
               json_string_value(json_object_get(v, "merged")), json_string_value(json_object_get(v, "survivor")),
               json_string_value(json_object_get(v, "reason")));
    json_decref(o);
}

static int member_show(pt_db *db, const struct member_args *a)
{
    pt_member m;
    int redirected;
    int rc = find_member(db, a, &m, &redirected);
    if (rc)
        return cli_exit_for(rc);
    pt_buf out;
    pt_buf_init(&out, 0);
    rc = pt_member_show_json(db, m.id, a->reveal, &out);
    if (rc == PT_OK && redirected && !a->json)
        printf("(%s was merged into %s)\n", a->member_no, m.member_no);
    if (rc == PT_OK && a->json)
        printf("%s\n", pt_buf_str(&out));
    else if (rc == PT_OK)
        print_show_text(pt_buf_str(&out));
    else
        cli_error("%s", pt_db_errmsg(db));
    pt_buf_wipe(&out);
    pt_member_wipe(&m);
    return cli_exit_for(rc);
}

static int member_export(pt_db *db, const struct member_args *a)
{
    pt_member m;
    int redirected;
    int rc = find_member(db, a, &m, &redirected);
    if (rc)
        return cli_exit_for(rc);
    pt_buf out;
    pt_buf_init(&out, 0);
    rc = pt_member_export_json(db, m.id, &out);
    FILE *f = a->out ? fopen(a->out, "w") : stdout;
    if (rc == PT_OK && !f) {
        cli_error("cannot write %s", a->out);
        rc = PT_EIO;
    } else if (rc == PT_OK) {
        fprintf(f, "%s\n", pt_buf_str(&out));
        if (f != stdout && fclose(f) != 0)
            rc = PT_EIO;
    } else {
        cli_error("%s", pt_db_errmsg(db));
    }
    pt_buf_wipe(&out);
    pt_member_wipe(&m);
    return cli_exit_for(rc);
}

static int member_erase(pt_db *db, const struct member_args *a)
{
    pt_member m;
    int redirected;
    int rc = find_member(db, a, &m, &redirected);
    if (rc)
        return cli_exit_for(rc);
    char no[PT_MEMBER_NO_MAX];
    snprintf(no, sizeof no, "%s", m.member_no);
    int64_t id = m.id;
    pt_member_wipe(&m);
    if (!a->yes) {
        cli_error("this erases the personal data and identifiers of member %s for good; "
                  "run again with --yes to confirm", no);
        return EXIT_USAGE;
    }
    rc = pt_member_erase(db, id);
    if (rc)
        cli_error("%s", pt_db_errmsg(db));
    else
        printf("member %s erased: personal fields, identifiers and key destroyed; order totals kept anonymously\n", no);
    return cli_exit_for(rc);
}

/* The merge and the move of the loser's points in one transaction, as the server's merge does:
 * nothing is left for the next due-job run to carry over, and a failure leaves neither. */
static int merge_with_points(pt_db *db, int64_t survivor, int64_t loser, int64_t *merge_id, int64_t *points)
{
    pt_ledger *l = NULL;
    char why[256];
    if (pt_ledger_open_current(&l, db, why, sizeof why) != PT_OK)
        l = NULL; /* no programme: no points to move */
    pt_store *s = pt_db_store(db);
    int rc = pt_store_begin_locking(s);
    if (rc == PT_OK)
        rc = pt_member_merge(db, survivor, loser, "merged by hand (patron member merge)", 0, merge_id);
    if (rc == PT_OK && l)
        rc = pt_ledger_absorb_member(l, loser, points);
    if (rc == PT_OK)
        rc = pt_store_commit(s);
    else if (pt_store_in_tx(s))
        pt_store_rollback(s);
    pt_ledger_close(l);
    return rc;
}

static int member_merge(pt_db *db, const struct member_args *a)
{
    pt_member loser, survivor;
    int redirected;
    if (!a->into) {
        cli_error("merge needs --into NO (the member that survives)");
        return EXIT_USAGE;
    }
    int rc = find_member(db, a, &loser, &redirected);
    if (rc)
        return cli_exit_for(rc);
    rc = pt_member_get_by_no(db, a->into, &survivor, &redirected);
    int64_t merge_id = 0, points = 0;
    if (rc == PT_OK)
        rc = merge_with_points(db, survivor.id, loser.id, &merge_id, &points);
    if (rc)
        cli_error("%s", pt_db_errmsg(db));
    else
        printf("member %s merged into %s, %lld points moved (merge %lld; undo with `patron member unmerge --merge "
               "%lld`)\n",
               loser.member_no, survivor.member_no, (long long)points, (long long)merge_id, (long long)merge_id);
    pt_member_wipe(&loser);
    pt_member_wipe(&survivor);
    return cli_exit_for(rc);
}

static int member_unmerge(pt_db *db, const struct member_args *a)
{
    int64_t merge_id = a->merge_id;
    int rc = PT_OK;
    if (!merge_id && a->member_no) {
        /* the number of the member that was merged away names the merge */
        int64_t id = 0;
        rc = pt_member_id_of_no(db, a->member_no, &id);
        if (rc == PT_OK)
            rc = pt_member_merge_of(db, id, &merge_id);
        if (rc) {
            cli_error("%s", pt_db_errmsg(db));
            return cli_exit_for(rc);
        }
    }
    if (!merge_id) {
        cli_error("unmerge needs --merge ID or --member NO (the member that was merged away)");
        return EXIT_USAGE;
    }
    rc = pt_member_unmerge(db, merge_id);
    if (rc)
        cli_error("%s", pt_db_errmsg(db));
    else
        printf("merge %lld undone\n", (long long)merge_id);
    return cli_exit_for(rc);
}

int cmd_member(int argc, char **argv)
{
    struct member_args a = {0};
    int code = parse_member_args(argc, argv, &a);
    if (code)
        return code < 0 ? EXIT_OK : code;
    static const struct {
        const char *name;
        int (*fn)(pt_db *, const struct member_args *);
    } subs[] = {{"show", member_show}, {"export", member_export}, {"erase", member_erase},
                {"merge", member_merge}, {"unmerge", member_unmerge}};
    for (size_t i = 0; i < sizeof subs / sizeof *subs; i++) {
        if (strcmp(a.sub, subs[i].name) != 0)
            continue;
        pt_db *db = cli_open();
        if (!db)
            return EXIT_STORE;
        code = subs[i].fn(db, &a);
        pt_db_close(db);
        return code;
    }
    cli_error("'%s' is not a member subcommand (show, export, erase, merge, unmerge)", a.sub);
    return EXIT_USAGE;
}

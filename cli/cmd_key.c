/* cmd_key.c — `patron key create|list|revoke`: API keys for `patron serve` (apikey.h).
 * create prints the new key alone on the last line of stdout: it is shown once and stored
 * only as a hash.
 */
#include "cli.h"
#include "patron/apikey.h"
#include "patron/error.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void key_usage(void)
{
    printf("usage: patron key SUBCOMMAND [options]\n"
           "\n"
           "  create --role admin|operator|analyst|auditor [--name NAME]\n"
           "                      a new API key; printed once, alone on the last line\n"
           "  list [--json]       every key: id, name, role, prefix, created, revoked\n"
           "  revoke ID           the key stops working (a running server notices within 2 s)\n"
           "\n"
           "Roles: admin everything; operator members, orders, points, rewards; analyst\n"
           "analytics and pseudonymised member views; auditor the audit log, read-only.\n"
           "Clients send the key as `Authorization: Bearer KEY`.\n");
}

static int key_create(pt_db *db, int argc, char **argv)
{
    static const struct option opts[] = {{"role", required_argument, 0, 'r'},
                                         {"name", required_argument, 0, 'n'},
                                         {0, 0, 0, 0}};
    const char *role = NULL, *name = "";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'r')
            role = optarg;
        else if (c == 'n')
            name = optarg;
        else
            return EXIT_USAGE;
    }
    int r = pt_role_parse(role);
    if (r < 0) {
        cli_error("--role must be admin, operator, analyst or auditor");
        return EXIT_USAGE;
    }
    char key[PT_APIKEY_MAX];
    pt_apikey_rec rec;
    int rc = pt_apikey_create(db, r, name, key, &rec);
    if (rc) {
        cli_error("cannot create the key: %s", pt_db_errmsg(db));
        return cli_exit_for(rc);
    }
    printf("created API key %lld (role %s%s%s); it is shown only now:\n%s\n", (long long)rec.id, rec.role,
           rec.name[0] ? ", name " : "", rec.name, key);
    return EXIT_OK;
}

static int print_key(void *ud, const pt_apikey_rec *k)
{
    json_t *arr = ud;
    if (arr) {
        json_array_append_new(arr, json_pack("{s:I,s:s,s:s,s:s,s:I,s:I}", "id", (json_int_t)k->id, "name", k->name,
                                             "role", k->role, "prefix", k->prefix, "created_at",
                                             (json_int_t)k->created_at, "revoked_at", (json_int_t)k->revoked_at));
        return 0;
    }
    printf("%-6lld %-10s %-14s %-20s %s\n", (long long)k->id, k->role, k->prefix, k->name,
           k->revoked_at ? "revoked" : "live");
    return 0;
}

static int key_list(pt_db *db, int argc, char **argv)
{
    int json = argc > 1 && strcmp(argv[1], "--json") == 0;
    json_t *arr = json ? json_array() : NULL;
    if (!json)
        printf("%-6s %-10s %-14s %-20s %s\n", "id", "role", "prefix", "name", "state");
    int rc = pt_apikey_list(db, print_key, arr);
    if (rc) {
        json_decref(arr);
        cli_error("cannot list keys: %s", pt_db_errmsg(db));
        return cli_exit_for(rc);
    }
    if (json) {
        json_dumpf(arr, stdout, JSON_INDENT(2));
        printf("\n");
        json_decref(arr);
    }
    return EXIT_OK;
}

static int key_revoke(pt_db *db, int argc, char **argv)
{
    char *end;
    long long id = argc == 2 ? strtoll(argv[1], &end, 10) : 0;
    if (argc != 2 || *end || id <= 0) {
        cli_error("usage: patron key revoke ID (see `patron key list`)");
        return EXIT_USAGE;
    }
    int rc = pt_apikey_revoke(db, id);
    if (rc) {
        cli_error("cannot revoke key %lld: %s", id, pt_db_errmsg(db));
        return cli_exit_for(rc);
    }
    printf("revoked API key %lld\n", id);
    return EXIT_OK;
}

int cmd_key(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        key_usage();
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    int (*fn)(pt_db *, int, char **) = strcmp(argv[1], "create") == 0   ? key_create
                                       : strcmp(argv[1], "list") == 0   ? key_list
                                       : strcmp(argv[1], "revoke") == 0 ? key_revoke
                                                                        : NULL;
    if (!fn) {
        key_usage();
        return EXIT_USAGE;
    }
    pt_db *db = cli_open();
    if (!db)
        return EXIT_STORE;
    int code = fn(db, argc - 1, argv + 1);
    pt_db_close(db);
    return cli_finish(code);
}

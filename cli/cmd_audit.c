/* cmd_audit.c — `patron audit verify|log`: check the hash-chained audit log, or list one
 * member's chain. Thin over audit.h. */
#include "cli.h"
#include "patron/audit.h"
#include "patron/error.h"
#include "patron/member.h"
#include "patron/store_ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void audit_usage(void)
{
    printf("usage: patron audit verify | patron audit log MEMBER\n"
           "\n"
           "  verify       check every audit chain: exit 0 when intact, 1 naming each changed,\n"
           "               deleted or re-linked record\n"
           "  log MEMBER   the member's audit records (0 = store-wide events)\n");
}

static void print_problem(void *ud, int64_t member_id, int64_t seq, const char *problem)
{
    (void)ud;
    printf("chain %lld, record %lld: %s\n", (long long)member_id, (long long)seq, problem);
}

static int print_record(void *ud, const pt_audit_rec *r)
{
    (void)ud;
    printf("%6lld  @%lld  %-10s %-18s %s\n", (long long)r->seq, (long long)r->at, r->actor, r->action,
           r->detail.data ? (const char *)r->detail.data : "");
    return PT_OK;
}

int cmd_audit(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        audit_usage();
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    int verify = strcmp(argv[1], "verify") == 0;
    if (!(verify && argc == 2) && !(strcmp(argv[1], "log") == 0 && argc == 3)) {
        audit_usage();
        return EXIT_USAGE;
    }
    pt_db *db = cli_open();
    if (!db)
        return EXIT_STORE;
    int code;
    if (verify) {
        pt_audit_report rep;
        int rc = pt_audit_verify(pt_db_store(db), pt_db_crypt(db), print_problem, NULL, &rep);
        if (rc == PT_OK)
            printf("audit log intact: %s chains, %s records\n", cli_num(rep.chains), cli_num(rep.records));
        else if (rc == PT_ECORRUPT)
            cli_error("audit log broken: %s problem(s) in %s records", cli_num(rep.problems), cli_num(rep.records));
        else
            cli_error("%s", pt_store_errmsg(pt_db_store(db)));
        code = rc == PT_OK ? EXIT_OK : rc == PT_ECORRUPT ? EXIT_FAIL : cli_exit_for(rc);
    } else {
        int64_t member = 0;
        int rc = strcmp(argv[2], "0") == 0 ? PT_OK : pt_member_id_of_no(db, argv[2], &member);
        if (rc == PT_ENOTFOUND && strspn(argv[2], "0123456789") == strlen(argv[2])) {
            member = strtoll(argv[2], NULL, 10);
            rc = PT_OK;
        }
        if (rc == PT_OK)
            rc = pt_store_audit_list(pt_db_store(db), member, print_record, NULL);
        if (rc)
            cli_error("%s", pt_db_errmsg(db));
        code = cli_exit_for(rc);
    }
    pt_db_close(db);
    return code;
}

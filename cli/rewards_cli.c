/* rewards_cli.c — helpers shared by cmd_reward.c, cmd_coupon.c, cmd_referral.c and
 * cmd_checkin.c (rewards_cli.h). Thin: no logic beyond parsing and printing. */
#include "rewards_cli.h"
#include "patron/error.h"
#include "patron/member.h"
#include "patron/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rewards_cli_open(pt_db **db, pt_ledger **l)
{
    *l = NULL;
    if (!(*db = cli_open()))
        return EXIT_STORE;
    char err[512];
    int rc = pt_ledger_open_current(l, *db, err, sizeof err);
    if (rc == PT_OK)
        return EXIT_OK;
    cli_error("%s", err);
    pt_db_close(*db);
    *db = NULL;
    return rc == PT_ENOTFOUND ? EXIT_NOTFOUND : cli_exit_for(rc);
}

void rewards_cli_close(pt_db *db, pt_ledger *l)
{
    pt_ledger_close(l);
    pt_db_close(db);
}

int rewards_cli_member(pt_db *db, const char *arg, int64_t *id)
{
    int rc = pt_member_id_of_no(db, arg, id);
    if (rc == PT_ENOTFOUND && arg[0] >= '0' && arg[0] <= '9' && strspn(arg, "0123456789") == strlen(arg)) {
        *id = strtoll(arg, NULL, 10);
        return EXIT_OK;
    }
    if (rc) {
        cli_error("%s", pt_db_errmsg(db));
        return EXIT_NOTFOUND;
    }
    return EXIT_OK;
}

const char *rewards_cli_time(const pt_programme *p, int64_t t)
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

void rewards_cli_print_json(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (s)
        printf("%s\n", s);
    free(s);
    json_decref(j);
}

int rewards_cli_fail(pt_ledger *l, int rc)
{
    cli_error("%s", pt_ledger_errmsg(l)[0] ? pt_ledger_errmsg(l) : pt_strerror(rc));
    return cli_exit_for(rc);
}

/* rewards_cli.h — what the reward, coupon, referral and check-in commands share
 * (cli/rewards_cli.c): opening the ledger on the current programme, MEMBER arguments, dates
 * in the programme's zone, and printing a JSON object. */
#ifndef PATRON_REWARDS_CLI_H
#define PATRON_REWARDS_CLI_H

#include "cli.h"
#include "patron/ledger.h"

/* Opens the data directory and the ledger on the current programme; prints why not and
 * returns the exit code (0 on success, *db and *l set). Close with rewards_cli_close. */
int  rewards_cli_open(pt_db **db, pt_ledger **l);
void rewards_cli_close(pt_db *db, pt_ledger *l);
/* A member number, or a numeric id; prints why not (EXIT_NOTFOUND). */
int  rewards_cli_member(pt_db *db, const char *arg, int64_t *id);
/* "YYYY-MM-DD HH:MM" local to the programme, "never" for 0 (static ring of buffers). */
const char *rewards_cli_time(const pt_programme *p, int64_t t);
/* Prints j as one compact line with sorted keys and releases it. */
void rewards_cli_print_json(json_t *j);
/* The library's failure: prints the ledger's message and returns the exit code. */
int  rewards_cli_fail(pt_ledger *l, int rc);

#endif

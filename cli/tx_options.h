/* tx_options.h — the `--transactions FILE` option family and the snapshot, dates and member
 * labels shared by the analytics commands (see tx_options.c). A command adds CLI_TX_LONGOPTS to
 * its getopt_long table, passes every option code to cli_tx_option first, prints cli_tx_help()
 * in its --help and gets its snapshot from cli_tx_snapshot. */
#ifndef PATRON_CLI_TX_OPTIONS_H
#define PATRON_CLI_TX_OPTIONS_H

#include "patron/db.h"
#include "patron/snapshot.h"

#include <stdint.h>

struct cli_tx {
    const char *file; /* --transactions, or NULL for the store */
    pt_tx_opts  o;
};

enum { CLI_TX_OPT = 0x7400 }; /* getopt codes CLI_TX_OPT … CLI_TX_OPT + 9 */

#define CLI_TX_LONGOPTS                                                                          \
    {"transactions", required_argument, 0, CLI_TX_OPT + 0},                                      \
        {"id-col", required_argument, 0, CLI_TX_OPT + 1},                                        \
        {"date-col", required_argument, 0, CLI_TX_OPT + 2},                                      \
        {"amount-col", required_argument, 0, CLI_TX_OPT + 3},                                    \
        {"item-col", required_argument, 0, CLI_TX_OPT + 4},                                      \
        {"qty-col", required_argument, 0, CLI_TX_OPT + 5},                                       \
        {"price-col", required_argument, 0, CLI_TX_OPT + 6},                                     \
        {"invoice-col", required_argument, 0, CLI_TX_OPT + 7},                                   \
        {"description-col", required_argument, 0, CLI_TX_OPT + 8},                               \
        {"category-col", required_argument, 0, CLI_TX_OPT + 9}

/* 1 when getopt code c is one of the family (arg stored), else 0. */
int cli_tx_option(struct cli_tx *t, int c, const char *arg);
/* The option lines for a command's --help. */
void cli_tx_help(void);
/* The snapshot to analyse: the file's (with its cleaning report on stderr; *db = NULL) or the
 * store's (*db opened). Returns an exit code; on failure prints why. The caller frees both. */
int cli_tx_snapshot(const struct cli_tx *t, pt_db **db, pt_snapshot **snap);
/* The zone dates are read and shown in: the tenant's, or "UTC" for a file. */
const char *cli_tx_zone(pt_db *db);
/* Now: the store's clock, or for a file the start of the day after its last order. */
int64_t cli_tx_now(pt_db *db, const pt_snapshot *snap);
/* YYYY-MM-DD (that day's start in cli_tx_zone) or @EPOCH → UTC epoch s; EXIT_USAGE when not
 * a date. cli_tx_date_arg also prints why. */
int cli_tx_date(pt_db *db, const char *s, int64_t *t);
int cli_tx_date_arg(pt_db *db, const char *s, int64_t *t);
/* "YYYY-MM-DD" (or "YYYY-MM" when month) of instant t in cli_tx_zone (DST and all), or "@EPOCH"
 * when it has no civil date; from a static ring of 4. */
const char *cli_tx_local_date(pt_db *db, int64_t t, int month);
/* How member id is shown: the file's id as written, or the store's member number. */
const char *cli_tx_member(const pt_snapshot *snap, int64_t id, char out[PT_SNAPSHOT_EXT_ID]);

#endif

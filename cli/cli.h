/* cli.h — shared pieces of the `patron` program: the command table entry, option helpers,
 * opening the data directory, errors and exit codes, progress display. Every command is a thin
 * layer over libpatron: parse flags, call the library, print. */
#ifndef PATRON_CLI_H
#define PATRON_CLI_H

#include "patron/db.h"

#include <jansson.h>

#include <stdint.h>
#include <stdio.h>

/* Exit codes (documented in `patron --help`). */
enum {
    EXIT_OK = 0,
    EXIT_FAIL = 1,     /* the operation failed */
    EXIT_USAGE = 2,    /* wrong flags or arguments */
    EXIT_NOTFOUND = 3, /* the member, merge or file asked for does not exist */
    EXIT_DATA = 4,     /* the input is invalid */
    EXIT_STORE = 5,    /* the store, key or disk failed */
};

struct cli_cmd {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

/* The data directory: --data, else $PATRON_DATA, else ./patron-data. */
extern const char *cli_data_dir;

void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int  cli_exit_for(int rc);
/* Opens the data directory, or prints why not (with what to do) and returns NULL. */
pt_db *cli_open(void);
/* Finishes stdout (checking for write errors, as git does) and returns code. */
int  cli_finish(int code);
/* Progress for long work: a bar on a terminal, a plain line every 10% otherwise. */
void cli_progress(void *ud, uint64_t done, uint64_t total, int64_t rows);
void cli_progress_done(void);
/* 1234567 → "1,234,567" (static ring of buffers). */
const char *cli_num(int64_t v);
/* cents → "¥12,345.67" */
const char *cli_money(int64_t cents);
/* s as a quoted JSON string (escaped by jansson) / as one CSV field (quoted per RFC 4180 when it
 * holds a comma, quote or line break). Results live in a small ring: use them in one printf. */
const char *cli_json_str(const char *s);
const char *cli_csv_str(const char *s);
/* s as a number in [lo, hi] into *v; EXIT_USAGE (with a message naming option `name`) if not. */
int cli_number(const char *name, const char *s, double lo, double hi, double *v);

/* Text renderings of the library's JSON reports. */
void cli_print_quality(json_t *q);
void cli_print_overview(json_t *o);

int cmd_init(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_member(int argc, char **argv);
int cmd_quality(int argc, char **argv);
int cmd_overview(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_points(int argc, char **argv);
int cmd_tier(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_demo_data(int argc, char **argv);
int cmd_programme(int argc, char **argv);
int cmd_store(int argc, char **argv);
int cmd_reward(int argc, char **argv);
int cmd_coupon(int argc, char **argv);
int cmd_referral(int argc, char **argv);
int cmd_checkin(int argc, char **argv);
int cmd_rfm(int argc, char **argv);
int cmd_segments(int argc, char **argv);
int cmd_clv(int argc, char **argv);
int cmd_lifecycle(int argc, char **argv);
int cmd_kpi(int argc, char **argv);
int cmd_cohorts(int argc, char **argv);
int cmd_nps(int argc, char **argv);
int cmd_trends(int argc, char **argv);
int cmd_churn(int argc, char **argv);
int cmd_personas(int argc, char **argv);
int cmd_campaign(int argc, char **argv); /* cmd_campaign.c: campaign, audience, triggers, outbox, webhook */
int cmd_audience(int argc, char **argv);
int cmd_triggers(int argc, char **argv);
int cmd_outbox(int argc, char **argv);
int cmd_webhook(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_reco(int argc, char **argv);
int cmd_basket(int argc, char **argv);

#endif

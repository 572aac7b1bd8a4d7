/* tx_options.c — what the analytics commands (rfm, segments, lifecycle, clv, kpi, cohorts, nps,
 * trends) share: the `--transactions FILE` option family (a snapshot from a CSV instead of the
 * store, snapshot.h), the snapshot to work on, dates, the zone and the member labels.
 *
 * With --transactions there is no data directory: *db stays NULL, dates and months are UTC and
 * "now" is the start of the day after the file's last order, so a file gives the same answer
 * whenever it is analysed. The cleaning report always goes to stderr — drops are never silent. */
#include "cli.h"
#include "tx_options.h"
#include "patron/config.h"
#include "patron/error.h"
#include "patron/member.h"
#include "patron/tz.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_tx_option(struct cli_tx *t, int c, const char *arg)
{
    const char **slot[] = {&t->file,          &t->o.id_col,      &t->o.date_col, &t->o.amount_col,
                           &t->o.item_col,    &t->o.qty_col,     &t->o.price_col, &t->o.invoice_col,
                           &t->o.desc_col,    &t->o.category_col};
    int k = c - CLI_TX_OPT;
    if (k < 0 || k >= (int)(sizeof slot / sizeof *slot))
        return 0;
    *slot[k] = arg;
    return 1;
}

void cli_tx_help(void)
{
    printf("  --transactions FILE   analyse a CSV of transactions instead of the store (no --data\n"
           "                        needed; dates are UTC; default as-of: the day after its last\n"
           "                        order). Columns by name: --id-col, --date-col, --amount-col;\n"
           "                        optional --item-col --qty-col --price-col --invoice-col\n"
           "                        --description-col --category-col (amount = qty x price without\n"
           "                        an amount column; one invoice = one order). Usual names are\n"
           "                        found without flags; cleaning rules: docs/rfm.md.\n");
}

/* The cleaning report on stderr: what was read, kept and dropped by which rule. */
static void report(const char *file, const pt_tx_report *r)
{
    fprintf(stderr, "%s: %s rows, %s used: %s members, %s orders", file, cli_num(r->rows), cli_num(r->used),
            cli_num(r->members), cli_num(r->orders));
    if (r->lines)
        fprintf(stderr, ", %s lines", cli_num(r->lines));
    fprintf(stderr, "\n");
    for (int k = 0; k < PT_TX_DROP__COUNT; k++)
        if (r->dropped[k])
            fprintf(stderr, "%s: dropped %s rows: %s\n", file, cli_num(r->dropped[k]), pt_tx_drop_reason(k));
}

static int load_file(const struct cli_tx *t, pt_snapshot **snap)
{
    FILE *f = fopen(t->file, "rb");
    if (!f) {
        cli_error("cannot open %s: %s", t->file, strerror(errno));
        return errno == ENOENT ? EXIT_NOTFOUND : EXIT_FAIL;
    }
    char err[512] = "";
    pt_tx_report rep;
    int rc = pt_snapshot_load_transactions(snap, f, t->file, &t->o, &rep, err, sizeof err);
    fclose(f);
    if (rc) {
        cli_error("%s", err[0] ? err : pt_strerror(rc));
        return rc == PT_EPARSE ? EXIT_DATA : cli_exit_for(rc);
    }
    report(t->file, &rep);
    return EXIT_OK;
}

int cli_tx_snapshot(const struct cli_tx *t, pt_db **db, pt_snapshot **snap)
{
    *db = NULL;
    *snap = NULL;
    if (t->file)
        return load_file(t, snap);
    *db = cli_open();
    if (!*db)
        return EXIT_STORE;
    pt_store *st = pt_db_store(*db);
    int rc = pt_snapshot_load(snap, st, NULL, NULL);
    if (rc) {
        cli_error("loading the snapshot: %s (%s)", pt_store_errmsg(st), pt_strerror(rc));
        return cli_exit_for(rc);
    }
    return EXIT_OK;
}

const char *cli_tx_zone(pt_db *db)
{
    return db ? pt_db_config(db)->timezone : "UTC";
}

int64_t cli_tx_now(pt_db *db, const pt_snapshot *snap)
{
    if (db)
        return pt_db_now(db);
    int64_t last = 0;
    for (size_t r = 0; snap && r < snap->norders; r++)
        last = snap->order_at[r] > last ? snap->order_at[r] : last;
    return (last / 86400 + 1) * 86400;
}

int cli_tx_date(pt_db *db, const char *s, int64_t *t)
{
    char *end;
    if (s[0] == '@') {
        errno = 0;
        *t = strtoll(s + 1, &end, 10);
        return *end || end == s + 1 || errno ? EXIT_USAGE : EXIT_OK;
    }
    pt_civil c = {0};
    char extra;
    if (sscanf(s, "%d-%d-%d%c", &c.year, &c.month, &c.day, &extra) != 3)
        return EXIT_USAGE;
    if (pt_tz_utc(cli_tx_zone(db), &c, t) == PT_OK)
        return EXIT_OK;
    if (!db || pt_tz_utc("UTC", &c, t) != PT_OK) /* a zone ICU does not know: the configured offset */
        return EXIT_USAGE;
    *t -= pt_db_config(db)->tz_offset_s;
    return EXIT_OK;
}

int cli_tx_date_arg(pt_db *db, const char *s, int64_t *t)
{
    if (cli_tx_date(db, s, t) == EXIT_OK)
        return EXIT_OK;
    cli_error("'%s' is not a date (YYYY-MM-DD in %s, or @EPOCH)", s, cli_tx_zone(db));
    return EXIT_USAGE;
}

const char *cli_tx_member(const pt_snapshot *snap, int64_t id, char out[PT_SNAPSHOT_EXT_ID])
{
    if (!snap || !snap->member_ext_id) {
        pt_member_no_for_id(id, out);
        return out;
    }
    long i = pt_snapshot_member_index(snap, id);
    if (i >= 0)
        snprintf(out, PT_SNAPSHOT_EXT_ID, "%s", snap->member_ext_id[i]);
    else
        snprintf(out, PT_SNAPSHOT_EXT_ID, "%lld", (long long)id);
    return out;
}

const char *cli_tx_local_date(pt_db *db, int64_t t, int month)
{
    static char buf[4][32];
    static int slot;
    char *b = buf[slot++ % 4];
    pt_civil c;
    if (t == INT64_MIN || t == INT64_MAX || pt_tz_civil(cli_tx_zone(db), t, &c) != PT_OK)
        snprintf(b, 32, "@%lld", (long long)t);
    else if (month)
        snprintf(b, 32, "%04d-%02d", c.year, c.month);
    else
        snprintf(b, 32, "%04d-%02d-%02d", c.year, c.month, c.day);
    return b;
}

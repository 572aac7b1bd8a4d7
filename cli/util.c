/* util.c — helpers shared by the patron commands: errors and exit codes, opening the data
 * directory, progress output, number formatting. */
#include "cli.h"
#include "patron/csv.h"
#include "patron/error.h"

#include <jansson.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *cli_data_dir;

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("patron: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_exit_for(int rc)
{
    switch (rc) {
    case PT_OK:
        return EXIT_OK;
    case PT_ENOTFOUND:
        return EXIT_NOTFOUND;
    case PT_EINVAL:
    case PT_EPARSE:
    case PT_ETOOBIG:
    case PT_ESTATE:
        return EXIT_DATA;
    case PT_EIO:
    case PT_ECORRUPT:
    case PT_ECRYPTO:
    case PT_ESTORE:
    case PT_ESCHEMA:
    case PT_EBUSY:
        return EXIT_STORE;
    default:
        return EXIT_FAIL;
    }
}

pt_db *cli_open(void)
{
    char err[1024] = "";
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/master.key", cli_data_dir);
    if (stat(cli_data_dir, &st) != 0 || (stat(path, &st) != 0 && !getenv("PATRON_KEY_FILE"))) {
        cli_error("%s is not a Patron data directory; create one with `patron init --data %s` "
                  "(or try `patron demo`)", cli_data_dir, cli_data_dir);
        return NULL;
    }
    pt_db *db = NULL;
    int rc = pt_db_open(&db, cli_data_dir, NULL, err, sizeof err);
    if (rc) {
        cli_error("cannot open %s: %s", cli_data_dir, err[0] ? err : pt_strerror(rc));
        return NULL;
    }
    return db;
}

int cli_finish(int code)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("could not write the output");
        return code ? code : EXIT_FAIL;
    }
    return code;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int last_decile = -1;
static double progress_t0;

void cli_progress(void *ud, uint64_t done, uint64_t total, int64_t rows)
{
    const char *label = ud ? ud : "";
    if (progress_t0 == 0)
        progress_t0 = now_s();
    double frac = total ? (double)done / (double)total : 0.0;
    if (frac > 1)
        frac = 1;
    if (isatty(STDERR_FILENO)) {
        int width = 30, filled = (int)(frac * width);
        double dt = now_s() - progress_t0;
        fprintf(stderr, "\r%-24.24s [%.*s%*s] %3d%%  %s rows  %.0f rows/s ", label, filled,
                "##############################", width - filled, "", (int)(frac * 100), cli_num(rows),
                dt > 0 ? (double)rows / dt : 0.0);
        fflush(stderr);
        return;
    }
    int decile = (int)(frac * 10);
    if (decile != last_decile && decile < 10) {
        fprintf(stderr, "%s: %d%% (%s rows)\n", label, decile * 10, cli_num(rows));
        last_decile = decile;
    }
}

void cli_progress_done(void)
{
    if (progress_t0 != 0 && isatty(STDERR_FILENO))
        fputc('\n', stderr);
    progress_t0 = 0;
    last_decile = -1;
}

const char *cli_num(int64_t v)
{
    static char bufs[8][32];
    static int slot;
    char *out = bufs[slot++ % 8];
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v));
    int j = 0;
    if (v < 0)
        out[j++] = '-';
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            out[j++] = ',';
        out[j++] = digits[i];
    }
    out[j] = 0;
    return out;
}

const char *cli_money(int64_t cents)
{
    static char bufs[4][48];
    static int slot;
    char *out = bufs[slot++ % 4];
    int64_t a = cents < 0 ? -cents : cents;
    snprintf(out, 48, "%s¥%s.%02lld", cents < 0 ? "-" : "", cli_num(a / 100), (long long)(a % 100));
    return out;
}

/* A ring of growable buffers for the quoting helpers below: each result stays valid for the
 * next CLI_QUOTE_RING - 1 calls, enough for one printf. The buffers live as long as the process. */
#define CLI_QUOTE_RING 4
static char *quote_slot(size_t need)
{
    static char *ring[CLI_QUOTE_RING];
    static size_t cap[CLI_QUOTE_RING];
    static int slot;
    int k = slot++ % CLI_QUOTE_RING;
    if (cap[k] < need) {
        char *b = realloc(ring[k], need);
        if (!b)
            return NULL;
        ring[k] = b;
        cap[k] = need;
    }
    return ring[k];
}

const char *cli_json_str(const char *s)
{
    /* jansson escapes quotes, backslashes and control characters; a string that is not UTF-8
     * (never from our CSV reader, which refuses such input) becomes null rather than bad JSON. */
    json_t *j = json_string(s);
    size_t n = j ? json_dumpb(j, NULL, 0, JSON_ENCODE_ANY) : 0;
    char *out = n ? quote_slot(n + 1) : NULL;
    if (out)
        out[json_dumpb(j, out, n, JSON_ENCODE_ANY)] = 0;
    json_decref(j);
    return out ? out : "null";
}

const char *cli_csv_str(const char *s)
{
    size_t n = strlen(s);
    char *out = quote_slot(2 * n + 3); /* every quote doubled, plus the enclosing pair */
    if (!out)
        return "";
    FILE *f = fmemopen(out, 2 * n + 3, "w");
    if (!f)
        return "";
    pt_csv_write_field(f, s, n);
    long len = ftell(f);
    fclose(f);
    out[len > 0 ? len : 0] = 0;
    return out;
}

int cli_number(const char *name, const char *s, double lo, double hi, double *v)
{
    char *end;
    *v = strtod(s, &end);
    if (end == s || *end || !(*v >= lo && *v <= hi)) {
        cli_error("%s takes a number from %g to %g, not '%s'", name, lo, hi, s);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

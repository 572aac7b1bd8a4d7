/* ingest.h — import of members, orders, items, events and survey answers from CSV (RFC 4180)
 * or JSON lines, with cleaning.
 *
 * Columns are recognised by name in English or Chinese (手机号, mobile, phone → phone; …), or
 * mapped by a mapping file / --map HEADER=TARGET; a column that is neither known nor mapped is
 * an error (or ignored and listed, with ignore_unknown). Values are normalised (phones to
 * E.164, emails lower-cased, times to UTC, money to cents) and checked.
 *
 * Rows are accepted whole or rejected whole; every rejected row is written to the reject file
 * (CSV: file, line, field, reason, record) and counted. A file is imported in one transaction:
 * a fatal error, or the first bad row with stop_on_error, leaves the store unchanged.
 * Duplicates (the same order_no from any source, an exact repeat of an event or survey answer)
 * are counted and stored once. Member rows go through identity resolution (identity.h), so
 * they create, attach to or merge members. Each import leaves an import-run record with its
 * counts; `patron quality` reports over them.
 */
#ifndef PATRON_INGEST_H
#define PATRON_INGEST_H

#include "patron/db.h"
#include "patron/store.h"

#include <stddef.h>
#include <stdint.h>

enum pt_import_kind {
    PT_IMPORT_MEMBERS = 1,
    PT_IMPORT_ORDERS,
    PT_IMPORT_ITEMS,
    PT_IMPORT_EVENTS,
    PT_IMPORT_SURVEYS,
};

enum pt_import_format {
    PT_FORMAT_AUTO = 0, /* .jsonl / .ndjson / .json → JSON lines, else CSV */
    PT_FORMAT_CSV,
    PT_FORMAT_JSONL,
};

typedef void (*pt_import_progress_fn)(void *ud, uint64_t bytes_done, uint64_t bytes_total, int64_t rows);

typedef struct pt_import_opts {
    const char        *source;       /* required: the channel the file came from */
    const char        *mapping_file; /* lines "HEADER = target" ('#' comments); NULL: none */
    const char *const *maps;         /* extra "HEADER=target" pairs (flags) */
    size_t             nmaps;
    const char        *reject_path;  /* NULL: DIR/rejects/<file name>.rejects.csv */
    int                format;       /* enum pt_import_format */
    int                stop_on_error;/* roll back everything at the first bad row */
    int                ignore_unknown;
    size_t             max_record;   /* bytes per record; 0 = 1 MiB */
    pt_import_progress_fn progress;
    void              *progress_ud;
} pt_import_opts;

typedef struct pt_import_result {
    pt_import_run_rec run;                 /* the counts, as stored */
    char              reject_path[4096];   /* "" when nothing was rejected */
    char              ignored_columns[512];/* comma-separated headers that were not imported */
} pt_import_result;

int         pt_import_kind_parse(const char *s); /* 0 if unknown */
const char *pt_import_kind_name(int kind);

/* Imports one file. Returns 0 when the file was imported (rows may have been rejected: see
 * res->run.rows_rejected), or an error with pt_db_errmsg naming file, line, field and reason. */
int  pt_import_file(pt_db *db, int kind, const char *path, const pt_import_opts *opts, pt_import_result *res);
void pt_import_result_init(pt_import_result *res);
void pt_import_result_free(pt_import_result *res);

/* The import targets a kind accepts, as "target (synonyms…)" lines, for --help. */
const char *pt_import_columns_help(int kind);

/* The checks an import applies to one event or survey answer, for channels that take them
 * one by one (the server's POST /v1/events and /v1/surveys): an event kind is lower-case
 * letters, digits and _ (checkin, share, review, …), not empty; a survey score is a whole
 * number from 0 to 10 (NPS). */
#define PT_SURVEY_SCORE_MIN 0
#define PT_SURVEY_SCORE_MAX 10
int pt_event_kind_valid(const char *kind);
int pt_survey_score_valid(int64_t score);

#endif

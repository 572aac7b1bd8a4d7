/* store_sqlite_score.c — model scores per member (store_score.h) on SQLite.
 *
 * The table comes from migration 10 in store_sqlite.c. A put is one INSERT … ON CONFLICT DO
 * UPDATE on the (member_id, model) key, so re-scoring a member replaces its row in place; a
 * missing member is refused by the foreign key (PT_EINVAL) and an out-of-range score by the
 * CHECK, both before anything is written. Statement slots are SQ_SCORES_FIRST + the ids
 * below; with store_sqlite.c, store_sqlite_ledger.c and store_sqlite_reward.c this is the only
 * file that writes SQL for SQLite.
 */
#include "store_sqlite_int.h"
#include "patron/error.h"

#define SCORE_COLS "member_id, model, version, as_of, score_ppm, reasons, scored_at"

#define SCORE_STATEMENTS(X)                                                                    \
    X(PUT, "INSERT INTO member_scores(" SCORE_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7)"           \
           " ON CONFLICT(member_id, model) DO UPDATE SET version = excluded.version,"          \
           " as_of = excluded.as_of, score_ppm = excluded.score_ppm, reasons = excluded.reasons," \
           " scored_at = excluded.scored_at")                                                  \
    X(GET, "SELECT " SCORE_COLS " FROM member_scores WHERE member_id = ?1 AND model = ?2")     \
    X(SCAN, "SELECT " SCORE_COLS " FROM member_scores WHERE model = ?1 AND score_ppm >= ?2"    \
            " ORDER BY score_ppm DESC, member_id")                                              \
    X(CLEAR, "DELETE FROM member_scores WHERE model = ?1")                                     \
    X(MEMBER_EXISTS, "SELECT 1 FROM members WHERE id = ?1")

enum score_stmt {
#define SSTMT_ENUM(id, sql) SS_##id,
    SCORE_STATEMENTS(SSTMT_ENUM)
#undef SSTMT_ENUM
    SS__COUNT
};
_Static_assert(SQ_SCORES_FIRST + SS__COUNT <= SQ_CAMPAIGN_FIRST, "score statements overflow their slots");

static const char *const score_sql[SS__COUNT] = {
#define SSTMT_SQL(id, sql) [SS_##id] = sql,
    SCORE_STATEMENTS(SSTMT_SQL)
#undef SSTMT_SQL
};

#define SLOT(id) (SQ_SCORES_FIRST + (int)(id))

static int prep(pt_store *s, enum score_stmt id, sqlite3_stmt **st)
{
    return pt__sq_prepare(SQ(s), SLOT(id), score_sql[id], st);
}

static int read_score(sqlite3_stmt *st, void *p)
{
    pt_score_rec *r = p;
    r->member_id = col_i64(st, 0);
    col_text(st, 1, r->model, sizeof r->model);
    col_text(st, 2, r->version, sizeof r->version);
    r->as_of = col_i64(st, 3);
    r->score_ppm = col_i64(st, 4);
    col_text(st, 5, r->reasons, sizeof r->reasons);
    r->scored_at = col_i64(st, 6);
    return PT_OK;
}

static int read_nothing(sqlite3_stmt *st, void *p)
{
    (void)st;
    (void)p;
    return PT_OK;
}

/* The foreign key would refuse a missing member too, but as a constraint error; asking first
 * gives the caller the same PT_EINVAL as on PostgreSQL. */
static int sq_score_put(pt_store *s, const pt_score_rec *r)
{
    if (r->score_ppm < 0 || r->score_ppm > PT_SCORE_PPM)
        return pt__store_error(s, PT_EINVAL, "writing a score: score_ppm %lld is outside 0..%d",
                               (long long)r->score_ppm, PT_SCORE_PPM);
    sqlite3_stmt *st;
    int rc = prep(s, SS_MEMBER_EXISTS, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->member_id);
    rc = pt__sq_query_one(SQ(s), SLOT(SS_MEMBER_EXISTS), st, read_nothing, NULL, "checking a scored member");
    if (rc == PT_ENOTFOUND)
        return pt__store_error(s, PT_EINVAL, "writing a score: member %lld does not exist", (long long)r->member_id);
    if (rc)
        return rc;
    if ((rc = prep(s, SS_PUT, &st)))
        return rc;
    sqlite3_bind_int64(st, 1, r->member_id);
    bind_text(st, 2, r->model);
    bind_text(st, 3, r->version);
    sqlite3_bind_int64(st, 4, r->as_of);
    sqlite3_bind_int64(st, 5, r->score_ppm);
    bind_text(st, 6, r->reasons);
    sqlite3_bind_int64(st, 7, r->scored_at);
    return pt__sq_run(SQ(s), SLOT(SS_PUT), st, "writing a score");
}

static int sq_score_get(pt_store *s, int64_t member_id, const char *model, pt_score_rec *r)
{
    sqlite3_stmt *st;
    int rc = prep(s, SS_GET, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, member_id);
    bind_text(st, 2, model);
    return pt__sq_query_one(SQ(s), SLOT(SS_GET), st, read_score, r, "reading a score");
}

static int sq_score_scan(pt_store *s, const char *model, int64_t min_ppm, pt_score_cb cb, void *ud)
{
    sqlite3_stmt *st;
    int rc = prep(s, SS_SCAN, &st);
    if (rc)
        return rc;
    bind_text(st, 1, model);
    sqlite3_bind_int64(st, 2, min_ppm);
    pt_score_rec r;
    struct score_cb c = {cb, ud};
    return pt__sq_query_each(SQ(s), SLOT(SS_SCAN), st, read_score, &r, call_score, &c, "listing scores");
}

static int sq_score_clear_model(pt_store *s, const char *model, int64_t *n)
{
    sqlite3_stmt *st;
    int rc = prep(s, SS_CLEAR, &st);
    if (rc)
        return rc;
    bind_text(st, 1, model);
    rc = pt__sq_run(SQ(s), SLOT(SS_CLEAR), st, "clearing scores");
    if (rc == PT_OK && n)
        *n = sqlite3_changes64(SQ(s)->db);
    return rc;
}

const struct pt_store_score_ops pt__sq_score_ops = {
    .score_put = sq_score_put,
    .score_get = sq_score_get,
    .score_scan = sq_score_scan,
    .score_clear_model = sq_score_clear_model,
};

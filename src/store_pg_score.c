/* store_pg_score.c — model scores per member (store_score.h) on PostgreSQL.
 *
 * The table comes from migration 10 in store_pg.c; the conventions are store_pg.c's
 * (statements prepared at open, named pt_<PG_SCORES_FIRST + i>; binary results). A put is one
 * statement: the member's existence is checked in the same statement and the row is an
 * INSERT … ON CONFLICT (member_id, model) DO UPDATE, so a missing member is reported
 * (PT_EINVAL) without aborting the caller's transaction, and a re-score replaces the row in
 * place. member_id leads the key: the table is member-scoped (distributed by member_id on
 * Citus). With store_pg.c, store_pg_ledger.c and store_pg_reward.c this is the only file that
 * writes SQL for PostgreSQL.
 */
#include "store_pg_int.h"
#include "patron/error.h"

#define SCORE_COLS "member_id, model, version, as_of, score_ppm, reasons, scored_at"

#define SCORE_STATEMENTS(X)                                                                    \
    X(PUT, "WITH fk AS (SELECT " MEMBER_EXISTS("$1") " AS ok), ins AS ("                       \
           "INSERT INTO member_scores (" SCORE_COLS ") SELECT $1::bigint, $2::text, $3::text,"  \
           " $4::bigint, $5::bigint, $6::text, $7::bigint FROM fk WHERE fk.ok"                 \
           " ON CONFLICT (member_id, model) DO UPDATE SET version = excluded.version,"         \
           " as_of = excluded.as_of, score_ppm = excluded.score_ppm, reasons = excluded.reasons," \
           " scored_at = excluded.scored_at RETURNING 1 AS id)"                                \
           " SELECT (SELECT id FROM ins), (SELECT ok FROM fk)")                                 \
    X(GET, "SELECT " SCORE_COLS " FROM member_scores WHERE member_id = $1 AND model = $2")     \
    X(SCAN, "SELECT " SCORE_COLS " FROM member_scores WHERE model = $1 AND score_ppm >= $2"    \
            " ORDER BY score_ppm DESC, member_id")                                              \
    X(CLEAR, "DELETE FROM member_scores WHERE model = $1")

enum score_stmt {
#define SSTMT_ENUM(id, sql) SS_##id,
    SCORE_STATEMENTS(SSTMT_ENUM)
#undef SSTMT_ENUM
    SS__COUNT
};
_Static_assert(PG_SCORES_FIRST + SS__COUNT <= PG_CAMPAIGN_FIRST, "score statements overflow their ids");

const char *const pt__pg_score_sql[SS__COUNT] = {
#define SSTMT_SQL(id, sql) [SS_##id] = sql,
    SCORE_STATEMENTS(SSTMT_SQL)
#undef SSTMT_SQL
};
const int pt__pg_score_nsql = SS__COUNT;

#define STMT(id) (PG_SCORES_FIRST + (int)(id))

static int read_score(const PGresult *res, int row, void *p)
{
    pt_score_rec *r = p;
    r->member_id = g_i64(res, row, 0);
    g_text(res, row, 1, r->model, sizeof r->model);
    g_text(res, row, 2, r->version, sizeof r->version);
    r->as_of = g_i64(res, row, 3);
    r->score_ppm = g_i64(res, row, 4);
    g_text(res, row, 5, r->reasons, sizeof r->reasons);
    r->scored_at = g_i64(res, row, 6);
    return PT_OK;
}

struct put_result {
    int64_t written; /* 1 when the row was inserted or updated */
    int64_t member;  /* 1 when the member exists */
};

static int read_put(const PGresult *res, int row, void *p)
{
    struct put_result *r = p;
    r->written = g_i64(res, row, 0);
    r->member = g_i64(res, row, 1);
    return PT_OK;
}

static int pg_score_put(pt_store *s, const pt_score_rec *r)
{
    if (r->score_ppm < 0 || r->score_ppm > PT_SCORE_PPM)
        return pt__store_error(s, PT_EINVAL, "writing a score: score_ppm %lld is outside 0..%d",
                               (long long)r->score_ppm, PT_SCORE_PPM);
    struct params p = {0};
    p_i64(&p, r->member_id);
    p_text(&p, r->model);
    p_text(&p, r->version);
    p_i64(&p, r->as_of);
    p_i64(&p, r->score_ppm);
    p_text(&p, r->reasons);
    p_i64(&p, r->scored_at);
    struct put_result out = {0};
    int rc = pt__pg_query_one(PG(s), STMT(SS_PUT), &p, read_put, &out, "writing a score");
    if (rc)
        return rc;
    if (!out.member)
        return pt__store_error(s, PT_EINVAL, "writing a score: member %lld does not exist", (long long)r->member_id);
    return out.written ? PT_OK : pt__store_error(s, PT_ESTORE, "writing a score: no row written");
}

static int pg_score_get(pt_store *s, int64_t member_id, const char *model, pt_score_rec *r)
{
    struct params p = {0};
    p_i64(&p, member_id);
    p_text(&p, model);
    return pt__pg_query_one(PG(s), STMT(SS_GET), &p, read_score, r, "reading a score");
}

static int pg_score_scan(pt_store *s, const char *model, int64_t min_ppm, pt_score_cb cb, void *ud)
{
    struct params p = {0};
    p_text(&p, model);
    p_i64(&p, min_ppm);
    pt_score_rec r;
    struct score_cb c = {cb, ud};
    return pt__pg_query_each(PG(s), STMT(SS_SCAN), &p, read_score, &r, call_score, &c, "listing scores");
}

static int pg_score_clear_model(pt_store *s, const char *model, int64_t *n)
{
    struct params p = {0};
    p_text(&p, model);
    int64_t changed = 0;
    int rc = pt__pg_run_cmd(PG(s), STMT(SS_CLEAR), &p, "clearing scores", &changed);
    if (rc == PT_OK && n)
        *n = changed;
    return rc;
}

const struct pt_store_score_ops pt__pg_score_ops = {
    .score_put = pg_score_put,
    .score_get = pg_score_get,
    .score_scan = pg_score_scan,
    .score_clear_model = pg_score_clear_model,
};

/* test_churn.c — churn risk (churn.h): metrics worked out by hand, features that never read
 * past the cut-off, labels that stay unknown past the data, the default horizon, learners that
 * separate a planted churn signal on synthetic members, the BG/NBD baseline, the figures on
 * CDNOW and Online Retail (skipped when ../shared/data is absent), and the CLI.
 *
 * Synthetic members come from a transactions CSV generated with a fixed LCG: "stayers" buy
 * every 3–20 days all year; "leavers" buy the same way until a day of their own, then never
 * again. As of a cut-off, a leaver who stopped weeks ago is overdue — the signal a learner
 * must find. */
#include "helpers.h"
#include "test.h"
#include "patron/churn.h"
#include "patron/db.h"
#include "patron/error.h"
#include "patron/snapshot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY      86400
#define T2020    1577836800 /* 2020-01-01T00:00:00Z */
#define NO_DATA  "../shared/data is absent (a clone without shared/): data-set test skipped"

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* The planted data set as CSV text (caller frees): member,date,amount. leavers stop buying on
 * a day in [60, 330] of 2020; *truth gets 1 for leavers (by member number − 1). */
static char *planted_csv(int members, uint64_t seed, int *truth)
{
    size_t cap = (size_t)members * 120 * 32 + 64, len = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    len += (size_t)snprintf(s, cap, "member,date,amount\n");
    for (int m = 1; m <= members; m++) {
        int leaver = (int)(lcg(&seed) % 10) < 4;
        int stop = leaver ? 60 + (int)(lcg(&seed) % 271) : 400;
        if (truth)
            truth[m - 1] = leaver;
        for (int day = (int)(lcg(&seed) % 20); day < 366 && day < stop; day += 3 + (int)(lcg(&seed) % 18)) {
            int y = 2020, mo = 1, d = day + 1;
            static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
            while (d > mdays[mo - 1]) {
                d -= mdays[mo - 1];
                mo++;
            }
            len += (size_t)snprintf(s + len, cap - len, "%d,%04d-%02d-%02d,%d.%02d\n", m, y, mo, d,
                                    10 + (int)(lcg(&seed) % 90), (int)(lcg(&seed) % 100));
        }
    }
    return s;
}

static pt_snapshot *planted(int members, uint64_t seed, int *truth)
{
    char *text = planted_csv(members, seed, truth);
    pt_snapshot *snap = text ? test_snapshot_of_csv(text) : NULL;
    free(text);
    return snap;
}

/* --- metrics ---------------------------------------------------------------------------------- */

/* p = .9 .8 .3 .1 with y = 1 0 1 0: of the four positive/negative pairs three are ranked
 * right (AUC 3/4); average precision (1/1 + 2/3)/2; Brier (.01 + .64 + .49 + .01)/4; the top
 * decile is one row, a churner: precision 1, recall 1/2, lift 1/0.5 = 2. */
TEST(churn_metrics_match_hand_worked_values)
{
    const double p[4] = {0.9, 0.8, 0.3, 0.1};
    const int8_t y[4] = {1, 0, 1, 0};
    pt_churn_metrics m;
    ASSERT_OK(pt_churn_metrics_of(&m, p, y, 4));
    ASSERT(fabs(m.auc - 0.75) < 1e-12);
    ASSERT(fabs(m.pr_auc - (1 + 2.0 / 3) / 2) < 1e-12);
    ASSERT(fabs(m.brier - 0.2875) < 1e-12);
    ASSERT(fabs(m.precision_top - 1) < 1e-12);
    ASSERT(fabs(m.recall_top - 0.5) < 1e-12);
    ASSERT(fabs(m.lift_top - 2) < 1e-12);
    ASSERT_EQ(m.cal_n[9], 1);
    ASSERT_EQ(m.cal_n[8], 1);
    ASSERT_EQ(m.cal_n[3], 1);
    ASSERT_EQ(m.cal_n[1], 1);
    ASSERT(fabs(m.cal_obs[9] - 1) < 1e-12);
}

/* Tied scores share their rank: a tie between a churner and a stayer counts half. Unknown
 * labels (−1) are left out; one class alone is PT_EINVAL. */
TEST(churn_metrics_count_ties_half_and_skip_unknown_labels)
{
    const double p[3] = {0.5, 0.5, 0.99};
    const int8_t y[3] = {1, 0, -1};
    pt_churn_metrics m;
    ASSERT_OK(pt_churn_metrics_of(&m, p, y, 3));
    ASSERT_EQ(m.n, 2);
    ASSERT(fabs(m.auc - 0.5) < 1e-12);
    const int8_t one[2] = {1, 1};
    ASSERT_EQ(pt_churn_metrics_of(&m, p, one, 2), PT_EINVAL);
}

/* --- features and labels ---------------------------------------------------------------------- */

static const char *const TWO_MEMBERS = "member,date,amount\n"
                                       "1,2020-01-01,10.00\n"
                                       "1,2020-01-11,20.00\n"
                                       "1,2020-01-31,30.00\n"
                                       "1,2020-03-01,40.00\n" /* after the cut-off */
                                       "2,2020-01-05,50.00\n"
                                       "2,2020-06-01,50.00\n"; /* long after */

/* As of 2020-02-01: member 1 has 3 orders (gaps 10 and 20 days, last 1 day ago, 60.00 in
 * total) and buys again within 30 days → label 0; member 2 has one order 27 days ago and
 * none in the window → label 1. Orders after the cut-off change no feature. */
TEST(churn_features_read_only_orders_before_the_cut_off)
{
    pt_snapshot *snap = test_snapshot_of_csv(TWO_MEMBERS);
    ASSERT(snap);
    int64_t cut = T2020 + 31 * DAY, end = T2020 + 366 * DAY;
    pt_churn_data d;
    ASSERT_OK(pt_churn_features(&d, snap, cut, 30, end));
    ASSERT_EQ(d.n, 2);
    const double *a = d.x, *b = d.x + PT_CF__COUNT;
    ASSERT(fabs(a[PT_CF_RECENCY] - 1) < 1e-9);
    ASSERT(fabs(a[PT_CF_FREQUENCY] - log1p(3)) < 1e-12);
    ASSERT(fabs(a[PT_CF_MONETARY] - log1p(6000)) < 1e-12);
    ASSERT(fabs(a[PT_CF_IPT_MEAN] - 15) < 1e-9);
    ASSERT(fabs(a[PT_CF_GAP_TREND] - 21.0 / 11) < 1e-9);
    ASSERT(fabs(a[PT_CF_ORDERS_90] - 3) < 1e-12);
    ASSERT_EQ(d.label[0], 0);
    ASSERT(fabs(b[PT_CF_RECENCY] - 27) < 1e-9);
    ASSERT(fabs(b[PT_CF_FREQUENCY] - log1p(1)) < 1e-12);
    ASSERT_EQ(d.label[1], 1);
    ASSERT_EQ(d.known, 2);
    ASSERT_EQ(d.churned, 1);

    /* The same members without the later orders: identical features. */
    pt_snapshot *cut_snap = test_snapshot_of_csv("member,date,amount\n1,2020-01-01,10.00\n1,2020-01-11,20.00\n"
                                             "1,2020-01-31,30.00\n2,2020-01-05,50.00\n");
    pt_churn_data e;
    ASSERT(cut_snap);
    ASSERT_OK(pt_churn_features(&e, cut_snap, cut, 30, end));
    ASSERT_EQ(memcmp(d.x, e.x, 2 * PT_CF__COUNT * sizeof *d.x), 0);
    pt_churn_data_free(&e);
    pt_snapshot_free(cut_snap);
    pt_churn_data_free(&d);
    pt_snapshot_free(snap);
}

/* A window that runs past the end of the data: a purchase seen in it still makes the label 0,
 * but no purchase proves nothing — the label is −1 (unknown), not 1. */
TEST(churn_labels_are_unknown_when_the_window_passes_the_data)
{
    pt_snapshot *snap = test_snapshot_of_csv(TWO_MEMBERS);
    ASSERT(snap);
    pt_churn_data d;
    ASSERT_OK(pt_churn_features(&d, snap, T2020 + 31 * DAY, 30, T2020 + 40 * DAY));
    ASSERT_EQ(d.label[0], 0);
    ASSERT_EQ(d.label[1], -1);
    ASSERT_EQ(d.known, 1);
    ASSERT_EQ(d.churned, 0);
    pt_churn_data_free(&d);
    ASSERT_EQ(pt_churn_features(&d, snap, T2020, 0, T2020), PT_EINVAL);
    pt_snapshot_free(snap);
}

/* Gaps of 100 days: the 80th percentile is 100; gaps of 2 days clamp to the 30-day floor;
 * fewer than 20 gaps: 90. */
TEST(churn_default_horizon_is_the_80th_percentile_gap_clamped)
{
    char text[8192];
    size_t len = (size_t)snprintf(text, sizeof text, "member,date,amount\n");
    for (int m = 1; m <= 11; m++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%d,2019-01-01,1.00\n%d,2019-04-11,1.00\n"
                                "%d,2019-07-20,1.00\n", m, m, m);
    pt_snapshot *snap = test_snapshot_of_csv(text);
    ASSERT(snap);
    ASSERT_EQ(pt_churn_default_horizon(snap, T2020), 100);
    pt_snapshot_free(snap);
    len = (size_t)snprintf(text, sizeof text, "member,date,amount\n");
    for (int m = 1; m <= 11; m++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%d,2019-01-01,1.00\n%d,2019-01-03,1.00\n"
                                "%d,2019-01-05,1.00\n", m, m, m);
    snap = test_snapshot_of_csv(text);
    ASSERT(snap);
    ASSERT_EQ(pt_churn_default_horizon(snap, T2020), 30);
    pt_snapshot_free(snap);
    snap = test_snapshot_of_csv(TWO_MEMBERS);
    ASSERT(snap);
    ASSERT_EQ(pt_churn_default_horizon(snap, T2020 + 366 * DAY), 90);
    pt_snapshot_free(snap);
}

/* --- learners on the planted signal ----------------------------------------------------------- */

static void evaluate_planted(int model, double min_auc)
{
    pt_snapshot *snap = planted(600, 7, NULL);
    ASSERT(snap);
    pt_churn_opts o;
    pt_churn_opts_init(&o, model);
    o.horizon_days = 30;
    pt_churn_eval e;
    char err[256] = "";
    int rc = pt_churn_evaluate(&e, snap, T2020 + 366 * DAY, &o, err, sizeof err);
    pt_snapshot_free(snap);
    if (rc)
        PT__FAIL("evaluate: %s", err);
    printf("# %s: AUC %.4f PR-AUC %.4f Brier %.4f on %zu rows (%zu churned)\n", pt_churn_model_name(model), e.m.auc,
           e.m.pr_auc, e.m.brier, e.m.n, e.m.positives);
    ASSERT_EQ(e.eval_as_of, T2020 + 336 * DAY);
    ASSERT_EQ(e.train_as_of, T2020 + 306 * DAY);
    ASSERT(e.m.positives > 20 && e.m.positives < e.m.n - 20);
    ASSERT(e.m.auc > min_auc);
    ASSERT(e.m.brier < e.m.base_rate * (1 - e.m.base_rate)); /* better than always saying the base rate */
    ASSERT(e.importance[PT_CF_RECENCY] > 0 || e.importance[PT_CF_OVERDUE] > 0);
}

TEST(churn_logistic_regression_separates_a_planted_signal)
{
    evaluate_planted(PT_CHURN_LR, 0.85);
}

TEST(churn_xgboost_separates_a_planted_signal)
{
    evaluate_planted(PT_CHURN_XGB, 0.85);
}

TEST(churn_bgnbd_baseline_ranks_the_planted_leavers)
{
    evaluate_planted(PT_CHURN_BGNBD, 0.75);
}

/* Scoring as of the end: the planted leavers who stopped long ago are the riskiest, and their
 * top reason is about lateness (recency or the overdue ratio). */
TEST(churn_scores_rank_planted_leavers_first_with_lateness_as_the_reason)
{
    int truth[600];
    pt_snapshot *snap = planted(600, 11, truth);
    ASSERT(snap);
    pt_churn_opts o;
    pt_churn_opts_init(&o, PT_CHURN_XGB);
    o.horizon_days = 30;
    pt_churn_scores sc;
    char err[256] = "";
    int rc = pt_churn_score_all(&sc, snap, T2020 + 366 * DAY, &o, err, sizeof err);
    pt_snapshot_free(snap);
    if (rc)
        PT__FAIL("score: %s", err);
    ASSERT(sc.n > 500);
    ASSERT_EQ(sc.horizon_days, 30);
    double leaver = 0, stayer = 0;
    size_t nl = 0, ns = 0, late = 0;
    for (size_t i = 0; i < sc.n; i++) {
        int t = truth[sc.row[i].member_id - 1];
        leaver += t ? sc.row[i].p : 0;
        stayer += t ? 0 : sc.row[i].p;
        nl += t != 0;
        ns += t == 0;
        if (t && sc.row[i].p > 0.8)
            late += sc.row[i].reason[0] == PT_CF_RECENCY || sc.row[i].reason[0] == PT_CF_OVERDUE ||
                    sc.row[i].reason[0] == PT_CF_ORDERS_90;
    }
    printf("# mean risk: leavers %.3f, stayers %.3f; %zu confident leavers explained by lateness\n", leaver / (double)nl,
           stayer / (double)ns, late);
    ASSERT(leaver / (double)nl > stayer / (double)ns + 0.4);
    ASSERT(late > nl / 2);
    char text[PT_SCORE_REASONS_MAX] = "";
    for (size_t i = 0; i < sc.n && !text[0]; i++)
        if (sc.row[i].p > 0.8)
            pt_churn_reasons_text(sc.row[i].reason, text, sizeof text);
    pt_churn_scores_free(&sc);
    ASSERT(strlen(text) > 0);
    ASSERT(strstr(text, "recency_days") || strstr(text, "overdue_ratio") || strstr(text, "orders_90d"));
}

/* --- the shared data sets ---------------------------------------------------------------------- */

static void evaluate_file(const char *rel, const pt_tx_opts *to, double min_auc)
{
    const char *path = pt_test_shared(rel);
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f)
        SKIP(NO_DATA);
    pt_snapshot *snap = NULL;
    char err[256];
    int rc = pt_snapshot_load_transactions(&snap, f, path, to, NULL, err, sizeof err);
    fclose(f);
    if (rc)
        PT__FAIL("load: %s", err);
    int64_t end = 0;
    for (size_t k = 0; k < snap->norders; k++)
        end = snap->order_at[k] > end ? snap->order_at[k] : end;
    end = (end / DAY + 1) * DAY;
    for (int model = PT_CHURN_LR; model <= PT_CHURN_BGNBD; model++) {
        pt_churn_opts o;
        pt_churn_opts_init(&o, model);
        pt_churn_eval e;
        rc = pt_churn_evaluate(&e, snap, end, &o, err, sizeof err);
        if (rc) {
            pt_snapshot_free(snap);
            PT__FAIL("%s: %s", pt_churn_model_name(model), err);
        }
        printf("# %s %s: horizon %d, AUC %.4f, PR-AUC %.4f, top-decile precision %.3f, Brier %.4f\n", rel,
               pt_churn_model_name(model), e.horizon_days, e.m.auc, e.m.pr_auc, e.m.precision_top, e.m.brier);
        if (!(e.m.auc > min_auc)) {
            pt_snapshot_free(snap);
            PT__FAIL("%s AUC %.4f not above %.2f", pt_churn_model_name(model), e.m.auc, min_auc);
        }
    }
    pt_snapshot_free(snap);
}

TEST(churn_models_rank_cdnow_churners_on_a_time_split)
{
    pt_tx_opts o = {.id_col = "customer_id", .date_col = "date", .amount_col = "amount"};
    evaluate_file("cdnow/cdnow_sample.csv", &o, 0.75);
}

TEST(churn_models_rank_online_retail_churners_on_a_time_split)
{
    evaluate_file("online_retail/online_retail_2010-12_2011-08.csv", NULL, 0.70);
}

/* --- CLI ----------------------------------------------------------------------------------------- */

TEST(cli_churn_evaluate_json_reports_every_model_on_a_transactions_file)
{
    char *text = planted_csv(300, 5, NULL);
    ASSERT(text);
    const char *path = pt_test_write_file(pt_test_tmpdir(), "planted.csv", text);
    free(text);
    char *out = NULL;
    int rc = pt_test_run(&out, "%s churn evaluate --horizon 30 --json --transactions %s --id-col member 2>/dev/null",
                         pt_test_patron_bin(), path);
    ASSERT_EQ(rc, 0);
    ASSERT(out && strstr(out, "\"horizon_days\":30"));
    ASSERT(strstr(out, "\"lr\":{") && strstr(out, "\"xgb\":{") && strstr(out, "\"bgnbd\":{"));
    ASSERT(strstr(out, "\"auc\":") && strstr(out, "\"brier\":") && strstr(out, "\"calibration\":["));
    free(out);
    rc = pt_test_run(&out, "%s churn score --model lr --horizon 30 --csv --transactions %s 2>/dev/null",
                     pt_test_patron_bin(), path);
    ASSERT_EQ(rc, 0);
    ASSERT(out && strncmp(out, "member,churn_risk,reasons\n", 26) == 0);
    size_t lines = 0;
    for (const char *p = out; *p; p++)
        lines += *p == '\n';
    ASSERT(lines > 250);
    free(out);
    rc = pt_test_run(&out, "%s churn score --model nope --transactions %s 2>&1", pt_test_patron_bin(), path);
    ASSERT_EQ(rc, 2);
    ASSERT(out && strstr(out, "--model takes lr, xgb or bgnbd"));
    free(out);
}

/* On a store (demo data): `churn score` stores one score per consenting member with a paid
 * order — the members `rfm` shows with one — and the loader campaigns call reads them back,
 * riskiest first, with the model version the CLI printed; train and evaluate run too. */
TEST(cli_churn_score_on_a_store_saves_scores_the_loader_reads_back)
{
    const char *BIN = pt_test_patron_bin(), *dir = pt_test_tmpdir();
    char data[1024], *out = NULL;
    snprintf(data, sizeof data, "%s/p", dir);
    int st = pt_test_run(&out, "'%s' demo --members 400 --seed 5 --no-programme --data '%s' 2>&1", BIN, data);
    free(out);
    ASSERT_EQ(st, 0);
    char *csv = NULL, *rfm = NULL;
    ASSERT_EQ(pt_test_run(&csv, "'%s' churn score --model lr --csv --as-of 2026-01-01 --data '%s'", BIN, data), 0);
    ASSERT_EQ(pt_test_run(&rfm, "'%s' rfm --csv --as-of 2026-01-01 --data '%s'", BIN, data), 0);
    size_t lines = 0, shown = 0;
    for (const char *p = csv; *p; p++)
        lines += *p == '\n';
    for (const char *p = strchr(rfm, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
        const char *comma = strchr(p + 1, ','); /* member,recency_days,…: −1 = no paid order */
        shown += comma && strncmp(comma, ",-1,", 4) != 0;
    }
    free(csv);
    free(rfm);
    ASSERT(lines > 20); /* 400 demo members, about a tenth with a paid order by then */
    ASSERT_EQ(lines - 1, shown);
    pt_db *db = NULL;
    char err[256];
    ASSERT_OK(pt_db_open(&db, data, NULL, err, sizeof err));
    pt_score_rec *rows = NULL;
    size_t n = 0;
    int rc = pt_churn_scores_load(pt_db_store(db), "lr", 0, &rows, &n);
    int ordered = 1;
    for (size_t i = 1; i < n; i++)
        ordered &= rows[i - 1].score_ppm >= rows[i].score_ppm;
    int versioned = n > 0 && strncmp(rows[0].version, "lr-liblinear-C1@", 16) == 0;
    free(rows);
    pt_db_close(db);
    ASSERT_OK(rc);
    ASSERT_EQ(n, lines - 1);
    ASSERT(ordered && versioned);
    ASSERT_EQ(pt_test_run(&out, "'%s' churn train --model xgb --json --as-of 2026-01-01 --data '%s'", BIN, data), 0);
    ASSERT_STR_CONTAINS(out, "\"in_sample_auc\":");
    free(out);
    ASSERT_EQ(pt_test_run(&out, "'%s' churn evaluate --model lr --data '%s'", BIN, data), 0);
    ASSERT_STR_CONTAINS(out, "AUC");
    free(out);
    ASSERT_EQ(pt_test_run(NULL, "'%s' churn evaluate --as-of 2026-01-01 --data '%s' 2>/dev/null", BIN, data), 2);
}

/* test_reco.c — the recommenders (reco.h) on small hand-built purchase data with answers
 * worked out by hand: cosine neighbours, rankings with their popularity tie-break, filters
 * (already bought, blocked items, categories), ALS determinism and planted structure, the
 * model file round trip and its errors, and the evaluation on a planted split; plus the
 * evaluation on Online Retail when ../shared/data has it. */
#include "helpers.h"
#include "test.h"
#include "patron/error.h"
#include "patron/reco.h"
#include "patron/snapshot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Members 1: A B; 2: A B C; 3: A C; 4: B D — one order each. A, B are mugs; C, D cards.
 * Buyers: U(A) = {1,2,3}, U(B) = {1,2,4}, U(C) = {2,3}, U(D) = {4}, so
 * cos(A,B) = 2/3, cos(A,C) = 2/√6, cos(B,C) = 1/√6, cos(B,D) = 1/√3, cos(A,D) = cos(C,D) = 0. */
static const char *SMALL = "CustomerID,InvoiceNo,InvoiceDate,StockCode,Quantity,UnitPrice,category\n"
                           "1,I1,2024-01-01,AA,1,1.00,mugs\n"
                           "1,I1,2024-01-01,BB,1,1.00,mugs\n"
                           "2,I2,2024-01-02,AA,1,1.00,mugs\n"
                           "2,I2,2024-01-02,BB,2,1.00,mugs\n"
                           "2,I2,2024-01-02,CC,1,1.00,cards\n"
                           "3,I3,2024-01-03,AA,1,1.00,mugs\n"
                           "3,I3,2024-01-03,CC,1,1.00,cards\n"
                           "4,I4,2024-01-04,BB,1,1.00,mugs\n"
                           "4,I4,2024-01-04,DD,1,1.00,cards\n";

static pt_reco_model *train(const pt_snapshot *s, int kind)
{
    pt_reco_matrix m;
    pt_reco_opts o;
    pt_reco_opts_init(&o, kind);
    o.factors = 4;
    o.iterations = 10;
    pt_reco_model *md = NULL;
    if (pt_reco_matrix_build(&m, s, NULL))
        return NULL;
    int rc = pt_reco_train(&md, s, &m, &o);
    pt_reco_matrix_free(&m);
    return rc ? NULL : md;
}

static double sim_of(const pt_reco_model *md, const char *a, const char *b)
{
    int32_t i = pt_reco_model_item(md, a), j = pt_reco_model_item(md, b);
    for (uint32_t e = md->nb_first[i]; e < md->nb_first[i + 1]; e++)
        if ((int32_t)md->nb_item[e] == j)
            return md->nb_sim[e];
    return 0;
}

/* Recommends for snapshot member index i and writes the codes, comma-separated, into out. */
static int recommend_codes(const pt_reco_model *md, const pt_snapshot *s, size_t i, const pt_reco_filter *f,
                           size_t n, char *out, size_t outlen)
{
    int32_t *item;
    float *count;
    size_t nh, nr;
    pt_reco_pick picks[16];
    int rc = pt_reco_history_of(md, s, i, NULL, &item, &count, &nh);
    pt_reco_history h = {.n = nh, .item = item, .count = count};
    if (rc == PT_OK)
        rc = pt_reco_recommend(md, &h, f, n, picks, &nr);
    out[0] = 0;
    for (size_t k = 0; rc == PT_OK && k < nr; k++)
        snprintf(out + strlen(out), outlen - strlen(out), "%s%s", k ? "," : "", md->code[picks[k].item]);
    free(item);
    free(count);
    return rc;
}

TEST(reco_matrix_counts_orders_holding_an_item_once_per_order)
{
    pt_snapshot *s = test_snapshot_of_csv(SMALL);
    ASSERT(s);
    pt_reco_matrix m;
    ASSERT_OK(pt_reco_matrix_build(&m, s, NULL));
    ASSERT_EQ(m.nusers, 4);
    ASSERT_EQ(m.nitems, 4);
    ASSERT_EQ(m.nnz, 9);
    /* member 2 bought B with quantity 2 in one order: one order, count 1 */
    ASSERT_EQ(m.first[1], 2);
    ASSERT_EQ(m.first[2], 5);
    for (size_t e = 0; e < m.nnz; e++)
        ASSERT(m.count[e] == 1.0f);
    pt_reco_matrix_free(&m);
    pt_snapshot_free(s);
}

TEST(reco_cosine_neighbours_match_the_hand_worked_similarities)
{
    pt_snapshot *s = test_snapshot_of_csv(SMALL);
    ASSERT(s);
    pt_reco_model *md = train(s, PT_RECO_COSINE);
    ASSERT(md);
    ASSERT(fabs(sim_of(md, "AA", "BB") - 2.0 / 3.0) < 1e-12);
    ASSERT(fabs(sim_of(md, "AA", "CC") - 2.0 / sqrt(6.0)) < 1e-12);
    ASSERT(fabs(sim_of(md, "BB", "CC") - 1.0 / sqrt(6.0)) < 1e-12);
    ASSERT(fabs(sim_of(md, "BB", "DD") - 1.0 / sqrt(3.0)) < 1e-12);
    ASSERT(sim_of(md, "AA", "DD") == 0);
    ASSERT(sim_of(md, "CC", "DD") == 0);
    /* A's list: C (0.816) before B (0.667); never A itself */
    int32_t a = pt_reco_model_item(md, "AA");
    ASSERT_EQ(md->nb_first[a + 1] - md->nb_first[a], 2);
    ASSERT_STR_EQ(md->code[md->nb_item[md->nb_first[a]]], "CC");
    ASSERT_STR_EQ(md->code[md->nb_item[md->nb_first[a] + 1]], "BB");
    pt_reco_model_free(md);
    pt_snapshot_free(s);
}

TEST(reco_cosine_ranks_by_summed_similarity_then_popularity)
{
    pt_snapshot *s = test_snapshot_of_csv(SMALL);
    ASSERT(s);
    pt_reco_model *md = train(s, PT_RECO_COSINE);
    ASSERT(md);
    char got[128];
    /* member 4 (B, D): A = cos(B,A) = 0.667, C = cos(B,C) = 0.408 */
    ASSERT_OK(recommend_codes(md, s, 3, NULL, 10, got, sizeof got));
    ASSERT_STR_EQ(got, "AA,CC");
    /* with bought items: B = cos(D,B) = 0.577 = D = cos(B,D); B first by popularity (3 vs 1) */
    pt_reco_filter f;
    ASSERT_OK(pt_reco_filter_init(&f, md));
    f.include_bought = 1;
    ASSERT_OK(recommend_codes(md, s, 3, &f, 10, got, sizeof got));
    ASSERT_STR_EQ(got, "AA,BB,DD,CC");
    pt_reco_filter_free(&f);
    pt_reco_model_free(md);
    pt_snapshot_free(s);
}

/* A history of DD alone (cards): BB scores cos(DD,BB) = 0.577; AA and CC score 0 and fall back to
 * category popularity — CC (cards, like DD) before the more popular AA (mugs). */
TEST(reco_items_without_a_score_come_in_category_popularity_order)
{
    pt_snapshot *s = test_snapshot_of_csv(SMALL);
    ASSERT(s);
    pt_reco_model *md = train(s, PT_RECO_COSINE);
    ASSERT(md);
    int32_t dd = pt_reco_model_item(md, "DD");
    pt_reco_history h = {.n = 1, .item = &dd};
    pt_reco_pick p[4];
    size_t n;
    ASSERT_OK(pt_reco_recommend(md, &h, NULL, 4, p, &n));
    ASSERT_EQ(n, 3);
    ASSERT_STR_EQ(md->code[p[0].item], "BB");
    ASSERT_STR_EQ(md->code[p[1].item], "CC");
    ASSERT_STR_EQ(md->code[p[2].item], "AA");
    /* no history at all: popularity (AA and BB 3 buyers, then CC 2, DD 1) */
    h.n = 0;
    ASSERT_OK(pt_reco_recommend(md, &h, NULL, 4, p, &n));
    ASSERT_EQ(n, 4);
    ASSERT_STR_EQ(md->code[p[0].item], "AA");
    ASSERT_STR_EQ(md->code[p[3].item], "DD");
    pt_reco_model_free(md);
    pt_snapshot_free(s);
}

TEST(reco_filters_block_items_and_keep_only_chosen_categories)
{
    pt_snapshot *s = test_snapshot_of_csv(SMALL);
    ASSERT(s);
    pt_reco_model *md = train(s, PT_RECO_COSINE);
    ASSERT(md);
    char got[128];
    pt_reco_filter f;
    ASSERT_OK(pt_reco_filter_init(&f, md));
    ASSERT_OK(pt_reco_filter_block(&f, md, "AA")); /* out of stock */
    ASSERT_EQ(pt_reco_filter_block(&f, md, "nope"), PT_ENOTFOUND);
    ASSERT_OK(recommend_codes(md, s, 3, &f, 10, got, sizeof got));
    ASSERT_STR_EQ(got, "CC");
    pt_reco_filter_free(&f);
    ASSERT_OK(pt_reco_filter_init(&f, md));
    const char *cards[] = {"cards"};
    pt_reco_filter_categories(&f, md, cards, 1);
    f.include_bought = 1;
    ASSERT_OK(recommend_codes(md, s, 0, &f, 10, got, sizeof got)); /* member 1 (A, B): C 0.816+0.408, D 0.577 */
    ASSERT_STR_EQ(got, "CC,DD");
    pt_reco_filter_free(&f);
    pt_reco_model_free(md);
    pt_snapshot_free(s);
}

TEST(reco_popularity_lists_by_buyers_and_breaks_ties_by_item)
{
    pt_snapshot *s = test_snapshot_of_csv(SMALL);
    ASSERT(s);
    pt_reco_model *md = train(s, PT_RECO_POPULAR);
    ASSERT(md);
    char got[128];
    ASSERT_OK(recommend_codes(md, s, 2, NULL, 10, got, sizeof got)); /* member 3 has A, C */
    ASSERT_STR_EQ(got, "BB,DD");
    ASSERT_OK(recommend_codes(md, s, 0, NULL, 1, got, sizeof got)); /* member 1 has A, B: C (2) */
    ASSERT_STR_EQ(got, "CC");
    pt_reco_model_free(md);
    pt_snapshot_free(s);
}

/* BM25 from its definition, by hand for the pair (AA, CC): N = 4 items, K1 = 1.2, B = 0.75;
 * every count is 1; len(A) = 3, len(C) = 2, avglen = 9/4; idf(u) = log 4 − log(1 + |I(u)|). */
TEST(reco_bm25_similarity_follows_its_definition)
{
    pt_snapshot *s = test_snapshot_of_csv(SMALL);
    ASSERT(s);
    pt_reco_model *md = train(s, PT_RECO_BM25);
    ASSERT(md);
    double k1 = 1.2, b = 0.75, avg = 9.0 / 4.0;
    double na = (1 - b) + b * 3 / avg, nc = (1 - b) + b * 2 / avg;
    double wa = (k1 + 1) / (k1 * na + 1), wc = (k1 + 1) / (k1 * nc + 1);
    double idf2 = log(4.0) - log(4.0), idf3 = log(4.0) - log(3.0); /* member 2 has 3 items, member 3 two */
    double want = wa * idf2 * wc * idf2 + wa * idf3 * wc * idf3;
    ASSERT(fabs(sim_of(md, "AA", "CC") - want) < 1e-12);
    ASSERT(fabs(sim_of(md, "CC", "AA") - want) < 1e-12);
    pt_reco_model_free(md);
    pt_snapshot_free(s);
}

/* Two groups: members 1–3 buy from {a1, a2, a3}, members 4–7 from {b1, b2, b3}; members 3 and
 * 7 bought a whole group at once, the others two items of it first and the third last. */
static const char *PLANTED = "CustomerID,InvoiceNo,InvoiceDate,StockCode,Quantity,UnitPrice\n"
                             "1,X1,2024-01-01,a1,1,1\n1,X1,2024-01-01,a2,1,1\n1,X2,2024-02-01,a3,1,1\n"
                             "2,X3,2024-01-01,a1,1,1\n2,X3,2024-01-01,a2,1,1\n2,X4,2024-02-01,a3,1,1\n"
                             "3,X5,2024-01-01,a1,1,1\n3,X5,2024-01-01,a2,1,1\n3,X5,2024-01-01,a3,1,1\n"
                             "3,X6,2024-02-01,a1,1,1\n"
                             "4,X7,2024-01-01,b1,1,1\n4,X7,2024-01-01,b2,1,1\n4,X8,2024-02-01,b3,1,1\n"
                             "5,X9,2024-01-01,b1,1,1\n5,X9,2024-01-01,b2,1,1\n5,X10,2024-02-01,b3,1,1\n"
                             "6,X11,2024-01-01,b1,1,1\n6,X11,2024-01-01,b2,1,1\n6,X12,2024-02-01,b3,1,1\n"
                             "8,X15,2024-01-01,b1,1,1\n8,X15,2024-01-01,b2,1,1\n8,X16,2024-02-01,b3,1,1\n"
                             "7,X13,2024-01-01,b1,1,1\n7,X13,2024-01-01,b2,1,1\n7,X13,2024-01-01,b3,1,1\n"
                             "7,X14,2024-02-01,b1,1,1\n";

/* Leave-last-basket-out with k = 1. Training popularity: b1, b2 5 buyers, a1, a2 3, a3, b3 1.
 * Members 1, 2 (history a1 a2, test {a3}) get b1 from popularity; members 4, 5, 6, 8 (b1 b2,
 * test {b3}) get a1: popularity never hits. Item-item gets a3 and b3 through members 3 and 7:
 * every list hits. Members 3 and 7 bought nothing new last and are not evaluated. */
TEST(reco_evaluation_on_a_planted_split_scores_item_item_above_popularity)
{
    pt_snapshot *s = test_snapshot_of_csv(PLANTED);
    ASSERT(s);
    pt_reco_eval_opts o;
    pt_reco_eval_opts_init(&o);
    o.k = 1;
    for (int j = 0; j < o.nkinds; j++) {
        o.opts[j].factors = 4;
        o.opts[j].iterations = 10;
    }
    pt_reco_metrics r[PT_RECO_KINDS];
    pt_reco_eval_info info;
    ASSERT_OK(pt_reco_evaluate(s, &o, r, &info));
    ASSERT_EQ(info.users_eval, 6);
    ASSERT_EQ(info.users_train, 8);
    ASSERT_EQ(info.items_train, 6);
    ASSERT_EQ(info.test_items, 6);
    ASSERT_EQ(r[0].kind, PT_RECO_POPULAR);
    ASSERT(r[0].hit_rate == 0 && r[0].ndcg == 0 && r[0].recall == 0);
    ASSERT(fabs(r[0].coverage - 2.0 / 6.0) < 1e-12); /* b1 and a1 */
    for (int j = 1; j <= 2; j++) {                    /* cosine, bm25 */
        ASSERT(r[j].hit_rate == 1 && r[j].precision == 1 && r[j].recall == 1 && r[j].ndcg == 1);
        ASSERT(fabs(r[j].coverage - 2.0 / 6.0) < 1e-12); /* a3 and b3 */
    }
    for (int j = 0; j < PT_RECO_KINDS; j++) {
        ASSERT(r[j].hit_rate >= 0 && r[j].hit_rate <= 1 && r[j].ndcg <= 1 && r[j].coverage <= 1);
        ASSERT(r[j].precision <= r[j].hit_rate);
    }
    ASSERT(r[3].hit_rate > r[0].hit_rate); /* als finds the groups too */
    pt_snapshot_free(s);
}

TEST(reco_time_split_tests_only_items_new_after_the_date)
{
    pt_snapshot *s = test_snapshot_of_csv(PLANTED);
    ASSERT(s);
    pt_reco_eval_opts o;
    pt_reco_eval_opts_init(&o);
    o.k = 1;
    o.nkinds = 2;
    o.split = 1706745600; /* 2024-02-01 */
    pt_reco_metrics r[PT_RECO_KINDS];
    pt_reco_eval_info info;
    ASSERT_OK(pt_reco_evaluate(s, &o, r, &info));
    ASSERT_EQ(info.users_eval, 6); /* the same six: members 3 and 7 re-bought a1 / b1 */
    ASSERT(r[1].hit_rate == 1 && r[0].hit_rate == 0);
    pt_snapshot_free(s);
}

/* ALS with the given thread count (4 factors, 10 sweeps, seed 42). */
static pt_reco_model *train_als(const pt_snapshot *s, uint32_t threads)
{
    pt_reco_matrix m;
    pt_reco_opts o;
    pt_reco_opts_init(&o, PT_RECO_ALS);
    o.factors = 4;
    o.iterations = 10;
    o.threads = threads;
    pt_reco_model *md = NULL;
    if (pt_reco_matrix_build(&m, s, NULL))
        return NULL;
    int rc = pt_reco_train(&md, s, &m, &o);
    pt_reco_matrix_free(&m);
    return rc ? NULL : md;
}

TEST(reco_als_is_deterministic_for_a_seed_and_any_thread_count_and_finds_planted_groups)
{
    pt_snapshot *s = test_snapshot_of_csv(PLANTED);
    ASSERT(s);
    pt_reco_model *a = train_als(s, 1), *b = train_als(s, 3);
    ASSERT(a && b);
    ASSERT_EQ(a->factors, 4);
    ASSERT(memcmp(a->item_factors, b->item_factors, (size_t)a->nitems * a->factors * sizeof(double)) == 0);
    char got[64];
    ASSERT_OK(recommend_codes(a, s, 0, NULL, 1, got, sizeof got)); /* member 1 bought a1 a2 a3 */
    ASSERT(got[0] == 'b');                                          /* only b items are left */
    /* a member who bought only b1: the two other b items come first */
    int32_t it = pt_reco_model_item(a, "b1");
    pt_reco_history h = {.n = 1, .item = &it};
    pt_reco_pick p[2];
    size_t n;
    ASSERT_OK(pt_reco_recommend(a, &h, NULL, 2, p, &n));
    ASSERT_EQ(n, 2);
    ASSERT(a->code[p[0].item][0] == 'b' && a->code[p[1].item][0] == 'b');
    pt_reco_model_free(a);
    pt_reco_model_free(b);
    pt_snapshot_free(s);
}

static uint8_t *slurp_model(const char *path, size_t *len)
{
    return (uint8_t *)pt_test_slurp(path, len);
}

TEST(reco_model_file_round_trips_every_kind)
{
    pt_snapshot *s = test_snapshot_of_csv(PLANTED);
    ASSERT(s);
    for (int kind = 1; kind <= PT_RECO_KINDS; kind++) {
        pt_reco_model *md = train(s, kind), *back = NULL;
        ASSERT(md);
        char path[512], err[256];
        snprintf(path, sizeof path, "%s/m%d.reco", pt_test_tmpdir(), kind);
        ASSERT_OK(pt_reco_model_save(md, path, err, sizeof err));
        ASSERT_OK(pt_reco_model_load(&back, path, err, sizeof err));
        ASSERT_EQ(back->kind, kind);
        ASSERT_EQ(back->nitems, md->nitems);
        for (uint32_t i = 0; i < md->nitems; i++) {
            ASSERT_STR_EQ(back->code[i], md->code[i]);
            ASSERT(back->pop[i] == md->pop[i]);
        }
        if (md->nb_first) {
            ASSERT(memcmp(back->nb_first, md->nb_first, ((size_t)md->nitems + 1) * sizeof *md->nb_first) == 0);
            ASSERT(memcmp(back->nb_sim, md->nb_sim, md->nb_first[md->nitems] * sizeof *md->nb_sim) == 0);
        }
        if (md->item_factors)
            ASSERT(memcmp(back->item_factors, md->item_factors,
                          (size_t)md->nitems * md->factors * sizeof *md->item_factors) == 0);
        char a[128], b[128];
        for (size_t i = 0; i < s->nmembers; i++) {
            ASSERT_OK(recommend_codes(md, s, i, NULL, 5, a, sizeof a));
            ASSERT_OK(recommend_codes(back, s, i, NULL, 5, b, sizeof b));
            ASSERT_STR_EQ(a, b);
        }
        pt_reco_model_free(md);
        pt_reco_model_free(back);
    }
    pt_snapshot_free(s);
}

static int parse_err(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    pt_reco_model *md = NULL;
    int rc = pt_reco_model_parse(&md, buf, len, err, errlen);
    pt_reco_model_free(md);
    return rc;
}

TEST(reco_model_file_damage_is_reported_with_offset_and_field)
{
    pt_snapshot *s = test_snapshot_of_csv(PLANTED);
    ASSERT(s);
    pt_reco_model *md = train(s, PT_RECO_BLEND);
    ASSERT(md);
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/b.reco", pt_test_tmpdir());
    ASSERT_OK(pt_reco_model_save(md, path, err, sizeof err));
    size_t len;
    uint8_t *buf = slurp_model(path, &len);
    ASSERT(buf && len > 100);
    ASSERT_OK(parse_err(buf, len, err, sizeof err));
    /* every truncation fails cleanly */
    for (size_t cut = 0; cut < len; cut += 7)
        ASSERT_EQ(parse_err(buf, cut, err, sizeof err), PT_EPARSE);
    ASSERT_EQ(parse_err(buf, len - 1, err, sizeof err), PT_EPARSE);
    ASSERT(strstr(err, "checksum") || strstr(err, "ends early"));
    /* a flipped bit inside a factor: only the checksum can tell */
    buf[len - 20] ^= 0x01;
    ASSERT_EQ(parse_err(buf, len, err, sizeof err), PT_EPARSE);
    ASSERT(strstr(err, "checksum"));
    buf[len - 20] ^= 0x01;
    buf[0] = 'X';
    ASSERT_EQ(parse_err(buf, len, err, sizeof err), PT_EPARSE);
    ASSERT_STR_EQ(err, "offset 0: magic: not a Patron recommender model (expected PTRECO01)");
    buf[0] = 'P';
    buf[8] = 2; /* version */
    ASSERT_EQ(parse_err(buf, len, err, sizeof err), PT_EPARSE);
    ASSERT_STR_EQ(err, "offset 8: version: unsupported version (this program reads 1)");
    buf[8] = 1;
    buf[12] = 9; /* kind */
    ASSERT_EQ(parse_err(buf, len, err, sizeof err), PT_EPARSE);
    ASSERT(strstr(err, "offset 12: kind"));
    buf[12] = PT_RECO_BLEND;
    /* the first item's code length set to 0 (offset 64 = 8 magic + 24 header + 32 seed/params) */
    uint8_t keep = buf[64];
    buf[64] = 0;
    ASSERT_EQ(parse_err(buf, len, err, sizeof err), PT_EPARSE);
    ASSERT(strstr(err, "offset 64: item code"));
    buf[64] = keep;
    ASSERT_OK(parse_err(buf, len, err, sizeof err));
    /* factors on a kind without factors (found by fuzzing: 600 passed as "out of range either way") */
    pt_reco_model *pop = train(s, PT_RECO_POPULAR);
    ASSERT(pop);
    char ppath[512];
    snprintf(ppath, sizeof ppath, "%s/p.reco", pt_test_tmpdir());
    ASSERT_OK(pt_reco_model_save(pop, ppath, err, sizeof err));
    pt_reco_model_free(pop);
    size_t plen;
    uint8_t *pbuf = slurp_model(ppath, &plen);
    ASSERT(pbuf && plen > 64);
    pbuf[24] = 0x58; /* factors = 600 */
    pbuf[25] = 0x02;
    int prc = parse_err(pbuf, plen, err, sizeof err);
    free(pbuf);
    ASSERT_EQ(prc, PT_EPARSE);
    ASSERT_STR_EQ(err, "offset 24: factors: must be 0 for this kind");
    char bad[600];
    snprintf(bad, sizeof bad, "%s/missing.reco", pt_test_tmpdir());
    pt_reco_model *none = NULL;
    ASSERT_EQ(pt_reco_model_load(&none, bad, err, sizeof err), PT_EIO);
    ASSERT(none == NULL);
    free(buf);
    pt_reco_model_free(md);
    pt_snapshot_free(s);
}

/* Online Retail, the README's split: train before 2011-06-01, test each customer's new items
 * after. Each recommender must beat popularity on hit rate. */
TEST(reco_online_retail_every_model_beats_popularity_on_hit_rate)
{
    const char *dir = pt_test_shared("online_retail/online_retail_2010-12_2011-08.csv");
    if (!dir)
        SKIP("../shared/data/online_retail is absent");
    FILE *f = fopen(dir, "rb");
    ASSERT(f);
    pt_snapshot *s = NULL;
    char err[256];
    int rc = pt_snapshot_load_transactions(&s, f, dir, NULL, NULL, err, sizeof err);
    fclose(f);
    ASSERT_OK(rc);
    pt_reco_eval_opts o;
    pt_reco_eval_opts_init(&o);
    o.split = 1306886400; /* 2011-06-01 UTC */
    for (int j = 0; j < o.nkinds; j++)
        o.opts[j].iterations = 5; /* keeps the sanitizer run short; bench/run-reco uses the defaults */
    pt_reco_metrics r[PT_RECO_KINDS];
    pt_reco_eval_info info;
    ASSERT_OK(pt_reco_evaluate(s, &o, r, &info));
    ASSERT_GT(info.users_eval, 1000);
    for (int j = 0; j < o.nkinds; j++)
        fprintf(stderr, "    %-10s hit %.4f prec %.4f recall %.4f ndcg %.4f cov %.4f train %.2fs\n",
                pt_reco_kind_name(r[j].kind), r[j].hit_rate, r[j].precision, r[j].recall, r[j].ndcg, r[j].coverage,
                r[j].train_seconds);
    for (int j = 1; j < o.nkinds; j++) {
        ASSERT(r[j].hit_rate > r[0].hit_rate);
        ASSERT(r[j].coverage > r[0].coverage);
    }
    ASSERT(r[0].hit_rate > 0.05 && r[0].hit_rate < 0.9);
    pt_snapshot_free(s);
}

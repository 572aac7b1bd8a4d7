/* test_cluster.c — personas (cluster.h): k-means++ finds planted clusters exactly, the
 * silhouette is worked out by hand on a tiny case and picks the planted k, a seed repeats a
 * run to the bit, and on members built with two planted behaviours the personas split them
 * and name them by profile; the CLI prints them. */
#include "helpers.h"
#include "test.h"
#include "patron/cluster.h"
#include "patron/error.h"
#include "patron/snapshot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static double unit(uint64_t *s)
{
    return (double)lcg(s) / 2147483648.0;
}

/* Three blobs of 60 points in 2-D around (0,0), (10,0) and (0,10), spread ±1. */
static void blobs(double *x, int *truth, uint64_t seed)
{
    static const double cx[3] = {0, 10, 0}, cy[3] = {0, 0, 10};
    for (int i = 0; i < 180; i++) {
        truth[i] = i % 3;
        x[2 * i] = cx[i % 3] + 2 * unit(&seed) - 1;
        x[2 * i + 1] = cy[i % 3] + 2 * unit(&seed) - 1;
    }
}

/* Every planted blob maps to exactly one cluster and back. */
TEST(kmeans_finds_three_planted_blobs_exactly)
{
    double x[360], c[6];
    int truth[180], a[180];
    blobs(x, truth, 3);
    ASSERT(pt_kmeans(x, 180, 2, 3, 3, 100, 42, a, c) > 0);
    int map[3] = {-1, -1, -1};
    for (int i = 0; i < 180; i++) {
        if (map[truth[i]] < 0)
            map[truth[i]] = a[i];
        ASSERT_EQ(a[i], map[truth[i]]);
    }
    ASSERT(map[0] != map[1] && map[1] != map[2] && map[0] != map[2]);
    /* Each centroid sits within 0.5 of its blob's centre. */
    static const double cx[3] = {0, 10, 0}, cy[3] = {0, 0, 10};
    for (int b = 0; b < 3; b++)
        ASSERT(fabs(c[2 * map[b]] - cx[b]) < 0.5 && fabs(c[2 * map[b] + 1] - cy[b]) < 0.5);
}

/* Points 0, 1 (cluster 0) and 10 (cluster 1) on a line: s(0) = 1 − 1/10, s(1) = 1 − 1/9,
 * the singleton 0; mean (0.9 + 0.8889 + 0)/3. */
TEST(silhouette_matches_a_hand_worked_case)
{
    const double x[3] = {0, 1, 10};
    const int a[3] = {0, 0, 1};
    double s = pt_silhouette(x, 3, 1, 2, a);
    ASSERT(fabs(s - (0.9 + (1 - 1.0 / 9)) / 3) < 1e-12);
    const int one[3] = {0, 0, 0};
    ASSERT(isnan(pt_silhouette(x, 3, 1, 2, one)));
}

TEST(silhouette_is_highest_at_the_planted_k)
{
    double x[360], c[16];
    int truth[180], a[180];
    blobs(x, truth, 9);
    int best = 0;
    double top = -2;
    for (int k = 2; k <= 6; k++) {
        ASSERT(pt_kmeans(x, 180, 2, k, 3, 100, 7, a, c) > 0);
        double s = pt_silhouette(x, 180, 2, k, a);
        if (s > top) {
            top = s;
            best = k;
        }
    }
    ASSERT_EQ(best, 3);
    ASSERT(top > 0.7);
}

TEST(kmeans_repeats_exactly_with_the_same_seed)
{
    double x[360], c1[8], c2[8];
    int truth[180], a1[180], a2[180];
    blobs(x, truth, 5);
    double i1 = pt_kmeans(x, 180, 2, 4, 2, 50, 99, a1, c1), i2 = pt_kmeans(x, 180, 2, 4, 2, 50, 99, a2, c2);
    ASSERT(i1 == i2);
    ASSERT_EQ(memcmp(a1, a2, sizeof a1), 0);
    ASSERT_EQ(memcmp(c1, c2, sizeof c1), 0);
    ASSERT(pt_kmeans(x, 2, 2, 3, 1, 10, 1, a1, c1) < 0); /* fewer rows than clusters */
}

/* 150 "champions" (an order every ~5 days all year, big baskets) and 150 "lapsed" members
 * (two small orders early in the year): personas with k = 2 split them exactly, and the
 * names follow the profiles. */
static char *two_groups_csv(void)
{
    size_t cap = 300 * 80 * 40, len = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    uint64_t seed = 17;
    len += (size_t)snprintf(s, cap, "member,date,amount\n");
    for (int m = 1; m <= 300; m++) {
        int champion = m % 2;
        int orders = champion ? 60 + (int)(lcg(&seed) % 10) : 2;
        for (int k = 0; k < orders; k++) {
            int day = champion ? 1 + k * 5 : 1 + k * 10 + (int)(lcg(&seed) % 5);
            int mo = 1 + (day - 1) / 31, d = 1 + (day - 1) % 28;
            len += (size_t)snprintf(s + len, cap - len, "%d,2020-%02d-%02d,%d.00\n", m, mo > 12 ? 12 : mo, d,
                                    champion ? 80 + (int)(lcg(&seed) % 40) : 5 + (int)(lcg(&seed) % 5));
        }
    }
    return s;
}

TEST(personas_split_planted_groups_and_name_them_by_profile)
{
    char *text = two_groups_csv();
    ASSERT(text);
    pt_snapshot *snap = test_snapshot_of_csv(text);
    free(text);
    ASSERT(snap);
    pt_personas_opts o;
    pt_personas_opts_init(&o);
    pt_personas p;
    ASSERT_OK(pt_personas_build(&p, snap, 1609459200 /* 2021-01-01 */, &o));
    pt_snapshot_free(snap);
    printf("# k %d, silhouette k=2 %.3f k=3 %.3f\n", p.k, p.silhouette[2], p.silhouette[3]);
    int k = p.k;
    size_t n = p.n;
    int first[2] = {-1, -1}, pure = 1;
    for (size_t i = 0; i < p.n; i++) {
        int g = (int)(p.member_id[i] % 2);
        if (first[g] < 0)
            first[g] = p.cluster[i];
        pure &= p.cluster[i] == first[g];
    }
    int champ = first[1], lapsed = first[0];
    char ck[32], lk[32];
    snprintf(ck, sizeof ck, "%s", champ >= 0 ? p.persona[champ].key : "");
    snprintf(lk, sizeof lk, "%s", lapsed >= 0 ? p.persona[lapsed].key : "");
    double share = champ >= 0 ? p.persona[champ].revenue_share : 0;
    pt_personas_free(&p);
    ASSERT_EQ(k, 2);
    ASSERT_EQ(n, 300);
    ASSERT(pure && champ != lapsed);
    ASSERT_STR_EQ(ck, "champions");
    ASSERT(strcmp(lk, "lapsed") == 0 || strcmp(lk, "at_risk") == 0);
    ASSERT(share > 0.9);
}

TEST(personas_refuse_bad_options)
{
    pt_snapshot empty = {0};
    size_t first = 0;
    empty.first = &first;
    pt_personas_opts o;
    pt_personas_opts_init(&o);
    pt_personas p;
    o.k = 1;
    ASSERT_EQ(pt_personas_build(&p, &empty, 0, &o), PT_EINVAL);
    pt_personas_opts_init(&o);
    ASSERT_EQ(pt_personas_build(&p, &empty, 0, &o), PT_EINVAL); /* no rows */
}

TEST(cli_personas_json_names_every_persona_in_both_languages)
{
    char *text = two_groups_csv();
    ASSERT(text);
    const char *path = pt_test_write_file(pt_test_tmpdir(), "groups.csv", text);
    free(text);
    char *out = NULL;
    int rc = pt_test_run(&out, "%s personas --k 2 --as-of 2021-01-01 --json --transactions %s --id-col member 2>/dev/null",
                         pt_test_patron_bin(), path);
    ASSERT_EQ(rc, 0);
    ASSERT(out && strstr(out, "\"k\":2"));
    ASSERT(strstr(out, "\"key\":\"champions\"") && strstr(out, "\"name_zh\":\"高价值忠诚客户\""));
    ASSERT(strstr(out, "\"silhouette\":{\"2\":"));
    free(out);
    rc = pt_test_run(&out, "%s personas --k 1 --transactions %s 2>&1", pt_test_patron_bin(), path);
    ASSERT_EQ(rc, 2);
    free(out);
}

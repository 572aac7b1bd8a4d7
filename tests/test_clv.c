/* test_clv.c — the CLV models against the CDNOW data set and its published results
 * (../shared/data/cdnow: BG/NBD, Pareto/NBD and Gamma-Gamma parameters, log-likelihoods and
 * the reference values in reference_values.csv, each checked to the tolerance given there, the
 * row named in the message), small hand-checked cases, the snapshot → summary conventions on a
 * hand-built snapshot and on the CDNOW transactions, scoring, and `patron clv` on a demo.
 * The CDNOW tests skip with a message when ../shared/data is absent. */
#include "test.h"
#include "patron/clv.h"
#include "patron/error.h"
#include "patron/snapshot.h"
#include "patron/types.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY       86400
#define ANALYTICS PT_CONSENT_BIT(PT_CONSENT_ANALYTICS)
#define NO_CDNOW  "../shared/data/cdnow is absent (a clone without shared/): CDNOW tests skipped"

/* Published parameters (reference_values.csv). */
static const double BG_PUB[4] = {0.243, 4.414, 0.793, 2.426};              /* FHL 2005 */
static const double BG_BTYD[4] = {0.2425982, 4.4136842, 0.7929899, 2.4261667}; /* BTYD walkthrough */
static const double PN_BTYD[4] = {0.55339714, 10.58019854, 0.6060625, 11.65622367};
static const double GG_PUB[3] = {6.25, 3.74, 15.44};

/* --- CDNOW summary ----------------------------------------------------------------------------- */
struct cdnow {
    size_t n;
    double x[2400], tx[2400], T[2400], xstar[2400], m[2400];
};

/* btyd_cdnow_summary_cbs.csv: cust,x,t.x,T.cal,x.star,m.x. NULL when absent. */
static struct cdnow *cdnow_load(void)
{
    const char *path = pt_test_shared("cdnow/btyd_cdnow_summary_cbs.csv");
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f)
        return NULL;
    struct cdnow *c = calloc(1, sizeof *c);
    char line[256];
    if (!fgets(line, sizeof line, f))
        c->n = 0;
    int id;
    while (c->n < 2400 && fgets(line, sizeof line, f) &&
           sscanf(line, "%d,%lf,%lf,%lf,%lf,%lf", &id, &c->x[c->n], &c->tx[c->n], &c->T[c->n], &c->xstar[c->n],
                  &c->m[c->n]) == 6)
        c->n++;
    fclose(f);
    return c;
}

static int cdnow_summary(pt_clv_summary *s, const struct cdnow *c)
{
    return pt_clv_summary_from_arrays(s, c->n, c->x, c->tx, c->T, c->m);
}

/* |got − want| ≤ tol (absolute) or, when rel, ≤ tol·|want|; prints the named value when not. */
static int near(const char *what, double got, double want, double tol, int rel)
{
    double lim = rel ? tol * fabs(want) : tol;
    if (fabs(got - want) <= lim)
        return 1;
    fprintf(stderr, "    %s: got %.10g, reference %.10g (tolerance %s%g)\n", what, got, want, rel ? "rel " : "", tol);
    return 0;
}

static pt_clv_fit fit_of(const pt_clv_summary *s, int model)
{
    pt_clv_fit_opts o;
    pt_clv_fit_opts_init(&o, model);
    pt_clv_fit f;
    if (pt_clv_fit_model(&f, s, &o) != PT_OK)
        memset(&f, 0, sizeof f);
    return f;
}

/* Mean E[Y(39) | calibration] by calibration x = 0..6 and 7+ (the walkthroughs' comparison). */
static void holdout_by_x(int model, const double *p, const struct cdnow *c, double mean[8])
{
    double sum[8] = {0}, n[8] = {0};
    for (size_t i = 0; i < c->n; i++) {
        int b = c->x[i] >= 7 ? 7 : (int)c->x[i];
        sum[b] += pt_clv_conditional(model, p, 39, c->x[i], c->tx[i], c->T[i]);
        n[b]++;
    }
    for (int b = 0; b < 8; b++)
        mean[b] = sum[b] / n[b];
}

/* BTYD's ExpectedCumulativeTransactions: customers are born at max(T) − T; cumulative expected
 * repeat transactions of the cohort at week w = Σ over the born of E[X(w − birth)]. */
static double cumulative_expected(int model, const double *p, const struct cdnow *c, double w)
{
    double tmax = 0, sum = 0;
    for (size_t i = 0; i < c->n; i++)
        tmax = c->T[i] > tmax ? c->T[i] : tmax;
    for (size_t i = 0; i < c->n; i++) {
        double birth = tmax - c->T[i];
        if (birth <= w)
            sum += pt_clv_expected(model, p, w - birth);
    }
    return sum;
}

/* --- BG/NBD ------------------------------------------------------------------------------------- */
static int bgnbd_reference_values(const double *fit, const struct cdnow *c)
{
    int ok = 1;
    char what[160];
    /* row "E[Y(t)|x,t_x,T]" at the paper's rounded params */
    ok &= near("E[Y(39)|2,30.43,38.86] @0.243,4.414,0.793,2.426", pt_clv_bgnbd_conditional(BG_PUB, 39, 2, 30.43, 38.86),
               1.226, 0.001, 0);
    /* row "E[X(t)]" at the fitted params, 3 dp */
    static const double t5[6] = {0.1429, 1, 3, 31.8571, 32, 78}, e5[6] = {0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576};
    for (int k = 0; k < 6; k++) {
        snprintf(what, sizeof what, "E[X(%g)] @fit", t5[k]);
        ok &= near(what, pt_clv_bgnbd_expected(fit, t5[k]), e5[k], 0.0005, 0);
    }
    /* row "P(X(t)=n)" */
    ok &= near("P(X(2)=10)", pt_clv_bgnbd_pmf(BG_PUB, 2, 10), 1.07869e-07, 1e-4, 1);
    ok &= near("P(X(39)=0)", pt_clv_bgnbd_pmf(BG_PUB, 39, 0), 0.5737864, 1e-4, 0);
    /* row "P(X(30)=n), n=11..20", 5 dp */
    static const double p30[10] = {0.0019995214, 0.0015170236, 0.0011633150, 0.0009003148, 0.0007023638,
                                   0.0005517902, 0.0004361913, 0.0003467171, 0.0002769613, 0.0002222260};
    for (int k = 0; k < 10; k++) {
        snprintf(what, sizeof what, "P(X(30)=%d)", 11 + k);
        ok &= near(what, pt_clv_bgnbd_pmf(BG_PUB, 30, 11 + k), p30[k], 0.000005, 0);
    }
    /* rows at the BTYD params */
    ok &= near("E[X(52)] new customer @BTYD", pt_clv_bgnbd_expected(BG_BTYD, 52), 1.444004, 1e-5, 0);
    ok &= near("E[Y(52)|26,30.85714,31] @BTYD", pt_clv_bgnbd_conditional(BG_BTYD, 52, 26, 30.85714, 31), 25.75659,
               1e-4, 0);
    ok &= near("P(alive|26,30.85714,31) @BTYD", pt_clv_bgnbd_p_alive(BG_BTYD, 26, 30.85714, 31), 0.9688523, 1e-4, 0);
    static const double yx[4] = {0.3474606, 0.04283391, 0.004158973, 0.0003583685};
    for (int k = 0; k < 4; k++) {
        snprintf(what, sizeof what, "E[Y(52)|x=%d,20,39] @BTYD", 10 + 5 * k);
        ok &= near(what, pt_clv_bgnbd_conditional(BG_BTYD, 52, 10 + 5 * k, 20, 39), yx[k], 1e-5, 1);
    }
    double mean[8];
    holdout_by_x(PT_CLV_BGNBD, BG_BTYD, c, mean);
    static const double hx[8] = {0.2250893, 0.5231364, 1.044126, 1.520256, 2.163824, 2.653789, 3.503957, 6.157036};
    for (int b = 0; b < 8; b++) {
        snprintf(what, sizeof what, "mean holdout E[Y(39)] for calibration x=%d%s @BTYD", b, b == 7 ? "+" : "");
        ok &= near(what, mean[b], hx[b], 1e-4, 0);
    }
    static const double inc[6] = {76.86531, 74.88843, 73.04554, 71.32166, 69.70412, 68.18213},
                        cum[6] = {1312.458, 1387.346, 1460.392, 1531.713, 1601.418, 1669.6};
    for (int k = 0; k < 6; k++) {
        int w = 20 + k;
        double cw = cumulative_expected(PT_CLV_BGNBD, BG_BTYD, c, w);
        snprintf(what, sizeof what, "weekly incremental expected, week %d @BTYD", w);
        ok &= near(what, cw - cumulative_expected(PT_CLV_BGNBD, BG_BTYD, c, w - 1), inc[k], 1e-3, 0);
        snprintf(what, sizeof what, "cumulative expected, week %d @BTYD", w);
        ok &= near(what, cw, cum[k], 1e-2, 0);
    }
    /* row "BG/NBD numerics": single-customer log-likelihoods, 5 dp */
    static const double pn[4] = {0.25, 4, 0.8, 2.5};
    ok &= near("LL(x=0,t_x=0,T=40) @r=0.25,alpha=4,a=0.8,b=2.5", pt_clv_bgnbd_ll(pn, 0, 0, 40), -0.59947382, 5e-6, 0);
    ok &= near("LL(x=200,t_x=38,T=40) @r=0.25,alpha=4,a=0.8,b=2.5", pt_clv_bgnbd_ll(pn, 200, 38, 40), 100.7957, 5e-5,
               0);
    return ok;
}

TEST(clv_bgnbd_fit_on_cdnow_matches_the_published_parameters_likelihood_and_reference_values)
{
    struct cdnow *c = cdnow_load();
    if (!c)
        SKIP(NO_CDNOW);
    pt_clv_summary s;
    ASSERT_OK(cdnow_summary(&s, c));
    pt_clv_fit f = fit_of(&s, PT_CLV_BGNBD);
    fprintf(stderr, "    BG/NBD fit r=%.7f alpha=%.7f a=%.7f b=%.7f LL=%.4f (%zu customers, %zu distinct, %d iterations, "
            "%.3f s)\n", f.param[0], f.param[1], f.param[2], f.param[3], f.log_likelihood, f.n_used, f.n_distinct,
            f.iterations, f.seconds);
    int ok = f.model == PT_CLV_BGNBD && f.n_used == 2357;
    if (!f.converged)
        fprintf(stderr, "    BG/NBD: the fit says it did not converge\n");
    ok &= f.converged == 1;
    static const char *names[4] = {"r", "alpha", "a", "b"};
    for (int k = 0; k < 4; k++) {
        char what[64];
        snprintf(what, sizeof what, "BG/NBD %s vs FHL 2005 (3 dp)", names[k]);
        ok &= near(what, f.param[k], BG_PUB[k], 0.0005, 0);
        /* the optimum is flat along b: BTYD's, lifetimes' and this fit differ by ~1e-4 relative
         * while their log-likelihoods differ by < 2e-7, so 2e-4 relative is what "the same
         * optimum" can mean; the fit must also be at least as good as BTYD's and lifetimes'. */
        snprintf(what, sizeof what, "BG/NBD %s vs BTYD optimum", names[k]);
        ok &= near(what, f.param[k], BG_BTYD[k], 2e-4, 1);
    }
    static const double lifetimes[4] = {0.242593, 4.413532, 0.792886, 2.425752};
    ok &= f.log_likelihood >= pt_clv_total_ll(PT_CLV_BGNBD, BG_BTYD, &s) - 1e-6;
    ok &= f.log_likelihood >= pt_clv_total_ll(PT_CLV_BGNBD, lifetimes, &s) - 1e-6;
    ok &= near("BG/NBD log-likelihood at the fit", f.log_likelihood, -9582.4, 0.1, 0);
    ok &= near("BG/NBD log-likelihood at the BTYD optimum", pt_clv_total_ll(PT_CLV_BGNBD, BG_BTYD, &s), -9582.429,
               0.001, 0);
    ok &= bgnbd_reference_values(f.param, c);
    pt_clv_summary_free(&s);
    free(c);
    ASSERT(ok);
}

/* --- Pareto/NBD ---------------------------------------------------------------------------------- */
/* Two iterations per run (Nelder–Mead and the polish alike) cannot reach the optimum from the
 * starts: each model must then say it did not converge — and say so at the same parameters
 * the test recomputes the gradient at. */
TEST(clv_fit_capped_at_two_iterations_on_cdnow_says_not_converged)
{
    struct cdnow *c = cdnow_load();
    if (!c)
        SKIP(NO_CDNOW);
    pt_clv_summary s;
    ASSERT_OK(cdnow_summary(&s, c));
    static const int models[] = {PT_CLV_BGNBD, PT_CLV_PARETO, PT_CLV_GG};
    int ok = 1;
    for (size_t k = 0; k < sizeof models / sizeof *models; k++) {
        pt_clv_fit_opts o;
        pt_clv_fit_opts_init(&o, models[k]);
        o.max_iter = 2;
        pt_clv_fit f;
        ok &= pt_clv_fit_model(&f, &s, &o) == PT_OK;
        ok &= f.converged == 0;
        ok &= isfinite(f.log_likelihood);
        /* the capped fit is well short of the full one: not converged for a reason */
        pt_clv_fit full = fit_of(&s, models[k]);
        ok &= full.converged == 1 && f.log_likelihood < full.log_likelihood - 0.01;
        if (!ok)
            fprintf(stderr, "    model %d: capped converged=%d LL=%.4f, full converged=%d LL=%.4f\n", models[k],
                    f.converged, f.log_likelihood, full.converged, full.log_likelihood);
    }
    pt_clv_summary_free(&s);
    free(c);
    ASSERT(ok);
}

static int pareto_reference_values(const double *fit, const struct cdnow *c)
{
    int ok = 1;
    char what[160];
    ok &= near("E[X(52)] new customer @BTYD", pt_clv_pareto_expected(PN_BTYD, 52), 1.473434, 5e-4, 1);
    ok &= near("E[Y(52)|26,30.85714,31] @BTYD", pt_clv_pareto_conditional(PN_BTYD, 52, 26, 30.85714, 31), 25.45647,
               0.01, 0);
    ok &= near("P(alive|26,30.85714,31) @BTYD", pt_clv_pareto_p_alive(PN_BTYD, 26, 30.85714, 31), 0.997874, 0.001, 0);
    static const double yx[4] = {0.7062289, 0.1442396, 0.02250658, 0.00309267};
    for (int k = 0; k < 4; k++) {
        snprintf(what, sizeof what, "E[Y(52)|x=%d,20,39] @BTYD", 10 + 5 * k);
        ok &= near(what, pt_clv_pareto_conditional(PN_BTYD, 52, 10 + 5 * k, 20, 39), yx[k], 1e-3, 1);
    }
    static const double ex[10] = {0, 0.05077821, 0.09916088, 0.14542507, 0.18979930,
                                  0.23247466, 0.27361274, 0.31335159, 0.35181024, 0.38909211};
    for (int t = 0; t < 10; t++) {
        snprintf(what, sizeof what, "E[X(%d)] @fit", t);
        ok &= near(what, pt_clv_pareto_expected(fit, t), ex[t], 0.01, 0);
    }
    double mean[8];
    holdout_by_x(PT_CLV_PARETO, PN_BTYD, c, mean);
    static const double hx[8] = {0.138, 0.600, 1.196, 1.714, 2.399, 2.907, 3.819, 6.403};
    for (int b = 0; b < 8; b++) {
        snprintf(what, sizeof what, "mean holdout E[Y(39)] for calibration x=%d%s @BTYD (3 dp)", b, b == 7 ? "+" : "");
        ok &= near(what, mean[b], hx[b], 1e-3, 0);
    }
    /* weekly tracking: the reference is lifetimes' fit on daily data ×7, so our fit's figures
     * agree to 1e-2 relative, not to its absolute 1e-2 (see docs/clv.md) */
    static const double inc[6] = {78.31, 76.42, 74.65, 72.98, 71.41, 69.93}, cum[6] = {1309, 1385, 1460, 1533, 1604, 1674};
    for (int k = 0; k < 6; k++) {
        int w = 20 + k;
        double cw = cumulative_expected(PT_CLV_PARETO, fit, c, w);
        snprintf(what, sizeof what, "weekly incremental expected, week %d @fit", w);
        ok &= near(what, cw - cumulative_expected(PT_CLV_PARETO, fit, c, w - 1), inc[k], 1e-2, 1);
        snprintf(what, sizeof what, "cumulative expected, week %d @fit (rounded)", w);
        ok &= near(what, cw, cum[k], 1e-2, 1);
    }
    static const double pu[4] = {0.55, 10.58, 0.61, 11.67};
    double y132 = pt_clv_pareto_conditional(pu, 10, 132, 200, 200), y133 = pt_clv_pareto_conditional(pu, 10, 133, 200, 200);
    ok &= near("underflow E[Y(10)|132,200,200]", y132, 6.2060517889632418, 0.05, 0);
    ok &= near("underflow E[Y(10)|133,200,200]", y133, 6.2528722475748113, 0.05, 0);
    return ok;
}

TEST(clv_pareto_fit_on_cdnow_matches_the_published_parameters_likelihood_and_reference_values)
{
    struct cdnow *c = cdnow_load();
    if (!c)
        SKIP(NO_CDNOW);
    pt_clv_summary s;
    ASSERT_OK(cdnow_summary(&s, c));
    pt_clv_fit f = fit_of(&s, PT_CLV_PARETO);
    fprintf(stderr, "    Pareto/NBD fit r=%.7f alpha=%.7f s=%.7f beta=%.7f LL=%.4f (%d iterations, %.3f s)\n", f.param[0],
            f.param[1], f.param[2], f.param[3], f.log_likelihood, f.iterations, f.seconds);
    static const double pub[4] = {0.553, 10.578, 0.606, 11.669};
    static const char *names[4] = {"r", "alpha", "s", "beta"};
    int ok = f.model == PT_CLV_PARETO;
    if (!f.converged)
        fprintf(stderr, "    Pareto/NBD: the fit says it did not converge\n");
    ok &= f.converged == 1;
    for (int k = 0; k < 4; k++) {
        char what[64];
        snprintf(what, sizeof what, "Pareto/NBD %s vs FHL (3 significant figures)", names[k]);
        ok &= near(what, f.param[k], pub[k], 5e-3, 1);
        snprintf(what, sizeof what, "Pareto/NBD %s vs BTYD optimum", names[k]);
        ok &= near(what, f.param[k], PN_BTYD[k], 2e-3, 1);
    }
    ok &= near("Pareto/NBD log-likelihood at the fit (FHL)", f.log_likelihood, -9595.0, 0.05, 0);
    ok &= near("Pareto/NBD log-likelihood at the fit (BTYD)", f.log_likelihood, -9594.976, 0.01, 0);
    ok &= near("Pareto/NBD log-likelihood at the BTYD optimum", pt_clv_total_ll(PT_CLV_PARETO, PN_BTYD, &s), -9594.976,
               0.01, 0);
    ok &= pareto_reference_values(f.param, c);
    pt_clv_summary_free(&s);
    free(c);
    ASSERT(ok);
}

/* --- Gamma-Gamma ---------------------------------------------------------------------------------- */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int gg_data_summary(const struct cdnow *c)
{
    double v[2400], sum = 0, sq = 0;
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->x[i] > 0)
            v[n++] = c->m[i], sum += c->m[i];
    double mean = sum / (double)n;
    for (size_t i = 0; i < n; i++)
        sq += (v[i] - mean) * (v[i] - mean);
    qsort(v, n, sizeof *v, cmp_double);
    int ok = n == 946;
    /* the summary file's m.x are rounded to the cent (mean 35.0778); the transactions give
     * 35.078551797 to 1e-6 (clv_cdnow_transactions_give_the_published_summary_row_by_row) */
    ok &= near("repeaters' mean zbar (rounded m.x)", mean, 35.078551797, 1e-3, 0);
    ok &= near("repeaters' zbar std", sqrt(sq / (double)(n - 1)), 30.28, 0.005, 0);
    ok &= near("repeaters' zbar min", v[0], 2.99, 0.005, 0);
    ok &= near("repeaters' zbar median", (v[n / 2 - 1] + v[n / 2]) / 2, 27.50, 0.005, 0);
    ok &= near("repeaters' zbar max", v[n - 1], 299.63, 0.005, 0);
    return ok;
}

/* The first ten CDNOW customers: Gamma-Gamma spend at the published parameters, and lifetimes'
 * customer_lifetime_value(time=12, discount_rate=0.01, freq='D' → 30 weeks per step) with the
 * BG/NBD and Gamma-Gamma fits. */
static int gg_reference_values(const double *bg, const double *gg, const struct cdnow *c)
{
    static const double ez[10] = {24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17};
    static const double clv[10] = {140.096211, 18.943467, 38.180574, 38.180574, 38.180574,
                                   1003.868107, 28.109683, 38.180574, 167.418216, 38.180574};
    int ok = 1;
    char what[128];
    for (int i = 0; i < 10; i++) {
        snprintf(what, sizeof what, "E[Z|x,zbar] customer %d @6.25,3.74,15.44", i + 1);
        ok &= near(what, pt_clv_gg_conditional(GG_PUB, c->x[i], c->m[i]), ez[i], 0.1, 0);
        double spend = pt_clv_gg_conditional(gg, c->x[i], c->m[i]);
        snprintf(what, sizeof what, "lifetimes CLV customer %d @fits", i + 1);
        ok &= near(what, pt_clv_value(PT_CLV_BGNBD, bg, c->x[i], c->tx[i], c->T[i], spend, 12, 30, 0.01), clv[i], 1e-3, 1);
    }
    double sum = 0;
    for (size_t i = 0; i < c->n; i++)
        sum += pt_clv_gg_conditional(gg, c->x[i], c->x[i] > 0 ? c->m[i] : 0);
    ok &= near("mean E[Z] over all 2357 @fit", sum / (double)c->n, 35.2529588256, 1e-4, 1);
    return ok;
}

TEST(clv_gamma_gamma_fit_on_cdnow_matches_the_published_parameters_and_reference_values)
{
    struct cdnow *c = cdnow_load();
    if (!c)
        SKIP(NO_CDNOW);
    pt_clv_summary s;
    ASSERT_OK(cdnow_summary(&s, c));
    pt_clv_fit f = fit_of(&s, PT_CLV_GG), bg = fit_of(&s, PT_CLV_BGNBD);
    fprintf(stderr, "    Gamma-Gamma fit p=%.7f q=%.7f gamma=%.7f LL=%.4f (%zu customers, %d iterations, %.3f s)\n",
            f.param[0], f.param[1], f.param[2], f.log_likelihood, f.n_used, f.iterations, f.seconds);
    static const char *names[3] = {"p", "q", "gamma"};
    int ok = f.model == PT_CLV_GG && f.n_used == 946;
    if (!f.converged || !bg.converged)
        fprintf(stderr, "    Gamma-Gamma or BG/NBD: the fit says it did not converge\n");
    ok &= f.converged == 1 && bg.converged == 1;
    for (int k = 0; k < 3; k++) {
        char what[64];
        snprintf(what, sizeof what, "Gamma-Gamma %s vs FHL 2005 (2 dp)", names[k]);
        ok &= near(what, f.param[k], GG_PUB[k], 0.005 + 1e-9, 0);
    }
    ok &= gg_data_summary(c);
    ok &= gg_reference_values(bg.param, f.param, c);
    pt_clv_summary_free(&s);
    free(c);
    ASSERT(ok);
}

/* --- snapshot → summary ----------------------------------------------------------------------- */
struct fx_order {
    int64_t at, cents;
    int     status; /* 0 = paid */
};

/* A snapshot owning malloc'd arrays (freed by pt_snapshot_free): n members with ids 1..n,
 * consent[i], orders given per member as counts into one list sorted by member then time. */
static pt_snapshot *fx_snapshot(size_t n, const uint32_t *consent, const int *count, const struct fx_order *o)
{
    pt_snapshot *s = calloc(1, sizeof *s);
    size_t no = 0;
    for (size_t i = 0; i < n; i++)
        no += (size_t)count[i];
    s->nmembers = n;
    s->member_id = calloc(n + 1, sizeof *s->member_id);
    s->member_registered_at = calloc(n + 1, sizeof *s->member_registered_at);
    s->member_merged_into = calloc(n + 1, sizeof *s->member_merged_into);
    s->member_status = calloc(n + 1, sizeof *s->member_status);
    s->member_consent = calloc(n + 1, sizeof *s->member_consent);
    s->first = calloc(n + 1, sizeof *s->first);
    s->order_at = calloc(no + 1, sizeof *s->order_at);
    s->order_cents = calloc(no + 1, sizeof *s->order_cents);
    s->order_status = calloc(no + 1, sizeof *s->order_status);
    for (size_t i = 0; i < n; i++) {
        s->member_id[i] = (int64_t)i + 1;
        s->member_status[i] = PT_MEMBER_ACTIVE;
        s->member_consent[i] = consent[i];
        s->first[i] = s->norders;
        for (int k = 0; k < count[i]; k++, s->norders++) {
            s->order_at[s->norders] = o[s->norders].at;
            s->order_cents[s->norders] = o[s->norders].cents;
            s->order_status[s->norders] = o[s->norders].status ? o[s->norders].status : PT_ORDER_PAID;
        }
    }
    s->first[n] = s->norders;
    return s;
}

#define D0 ((int64_t)1700006400) /* 2023-11-15T00:00Z, a day start */

/* Member 1: day 0 10:00 1,000¢ + day 0 18:00 500¢ (one transaction), day 14 2,000¢, day 28
 *   3,000¢, day 80 (after the end: ignored). End = day 70 00:00, so the last calibration day is
 *   69: x = 2, t_x = 28/7 = 4 weeks, T = 69/7 weeks, m = (2,000 + 3,000)/2 = 2,500¢.
 * Member 2: no analytics consent → anon. Member 3: only a refunded order → no history.
 * Member 4: one order on day 69 23:00 → x = 0, t_x = 0, T = 0, m = 0. */
TEST(clv_summary_from_a_snapshot_counts_repeat_days_in_weeks_and_excludes_the_first_purchase)
{
    uint32_t consent[4] = {ANALYTICS, 0, ANALYTICS, ANALYTICS};
    int count[4] = {5, 1, 1, 1};
    struct fx_order o[8] = {{D0 + 10 * 3600, 1000, 0}, {D0 + 18 * 3600, 500, 0}, {D0 + 14 * DAY, 2000, 0},
                            {D0 + 28 * DAY, 3000, 0},  {D0 + 80 * DAY, 9999, 0}, {D0, 100, 0},
                            {D0 + DAY, 700, PT_ORDER_REFUNDED}, {D0 + 69 * DAY + 23 * 3600, 4200, 0}};
    pt_snapshot *snap = fx_snapshot(4, consent, count, o);
    pt_clv_summary s;
    ASSERT_OK(pt_clv_summary_from_snapshot(&s, snap, D0 + 70 * DAY, 7, 0));
    ASSERT_EQ(s.n, 2);
    ASSERT_EQ(s.anon, 1);
    ASSERT_EQ(s.no_history, 1);
    ASSERT_EQ(s.member_id[0], 1);
    ASSERT(s.x[0] == 2 && s.t_x[0] == 4.0 && fabs(s.T[0] - 69.0 / 7) < 1e-12 && s.m_x[0] == 2500);
    ASSERT_EQ(s.member_id[1], 4);
    ASSERT(s.x[1] == 0 && s.t_x[1] == 0 && s.T[1] == 0 && s.m_x[1] == 0);
    pt_clv_summary_free(&s);
    /* days: the same data in days */
    ASSERT_OK(pt_clv_summary_from_snapshot(&s, snap, D0 + 70 * DAY, 1, 0));
    ASSERT(s.t_x[0] == 28 && s.T[0] == 69);
    pt_clv_summary_free(&s);
    pt_snapshot_free(snap);
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* cdnow_sample.csv (customer_id,date,cds,amount) as a snapshot; NULL when absent. */
static pt_snapshot *cdnow_snapshot(void)
{
    const char *path = pt_test_shared("cdnow/cdnow_sample.csv");
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f)
        return NULL;
    static struct fx_order o[7000];
    static int count[2400];
    static uint32_t consent[2400];
    char line[128];
    size_t no = 0;
    int nm = 0, id, date, cds;
    double amount;
    if (!fgets(line, sizeof line, f))
        no = 0;
    while (no < 7000 && fgets(line, sizeof line, f) && sscanf(line, "%d,%d,%d,%lf", &id, &date, &cds, &amount) == 4) {
        if (id < 1 || id > 2400)
            continue;
        nm = id > nm ? id : nm;
        count[id - 1]++;
        o[no++] = (struct fx_order){days_from_civil(date / 10000, date / 100 % 100, date % 100) * DAY,
                                    (int64_t)llround(amount * 100), 0};
    }
    fclose(f);
    for (int i = 0; i < nm; i++)
        consent[i] = ANALYTICS;
    return fx_snapshot((size_t)nm, consent, count, o);
}

TEST(clv_cdnow_transactions_give_the_published_summary_row_by_row)
{
    struct cdnow *c = cdnow_load();
    pt_snapshot *snap = c ? cdnow_snapshot() : NULL;
    if (!snap) {
        free(c);
        SKIP(NO_CDNOW);
    }
    pt_clv_summary s;
    ASSERT_OK(pt_clv_summary_from_snapshot(&s, snap, days_from_civil(1997, 10, 1) * DAY, 7, 0));
    int ok = s.n == c->n;
    double zsum = 0;
    size_t zn = 0;
    for (size_t i = 0; ok && i < s.n; i++) {
        int same = s.x[i] == c->x[i] && fabs(s.t_x[i] - c->tx[i]) < 1e-9 && fabs(s.T[i] - c->T[i]) < 1e-9 &&
                   fabs(s.m_x[i] / 100 - c->m[i]) < 0.0051;
        if (!same)
            fprintf(stderr, "    customer %lld: x %g/%g t_x %g/%g T %g/%g m %g/%g (ours/BTYD)\n",
                    (long long)s.member_id[i], s.x[i], c->x[i], s.t_x[i], c->tx[i], s.T[i], c->T[i], s.m_x[i] / 100,
                    c->m[i]);
        ok &= same;
        if (s.x[i] > 0)
            zsum += s.m_x[i] / 100, zn++;
    }
    /* lifetimes' 35.078551797 comes from its own copy of the summary; these transactions give
     * 35.0778475 (the published "35.08" to 2 dp), so the check is to 1e-3 */
    ok &= zn == 946 && near("repeaters' mean zbar from the transactions", zsum / (double)zn, 35.078551797, 1e-3, 0);
    pt_clv_summary_free(&s);
    pt_snapshot_free(snap);
    free(c);
    ASSERT(ok);
}

/* --- hand-checked ------------------------------------------------------------------------------ */
TEST(clv_formulas_agree_with_hand_computed_values)
{
    /* BG/NBD r = α = a = b = 1, x = 0, T = 1: L = B(1,1)/B(1,1) · Γ(1)·1 / (Γ(1)·2) = 1/2. */
    static const double one[4] = {1, 1, 1, 1};
    ASSERT(fabs(pt_clv_bgnbd_ll(one, 0, 0, 1) - log(0.5)) < 1e-12);
    /* x = 0: nobody has had a chance to drop out, P(alive) = 1 in BG/NBD */
    static const double p[4] = {1, 1, 1, 2};
    ASSERT(pt_clv_bgnbd_p_alive(p, 0, 0, 10) == 1);
    /* x = 1, t_x = 1, T = 3: 1 / (1 + a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)) = 1 / (1 + ½·(4/2)²) = 1/3 */
    ASSERT(fabs(pt_clv_bgnbd_p_alive(p, 1, 1, 3) - 1.0 / 3) < 1e-12);
    /* Pareto/NBD r = α = β = 1, s = 2, t = 1: rβ/(α(s−1)) · (1 − β/(β+t)) = ½ */
    static const double pn[4] = {1, 1, 2, 1};
    ASSERT(fabs(pt_clv_pareto_expected(pn, 1) - 0.5) < 1e-12);
    /* Pareto/NBD at T = 0 the customer is alive */
    ASSERT(fabs(pt_clv_pareto_p_alive(pn, 0, 0, 0) - 1) < 1e-12);
    /* Gamma-Gamma p = 2, q = 3, γ = 10: x = 2, m = 5 → 2·(10 + 10)/(4 + 2) = 20/3; x = 0 → pγ/(q−1) = 10 */
    static const double gg[3] = {2, 3, 10};
    ASSERT(fabs(pt_clv_gg_conditional(gg, 2, 5) - 20.0 / 3) < 1e-12);
    ASSERT(pt_clv_gg_conditional(gg, 0, 0) == 10);
    /* 2F1(1, 1; 2; z) = −ln(1 − z)/z */
    ASSERT(fabs(exp(pt_clv_log_hyp2f1(1, 1, 2, 0.5)) - 2 * log(2)) < 1e-12);
    ASSERT(fabs(exp(pt_clv_log_hyp2f1(1, 1, 2, 0.999)) + log(0.001) / 0.999) < 1e-9);
}

/* CLV of member 1 of the summary fixture: the score row equals spend × Σ_k ΔE_k / (1+d)^k
 * recomputed here, with d = 1.1^(1/12) − 1 and months of 365.25/12 days = 4.348… weeks. */
/* Where a + b + x ≤ 1 the closed forms' 2F1 has a non-positive c (a fit at the no-dropout
 * boundary, a → 0, gets there). The values must stay finite and agree with what does not use
 * that 2F1: E[X(t)] as Σ n·P(X(t) = n) from the pmf, and continuity across c = 0. */
TEST(clv_bgnbd_expectations_stay_finite_and_right_when_a_plus_b_is_below_one)
{
    static const double p[4] = {0.8, 6.0, 0.3, 0.4}; /* a + b − 1 = −0.3 */
    double e = pt_clv_bgnbd_expected(p, 20), by_pmf = 0, mass = 0;
    for (int n = 0; n < 400; n++) {
        double q = pt_clv_bgnbd_pmf(p, 20, n);
        by_pmf += n * q;
        mass += q;
    }
    ASSERT(fabs(mass - 1) < 1e-9);
    ASSERT(near("E[X(20)] @a+b<1 against the pmf", e, by_pmf, 1e-9, 1));
    /* x = 0: the conditional equals the unconditional expectation for a member first seen
     * T ago with no repeat, and is continuous as c crosses 0 (b from 0.7 − ε to 0.7 + ε). */
    double below[4] = {0.8, 6.0, 0.3, 0.7 - 1e-7}, above[4] = {0.8, 6.0, 0.3, 0.7 + 1e-7};
    double y_below = pt_clv_bgnbd_conditional(below, 52, 0, 0, 10), y_above = pt_clv_bgnbd_conditional(above, 52, 0, 0, 10);
    ASSERT(isfinite(y_below) && y_below > 0);
    ASSERT(near("E[Y(52)|0,0,10] across c = 0", y_below, y_above, 1e-5, 1));
    ASSERT(isfinite(pt_clv_bgnbd_conditional(p, 52, 0, 0, 10)));
    /* The no-dropout limit: with a → 0 and huge r, α the purchase rate is (r + x)/(α + T). */
    static const double poisson[4] = {1e8, 2e9, 1e-13, 0.02};
    ASSERT(near("E[Y(52)|0,0,30] @a→0", pt_clv_bgnbd_conditional(poisson, 52, 0, 0, 30), 52 * 1e8 / (2e9 + 30), 1e-6,
                1));
}

TEST(clv_score_discounts_each_month_of_expected_purchases_and_skips_no_consent_members)
{
    uint32_t consent[2] = {ANALYTICS, 0};
    int count[2] = {3, 2};
    struct fx_order o[5] = {{D0, 1000, 0}, {D0 + 14 * DAY, 2000, 0}, {D0 + 28 * DAY, 3000, 0}, {D0, 10, 0},
                            {D0 + DAY, 10, 0}};
    pt_snapshot *snap = fx_snapshot(2, consent, count, o);
    pt_clv_summary s;
    ASSERT_OK(pt_clv_summary_from_snapshot(&s, snap, D0 + 70 * DAY, 7, 0));
    ASSERT_EQ(s.n, 1);
    pt_clv_fit tx = {.model = PT_CLV_BGNBD, .nparams = 4, .param = {0.25, 4, 0.8, 2.5}};
    pt_clv_fit gg = {.model = PT_CLV_GG, .nparams = 3, .param = {6, 4, 1500}};
    pt_clv_score_opts o12;
    pt_clv_score_opts_init(&o12);
    pt_clv_row *rows;
    ASSERT_OK(pt_clv_score(&rows, &s, &tx, &gg, &o12));
    double spend = 6 * (1500 + 2 * 2500.0) / (12 + 4 - 1), len = 365.25 / 12 / 7, d = pow(1.1, 1.0 / 12) - 1;
    double sum = 0, prev = 0;
    for (int k = 1; k <= 12; k++) {
        double e = pt_clv_bgnbd_conditional(tx.param, k * len, 2, 4, 69.0 / 7);
        sum += (e - prev) / pow(1 + d, k);
        prev = e;
    }
    ASSERT_EQ(rows[0].member_id, 1);
    ASSERT_EQ(rows[0].avg_spend_cents, llround(spend));
    ASSERT_EQ(rows[0].clv_cents, llround(spend * sum));
    ASSERT_EQ(rows[0].spend_cents, llround(spend * prev));
    ASSERT(fabs(rows[0].expected_purchases - prev) < 1e-12);
    ASSERT(fabs(rows[0].p_alive - pt_clv_bgnbd_p_alive(tx.param, 2, 4, 69.0 / 7)) < 1e-15);
    ASSERT_LT(rows[0].clv_cents, rows[0].spend_cents); /* discounting lowers it */
    free(rows);
    pt_clv_summary_free(&s);
    pt_snapshot_free(snap);
}

/* --- CLI --------------------------------------------------------------------------------------- */
TEST(cli_clv_fit_json_and_score_csv_on_a_demo_list_only_consenting_members)
{
    const char *BIN = pt_test_patron_bin(), *dir = pt_test_tmpdir();
    char data[1024], *out = NULL;
    snprintf(data, sizeof data, "%s/p", dir);
    int st = pt_test_run(&out, "'%s' demo --members 400 --seed 5 --no-programme --data '%s' 2>&1", BIN, data);
    free(out);
    ASSERT_EQ(st, 0);
    ASSERT_EQ(pt_test_run(&out, "'%s' clv fit --json --as-of 2026-01-01 --data '%s'", BIN, data), 0);
    ASSERT_STR_CONTAINS(out, "\"params\":{\"r\":");
    ASSERT_STR_CONTAINS(out, "\"log_likelihood\":");
    free(out);
    ASSERT_EQ(pt_test_run(&out, "'%s' clv fit --model gg --json --as-of 2026-01-01 --data '%s'", BIN, data), 0);
    ASSERT_STR_CONTAINS(out, "\"gamma\":");
    free(out);
    char *csv = NULL, *rfm = NULL;
    ASSERT_EQ(pt_test_run(&csv, "'%s' clv score --csv --as-of 2026-01-01 --data '%s'", BIN, data), 0);
    ASSERT_EQ(pt_test_run(&rfm, "'%s' rfm --csv --as-of 2026-01-01 --data '%s'", BIN, data), 0);
    int lines = 0, scored = 0;
    for (const char *p = csv; *p; p++)
        lines += *p == '\n';
    for (const char *p = strchr(rfm, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
        const char *comma = strchr(p + 1, ','); /* member,recency_days,…: −1 = no paid order */
        scored += comma && strncmp(comma, ",-1,", 4) != 0;
    }
    ASSERT_STR_CONTAINS(csv, "member,p_alive,expected_purchases,avg_spend_cents,spend_cents,clv_cents\n");
    ASSERT_EQ(lines - 1, scored); /* the members rfm shows with a purchase: consenting only */
    free(csv);
    free(rfm);
    ASSERT_EQ(pt_test_run(NULL, "'%s' clv score --model gg --data '%s' 2>/dev/null", BIN, data), 2);
    ASSERT_EQ(pt_test_run(NULL, "'%s' clv fit --help >/dev/null", BIN), 0);
}

/* clv.c — the CLV driver: summaries (from a snapshot or plain arrays), maximum-likelihood
 * fits with GSL's Nelder–Mead simplex on log-parameters, and per-member scores (formulas in
 * clv_bgnbd.c, clv_pareto.c, clv_gg.c; definitions in clv.h and docs/clv.md).
 *
 * Fitting: the summary is first compressed to its distinct rows — (x, t_x, T) for the purchase
 * models, (x, m) for Gamma-Gamma — with a count each, so the likelihood is a weighted sum over
 * far fewer rows (CDNOW: 2,357 customers → 1,496 distinct rows). The objective is −LL / N in
 * θ = log(params), so every parameter stays positive and the simplex works on one scale. Three
 * starts (docs/clv.md) each run gsl_multimin_fminimizer_nmsimplex2 (initial step 0.5 in θ)
 * until the simplex size is below tol or max_iter; the best is then restarted with a fresh
 * simplex (step 0.05) until a restart improves −LL/N by less than 1e-12 (at most 5 times) —
 * the usual guard against Nelder–Mead stalling on a flat ridge. A non-finite likelihood is
 * +1e100 to the minimiser.
 *
 * Threads: the weighted sum is split over threads in contiguous ranges when there are at
 * least PAR_MIN distinct rows (below that thread start-up costs more than it saves); scoring
 * likewise over distinct rows. Partials are added in thread order.
 * Memory: every temporary is freed before return; summaries and score rows belong to the
 * caller.
 */
#include "patron/clv.h"
#include "patron/error.h"
#include "patron/types.h"

#include <gsl/gsl_multimin.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DAY_S   86400
#define PAR_MIN 4096
#define MONTH_DAYS (365.25 / 12)

/* --- names ---------------------------------------------------------------------------------- */
static const char *const PARAM_NAMES[4][4] = {
    {0}, {"r", "alpha", "a", "b"}, {"r", "alpha", "s", "beta"}, {"p", "q", "gamma"}};

const char *pt_clv_model_name(int model)
{
    switch (model) {
    case PT_CLV_BGNBD: return "bgnbd";
    case PT_CLV_PARETO: return "pareto";
    case PT_CLV_GG: return "gg";
    default: return NULL;
    }
}

int pt_clv_model_of(const char *name)
{
    for (int m = PT_CLV_BGNBD; m <= PT_CLV_GG; m++)
        if (strcmp(name, pt_clv_model_name(m)) == 0)
            return m;
    return 0;
}

int pt_clv_nparams(int model)
{
    return model == PT_CLV_GG ? 3 : model == PT_CLV_BGNBD || model == PT_CLV_PARETO ? 4 : 0;
}

const char *pt_clv_param_name(int model, int k)
{
    return k >= 0 && k < pt_clv_nparams(model) ? PARAM_NAMES[model][k] : NULL;
}

double pt_clv_p_alive(int model, const double *param, double x, double t_x, double T)
{
    if (model == PT_CLV_BGNBD)
        return pt_clv_bgnbd_p_alive(param, x, t_x, T);
    return model == PT_CLV_PARETO ? pt_clv_pareto_p_alive(param, x, t_x, T) : NAN;
}

double pt_clv_conditional(int model, const double *param, double t, double x, double t_x, double T)
{
    if (model == PT_CLV_BGNBD)
        return pt_clv_bgnbd_conditional(param, t, x, t_x, T);
    return model == PT_CLV_PARETO ? pt_clv_pareto_conditional(param, t, x, t_x, T) : NAN;
}

double pt_clv_expected(int model, const double *param, double t)
{
    if (model == PT_CLV_BGNBD)
        return pt_clv_bgnbd_expected(param, t);
    return model == PT_CLV_PARETO ? pt_clv_pareto_expected(param, t) : NAN;
}

/* --- summary -------------------------------------------------------------------------------- */
void pt_clv_summary_free(pt_clv_summary *s)
{
    if (!s)
        return;
    free(s->member_id);
    free(s->x);
    free(s->t_x);
    free(s->T);
    free(s->m_x);
    memset(s, 0, sizeof *s);
}

static int summary_alloc(pt_clv_summary *s, size_t n, int ids)
{
    size_t k = n ? n : 1;
    s->n = n;
    s->x = malloc(k * sizeof *s->x);
    s->t_x = malloc(k * sizeof *s->t_x);
    s->T = malloc(k * sizeof *s->T);
    s->m_x = malloc(k * sizeof *s->m_x);
    s->member_id = ids ? malloc(k * sizeof *s->member_id) : NULL;
    if (!s->x || !s->t_x || !s->T || !s->m_x || (ids && !s->member_id)) {
        pt_clv_summary_free(s);
        return PT_ENOMEM;
    }
    return PT_OK;
}

int pt_clv_summary_from_arrays(pt_clv_summary *out, size_t n, const double *x, const double *t_x,
                               const double *T, const double *m_x)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++)
        if (!(x[i] >= 0 && t_x[i] >= 0 && T[i] >= t_x[i]) || (m_x && !(m_x[i] >= 0)))
            return PT_EINVAL;
    int rc = summary_alloc(out, n, 0);
    if (rc)
        return rc;
    memcpy(out->x, x, n * sizeof *x);
    memcpy(out->t_x, t_x, n * sizeof *t_x);
    memcpy(out->T, T, n * sizeof *T);
    for (size_t i = 0; i < n; i++)
        out->m_x[i] = m_x ? m_x[i] : 0;
    out->unit_days = 7;
    return PT_OK;
}

static int64_t day_of(int64_t t, int32_t tz)
{
    int64_t u = t + tz;
    return u >= 0 ? u / DAY_S : -((-u + DAY_S - 1) / DAY_S);
}

/* Member i's statistics: distinct purchase days before end, first and last day, the spend of
 * every day after the first. Returns the number of transactions (0: no history). */
static int64_t member_stats(const pt_snapshot *snap, size_t i, int64_t end, int32_t tz, int64_t *first,
                            int64_t *last, int64_t *repeat_cents)
{
    int64_t n = 0, day = 0;
    *repeat_cents = 0;
    for (size_t k = snap->first[i]; k < snap->first[i + 1]; k++) {
        if (snap->order_status[k] != PT_ORDER_PAID || snap->order_at[k] >= end)
            continue;
        int64_t d = day_of(snap->order_at[k], tz);
        if (n == 0 || d != day) {
            n++;
            day = d;
            if (n == 1)
                *first = d;
        }
        if (n > 1)
            *repeat_cents += snap->order_cents[k];
    }
    *last = day;
    return n;
}

int pt_clv_summary_from_snapshot(pt_clv_summary *out, const pt_snapshot *snap, int64_t end, double unit_days,
                                 int32_t tz_offset_s)
{
    memset(out, 0, sizeof *out);
    if (!(unit_days > 0))
        return PT_EINVAL;
    size_t rows = 0, no_history = 0, anon = 0;
    int64_t f, l, c;
    for (size_t i = 0; i < snap->nmembers; i++) {
        int use = pt_snapshot_member_use(snap, i);
        if (use == PT_SNAP_ERASED || use == PT_SNAP_NO_CONSENT)
            anon++;
        else if (use == PT_SNAP_USE && member_stats(snap, i, end, tz_offset_s, &f, &l, &c) > 0)
            rows++;
        else if (use == PT_SNAP_USE)
            no_history++;
    }
    int rc = summary_alloc(out, rows, 1);
    if (rc)
        return rc;
    int64_t end_day = day_of(end - 1, tz_offset_s);
    size_t j = 0;
    for (size_t i = 0; i < snap->nmembers && j < rows; i++) {
        if (pt_snapshot_member_use(snap, i) != PT_SNAP_USE)
            continue;
        int64_t n = member_stats(snap, i, end, tz_offset_s, &f, &l, &c);
        if (n == 0)
            continue;
        out->member_id[j] = snap->member_id[i];
        out->x[j] = (double)(n - 1);
        out->t_x[j] = (double)(l - f) / unit_days;
        out->T[j] = (double)(end_day - f) / unit_days;
        out->m_x[j] = n > 1 ? (double)c / (double)(n - 1) : 0;
        j++;
    }
    out->unit_days = unit_days;
    out->end = end;
    out->no_history = no_history;
    out->anon = anon;
    return PT_OK;
}

/* --- distinct rows -------------------------------------------------------------------------- */
struct key {
    double a, b, c; /* (x, t_x, T) or (x, m, 0) */
    size_t i;       /* summary row */
};

static int key_cmp(const void *pa, const void *pb)
{
    const struct key *p = pa, *q = pb;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    if (p->b != q->b)
        return p->b < q->b ? -1 : 1;
    if (p->c != q->c)
        return p->c < q->c ? -1 : 1;
    return p->i < q->i ? -1 : p->i > q->i;
}

/* Distinct rows with weights; of[i] (when asked) is summary row i's distinct row, or
 * SIZE_MAX when the row does not qualify (Gamma-Gamma: x ≥ 1 and m > 0). */
struct distinct {
    size_t  n;
    double *a, *b, *c, *w;
    size_t  used; /* Σ w */
};

static void distinct_free(struct distinct *d)
{
    free(d->a);
    free(d->b);
    free(d->c);
    free(d->w);
}

static int distinct_build(struct distinct *d, const pt_clv_summary *s, int gg, size_t *of)
{
    memset(d, 0, sizeof *d);
    struct key *k = malloc((s->n ? s->n : 1) * sizeof *k);
    if (!k)
        return PT_ENOMEM;
    size_t nk = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (of)
            of[i] = SIZE_MAX;
        if (gg && !(s->x[i] >= 1 && s->m_x[i] > 0))
            continue;
        k[nk++] = gg ? (struct key){s->x[i], s->m_x[i], 0, i} : (struct key){s->x[i], s->t_x[i], s->T[i], i};
    }
    qsort(k, nk, sizeof *k, key_cmp);
    size_t cap = nk ? nk : 1;
    d->a = malloc(cap * sizeof *d->a);
    d->b = malloc(cap * sizeof *d->b);
    d->c = malloc(cap * sizeof *d->c);
    d->w = malloc(cap * sizeof *d->w);
    if (!d->a || !d->b || !d->c || !d->w) {
        free(k);
        distinct_free(d);
        return PT_ENOMEM;
    }
    for (size_t j = 0; j < nk; j++) {
        if (j == 0 || k[j].a != k[j - 1].a || k[j].b != k[j - 1].b || k[j].c != k[j - 1].c) {
            d->a[d->n] = k[j].a, d->b[d->n] = k[j].b, d->c[d->n] = k[j].c, d->w[d->n] = 0;
            d->n++;
        }
        d->w[d->n - 1] += 1;
        if (of)
            of[k[j].i] = d->n - 1;
    }
    d->used = nk;
    free(k);
    return PT_OK;
}

/* --- threads -------------------------------------------------------------------------------- */
static int threads_for(int asked, size_t rows)
{
    if (rows < PAR_MIN)
        return 1;
    long n = asked > 0 ? asked : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    return (int)(n > PT_CLV_THREADS_MAX ? PT_CLV_THREADS_MAX : n);
}

/* Runs fn(arg + i·size) for i < n on n − 1 new threads and the caller; a thread that cannot
 * start runs on the caller afterwards, so this cannot fail. */
static void run_parallel(void *(*fn)(void *), void *arg, size_t size, int n)
{
    pthread_t tid[PT_CLV_THREADS_MAX];
    int started[PT_CLV_THREADS_MAX] = {0};
    for (int i = 1; i < n; i++)
        started[i] = pthread_create(&tid[i], NULL, fn, (char *)arg + (size_t)i * size) == 0;
    fn(arg);
    for (int i = 1; i < n; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            fn((char *)arg + (size_t)i * size);
    }
}

/* --- likelihood ----------------------------------------------------------------------------- */
static double row_ll(int model, const double *p, double a, double b, double c)
{
    switch (model) {
    case PT_CLV_BGNBD: return pt_clv_bgnbd_ll(p, a, b, c);
    case PT_CLV_PARETO: return pt_clv_pareto_ll(p, a, b, c);
    default: return pt_clv_gg_ll(p, a, b);
    }
}

struct ll_job {
    int                    model;
    const double          *param;
    const struct distinct *d;
    size_t                 lo, hi;
    double                 sum;
};

static void *ll_part(void *arg)
{
    struct ll_job *j = arg;
    double sum = 0;
    for (size_t i = j->lo; i < j->hi; i++)
        sum += j->d->w[i] * row_ll(j->model, j->param, j->d->a[i], j->d->b[i], j->d->c[i]);
    j->sum = sum;
    return NULL;
}

static double weighted_ll(int model, const double *param, const struct distinct *d, int threads)
{
    struct ll_job job[PT_CLV_THREADS_MAX];
    for (int t = 0; t < threads; t++)
        job[t] = (struct ll_job){model, param, d, d->n * (size_t)t / (size_t)threads,
                                 d->n * (size_t)(t + 1) / (size_t)threads, 0};
    run_parallel(ll_part, job, sizeof *job, threads);
    double sum = 0;
    for (int t = 0; t < threads; t++)
        sum += job[t].sum;
    return sum;
}

double pt_clv_total_ll(int model, const double *param, const pt_clv_summary *s)
{
    if (!pt_clv_nparams(model))
        return NAN;
    struct distinct d;
    if (distinct_build(&d, s, model == PT_CLV_GG, NULL))
        return NAN;
    double ll = weighted_ll(model, param, &d, threads_for(0, d.n));
    distinct_free(&d);
    return ll;
}

/* --- fitting -------------------------------------------------------------------------------- */
void pt_clv_fit_opts_init(pt_clv_fit_opts *o, int model)
{
    *o = (pt_clv_fit_opts){.model = model, .threads = 0, .max_iter = 2000, .tol = 1e-8};
}

struct objective {
    int                    model, nparams, threads;
    const struct distinct *d;
};

/* −LL/N at params e^θ; +1e100 where the likelihood is not finite. */
static double objective_f(const gsl_vector *theta, void *arg)
{
    const struct objective *ob = arg;
    double p[PT_CLV_PARAMS_MAX];
    for (int k = 0; k < ob->nparams; k++) {
        double th = gsl_vector_get(theta, (size_t)k);
        if (!(fabs(th) < 30))
            return 1e100;
        p[k] = exp(th);
    }
    if (ob->model == PT_CLV_GG && p[1] <= 1e-9)
        return 1e100;
    double ll = weighted_ll(ob->model, p, ob->d, ob->threads);
    return isfinite(ll) ? -ll / (double)ob->d->used : 1e100;
}

/* One Nelder–Mead run from theta (updated in place), until the simplex shrinks below tol or
 * max_iter. Returns the minimum. */
static double nm_run(const struct objective *ob, double *theta, double step, const pt_clv_fit_opts *o, int *iters)
{
    size_t n = (size_t)ob->nparams;
    gsl_multimin_function fn = {.f = objective_f, .n = n, .params = (void *)ob};
    gsl_multimin_fminimizer *m = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, n);
    gsl_vector *x = gsl_vector_alloc(n), *ss = gsl_vector_alloc(n);
    double fmin = 1e100;
    if (!m || !x || !ss)
        goto out;
    for (size_t k = 0; k < n; k++)
        gsl_vector_set(x, k, theta[k]);
    gsl_vector_set_all(ss, step);
    gsl_multimin_fminimizer_set(m, &fn, x, ss);
    for (int it = 0; it < o->max_iter; it++) {
        (*iters)++;
        if (gsl_multimin_fminimizer_iterate(m))
            break;
        if (gsl_multimin_test_size(gsl_multimin_fminimizer_size(m), o->tol) == GSL_SUCCESS)
            break;
    }
    fmin = m->fval;
    for (size_t k = 0; k < n; k++)
        theta[k] = gsl_vector_get(m->x, k);
out:
    if (m)
        gsl_multimin_fminimizer_free(m);
    if (x)
        gsl_vector_free(x);
    if (ss)
        gsl_vector_free(ss);
    return fmin;
}

/* Starting points (natural scale), the time or money scale set from the data. */
static void starts_for(int model, const struct distinct *d, double st[3][PT_CLV_PARAMS_MAX])
{
    double mean = 0;
    for (size_t i = 0; i < d->n; i++)
        mean += d->w[i] * (model == PT_CLV_GG ? d->b[i] : d->c[i]);
    mean = d->used ? mean / (double)d->used : 1;
    if (!(mean > 0))
        mean = 1;
    if (model == PT_CLV_GG) {
        double g[3][4] = {{1, 2, mean}, {5, 3, mean / 2}, {2, 5, mean * 2}};
        memcpy(st, g, sizeof g);
    } else {
        double g[3][4] = {{1, 1, 1, 1}, {0.5, mean / 4, 0.5, 2}, {2, mean, 2, mean / 2}};
        if (model == PT_CLV_BGNBD)
            g[2][3] = 5;
        memcpy(st, g, sizeof g);
    }
}

/* Central-difference gradient of objective_f in θ (h = 1e-5: the objective is smooth and of
 * order 1, so the error is about h² ≈ 1e-10, well below what the polish needs). */
static void objective_df(const gsl_vector *theta, void *arg, gsl_vector *g)
{
    gsl_vector *t = gsl_vector_alloc(theta->size);
    if (!t) {
        gsl_vector_set_all(g, 0);
        return;
    }
    for (size_t k = 0; k < theta->size; k++) {
        const double h = 1e-5;
        gsl_vector_memcpy(t, theta);
        gsl_vector_set(t, k, gsl_vector_get(theta, k) + h);
        double fp = objective_f(t, arg);
        gsl_vector_set(t, k, gsl_vector_get(theta, k) - h);
        double fm = objective_f(t, arg);
        gsl_vector_set(g, k, (fp - fm) / (2 * h));
    }
    gsl_vector_free(t);
}

static void objective_fdf(const gsl_vector *theta, void *arg, double *f, gsl_vector *g)
{
    *f = objective_f(theta, arg);
    objective_df(theta, arg, g);
}

/* The gradient norm below which a fit is converged: ‖∇θ(−LL/N)‖₂ ≤ CONV_GRAD_TOL at the
 * returned parameters. Why 1e-6: the objective is a mean log-likelihood of order 1, and its
 * central-difference gradient carries rounding noise of about DBL_EPSILON·|f|/h ≈ 1e-11 and
 * truncation of about h² ≈ 1e-10, so a test at 1e-9 sits on the noise floor — BFGS stops there
 * with "no progress" (GSL_ENOPROG) at the optimum, which is why a fit that reproduced the
 * published parameters used to say not converged. 1e-6 is four orders above that floor and
 * still far below anything that matters: at it, moving every log-parameter by 1e-3 (0.1 % in
 * each parameter) changes the total log-likelihood by at most N·1e-9 — nothing, against the
 * one unit of log-likelihood that separates fits statistically. A run stopped by its
 * iteration cap far from the optimum has a gradient orders of magnitude larger. */
#define CONV_GRAD_TOL 1e-6
#define POLISH_ITER   200

/* BFGS polish from theta (GSL vector_bfgs2, line-search tolerance 0.1): stops when the
 * gradient norm of −LL/N is below 1e-9, when GSL reports no progress (the noise floor, see
 * CONV_GRAD_TOL), or after max_iter (at most POLISH_ITER) iterations; theta is replaced only
 * when the likelihood improved. Returns the minimum. */
static double bfgs_polish(const struct objective *ob, double *theta, double f0, int max_iter, int *iters)
{
    size_t n = (size_t)ob->nparams;
    gsl_multimin_function_fdf fn = {.f = objective_f, .df = objective_df, .fdf = objective_fdf, .n = n,
                                    .params = (void *)ob};
    gsl_multimin_fdfminimizer *m = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, n);
    gsl_vector *x = gsl_vector_alloc(n);
    double fmin = f0;
    if (!m || !x)
        goto out;
    for (size_t k = 0; k < n; k++)
        gsl_vector_set(x, k, theta[k]);
    gsl_multimin_fdfminimizer_set(m, &fn, x, 0.01, 0.1);
    for (int it = 0; it < max_iter && it < POLISH_ITER; it++) {
        (*iters)++;
        if (gsl_multimin_fdfminimizer_iterate(m))
            break;
        if (gsl_multimin_test_gradient(m->gradient, 1e-9) == GSL_SUCCESS)
            break;
    }
    if (m->f < f0) {
        fmin = m->f;
        for (size_t k = 0; k < n; k++)
            theta[k] = gsl_vector_get(m->x, k);
    }
out:
    if (m)
        gsl_multimin_fdfminimizer_free(m);
    if (x)
        gsl_vector_free(x);
    return fmin;
}

/* 1 when the gradient of −LL/N at theta is within CONV_GRAD_TOL (and the point finite). */
static int converged_at(const struct objective *ob, const double *theta, double f)
{
    if (!(f < 1e100))
        return 0;
    size_t n = (size_t)ob->nparams;
    gsl_vector *x = gsl_vector_alloc(n), *g = gsl_vector_alloc(n);
    int ok = 0;
    if (x && g) {
        for (size_t k = 0; k < n; k++)
            gsl_vector_set(x, k, theta[k]);
        objective_df(x, (void *)ob, g);
        ok = gsl_multimin_test_gradient(g, CONV_GRAD_TOL) == GSL_SUCCESS;
    }
    if (x)
        gsl_vector_free(x);
    if (g)
        gsl_vector_free(g);
    return ok;
}

static void fit_minimise(const struct objective *ob, const pt_clv_fit_opts *o, pt_clv_fit *out)
{
    double st[3][PT_CLV_PARAMS_MAX], best[PT_CLV_PARAMS_MAX] = {0}, fbest = 1e100;
    starts_for(ob->model, ob->d, st);
    for (int s = 0; s < 3; s++) {
        double th[PT_CLV_PARAMS_MAX];
        for (int k = 0; k < ob->nparams; k++)
            th[k] = log(st[s][k]);
        double f = nm_run(ob, th, 0.5, o, &out->iterations);
        if (f < fbest) {
            fbest = f;
            memcpy(best, th, sizeof th);
        }
    }
    for (int r = 0; r < 5 && fbest < 1e100; r++) {
        double th[PT_CLV_PARAMS_MAX];
        memcpy(th, best, sizeof th);
        double f = nm_run(ob, th, 0.05, o, &out->iterations);
        int better = f < fbest;
        double gain = fbest - f;
        if (better) {
            fbest = f;
            memcpy(best, th, sizeof th);
        }
        if (!better || gain < 1e-12)
            break;
    }
    if (fbest < 1e100)
        fbest = bfgs_polish(ob, best, fbest, o->max_iter, &out->iterations);
    for (int k = 0; k < ob->nparams; k++)
        out->param[k] = exp(best[k]);
    out->log_likelihood = fbest < 1e100 ? -fbest * (double)ob->d->used : NAN;
    out->converged = converged_at(ob, best, fbest);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int pt_clv_fit_model(pt_clv_fit *out, const pt_clv_summary *s, const pt_clv_fit_opts *o)
{
    memset(out, 0, sizeof *out);
    int np = pt_clv_nparams(o->model);
    if (!np || o->max_iter <= 0 || !(o->tol > 0))
        return PT_EINVAL;
    double t0 = now_s();
    struct distinct d;
    int rc = distinct_build(&d, s, o->model == PT_CLV_GG, NULL);
    if (rc)
        return rc;
    if (d.used == 0) {
        distinct_free(&d);
        return PT_ENOTFOUND;
    }
    struct objective ob = {.model = o->model, .nparams = np, .threads = threads_for(o->threads, d.n), .d = &d};
    out->model = o->model;
    out->nparams = np;
    out->n_used = d.used;
    out->n_distinct = d.n;
    out->threads = ob.threads;
    fit_minimise(&ob, o, out);
    /* the reported likelihood: recomputed once at the final parameters */
    if (isfinite(out->log_likelihood))
        out->log_likelihood = weighted_ll(o->model, out->param, &d, ob.threads);
    distinct_free(&d);
    out->seconds = now_s() - t0;
    return isfinite(out->log_likelihood) ? PT_OK : PT_EINVAL;
}

/* --- scoring -------------------------------------------------------------------------------- */
void pt_clv_score_opts_init(pt_clv_score_opts *o)
{
    *o = (pt_clv_score_opts){.horizon_months = 12, .discount_annual = 0.10, .threads = 0};
}

/* Σ_{k=1..periods} (E[Y(k·len)] − E[Y((k−1)·len)]) / (1 + rate)^k: the discounted expected
 * transactions; *total gets the undiscounted E[Y(periods·len)]. */
static double discounted_tx(int model, const double *p, double x, double t_x, double T, int periods, double len,
                            double rate, double *total)
{
    double prev = 0, sum = 0, disc = 1;
    for (int k = 1; k <= periods; k++) {
        double e = pt_clv_conditional(model, p, k * len, x, t_x, T);
        disc /= 1 + rate;
        sum += (e - prev) * disc;
        prev = e;
    }
    if (total)
        *total = prev;
    return sum;
}

double pt_clv_value(int model, const double *param, double x, double t_x, double T, double spend, int periods,
                    double len, double rate)
{
    return spend * discounted_tx(model, param, x, t_x, T, periods, len, rate, NULL);
}

static int64_t cents_of(double v)
{
    if (!isfinite(v))
        return 0;
    double lim = (double)(INT64_MAX / 2);
    return v > lim ? INT64_MAX / 2 : v < -lim ? -(INT64_MAX / 2) : (int64_t)llround(v);
}

struct score_job {
    const pt_clv_fit      *tx;
    const struct distinct *d;
    int                    periods;
    double                 len, rate;
    double                *alive, *total, *disc; /* [d->n] */
    size_t                 lo, hi;
};

static void *score_part(void *arg)
{
    struct score_job *j = arg;
    for (size_t i = j->lo; i < j->hi; i++) {
        const double x = j->d->a[i], t_x = j->d->b[i], T = j->d->c[i];
        j->alive[i] = pt_clv_p_alive(j->tx->model, j->tx->param, x, t_x, T);
        j->disc[i] = discounted_tx(j->tx->model, j->tx->param, x, t_x, T, j->periods, j->len, j->rate, &j->total[i]);
    }
    return NULL;
}

static void score_rows(pt_clv_row *rows, const pt_clv_summary *s, const pt_clv_fit *gg, const size_t *of,
                       const double *alive, const double *total, const double *disc)
{
    for (size_t i = 0; i < s->n; i++) {
        size_t k = of[i];
        double spend = pt_clv_gg_conditional(gg->param, s->x[i], s->m_x[i]);
        rows[i] = (pt_clv_row){
            .member_id = s->member_id ? s->member_id[i] : (int64_t)i,
            .p_alive = alive[k],
            .expected_purchases = total[k],
            .avg_spend_cents = cents_of(spend),
            .spend_cents = cents_of(spend * total[k]),
            .clv_cents = cents_of(spend * disc[k]),
        };
    }
}

int pt_clv_score(pt_clv_row **rows, const pt_clv_summary *s, const pt_clv_fit *tx, const pt_clv_fit *gg,
                 const pt_clv_score_opts *o)
{
    *rows = NULL;
    int periods = (int)o->horizon_months;
    if ((tx->model != PT_CLV_BGNBD && tx->model != PT_CLV_PARETO) || gg->model != PT_CLV_GG || periods < 1 ||
        periods > 1200 || (double)periods != o->horizon_months || !(o->discount_annual >= 0) || !(s->unit_days > 0))
        return PT_EINVAL;
    struct distinct d;
    size_t *of = malloc((s->n ? s->n : 1) * sizeof *of);
    int rc = of ? distinct_build(&d, s, 0, of) : PT_ENOMEM;
    if (rc) {
        free(of);
        return rc;
    }
    double *buf = malloc(3 * (d.n ? d.n : 1) * sizeof *buf);
    pt_clv_row *out = malloc((s->n ? s->n : 1) * sizeof *out);
    if (!buf || !out) {
        rc = PT_ENOMEM;
        free(out);
        goto done;
    }
    int threads = threads_for(o->threads, d.n);
    struct score_job job[PT_CLV_THREADS_MAX];
    double len = MONTH_DAYS / s->unit_days, rate = pow(1 + o->discount_annual, 1.0 / 12) - 1;
    for (int t = 0; t < threads; t++)
        job[t] = (struct score_job){tx, &d, periods, len, rate, buf, buf + d.n, buf + 2 * d.n,
                                    d.n * (size_t)t / (size_t)threads, d.n * (size_t)(t + 1) / (size_t)threads};
    run_parallel(score_part, job, sizeof *job, threads);
    score_rows(out, s, gg, of, buf, buf + d.n, buf + 2 * d.n);
    *rows = out;
done:
    free(buf);
    free(of);
    distinct_free(&d);
    return rc;
}

/* --- calibration / holdout report ------------------------------------------------------------- */

/* Member i's transactions (distinct local days with a paid order) in [from, to). */
static int64_t holdout_days(const pt_snapshot *snap, size_t i, int64_t from, int64_t to, int32_t tz)
{
    int64_t n = 0, day = 0;
    for (size_t k = snap->first[i]; k < snap->first[i + 1]; k++) {
        if (snap->order_status[k] != PT_ORDER_PAID || snap->order_at[k] < from || snap->order_at[k] >= to)
            continue;
        int64_t d = day_of(snap->order_at[k], tz);
        n += n == 0 || d != day;
        day = d;
    }
    return n;
}

int pt_clv_holdout_report(pt_clv_holdout *out, const pt_clv_summary *s, const pt_snapshot *snap, const pt_clv_fit *f,
                          int64_t holdout_end, int32_t tz_offset_s)
{
    memset(out, 0, sizeof *out);
    if (holdout_end <= s->end || !s->member_id || (f->model != PT_CLV_BGNBD && f->model != PT_CLV_PARETO))
        return PT_EINVAL;
    out->t = (double)(day_of(holdout_end - 1, tz_offset_s) - day_of(s->end - 1, tz_offset_s)) / s->unit_days;
    size_t m = 0; /* snapshot cursor: both are ascending by member id */
    for (size_t j = 0; j < s->n; j++) {
        while (m < snap->nmembers && snap->member_id[m] < s->member_id[j])
            m++;
        if (m == snap->nmembers || snap->member_id[m] != s->member_id[j])
            return PT_ECORRUPT;
        int b = s->x[j] < PT_CLV_BUCKETS - 1 ? (int)s->x[j] : PT_CLV_BUCKETS - 1;
        double actual = (double)holdout_days(snap, m, s->end, holdout_end, tz_offset_s);
        double predicted = pt_clv_conditional(f->model, f->param, out->t, s->x[j], s->t_x[j], s->T[j]);
        out->n[b]++;
        out->actual[b] += actual;
        out->predicted[b] += predicted;
        out->actual_all += actual;
        out->predicted_all += predicted;
    }
    for (int b = 0; b < PT_CLV_BUCKETS; b++)
        if (out->n[b]) {
            out->actual[b] /= (double)out->n[b];
            out->predicted[b] /= (double)out->n[b];
        }
    out->n_all = s->n;
    if (s->n) {
        out->actual_all /= (double)s->n;
        out->predicted_all /= (double)s->n;
    }
    return PT_OK;
}

/* reco_als.c — implicit-feedback matrix factorisation by alternating least squares (Hu, Koren &
 * Volinsky, "Collaborative Filtering for Implicit Feedback Datasets", ICDM 2008).
 *
 * Preference p(u,i) = 1 when u bought i, else 0; confidence c(u,i) = 1 + alpha·count(u,i).
 * Minimises Σ c(u,i)(p(u,i) − xᵤᵀyᵢ)² + λ(Σ‖xᵤ‖² + Σ‖yᵢ‖²) by solving, for each member (then each
 * item) with the other side Y fixed,
 *     (YᵀY + λI + Σ_{i∈u} (c−1)·yᵢyᵢᵀ) xᵤ = Σ_{i∈u} c·yᵢ
 * — the YᵀY trick makes each solve cost |u|·F² + F³ rather than N·F². The rank updates are one
 * OpenBLAS dsyrk over the scaled history vectors, the solve a Cholesky (LAPACK dposv), in double.
 * The Fortran entry points are called on purpose: the C names cblas_* would bind to GSL's
 * reference CBLAS, which the link line puts first. Training sets OpenBLAS to one thread for the
 * process (its pool fights ours; see openblas_set_num_threads below).
 *
 * Determinism: Y starts from N(0, 0.01²) drawn from splitmix64(seed) by Box–Muller; each half-sweep
 * solves every member (then every item) from the other side alone, so the rows are independent and
 * are split over threads in contiguous blocks: a seed gives the same factors for any thread count
 * on the same machine and BLAS.
 * The model keeps Y only; a member's x is folded in from its history with the same equation.
 */
#include "reco_int.h"
#include "patron/error.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Fortran BLAS/LAPACK from OpenBLAS; the trailing size_t are gfortran's hidden string lengths. */
void dsyrk_(const char *uplo, const char *trans, const int *n, const int *k, const double *alpha, const double *a,
            const int *lda, const double *beta, double *c, const int *ldc, size_t l_uplo, size_t l_trans);
void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda, double *b, const int *ldb,
            int *info, size_t l_uplo);
/* OpenBLAS's own thread pool: the solves here are F × F (F ≤ 512) and run on our own threads, so
 * BLAS-level threads would only oversubscribe the cores (measured: 2 workers each spawning
 * OpenBLAS threads ran 4× slower than 1). Set once to 1 for the process before training. */
void openblas_set_num_threads(int n);

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform01(uint64_t *s)
{
    return ((double)(splitmix64(s) >> 11) + 0.5) / 9007199254740992.0;
}

static void init_factors(double *y, size_t n, uint64_t seed)
{
    uint64_t s = seed;
    for (size_t k = 0; k < n; k += 2) {
        double r = sqrt(-2.0 * log(uniform01(&s))), t = 2.0 * M_PI * uniform01(&s);
        y[k] = 0.01 * r * cos(t);
        if (k + 1 < n)
            y[k + 1] = 0.01 * r * sin(t);
    }
}

/* G = BᵀB for B (n × F, row-major, i.e. F × n column-major): upper triangle, column-major. */
static void gram(const double *b, size_t n, int F, double *g)
{
    int nn = (int)n;
    double one = 1, zero = 0;
    memset(g, 0, (size_t)F * (size_t)F * sizeof *g);
    if (nn > 0)
        dsyrk_("U", "N", &F, &nn, &one, b, &F, &zero, g, &F, 1, 1);
}

/* Scratch for one solve: A (F × F), the scaled history vectors Z (F × cap). */
struct solver {
    int     F;
    double  lambda, alpha;
    double *a, *z;
    size_t  cap;
};

static int solver_init(struct solver *s, int F, double lambda, double alpha, size_t maxlen)
{
    s->F = F;
    s->lambda = lambda;
    s->alpha = alpha;
    s->cap = maxlen ? maxlen : 1;
    s->a = malloc((size_t)F * (size_t)F * sizeof *s->a);
    s->z = malloc((size_t)F * s->cap * sizeof *s->z);
    return s->a && s->z ? PT_OK : PT_ENOMEM;
}

static void solver_free(struct solver *s)
{
    free(s->a);
    free(s->z);
}

/* x = (G + λI + Σ (c−1) b bᵀ)⁻¹ Σ c b over the n entries (idx[k], count[k]) against B.
 * An empty history gives x = 0. PT_ECORRUPT when the system is not positive definite. */
static int solve(struct solver *s, const double *g, const double *B, const int32_t *idx, const float *count, size_t n,
                 double *x)
{
    int F = s->F, info = 0, one_rhs = 1;
    size_t FF = (size_t)F;
    memset(x, 0, FF * sizeof *x);
    if (n == 0)
        return PT_OK;
    memcpy(s->a, g, FF * FF * sizeof *s->a);
    for (size_t f = 0; f < FF; f++)
        s->a[f * FF + f] += s->lambda;
    for (size_t k = 0; k < n; k++) {
        double c = 1.0 + s->alpha * (count ? count[k] : 1.0), sc = sqrt(c - 1.0);
        const double *b = B + (size_t)idx[k] * FF;
        for (size_t f = 0; f < FF; f++) {
            s->z[k * FF + f] = sc * b[f];
            x[f] += c * b[f];
        }
    }
    int kk = (int)n;
    double one = 1;
    dsyrk_("U", "N", &F, &kk, &one, s->z, &F, &one, s->a, &F, 1, 1);
    dposv_("U", &F, &one_rhs, s->a, &F, x, &F, &info, 1);
    return info == 0 ? PT_OK : PT_ECORRUPT;
}

/* One thread's share of a half-sweep: rows lo .. hi−1, with its own scratch. */
struct job {
    struct solver   s;
    const double   *B, *g;
    const size_t   *first;
    const int32_t  *idx;
    const float    *count;
    size_t          lo, hi;
    double         *X;
    int             rc;
};

static void *run_job(void *arg)
{
    struct job *j = arg;
    for (size_t r = j->lo; r < j->hi && j->rc == PT_OK; r++)
        j->rc = solve(&j->s, j->g, j->B, j->idx + j->first[r], j->count + j->first[r], j->first[r + 1] - j->first[r],
                      j->X + r * (size_t)j->s.F);
    return NULL;
}

/* One half-sweep: every row r of the CSR (first, idx, count) solved against B into X, the rows
 * split into contiguous blocks over the jobs. Rows are independent given B, so the result does
 * not depend on the number of threads. */
static int sweep(struct job *jobs, int njobs, const double *B, size_t nb, const size_t *first, const int32_t *idx,
                 const float *count, size_t nrows, double *X, double *g)
{
    gram(B, nb, jobs[0].s.F, g);
    pthread_t tid[PT_RECO_THREADS_MAX];
    int started[PT_RECO_THREADS_MAX] = {0};
    for (int t = 0; t < njobs; t++) {
        struct job *j = &jobs[t];
        j->B = B;
        j->g = g;
        j->first = first;
        j->idx = idx;
        j->count = count;
        j->X = X;
        j->lo = nrows * (size_t)t / (size_t)njobs;
        j->hi = nrows * (size_t)(t + 1) / (size_t)njobs;
        j->rc = PT_OK;
        if (t > 0)
            started[t] = pthread_create(&tid[t], NULL, run_job, j) == 0;
    }
    run_job(&jobs[0]);
    int rc = jobs[0].rc;
    for (int t = 1; t < njobs; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            run_job(&jobs[t]); /* no thread: do its rows here */
        if (rc == PT_OK)
            rc = jobs[t].rc;
    }
    return rc;
}

/* The item-major copy of m (CSR over items of member indexes and counts). */
static int transpose(const pt_reco_matrix *m, size_t **first, int32_t **user, float **count)
{
    *first = calloc(m->nitems + 1, sizeof **first);
    *user = malloc((m->nnz + 1) * sizeof **user);
    *count = malloc((m->nnz + 1) * sizeof **count);
    size_t *fill = calloc(m->nitems + 1, sizeof *fill);
    if (!*first || !*user || !*count || !fill) {
        free(fill);
        return PT_ENOMEM;
    }
    for (size_t e = 0; e < m->nnz; e++)
        (*first)[m->item[e] + 1]++;
    for (size_t i = 0; i < m->nitems; i++)
        (*first)[i + 1] += (*first)[i];
    for (size_t u = 0; u < m->nusers; u++)
        for (size_t e = m->first[u]; e < m->first[u + 1]; e++) {
            size_t at = (*first)[m->item[e]] + fill[m->item[e]]++;
            (*user)[at] = (int32_t)u;
            (*count)[at] = m->count[e];
        }
    free(fill);
    return PT_OK;
}

static size_t longest(const size_t *first, size_t n)
{
    size_t best = 0;
    for (size_t r = 0; r < n; r++)
        if (first[r + 1] - first[r] > best)
            best = first[r + 1] - first[r];
    return best;
}

static int thread_count(uint32_t asked)
{
    long n = asked > 0 ? (long)asked : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > PT_RECO_THREADS_MAX ? PT_RECO_THREADS_MAX : (int)n;
}

int reco__als_train(pt_reco_model *md, const pt_reco_matrix *m, const pt_reco_opts *o)
{
    size_t F = o->factors, *ifirst = NULL;
    int32_t *iuser = NULL;
    float *icount = NULL;
    int njobs = thread_count(o->threads);
    openblas_set_num_threads(1);
    struct job jobs[PT_RECO_THREADS_MAX];
    memset(jobs, 0, sizeof jobs);
    double *X = malloc((m->nusers + 1) * F * sizeof *X);
    md->factors = o->factors;
    md->item_factors = malloc(((size_t)md->nitems + 1) * F * sizeof *md->item_factors);
    md->gram = malloc(F * F * sizeof *md->gram);
    int rc = X && md->item_factors && md->gram ? PT_OK : PT_ENOMEM;
    if (rc == PT_OK)
        rc = transpose(m, &ifirst, &iuser, &icount);
    size_t maxlen = rc ? 0 : longest(m->first, m->nusers);
    size_t imax = rc ? 0 : longest(ifirst, m->nitems);
    for (int t = 0; rc == PT_OK && t < njobs; t++)
        rc = solver_init(&jobs[t].s, (int)F, o->lambda, o->alpha, maxlen > imax ? maxlen : imax);
    if (rc == PT_OK)
        init_factors(md->item_factors, (size_t)md->nitems * F, o->seed);
    for (uint32_t it = 0; rc == PT_OK && it < o->iterations; it++) {
        rc = sweep(jobs, njobs, md->item_factors, md->nitems, m->first, m->item, m->count, m->nusers, X, md->gram);
        if (rc == PT_OK)
            rc = sweep(jobs, njobs, X, m->nusers, ifirst, iuser, icount, m->nitems, md->item_factors, md->gram);
    }
    if (rc == PT_OK)
        gram(md->item_factors, md->nitems, (int)F, md->gram);
    for (int t = 0; t < njobs; t++)
        solver_free(&jobs[t].s);
    free(X);
    free(ifirst);
    free(iuser);
    free(icount);
    return rc;
}

int reco__als_gram(pt_reco_model *md)
{
    size_t F = md->factors;
    free(md->gram);
    md->gram = malloc((F * F + 1) * sizeof *md->gram);
    if (!md->gram)
        return PT_ENOMEM;
    gram(md->item_factors, md->nitems, (int)F, md->gram);
    return PT_OK;
}

int reco__als_fold_in(const pt_reco_model *md, const pt_reco_history *h, double *x)
{
    struct solver s;
    int rc = solver_init(&s, (int)md->factors, md->lambda, md->alpha, h->n);
    if (rc == PT_OK)
        rc = solve(&s, md->gram, md->item_factors, h->item, h->count, h->n, x);
    solver_free(&s);
    return rc;
}

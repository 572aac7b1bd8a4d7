/* clv_bgnbd.c — the BG/NBD purchase model (Fader, Hardie & Lee 2005, "Counting your customers
 * the easy way: an alternative to the Pareto/NBD model", Marketing Science 24(2):275–284),
 * per customer, and the positive-term Gauss hypergeometric function the CLV models share.
 *
 * While alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each
 * purchase it drops out with probability p ~ Beta(a, b). param = {r, α, a, b}. Every quantity
 * is computed in log space (lgamma, log-beta) and only exponentiated at the end; the two
 * terms of the likelihood are added with log-sum-exp (FHL 2005 eq. 6, in the numerically
 * stable form of Hardie's note 027). Equation numbers are the paper's; docs/clv.md has them.
 */
#include "patron/clv.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_hyperg.h>
#include <math.h>

static double lbeta(double a, double b)
{
    return lgamma(a) + lgamma(b) - lgamma(a + b);
}

static double logaddexp(double u, double v)
{
    double m = u > v ? u : v;
    return m + log(exp(u - m) + exp(v - m));
}

/* Σ_k (a)_k (b)_k / ((c)_k k!) z^k with every term positive, as a log, rescaling the running
 * sum so that huge values (large a, b, z near 1) do not overflow. */
static double log_series_2f1(double a, double b, double c, double z)
{
    double term = 1, sum = 1, scale = 0;
    for (int k = 0; k < 1000000; k++) {
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
        sum += term;
        if (term < sum * 1e-17 && (a + k) * (b + k) / ((c + k) * (k + 1)) * z < 1)
            break;
        if (sum > 1e250) {
            sum *= 1e-250;
            term *= 1e-250;
            scale += 250 * M_LN10;
        }
    }
    return log(sum) + scale;
}

double pt_clv_log_hyp2f1(double a, double b, double c, double z)
{
    if (!(a > 0 && b > 0 && c > 0 && z >= 0 && z < 1))
        return NAN;
    if (z == 0)
        return 0;
    gsl_sf_result res;
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int rc = gsl_sf_hyperg_2F1_e(a, b, c, z, &res);
    gsl_set_error_handler(old);
    if (rc == GSL_SUCCESS && isfinite(res.val) && res.val > 0 && res.err <= 1e-10 * res.val)
        return log(res.val);
    return log_series_2f1(a, b, c, z);
}

/* c · [1 − e^ls · 2F1(A, B; c; z)], the bracket of FHL eqs. 7 and 10 times its c = a+b+x−1, for
 * c ≤ 0 (a + b < 1 and few purchases: a fit at the no-dropout boundary gets there), where the
 * closed form's 2F1 has a non-positive c. (c)_k = c·(c+1)_{k−1} takes the c into the series,
 * whose denominators are then positive since c + 1 = a + b + x > 0:
 *   c·2F1 = c + Σ_{k≥1} (A)_k (B)_k z^k / ((c+1)_{k−1} k!).
 * For c < 0 both parts are negative: no cancellation. NaN if the sum overflows. */
static double bracket_times_c(double A, double B, double c, double z, double ls)
{
    double term = A * B * z, sum = 0;
    for (int k = 1; k < 1000000 && term > 0; k++) {
        sum += term;
        double ratio = (A + k) * (B + k) / ((c + k) * (k + 1)) * z;
        if (term < sum * 1e-17 && ratio < 1)
            break;
        term *= ratio;
    }
    double v = c * -expm1(ls) - exp(ls) * sum;
    return isfinite(v) ? v : NAN;
}

/* FHL 2005 eq. 6:
 *   L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
 *     + [x > 0] B(a+1, b+x−1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x)). */
double pt_clv_bgnbd_ll(const double *param, double x, double t_x, double T)
{
    double r = param[0], alpha = param[1], a = param[2], b = param[3];
    double a1 = lgamma(r + x) - lgamma(r) + r * log(alpha);
    double a2 = lbeta(a, b + x) - lbeta(a, b) - (r + x) * log(alpha + T);
    if (x <= 0)
        return a1 + a2;
    double a3 = lbeta(a + 1, b + x - 1) - lbeta(a, b) - (r + x) * log(alpha + t_x);
    return a1 + logaddexp(a2, a3);
}

/* FHL 2005 eq. 13 (Hardie's note 021): P(alive | x, t_x, T) =
 *   1 / (1 + [x > 0] · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)). */
double pt_clv_bgnbd_p_alive(const double *param, double x, double t_x, double T)
{
    double r = param[0], alpha = param[1], a = param[2], b = param[3];
    if (x <= 0)
        return 1;
    double lg = log(a / (b + x - 1)) + (r + x) * log((alpha + T) / (alpha + t_x));
    return 1 / (1 + exp(lg));
}

/* FHL 2005 eq. 7: E[X(t)] = (a+b−1)/(a−1) · [1 − (α/(α+t))^r · 2F1(r, b; a+b−1; t/(α+t))]
 * (a > 1 for the formula as written; for a ≤ 1 it still holds by analytic continuation of the
 * ratio, and 2F1 is finite because z < 1; for a + b ≤ 1, see bracket_times_c). */
double pt_clv_bgnbd_expected(const double *param, double t)
{
    double r = param[0], alpha = param[1], a = param[2], b = param[3];
    if (t <= 0)
        return 0;
    double ls = r * log(alpha / (alpha + t)), z = t / (alpha + t);
    if (a + b - 1 <= 0)
        return bracket_times_c(r, b, a + b - 1, z, ls) / (a - 1);
    double lf = ls + pt_clv_log_hyp2f1(r, b, a + b - 1, z);
    return (a + b - 1) / (a - 1) * -expm1(lf);
}

/* FHL 2005 eq. 10: E[Y(t) | x, t_x, T] =
 *   (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x−1; t/(α+T+t))]
 *   / (1 + [x > 0] · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)). */
double pt_clv_bgnbd_conditional(const double *param, double t, double x, double t_x, double T)
{
    double r = param[0], alpha = param[1], a = param[2], b = param[3];
    if (t <= 0)
        return 0;
    double ls = (r + x) * log((alpha + T) / (alpha + T + t)), z = t / (alpha + T + t), c = a + b + x - 1;
    if (c <= 0)
        return bracket_times_c(r + x, b + x, c, z, ls) / (a - 1) * pt_clv_bgnbd_p_alive(param, x, t_x, T);
    double lf = ls + pt_clv_log_hyp2f1(r + x, b + x, c, z);
    return c / (a - 1) * -expm1(lf) * pt_clv_bgnbd_p_alive(param, x, t_x, T);
}

/* FHL 2005 eq. 8: P(X(t) = n) =
 *   B(a, b+n)/B(a, b) · Γ(r+n)/(Γ(r) n!) · (α/(α+t))^r (t/(α+t))^n
 *   + [n > 0] B(a+1, b+n−1)/B(a, b) · [1 − (α/(α+t))^r Σ_{j<n} Γ(r+j)/(Γ(r) j!) (t/(α+t))^j]. */
double pt_clv_bgnbd_pmf(const double *param, double t, int n)
{
    double r = param[0], alpha = param[1], a = param[2], b = param[3];
    double lp = log(alpha / (alpha + t)), lq = log(t / (alpha + t));
    double l1 = lbeta(a, b + n) - lbeta(a, b) + lgamma(r + n) - lgamma(r) - lgamma(n + 1.0) + r * lp + n * lq;
    double p = exp(l1);
    if (n <= 0)
        return p;
    double cdf = 0;
    for (int j = 0; j < n; j++)
        cdf += exp(lgamma(r + j) - lgamma(r) - lgamma(j + 1.0) + r * lp + j * lq);
    return p + exp(lbeta(a + 1, b + n - 1) - lbeta(a, b)) * (1 - cdf);
}

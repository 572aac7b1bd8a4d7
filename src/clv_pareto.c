/* clv_pareto.c — the Pareto/NBD purchase model (Schmittlein, Morrison & Colombo 1987,
 * "Counting your customers: who are they and what will they do next?", Management Science
 * 33(1):1–24), per customer, in the forms of Fader & Hardie's notes ("A note on deriving the
 * Pareto/NBD model and related expressions", 2005; "Deriving the conditional PMF of the
 * Pareto/NBD model", 2014).
 *
 * While alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α); its lifetime is
 * exponential with rate μ ~ Gamma(s, β). param = {r, α, s, β}. The likelihood has the integral
 * A0 over the unobserved death time, a difference of two Gauss hypergeometric terms
 * 2F1(r+s+x, ·; r+s+x+1; z) whose argument z = |α−β|/(max(α,β) + t) lies in [0, 1): the
 * variant (α ≥ β or α < β) is chosen so that it does, which is the transformation that keeps
 * the series convergent with positive terms. Both terms are kept as logs, and the difference
 * is taken as log(e^u − e^v) = u + log(−expm1(v − u)), so nothing under- or overflows for
 * large x (e.g. x = 132, T = 200).
 */
#include "patron/clv.h"

#include <math.h>

/* log A0 (Fader & Hardie 2005 note, eq. 19–20): with k = r+s+x,
 *   α ≥ β: A0 = 2F1(k, s+1; k+1; (α−β)/(α+t_x)) / (α+t_x)^k − 2F1(k, s+1; k+1; (α−β)/(α+T)) / (α+T)^k
 *   α < β: A0 = 2F1(k, r+x; k+1; (β−α)/(β+t_x)) / (β+t_x)^k − 2F1(k, r+x; k+1; (β−α)/(β+T)) / (β+T)^k */
static double log_a0(const double *param, double x, double t_x, double T)
{
    double r = param[0], alpha = param[1], s = param[2], beta = param[3];
    double k = r + s + x;
    double big = alpha >= beta ? alpha : beta;
    double b2 = alpha >= beta ? s + 1 : r + x;
    double d = fabs(alpha - beta);
    double u = pt_clv_log_hyp2f1(k, b2, k + 1, d / (big + t_x)) - k * log(big + t_x);
    double v = pt_clv_log_hyp2f1(k, b2, k + 1, d / (big + T)) - k * log(big + T);
    if (!(v < u))
        return -INFINITY; /* t_x = T: the customer cannot have died in between */
    return u + log(-expm1(v - u));
}

/* log of the first term, Γ(r+x) α^r β^s / (Γ(r) (α+T)^(r+x) (β+T)^s) — the part of the
 * likelihood where the customer is still alive at T. */
static double log_alive_term(const double *param, double x, double T)
{
    double r = param[0], alpha = param[1], s = param[2], beta = param[3];
    return lgamma(r + x) - lgamma(r) + r * log(alpha) + s * log(beta) - (r + x) * log(alpha + T) -
           s * log(beta + T);
}

/* L = Γ(r+x) α^r β^s / Γ(r) · [1/((α+T)^(r+x) (β+T)^s) + s/(r+s+x) · A0]. */
double pt_clv_pareto_ll(const double *param, double x, double t_x, double T)
{
    double r = param[0], alpha = param[1], s = param[2], beta = param[3];
    double l1 = log_alive_term(param, x, T);
    double l2 = lgamma(r + x) - lgamma(r) + r * log(alpha) + s * log(beta) + log(s / (r + s + x)) +
                log_a0(param, x, t_x, T);
    if (l2 == -INFINITY)
        return l1;
    double m = l1 > l2 ? l1 : l2;
    return m + log(exp(l1 - m) + exp(l2 - m));
}

/* P(alive | x, t_x, T) = [Γ(r+x) α^r β^s / (Γ(r) (α+T)^(r+x) (β+T)^s)] / L. */
double pt_clv_pareto_p_alive(const double *param, double x, double t_x, double T)
{
    double p = exp(log_alive_term(param, x, T) - pt_clv_pareto_ll(param, x, t_x, T));
    return p > 1 ? 1 : p;
}

/* E[X(t)] = r β / (α (s−1)) · [1 − (β/(β+t))^(s−1)]  (SMC 1987 eq. 17). */
double pt_clv_pareto_expected(const double *param, double t)
{
    double r = param[0], alpha = param[1], s = param[2], beta = param[3];
    if (t <= 0)
        return 0;
    return r * beta / (alpha * (s - 1)) * -expm1((s - 1) * log(beta / (beta + t)));
}

/* E[Y(t) | x, t_x, T] = P(alive) · (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)]
 * (SMC 1987 eq. 22; Fader & Hardie note eq. 27). */
double pt_clv_pareto_conditional(const double *param, double t, double x, double t_x, double T)
{
    double r = param[0], alpha = param[1], s = param[2], beta = param[3];
    if (t <= 0)
        return 0;
    double g = (r + x) * (beta + T) / ((alpha + T) * (s - 1)) * -expm1((s - 1) * log((beta + T) / (beta + T + t)));
    return pt_clv_pareto_p_alive(param, x, t_x, T) * g;
}

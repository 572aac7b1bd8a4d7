/* clv_gg.c — the Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: using
 * iso-value curves for customer base analysis", Journal of Marketing Research 42(4):415–430;
 * Fader & Hardie 2013, "The Gamma-Gamma model of monetary value", note 025).
 *
 * Each transaction's value is Gamma(p, ν) with ν ~ Gamma(q, γ) across customers, independent
 * of the purchase process. A customer's sufficient statistics are x (repeat transactions) and
 * m (their mean value); param = {p, q, γ}, γ in the summary's money unit.
 */
#include "patron/clv.h"

#include <math.h>

/* Note 025 eq. 3, the density of the mean m̄ of x transactions:
 *   f(m̄ | p, q, γ, x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q m̄^(px−1) x^(px) / (γ + m̄ x)^(px+q). */
double pt_clv_gg_ll(const double *param, double x, double m)
{
    double p = param[0], q = param[1], g = param[2];
    double px = p * x;
    return lgamma(px + q) - lgamma(px) - lgamma(q) + q * log(g) + (px - 1) * log(m) + px * log(x) -
           (px + q) * log(g + m * x);
}

/* Note 025 eq. 5: E[Z | p, q, γ, m̄, x] = p (γ + m̄ x) / (p x + q − 1)
 *   = (q−1)/(px+q−1) · pγ/(q−1) + px/(px+q−1) · m̄, a weighted mean of the population mean
 * pγ/(q−1) and the customer's own mean (x = 0 gives the population mean). */
double pt_clv_gg_conditional(const double *param, double x, double m)
{
    double p = param[0], q = param[1], g = param[2];
    if (q <= 1)
        return NAN;
    if (x <= 0)
        return p * g / (q - 1);
    return p * (g + m * x) / (p * x + q - 1);
}

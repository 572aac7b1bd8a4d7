/* score_palive.c — BG/NBD P(alive) and 1 − P(alive) as score sources (score_palive.h).
 * The fit runs once; scores are looked up per snapshot index, so evaluation is O(1) per member.
 */
#include "patron/score_palive.h"
#include "patron/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int pt_palive_init(pt_palive_scorer *sc, const pt_snapshot *snap, int64_t as_of)
{
    memset(sc, 0, sizeof *sc);
    int rc = pt_clv_summary_from_snapshot(&sc->sum, snap, as_of, 7.0, 0);
    if (rc)
        return rc;
    pt_clv_fit_opts fo;
    pt_clv_fit_opts_init(&fo, PT_CLV_BGNBD);
    fo.threads = 1;
    rc = pt_clv_fit_model(&sc->fit, &sc->sum, &fo);
    if (rc == PT_OK) {
        sc->n = snap->nmembers;
        sc->p_alive = malloc((sc->n ? sc->n : 1) * sizeof *sc->p_alive);
        if (!sc->p_alive)
            rc = PT_ENOMEM;
    }
    size_t r = 0;
    for (size_t i = 0; rc == PT_OK && i < sc->n; i++) {
        sc->p_alive[i] = NAN;
        while (r < sc->sum.n && sc->sum.member_id[r] < snap->member_id[i])
            r++;
        if (r < sc->sum.n && sc->sum.member_id[r] == snap->member_id[i])
            sc->p_alive[i] = pt_clv_p_alive(PT_CLV_BGNBD, sc->fit.param, sc->sum.x[r], sc->sum.t_x[r], sc->sum.T[r]);
    }
    if (rc)
        pt_palive_free(sc);
    return rc;
}

void pt_palive_free(pt_palive_scorer *sc)
{
    pt_clv_summary_free(&sc->sum);
    free(sc->p_alive);
    sc->p_alive = NULL;
}

static int score_palive(void *ud, const pt_snapshot *snap, size_t i, double *v)
{
    const pt_palive_scorer *sc = ud;
    (void)snap;
    if (i >= sc->n || isnan(sc->p_alive[i]))
        return 0;
    *v = sc->p_alive[i];
    return 1;
}

static int score_churn(void *ud, const pt_snapshot *snap, size_t i, double *v)
{
    int has = score_palive(ud, snap, i, v);
    if (has)
        *v = 1.0 - *v;
    return has;
}

pt_score_source pt_palive_source(pt_palive_scorer *sc)
{
    return (pt_score_source){.name = "p_alive", .score = score_palive, .ud = sc};
}

pt_score_source pt_palive_churn_source(pt_palive_scorer *sc)
{
    return (pt_score_source){.name = "churn_risk", .score = score_churn, .ud = sc};
}

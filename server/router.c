/* router.c — the route table: method, path pattern, roles allowed, write or read, handler.
 *
 * This table is the API. docs/openapi.json describes exactly these routes (tests/
 * test_server_openapi.c walks both ways), and tests/test_server.c checks every route against
 * every role. Patterns are matched segment by segment; {name} matches one non-empty segment
 * (at most SRV_PARAM_LEN − 1 bytes, captured in order into r->params). The query string is not
 * part of the path (libmicrohttpd strips it).
 *
 * Roles: admin everything; operator members, points, orders, rewards; analyst analytics and the
 * pseudonymised member view; auditor the audit log. /healthz, /metrics and /openapi.json are
 * public (metrics carry no personal data and no key names).
 */
#include "server_int.h"

#include <string.h>

#define ALL   (R_ADMIN | R_OPERATOR | R_ANALYST | R_AUDITOR)
#define OPS   (R_ADMIN | R_OPERATOR)
#define READM (R_ADMIN | R_OPERATOR | R_ANALYST)
#define ANA   (R_ADMIN | R_ANALYST)
#define AUD   (R_ADMIN | R_AUDITOR)

const struct srv_route srv_routes[] = {
    {"GET", "/healthz", R_PUBLIC, 0, route_healthz},
    {"GET", "/metrics", R_PUBLIC, 0, route_metrics},
    {"GET", "/openapi.json", R_PUBLIC, 0, route_openapi},
    {"POST", "/v1/members", OPS, 1, route_member_create},
    {"GET", "/v1/members", READM, 0, route_member_search},
    {"GET", "/v1/members/{member}", READM, 0, route_member_get},
    {"PATCH", "/v1/members/{member}", OPS, 1, route_member_update},
    {"DELETE", "/v1/members/{member}", R_ADMIN, 1, route_member_erase},
    {"GET", "/v1/members/{member}/points", OPS, 0, route_points_balance},
    {"GET", "/v1/members/{member}/points/history", OPS, 0, route_points_history},
    {"POST", "/v1/members/{member}/points/earn", OPS, 1, route_points_earn},
    {"POST", "/v1/members/{member}/points/redeem", OPS, 1, route_points_redeem},
    {"POST", "/v1/members/{member}/points/adjust", OPS, 1, route_points_adjust},
    {"GET", "/v1/members/{member}/tier", OPS, 0, route_tier_get},
    {"GET", "/v1/members/{member}/points/lots", OPS, 0, route_points_lots},
    {"GET", "/v1/members/{member}/tier/history", OPS, 0, route_tier_history},
    {"POST", "/v1/members/{member}/rewards/{reward}/redeem", OPS, 1, route_reward_redeem},
    {"GET", "/v1/members/{member}/audit", AUD, 0, route_audit_list},
    {"POST", "/v1/orders/{order}/earn", OPS, 1, route_order_earn},
    {"POST", "/v1/orders/{order}/refund", OPS, 1, route_order_refund},
    {"GET", "/v1/rewards", OPS, 0, route_rewards_list},
    {"GET", "/v1/analytics/rfm/{member}", ANA, 0, route_an_rfm_member},
    {"GET", "/v1/analytics/segments", ANA, 0, route_an_segments},
    {"GET", "/v1/analytics/lifecycle", ANA, 0, route_an_lifecycle},
    {"GET", "/v1/analytics/kpi", ANA, 0, route_an_kpi},
    {"GET", "/v1/members/{member}/export", R_ADMIN, 0, route_member_export},
    {"GET", "/v1/members/{member}/coupons", OPS, 0, route_coupons_list},
    {"POST", "/v1/members/{member}/coupons", OPS, 1, route_coupon_issue},
    {"POST", "/v1/coupons/{code}/use", OPS, 1, route_coupon_use},
    {"POST", "/v1/members/{member}/activities/{kind}", OPS, 1, route_activity},
    {"POST", "/v1/orders", OPS, 1, route_order_create},
    {"POST", "/v1/members/{member}/merge", OPS, 1, route_member_merge},
    {"POST", "/v1/events", OPS, 1, route_events_ingest},
    {"POST", "/v1/surveys", OPS, 1, route_surveys_ingest},
    {"POST", "/v1/members/{member}/tier/evaluate", OPS, 1, route_tier_evaluate},
    {"GET", "/v1/members/{member}/identities", READM, 0, route_identities_list},
    {"POST", "/v1/members/{member}/identities", OPS, 1, route_identity_attach},
    {"GET", "/v1/members/{member}/referral-code", OPS, 0, route_referral_code},
    {"POST", "/v1/referrals", OPS, 1, route_referral_register},
    {"GET", "/v1/analytics/clv/{member}", ANA, 0, route_an_clv_member},
    {"GET", "/v1/analytics/churn/{member}", ANA, 0, route_an_churn_member},
    {"GET", "/v1/members/{member}/recommendations", READM, 0, route_member_recommendations},
    {"GET", "/v1/dashboard/segments/members", ANA, 0, route_dashboard_segment_members},
    {"GET", "/v1/dashboard/{panel}", ANA, 0, route_dashboard},
    {"GET", "/", R_PUBLIC, 0, route_web},    /* the dashboard's files (last: /{file} matches any */
    {"GET", "/{file}", R_PUBLIC, 0, route_web}, /* one segment not routed above) */
};
const int srv_nroutes = (int)(sizeof srv_routes / sizeof *srv_routes);

/* Matches path against pattern; captures parameters into r (may be NULL). */
static int match(const char *pattern, const char *path, struct srv_req *r)
{
    const char *p = pattern, *u = path;
    int np = 0;
    while (*p && *u) {
        if (*p != '/' || *u != '/')
            return 0;
        p++;
        u++;
        const char *pe = strchr(p, '/'), *ue = strchr(u, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p), ul = ue ? (size_t)(ue - u) : strlen(u);
        if (pl > 1 && p[0] == '{' && p[pl - 1] == '}') {
            if (ul == 0 || ul >= SRV_PARAM_LEN || np == SRV_PARAMS_MAX)
                return 0;
            if (r) {
                memcpy(r->params[np], u, ul);
                r->params[np][ul] = 0;
            }
            np++;
        } else if (pl != ul || memcmp(p, u, pl) != 0) {
            return 0;
        }
        p += pl;
        u += ul;
    }
    if (*p || *u)
        return 0;
    if (r)
        r->nparams = np;
    return 1;
}

int srv_route_match(const char *method, const char *path, struct srv_req *r, int *path_known)
{
    *path_known = 0;
    for (int i = 0; i < srv_nroutes; i++) {
        if (!match(srv_routes[i].pattern, path, NULL))
            continue;
        if (strcmp(srv_routes[i].method, method) == 0) {
            match(srv_routes[i].pattern, path, r);
            return i;
        }
        *path_known = 1;
    }
    return -1;
}

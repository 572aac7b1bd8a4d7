/* routes_ledger.c — a member's lots and tier history: the two ledger reads a service desk needs
 * to answer "when do my points expire" and "why did my tier change".
 *
 * Reads only, on the pool thread's own handle; the store lists them by id (lots) and in order
 * of change (tier history). No personal data: points, times, tier codes and the reason text the
 * ledger wrote.
 */
#include "server_int.h"
#include "patron/error.h"
#include "patron/ledger.h"
#include "patron/store_ledger.h"

#include <string.h>

static int lot_add(void *ud, const pt_lot_rec *l)
{
    json_array_append_new(ud, json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s}", "lot", (json_int_t)l->id, "points",
                                        (json_int_t)l->points, "remaining", (json_int_t)l->remaining, "earned_at",
                                        (json_int_t)l->earned_at, "available_at", (json_int_t)l->available_at,
                                        "expires_at", (json_int_t)l->expires_at, "order_id", (json_int_t)l->order_id,
                                        "state", pt_lot_state_name(l->state)));
    return 0;
}

/* GET /v1/members/{member}/points/lots[?open=1]: every lot, or only those with points left. */
void route_points_lots(struct srv_req *r, struct srv_thread *t)
{
    int64_t id;
    if (srv_member_param(r, t, &id))
        return;
    const char *open = srv_query(r, "open");
    if (open && strcmp(open, "0") != 0 && strcmp(open, "1") != 0) {
        srv_error(r, 400, "invalid_query", "open", "open must be 0 or 1");
        return;
    }
    json_t *arr = json_array();
    int rc = pt_store_lot_list(pt_db_store(t->db), id, open && open[0] == '1', lot_add, arr);
    if (rc) {
        json_decref(arr);
        srv_error_rc(r, rc, pt_store_errmsg(pt_db_store(t->db)));
        return;
    }
    srv_json(r, 200, json_pack("{s:s,s:o}", "member", r->params[0], "lots", arr));
}

static int change_add(void *ud, const pt_tier_change_rec *c)
{
    json_array_append_new(ud, json_pack("{s:I,s:s,s:s,s:s,s:s}", "at", (json_int_t)c->at, "from", c->from_tier, "to",
                                        c->to_tier, "reason", c->reason, "actor", c->actor));
    return 0;
}

/* GET /v1/members/{member}/tier/history: every tier change, oldest first. */
void route_tier_history(struct srv_req *r, struct srv_thread *t)
{
    int64_t id;
    if (srv_member_param(r, t, &id))
        return;
    json_t *arr = json_array();
    int rc = pt_store_tier_change_list(pt_db_store(t->db), id, change_add, arr);
    if (rc) {
        json_decref(arr);
        srv_error_rc(r, rc, pt_store_errmsg(pt_db_store(t->db)));
        return;
    }
    srv_json(r, 200, json_pack("{s:s,s:o}", "member", r->params[0], "changes", arr));
}

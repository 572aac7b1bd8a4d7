/* ledger_birthday.c — the tier benefit "birthday gift": points given once a year to every
 * active member whose birthday (in the programme's time zone) falls in the month of the run
 * date, as much as the member's tier gives. Idempotent per member and year (the key
 * "birthday:<year>"), so the job can run every day of the month, or twice, and gives once.
 * Birthdays are personal data: each is opened in memory only to read its month, then wiped.
 */
#include "ledger_int.h"
#include "patron/error.h"
#include "patron/member.h"
#include "patron/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ids {
    int64_t *v;
    size_t   n, cap;
};

static int collect_active(void *ud, const pt_member_rec *m)
{
    struct ids *x = ud;
    if (m->status != PT_MEMBER_ACTIVE || m->merged_into || !m->pii.len)
        return PT_OK;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 1024;
        int64_t *v = realloc(x->v, cap * sizeof *v);
        if (!v)
            return PT_ENOMEM;
        x->v = v;
        x->cap = cap;
    }
    x->v[x->n++] = m->id;
    return PT_OK;
}

static int birthday_month_of(pt_ledger *l, int64_t id)
{
    pt_member m;
    pt_member_init(&m);
    int month = 0;
    if (pt_member_load(l->db, id, &m) == PT_OK && strlen(m.birthday) >= 7)
        month = atoi(m.birthday + 5);
    pt_member_wipe(&m);
    return month;
}

static int gift_one(pt_ledger *l, int64_t id, int year, int64_t month_start, pt_ledger_birthday_stats *st)
{
    pt_account_rec acct;
    int rc = pt_store_account_get(l->s, id, 0, &acct);
    int tier = rc == PT_OK ? pt_programme_tier_index(&l->prog, acct.tier) : 0;
    if (rc && rc != PT_ENOTFOUND)
        return rc;
    int64_t points = l->prog.tiers[tier < 0 ? 0 : tier].birthday_gift_points;
    if (points <= 0)
        return PT_OK;
    char key[48];
    snprintf(key, sizeof key, "birthday:%d", year);
    /* dated the first second of the birthday month: every run that month makes the same request */
    pt_ledger_req req = {.idem_key = key, .ref = "birthday", .note = "birthday gift", .at = month_start};
    pt_ledger_result res;
    rc = pt_ledger_earn(l, id, points, &req, &res);
    if (rc == PT_OK && !res.replayed) {
        st->members++;
        st->points += points;
    }
    return rc;
}

int pt_ledger_birthday_gifts(pt_ledger *l, int64_t as_of, pt_ledger_birthday_stats *st)
{
    pt_ledger_birthday_stats local;
    st = st ? st : &local;
    memset(st, 0, sizeof *st);
    pt_civil today;
    int rc = pt_tz_civil(l->prog.timezone, as_of, &today);
    if (rc)
        return pt__ledger_error(l, rc, "the run date is out of range");
    int64_t month_start = 0;
    if ((rc = pt_tz_start_of(l->prog.timezone, PT_TZ_MONTH, as_of, &month_start)))
        return pt__ledger_error(l, rc, "the run date is out of range");
    struct ids x = {0};
    rc = pt_store_member_scan(l->s, collect_active, &x);
    for (size_t i = 0; rc == PT_OK && i < x.n; i++) {
        if (birthday_month_of(l, x.v[i]) != today.month)
            continue;
        st->checked++;
        rc = gift_one(l, x.v[i], today.year, month_start, st);
    }
    free(x.v);
    if (rc && !l->errmsg[0])
        pt__ledger_error(l, rc, "birthday gifts: %s", pt_store_errmsg(l->s));
    return rc;
}

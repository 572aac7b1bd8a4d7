/* rules.c — the earn-rules engine: what an order or an activity earns, rule by rule.
 *
 * A pure function of (programme, context, lines): no store, no clock, no floating point. The
 * order of evaluation is the one rules.h documents; pt_rules_order computes it once per call
 * (stage, kind, priority, code), so the result never depends on the order of rules in the file.
 *
 * Bookkeeping: share[line][rule] holds the points each rule gave each line (order lines first,
 * line 0 last). Every stage only adds to or trims these cells, and the result is read from
 * them at the end, so by construction
 *     line points = Σ its shares,  rule_points[r] = Σ r's shares,  total = Σ line points,
 * and no share is ever negative (multipliers are ≥ ×1.0 and caps trim towards 0).
 *
 * Exactness: a line's multiplied points are floor(base × m1 × … × mk / 10000^k), computed on
 * a small unsigned big integer (products of up to 64 multipliers of at most ×100 fit in 48
 * 32-bit limbs), divided by 10000 k times — floor(floor(x / a) / b) = floor(x / ab) for whole
 * numbers — and clamped at PT_EARN_POINTS_MAX. Rule j is credited the difference between the
 * floors after j and after j − 1 multipliers, so the credits add up to the line exactly.
 *
 * Memory: the share table (≤ 257 × 64 cells) is allocated per call and freed before return.
 */
#include "patron/rules.h"
#include "patron/error.h"
#include "patron/tz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RULES_BP_MAX  1000000 /* ×100 */
#define RULES_PPU_MAX 1000000
#define BIG_LIMBS     48

/* --- exact products ----------------------------------------------------------------------- */

struct big {
    uint32_t d[BIG_LIMBS]; /* little-endian limbs */
    int      n;            /* limbs in use, ≥ 1 */
    int      overflow;     /* the product outgrew BIG_LIMBS: treat as "too large" */
};

static void big_set(struct big *b, uint64_t v)
{
    memset(b, 0, sizeof *b);
    b->d[0] = (uint32_t)v;
    b->d[1] = (uint32_t)(v >> 32);
    b->n = 2;
}

static void big_mul(struct big *b, uint32_t m)
{
    uint64_t carry = 0;
    for (int i = 0; i < b->n; i++) {
        uint64_t x = (uint64_t)b->d[i] * m + carry;
        b->d[i] = (uint32_t)x;
        carry = x >> 32;
    }
    if (carry && b->n == BIG_LIMBS)
        b->overflow = 1;
    else if (carry)
        b->d[b->n++] = (uint32_t)carry;
}

static void big_div(struct big *b, uint32_t q)
{
    uint64_t rem = 0;
    for (int i = b->n - 1; i >= 0; i--) {
        uint64_t x = (rem << 32) | b->d[i];
        b->d[i] = (uint32_t)(x / q);
        rem = x % q;
    }
    while (b->n > 1 && b->d[b->n - 1] == 0)
        b->n--;
}

/* floor(b / 10000^k), clamped at PT_EARN_POINTS_MAX (then *clamped = 1). */
static int64_t big_floor(const struct big *b, int k, int *clamped)
{
    struct big t = *b;
    for (int i = 0; i < k; i++)
        big_div(&t, 10000);
    uint64_t v = t.d[0] | (t.n > 1 ? (uint64_t)t.d[1] << 32 : 0);
    if (t.overflow || t.n > 2 || v > (uint64_t)PT_EARN_POINTS_MAX) {
        *clamped = 1;
        return PT_EARN_POINTS_MAX;
    }
    return (int64_t)v;
}

/* floor(amount / unit) × per, clamped at PT_EARN_POINTS_MAX; 0 when any input is ≤ 0. */
static int64_t units_times(int64_t amount, int64_t unit, int64_t per)
{
    if (amount <= 0 || unit <= 0 || per <= 0)
        return 0;
    int64_t units = amount / unit;
    if (units > PT_EARN_POINTS_MAX / per)
        return PT_EARN_POINTS_MAX;
    return units * per;
}

/* --- evaluation order --------------------------------------------------------------------- */

/* Stage and rank within the stage of each kind (index: enum pt_rule_kind). BIRTHDAY is placed
 * by slot_add: stage 2 for its multiplier, stage 3 for its points. */
static const signed char kind_stage[] = {0, 1, 2, 2, 2, 2, 2, 2, 3, 4, 4, 4};
static const signed char kind_rank[] = {0, 0, 1, 0, 5, 2, 3, 4, 0, 0, 1, 2};
#define KIND_LAST PT_RULE_SHARE

static int slot_rank(const pt_programme *p, pt_rule_slot s)
{
    int kind = p->rules[s.rule].kind;
    return kind == PT_RULE_BIRTHDAY && s.stage == 3 ? 1 : kind_rank[kind];
}

/* a goes before b: stage, rank of kind, priority, code, then file position. */
static int slot_before(const pt_programme *p, pt_rule_slot a, pt_rule_slot b)
{
    const pt_rule_def *ra = &p->rules[a.rule], *rb = &p->rules[b.rule];
    if (a.stage != b.stage)
        return a.stage < b.stage;
    int ka = slot_rank(p, a), kb = slot_rank(p, b);
    if (ka != kb)
        return ka < kb;
    if (ra->priority != rb->priority)
        return ra->priority < rb->priority;
    int c = strncmp(ra->code, rb->code, sizeof ra->code);
    return c != 0 ? c < 0 : a.rule < b.rule;
}

int pt_rules_order(const pt_programme *p, pt_rule_slot order[2 * PT_PROG_RULES_MAX])
{
    int n = 0;
    for (int i = 0; i < p->nrules && i < PT_PROG_RULES_MAX; i++) {
        const pt_rule_def *r = &p->rules[i];
        if (r->kind < 1 || r->kind > KIND_LAST)
            continue;
        int mult = r->multiplier_bp > PT_BP_ONE, bonus = r->points > 0;
        if (r->kind != PT_RULE_BIRTHDAY)
            order[n++] = (pt_rule_slot){kind_stage[r->kind], i};
        if (r->kind == PT_RULE_BIRTHDAY && (mult || !bonus))
            order[n++] = (pt_rule_slot){2, i};
        if (r->kind == PT_RULE_BIRTHDAY && bonus)
            order[n++] = (pt_rule_slot){3, i};
    }
    for (int i = 1; i < n; i++) { /* insertion sort: n ≤ 128, stable */
        pt_rule_slot s = order[i];
        int j = i;
        for (; j > 0 && slot_before(p, s, order[j - 1]); j--)
            order[j] = order[j - 1];
        order[j] = s;
    }
    return n;
}

/* --- one evaluation ----------------------------------------------------------------------- */

struct eval {
    const pt_programme *p;
    const pt_earn_ctx  *ctx;
    pt_earn_result     *out;
    pt_civil            local;                        /* ctx->at in the programme's zone */
    int                 nrows;                        /* order lines + line 0 */
    int64_t            *share;                        /* nrows × PT_PROG_RULES_MAX */
    int                 by_line_desc[PT_EARN_LINES_MAX + 1]; /* rows, highest line_no first */
    pt_rule_slot        order[2 * PT_PROG_RULES_MAX];
    int                 norder;
};

static int64_t *share(struct eval *e, int row, int rule)
{
    return &e->share[(size_t)row * PT_PROG_RULES_MAX + (size_t)rule];
}

static int64_t row_points(struct eval *e, int row)
{
    int64_t sum = 0;
    for (int r = 0; r < e->p->nrules; r++)
        sum += *share(e, row, r);
    return sum;
}

static int64_t rule_points(struct eval *e, int rule)
{
    int64_t sum = 0;
    for (int row = 0; row < e->nrows; row++)
        sum += *share(e, row, rule);
    return sum;
}

static void step(struct eval *e, int line_no, int rule, int64_t before, int64_t after, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void step(struct eval *e, int line_no, int rule, int64_t before, int64_t after, const char *fmt, ...)
{
    pt_earn_result *out = e->out;
    if (out->nsteps >= PT_EARN_TRACE_MAX)
        return;
    pt_earn_step *s = &out->steps[out->nsteps++];
    *s = (pt_earn_step){.line_no = line_no, .rule = rule, .points_before = before, .points_after = after};
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    size_t n = strlen(text);
    if (n >= sizeof s->why) { /* cut at a UTF-8 character boundary */
        n = sizeof s->why - 1;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(s->why, text, n);
    s->why[n] = 0;
}

static int32_t eff_bp(int32_t bp)
{
    return bp == 0 ? PT_BP_ONE : bp; /* 0: not set, no change */
}

static int terminated(const char *s, size_t cap)
{
    return memchr(s, 0, cap) != NULL;
}

static int rule_usable(const pt_rule_def *r)
{
    int32_t bp = eff_bp(r->multiplier_bp);
    if (r->kind < 1 || r->kind > KIND_LAST || bp < PT_BP_ONE || bp > RULES_BP_MAX || r->points < 0 ||
        r->nmatch < 0 || r->nmatch > PT_PROG_MATCH_MAX || !terminated(r->code, sizeof r->code) ||
        r->daily_cap < 0 || r->budget < 0 || r->member_cap < 0 || r->streak_points < 0)
        return 0;
    if (r->kind == PT_RULE_BASE && (r->unit_cents <= 0 || r->points > RULES_PPU_MAX))
        return 0;
    for (int i = 0; i < r->nmatch; i++)
        if (!terminated(r->match[i], sizeof r->match[i]))
            return 0;
    return 1;
}

static int programme_usable(const pt_programme *p)
{
    if (p->ntiers < 1 || p->ntiers > PT_PROG_TIERS_MAX || p->nrules < 0 || p->nrules > PT_PROG_RULES_MAX ||
        !terminated(p->timezone, sizeof p->timezone) || p->growth_per_unit < 0 || p->daily_points_cap < 0)
        return 0;
    for (int t = 0; t < p->ntiers; t++) {
        int32_t bp = eff_bp(p->tiers[t].points_multiplier_bp);
        if (bp < PT_BP_ONE || bp > RULES_BP_MAX || !terminated(p->tiers[t].code, sizeof p->tiers[t].code))
            return 0;
    }
    for (int i = 0; i < p->nrules; i++)
        if (!rule_usable(&p->rules[i]))
            return 0;
    return 1;
}

/* Checks the inputs, clears the result and prepares e for `nlines` order lines. */
static int eval_begin(struct eval *e, const pt_programme *p, const pt_earn_ctx *ctx, pt_earn_result *out,
                      size_t nlines)
{
    memset(e, 0, sizeof *e);
    if (!p || !ctx || !out || nlines > PT_EARN_LINES_MAX || !programme_usable(p) || ctx->tier < 0 ||
        ctx->tier >= p->ntiers || ctx->birthday_month < 0 || ctx->birthday_month > 12)
        return PT_EINVAL;
    memset(out, 0, sizeof *out);
    *e = (struct eval){.p = p, .ctx = ctx, .out = out, .nrows = (int)nlines + 1};
    int rc = pt_tz_civil(p->timezone, ctx->at, &e->local);
    if (rc)
        return rc == PT_ENOMEM ? rc : PT_EINVAL;
    e->share = calloc((size_t)e->nrows * PT_PROG_RULES_MAX, sizeof *e->share);
    if (!e->share)
        return PT_ENOMEM;
    e->norder = pt_rules_order(p, e->order);
    out->nlines = e->nrows;
    for (int i = 0; i < e->nrows; i++)
        out->lines[i].rule = -1; /* line_no of the last row stays 0 */
    return PT_OK;
}

static int rule_active(const struct eval *e, const pt_rule_def *r)
{
    return (!r->starts_at || e->ctx->at >= r->starts_at) && (!r->ends_at || e->ctx->at < r->ends_at);
}

static int list_has(const pt_rule_def *r, const char *s)
{
    for (int i = 0; i < r->nmatch; i++)
        if (strcmp(r->match[i], s) == 0)
            return 1;
    return 0;
}

static int birthday_now(const struct eval *e)
{
    return e->ctx->birthday_month != 0 && e->ctx->birthday_month == e->local.month;
}

/* --- stages 1 and 2: one line ------------------------------------------------------------- */

/* The first active BASE rule that covers the line's category, or -1. */
static int pick_base(const struct eval *e, const pt_earn_line *ln)
{
    for (int s = 0; s < e->norder && e->order[s].stage == 1; s++) {
        const pt_rule_def *r = &e->p->rules[e->order[s].rule];
        if (rule_active(e, r) && (r->nmatch == 0 || list_has(r, ln->category)))
            return e->order[s].rule;
    }
    return -1;
}

/* The multiplier (basis points) a stage-2 rule gives this line now, or PT_BP_ONE. */
static int32_t multiplier_for(const struct eval *e, int rule, const pt_earn_line *ln)
{
    const pt_rule_def *r = &e->p->rules[rule];
    int fires = rule_active(e, r);
    switch (r->kind) {
    case PT_RULE_SKU:
        fires = fires && list_has(r, ln->sku);
        break;
    case PT_RULE_CATEGORY:
        fires = fires && list_has(r, ln->category);
        break;
    case PT_RULE_MEMBER_DAY:
        fires = fires && e->local.day == r->day_of_month;
        break;
    case PT_RULE_BIRTHDAY:
        fires = fires && birthday_now(e);
        break;
    case PT_RULE_TIER:
        return fires ? eff_bp(e->p->tiers[e->ctx->tier].points_multiplier_bp) : PT_BP_ONE;
    default: /* WINDOW: its window is all there is */
        break;
    }
    return fires ? eff_bp(r->multiplier_bp) : PT_BP_ONE;
}

static int stacks(const pt_rule_def *r)
{
    return r->stackable && r->kind != PT_RULE_TIER;
}

struct applied {
    int     rule;
    int32_t bp;
};

/* The multipliers that apply to the line, in order: per kind, every stackable rule that fires
 * and the largest non-stackable one (the first in order on a tie). */
static int collect_multipliers(const struct eval *e, const pt_earn_line *ln, struct applied *out)
{
    int n = 0;
    for (int s = 0; s < e->norder;) {
        if (e->order[s].stage != 2) {
            s++;
            continue;
        }
        int kind = e->p->rules[e->order[s].rule].kind, end = s, best = -1;
        int32_t best_bp = PT_BP_ONE;
        while (end < e->norder && e->order[end].stage == 2 && e->p->rules[e->order[end].rule].kind == kind)
            end++;
        for (int i = s; i < end; i++) {
            int32_t bp = multiplier_for(e, e->order[i].rule, ln);
            if (!stacks(&e->p->rules[e->order[i].rule]) && bp > best_bp) {
                best = i;
                best_bp = bp;
            }
        }
        for (int i = s; i < end; i++) {
            int32_t bp = multiplier_for(e, e->order[i].rule, ln);
            if (bp > PT_BP_ONE && (i == best || stacks(&e->p->rules[e->order[i].rule])))
                out[n++] = (struct applied){e->order[i].rule, bp};
        }
        s = end;
    }
    return n;
}

static void describe_multiplier(const struct eval *e, int rule, const pt_earn_line *ln, char *buf, size_t cap)
{
    const pt_rule_def *r = &e->p->rules[rule];
    switch (r->kind) {
    case PT_RULE_SKU:
        snprintf(buf, cap, "sku %s", ln->sku);
        break;
    case PT_RULE_CATEGORY:
        snprintf(buf, cap, "category %s", ln->category);
        break;
    case PT_RULE_WINDOW:
        snprintf(buf, cap, "campaign window");
        break;
    case PT_RULE_MEMBER_DAY:
        snprintf(buf, cap, "member day (day %d)", r->day_of_month);
        break;
    case PT_RULE_BIRTHDAY:
        snprintf(buf, cap, "birthday month");
        break;
    default:
        snprintf(buf, cap, "tier %s", e->p->tiers[e->ctx->tier].code);
        break;
    }
}

static void apply_multipliers(struct eval *e, int row, const pt_earn_line *ln, int64_t base)
{
    struct applied m[2 * PT_PROG_RULES_MAX];
    int n = collect_multipliers(e, ln, m);
    struct big num;
    big_set(&num, (uint64_t)base);
    int64_t prev = base;
    for (int j = 0; j < n; j++) {
        int clamped = 0;
        big_mul(&num, (uint32_t)m[j].bp);
        int64_t now = big_floor(&num, j + 1, &clamped);
        *share(e, row, m[j].rule) += now - prev;
        char what[160], bp[32];
        describe_multiplier(e, m[j].rule, ln, what, sizeof what);
        step(e, ln->line_no, m[j].rule, prev, now, "×%s %s%s [%s]", pt_bp_str(m[j].bp, bp), what,
             clamped ? " (clamped)" : "", e->p->rules[m[j].rule].code);
        prev = now;
    }
}

static void eval_line(struct eval *e, int row, const pt_earn_line *ln)
{
    const pt_programme *p = e->p;
    e->out->lines[row].line_no = ln->line_no;
    if (ln->amount_cents <= 0)
        return;
    e->out->lines[row].growth = units_times(ln->amount_cents, p->growth_unit_cents, p->growth_per_unit);
    int rule = pick_base(e, ln);
    if (rule < 0)
        return;
    const pt_rule_def *r = &p->rules[rule];
    e->out->lines[row].rule = rule;
    int64_t base = units_times(ln->amount_cents, r->unit_cents, r->points);
    if (base == 0)
        return;
    *share(e, row, rule) = base;
    step(e, ln->line_no, rule, 0, base, "base: %lld units of %lld cents × %lld pt [%s]",
         (long long)(ln->amount_cents / r->unit_cents), (long long)r->unit_cents, (long long)r->points, r->code);
    apply_multipliers(e, row, ln, base);
}

/* --- stage 3: order bonuses --------------------------------------------------------------- */

static void add_bonus(struct eval *e, int row, int rule, int64_t points, const char *what)
{
    if (points <= 0)
        return;
    int64_t before = row_points(e, row);
    *share(e, row, rule) += points;
    step(e, e->out->lines[row].line_no, rule, before, before + points, "+%lld %s [%s]", (long long)points, what,
         e->p->rules[rule].code);
}

static void eval_bonuses(struct eval *e)
{
    int row = e->nrows - 1;
    for (int s = 0; s < e->norder; s++) {
        if (e->order[s].stage != 3)
            continue;
        int rule = e->order[s].rule;
        const pt_rule_def *r = &e->p->rules[rule];
        if (!rule_active(e, r))
            continue;
        if (r->kind == PT_RULE_FIRST_PURCHASE && e->ctx->first_purchase)
            add_bonus(e, row, rule, r->points, "first purchase");
        if (r->kind == PT_RULE_BIRTHDAY && birthday_now(e))
            add_bonus(e, row, rule, r->points, "birthday month");
    }
}

/* --- stage 4: caps ------------------------------------------------------------------------ */

static int64_t left_of(int64_t cap, int64_t used)
{
    used = used < 0 ? 0 : used;
    return cap > used ? cap - used : 0;
}

/* Takes `excess` of one rule's shares, highest line_no first (line 0 last). */
static void trim_rule(struct eval *e, int rule, int64_t excess, const char *why)
{
    for (int k = 0; k < e->nrows && excess > 0; k++) {
        int row = e->by_line_desc[k];
        int64_t *sh = share(e, row, rule);
        if (*sh <= 0)
            continue;
        int64_t take = *sh < excess ? *sh : excess;
        int64_t before = row_points(e, row);
        *sh -= take;
        excess -= take;
        step(e, e->out->lines[row].line_no, rule, before, before - take, "capped: %s [%s]", why,
             e->p->rules[rule].code);
    }
}

static void tighten(int64_t cap, int64_t used, const char *what, int64_t *limit, char *why, size_t cap_why)
{
    if (cap <= 0)
        return;
    int64_t left = left_of(cap, used);
    if (left < *limit) {
        *limit = left;
        snprintf(why, cap_why, "%s %lld, %lld left", what, (long long)cap, (long long)left);
    }
}

static void apply_rule_caps(struct eval *e)
{
    unsigned char seen[PT_PROG_RULES_MAX] = {0};
    for (int s = 0; s < e->norder; s++) {
        int rule = e->order[s].rule;
        if (seen[rule])
            continue;
        seen[rule] = 1;
        const pt_rule_def *r = &e->p->rules[rule];
        int64_t given = rule_points(e, rule), limit = INT64_MAX;
        char why[96] = "";
        tighten(r->daily_cap, e->ctx->rule_today[rule], "daily cap", &limit, why, sizeof why);
        tighten(r->budget, e->ctx->rule_total[rule], "budget", &limit, why, sizeof why);
        tighten(r->member_cap, e->ctx->rule_member_total[rule], "member cap", &limit, why, sizeof why);
        if (given > limit)
            trim_rule(e, rule, given - limit, why);
    }
}

/* The programme's daily cap: trims lines highest line_no first, each from its last applied
 * rule back to its base. */
static void apply_programme_cap(struct eval *e)
{
    const pt_programme *p = e->p;
    if (p->daily_points_cap <= 0)
        return;
    int64_t total = 0, left = left_of(p->daily_points_cap, e->ctx->earned_today);
    for (int row = 0; row < e->nrows; row++)
        total += row_points(e, row);
    int64_t excess = total - left;
    for (int k = 0; k < e->nrows && excess > 0; k++) {
        int row = e->by_line_desc[k];
        int64_t before = row_points(e, row), taken = 0;
        for (int s = e->norder - 1; s >= 0 && taken < excess; s--) {
            int64_t *sh = share(e, row, e->order[s].rule);
            int64_t take = *sh < excess - taken ? *sh : excess - taken;
            *sh -= take;
            taken += take;
        }
        if (taken == 0)
            continue;
        excess -= taken;
        step(e, e->out->lines[row].line_no, -1, before, before - taken,
             "capped: programme daily cap %lld, %lld left today", (long long)p->daily_points_cap, (long long)left);
    }
}

/* --- results ------------------------------------------------------------------------------ */

static void eval_finish(struct eval *e)
{
    pt_earn_result *out = e->out;
    for (int row = 0; row < e->nrows; row++) {
        out->lines[row].points = row_points(e, row);
        out->total_points += out->lines[row].points;
        out->total_growth += out->lines[row].growth;
    }
    for (int r = 0; r < e->p->nrules; r++)
        out->rule_points[r] = rule_points(e, r);
    free(e->share);
    e->share = NULL;
}

static void eval_caps_and_finish(struct eval *e)
{
    apply_rule_caps(e);
    apply_programme_cap(e);
    eval_finish(e);
}

/* Fills by_line_desc with the order's rows by line_no, highest first, then line 0; PT_EINVAL
 * when a line_no is < 1 or repeated. */
static int sort_lines(struct eval *e, const pt_earn_line *lines, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int j = (int)i;
        for (; j > 0 && lines[e->by_line_desc[j - 1]].line_no < lines[i].line_no; j--)
            e->by_line_desc[j] = e->by_line_desc[j - 1];
        e->by_line_desc[j] = (int)i;
    }
    for (size_t k = 0; k < n; k++) {
        int ln = lines[e->by_line_desc[k]].line_no;
        if (ln < 1 || (k > 0 && ln == lines[e->by_line_desc[k - 1]].line_no))
            return PT_EINVAL;
    }
    e->by_line_desc[n] = (int)n;
    return PT_OK;
}

static int lines_usable(const pt_earn_line *lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lines[i].amount_cents > PT_EARN_AMOUNT_MAX || !terminated(lines[i].sku, sizeof lines[i].sku) ||
            !terminated(lines[i].category, sizeof lines[i].category))
            return 0;
    return 1;
}

int pt_rules_evaluate_order(const pt_programme *p, const pt_earn_ctx *ctx, const pt_earn_line *lines,
                            size_t nlines, pt_earn_result *out)
{
    if (nlines > PT_EARN_LINES_MAX || (!lines && nlines) || (lines && !lines_usable(lines, nlines)))
        return PT_EINVAL;
    struct eval e;
    int rc = eval_begin(&e, p, ctx, out, nlines);
    if (rc == PT_OK)
        rc = sort_lines(&e, lines, nlines);
    if (rc) {
        free(e.share);
        if (out)
            memset(out, 0, sizeof *out);
        return rc;
    }
    int any_paid = 0;
    for (size_t i = 0; i < nlines; i++) {
        eval_line(&e, (int)i, &lines[i]);
        any_paid |= lines[i].amount_cents > 0;
    }
    if (any_paid)
        eval_bonuses(&e);
    eval_caps_and_finish(&e);
    return PT_OK;
}

static void eval_activity(struct eval *e, int kind, int streak)
{
    static const char *const what[] = {[PT_RULE_CHECKIN] = "check-in", [PT_RULE_REVIEW] = "review",
                                       [PT_RULE_SHARE] = "share"};
    const pt_programme *p = e->p;
    e->out->lines[0].growth = kind == PT_RULE_CHECKIN ? p->growth_checkin
                              : kind == PT_RULE_REVIEW ? p->growth_review : p->growth_share;
    for (int s = 0; s < e->norder; s++) {
        int rule = e->order[s].rule;
        const pt_rule_def *r = &p->rules[rule];
        if (e->order[s].stage != 4 || r->kind != kind || !rule_active(e, r))
            continue;
        add_bonus(e, 0, rule, r->points, what[kind]);
        if (kind == PT_RULE_CHECKIN && r->streak_days > 0 && streak > 0 && streak % r->streak_days == 0) {
            char text[48];
            snprintf(text, sizeof text, "streak of %d days", streak);
            add_bonus(e, 0, rule, r->streak_points, text);
        }
    }
}

int pt_rules_evaluate_activity(const pt_programme *p, const pt_earn_ctx *ctx, int kind, int streak,
                               pt_earn_result *out)
{
    if ((kind != PT_RULE_CHECKIN && kind != PT_RULE_REVIEW && kind != PT_RULE_SHARE) || streak < 0)
        return PT_EINVAL;
    struct eval e;
    int rc = eval_begin(&e, p, ctx, out, 0);
    if (rc) {
        free(e.share);
        if (out)
            memset(out, 0, sizeof *out);
        return rc;
    }
    e.by_line_desc[0] = 0;
    eval_activity(&e, kind, streak);
    eval_caps_and_finish(&e);
    return PT_OK;
}

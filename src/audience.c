/* audience.c — the audience language (audience.h): a hand-written lexer and recursive-descent
 * parser into a flat node array, a bind step for what depends on the context, and an
 * evaluator over one snapshot member.
 *
 * Invariants: the node array never exceeds PT_AUDIENCE_NODES_MAX and recursion never exceeds
 * PT_AUDIENCE_DEPTH_MAX (the parser refuses deeper input rather than overflow the C stack: the
 * text comes from users and from the fuzzer). Every node keeps the line and column of its
 * first token so that bind errors can point at the text. String values are copied into the
 * node (bounded); nothing in an audience points into the caller's text after parsing.
 * Evaluation reads only the snapshot and the prepared context, except points_expiring_<N>d,
 * which reads the member's open lots from the store — evaluated last in an "and" chain by the
 * author's choice of order (left to right, short-circuit), so cheap tests should come first.
 */
#include "patron/audience.h"
#include "patron/error.h"
#include "patron/store_campaign.h"
#include "patron/store_ledger.h"
#include "patron/types.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define VALUES_MAX 32   /* values in one "in" list */
#define STR_MAX    64   /* bytes of a string value, NUL included */
#define DAY_S      86400

enum node_kind { N_OR, N_AND, N_NOT, N_CMP, N_IN };
enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };
enum field {
    F_SEGMENT, F_STAGE, F_TIER, F_CONSENT,                       /* string fields */
    F_POINTS, F_PENDING, F_RECENCY, F_ORDERS, F_SPEND, F_REGISTERED, /* numeric */
    F_EXPIRING, F_SCORE,
};

struct value {
    int    is_str;
    double num;
    char   str[STR_MAX];
    int    id;            /* resolved string: segment id, stage, consent kind, tier rank */
    int    line, col;
};

struct node {
    int          kind;     /* enum node_kind */
    int          line, col;
    int          a, b;     /* children (N_OR, N_AND: a, b; N_NOT: a) */
    int          field;    /* N_CMP, N_IN */
    int          op;       /* N_CMP */
    int          negate;   /* N_IN: "not in" */
    int          days;     /* F_EXPIRING */
    char         name[STR_MAX]; /* F_SCORE: the source's name */
    int          score;    /* F_SCORE: index into ctx->scores after bind */
    int          nvalues;
    struct value v[VALUES_MAX];
};

struct pt_audience {
    struct node *nodes;
    int          n, cap;
    int          root;
    int          bound;
};

/* --- lexer -------------------------------------------------------------------------------- */

enum tok { T_END, T_IDENT, T_NUM, T_STR, T_LP, T_RP, T_COMMA, T_OP, T_ERR };

struct lex {
    const char *s;
    size_t      pos;
    int         line, col;
    /* current token */
    int         tok;
    int         tline, tcol;
    char        text[STR_MAX];
    int         op;
    double      num;
    char       *err;
    size_t      errlen;
    int         failed;
};

static int fail_at(struct lex *L, int line, int col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail_at(struct lex *L, int line, int col, const char *fmt, ...)
{
    if (L->failed)
        return PT_EPARSE;
    L->failed = 1;
    char why[192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (L->err && L->errlen)
        snprintf(L->err, L->errlen, "line %d, column %d: %s", line, col, why);
    return PT_EPARSE;
}

static void advance(struct lex *L, size_t n)
{
    for (size_t k = 0; k < n && L->s[L->pos]; k++) {
        if (L->s[L->pos] == '\n') {
            L->line++;
            L->col = 1;
        } else {
            L->col++;
        }
        L->pos++;
    }
}

static int lex_string(struct lex *L)
{
    advance(L, 1); /* opening quote */
    size_t n = 0;
    for (;;) {
        char c = L->s[L->pos];
        if (c == 0 || c == '\n')
            return fail_at(L, L->tline, L->tcol, "unterminated string");
        if (c == '"') {
            advance(L, 1);
            break;
        }
        if (c == '\\') {
            char e = L->s[L->pos + 1];
            if (e != '"' && e != '\\')
                return fail_at(L, L->line, L->col, "unknown escape (only \\\" and \\\\)");
            advance(L, 1);
            c = e;
        }
        if (n + 1 >= STR_MAX)
            return fail_at(L, L->tline, L->tcol, "string longer than %d bytes", STR_MAX - 1);
        L->text[n++] = c;
        advance(L, 1);
    }
    L->text[n] = 0;
    L->tok = T_STR;
    return PT_OK;
}

static int lex_number(struct lex *L)
{
    size_t start = L->pos, n = 0;
    if (L->s[L->pos] == '-')
        n++;
    int digits = 0, dot = 0;
    while (isdigit((unsigned char)L->s[start + n]) || (L->s[start + n] == '.' && !dot)) {
        if (L->s[start + n] == '.')
            dot = 1;
        else
            digits++;
        n++;
    }
    if (!digits || n >= STR_MAX)
        return fail_at(L, L->tline, L->tcol, "bad number");
    memcpy(L->text, L->s + start, n);
    L->text[n] = 0;
    L->num = strtod(L->text, NULL);
    if (!isfinite(L->num))
        return fail_at(L, L->tline, L->tcol, "number out of range");
    advance(L, n);
    L->tok = T_NUM;
    return PT_OK;
}

static int lex_op(struct lex *L)
{
    const char *p = L->s + L->pos;
    static const struct {
        const char *t;
        int         op;
    } ops[] = {{"!=", OP_NE}, {"<=", OP_LE}, {">=", OP_GE}, {"==", OP_EQ}, {"=", OP_EQ}, {"<", OP_LT}, {">", OP_GT}};
    for (size_t k = 0; k < sizeof ops / sizeof *ops; k++) {
        size_t n = strlen(ops[k].t);
        if (strncmp(p, ops[k].t, n) == 0) {
            L->op = ops[k].op;
            snprintf(L->text, sizeof L->text, "%s", ops[k].t);
            advance(L, n);
            L->tok = T_OP;
            return PT_OK;
        }
    }
    if ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f)
        return fail_at(L, L->line, L->col, "unexpected character '%c'", *p);
    return fail_at(L, L->line, L->col, "unexpected byte 0x%02x", (unsigned char)*p);
}

/* Names are ASCII letters, digits and '_', and any byte of a UTF-8 sequence, so that bare
 * names such as 冠军客户 work; they are only ever compared byte for byte. */
static int is_name_byte(char c)
{
    return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

static int next(struct lex *L)
{
    while (L->s[L->pos] == ' ' || L->s[L->pos] == '\t' || L->s[L->pos] == '\n' || L->s[L->pos] == '\r')
        advance(L, 1);
    L->tline = L->line;
    L->tcol = L->col;
    L->text[0] = 0;
    char c = L->s[L->pos];
    if (c == 0) {
        L->tok = T_END;
        return PT_OK;
    }
    if (c == '"')
        return lex_string(L);
    if (isdigit((unsigned char)c) || (c == '-' && isdigit((unsigned char)L->s[L->pos + 1])) ||
        (c == '.' && isdigit((unsigned char)L->s[L->pos + 1])))
        return lex_number(L);
    if (is_name_byte(c) && !isdigit((unsigned char)c)) {
        size_t n = 0;
        while (is_name_byte(L->s[L->pos + n]))
            n++;
        if (n >= STR_MAX)
            return fail_at(L, L->tline, L->tcol, "name longer than %d bytes", STR_MAX - 1);
        memcpy(L->text, L->s + L->pos, n);
        L->text[n] = 0;
        advance(L, n);
        L->tok = T_IDENT;
        return PT_OK;
    }
    if (c == '(' || c == ')' || c == ',') {
        L->tok = c == '(' ? T_LP : c == ')' ? T_RP : T_COMMA;
        L->text[0] = c;
        L->text[1] = 0;
        advance(L, 1);
        return PT_OK;
    }
    return lex_op(L);
}

static int is_kw(const struct lex *L, const char *kw)
{
    return L->tok == T_IDENT && strcasecmp(L->text, kw) == 0;
}

static const char *tok_desc(const struct lex *L)
{
    switch (L->tok) {
    case T_END: return "end of input";
    case T_STR: return "a string";
    case T_NUM: return "a number";
    default: return L->text;
    }
}

/* --- parser ------------------------------------------------------------------------------- */

struct parser {
    struct lex   L;
    pt_audience *a;
    int          depth;
};

static int new_node(struct parser *P, int kind, int *idx)
{
    pt_audience *a = P->a;
    if (a->n >= PT_AUDIENCE_NODES_MAX) {
        fail_at(&P->L, P->L.tline, P->L.tcol, "audience too long (more than %d tests)", PT_AUDIENCE_NODES_MAX);
        return PT_ETOOBIG;
    }
    if (a->n == a->cap) {
        int cap = a->cap ? a->cap * 2 : 8;
        struct node *nn = realloc(a->nodes, (size_t)cap * sizeof *nn);
        if (!nn)
            return PT_ENOMEM;
        a->nodes = nn;
        a->cap = cap;
    }
    struct node *n = &a->nodes[a->n];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->line = P->L.tline;
    n->col = P->L.tcol;
    n->score = -1;
    *idx = a->n++;
    return PT_OK;
}

static int parse_or(struct parser *P, int *out);

static const struct {
    const char *name;
    int         field;
} fields[] = {
    {"segment", F_SEGMENT},       {"stage", F_STAGE},          {"tier", F_TIER},     {"consent", F_CONSENT},
    {"points", F_POINTS},         {"pending", F_PENDING},      {"recency_days", F_RECENCY},
    {"orders", F_ORDERS},         {"spend_cents", F_SPEND},    {"registered_days", F_REGISTERED},
};

static int is_string_field(int f)
{
    return f <= F_CONSENT;
}

/* points_expiring_<N>d → N (1..3650), else 0. */
static int expiring_days(const char *name)
{
    const char *pre = "points_expiring_";
    size_t np = strlen(pre), n = strlen(name);
    if (strncmp(name, pre, np) != 0 || n < np + 2 || name[n - 1] != 'd')
        return 0;
    int days = 0;
    for (size_t k = np; k < n - 1; k++) {
        if (!isdigit((unsigned char)name[k]) || days > 3650)
            return 0;
        days = days * 10 + (name[k] - '0');
    }
    return days >= 1 && days <= 3650 ? days : 0;
}

static int resolve_static(struct parser *P, struct node *n, struct value *v);

static int parse_value(struct parser *P, struct node *n)
{
    struct lex *L = &P->L;
    if (n->nvalues >= VALUES_MAX)
        return fail_at(L, L->tline, L->tcol, "more than %d values in a list", VALUES_MAX);
    struct value *v = &n->v[n->nvalues];
    memset(v, 0, sizeof *v);
    v->line = L->tline;
    v->col = L->tcol;
    if (L->tok == T_NUM) {
        if (is_string_field(n->field))
            return fail_at(L, v->line, v->col, "a name is expected here, not a number");
        v->num = L->num;
    } else if (L->tok == T_STR || (L->tok == T_IDENT && !is_kw(L, "and") && !is_kw(L, "or"))) {
        if (!is_string_field(n->field))
            return fail_at(L, v->line, v->col, "a number is expected here, not '%s'", L->text);
        v->is_str = 1;
        snprintf(v->str, sizeof v->str, "%s", L->text);
    } else {
        return fail_at(L, v->line, v->col, "a value is expected, found %s", tok_desc(L));
    }
    n->nvalues++;
    int rc = resolve_static(P, n, v);
    return rc ? rc : next(L);
}

static int parse_test(struct parser *P, int *out)
{
    struct lex *L = &P->L;
    if (L->tok != T_IDENT)
        return fail_at(L, L->tline, L->tcol, "a field name is expected, found %s", tok_desc(L));
    int idx, rc = new_node(P, N_CMP, &idx);
    if (rc)
        return rc;
    struct node *n = &P->a->nodes[idx];
    n->field = F_SCORE;
    for (size_t k = 0; k < sizeof fields / sizeof *fields; k++)
        if (strcasecmp(L->text, fields[k].name) == 0)
            n->field = fields[k].field;
    if (n->field == F_SCORE && (n->days = expiring_days(L->text)) > 0)
        n->field = F_EXPIRING;
    if (n->field == F_SCORE && (is_kw(L, "and") || is_kw(L, "or") || is_kw(L, "not") || is_kw(L, "in")))
        return fail_at(L, L->tline, L->tcol, "a field name is expected, found keyword '%s'", L->text);
    snprintf(n->name, sizeof n->name, "%s", L->text);
    if ((rc = next(L)))
        return rc;
    if (is_kw(L, "not") || is_kw(L, "in")) {
        n->kind = N_IN;
        if (is_kw(L, "not")) {
            n->negate = 1;
            if ((rc = next(L)))
                return rc;
            if (!is_kw(L, "in"))
                return fail_at(L, L->tline, L->tcol, "'in' is expected after 'not', found %s", tok_desc(L));
        }
        if ((rc = next(L)))
            return rc;
        if (L->tok != T_LP)
            return fail_at(L, L->tline, L->tcol, "'(' is expected after 'in', found %s", tok_desc(L));
        if ((rc = next(L)))
            return rc;
        for (;;) {
            if ((rc = parse_value(P, n)))
                return rc;
            if (L->tok == T_RP)
                break;
            if (L->tok != T_COMMA)
                return fail_at(L, L->tline, L->tcol, "',' or ')' is expected, found %s", tok_desc(L));
            if ((rc = next(L)))
                return rc;
        }
        *out = idx;
        return next(L);
    }
    if (L->tok != T_OP)
        return fail_at(L, L->tline, L->tcol, "a comparison (=, !=, <, <=, >, >=, in) is expected after '%s', found %s",
                       n->name, tok_desc(L));
    n->op = L->op;
    if (is_string_field(n->field) && n->field != F_TIER && n->op != OP_EQ && n->op != OP_NE)
        return fail_at(L, L->tline, L->tcol, "'%s' can only be compared with = or != (or in)", n->name);
    if ((rc = next(L)))
        return rc;
    *out = idx;
    return parse_value(P, n);
}

static int parse_unary(struct parser *P, int *out)
{
    struct lex *L = &P->L;
    if (++P->depth > PT_AUDIENCE_DEPTH_MAX)
        return fail_at(L, L->tline, L->tcol, "nested deeper than %d levels", PT_AUDIENCE_DEPTH_MAX);
    int rc;
    if (is_kw(L, "not")) {
        int idx;
        if ((rc = new_node(P, N_NOT, &idx)) || (rc = next(L)))
            return rc;
        int child;
        if ((rc = parse_unary(P, &child)))
            return rc;
        P->a->nodes[idx].a = child;
        *out = idx;
    } else if (L->tok == T_LP) {
        int line = L->tline, col = L->tcol;
        if ((rc = next(L)) || (rc = parse_or(P, out)))
            return rc;
        if (L->tok != T_RP)
            return fail_at(L, L->tline, L->tcol, "')' is expected to close the '(' at line %d, column %d, found %s",
                           line, col, tok_desc(L));
        if ((rc = next(L)))
            return rc;
    } else {
        rc = parse_test(P, out);
        if (rc)
            return rc;
    }
    P->depth--;
    return PT_OK;
}

static int parse_binary(struct parser *P, int *out, int kind)
{
    const char *kw = kind == N_OR ? "or" : "and";
    int rc = kind == N_OR ? parse_binary(P, out, N_AND) : parse_unary(P, out);
    while (rc == PT_OK && is_kw(&P->L, kw)) {
        int idx, rhs;
        if ((rc = new_node(P, kind, &idx)) || (rc = next(&P->L)))
            return rc;
        rc = kind == N_OR ? parse_binary(P, &rhs, N_AND) : parse_unary(P, &rhs);
        if (rc)
            return rc;
        P->a->nodes[idx].a = *out;
        P->a->nodes[idx].b = rhs;
        *out = idx;
    }
    return rc;
}

static int parse_or(struct parser *P, int *out)
{
    return parse_binary(P, out, N_OR);
}

/* Segment, stage and consent names do not depend on the data: checked while parsing. */
static int resolve_static(struct parser *P, struct node *n, struct value *v)
{
    if (!v->is_str)
        return PT_OK;
    v->id = -1;
    if (n->field == F_SEGMENT) {
        for (int s = 0; s < PT_SEG11__COUNT; s++)
            if (strcasecmp(v->str, pt_rfm_segment_key(PT_RFM_MAP11, s)) == 0 ||
                strcasecmp(v->str, pt_rfm_segment_name(PT_RFM_MAP11, s, 0)) == 0 ||
                strcmp(v->str, pt_rfm_segment_name(PT_RFM_MAP11, s, 1)) == 0)
                v->id = s;
        if (v->id < 0)
            return fail_at(&P->L, v->line, v->col, "unknown segment \"%s\" (docs/rfm.md lists the 11)", v->str);
    } else if (n->field == F_STAGE) {
        for (int s = 0; s < PT_LC__COUNT; s++)
            if (strcasecmp(v->str, pt_lifecycle_stage_key(s)) == 0 || strcasecmp(v->str, pt_lifecycle_stage_name(s, 0)) == 0)
                v->id = s;
        if (v->id < 0)
            return fail_at(&P->L, v->line, v->col, "unknown lifecycle stage \"%s\"", v->str);
    } else if (n->field == F_CONSENT) {
        static const char *const kinds[PT_CONSENT__COUNT] = {"sms", "email", "analytics"};
        for (int k = 0; k < PT_CONSENT__COUNT; k++)
            if (strcasecmp(v->str, kinds[k]) == 0)
                v->id = k;
        if (v->id < 0)
            return fail_at(&P->L, v->line, v->col, "unknown consent \"%s\" (sms, email, analytics)", v->str);
    }
    return PT_OK;
}

int pt_audience_parse(pt_audience **out, const char *text, char *errmsg, size_t errmsg_len)
{
    *out = NULL;
    if (errmsg && errmsg_len)
        errmsg[0] = 0;
    struct parser P = {.L = {.s = text ? text : "", .line = 1, .col = 1, .err = errmsg, .errlen = errmsg_len}};
    if (strlen(P.L.s) >= PT_AUDIENCE_MAX) {
        fail_at(&P.L, 1, 1, "audience longer than %d bytes", PT_AUDIENCE_MAX - 1);
        return PT_ETOOBIG;
    }
    P.a = calloc(1, sizeof *P.a);
    if (!P.a)
        return PT_ENOMEM;
    int rc = next(&P.L);
    if (rc == PT_OK && P.L.tok == T_END)
        rc = fail_at(&P.L, P.L.tline, P.L.tcol, "the audience is empty");
    if (rc == PT_OK)
        rc = parse_or(&P, &P.a->root);
    if (rc == PT_OK && P.L.tok != T_END)
        rc = fail_at(&P.L, P.L.tline, P.L.tcol, "'and', 'or' or the end is expected, found %s", tok_desc(&P.L));
    if (rc) {
        pt_audience_free(P.a);
        return rc;
    }
    *out = P.a;
    return PT_OK;
}

void pt_audience_free(pt_audience *a)
{
    if (!a)
        return;
    free(a->nodes);
    free(a);
}

/* --- bind --------------------------------------------------------------------------------- */

int pt_audience_bind(pt_audience *a, const pt_audience_ctx *ctx, char *errmsg, size_t errmsg_len)
{
    struct lex L = {.err = errmsg, .errlen = errmsg_len};
    for (int k = 0; k < a->n; k++) {
        struct node *n = &a->nodes[k];
        if (n->kind != N_CMP && n->kind != N_IN)
            continue;
        if (n->field == F_SCORE) {
            n->score = -1;
            for (size_t s = 0; s < ctx->nscores; s++)
                if (strcasecmp(ctx->scores[s].name, n->name) == 0)
                    n->score = (int)s;
            if (n->score < 0)
                return fail_at(&L, n->line, n->col, "unknown field or score '%s'", n->name);
        }
        if (n->field == F_EXPIRING && !ctx->store)
            return fail_at(&L, n->line, n->col, "'%s' needs the store (not available here)", n->name);
        if (n->field != F_TIER)
            continue;
        for (int j = 0; j < n->nvalues; j++) {
            struct value *v = &n->v[j];
            v->id = -1;
            for (size_t t = 0; t < ctx->ntiers; t++)
                if (strcasecmp(ctx->tier_order[t], v->str) == 0)
                    v->id = (int)t;
            if (v->id < 0)
                return fail_at(&L, v->line, v->col, "unknown tier \"%s\"", v->str);
        }
    }
    a->bound = 1;
    return PT_OK;
}

/* --- evaluation --------------------------------------------------------------------------- */

static int cmp_num(int op, double x, double y)
{
    switch (op) {
    case OP_EQ: return x == y;
    case OP_NE: return x != y;
    case OP_LT: return x < y;
    case OP_LE: return x <= y;
    case OP_GT: return x > y;
    default: return x >= y;
    }
}

struct expiring {
    int64_t from, to, points;
};

static int add_expiring(void *ud, const pt_lot_rec *lot)
{
    struct expiring *e = ud;
    if (lot->state == PT_LOT_AVAILABLE && lot->expires_at > e->from && lot->expires_at <= e->to)
        e->points += lot->remaining;
    return PT_OK;
}

/* The member's value of a numeric field; *has = 0 when it has none. */
static int num_value(const struct node *n, const pt_audience_ctx *ctx, size_t i, double *x, int *has)
{
    const pt_snapshot *snap = ctx->snap;
    int32_t r = ctx->rfm_row ? ctx->rfm_row[i] : -1;
    *has = 1;
    switch (n->field) {
    case F_POINTS: *x = snap->has_accounts ? (double)snap->member_points[i] : 0; return PT_OK;
    case F_PENDING: *x = snap->has_accounts ? (double)snap->member_pending[i] : 0; return PT_OK;
    case F_RECENCY:
        *has = r >= 0 && ctx->rfm.rows[r].recency_days >= 0;
        *x = *has ? (double)ctx->rfm.rows[r].recency_days : 0;
        return PT_OK;
    case F_ORDERS: *x = r >= 0 ? (double)ctx->rfm.rows[r].frequency : 0; return PT_OK;
    case F_SPEND: *x = r >= 0 ? (double)ctx->rfm.rows[r].revenue_cents : 0; return PT_OK;
    case F_REGISTERED: *x = (double)((ctx->as_of - snap->member_registered_at[i]) / DAY_S); return PT_OK;
    case F_SCORE: {
        const pt_score_source *src = &ctx->scores[n->score];
        *has = src->score(src->ud, snap, i, x);
        return PT_OK;
    }
    default: { /* F_EXPIRING */
        if (snap->has_accounts && snap->member_points[i] <= 0) {
            *x = 0; /* nothing available, nothing to expire: no store read */
            return PT_OK;
        }
        struct expiring e = {ctx->as_of, ctx->as_of + (int64_t)n->days * DAY_S, 0};
        int rc = pt_store_lot_list(ctx->store, snap->member_id[i], 1, add_expiring, &e);
        *x = (double)e.points;
        return rc;
    }
    }
}

/* The member's id for a string field, −1 for none (no tier, no segment). */
static int str_value(const struct node *n, const pt_audience_ctx *ctx, size_t i, uint32_t *consent)
{
    const pt_snapshot *snap = ctx->snap;
    switch (n->field) {
    case F_SEGMENT: {
        int32_t r = ctx->rfm_row ? ctx->rfm_row[i] : -1;
        return r >= 0 && ctx->rfm.rows[r].seg11 < PT_SEG11__COUNT ? ctx->rfm.rows[r].seg11 : -1;
    }
    case F_STAGE: {
        int32_t r = ctx->lc_row ? ctx->lc_row[i] : -1;
        return r >= 0 ? ctx->lc.rows[r].stage : -1;
    }
    case F_TIER: {
        if (!snap->has_accounts || snap->member_tier[i] < 0 || !ctx->tier_rank)
            return ctx->ntiers ? 0 : -1; /* no account yet: the ladder's first tier */
        return ctx->tier_rank[snap->member_tier[i]];
    }
    default:
        *consent = snap->member_consent[i];
        return 0;
    }
}

static int test_str(const struct node *n, const pt_audience_ctx *ctx, size_t i, const struct value *v)
{
    uint32_t consent = 0;
    int have = str_value(n, ctx, i, &consent);
    int eq = n->field == F_CONSENT ? (consent & PT_CONSENT_BIT(v->id)) != 0 : have >= 0 && have == v->id;
    if (n->kind == N_IN)
        return eq;
    if (n->field == F_TIER && n->op != OP_EQ && n->op != OP_NE)
        return have >= 0 && cmp_num(n->op, have, v->id);
    return n->op == OP_NE ? !eq : eq;
}

static int eval(const pt_audience *a, int k, const pt_audience_ctx *ctx, size_t i, int *res)
{
    const struct node *n = &a->nodes[k];
    int rc, x;
    switch (n->kind) {
    case N_OR:
    case N_AND:
        if ((rc = eval(a, n->a, ctx, i, &x)))
            return rc;
        if (n->kind == N_OR ? x : !x) {
            *res = x;
            return PT_OK;
        }
        return eval(a, n->b, ctx, i, res);
    case N_NOT:
        if ((rc = eval(a, n->a, ctx, i, &x)))
            return rc;
        *res = !x;
        return PT_OK;
    default:
        break;
    }
    int hit = 0;
    if (is_string_field(n->field)) {
        for (int j = 0; j < n->nvalues && !hit; j++)
            hit = test_str(n, ctx, i, &n->v[j]);
    } else {
        double v;
        int has;
        if ((rc = num_value(n, ctx, i, &v, &has)))
            return rc;
        for (int j = 0; j < n->nvalues && !hit && has; j++)
            hit = n->kind == N_IN ? v == n->v[j].num : cmp_num(n->op, v, n->v[j].num);
    }
    *res = n->kind == N_IN && n->negate ? !hit : hit;
    return PT_OK;
}

int pt_audience_match(const pt_audience *a, const pt_audience_ctx *ctx, size_t i, int *match)
{
    *match = 0;
    if (!a->bound)
        return PT_EINVAL;
    const pt_snapshot *snap = ctx->snap;
    if (pt_snapshot_member_use(snap, i) != PT_SNAP_USE || snap->member_status[i] != PT_MEMBER_ACTIVE)
        return PT_OK;
    if (ctx->channel >= 0 && !(snap->member_consent[i] & PT_CONSENT_BIT(ctx->channel)))
        return PT_OK;
    return eval(a, a->root, ctx, i, match);
}

int pt_audience_select(const pt_audience *a, const pt_audience_ctx *ctx, int64_t **ids, size_t **idx, size_t *n)
{
    const pt_snapshot *snap = ctx->snap;
    *ids = NULL;
    if (idx)
        *idx = NULL;
    *n = 0;
    int64_t *v = malloc((snap->nmembers ? snap->nmembers : 1) * sizeof *v);
    size_t *w = idx ? malloc((snap->nmembers ? snap->nmembers : 1) * sizeof *w) : NULL;
    if (!v || (idx && !w)) {
        free(v);
        free(w);
        return PT_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < snap->nmembers; i++) {
        int m, rc = pt_audience_match(a, ctx, i, &m);
        if (rc) {
            free(v);
            free(w);
            return rc;
        }
        if (!m)
            continue;
        if (w)
            w[k] = i;
        v[k++] = snap->member_id[i];
    }
    *ids = v;
    if (idx)
        *idx = w;
    *n = k;
    return PT_OK;
}

/* --- context ------------------------------------------------------------------------------ */

/* row_of[i] = the row of rows (ascending member ids, a subset of the snapshot's) for member i. */
static int32_t *row_map(const pt_snapshot *snap, const void *rows, size_t nrows, size_t stride)
{
    int32_t *m = malloc((snap->nmembers ? snap->nmembers : 1) * sizeof *m);
    if (!m)
        return NULL;
    size_t r = 0;
    for (size_t i = 0; i < snap->nmembers; i++) {
        m[i] = -1;
        while (r < nrows && *(const int64_t *)((const char *)rows + r * stride) < snap->member_id[i])
            r++;
        if (r < nrows && *(const int64_t *)((const char *)rows + r * stride) == snap->member_id[i])
            m[i] = (int32_t)r;
    }
    return m;
}

int pt_audience_ctx_prepare(pt_audience_ctx *ctx, const pt_snapshot *snap, int64_t as_of)
{
    pt_audience_ctx keep = *ctx;
    memset(ctx, 0, sizeof *ctx);
    ctx->snap = snap;
    ctx->as_of = as_of;
    ctx->store = keep.store;
    ctx->tier_order = keep.tier_order;
    ctx->ntiers = keep.ntiers;
    ctx->scores = keep.scores;
    ctx->nscores = keep.nscores;
    ctx->channel = keep.channel;
    pt_rfm_opts ro;
    pt_rfm_opts_init(&ro, as_of);
    ro.threads = 1;
    int rc = pt_rfm_compute(&ctx->rfm, snap, &ro);
    pt_lifecycle_opts lo;
    pt_lifecycle_opts_init(&lo);
    pt_lifecycle_thresholds th;
    if (rc == PT_OK)
        rc = pt_lifecycle_derive(&th, snap, &lo, as_of);
    if (rc == PT_OK)
        rc = pt_lifecycle_compute(&ctx->lc, snap, as_of, &th);
    if (rc == PT_OK) {
        ctx->rfm_row = row_map(snap, ctx->rfm.rows, ctx->rfm.nrows, sizeof *ctx->rfm.rows);
        ctx->lc_row = row_map(snap, ctx->lc.rows, ctx->lc.nrows, sizeof *ctx->lc.rows);
        ctx->tier_rank = malloc((snap->ntier_names ? snap->ntier_names : 1) * sizeof *ctx->tier_rank);
        if (!ctx->rfm_row || !ctx->lc_row || !ctx->tier_rank)
            rc = PT_ENOMEM;
    }
    for (size_t t = 0; rc == PT_OK && t < snap->ntier_names; t++) {
        ctx->tier_rank[t] = -1;
        for (size_t k = 0; k < ctx->ntiers; k++)
            if (strcmp(snap->tier_names[t], ctx->tier_order[k]) == 0)
                ctx->tier_rank[t] = (int32_t)k;
    }
    if (rc)
        pt_audience_ctx_free(ctx);
    return rc;
}

void pt_audience_ctx_free(pt_audience_ctx *ctx)
{
    pt_rfm_free(&ctx->rfm);
    pt_lifecycle_free(&ctx->lc);
    free(ctx->rfm_row);
    free(ctx->lc_row);
    free(ctx->tier_rank);
    ctx->rfm_row = ctx->lc_row = ctx->tier_rank = NULL;
}

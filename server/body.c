/* body.c — request bodies: one JSON object whose fields are declared by the route. Everything
 * else is refused with the field named: not JSON (invalid_json, with line and column), not an
 * object, a field the route does not know (unknown_field), a missing required field
 * (missing_field), a wrong type (invalid_type), a value out of range (out_of_range). Integers
 * must be JSON integers (jansson keeps them as exact 64-bit values): 1.0 and "1" are refused,
 * so points and cents are never rounded. Duplicate keys are refused (which one would win is
 * not obvious to a client), and so is \u0000 in strings (jansson's default), which would cut a C
 * string short further down. No state; fuzzed by tests/fuzz/fuzz_body.c.
 */
#include "server_int.h"

#include <stdio.h>
#include <string.h>

static const struct srv_field *field_of(const struct srv_field *f, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(f[i].name, name) == 0)
            return &f[i];
    return NULL;
}

static const char *type_name(enum srv_ftype t)
{
    switch (t) {
    case F_INT: return "an integer";
    case F_STR: return "a string";
    case F_BOOL: return "true or false";
    case F_INT_ARRAY: return "an array of integers";
    case F_OBJ_ARRAY: return "an array of objects";
    }
    return "?";
}

static int check_object(json_t *in, const struct srv_field *fields, int nfields, const char *prefix,
                        const char **code, char *field, size_t field_cap, char *msg, size_t msg_cap);

static int check_value(const struct srv_field *f, json_t *v, const char *prefix, const char **code, char *field,
                       size_t field_cap, char *msg, size_t msg_cap)
{
    switch (f->type) {
    case F_INT:
        if (!json_is_integer(v))
            break;
        if (json_integer_value(v) < f->min || json_integer_value(v) > f->max) {
            *code = "out_of_range";
            snprintf(msg, msg_cap, "%s%s must be between %lld and %lld", prefix, f->name, (long long)f->min,
                     (long long)f->max);
            return -1;
        }
        return 0;
    case F_STR: {
        if (!json_is_string(v))
            break;
        size_t n = json_string_length(v); /* no NUL inside: jansson refuses \u0000 by default */
        if ((int64_t)n < f->min || (int64_t)n > f->max) {
            *code = "out_of_range";
            snprintf(msg, msg_cap, "%s%s must be %lld to %lld bytes long", prefix, f->name, (long long)f->min,
                     (long long)f->max);
            return -1;
        }
        return 0;
    }
    case F_BOOL:
        if (!json_is_boolean(v))
            break;
        return 0;
    case F_INT_ARRAY: {
        if (!json_is_array(v) || json_array_size(v) > (size_t)f->max)
            break;
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            if (!json_is_integer(e) || json_integer_value(e) < f->min || json_integer_value(e) > 100000) {
                *code = "invalid_type";
                snprintf(msg, msg_cap, "%s%s must be an array of at most %lld integers ≥ %lld", prefix, f->name,
                         (long long)f->max, (long long)f->min);
                return -1;
            }
        }
        return 0;
    }
    case F_OBJ_ARRAY: {
        if (!json_is_array(v))
            break;
        if ((int64_t)json_array_size(v) < f->min || (int64_t)json_array_size(v) > f->max) {
            *code = "out_of_range";
            snprintf(msg, msg_cap, "%s%s must have %lld to %lld items", prefix, f->name, (long long)f->min,
                     (long long)f->max);
            return -1;
        }
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            char sub[96];
            snprintf(sub, sizeof sub, "%s%s[%zu].", prefix, f->name, i);
            if (!json_is_object(e)) {
                *code = "invalid_type";
                snprintf(field, field_cap, "%s%s[%zu]", prefix, f->name, i);
                snprintf(msg, msg_cap, "%s%s[%zu] must be an object", prefix, f->name, i);
                return -2; /* field already set */
            }
            if (check_object(e, f->sub, f->nsub, sub, code, field, field_cap, msg, msg_cap) != 0)
                return -2;
        }
        return 0;
    }
    }
    *code = "invalid_type";
    snprintf(msg, msg_cap, "%s%s must be %s", prefix, f->name, type_name(f->type));
    return -1;
}

/* Checks one object against its fields; field names are reported with prefix ("lines[2]."). */
static int check_object(json_t *in, const struct srv_field *fields, int nfields, const char *prefix,
                        const char **code, char *field, size_t field_cap, char *msg, size_t msg_cap)
{
    const char *k;
    json_t *v;
    json_object_foreach(in, k, v) {
        const struct srv_field *f = field_of(fields, nfields, k);
        if (!f) {
            *code = "unknown_field";
            snprintf(field, field_cap, "%s%s", prefix, k);
            snprintf(msg, msg_cap, "unknown field (%s%s takes %d field%s)", prefix[0] ? "each of " : "this request",
                     prefix, nfields, nfields == 1 ? "" : "s");
            return -1;
        }
        int rc = check_value(f, v, prefix, code, field, field_cap, msg, msg_cap);
        if (rc == -1)
            snprintf(field, field_cap, "%s%s", prefix, k);
        if (rc)
            return -1;
    }
    for (int i = 0; i < nfields; i++)
        if (fields[i].required && !json_object_get(in, fields[i].name)) {
            *code = "missing_field";
            snprintf(field, field_cap, "%s%s", prefix, fields[i].name);
            snprintf(msg, msg_cap, "%s%s is required", prefix, fields[i].name);
            return -1;
        }
    return 0;
}

json_t *srv_body_parse(const char *body, size_t len, const struct srv_field *fields, int nfields,
                       const char **code, char *field, size_t field_cap, char *msg, size_t msg_cap)
{
    json_error_t err;
    field[0] = 0;
    if (len == 0) { /* no body: the same as {} (every field absent) */
        body = "{}";
        len = 2;
    }
    json_t *in = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
    if (!in) {
        *code = "invalid_json";
        snprintf(msg, msg_cap, "the body is not valid JSON: %s (line %d, column %d)", err.text, err.line, err.column);
        return NULL;
    }
    if (!json_is_object(in)) {
        *code = "invalid_json";
        snprintf(msg, msg_cap, "the body must be a JSON object");
        json_decref(in);
        return NULL;
    }
    if (check_object(in, fields, nfields, "", code, field, field_cap, msg, msg_cap) != 0) {
        json_decref(in);
        return NULL;
    }
    return in;
}

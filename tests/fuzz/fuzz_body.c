/* fuzz_body.c — libFuzzer target for the server's request-body parser (server/body.c).
 *
 * The input is a request body, parsed against a field list like the routes' (an integer with
 * a range, bounded strings, a boolean, an integer array). Checks what the parser promises: it
 * returns either an object holding only declared fields, each of its declared type and within
 * range, with every required field present — or NULL with a code from the documented set, a
 * NUL-terminated message and, for field errors, the field's name. Any broken promise aborts.
 *
 * FUZZ_SOURCES: server/body.c
 * FUZZ_PKGS: jansson libmicrohttpd
 */
#include "../../server/server_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                           \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "fuzz_body: check failed: %s (line %d)\n", #cond, __LINE__);     \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

static const struct srv_field line_fields[] = {
    {"sku", F_STR, 1, 1, 63, NULL, 0},
    {"qty", F_INT, 1, 1, 1000000, NULL, 0},
};

static const struct srv_field fields[] = {
    {"points", F_INT, 1, 1, 1000000000, NULL, 0},
    {"delta", F_INT, 0, -1000, 1000, NULL, 0},
    {"note", F_STR, 0, 0, 159, NULL, 0},
    {"phone", F_STR, 0, 1, 40, NULL, 0},
    {"consent_sms", F_BOOL, 0, 0, 0, NULL, 0},
    {"lines", F_INT_ARRAY, 0, 1, 1000, NULL, 0},
    {"items", F_OBJ_ARRAY, 0, 1, 50, line_fields, 2},
};
#define NFIELDS ((int)(sizeof fields / sizeof *fields))

static const struct srv_field *field_of(const char *name)
{
    for (int i = 0; i < NFIELDS; i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

static void check_value(const struct srv_field *f, json_t *v);

static void check_object(const struct srv_field *fs, int n, json_t *o)
{
    const char *k;
    json_t *v;
    CHECK(json_is_object(o));
    json_object_foreach(o, k, v) {
        const struct srv_field *f = NULL;
        for (int i = 0; i < n; i++)
            if (strcmp(fs[i].name, k) == 0)
                f = &fs[i];
        CHECK(f != NULL);
        check_value(f, v);
    }
    for (int i = 0; i < n; i++)
        CHECK(!fs[i].required || json_object_get(o, fs[i].name));
}

static void check_value(const struct srv_field *f, json_t *v)
{
    switch (f->type) {
    case F_INT:
        CHECK(json_is_integer(v));
        CHECK(json_integer_value(v) >= f->min && json_integer_value(v) <= f->max);
        break;
    case F_STR:
        CHECK(json_is_string(v));
        CHECK((int64_t)json_string_length(v) >= f->min && (int64_t)json_string_length(v) <= f->max);
        CHECK(strlen(json_string_value(v)) == json_string_length(v));
        break;
    case F_BOOL:
        CHECK(json_is_boolean(v));
        break;
    case F_INT_ARRAY: {
        CHECK(json_is_array(v) && json_array_size(v) <= (size_t)f->max);
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) CHECK(json_is_integer(e) && json_integer_value(e) >= f->min);
        break;
    }
    case F_OBJ_ARRAY: {
        CHECK(json_is_array(v) && json_array_size(v) >= (size_t)f->min && json_array_size(v) <= (size_t)f->max);
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) check_object(f->sub, f->nsub, e);
        break;
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const codes[] = {"invalid_json", "unknown_field", "missing_field", "invalid_type", "out_of_range"};
    const char *code = NULL;
    char field[64], msg[512];
    memset(field, 'x', sizeof field);
    memset(msg, 'x', sizeof msg);
    json_t *in = srv_body_parse((const char *)data, size, fields, NFIELDS, &code, field, sizeof field, msg, sizeof msg);
    if (!in) {
        int known = 0;
        for (size_t i = 0; code && i < sizeof codes / sizeof *codes; i++)
            known |= strcmp(code, codes[i]) == 0;
        CHECK(known);
        CHECK(memchr(msg, 0, sizeof msg) != NULL);
        CHECK(memchr(field, 0, sizeof field) != NULL);
        /* field errors name the field (an unknown field may be the empty key "") */
        CHECK(strcmp(code, "invalid_json") == 0 || strcmp(code, "unknown_field") == 0 || field[0] != 0);
        return 0;
    }
    CHECK(json_is_object(in));
    const char *k;
    json_t *v;
    json_object_foreach(in, k, v) {
        const struct srv_field *f = field_of(k);
        CHECK(f != NULL);
        check_value(f, v);
    }
    CHECK(json_object_get(in, "points") != NULL);
    json_decref(in);
    return 0;
}

/* config.c — DIR/config.json: load over defaults, save, survivorship rule names.
 * Invariant: a pt_config is always complete (pt_config_default first, then overrides). */
#include "patron/config.h"
#include "patron/error.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char *const rule_names[] = {"most_recent", "most_trusted", "keep_existing"};

const char *pt_survive_rule_name(int rule)
{
    return rule >= 0 && rule <= PT_SURVIVE_KEEP_EXISTING ? rule_names[rule] : "?";
}

static int rule_parse(const char *s)
{
    for (int i = 0; i <= PT_SURVIVE_KEEP_EXISTING; i++)
        if (strcmp(s, rule_names[i]) == 0)
            return i;
    return -1;
}

void pt_config_default(pt_config *c)
{
    static const char *const trust[] = {"store", "app", "eshop", "mini"};
    memset(c, 0, sizeof *c);
    snprintf(c->timezone, sizeof c->timezone, "Asia/Shanghai");
    c->tz_offset_s = 8 * 3600;
    snprintf(c->default_cc, sizeof c->default_cc, "86");
    c->rule[PT_F_NAME] = PT_SURVIVE_MOST_TRUSTED;
    c->rule[PT_F_PHONE] = PT_SURVIVE_MOST_RECENT;
    c->rule[PT_F_EMAIL] = PT_SURVIVE_MOST_RECENT;
    c->rule[PT_F_BIRTHDAY] = PT_SURVIVE_MOST_TRUSTED;
    c->rule[PT_F_ADDRESS] = PT_SURVIVE_MOST_RECENT;
    c->rule[PT_F_GENDER] = PT_SURVIVE_MOST_TRUSTED;
    c->rule[PT_F_REGION] = PT_SURVIVE_MOST_RECENT;
    for (size_t i = 0; i < sizeof trust / sizeof *trust; i++)
        snprintf(c->trust[c->ntrust++], PT_LABEL_MAX, "%s", trust[i]);
}

int pt_config_trust_rank(const pt_config *c, const char *source)
{
    for (int i = 0; i < c->ntrust; i++)
        if (strcmp(c->trust[i], source) == 0)
            return i;
    return c->ntrust;
}

static int load_rules(pt_config *c, json_t *fields, char *errmsg, size_t len)
{
    const char *key;
    json_t *v;
    json_object_foreach(fields, key, v) {
        int f = pt_field_parse(key);
        int r = json_is_string(v) ? rule_parse(json_string_value(v)) : -1;
        if (f < 0 || r < 0) {
            snprintf(errmsg, len, "survivorship.fields.%s: expected a profile field and one of "
                     "most_recent, most_trusted, keep_existing", key);
            return PT_EINVAL;
        }
        c->rule[f] = r;
    }
    return PT_OK;
}

static int load_trust(pt_config *c, json_t *trust, char *errmsg, size_t len)
{
    size_t i;
    json_t *v;
    c->ntrust = 0;
    json_array_foreach(trust, i, v) {
        if (!json_is_string(v) || i >= PT_TRUST_MAX ||
            strlen(json_string_value(v)) >= PT_LABEL_MAX) {
            snprintf(errmsg, len, "survivorship.trust[%zu]: expected a source name (at most %d)",
                     i, PT_TRUST_MAX);
            return PT_EINVAL;
        }
        snprintf(c->trust[c->ntrust++], PT_LABEL_MAX, "%s", json_string_value(v));
    }
    return PT_OK;
}

int pt_config_load(pt_config *c, const char *path, char *errmsg, size_t errmsg_len)
{
    pt_config_default(c);
    FILE *f = fopen(path, "rb");
    if (!f)
        return PT_OK;
    json_error_t jerr;
    json_t *root = json_loadf(f, 0, &jerr);
    fclose(f);
    if (!root || !json_is_object(root)) {
        snprintf(errmsg, errmsg_len, "%s:%d: %s", path, jerr.line, root ? "expected an object" : jerr.text);
        json_decref(root);
        return PT_EPARSE;
    }
    int rc = PT_OK;
    json_t *v = json_object_get(root, "timezone");
    if (json_is_string(v))
        snprintf(c->timezone, sizeof c->timezone, "%s", json_string_value(v));
    v = json_object_get(root, "utc_offset_seconds");
    if (json_is_integer(v))
        c->tz_offset_s = (int)json_integer_value(v);
    v = json_object_get(root, "default_country_code");
    if (json_is_string(v))
        snprintf(c->default_cc, sizeof c->default_cc, "%s", json_string_value(v));
    json_t *surv = json_object_get(root, "survivorship");
    if (json_is_object(json_object_get(surv, "fields")))
        rc = load_rules(c, json_object_get(surv, "fields"), errmsg, errmsg_len);
    if (rc == PT_OK && json_is_array(json_object_get(surv, "trust")))
        rc = load_trust(c, json_object_get(surv, "trust"), errmsg, errmsg_len);
    json_decref(root);
    return rc;
}

int pt_config_save(const pt_config *c, const char *path)
{
    json_t *fields = json_object();
    json_t *trust = json_array();
    for (int f = 0; f < PT_F__COUNT; f++)
        json_object_set_new(fields, pt_field_name(f), json_string(pt_survive_rule_name(c->rule[f])));
    for (int i = 0; i < c->ntrust; i++)
        json_array_append_new(trust, json_string(c->trust[i]));
    json_t *root = json_pack("{s:s, s:i, s:s, s:{s:o, s:o}}", "timezone", c->timezone,
                             "utc_offset_seconds", c->tz_offset_s, "default_country_code",
                             c->default_cc, "survivorship", "trust", trust, "fields", fields);
    int rc = root && json_dump_file(root, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 ? PT_OK : PT_EIO;
    json_decref(root);
    return rc;
}

/* config.h — per-data-directory settings, kept in DIR/config.json: the tenant's time zone
 * offset, the default country code for phone numbers, and the survivorship rules that decide
 * which value of a profile field wins when sources disagree (and when members merge).
 *
 * Rules per field: "most_recent" (the newer observation wins), "most_trusted" (the source
 * earlier in the trust list wins; equal trust → most recent), "keep_existing" (the first
 * non-empty value stays). An empty value never replaces a non-empty one.
 */
#ifndef PATRON_CONFIG_H
#define PATRON_CONFIG_H

#include "patron/types.h"

#include <stddef.h>

enum pt_survive_rule {
    PT_SURVIVE_MOST_RECENT = 0,
    PT_SURVIVE_MOST_TRUSTED = 1,
    PT_SURVIVE_KEEP_EXISTING = 2,
};

#define PT_TRUST_MAX 16

typedef struct pt_config {
    char timezone[64];             /* display name, e.g. "Asia/Shanghai" */
    int  tz_offset_s;              /* seconds east of UTC for zone-less local times */
    char default_cc[8];            /* country calling code for bare phone numbers */
    int  rule[PT_F__COUNT];        /* enum pt_survive_rule per pt_field */
    char trust[PT_TRUST_MAX][PT_LABEL_MAX]; /* most trusted source first */
    int  ntrust;
} pt_config;

void pt_config_default(pt_config *c);
/* Loads path over the defaults; a missing file leaves the defaults. Errors name the key. */
int  pt_config_load(pt_config *c, const char *path, char *errmsg, size_t errmsg_len);
int  pt_config_save(const pt_config *c, const char *path);
/* Position of source in the trust list (0 = most trusted); ntrust if absent. */
int  pt_config_trust_rank(const pt_config *c, const char *source);
const char *pt_survive_rule_name(int rule);

#endif

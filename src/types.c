/* types.c — names for the shared enums in types.h (identifier kinds, profile fields, member
 * status), used by import column maps, JSON output and error messages. */
#include "patron/types.h"

#include <string.h>

static const char *const id_kind_names[] = {
    [PT_ID_PHONE] = "phone",         [PT_ID_EMAIL] = "email",
    [PT_ID_UNIONID] = "unionid",     [PT_ID_OPENID] = "openid",
    [PT_ID_APP_USER] = "app_user_id", [PT_ID_STORE_CARD] = "store_card",
    [PT_ID_ESHOP] = "eshop_account",
};

static const char *const field_names[PT_F__COUNT] = {
    [PT_F_NAME] = "name",         [PT_F_PHONE] = "phone",   [PT_F_EMAIL] = "email",
    [PT_F_BIRTHDAY] = "birthday", [PT_F_ADDRESS] = "address", [PT_F_GENDER] = "gender",
    [PT_F_REGION] = "region",
};

const char *pt_id_kind_name(int kind)
{
    if (kind < PT_ID_PHONE || kind > PT_ID__LAST)
        return NULL;
    return id_kind_names[kind];
}

int pt_id_kind_parse(const char *s)
{
    for (int k = PT_ID_PHONE; k <= PT_ID__LAST; k++)
        if (strcmp(s, id_kind_names[k]) == 0)
            return k;
    return 0;
}

int pt_id_kind_is_strong(int kind)
{
    return kind == PT_ID_PHONE || kind == PT_ID_EMAIL || kind == PT_ID_UNIONID;
}

const char *pt_field_name(int field)
{
    if (field < 0 || field >= PT_F__COUNT)
        return "?";
    return field_names[field];
}

int pt_field_parse(const char *s)
{
    for (int f = 0; f < PT_F__COUNT; f++)
        if (strcmp(s, field_names[f]) == 0)
            return f;
    return -1;
}

const char *pt_member_status_name(int status)
{
    switch (status) {
    case PT_MEMBER_ACTIVE:
        return "active";
    case PT_MEMBER_FROZEN:
        return "frozen";
    case PT_MEMBER_ERASED:
        return "erased";
    default:
        return "unknown";
    }
}

/* types.h — small shared vocabulary: limits, member status, consent bits, identifier kinds,
 * profile fields. Time is UTC epoch seconds (int64_t); money is integer cents (int64_t). */
#ifndef PATRON_TYPES_H
#define PATRON_TYPES_H

#include <stdint.h>

#define PT_LABEL_MAX     32  /* source, channel, store, event kind, survey name (incl. NUL) */
#define PT_MEMBER_NO_MAX 16  /* public member number (incl. NUL) */
#define PT_ORDER_NO_MAX  64
#define PT_SKU_MAX       64
#define PT_CATEGORY_MAX  64
#define PT_REGION_MAX    64
#define PT_BLIND_LEN     32  /* keyed blind index of an identifier */
#define PT_FILE_MAX      256

enum pt_member_status {
    PT_MEMBER_ACTIVE = 1,
    PT_MEMBER_FROZEN = 2,
    PT_MEMBER_ERASED = 3,
};

enum pt_consent_kind {
    PT_CONSENT_SMS = 0,
    PT_CONSENT_EMAIL = 1,
    PT_CONSENT_ANALYTICS = 2,
    PT_CONSENT__COUNT
};
#define PT_CONSENT_BIT(k) (1u << (k))

/* Channel identifiers. Phone, email and unionid are strong (they identify a person across
 * channels); the others identify an account within one channel. Every kind is unique: one
 * value belongs to at most one member. */
enum pt_id_kind {
    PT_ID_PHONE = 1,
    PT_ID_EMAIL = 2,
    PT_ID_UNIONID = 3,
    PT_ID_OPENID = 4,
    PT_ID_APP_USER = 5,
    PT_ID_STORE_CARD = 6,
    PT_ID_ESHOP = 7,
    PT_ID__LAST = PT_ID_ESHOP
};

/* Profile fields, each with survivorship provenance. The first five are personal data:
 * encrypted at rest, never logged. */
enum pt_field {
    PT_F_NAME = 0,
    PT_F_PHONE,
    PT_F_EMAIL,
    PT_F_BIRTHDAY,
    PT_F_ADDRESS,
    PT_F_GENDER,
    PT_F_REGION,
    PT_F__COUNT
};
#define PT_F__PERSONAL_COUNT 5

enum pt_order_status {
    PT_ORDER_PAID = 1,
    PT_ORDER_REFUNDED = 2,
    PT_ORDER_CANCELLED = 3,
};

const char *pt_id_kind_name(int kind);       /* "phone", … ; NULL if unknown */
int         pt_id_kind_parse(const char *s); /* 0 if unknown */
int         pt_id_kind_is_strong(int kind);
const char *pt_field_name(int field);        /* "name", … */
int         pt_field_parse(const char *s);   /* -1 if unknown */
const char *pt_member_status_name(int status);

#endif

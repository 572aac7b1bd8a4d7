/* member.h — member records: profile fields with provenance, status, consent; look-ups by
 * number or by any identifier; erasure (right to be forgotten) and export (right of access).
 *
 * A pt_member is the decrypted, in-memory view of one member. It holds personal data in clear
 * and that member's data key: keep it only as long as needed and always end with
 * pt_member_wipe (which zeroes it). It is caller-owned and has no heap parts.
 *
 * Member numbers are public: ten digits, the last a Luhn check digit. A member that was merged
 * away keeps its number; looking it up finds the survivor.
 */
#ifndef PATRON_MEMBER_H
#define PATRON_MEMBER_H

#include "patron/buf.h"
#include "patron/crypt.h"
#include "patron/db.h"
#include "patron/normalize.h"
#include "patron/types.h"

#include <stdint.h>

#define PT_NAME_MAX    128
#define PT_ADDRESS_MAX 256
#define PT_VALUE_MAX   256 /* longest profile field or identifier value, incl. NUL */

typedef struct pt_field_src {
    char    source[PT_LABEL_MAX]; /* "" when the field was never set */
    int64_t at;                   /* when that source observed the value */
} pt_field_src;

typedef struct pt_member {
    int64_t      id;
    char         member_no[PT_MEMBER_NO_MAX];
    int          status;
    int64_t      registered_at;
    char         reg_channel[PT_LABEL_MAX];
    uint32_t     consent;
    int64_t      consent_at[PT_CONSENT__COUNT];
    int64_t      merged_into;
    int64_t      created_at;
    int64_t      updated_at;
    /* profile: empty string = unknown */
    char         name[PT_NAME_MAX];
    char         phone[PT_PHONE_MAX];
    char         email[PT_EMAIL_MAX + 1];
    char         birthday[PT_DATE_MAX];
    char         address[PT_ADDRESS_MAX];
    char         gender[2];           /* "F", "M" or "" */
    char         region[PT_REGION_MAX];
    pt_field_src src[PT_F__COUNT];
    /* private: the member's data key while loaded */
    pt_data_key  key;
    int          has_key;
    uint8_t      key_wrapped[96];     /* as stored: the data key sealed by the master key */
    size_t       key_wrapped_len;
} pt_member;

/* Text buffer of a profile field and its capacity, for generic code (survivorship, import). */
char *pt_member_field(pt_member *m, int field, size_t *cap);

void pt_member_init(pt_member *m);
void pt_member_wipe(pt_member *m);

/* Creates a member from m's profile (id, number, key assigned here); m is updated in place. */
int pt_member_create(pt_db *db, pt_member *m);
/* Loads by id (exactly that row, even if merged away). */
int pt_member_load(pt_db *db, int64_t id, pt_member *m);
/* Writes m's profile, status and consent back, re-sealing personal fields. */
int pt_member_save(pt_db *db, pt_member *m);

/* Loads the member with this number, following merges to the survivor; *redirected (if not
 * NULL) is set when the number belonged to a merged-away member. */
int pt_member_get_by_no(pt_db *db, const char *member_no, pt_member *m, int *redirected);
/* The internal id of exactly the row with this number (no redirect); PT_ENOTFOUND if none. */
int pt_member_id_of_no(pt_db *db, const char *member_no, int64_t *id);
/* The id of the member a number stands for, following merges to the survivor (as
 * pt_member_get_by_no, without loading the profile); *redirected (may be NULL) is set when the
 * number was merged away. PT_ENOTFOUND if no member has the number. */
int pt_member_resolve_no(pt_db *db, const char *member_no, int64_t *id, int *redirected);
/* Finds the member holding identifier `kind` with raw value (normalised here, so any common
 * phone form works). PT_EPARSE if the value is not a valid identifier of that kind. */
int pt_member_find(pt_db *db, int kind, const char *raw, pt_member *m);
/* Normalises an identifier value of `kind` into out (cap bytes). */
int pt_identifier_normalise(const pt_db *db, int kind, const char *raw, char *out, size_t cap, char *why);

int pt_member_set_status(pt_db *db, int64_t id, int status);
int pt_member_set_consent(pt_db *db, int64_t id, int kind, int given, int64_t at);

/* Right to erasure: for the member and every member merged into it, destroys the data key,
 * personal fields and identifiers; orders, events and surveys stay as anonymous totals. */
int pt_member_erase(pt_db *db, int64_t id);
/* Right of access: everything Patron holds on the member (profile, provenance, identifiers,
 * orders with items, events, surveys, merges) as a JSON document appended to out. */
int pt_member_export_json(pt_db *db, int64_t id, pt_buf *out);
/* A summary for `patron member show`: profile (masked unless reveal), identifiers, totals. */
int pt_member_show_json(pt_db *db, int64_t id, int reveal, pt_buf *out);

/* Computes the public number for an internal id. */
void pt_member_no_for_id(int64_t id, char out[PT_MEMBER_NO_MAX]);

/* An identifier value masked as `patron member show` masks it: a phone keeps its country part
 * and last four digits (+86138****8000), an e-mail its first letter and domain, anything else
 * its first character. */
void pt_identifier_mask(int kind, const char *value, char *out, size_t cap);

#endif

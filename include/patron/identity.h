/* identity.h — channel identifiers → members, resolution of imported records, merge/unmerge.
 *
 * Identifier values are normalised (phones to E.164, emails lower-cased) before they are
 * blind-indexed, so every common spelling of one phone finds the same member. Each identifier
 * belongs to at most one member.
 *
 * Resolution of an incoming record: every identifier it carries is looked up. None known → a
 * new member. One member → the record attaches to it. Several members → they are the same
 * person: all merge into the oldest (lowest id), then the record attaches. Profile values pass
 * through the survivorship rules of the config (config.h); a disagreement between two
 * non-empty values is a conflict, recorded with the rule that decided.
 *
 * A merge moves the loser's identifiers (re-sealed under the survivor's key), orders, events
 * and surveys to the survivor, fills the survivor's empty or losing fields from the loser, and
 * keeps a merge record (what moved, which fields were taken, the survivor's fields before) so
 * pt_member_unmerge can restore both members.
 */
#ifndef PATRON_IDENTITY_H
#define PATRON_IDENTITY_H

#include "patron/db.h"
#include "patron/member.h"

#include <stdint.h>

#define PT_RESOLVE_MAX_IDS 8

typedef struct pt_ident {
    int64_t id;
    int     kind;                  /* enum pt_id_kind */
    char    value[PT_VALUE_MAX];   /* normalised, clear (memory only) */
    char    source[PT_LABEL_MAX];
    int64_t added_at;
} pt_ident;

typedef int (*pt_ident_cb)(void *ud, const pt_ident *id);

/* Member id holding (kind, normalised value); PT_ENOTFOUND if none. */
int pt_identity_lookup(pt_db *db, int kind, const char *normalised, int64_t *member_id);
/* Gives m the identifier; 0 if it is now (or already was) m's; PT_EEXIST with *owner set if
 * another member holds it. */
int pt_identity_attach(pt_db *db, pt_member *m, int kind, const char *normalised,
                       const char *source, int64_t at, int64_t *owner);
/* m's identifiers in clear, in the order they were added. */
int pt_identity_list(pt_db *db, const pt_member *m, pt_ident_cb cb, void *ud);

typedef struct pt_profile_in {
    pt_member   m;              /* incoming profile: empty string = absent; consent below */
    uint32_t    consent_given;  /* PT_CONSENT_BIT set: the record states consent was given */
    uint32_t    consent_known;  /* PT_CONSENT_BIT set: the record states this flag at all */
    pt_ident    ids[PT_RESOLVE_MAX_IDS];
    int         nids;
    const char *source;
    int64_t     observed_at;    /* when the source saw this record */
    int64_t     import_run;     /* 0 outside an import */
} pt_profile_in;

typedef struct pt_resolve_out {
    int64_t member_id;
    int     created;   /* 1 if a new member was created */
    int     attached;  /* 1 if the record attached to an existing member */
    int     merged;    /* members merged away while resolving this record */
    int     conflicts; /* fields where two non-empty values disagreed */
} pt_resolve_out;

/* Resolves one incoming record (see above). Runs in a savepoint: on error nothing of it stays.
 * The caller wipes in->m afterwards. */
int pt_identity_resolve(pt_db *db, pt_profile_in *in, pt_resolve_out *out);

/* Creates a new member from a record that carries no identifier (in->nids must be 0; with
 * identifiers, resolve it): profile and consent as pt_identity_resolve applies them. */
int pt_identity_create(pt_db *db, pt_profile_in *in, pt_resolve_out *out);
/* Merges loser into survivor; reason names the linking identifiers, never their values. */
int pt_member_merge(pt_db *db, int64_t survivor_id, int64_t loser_id, const char *reason,
                    int64_t import_run, int64_t *merge_id);
/* Undoes a merge from its record: identifiers, orders, events and surveys go back, fields the
 * merge took from the loser are restored on the survivor unless changed since. */
int pt_member_unmerge(pt_db *db, int64_t merge_id);

/* The merge in force that merged loser_id away; PT_ENOTFOUND if it is not merged. */
int pt_member_merge_of(pt_db *db, int64_t loser_id, int64_t *merge_id);

#endif

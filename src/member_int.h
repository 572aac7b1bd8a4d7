/* member_int.h — internals of member.c shared with identity.c. */
#ifndef PATRON_MEMBER_INT_H
#define PATRON_MEMBER_INT_H

#include "patron/member.h"

#include <jansson.h>

/* Opens a JSON document sealed under m's data key. The clear bytes are wiped; the parsed
 * object (which jansson does not wipe) belongs to the caller, who should decref it promptly. */
int pt__member_unseal_json(const pt_member *m, const pt_buf *sealed, json_t **out);

#endif

/* buf.h — growable byte buffer with a hard maximum (after curl's dynbuf).
 *
 * A pt_buf is owned by whoever declared it; pt_buf_init cannot fail and allocates nothing.
 * Appends that would exceed `max` fail with PT_ETOOBIG and leave the contents unchanged.
 * The data is always NUL-terminated after a successful append (the NUL is not counted in len),
 * so text can be used as a C string. pt_buf_free releases the memory and resets to empty.
 */
#ifndef PATRON_BUF_H
#define PATRON_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct pt_buf {
    uint8_t *data; /* NULL until the first append */
    size_t   len;  /* bytes in use, excluding the trailing NUL */
    size_t   cap;  /* bytes allocated */
    size_t   max;  /* largest len allowed */
} pt_buf;

#define PT_BUF_DEFAULT_MAX ((size_t)64 << 20)

void pt_buf_init(pt_buf *b, size_t max);
int  pt_buf_append(pt_buf *b, const void *p, size_t n);
int  pt_buf_append_str(pt_buf *b, const char *s);
int  pt_buf_appendf(pt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int  pt_buf_set(pt_buf *b, const void *p, size_t n);
void pt_buf_reset(pt_buf *b); /* len = 0, keeps memory */
void pt_buf_free(pt_buf *b);
/* Zeroes the memory before freeing it: for buffers that held keys or personal data. */
void pt_buf_wipe(pt_buf *b);
const char *pt_buf_str(const pt_buf *b); /* "" when empty */

#endif

/* buf.c — growable buffer with a maximum. Invariant: len <= max, len < cap when data != NULL,
 * data[len] == 0. Failed appends leave the buffer unchanged. */
#include "patron/buf.h"
#include "patron/error.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pt_buf_init(pt_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : PT_BUF_DEFAULT_MAX;
}

static int buf_reserve(pt_buf *b, size_t extra)
{
    if (extra > b->max - b->len)
        return PT_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return PT_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p)
        return PT_ENOMEM;
    b->data = p;
    b->cap = cap;
    return PT_OK;
}

int pt_buf_append(pt_buf *b, const void *p, size_t n)
{
    int rc = buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return PT_OK;
}

int pt_buf_append_str(pt_buf *b, const char *s)
{
    return pt_buf_append(b, s, strlen(s));
}

int pt_buf_appendf(pt_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return PT_EINVAL;
    int rc = buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return PT_OK;
}

int pt_buf_set(pt_buf *b, const void *p, size_t n)
{
    if (n > b->max)
        return PT_ETOOBIG;
    b->len = 0;
    return pt_buf_append(b, p, n);
}

void pt_buf_reset(pt_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = 0;
}

void pt_buf_free(pt_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void pt_buf_wipe(pt_buf *b)
{
    if (b->data)
        sodium_memzero(b->data, b->cap);
    pt_buf_free(b);
}

const char *pt_buf_str(const pt_buf *b)
{
    return b->data ? (const char *)b->data : "";
}

/* reco_model.c — the recommender model file: writing it, and reading it back with full
 * validation (it is a parser of untrusted bytes; tests/fuzz/fuzz_reco_model.c fuzzes it).
 *
 * Format (docs/reco.md, "Model file"), every integer little-endian, every real an IEEE-754
 * binary64 in little-endian byte order:
 *   "PTRECO01"                      8-byte magic
 *   u32 version (1), u32 kind, u32 nitems, u32 neighbours, u32 factors, u32 reserved (0)
 *   u64 seed, f64 lambda, f64 alpha, f64 blend_weight
 *   nitems × { u8 len (1–63), code; u8 len (0–63), category }   codes distinct, no NUL
 *   nitems × f64 popularity (≥ 0)
 *   cosine, bm25, blend: u32 nnb, (nitems + 1) × u32 offsets, nnb × u32 item, nnb × f64 sim
 *   als, blend:          nitems × factors × f64, item-major
 *   u64 FNV-1a 64 of every byte before it
 * Nothing may follow. The parser checks each field as it reads it, sizes against the bytes that
 * remain before allocating (so a short file never causes a large allocation), and the checksum
 * last; the first fault is reported as "offset N: FIELD: reason" and nothing is returned.
 */
#include "reco_int.h"
#include "patron/error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC "PTRECO01"
#define VERSION 1u

static int has_knn(int kind)
{
    return kind == PT_RECO_COSINE || kind == PT_RECO_BM25 || kind == PT_RECO_BLEND;
}

static int has_als(int kind)
{
    return kind == PT_RECO_ALS || kind == PT_RECO_BLEND;
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* --- writing ------------------------------------------------------------------------------ */
struct out {
    uint8_t *p;
    size_t   len, cap;
    int      nomem;
};

static void put(struct out *o, const void *src, size_t n)
{
    if (o->nomem)
        return;
    if (o->len + n > o->cap) {
        size_t cap = (o->cap + n) * 2;
        uint8_t *p = realloc(o->p, cap);
        if (!p) {
            o->nomem = 1;
            return;
        }
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, src, n);
    o->len += n;
}

static void put_u64(struct out *o, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put(o, b, 8);
}

static void put_u32(struct out *o, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put(o, b, 4);
}

static void put_f64(struct out *o, double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    put_u64(o, v);
}

static void put_str(struct out *o, const char *s)
{
    uint8_t n = (uint8_t)strlen(s);
    put(o, &n, 1);
    put(o, s, n);
}

static void encode(const pt_reco_model *md, struct out *o)
{
    put(o, MAGIC, 8);
    uint32_t head[6] = {VERSION, (uint32_t)md->kind, md->nitems, has_knn(md->kind) ? md->neighbours : 0,
                        has_als(md->kind) ? md->factors : 0, 0};
    for (int i = 0; i < 6; i++)
        put_u32(o, head[i]);
    put_u64(o, md->seed);
    put_f64(o, md->lambda);
    put_f64(o, md->alpha);
    put_f64(o, md->blend_weight);
    for (uint32_t i = 0; i < md->nitems; i++) {
        put_str(o, md->code[i]);
        put_str(o, md->category[i]);
    }
    for (uint32_t i = 0; i < md->nitems; i++)
        put_f64(o, md->pop[i]);
    if (has_knn(md->kind)) {
        uint32_t nnb = md->nb_first[md->nitems];
        put_u32(o, nnb);
        for (uint32_t i = 0; i <= md->nitems; i++)
            put_u32(o, md->nb_first[i]);
        for (uint32_t e = 0; e < nnb; e++)
            put_u32(o, md->nb_item[e]);
        for (uint32_t e = 0; e < nnb; e++)
            put_f64(o, md->nb_sim[e]);
    }
    if (has_als(md->kind))
        for (size_t k = 0; k < (size_t)md->nitems * md->factors; k++)
            put_f64(o, md->item_factors[k]);
    if (!o->nomem)
        put_u64(o, fnv1a(o->p, o->len));
}

int pt_reco_model_save(const pt_reco_model *md, const char *path, char *errmsg, size_t errmsg_len)
{
    struct out o = {0};
    encode(md, &o);
    if (o.nomem) {
        free(o.p);
        snprintf(errmsg, errmsg_len, "%s: out of memory", path);
        return PT_ENOMEM;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(o.p, 1, o.len, f) == o.len;
    ok = f && fflush(f) == 0 && ok && fsync(fileno(f)) == 0;
    if (f && fclose(f) != 0)
        ok = 0;
    if (ok && rename(tmp, path) != 0)
        ok = 0;
    if (!ok) {
        snprintf(errmsg, errmsg_len, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
    }
    free(o.p);
    return ok ? PT_OK : PT_EIO;
}

/* --- reading ------------------------------------------------------------------------------ */
struct in {
    const uint8_t *p;
    size_t         len, pos;
    char          *err;
    size_t         errlen;
    int            bad;
};

static int fail(struct in *r, const char *field, const char *why)
{
    if (!r->bad)
        snprintf(r->err, r->errlen, "offset %zu: %s: %s", r->pos, field, why);
    r->bad = 1;
    return PT_EPARSE;
}

static int need(struct in *r, size_t n, const char *field)
{
    if (r->bad)
        return PT_EPARSE;
    return r->len - r->pos < n ? fail(r, field, "file ends early") : PT_OK;
}

static uint64_t get_u64(struct in *r, const char *field)
{
    if (need(r, 8, field))
        return 0;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | r->p[r->pos + (size_t)i];
    r->pos += 8;
    return v;
}

static uint32_t get_u32(struct in *r, const char *field)
{
    if (need(r, 4, field))
        return 0;
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | r->p[r->pos + (size_t)i];
    r->pos += 4;
    return v;
}

static double get_f64(struct in *r, const char *field)
{
    uint64_t v = get_u64(r, field);
    double d;
    memcpy(&d, &v, sizeof d);
    if (!r->bad && !isfinite(d)) {
        r->pos -= 8;
        fail(r, field, "not a finite number");
        return 0;
    }
    return d;
}

static void get_str(struct in *r, char *dst, size_t cap, size_t minlen, const char *field)
{
    if (need(r, 1, field))
        return;
    size_t n = r->p[r->pos];
    if (n < minlen || n >= cap) {
        fail(r, field, minlen ? "length must be 1 to 63" : "length must be 0 to 63");
        return;
    }
    r->pos++;
    if (need(r, n, field))
        return;
    if (memchr(r->p + r->pos, 0, n)) {
        fail(r, field, "holds a NUL byte");
        return;
    }
    memcpy(dst, r->p + r->pos, n);
    dst[n] = 0;
    r->pos += n;
}

/* Fixed header fields into md; checks each against its range. */
static void read_header(struct in *r, pt_reco_model *md, uint32_t *nitems)
{
    if (need(r, 8, "magic"))
        return;
    if (memcmp(r->p, MAGIC, 8) != 0) {
        fail(r, "magic", "not a Patron recommender model (expected PTRECO01)");
        return;
    }
    r->pos = 8;
    if (get_u32(r, "version") != VERSION && !r->bad) {
        r->pos -= 4;
        fail(r, "version", "unsupported version (this program reads 1)");
    }
    uint32_t kind = get_u32(r, "kind");
    if (!r->bad && !pt_reco_kind_name((int)kind) && (r->pos -= 4, 1))
        fail(r, "kind", "unknown model kind (1 to 5)");
    md->kind = (int)kind;
    *nitems = get_u32(r, "nitems");
    if (!r->bad && *nitems > PT_RECO_ITEMS_MAX && (r->pos -= 4, 1))
        fail(r, "nitems", "more than 16,777,216 items");
    md->neighbours = get_u32(r, "neighbours");
    int nb_ok = has_knn(md->kind) ? md->neighbours >= 1 && md->neighbours <= PT_RECO_NEIGHBOURS_MAX : md->neighbours == 0;
    if (!r->bad && !nb_ok && (r->pos -= 4, 1))
        fail(r, "neighbours", has_knn(md->kind) ? "must be 1 to 10000" : "must be 0 for this kind");
    md->factors = get_u32(r, "factors");
    int f_ok = has_als(md->kind) ? md->factors >= 1 && md->factors <= PT_RECO_FACTORS_MAX : md->factors == 0;
    if (!r->bad && !f_ok && (r->pos -= 4, 1))
        fail(r, "factors", has_als(md->kind) ? "must be 1 to 512" : "must be 0 for this kind");
    if (get_u32(r, "reserved") != 0 && !r->bad && (r->pos -= 4, 1))
        fail(r, "reserved", "must be 0");
    md->seed = get_u64(r, "seed");
    md->lambda = get_f64(r, "lambda");
    if (!r->bad && has_als(md->kind) && !(md->lambda > 0) && (r->pos -= 8, 1))
        fail(r, "lambda", "must be > 0");
    md->alpha = get_f64(r, "alpha");
    if (!r->bad && !(md->alpha >= 0) && (r->pos -= 8, 1))
        fail(r, "alpha", "must be ≥ 0");
    md->blend_weight = get_f64(r, "blend_weight");
    if (!r->bad && !(md->blend_weight >= 0 && md->blend_weight <= 1) && (r->pos -= 8, 1))
        fail(r, "blend_weight", "must be 0 to 1");
}

static void read_items(struct in *r, pt_reco_model *md)
{
    for (uint32_t i = 0; i < md->nitems && !r->bad; i++) {
        get_str(r, md->code[i], sizeof md->code[i], 1, "item code");
        get_str(r, md->category[i], sizeof md->category[i], 0, "item category");
    }
    for (uint32_t i = 0; i < md->nitems && !r->bad; i++) {
        md->pop[i] = get_f64(r, "popularity");
        if (!r->bad && md->pop[i] < 0 && (r->pos -= 8, 1))
            fail(r, "popularity", "negative");
    }
    if (r->bad || reco__index_codes(md))
        return;
    for (uint32_t k = 1; k < md->nitems; k++)
        if (strcmp(md->code[md->by_code[k - 1]], md->code[md->by_code[k]]) == 0) {
            fail(r, "item code", "the same code twice");
            return;
        }
}

static int read_neighbours(struct in *r, pt_reco_model *md)
{
    uint32_t nnb = get_u32(r, "nnb");
    /* Each neighbour takes 12 bytes and the offsets 4·(nitems+1): refuse sizes the rest of the
     * file cannot hold before allocating anything. */
    if (!r->bad && (nnb > (r->len - r->pos) / 12 || (size_t)md->nitems + 1 > (r->len - r->pos) / 4))
        return fail(r, "nnb", "more neighbours than the file holds");
    if (r->bad)
        return PT_EPARSE;
    md->nb_first = malloc(((size_t)md->nitems + 1) * sizeof *md->nb_first);
    md->nb_item = malloc(((size_t)nnb + 1) * sizeof *md->nb_item);
    md->nb_sim = malloc(((size_t)nnb + 1) * sizeof *md->nb_sim);
    if (!md->nb_first || !md->nb_item || !md->nb_sim)
        return PT_ENOMEM;
    for (uint32_t i = 0; i <= md->nitems && !r->bad; i++) {
        md->nb_first[i] = get_u32(r, "neighbour offset");
        uint32_t prev = i ? md->nb_first[i - 1] : 0;
        int ok = i == 0 ? md->nb_first[0] == 0 : md->nb_first[i] >= prev && md->nb_first[i] - prev <= md->neighbours;
        if (!r->bad && (!ok || md->nb_first[i] > nnb || (i == md->nitems && md->nb_first[i] != nnb)) &&
            (r->pos -= 4, 1))
            fail(r, "neighbour offset", "offsets must start at 0, ascend by at most K and end at nnb");
    }
    for (uint32_t i = 0; i < md->nitems && !r->bad; i++)
        for (uint32_t e = md->nb_first[i]; e < md->nb_first[i + 1] && !r->bad; e++) {
            md->nb_item[e] = get_u32(r, "neighbour item");
            if (!r->bad && (md->nb_item[e] >= md->nitems || md->nb_item[e] == i) && (r->pos -= 4, 1))
                fail(r, "neighbour item", "out of range or the item itself");
        }
    for (uint32_t e = 0; e < nnb && !r->bad; e++) {
        md->nb_sim[e] = get_f64(r, "neighbour similarity");
        if (!r->bad && !(md->nb_sim[e] > 0) && (r->pos -= 8, 1))
            fail(r, "neighbour similarity", "must be > 0");
    }
    return r->bad ? PT_EPARSE : PT_OK;
}

static int read_factors(struct in *r, pt_reco_model *md)
{
    size_t n = (size_t)md->nitems * md->factors;
    if (n > (r->len - r->pos) / 8)
        return fail(r, "item factors", "file ends early");
    md->item_factors = malloc((n + 1) * sizeof *md->item_factors);
    if (!md->item_factors)
        return PT_ENOMEM;
    for (size_t k = 0; k < n && !r->bad; k++)
        md->item_factors[k] = get_f64(r, "item factor");
    return r->bad ? PT_EPARSE : reco__als_gram(md);
}

static int read_trailer(struct in *r)
{
    size_t body = r->pos;
    uint64_t sum = get_u64(r, "checksum");
    if (r->bad)
        return PT_EPARSE;
    if (sum != fnv1a(r->p, body)) {
        r->pos = body;
        return fail(r, "checksum", "does not match the contents (the file is damaged)");
    }
    return r->pos != r->len ? fail(r, "end", "bytes after the checksum") : PT_OK;
}

int pt_reco_model_parse(pt_reco_model **out, const void *buf, size_t len, char *errmsg, size_t errmsg_len)
{
    *out = NULL;
    char dummy[8];
    struct in r = {.p = buf, .len = len, .err = errmsg ? errmsg : dummy, .errlen = errmsg ? errmsg_len : sizeof dummy};
    pt_reco_model head = {0};
    uint32_t nitems = 0;
    read_header(&r, &head, &nitems);
    /* Each item takes at least 10 bytes (two lengths and a popularity, a code byte). */
    if (!r.bad && nitems > (r.len - r.pos) / 10)
        fail(&r, "nitems", "more items than the file holds");
    if (r.bad)
        return PT_EPARSE;
    pt_reco_model *md = reco__model_new(nitems);
    if (!md)
        return PT_ENOMEM;
    md->kind = head.kind;
    md->neighbours = head.neighbours;
    md->factors = head.factors;
    md->seed = head.seed;
    md->lambda = head.lambda;
    md->alpha = head.alpha;
    md->blend_weight = head.blend_weight;
    read_items(&r, md);
    int rc = r.bad ? PT_EPARSE : md->by_code ? PT_OK : PT_ENOMEM;
    if (rc == PT_OK && has_knn(md->kind))
        rc = read_neighbours(&r, md);
    if (rc == PT_OK && has_als(md->kind))
        rc = read_factors(&r, md);
    if (rc == PT_OK)
        rc = read_trailer(&r);
    if (rc) {
        if (rc == PT_ENOMEM && errmsg)
            snprintf(errmsg, errmsg_len, "out of memory");
        pt_reco_model_free(md);
        return rc;
    }
    *out = md;
    return PT_OK;
}

int pt_reco_model_load(pt_reco_model **out, const char *path, char *errmsg, size_t errmsg_len)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errmsg, errmsg_len, "%s: %s", path, strerror(errno));
        return PT_EIO;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = PT_OK;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                rc = PT_ENOMEM;
                break;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (rc == PT_OK && ferror(f))
        rc = PT_EIO;
    fclose(f);
    char why[256] = "";
    if (rc == PT_OK)
        rc = pt_reco_model_parse(out, buf, len, why, sizeof why);
    else
        snprintf(why, sizeof why, "%s", rc == PT_EIO ? "read error" : "out of memory");
    if (rc)
        snprintf(errmsg, errmsg_len, "%s: %s", path, why);
    free(buf);
    return rc;
}

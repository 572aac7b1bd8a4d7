/* fuzz_reco_model.c — libFuzzer target for the recommender model file parser
 * (src/reco_model.c, pt_reco_model_parse) and, on every input that parses, recommending from it.
 *
 * Checks what the module promises: parse returns 0, PT_EPARSE or PT_ENOMEM; on failure nothing
 * is returned and the message is a NUL-terminated "offset N: …"; on success the model is
 * internally consistent (codes distinct and found by pt_reco_model_item, neighbour offsets
 * within bounds, neighbours in range and never the item itself, popularity ≥ 0), and
 * recommending for a history taken from the input returns at most n distinct, allowed items
 * that are not in the history. Any broken promise aborts. Each input is parsed twice: as given,
 * and with its last 8 bytes replaced by the right checksum, so that mutations reach every field
 * check behind the checksum.
 *
 * FUZZ_SOURCES: src/reco_model.c src/reco.c src/reco_als.c src/reco_knn.c src/reco_data.c src/snapshot_core.c src/error.c
 * FUZZ_PKGS: openblas
 */
#include "patron/error.h"
#include "patron/reco.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz_reco_model: check failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

static void check_model(const pt_reco_model *md)
{
    for (uint32_t i = 0; i < md->nitems; i++) {
        CHECK(md->code[i][0] != 0);
        CHECK(pt_reco_model_item(md, md->code[i]) == (int32_t)i);
        CHECK(md->pop[i] >= 0);
    }
    if (md->nb_first) {
        CHECK(md->nb_first[0] == 0);
        for (uint32_t i = 0; i < md->nitems; i++) {
            CHECK(md->nb_first[i + 1] >= md->nb_first[i]);
            for (uint32_t e = md->nb_first[i]; e < md->nb_first[i + 1]; e++)
                CHECK(md->nb_item[e] < md->nitems && md->nb_item[e] != i && md->nb_sim[e] > 0);
        }
    }
    CHECK((md->item_factors != NULL) == (md->factors > 0));
}

static void check_recommend(const pt_reco_model *md, const uint8_t *data, size_t size)
{
    int32_t hist[4];
    size_t nh = 0;
    for (size_t k = 0; k < 4 && k < size && md->nitems; k++) {
        int32_t it = (int32_t)(data[size - 1 - k] % md->nitems);
        int dup = 0;
        for (size_t j = 0; j < nh; j++)
            dup |= hist[j] == it;
        if (!dup)
            hist[nh++] = it;
    }
    pt_reco_history h = {.n = nh, .item = hist};
    pt_reco_pick out[8];
    size_t n = 0;
    int rc = pt_reco_recommend(md, &h, NULL, 8, out, &n);
    CHECK(rc == PT_OK || rc == PT_ECORRUPT || rc == PT_ENOMEM); /* ECORRUPT: factors not solvable */
    CHECK(n <= 8);
    for (size_t k = 0; rc == PT_OK && k < n; k++) {
        CHECK(out[k].item >= 0 && (uint32_t)out[k].item < md->nitems);
        for (size_t j = 0; j < nh; j++)
            CHECK(out[k].item != hist[j]);
        for (size_t j = 0; j < k; j++)
            CHECK(out[k].item != out[j].item);
    }
}

/* FNV-1a 64, as the file's trailer (src/reco_model.c). */
static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static void one(const uint8_t *data, size_t size)
{
    pt_reco_model *md = NULL;
    char err[256];
    memset(err, 'x', sizeof err);
    int rc = pt_reco_model_parse(&md, data, size, err, sizeof err);
    CHECK(rc == PT_OK || rc == PT_EPARSE || rc == PT_ENOMEM);
    if (rc != PT_OK) {
        CHECK(md == NULL);
        CHECK(memchr(err, 0, sizeof err) != NULL);
        CHECK(rc != PT_EPARSE || strncmp(err, "offset ", 7) == 0);
        return;
    }
    CHECK(md != NULL);
    check_model(md);
    check_recommend(md, data, size);
    pt_reco_model_free(md);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one(data, size);
    if (size < 8)
        return 0;
    uint8_t *fixed = malloc(size);
    if (!fixed)
        return 0;
    memcpy(fixed, data, size);
    uint64_t h = fnv1a(fixed, size - 8);
    for (int i = 0; i < 8; i++)
        fixed[size - 8 + (size_t)i] = (uint8_t)(h >> (8 * i));
    one(fixed, size);
    free(fixed);
    return 0;
}

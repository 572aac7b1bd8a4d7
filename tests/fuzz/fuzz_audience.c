/* fuzz_audience.c — libFuzzer target for the audience language (src/audience.c).
 *
 * Checks what the module promises: parse returns 0, PT_EPARSE or PT_ETOOBIG; a failure leaves
 * no audience and a message "line L, column C: …" with L and C ≥ 1, NUL-terminated; a parsed
 * audience binds against a context with a tier ladder and one score source (0 or PT_EPARSE
 * with the same message form — no store is given, so points_expiring_<N>d must be refused at
 * bind, never read) and, when bound, evaluates over a small fixed snapshot to 0 or 1 for every
 * member. Any broken promise aborts. The store is not linked: a stand-in for
 * pt_store_lot_list aborts if evaluation ever reaches it.
 *
 * FUZZ_SOURCES: src/audience.c src/rfm.c src/lifecycle.c src/snapshot_core.c src/tz.c src/normalize.c src/error.c src/buf.c
 * FUZZ_PKGS: icu-i18n icu-uc libsodium
 */
#include "patron/audience.h"
#include "patron/error.h"
#include "patron/store_ledger.h"
#include "patron/types.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                           \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "fuzz_audience: check failed: %s (line %d)\n", #cond, __LINE__);  \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

int pt_store_lot_list(pt_store *s, int64_t member_id, int open_only, pt_lot_cb cb, void *ud)
{
    (void)s, (void)member_id, (void)open_only, (void)cb, (void)ud;
    abort(); /* bind refuses expiring-points fields without a store */
}

static void check_msg(const char *msg)
{
    CHECK(memchr(msg, 0, 256) != NULL);
    int line = 0, col = 0;
    CHECK(sscanf(msg, "line %d, column %d:", &line, &col) == 2);
    CHECK(line >= 1 && col >= 1);
}

#define N 4
static int64_t ids[N] = {1, 2, 3, 4}, reg[N], merged[N], pts[N] = {0, 10, 500, 90};
static int32_t status[N] = {1, 1, 1, 1}, tier[N] = {0, 1, -1, 0};
static uint32_t consent[N] = {7, 4, 5, 6};
static size_t first[N + 1] = {0, 1, 3, 3, 4};
static int64_t oat[4] = {1700000000, 1690000000, 1720000000, 1600000000}, ocents[4] = {100, 200, 300, 400};
static int32_t ostatus[4] = {1, 1, 1, 1};
static char tiers[2][PT_LABEL_MAX] = {"normal", "gold"};
static const char *const ladder[] = {"normal", "silver", "gold"};

static int score(void *ud, const pt_snapshot *snap, size_t i, double *v)
{
    (void)ud;
    (void)snap;
    *v = (double)i / 4.0;
    return i != 2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    pt_audience *a = (pt_audience *)1;
    char msg[256];
    memset(msg, 'x', sizeof msg);
    int rc = pt_audience_parse(&a, text, msg, sizeof msg);
    CHECK(rc == PT_OK || rc == PT_EPARSE || rc == PT_ETOOBIG);
    if (rc) {
        CHECK(a == NULL);
        check_msg(msg);
        free(text);
        return 0;
    }
    CHECK(a != NULL);
    pt_snapshot snap = {.nmembers = N, .member_id = ids, .member_registered_at = reg, .member_merged_into = merged,
                        .member_status = status, .member_consent = consent, .first = first, .norders = 4,
                        .order_at = oat, .order_cents = ocents, .order_status = ostatus, .has_accounts = 1,
                        .member_points = pts, .member_pending = reg, .member_tier = tier, .ntier_names = 2,
                        .tier_names = tiers};
    pt_score_source src = {.name = "churn_risk", .score = score};
    pt_audience_ctx ctx = {.tier_order = ladder, .ntiers = 3, .scores = &src, .nscores = 1, .channel = -1};
    CHECK(pt_audience_ctx_prepare(&ctx, &snap, 1730000000) == PT_OK);
    rc = pt_audience_bind(a, &ctx, msg, sizeof msg);
    CHECK(rc == PT_OK || rc == PT_EPARSE);
    if (rc)
        check_msg(msg);
    for (size_t i = 0; rc == PT_OK && i < N; i++) {
        int m = -1;
        CHECK(pt_audience_match(a, &ctx, i, &m) == PT_OK);
        CHECK(m == 0 || m == 1);
    }
    pt_audience_ctx_free(&ctx);
    pt_audience_free(a);
    free(text);
    return 0;
}

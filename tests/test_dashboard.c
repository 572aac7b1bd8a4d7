/* test_dashboard.c — the dashboard in a real browser: runs web/test/browser.mjs, which builds
 * demo data, starts `patron serve` (this build's program, so under ASan+UBSan in `make test`)
 * and drives Debian's Chromium headless with playwright-core: every page renders with
 * non-empty charts whose numbers are the API's, the overview equals `patron kpi --json`, the
 * channel filter changes the numbers, the language switch changes the labels, member 360
 * search works (masked for an admin, no phone number for an analyst), no console errors, and
 * the server exits cleanly. Screenshots go to tests/artifacts/.
 *
 * Without node, Chromium or web/node_modules the test skips and says why — except with
 * CI=true, where a missing piece is a failure (the script exits 1 itself then). */
#include "test.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

TEST(dashboard_pages_render_in_chromium_with_the_apis_numbers)
{
    int ci = getenv("CI") && strcmp(getenv("CI"), "true") == 0;
    if (access("web/test/browser.mjs", R_OK) != 0)
        SKIP("web/test/browser.mjs not found (run the tests from the source tree)");
    if (system("command -v node >/dev/null 2>&1") != 0) {
        if (ci)
            PT__FAIL("node is not installed (CI=true: the browser test must run; scripts/install-deps)");
        SKIP("node is not installed (scripts/install-deps installs nodejs)");
    }
    char *out = NULL;
    int rc = pt_test_run(&out, "PATRON_BIN='%s' node web/test/browser.mjs 2>&1", pt_test_patron_bin());
    if (rc == 77) {
        char why[256] = "the browser test skipped";
        const char *s = out ? strstr(out, "SKIP: ") : NULL;
        if (s)
            snprintf(why, sizeof why, "%.*s", (int)strcspn(s + 6, "\n"), s + 6);
        free(out);
        SKIP(why);
    }
    if (rc != 0)
        fprintf(stderr, "%s\n", out ? out : "");
    /* the figure for bench/README.md, printed by the script */
    const char *t = out ? strstr(out, "overview page load") : NULL;
    if (t)
        fprintf(stderr, "    %.*s\n", (int)strcspn(t, "\n"), t);
    free(out);
    ASSERT_EQ(rc, 0);
}

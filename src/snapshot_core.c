/* snapshot_core.c — what every snapshot has, however it was built (from the store by
 * snapshot.c, from a transactions file by snapshot_csv.c, or by hand): how an analysis may use
 * a member, the name look-ups and freeing. Nothing here touches the store. */
#include "patron/snapshot.h"
#include "patron/types.h"

#include <stdlib.h>
#include <string.h>

/* The index of name among n fixed-width names, or −1: the finished snapshot keeps no hash. */
static int find_name(const char *names, size_t width, size_t n, const char *name)
{
    for (size_t k = 0; names && k < n; k++)
        if (strncmp(names + k * width, name, width) == 0)
            return (int)k;
    return -1;
}

int pt_snapshot_survey_kind(const pt_snapshot *s, const char *name)
{
    return find_name((const char *)s->survey_names, PT_LABEL_MAX, s->nsurvey_names, name);
}

int pt_snapshot_event_kind(const pt_snapshot *s, const char *name)
{
    return find_name((const char *)s->event_names, PT_LABEL_MAX, s->nevent_names, name);
}

int pt_snapshot_channel(const pt_snapshot *s, const char *name)
{
    return find_name((const char *)s->channel_names, PT_LABEL_MAX, s->nchannel_names, name);
}

int pt_snapshot_product(const pt_snapshot *s, const char *code)
{
    return find_name((const char *)s->product_code, PT_SKU_MAX, s->nproducts, code);
}

int pt_snapshot_category(const pt_snapshot *s, const char *name)
{
    return find_name((const char *)s->category_names, PT_CATEGORY_MAX, s->ncategories, name);
}

int pt_snapshot_member_use(const pt_snapshot *s, size_t i)
{
    if (s->member_merged_into[i])
        return PT_SNAP_MERGED;
    if (s->member_status[i] == PT_MEMBER_ERASED)
        return PT_SNAP_ERASED;
    if (!(s->member_consent[i] & PT_CONSENT_BIT(PT_CONSENT_ANALYTICS)))
        return PT_SNAP_NO_CONSENT;
    return PT_SNAP_USE;
}

long pt_snapshot_member_index(const pt_snapshot *s, int64_t id)
{
    size_t lo = 0, hi = s->nmembers;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->member_id[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->nmembers && s->member_id[lo] == id ? (long)lo : -1;
}

void pt_snapshot_free(pt_snapshot *s)
{
    if (!s)
        return;
    free(s->member_id);
    free(s->member_registered_at);
    free(s->member_merged_into);
    free(s->member_status);
    free(s->member_consent);
    free(s->first);
    free(s->order_at);
    free(s->order_cents);
    free(s->order_status);
    free(s->survey_first);
    free(s->survey_at);
    free(s->survey_score);
    free(s->survey_kind);
    free(s->survey_names);
    free(s->member_points);
    free(s->member_pending);
    free(s->member_tier);
    free(s->tier_names);
    free(s->order_channel);
    free(s->channel_names);
    free(s->item_first);
    free(s->item_product);
    free(s->item_qty);
    free(s->item_cents);
    free(s->product_code);
    free(s->product_name);
    free(s->product_category);
    free(s->category_names);
    free(s->event_first);
    free(s->event_at);
    free(s->event_kind);
    free(s->event_value);
    free(s->event_names);
    free(s->member_ext_id);
    free(s);
}


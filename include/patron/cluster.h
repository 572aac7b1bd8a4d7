/* cluster.h — personas (用户画像): k-means++ clustering of members on standardised behaviour
 * features, k chosen by the mean silhouette on a sample, and each cluster described in
 * numbers (size, revenue share, mean recency/frequency/monetary, top categories, channel mix)
 * and named in words (en and zh-CN) from its centroid (docs/personas.md).
 *
 * Rows: the members the snapshot may show (PT_SNAP_USE) with a paid order before as_of.
 * Features (log1p where heavy-tailed, then z-scored over the rows): recency days, paid orders,
 * paid cents, mean order cents, tenure days, mean days between orders, distinct categories,
 * channels used, events in the last 90 days.
 *
 * Determinism: every random choice (k-means++ seeding, the silhouette sample) comes from one
 * splitmix64 stream seeded by opts.seed, so a run is repeatable to the bit with the same
 * snapshot and options. Memory: pt_personas owns its arrays; pt_personas_free releases them.
 */
#ifndef PATRON_CLUSTER_H
#define PATRON_CLUSTER_H

#include "patron/snapshot.h"

#include <stddef.h>
#include <stdint.h>

enum pt_persona_feature {
    PT_PF_RECENCY,    /* log1p(days since the last paid order) */
    PT_PF_FREQUENCY,  /* log1p(paid orders) */
    PT_PF_MONETARY,   /* log1p(paid cents) */
    PT_PF_AOV,        /* log1p(mean cents per order) */
    PT_PF_TENURE,     /* log1p(days since registration or the first order) */
    PT_PF_GAP,        /* log1p(mean days between orders; 0 with one order) */
    PT_PF_CATEGORIES, /* log1p(distinct categories, products when none) */
    PT_PF_CHANNELS,   /* channels used */
    PT_PF_EVENTS,     /* log1p(events in the last 90 days) */
    PT_PF__COUNT
};
const char *pt_persona_feature_name(int f);

#define PT_PERSONAS_K_MAX   12
#define PT_PERSONAS_TOP_CAT 3
#define PT_PERSONAS_CHAN    8  /* channels reported in the mix; the rest add up in "other" */

typedef struct pt_personas_opts {
    int      k;            /* clusters; 0 = choose in k_min … k_max by silhouette */
    int      k_min, k_max; /* 2 … PT_PERSONAS_K_MAX */
    int      restarts;     /* k-means++ runs per k; the lowest inertia wins */
    int      max_iter;     /* Lloyd iterations per run */
    size_t   sample;       /* rows in the silhouette sample (all when fewer) */
    uint64_t seed;
} pt_personas_opts;

/* k 0, k 2 … 8, 5 restarts, 100 iterations, sample 2,000, seed 42. Cannot fail. */
void pt_personas_opts_init(pt_personas_opts *o);

typedef struct pt_persona {
    size_t  size;
    double  share;                    /* of the rows */
    double  revenue_share;            /* of the rows' paid cents */
    double  recency_days, orders, monetary_cents, aov_cents, tenure_days, gap_days, categories, channels, events;
                                      /* means over the members, in natural units */
    double  z[PT_PF__COUNT];          /* the centroid in standard units (0 = average member) */
    int     top_category[PT_PERSONAS_TOP_CAT]; /* category indexes by paid cents, −1 past the last */
    double  channel_share[PT_PERSONAS_CHAN];  /* share of the cluster's orders per channel index */
    char    key[32];                  /* "champions", "at_risk", … (unique within a result) */
    char    name_en[64];
    char    name_zh[64];
} pt_persona;

typedef struct pt_personas {
    int         k;
    pt_persona  persona[PT_PERSONAS_K_MAX];
    double      silhouette[PT_PERSONAS_K_MAX + 1]; /* [k] for every k tried, NaN otherwise */
    double      inertia;              /* within-cluster sum of squares of the chosen k */
    size_t      n;                    /* rows clustered */
    int64_t    *member_id;            /* [n] ascending */
    int        *cluster;              /* [n] persona index */
    size_t      sample;               /* rows in the silhouette sample */
    int64_t     as_of;
} pt_personas;

/* Clusters snap as of as_of. PT_EINVAL (bad options, fewer rows than 2·k), PT_ENOMEM. */
int  pt_personas_build(pt_personas *out, const pt_snapshot *snap, int64_t as_of, const pt_personas_opts *o);
void pt_personas_free(pt_personas *p);

/* --- the building blocks (exposed for tests and other features) ---------------------------- */
/* k-means++ on rows x[n × d] (row-major): assign[n] and centroids[k × d]; the best of
 * `restarts` runs by inertia, returned. Deterministic for a seed. −1 on bad input or no memory. */
double pt_kmeans(const double *x, size_t n, int d, int k, int restarts, int max_iter, uint64_t seed, int *assign,
                 double *centroids);
/* Mean silhouette of assign over rows x[n × d] (exact, O(n²·d)); NaN for fewer than 2 clusters. */
double pt_silhouette(const double *x, size_t n, int d, int k, const int *assign);

#endif

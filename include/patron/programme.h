/* programme.h — the loyalty programme definition: one JSON file a loyalty manager can read.
 *
 * pt_programme_parse reads the file into a pt_programme (all limits fixed-size: no ownership
 * beyond the struct itself, so copies are plain assignments) and checks every field. Each
 * problem is one pt_programme_issue with a JSON path ("tiers[2].threshold"), the offending
 * value as text (never personal data: a programme holds none) and a reason. Errors make the
 * parse fail; warnings (rules that can never fire, rules that conflict) do not.
 *
 * Units: points are integers; money is integer cents; rates are integers too — a multiplier
 * or percentage is in basis points of 1 (10000 = ×1.0, 15000 = ×1.5), so evaluation never
 * rounds through floating point. The programme's time zone (IANA name) decides days, months,
 * weekdays, member days and birthdays.
 *
 * The canonical text (pt_programme_canonical) is what the store keeps as a version: loading
 * the same definition twice yields the same text and the same version hash, and the canonical
 * text is itself a programme file: parsing it gives back the same programme.
 *
 * Time windows (rules' starts_at/ends_at, rewards' valid_from/valid_to) are half-open:
 * [start, end) — the start second is inside, the end second is not. Every multiplier is at
 * least ×1.0 (the file format, docs/programme.md, refuses less), so no rule takes points away.
 */
#ifndef PATRON_PROGRAMME_H
#define PATRON_PROGRAMME_H

#include "patron/buf.h"

#include <stddef.h>
#include <stdint.h>

#define PT_PROG_CODE_MAX   32   /* codes of tiers, rules, rewards (incl. NUL) */
#define PT_PROG_NAME_MAX   96   /* display names, UTF-8 (incl. NUL) */
#define PT_PROG_TZ_MAX     64
#define PT_PROG_TIERS_MAX  8
#define PT_PROG_RULES_MAX  64
#define PT_PROG_REWARDS_MAX 64
#define PT_PROG_MATCH_MAX  16   /* categories or SKUs one rule matches */
#define PT_BP_ONE          10000 /* basis points: ×1.0 */

enum pt_expiry_kind {
    PT_EXPIRY_NEVER = 0,
    PT_EXPIRY_DAYS = 1,        /* N days after earning, at the end of that local day */
    PT_EXPIRY_MONTHS = 2,      /* N months after earning, at the end of that local day */
    PT_EXPIRY_YEAR_END = 3,    /* end of the local calendar year of earning (年底清零); with
                                  n = k > 0, the end of the k-th year after it */
};

enum pt_redeem_order {
    PT_REDEEM_SOONEST_EXPIRING = 0, /* default; never-expiring lots last; ties: oldest first */
    PT_REDEEM_OLDEST = 1,
};

enum pt_refund_policy {
    PT_REFUND_NEGATIVE = 0,    /* spent points are clawed back; the balance may go negative */
    PT_REFUND_DEBT = 1,        /* the shortfall is recorded as debt, settled from future earns */
};

enum pt_qualify_basis {
    PT_QUALIFY_GROWTH = 0,     /* growth value (成长值) accumulated since the last review */
    PT_QUALIFY_SPEND_12M = 1,  /* net spend in cents over the rolling 12 months */
};

enum pt_rule_kind {
    PT_RULE_BASE = 1,          /* points per currency unit of each line (the base rate) */
    PT_RULE_CATEGORY = 2,      /* multiplier for lines in given categories */
    PT_RULE_SKU = 3,           /* multiplier for lines with given SKUs */
    PT_RULE_TIER = 4,          /* the member's tier multiplier (from the tier definition) */
    PT_RULE_WINDOW = 5,        /* multiplier inside a time window (campaign, double-points week) */
    PT_RULE_MEMBER_DAY = 6,    /* multiplier on a day of each month (e.g. the 8th) */
    PT_RULE_BIRTHDAY = 7,      /* bonus points or multiplier in the member's birthday month */
    PT_RULE_FIRST_PURCHASE = 8,/* bonus points on the member's first purchase */
    PT_RULE_CHECKIN = 9,       /* points per daily check-in, plus a streak bonus */
    PT_RULE_REVIEW = 10,       /* points per review */
    PT_RULE_SHARE = 11,        /* points per share */
};

typedef struct pt_tier_def {
    char    code[PT_PROG_CODE_MAX];    /* "normal", "silver", … */
    char    name_zh[PT_PROG_NAME_MAX]; /* 普通 / 银卡 / 金卡 / 钻石 */
    char    name_en[PT_PROG_NAME_MAX];
    int64_t threshold;                 /* growth value, or spend cents, to qualify */
    int64_t retain;                    /* needed at review to keep the tier (≤ threshold) */
    int32_t points_multiplier_bp;      /* earn multiplier for this tier */
    int32_t discount_bp;               /* price discount benefit, e.g. 500 = 5% off */
    int64_t birthday_gift_points;
    int     free_shipping;             /* 0/1 */
} pt_tier_def;

typedef struct pt_rule_def {
    char    code[PT_PROG_CODE_MAX];    /* unique within the programme; orders the trace */
    char    name[PT_PROG_NAME_MAX];
    int     kind;                      /* enum pt_rule_kind */
    int     priority;                  /* lower first among rules of one stage */
    int64_t starts_at, ends_at;        /* UTC epoch s, [starts_at, ends_at); 0 = unbounded */
    int32_t multiplier_bp;             /* for multiplier rules (PT_BP_ONE = no change) */
    int64_t points;                    /* for bonus rules; for BASE: points per unit */
    int64_t unit_cents;                /* for BASE: the currency unit (100 = ¥1) */
    int     day_of_month;              /* for MEMBER_DAY: 1–31 */
    int     streak_days;               /* for CHECKIN: every N consecutive days … */
    int64_t streak_points;             /* … adds this bonus */
    int     nmatch;                    /* categories (CATEGORY) or SKUs (SKU) */
    char    match[PT_PROG_MATCH_MAX][64];
    int     stackable;                 /* multiplier rules: 1 = multiplies with others of its
                                          kind, 0 = only the largest of its kind applies */
    int64_t daily_cap;                 /* max points this rule gives one member a day; 0 = none */
    int64_t budget;                    /* max points this rule gives in total; 0 = none */
    int64_t member_cap;                /* max points this rule gives one member in total (the
                                          per-campaign cap); 0 = none */
} pt_rule_def;

typedef struct pt_reward_def {
    char    code[PT_PROG_CODE_MAX];
    char    name[PT_PROG_NAME_MAX];
    int64_t cost_points;
    int64_t stock;                     /* initial stock; -1 = unlimited */
    int64_t per_member_limit;          /* 0 = none */
    char    min_tier[PT_PROG_CODE_MAX];/* "" = any tier */
    int64_t valid_from, valid_to;      /* UTC epoch s, [valid_from, valid_to); 0 = unbounded */
    int     is_coupon;                 /* 1: redeeming issues a coupon */
    int64_t coupon_value_cents;
    int     coupon_valid_days;
    int64_t coupon_min_spend_cents;    /* the coupon needs an order of at least this; 0 = any */
} pt_reward_def;

typedef struct pt_programme {
    char    name[PT_PROG_NAME_MAX];
    char    currency[4];               /* ISO 4217, e.g. "CNY" */
    char    timezone[PT_PROG_TZ_MAX];  /* IANA, e.g. "Asia/Shanghai" */

    /* points ledger */
    int     expiry_kind;               /* enum pt_expiry_kind */
    int     expiry_n;                  /* days, months or years as the kind says */
    int     redeem_order;              /* enum pt_redeem_order */
    int     pending_days;              /* return window: order points stay pending this long */
    int     refund_policy;             /* enum pt_refund_policy */
    int64_t points_per_payment_unit;   /* points as payment: this many points … */
    int64_t payment_unit_cents;        /* … pay this many cents (100 points = ¥1: 100, 100) */
    int32_t payment_max_bp;            /* at most this share of an order's amount */
    int64_t daily_points_cap;          /* all earn rules together, per member per local day; 0 = none */

    /* growth value and tiers */
    int     qualify_basis;             /* enum pt_qualify_basis */
    int64_t growth_per_unit;           /* growth value per currency unit spent … */
    int64_t growth_unit_cents;         /* … of this many cents */
    int64_t growth_checkin, growth_review, growth_share;
    int     review_months;             /* tier review period (12 = yearly) */
    int     downgrade_steps;           /* how many tiers a review may drop at most (≥ 1) */
    int     ntiers;                    /* ≥ 1; tiers[0] is the entry tier (threshold 0) */
    pt_tier_def tiers[PT_PROG_TIERS_MAX];

    /* earn rules, in file order */
    int         nrules;
    pt_rule_def rules[PT_PROG_RULES_MAX];

    /* rewards and referrals */
    int           nrewards;
    pt_reward_def rewards[PT_PROG_REWARDS_MAX];
    int64_t referral_referrer_points;  /* when the invitee makes a first purchase */
    int64_t referral_invitee_points;
} pt_programme;

enum pt_issue_severity { PT_ISSUE_ERROR = 1, PT_ISSUE_WARNING = 2 };

typedef struct pt_programme_issue {
    int  severity;                     /* enum pt_issue_severity */
    char path[96];                     /* JSON path, e.g. "tiers[2].threshold" */
    char value[96];                    /* the value as written (truncated), or "" */
    char reason[160];
} pt_programme_issue;

typedef struct pt_programme_report {
    int                 nissues;
    int                 nerrors;
    pt_programme_issue  issues[128];   /* the first 128; nissues counts them all */
} pt_programme_report;

/* Parses and checks a programme from JSON text. Returns 0, PT_EPARSE (not JSON: the report's
 * first issue has the line and column) or PT_EINVAL (some field is wrong: see the report).
 * Warnings alone do not fail. */
int pt_programme_parse(const char *json, size_t len, pt_programme *out, pt_programme_report *rep);
int pt_programme_load_file(const char *path, pt_programme *out, pt_programme_report *rep);

/* A deterministic JSON rendering of the programme (sorted keys, no whitespace variation); its
 * BLAKE2b-128 hex digest is the programme's version id. */
int pt_programme_canonical(const pt_programme *p, pt_buf *json, char version[33]);

/* Index of the tier with this code, or -1. */
int pt_programme_tier_index(const pt_programme *p, const char *code);
/* Index of the rule with this code, or -1. */
int pt_programme_rule_index(const pt_programme *p, const char *code);
/* "base", "category", … "share" as written in the file, or "?". */
const char *pt_rule_kind_name(int kind);
/* Basis points as the shortest exact decimal: 15000 → "1.5", 500 → "0.05"; returns buf. */
const char *pt_bp_str(int64_t bp, char buf[32]);
const pt_reward_def *pt_programme_reward(const pt_programme *p, const char *code);

/* Expiry of points earned at `earned_at` under the programme's policy (UTC epoch s of the
 * last second they are usable), or 0 when they never expire. Local days and years are the
 * programme's time zone's. (Also 0 if earned_at lies outside the years tz.h supports.) */
int64_t pt_programme_lot_expiry(const pt_programme *p, int64_t earned_at);

#endif

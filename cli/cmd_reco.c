/* cmd_reco.c — `patron reco train|for|evaluate`: personalised recommendations (reco.h).
 * Thin over libpatron: parse flags, load the snapshot (the store's, or --transactions FILE),
 * call the library, print text or --json (built with jansson, so item codes are escaped).
 *
 *   train     trains one model on every paid order (or those before --before DATE) and writes
 *             the model file (--out, default DATA/reco.model)
 *   for       the top --n items for one member, from --model-file (with the store, DATA/reco.model
 *             by default) or a model trained on the spot
 *   evaluate  every model (or --models a,b) on a time split (--split-date) or leave-last-basket-out
 */
#include "cli.h"
#include "tx_options.h"
#include "patron/error.h"
#include "patron/member.h"
#include "patron/reco.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct reco_args {
    const char   *out_file, *model_file, *before, *split, *exclude, *categories, *models;
    int           kind, json, include_bought;
    size_t        n, k;
    pt_reco_opts  o; /* the tuning flags, applied to every kind */
    int           set_factors, set_iter, set_nb, set_seed, set_alpha, set_lambda, set_blend, set_bm25;
    struct cli_tx tx;
};

static void reco_usage(void)
{
    printf("usage: patron reco train    [--model M] [--out FILE] [--before DATE] [tuning] [--json] [--transactions FILE …]\n"
           "       patron reco for MEMBER [--n 10] [--model-file FILE | --model M] [--include-bought]\n"
           "                            [--exclude CODE,…] [--category NAME,…] [--json] [--transactions FILE …]\n"
           "       patron reco evaluate [--split-date DATE] [--k 10] [--models M,…] [tuning] [--json]\n"
           "                            [--transactions FILE …]\n"
           "\n"
           "Recommendations from the member × item purchase matrix of paid orders.\n"
           "Models: popularity (baseline, cold start), cosine and bm25 (item-item co-purchase),\n"
           "als (implicit-feedback matrix factorisation), blend (bm25 + als).\n"
           "\n"
           "  --model M            model to train (default blend for train, bm25 for for)\n"
           "  --out FILE           train: the model file (default DATA/reco.model; required with a file)\n"
           "  --before DATE        train on orders before DATE (YYYY-MM-DD or @EPOCH)\n"
           "  --model-file FILE    for: a model written by reco train (default with the store:\n"
           "                       DATA/reco.model when it exists and --model is not given)\n"
           "  --n N                for: items to list (default 10)\n"
           "  --include-bought     for: allow items the member already bought\n"
           "  --exclude CODE,…     for: never list these items (out of stock, not eligible)\n"
           "  --category NAME,…    for: list only items of these categories\n"
           "  --split-date DATE    evaluate: train before DATE, test each member's new items from DATE;\n"
           "                       without it, leave-last-basket-out\n"
           "  --k K                evaluate: list length (default 10)\n"
           "  --models M,…         evaluate: these models only (default all; popularity always first)\n"
           "  tuning: --factors F (64) --iterations N (15) --alpha A (1) --lambda L (0.1) --seed S (42)\n"
           "          --neighbours K (100) --blend-weight W (0.5) --bm25-k1 K1 (1.2) --bm25-b B (0.75)\n"
           "          --threads N (ALS workers; default one per core, the same model for any N)\n"
           "  --json               machine-readable output\n");
    cli_tx_help();
    printf("\nDefinitions and measured figures: docs/reco.md.\n");
}

enum { O_OUT = 0x100, O_MODELFILE, O_BEFORE, O_SPLIT, O_EXCLUDE, O_CAT, O_MODELS, O_INCL, O_FACT, O_ITER, O_NB,
       O_SEED, O_ALPHA, O_LAMBDA, O_BLEND, O_K1, O_B, O_THREADS };

/* A tuning flag into a->o (validated); 1 when c was one. */
static int tuning(struct reco_args *a, int c, const char *arg, int *rc)
{
    double v = 0;
    switch (c) {
    case O_FACT: *rc = cli_number("--factors", arg, 1, PT_RECO_FACTORS_MAX, &v); a->o.factors = (uint32_t)v; a->set_factors = 1; return 1;
    case O_ITER: *rc = cli_number("--iterations", arg, 0, 1000, &v); a->o.iterations = (uint32_t)v; a->set_iter = 1; return 1;
    case O_NB: *rc = cli_number("--neighbours", arg, 1, PT_RECO_NEIGHBOURS_MAX, &v); a->o.neighbours = (uint32_t)v; a->set_nb = 1; return 1;
    case O_SEED: *rc = cli_number("--seed", arg, 0, 9007199254740992.0, &v); a->o.seed = (uint64_t)v; a->set_seed = 1; return 1;
    case O_ALPHA: *rc = cli_number("--alpha", arg, 0, 1e6, &a->o.alpha); a->set_alpha = 1; return 1;
    case O_LAMBDA: *rc = cli_number("--lambda", arg, 1e-9, 1e6, &a->o.lambda); a->set_lambda = 1; return 1;
    case O_BLEND: *rc = cli_number("--blend-weight", arg, 0, 1, &a->o.blend_weight); a->set_blend = 1; return 1;
    case O_K1: *rc = cli_number("--bm25-k1", arg, 1e-6, 1e6, &a->o.bm25_k1); a->set_bm25 = 1; return 1;
    case O_B: *rc = cli_number("--bm25-b", arg, 0, 1, &a->o.bm25_b); a->set_bm25 = 1; return 1;
    case O_THREADS: *rc = cli_number("--threads", arg, 0, PT_RECO_THREADS_MAX, &v); a->o.threads = (uint32_t)v; return 1;
    default: return 0;
    }
}

static int parse_args(int argc, char **argv, struct reco_args *a)
{
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},      {"out", required_argument, 0, O_OUT},
        {"model-file", required_argument, 0, O_MODELFILE}, {"before", required_argument, 0, O_BEFORE},
        {"split-date", required_argument, 0, O_SPLIT}, {"exclude", required_argument, 0, O_EXCLUDE},
        {"category", required_argument, 0, O_CAT}, {"models", required_argument, 0, O_MODELS},
        {"include-bought", no_argument, 0, O_INCL}, {"factors", required_argument, 0, O_FACT},
        {"iterations", required_argument, 0, O_ITER}, {"neighbours", required_argument, 0, O_NB},
        {"seed", required_argument, 0, O_SEED},    {"alpha", required_argument, 0, O_ALPHA},
        {"lambda", required_argument, 0, O_LAMBDA}, {"blend-weight", required_argument, 0, O_BLEND},
        {"bm25-k1", required_argument, 0, O_K1}, {"bm25-b", required_argument, 0, O_B},
        {"threads", required_argument, 0, O_THREADS},
        {"n", required_argument, 0, 'n'},          {"k", required_argument, 0, 'k'},
        {"json", no_argument, 0, 'j'},             {"help", no_argument, 0, 'h'},
        CLI_TX_LONGOPTS,                           {0, 0, 0, 0}};
    memset(a, 0, sizeof *a);
    a->n = a->k = 10;
    pt_reco_opts_init(&a->o, 0);
    int c, rc = EXIT_OK;
    double v;
    optind = 1;
    while (rc == EXIT_OK && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (cli_tx_option(&a->tx, c, optarg) || tuning(a, c, optarg, &rc))
            continue;
        switch (c) {
        case 'm':
            a->kind = pt_reco_kind_of(optarg);
            if (!a->kind) {
                cli_error("--model takes popularity, cosine, bm25, als or blend, not '%s'", optarg);
                rc = EXIT_USAGE;
            }
            break;
        case O_OUT: a->out_file = optarg; break;
        case O_MODELFILE: a->model_file = optarg; break;
        case O_BEFORE: a->before = optarg; break;
        case O_SPLIT: a->split = optarg; break;
        case O_EXCLUDE: a->exclude = optarg; break;
        case O_CAT: a->categories = optarg; break;
        case O_MODELS: a->models = optarg; break;
        case O_INCL: a->include_bought = 1; break;
        case 'n': rc = cli_number("--n", optarg, 1, 10000, &v); a->n = (size_t)v; break;
        case 'k': rc = cli_number("--k", optarg, 1, 10000, &v); a->k = (size_t)v; break;
        case 'j': a->json = 1; break;
        case 'h': reco_usage(); return -1;
        default: rc = EXIT_USAGE;
        }
    }
    return rc;
}

/* The tuning flags given on the command line, applied over kind's defaults. */
static pt_reco_opts opts_for(const struct reco_args *a, int kind)
{
    pt_reco_opts o;
    pt_reco_opts_init(&o, kind);
    if (a->set_factors) o.factors = a->o.factors;
    if (a->set_iter) o.iterations = a->o.iterations;
    if (a->set_nb) o.neighbours = a->o.neighbours;
    if (a->set_seed) o.seed = a->o.seed;
    if (a->set_alpha) o.alpha = a->o.alpha;
    if (a->set_lambda) o.lambda = a->o.lambda;
    if (a->set_blend) o.blend_weight = a->o.blend_weight;
    o.threads = a->o.threads;
    if (a->set_bm25) {
        o.bm25_k1 = a->o.bm25_k1;
        o.bm25_b = a->o.bm25_b;
    }
    return o;
}

static int lib_error(const char *what, int rc)
{
    cli_error("reco: %s: %s", what, pt_strerror(rc));
    return cli_exit_for(rc);
}

/* Trains kind on snap's orders before `before` (INT64_MAX: all). */
static int train_model(const struct reco_args *a, const pt_snapshot *snap, int kind, int64_t before,
                       pt_reco_model **md, size_t *users)
{
    pt_reco_window w = {.from = INT64_MIN, .before = before, .drop_last = 0};
    pt_reco_matrix m;
    int rc = pt_reco_matrix_build(&m, snap, &w);
    if (rc)
        return lib_error("building the purchase matrix", rc);
    pt_reco_opts o = opts_for(a, kind);
    rc = pt_reco_train(md, snap, &m, &o);
    *users = m.nusers;
    pt_reco_matrix_free(&m);
    return rc ? lib_error("training", rc) : EXIT_OK;
}

static int run_train(const struct reco_args *a, pt_db *db, const pt_snapshot *snap)
{
    char path[4096];
    if (!a->out_file && !db) {
        cli_error("reco train --transactions needs --out FILE");
        return EXIT_USAGE;
    }
    snprintf(path, sizeof path, "%s", a->out_file ? a->out_file : "");
    if (!a->out_file)
        snprintf(path, sizeof path, "%s/reco.model", cli_data_dir);
    int64_t before = INT64_MAX;
    if (a->before && cli_tx_date_arg(db, a->before, &before))
        return EXIT_USAGE;
    int kind = a->kind ? a->kind : PT_RECO_BLEND;
    pt_reco_model *md = NULL;
    size_t users = 0;
    int rc = train_model(a, snap, kind, before, &md, &users);
    char err[512];
    if (rc == EXIT_OK && pt_reco_model_save(md, path, err, sizeof err) != PT_OK) {
        cli_error("%s", err);
        rc = EXIT_STORE;
    }
    if (rc == EXIT_OK && a->json)
        printf("{\"model\":\"%s\",\"items\":%u,\"members\":%zu,\"factors\":%u,\"neighbours\":%u,\"file\":%s}\n",
               pt_reco_kind_name(kind), md->nitems, users, md->factors, md->nb_first ? md->neighbours : 0,
               cli_json_str(path));
    else if (rc == EXIT_OK)
        printf("trained %s on %s members × %s items; wrote %s\n", pt_reco_kind_name(kind), cli_num((int64_t)users),
               cli_num(md->nitems), path);
    pt_reco_model_free(md);
    return rc;
}

/* The snapshot index of MEMBER: the file's id as written (or its number), or a member number. */
static int find_member(pt_db *db, const pt_snapshot *snap, const char *arg, size_t *idx)
{
    int64_t id = -1;
    if (snap->member_ext_id) {
        for (size_t i = 0; i < snap->nmembers && id < 0; i++)
            if (strcmp(snap->member_ext_id[i], arg) == 0)
                id = snap->member_id[i];
        char *end;
        long long v = strtoll(arg, &end, 10);
        if (id < 0 && end != arg && *end == 0)
            id = v;
    } else if (pt_member_id_of_no(db, arg, &id) != PT_OK) {
        id = -1;
    }
    long lo = id < 0 ? -1 : pt_snapshot_member_index(snap, id);
    if (lo < 0) {
        cli_error("no member '%s'", arg);
        return EXIT_NOTFOUND;
    }
    if (pt_snapshot_member_use(snap, (size_t)lo) != PT_SNAP_USE) {
        cli_error("member '%s' is erased, merged away or without analytics consent: no recommendations", arg);
        return EXIT_NOTFOUND;
    }
    *idx = (size_t)lo;
    return EXIT_OK;
}

/* --exclude and --category into the filter. */
static int build_filter(const struct reco_args *a, const pt_reco_model *md, pt_reco_filter *f)
{
    if (pt_reco_filter_init(f, md))
        return lib_error("filter", PT_ENOMEM);
    f->include_bought = a->include_bought;
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", a->exclude ? a->exclude : "");
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        if (pt_reco_filter_block(f, md, tok) != PT_OK)
            fprintf(stderr, "patron: note: --exclude %s: no such item in the model\n", tok);
    if (a->categories) {
        const char *names[256];
        size_t n = 0;
        snprintf(buf, sizeof buf, "%s", a->categories);
        for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok && n < 256; tok = strtok_r(NULL, ",", &save))
            names[n++] = tok;
        pt_reco_filter_categories(f, md, names, n);
    }
    return EXIT_OK;
}

static void print_for(const struct reco_args *a, const pt_snapshot *snap, const pt_reco_model *md, const char *member,
                      const pt_reco_pick *p, size_t n, size_t nhist)
{
    if (a->json) {
        json_t *o = json_object(), *items = json_array();
        json_object_set_new(o, "member", json_string(member));
        json_object_set_new(o, "model", json_string(pt_reco_kind_name(md->kind)));
        json_object_set_new(o, "history_items", json_integer((json_int_t)nhist));
        for (size_t k = 0; k < n; k++) {
            json_t *it = json_object();
            int32_t prod = pt_snapshot_product(snap, md->code[p[k].item]);
            json_object_set_new(it, "item", json_string(md->code[p[k].item]));
            if (prod >= 0 && snap->product_name && snap->product_name[prod][0])
                json_object_set_new(it, "name", json_string(snap->product_name[prod]));
            json_object_set_new(it, "score", json_real(p[k].score));
            json_array_append_new(items, it);
        }
        json_object_set_new(o, "items", items);
        char *s = json_dumps(o, JSON_COMPACT);
        if (s)
            printf("%s\n", s);
        free(s);
        json_decref(o);
        return;
    }
    printf("member %s: %zu items bought; %s recommends\n", member, nhist, pt_reco_kind_name(md->kind));
    for (size_t k = 0; k < n; k++) {
        int32_t prod = pt_snapshot_product(snap, md->code[p[k].item]);
        printf("%3zu. %-14s %10.4f  %s\n", k + 1, md->code[p[k].item], p[k].score,
               prod >= 0 && snap->product_name ? snap->product_name[prod] : "");
    }
}

static int run_for(const struct reco_args *a, pt_db *db, const pt_snapshot *snap, const char *member)
{
    size_t idx;
    int rc = find_member(db, snap, member, &idx);
    pt_reco_model *md = NULL;
    size_t users;
    char err[512];
    /* With the store and neither --model-file nor --model, the model `reco train` wrote. */
    char saved[4096];
    const char *file = a->model_file;
    snprintf(saved, sizeof saved, "%s/reco.model", cli_data_dir);
    if (!file && !a->kind && db && access(saved, R_OK) == 0)
        file = saved;
    if (rc == EXIT_OK && file) {
        if (pt_reco_model_load(&md, file, err, sizeof err) != PT_OK) {
            cli_error("%s", err);
            rc = EXIT_DATA;
        }
    } else if (rc == EXIT_OK) {
        rc = train_model(a, snap, a->kind ? a->kind : PT_RECO_BM25, INT64_MAX, &md, &users);
    }
    int32_t *item = NULL;
    float *count = NULL;
    size_t nh = 0, nr = 0;
    pt_reco_filter f = {0};
    pt_reco_pick *p = malloc(a->n * sizeof *p);
    if (rc == EXIT_OK && !p)
        rc = lib_error("recommend", PT_ENOMEM);
    if (rc == EXIT_OK && pt_reco_history_of(md, snap, idx, NULL, &item, &count, &nh) != PT_OK)
        rc = lib_error("history", PT_ENOMEM);
    if (rc == EXIT_OK)
        rc = build_filter(a, md, &f);
    pt_reco_history h = {.n = nh, .item = item, .count = count};
    int lrc = rc == EXIT_OK ? pt_reco_recommend(md, &h, &f, a->n, p, &nr) : PT_OK;
    if (lrc)
        rc = lib_error("recommend", lrc);
    if (rc == EXIT_OK)
        print_for(a, snap, md, member, p, nr, nh);
    pt_reco_filter_free(&f);
    free(p);
    free(item);
    free(count);
    pt_reco_model_free(md);
    return rc;
}

/* --models a,b into o (popularity first, always: it is the baseline). */
static int eval_kinds(const struct reco_args *a, pt_reco_eval_opts *o)
{
    o->nkinds = 0;
    o->kinds[o->nkinds] = PT_RECO_POPULAR;
    o->opts[o->nkinds++] = opts_for(a, PT_RECO_POPULAR);
    if (!a->models) {
        for (int k = 2; k <= PT_RECO_KINDS; k++) {
            o->kinds[o->nkinds] = k;
            o->opts[o->nkinds++] = opts_for(a, k);
        }
        return EXIT_OK;
    }
    char buf[256];
    snprintf(buf, sizeof buf, "%s", a->models);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int k = pt_reco_kind_of(tok);
        if (!k) {
            cli_error("--models: unknown model '%s' (popularity, cosine, bm25, als, blend)", tok);
            return EXIT_USAGE;
        }
        int dup = 0;
        for (int j = 0; j < o->nkinds; j++)
            dup |= o->kinds[j] == k;
        if (!dup) {
            o->kinds[o->nkinds] = k;
            o->opts[o->nkinds++] = opts_for(a, k);
        }
    }
    return EXIT_OK;
}

static void print_eval(const struct reco_args *a, const pt_reco_eval_opts *o, const pt_reco_metrics *r,
                       const pt_reco_eval_info *in)
{
    if (a->json) {
        json_t *j = json_object(), *m = json_object();
        json_object_set_new(j, "split", a->split ? json_string(a->split) : json_string("last-basket"));
        json_object_set_new(j, "k", json_integer((json_int_t)o->k));
        json_object_set_new(j, "members_train", json_integer((json_int_t)in->users_train));
        json_object_set_new(j, "members_evaluated", json_integer((json_int_t)in->users_eval));
        json_object_set_new(j, "members_cold", json_integer((json_int_t)in->users_cold));
        json_object_set_new(j, "items_train", json_integer((json_int_t)in->items_train));
        for (int k = 0; k < o->nkinds; k++) {
            json_t *x = json_object();
            json_object_set_new(x, "hit_rate", json_real(r[k].hit_rate));
            json_object_set_new(x, "precision", json_real(r[k].precision));
            json_object_set_new(x, "recall", json_real(r[k].recall));
            json_object_set_new(x, "ndcg", json_real(r[k].ndcg));
            json_object_set_new(x, "coverage", json_real(r[k].coverage));
            json_object_set_new(x, "train_seconds", json_real(r[k].train_seconds));
            json_object_set_new(x, "recs_per_second", json_real(r[k].recs_per_second));
            json_object_set_new(m, pt_reco_kind_name(r[k].kind), x);
        }
        json_object_set_new(j, "methods", m);
        char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(6));
        if (s)
            printf("%s\n", s);
        free(s);
        json_decref(j);
        return;
    }
    printf("split %s, k = %zu: %s members evaluated (%s in training, %s cold with no history), %s training items\n",
           a->split ? a->split : "leave-last-basket-out", o->k, cli_num((int64_t)in->users_eval),
           cli_num((int64_t)in->users_train), cli_num((int64_t)in->users_cold), cli_num((int64_t)in->items_train));
    printf("%-11s %8s %9s %8s %8s %9s %9s %10s\n", "model", "hit@k", "prec@k", "recall@k", "ndcg@k", "coverage",
           "train s", "lists/s");
    for (int k = 0; k < o->nkinds; k++)
        printf("%-11s %8.4f %9.4f %8.4f %8.4f %9.4f %9.2f %10.0f\n", pt_reco_kind_name(r[k].kind), r[k].hit_rate,
               r[k].precision, r[k].recall, r[k].ndcg, r[k].coverage, r[k].train_seconds, r[k].recs_per_second);
}

static int run_evaluate(const struct reco_args *a, pt_db *db, const pt_snapshot *snap)
{
    pt_reco_eval_opts o;
    pt_reco_eval_opts_init(&o);
    o.k = a->k;
    if (a->split && cli_tx_date_arg(db, a->split, &o.split))
        return EXIT_USAGE;
    int rc = eval_kinds(a, &o);
    if (rc)
        return rc;
    pt_reco_metrics r[PT_RECO_KINDS];
    pt_reco_eval_info info;
    int lrc = pt_reco_evaluate(snap, &o, r, &info);
    if (lrc == PT_ENOTFOUND) {
        cli_error("reco evaluate: no member has both training history and new items in the test part");
        return EXIT_DATA;
    }
    if (lrc)
        return lib_error("evaluate", lrc);
    print_eval(a, &o, r, &info);
    return EXIT_OK;
}

int cmd_reco(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        reco_usage();
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "train") && strcmp(sub, "for") && strcmp(sub, "evaluate")) {
        cli_error("unknown reco command '%s' (train, for or evaluate)", sub);
        return EXIT_USAGE;
    }
    struct reco_args a;
    int rc = parse_args(argc - 1, argv + 1, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    int want_args = strcmp(sub, "for") == 0 ? 1 : 0;
    if (argc - 1 - optind != want_args) {
        cli_error(want_args ? "reco for takes one MEMBER" : "reco %s takes no arguments", sub);
        return EXIT_USAGE;
    }
    const char *member = want_args ? argv[1 + optind] : NULL;
    pt_db *db = NULL;
    pt_snapshot *snap = NULL;
    rc = cli_tx_snapshot(&a.tx, &db, &snap);
    if (rc == EXIT_OK && sub[0] == 't')
        rc = run_train(&a, db, snap);
    else if (rc == EXIT_OK && sub[0] == 'f')
        rc = run_for(&a, db, snap, member);
    else if (rc == EXIT_OK)
        rc = run_evaluate(&a, db, snap);
    pt_snapshot_free(snap);
    if (db)
        pt_db_close(db);
    return rc;
}

#!/usr/bin/env python3
"""reco_check.py FILE SPLIT_DATE — an independent re-implementation (Python standard library
only) of the Online Retail cleaning, the time split, the popularity and item-item cosine
recommenders and the hit/precision/recall/NDCG@10/coverage metrics of docs/reco.md, to check the
figures `patron reco evaluate --transactions FILE --split-date SPLIT_DATE` prints. No peer
library (implicit, scikit-learn, mlxtend) is installed on this machine; this is the next best
thing: the same definitions written a second time, from the docs rather than from the C.

Ties are broken as docs/reco.md says (score, popularity, then the item's first appearance in the
cleaned file); floating-point sums run in a different order, so exact ties may resolve
differently and the figures may differ in the fourth decimal."""
import csv
import math
import sys
from collections import defaultdict
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

NON_PRODUCT = {"POST", "DOT", "C2", "D", "M", "m", "S", "B", "BANK CHARGES", "AMAZONFEE", "CRUK"}
K, NEIGHBOURS = 10, 100


def epoch(s):
    return int(datetime.strptime(s.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc).timestamp())


def load(path):
    """(member, invoice) -> [time, set of item indexes]; item codes in first-appearance order."""
    orders, index, codes = {}, {}, []
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        for r in csv.DictReader(f):
            cid, inv, code = r["CustomerID"].strip(), r["InvoiceNo"].strip(), r["StockCode"].strip()
            if not cid or inv.startswith("C"):
                continue
            try:
                qty, price = int(r["Quantity"]), Decimal(r["UnitPrice"])
            except (ValueError, InvalidOperation):
                continue
            if qty <= 0 or price <= 0 or code in NON_PRODUCT:
                continue
            if (qty * price * 100) % 1 != 0:
                continue
            member = int(Decimal(cid))
            t = epoch(r["InvoiceDate"])
            if code not in index:
                index[code] = len(codes)
                codes.append(code)
            o = orders.setdefault((member, inv), [t, set()])
            o[0] = min(o[0], t)
            o[1].add(index[code])
    return orders, codes


def main():
    path, split = sys.argv[1], epoch(sys.argv[2] + " 00:00:00")
    orders, codes = load(path)
    train, test = defaultdict(dict), defaultdict(set)  # member -> {item: orders}, member -> items
    for (member, _), (t, items) in orders.items():
        if t < split:
            for i in items:
                train[member][i] = train[member].get(i, 0) + 1
        else:
            test[member] |= items
    buyers = defaultdict(int)
    for items in train.values():
        for i in items:
            buyers[i] += 1
    evaluated, cold = [], 0
    for member, items in test.items():
        new = items - set(train.get(member, {}))
        if not new:
            continue
        if member not in train:
            cold += 1
            continue
        evaluated.append((member, new))
    # cosine neighbours, top NEIGHBOURS per item by (similarity desc, index asc)
    co = defaultdict(lambda: defaultdict(int))
    for items in train.values():
        lst = list(items)
        for a in lst:
            row = co[a]
            for b in lst:
                if a != b:
                    row[b] += 1
    nb = {}
    for i, row in co.items():
        sims = sorted(((c / math.sqrt(buyers[i] * buyers[j]), j) for j, c in row.items()), key=lambda x: (-x[0], x[1]))
        nb[i] = sims[:NEIGHBOURS]
    n_items = len(codes)

    def listing(history, scores):
        cand = [j for j in range(n_items) if j not in history]
        cand.sort(key=lambda j: (-scores.get(j, 0.0), -buyers.get(j, 0), j))
        return cand[:K]

    def evaluate(name, scorer):
        hit = prec = rec = ndcg = 0.0
        shown = set()
        for member, truth in evaluated:
            history = train[member]
            top = listing(history, scorer(history))
            shown.update(top)
            h = [r for r, j in enumerate(top) if j in truth]
            hit += 1 if h else 0
            prec += len(h) / K
            rec += len(h) / len(truth)
            ideal = sum(1 / math.log2(r + 2) for r in range(min(len(truth), K)))
            ndcg += sum(1 / math.log2(r + 2) for r in h) / ideal
        n = len(evaluated)
        print(f"{name:<11} {hit / n:8.4f} {prec / n:9.4f} {rec / n:8.4f} {ndcg / n:8.4f} {len(shown) / len(buyers):9.4f}")

    def cosine(history):
        s = defaultdict(float)
        for i in history:
            for sim, j in nb.get(i, []):
                s[j] += sim
        return s

    print(f"reco_check: {len(evaluated)} members evaluated ({len(train)} in training, {cold} cold), "
          f"{len(buyers)} training items")
    print(f"{'model':<11} {'hit@k':>8} {'prec@k':>9} {'recall@k':>8} {'ndcg@k':>8} {'coverage':>9}")
    evaluate("popularity", lambda history: {})
    evaluate("cosine", cosine)


if __name__ == "__main__":
    main()

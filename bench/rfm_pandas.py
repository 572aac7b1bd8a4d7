#!/usr/bin/python3
"""rfm_pandas.py — the peer for bench/run-rfm-peer: the same RFM as `pt_rfm_compute` (docs/rfm.md),
computed with pandas over the same transactions CSV, so the two can be timed on the same work.

    rfm_pandas.py FILE.csv AS_OF_EPOCH RUNS SEG11_CSV

Same definitions: only orders strictly before as_of; recency in whole days since the last order;
frequency = orders; monetary = sum of cents; score = 1 + floor(5·b/n) with b = members strictly
worse (ties share the lower score); H/L against the exact mean; the 11-segment map from the
project's reference CSV and the 8-class map from the H/L code; both segment summaries (members,
revenue). Prints the read time, the best compute time of RUNS and the sum of R·100 + F·10 + M over
scored members, which rfm_bench prints too (equal sums: the same scores). Printed, never asserted.
"""
import sys
import time

import numpy as np
import pandas as pd

SEG8 = {  # H/L code (R, F, M) → 8-class segment (docs/rfm.md)
    "HHH": "important value", "LHH": "important keep", "HLH": "important develop",
    "LLH": "important retain", "HHL": "general value", "LHL": "general keep",
    "HLL": "general develop", "LLL": "general retain",
}


def scores(values, better_is_smaller):
    """1 + floor(5·b/n), b = number of members with a strictly worse value."""
    n = len(values)
    # rank(method="min") − 1 = how many are strictly before in that order
    b = values.rank(method="min", ascending=not better_is_smaller) - 1
    return (1 + (5 * b.astype(np.int64)) // n).astype(np.int64)


def hl(values, better_is_smaller):
    mean = values.sum() / len(values)
    return np.where(values < mean if better_is_smaller else values > mean, "H", "L")


def rfm(tx, as_of, seg11):
    d = tx[tx["t"] < as_of]
    g = d.groupby("member_id", sort=True).agg(last=("t", "max"), f=("t", "size"), m=("cents", "sum"))
    rec = (as_of - g["last"]) // 86400
    r, f, m = scores(rec, True), scores(g["f"], False), scores(g["m"], False)
    code = r * 100 + f * 10 + m
    out = pd.DataFrame({"recency": rec, "f": g["f"], "m": g["m"], "code": code})
    out["seg11"] = code.map(seg11)
    out["seg8"] = pd.Series(np.char.add(np.char.add(hl(rec, True), hl(g["f"], False)), hl(g["m"], False)),
                            index=g.index).map(SEG8)
    s11 = out.groupby("seg11").agg(members=("m", "size"), revenue=("m", "sum"))
    s8 = out.groupby("seg8").agg(members=("m", "size"), revenue=("m", "sum"))
    return out, s11, s8


def main():
    path, as_of, runs, seg11_csv = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    seg11 = pd.read_csv(seg11_csv).set_index("rfm_code")["segment"]
    t0 = time.perf_counter()
    raw = pd.read_csv(path, dtype={"member_id": np.int64, "amount": str}, parse_dates=["date"])
    tx = pd.DataFrame({
        "member_id": raw["member_id"],
        "t": raw["date"].values.astype("datetime64[s]").astype(np.int64),
        # whole cents from the decimal text, as the C loader reads it (no binary floating point)
        "cents": raw["amount"].str.replace(".", "", regex=False).astype(np.int64),
    })
    read = time.perf_counter() - t0
    best = None
    for _ in range(runs):
        t0 = time.perf_counter()
        out, s11, s8 = rfm(tx, as_of, seg11)
        dt = time.perf_counter() - t0
        best = dt if best is None or dt < best else best
    print(f"pandas {pd.__version__}  read {read:.2f} s  rows {len(tx)}  rfm best of {runs} {best:.3f} s  "
          f"scored {len(out)}  sum of codes {int(out['code'].sum())}  segments {len(s11)} + {len(s8)}")


if __name__ == "__main__":
    main()

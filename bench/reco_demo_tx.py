#!/usr/bin/env python3
"""reco_demo_tx.py DIR OUT — joins the demo files written by `patron demo-data` (items.csv and
the four channels' order files) into one transactions CSV for `patron reco|basket
--transactions`: customer_id,InvoiceNo,InvoiceDate,StockCode,Quantity,UnitPrice,category.

The member is the channel's own id (card number, customer id, openid, app user id): the demo's
cross-channel identity resolution belongs to `patron import`, which is not what this benchmark
measures. Rows the demo plants as bad (no id, unparsable time or price) are skipped and counted
on stderr. Standard library only."""
import csv
import json
import sys
from datetime import datetime, timezone


def when(v):
    """Epoch seconds or one of the demo's date forms, as YYYY-MM-DD HH:MM:SS UTC; None if bad."""
    v = str(v).strip()
    if v.isdigit():
        n = int(v)
        if n > 10**11:  # milliseconds
            n //= 1000
        try:
            return datetime.fromtimestamp(n, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        except (ValueError, OverflowError):
            return None
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d", "%Y/%m/%d"):
        try:
            d = datetime.strptime(v, fmt)
        except ValueError:
            continue
        if d.tzinfo:
            d = d.astimezone(timezone.utc)
        return d.strftime("%Y-%m-%d %H:%M:%S")
    return None


def main():
    src, out = sys.argv[1], sys.argv[2]
    order = {}  # order_no -> (member, time)
    bad = 0
    specs = [("orders_eshop.csv", "order_id", "customer_id", "order_time"),
             ("orders_mini.csv", "order_no", "openid", "paid_at"),
             ("orders_store.csv", "单号", "会员卡号", "下单时间")]
    for name, no, mid, at in specs:
        with open(f"{src}/{name}", newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                t = when(r.get(at, ""))
                if not r.get(mid) or not t:
                    bad += 1
                    continue
                order[r[no]] = (r[mid].strip(), t)
    with open(f"{src}/orders_app.jsonl", encoding="utf-8") as f:
        for line in f:
            try:
                r = json.loads(line)
                t = when(r["ts"])
                m = str(r["app_user_id"]).strip()
            except (ValueError, KeyError, TypeError):
                bad += 1
                continue
            if not m or m == "None" or not t:
                bad += 1
                continue
            order[r["order_no"]] = ("A" + m, t)
    rows = 0
    with open(f"{src}/items.csv", newline="", encoding="utf-8") as f, open(out, "w", newline="") as g:
        w = csv.writer(g)
        w.writerow(["customer_id", "InvoiceNo", "InvoiceDate", "StockCode", "Quantity", "UnitPrice", "category"])
        for r in csv.DictReader(f):
            o = order.get(r["order_no"])
            if not o:
                bad += 1
                continue
            w.writerow([o[0], r["order_no"], o[1], r["sku"], r["qty"], r["unit_price"], r["category"]])
            rows += 1
    print(f"reco_demo_tx: {len(order)} orders, {rows} lines written, {bad} rows skipped", file=sys.stderr)


if __name__ == "__main__":
    main()

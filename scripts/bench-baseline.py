#!/usr/bin/env python3
"""The straightforward Python pipeline the local runtime is measured against.

Does the same work as `pipec run --local examples/transactions.yaml`, the plain way: reads
NDJSON, json.loads each line, checks it against the record schema (types, required fields;
invalid lines to a dead-letter file), applies the rule (transaction > 9000), enriches flagged
records, writes them to SQLite (WAL, INSERT OR IGNORE, batched commits) and archives every raw
line gzip-compressed (level 6) in 64 MiB batches. No durable log, no fsync, one core.
Usage: bench-baseline.py IN OUTDIR
"""
import datetime
import gzip
import json
import os
import re
import sqlite3
import sys

BUFFER = 64 * 1024 * 1024


TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
SCHEMA = {
    "transactionId": str, "name": str, "age": int, "address": str, "city": str,
    "state": str, "transaction": int, "bankId": str, "createdAt": "timestamp",
}


def invalid(rec):
    if not isinstance(rec, dict):
        return "not a JSON object"
    for name, ty in SCHEMA.items():
        v = rec.get(name)
        if v is None:
            return f"{name}: required"
        if ty == "timestamp":
            ok = isinstance(v, str) and TIMESTAMP.match(v)
        elif ty is int:
            ok = isinstance(v, int) and not isinstance(v, bool)
        else:
            ok = isinstance(v, ty)
        if not ok:
            return f"{name}: expected {getattr(ty, '__name__', ty)}"
    return None


def main(src: str, out: str) -> None:
    os.makedirs(os.path.join(out, "archive"), exist_ok=True)
    db = sqlite3.connect(os.path.join(out, "store.sqlite"))
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(
        'CREATE TABLE IF NOT EXISTS flagged ("transactionId" TEXT NOT NULL, "createdAt" TEXT NOT NULL, '
        'item TEXT NOT NULL, PRIMARY KEY ("transactionId", "createdAt"))'
    )
    buf, size, seq, rows, objects = [], 0, 0, [], 0

    def flush():
        nonlocal buf, size, objects
        if buf:
            with open(os.path.join(out, "archive", f"part-{objects:06}.gz"), "wb") as f:
                f.write(gzip.compress(b"".join(buf), 6))
            objects += 1
            buf, size = [], 0

    with open(src, "rb") as f, open(os.path.join(out, "dead-letter.ndjson"), "w") as dead:
        for line in f:
            raw = line.rstrip(b"\r\n")
            if not raw.strip():
                continue
            seq += 1
            buf.append(raw + b"\n")
            size += len(raw) + 1
            if size >= BUFFER:
                flush()
            try:
                rec = json.loads(raw)
            except ValueError as e:
                dead.write(json.dumps({"seq": seq, "reason": str(e)}) + "\n")
                continue
            reason = invalid(rec)
            if reason:
                dead.write(json.dumps({"seq": seq, "reason": reason}) + "\n")
                continue
            t = rec["transaction"]
            if t > 9000:
                rec["customEnrichment"] = t + 500
                rec["inspectedAt"] = datetime.datetime.now(datetime.UTC).isoformat()
                rows.append((rec["transactionId"], rec["createdAt"], json.dumps(rec)))
                if len(rows) >= 1000:
                    db.executemany("INSERT OR IGNORE INTO flagged VALUES (?, ?, ?)", rows)
                    db.commit()
                    rows = []
    db.executemany("INSERT OR IGNORE INTO flagged VALUES (?, ?, ?)", rows)
    db.commit()
    flush()
    print(f"python: {seq} events, {objects} objects", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

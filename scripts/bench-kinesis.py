#!/usr/bin/env python3
"""Kinesis-endpoint ingest benchmark: unmodified boto3 producers sending PutRecords.

Usage: bench-kinesis.py ENDPOINT_URL STREAM INPUT.ndjson [CLIENTS]

Reads the NDJSON file, splits its lines among CLIENTS (default 4) producer processes, each
with its own boto3 client, sending PutRecords calls of 500 records (retrying the records a
call reports as failed, as producers do). Prints one line: records, seconds, records/s, and
the p99 latency of a PutRecords call, and the producers' own CPU time per record (building,
signing and sending the calls with botocore costs CPU on the same machine as the server: on a
machine of C cores the producers alone cannot exceed C / that time). Works against `pipec run --local --http-only` and
against kinesalite alike (the stream must exist).
"""

import multiprocessing
import resource
import sys
import time

import boto3
from botocore.config import Config

BATCH = 500


def producer(args):
    endpoint, stream, lines, start = args
    client = boto3.client(
        "kinesis",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"max_attempts": 10, "mode": "standard"}, max_pool_connections=2),
    )
    while time.time() < start:
        time.sleep(0.001)
    latencies = []
    for i in range(0, len(lines), BATCH):
        pending = [{"Data": line, "PartitionKey": str(i + j)} for j, line in enumerate(lines[i : i + BATCH])]
        while pending:
            t = time.perf_counter()
            reply = client.put_records(StreamName=stream, Records=pending)
            latencies.append(time.perf_counter() - t)
            if reply.get("FailedRecordCount", 0) == 0:
                break
            pending = [r for r, out in zip(pending, reply["Records"]) if "ErrorCode" in out]
            time.sleep(0.05)
    return latencies


def main():
    endpoint, stream, path = sys.argv[1:4]
    clients = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    with open(path, "rb") as f:
        lines = [line.rstrip(b"\n") for line in f if line.strip()]
    shares = [lines[i::clients] for i in range(clients)]
    start = time.time() + 2.0  # every producer has its client before the clock starts
    pool = multiprocessing.Pool(clients)
    results = pool.map(producer, [(endpoint, stream, share, start) for share in shares])
    elapsed = time.time() - start
    pool.close()
    pool.join()  # the producers are reaped: their CPU time is in RUSAGE_CHILDREN
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(u.ru_utime + u.ru_stime for u in usage)
    latencies = sorted(x for r in results for x in r)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
    print(
        f"{len(lines)} records in {elapsed:.2f} s: {len(lines) / elapsed:.0f} records/s, "
        f"PutRecords p99 {p99 * 1000:.0f} ms, producers' CPU {cpu / len(lines) * 1e6:.1f} us/record"
    )


if __name__ == "__main__":
    main()

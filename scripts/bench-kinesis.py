#!/usr/bin/env python3
"""Kinesis-endpoint ingest benchmark: unmodified boto3 producers sending PutRecords.

Usage: bench-kinesis.py [--prebuilt] ENDPOINT_URL STREAM INPUT.ndjson [CLIENTS]

Reads the NDJSON file, splits its lines among CLIENTS (default 4) producer processes, each
with its own boto3 client, sending PutRecords calls of 500 records (retrying the records a
call reports as failed, as producers do). Prints one line: records, seconds, records/s, the
p99 latency of a PutRecords call, and the producers' own CPU time per record. Building,
signing and sending the calls with botocore costs CPU on the same machine as the server: on a
machine of C cores the producers alone cannot exceed C / that time.

--prebuilt measures the server without that cost: each producer first has boto3 build and sign
every call it would send (the exact bytes and headers, captured before they leave botocore),
then, once the clock starts, sends them over one keep-alive connection with http.client and
reads each answer; a record the answer reports as failed is counted, not retried.

Works against `pipec run --local --http-only` and against kinesalite alike (the stream must
exist).
"""

import http.client
import json
import multiprocessing
import resource
import sys
import time
import urllib.parse

import boto3
from botocore.config import Config

BATCH = 500


class Captured(Exception):
    """Raised by the before-send hook: the prepared request, not sent."""

    def __init__(self, request):
        super().__init__("captured")
        self.request = request


def client_for(endpoint):
    return boto3.client(
        "kinesis",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"max_attempts": 10, "mode": "standard"}, max_pool_connections=2),
    )


def batches(lines):
    for i in range(0, len(lines), BATCH):
        yield [{"Data": line, "PartitionKey": str(i + j)} for j, line in enumerate(lines[i : i + BATCH])]


BARRIER = None


def init(barrier):
    global BARRIER
    BARRIER = barrier


def go():
    """Waits until every producer is ready; the time the clock starts for this producer."""
    BARRIER.wait()
    return time.time()


def producer(args):
    endpoint, stream, lines = args
    client = client_for(endpoint)
    started = go()
    latencies = []
    for pending in batches(lines):
        while pending:
            t = time.perf_counter()
            reply = client.put_records(StreamName=stream, Records=pending)
            latencies.append(time.perf_counter() - t)
            if reply.get("FailedRecordCount", 0) == 0:
                break
            pending = [r for r, out in zip(pending, reply["Records"]) if "ErrorCode" in out]
            time.sleep(0.05)
    return started, time.time(), latencies, 0


def prebuilt_producer(args):
    endpoint, stream, lines = args
    client = client_for(endpoint)

    def capture(request, **_):
        raise Captured(request)

    client.meta.events.register("before-send.kinesis.PutRecords", capture)
    calls = []
    for records in batches(lines):
        try:
            client.put_records(StreamName=stream, Records=records)
        except Captured as c:
            calls.append((bytes(c.request.body), dict(c.request.headers)))
    url = urllib.parse.urlsplit(endpoint)
    connection = http.client.HTTPConnection(url.hostname, url.port or 80)
    started = go()
    latencies, failed = [], 0
    for body, headers in calls:
        t = time.perf_counter()
        connection.request("POST", url.path or "/", body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        latencies.append(time.perf_counter() - t)
        if response.status != 200:
            sys.exit(f"HTTP {response.status}: {answer[:300]!r}")
        failed += json.loads(answer).get("FailedRecordCount", 0)
    connection.close()
    return started, time.time(), latencies, failed


def main():
    args = sys.argv[1:]
    prebuilt = args[:1] == ["--prebuilt"]
    if prebuilt:
        args = args[1:]
    endpoint, stream, path = args[:3]
    clients = int(args[3]) if len(args) > 3 else 4
    with open(path, "rb") as f:
        lines = [line.rstrip(b"\n") for line in f if line.strip()]
    shares = [lines[i::clients] for i in range(clients)]
    pool = multiprocessing.Pool(clients, initializer=init, initargs=(multiprocessing.Barrier(clients),))
    results = pool.map(prebuilt_producer if prebuilt else producer, [(endpoint, stream, s) for s in shares])
    pool.close()
    pool.join()  # the producers are reaped: their CPU time is in RUSAGE_CHILDREN
    # From the first producer's start (all are ready then) to the last one's end.
    elapsed = max(r[1] for r in results) - min(r[0] for r in results)
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(u.ru_utime + u.ru_stime for u in usage)
    latencies = sorted(x for r in results for x in r[2])
    failed = sum(r[3] for r in results)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
    # Prebuilt, the producers' CPU went mostly into building the calls before the clock started.
    cost = "" if prebuilt else f", producers' CPU {cpu / len(lines) * 1e6:.1f} us/record"
    lost = f", {failed} records answered as failed" if failed else ""
    print(
        f"{len(lines)} records in {elapsed:.2f} s: {len(lines) / elapsed:.0f} records/s, "
        f"PutRecords p99 {p99 * 1000:.0f} ms{cost}{lost}"
    )


if __name__ == "__main__":
    main()

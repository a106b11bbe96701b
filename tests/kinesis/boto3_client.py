"""boto3 against `pipec run --local`: a producer (put_record, put_records) and an unmodified
consumer loop (get_shard_iterator + get_records) reading the local stream back.

Usage: boto3_client.py ENDPOINT OUT.json  (tests/kinesis_clients.rs checks OUT.json)
"""

import datetime
import json
import sys
import time

import boto3
from botocore.exceptions import ClientError

endpoint, out = sys.argv[1], sys.argv[2]
kinesis = boto3.client(
    "kinesis",
    endpoint_url=endpoint,
    region_name="eu-west-1",
    aws_access_key_id="dummy",
    aws_secret_access_key="dummy",
)
stream = "transactions"


def record(i, amount):
    return {
        "transactionId": "boto3-%04d" % i,
        "name": "Jane Doe",
        "age": 42,
        "address": "1 Oak Street",
        "city": "Springfield",
        "state": "Illinois",
        "transaction": amount,
        "bankId": "DEUTDEFFXXX",
        "createdAt": "2026-11-26T12:00:%02d.014593Z" % (i % 60),
    }


before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
latest = kinesis.get_shard_iterator(
    StreamName=stream, ShardId="shardId-000000000000", ShardIteratorType="LATEST"
)["ShardIterator"]
sent, seqs = [], []
for i in range(50):
    data = json.dumps(record(i, 9500 if i == 7 else 100)).encode()
    r = kinesis.put_record(StreamName=stream, Data=data, PartitionKey=str(i))
    sent.append(data)
    seqs.append(r["SequenceNumber"])
batch = [json.dumps(record(50 + i, 200)).encode() for i in range(200)]
r = kinesis.put_records(
    StreamName=stream, Records=[{"Data": d, "PartitionKey": "p"} for d in batch]
)
assert r["FailedRecordCount"] == 0, r
sent.extend(batch)
seqs.extend(x["SequenceNumber"] for x in r["Records"])

# The usual consumer loop, from TRIM_HORIZON, 64 records a call.
shard = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
iterator = kinesis.get_shard_iterator(
    StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
)["ShardIterator"]
got, got_seqs, calls = [], [], 0
while iterator and calls < 100:
    calls += 1
    r = kinesis.get_records(ShardIterator=iterator, Limit=64)
    for rec in r["Records"]:
        got.append(rec["Data"])
        got_seqs.append(rec["SequenceNumber"])
        assert isinstance(rec["ApproximateArrivalTimestamp"], datetime.datetime), rec
    iterator = r["NextShardIterator"]
    if not r["Records"] and r["MillisBehindLatest"] == 0:
        break
    time.sleep(0.01)

from_latest = kinesis.get_records(ShardIterator=latest)["Records"]
at_time = kinesis.get_shard_iterator(
    StreamName=stream,
    ShardId=shard,
    ShardIteratorType="AT_TIMESTAMP",
    Timestamp=before,
)["ShardIterator"]
from_time = kinesis.get_records(ShardIterator=at_time, Limit=1)["Records"]
after = kinesis.get_shard_iterator(
    StreamName=stream,
    ShardId=shard,
    ShardIteratorType="AFTER_SEQUENCE_NUMBER",
    StartingSequenceNumber=seqs[9],
)["ShardIterator"]
after_tenth = kinesis.get_records(ShardIterator=after, Limit=1)["Records"]

try:
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    created = "no error"
except ClientError as e:
    created = e.response["Error"]["Code"]
kinesis.add_tags_to_stream(StreamName=stream, Tags={"team": "ops"})
tags = kinesis.list_tags_for_stream(StreamName=stream)["Tags"]
description = kinesis.describe_stream(StreamName=stream)["StreamDescription"]

json.dump(
    {
        "sent": [d.decode() for d in sent],
        "seqs": seqs,
        "got": [d.decode() for d in got],
        "got_seqs": got_seqs,
        "from_latest": [r["Data"].decode() for r in from_latest],
        "from_time": [r["Data"].decode() for r in from_time],
        "after_tenth": [r["Data"].decode() for r in after_tenth],
        "create_again": created,
        "tags": tags,
        "encryption": description["EncryptionType"],
    },
    open(out, "w"),
)

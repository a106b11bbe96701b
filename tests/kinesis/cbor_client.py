"""CBOR requests as the AWS Java SDK v2 and the KPL send them (`application/x-amz-cbor-1.1`,
`Data` a byte string, timestamps CBOR tag 1), built with cbor2, against `pipec run --local`.

Usage: cbor_client.py ENDPOINT OUT.json  (tests/kinesis_clients.rs checks OUT.json)
"""

import datetime
import json
import sys
import urllib.error
import urllib.request

import cbor2

endpoint, out = sys.argv[1], sys.argv[2]
HEADERS = {
    "Content-Type": "application/x-amz-cbor-1.1",
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/kinesis/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=0",
    "X-Amz-Date": "20261126T120000Z",
}


def call(operation, body):
    request = urllib.request.Request(
        endpoint + "/",
        data=cbor2.dumps(body),
        headers=dict(HEADERS, **{"X-Amz-Target": "Kinesis_20131202." + operation}),
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers["Content-Type"], cbor2.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], cbor2.loads(e.read())


data = [b'{"cbor": %d}' % i for i in range(3)]
status, content_type, put = call(
    "PutRecord", {"StreamName": "transactions", "Data": data[0], "PartitionKey": "k"}
)
assert (status, content_type) == (200, "application/x-amz-cbor-1.1"), (status, content_type, put)
status, _, batch = call(
    "PutRecords",
    {
        "StreamName": "transactions",
        "Records": [{"Data": d, "PartitionKey": "k"} for d in data[1:]],
    },
)
assert status == 200 and batch["FailedRecordCount"] == 0, batch
_, _, iterator = call(
    "GetShardIterator",
    {
        "StreamName": "transactions",
        "ShardId": "shardId-000000000000",
        "ShardIteratorType": "AT_SEQUENCE_NUMBER",
        "StartingSequenceNumber": put["SequenceNumber"],
    },
)
_, _, records = call("GetRecords", {"ShardIterator": iterator["ShardIterator"]})
_, _, summary = call("DescribeStreamSummary", {"StreamName": "transactions"})
bad_status, _, bad = call(
    "PutRecord", {"StreamName": "transactions", "Data": b"x", "PartitionKey": 7}
)
first = records["Records"][0]
json.dump(
    {
        "read": [r["Data"].decode() for r in records["Records"]],
        "data_is_bytes": all(isinstance(r["Data"], bytes) for r in records["Records"]),
        "arrival_is_datetime": isinstance(first["ApproximateArrivalTimestamp"], datetime.datetime),
        "created_is_datetime": isinstance(
            summary["StreamDescriptionSummary"]["StreamCreationTimestamp"], datetime.datetime
        ),
        "bad": [bad_status, bad["__type"]],
    },
    open(out, "w"),
)

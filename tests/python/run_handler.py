"""Runs a pipec-generated hot Lambda handler under moto's in-process mock_aws.

Usage: run_handler.py TEMPLATE_DIR EVENTS_FILE OUT_FILE [--redeliver]

TEMPLATE_DIR holds template.json (+ assets/). The DynamoDB table and SNS topics are created as
the template declares them; the handler (inline ZipFile or the zip asset, unpacked) is imported
as a module; EVENTS_FILE lines (raw bytes, base64 after the tab: "seq\\tb64") are delivered as Kinesis
batches of 100; with --redeliver every batch is delivered twice. OUT_FILE receives one JSON
document: {"items": [...], "messages": {"topic": [message, ...]}, "failures": n}.
"""
import base64
import importlib.util
import io
import json
import os
import sys
import tempfile
import zipfile

os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.core.models import DEFAULT_ACCOUNT_ID  # noqa: E402
from moto.sns.models import sns_backends  # noqa: E402


def handler_dir(directory, template, function):
    """A directory holding the function's code: its zip asset unpacked, or inline index.py."""
    code = template["Resources"][function]["Properties"]["Code"]
    target = tempfile.mkdtemp()
    if "ZipFile" in code:
        with open(os.path.join(target, "index.py"), "w") as f:
            f.write(code["ZipFile"])
        return target
    key = code["S3Key"].rsplit("/", 1)[-1]
    with zipfile.ZipFile(os.path.join(directory, "assets", key)) as z:
        z.extractall(target)
    return target


def load_module(code_dir):
    """Imports index.py from code_dir, with code_dir first on sys.path (as Lambda does)."""
    sys.path.insert(0, code_dir)
    spec = importlib.util.spec_from_file_location("pipec_handler", os.path.join(code_dir, "index.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def plain(value):
    import decimal

    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


@mock_aws
def main(directory, events_file, out_file, redeliver):
    template = json.load(open(os.path.join(directory, "template.json")))
    resources = template["Resources"]
    table = resources.get("FlaggedTable")
    if table:
        props = table["Properties"]
        boto3.client("dynamodb").create_table(
            TableName=props["TableName"],
            KeySchema=props["KeySchema"],
            AttributeDefinitions=props["AttributeDefinitions"],
            BillingMode="PAY_PER_REQUEST",
        )
        os.environ["TABLE_NAME"] = props["TableName"]
    sns = boto3.client("sns")
    arns = {}
    for logical, resource in resources.items():
        if resource["Type"] == "AWS::SNS::Topic":
            arn = sns.create_topic(Name=resource["Properties"]["TopicName"])["TopicArn"]
            arns[logical] = arn
    env = resources["HotFunction"]["Properties"]["Environment"]["Variables"]
    topics = env["TOPICS"]
    topics_text = topics["Fn::Sub"] if isinstance(topics, dict) else topics
    for logical, arn in arns.items():
        topics_text = topics_text.replace("${%s}" % logical, arn)
    os.environ["TOPICS"] = topics_text
    os.environ["PIPELINE"] = env["PIPELINE"]
    handler = load_module(handler_dir(directory, template, "HotFunction"))

    records = []
    with open(events_file) as f:
        for line in f:
            seq, data = line.rstrip("\n").split("\t")
            records.append({"kinesis": {"sequenceNumber": seq, "data": data, "partitionKey": "k"}, "eventSource": "aws:kinesis"})
    batches = [records[i : i + 100] for i in range(0, len(records), 100)]
    failures = 0
    for round_ in range(2 if redeliver else 1):
        for batch in batches:
            result = handler.handler({"Records": batch}, None)
            failures += len(result["batchItemFailures"])

    items = []
    if table:
        dynamo = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
        args = {}
        while True:
            page = dynamo.scan(**args)
            items += [plain(i) for i in page["Items"]]
            if "LastEvaluatedKey" not in page:
                break
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    backend = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    names = json.loads(topics_text)
    messages = {name: [json.loads(n[1]) for n in backend.topics[arn].sent_notifications] for name, arn in names.items()}
    with open(out_file, "w") as f:
        json.dump({"items": items, "messages": messages, "failures": failures}, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], "--redeliver" in sys.argv[4:])

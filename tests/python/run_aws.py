"""Runs every pipec-generated Lambda function of a CloudFormation build under moto's mock_aws.

Usage: run_aws.py TEMPLATE_DIR EVENTS_FILE OUT_FILE

The template's DynamoDB tables (with their indexes), SNS topics and SQS queues are created as
declared; each function is imported from its code (inline ZipFile or the zip asset, unpacked)
with its own environment resolved against them. EVENTS_FILE lines ("seq\\tb64") are:
* delivered to the hot function as Kinesis batches of 100, then every batch again;
* delivered to each window function as one tumbling window (batches of 100, the state carried
  through JSON), terminated early once halfway (isWindowTerminatedEarly: the next invocation
  starts with a fresh state), then the whole window delivered again (a retried window);
* read back through the viewer function, page by page, when there is one.

OUT_FILE receives {"items", "windows", "dead_letters", "messages": {"topic": [{"subject",
"message"}]}, "failures", "viewer": {"rows", "pages", "alerts"}}.
"""

import base64
import decimal
import importlib.util
import json
import os
import sys
import tempfile
import zipfile

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.core.models import DEFAULT_ACCOUNT_ID  # noqa: E402
from moto.sns.models import sns_backends  # noqa: E402
from moto.sqs.models import sqs_backends  # noqa: E402


def code_dir(directory, template, function):
    """A directory holding the function's code: its zip asset unpacked, or inline index.py."""
    code = template["Resources"][function]["Properties"]["Code"]
    target = tempfile.mkdtemp()
    if "ZipFile" in code:
        with open(os.path.join(target, "index.py"), "w") as f:
            f.write(code["ZipFile"])
        return target
    with zipfile.ZipFile(os.path.join(directory, "assets", code["S3Key"].rsplit("/", 1)[-1])) as z:
        z.extractall(target)
    return target


def load(directory, template, function, names):
    """Sets the function's environment and imports its index.py as a module of its own."""
    env = template["Resources"][function]["Properties"]["Environment"]["Variables"]
    for key, value in env.items():
        os.environ[key] = resolve(value, names)
    path = code_dir(directory, template, function)
    sys.path.insert(0, path)
    spec = importlib.util.spec_from_file_location("pipec_" + function, os.path.join(path, "index.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.path.remove(path)
    return module


def resolve(value, names):
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return names[value["Ref"]]
    text = value["Fn::Sub"]
    for logical, name in names.items():
        text = text.replace("${%s}" % logical, name)
    return text.replace("${!", "${")


def plain(value):
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def create(template):
    """Creates the tables, topics and queues; returns {logical id: name, ARN or URL}."""
    names = {}
    dynamo, sns, sqs = boto3.client("dynamodb"), boto3.client("sns"), boto3.client("sqs")
    for logical, resource in template["Resources"].items():
        props = resource["Properties"]
        if resource["Type"] == "AWS::DynamoDB::Table":
            args = {
                "TableName": props["TableName"],
                "KeySchema": props["KeySchema"],
                "AttributeDefinitions": props["AttributeDefinitions"],
                "BillingMode": "PAY_PER_REQUEST",
            }
            if "GlobalSecondaryIndexes" in props:
                args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
            dynamo.create_table(**args)
            names[logical] = props["TableName"]
        elif resource["Type"] == "AWS::SNS::Topic":
            names[logical] = sns.create_topic(Name=props["TopicName"])["TopicArn"]
        elif resource["Type"] == "AWS::SQS::Queue":
            names[logical] = sqs.create_queue(QueueName=logical)["QueueUrl"]
    return names


def scan(table_name):
    table = boto3.resource("dynamodb").Table(table_name)
    items, args = [], {}
    while True:
        page = table.scan(**args)
        items += [plain(i) for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return items
        args["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _queue(queue_url):
    return sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].queues[queue_url.rsplit("/", 1)[-1]]


def drain(queue_url):
    """Every message in the queue, taken out of moto's backend (as receiving and deleting them
    would, without a pass over the whole queue per call)."""
    queue = _queue(queue_url)
    bodies = [json.loads(m.body) for m in queue._messages]
    queue._messages.clear()
    return bodies


class Drain:
    """The dead-letter queue's consumer: takes every message out as soon as it is sent.

    moto's SendMessage walks every message in the queue (for the queue's attributes), so a
    queue left to fill makes the run quadratic in the dead letters. The message still goes
    through botocore and moto's SendMessage (validation, size limit); only then is it moved
    here, as a consumer receiving and deleting it would.
    """

    def __init__(self, queue_url):
        self.bodies = []
        if not queue_url:
            return
        backend = sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
        queue = _queue(queue_url)
        send = backend.send_message

        def send_and_consume(queue_name, *args, **kwargs):
            message = send(queue_name, *args, **kwargs)
            if queue_name == queue.name:
                self.bodies.append(json.loads(message.body))
                queue._messages.clear()
            return message

        backend.send_message = send_and_consume


def run_window(handler, records):
    """One tumbling window, terminated early halfway, as Lambda delivers it."""
    batches = [records[i : i + 100] for i in range(0, len(records), 100)] or [[]]
    window = {"start": "2026-11-26T12:00:00Z", "end": "2026-11-26T12:01:00Z"}
    state, failures = {}, 0
    early = len(batches) // 2 if len(batches) > 2 else None
    for i, batch in enumerate(batches):
        event = {
            "Records": batch,
            "state": json.loads(json.dumps(state)),
            "window": window,
            "isFinalInvokeForWindow": i == early or i == len(batches) - 1,
            "isWindowTerminatedEarly": i == early,
        }
        result = handler.handler(event, None)
        failures += len(result["batchItemFailures"])
        state = result["state"]
    assert state == {}, "the state is reset after the final invocation"
    return failures


def read_viewer(viewer):
    """Every row through the viewer's JSON pages, in the order it gives them."""
    rows, pages, token, alerts = [], 0, None, None
    while True:
        params = {"format": "json"}
        if token:
            params["after"] = token
        response = viewer.handler({"queryStringParameters": params}, None)
        assert response["statusCode"] == 200, response
        body = json.loads(response["body"])
        rows += body["rows"]
        if alerts is None:
            alerts = body.get("alerts", [])
        pages += 1
        token = body.get("next")
        if not token:
            return {"rows": rows, "pages": pages, "alerts": alerts}


@mock_aws
def main(directory, events_file, out_file):
    with open(os.path.join(directory, "template.json")) as f:
        template = json.load(f)
    resources = template["Resources"]
    names = create(template)
    records = []
    with open(events_file) as f:
        for line in f:
            seq, data = line.rstrip("\n").split("\t")
            kinesis = {"sequenceNumber": seq, "data": data, "partitionKey": "k"}
            records.append({"kinesis": kinesis, "eventSource": "aws:kinesis"})
    failures = 0
    drain = Drain(names.get("DeadLetterQueue"))
    if "HotFunction" in resources:
        hot = load(directory, template, "HotFunction", names)
        batches = [records[i : i + 100] for i in range(0, len(records), 100)]
        for _ in range(2):
            for batch in batches:
                failures += len(hot.handler({"Records": batch}, None)["batchItemFailures"])
    windows = sorted(k for k, r in resources.items() if k.startswith("Window") and r["Type"] == "AWS::Lambda::Function")
    for function in windows:
        handler = load(directory, template, function, names)
        for _ in range(2):
            failures += run_window(handler, records)
    out = {"failures": failures, "items": [], "windows": [], "dead_letters": []}
    if "FlaggedTable" in names:
        out["items"] = scan(names["FlaggedTable"])
    if "WindowsTable" in names:
        out["windows"] = scan(names["WindowsTable"])
    out["dead_letters"] = drain.bodies
    backend = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    out["messages"] = {
        resources[logical]["Properties"]["TopicName"]: [
            {"subject": n[2], "message": json.loads(n[1])} for n in backend.topics[arn].sent_notifications
        ]
        for logical, arn in names.items()
        if resources[logical]["Type"] == "AWS::SNS::Topic"
    }
    if "ViewerFunction" in resources:
        out["viewer"] = read_viewer(load(directory, template, "ViewerFunction", names))
    with open(out_file, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(*sys.argv[1:4])

"""Runs `pipec test` cases through pipec's generated Lambda handlers under moto.

Shipped inside pipec (`pipec test --target lambda` writes it next to a CloudFormation build
and runs it); not meant to be edited. Usage:

    python lambda_driver.py INPUT.json OUTPUT.json

INPUT holds {"build": DIR, "windows": {rule: seconds}, "cases": [{"now": TIME, "events":
[{"data": BASE64, "arrival": TIME}]}]}. Each case runs in a fresh moto account: the build's
tables, topics and queues are created as its template declares them, and its functions are
imported from their code with their environment resolved, with `now()` pinned to the case's
`now`. Events go once, in order, to the hot function (batches of 100); each windowed rule's
function gets the events of each window of its length, by arrival time, as one tumbling
window. OUTPUT receives one outcome per case: {"flagged", "dead_letters", "stored",
"alerts", "windows"}.
"""

import base64
import datetime
import decimal
import importlib.util
import json
import os
import sys
import tempfile
import zipfile

PINS = "'moto[server]==5.2.5' 'boto3==1.44.8'"

try:
    import boto3
    from moto import mock_aws
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends
except ImportError as error:
    sys.stderr.write(
        f"pipec test --target lambda needs boto3 and moto in {sys.executable} "
        f"({error}): install them with `{sys.executable} -m pip install {PINS}`, "
        "or pass --python (or set PIPEC_PYTHON) to a Python that has them\n"
    )
    sys.exit(3)

REGION = "us-east-1"


def plain(value):
    """DynamoDB's Decimals as the JSON numbers they were stored from."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def resolve(value, names):
    """An environment value of the template: text, a Ref or an Fn::Sub."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return names[value["Ref"]]
    text = value["Fn::Sub"]
    for logical, name in names.items():
        text = text.replace("${" + logical + "}", name)
    return text.replace("${!", "${")


def code_dir(build, template, function):
    """A folder holding the function's code: its zip asset unpacked, or inline index.py."""
    code = template["Resources"][function]["Properties"]["Code"]
    target = tempfile.mkdtemp(prefix="pipec-test-")
    if "ZipFile" in code:
        with open(os.path.join(target, "index.py"), "w") as f:
            f.write(code["ZipFile"])
        return target
    asset = os.path.join(build, "assets", code["S3Key"].rsplit("/", 1)[-1])
    with zipfile.ZipFile(asset) as z:
        z.extractall(target)
    return target


def load(build, template, function, names, now=None):
    """Imports a function's index.py with its environment, its `now()` pinned when given."""
    env = template["Resources"][function]["Properties"]["Environment"]["Variables"]
    for key, value in env.items():
        os.environ[key] = resolve(value, names)
    path = code_dir(build, template, function)
    sys.path.insert(0, path)
    for shared in ("pipec_runtime", "pipec_limits"):
        sys.modules.pop(shared, None)
    name = f"pipec_{function}"
    spec = importlib.util.spec_from_file_location(name, os.path.join(path, "index.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.path.remove(path)
    if now is not None:
        module.rt.now = lambda: now
    return module


def create(template):
    """Creates the tables, topics and queues; returns {logical id: name, ARN or URL}."""
    names = {}
    dynamo, sns, sqs = (
        boto3.client("dynamodb"),
        boto3.client("sns"),
        boto3.client("sqs"),
    )
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
    """Every item of a table, as plain JSON values."""
    table = boto3.resource("dynamodb").Table(table_name)
    items, args = [], {}
    while True:
        page = table.scan(**args)
        items += [plain(i) for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return items
        args["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def drain(queue_url):
    """Every message of a queue, as JSON."""
    sqs = boto3.client("sqs")
    bodies = []
    while True:
        response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
        messages = response.get("Messages", [])
        if not messages:
            return bodies
        bodies += [json.loads(m["Body"]) for m in messages]


def millis(text):
    """An RFC 3339 time as milliseconds since the epoch."""
    at = datetime.datetime.fromisoformat(text)
    return int(at.timestamp() * 1000)


def iso(ms):
    """Milliseconds since the epoch as Lambda writes a window's bounds."""
    at = datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def kinesis_records(events):
    return [
        {
            "eventSource": "aws:kinesis",
            "kinesis": {
                "sequenceNumber": str(i),
                "data": e["data"],
                "partitionKey": "k",
            },
        }
        for i, e in enumerate(events)
    ]


def run_hot(hot, records):
    for i in range(0, len(records), 100):
        result = hot.handler({"Records": records[i : i + 100]}, None)
        if result["batchItemFailures"]:
            raise RuntimeError(f"the hot function failed a batch: {result}")


def run_windows(handler, records, events, seconds):
    """Delivers each window of `seconds` (by arrival time) as Lambda's tumbling window does."""
    length = seconds * 1000
    windows = {}
    for record, event in zip(records, events, strict=True):
        arrival = millis(event["arrival"])
        windows.setdefault(arrival - arrival % length, []).append(record)
    for start, members in sorted(windows.items()):
        bounds = {"start": iso(start), "end": iso(start + length)}
        state = {}
        batches = [members[i : i + 100] for i in range(0, len(members), 100)]
        for i, batch in enumerate(batches):
            event = {
                "Records": batch,
                "state": json.loads(json.dumps(state)),
                "window": bounds,
                "isFinalInvokeForWindow": i == len(batches) - 1,
                "isWindowTerminatedEarly": False,
            }
            result = handler.handler(event, None)
            if result["batchItemFailures"]:
                raise RuntimeError(f"a window function failed a batch: {result}")
            state = result["state"]


def run_case(build, template, windows, case):
    """One case in a fresh moto account; returns its outcome."""
    resources = template["Resources"]
    names = create(template)
    events = case["events"]
    records = kinesis_records(events)
    flagged = [[] for _ in events]
    arns = {}
    if "HotFunction" in resources:
        hot = load(build, template, "HotFunction", names, case["now"])
        arns.update({arn: topic for topic, arn in hot.TOPICS.items()})
        for i, event in enumerate(events):
            record, reason = hot.decode(base64.b64decode(event["data"]))
            if not reason:
                flagged[i] = [rule[0] for rule in hot.flags(record)]
        run_hot(hot, records)
    functions = sorted(
        k
        for k, r in resources.items()
        if k.startswith("Window") and r["Type"] == "AWS::Lambda::Function"
    )
    for function in functions:
        handler = load(build, template, function, names, case["now"])
        arns.update({arn: topic for topic, arn in handler.TOPICS.items()})
        run_windows(handler, records, events, windows[handler.RULE[0]])
    dead = [None for _ in events]
    if "DeadLetterQueue" in names:
        for body in drain(names["DeadLetterQueue"]):
            dead[int(body["seq"])] = body["reason"]
    stored = []
    if "FlaggedTable" in names:
        for item in scan(names["FlaggedTable"]):
            stored.append(
                {k: v for k, v in item.items() if not k.startswith("_pipec_")}
            )
    decisions = []
    if "WindowsTable" in names:
        for item in scan(names["WindowsTable"]):
            if "aggregates" in item:
                keys = ("rule", "start", "end", "group", "aggregates")
                decisions.append({k: item[k] for k in keys})
    alerts = []
    backend = sns_backends[DEFAULT_ACCOUNT_ID][REGION]
    for arn, topic in sorted(arns.items()):
        if arn in backend.topics:
            for sent in backend.topics[arn].sent_notifications:
                message = json.loads(sent[1])
                alerts.append({"topic": topic, "subject": sent[2], "message": message})
    return {
        "flagged": flagged,
        "dead_letters": dead,
        "stored": stored,
        "alerts": alerts,
        "windows": decisions,
    }


def main(input_file, output_file):
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
    )
    with open(input_file) as f:
        job = json.load(f)
    with open(os.path.join(job["build"], "template.json")) as f:
        template = json.load(f)
    outcomes = []
    for case in job["cases"]:
        with mock_aws():
            outcomes.append(run_case(job["build"], template, job["windows"], case))
    with open(output_file, "w") as f:
        json.dump(outcomes, f)


if __name__ == "__main__":
    main(*sys.argv[1:3])

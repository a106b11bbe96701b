"""Runs a flink-engine pipeline's alerts function (CloudFormation build) under moto's mock_aws.

Usage: run_alerts.py TEMPLATE_DIR ALERTS_FILE OUT_FILE

ALERTS_FILE holds one alert per line, as the Flink application writes them to the alerts
stream ({"rule", "window_start", "window_end", "group_key", "record"}). They are delivered
to the alerts function as one Kinesis batch, then the same batch again (a redelivery).
OUT_FILE receives {"failures", "items", "windows", "dead_letters", "messages"}, as
run_aws.py writes them, and "sent": every SNS message as sent, {"topic", "subject", "text"}
(the body's exact text, to compare with the local runtime's byte for byte).
"""

import base64
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))

import run_aws  # noqa: E402
from moto import mock_aws  # noqa: E402


def sent(resources, names):
    """Every SNS message sent, with its body's exact text, per topic in the order sent."""
    backend = run_aws.sns_backends[run_aws.DEFAULT_ACCOUNT_ID][run_aws.driver.REGION]
    return [
        {"topic": resources[logical]["Properties"]["TopicName"], "subject": n[2], "text": n[1]}
        for logical, arn in sorted(names.items())
        if resources[logical]["Type"] == "AWS::SNS::Topic"
        for n in backend.topics[arn].sent_notifications
    ]


@mock_aws
def main(directory, alerts_file, out_file):
    with open(os.path.join(directory, "template.json")) as f:
        template = json.load(f)
    resources = template["Resources"]
    names = run_aws.driver.create(template)
    records = []
    with open(alerts_file) as f:
        for seq, line in enumerate(f):
            data = base64.b64encode(line.rstrip("\n").encode("utf-8")).decode()
            kinesis = {"sequenceNumber": str(seq), "data": data, "partitionKey": "k"}
            records.append({"kinesis": kinesis, "eventSource": "aws:kinesis"})
    drain = run_aws.Drain(names.get("DeadLetterQueue"))
    alerts = run_aws.driver.load(directory, template, "AlertsFunction", names)
    failures = 0
    for _ in range(2):
        failures += len(alerts.handler({"Records": records}, None)["batchItemFailures"])
    out = {"failures": failures, "items": [], "windows": []}
    if "FlaggedTable" in names:
        out["items"] = run_aws.driver.scan(names["FlaggedTable"])
    if "WindowsTable" in names:
        out["windows"] = run_aws.driver.scan(names["WindowsTable"])
    out["dead_letters"] = drain.bodies
    out["messages"] = run_aws.messages(resources, names)
    out["sent"] = sent(resources, names)
    with open(out_file, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(*sys.argv[1:4])

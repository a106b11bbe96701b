"""Runs a pipec-generated tumbling-window Lambda handler under moto's mock_aws.

Usage: run_window.py TEMPLATE_DIR FUNCTION_ID EVENTS_FILE OUT_FILE

Delivers EVENTS_FILE ("seq\\tb64" lines) as one window: batches of 100, the state returned by
each invocation passed to the next, the last invocation marked isFinalInvokeForWindow. OUT_FILE
receives {"alerts": [message, ...], "final_state": {...}}.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from run_handler import handler_dir, load_module, mock_aws, sns_backends, DEFAULT_ACCOUNT_ID, boto3  # noqa: E402


@mock_aws
def main(directory, function, events_file, out_file):
    template = json.load(open(os.path.join(directory, "template.json")))
    resources = template["Resources"]
    sns = boto3.client("sns")
    arns = {}
    for logical, resource in resources.items():
        if resource["Type"] == "AWS::SNS::Topic":
            arns[logical] = sns.create_topic(Name=resource["Properties"]["TopicName"])["TopicArn"]
    env = resources[function]["Properties"]["Environment"]["Variables"]
    topics = env["TOPICS"]
    text = topics["Fn::Sub"] if isinstance(topics, dict) else topics
    for logical, arn in arns.items():
        text = text.replace("${%s}" % logical, arn)
    os.environ["TOPICS"] = text
    os.environ["PIPELINE"] = env["PIPELINE"]
    handler = load_module(handler_dir(directory, template, function))
    records = []
    for line in open(events_file):
        seq, data = line.rstrip("\n").split("\t")
        records.append({"kinesis": {"sequenceNumber": seq, "data": data, "partitionKey": "k"}})
    batches = [records[i : i + 100] for i in range(0, len(records), 100)] or [[]]
    state = {}
    window = {"start": "2026-11-26T12:00:00Z", "end": "2026-11-26T12:01:00Z"}
    for i, batch in enumerate(batches):
        final = i == len(batches) - 1
        # The state crosses a JSON boundary between invocations, as in Lambda.
        state = json.loads(json.dumps(state))
        result = handler.handler({"Records": batch, "state": state, "window": window, "isFinalInvokeForWindow": final}, None)
        assert result["batchItemFailures"] == []
        state = result["state"]
    backend = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    alerts = [json.loads(n[1]) for arn in json.loads(text).values() for n in backend.topics[arn].sent_notifications]
    json.dump({"alerts": alerts, "final_state": state}, open(out_file, "w"))


if __name__ == "__main__":
    main(*sys.argv[1:5])

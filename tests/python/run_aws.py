"""Runs every pipec-generated Lambda function of a CloudFormation build under moto's mock_aws.

Usage: run_aws.py TEMPLATE_DIR EVENTS_FILE OUT_FILE

The template's DynamoDB tables (with their indexes), SNS topics and SQS queues are created as
declared; each function is imported from its code (inline ZipFile or the zip asset, unpacked)
with its own environment resolved against them, both by the driver pipec ships for `pipec test
--target lambda` (src/spectest/lambda_driver.py), so the two set moto up alike. EVENTS_FILE
lines ("seq\\tb64") are:
* delivered to the hot function as Kinesis batches of 100, then every batch again;
* delivered to each window function as one tumbling window (batches of 100, the state carried
  through JSON), terminated early once halfway (isWindowTerminatedEarly: the next invocation
  starts with a fresh state), then the whole window delivered again (a retried window);
* read back through the viewer function, page by page, when there is one (the first page at
  its default size, then ``?limit=1000``), and asked a bad ``limit`` and ``after``.

OUT_FILE receives {"items", "windows", "dead_letters", "messages": {"topic": [{"subject",
"message"}]}, "failures", "viewer": (``read_viewer``'s), "seconds": {phase: {"wall", "cpu"}}}.

Where the time goes (profiled 2026-12-02 on the 2-core machine: `python -m cProfile` on the kept
clickstream corpus, see PIPEC_DIFFERENTIAL_KEEP in tests/handler.rs; `perf` over the whole test):
* 94 % of the test's CPU is this process; the Rust test itself 3 %, `pipec run --local` 3 %.
* Here, almost everything is moto answering the functions' AWS calls, about 2.5 ms of CPU per
  call: at 3,000 events, 12,382 calls; the hot function's two deliveries took 61 % of the
  profile (4,244 conditional puts 42 s, 3,345 publishes 23 s, 2,122 updates 18 s, 1,642
  dead-letter sends 11 s of 159 s under the profiler), reading the viewer's 22 pages 24 %,
  the table scan 13 %. Per call, moto's dispatch is two thirds (its response serialisation
  a third of that), botocore's request building and SigV4 signing a sixth.
* No call is retried (so no backoff sleeps), JSON dumping is under 1 %. Unsigned requests and
  caching moto's per-request method lookup saved under 5 % (within noise): not kept.
* The hot path is linear in the events, the viewer grew faster: moto's Query sorts the whole
  index for every call, and a call returns at most 1 MB (rows near 400 KB cut it short).
  clickstream at 20,000 events, CPU seconds: hot 222, scan 32, viewer 181 when every page
  held 100 rows; so after the first page (the default size, checked) the viewer is read
  1,000 rows a page (``?limit=1000``), which makes it a small share again.
"""

import json
import os
import sys
import time

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
)

# The moto setup is the shipped `pipec test --target lambda` driver's: the same tables, topics
# and queues from the template, the same way of importing a function with its environment.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "src", "spectest"))
import lambda_driver as driver  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.core.models import DEFAULT_ACCOUNT_ID  # noqa: E402
from moto.sns.models import sns_backends  # noqa: E402
from moto.sqs.models import sqs_backends  # noqa: E402


def _queue(queue_url):
    return sqs_backends[DEFAULT_ACCOUNT_ID][driver.REGION].queues[queue_url.rsplit("/", 1)[-1]]


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
        backend = sqs_backends[DEFAULT_ACCOUNT_ID][driver.REGION]
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


def _sent(row):
    """A JSON row's bytes in Lambda's response payload, as the viewer measures them."""
    return len(json.dumps(json.dumps(row)))


def read_viewer(viewer):
    """Every row through the viewer's JSON pages, in the order it gives them: the first page
    at the default size, the rest 1,000 rows at a time (?limit=1000), and what it answers a
    bad ``limit`` and a bad ``after``.

    "pages" holds [rows, their bytes as sent, the first row's bytes] per page, "largest" the
    largest response as Lambda sends it (the handler's return value as JSON), "refused" the
    bad requests' status and error.
    """
    rows, pages, token, alerts, largest = [], [], None, None, 0
    while True:
        params = {"format": "json"}
        if token:
            params.update(after=token, limit="1000")
        response = viewer.handler({"queryStringParameters": params}, None)
        assert response["statusCode"] == 200, response
        largest = max(largest, len(json.dumps(response)))
        body = json.loads(response["body"])
        rows += body["rows"]
        if alerts is None:
            alerts = body.get("alerts", [])
        sizes = [_sent(row) for row in body["rows"]]
        pages.append([len(sizes), sum(sizes), sizes[0] if sizes else 0])
        token = body.get("next")
        if not token:
            break
    refused = []
    for params in ({"limit": "1001"}, {"limit": "-1"}, {"after": "not-a-token"}):
        response = viewer.handler({"queryStringParameters": params}, None)
        refused.append([response["statusCode"], json.loads(response["body"])])
    return {
        "rows": rows,
        "pages": pages,
        "alerts": alerts,
        "largest": largest,
        "refused": refused,
    }


def messages(resources, names):
    """Every SNS message sent, per topic name: {"subject", "message"} in the order sent."""
    backend = sns_backends[DEFAULT_ACCOUNT_ID][driver.REGION]
    return {
        resources[logical]["Properties"]["TopicName"]: [
            {"subject": n[2], "message": json.loads(n[1])} for n in backend.topics[arn].sent_notifications
        ]
        for logical, arn in names.items()
        if resources[logical]["Type"] == "AWS::SNS::Topic"
    }


class Clock:
    """Seconds per phase (wall and this process's CPU), reported in OUT_FILE as "seconds"."""

    def __init__(self):
        self.seconds = {}
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def lap(self, phase):
        wall, cpu = time.perf_counter(), time.process_time()
        self.seconds[phase] = {"wall": round(wall - self._wall, 2), "cpu": round(cpu - self._cpu, 2)}
        self._wall, self._cpu = wall, cpu


@mock_aws
def main(directory, events_file, out_file):
    clock = Clock()
    with open(os.path.join(directory, "template.json")) as f:
        template = json.load(f)
    resources = template["Resources"]
    names = driver.create(template)
    records = []
    with open(events_file) as f:
        for line in f:
            seq, data = line.rstrip("\n").split("\t")
            kinesis = {"sequenceNumber": seq, "data": data, "partitionKey": "k"}
            records.append({"kinesis": kinesis, "eventSource": "aws:kinesis"})
    clock.lap("setup")
    failures = 0
    drain = Drain(names.get("DeadLetterQueue"))
    if "HotFunction" in resources:
        hot = driver.load(directory, template, "HotFunction", names)
        batches = [records[i : i + 100] for i in range(0, len(records), 100)]
        for _ in range(2):
            for batch in batches:
                failures += len(hot.handler({"Records": batch}, None)["batchItemFailures"])
    clock.lap("hot")
    windows = sorted(k for k, r in resources.items() if k.startswith("Window") and r["Type"] == "AWS::Lambda::Function")
    for function in windows:
        handler = driver.load(directory, template, function, names)
        for _ in range(2):
            failures += run_window(handler, records)
    clock.lap("windows")
    out = {"failures": failures, "items": [], "windows": [], "dead_letters": []}
    if "FlaggedTable" in names:
        out["items"] = driver.scan(names["FlaggedTable"])
    if "WindowsTable" in names:
        out["windows"] = driver.scan(names["WindowsTable"])
    out["dead_letters"] = drain.bodies
    out["messages"] = messages(resources, names)
    clock.lap("read back")
    if "ViewerFunction" in resources:
        out["viewer"] = read_viewer(driver.load(directory, template, "ViewerFunction", names))
    clock.lap("viewer")
    out["seconds"] = clock.seconds
    with open(out_file, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(*sys.argv[1:4])

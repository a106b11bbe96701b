"""Runs a pipec-generated webhook fanout function under moto's mock_aws against a local server.

Usage: run_fanout.py TEMPLATE_DIR MESSAGE_FILE OUT_FILE

The function's WEBHOOKS environment is pointed at two URLs for the template's first webhook
topic: an HTTP server on 127.0.0.1 (port 0) that records each request, and a refused port. One
SNS event carrying MESSAGE_FILE's text is delivered. OUT_FILE receives {"received": [{"path",
"content_type", "body"}], "dead_letters": [...], "result": ...}.
"""

import http.server
import json
import os
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
import boto3  # noqa: E402
from run_aws import drain, driver, mock_aws  # noqa: E402

received = []


class Recorder(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the http.server API
        length = int(self.headers["content-length"])
        body = self.rfile.read(length).decode("utf-8")
        received.append({"path": self.path, "content_type": self.headers["content-type"], "body": body})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def refused_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@mock_aws
def main(directory, message_file, out_file):
    with open(os.path.join(directory, "template.json")) as f:
        template = json.load(f)
    names = driver.create(template)
    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = template["Resources"]["FanoutFunction"]["Properties"]["Environment"]["Variables"]
    webhooks = json.loads(env["WEBHOOKS"])
    topic_name, (topic, _) = next(iter(webhooks.items()))
    urls = [f"http://127.0.0.1:{server.server_port}/hook", f"http://127.0.0.1:{refused_port()}/down"]
    env["WEBHOOKS"] = json.dumps({topic_name: [topic, urls]})
    fanout = driver.load(directory, template, "FanoutFunction", names)
    fanout.FIRST_BACKOFF = 0.01
    with open(message_file) as f:
        message = f.read()
    arn = boto3.client("sns").create_topic(Name=topic_name)["TopicArn"]
    event = {"Records": [{"EventSource": "aws:sns", "Sns": {"TopicArn": arn, "Message": message}}]}
    result = fanout.handler(event, None)
    server.shutdown()
    out = {"received": received, "dead_letters": drain(names["DeadLetterQueue"]), "result": result}
    with open(out_file, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(*sys.argv[1:4])

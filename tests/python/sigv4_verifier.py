"""A local HTTP server that accepts only requests SigV4-signed with one known key.

Independent of pipec: the expected signature is computed by botocore's own SigV4
signer (`botocore.auth.SigV4Auth`) from the request as received. Answers 200 with a
JSON echo of the request when the signature, its scope, the date and the payload hash
are right; 403 with the reason otherwise. Prints its port on the first line of stdout,
then serves until killed.

usage: python sigv4_verifier.py ACCESS_KEY SECRET_KEY REGION SERVICE
"""

import datetime
import hashlib
import hmac
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCESS_KEY, SECRET_KEY, REGION, SERVICE = sys.argv[1:5]
MAX_SKEW = datetime.timedelta(minutes=5)


def problem(headers, method, path, body):
    """Why the request is not correctly signed, or None when it is."""
    auth = headers.get("Authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return "no SigV4 Authorization header"
    fields = dict(
        part.strip().split("=", 1)
        for part in auth[len("AWS4-HMAC-SHA256 ") :].split(",")
    )
    amz_date = headers.get("X-Amz-Date", "")
    try:
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.UTC
        )
    except ValueError:
        return f"bad X-Amz-Date {amz_date!r}"
    if abs(datetime.datetime.now(datetime.UTC) - when) > MAX_SKEW:
        return f"X-Amz-Date {amz_date} is too far from now"
    scope = f"{ACCESS_KEY}/{amz_date[:8]}/{REGION}/{SERVICE}/aws4_request"
    if fields.get("Credential") != scope:
        return f"credential scope {fields.get('Credential')!r}, expected {scope!r}"
    if headers.get("X-Amz-Content-SHA256") != hashlib.sha256(body).hexdigest():
        return "X-Amz-Content-SHA256 is not the SHA-256 of the body"
    signed = fields.get("SignedHeaders", "").split(";")
    if "host" not in signed:
        return "the Host header is not signed"
    request = AWSRequest(
        method=method,
        url=f"http://{headers['Host']}{path}",
        data=body,
        headers={name: headers[name] for name in signed if name in headers},
    )
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), SERVICE, REGION)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, fields.get("Signature", "")):
        return "signature mismatch (botocore computes another one)"
    return None


class Handler(BaseHTTPRequestHandler):
    """Verifies every request, whatever its method."""

    def handle_any(self):
        """Answer 200 with an echo when the signature verifies, else 403."""
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        why = problem(self.headers, self.command, self.path, body)
        answer = {
            "verified": why is None,
            "problem": why,
            "method": self.command,
            "path": self.path,
            "body": body.decode("utf-8", "replace"),
        }
        data = json.dumps(answer).encode()
        self.send_response(200 if why is None else 403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = handle_any

    def log_message(self, *args):
        """Stay quiet: the test reads stdout."""


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()

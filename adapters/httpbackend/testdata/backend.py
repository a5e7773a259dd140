#!/usr/bin/env python3
"""A population database written in Python (standard library only), served
to the ndxp hub through `ndxp agency --only 000.00.01.G01 --backend URL`.

The hub POSTs each request as JSON to /<service> with the exchange's
metadata in Ndxp-* headers; this answers the service's response message as
JSON, or an error as {"code": "NOT_FOUND", "message": "..."} with the
matching HTTP status.

Run: python3 backend.py [port]  (0 or none: a free port, printed on stdout)
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CITIZENS = {
    "001194053383": {"personalId": "001194053383", "fullName": "Trần Thị Lệ",
                     "dateOfBirth": "1994-11-21", "sex": "SEX_FEMALE"},
}


def lookup(req, headers):
    pid = req.get("personalId", "")
    if len(pid) != 12 or not pid.isdigit():
        return 400, {"code": "INVALID_ARGUMENT", "message": "invalid personal_id: want 12 digits, got %r" % pid}
    if pid == "999999999999":  # a backend bug: an answer of the wrong shape
        return 200, {"citizen": {"fullName": "X", "shoeSize": 42}}
    if pid == "888888888888":  # a slow backend: slower than the deadline
        time.sleep(5)
    if pid == "777777777777":  # a crashing backend: a plain 500
        return 500, None
    citizen = CITIZENS.get(pid)
    if citizen is None:
        return 404, {"code": "NOT_FOUND", "message": "no citizen with personal_id %s" % pid}
    return 200, {"citizen": dict(citizen, householdId=headers.get("Ndxp-Consumer", ""))}


SERVICES = {"citizen-lookup": lookup}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        service = self.path.strip("/")
        handler = SERVICES.get(service)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if handler is None:
            return self.answer(404, {"code": "UNIMPLEMENTED", "message": "no service %s here" % service})
        status, answer = handler(json.loads(body or b"{}"), self.headers)
        self.answer(status, answer)

    def answer(self, status, answer):
        data = b"" if answer is None else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):  # one line per request on stderr
        sys.stderr.write("backend: %s %s %s\n" % (self.headers.get("Ndxp-Message-Id"), self.path, fmt % args))


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0), Handler)
    print("listening on http://127.0.0.1:%d" % server.server_port, flush=True)
    server.serve_forever()

#!/usr/bin/env python3
"""A stand-in of the Lambda Runtime API (2018-06-01) for Ferry's tests, on 127.0.0.1 only.

It serves what a custom runtime (`ferry agent lambda`) calls:

    GET  /2018-06-01/runtime/invocation/next             blocks until the test queues an invocation
    POST /2018-06-01/runtime/invocation/{id}/response    the invocation's answer
    POST /2018-06-01/runtime/invocation/{id}/error       the invocation failed
    POST /2018-06-01/runtime/init/error                  the runtime could not start

`next` answers with Lambda's headers: Lambda-Runtime-Aws-Request-Id,
Lambda-Runtime-Deadline-Ms, Lambda-Runtime-Invoked-Function-Arn, Lambda-Runtime-Trace-Id,
and the body of a scheduled EventBridge event. Each answer carries `billedMillis`: the time
from the moment `next` was answered to the moment the answer's POST arrived, which is what
Lambda bills as the invocation's duration.

Control, for the test:
    POST /__invoke__?timeout=SECONDS      queues one invocation (deadline = when it is handed
                                           out + SECONDS); answers {"id": ...}
    GET  /__result__/{id}?wait=SECONDS    waits up to SECONDS for its answer: {"kind":
                                           "response"|"error"|"pending", "body": ..., "handedOut": bool,
                                           "billedMillis": float}
    GET  /__init_errors__                 the init errors posted so far

Prints its port on the first line of stdout, then serves until killed.
"""
import http.server, json, select, socket, socketserver, sys, threading, time, urllib.parse, uuid

CONDITION = threading.Condition()
QUEUE = []        # ids waiting to be handed out
TIMEOUTS = {}     # id -> seconds the invocation may run
RESULTS = {}      # id -> {"kind", "body"}
HANDED = set()    # ids handed out
HANDED_AT = {}    # id -> time.monotonic() when `next` was answered with it
INIT_ERRORS = []
EVENT = {"version": "0", "id": "", "detail-type": "Scheduled Event", "source": "aws.events",
         "account": "123456789012", "region": "us-east-1", "resources": [], "detail": {}}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: the headers and the body go out in two writes; with Nagle's algorithm the
    # body would wait for the runtime's delayed ACK (40 ms), which Lambda's own API does not add.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def client_gone(self):
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/2018-06-01/runtime/invocation/next":
            with CONDITION:
                while not QUEUE:
                    CONDITION.wait(0.1)
                    # A runtime that was killed while it waited takes nothing (as in Lambda,
                    # an ended environment gets no invocation).
                    if self.client_gone():
                        self.close_connection = True
                        return
                request_id = QUEUE.pop(0)
                HANDED.add(request_id)
                CONDITION.notify_all()
            deadline = int((time.time() + TIMEOUTS[request_id]) * 1000)
            event = dict(EVENT, id=request_id, time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
            # Set before the answer is written: the runtime's POST may arrive before this
            # thread runs again.
            HANDED_AT[request_id] = time.monotonic()
            self.answer(200, event, {
                "Lambda-Runtime-Aws-Request-Id": request_id,
                "Lambda-Runtime-Deadline-Ms": str(deadline),
                "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:ferry-agent",
                "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000",
            })
        elif url.path.startswith("/__result__/"):
            request_id = url.path[len("/__result__/"):]
            wait = float(query.get("wait", ["0"])[0])
            end = time.time() + wait
            with CONDITION:
                while request_id not in RESULTS and time.time() < end:
                    CONDITION.wait(max(0.01, end - time.time()))
                result = RESULTS.get(request_id, {"kind": "pending", "body": None})
                result = dict(result, handedOut=request_id in HANDED)
            self.answer(200, result)
        elif url.path == "/__init_errors__":
            with CONDITION:
                self.answer(200, list(INIT_ERRORS))
        else:
            self.answer(404, {"errorMessage": "no such path"})

    def do_POST(self):
        arrived = time.monotonic()
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        body = self.body()
        prefix = "/2018-06-01/runtime/invocation/"
        if url.path == "/__invoke__":
            request_id = str(uuid.uuid4())
            with CONDITION:
                TIMEOUTS[request_id] = float(query.get("timeout", ["60"])[0])
                QUEUE.append(request_id)
                CONDITION.notify_all()
            self.answer(200, {"id": request_id})
        elif url.path.startswith(prefix) and url.path.endswith(("/response", "/error")):
            request_id, kind = url.path[len(prefix):].rsplit("/", 1)
            request_id = urllib.parse.unquote(request_id)
            with CONDITION:
                if request_id not in HANDED:
                    self.answer(400, {"errorMessage": "unknown request id", "errorType": "InvalidRequestID"})
                    return
                if request_id in RESULTS:
                    self.answer(400, {"errorMessage": "already answered", "errorType": "InvalidStateTransition"})
                    return
                try:
                    decoded = json.loads(body.decode() or "null")
                except ValueError:
                    decoded = body.decode(errors="replace")
                billed = (arrived - HANDED_AT[request_id]) * 1000 if request_id in HANDED_AT else None
                RESULTS[request_id] = {"kind": kind, "body": decoded, "billedMillis": billed,
                                       "errorType": self.headers.get("Lambda-Runtime-Function-Error-Type")}
                CONDITION.notify_all()
            self.answer(202, {"status": "OK"})
        elif url.path == "/2018-06-01/runtime/init/error":
            with CONDITION:
                INIT_ERRORS.append(json.loads(body.decode() or "null"))
            self.answer(202, {"status": "OK"})
        else:
            self.answer(404, {"errorMessage": "no such path"})


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Fault-injecting HTTP proxy for Ferry's tests (a stand-in for a bad network, not for AWS).

Listens on 127.0.0.1 and forwards every request to --upstream (a moto server), or, without
--upstream, answers from a small built-in origin (/bytes/N, /echo, /status/N, /headers,
/slow/N). Faults queued through the control endpoint apply to the next matching requests:

  POST /__faults__  [{"kind": "status", "status": 503, "code": "SlowDown", "retryAfter": 1},
                     {"kind": "reset"}, {"kind": "delay", "ms": 500}, {"kind": "truncate"},
                     {"kind": "...", "match": "PUT /bucket"}]
  GET  /__log__     [{"method", "path", "fault", "port"}, ...] of every proxied request
  POST /__reset__   forget faults and log

Prints its port on the first line of stdout, then serves until killed.
"""
import argparse, hashlib, http.client, http.server, json, socket, struct, sys, threading, time, urllib.parse

LOCK = threading.Lock()
FAULTS = []
LOG = []
UPSTREAM = None
HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade", "trailer"}
PATTERN = bytes(i % 251 for i in range(1 << 20))


IMDS_TOKEN = "imds-session-token"


def credentials_document(key, secret):
    expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    return {"Code": "Success", "AccessKeyId": key, "SecretAccessKey": secret, "Token": key + "-token",
            "Expiration": expires}


def origin_bytes(n):
    full, rest = divmod(n, len(PATTERN))
    return PATTERN * full + PATTERN[:rest]


def describe_alarms_page(form):
    """CloudWatch DescribeAlarms in two pages (moto answers in one): page 1 has a metric and a
    composite alarm and NextToken "page-2", page 2 one metric alarm. 400 unless both
    AlarmTypes are asked for (without them CloudWatch answers metric alarms only)."""
    if form.get("Action") != "DescribeAlarms":
        return 400, b"only DescribeAlarms"
    if (form.get("AlarmTypes.member.1"), form.get("AlarmTypes.member.2")) != ("MetricAlarm", "CompositeAlarm"):
        return 400, b"<ErrorResponse><Error><Code>ValidationError</Code><Message>AlarmTypes missing</Message></Error></ErrorResponse>"

    def alarm(name, state):
        return ("<member><AlarmName>%s</AlarmName><AlarmArn>arn:aws:cloudwatch:us-east-1:111122223333:alarm:%s</AlarmArn>"
                "<StateValue>%s</StateValue></member>" % (name, name, state))
    if form.get("NextToken") is None:
        metric, composite, token = alarm("a-1", "OK"), alarm("a-composite", "ALARM"), "<NextToken>page-2</NextToken>"
    elif form.get("NextToken") == "page-2":
        metric, composite, token = alarm("a-2", "INSUFFICIENT_DATA"), "", ""
    else:
        return 400, b"<ErrorResponse><Error><Code>InvalidNextToken</Code><Message>bad token</Message></Error></ErrorResponse>"
    return 200, ("<DescribeAlarmsResponse><DescribeAlarmsResult><CompositeAlarms>%s</CompositeAlarms><MetricAlarms>%s"
                 "</MetricAlarms>%s</DescribeAlarmsResult></DescribeAlarmsResponse>" % (composite, metric, token)).encode()


def error_body(fault):
    code = fault.get("code", "SlowDown")
    message = fault.get("message", "injected by the test fault proxy")
    if fault.get("style") == "query":
        return ("<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>"
                "<RequestId>fault-proxy</RequestId></ErrorResponse>" % (code, message)).encode()
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s</Code><Message>%s</Message>"
            "<RequestId>fault-proxy</RequestId></Error>" % (code, message)).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self): self.serve()
    def do_HEAD(self): self.serve()
    def do_PUT(self): self.serve()
    def do_POST(self): self.serve()
    def do_DELETE(self): self.serve()

    def read_body(self, limit=None):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length if limit is None else min(length, limit))

    def reply(self, status, headers, body, send_body=True):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if send_body and self.command != "HEAD":
            self.wfile.write(body)

    def serve(self):
        if self.path.startswith("/__"):
            return self.control()
        fault = None
        with LOCK:
            for index, candidate in enumerate(FAULTS):
                if candidate.get("match", "") in "%s %s" % (self.command, self.path):
                    fault = FAULTS.pop(index)
                    break
            LOG.append({"method": self.command, "path": self.path, "port": self.client_address[1],
                        "fault": fault["kind"] if fault else None})
        kind = fault["kind"] if fault else None
        if kind == "reset":
            self.read_body(limit=int(self.headers.get("Content-Length") or 0) // 2)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        body = self.read_body()
        if kind == "delay":
            time.sleep(fault.get("ms", 1000) / 1000.0)
        if kind == "status":
            data = error_body(fault)
            headers = [("Content-Type", "application/xml"), ("Content-Length", str(len(data)))]
            if "retryAfter" in fault:
                headers.append(("Retry-After", str(fault["retryAfter"])))
            return self.reply(fault.get("status", 503), headers, data)
        status, headers, data = self.forward(body) if UPSTREAM else self.origin(body)
        if kind == "truncate" and self.command != "HEAD" and len(data) > 1:
            self.reply(status, headers, data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.reply(status, headers, data)

    def forward(self, body):
        connection = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        connection.request(self.command, self.path, body=body if body or self.command in ("PUT", "POST") else None,
                           headers=headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        out = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP and k.lower() != "content-length"]
        if self.command == "HEAD":
            length = response.getheader("Content-Length")
            if length is not None:
                out.append(("Content-Length", length))
        else:
            out.append(("Content-Length", str(len(data))))
        return response.status, out, data

    def origin(self, body):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        parts = url.path.strip("/").split("/")
        if parts[0] == "bytes" and len(parts) == 2:
            data = origin_bytes(int(parts[1]))
            return 200, [("Content-Length", str(len(data))), ("ETag", '"%s"' % hashlib.sha256(data).hexdigest())], data
        if parts[0] == "echo":
            data = json.dumps({"method": self.command, "length": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                               "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
            return 200, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))], data
        if parts[0] == "headers":
            data = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
            return 200, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))], data
        if parts[0] == "status" and len(parts) == 2:
            data = ("status %s" % parts[1]).encode()
            headers = [("Content-Length", str(len(data)))]
            if "retry-after" in query:
                headers.append(("Retry-After", query["retry-after"]))
            return int(parts[1]), headers, data
        if parts[0] == "slow" and len(parts) == 2:
            total, pause = int(parts[1]), float(query.get("ms", "500")) / 1000.0
            self.send_response(200)
            self.send_header("Content-Length", str(total))
            self.end_headers()
            try:
                for _ in range(total):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(pause)
            except OSError:
                pass
            self.close_connection = True
            raise _Handled()
        if parts[0] == "cloudwatch" and self.command == "POST":
            return self.small(*describe_alarms_page(dict(urllib.parse.parse_qsl(body.decode()))))
        # Stand-ins for EC2 instance metadata (IMDSv2) and the ECS container credentials
        # endpoint, which moto does not serve on a local port.
        if url.path == "/latest/api/token" and self.command == "PUT":
            if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                return self.small(400, b"missing ttl")
            return self.small(200, IMDS_TOKEN.encode())
        if url.path.startswith("/latest/meta-data/iam/security-credentials/"):
            if self.headers.get("X-aws-ec2-metadata-token") != IMDS_TOKEN:
                return self.small(401, b"IMDSv2 token required")
            role = url.path[len("/latest/meta-data/iam/security-credentials/"):]
            if role == "":
                return self.small(200, b"ferry-instance-role\n")
            return self.small(200, json.dumps(credentials_document("ASIAIMDSEXAMPLE", "imds-secret")).encode())
        if url.path == "/ecs/credentials":
            if self.headers.get("Authorization") != "ecs-auth-token":
                return self.small(401, b"bad authorization")
            return self.small(200, json.dumps(credentials_document("ASIAECSEXAMPLE", "ecs-secret")).encode())
        data = b"not found"
        return 404, [("Content-Length", str(len(data)))], data

    def small(self, status, data):
        return status, [("Content-Length", str(len(data)))], data

    def control(self):
        global FAULTS, LOG
        body = self.read_body()
        with LOCK:
            if self.path.startswith("/__faults__") and self.command == "POST":
                FAULTS.extend(json.loads(body or b"[]"))
                data = b"{}"
            elif self.path.startswith("/__log__"):
                data = json.dumps(LOG).encode()
            elif self.path.startswith("/__reset__"):
                FAULTS, LOG = [], []
                data = b"{}"
            else:
                data = b"{}"
        self.reply(200, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))], data)


class _Handled(Exception):
    pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (_Handled, OSError)):
            super().handle_error(request, client_address)


def main():
    global UPSTREAM
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.upstream:
        UPSTREAM = urllib.parse.urlsplit(args.upstream)
    server = Server(("127.0.0.1", args.port), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

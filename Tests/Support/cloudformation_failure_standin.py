#!/usr/bin/env python3
"""A stand-in for CloudFormation's failure sequences, in front of moto (Ferry's tests).

moto never fails a stack: no *_FAILED resource, no rollback (MOTO.md). This proxy forwards
every request to moto (--upstream), except for stacks whose change set template carries the
marker

    Metadata:
      FerryTestFailure: {resource: Queue, reason: "Resource handler returned message: boom"}

ExecuteChangeSet of such a change set is NOT forwarded (so the stack in moto keeps its
previous template, as after CloudFormation's own rollback); instead the proxy plays the
documented sequence, one step per DescribeStacks:

    update: UPDATE_IN_PROGRESS -> UPDATE_ROLLBACK_IN_PROGRESS -> UPDATE_ROLLBACK_COMPLETE
    create: CREATE_IN_PROGRESS -> ROLLBACK_IN_PROGRESS        -> ROLLBACK_COMPLETE

with stack events (newest first, in front of moto's own) that include the resource's
UPDATE_FAILED / CREATE_FAILED with the reason, and the change set's ExecutionStatus
EXECUTE_IN_PROGRESS, then EXECUTE_FAILED. The failed state stays until the stack is
deleted or another change set of it is executed (both forwarded).

Control: GET /__log__ -> [{"action", "stack", "changeSet", "forwarded"}, ...] of every
CloudFormation call; POST /__reset__ forgets the log.
Prints its port on the first line of stdout, then serves until killed.
"""
import argparse, http.client, http.server, json, re, sys, threading, time, urllib.parse, uuid

LOCK = threading.Lock()
LOG = []
MARKED = {}    # (stack, change set name) -> {"resource", "reason", "type"}
FAILING = {}   # stack -> {"kind", "changeSet", "shown" (last phase DescribeStacks showed), "events"}
UPSTREAM = None
HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade", "trailer"}
MARKER = re.compile(r'FerryTestFailure:\s*\{?\s*resource:\s*([A-Za-z0-9]+)\s*,?\s*reason:\s*"([^"]*)"')
PHASES = {
    "UPDATE": ["UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"],
    "CREATE": ["CREATE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE"],
}


def now_text(offset=0.0):
    t = time.time() + offset
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)


def failure_events(stack, stack_id, kind, resource, reason):
    """The operation's events, oldest first, grouped by the phase that reveals them."""
    failed = "UPDATE_FAILED" if kind == "UPDATE" else "CREATE_FAILED"
    start = "UPDATE_IN_PROGRESS" if kind == "UPDATE" else "CREATE_IN_PROGRESS"
    rolling = PHASES[kind][1]
    done = PHASES[kind][2]
    back = "UPDATE_COMPLETE" if kind == "UPDATE" else "DELETE_COMPLETE"
    rows = [
        (0, stack, "AWS::CloudFormation::Stack", start, "User Initiated"),
        (0, resource, "AWS::SQS::Queue", start, None),
        (1, resource, "AWS::SQS::Queue", failed, reason),
        (1, stack, "AWS::CloudFormation::Stack", rolling,
         "The following resource(s) failed to %s: [%s]. " % ("update" if kind == "UPDATE" else "create", resource)),
        (2, resource, "AWS::SQS::Queue", back, None),
        (2, stack, "AWS::CloudFormation::Stack", done, None),
    ]
    events = []
    for index, (phase, logical, kind_, status, why) in enumerate(rows):
        events.append({"phase": phase, "id": str(uuid.uuid4()), "stack": stack, "stackId": stack_id,
                       "logical": logical, "type": kind_, "status": status, "reason": why,
                       "time": now_text(index * 0.001)})
    return events


def event_xml(event):
    reason = "<ResourceStatusReason>%s</ResourceStatusReason>" % escape(event["reason"]) if event["reason"] else ""
    return ("<member><StackId>%s</StackId><EventId>%s</EventId><StackName>%s</StackName>"
            "<LogicalResourceId>%s</LogicalResourceId><ResourceType>%s</ResourceType><Timestamp>%s</Timestamp>"
            "<ResourceStatus>%s</ResourceStatus>%s</member>") % (
        event["stackId"], event["id"], event["stack"], event["logical"], event["type"], event["time"],
        event["status"], reason)


def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self): self.serve()
    def do_HEAD(self): self.serve()
    def do_PUT(self): self.serve()
    def do_POST(self): self.serve()
    def do_DELETE(self): self.serve()

    def serve(self):
        """Reads the request: the control paths (`/__…`) go to `control`, a CloudFormation
        Query call to `handle_call`, anything else to moto as it is."""
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/__"):
            return self.control(body)
        params = {}
        if self.command == "POST" and b"Action=" in body[:4096] and b"Version=2010-05-15" in body:
            params = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
        action = params.get("Action")
        if not action:
            return self.reply(*self.forward(body))
        self.handle_call(action, params, body)

    def handle_call(self, action, params, body):
        stack = params.get("StackName", "")
        change_set = params.get("ChangeSetName", "")
        with LOCK:
            failing = FAILING.get(stack)
        forwarded = True
        if action == "ExecuteChangeSet" and (stack, change_set) in MARKED:
            forwarded = False
            self.start_failure(stack, change_set)
            data = ('<ExecuteChangeSetResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
                    "<ExecuteChangeSetResult/><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>"
                    "</ExecuteChangeSetResponse>") % uuid.uuid4()
            status, headers, data = 200, [("Content-Type", "text/xml")], data.encode()
        else:
            if action in ("ExecuteChangeSet", "DeleteStack") and failing:
                with LOCK:
                    FAILING.pop(stack, None)
                failing = None
            if action == "CreateChangeSet":
                match = MARKER.search(params.get("TemplateBody", ""))
                if match:
                    with LOCK:
                        MARKED[(stack, change_set)] = {"resource": match.group(1), "reason": match.group(2),
                                                       "type": params.get("ChangeSetType", "UPDATE")}
            status, headers, data = self.forward(body)
            if failing and status == 200:
                data = self.rewrite(action, stack, data)
        with LOCK:
            LOG.append({"action": action, "stack": stack, "changeSet": change_set, "forwarded": forwarded})
        self.reply(status, headers, data)

    def start_failure(self, stack, change_set):
        mark = MARKED[(stack, change_set)]
        status, _, data = self.forward(urllib.parse.urlencode(
            {"Action": "DescribeStacks", "StackName": stack, "Version": "2010-05-15"}).encode())
        found = re.search(rb"<StackId>([^<]*)</StackId>", data)
        stack_id = found.group(1).decode() if found else stack
        with LOCK:
            FAILING[stack] = {"kind": mark["type"], "changeSet": change_set, "shown": -1,
                              "events": failure_events(stack, stack_id, mark["type"], mark["resource"], mark["reason"])}

    def rewrite(self, action, stack, data):
        with LOCK:
            state = FAILING.get(stack)
            if not state:
                return data
            phases = PHASES[state["kind"]]
            final = len(phases) - 1
            text = data.decode("utf-8")
            if action == "DescribeStacks":
                state["shown"] = min(state["shown"] + 1, final)
                text = re.sub(r"<StackStatus>[^<]*</StackStatus>",
                              "<StackStatus>%s</StackStatus>" % phases[state["shown"]], text, count=1)
            elif action in ("DescribeChangeSet", "ListChangeSets"):
                execution = "EXECUTE_FAILED" if state["shown"] == final else "EXECUTE_IN_PROGRESS"

                def set_execution(part):
                    if "<ChangeSetName>%s</ChangeSetName>" % state["changeSet"] not in part:
                        return part
                    return re.sub(r"<ExecutionStatus>[^<]*</ExecutionStatus>",
                                  "<ExecutionStatus>%s</ExecutionStatus>" % execution, part)
                if action == "ListChangeSets":
                    text = re.sub(r"<member>.*?</member>", lambda m: set_execution(m.group(0)), text, flags=re.S)
                else:
                    text = set_execution(text)
            elif action == "DescribeStackEvents":
                shown = [e for e in state["events"] if e["phase"] <= state["shown"]]
                synthetic = "".join(event_xml(e) for e in reversed(shown))
                text = text.replace("<StackEvents>", "<StackEvents>" + synthetic, 1)
            return text.encode("utf-8")

    def forward(self, body):
        connection = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        if body:
            headers["Content-Length"] = str(len(body))
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
        return response.status, out, data

    def reply(self, status, headers, data):
        self.send_response(status)
        for name, value in headers:
            if name.lower() != "content-length":
                self.send_header(name, value)
        if self.command != "HEAD":
            self.send_header("Content-Length", str(len(data)))
        else:
            for name, value in headers:
                if name.lower() == "content-length":
                    self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def control(self, body=b""):
        global LOG
        with LOCK:
            if self.path.startswith("/__log__"):
                data = json.dumps(LOG).encode()
            elif self.path.startswith("/__reset__"):
                LOG = []
                data = b"{}"
            else:
                data = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def main():
    global UPSTREAM
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    UPSTREAM = urllib.parse.urlsplit(args.upstream)
    server = Server(("127.0.0.1", args.port), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

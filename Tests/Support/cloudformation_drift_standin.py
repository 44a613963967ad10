#!/usr/bin/env python3
"""A stand-in for CloudFormation drift detection, in front of moto (Ferry's tests).

moto 5.2.1 answers DetectStackDrift, DescribeStackDriftDetectionStatus and
DescribeStackResourceDrifts with HTTP 500 (docs/testing.md). This proxy forwards every
request to moto (--upstream) except those, which it answers in AWS's shapes
(API_DetectStackDrift, API_DescribeStackDriftDetectionStatus,
API_DescribeStackResourceDrifts) from drift the test sets:

    POST /__drift__ {"stack": "t1-app", "resources": [{"logical": "Queue",
        "type": "AWS::SQS::Queue", "status": "MODIFIED",
        "differences": [{"path": "/Properties/VisibilityTimeout", "type": "NOT_EQUAL",
                         "expected": "30", "actual": "60"}]}]}

(an empty list: the stack is in sync). A detection is DETECTION_IN_PROGRESS at its first
status call, then DETECTION_COMPLETE with DRIFTED or IN_SYNC; DescribeStackResourceDrifts
lists the drift the stack had when its last detection started.

A drift-aware change set (CreateChangeSet with DeploymentMode=REVERT_DRIFT) of a drifted
stack is answered here too, as AWS documents it (UserGuide, drift-aware-change-sets): a
change set that modifies each drifted resource, though the template is unchanged; moto
would call it "no changes". Executing it clears the stack's drift and DescribeStacks
shows UPDATE_IN_PROGRESS once, then UPDATE_COMPLETE. Of a stack without drift it is
forwarded (moto: no changes, as AWS).

Control: GET /__log__ -> [{"action", "stack", "changeSet", "forwarded", "deploymentMode"}];
POST /__drift__ as above. Prints its port on the first line of stdout.
"""
import argparse, json, threading, urllib.parse, uuid

import cloudformation_failure_standin as base

LOCK = threading.Lock()
LOG = []
DRIFT = {}        # stack -> [resource]
DETECTIONS = {}   # id -> {"stack", "stackId", "polls", "resources"}
LAST = {}         # stack -> resources of its last detection
CHANGE_SETS = {}  # (stack, name) -> {"id", "stackId", "resources", "executed"}
UPDATING = {}     # stack -> DescribeStacks calls left showing UPDATE_IN_PROGRESS (then UPDATE_COMPLETE)
NS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"


def response(action, inner):
    return ('<%sResponse xmlns="%s"><%sResult>%s</%sResult><ResponseMetadata><RequestId>%s</RequestId>'
            '</ResponseMetadata></%sResponse>') % (action, NS, action, inner, action, uuid.uuid4(), action)


def error(code, message, status=400):
    body = ('<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>'
            '<RequestId>%s</RequestId></ErrorResponse>') % (NS, code, base.escape(message), uuid.uuid4())
    return status, body


def tag(name, value):
    return "<%s>%s</%s>" % (name, base.escape(str(value)), name) if value is not None else ""


def drift_member(stack_id, resource, when):
    differences = "".join("<member>%s%s%s%s</member>" % (
        tag("PropertyPath", d["path"]), tag("ExpectedValue", d.get("expected", "")),
        tag("ActualValue", d.get("actual", "")), tag("DifferenceType", d["type"])) for d in resource.get("differences", []))
    return "<member>%s%s%s%s%s<PropertyDifferences>%s</PropertyDifferences>%s</member>" % (
        tag("StackId", stack_id), tag("LogicalResourceId", resource["logical"]),
        tag("PhysicalResourceId", resource.get("physical", resource["logical"])), tag("ResourceType", resource["type"]),
        tag("StackResourceDriftStatus", resource["status"]), differences, tag("Timestamp", when))


class Handler(base.Handler):
    def handle_call(self, action, params, body):
        stack = params.get("StackName", "")
        name = params.get("ChangeSetName", "")
        answer = self.answer(action, params, stack, name)
        forwarded = answer is None
        if forwarded:
            if action in ("ExecuteChangeSet", "DeleteStack"):
                with LOCK:
                    UPDATING.pop(stack, None)
            status, headers, data = self.forward(body)
            if action == "DescribeStacks" and status == 200:
                data = self.rewrite_status(stack, data)
        else:
            status, text = answer
            headers, data = [("Content-Type", "text/xml")], text.encode("utf-8")
        with LOCK:
            LOG.append({"action": action, "stack": stack, "changeSet": name, "forwarded": forwarded,
                        "deploymentMode": params.get("DeploymentMode")})
        self.reply(status, headers, data)

    def answer(self, action, params, stack, name):
        """(status, XML) when the stand-in answers `action` itself; None to forward it."""
        if action == "DetectStackDrift":
            stack_id = self.stack_id(stack)
            if stack_id is None:
                return error("ValidationError", "Stack with id %s does not exist" % stack)
            detection = str(uuid.uuid4())
            with LOCK:
                DETECTIONS[detection] = {"stack": stack, "stackId": stack_id, "polls": 0,
                                         "resources": list(DRIFT.get(stack, []))}
                LAST[stack] = DETECTIONS[detection]
            return 200, response(action, tag("StackDriftDetectionId", detection))
        if action == "DescribeStackDriftDetectionStatus":
            with LOCK:
                detection = DETECTIONS.get(params.get("StackDriftDetectionId", ""))
                if detection is None:
                    return error("ValidationError", "Drift detection id %s does not exist"
                                 % params.get("StackDriftDetectionId"))
                detection["polls"] += 1
                done = detection["polls"] > 1
                count = len(detection["resources"])
                inner = (tag("StackId", detection["stackId"]) + tag("StackDriftDetectionId", params["StackDriftDetectionId"])
                         + tag("DetectionStatus", "DETECTION_COMPLETE" if done else "DETECTION_IN_PROGRESS")
                         + (tag("StackDriftStatus", "DRIFTED" if count else "IN_SYNC")
                            + tag("DriftedStackResourceCount", count) if done else "")
                         + tag("Timestamp", base.now_text()))
            return 200, response(action, inner)
        if action == "DescribeStackResourceDrifts":
            filters = [v for k, v in params.items() if k.startswith("StackResourceDriftStatusFilters.member.")]
            with LOCK:
                last = LAST.get(stack)
            if last is None:
                return error("ValidationError", "No drift detection has been run on stack %s" % stack)
            members = "".join(drift_member(last["stackId"], r, base.now_text()) for r in last["resources"]
                              if not filters or r["status"] in filters)
            return 200, response(action, "<StackResourceDrifts>%s</StackResourceDrifts>" % members)
        if action == "CreateChangeSet" and params.get("DeploymentMode") == "REVERT_DRIFT":
            with LOCK:
                drifted = list(DRIFT.get(stack, []))
            if not drifted:
                return None
            stack_id = self.stack_id(stack)
            change_set_id = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/%s/%s" % (name, uuid.uuid4())
            with LOCK:
                CHANGE_SETS[(stack, name)] = {"id": change_set_id, "stackId": stack_id, "resources": drifted,
                                              "executed": False, "description": params.get("Description", "")}
            return 200, response(action, tag("Id", change_set_id) + tag("StackId", stack_id))
        with LOCK:
            change_set = CHANGE_SETS.get((stack, name))
        if change_set is None:
            return None
        if action == "DescribeChangeSet":
            changes = "".join(
                "<member><Type>Resource</Type><ResourceChange>%s%s%s%s</ResourceChange></member>" % (
                    tag("Action", "Modify"), tag("LogicalResourceId", r["logical"]),
                    tag("PhysicalResourceId", r.get("physical", r["logical"])), tag("ResourceType", r["type"]))
                for r in change_set["resources"])
            inner = (tag("ChangeSetId", change_set["id"]) + tag("ChangeSetName", name) + tag("StackId", change_set["stackId"])
                     + tag("StackName", stack) + tag("Description", change_set["description"])
                     + tag("Status", "CREATE_COMPLETE")
                     + tag("ExecutionStatus", "EXECUTE_COMPLETE" if change_set["executed"] else "AVAILABLE")
                     + tag("DeploymentMode", "REVERT_DRIFT") + "<Changes>%s</Changes>" % changes
                     + tag("CreationTime", base.now_text()))
            return 200, response(action, inner)
        if action == "ExecuteChangeSet":
            with LOCK:
                change_set["executed"] = True
                DRIFT.pop(stack, None)
                UPDATING[stack] = 1
            return 200, response(action, "")
        if action == "DeleteChangeSet":
            with LOCK:
                CHANGE_SETS.pop((stack, name), None)
            return 200, response(action, "")
        return None

    def stack_id(self, stack):
        status, _, data = self.forward(urllib.parse.urlencode(
            {"Action": "DescribeStacks", "StackName": stack, "Version": "2010-05-15"}).encode())
        found = base.re.search(rb"<StackId>([^<]*)</StackId>", data)
        return found.group(1).decode() if status == 200 and found else None

    def rewrite_status(self, stack, data):
        with LOCK:
            if stack not in UPDATING:
                return data
            status = "UPDATE_IN_PROGRESS" if UPDATING[stack] > 0 else "UPDATE_COMPLETE"
            UPDATING[stack] -= 1
        return base.re.sub(rb"<StackStatus>[^<]*</StackStatus>", b"<StackStatus>%s</StackStatus>" % status.encode(),
                           data, count=1)

    def control(self, body=b""):
        with LOCK:
            if self.path.startswith("/__drift__"):
                wanted = json.loads(body or b"{}")
                DRIFT[wanted["stack"]] = wanted.get("resources", [])
                data = b"{}"
            elif self.path.startswith("/__log__"):
                data = json.dumps(LOG).encode()
            else:
                data = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    base.UPSTREAM = urllib.parse.urlsplit(args.upstream)
    server = base.Server(("127.0.0.1", args.port), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

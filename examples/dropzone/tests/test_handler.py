"""The Lambda handler end to end, with STS stubbed.

The stub stands in for boto3's STS client only (no network in unit tests; moto is not
needed to check what we send): it records the AssumeRole call and answers like STS.
"""

import datetime
import json
import logging
import os
import unittest
from unittest import mock

import support  # noqa: F401  (puts the Lambda source on sys.path)
import app
from policy import session_policy

ACME = "111111111111"
SETTINGS = {
    "BUCKET_NAME": "prod-dropzone-bucket",
    "UPLOAD_ROLE_ARN": "arn:aws:iam::999999999999:role/dropzone-upload",
    "PARTNER_ACCOUNTS": f"{ACME},222222222222",
    "AWS_REGION": "eu-west-1",
}
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


class STSStub:
    def __init__(self, error=None):
        self.calls = []
        self.error = error

    def assume_role(self, **kwargs):
        self.calls.append(kwargs)
        if self.error:
            raise self.error
        return {"Credentials": {
            "AccessKeyId": "ASIAEXAMPLE",
            "SecretAccessKey": SECRET,
            "SessionToken": "token-" + SECRET,
            "Expiration": datetime.datetime(2030, 1, 1, 12, 0, tzinfo=datetime.timezone.utc),
        }}


class ClientError(Exception):
    """Shaped like botocore's ClientError: a .response with the AWS error code."""

    def __init__(self, code, message):
        super().__init__(message)
        self.response = {"Error": {"Code": code, "Message": message}}


class Context:
    aws_request_id = "req-0001"


def event(account=ACME, body=None):
    return {"requestContext": {"identity": {"accountId": account}}, "body": body, "isBase64Encoded": False}


class HandlerTests(unittest.TestCase):
    def call(self, evt, sts=None, settings=SETTINGS):
        self.sts = sts or STSStub()
        with mock.patch.dict(os.environ, settings, clear=True), \
                mock.patch.object(app, "_sts_client", self.sts), \
                self.assertLogs(level=logging.INFO) as logs:
            result = app.handler(evt, Context())
        self.logs = "\n".join(logs.output)
        return result["statusCode"], json.loads(result["body"]), result

    def test_vends_credentials_scoped_to_the_partner_folder(self):
        status, body, result = self.call(event(body='{"durationSeconds": 1800, "subfolder": "batch-7"}'))
        self.assertEqual(status, 200)
        self.assertEqual(body["prefix"], f"incoming/{ACME}/batch-7/")
        self.assertEqual(body["bucket"], "prod-dropzone-bucket")
        self.assertEqual(body["secretAccessKey"], SECRET)
        self.assertEqual(body["expiration"], "2030-01-01T12:00:00+00:00")
        self.assertEqual(result["headers"]["Cache-Control"], "no-store")

        [call] = self.sts.calls
        self.assertEqual(call["RoleArn"], SETTINGS["UPLOAD_ROLE_ARN"])
        self.assertEqual(call["DurationSeconds"], 1800)
        self.assertEqual(call["Tags"], [{"Key": "partner", "Value": ACME}])
        self.assertEqual(json.loads(call["Policy"]),
                         session_policy("prod-dropzone-bucket", f"incoming/{ACME}/batch-7/"))
        self.assertTrue(call["RoleSessionName"].startswith(f"dropzone-{ACME}-req-0001"))

    def test_secrets_never_reach_the_log(self):
        self.call(event())
        self.assertIn("vended credentials", self.logs)
        self.assertNotIn(SECRET, self.logs)
        self.assertNotIn("ASIAEXAMPLE", self.logs)

    def test_unknown_partner_gets_403_and_no_credentials(self):
        status, body, _ = self.call(event(account="333333333333"))
        self.assertEqual((status, body["error"]), (403, "UnknownPartner"))
        self.assertEqual(self.sts.calls, [])

    def test_bad_request_gets_400_and_no_credentials(self):
        status, body, _ = self.call(event(body='{"durationSeconds": 86400}'))
        self.assertEqual((status, body["error"]), (400, "BadDuration"))
        self.assertEqual(self.sts.calls, [])

    def test_sts_failure_is_a_generic_502(self):
        failure = ClientError("AccessDenied", "User: arn:aws:sts::999999999999:assumed-role/x is not authorized")
        status, body, _ = self.call(event(), sts=STSStub(error=failure))
        self.assertEqual((status, body["error"]), (502, "VendingFailed"))
        self.assertIn("req-0001", body["message"])
        self.assertNotIn("arn:aws", json.dumps(body), "internal ARNs must not leak to partners")
        self.assertIn("AccessDenied", self.logs)

    def test_missing_settings_fail_closed(self):
        settings = {k: v for k, v in SETTINGS.items() if k != "UPLOAD_ROLE_ARN"}
        status, body, _ = self.call(event(), settings=settings)
        self.assertEqual(status, 502)
        self.assertEqual(self.sts.calls, [])


if __name__ == "__main__":
    unittest.main()

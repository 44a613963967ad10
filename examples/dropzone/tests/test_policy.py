"""The credential-vending decisions: partner, request validation, session policy."""

import base64
import fnmatch
import json
import unittest

import support  # noqa: F401  (puts the Lambda source on sys.path)
from policy import (
    MAX_BODY_BYTES,
    RequestError,
    VendRequest,
    parse_partner_accounts,
    parse_request,
    partner_of,
    session_name,
    session_policy,
    upload_prefix,
)

ACME = "111111111111"
GLOBEX = "222222222222"
BUCKET = "prod-dropzone-bucket"


def allows_put(policy: dict, bucket: str, key: str) -> bool:
    """IAM's reading of an Allow-only policy for s3:PutObject on one object.

    IAM resource wildcards: '*' matches any run of characters (slashes included), '?' one
    character -- which is what fnmatchcase does for these literal ARNs.
    """
    arn = f"arn:aws:s3:::{bucket}/{key}"
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if statement["Effect"] == "Allow" and any(fnmatch.fnmatchcase("s3:PutObject", a) for a in actions) \
                and any(fnmatch.fnmatchcase(arn, r) for r in resources):
            return True
    return False


def event_from(account):
    return {"requestContext": {"identity": {"accountId": account}}}


class SessionPolicyTests(unittest.TestCase):
    def test_partner_can_write_only_into_its_own_folder(self):
        policy = session_policy(BUCKET, upload_prefix(ACME))
        self.assertTrue(allows_put(policy, BUCKET, f"incoming/{ACME}/2024-06-01/orders.csv"))
        self.assertFalse(allows_put(policy, BUCKET, f"incoming/{GLOBEX}/orders.csv"),
                         "one partner's credentials must not write into another partner's folder")
        self.assertFalse(allows_put(policy, BUCKET, "incoming/orders.csv"))
        self.assertFalse(allows_put(policy, BUCKET, f"raw/{ACME}/orders.csv"))
        self.assertFalse(allows_put(policy, "other-bucket", f"incoming/{ACME}/orders.csv"))

    def test_subfolder_narrows_the_policy(self):
        policy = session_policy(BUCKET, upload_prefix(ACME, "batch/7"))
        self.assertTrue(allows_put(policy, BUCKET, f"incoming/{ACME}/batch/7/a.csv"))
        self.assertFalse(allows_put(policy, BUCKET, f"incoming/{ACME}/batch/8/a.csv"))
        self.assertFalse(allows_put(policy, BUCKET, f"incoming/{ACME}/a.csv"))

    def test_policy_grants_put_object_and_nothing_else(self):
        policy = session_policy(BUCKET, upload_prefix(ACME))
        self.assertEqual(policy["Version"], "2012-10-17")
        self.assertEqual([s["Action"] for s in policy["Statement"]], ["s3:PutObject"])
        self.assertEqual([s["Effect"] for s in policy["Statement"]], ["Allow"])
        # STS limits a packed session policy; this one must stay far below 2048 characters.
        self.assertLess(len(json.dumps(policy)), 512)

    def test_refuses_prefixes_outside_incoming_and_wildcards(self):
        for prefix in ["", "incoming/", f"raw/{ACME}/", f"incoming/{ACME}", f"incoming/{ACME}/*/",
                       f"incoming/{ACME}/../x/", f"incoming/{ACME}/a?/"]:
            with self.subTest(prefix=prefix), self.assertRaises(ValueError):
                session_policy(BUCKET, prefix)

    def test_refuses_bad_bucket_names(self):
        for bucket in ["", "UPPER", "a", "bucket/with/slash", "bucket*"]:
            with self.subTest(bucket=bucket), self.assertRaises(ValueError):
                session_policy(bucket, upload_prefix(ACME))

    def test_upload_prefix_refuses_non_accounts_and_bad_subfolders(self):
        self.assertEqual(upload_prefix(ACME), f"incoming/{ACME}/")
        for partner in ["", "acme", "11111111111", "1111111111111", "../11111111"]:
            with self.subTest(partner=partner), self.assertRaises(ValueError):
                upload_prefix(partner)
        with self.assertRaises(ValueError):
            upload_prefix(ACME, "../other")


class PartnerTests(unittest.TestCase):
    def test_known_partner_is_its_account(self):
        self.assertEqual(partner_of(event_from(ACME), frozenset({ACME, GLOBEX})), ACME)

    def test_unknown_account_is_refused(self):
        with self.assertRaises(RequestError) as refused:
            partner_of(event_from("333333333333"), frozenset({ACME}))
        self.assertEqual((refused.exception.status, refused.exception.code), (403, "UnknownPartner"))

    def test_unauthenticated_calls_are_refused(self):
        for event in [{}, {"requestContext": None}, {"requestContext": {"identity": {}}},
                      event_from(None), event_from("acme"), event_from(111111111111),
                      event_from(ACME + "\n")]:
            with self.subTest(event=event), self.assertRaises(RequestError) as refused:
                partner_of(event, frozenset({ACME}))
            self.assertEqual(refused.exception.code, "NotAuthenticated")

    def test_partner_list_setting(self):
        self.assertEqual(parse_partner_accounts(f" {ACME}, {GLOBEX} ,"), frozenset({ACME, GLOBEX}))
        self.assertEqual(parse_partner_accounts(""), frozenset())
        with self.assertRaises(ValueError):
            parse_partner_accounts(f"{ACME},acme")


class RequestTests(unittest.TestCase):
    def refused(self, body, is_base64=False):
        with self.assertRaises(RequestError) as refused:
            parse_request(body, is_base64)
        return refused.exception

    def test_empty_body_gives_defaults(self):
        self.assertEqual(parse_request(None), VendRequest(900, None))
        self.assertEqual(parse_request(""), VendRequest(900, None))

    def test_fields_are_read(self):
        self.assertEqual(parse_request('{"durationSeconds": 3600, "subfolder": "2024-06-01/batch_7"}'),
                         VendRequest(3600, "2024-06-01/batch_7"))

    def test_base64_body(self):
        body = base64.b64encode(b'{"durationSeconds": 1200}').decode()
        self.assertEqual(parse_request(body, True), VendRequest(1200, None))
        self.assertEqual(self.refused("not base64!", True).code, "BadBody")

    def test_durations_out_of_range_or_not_integers(self):
        for value in [899, 3601, 0, -1, "900", 900.0, True, None]:
            with self.subTest(value=value):
                self.assertEqual(self.refused(json.dumps({"durationSeconds": value})).code, "BadDuration")

    def test_bad_subfolders(self):
        for value in ["", "/abs", "a/", "..", "a/../b", ".hidden", "a//b", "a/b/c/d/e", "sp ace",
                      "x" * 64, "a*", "a\n", 7, ["a"]]:
            with self.subTest(value=value):
                self.assertEqual(self.refused(json.dumps({"subfolder": value})).code, "BadSubfolder")

    def test_not_json_or_not_an_object(self):
        self.assertEqual(self.refused("{").code, "BadJSON")
        self.assertEqual(self.refused("[1]").code, "BadJSON")
        self.assertEqual(self.refused('"x"').code, "BadJSON")

    def test_unknown_fields(self):
        refused = self.refused('{"partner": "222222222222"}')
        self.assertEqual((refused.status, refused.code), (400, "UnknownField"))

    def test_too_large(self):
        body = json.dumps({"subfolder": "a", "pad": "x" * MAX_BODY_BYTES})
        self.assertEqual(self.refused(body).status, 413)


class SessionNameTests(unittest.TestCase):
    def test_name_is_valid_for_sts(self):
        name = session_name(ACME, "c0ffee/11 22:" + "9" * 80)
        self.assertLessEqual(len(name), 64)
        self.assertTrue(name.startswith(f"dropzone-{ACME}-"))
        self.assertRegex(name, r"^[\w+=,.@-]{2,64}$")


if __name__ == "__main__":
    unittest.main()

"""The decisions of credential vending, without AWS: who the partner is, what was asked
for, and the session policy that scopes the credentials to the partner's folder.

A partner is an AWS account on the allow list; it calls the API with IAM (SigV4) auth, so
API Gateway, not the request body, tells us the caller's account. The credentials vended
can only PutObject under ``incoming/<partner account>/[<subfolder>/]`` of the drop zone.
"""

import base64
import binascii
import json
import re
from dataclasses import dataclass

ACCOUNT_ID = re.compile(r"[0-9]{12}")
# Patterns are used with fullmatch. Up to four segments; each starts with a letter or digit, so "." and ".." never pass.
_SUBFOLDER = r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}(?:/[A-Za-z0-9][A-Za-z0-9._-]{0,62}){0,3}"
SUBFOLDER = re.compile(_SUBFOLDER)
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
INCOMING = "incoming"
UPLOAD_PREFIX = re.compile(rf"{INCOMING}/[0-9]{{12}}/(?:{_SUBFOLDER}/)?")

MIN_DURATION = 900     # STS minimum
MAX_DURATION = 3600    # role chaining (Lambda role -> upload role) caps sessions at one hour
DEFAULT_DURATION = 900
MAX_BODY_BYTES = 4096
REQUEST_KEYS = frozenset({"durationSeconds", "subfolder"})


class RequestError(Exception):
    """A request we refuse: an HTTP status, a stable code, and what the caller should do."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class VendRequest:
    duration_seconds: int = DEFAULT_DURATION
    subfolder: str | None = None


def parse_partner_accounts(text: str) -> frozenset[str]:
    """The allow list from the PARTNER_ACCOUNTS setting: comma-separated 12-digit ids."""
    accounts = [part.strip() for part in (text or "").split(",") if part.strip()]
    bad = [a for a in accounts if not ACCOUNT_ID.fullmatch(a)]
    if bad:
        raise ValueError(f"PARTNER_ACCOUNTS holds entries that are not 12-digit account ids: {bad}")
    return frozenset(accounts)


def partner_of(event: dict, allowed: frozenset[str]) -> str:
    """The caller's account id, as API Gateway's IAM authorizer reports it, if allowed."""
    identity = (event.get("requestContext") or {}).get("identity") or {}
    account = identity.get("accountId")
    if not isinstance(account, str) or not ACCOUNT_ID.fullmatch(account):
        raise RequestError(403, "NotAuthenticated",
                           "call this API with AWS SigV4 (IAM) credentials of your partner account")
    if account not in allowed:
        raise RequestError(403, "UnknownPartner",
                           "your account is not registered as a drop zone partner; ask the data team to add it")
    return account


def parse_request(body: str | None, is_base64: bool = False) -> VendRequest:
    """The JSON body: optional durationSeconds (900..3600) and subfolder (a/b/c)."""
    if body is None or body == "":
        return VendRequest()
    if is_base64:
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise RequestError(400, "BadBody", "the body is not valid base64-encoded UTF-8") from None
    if len(body.encode("utf-8")) > MAX_BODY_BYTES:
        raise RequestError(413, "BodyTooLarge", f"send at most {MAX_BODY_BYTES} bytes of JSON")
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        raise RequestError(400, "BadJSON", "send a JSON object, e.g. {\"durationSeconds\": 900}") from None
    if not isinstance(data, dict):
        raise RequestError(400, "BadJSON", "send a JSON object, e.g. {\"durationSeconds\": 900}")
    unknown = sorted(set(data) - REQUEST_KEYS)
    if unknown:
        raise RequestError(400, "UnknownField",
                           f"unknown fields {unknown}; allowed: {sorted(REQUEST_KEYS)}")

    duration = data.get("durationSeconds", DEFAULT_DURATION)
    if isinstance(duration, bool) or not isinstance(duration, int) \
            or not MIN_DURATION <= duration <= MAX_DURATION:
        raise RequestError(400, "BadDuration",
                           f"durationSeconds must be a whole number from {MIN_DURATION} to {MAX_DURATION}")

    subfolder = data.get("subfolder")
    if subfolder is not None:
        if not isinstance(subfolder, str) or not SUBFOLDER.fullmatch(subfolder):
            raise RequestError(400, "BadSubfolder",
                               "subfolder must be 1-4 segments of letters, digits, '.', '_' or '-', "
                               "each starting with a letter or digit, separated by '/'")
    return VendRequest(duration_seconds=duration, subfolder=subfolder)


def upload_prefix(partner: str, subfolder: str | None = None) -> str:
    """The key prefix the credentials may write under; always ends with '/'."""
    if not ACCOUNT_ID.fullmatch(partner):
        raise ValueError(f"not a partner account id: {partner!r}")
    if subfolder is not None and not SUBFOLDER.fullmatch(subfolder):
        raise ValueError(f"not a valid subfolder: {subfolder!r}")
    prefix = f"{INCOMING}/{partner}/"
    return f"{prefix}{subfolder}/" if subfolder else prefix


def session_policy(bucket: str, prefix: str) -> dict:
    """The STS session policy: PutObject under the prefix, nothing else.

    The effective rights are the intersection of this and the upload role's own policy,
    which already limits writes to incoming/${aws:PrincipalTag/partner}/.
    """
    if not BUCKET_NAME.fullmatch(bucket):
        raise ValueError(f"not a bucket name: {bucket!r}")
    if not UPLOAD_PREFIX.fullmatch(prefix):
        raise ValueError(f"not an upload prefix (incoming/<account>/[<subfolder>/]): {prefix!r}")
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "PutUnderPartnerPrefix",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{bucket}/{prefix}*",
        }],
    }


def session_name(partner: str, request_id: str) -> str:
    """RoleSessionName: 2-64 characters of [\\w+=,.@-], shows up in CloudTrail."""
    safe = re.sub(r"[^\w+=,.@-]", "-", request_id or "no-request-id")
    return f"dropzone-{partner}-{safe}"[:64]


def response(status: int, body: dict) -> dict:
    """An API Gateway proxy integration response."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", "Cache-Control": "no-store"},
        "body": json.dumps(body, sort_keys=True),
    }

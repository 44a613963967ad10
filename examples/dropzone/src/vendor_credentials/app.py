"""Lambda handler: vends temporary credentials that let a partner upload into its own
folder of the drop zone (POST /credentials behind API Gateway with IAM auth).

Settings (environment, set by api.yaml):
  BUCKET_NAME       the drop zone bucket
  UPLOAD_ROLE_ARN   the role whose session is vended (PutObject under incoming/<partner>/)
  PARTNER_ACCOUNTS  comma-separated 12-digit account ids allowed to call
"""

import json
import logging
import os
from dataclasses import dataclass

from policy import (
    RequestError,
    parse_partner_accounts,
    parse_request,
    partner_of,
    response,
    session_name,
    session_policy,
    upload_prefix,
)

log = logging.getLogger()
log.setLevel(logging.INFO)

_sts_client = None


def sts():
    """The STS client, made on first use (boto3 is imported here, not at module load)."""
    global _sts_client
    if _sts_client is None:
        import boto3
        _sts_client = boto3.client("sts")
    return _sts_client


@dataclass(frozen=True)
class Settings:
    bucket: str
    role_arn: str
    partners: frozenset[str]
    region: str

    @staticmethod
    def from_env(env) -> "Settings":
        missing = [k for k in ("BUCKET_NAME", "UPLOAD_ROLE_ARN", "PARTNER_ACCOUNTS") if not env.get(k)]
        if missing:
            raise RuntimeError(f"the function is missing settings {missing}; redeploy the dropzone-api stack")
        return Settings(bucket=env["BUCKET_NAME"], role_arn=env["UPLOAD_ROLE_ARN"],
                        partners=parse_partner_accounts(env["PARTNER_ACCOUNTS"]),
                        region=env.get("AWS_REGION", ""))


def handler(event, context):
    request_id = getattr(context, "aws_request_id", "")
    try:
        settings = Settings.from_env(os.environ)
        partner = partner_of(event, settings.partners)
        request = parse_request(event.get("body"), bool(event.get("isBase64Encoded")))
        prefix = upload_prefix(partner, request.subfolder)
        answer = sts().assume_role(
            RoleArn=settings.role_arn,
            RoleSessionName=session_name(partner, request_id),
            DurationSeconds=request.duration_seconds,
            Policy=json.dumps(session_policy(settings.bucket, prefix), separators=(",", ":")),
            Tags=[{"Key": "partner", "Value": partner}],
        )
    except RequestError as refused:
        log.info("refused request %s: %s", request_id, refused.code)
        return response(refused.status, {"error": refused.code, "message": refused.message})
    except Exception as failure:  # noqa: BLE001 - the caller gets a generic answer, the log the kind
        code = getattr(failure, "response", {}).get("Error", {}).get("Code", type(failure).__name__)
        log.error("could not vend credentials for request %s: %s", request_id, code)
        return response(502, {"error": "VendingFailed",
                              "message": f"could not vend credentials; retry later (request {request_id})"})

    credentials = answer["Credentials"]
    expiration = credentials["Expiration"]
    log.info("vended credentials to partner %s for %s (%ss)", partner, prefix, request.duration_seconds)
    return response(200, {
        "bucket": settings.bucket,
        "prefix": prefix,
        "region": settings.region,
        "accessKeyId": credentials["AccessKeyId"],
        "secretAccessKey": credentials["SecretAccessKey"],
        "sessionToken": credentials["SessionToken"],
        "expiration": expiration.isoformat() if hasattr(expiration, "isoformat") else str(expiration),
    })

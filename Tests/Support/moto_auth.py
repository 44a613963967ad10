#!/usr/bin/env python3
"""Creates an IAM user, access key and allow-all policy on a dedicated moto server, then
switches request authentication on. Prints "ACCESS_KEY_ID SECRET_ACCESS_KEY"."""
import json, sys, urllib.request
import boto3

endpoint = sys.argv[1]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
user = "ferry-test"
iam.create_user(UserName=user)
iam.put_user_policy(UserName=user, PolicyName="all", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
key = iam.create_access_key(UserName=user)["AccessKey"]
urllib.request.urlopen(urllib.request.Request(endpoint + "/moto-api/reset-auth", data=b"0", method="POST")).read()
print(key["AccessKeyId"], key["SecretAccessKey"], flush=True)

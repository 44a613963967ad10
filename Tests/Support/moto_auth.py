#!/usr/bin/env python3
"""Creates an IAM user, access key and allow-all policy on a dedicated moto server, then
switches request authentication on. Also creates a role with an allow-all policy, whose
STS credentials pass too. Prints "ACCESS_KEY_ID SECRET_ACCESS_KEY ROLE_ARN"."""
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
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
role = iam.create_role(RoleName="ferry-auth-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
iam.put_role_policy(RoleName="ferry-auth-role", PolicyName="all", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
# text/plain: with a form content type the server would read the body as a form and see nothing.
urllib.request.urlopen(urllib.request.Request(endpoint + "/moto-api/reset-auth", data=b"0", method="POST",
                                              headers={"Content-Type": "text/plain"})).read()
print(key["AccessKeyId"], key["SecretAccessKey"], role["Arn"], flush=True)

"""moto's SNS delivering to SQS, for the agent's notification test, in one silo account
(credentials from STS AssumeRole into arn:aws:iam::ACCOUNT:role/ferry-agent).
  sns_sqs.py setup ENDPOINT ACCOUNT [NAME]   creates a topic, a queue (both NAME, default
                                             ferry-notify) and the subscription;
                                             prints {"topic": ARN, "queue": URL}
  sns_sqs.py receive ENDPOINT ACCOUNT QUEUE  prints the SNS messages in the queue, as a JSON list"""
import json
import sys

import boto3

command, endpoint, account = sys.argv[1], sys.argv[2], sys.argv[3]
base = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
role = boto3.client("sts", **base).assume_role(RoleArn=f"arn:aws:iam::{account}:role/ferry-agent", RoleSessionName="test")
keys = role["Credentials"]
session = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=keys["AccessKeyId"],
               aws_secret_access_key=keys["SecretAccessKey"], aws_session_token=keys["SessionToken"])
sns, sqs = boto3.client("sns", **session), boto3.client("sqs", **session)

if command == "setup":
    name = sys.argv[4] if len(sys.argv) > 4 else "ferry-notify"
    topic = sns.create_topic(Name=name)["TopicArn"]
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    print(json.dumps({"topic": topic, "queue": queue}))
elif command == "receive":
    messages = []
    while True:
        batch = sqs.receive_message(QueueUrl=sys.argv[4], MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        if not batch:
            break
        for message in batch:
            envelope = json.loads(message["Body"])
            messages.append({"subject": envelope.get("Subject"), "message": json.loads(envelope["Message"])})
            sqs.delete_message(QueueUrl=sys.argv[4], ReceiptHandle=message["ReceiptHandle"])
    print(json.dumps(messages))
else:
    sys.exit(f"unknown command {command}")

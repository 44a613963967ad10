"""moto's CloudWatch alarms in one silo account (credentials from STS AssumeRole into
arn:aws:iam::ACCOUNT:role/ferry-agent), for the health-gate tests. moto 5.2.1 stores metric
alarms and their state; it has no composite alarms (PutCompositeAlarm answers 500).
  cloudwatch_alarms.py put ENDPOINT ACCOUNT NAME...         creates metric alarms (moto: state OK; AWS: INSUFFICIENT_DATA)
  cloudwatch_alarms.py set ENDPOINT ACCOUNT NAME STATE      set_alarm_state (OK, ALARM, INSUFFICIENT_DATA)"""
import sys

import boto3

command, endpoint, account = sys.argv[1], sys.argv[2], sys.argv[3]
base = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
role = boto3.client("sts", **base).assume_role(RoleArn=f"arn:aws:iam::{account}:role/ferry-agent", RoleSessionName="test")
keys = role["Credentials"]
cloudwatch = boto3.client("cloudwatch", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id=keys["AccessKeyId"], aws_secret_access_key=keys["SecretAccessKey"],
                          aws_session_token=keys["SessionToken"])

if command == "put":
    for name in sys.argv[4:]:
        cloudwatch.put_metric_alarm(AlarmName=name, MetricName="Errors", Namespace="Ferry/Test", Statistic="Sum",
                                    Period=60, EvaluationPeriods=1, Threshold=1,
                                    ComparisonOperator="GreaterThanThreshold")
elif command == "set":
    cloudwatch.set_alarm_state(AlarmName=sys.argv[4], StateValue=sys.argv[5], StateReason="set by the test")
else:
    sys.exit(f"unknown command {command}")

"""The alarms: one per failure a person must hear about, each wired to the alarm topic.

Thresholds come from stacks/alarms.py; these tests pin the values a change must own up to.
"""

from typing import Any

import pytest

from tests.infra.cdk_synth import Synthesized

pytestmark = pytest.mark.infra

# construct id -> (metric name, namespace, statistic, threshold, evaluation periods)
EXPECTED = {
    "FunctionErrors": ("Errors", "AWS/Lambda", "Sum", 1, 1),
    "FunctionThrottles": ("Throttles", "AWS/Lambda", "Sum", 1, 1),
    "FunctionDurationP99": ("Duration", "AWS/Lambda", "p99", 8000, 2),
    "RestApi5xxRate": ("5XXError", "AWS/ApiGateway", "Average", 0.05, 1),
    "GraphqlApi5xx": ("5XXError", "AWS/AppSync", "Sum", 1, 1),
    "GraphqlApiLatencyP99": ("Latency", "AWS/AppSync", "p99", 1000, 2),
}
TABLE_ALARMS = {"TodoThrottledRequests": "DataTable", "IdempotencyThrottledRequests": "DataIdem"}


def _alarms(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    """Alarm properties by construct id (logical id: "Alarms" + id + an 8-digit hash)."""
    return {
        logical_id.removeprefix("Alarms")[:-8]: alarm["Properties"]
        for logical_id, alarm in synthesized.of_type("AWS::CloudWatch::Alarm").items()
    }


def test_every_tier_has_its_alarms(dev: Synthesized) -> None:
    assert set(_alarms(dev)) == set(EXPECTED) | set(TABLE_ALARMS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_metric_alarm_thresholds(dev: Synthesized, name: str) -> None:
    # GIVEN the alarm's expected metric and threshold
    metric_name, namespace, statistic, threshold, periods = EXPECTED[name]
    # WHEN reading the synthesized alarm
    alarm = _alarms(dev)[name]
    # THEN it watches that metric, over five minutes, and fires at the threshold
    assert (alarm["MetricName"], alarm["Namespace"]) == (metric_name, namespace)
    assert alarm.get("Statistic", alarm.get("ExtendedStatistic")) == statistic
    assert alarm["Period"] == 300
    assert alarm["Threshold"] == threshold
    assert alarm["EvaluationPeriods"] == periods
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_duration_alarm_sits_at_80_percent_of_the_function_timeout(dev: Synthesized) -> None:
    (function,) = dev.of_type("AWS::Lambda::Function").values()
    timeout_ms = function["Properties"]["Timeout"] * 1000
    assert _alarms(dev)["FunctionDurationP99"]["Threshold"] == 0.8 * timeout_ms


@pytest.mark.parametrize("name", sorted(TABLE_ALARMS))
def test_table_alarms_sum_throttled_requests_of_every_operation(
    dev: Synthesized, name: str
) -> None:
    alarm = _alarms(dev)[name]
    metrics = [m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m]
    operations = set()
    for metric in metrics:
        assert metric["MetricName"] == "ThrottledRequests"
        dimensions = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
        assert dimensions["TableName"]["Ref"].startswith(TABLE_ALARMS[name])
        operations.add(dimensions["Operation"])
    assert operations == {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan"}
    assert alarm["Threshold"] == 1


def test_alarms_notify_the_topic_on_alarm_and_on_recovery(dev: Synthesized) -> None:
    topic_id, _ = dev.single("AWS::SNS::Topic")
    for name, alarm in _alarms(dev).items():
        assert alarm["AlarmActions"] == [{"Ref": topic_id}], name
        assert alarm["OKActions"] == [{"Ref": topic_id}], name
        assert alarm["TreatMissingData"] == "notBreaching", name


def test_topic_arn_is_a_stack_output(dev: Synthesized) -> None:
    topic_id, _ = dev.single("AWS::SNS::Topic")
    assert dev.template["Outputs"]["AlarmTopicArn"]["Value"] == {"Ref": topic_id}


def test_topic_refuses_publishing_without_tls(dev: Synthesized) -> None:
    _, policy = dev.single("AWS::SNS::TopicPolicy")
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}

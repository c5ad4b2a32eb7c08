"""cdk-nag 3 acknowledgements: each names one finding and says why it is acceptable.

cdk-nag 3 reads CDK's native `Validations.of(construct).acknowledge(...)`; a finding that
reports a detail (`AwsSolutions-IAM5[Resource::*]`) must be acknowledged with that detail.
"""

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(construct: IConstruct, finding_id: str, reason: str) -> None:
    Validations.of(construct).acknowledge(Acknowledgment(id=finding_id, reason=reason))

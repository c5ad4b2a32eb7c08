"""IAM as the local runner needs it: roles and policies from the template (resources.py), and
identity-policy evaluation (policy.py) with conditions (conditions.py) for AppSync and DynamoDB
requests."""

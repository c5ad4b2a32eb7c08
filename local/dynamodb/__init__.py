"""DynamoDB: tables from the template (resources.py), and the signed, IAM-checked endpoint the
local Lambda functions call (gateway.py). The tables themselves live in moto."""

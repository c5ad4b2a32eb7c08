"""The local AWS account: moto in this process, and what the runner builds on it.

- server.py: moto's server on 127.0.0.1 and boto3 clients for it;
- inprocess.py: the same moto reached without a socket, for the local AppSync's own calls;
- credentials.py: STS credentials for a role, and who an access key belongs to;
- sigv4.py: Signature Version 4 checks on incoming requests;
- kinds.py and provision.py: the template's resources created in moto.

Each provisioned service has its own package next to this one (local/cognito, local/dynamodb,
local/iam), with a `resources.py` saying which resource types it creates and which of their
properties it reproduces. Adding a service means a new package with such a module, listed in
provision.py's `KINDS`.
"""

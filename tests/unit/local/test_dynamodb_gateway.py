"""Which ARNs the local DynamoDB gateway checks the caller's policies against."""

from local.dynamodb.gateway import resources_of

REGION, ACCOUNT = "us-east-1", "123456789012"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table"


def test_an_item_call_names_its_table() -> None:
    assert resources_of({"TableName": "T", "Key": {}}, REGION, ACCOUNT) == [f"{TABLE}/T"]


def test_a_query_on_an_index_names_the_index() -> None:
    body = {"TableName": "T", "IndexName": "byOwner"}
    assert resources_of(body, REGION, ACCOUNT) == [f"{TABLE}/T/index/byOwner"]


def test_a_batch_names_every_table_once() -> None:
    body = {"RequestItems": {"A": {}, "B": {}}}
    assert resources_of(body, REGION, ACCOUNT) == [f"{TABLE}/A", f"{TABLE}/B"]


def test_a_transaction_names_every_table_once() -> None:
    body = {"TransactItems": [{"Put": {"TableName": "A"}}, {"Update": {"TableName": "A"}}]}
    assert resources_of(body, REGION, ACCOUNT) == [f"{TABLE}/A"]


def test_an_account_wide_call_names_every_table() -> None:
    assert resources_of({}, REGION, ACCOUNT) == [f"{TABLE}/*"]

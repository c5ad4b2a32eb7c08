"""util.transform and the '@aws-appsync/utils/dynamodb' module build requests DynamoDB runs.

Sources: AppSync developer guide, "Transformation helpers in util.transform" and "Built-in
modules" (DynamoDB module functions), with the object grammar of @aws-appsync/utils
(lib/transform-utils.d.ts, lib/dynamodb-helpers.d.ts). Each request a helper builds is executed
by the local DynamoDB data source against moto, so the tests check what the expressions mean,
not how their placeholders are spelled.
"""

import json

import pytest

from local.appsync.dynamodb import DynamoDbSource
from local.appsync.identity import AuthType
from local.appsync.js_runtime import JsRuntime, make_context, make_info

RUNTIME = JsRuntime()
TABLE = "Todos"


@pytest.fixture
def source(todo_table_client):
    source = DynamoDbSource(todo_table_client, TABLE)
    for n, (title, done) in enumerate([("Hello World", True), ("hello", False), ("x", True)]):
        source.execute(
            {
                "operation": "PutItem",
                "key": {"id": {"S": str(n)}},
                "attributeValues": {
                    "owner": {"S": "o"},
                    "createdAt": {"S": f"2024-0{n + 1}"},
                    "title": {"S": title},
                    "done": {"BOOL": done},
                    "rank": {"N": n},
                    "tags": {"L": [{"S": "a"}]} if n == 0 else {"NULL": True},
                },
            }
        )
    return source


def request_from(body: str, header: str = "import { util } from '@aws-appsync/utils';"):
    code = (
        f"{header}\n"
        f"export function request(ctx) {{ {body} }}\n"
        "export function response(ctx) { return ctx.result; }\n"
    )
    module = RUNTIME.load(code, "probe.js")
    outcome = module.call(
        "request", make_context({}, None, info=make_info("Query", "q")), AuthType.IAM
    )
    assert outcome.runtime_error is None, outcome.runtime_error
    return outcome.value


def scan_ids(source, filter_object: str) -> list[str]:
    request = request_from(
        f"return {{ operation: 'Scan', "
        f"filter: JSON.parse(util.transform.toDynamoDBFilterExpression({filter_object})) }};"
    )
    page, error = source.execute(request)
    assert error is None, error
    return sorted(item["id"] for item in page["items"])


@pytest.mark.parametrize(
    ("filter_object", "expected"),
    [
        ("{ title: { contains: 'World' } }", ["0"]),
        ("{ title: { beginsWith: 'hel' } }", ["1"]),
        ("{ done: { eq: true } }", ["0", "2"]),
        ("{ rank: { between: [1, 2] } }", ["1", "2"]),
        ("{ rank: { in: [0, 2] } }", ["0", "2"]),
        ("{ rank: { gt: 0, le: 1 } }", ["1"]),
        ("{ title: { notContains: 'o' } }", ["2"]),
        ("{ tags: { attributeType: 'list' } }", ["0"]),
        ("{ missing: { attributeExists: false }, done: { ne: false } }", ["0", "2"]),
        ("{ or: [{ rank: { eq: 0 } }, { title: { eq: 'x' } }] }", ["0", "2"]),
        ("{ not: { done: { eq: true } } }", ["1"]),
        ("{ and: [{ done: { eq: true } }, { rank: { lt: 2 } }] }", ["0"]),
    ],
)
def test_filter_objects_mean_what_they_say(source, filter_object, expected):
    assert scan_ids(source, filter_object) == expected


def test_the_filter_expression_is_returned_as_a_json_string():
    # transform-utils.d.ts: toDynamoDBFilterExpression(...): string
    text = request_from("return util.transform.toDynamoDBFilterExpression({ a: { eq: 1 } });")
    parsed = json.loads(text)
    assert set(parsed) == {"expression", "expressionNames", "expressionValues"}
    assert list(parsed["expressionValues"].values()) == [{"N": 1}]


def test_a_condition_object_guards_a_put(source):
    request = request_from(
        "return { operation: 'PutItem', key: { id: { S: '0' } }, attributeValues: {},"
        " condition: JSON.parse(util.transform.toDynamoDBConditionExpression("
        "{ id: { attributeExists: false } })) };"
    )
    _, error = source.execute(request)
    assert error["type"] == "DynamoDB:ConditionalCheckFailedException"


def test_subscription_filters_are_groups_of_anded_filters():
    value = request_from(
        "return util.transform.toSubscriptionFilter("
        "{ owner: { eq: 'me' }, or: [{ priority: { gt: 2 } }, { tag: { in: ['a'] } }],"
        " secret: { eq: 1 } }, ['secret'], { kind: { ne: 'draft' } });"
    )
    assert value == {
        "filterGroup": [
            {
                "filters": [
                    {"fieldName": "owner", "operator": "eq", "value": "me"},
                    {"fieldName": "priority", "operator": "gt", "value": 2},
                    {"fieldName": "kind", "operator": "ne", "value": "draft"},
                ]
            },
            {
                "filters": [
                    {"fieldName": "owner", "operator": "eq", "value": "me"},
                    {"fieldName": "tag", "operator": "in", "value": ["a"]},
                    {"fieldName": "kind", "operator": "ne", "value": "draft"},
                ]
            },
        ]
    }


DDB = "import * as ddb from '@aws-appsync/utils/dynamodb';"


def run_module(source, body: str, header: str = DDB):
    result, error = source.execute(request_from(body, header))
    assert error is None, error
    return result


def test_module_get_put_update_remove(source):
    put = run_module(
        source, "return ddb.put({ key: { id: 'n' }, item: { owner: 'o', count: 1 } });"
    )
    assert put == {"id": "n", "owner": "o", "count": 1}
    got = run_module(source, "return ddb.get({ key: { id: 'n' }, consistentRead: true });")
    assert got["count"] == 1
    removed = run_module(source, "return ddb.remove({ key: { id: 'n' } });")
    assert removed["id"] == "n"
    assert run_module(source, "return ddb.get({ key: { id: 'n' } });") is None


def test_module_update_operations(source):
    run_module(
        source,
        "return ddb.put({ key: { id: 'u' }, item: { owner: 'o', count: 1, tags: ['a'],"
        " meta: { seen: false }, gone: 'x' } });",
    )
    updated = run_module(
        source,
        "return ddb.update({ key: { id: 'u' }, update: { count: ddb.operations.increment(2),"
        " tags: ddb.operations.append(['b']), gone: ddb.operations.remove(),"
        " meta: { seen: true }, title: 'new' }, condition: { count: { eq: 1 } } });",
    )
    assert updated == {
        "id": "u",
        "owner": "o",
        "count": 3,
        "tags": ["a", "b"],
        "meta": {"seen": True},
        "title": "new",
    }


def test_module_query_with_key_condition_filter_and_projection(source):
    page = run_module(
        source,
        "return ddb.query({ index: 'byOwner', query: { owner: { eq: 'o' },"
        " createdAt: { beginsWith: '2024' } }, filter: { done: { eq: true } },"
        " scanIndexForward: false, projection: ['id', 'title'] });",
    )
    assert page["items"] == [{"id": "2", "title": "x"}, {"id": "0", "title": "Hello World"}]


def test_module_scan_with_limit(source):
    page = run_module(source, "return ddb.scan({ limit: 2 });")
    assert len(page["items"]) == 2 and page["nextToken"]


def test_module_batch_and_transactions(source):
    run_module(source, "return ddb.batchPut({ tables: { Todos: [{ id: 'b1', owner: 'o' }] } });")
    got = run_module(
        source,
        "return ddb.batchGet({ tables: { Todos: { keys: [{ id: 'b1' }, { id: 'no' }] } } });",
    )
    assert got["data"]["Todos"] == [{"id": "b1", "owner": "o"}, None]
    written = run_module(
        source,
        "return ddb.transactWrite({ items: ["
        "{ putItem: { table: 'Todos', key: { id: 't1' }, item: { owner: 'o' } } },"
        "{ updateItem: { table: 'Todos', key: { id: 'b1' }, update: { owner: 'p' } } },"
        "{ conditionCheck: { table: 'Todos', key: { id: '0' },"
        " condition: { done: { eq: true } } } }] });",
    )
    assert written["keys"] == [{"id": "t1"}, {"id": "b1"}, {"id": "0"}]
    read = run_module(
        source, "return ddb.transactGet({ items: [{ table: 'Todos', key: { id: 'b1' } }] });"
    )
    assert read["items"][0]["owner"] == "p"
    deleted = run_module(source, "return ddb.batchDelete({ tables: { Todos: [{ id: 'b1' }] } });")
    assert deleted["data"]["Todos"] == [{"id": "b1"}]


def test_module_named_imports_and_set_helpers():
    value = request_from(
        "return { payload: [get({ key: { id: '1' } }).operation, toStringSet(['a'])] };",
        "import { get, toStringSet } from '@aws-appsync/utils/dynamodb';",
    )
    assert value == {"payload": ["GetItem", {"SS": ["a"]}]}

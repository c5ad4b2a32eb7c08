"""Who may see and change which todo, through REST and through AppSync directly."""

from __future__ import annotations

from e2e_support import TODO_FIELDS, User, after_index_delay, eventually

GET_TODO = f"query($id: ID!) {{ getTodo(id: $id) {{ {TODO_FIELDS} }} }}"
LIST_TODOS = f"query($owner: String) {{ listTodos(owner: $owner) {{ items {{ {TODO_FIELDS} }} }} }}"


def test_each_user_sees_only_their_own_todos_through_rest(alice: User, bob: User):
    # GIVEN two users who each create todos through the REST API
    alices = {alice.create(f"alice {i}")["id"] for i in range(3)}
    bobs = {bob.create(f"bob {i}")["id"] for i in range(2)}
    # WHEN each lists their todos (once the byOwner index has caught up)
    # THEN each sees exactly their own, owned by their own sub
    eventually(lambda: _assert_ids(alice, alices))
    eventually(lambda: _assert_ids(bob, bobs))
    assert {t["owner"] for t in alice.list_all()} == {alice.sub}


def test_created_todo_has_the_contract_shape(alice: User):
    todo = alice.create("  buy milk  ")
    assert set(todo) == {"id", "owner", "title", "completed", "version", "createdAt", "updatedAt"}
    assert (todo["title"], todo["completed"], todo["version"]) == ("buy milk", False, 1)
    assert todo["owner"] == alice.sub


def test_owner_in_the_body_is_refused_not_trusted(alice: User, bob: User):
    response = alice.rest.post(
        alice.url("/items"), json={"title": "sneaky", "owner": bob.sub}, timeout=10
    )
    assert response.status_code == 400
    after_index_delay()
    assert bob.list_all() == []


def test_another_users_todo_is_not_found_through_rest(alice: User, bob: User):
    # GIVEN a todo of alice
    todo = alice.create("private")
    item = bob.url(f"/items/{todo['id']}")
    # WHEN bob reads, changes or deletes it by id
    # THEN every route answers 404, as for an id that does not exist, and nothing changed
    assert bob.rest.get(item, timeout=10).status_code == 404
    assert bob.rest.patch(item, json={"title": "x", "version": 1}, timeout=10).status_code == 404
    assert bob.rest.delete(item, timeout=10).status_code == 404
    assert alice.rest.get(alice.url(f"/items/{todo['id']}"), timeout=10).json() == todo


def test_users_see_only_their_own_todos_through_appsync(alice: User, bob: User):
    # GIVEN todos of both users
    mine = alice.create("mine")
    bob.create("theirs")
    after_index_delay()
    # WHEN alice lists through AppSync with her own token
    body = alice.graphql(LIST_TODOS).json()
    # THEN she gets only hers
    assert "errors" not in body
    assert [t["id"] for t in body["data"]["listTodos"]["items"]] == [mine["id"]]


def test_user_reading_another_users_todo_by_id_gets_null_and_unauthorized(alice: User, bob: User):
    todo = bob.create("bob's")
    response = alice.graphql(GET_TODO, {"id": todo["id"]})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"getTodo": None}
    assert body["errors"][0]["errorType"] == "Unauthorized"
    assert body["errors"][0]["message"] == "Not Authorized to access getTodo on type Query"


def test_user_listing_for_another_owner_is_refused(alice: User, bob: User):
    bob.create("bob's")
    body = alice.graphql(LIST_TODOS, {"owner": bob.sub}).json()
    assert body["data"] == {"listTodos": None}
    assert body["errors"][0]["errorType"] == "Unauthorized"


def test_user_token_on_create_todo_gets_the_unauthorized_field_error(alice: User):
    mutation = 'mutation($o: String!) { createTodo(input: {owner: $o, title: "x"}) { id } }'
    response = alice.graphql(mutation, {"o": alice.sub})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"createTodo": None}
    assert body["errors"][0]["errorType"] == "Unauthorized"
    after_index_delay()
    assert alice.list_all() == []


def test_user_can_update_own_todo_through_appsync_with_the_right_version(alice: User):
    todo = alice.create("draft")
    mutation = (
        "mutation($id: ID!, $v: Int!) { updateTodo(input: {id: $id, completed: true, "
        "expectedVersion: $v}) { completed version } }"
    )
    ok = alice.graphql(mutation, {"id": todo["id"], "v": 1}).json()
    stale = alice.graphql(mutation, {"id": todo["id"], "v": 1}).json()
    assert ok["data"]["updateTodo"] == {"completed": True, "version": 2}
    assert stale["data"]["updateTodo"] is None
    assert stale["errors"][0]["errorType"] == "ConflictError"


def test_scope_all_lists_every_owner_only_for_admins(make_user, alice: User, bob: User):
    # GIVEN todos of two users and an admin
    ids = {alice.create("a")["id"], bob.create("b")["id"]}
    admin = make_user(admin=True)
    # WHEN a plain user and the admin ask for scope=all
    refused = alice.rest.get(alice.url("/items"), params={"scope": "all"}, timeout=10)
    everything = {t["id"] for t in admin.list_all(scope="all")}
    # THEN the user gets 403 in the error shape, the admin sees both users' todos
    assert refused.status_code == 403
    assert set(refused.json()) >= {"code", "message"}
    assert ids <= everything


def test_pagination_returns_every_item_exactly_once(alice: User):
    created = [alice.create(f"item {i}")["id"] for i in range(23)]
    after_index_delay()
    pages = []
    token = None
    while True:
        params = {"limit": 5, **({"nextToken": token} if token else {})}
        page = alice.rest.get(alice.url("/items"), params=params, timeout=10).json()
        assert len(page["items"]) <= 5
        pages.append([t["id"] for t in page["items"]])
        token = page["nextToken"]
        if not token:
            break
    seen = [i for page in pages for i in page]
    assert sorted(seen) == sorted(created)
    assert len(seen) == len(set(seen))


def test_body_refused_by_the_gateway_model_gets_the_validation_shape(alice: User):
    # WHEN a body breaks the route's model (API Gateway refuses it before the function runs)
    response = alice.rest.post(alice.url("/items"), json={"title": "x", "color": 1}, timeout=10)
    # THEN the answer still has the function's validation shape and names the route
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["message"] == "The request does not fit POST /items"
    assert body["details"][0]["field"] == "body"


def test_bad_input_the_function_checks_gets_field_details(alice: User):
    response = alice.rest.post(alice.url("/items"), json={"title": "   "}, timeout=10)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["details"][0]["field"] == "title"


def test_a_made_up_next_token_is_a_bad_request_not_an_upstream_error(alice: User):
    response = alice.rest.get(alice.url("/items"), params={"nextToken": "made-up"}, timeout=10)
    assert response.status_code == 400
    assert set(response.json()) >= {"code", "message"}


def test_another_users_next_token_is_a_bad_request(alice: User, bob: User):
    # GIVEN a nextToken issued for alice's list
    for n in range(2):
        alice.create(f"page {n}")
    after_index_delay()
    page = alice.rest.get(alice.url("/items"), params={"limit": 1}, timeout=10).json()
    assert page["nextToken"]
    # WHEN bob presents it for his own list
    response = bob.rest.get(bob.url("/items"), params={"nextToken": page["nextToken"]}, timeout=10)
    # THEN it is refused as bad input, not an upstream error
    assert response.status_code == 400
    assert set(response.json()) >= {"code", "message"}


def test_user_cannot_store_a_bad_title_through_appsync_directly(alice: User):
    todo = alice.create("fine")
    mutation = (
        "mutation($id: ID!, $t: String!) { updateTodo(input: {id: $id, title: $t, "
        "expectedVersion: 1}) { title } }"
    )
    body = alice.graphql(mutation, {"id": todo["id"], "t": "   "}).json()
    assert body["data"] == {"updateTodo": None}
    assert body["errors"][0]["errorType"] == "ValidationError"
    assert alice.rest.get(alice.url(f"/items/{todo['id']}"), timeout=10).json() == todo


def test_title_length_is_counted_after_trimming(alice: User):
    # 256 characters once the surrounding spaces are trimmed: accepted and stored trimmed
    todo = alice.create("   " + "y" * 256 + "   ")
    assert todo["title"] == "y" * 256
    too_long = alice.rest.post(alice.url("/items"), json={"title": " " + "y" * 257}, timeout=10)
    assert too_long.status_code == 400
    assert too_long.json()["details"][0]["field"] == "title"


def _assert_ids(user: User, expected: set[str]) -> None:
    assert {t["id"] for t in user.list_all()} == expected

// The web client: Amplify JS v6 signs in and subscribes; reads and writes go through the REST
// API (API Gateway -> Lambda -> AppSync), whose writes reach this page as subscription events.
// Configured only from outputs.json: local-outputs.json under `make up`, or cdk-outputs.json of
// a deployed stack served under that name.
import { Amplify } from 'aws-amplify';
import { confirmSignIn, fetchAuthSession, getCurrentUser, signIn, signOut } from 'aws-amplify/auth';
import { CONNECTION_STATE_CHANGE, ConnectionState, generateClient } from 'aws-amplify/api';
import { Hub } from 'aws-amplify/utils';
import { amplifyConfig, stackOutputs } from './config.js';
import { onCreateTodo, onDeleteTodo, onUpdateTodo } from './documents.js';

const $ = (selector) => document.querySelector(selector);
const todos = new Map(); // id -> todo, the newest version seen
let outputs;
let subscriptions = [];

// -- REST ----------------------------------------------------------------------------------

async function rest(method, path, body) {
  const session = await fetchAuthSession();
  const response = await fetch(new URL(path, outputs.RestApiUrl), {
    method,
    headers: {
      Authorization: session.tokens.idToken.toString(),
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (response.status === 204) return null;
  const data = await response.json();
  if (!response.ok) throw new Error(`${data.code ?? response.status}: ${data.message}`);
  return data;
}

async function loadTodos() {
  todos.clear();
  let nextToken = null;
  do {
    const query = new URLSearchParams({ limit: '100', ...(nextToken ? { nextToken } : {}) });
    const page = await rest('GET', `items?${query}`);
    for (const todo of page.items) todos.set(todo.id, todo);
    nextToken = page.nextToken;
  } while (nextToken);
  render();
}

// -- what is shown -------------------------------------------------------------------------

function upsert(todo, fresh = false) {
  const known = todos.get(todo.id);
  if (known && known.version > todo.version) return; // an older event arrived late
  todos.set(todo.id, todo);
  render(fresh ? todo.id : null);
}

function remove(id) {
  todos.delete(id);
  render();
}

function render(freshId = null) {
  const list = $('#list');
  list.replaceChildren(
    ...[...todos.values()]
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .map((todo) => item(todo, todo.id === freshId)),
  );
  $('#empty').hidden = todos.size > 0;
}

function item(todo, fresh) {
  const li = document.createElement('li');
  li.className = `${todo.completed ? 'done' : ''} ${fresh ? 'fresh' : ''}`.trim();
  const done = document.createElement('input');
  done.type = 'checkbox';
  done.checked = todo.completed;
  done.setAttribute('aria-label', `Complete ${todo.title}`);
  done.addEventListener('change', () =>
    act(async () => upsert(await rest('PATCH', `items/${todo.id}`, {
      completed: done.checked,
      version: todo.version,
    }))),
  );
  const title = document.createElement('span');
  title.textContent = todo.title;
  const del = document.createElement('button');
  del.type = 'button';
  del.textContent = 'Delete';
  del.setAttribute('aria-label', `Delete ${todo.title}`);
  del.addEventListener('click', () =>
    act(async () => {
      await rest('DELETE', `items/${todo.id}?version=${todos.get(todo.id)?.version ?? todo.version}`);
      remove(todo.id);
    }),
  );
  li.append(done, title, del);
  return li;
}

function show(view) {
  for (const id of ['#sign-in', '#new-password', '#todos']) $(id).hidden = id !== view;
}

function status(text) {
  $('#status').textContent = text;
}

async function act(work) {
  $('#error').hidden = true;
  try {
    await work();
  } catch (error) {
    $('#error').textContent = error.message ?? String(error);
    $('#error').hidden = false;
  }
}

// -- sign-in and live updates --------------------------------------------------------------

async function signedIn() {
  const { signInDetails } = await getCurrentUser();
  const session = await fetchAuthSession();
  const sub = session.tokens.idToken.payload.sub;
  $('#who').textContent = signInDetails?.loginId ?? session.tokens.idToken.payload.email;
  show('#todos');
  status(`Signed in. API: ${new URL(outputs.RestApiUrl).host}`);
  subscribe(sub);
  await loadTodos();
}

function subscribe(owner) {
  const client = generateClient();
  const handlers = [
    [onCreateTodo, 'onCreateTodo', (todo) => upsert(todo, true)],
    [onUpdateTodo, 'onUpdateTodo', (todo) => upsert(todo, true)],
    [onDeleteTodo, 'onDeleteTodo', (todo) => remove(todo.id)],
  ];
  subscriptions = handlers.map(([query, field, handle]) =>
    client.graphql({ query, variables: { owner } }).subscribe({
      next: ({ data }) => handle(data[field]),
      error: (error) => act(() => Promise.reject(new Error(`subscription: ${JSON.stringify(error)}`))),
    }),
  );
}

function unsubscribe() {
  for (const subscription of subscriptions) subscription.unsubscribe();
  subscriptions = [];
}

Hub.listen('api', ({ payload }) => {
  if (payload.event !== CONNECTION_STATE_CHANGE) return;
  const live = payload.data.connectionState === ConnectionState.Connected;
  $('#live').textContent = live ? 'live' : 'offline';
  $('#live').classList.toggle('on', live);
});

async function start() {
  outputs = stackOutputs(await (await fetch('outputs.json', { cache: 'no-store' })).json());
  Amplify.configure(amplifyConfig(outputs));
  try {
    await getCurrentUser();
    await signedIn();
  } catch {
    show('#sign-in');
    status('Sign in with a user made by `todo create-user`.');
  }
}

$('#sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  act(async () => {
    const result = await signIn({ username: form.get('email'), password: form.get('password') });
    if (result.nextStep.signInStep === 'CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED') {
      show('#new-password');
      return;
    }
    await signedIn();
  });
});

$('#new-password').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  act(async () => {
    const result = await confirmSignIn({ challengeResponse: form.get('password') });
    if (result.isSignedIn) await signedIn();
  });
});

$('#add').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = event.target.elements.title;
  act(async () => {
    upsert(await rest('POST', 'items', { title: input.value }));
    input.value = '';
  });
});

$('#sign-out').addEventListener('click', () =>
  act(async () => {
    unsubscribe();
    await signOut();
    todos.clear();
    render();
    show('#sign-in');
    status('Signed out.');
  }),
);

act(start);

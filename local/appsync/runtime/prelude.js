// The machinery around resolver code in one QuickJS context (loaded first, before util.js and
// lockdown.js). It keeps per-call state, turns util.error / util.unauthorized /
// runtime.earlyReturn into structured outcomes, exposes exactly the `@aws-appsync/utils`
// surface that AWS's type definitions declare (runtime/surface.json), and runs one handler.
//
// Host functions (added from Python before this file runs): __host_log(level, text) and the
// __host_* helpers util.js uses.

var __appsync_state = {
  authType: null,
  fieldName: null,
  parentTypeName: null,
  appendedErrors: [],
  extensions: null,
};

function __appsync_no_extensions() {
  return { subscriptionFilter: null, invalidationFilter: null, invalidations: [] };
}

var __APPSYNC_ABORT = '__appsyncAbort';

function __appsync_abort(kind, detail) {
  var marker = { kind: kind, detail: detail };
  marker[__APPSYNC_ABORT] = true;
  throw marker;
}

function __appsync_error_entry(message, errorType, data, errorInfo) {
  return {
    message: message === undefined ? null : message,
    errorType: errorType === undefined ? null : errorType,
    data: data === undefined ? null : data,
    errorInfo: errorInfo === undefined ? null : errorInfo,
  };
}

// A member AWS declares that this emulation does not implement. Resolver code that names one
// is refused at start-up (local/appsync/code_check.py); reaching one anyway stops the request.
function __appsync_not_emulated(path) {
  return function () {
    __appsync_abort('notEmulated', path);
  };
}

// Builds `util`, `runtime` and `extensions` with exactly the members the official type
// definitions declare: implemented ones from __appsync_impl (util.js), the rest as
// not-emulated stubs. A member AWS does not declare is simply absent, so calling it fails as
// it does on AppSync: "TypeError: not a function".
function __appsync_expose(surfaceJson) {
  var surface = JSON.parse(surfaceJson);
  var impl = __appsync_impl;
  function pick(names, source, prefix) {
    var out = {};
    names.forEach(function (name) {
      var own = source && Object.prototype.hasOwnProperty.call(source, name);
      out[name] = own ? source[name] : __appsync_not_emulated(prefix + '.' + name);
    });
    return out;
  }
  var util = pick(surface.util, impl.util, 'util');
  Object.keys(surface.utilNamespaces).forEach(function (namespace) {
    util[namespace] = pick(
      surface.utilNamespaces[namespace],
      impl.namespaces[namespace],
      'util.' + namespace,
    );
  });
  __appsync_bindings = {
    util: util,
    runtime: pick(surface.runtime, impl.runtime, 'runtime'),
    extensions: pick(surface.extensions, impl.extensions, 'extensions'),
    dynamodbModule: __appsync_dynamodb_module,
  };
}

var __appsync_bindings = null;
var __appsync_modules = {};

// console.log / console.error go to the runner's log, as AppSync sends them to CloudWatch.
var console = {
  log: function () {
    __host_log('info', Array.prototype.slice.call(arguments).map(String).join(' '));
  },
  error: function () {
    __host_log('error', Array.prototype.slice.call(arguments).map(String).join(' '));
  },
};

// Runs one handler of one module. Returns a JSON string:
// {value, error, runtimeError, notEmulated, appendedErrors, earlyReturn, skipTo, stash,
// extensions}.
function __appsync_invoke(moduleId, handlerName, ctxJson, stateJson) {
  var state = JSON.parse(stateJson);
  __appsync_state.authType = state.authType;
  __appsync_state.fieldName = state.fieldName;
  __appsync_state.parentTypeName = state.parentTypeName;
  __appsync_state.appendedErrors = [];
  __appsync_state.extensions = __appsync_no_extensions();
  var ctx = JSON.parse(ctxJson);
  ctx.args = ctx.arguments;
  var outcome = {
    value: null,
    error: null,
    runtimeError: null,
    notEmulated: null,
    earlyReturn: false,
    skipTo: null,
  };
  try {
    var value = __appsync_modules[moduleId][handlerName](ctx);
    outcome.value = value === undefined ? null : value;
  } catch (thrown) {
    if (!(thrown && thrown[__APPSYNC_ABORT])) {
      // A bug in the resolver code, e.g. a member the runtime does not have.
      var name = thrown && thrown.name ? String(thrown.name) : 'Error';
      var message = thrown && thrown.message !== undefined ? String(thrown.message) : String(thrown);
      outcome.runtimeError = { name: name, message: message };
    } else if (thrown.kind === 'error') {
      outcome.error = thrown.detail;
    } else if (thrown.kind === 'notEmulated') {
      outcome.notEmulated = thrown.detail;
    } else {
      outcome.earlyReturn = true;
      outcome.value = thrown.detail.value;
      outcome.skipTo = thrown.detail.skipTo;
    }
  }
  outcome.appendedErrors = __appsync_state.appendedErrors;
  outcome.stash = ctx.stash;
  outcome.extensions = __appsync_state.extensions;
  return JSON.stringify(outcome);
}

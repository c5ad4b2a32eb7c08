// The local stand-in for '@aws-appsync/utils' (APPSYNC_JS runtime), evaluated once per
// QuickJS context by local/appsync/js_runtime.py.
//
// Host functions provided by Python (add_callable): __host_uuid4(), __host_ulid(),
// __host_base64_encode(s), __host_base64_decode(s), __host_url_encode(s),
// __host_url_decode(s).
//
// util.error, util.unauthorized and runtime.earlyReturn abort the handler like AppSync does:
// they throw a marker object that __appsync_invoke turns into a structured outcome.
// Any util member that is not emulated here throws an error naming it.

var __appsync_state = {
  authType: null,
  fieldName: null,
  parentTypeName: null,
  appendedErrors: [],
};

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

// Wraps an object so reading a member it does not define fails loudly with the full name.
function __appsync_strict(path, target) {
  return new Proxy(target, {
    get: function (obj, prop) {
      if (typeof prop === 'symbol' || prop in obj) {
        return obj[prop];
      }
      throw new Error(path + '.' + String(prop) + ' is not emulated by the local AppSync runtime');
    },
  });
}

function __appsync_is_null(value) {
  return value === null || value === undefined;
}

function __appsync_type_name(value) {
  if (value === null || value === undefined) {
    return 'Null';
  }
  if (Array.isArray(value)) {
    return 'List';
  }
  if (typeof value === 'string') {
    return 'String';
  }
  if (typeof value === 'number') {
    return 'Number';
  }
  if (typeof value === 'boolean') {
    return 'Boolean';
  }
  return 'Map';
}

// ---------------------------------------------------------------- util.dynamodb

function __ddb_to_dynamodb(value) {
  if (value === null || value === undefined) {
    return { NULL: true };
  }
  if (typeof value === 'string') {
    return { S: value };
  }
  if (typeof value === 'number') {
    return { N: value };
  }
  if (typeof value === 'boolean') {
    return { BOOL: value };
  }
  if (Array.isArray(value)) {
    return { L: value.map(__ddb_to_dynamodb) };
  }
  if (typeof value === 'object') {
    return { M: __ddb_to_map_values(value) };
  }
  throw new Error('util.dynamodb.toDynamoDB cannot convert a value of type ' + typeof value);
}

function __ddb_to_map_values(obj) {
  var out = {};
  Object.keys(obj).forEach(function (key) {
    if (obj[key] !== undefined) {
      out[key] = __ddb_to_dynamodb(obj[key]);
    }
  });
  return out;
}

function __ddb_or_null(value, convert) {
  return __appsync_is_null(value) ? null : convert(value);
}

var __dynamodb = {
  toDynamoDB: __ddb_to_dynamodb,
  toMapValues: __ddb_to_map_values,
  toString: function (v) {
    return __ddb_or_null(v, function (s) {
      return { S: s };
    });
  },
  toStringSet: function (v) {
    return __ddb_or_null(v, function (l) {
      return { SS: l };
    });
  },
  toNumber: function (v) {
    return __ddb_or_null(v, function (n) {
      return { N: n };
    });
  },
  toNumberSet: function (v) {
    return __ddb_or_null(v, function (l) {
      return { NS: l };
    });
  },
  toBinary: function (v) {
    return __ddb_or_null(v, function (b) {
      return { B: b };
    });
  },
  toBinarySet: function (v) {
    return __ddb_or_null(v, function (l) {
      return { BS: l };
    });
  },
  toBoolean: function (v) {
    return __ddb_or_null(v, function (b) {
      return { BOOL: b };
    });
  },
  toNull: function () {
    return { NULL: true };
  },
  toList: function (v) {
    return __ddb_or_null(v, function (l) {
      return { L: l.map(__ddb_to_dynamodb) };
    });
  },
  toMap: function (v) {
    return __ddb_or_null(v, function (m) {
      return { M: __ddb_to_map_values(m) };
    });
  },
};

// ---------------------------------------------------------------- util.time

function __time_now_iso() {
  return new Date().toISOString();
}

var __time = {
  nowISO8601: __time_now_iso,
  nowEpochSeconds: function () {
    return Math.floor(Date.now() / 1000);
  },
  nowEpochMilliSeconds: function () {
    return Date.now();
  },
  epochMilliSecondsToSeconds: function (ms) {
    return Math.floor(ms / 1000);
  },
  epochMilliSecondsToISO8601: function (ms) {
    return new Date(ms).toISOString();
  },
  parseISO8601ToEpochMilliSeconds: function (text) {
    var ms = Date.parse(text);
    if (isNaN(ms)) {
      throw new Error('util.time.parseISO8601ToEpochMilliSeconds: not an ISO 8601 date: ' + text);
    }
    return ms;
  },
};

// ---------------------------------------------------------------- util

var __util = {
  autoId: function () {
    return __host_uuid4();
  },
  autoUlid: function () {
    return __host_ulid();
  },
  error: function (message, errorType, data, errorInfo) {
    __appsync_abort('error', __appsync_error_entry(message, errorType, data, errorInfo));
  },
  appendError: function (message, errorType, data, errorInfo) {
    __appsync_state.appendedErrors.push(
      __appsync_error_entry(message, errorType, data, errorInfo),
    );
  },
  unauthorized: function () {
    var message =
      'Not Authorized to access ' +
      __appsync_state.fieldName +
      ' on type ' +
      __appsync_state.parentTypeName;
    __appsync_abort('error', __appsync_error_entry(message, 'Unauthorized'));
  },
  authType: function () {
    return __appsync_state.authType;
  },
  isNull: __appsync_is_null,
  isNullOrEmpty: function (value) {
    return __appsync_is_null(value) || value === '';
  },
  isNullOrBlank: function (value) {
    return __appsync_is_null(value) || (typeof value === 'string' && value.trim() === '');
  },
  defaultIfNull: function (value, fallback) {
    return __appsync_is_null(value) ? fallback : value;
  },
  defaultIfNullOrEmpty: function (value, fallback) {
    return __appsync_is_null(value) || value === '' ? fallback : value;
  },
  defaultIfNullOrBlank: function (value, fallback) {
    var blank = __appsync_is_null(value) || (typeof value === 'string' && value.trim() === '');
    return blank ? fallback : value;
  },
  isString: function (value) {
    return typeof value === 'string';
  },
  isNumber: function (value) {
    return typeof value === 'number';
  },
  isBoolean: function (value) {
    return typeof value === 'boolean';
  },
  isList: function (value) {
    return Array.isArray(value);
  },
  isMap: function (value) {
    return __appsync_type_name(value) === 'Map';
  },
  typeOf: __appsync_type_name,
  base64Encode: function (value) {
    return __host_base64_encode(String(value));
  },
  base64Decode: function (value) {
    return __host_base64_decode(String(value));
  },
  urlEncode: function (value) {
    return __host_url_encode(String(value));
  },
  urlDecode: function (value) {
    return __host_url_decode(String(value));
  },
  escapeJavaScript: function (value) {
    var quoted = JSON.stringify(String(value));
    return quoted.substring(1, quoted.length - 1);
  },
  time: __appsync_strict('util.time', __time),
  dynamodb: __appsync_strict('util.dynamodb', __dynamodb),
};

var __runtime = {
  earlyReturn: function (value, options) {
    var skipTo = options && options.skipTo ? options.skipTo : null;
    if (skipTo !== null && skipTo !== 'END' && skipTo !== 'NEXT') {
      throw new Error("runtime.earlyReturn: skipTo must be 'END' or 'NEXT'");
    }
    __appsync_abort('earlyReturn', { value: value === undefined ? null : value, skipTo: skipTo });
  },
};

var __appsync_bindings = {
  util: __appsync_strict('util', __util),
  runtime: __appsync_strict('runtime', __runtime),
};

var __appsync_modules = {};

// Runs one handler of one module. Returns a JSON string:
// {value, error, appendedErrors, earlyReturn, skipTo, stash}.
function __appsync_invoke(moduleId, handlerName, ctxJson, stateJson) {
  var state = JSON.parse(stateJson);
  __appsync_state.authType = state.authType;
  __appsync_state.fieldName = state.fieldName;
  __appsync_state.parentTypeName = state.parentTypeName;
  __appsync_state.appendedErrors = [];
  var ctx = JSON.parse(ctxJson);
  ctx.args = ctx.arguments;
  var outcome = { value: null, error: null, earlyReturn: false, skipTo: null };
  try {
    var value = __appsync_modules[moduleId][handlerName](ctx);
    outcome.value = value === undefined ? null : value;
  } catch (thrown) {
    if (!(thrown && thrown[__APPSYNC_ABORT])) {
      throw thrown;
    }
    if (thrown.kind === 'error') {
      outcome.error = thrown.detail;
    } else {
      outcome.earlyReturn = true;
      outcome.value = thrown.detail.value;
      outcome.skipTo = thrown.detail.skipTo;
    }
  }
  outcome.appendedErrors = __appsync_state.appendedErrors;
  outcome.stash = ctx.stash;
  return JSON.stringify(outcome);
}

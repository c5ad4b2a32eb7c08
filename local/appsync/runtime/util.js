// The local implementation of what '@aws-appsync/utils' provides at run time: `util` and its
// namespaces, `runtime` and `extensions`. prelude.js exposes from here exactly the members
// AWS's type definitions declare (surface.json); anything declared but missing here becomes a
// not-emulated stub, which code_check.py refuses at start-up.
//
// Behaviour follows the AppSync developer guide's "Built-in utilities" pages for JavaScript
// (util, util.time, util.dynamodb, util.str, util.math) and "Runtime utilities".
// Host functions from Python (js_runtime.py): __host_uuid4, __host_ulid, __host_ksuid,
// __host_base64_encode, __host_base64_decode, __host_url_encode, __host_url_decode,
// __host_matches, __host_normalize, __host_format_time, __host_parse_time.

function __appsync_is_missing(value) {
  return value === null || value === undefined;
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
  throw new TypeError('util.dynamodb.toDynamoDB cannot convert a value of type ' + typeof value);
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

function __ddb_typed(kind, convert) {
  return function (value) {
    if (__appsync_is_missing(value)) {
      return null;
    }
    var out = {};
    out[kind] = convert ? convert(value) : value;
    return out;
  };
}

function __ddb_s3_object(key, bucket, region, version) {
  var s3 = { key: key, bucket: bucket, region: region };
  if (version !== undefined) {
    s3.version = version;
  }
  return { S: JSON.stringify({ s3: s3 }) };
}

var __dynamodb = {
  toDynamoDB: __ddb_to_dynamodb,
  toMapValues: __ddb_to_map_values,
  toString: __ddb_typed('S'),
  toStringSet: __ddb_typed('SS'),
  toNumber: __ddb_typed('N'),
  toNumberSet: __ddb_typed('NS'),
  toBinary: __ddb_typed('B'),
  toBinarySet: __ddb_typed('BS'),
  toBoolean: __ddb_typed('BOOL'),
  toNull: function () {
    return { NULL: true };
  },
  toList: __ddb_typed('L', function (list) {
    return list.map(__ddb_to_dynamodb);
  }),
  toMap: __ddb_typed('M', __ddb_to_map_values),
  toS3Object: __ddb_s3_object,
  fromS3ObjectJson: function (text) {
    return JSON.parse(text).s3;
  },
};

// ---------------------------------------------------------------- util.time

function __time_zone(zone) {
  return zone === undefined ? 'UTC' : String(zone);
}

var __time = {
  nowISO8601: function () {
    return new Date().toISOString();
  },
  nowEpochSeconds: function () {
    return Math.floor(Date.now() / 1000);
  },
  nowEpochMilliSeconds: function () {
    return Date.now();
  },
  nowFormatted: function (format, zone) {
    return __host_format_time(Date.now(), String(format), __time_zone(zone));
  },
  parseFormattedToEpochMilliSeconds: function (text, format, zone) {
    return __host_parse_time(String(text), String(format), __time_zone(zone));
  },
  parseISO8601ToEpochMilliSeconds: function (text) {
    var ms = Date.parse(text);
    if (ms !== ms) {
      throw new RangeError('util.time.parseISO8601ToEpochMilliSeconds: not an ISO 8601 date');
    }
    return ms;
  },
  epochMilliSecondsToSeconds: function (ms) {
    return Math.floor(ms / 1000);
  },
  epochMilliSecondsToISO8601: function (ms) {
    return new Date(ms).toISOString();
  },
  epochMilliSecondsToFormatted: function (ms, format, zone) {
    return __host_format_time(ms, String(format), __time_zone(zone));
  },
};

// ---------------------------------------------------------------- util.math, util.str

var __math = {
  roundNum: function (value) {
    return Math.round(value);
  },
  minVal: function (a, b) {
    return Math.min(a, b);
  },
  maxVal: function (a, b) {
    return Math.max(a, b);
  },
  randomDouble: function () {
    return Math.random();
  },
  randomWithinRange: function (start, end) {
    return start + Math.floor(Math.random() * (end - start + 1));
  },
};

var __str = {
  normalize: function (value, form) {
    return __host_normalize(String(value), String(form));
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
  autoKsuid: function () {
    return __host_ksuid();
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
  matches: function (pattern, value) {
    return __host_matches(String(pattern), String(value));
  },
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
};

// ---------------------------------------------------------------- runtime, extensions

var __runtime = {
  earlyReturn: function (value, options) {
    var skipTo = options && options.skipTo ? options.skipTo : null;
    if (skipTo !== null && skipTo !== 'END' && skipTo !== 'NEXT') {
      throw new TypeError("runtime.earlyReturn: skipTo must be 'END' or 'NEXT'");
    }
    __appsync_abort('earlyReturn', { value: value === undefined ? null : value, skipTo: skipTo });
  },
};

// The subscription extensions record what the handler asked for; the executor acts on it after
// the handler returns (AppSync developer guide, "Enhanced subscription filtering" and
// "Unsubscribing WebSocket connections using filters").
function __extension_filter(name, filter) {
  if (!filter || typeof filter !== 'object' || !Array.isArray(filter.filterGroup)) {
    throw new TypeError(
      'extensions.' + name + ' expects a filter from util.transform.toSubscriptionFilter',
    );
  }
  return JSON.parse(JSON.stringify(filter));
}

var __extensions = {
  // The local endpoint has no resolver cache, so there is never anything to evict.
  evictFromApiCache: function () {},
  setSubscriptionFilter: function (filter) {
    __appsync_state.extensions.subscriptionFilter = __extension_filter(
      'setSubscriptionFilter',
      filter,
    );
  },
  setSubscriptionInvalidationFilter: function (filter) {
    __appsync_state.extensions.invalidationFilter = __extension_filter(
      'setSubscriptionInvalidationFilter',
      filter,
    );
  },
  invalidateSubscriptions: function (invalidation) {
    if (
      !invalidation ||
      typeof invalidation.subscriptionField !== 'string' ||
      typeof invalidation.payload !== 'object' ||
      invalidation.payload === null
    ) {
      throw new TypeError(
        'extensions.invalidateSubscriptions expects { subscriptionField: string, payload: object }',
      );
    }
    __appsync_state.extensions.invalidations.push({
      subscriptionField: invalidation.subscriptionField,
      payload: JSON.parse(JSON.stringify(invalidation.payload)),
    });
  },
};

var __appsync_impl = {
  util: __util,
  namespaces: { dynamodb: __dynamodb, time: __time, math: __math, str: __str },
  runtime: __runtime,
  extensions: __extensions,
};

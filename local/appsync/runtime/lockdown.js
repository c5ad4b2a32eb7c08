// Removes from the QuickJS context what AWS's APPSYNC_JS runtime does not have, so resolver code
// that would fail on AppSync fails locally too, with the same kind of error (a TypeError or
// ReferenceError the resolver did not expect). Loaded last, after prelude.js and util.js, which
// only use what stays. Sources:
//  - __appsync_lockdown(deniedMethods): the list in @aws-appsync/eslint-plugin's
//    no-disallowed-methods rule ("Method ... is not implemented"), read from the installed
//    package by extract_surface.mjs into surface.json;
//  - the constants below: AppSync developer guide, "Supported runtime features"
//    (https://docs.aws.amazon.com/appsync/latest/devguide/supported-features.html), which lists
//    the Object functions the runtime supports, the Math functions and the globals, and says
//    nothing else of the ES library is there.

// "Primitive objects > Object": assign, entries, hasOwn, keys, values (and `delete`).
var __SUPPORTED_OBJECT_FUNCTIONS = ['assign', 'entries', 'hasOwn', 'keys', 'values'];

// "Built-in objects and functions > Math": random, min, max, round, floor, ceil.
var __SUPPORTED_MATH_FUNCTIONS = ['random', 'min', 'max', 'round', 'floor', 'ceil'];

// Globals of a full ES engine that the page does not list. (Promise also has its own lint rule,
// no-promise; regular expressions have no-regex.)
var __UNSUPPORTED_GLOBALS = [
  'Promise',
  'RegExp',
  'Proxy',
  'Reflect',
  'Symbol',
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
  'WeakRef',
  'FinalizationRegistry',
  'BigInt',
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Atomics',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'BigInt64Array',
  'BigUint64Array',
  'Float32Array',
  'Float64Array',
  'AggregateError',
  'eval',
  'Function',
  'globalThis',
  'parseInt',
  'parseFloat',
  'isNaN',
  'isFinite',
  'encodeURI',
  'encodeURIComponent',
  'decodeURI',
  'decodeURIComponent',
  'escape',
  'unescape',
  'Intl',
  'std',
  'os',
];

// Taken before the loop below removes them from Object.
var __define_property = Object.defineProperty;
var __own_names = Object.getOwnPropertyNames;

// Makes `owner.name` unusable: deleted when it is an own property, shadowed with undefined when
// it is inherited (e.g. Object.hasOwnProperty comes from Object.prototype).
function __appsync_remove(owner, name) {
  if (owner === undefined || owner === null) {
    return;
  }
  if (Object.prototype.hasOwnProperty.call(owner, name)) {
    delete owner[name];
  }
  if (owner[name] !== undefined) {
    __define_property(owner, name, { value: undefined, writable: false, configurable: false });
  }
}

var __DENIED_OWNERS = {
  Array: [Array.prototype, Array],
  String: [String.prototype, String],
  Date: [Date.prototype],
  ObjectConstructor: [Object],
};

// The page lists Object.hasOwn (and recommends it instead of `in`); the QuickJS build of the
// quickjs package predates it, so it is added here with the standard semantics.
function __appsync_add_missing() {
  var has = Object.prototype.hasOwnProperty;
  if (typeof Object.hasOwn !== 'function') {
    __define_property(Object, 'hasOwn', {
      value: function hasOwn(target, key) {
        if (target === null || target === undefined) {
          throw new TypeError('Cannot convert undefined or null to object');
        }
        return has.call(Object(target), key);
      },
      writable: true,
      configurable: true,
    });
  }
}

function __appsync_lockdown(deniedMethodsJson) {
  var global = globalThis;
  __appsync_add_missing();
  JSON.parse(deniedMethodsJson).forEach(function (qualified) {
    var parts = qualified.split('.');
    var owners = __DENIED_OWNERS[parts[0]];
    if (!owners) {
      throw new Error('lockdown: no owner known for ' + qualified);
    }
    owners.forEach(function (owner) {
      if (owner[parts[1]] !== undefined) {
        __appsync_remove(owner, parts[1]);
      }
    });
  });
  __own_names(Object).forEach(function (name) {
    var keep = __SUPPORTED_OBJECT_FUNCTIONS.indexOf(name) >= 0;
    if (!keep && typeof Object[name] === 'function') {
      __appsync_remove(Object, name);
    }
  });
  __own_names(Math).forEach(function (name) {
    var keep = __SUPPORTED_MATH_FUNCTIONS.indexOf(name) >= 0;
    if (!keep && typeof Math[name] === 'function') {
      __appsync_remove(Math, name);
    }
  });
  __UNSUPPORTED_GLOBALS.forEach(function (name) {
    delete global[name];
  });
}

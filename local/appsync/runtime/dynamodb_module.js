// The local '@aws-appsync/utils/dynamodb' built-in module: helpers that build the DynamoDB
// request objects (AppSync developer guide, "Built-in modules", DynamoDB module functions;
// signatures from @aws-appsync/utils lib/dynamodb-helpers.d.ts). Plain values are marshalled
// with util.dynamodb; filter, condition and key-condition objects go through expressions.js.
// Loaded after util.js and expressions.js.

function __ddbm_projection(fields) {
  if (!fields || !fields.length) {
    return undefined;
  }
  var names = {};
  var paths = fields.map(function (field) {
    return field
      .split('.')
      .map(function (part) {
        var placeholder = '#' + part.replace(/[^A-Za-z0-9_]/g, '_');
        names[placeholder] = part;
        return placeholder;
      })
      .join('.');
  });
  return { expression: paths.join(', '), expressionNames: names };
}

function __ddbm_condition(condition) {
  var built = __expr_from_filter(condition);
  return built === null ? undefined : built;
}

function __ddbm_key_condition(query) {
  var built = __expr_from_filter(query);
  if (built === null) {
    throw new TypeError('query: a key condition is required');
  }
  return built;
}

function __ddbm_paged(operation, payload) {
  var request = { operation: operation };
  ['index', 'limit', 'nextToken', 'consistentRead', 'scanIndexForward', 'select', 'segment',
    'totalSegments'].forEach(function (name) {
    if (payload[name] !== undefined && payload[name] !== null) {
      request[name] = payload[name];
    }
  });
  var filter = __ddbm_condition(payload.filter);
  if (filter) {
    request.filter = filter;
  }
  var projection = __ddbm_projection(payload.projection);
  if (projection) {
    request.projection = projection;
  }
  return request;
}

// ---------------------------------------------------------------- update expressions

var __DDBM_OPERATION = '__appsyncDynamoDBOperation';

function __ddbm_operation(type, fields) {
  var op = { _type: type };
  op[__DDBM_OPERATION] = true;
  Object.keys(fields || {}).forEach(function (key) {
    op[key] = fields[key];
  });
  return op;
}

var __ddbm_operations = {
  add: function (value) {
    return __ddbm_operation('add', { value: value });
  },
  remove: function () {
    return __ddbm_operation('remove');
  },
  replace: function (value) {
    return __ddbm_operation('replace', { value: value });
  },
  increment: function (by) {
    return __ddbm_operation('increment', { value: by === undefined ? 1 : by });
  },
  decrement: function (by) {
    return __ddbm_operation('decrement', { value: by === undefined ? 1 : by });
  },
  append: function (items) {
    return __ddbm_operation('append', { value: items });
  },
  prepend: function (items) {
    return __ddbm_operation('prepend', { value: items });
  },
  updateListItem: function (value, index) {
    return __ddbm_operation('updateListItem', { value: value, index: index });
  },
};

function __ddbm_is_plain_object(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value) &&
    !value[__DDBM_OPERATION];
}

function __ddbm_update_clauses(builder, update, prefix, clauses) {
  Object.keys(update).forEach(function (field) {
    var change = update[field];
    if (change === undefined) {
      return;
    }
    var path = (prefix ? prefix + '.' : '') + builder.name(field);
    var base = (prefix ? prefix.replace(/#/g, '') + '_' : '') + field;
    if (change === null || (change[__DDBM_OPERATION] && change._type === 'remove')) {
      clauses.REMOVE.push(path);
    } else if (__ddbm_is_plain_object(change)) {
      __ddbm_update_clauses(builder, change, path, clauses);
    } else if (!change[__DDBM_OPERATION]) {
      clauses.SET.push(path + ' = ' + builder.value(base, change));
    } else if (change._type === 'replace') {
      clauses.SET.push(path + ' = ' + builder.value(base, change.value));
    } else if (change._type === 'add') {
      clauses.ADD.push(path + ' ' + builder.value(base + '_add', change.value));
    } else if (change._type === 'increment' || change._type === 'decrement') {
      var sign = change._type === 'increment' ? ' + ' : ' - ';
      clauses.SET.push(path + ' = ' + path + sign + builder.value(base + '_' + change._type, change.value));
    } else if (change._type === 'append') {
      clauses.SET.push(path + ' = list_append(' + path + ', ' + builder.value(base + '_append', change.value) + ')');
    } else if (change._type === 'prepend') {
      clauses.SET.push(path + ' = list_append(' + builder.value(base + '_prepend', change.value) + ', ' + path + ')');
    } else if (change._type === 'updateListItem') {
      clauses.SET.push(path + '[' + Number(change.index) + '] = ' + builder.value(base + '_item', change.value));
    } else {
      throw new TypeError('unknown update operation ' + change._type + ' on ' + field);
    }
  });
}

function __ddbm_update_expression(update) {
  var builder = __expr_builder();
  var clauses = { SET: [], REMOVE: [], ADD: [] };
  __ddbm_update_clauses(builder, update, '', clauses);
  var text = Object.keys(clauses)
    .filter(function (kind) {
      return clauses[kind].length > 0;
    })
    .map(function (kind) {
      return kind + ' ' + clauses[kind].join(', ');
    })
    .join(' ');
  if (text === '') {
    throw new TypeError('update: nothing to update');
  }
  var out = { expression: text, expressionNames: builder.names };
  if (Object.keys(builder.values).length) {
    out.expressionValues = builder.values;
  }
  return out;
}

// ---------------------------------------------------------------- the module

// transactWrite's item kinds: the operation each becomes and what it adds to the key.
var __DDBM_TRANSACT_KINDS = {
  putItem: ['PutItem', function (spec) {
    return { attributeValues: __ddb_to_map_values(spec.item) };
  }],
  updateItem: ['UpdateItem', function (spec) {
    return { update: __ddbm_update_expression(spec.update) };
  }],
  deleteItem: ['DeleteItem', null],
  conditionCheck: ['ConditionCheck', null],
};

function __ddbm_transact_write_item(item) {
  var kinds = Object.keys(__DDBM_TRANSACT_KINDS).filter(function (kind) {
    return item[kind];
  });
  if (kinds.length !== 1) {
    throw new TypeError('transactWrite: each item needs exactly one of ' +
      Object.keys(__DDBM_TRANSACT_KINDS).join(', '));
  }
  var kind = __DDBM_TRANSACT_KINDS[kinds[0]];
  var spec = item[kinds[0]];
  var request = { table: spec.table, operation: kind[0], key: __ddb_to_map_values(spec.key) };
  var extra = kind[1] ? kind[1](spec) : {};
  Object.keys(extra).forEach(function (name) {
    request[name] = extra[name];
  });
  return __ddbm_with_condition(request, spec.condition);
}

function __ddbm_with_condition(request, condition) {
  var built = __ddbm_condition(condition);
  if (built) {
    request.condition = built;
  }
  return request;
}

var __appsync_dynamodb_module = {
  get: function (payload) {
    var request = { operation: 'GetItem', key: __ddb_to_map_values(payload.key) };
    if (payload.consistentRead !== undefined) {
      request.consistentRead = payload.consistentRead;
    }
    var projection = __ddbm_projection(payload.projection);
    if (projection) {
      request.projection = projection;
    }
    return request;
  },
  put: function (payload) {
    return __ddbm_with_condition(
      {
        operation: 'PutItem',
        key: __ddb_to_map_values(payload.key),
        attributeValues: __ddb_to_map_values(payload.item),
      },
      payload.condition,
    );
  },
  remove: function (payload) {
    return __ddbm_with_condition(
      { operation: 'DeleteItem', key: __ddb_to_map_values(payload.key) },
      payload.condition,
    );
  },
  update: function (payload) {
    return __ddbm_with_condition(
      {
        operation: 'UpdateItem',
        key: __ddb_to_map_values(payload.key),
        update: __ddbm_update_expression(payload.update),
      },
      payload.condition,
    );
  },
  query: function (payload) {
    var request = __ddbm_paged('Query', payload);
    request.query = __ddbm_key_condition(payload.query);
    return request;
  },
  scan: function (payload) {
    return __ddbm_paged('Scan', payload);
  },
  sync: __appsync_not_emulated("'@aws-appsync/utils/dynamodb'.sync"),
  batchGet: function (payload) {
    var tables = {};
    Object.keys(payload.tables).forEach(function (table) {
      var spec = payload.tables[table];
      var entry = { keys: spec.keys.map(__ddb_to_map_values) };
      if (spec.consistentRead !== undefined) {
        entry.consistentRead = spec.consistentRead;
      }
      tables[table] = entry;
    });
    return { operation: 'BatchGetItem', tables: tables };
  },
  batchPut: function (payload) {
    var tables = {};
    Object.keys(payload.tables).forEach(function (table) {
      tables[table] = payload.tables[table].map(__ddb_to_map_values);
    });
    return { operation: 'BatchPutItem', tables: tables };
  },
  batchDelete: function (payload) {
    var tables = {};
    Object.keys(payload.tables).forEach(function (table) {
      tables[table] = payload.tables[table].map(__ddb_to_map_values);
    });
    return { operation: 'BatchDeleteItem', tables: tables };
  },
  transactGet: function (payload) {
    return {
      operation: 'TransactGetItems',
      transactItems: payload.items.map(function (item) {
        var entry = { table: item.table, key: __ddb_to_map_values(item.key) };
        var projection = __ddbm_projection(item.projection);
        if (projection) {
          entry.projection = projection;
        }
        return entry;
      }),
    };
  },
  transactWrite: function (payload) {
    return {
      operation: 'TransactWriteItems',
      transactItems: payload.items.map(__ddbm_transact_write_item),
    };
  },
  toStringSet: function (list) {
    return { SS: list };
  },
  toNumberSet: function (list) {
    return { NS: list };
  },
  toBinarySet: function (list) {
    return { BS: list };
  },
  operations: __ddbm_operations,
};

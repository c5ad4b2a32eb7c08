// Builds DynamoDB expressions from AppSync's filter objects, for util.transform and for the
// '@aws-appsync/utils/dynamodb' module (dynamodb_module.js). Loaded after util.js.
//
// The object grammar is the one @aws-appsync/utils declares (transform-utils.d.ts,
// DynamoDBFilterObject; SubscriptionFilterObject): per field an object of operators (eq, ne,
// le, lt, ge, gt, in, between, beginsWith, contains, notContains, attributeExists,
// attributeType) joined with AND, and `and` / `or` / `not` to combine. Placeholders are named
// after the field and operator (#title, :title_contains), numbered when a name repeats.

var __DDB_ATTRIBUTE_TYPES = {
  _null: 'NULL',
  string: 'S',
  stringSet: 'SS',
  number: 'N',
  numberSet: 'NS',
  binary: 'B',
  binarySet: 'BS',
  boolean: 'BOOL',
  list: 'L',
  map: 'M',
};

var __DDB_COMPARISONS = { eq: '=', ne: '<>', le: '<=', lt: '<', ge: '>=', gt: '>' };

function __expr_builder() {
  var names = {};
  var values = {};
  function name(field) {
    var placeholder = '#' + field.replace(/[^A-Za-z0-9_]/g, '_');
    names[placeholder] = field;
    return placeholder;
  }
  function value(base, raw) {
    var placeholder = ':' + base.replace(/[^A-Za-z0-9_]/g, '_');
    var candidate = placeholder;
    var n = 0;
    for (;;) {
      if (!Object.prototype.hasOwnProperty.call(values, candidate)) {
        break;
      }
      n += 1;
      candidate = placeholder + '_' + n;
    }
    values[candidate] = __ddb_to_dynamodb(raw);
    return candidate;
  }
  return { name: name, value: value, names: names, values: values };
}

function __expr_field(builder, field, operators) {
  var path = builder.name(field);
  var parts = [];
  Object.keys(operators).forEach(function (op) {
    var operand = operators[op];
    if (operand === null || operand === undefined) {
      return;
    }
    var base = field + '_' + op;
    if (__DDB_COMPARISONS[op]) {
      parts.push('(' + path + ' ' + __DDB_COMPARISONS[op] + ' ' + builder.value(base, operand) + ')');
    } else if (op === 'between') {
      parts.push(
        '(' + path + ' BETWEEN ' + builder.value(base + '_0', operand[0]) + ' AND ' +
          builder.value(base + '_1', operand[1]) + ')',
      );
    } else if (op === 'in') {
      var list = operand.map(function (item, i) {
        return builder.value(base + '_' + i, item);
      });
      parts.push('(' + path + ' IN (' + list.join(', ') + '))');
    } else if (op === 'beginsWith') {
      parts.push('(begins_with(' + path + ', ' + builder.value(base, operand) + '))');
    } else if (op === 'contains') {
      parts.push('(contains(' + path + ', ' + builder.value(base, operand) + '))');
    } else if (op === 'notContains') {
      parts.push('(NOT contains(' + path + ', ' + builder.value(base, operand) + '))');
    } else if (op === 'attributeExists') {
      parts.push(operand ? '(attribute_exists(' + path + '))' : '(attribute_not_exists(' + path + '))');
    } else if (op === 'attributeType') {
      var type = __DDB_ATTRIBUTE_TYPES[operand];
      if (!type) {
        throw new TypeError('attributeType: unknown type ' + operand);
      }
      parts.push('(attribute_type(' + path + ', ' + builder.value(base, type) + '))');
    } else {
      throw new TypeError('unknown filter operator ' + op + ' on ' + field);
    }
  });
  return parts.join(' AND ');
}

function __expr_object(builder, filter) {
  var parts = [];
  Object.keys(filter).forEach(function (key) {
    var operand = filter[key];
    if (operand === null || operand === undefined) {
      return;
    }
    if (key === 'and' || key === 'or') {
      var list = Array.isArray(operand) ? operand : [operand];
      var inner = list
        .map(function (item) {
          return __expr_object(builder, item);
        })
        .filter(function (text) {
          return text !== '';
        });
      if (inner.length) {
        parts.push('(' + inner.join(key === 'and' ? ' AND ' : ' OR ') + ')');
      }
    } else if (key === 'not') {
      parts.push('(NOT ' + __expr_object(builder, operand) + ')');
    } else {
      var text = __expr_field(builder, key, operand);
      if (text !== '') {
        parts.push(text);
      }
    }
  });
  return parts.join(' AND ');
}

// {expression, expressionNames, expressionValues} for a filter or condition object, or null
// when the object constrains nothing.
function __expr_from_filter(filter) {
  if (filter === null || filter === undefined) {
    return null;
  }
  var builder = __expr_builder();
  var expression = __expr_object(builder, filter);
  if (expression === '') {
    return null;
  }
  var out = { expression: expression, expressionNames: builder.names };
  if (Object.keys(builder.values).length) {
    out.expressionValues = builder.values;
  }
  return out;
}

// ---------------------------------------------------------------- subscription filters

var __SUBSCRIPTION_OPERATORS = [
  'eq', 'ne', 'gt', 'ge', 'lt', 'le', 'in', 'notIn', 'between', 'beginsWith', 'contains',
  'notContains', 'containsAny',
];

function __subscription_filters(obj, ignored) {
  var filters = [];
  Object.keys(obj).forEach(function (field) {
    if (field === 'and' || field === 'or' || ignored.indexOf(field) >= 0) {
      return;
    }
    var operators = obj[field];
    Object.keys(operators).forEach(function (operator) {
      if (__SUBSCRIPTION_OPERATORS.indexOf(operator) < 0) {
        throw new TypeError('unknown subscription filter operator ' + operator + ' on ' + field);
      }
      filters.push({ fieldName: field, operator: operator, value: operators[operator] });
    });
  });
  return filters;
}

// Each group is an AND of filters; the groups are ORed (AppSync developer guide, "Enhanced
// subscription filtering"). `or` makes one group per branch, `and` merges into the group.
function __subscription_groups(obj, ignored) {
  var base = __subscription_filters(obj, ignored);
  var groups = [base];
  (obj.and || []).forEach(function (part) {
    var next = [];
    __subscription_groups(part, ignored).forEach(function (partGroup) {
      groups.forEach(function (group) {
        next.push(group.concat(partGroup));
      });
    });
    groups = next;
  });
  if (obj.or) {
    var widened = [];
    obj.or.forEach(function (branch) {
      __subscription_groups(branch, ignored).forEach(function (branchGroup) {
        groups.forEach(function (group) {
          widened.push(group.concat(branchGroup));
        });
      });
    });
    groups = widened;
  }
  return groups;
}

function __to_subscription_filter(obj, ignoredFields, rules) {
  var ignored = ignoredFields || [];
  var extra = rules ? __subscription_filters(rules, []) : [];
  var groups = __subscription_groups(obj || {}, ignored).map(function (filters) {
    return { filters: filters.concat(extra) };
  });
  return { filterGroup: groups };
}

var __transform = {
  toDynamoDBFilterExpression: function (filter) {
    return JSON.stringify(__expr_from_filter(filter));
  },
  toDynamoDBConditionExpression: function (condition) {
    return JSON.stringify(__expr_from_filter(condition));
  },
  toSubscriptionFilter: __to_subscription_filter,
};
__appsync_impl.namespaces.transform = __transform;

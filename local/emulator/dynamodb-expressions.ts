import { AwsServiceError } from './errors';

/**
 * DynamoDB's condition and update expressions, for the emulator: a tokenizer, a recursive-descent
 * parser and an evaluator over items in their wire form (`{ "S": "..." }`, `{ "N": "12" }`, ...).
 *
 * Supported, as the DynamoDB Developer Guide ("Condition and filter expressions", "Update
 * expressions") defines them:
 *
 * - conditions: `=`, `<>`, `<`, `<=`, `>`, `>=`, `BETWEEN a AND b`, `IN (a, b, ...)`,
 *   `attribute_exists(path)`, `attribute_not_exists(path)`, `attribute_type(path, :type)`,
 *   `begins_with(path, :prefix)`, `contains(path, :operand)`, `size(path)` as an operand, `NOT`,
 *   `AND`, `OR` (in that order of precedence) and parentheses;
 * - updates: `SET path = operand [+|- operand]` with `if_not_exists(path, operand)` and
 *   `list_append(a, b)`, `REMOVE path, ...`, `ADD path :number` (numbers only);
 * - paths: attribute names, `#placeholders`, `a.b` map members and `a[0]` list elements;
 * - `ExpressionAttributeNames` / `ExpressionAttributeValues`: every placeholder used must be
 *   defined, and every one defined must be used (`ValidationException` otherwise, as DynamoDB).
 *
 * Not emulated: `ADD` / `DELETE` on sets, reserved-word checks on bare attribute names, ordering of
 * binary values (compared as their base64 text).
 */

/** An attribute value in DynamoDB's wire form (the JSON of `AttributeValue`). */
export type AttributeValue =
  | { readonly S: string }
  | { readonly N: string }
  | { readonly B: string }
  | { readonly BOOL: boolean }
  | { readonly NULL: true }
  | { readonly SS: readonly string[] }
  | { readonly NS: readonly string[] }
  | { readonly BS: readonly string[] }
  | { readonly L: readonly AttributeValue[] }
  | { readonly M: Readonly<Record<string, AttributeValue>> };

/** An item: attribute name -> value. */
export type Item = Readonly<Record<string, AttributeValue>>;

/** The `ValidationException` DynamoDB answers a malformed request with. */
export const VALIDATION = 'com.amazonaws.dynamodb.v20120810#ValidationException';

/** A `ValidationException` with DynamoDB's wording. */
export function validation(message: string): AwsServiceError {
  return new AwsServiceError(VALIDATION, message);
}

// ---------------------------------------------------------------------------------------------
// Tokens

type Token =
  | { readonly kind: 'name'; readonly text: string }
  | { readonly kind: 'placeholder'; readonly text: string }
  | { readonly kind: 'value'; readonly text: string }
  | { readonly kind: 'number'; readonly text: string }
  | { readonly kind: 'symbol'; readonly text: string };

const SYMBOLS = ['<>', '<=', '>=', '=', '<', '>', '(', ')', ',', '.', '[', ']', '+', '-'];

function tokenize(expression: string, what: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < expression.length) {
    const rest = expression.slice(at);
    const space = /^\s+/.exec(rest);
    if (space !== null) {
      at += space[0].length;
      continue;
    }
    const match =
      /^#[A-Za-z0-9_]+/.exec(rest) ??
      /^:[A-Za-z0-9_]+/.exec(rest) ??
      /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest) ??
      /^[0-9]+/.exec(rest);
    if (match !== null) {
      const text = match[0];
      const kind = text.startsWith('#')
        ? 'placeholder'
        : text.startsWith(':')
          ? 'value'
          : /^[0-9]/.test(text)
            ? 'number'
            : 'name';
      tokens.push({ kind, text });
      at += text.length;
      continue;
    }
    const symbol = SYMBOLS.find((candidate) => rest.startsWith(candidate));
    if (symbol === undefined) {
      throw validation(
        `Invalid ${what}: Syntax error; token: "${rest.charAt(0)}", near: "${rest.slice(0, 10)}"`,
      );
    }
    tokens.push({ kind: 'symbol', text: symbol });
    at += symbol.length;
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Syntax trees

/** One step of a document path: a map member or a list index. */
type PathStep = { readonly member: string } | { readonly index: number };
type Path = readonly PathStep[];

type Operand =
  | { readonly type: 'path'; readonly path: Path }
  | { readonly type: 'value'; readonly name: string }
  | { readonly type: 'size'; readonly path: Path }
  | { readonly type: 'if_not_exists'; readonly path: Path; readonly fallback: Operand }
  | { readonly type: 'list_append'; readonly first: Operand; readonly second: Operand }
  | { readonly type: 'arithmetic'; readonly op: '+' | '-'; readonly left: Operand; readonly right: Operand };

type Condition =
  | { readonly type: 'compare'; readonly op: string; readonly left: Operand; readonly right: Operand }
  | { readonly type: 'between'; readonly value: Operand; readonly low: Operand; readonly high: Operand }
  | { readonly type: 'in'; readonly value: Operand; readonly list: readonly Operand[] }
  | { readonly type: 'function'; readonly name: string; readonly path: Path; readonly argument?: Operand }
  | { readonly type: 'not'; readonly operand: Condition }
  | { readonly type: 'and' | 'or'; readonly left: Condition; readonly right: Condition };

/** A parsed update expression: its actions in order. */
type UpdateAction =
  | { readonly type: 'set'; readonly path: Path; readonly value: Operand }
  | { readonly type: 'remove'; readonly path: Path }
  | { readonly type: 'add'; readonly path: Path; readonly value: Operand };

// ---------------------------------------------------------------------------------------------
// The parser

/** The names and values an expression may refer to, and the ones it did refer to. */
export interface ExpressionContext {
  readonly names: Readonly<Record<string, string>>;
  readonly values: Readonly<Record<string, AttributeValue>>;
  readonly usedNames: Set<string>;
  readonly usedValues: Set<string>;
}

/** A context for `names` and `values` as the request gives them. */
export function expressionContext(
  names: Readonly<Record<string, string>> | undefined,
  values: Readonly<Record<string, AttributeValue>> | undefined,
): ExpressionContext {
  return { names: names ?? {}, values: values ?? {}, usedNames: new Set(), usedValues: new Set() };
}

/**
 * Fails when the request defined a name or a value no expression used (DynamoDB refuses them), or
 * gave names or values without any expression.
 */
export function assertAllUsed(context: ExpressionContext, anyExpression: boolean): void {
  const names = Object.keys(context.names);
  const values = Object.keys(context.values);
  if (!anyExpression) {
    if (names.length > 0) {
      throw validation('ExpressionAttributeNames can only be specified when using expressions');
    }
    if (values.length > 0) {
      throw validation('ExpressionAttributeValues can only be specified when using expressions');
    }
    return;
  }
  const unusedNames = names.filter((name) => !context.usedNames.has(name));
  if (unusedNames.length > 0) {
    throw validation(
      `Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`,
    );
  }
  const unusedValues = values.filter((value) => !context.usedValues.has(value));
  if (unusedValues.length > 0) {
    throw validation(
      `Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`,
    );
  }
}

const CONDITION_FUNCTIONS = [
  'attribute_exists',
  'attribute_not_exists',
  'attribute_type',
  'begins_with',
  'contains',
];
const COMPARATORS = ['=', '<>', '<', '<=', '>', '>='];

class Parser {
  readonly #tokens: Token[];
  readonly #context: ExpressionContext;
  readonly #what: string;
  #at = 0;

  constructor(expression: string, context: ExpressionContext, what: string) {
    if (expression.trim() === '') throw validation(`Invalid ${what}: The expression can not be empty;`);
    this.#tokens = tokenize(expression, what);
    this.#context = context;
    this.#what = what;
  }

  condition(): Condition {
    const condition = this.#or();
    this.#end();
    return condition;
  }

  update(): UpdateAction[] {
    const actions: UpdateAction[] = [];
    const seen = new Set<string>();
    while (this.#peek() !== undefined) {
      const clause = this.#keyword();
      if (clause === undefined || seen.has(clause)) throw this.#syntax();
      seen.add(clause);
      do {
        if (clause === 'SET') {
          const path = this.#path();
          this.#expect('=');
          actions.push({ type: 'set', path, value: this.#setValue() });
        } else if (clause === 'REMOVE') {
          actions.push({ type: 'remove', path: this.#path() });
        } else if (clause === 'ADD') {
          actions.push({ type: 'add', path: this.#path(), value: this.#operand() });
        } else if (clause === 'DELETE') {
          throw validation(`Invalid ${this.#what}: DELETE (removing elements from a set) is not emulated`);
        } else {
          throw this.#syntax();
        }
      } while (this.#accept(','));
    }
    if (actions.length === 0) throw this.#syntax();
    return actions;
  }

  #or(): Condition {
    let left = this.#and();
    while (this.#acceptKeyword('OR')) left = { type: 'or', left, right: this.#and() };
    return left;
  }

  #and(): Condition {
    let left = this.#not();
    while (this.#acceptKeyword('AND')) left = { type: 'and', left, right: this.#not() };
    return left;
  }

  #not(): Condition {
    if (this.#acceptKeyword('NOT')) return { type: 'not', operand: this.#not() };
    return this.#primary();
  }

  #primary(): Condition {
    const token = this.#peek();
    if (token?.kind === 'symbol' && token.text === '(') {
      this.#at += 1;
      const inner = this.#or();
      this.#expect(')');
      return inner;
    }
    if (token?.kind === 'name' && CONDITION_FUNCTIONS.includes(token.text) && this.#peek(1)?.text === '(') {
      this.#at += 2;
      const path = this.#path();
      let argument: Operand | undefined;
      if (token.text !== 'attribute_exists' && token.text !== 'attribute_not_exists') {
        this.#expect(',');
        argument = this.#operand();
      }
      this.#expect(')');
      return { type: 'function', name: token.text, path, ...(argument === undefined ? {} : { argument }) };
    }
    const left = this.#operand();
    if (this.#acceptKeyword('BETWEEN')) {
      const low = this.#operand();
      if (!this.#acceptKeyword('AND')) throw this.#syntax();
      return { type: 'between', value: left, low, high: this.#operand() };
    }
    if (this.#acceptKeyword('IN')) {
      this.#expect('(');
      const list = [this.#operand()];
      while (this.#accept(',')) list.push(this.#operand());
      this.#expect(')');
      return { type: 'in', value: left, list };
    }
    const op = this.#peek();
    if (op?.kind !== 'symbol' || !COMPARATORS.includes(op.text)) throw this.#syntax();
    this.#at += 1;
    return { type: 'compare', op: op.text, left, right: this.#operand() };
  }

  #setValue(): Operand {
    const left = this.#operand();
    const op = this.#peek();
    if (op?.kind === 'symbol' && (op.text === '+' || op.text === '-')) {
      this.#at += 1;
      return { type: 'arithmetic', op: op.text, left, right: this.#operand() };
    }
    return left;
  }

  #operand(): Operand {
    const token = this.#peek();
    if (token === undefined) throw this.#syntax();
    if (token.kind === 'value') {
      this.#at += 1;
      if (!(token.text in this.#context.values)) {
        throw validation(
          `Invalid ${this.#what}: An expression attribute value used in expression is not defined; attribute value: ${token.text}`,
        );
      }
      this.#context.usedValues.add(token.text);
      return { type: 'value', name: token.text };
    }
    if (token.kind === 'name' && this.#peek(1)?.text === '(') {
      const name = token.text;
      this.#at += 2;
      let operand: Operand;
      if (name === 'size') {
        operand = { type: 'size', path: this.#path() };
      } else if (name === 'if_not_exists') {
        const path = this.#path();
        this.#expect(',');
        operand = { type: 'if_not_exists', path, fallback: this.#operand() };
      } else if (name === 'list_append') {
        const first = this.#operand();
        this.#expect(',');
        operand = { type: 'list_append', first, second: this.#operand() };
      } else {
        throw validation(`Invalid ${this.#what}: Invalid function name; function: ${name}`);
      }
      this.#expect(')');
      return operand;
    }
    return { type: 'path', path: this.#path() };
  }

  #path(): Path {
    const steps: PathStep[] = [{ member: this.#member() }];
    for (;;) {
      if (this.#accept('.')) {
        steps.push({ member: this.#member() });
      } else if (this.#accept('[')) {
        const index = this.#peek();
        if (index?.kind !== 'number') throw this.#syntax();
        this.#at += 1;
        this.#expect(']');
        steps.push({ index: Number(index.text) });
      } else {
        return steps;
      }
    }
  }

  #member(): string {
    const token = this.#peek();
    if (token?.kind === 'placeholder') {
      this.#at += 1;
      const name = this.#context.names[token.text];
      if (name === undefined) {
        throw validation(
          `Invalid ${this.#what}: An expression attribute name used in the document path is not defined; attribute name: ${token.text}`,
        );
      }
      this.#context.usedNames.add(token.text);
      return name;
    }
    if (token?.kind === 'name') {
      this.#at += 1;
      return token.text;
    }
    throw this.#syntax();
  }

  #peek(ahead = 0): Token | undefined {
    return this.#tokens[this.#at + ahead];
  }

  #accept(symbol: string): boolean {
    const token = this.#peek();
    if (token?.kind === 'symbol' && token.text === symbol) {
      this.#at += 1;
      return true;
    }
    return false;
  }

  #expect(symbol: string): void {
    if (!this.#accept(symbol)) throw this.#syntax();
  }

  #keyword(): string | undefined {
    const token = this.#peek();
    if (token?.kind !== 'name') return undefined;
    this.#at += 1;
    return token.text.toUpperCase();
  }

  #acceptKeyword(word: string): boolean {
    const token = this.#peek();
    if (token?.kind === 'name' && token.text.toUpperCase() === word) {
      this.#at += 1;
      return true;
    }
    return false;
  }

  #end(): void {
    if (this.#peek() !== undefined) throw this.#syntax();
  }

  #syntax(): AwsServiceError {
    const token = this.#peek();
    return validation(
      `Invalid ${this.#what}: Syntax error; token: "${token === undefined ? '<EOF>' : token.text}", near: "${this.#tokens
        .slice(Math.max(0, this.#at - 1), this.#at + 2)
        .map((t) => t.text)
        .join(' ')}"`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

const typeOf = (value: AttributeValue): string => Object.keys(value)[0] ?? '';

function resolve(item: Item, path: Path): AttributeValue | undefined {
  let value: AttributeValue | undefined;
  for (const [i, step] of path.entries()) {
    if (i === 0) {
      value = 'member' in step ? item[step.member] : undefined;
      continue;
    }
    if (value === undefined) return undefined;
    if ('member' in step) value = 'M' in value ? value.M[step.member] : undefined;
    else value = 'L' in value ? value.L[step.index] : undefined;
  }
  return value;
}

function equal(a: AttributeValue, b: AttributeValue): boolean {
  if (typeOf(a) !== typeOf(b)) return false;
  if ('N' in a && 'N' in b) return Number(a.N) === Number(b.N);
  if (('SS' in a && 'SS' in b) || ('NS' in a && 'NS' in b) || ('BS' in a && 'BS' in b)) {
    const left = new Set(Object.values(a)[0] as string[]);
    const right = Object.values(b)[0] as string[];
    return left.size === new Set(right).size && right.every((member) => left.has(member));
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

/** `<0`, `0`, `>0`, or `undefined` when the two cannot be ordered (different or unordered types). */
function order(a: AttributeValue, b: AttributeValue): number | undefined {
  if ('N' in a && 'N' in b) return Number(a.N) - Number(b.N);
  if ('S' in a && 'S' in b) return a.S < b.S ? -1 : a.S > b.S ? 1 : 0;
  if ('B' in a && 'B' in b) return a.B < b.B ? -1 : a.B > b.B ? 1 : 0;
  return undefined;
}

function sizeOf(value: AttributeValue): number | undefined {
  if ('S' in value) return Buffer.byteLength(value.S);
  if ('B' in value) return Buffer.from(value.B, 'base64').length;
  if ('L' in value) return value.L.length;
  if ('M' in value) return Object.keys(value.M).length;
  if ('SS' in value) return value.SS.length;
  if ('NS' in value) return value.NS.length;
  if ('BS' in value) return value.BS.length;
  return undefined;
}

function operandValue(item: Item, operand: Operand, context: ExpressionContext): AttributeValue | undefined {
  switch (operand.type) {
    case 'path':
      return resolve(item, operand.path);
    case 'value':
      return context.values[operand.name];
    case 'size': {
      const value = resolve(item, operand.path);
      const size = value === undefined ? undefined : sizeOf(value);
      return size === undefined ? undefined : { N: String(size) };
    }
    case 'if_not_exists':
      return resolve(item, operand.path) ?? operandValue(item, operand.fallback, context);
    case 'list_append': {
      const first = operandValue(item, operand.first, context);
      const second = operandValue(item, operand.second, context);
      if (first === undefined || second === undefined || !('L' in first) || !('L' in second)) {
        throw validation(
          'Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append',
        );
      }
      return { L: [...first.L, ...second.L] };
    }
    case 'arithmetic': {
      const left = operandValue(item, operand.left, context);
      const right = operandValue(item, operand.right, context);
      if (left === undefined || right === undefined) {
        throw validation('The provided expression refers to an attribute that does not exist in the item');
      }
      if (!('N' in left) || !('N' in right)) {
        throw validation(
          `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ${operand.op}`,
        );
      }
      const result = operand.op === '+' ? Number(left.N) + Number(right.N) : Number(left.N) - Number(right.N);
      return { N: String(result) };
    }
  }
}

function holds(item: Item, condition: Condition, context: ExpressionContext): boolean {
  switch (condition.type) {
    case 'and':
      return holds(item, condition.left, context) && holds(item, condition.right, context);
    case 'or':
      return holds(item, condition.left, context) || holds(item, condition.right, context);
    case 'not':
      return !holds(item, condition.operand, context);
    case 'compare': {
      const left = operandValue(item, condition.left, context);
      const right = operandValue(item, condition.right, context);
      if (left === undefined || right === undefined) return false;
      if (condition.op === '=') return equal(left, right);
      if (condition.op === '<>') return !equal(left, right);
      const ordered = order(left, right);
      if (ordered === undefined) return false;
      if (condition.op === '<') return ordered < 0;
      if (condition.op === '<=') return ordered <= 0;
      if (condition.op === '>') return ordered > 0;
      return ordered >= 0;
    }
    case 'between': {
      const value = operandValue(item, condition.value, context);
      const low = operandValue(item, condition.low, context);
      const high = operandValue(item, condition.high, context);
      if (value === undefined || low === undefined || high === undefined) return false;
      const aboveLow = order(value, low);
      const belowHigh = order(value, high);
      return aboveLow !== undefined && belowHigh !== undefined && aboveLow >= 0 && belowHigh <= 0;
    }
    case 'in': {
      const value = operandValue(item, condition.value, context);
      return (
        value !== undefined &&
        condition.list.some((candidate) => {
          const other = operandValue(item, candidate, context);
          return other !== undefined && equal(value, other);
        })
      );
    }
    case 'function': {
      const value = resolve(item, condition.path);
      const argument =
        condition.argument === undefined ? undefined : operandValue(item, condition.argument, context);
      switch (condition.name) {
        case 'attribute_exists':
          return value !== undefined;
        case 'attribute_not_exists':
          return value === undefined;
        case 'attribute_type':
          return (
            value !== undefined && argument !== undefined && 'S' in argument && typeOf(value) === argument.S
          );
        case 'begins_with':
          if (value === undefined || argument === undefined) return false;
          if ('S' in value && 'S' in argument) return value.S.startsWith(argument.S);
          if ('B' in value && 'B' in argument) {
            return Buffer.from(value.B, 'base64')
              .subarray(0, Buffer.from(argument.B, 'base64').length)
              .equals(Buffer.from(argument.B, 'base64'));
          }
          return false;
        default: {
          // contains
          if (value === undefined || argument === undefined) return false;
          if ('S' in value && 'S' in argument) return value.S.includes(argument.S);
          if ('L' in value) return value.L.some((element) => equal(element, argument));
          if ('SS' in value && 'S' in argument) return value.SS.includes(argument.S);
          if ('NS' in value && 'N' in argument) return value.NS.some((n) => Number(n) === Number(argument.N));
          return false;
        }
      }
    }
  }
}

/**
 * Parses a `ConditionExpression` (marking the names and values it uses in `context`). Throws
 * `ValidationException` on a syntax error or an undefined placeholder.
 */
export function parseCondition(expression: string, context: ExpressionContext): (item: Item) => boolean {
  const condition = new Parser(expression, context, 'ConditionExpression').condition();
  return (item) => holds(item, condition, context);
}

/**
 * Parses an `UpdateExpression` (marking the names and values it uses in `context`) and returns the
 * function that applies it to an item (a new item; the argument is not changed). `keyNames` are
 * the table's key attributes, which an update must not touch.
 */
export function parseUpdate(
  expression: string,
  context: ExpressionContext,
  keyNames: readonly string[],
): (item: Item) => Item {
  const actions = new Parser(expression, context, 'UpdateExpression').update();
  const touched = new Set<string>();
  for (const action of actions) {
    const top = action.path[0];
    const name = top !== undefined && 'member' in top ? top.member : '';
    if (keyNames.includes(name)) {
      throw validation(
        `One or more parameter values were invalid: Cannot update attribute ${name}. This attribute is part of the key`,
      );
    }
    const whole = JSON.stringify(action.path);
    if (touched.has(whole)) {
      throw validation(
        `Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [${name}], path two: [${name}]`,
      );
    }
    touched.add(whole);
  }
  return (item) => {
    const next: Record<string, AttributeValue> = { ...item };
    // Every operand is read from the item as it was before the update, as DynamoDB does.
    const values = actions.map((action) =>
      action.type === 'remove' ? undefined : operandValue(item, action.value, context),
    );
    for (const [i, action] of actions.entries()) {
      const value = values[i];
      if (action.type === 'remove') {
        writePath(next, action.path, undefined);
      } else if (action.type === 'set') {
        if (value === undefined) {
          throw validation('The provided expression refers to an attribute that does not exist in the item');
        }
        writePath(next, action.path, value);
      } else {
        if (value === undefined || !('N' in value)) {
          throw validation(
            'Invalid UpdateExpression: ADD of a value that is not a number is not emulated (sets)',
          );
        }
        const existing = resolve(item, action.path);
        if (existing !== undefined && !('N' in existing)) {
          throw validation(
            'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: ' +
              typeOf(existing),
          );
        }
        const base = existing === undefined ? 0 : Number(existing.N);
        writePath(next, action.path, { N: String(base + Number(value.N)) });
      }
    }
    return next;
  };
}

/** Writes (or with `undefined`, removes) the value at `path` of `item`, copying the maps and lists on the way. */
function writePath(
  item: Record<string, AttributeValue>,
  path: Path,
  value: AttributeValue | undefined,
): void {
  const [first, ...rest] = path;
  if (first === undefined || !('member' in first)) return;
  if (rest.length === 0) {
    if (value === undefined) delete item[first.member];
    else item[first.member] = value;
    return;
  }
  const container = item[first.member];
  if (container === undefined) {
    if (value === undefined) return;
    throw validation('The document path provided in the update expression is invalid for update');
  }
  item[first.member] = writeInto(container, rest, value);
}

function writeInto(container: AttributeValue, path: Path, value: AttributeValue | undefined): AttributeValue {
  const [step, ...rest] = path;
  if (step === undefined) return value ?? container;
  if ('member' in step && 'M' in container) {
    const map: Record<string, AttributeValue> = { ...container.M };
    const inner = map[step.member];
    if (rest.length === 0) {
      if (value === undefined) delete map[step.member];
      else map[step.member] = value;
    } else if (inner !== undefined) {
      map[step.member] = writeInto(inner, rest, value);
    } else if (value !== undefined) {
      throw validation('The document path provided in the update expression is invalid for update');
    }
    return { M: map };
  }
  if ('index' in step && 'L' in container) {
    const list = [...container.L];
    if (rest.length === 0) {
      if (value === undefined) list.splice(step.index, 1);
      else if (step.index >= list.length) list.push(value);
      else list[step.index] = value;
    } else {
      const inner = list[step.index];
      if (inner === undefined)
        throw validation('The document path provided in the update expression is invalid for update');
      list[step.index] = writeInto(inner, rest, value);
    }
    return { L: list };
  }
  throw validation('The document path provided in the update expression is invalid for update');
}

/**
 * A strict JSON (RFC 8259) parser for safetensors headers.
 *
 * Why not `JSON.parse`: it keeps the last of duplicate keys silently (the safetensors spec
 * forbids duplicates, and a polyglot file could show one tensor to one reader and another to the
 * next), and it rounds integers above 2^53 without a word (a shape of 2^64-2 would become 2^64).
 * This parser returns objects as `Map`s (no `__proto__` surprises), rejects duplicate keys with
 * their offset, keeps every number's source text so callers can validate integers exactly, and
 * bounds nesting depth so a header of 10^8 '[' cannot overflow the JS stack.
 */

/** A JSON number with its exact source text (e.g. "18446744073709551614"). */
export class JsonNumber {
  constructor(readonly raw: string) {}
  get value(): number {
    return Number(this.raw);
  }
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;
export type JsonObject = Map<string, JsonValue>;

/** Why parsing stopped and where (index into the string). */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly index: number,
    readonly duplicateKey?: string,
  ) {
    super(message);
  }
}

const MAX_DEPTH = 64;

/**
 * Parses `text` as one JSON value surrounded by optional whitespace.
 *
 * @example
 * const v = parseJsonStrict('{"a":[1,2]}') as Map<string, unknown>; // Map { 'a' => [JsonNumber('1'), JsonNumber('2')] }
 */
export function parseJsonStrict(text: string): JsonValue {
  let i = 0;
  const n = text.length;
  const err = (what: string, at = i): never => {
    throw new JsonSyntaxError(`${what} at character ${at}`, at);
  };
  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const parseString = (): string => {
    // at opening quote
    i++;
    let out = '';
    let start = i;
    for (;;) {
      if (i >= n) err('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c < 0x20) err('control character in string');
      if (c === 0x5c) {
        out += text.slice(start, i);
        const e = text[i + 1];
        i += 2;
        switch (e) {
          case '"':
            out += '"';
            break;
          case '\\':
            out += '\\';
            break;
          case '/':
            out += '/';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            const hex = text.slice(i, i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) err('bad \\u escape');
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            err('bad escape', i - 1);
        }
        start = i;
        continue;
      }
      i++;
    }
  };
  const parseNumber = (): JsonNumber => {
    const m = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
    m.lastIndex = i;
    const r = m.exec(text);
    if (!r || r[0].length === 0 || r[0] === '-') err('bad number');
    i += r![0].length;
    return new JsonNumber(r![0]);
  };
  const literal = (word: string, v: JsonValue): JsonValue => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return v;
    }
    return err('unexpected token');
  };

  const parseValue = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) err(`nesting deeper than ${MAX_DEPTH}`);
    ws();
    if (i >= n) err('unexpected end');
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: JsonObject = new Map();
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') err('expected a string key');
        const keyAt = i;
        const key = parseString();
        if (obj.has(key)) throw new JsonSyntaxError(`duplicate key "${key}" at character ${keyAt}`, keyAt, key);
        ws();
        if (text[i] !== ':') err("expected ':'");
        i++;
        obj.set(key, parseValue(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        err("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const arr: JsonValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        err("expected ',' or ']'");
      }
    }
    if (c === '"') return parseString();
    if (c === 't') return literal('true', true);
    if (c === 'f') return literal('false', false);
    if (c === 'n') return literal('null', null);
    return parseNumber();
  };

  const v = parseValue(0);
  ws();
  if (i !== n) err('trailing characters');
  return v;
}

/** JSON parsing with a useful error: where the text stops being JSON, without echoing the text. */

/**
 * Index of the first character where `text` stops being valid JSON (text.length when it ends early),
 * or -1 when it is valid. V8's own messages carry a position only for some errors, so this scans again.
 */
export function jsonErrorPosition(text: string): number {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string): void => {
    for (const ch of word) {
      if (text[i] !== ch) fail();
      i++;
    }
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail();
      const ch = text.charCodeAt(i);
      if (ch === 0x22) {
        i++;
        return;
      }
      if (ch < 0x20) fail();
      if (ch === 0x5c) {
        i++;
        const esc = text[i];
        if (esc === 'u') {
          for (let k = 1; k <= 4; k++) {
            if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) {
              i += k;
              fail();
            }
          }
          i += 5;
          continue;
        }
        if (esc === undefined || !'"\\/bfnrt'.includes(esc)) fail();
      }
      i++;
    }
  };
  const number = (): void => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match || match[0] === '' || match[0] === '-') fail();
    i += (match as RegExpExecArray)[0].length;
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail();
      }
    }
    if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail();
      }
    }
    if (ch === '"') return string();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return number();
    fail();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return -1;
  } catch (position) {
    if (typeof position === 'number') return Math.min(position, text.length);
    throw position;
  }
}

/** The deepest nesting a body may have: webhook payloads nest about 10 levels; deeper input overflows the stack of whatever walks it. */
export const MAX_JSON_DEPTH = 64;

/** JSON that nests deeper than the limit: refused before any parser or walker sees it. */
export class JsonTooDeepError extends SyntaxError {
  override readonly name = 'JsonTooDeepError';

  constructor(
    readonly maxDepth: number,
    readonly position: number,
  ) {
    super(`nested deeper than the limit of ${maxDepth} levels (at position ${position})`);
  }
}

/**
 * Index of the `[` or `{` that opens nesting level `maxDepth + 1`, or -1. One linear pass that skips
 * strings; it does not validate (the parser does), so it is safe on any text.
 */
export function jsonDepthExceeded(text: string, maxDepth: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) {
      inString = true;
    } else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > maxDepth) return i;
    } else if (ch === 0x5d || ch === 0x7d) {
      depth--;
    }
  }
  return -1;
}

/**
 * Parses JSON; on failure throws a SyntaxError whose message gives the position and nothing of the text,
 * and a JsonTooDeepError (before parsing) for nesting deeper than `maxDepth`.
 */
export function parseJson(text: string, { maxDepth = MAX_JSON_DEPTH }: { maxDepth?: number } = {}): unknown {
  const deep = jsonDepthExceeded(text, maxDepth);
  if (deep >= 0) throw new JsonTooDeepError(maxDepth, deep);
  try {
    return JSON.parse(text);
  } catch {
    const position = jsonErrorPosition(text);
    const where =
      position >= text.length ? 'unexpected end of input' : `unexpected character at position ${position}`;
    throw new SyntaxError(`not valid JSON (${where})`);
  }
}

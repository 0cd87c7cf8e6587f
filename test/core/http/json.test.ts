import {
  JsonTooDeepError,
  MAX_JSON_DEPTH,
  jsonDepthExceeded,
  jsonErrorPosition,
  parseJson,
} from '../../../src/core/http/json';

describe('jsonErrorPosition', () => {
  it.each([
    ['{"a":1}', -1],
    ['[1, -2.5e3, true, false, null, "x\\n\\u00e9", {}]', -1],
    ['  "s"  ', -1],
    ['{"a": }', 6],
    ['{"a":1,}', 7],
    ['[1 2]', 3],
    ['{a:1}', 1],
    ['"\\x"', 2],
    ['"\\u12G4"', 5],
    ['01', 1],
    ['{"a":1} x', 8],
    ['[', 1],
    ['"abc', 4],
    ['tru', 3],
    ['', 0],
  ])('%j → %d', (text, position) => {
    expect(jsonErrorPosition(text)).toBe(position);
    if (position === -1) expect(() => JSON.parse(text)).not.toThrow();
    else expect(() => JSON.parse(text)).toThrow();
  });
});

describe('parseJson', () => {
  it('parses valid JSON and explains invalid JSON without quoting it', () => {
    expect(parseJson('{"k":[1]}')).toEqual({ k: [1] });
    expect(() => parseJson('{"password": hunter2}')).toThrow(
      new SyntaxError('not valid JSON (unexpected character at position 13)'),
    );
    expect(() => parseJson('{"password": "hunter2"')).toThrow('not valid JSON (unexpected end of input)');
  });
});

describe('nesting depth', () => {
  const nested = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

  it('finds the bracket that opens the first level over the limit; brackets inside strings do not count', () => {
    expect(jsonDepthExceeded('[[1]]', 2)).toBe(-1);
    expect(jsonDepthExceeded('[[[1]]]', 2)).toBe(2);
    expect(jsonDepthExceeded('{"k":"[[[[\\"[{"}', 1)).toBe(-1);
    expect(jsonDepthExceeded('["\\"", [[]]]', 2)).toBe(8);
  });

  it(`parses ${MAX_JSON_DEPTH} levels and refuses ${MAX_JSON_DEPTH + 1}, naming the limit`, () => {
    expect(() => parseJson(nested(MAX_JSON_DEPTH))).not.toThrow();
    expect(() => parseJson(nested(MAX_JSON_DEPTH + 1))).toThrow(
      new JsonTooDeepError(MAX_JSON_DEPTH, 5 * MAX_JSON_DEPTH),
    );
  });

  it('refuses 100,000 levels, valid or cut short, without overflowing the stack', () => {
    for (const text of [nested(100_000), '['.repeat(100_000)]) {
      expect(() => parseJson(text)).toThrow(/nested deeper than the limit of 64 levels/);
    }
  });
});

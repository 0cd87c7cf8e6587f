/** The one ARM template expression parser the ARM stand-in's role evaluator and the infra tests share. */
import { parseExpression } from '../../../local/arm/expressionSyntax';

describe('parseExpression', () => {
  it('parses calls, literals, properties and indexes as Bicep emits them', () => {
    expect(
      parseExpression("format('{0}-{1}', parameters('name'), reference('site').identity.principalId)"),
    ).toEqual({
      kind: 'call',
      name: 'format',
      args: [
        { kind: 'lit', value: '{0}-{1}' },
        { kind: 'call', name: 'parameters', args: [{ kind: 'lit', value: 'name' }] },
        {
          kind: 'prop',
          name: 'principalId',
          target: {
            kind: 'prop',
            name: 'identity',
            target: { kind: 'call', name: 'reference', args: [{ kind: 'lit', value: 'site' }] },
          },
        },
      ],
    });
    expect(parseExpression("variables( 'xs' )[ -1 ]")).toEqual({
      kind: 'index',
      target: { kind: 'call', name: 'variables', args: [{ kind: 'lit', value: 'xs' }] },
      index: { kind: 'lit', value: -1 },
    });
  });

  it("folds function names to lower case, keeps dotted ones and reads '' as a quote", () => {
    expect(parseExpression("__bicep.Helper('it''s', createArray())")).toEqual({
      kind: 'call',
      name: '__bicep.helper',
      args: [
        { kind: 'lit', value: "it's" },
        { kind: 'call', name: 'createarray', args: [] },
      ],
    });
  });

  it('refuses malformed expressions, saying where', () => {
    expect(() => parseExpression("concat('a'")).toThrow(/expected '\)' at 10 in concat\('a'/);
    expect(() => parseExpression("'open")).toThrow(/unterminated string/);
    expect(() => parseExpression('true() x')).toThrow(/trailing text at 7/);
    expect(() => parseExpression('+1')).toThrow(/unexpected '\+' at 0/);
  });
});

/**
 * The syntax of ARM template expressions (`[format('{0}', parameters('x'))]`), shared by the ARM stand-in's role
 * evaluator (local/arm/rbac) and the infra tests' deployment evaluator: one parser, each with its own functions.
 */

/** A parsed ARM template expression. */
export type ExpressionNode =
  | { kind: 'lit'; value: unknown }
  | { kind: 'call'; name: string; args: ExpressionNode[] }
  | { kind: 'prop'; target: ExpressionNode; name: string }
  | { kind: 'index'; target: ExpressionNode; index: ExpressionNode };

/**
 * Parses the inside of an ARM template expression (`[...]` without the brackets): string and integer literals,
 * function calls (dotted names such as a user-defined function's namespace), `.property` and `[index]`.
 */
export function parseExpression(src: string): ExpressionNode {
  let i = 0;
  const ws = (): void => {
    while (i < src.length && /\s/.test(src[i] as string)) i += 1;
  };
  const expect = (c: string): void => {
    ws();
    if (src[i] !== c) throw new Error(`expected '${c}' at ${i} in ${src}`);
    i += 1;
  };
  const primary = (): ExpressionNode => {
    ws();
    const c = src[i] as string;
    if (c === "'") {
      let out = '';
      i += 1;
      for (;;) {
        if (i >= src.length) throw new Error(`unterminated string in ${src}`);
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            out += "'";
            i += 2;
            continue;
          }
          i += 1;
          return { kind: 'lit', value: out };
        }
        out += src[i];
        i += 1;
      }
    }
    const num = /^-?\d+/.exec(src.slice(i));
    if (num) {
      i += num[0].length;
      return { kind: 'lit', value: Number(num[0]) };
    }
    const id = /^[A-Za-z_][\w.]*/.exec(src.slice(i));
    if (!id) throw new Error(`unexpected '${c}' at ${i} in ${src}`);
    i += id[0].length;
    expect('(');
    const args: ExpressionNode[] = [];
    ws();
    if (src[i] === ')') i += 1;
    else {
      for (;;) {
        args.push(expression());
        ws();
        if (src[i] === ',') {
          i += 1;
          continue;
        }
        expect(')');
        break;
      }
    }
    return { kind: 'call', name: id[0].toLowerCase(), args };
  };
  const expression = (): ExpressionNode => {
    let node = primary();
    for (;;) {
      ws();
      if (src[i] === '.') {
        i += 1;
        const name = /^[A-Za-z_$][\w$#]*/.exec(src.slice(i));
        if (!name) throw new Error(`expected a property at ${i} in ${src}`);
        i += name[0].length;
        node = { kind: 'prop', target: node, name: name[0] };
      } else if (src[i] === '[') {
        i += 1;
        const index = expression();
        expect(']');
        node = { kind: 'index', target: node, index };
      } else return node;
    }
  };
  const node = expression();
  ws();
  if (i !== src.length) throw new Error(`trailing text at ${i} in ${src}`);
  return node;
}

/**
 * A structural check of PowerShell scripts. No PowerShell parser can be installed here (pwsh is not in
 * Debian's repositories and there is no other network), so this tokenizes what a syntax error usually
 * breaks: comments, the four string forms (with `$(...)` subexpressions), here-strings, and bracket balance.
 */

/** A structural problem, with its 1-based line. */
export interface PsProblem {
  line: number;
  message: string;
}

/** The result of scanning: problems, and the code with comments and string contents blanked. */
export interface PsScan {
  problems: PsProblem[];
  /** Same length as the input; comments and string bodies replaced by spaces (newlines kept). */
  code: string;
}

const CLOSE: Record<string, string> = { '(': ')', '{': '}', '[': ']' };

/** Scans a script; `problems` is empty when comments, strings and brackets are all well formed. */
export function scanPowerShell(src: string): PsScan {
  const problems: PsProblem[] = [];
  const code = src.split('');
  const lineAt = (i: number): number => src.slice(0, i).split('\n').length;
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to; k += 1) if (code[k] !== '\n') code[k] = ' ';
  };

  // Scans code from `i` until the bracket `until` closes (or the end); returns the index after it.
  const scanCode = (start: number, until: string | undefined): number => {
    const stack: Array<{ ch: string; at: number }> = [];
    let i = start;
    while (i < src.length) {
      const c = src[i] as string;
      if (c === '`') {
        i += 2;
        continue;
      }
      if (src.startsWith('<#', i)) {
        const end = src.indexOf('#>', i + 2);
        if (end < 0) {
          problems.push({ line: lineAt(i), message: 'unterminated <# block comment' });
          return src.length;
        }
        blank(i, end + 2);
        i = end + 2;
        continue;
      }
      if (c === '#') {
        const end = src.indexOf('\n', i);
        const stop = end < 0 ? src.length : end;
        blank(i, stop);
        i = stop;
        continue;
      }
      if (src.startsWith('@"', i) || src.startsWith("@'", i)) {
        const quote = src[i + 1] as string;
        if (src[i + 2] === '\n' || src.startsWith('\r\n', i + 2)) {
          const close = new RegExp(`\\n${quote}@`, 'g');
          close.lastIndex = i + 2;
          const m = close.exec(src);
          if (!m) {
            problems.push({ line: lineAt(i), message: `unterminated here-string @${quote}` });
            return src.length;
          }
          blank(i + 2, m.index);
          i = m.index + 3;
          continue;
        }
      }
      if (c === "'") {
        let j = i + 1;
        for (;;) {
          if (j >= src.length) {
            problems.push({ line: lineAt(i), message: "unterminated '...' string" });
            return src.length;
          }
          if (src[j] === "'" && src[j + 1] === "'") j += 2;
          else if (src[j] === "'") break;
          else j += 1;
        }
        blank(i + 1, j);
        i = j + 1;
        continue;
      }
      if (c === '"') {
        let j = i + 1;
        for (;;) {
          if (j >= src.length) {
            problems.push({ line: lineAt(i), message: 'unterminated "..." string' });
            return src.length;
          }
          const d = src[j] as string;
          if (d === '`') j += 2;
          else if (d === '"' && src[j + 1] === '"') j += 2;
          else if (d === '"') break;
          else if (d === '$' && src[j + 1] === '(') {
            blank(i + 1, j);
            j = scanCode(j + 2, ')');
            i = j - 1;
          } else j += 1;
        }
        blank(i + 1, j);
        i = j + 1;
        continue;
      }
      if (c in CLOSE) stack.push({ ch: CLOSE[c] as string, at: i });
      else if (c === ')' || c === '}' || c === ']') {
        if (stack.length === 0 && until === c) return i + 1;
        const open = stack.pop();
        if (!open) problems.push({ line: lineAt(i), message: `unexpected '${c}'` });
        else if (open.ch !== c)
          problems.push({
            line: lineAt(i),
            message: `'${c}' closes '${open.ch}' opened on line ${lineAt(open.at)}`,
          });
      }
      i += 1;
    }
    for (const open of stack) problems.push({ line: lineAt(open.at), message: `'${open.ch}' never closed` });
    if (until) problems.push({ line: lineAt(start), message: `'$(' never closed` });
    return i;
  };

  scanCode(0, undefined);
  return { problems, code: code.join('') };
}

/** The script's `param(...)` block (the first statement after comments) and the names it declares. */
export function paramBlock(src: string): { first: boolean; names: string[] } {
  const { code } = scanPowerShell(src);
  const m = /^\s*param\s*\(/i.exec(code);
  if (!m) return { first: false, names: [] };
  const open = m.index + m[0].length - 1;
  let depth = 0;
  let end = open;
  for (let i = open; i < src.length; i += 1) {
    if (code[i] === '(') depth += 1;
    else if (code[i] === ')') depth -= 1;
    if (depth === 0) {
      end = i;
      break;
    }
  }
  const names = [...src.slice(open, end).matchAll(/\]\s*\$(\w+)/g)].map((x) => x[1] as string);
  return { first: true, names };
}

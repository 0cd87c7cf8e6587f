/** A small field reader for webhook bodies: reads typed values by path and collects every problem. */
import { buildFieldRule, ruleProblem } from '../contract';
import { ValidationError, type Problem } from '../errors';

/** A plain JSON object. */
export type JsonObject = Record<string, unknown>;

/** What an id from a payload may look like (scripts/contract.json): it ends up in instance ids and URLs. */
const ID_RULE = buildFieldRule('id');

/** True for a non-null, non-array object. */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Value at a dotted path (`resource.definition.name`), or undefined when any step is missing. */
export function at(root: unknown, path: string): unknown {
  let current: unknown = root;
  for (const key of path.split('.')) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * Reads fields from a parsed body, recording a problem for each missing or ill-typed one, so a
 * caller can report all of them in one ValidationError instead of stopping at the first.
 */
export class FieldReader {
  readonly problems: Problem[] = [];

  constructor(private readonly root: unknown) {}

  /** Records a problem at `path`. */
  problem(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  /** A required non-empty string. */
  string(path: string): string | undefined {
    const value = at(this.root, path);
    if (value === undefined || value === null) return this.missing(path);
    if (typeof value !== 'string') return this.wrongType(path, 'a string', value);
    if (value.trim() === '') {
      this.problem(path, 'must not be empty');
      return undefined;
    }
    return value;
  }

  /** An optional string: absent/null is fine, another type is a problem. */
  optionalString(path: string): string | undefined {
    const value = at(this.root, path);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') return this.wrongType(path, 'a string', value);
    return value === '' ? undefined : value;
  }

  /**
   * A required identifier sent as a number or a string of letters, digits, `.`, `_` and `-` (at most 64);
   * returned as a string. Ids become parts of Durable instance ids and URLs, so nothing else is accepted.
   */
  id(path: string): string | undefined {
    const value = at(this.root, path);
    if (value === undefined || value === null) return this.missing(path);
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
    if (typeof value === 'string' && value !== '' && ruleProblem(ID_RULE, value) === undefined) return value;
    return this.wrongType(
      path,
      `a non-negative integer or an id of [A-Za-z0-9._-] (at most ${ID_RULE.maxLength})`,
      value,
    );
  }

  /** An optional identifier (number or string). */
  optionalId(path: string): string | undefined {
    const value = at(this.root, path);
    if (value === undefined || value === null) return undefined;
    return this.id(path);
  }

  /** A required object. */
  object(path: string): JsonObject | undefined {
    const value = at(this.root, path);
    if (value === undefined || value === null) return this.missing(path);
    if (!isObject(value)) return this.wrongType(path, 'an object', value);
    return value;
  }

  /** A required array of strings. */
  stringArray(path: string): string[] | undefined {
    const value = at(this.root, path);
    if (value === undefined || value === null) return this.missing(path);
    if (!Array.isArray(value)) return this.wrongType(path, 'an array of strings', value);
    const out: string[] = [];
    value.forEach((item, index) => {
      if (typeof item === 'string') out.push(item);
      else this.problem(`${path}[${index}]`, `expected a string, got ${typeName(item)}`);
    });
    return out;
  }

  /** An optional array of strings. */
  optionalStringArray(path: string): string[] | undefined {
    const value = at(this.root, path);
    if (value === undefined || value === null) return undefined;
    return this.stringArray(path);
  }

  /** Throws a ValidationError when any problem was recorded. */
  throwIfProblems(subject: string): void {
    if (this.problems.length > 0) throw new ValidationError(this.problems, subject);
  }

  private missing(path: string): undefined {
    this.problem(path, 'required');
    return undefined;
  }

  private wrongType(path: string, expected: string, value: unknown): undefined {
    this.problem(path, `expected ${expected}, got ${typeName(value)}`);
    return undefined;
  }
}

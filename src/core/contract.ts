/**
 * The deploy scripts' contract (scripts/contract.json), as the app reads it: exit codes, the rules of the
 * scripts' parameters, and the rules of the build fields the DevOps hook accepts. The scripts carry a
 * generated copy of the same parameter rules, so a value the hook accepts is one the scripts accept.
 */
import contractJson from '../../scripts/contract.json';

/** A deploy script kind. */
export type ScriptKind = 'linux' | 'windows';

/** One documented exit code of the deploy scripts. */
export interface ExitCode {
  code: number;
  meaning: string;
}

/** The rule of one script parameter (for the scripts it applies to). */
export interface ParameterRule {
  name: string;
  scripts: ScriptKind[];
  required: boolean;
  maxLength: number;
  /** Anchored pattern in the subset POSIX ERE, .NET and JavaScript read alike; null: any value. */
  pattern: string | null;
  /** What the value must be, worded to follow the parameter's name. */
  rule: string;
}

/** The rule of one build field: its own, or that of a script parameter (`sameAs`). */
export interface BuildFieldRule {
  maxLength: number;
  /** Anchored pattern; absent with `text`. */
  pattern?: string;
  /** Any characters but control characters. */
  text?: boolean;
  rule: string;
  /** The script parameter whose rule this is, when it is one. */
  sameAs?: string;
}

/** A value in the examples table: a string, or a character repeated (for over-long values). */
export type ExampleValue = string | { repeat: string; times: number };

/** The contract file's shape. */
interface ContractFile {
  exitCodes: ExitCode[];
  parameters: ParameterRule[];
  buildFields: Record<string, BuildFieldRule | { sameAs: string } | string>;
  examples: Record<string, { good: ExampleValue[]; bad: ExampleValue[] } | string>;
}

const contract = contractJson as unknown as ContractFile;

/** The documented exit codes, in order. */
export const EXIT_CODES: readonly ExitCode[] = contract.exitCodes;

/** Every parameter rule (a parameter may have one rule per script kind). */
export const PARAMETER_RULES: readonly ParameterRule[] = contract.parameters;

/** The rules of one script's parameters, in the contract's order. */
export function parameterRules(kind: ScriptKind): ParameterRule[] {
  return PARAMETER_RULES.filter((p) => p.scripts.includes(kind));
}

/** The rule of a parameter for a script kind; throws for a name the contract does not define. */
export function parameterRule(name: string, kind: ScriptKind = 'linux'): ParameterRule {
  const found = PARAMETER_RULES.find((p) => p.name === name && p.scripts.includes(kind));
  if (!found) throw new Error(`scripts/contract.json defines no ${kind} parameter ${name}`);
  return found;
}

/** Build fields with rules (BuildInfo keys). */
export type BuildField =
  | 'id'
  | 'number'
  | 'pipeline'
  | 'pipelineId'
  | 'branch'
  | 'commit'
  | 'project'
  | 'requestedBy'
  | 'requestedByUniqueName'
  | 'url';

/** The resolved rule of a build field. */
export function buildFieldRule(field: BuildField): BuildFieldRule {
  const raw = contract.buildFields[field];
  if (raw === undefined || typeof raw === 'string') {
    throw new Error(`scripts/contract.json defines no build field ${field}`);
  }
  if ('sameAs' in raw && raw.sameAs !== undefined) {
    const p = parameterRule(raw.sameAs);
    return {
      maxLength: p.maxLength,
      ...(p.pattern ? { pattern: p.pattern } : {}),
      rule: p.rule,
      sameAs: p.name,
    };
  }
  return raw as BuildFieldRule;
}

// eslint-disable-next-line no-control-regex -- control characters are what text must not hold
const CONTROL = /[\u0000-\u001f\u007f]/;

/** True when text holds a control character (a name with one could forge log lines or headers). */
export function hasControlCharacters(text: string): boolean {
  return CONTROL.test(text);
}

/**
 * Checks a value against a rule; returns what is wrong, worded to follow the field's name
 * (`is longer than 128 characters (5000)`), or undefined when it conforms. The value itself is never
 * quoted: it may be huge, or carry a secret (a SAS in a URL).
 */
export function ruleProblem(
  rule: { maxLength: number; pattern?: string | null; text?: boolean; rule: string },
  value: string,
): string | undefined {
  if (value.length > rule.maxLength) {
    return `is longer than ${rule.maxLength} characters (${value.length})`;
  }
  if (rule.pattern && !new RegExp(rule.pattern).test(value)) return rule.rule;
  if (rule.text && CONTROL.test(value)) return rule.rule;
  return undefined;
}

/** The examples table of a parameter: values every checker must accept (`good`) or refuse (`bad`). */
export function examples(name: string): { good: string[]; bad: string[] } {
  const entry = contract.examples[name];
  if (entry === undefined || typeof entry === 'string') throw new Error(`no examples for ${name}`);
  return { good: entry.good.map(exampleValue), bad: entry.bad.map(exampleValue) };
}

/** The parameters that have an examples table. */
export function exampleNames(): string[] {
  return Object.keys(contract.examples).filter((k) => !k.startsWith('$'));
}

/** An example's string value. */
export function exampleValue(value: ExampleValue): string {
  return typeof value === 'string' ? value : value.repeat.repeat(value.times);
}

/** How configuration validates a target's `traffic`: by the schema of the provider its `kind` names. */
import { z } from 'zod';
import type { TrafficConfig } from '../ports/traffic';

/** What a traffic provider adds to configuration: its kind and the schema of a `traffic` of that kind. */
export interface TrafficKind {
  readonly kind: string;
  /** The provider's name as people read it (the console names each target's); unset: the kind is shown. */
  readonly label?: string;
  /** Validates a `traffic` object of this kind (`kind` included) and outputs it with its `resource`. */
  readonly schema: z.ZodType<TrafficConfig>;
  /** Problems of a `traffic` of this kind (as written) against the target's slot names; path below `traffic`. */
  readonly checkSlots?: (traffic: unknown, slots: readonly string[]) => { path: string[]; message: string }[];
}

/** A resource ID setting of a provider: compared case-insensitively, as ARM does; the example goes in the message. */
export function armResourceId(pattern: RegExp, example: string) {
  return z.string().regex(pattern, `must be a resource ID like ${example}`);
}

/** A target's `traffic`: an object whose `kind` picks the provider schema that validates the rest. */
export function trafficSchema(kinds: readonly TrafficKind[]): z.ZodType<TrafficConfig> {
  const names = kinds.map((k) => `"${k.kind}"`).join(', ') || '(none registered)';
  const kind = z.string({
    error: (issue) => (issue.input === undefined ? 'required' : `kind must be one of ${names}`),
  });
  return z.looseObject({ kind }).transform((value, ctx) => {
    const provider = kinds.find((k) => k.kind === value.kind);
    if (!provider) {
      ctx.addIssue({ code: 'custom', path: ['kind'], message: `kind must be one of ${names}` });
      return z.NEVER;
    }
    const parsed = provider.schema.safeParse(value, {
      error: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'required' : undefined),
    });
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) {
      ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    }
    return z.NEVER;
  });
}

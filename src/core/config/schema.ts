/** zod schemas of a release target as operators write it in RELEASE_TARGETS, with the defaults applied. */
import { z } from 'zod';
import type { SlotConfig, TargetConfig } from '../domain';
import { ArmIdExamples, ArmIdPatterns } from './arm';
import { PARAMETER_RULES, ruleProblem } from '../contract';
import { TEMPLATE_PLACEHOLDERS, unknownPlaceholders } from './template';
import { trafficSchema, type TrafficKind } from './traffic';

/** Target names: lower-case, digits and dashes; they appear in URLs and instance ids. */
export const TARGET_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;

const known = Object.keys(TEMPLATE_PLACEHOLDERS)
  .map((p) => `{${p}}`)
  .join(', ');

const nonEmpty = z.string().trim().min(1, 'must not be empty');

function armId(kind: keyof typeof ArmIdPatterns) {
  return z.string().regex(ArmIdPatterns[kind], `must be a resource ID like ${ArmIdExamples[kind]}`);
}

/** A template string whose placeholders must all be known ones. */
function template() {
  return z.string().superRefine((value, ctx) => {
    const unknown = unknownPlaceholders(value);
    if (unknown.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown placeholder ${unknown.map((u) => `{${u}}`).join(', ')} (known: ${known})`,
      });
    }
  });
}

function httpUrl(what: string) {
  return z.string().refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'https:' || url.protocol === 'http:';
    } catch {
      return false;
    }
  }, `${what} must be an absolute http(s) URL`);
}

const positiveInt = (what: string) =>
  z.number().int(`${what} must be an integer`).min(1, `${what} must be >= 1`);

/** How a slot's compute is found. */
export const slotComputeSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('vmss'), resourceId: armId('scaleSet') }),
    z.strictObject({
      kind: z.literal('vms'),
      resourceIds: z
        .array(armId('virtualMachine'))
        .min(1, 'must list at least one VM')
        .refine(
          (ids) => new Set(ids.map((id) => id.toLowerCase())).size === ids.length,
          'must not list the same VM twice',
        ),
    }),
    z.strictObject({
      kind: z.literal('vmTag'),
      resourceGroupId: armId('resourceGroup'),
      tagName: nonEmpty,
      tagValue: z.string(),
    }),
  ],
  { error: 'kind must be one of "vmss", "vms", "vmTag"' },
);

/** One slot: its endpoint name at the traffic provider and the compute behind it. */
export const slotSchema = z.strictObject({
  name: nonEmpty,
  compute: slotComputeSchema,
  healthBaseUrl: httpUrl('healthBaseUrl').optional(),
});

const deploySchema = z
  .strictObject({
    scriptKind: z.enum(['linux', 'windows'], 'scriptKind must be "linux" or "windows"'),
    parameters: z
      .record(z.string(), template())
      .superRefine((params, ctx) => {
        for (const key of Object.keys(params)) {
          // Run command parameters become script parameter / environment names.
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
            ctx.addIssue({
              code: 'custom',
              path: [key],
              message: 'parameter names are letters, digits and _',
            });
          }
        }
      })
      .default({}),
    maxParallel: positiveInt('maxParallel').default(5),
    maxFailures: z
      .number()
      .int('maxFailures must be an integer')
      .min(0, 'maxFailures must be >= 0')
      .default(0),
    timeoutSeconds: positiveInt('timeoutSeconds').default(900),
  })
  .superRefine((deploy, ctx) => {
    // A value the script would refuse (exit 2 on every instance) is a configuration error. The values
    // reach the script as written (deployParameters does not expand them).
    for (const [name, value] of Object.entries(deploy.parameters)) {
      const rule = PARAMETER_RULES.find((r) => r.name === name && r.scripts.includes(deploy.scriptKind));
      const problem = rule === undefined || value === '' ? undefined : ruleProblem(rule, value);
      if (problem !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['parameters', name],
          message: `${name} ${problem} (the ${deploy.scriptKind} deploy script's rule, scripts/contract.json)`,
        });
      }
    }
  });

const healthSchema = z
  .strictObject({
    path: z.string().startsWith('/', 'path must start with /').default('/health'),
    versionHeader: nonEmpty.optional(),
    versionField: nonEmpty.optional(),
    expectVersion: template().default('{number}'),
    attempts: positiveInt('attempts').default(10),
    intervalSeconds: z.number().positive('intervalSeconds must be > 0').default(5),
    timeoutSeconds: z.number().positive('timeoutSeconds must be > 0').default(5),
    instancePort: z
      .number()
      .int('instancePort must be an integer')
      .min(1, 'instancePort must be 1-65535')
      .max(65535, 'instancePort must be 1-65535')
      .default(80),
  })
  .transform((h) =>
    h.versionHeader === undefined && h.versionField === undefined
      ? { ...h, versionHeader: 'x-app-version' }
      : h,
  );

const approvalSchema = z.strictObject({
  required: z.boolean('required must be true or false').default(true),
  timeoutSeconds: positiveInt('timeoutSeconds').default(86400),
  approvers: z
    .array(nonEmpty.max(256, 'an approver is at most 256 characters'))
    .min(1, 'approvers, when given, must name at least one principal')
    .refine(
      (list) => new Set(list.map((a) => a.trim().toLowerCase())).size === list.length,
      'approvers must not name the same principal twice',
    )
    .optional(),
  minApprovers: positiveInt('minApprovers').default(1),
  allowSelfApproval: z.boolean('allowSelfApproval must be true or false').default(false),
});

/**
 * A quorum needs identities: more than one approval counts only from distinct signed-in approvers, so
 * `minApprovers` above 1 needs an `approvers` list at least that long (typed names prove nothing).
 */
function approvalQuorum(target: unknown, ctx: z.RefinementCtx<unknown>): void {
  const t = target as { name?: unknown; approval?: { approvers?: string[]; minApprovers?: number } };
  const approval = t.approval;
  if (approval === undefined || typeof approval.minApprovers !== 'number') return;
  const name = typeof t.name === 'string' ? t.name : '?';
  const n = approval.minApprovers;
  const listed = approval.approvers?.length;
  if (n > 1 && listed === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['approval', 'minApprovers'],
      message: `target '${name}' asks for ${n} distinct approvers, which needs approval.approvers (signed-in principals; typed names are not identities)`,
    });
  } else if (listed !== undefined && n > listed) {
    ctx.addIssue({
      code: 'custom',
      path: ['approval', 'minApprovers'],
      message: `target '${name}' asks for ${n} distinct approvers but approval.approvers lists only ${listed}: no release could ever be approved`,
    });
  }
}

/** Severities, most severe first. */
export const ALERT_SEVERITIES = ['Sev0', 'Sev1', 'Sev2', 'Sev3', 'Sev4'] as const;
/** Alert sources the policy tells apart. */
export const ALERT_SOURCES = [
  'metric',
  'log',
  'availability',
  'smart-detection',
  'activity-log-administrative',
  'activity-log',
  'resource-health',
  'service-health',
  'other',
] as const;
/** Sources whose alerts act by default: signals about the app itself, not about Azure's or an operator's doing. */
export const DEFAULT_ALERT_SOURCES: (typeof ALERT_SOURCES)[number][] = [
  'metric',
  'log',
  'availability',
  'smart-detection',
];

/** The alert policy: which alerts belong to the target, and which of them act (defaults documented in the README). */
const alertPolicySchema = z.strictObject({
  resourceIds: z.array(armId('anyScope')).default([]),
  ruleNames: z.array(nonEmpty).default([]),
  minSeverity: z
    .enum(ALERT_SEVERITIES, `minSeverity must be one of ${ALERT_SEVERITIES.join(', ')}`)
    .default('Sev2'),
  sources: z
    .array(z.enum(ALERT_SOURCES, `sources must each be one of ${ALERT_SOURCES.join(', ')}`))
    .refine((s) => new Set(s).size === s.length, 'sources must not list a source twice')
    .default(() => [...DEFAULT_ALERT_SOURCES]),
  clockSkewSeconds: z
    .number()
    .int('clockSkewSeconds must be an integer')
    .min(0, 'clockSkewSeconds must be >= 0')
    .max(3600, 'clockSkewSeconds must be <= 3600')
    .default(60),
});

const filtersSchema = z.strictObject({
  pipelines: z.array(nonEmpty).optional(),
  branches: z.array(nonEmpty).optional(),
});

/** Slot names are the traffic provider's endpoint names: two slots must not name the same endpoint. */
function distinctSlotNames(slots: unknown, ctx: z.RefinementCtx<unknown>): void {
  if (!Array.isArray(slots) || slots.length !== 2) return;
  const names = slots.map((s: unknown) =>
    typeof s === 'object' && s !== null && typeof (s as { name?: unknown }).name === 'string'
      ? (s as { name: string }).name.toLowerCase()
      : undefined,
  );
  if (names[0] !== undefined && names[0] === names[1]) {
    ctx.addIssue({ code: 'custom', path: [1, 'name'], message: 'slot names must be distinct' });
  }
}

/**
 * What a provider checks of its `traffic` against the target's slots (a provider's map of slots to its endpoints
 * names every slot, say), run with every other check so one error lists everything.
 */
function providerSlotChecks(kinds: readonly TrafficKind[]) {
  return (target: unknown, ctx: z.RefinementCtx<unknown>): void => {
    const t = target as { traffic?: { kind?: unknown }; slots?: { name?: unknown }[] };
    const provider = kinds.find((k) => k.kind === t.traffic?.kind);
    if (!provider?.checkSlots || !Array.isArray(t.slots)) return;
    const slots = t.slots.map((s) => (typeof s?.name === 'string' ? s.name : '')).filter(Boolean);
    for (const problem of provider.checkSlots(t.traffic, slots)) {
      ctx.addIssue({ code: 'custom', path: ['traffic', ...problem.path], message: problem.message });
    }
  };
}

/** A release target with defaults applied; the output type is TargetConfig. */
export function targetSchema(traffic: readonly TrafficKind[]) {
  return z
    .strictObject({
      name: z.string().regex(TARGET_NAME_PATTERN, 'name must match ^[a-z0-9][a-z0-9-]{0,39}$'),
      traffic: trafficSchema(traffic),
      slots: z
        .array(slotSchema)
        .length(2, 'must have exactly 2 slots (one per traffic endpoint)')
        .superRefine(distinctSlotNames, { when: () => true }),
      artifactUrlTemplate: template().pipe(
        z.string().refine((value) => {
          try {
            const url = new URL(value.replace(/\{[^{}]*\}/g, 'x'));
            return url.protocol === 'https:' || url.protocol === 'http:';
          } catch {
            return false;
          }
        }, 'artifactUrlTemplate must be an absolute http(s) URL template'),
      ),
      deploy: deploySchema,
      health: healthSchema.prefault({}),
      approval: approvalSchema.prefault({}),
      bakeSeconds: z
        .number()
        .int('bakeSeconds must be an integer')
        .min(0, 'bakeSeconds must be >= 0')
        .default(900),
      alerts: alertPolicySchema.prefault({}),
      filters: filtersSchema.default({}),
    })
    .superRefine(approvalQuorum)
    .superRefine(providerSlotChecks(traffic), { when: () => true });
}

/** RELEASE_TARGETS: a non-empty array of targets with unique names, `traffic` validated by `traffic`'s kinds. */
export function targetsSchema(traffic: readonly TrafficKind[]) {
  return z
    .array(targetSchema(traffic))
    .min(1, 'must define at least one target')
    .superRefine(
      (targets: unknown, ctx) => {
        if (!Array.isArray(targets)) return;
        const seen = new Map<string, number>();
        targets.forEach((t: unknown, i) => {
          const name = typeof t === 'object' && t !== null ? (t as { name?: unknown }).name : undefined;
          if (typeof name !== 'string') return;
          const first = seen.get(name);
          if (first !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [i, 'name'],
              message: `duplicate target name (also RELEASE_TARGETS[${first}])`,
            });
          } else {
            seen.set(name, i);
          }
        });
      },
      // Run even when some targets have other problems, so duplicates are reported in the same round.
      { when: () => true },
    );
}

// Compile-time check that the parsed shape is a TargetConfig (slots are checked to be exactly two at run time).
type ParsedTarget = z.output<ReturnType<typeof targetSchema>>;
type _TargetShapeMatches =
  Omit<ParsedTarget, 'slots'> extends Omit<TargetConfig, 'slots'>
    ? ParsedTarget['slots'][number] extends SlotConfig
      ? true
      : never
    : never;
export const TARGET_SHAPE_CHECK: _TargetShapeMatches = true;

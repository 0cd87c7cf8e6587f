/**
 * Timer triggers as the Functions host runs them: NCRONTAB schedules with six fields
 * (`{second} {minute} {hour} {day} {month} {day-of-week}`) in UTC, `%SETTING%` resolved from the app
 * settings, `runOnStartup`, and the trigger payload the worker hands to `app.timer` handlers
 * (`{Schedule, ScheduleStatus, IsPastDue}`, camel-cased by the library). Not emulated: the schedule
 * monitor (`useMonitor`): an occurrence missed while the host was down is not made up, the next one runs;
 * an occurrence missed while a manual clock jumped runs once, late, with `isPastDue`.
 */
import type { HostClock } from './clock';
import type { Registry, RegisteredFunction } from './functionsCore';
import { extraInputsFor, invokeRegistered, triggerBindingName } from './invoke';

/** One field's allowed values, as a set. */
type Field = ReadonlySet<number>;

/** A parsed NCRONTAB expression. */
export interface Ncrontab {
  readonly seconds: Field;
  readonly minutes: Field;
  readonly hours: Field;
  readonly days: Field;
  readonly months: Field;
  /** 0 = Sunday. */
  readonly weekdays: Field;
  readonly text: string;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: { name: string; min: number; max: number; names?: string[]; base?: number }[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, base: 1 },
  { name: 'day-of-week', min: 0, max: 6, names: WEEKDAYS, base: 0 },
];

function parseField(text: string, spec: (typeof FIELDS)[number], expression: string): Field {
  const bad = (why: string) =>
    new Error(`timer schedule '${expression}': ${spec.name} field '${text}' ${why}`);
  const value = (v: string): number => {
    const named = spec.names?.indexOf(v.toUpperCase().slice(0, 3)) ?? -1;
    if (named >= 0 && /^[A-Za-z]+$/.test(v)) return named + (spec.base ?? 0);
    if (!/^\d{1,2}$/.test(v)) throw bad(`has '${v}', not a number`);
    // Day-of-week 7 is Sunday too, as in cron.
    const n = spec.name === 'day-of-week' && v === '7' ? 0 : Number(v);
    if (n < spec.min || n > spec.max) throw bad(`has ${n}, outside ${spec.min}-${spec.max}`);
    return n;
  };
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined || range === undefined || range === '') throw bad('is malformed');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1 || !/^\d+$/.test(stepText ?? '1')) throw bad('has a bad step');
    let from: number;
    let to: number;
    if (range === '*') [from, to] = [spec.min, spec.max];
    else if (range.includes('-')) {
      const [a, b] = range.split('-');
      [from, to] = [value(a ?? ''), value(b ?? '')];
      if (from > to) throw bad('has a range that runs backwards');
    } else {
      from = value(range);
      to = stepText === undefined ? from : spec.max;
    }
    for (let n = from; n <= to; n += step) out.add(n);
  }
  return out;
}

/** Parses a six-field NCRONTAB expression; throws naming the field that is wrong. */
export function parseNcrontab(expression: string): Ncrontab {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6) {
    throw new Error(
      `timer schedule '${expression}': NCRONTAB needs 6 fields ({second} {minute} {hour} {day} {month} {day-of-week}), got ${parts.length}`,
    );
  }
  const [seconds, minutes, hours, days, months, weekdays] = parts.map((p, i) =>
    parseField(p, FIELDS[i]!, expression),
  ) as [Field, Field, Field, Field, Field, Field];
  return { seconds, minutes, hours, days, months, weekdays, text: expression };
}

/** The first occurrence strictly after `after` (epoch ms, UTC); undefined when none within 5 years. */
export function nextOccurrence(schedule: Ncrontab, after: number): number | undefined {
  const d = new Date(Math.floor(after / 1000) * 1000 + 1000);
  const limit = after + 5 * 366 * 86_400_000;
  while (d.getTime() <= limit) {
    if (!schedule.months.has(d.getUTCMonth() + 1)) {
      d.setUTCMonth(d.getUTCMonth() + 1, 1);
      d.setUTCHours(0, 0, 0);
      continue;
    }
    if (!schedule.days.has(d.getUTCDate()) || !schedule.weekdays.has(d.getUTCDay())) {
      d.setUTCDate(d.getUTCDate() + 1);
      d.setUTCHours(0, 0, 0);
      continue;
    }
    if (!schedule.hours.has(d.getUTCHours())) {
      d.setUTCHours(d.getUTCHours() + 1, 0, 0);
      continue;
    }
    if (!schedule.minutes.has(d.getUTCMinutes())) {
      d.setUTCMinutes(d.getUTCMinutes() + 1, 0);
      continue;
    }
    if (!schedule.seconds.has(d.getUTCSeconds())) {
      d.setUTCSeconds(d.getUTCSeconds() + 1);
      continue;
    }
    return d.getTime();
  }
  return undefined;
}

/** One timer invocation, as recorded for tests and logs. */
export interface TimerRun {
  name: string;
  /** The occurrence it ran for (ISO). */
  scheduledFor: string;
  isPastDue: boolean;
  outcome: 'ok' | 'failed';
  error?: string;
}

/** Runs the app's timer triggers on the host clock. */
export interface TimerRunner {
  readonly runs: TimerRun[];
  /** Resolves once no timer invocation is in flight. */
  idle(): Promise<void>;
  stop(): void;
}

/** Options of the timer runner. */
export interface TimerOptions {
  registry: Registry;
  clock: HostClock;
  /** App settings, for `%NAME%` schedules. */
  settings: NodeJS.ProcessEnv;
  durableClient: () => unknown;
  logError: (message: string) => void;
}

/** Resolves `%NAME%` from the app settings, as the host does for binding expressions. */
function resolveSchedule(text: string, settings: NodeJS.ProcessEnv, fn: string): string {
  const m = /^%([^%]+)%$/.exec(text.trim());
  if (!m) return text;
  const value = settings[m[1]!];
  if (value === undefined || value === '') {
    throw new Error(`timer '${fn}': schedule '${text}' names app setting ${m[1]}, which is not set`);
  }
  return value;
}

/** Starts every timer trigger of the registry; a bad schedule fails the start, as the host refuses it. */
export function startTimers(options: TimerOptions): TimerRunner {
  const { registry, clock, settings, logError } = options;
  const runs: TimerRun[] = [];
  const inFlight = new Set<Promise<void>>();
  const cancels = new Map<string, () => void>();
  let stopped = false;

  const timers: { fn: RegisteredFunction; schedule: Ncrontab; runOnStartup: boolean }[] = [];
  for (const fn of registry.functions.values()) {
    const binding = Object.values(fn.metadata.bindings).find((b) => b.type.toLowerCase() === 'timertrigger');
    if (!binding) continue;
    const text = resolveSchedule(String(binding.schedule ?? ''), settings, fn.metadata.name);
    if (/^\d+(\.\d+)?:\d{2}:\d{2}$|^\d{2}:\d{2}:\d{2}$/.test(text)) {
      throw new Error(
        `timer '${fn.metadata.name}': TimeSpan schedules ('${text}') run only on App Service plans; use NCRONTAB`,
      );
    }
    timers.push({ fn, schedule: parseNcrontab(text), runOnStartup: binding.runOnStartup === true });
  }

  const invoke = (fn: RegisteredFunction, scheduledFor: number, next: number | undefined, late: boolean) => {
    const payload = {
      Schedule: { AdjustForDST: false },
      ScheduleStatus: {
        Last: new Date(scheduledFor).toISOString(),
        Next: next === undefined ? null : new Date(next).toISOString(),
        LastUpdated: new Date(clock.now()).toISOString(),
      },
      IsPastDue: late,
    };
    const run: TimerRun = {
      name: fn.metadata.name,
      scheduledFor: new Date(scheduledFor).toISOString(),
      isPastDue: late,
      outcome: 'ok',
    };
    const work = invokeRegistered(registry, fn, {
      inputData: [
        { name: triggerBindingName(fn), data: { json: JSON.stringify(payload) } },
        ...extraInputsFor(fn, options.durableClient),
      ],
    })
      .catch((err: unknown) => {
        run.outcome = 'failed';
        run.error = err instanceof Error ? err.message : String(err);
        logError(`timer ${fn.metadata.name} failed: ${run.error}`);
      })
      .then(() => {
        runs.push(run);
      });
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };

  const arm = (fn: RegisteredFunction, schedule: Ncrontab, from: number) => {
    const at = nextOccurrence(schedule, from);
    if (at === undefined || stopped) return;
    cancels.set(
      fn.metadata.name,
      clock.schedule(at, () => {
        if (stopped) return;
        const now = clock.now();
        // Occurrences the clock jumped over run once, late, then the schedule goes on from now.
        const next = nextOccurrence(schedule, Math.max(at, now));
        invoke(fn, at, next, now - at >= 1000);
        arm(fn, schedule, Math.max(at, now));
      }),
    );
  };

  for (const { fn, schedule, runOnStartup } of timers) {
    const now = clock.now();
    if (runOnStartup) invoke(fn, now, nextOccurrence(schedule, now), false);
    arm(fn, schedule, now);
  }

  return {
    runs,
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    stop() {
      stopped = true;
      for (const cancel of cancels.values()) cancel();
    },
  };
}

/**
 * Timer triggers on the local host: NCRONTAB parsing and next occurrences (UTC), `%SETTING%` schedules,
 * and `app.timer` functions run on the host clock with the worker's payload and a durable client.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { ManualClock } from '../../../local/host/clock';
import { createTestHost } from '../../../local/host/host';
import { nextOccurrence, parseNcrontab } from '../../../local/host/timers';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('NCRONTAB', () => {
  it.each([
    ['0 30 2 * * *', '2026-01-01T09:00:00Z', '2026-01-02T02:30:00.000Z'],
    ['0 30 2 * * *', '2026-01-01T02:29:59Z', '2026-01-01T02:30:00.000Z'],
    ['0 30 2 * * *', '2026-01-01T02:30:00Z', '2026-01-02T02:30:00.000Z'],
    ['*/15 * * * * *', '2026-01-01T09:00:07Z', '2026-01-01T09:00:15.000Z'],
    ['0 */5 * * * *', '2026-01-01T09:03:00Z', '2026-01-01T09:05:00.000Z'],
    ['0 0 9-17 * * Mon-Fri', '2026-01-02T18:00:00Z', '2026-01-05T09:00:00.000Z'], // Fri evening → Mon
    ['0 0 0 1 Jan,Jul *', '2026-02-01T00:00:00Z', '2026-07-01T00:00:00.000Z'],
    ['0 0 0 29 2 *', '2026-03-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['0 0 12 * * 7', '2026-01-01T00:00:00Z', '2026-01-04T12:00:00.000Z'], // 7 is Sunday
    ['5,10 0 0 * * *', '2026-01-01T00:00:05Z', '2026-01-01T00:00:10.000Z'],
  ])('%s after %s → %s', (expression, after, next) => {
    expect(iso(nextOccurrence(parseNcrontab(expression), at(after)))).toBe(next);
  });

  it('has no occurrence for a day that never comes', () => {
    expect(nextOccurrence(parseNcrontab('0 0 0 31 2 *'), at('2026-01-01T00:00:00Z'))).toBeUndefined();
  });

  it.each([
    ['0 30 2 * *', /needs 6 fields/],
    ['0 60 2 * * *', /minute field '60' has 60, outside 0-59/],
    ['0 0 25 * * *', /hour field '25'/],
    ['0 0 0 0 * *', /day field '0'/],
    ['0 0 0 * 13 *', /month field '13'/],
    ['0 0 0 * * Funday', /day-of-week field 'Funday'/],
    ['0 0 5-1 * * *', /runs backwards/],
    ['*/0 * * * * *', /bad step/],
    ['0 0 0 * * 1,,2', /malformed/],
  ])('refuses %s naming the field', (expression, message) => {
    expect(() => parseNcrontab(expression)).toThrow(message);
  });
});

describe('timer functions on the local host', () => {
  const seen: { timer: Timer; started: string }[] = [];

  const register = () => {
    app.timer('EveryNight', {
      schedule: '%NIGHTLY_SCHEDULE%',
      extraInputs: [df.input.durableClient()],
      handler: async (timer: Timer, context: InvocationContext) => {
        const client = df.getClient(context);
        const started = await client.startNew('Hello', { input: 'timer' });
        seen.push({ timer, started });
      },
    });
    // eslint-disable-next-line require-yield -- an orchestrator must be a generator; this one waits for nothing
    df.app.orchestration('Hello', function* (context) {
      return `hello ${context.df.getInput<string>()}`;
    });
  };

  beforeEach(() => {
    seen.length = 0;
    process.env.NIGHTLY_SCHEDULE = '0 30 2 * * *';
  });
  afterEach(() => {
    delete process.env.NIGHTLY_SCHEDULE;
  });

  it('runs at each occurrence on the host clock with the worker payload and a durable client', async () => {
    const host = await createTestHost({ register, clock: new ManualClock(at('2026-01-01T09:00:00Z')) });
    try {
      await host.advance(17 * 3_600_000); // 02:00 next day
      expect(seen).toEqual([]);
      await host.advance(30 * 60_000); // 02:30
      expect(seen).toHaveLength(1);
      expect(seen[0]!.timer).toEqual({
        schedule: { adjustForDST: false },
        scheduleStatus: {
          last: '2026-01-02T02:30:00.000Z',
          next: '2026-01-03T02:30:00.000Z',
          lastUpdated: '2026-01-02T02:30:00.000Z',
        },
        isPastDue: false,
      });
      expect(host.getStatus(seen[0]!.started)).toMatchObject({
        runtimeStatus: 'Completed',
        output: 'hello timer',
      });
      expect(host.timers.runs).toEqual([
        { name: 'EveryNight', scheduledFor: '2026-01-02T02:30:00.000Z', isPastDue: false, outcome: 'ok' },
      ]);

      // Three nights jumped over at once: one late run, then the schedule goes on.
      await host.advance(3 * 86_400_000 + 60_000);
      expect(seen).toHaveLength(2);
      expect(seen[1]!.timer).toMatchObject({
        isPastDue: true,
        scheduleStatus: { last: '2026-01-03T02:30:00.000Z' },
      });
      await host.advance(86_400_000);
      expect(seen).toHaveLength(3);
      expect(seen[2]!.timer.scheduleStatus.last).toBe('2026-01-06T02:30:00.000Z');
    } finally {
      await host.close();
    }
  });

  it('refuses to start with a schedule that names an unset setting or is malformed', async () => {
    delete process.env.NIGHTLY_SCHEDULE;
    await expect(createTestHost({ register })).rejects.toThrow(
      /names app setting NIGHTLY_SCHEDULE, which is not set/,
    );
    process.env.NIGHTLY_SCHEDULE = '0 30 25 * * *';
    await expect(createTestHost({ register })).rejects.toThrow(/hour field '25'/);
  });
});

import { httpCutoverObserver, parseObservation } from '../../../src/adapters/http/cutoverObserver';

describe('the HTTP cutover observer', () => {
  const answering = (status: number, body: string) => {
    const asked: URL[] = [];
    const fetchImpl = (async (url: URL) => {
      asked.push(url);
      return new Response(body, { status });
    }) as unknown as typeof fetch;
    return { asked, fetchImpl };
  };

  it('asks with the target, the slot and the moves times, and returns the answer', async () => {
    const { asked, fetchImpl } = answering(200, '{"state":"reached","reachedAt":"2026-01-01T00:00:03.000Z"}');
    const observer = httpCutoverObserver('http://127.0.0.1:7074/traffic/cutover', fetchImpl);
    expect(
      await observer.observe('webapp', {
        slot: 'green',
        since: '2026-01-01T00:00:00.000Z',
        until: '2026-01-01T00:01:00.000Z',
      }),
    ).toEqual({ state: 'reached', reachedAt: '2026-01-01T00:00:03.000Z' });
    expect(Object.fromEntries(asked[0]!.searchParams)).toEqual({
      target: 'webapp',
      slot: 'green',
      since: '2026-01-01T00:00:00.000Z',
      until: '2026-01-01T00:01:00.000Z',
    });
  });

  it('fails naming the HTTP status or a body that is not JSON', async () => {
    const down = httpCutoverObserver(
      'http://127.0.0.1:7074/traffic/cutover',
      answering(503, 'busy').fetchImpl,
    );
    await expect(down.observe('webapp', { slot: 'green', since: '2026-01-01T00:00:00Z' })).rejects.toThrow(
      'cutover observer: GET http://127.0.0.1:7074/traffic/cutover: HTTP 503 busy',
    );
    const html = httpCutoverObserver(
      'http://127.0.0.1:7074/traffic/cutover',
      answering(200, '<html>').fetchImpl,
    );
    await expect(html.observe('webapp', { slot: 'green', since: '2026-01-01T00:00:00Z' })).rejects.toThrow(
      'not JSON: <html>',
    );
  });

  it('takes only the shapes of the port; anything else is a failure showing what came back', () => {
    expect(parseObservation({ state: 'pending', detail: 'x' })).toEqual({ state: 'pending', detail: 'x' });
    expect(parseObservation({ state: 'not-reached', detail: 'y' })).toEqual({
      state: 'not-reached',
      detail: 'y',
    });
    expect(parseObservation({ state: 'not-measured' })).toEqual({
      state: 'not-measured',
      reason: 'the observer could not tell',
    });
    expect(() => parseObservation({ state: 'reached', reachedAt: 'soon' })).toThrow(
      'cutover observer: unexpected answer {"state":"reached","reachedAt":"soon"}',
    );
    expect(() => parseObservation([])).toThrow('unexpected answer []');
  });
});

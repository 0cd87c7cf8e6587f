import type { HttpRequest } from '@azure/functions';
import { readFormOrJson, readJsonBody, readRawBody } from '../../../src/core/http/body';
import { HttpError } from '../../../src/core/errors';
import { aJsonRequest, aRequest } from '../../builders/http';

const MAX = 1024;

async function httpFailure(
  promise: Promise<unknown>,
): Promise<{ status: number; code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    const e = error as HttpError;
    return { status: e.status, code: e.code, message: e.message };
  }
  throw new Error('expected an HttpError');
}

/** A request whose body arrives in chunks and counts how many were pulled. */
function streamingRequest(chunks: number, chunkSize: number): { request: HttpRequest; pulled: () => number } {
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (pulled >= chunks) return controller.close();
        pulled++;
        controller.enqueue(new Uint8Array(chunkSize).fill(0x20));
      },
    },
    { highWaterMark: 0 },
  );
  const request = aRequest({ headers: { 'content-type': 'application/json' } });
  Object.defineProperty(request, 'body', { value: stream });
  return { request, pulled: () => pulled };
}

describe('readJsonBody', () => {
  it('parses a JSON body', async () => {
    await expect(readJsonBody(aJsonRequest({ a: [1, 'ü'] }), { maxBytes: MAX })).resolves.toEqual({
      a: [1, 'ü'],
    });
  });

  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON;charset="UTF-8"',
    'application/vnd.api+json',
  ])('accepts Content-Type %s', async (type) => {
    await expect(
      readJsonBody(aRequest({ headers: { 'content-type': type }, body: '{"ok":true}' }), { maxBytes: MAX }),
    ).resolves.toEqual({
      ok: true,
    });
  });

  it.each([
    ['text/plain', '"text/plain"'],
    ['application/x-www-form-urlencoded', '"application/x-www-form-urlencoded"'],
    ['application/jsonp', '"application/jsonp"'],
  ])('refuses Content-Type %s with 415', async (type, shown) => {
    const failure = await httpFailure(
      readJsonBody(aRequest({ headers: { 'content-type': type }, body: '{}' }), { maxBytes: MAX }),
    );
    expect(failure).toEqual({
      status: 415,
      code: 'unsupported-media-type',
      message: `Content-Type must be application/json, got ${shown}`,
    });
  });

  it('refuses a missing Content-Type and a non-UTF-8 charset with 415', async () => {
    // A bytes body: a string body would get text/plain from the Fetch Request constructor.
    const noType = aRequest({ body: new TextEncoder().encode('{}') });
    expect(noType.headers.get('content-type')).toBeNull();
    expect((await httpFailure(readJsonBody(noType, { maxBytes: MAX }))).message).toBe(
      'Content-Type must be application/json, got none',
    );
    const latin1 = aRequest({
      headers: { 'content-type': 'application/json; charset=iso-8859-1' },
      body: '{}',
    });
    expect(await httpFailure(readJsonBody(latin1, { maxBytes: MAX }))).toMatchObject({ status: 415 });
  });

  it('refuses a body over the limit with 413', async () => {
    const request = aRequest({
      headers: { 'content-type': 'application/json' },
      body: `"${'x'.repeat(MAX)}"`,
    });
    expect(await httpFailure(readJsonBody(request, { maxBytes: MAX }))).toEqual({
      status: 413,
      code: 'payload-too-large',
      message: `request body is larger than ${MAX} bytes`,
    });
  });

  it('accepts a body of exactly the limit', async () => {
    const body = `"${'x'.repeat(MAX - 2)}"`;
    await expect(
      readJsonBody(aRequest({ headers: { 'content-type': 'application/json' }, body }), { maxBytes: MAX }),
    ).resolves.toHaveLength(MAX - 2);
  });

  it('refuses at once when Content-Length announces too much, reading nothing', async () => {
    const { request, pulled } = streamingRequest(10, 100);
    Object.defineProperty(request, 'headers', {
      value: new Headers({ 'content-type': 'application/json', 'content-length': '5000' }),
    });
    expect((await httpFailure(readJsonBody(request, { maxBytes: MAX }))).status).toBe(413);
    expect(pulled()).toBe(0);
  });

  it('stops reading a stream as soon as it passes the limit', async () => {
    const { request, pulled } = streamingRequest(1000, 100);
    expect((await httpFailure(readRawBody(request, { maxBytes: MAX }))).status).toBe(413);
    expect(pulled()).toBeLessThanOrEqual(13);
  });

  it('refuses JSON that does not parse with 400 and the position, not the text', async () => {
    const failure = await httpFailure(
      readJsonBody(aRequest({ headers: { 'content-type': 'application/json' }, body: '{"secret": x}' }), {
        maxBytes: MAX,
      }),
    );
    expect(failure).toEqual({
      status: 400,
      code: 'invalid-json',
      message: 'request body is not valid JSON (unexpected character at position 11)',
    });
    const truncated = await httpFailure(
      readJsonBody(aRequest({ headers: { 'content-type': 'application/json' }, body: '{"a": [1, 2' }), {
        maxBytes: MAX,
      }),
    );
    expect(truncated.message).toBe('request body is not valid JSON (unexpected end of input)');
  });

  it('refuses an empty body and invalid UTF-8 with 400', async () => {
    expect(
      await httpFailure(
        readJsonBody(aRequest({ headers: { 'content-type': 'application/json' } }), { maxBytes: MAX }),
      ),
    ).toMatchObject({
      status: 400,
      code: 'empty-body',
    });
    const bad = aRequest({
      headers: { 'content-type': 'application/json' },
      body: new Uint8Array([0x22, 0xff, 0xfe, 0x22]),
    });
    expect(await httpFailure(readJsonBody(bad, { maxBytes: MAX }))).toMatchObject({
      status: 400,
      code: 'invalid-encoding',
    });
  });
});

describe('readFormOrJson', () => {
  it('reads a form post', async () => {
    const request = aRequest({
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=a.b&approver=alice%40contoso.com&comment=looks+good',
    });
    await expect(readFormOrJson(request, { maxBytes: MAX })).resolves.toEqual({
      token: 'a.b',
      approver: 'alice@contoso.com',
      comment: 'looks good',
    });
  });

  it('reads a JSON object of strings, null meaning absent', async () => {
    await expect(
      readFormOrJson(aJsonRequest({ token: 't', comment: null }), { maxBytes: MAX }),
    ).resolves.toEqual({ token: 't' });
  });

  it('refuses non-string JSON values, non-object JSON and repeated form fields with 400', async () => {
    expect(await httpFailure(readFormOrJson(aJsonRequest({ token: 5 }), { maxBytes: MAX }))).toEqual({
      status: 400,
      code: 'invalid-payload',
      message: 'field "token" must be a string',
    });
    expect((await httpFailure(readFormOrJson(aJsonRequest(['t']), { maxBytes: MAX }))).message).toBe(
      'request body must be a JSON object',
    );
    const repeated = aRequest({
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=a&token=b',
    });
    expect((await httpFailure(readFormOrJson(repeated, { maxBytes: MAX }))).message).toBe(
      'field "token" is given more than once',
    );
  });

  it('refuses other content types with 415 and oversized forms with 413', async () => {
    expect(
      (
        await httpFailure(
          readFormOrJson(
            aRequest({ headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: 'x' }),
            { maxBytes: MAX },
          ),
        )
      ).status,
    ).toBe(415);
    const big = aRequest({
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `comment=${'x'.repeat(MAX)}`,
    });
    expect((await httpFailure(readFormOrJson(big, { maxBytes: MAX }))).status).toBe(413);
  });
});

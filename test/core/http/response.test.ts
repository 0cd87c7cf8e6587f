import { errorResponse, httpErrorFrom, jsonResponse } from '../../../src/core/http/response';
import { HttpError, ValidationError } from '../../../src/core/errors';

describe('jsonResponse / errorResponse', () => {
  it('serialises the body with JSON, no-store headers', () => {
    expect(jsonResponse(202, { id: 'r1' }, { Location: '/api/releases/r1' })).toEqual({
      status: 202,
      body: '{"id":"r1"}',
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        Location: '/api/releases/r1',
      },
    });
  });

  it('answers errors as { error: { code, message } }', () => {
    const response = errorResponse(
      new HttpError(415, 'unsupported-media-type', 'Content-Type must be application/json'),
    );
    expect(response.status).toBe(415);
    expect(JSON.parse(response.body as string)).toEqual({
      error: { code: 'unsupported-media-type', message: 'Content-Type must be application/json' },
    });
  });

  it('includes validation details', () => {
    const error = httpErrorFrom(
      new ValidationError([{ path: 'resource.id', message: 'required' }], 'build.complete payload'),
    );
    expect(JSON.parse(errorResponse(error).body as string)).toEqual({
      error: {
        code: 'invalid-payload',
        message: 'invalid build.complete payload: resource.id: required',
        details: [{ path: 'resource.id', message: 'required' }],
      },
    });
    expect(error.status).toBe(400);
  });
});

describe('httpErrorFrom', () => {
  it('keeps HttpErrors and hides everything else behind a 500', () => {
    const original = new HttpError(413, 'payload-too-large', 'too big');
    expect(httpErrorFrom(original)).toBe(original);
    const hidden = httpErrorFrom(new Error('connection string=AccountKey=secret'));
    expect(hidden).toMatchObject({ status: 500, code: 'internal-error', message: 'internal error' });
  });
});

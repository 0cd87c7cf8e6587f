import { HttpError, StepError, ValidationError, causeMessage, formatPath } from '../../src/core/errors';

describe('errors', () => {
  it('ValidationError lists every problem in its message and freezes them', () => {
    const error = new ValidationError(
      [
        { path: 'a.b', message: 'required' },
        { path: 'c[0]', message: 'expected a string, got number' },
      ],
      'thing',
    );
    expect(error.message).toBe('invalid thing: a.b: required; c[0]: expected a string, got number');
    expect(error.name).toBe('ValidationError');
    expect(error).toBeInstanceOf(Error);
    expect(Object.isFrozen(error.problems)).toBe(true);
  });

  it('StepError names the step, the resource and the cause', () => {
    const cause = new Error('429 Too Many Requests');
    const error = new StepError({
      step: 'SwapTraffic',
      resource: '/subscriptions/s/.../tm-web',
      cause,
      transient: true,
    });
    expect(error.message).toBe('SwapTraffic failed on /subscriptions/s/.../tm-web: 429 Too Many Requests');
    expect(error).toMatchObject({
      step: 'SwapTraffic',
      resource: '/subscriptions/s/.../tm-web',
      transient: true,
    });
    expect(error.cause).toBe(cause);
    expect(new StepError({ step: 's', resource: 'r', cause: 'boom' }).transient).toBe(false);
  });

  it('HttpError carries status and code', () => {
    expect(new HttpError(404, 'unknown-target', 'no target x')).toMatchObject({
      status: 404,
      code: 'unknown-target',
      message: 'no target x',
    });
  });

  it('formats paths with indexes', () => {
    expect(formatPath(['RELEASE_TARGETS', 0, 'slots', 1, 'compute', 'resourceId'])).toBe(
      'RELEASE_TARGETS[0].slots[1].compute.resourceId',
    );
    expect(formatPath([])).toBe('(root)');
    expect(formatPath([2, 'name'])).toBe('[2].name');
  });

  it('describes any thrown value', () => {
    expect(causeMessage(new Error('x'))).toBe('x');
    expect(causeMessage('y')).toBe('y');
    expect(causeMessage({ code: 1 })).toBe('{"code":1}');
    expect(causeMessage(undefined)).toBe('undefined');
  });
});

import type { ReleaseStatus } from '../domain';
import { HttpError } from '../errors';
import type { ReleaseQuery } from './views';

/** Every release status, as the list filter takes it (case-insensitive). */
export const RELEASE_STATUSES: readonly ReleaseStatus[] = [
  'Queued',
  'Running',
  'Succeeded',
  'Failed',
  'RolledBack',
  'Rejected',
  'Expired',
  'Superseded',
  'Cancelled',
];

/** Releases per page: default and most. */
export const LIST_LIMIT = { default: 50, max: 500 } as const;

const TARGET_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;
/** An ISO 8601 date, or date and time with seconds optional and a zone (`Z` or an offset). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** The query string as the handler has it. */
export interface QueryParams {
  get(name: string): string | null;
}

function time(params: QueryParams, name: string): Date | undefined {
  const text = params.get(name);
  if (text === null) return undefined;
  const t = ISO_TIME.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(t)) {
    throw new HttpError(
      400,
      'bad-time',
      `${name} must be an ISO 8601 date or date-time with a zone, e.g. 2026-12-01 or 2026-12-01T08:00:00Z; got ${JSON.stringify(text.slice(0, 60))}`,
    );
  }
  return new Date(t);
}

/**
 * The release list's query, validated: `target`, `status`, `createdFrom`/`createdTo` (the build's created
 * time in the task hub), `limit`, `continuationToken`. Anything malformed is a 400 naming the parameter.
 */
export function releaseQueryOf(params: QueryParams): ReleaseQuery {
  const statusText = params.get('status');
  const status =
    statusText === null
      ? undefined
      : RELEASE_STATUSES.find((s) => s.toLowerCase() === statusText.toLowerCase());
  if (statusText !== null && !status) {
    throw new HttpError(400, 'bad-status', `status must be one of ${RELEASE_STATUSES.join(', ')}`);
  }
  const limitText = params.get('limit');
  const limit = limitText === null ? LIST_LIMIT.default : Number(limitText);
  if (limitText !== null && (!/^\d{1,4}$/.test(limitText) || limit < 1 || limit > LIST_LIMIT.max)) {
    throw new HttpError(400, 'bad-limit', `limit must be an integer from 1 to ${LIST_LIMIT.max}`);
  }
  const target = params.get('target');
  if (target !== null && !TARGET_NAME.test(target)) {
    throw new HttpError(400, 'bad-target', `target must be a target name (${TARGET_NAME.source})`);
  }
  const from = time(params, 'createdFrom');
  const to = time(params, 'createdTo');
  if (from && to && from > to) {
    throw new HttpError(400, 'bad-time', 'createdFrom must not be after createdTo');
  }
  const token = params.get('continuationToken');
  if (token === '') throw new HttpError(400, 'bad-continuation-token', 'continuationToken is empty');
  return {
    limit,
    ...(target !== null ? { target } : {}),
    ...(status ? { status } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(token !== null ? { continuationToken: token } : {}),
  };
}

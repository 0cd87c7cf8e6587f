/** A plain ARM GET over the shared pipeline (auth, retries), for the few calls no SDK here covers. */
import { createPipelineRequest } from '@azure/core-rest-pipeline';
import type { AzureClients } from './clients';
import { ArmCallError } from './errors';

/** GETs `url` and returns its JSON body; any status but 200 throws ArmCallError with ARM's code and message. */
export async function armGetJson(clients: AzureClients, url: string): Promise<unknown> {
  const { pipeline, httpClient } = clients.arm();
  const request = createPipelineRequest({ url, method: 'GET' });
  request.headers.set('Accept', 'application/json');
  const response = await pipeline.sendRequest(httpClient, request);
  let body: unknown;
  try {
    body = response.bodyAsText ? JSON.parse(response.bodyAsText) : {};
  } catch {
    body = {};
  }
  if (response.status !== 200) {
    const err = (body as { error?: { code?: string; message?: string } }).error;
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new ArmCallError({
      statusCode: response.status,
      ...(err?.code ? { code: err.code } : {}),
      message: err?.message ?? `unexpected status ${response.status}`,
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
    });
  }
  return body;
}

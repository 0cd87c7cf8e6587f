/** Who is using the console, and whether a console action comes from the console's own page. */
import { crossSiteProblem, principalFromHeaders, type HeaderSource } from '../http';

/**
 * The signed-in person, or undefined. `trusted` must be true only where the platform owns the principal headers
 * (App Service authentication on: its front end strips `X-MS-CLIENT-PRINCIPAL*` from clients and sets them for a
 * signed-in caller); anywhere else anyone could send them, so nothing is read and the console refuses to serve.
 */
export function consoleIdentity(headers: HeaderSource, trusted: boolean): string | undefined {
  if (!trusted) return undefined;
  const name = principalFromHeaders(headers);
  // Control characters never belong in a name (they would also forge log lines).
  // eslint-disable-next-line no-control-regex
  if (name === undefined || name.length > 256 || /[\u0000-\u001f\u007f]/.test(name)) return undefined;
  return name;
}

/**
 * Why a console action must not run, or undefined. The session is a cookie, which a page on another site can
 * make the browser send with a form post; browsers mark every post with `Sec-Fetch-Site` or `Origin`, so an
 * action is accepted only when one of them says it comes from this app (or `Sec-Fetch-Site: none`, the user's own
 * navigation), and refused when neither is there.
 */
export function crossSiteActionProblem(headers: HeaderSource, publicBaseUrl: string): string | undefined {
  if (headers.get('sec-fetch-site')?.trim().toLowerCase() === 'same-origin') return undefined;
  const problem = crossSiteProblem(headers, publicBaseUrl);
  if (problem) return problem;
  if (!headers.get('sec-fetch-site')?.trim() && !headers.get('origin')?.trim()) {
    return 'the request carries neither Sec-Fetch-Site nor Origin, so it cannot be told apart from a cross-site post';
  }
  return undefined;
}

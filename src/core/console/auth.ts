/** Who is using the console, and whether a console action comes from the console's own page. */
import { crossSiteProblem, identityFromHeaders, type HeaderSource } from '../http';

/**
 * The signed-in person's name, or undefined: the same reading as an approval's (`identityFromHeaders`, trusted only
 * where App Service authentication owns the principal headers), so the console never serves someone an approval
 * would not recognise.
 */
export function consoleIdentity(headers: HeaderSource, trusted: boolean): string | undefined {
  return identityFromHeaders(headers, trusted)?.name;
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

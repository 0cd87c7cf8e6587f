/**
 * The console's only script, inlined in every page and allowed by its hash (CSP `script-src 'sha256-…'`).
 * It polls the page's own URL and swaps in the parts (`[data-part]`) that changed, so the page stays live;
 * without it the page is complete and its forms still work. A part holding the keyboard focus is left alone
 * (replacing it would throw the focus away mid-typing); the server re-checks every action anyway.
 */
import { createHash } from 'node:crypto';

/** Plain ES2017 for any browser; no external resources, no eval, no inline handlers. */
export const CONSOLE_SCRIPT = `(function () {
  var root = document.querySelector('[data-poll]');
  if (!root) return;
  var url = root.getAttribute('data-poll');
  var every = Number(root.getAttribute('data-poll-ms')) || 2000;
  var line = document.getElementById('poll-status');
  var say = function (text) { if (line) line.textContent = text; };
  var stopped = false;
  // The address may carry a one-time notice (?done=…): keep it out of reloads and history.
  if (location.search.indexOf('done=') >= 0) history.replaceState(null, '', url);
  function apply(html) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    doc.querySelectorAll('[data-part]').forEach(function (fresh) {
      var name = fresh.getAttribute('data-part');
      var current = document.querySelector('[data-part="' + name + '"]');
      if (!current || current.innerHTML === fresh.innerHTML) return;
      if (current.contains(document.activeElement) && document.activeElement !== document.body) return;
      // Output someone opened stays open across updates.
      var open = [];
      current.querySelectorAll('details[open][id]').forEach(function (d) { open.push(d.id); });
      current.innerHTML = fresh.innerHTML;
      open.forEach(function (id) {
        var d = document.getElementById(id);
        if (d) d.open = true;
      });
    });
    var next = doc.querySelector('[data-poll]');
    if (!next) {
      stopped = true;
      say('The release has ended: live updates stopped.');
    } else {
      say('Live: updated at ' + new Date().toLocaleTimeString() + '.');
    }
  }
  function tick() {
    fetch(url, { credentials: 'same-origin', headers: { accept: 'text/html' }, cache: 'no-store' })
      .then(function (res) {
        if (res.status === 401) {
          stopped = true;
          say('Signed out: reload the page to sign in again.');
          return undefined;
        }
        if (!res.ok) {
          say('Update failed (HTTP ' + res.status + '); retrying.');
          return undefined;
        }
        return res.text().then(apply);
      })
      .catch(function () { say('Update failed (no connection); retrying.'); })
      .then(function () { if (!stopped) setTimeout(tick, every); });
  }
  setTimeout(tick, every);
})();`;

/** The script's CSP source expression. */
export const CONSOLE_SCRIPT_HASH = `sha256-${createHash('sha256').update(CONSOLE_SCRIPT, 'utf8').digest('base64')}`;

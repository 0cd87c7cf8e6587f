import type { NotificationMessage } from './message';

/** Slack `mrkdwn` escaping: `&`, `<` and `>` are control characters there. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A Slack incoming-webhook message: `text` is the notification fallback, `blocks` the layout (a header,
 * the facts, the warnings, and link buttons for approval requests).
 */
export function slackPayload(m: NotificationMessage): Record<string, unknown> {
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: m.title.slice(0, 150) } },
    {
      type: 'section',
      fields: m.facts
        .slice(0, 10)
        .map(([name, value]) => ({ type: 'mrkdwn', text: `*${escape(name)}*\n${escape(value)}` })),
    },
    ...m.warnings.map((w) => ({ type: 'section', text: { type: 'mrkdwn', text: `:warning: ${escape(w)}` } })),
  ];
  if (m.actions.length > 0) {
    blocks.push({
      type: 'actions',
      elements: m.actions.map((a) => ({
        type: 'button',
        text: { type: 'plain_text', text: a.title },
        url: a.url,
        style: a.style === 'positive' ? 'primary' : 'danger',
      })),
    });
  }
  return { text: m.text, blocks };
}

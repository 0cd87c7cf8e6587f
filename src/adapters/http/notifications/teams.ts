import type { NotificationMessage } from './message';

/**
 * A Teams Workflows message ("Post to a channel when a webhook request is received"): an Adaptive Card
 * in a `message` attachment. Workflows accept Adaptive Cards only, not the retired connectors' MessageCard.
 */
export function teamsPayload(m: NotificationMessage): Record<string, unknown> {
  const body: Record<string, unknown>[] = [
    { type: 'TextBlock', text: m.title, weight: 'Bolder', size: 'Medium', wrap: true },
    { type: 'TextBlock', text: m.text, wrap: true },
    { type: 'FactSet', facts: m.facts.map(([title, value]) => ({ title, value })) },
    ...m.warnings.map((w) => ({ type: 'TextBlock', text: `⚠ ${w}`, color: 'Warning', wrap: true })),
  ];
  const card: Record<string, unknown> = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
    ...(m.actions.length > 0
      ? {
          actions: m.actions.map((a) => ({
            type: 'Action.OpenUrl',
            title: a.title,
            url: a.url,
            style: a.style,
          })),
        }
      : {}),
  };
  return {
    type: 'message',
    attachments: [
      { contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card },
    ],
  };
}

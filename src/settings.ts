/** Every app setting the code reads: the single list the README and the infra contract test use. */

/** One app setting: its name, whether it must be set, its default, and how to fill it. */
export interface SettingSpec {
  readonly name: string;
  readonly required: boolean;
  /** Default when unset, as shown to operators (may describe a derived value). */
  readonly default?: string;
  /** True for values that must live in Key Vault / never be logged. */
  readonly secret: boolean;
  /** True when the platform (App Service) sets it; infra does not configure it. */
  readonly platform?: boolean;
  readonly description: string;
  readonly example: string;
}

/** The app settings, in the order the README lists them. */
export const SETTINGS: readonly SettingSpec[] = Object.freeze([
  {
    name: 'RELEASE_TARGETS',
    required: true,
    secret: false,
    description:
      'JSON array of release targets: traffic provider (traffic.kind) and its resource, its two slots and their compute, artifact URL ' +
      'template, deploy, health, approval, bake, alert scope and filters. Validated once at first use; one error ' +
      'lists every bad or missing field.',
    example:
      '[{"name":"web-prod","traffic":{"kind":"trafficManager","profileId":"/subscriptions/<sub>/resourceGroups/' +
      'rg-web/providers/Microsoft.Network/trafficManagerProfiles/tm-web"},"slots":[{"name":"blue","compute":{"kind":"vmss","resourceId":"/subscriptions/' +
      '<sub>/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-blue"}},{"name":"green",' +
      '"compute":{"kind":"vmss","resourceId":"/subscriptions/<sub>/resourceGroups/rg-web/providers/Microsoft.Compute/' +
      'virtualMachineScaleSets/vmss-green"}}],"artifactUrlTemplate":"https://artifacts.example.com/web/{number}.zip",' +
      '"deploy":{"scriptKind":"linux"}}]',
  },
  {
    name: 'SERVICE_HOOK_SECRET',
    required: true,
    secret: true,
    description:
      'Password Azure DevOps sends with HTTP Basic authentication on the service hook (at least 16 characters); ' +
      'compared in constant time.',
    example: '@Microsoft.KeyVault(SecretUri=https://kv-release.vault.azure.net/secrets/service-hook-secret/)',
  },
  {
    name: 'APPROVAL_SIGNING_KEY',
    required: true,
    secret: true,
    description:
      'HMAC-SHA256 key that signs approval links (at least 32 characters). Rotating it voids open links.',
    example:
      '@Microsoft.KeyVault(SecretUri=https://kv-release.vault.azure.net/secrets/approval-signing-key/)',
  },
  {
    name: 'PUBLIC_BASE_URL',
    required: false,
    default: 'https://${WEBSITE_HOSTNAME} (required when WEBSITE_HOSTNAME is not set)',
    secret: false,
    description: 'Base URL of approval links and status URLs, as people reach the app.',
    example: 'https://func-release.azurewebsites.net',
  },
  {
    name: 'ARM_ENDPOINT',
    required: false,
    default: 'https://management.azure.com',
    secret: false,
    description: 'Azure Resource Manager endpoint (sovereign clouds, or the local ARM stand-in).',
    example: 'https://management.usgovcloudapi.net',
  },
  {
    name: 'ARM_SCOPE',
    required: false,
    default: '<ARM_ENDPOINT>/.default',
    secret: false,
    description: 'Token scope requested for ARM calls.',
    example: 'https://management.usgovcloudapi.net/.default',
  },
  {
    name: 'AZURE_CLIENT_ID',
    required: false,
    secret: false,
    description:
      'Client ID of the user-assigned managed identity to use; unset uses the system-assigned identity.',
    example: '00000000-0000-0000-0000-000000000000',
  },
  {
    name: 'NOTIFY_WEBHOOK_URL',
    required: false,
    secret: true,
    description:
      'Webhook that receives release notifications in the shape NOTIFY_KIND names; unset: they are only logged, ' +
      'and a warning says notifications are off.',
    example: 'https://contoso.webhook.office.com/webhookb2/...',
  },
  {
    name: 'NOTIFY_KIND',
    required: false,
    default: 'detected from NOTIFY_WEBHOOK_URL',
    secret: false,
    description:
      'What NOTIFY_WEBHOOK_URL expects: teams (a Teams Workflows webhook: an Adaptive Card), slack (a Slack ' +
      'incoming webhook: blocks) or json (the plain JSON body). Unset: hooks.slack.com is slack, Power ' +
      'Automate / Logic Apps URLs are teams, anything else json.',
    example: 'teams',
  },
  {
    name: 'CUTOVER_OBSERVER_URL',
    required: false,
    secret: false,
    description:
      'Where the app asks, after each swap and rollback, when clients actually reached the new slot ' +
      '(cutoverObservedMs in the timeline): GET <url>?target=&slot=&since=&until=. `npm start` points it at ' +
      'the local traffic generator. Unset: recorded as not measured (on Azure, an Application Insights reader ' +
      'could implement the same port; see docs/architecture.md).',
    example: 'http://127.0.0.1:7074/traffic/cutover',
  },
  {
    name: 'RETENTION_DAYS',
    required: false,
    default: '90',
    secret: false,
    description:
      'Days a finished release is kept (1-3650): a nightly purge removes older ones, never the last Succeeded ' +
      'release of a target nor the one a manual rollback would return to.',
    example: '180',
  },
  {
    name: 'WEBSITE_HOSTNAME',
    required: false,
    secret: false,
    platform: true,
    description:
      'Set by App Service to the app host name; the default of PUBLIC_BASE_URL is derived from it.',
    example: 'func-release.azurewebsites.net',
  },
  {
    name: 'WEBSITE_AUTH_ENABLED',
    required: false,
    default: 'unset (principal headers ignored)',
    secret: false,
    platform: true,
    description:
      'Set to True by App Service when App Service authentication is on; only then are the X-MS-CLIENT-PRINCIPAL* ' +
      'headers (which its front end strips from clients and sets for signed-in callers) read as the caller.',
    example: 'True',
  },
] satisfies SettingSpec[]);

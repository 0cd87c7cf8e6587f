/**
 * Built-in role definitions the template assigns, with their published permission lists (role definition JSON
 * as listed on learn.microsoft.com/azure/role-based-access-control/built-in-roles and in Azure's role catalog,
 * e.g. azure-rbac-catalog.org/roles/<id>). Ids are the same in every tenant.
 */
import type { RoleDefinition } from './template';

const BUILT_IN = 'https://learn.microsoft.com/azure/role-based-access-control/built-in-roles';

const role = (
  name: string,
  roleName: string,
  page: string,
  p: { actions?: string[]; notActions?: string[]; dataActions?: string[]; notDataActions?: string[] },
): RoleDefinition => ({
  name,
  roleName,
  source: `${BUILT_IN}/${page}`,
  permissions: [
    {
      actions: p.actions ?? [],
      notActions: p.notActions ?? [],
      dataActions: p.dataActions ?? [],
      notDataActions: p.notDataActions ?? [],
    },
  ],
});

/** The built-in roles, by role definition GUID. */
export const BUILT_IN_ROLES: RoleDefinition[] = [
  role('acdd72a7-3385-48ef-bd42-f606fba81ae7', 'Reader', 'general#reader', { actions: ['*/read'] }),
  role(
    'a4b10055-b0c7-44c2-b00f-c7b5b3550cf7',
    'Traffic Manager Contributor',
    'networking#traffic-manager-contributor',
    {
      actions: [
        'Microsoft.Authorization/*/read',
        'Microsoft.Insights/alertRules/*',
        'Microsoft.Network/trafficManagerProfiles/*',
        'Microsoft.ResourceHealth/availabilityStatuses/read',
        'Microsoft.Resources/deployments/*',
        'Microsoft.Resources/subscriptions/resourceGroups/read',
        'Microsoft.Support/*',
      ],
    },
  ),
  role('43d0d8ad-25c7-4714-9337-8ba259a9fe05', 'Monitoring Reader', 'monitor#monitoring-reader', {
    actions: ['*/read', 'Microsoft.OperationalInsights/workspaces/search/action', 'Microsoft.Support/*'],
  }),
  role(
    '3913510d-42f4-4e42-8a64-420c390055eb',
    'Monitoring Metrics Publisher',
    'monitor#monitoring-metrics-publisher',
    {
      actions: [
        'Microsoft.Insights/Register/Action',
        'Microsoft.Support/*',
        'Microsoft.Resources/subscriptions/resourceGroups/read',
      ],
      dataActions: ['Microsoft.Insights/Metrics/Write', 'Microsoft.Insights/Telemetry/Write'],
    },
  ),
  role('b7e6dc6d-f1e8-4753-8033-0f276bb0955b', 'Storage Blob Data Owner', 'storage#storage-blob-data-owner', {
    actions: [
      'Microsoft.Storage/storageAccounts/blobServices/containers/*',
      'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action',
    ],
    dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*'],
  }),
  role(
    'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
    'Storage Blob Data Contributor',
    'storage#storage-blob-data-contributor',
    {
      actions: [
        'Microsoft.Storage/storageAccounts/blobServices/containers/delete',
        'Microsoft.Storage/storageAccounts/blobServices/containers/read',
        'Microsoft.Storage/storageAccounts/blobServices/containers/write',
        'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action',
      ],
      dataActions: [
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete',
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write',
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action',
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action',
      ],
    },
  ),
  role(
    '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
    'Storage Blob Data Reader',
    'storage#storage-blob-data-reader',
    {
      actions: [
        'Microsoft.Storage/storageAccounts/blobServices/containers/read',
        'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action',
      ],
      dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'],
    },
  ),
  role(
    '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
    'Storage Queue Data Contributor',
    'storage#storage-queue-data-contributor',
    {
      actions: [
        'Microsoft.Storage/storageAccounts/queueServices/queues/delete',
        'Microsoft.Storage/storageAccounts/queueServices/queues/read',
        'Microsoft.Storage/storageAccounts/queueServices/queues/write',
      ],
      dataActions: [
        'Microsoft.Storage/storageAccounts/queueServices/queues/messages/delete',
        'Microsoft.Storage/storageAccounts/queueServices/queues/messages/read',
        'Microsoft.Storage/storageAccounts/queueServices/queues/messages/write',
        'Microsoft.Storage/storageAccounts/queueServices/queues/messages/process/action',
        'Microsoft.Storage/storageAccounts/queueServices/queues/messages/add/action',
      ],
    },
  ),
  role(
    '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
    'Storage Table Data Contributor',
    'storage#storage-table-data-contributor',
    {
      actions: [
        'Microsoft.Storage/storageAccounts/tableServices/tables/read',
        'Microsoft.Storage/storageAccounts/tableServices/tables/write',
        'Microsoft.Storage/storageAccounts/tableServices/tables/delete',
      ],
      dataActions: [
        'Microsoft.Storage/storageAccounts/tableServices/tables/entities/read',
        'Microsoft.Storage/storageAccounts/tableServices/tables/entities/write',
        'Microsoft.Storage/storageAccounts/tableServices/tables/entities/delete',
        'Microsoft.Storage/storageAccounts/tableServices/tables/entities/add/action',
        'Microsoft.Storage/storageAccounts/tableServices/tables/entities/update/action',
      ],
    },
  ),
  role('4633458b-17de-408a-b874-0445c86b69e6', 'Key Vault Secrets User', 'security#key-vault-secrets-user', {
    dataActions: [
      'Microsoft.KeyVault/vaults/secrets/getSecret/action',
      'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
    ],
  }),
  role(
    'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
    'Key Vault Secrets Officer',
    'security#key-vault-secrets-officer',
    {
      actions: [
        'Microsoft.Authorization/*/read',
        'Microsoft.Insights/alertRules/*',
        'Microsoft.Resources/deployments/*',
        'Microsoft.Resources/subscriptions/resourceGroups/read',
        'Microsoft.Support/*',
        'Microsoft.KeyVault/checkNameAvailability/read',
        'Microsoft.KeyVault/deletedVaults/read',
        'Microsoft.KeyVault/locations/*/read',
        'Microsoft.KeyVault/vaults/*/read',
        'Microsoft.KeyVault/operations/read',
      ],
      dataActions: ['Microsoft.KeyVault/vaults/secrets/*'],
    },
  ),
  role(
    '0ad04412-c4d5-4796-b79c-f76d14c8d402',
    'Durable Task Data Contributor',
    'integration#durable-task-data-contributor',
    {
      dataActions: ['Microsoft.DurableTask/*'],
    },
  ),
];

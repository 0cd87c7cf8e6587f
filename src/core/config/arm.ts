/** Shapes of the ARM resource IDs a target names; compared case-insensitively, as ARM does. */

const SEG = '[^/]+';
/** The start of every resource ID in a resource group (providers' schemas build theirs on it). */
export const RESOURCE_GROUP_ID = `^/subscriptions/${SEG}/resourceGroups/${SEG}`;
const RG = RESOURCE_GROUP_ID;

/** Resource ID patterns by kind. */
export const ArmIdPatterns = {
  scaleSet: new RegExp(`${RG}/providers/Microsoft\\.Compute/virtualMachineScaleSets/${SEG}$`, 'i'),
  virtualMachine: new RegExp(`${RG}/providers/Microsoft\\.Compute/virtualMachines/${SEG}$`, 'i'),
  resourceGroup: new RegExp(`${RG}$`, 'i'),
  /** Any scope an alert may target: a subscription, a resource group or a resource under it. */
  anyScope: new RegExp(`^/subscriptions/${SEG}(/${SEG})*$`, 'i'),
} as const;

/** Example of each shape, used in error messages. */
export const ArmIdExamples = {
  scaleSet:
    '/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachineScaleSets/<name>',
  virtualMachine:
    '/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachines/<name>',
  resourceGroup: '/subscriptions/<sub>/resourceGroups/<rg>',
  anyScope: '/subscriptions/<sub>[/resourceGroups/<rg>[/providers/...]]',
} as const;

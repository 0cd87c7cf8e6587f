/** Shapes of the ARM resource IDs a target names; compared case-insensitively, as ARM does. */

const SEG = '[^/]+';
const RG = `^/subscriptions/${SEG}/resourceGroups/${SEG}`;

/** Resource ID patterns by kind. */
export const ArmIdPatterns = {
  trafficManagerProfile: new RegExp(
    `${RG}/providers/Microsoft\\.Network/trafficManagerProfiles/${SEG}$`,
    'i',
  ),
  frontDoorOriginGroup: new RegExp(
    `${RG}/providers/Microsoft\\.Cdn/profiles/${SEG}/originGroups/${SEG}$`,
    'i',
  ),
  scaleSet: new RegExp(`${RG}/providers/Microsoft\\.Compute/virtualMachineScaleSets/${SEG}$`, 'i'),
  virtualMachine: new RegExp(`${RG}/providers/Microsoft\\.Compute/virtualMachines/${SEG}$`, 'i'),
  resourceGroup: new RegExp(`${RG}$`, 'i'),
  /** Any scope an alert may target: a subscription, a resource group or a resource under it. */
  anyScope: new RegExp(`^/subscriptions/${SEG}(/${SEG})*$`, 'i'),
} as const;

/** Example of each shape, used in error messages. */
export const ArmIdExamples = {
  trafficManagerProfile:
    '/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Network/trafficManagerProfiles/<name>',
  frontDoorOriginGroup:
    '/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Cdn/profiles/<profile>/originGroups/<name>',
  scaleSet:
    '/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachineScaleSets/<name>',
  virtualMachine:
    '/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachines/<name>',
  resourceGroup: '/subscriptions/<sub>/resourceGroups/<rg>',
  anyScope: '/subscriptions/<sub>[/resourceGroups/<rg>[/providers/...]]',
} as const;

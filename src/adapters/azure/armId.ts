/** Parsing of the ARM resource IDs the adapters receive (segments compared case-insensitively, as ARM does). */

/** The parts of an ARM resource ID the adapters need. */
export interface ParsedArmId {
  subscriptionId: string;
  resourceGroup: string;
  /** Type/name pairs after the provider, e.g. [['virtualMachineScaleSets','vmss'],['virtualMachines','0']]. */
  path: [string, string][];
  provider: string;
}

/** Parses `/subscriptions/{s}/resourceGroups/{rg}[/providers/{ns}/{type}/{name}[/{type}/{name}...]]`. */
export function parseArmId(id: string): ParsedArmId {
  const seg = id.split('/').filter((s) => s.length > 0);
  const bad = (): Error =>
    new Error(
      `'${id}' is not an ARM resource ID (/subscriptions/<sub>/resourceGroups/<rg>/providers/<ns>/<type>/<name>)`,
    );
  if (
    seg[0]?.toLowerCase() !== 'subscriptions' ||
    !seg[1] ||
    seg[2]?.toLowerCase() !== 'resourcegroups' ||
    !seg[3]
  ) {
    throw bad();
  }
  const result: ParsedArmId = { subscriptionId: seg[1], resourceGroup: seg[3], provider: '', path: [] };
  if (seg.length === 4) return result;
  if (seg[4]?.toLowerCase() !== 'providers' || !seg[5] || (seg.length - 6) % 2 !== 0 || seg.length < 8)
    throw bad();
  result.provider = seg[5];
  for (let i = 6; i < seg.length; i += 2) result.path.push([seg[i] as string, seg[i + 1] as string]);
  return result;
}

/** Parses an ID and checks its provider and resource types (case-insensitive). */
export function expectArmId(id: string, provider: string, types: string[]): ParsedArmId {
  const parsed = parseArmId(id);
  const ok =
    parsed.provider.toLowerCase() === provider.toLowerCase() &&
    parsed.path.length === types.length &&
    parsed.path.every(([t], i) => t.toLowerCase() === types[i]?.toLowerCase());
  if (!ok) throw new Error(`'${id}' is not a ${provider}/${types.join('/')} resource ID`);
  return parsed;
}

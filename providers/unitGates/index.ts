import * as pulumi from "@pulumi/pulumi";
import { GatedArgs, RemoteScript, remoteResource, TargetArgs } from "../kernel";
import { GatedInputs, GatedOutputs } from "../gates";
import { Target } from "../remote";

export interface UnitGatesInputs extends Target, GatedInputs {}
export type UnitGatesOutputs = UnitGatesInputs & GatedOutputs;

/**
 * A unit's first gates on their own: they guard the Neutron rule too, which no call to the unit can
 * share, so they cost the one round trip that runs them and change nothing.
 */
export const UNIT_GATES: RemoteScript<UnitGatesInputs, UnitGatesOutputs> = {
  replaceKeys: [],
  applyKeys: [],
  recordKeys: [],
  deleteBeforeReplace: false,
  tracksChanges: false,
  checkProperty: "gates",
  validate: () => undefined,
  id: (i) => `${i.unit}:gates`,
  drifted: () => false,
  apply: () => ({ step: "preflight", body: ":", timeoutSeconds: 120 }),
  measure: () => ({ step: "preflight", body: ":", timeoutSeconds: 120 }),
  remove: () => undefined,
  live: () => ({}),
};

export type UnitGatesArgs = TargetArgs & GatedArgs;

/** Read-only gates that run before anything of the unit's graft changes, on the unit or in Neutron. */
export class UnitGates extends remoteResource<UnitGatesArgs, UnitGatesInputs, UnitGatesOutputs>(
  "UnitGates",
  UNIT_GATES,
  ["gatesSeen", "gatesHeld"],
) {
  declare readonly gatesSeen: pulumi.Output<string>;
}

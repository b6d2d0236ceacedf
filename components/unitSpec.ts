import * as pulumi from "@pulumi/pulumi";
import { DestroyMode } from "../core/destroyMode";
import { TransportSpec } from "../core/transportSpec";

/** One conductor as every stage of its graft sees it: built once per unit by ConductorGraft. */
export interface UnitSpec {
  readonly transport: TransportSpec;
  /** The juju unit, e.g. magnum/0. */
  readonly unit: string;
  /** Its public address, as conductors[] gives it and juju status must show it. */
  readonly address: string;
  readonly destroyMode: DestroyMode;
  /** The unit's desired graft, digested: a change reruns every gate before anything else changes. */
  readonly guards: string;
}

/** Where a unit's remote resources run. */
export function targetOf(u: UnitSpec): { transport: TransportSpec; unit: string } {
  return { transport: u.transport, unit: u.unit };
}

/** What the gates of several steps saw, in order ("" for a step whose state predates its gates). */
export function seenBy(steps: pulumi.Output<string | undefined>[]): pulumi.Output<string> {
  return pulumi.all(steps).apply((seen) => seen.filter((x) => x).join("; "));
}

import { gateError } from "../errors";
import { Connect } from "../remote";
import { TransportSpec } from "../../core/transportSpec";
import { gateKind } from "./kinds";
import { GateSpec } from "./types";
import { gateSubshell } from "./subshell";
import { unitAgentGate } from "./unitAgent";

export { AuthProof, AuthRule, ChartIndexCheck, GatedInputs, GatedOutputs, GateSpec } from "./types";

/** Each gate's own validation, before anything runs. */
export function validateGates(gates: readonly GateSpec[]): void {
  for (const g of gates) gateKind(g).validate(g);
}

/**
 * The gates as one script fragment that runs before the step they guard. Each runs in a subshell of
 * its own, so its variables and traps stay its own; a failure there ends the whole script with exit 3
 * and names the gate (`fail.step`), and what each gate saw is reported as `gate.<kind>`. The unit
 * check (`checkUnit`) comes first.
 */
export function gatesScript(gates: readonly GateSpec[], unitGuard: string): string {
  const each = gates.map((g) => gateSubshell(gateKind(g).step(g), g.kind, gateKind(g).script(g)));
  return [unitGuard, ...each].filter((s) => s !== "").join("\n");
}

/**
 * The gates as a refresh runs them before measuring the step: a gate that fails is reported
 * (`gates.held=0` and its `fail.*`), not fatal, so the step is still measured.
 */
export function gatesMeasured(gates: readonly GateSpec[], unitGuard: string): string {
  if (gates.length === 0) return "";
  // errexit is off for a subshell that is a condition: run it as a plain command with its own -e.
  return `set +e
(
set -e
${gatesScript(gates, unitGuard)}
)
held=$?
set -e
case $held in 0) emit gates.held 1 ;; 3) emit gates.held 0 ;; *) exit $held ;; esac`;
}

/** What a refresh records of a step's gates: whether they held and what they saw. */
export function gateFindings(
  gates: readonly GateSpec[],
  results: Record<string, string>,
  unitFinding: string | undefined,
): { gatesHeld: string; gatesSeen: string } {
  if (unitFinding !== undefined) return { gatesHeld: "0", gatesSeen: unitFinding };
  if (results["gates.held"] === "1") return { gatesHeld: "1", gatesSeen: gatesSeen(gates, results) };
  return {
    gatesHeld: "0",
    gatesSeen: `${results["fail.step"] ?? "a gate"}: expected ${results["fail.expected"] ?? "?"}; saw ${results["fail.seen"] ?? "?"}`,
  };
}

/** What the gates saw, as a script reported it, in the order they ran. */
export function gatesSeen(gates: readonly GateSpec[], results: Record<string, string>): string {
  return gates.map((g) => `${gateKind(g).step(g)}: ${results[`gate.${g.kind}`] ?? "?"}`).join("; ");
}

/**
 * The unit a preflight gate runs on must be the one conductors[] names, so a wrong entry changes
 * nothing. juju and jumphost ask juju status before the script (and return ""); `direct` cannot ask
 * the controller, so it returns a check that runs first in the step's own script (no extra round
 * trip): the machine it reached must host the unit's juju agent.
 */
export async function checkUnit(
  connect: Connect,
  target: { readonly transport: TransportSpec; readonly unit: string },
  gates: readonly GateSpec[],
): Promise<string> {
  const preflight = gates.find((g) => g.kind === "preflight");
  if (!preflight) return "";
  const transport = connect(target.transport);
  if (!transport.describeUnit) return unitAgentGate(target.unit, preflight.address);
  let info;
  try {
    info = await transport.describeUnit(target.unit, 60_000);
  } catch (e) {
    throw new Error(
      `preflight on ${target.unit}: ${(e as Error).message}. Nothing was changed; run pulumi up again.`,
    );
  }
  if (!info) {
    throw gateError(
      `preflight on ${target.unit}: expected the unit in the model; saw no such unit in juju status`,
    );
  }
  if (info.address !== preflight.address) {
    throw gateError(
      `preflight on ${target.unit}: expected public-address ${preflight.address} (conductors[].address); ` +
        `saw ${info.address || "none"} in juju status. Fix the conductors entry, then run pulumi up.`,
    );
  }
  return "";
}

import { shq } from "../../core/shell";
import { gateSubshell } from "./subshell";

/**
 * `direct` reaches a machine by address and cannot ask juju which unit lives there; what the machine
 * can show is the agent juju installed for each unit on it (/var/lib/juju/agents/unit-<app>-<n>).
 * Runs first in the step's own script, as the preflight: a wrong conductors entry changes nothing.
 */
export function unitAgentGate(unit: string, address: string): string {
  const agent = `unit-${unit.replace("/", "-")}`;
  const expected = `the juju agent ${agent} on the machine at ${address} (conductors[].address)`;
  return gateSubshell(
    "preflight",
    "unit",
    `want=${shq(agent)}
agents=$(ls -1 /var/lib/juju/agents 2>/dev/null | tr '\\n' ' ' || true)
case " $agents" in *" $want "*) ;; *) gate ${shq(expected)} "agents: \${agents:-none}" ;; esac`,
  );
}

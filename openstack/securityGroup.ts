import * as command from "@pulumi/command";
import * as openstack from "@pulumi/openstack";
import { ruleListCommand, ruleShowCommand } from "./cli";
import { isCandidate, RuleRow } from "./ingressRules";

export interface SecurityGroupView {
  readonly id: string;
  readonly ingressRules: RuleRow[];
}

/**
 * Finds the security group natively in the scoped project and lists its ingress rules with the CLI.
 * Both are reads that run on preview too, so the graph can decide adopt-or-create before it exists.
 */
export async function lookupSecurityGroup(
  provider: openstack.Provider,
  projectId: string,
  name: string,
  port: number,
): Promise<SecurityGroupView> {
  const sg = await openstack.networking.getSecGroup({ name, tenantId: projectId }, { provider });
  const listed = await command.local.run({
    command: ruleListCommand(projectId, sg.id),
    interpreter: ["/bin/bash", "-c"],
  });
  let rows: unknown;
  try {
    rows = JSON.parse(listed.stdout);
  } catch {
    throw new Error(
      `security group ${name} (${sg.id}): expected a JSON rule list from the openstack CLI; saw ${listed.stdout.slice(0, 200)}`,
    );
  }
  if (!Array.isArray(rows)) throw new Error(`security group ${name}: expected a JSON array of rules`);
  const candidates = (rows as RuleRow[]).filter((r) => isCandidate(r, port)).map((r) => r.ID);
  const shown =
    candidates.length === 0
      ? []
      : parseJson(
          (
            await command.local.run({
              command: ruleShowCommand(projectId, candidates),
              interpreter: ["/bin/bash", "-c"],
            })
          ).stdout,
          `rules ${candidates.join(", ")}`,
        );
  const descriptions = new Map(
    (shown as { id: string; description?: string }[]).map((r) => [r.id, r.description ?? ""]),
  );
  return {
    id: sg.id,
    ingressRules: (rows as RuleRow[]).map((r) => ({ ...r, Description: descriptions.get(r.ID) })),
  };
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what}: expected JSON from the openstack CLI; saw ${text.slice(0, 200)}`);
  }
}

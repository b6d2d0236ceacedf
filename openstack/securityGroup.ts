import * as command from "@pulumi/command";
import * as openstack from "@pulumi/openstack";
import { ruleListCommand } from "./cli";
import { RuleRow } from "./ingressRules";

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
  return { id: sg.id, ingressRules: rows as RuleRow[] };
}

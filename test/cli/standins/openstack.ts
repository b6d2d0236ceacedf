import { createRule, deleteRule, getSecGroup, showRule } from "../../sim/natives";
import { changedKeys, serve, urnType } from "./serve";

// Stand-in for pulumi-openstack 3.15.2 (refused by the Go module proxy here): the SecGroupRule
// lifecycle and the getSecGroup lookup the program uses, through the real openstack CLI against
// the stub Keystone/Neutron. Like the real (terraform-bridged) rule, every input forces a
// replacement and Neutron's 409 on an identical rule fails the create.

const RULE = "openstack:networking/secGroupRule:SecGroupRule";
const RULE_INPUTS = [
  "direction",
  "ethertype",
  "protocol",
  "portRangeMin",
  "portRangeMax",
  "remoteIpPrefix",
  "securityGroupId",
  "tenantId",
  "description",
];

let tenantId = "";

/** A rule as the provider's state holds it: Neutron's fields under the SDK's names. */
async function readRule(projectId: string, id: string): Promise<Record<string, unknown>> {
  const r = await showRule(projectId, id);
  return {
    id,
    direction: r.direction,
    ethertype: r.ether_type,
    protocol: r.protocol,
    portRangeMin: r.port_range_min,
    portRangeMax: r.port_range_max,
    remoteIpPrefix: r.remote_ip_prefix,
    securityGroupId: r.security_group_id,
    tenantId: r.project_id,
    description: r.description,
  };
}

serve({
  version: "3.15.2",
  configure(config) {
    tenantId = config.tenantId ?? "";
  },
  async diff(_id, _urn, olds, news) {
    const replaces = changedKeys(olds, news, RULE_INPUTS);
    return { changes: replaces.length > 0, replaces };
  },
  async create(urn, inputs) {
    if (urnType(urn) !== RULE) throw new Error(`unknown resource type ${urnType(urn)}`);
    const id = await createRule(String(inputs.tenantId || tenantId), inputs);
    return { id, outs: await readRule(String(inputs.tenantId || tenantId), id) };
  },
  async read(id, _urn, props) {
    const state = await readRule(String(props?.tenantId || tenantId), id);
    const { id: _, ...inputs } = state;
    return { id, props: state, inputs };
  },
  async delete(id, _urn, props) {
    await deleteRule(String(props.tenantId || tenantId), id);
  },
  async invoke(token, inputs) {
    if (token !== "openstack:networking/getSecGroup:getSecGroup")
      throw new Error(`unknown function ${token}`);
    return { outputs: await getSecGroup(String(inputs.tenantId || tenantId), String(inputs.name)) };
  },
});

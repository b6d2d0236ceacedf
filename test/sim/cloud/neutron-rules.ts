import * as net from "net";
import { RuleSpec } from "./types";

export type NormalRule = Required<Omit<RuleSpec, "description">> & { description: string };

export class RuleError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

function prefixFamily(prefix: string): "IPv4" | "IPv6" {
  const addr = prefix.split("/")[0];
  if (net.isIPv4(addr)) return "IPv4";
  if (net.isIPv6(addr)) return "IPv6";
  throw new RuleError(
    400,
    "InvalidInput",
    `Invalid input for remote_ip_prefix. Reason: '${prefix}' is not a valid IP subnet.`,
  );
}

/** Neutron always stores the netmask, so a bare address becomes a host route. */
function withMask(prefix: string): string {
  if (prefix.includes("/")) return prefix;
  return `${prefix}/${prefixFamily(prefix) === "IPv4" ? 32 : 128}`;
}

function port(v: unknown): number | null {
  if (v === undefined || v === null || v === "") return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new RuleError(400, "InvalidInput", `Invalid value for port ${String(v)}.`);
  }
  return n;
}

/** The canonical form Neutron stores, validated as Neutron does (the 400s the driver could hit). */
export function normalizeRule(spec: Partial<RuleSpec>): NormalRule {
  if (spec.direction !== "ingress" && spec.direction !== "egress") {
    throw new RuleError(
      400,
      "InvalidInput",
      `Invalid input for direction. Reason: '${spec.direction}' is not in ['ingress', 'egress'].`,
    );
  }
  const ethertype = spec.ethertype ?? "IPv4";
  if (ethertype !== "IPv4" && ethertype !== "IPv6") {
    throw new RuleError(
      400,
      "SecurityGroupRuleInvalidEtherType",
      `Security group rule for ethertype '${ethertype}' not supported. Allowed values are ['IPv4', 'IPv6'].`,
    );
  }
  const protocol =
    spec.protocol === undefined || spec.protocol === null ? null : String(spec.protocol).toLowerCase();
  let min = port(spec.port_range_min);
  let max = port(spec.port_range_max);
  if (min !== null || max !== null) {
    if (protocol === null) {
      throw new RuleError(
        400,
        "SecurityGroupProtocolRequiredWithPorts",
        "Must also specify protocol if port range is given.",
      );
    }
    min ??= max;
    max ??= min;
    if ((min as number) > (max as number)) {
      throw new RuleError(
        400,
        "SecurityGroupInvalidPortRange",
        "For TCP/UDP protocols, port_range_min must be <= port_range_max",
      );
    }
  }
  const prefix = spec.remote_ip_prefix ? withMask(spec.remote_ip_prefix) : null;
  const group = spec.remote_group_id ?? null;
  if (prefix && group) {
    throw new RuleError(
      400,
      "SecurityGroupRemoteGroupAndRemoteIpPrefix",
      "Only remote_ip_prefix or remote_group_id may be provided.",
    );
  }
  if (prefix && prefixFamily(prefix) !== ethertype) {
    throw new RuleError(
      400,
      "SecurityGroupRuleParameterConflict",
      `Conflicting value ethertype ${ethertype} for CIDR ${prefix}`,
    );
  }
  return {
    direction: spec.direction,
    ethertype,
    protocol,
    port_range_min: min,
    port_range_max: max,
    remote_ip_prefix: prefix,
    remote_group_id: group,
    description: spec.description ?? "",
  };
}

/** Neutron's duplicate identity: everything but the description (and the id). */
export function sameRule(
  a: NormalRule & { security_group_id: string },
  b: NormalRule & { security_group_id: string },
): boolean {
  const keys = [
    "security_group_id",
    "direction",
    "ethertype",
    "protocol",
    "port_range_min",
    "port_range_max",
    "remote_ip_prefix",
    "remote_group_id",
  ] as const;
  return keys.every((k) => a[k] === b[k]);
}

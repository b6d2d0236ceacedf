// Decides, from the rules Neutron already has, whether a conductor's /32 rule must be created or
// can be adopted, and which wider rules also admit it (those are what an operator tightens later).

/** A row of `openstack security group rule list --ingress -f json`. */
export interface RuleRow {
  readonly ID: string;
  readonly "IP Protocol": string | null;
  readonly Ethertype: string;
  readonly "IP Range": string | null;
  readonly "Port Range": string;
  readonly "Remote Security Group"?: string | null;
  /** Not in the list output: filled in from `rule show` for the candidates that could be ours. */
  readonly Description?: string;
}

export interface RuleDecision {
  /** Id of an identical ingress tcp/<port> rule from <address>/32, when one exists. */
  readonly existingId: string | undefined;
  /** The identical rule carries the graft's own description: it is ours to manage (and delete). */
  readonly ours: boolean;
  /** Other rules that also admit the address to the port. */
  readonly widerRules: string[];
}

export function ruleDescription(unit: string): string {
  return `magnum-capi-graft: ${unit} to the management apiserver`;
}

/** Identical /32 candidates: the rows whose description decides adopt-or-manage. */
export function isCandidate(r: RuleRow, port: number): boolean {
  return (
    r["IP Protocol"] === "tcp" &&
    (r["IP Range"] ?? "").endsWith("/32") &&
    r["Port Range"] === `${port}:${port}`
  );
}

export function decideRule(
  rows: readonly RuleRow[],
  unit: string,
  address: string,
  port: number,
): RuleDecision {
  const tcp = rows.filter(
    (r) => r.Ethertype === "IPv4" && (r["IP Protocol"] === "tcp" || r["IP Protocol"] === null),
  );
  const covers = (r: RuleRow) => portCovers(r["Port Range"], port) && !r["Remote Security Group"];
  const identical = tcp.find(
    (r) =>
      r["IP Protocol"] === "tcp" &&
      r["IP Range"] === `${address}/32` &&
      r["Port Range"] === `${port}:${port}` &&
      !r["Remote Security Group"],
  );
  const wider = tcp.filter(
    (r) => r !== identical && covers(r) && cidrContains(r["IP Range"] ?? "0.0.0.0/0", address),
  );
  return {
    existingId: identical?.ID,
    ours: identical?.Description === ruleDescription(unit),
    widerRules: wider.map((r) => `${r.ID} (${r["IP Range"] ?? "any"} ${r["Port Range"] || "any port"})`),
  };
}

function portCovers(range: string, port: number): boolean {
  if (range === "" || range === "any") return true;
  const [lo, hi] = range.split(":").map(Number);
  return lo <= port && port <= (hi ?? lo);
}

function cidrContains(cidr: string, address: string): boolean {
  const [net, bitsText] = cidr.split("/");
  const bits = Number(bitsText ?? 32);
  const toInt = (ip: string) => ip.split(".").reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(net) || !(bits >= 0 && bits <= 32)) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (toInt(net) & mask) === (toInt(address) & mask);
}

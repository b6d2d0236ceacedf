import * as pulumi from "@pulumi/pulumi";
import { ChartIndexCheck, chartIndexScript, validateChartIndex } from "./chartIndex";
import { changedKeys, checkInputs } from "./diffing";
import { Connect, defaultConnect, gateError, isGateError, runScript, Target } from "./remote";
import { isHttpUrl, mustMatch, PATTERNS, redactUrls, shq } from "./transport/shell";
import { TransportSpec } from "./transport/transport";

/** The read-only gates of the runbook. Each reruns when its inputs change and is re-measured on refresh. */
export type CheckSpec =
  | { readonly kind: "preflight"; readonly address: string; readonly magnumConf: string }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "egress"; readonly urls: string[] }
  | {
      readonly kind: "helmAuth";
      readonly kubeconfigPath: string;
      readonly service: string;
      readonly expectedReleases: string[];
    }
  | ChartIndexCheck;

export interface RemoteCheckInputs extends Target {
  readonly check: CheckSpec;
  /** Anything whose change must rerun the gate (the desired state it guards). */
  readonly guards: string;
}

export interface RemoteCheckOutputs extends RemoteCheckInputs {
  /** "1" when the gate held at the last look. */
  readonly passed: string;
  /** What the gate saw, for the outputs and for the next failure message. */
  readonly seen: string;
}

function validate(i: RemoteCheckInputs): void {
  mustMatch("unit", i.unit, PATTERNS.unit, "a unit name like magnum/0");
  const c = i.check;
  switch (c.kind) {
    case "preflight":
      mustMatch("address", c.address, PATTERNS.ipv4, "an IPv4 address");
      mustMatch("magnumConf", c.magnumConf, PATTERNS.absPath, "an absolute path");
      return;
    case "tcp":
      if (!PATTERNS.ipv4.test(c.host))
        mustMatch("host", c.host, PATTERNS.dnsName, "an IPv4 address or DNS name");
      if (!Number.isInteger(c.port) || c.port < 1 || c.port > 65535)
        throw new Error(`port: expected 1-65535`);
      return;
    case "egress":
      for (const u of c.urls)
        if (!isHttpUrl(u))
          throw new Error(`egress URL: expected http(s) without credentials, got ${redactUrls(u)}`);
      return;
    case "helmAuth":
      mustMatch("kubeconfigPath", c.kubeconfigPath, PATTERNS.absPath, "an absolute path");
      mustMatch("service", c.service, PATTERNS.serviceName, "a service name");
      for (const r of c.expectedReleases)
        mustMatch("release", r, PATTERNS.releaseName, "a helm release name");
      return;
    case "chartIndex":
      return validateChartIndex(c);
  }
}

function stepName(c: CheckSpec): string {
  switch (c.kind) {
    case "preflight":
      return "preflight";
    case "tcp":
      return `TCP gate to ${c.host}:${c.port}`;
    case "egress":
      return "egress check";
    case "helmAuth":
      return "auth proof (helm list -A)";
    case "chartIndex":
      return `chart index check (${c.chart} ${c.version})`;
  }
}

/** Prints which form each [trust] key takes and whether the password is set; never a value. */
const TRUST = String.raw`conf=$1
[ -f "$conf" ] || gate "$conf on the unit" "no such file"
read -r dom adm pw < <(awk '
  /^[ \t]*\[/ { sec = $0; gsub(/[ \t\[\]]/, "", sec); next }
  sec == "trust" && index($0, "=") > 0 {
    k = substr($0, 1, index($0, "=") - 1); gsub(/[ \t]/, "", k)
    v = substr($0, index($0, "=") + 1); gsub(/^[ \t]+|[ \t]+$/, "", v)
    if (v != "") set[k] = 1
  }
  END {
    d = ("trustee_domain_id" in set) ? "id" : (("trustee_domain_name" in set) ? "name" : "-")
    a = ("trustee_domain_admin_id" in set) ? "id" : (("trustee_domain_admin_name" in set) ? "name" : "-")
    print d, a, (("trustee_domain_admin_password" in set) ? "set" : "empty")
  }' "$conf")
[ "$dom" != - ] || gate "[trust] trustee_domain_id or trustee_domain_name in $conf" "neither is set"
[ "$adm" != - ] || gate "[trust] trustee_domain_admin_id or trustee_domain_admin_name in $conf" "neither is set"
[ "$pw" = set ] || gate "[trust] trustee_domain_admin_password set in $conf" "it is empty or missing"
emit seen "trust domain by $dom, admin by $adm, password set"`;

function script(c: CheckSpec): string {
  switch (c.kind) {
    case "preflight":
      return `set -- ${shq(c.magnumConf)}\n${TRUST}`;
    case "tcp":
      return `host=${shq(c.host)}; port=${c.port}
if timeout 6 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null; then
  emit seen "TCP-OK $host:$port"
else
  gate "TCP-OK to $host:$port" "TCP-FAIL (is tcp/$port open to this unit's address in the security group?)"
fi`;
    case "egress":
      return `seen=""; bad=0
for u in ${c.urls.map(shq).join(" ")}; do
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 15 -- "$u" || true)
  seen="$seen $u:\${code:-000}"
  case "$code" in [1234]??) ;; *) bad=1 ;; esac
done
[ $bad = 0 ] || gate "an HTTP answer from every egress URL" "\${seen# }"
emit seen "\${seen# }"`;
    case "helmAuth":
      return `svc=${shq(c.service)}; kc=${shq(c.kubeconfigPath)}
user=$(systemctl show "$svc" -p User --value 2>/dev/null || true)
[ -n "$user" ] || gate "a User= on $svc" "none reported by systemctl show"
home=$(mktemp -d); chown -- "$user" "$home"; trap 'rm -rf -- "$home"' EXIT
if ! out=$(cd / && timeout 60 sudo -u "$user" env HOME="$home" helm --kubeconfig "$kc" list -A 2>&1); then
  gate "helm list -A as $user with $kc to succeed" "$(printf '%s' "$out" | tail -n 2 | tr '\\n' ' ')"
fi
names=$(printf '%s\\n' "$out" | awk 'NR > 1 && NF { print $1 }' | sort | tr '\\n' ' ')
[ -n "$names" ] || gate "a populated release list" "no releases (reach and auth worked, but the cluster shows nothing)"
for r in ${c.expectedReleases.map(shq).join(" ")}; do
  case " $names" in *" $r "*) ;; *) gate "release $r in helm list -A" "\${names% }" ;; esac
done
emit seen "releases: \${names% }"`;
    case "chartIndex":
      return chartIndexScript(c);
  }
}

export class RemoteCheckProvider implements pulumi.dynamic.ResourceProvider {
  constructor(private readonly connect: Connect = defaultConnect) {}

  async check(_olds: RemoteCheckInputs, news: RemoteCheckInputs): Promise<pulumi.dynamic.CheckResult> {
    return checkInputs(news, validate, "check");
  }

  async diff(
    _id: string,
    olds: RemoteCheckOutputs,
    news: RemoteCheckInputs,
  ): Promise<pulumi.dynamic.DiffResult> {
    const replaces = changedKeys(olds, news, ["unit", "transport"]);
    const changed = changedKeys(olds, news, ["check", "guards"]);
    return { changes: replaces.length > 0 || changed.length > 0 || olds.passed !== "1", replaces };
  }

  async create(inputs: RemoteCheckInputs): Promise<pulumi.dynamic.CreateResult> {
    validate(inputs);
    return { id: `${inputs.unit}:${inputs.check.kind}`, outs: { ...inputs, ...(await this.run(inputs)) } };
  }

  async update(
    _id: string,
    _olds: RemoteCheckOutputs,
    news: RemoteCheckInputs,
  ): Promise<pulumi.dynamic.UpdateResult> {
    validate(news);
    return { outs: { ...news, ...(await this.run(news)) } };
  }

  /** A gate that no longer holds is recorded, not thrown: refresh reports it and the next up reruns it. */
  async read(id: string, props: RemoteCheckOutputs): Promise<pulumi.dynamic.ReadResult> {
    try {
      return { id, props: { ...props, ...(await this.run(props)) } };
    } catch (e) {
      if (!isGateError(e)) throw e;
      return { id, props: { ...props, passed: "0", seen: (e as Error).message } };
    }
  }

  private async run(i: RemoteCheckInputs): Promise<{ passed: string; seen: string }> {
    const step = stepName(i.check);
    if (i.check.kind === "preflight") await this.checkUnit(i, i.check.address);
    const r = await runScript(this.connect, i, step, script(i.check), { timeoutSeconds: 120 });
    return { passed: "1", seen: r.seen ?? "" };
  }

  private async checkUnit(i: RemoteCheckInputs, address: string): Promise<void> {
    let info;
    try {
      info = await this.connect(i.transport).describeUnit(i.unit, 60_000);
    } catch (e) {
      throw new Error(
        `preflight on ${i.unit}: ${(e as Error).message}. Nothing was changed; run pulumi up again.`,
      );
    }
    if (!info) {
      throw gateError(
        `preflight on ${i.unit}: expected the unit in the model; saw no such unit in juju status`,
      );
    }
    if (info.address !== address) {
      throw gateError(
        `preflight on ${i.unit}: expected public-address ${address} (conductors[].address); ` +
          `saw ${info.address || "none"} in juju status. Fix the conductors entry, then run pulumi up.`,
      );
    }
  }
}

export interface RemoteCheckArgs {
  readonly transport: pulumi.Input<TransportSpec>;
  readonly unit: pulumi.Input<string>;
  readonly check: pulumi.Input<CheckSpec>;
  readonly guards: pulumi.Input<string>;
}

/** A read-only GATE run on the unit; nothing after it starts until it holds. */
export class RemoteCheck extends pulumi.dynamic.Resource {
  declare readonly seen: pulumi.Output<string>;

  constructor(name: string, args: RemoteCheckArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      new RemoteCheckProvider(),
      name,
      { ...args, passed: undefined, seen: undefined },
      opts,
      "magnum-capi-graft",
      "RemoteCheck",
    );
  }
}

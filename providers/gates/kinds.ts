import { isHttpUrl, mustMatch, PATTERNS, redactUrls, shq } from "../../core/shell";
import { AUTH_PROBE } from "./authProbe";
import { chartIndexScript, chartIndexStep, validateChartIndex } from "./chartIndex";
import { IDENTITY_CA } from "./identityCa";
import { PYTHON_FLOOR_PATTERN } from "../../core/pythonFloor";
import { GateSpec } from "./types";

/**
 * The driver's Requires-Python against the unit's python3, before the unit's first change: a unit too old
 * for the driver is refused before anything touches it (the pip step checks it again).
 */
function pythonFloorCheck(floor: string, driver: string): string {
  return floor === "" ? "" : `python_floor ${shq(floor)} ${shq(driver)}`;
}

/** What one kind of gate is: its step name, its own validation and its script. */
export interface GateKind<C extends GateSpec> {
  step(c: C): string;
  validate(c: C): void;
  script(c: C): string;
}

/** Reads which form each [trust] key takes and whether the password is set (never a value) into $dom $adm. */
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
[ "$pw" = set ] || gate "[trust] trustee_domain_admin_password set in $conf" "it is empty or missing"`;

/** helm as the service user, across all namespaces (admin): a populated list holding the expected releases. */
function allReleases(expected: readonly string[]): string {
  return `if ! out=$(as_user helm --kubeconfig "$kc" list -A); then
  gate "helm list -A as $user with $kc to succeed" "$(last "$out")"
fi
names=$(printf '%s\\n' "$out" | awk 'NR > 1 && NF { print $1 }' | sort | tr '\\n' ' ')
[ -n "$names" ] || gate "a populated release list" "no releases (reach and auth worked, but the cluster shows nothing)"
for r in ${expected.map(shq).join(" ")}; do
  case " $names" in *" $r "*) ;; *) gate "release $r in helm list -A" "\${names% }" ;; esac
done
emit seen "rights: \${probe#held } held; releases: \${names% }"`;
}

/** helm as the service user in each project namespace (a scoped account lists nothing wider). */
function projectReleases(namespaces: readonly string[]): string {
  return `seen=""
for ns in ${namespaces.map(shq).join(" ")}; do
  out=$(as_user helm --kubeconfig "$kc" list -n "$ns") || gate "helm list -n $ns as $user with $kc to succeed" "$(last "$out")"
  seen="$seen $ns:$(printf '%s\\n' "$out" | awk 'NR > 1 && NF' | wc -l)"
done
emit seen "rights: \${probe#held } held; releases per project namespace:\${seen:- none configured}"`;
}

type Table = { readonly [K in GateSpec["kind"]]: GateKind<Extract<GateSpec, { kind: K }>> };

/** The one table of gate kinds. */
export const GATE_KINDS: Table = {
  preflight: {
    step: () => "preflight",
    validate(c) {
      mustMatch("address", c.address, PATTERNS.ipv4, "an IPv4 address");
      mustMatch("magnumConf", c.magnumConf, PATTERNS.absPath, "an absolute path");
      mustMatch(
        "pythonFloor",
        c.pythonFloor ?? "",
        PYTHON_FLOOR_PATTERN,
        "a Python version like 3.10, or none",
      );
      mustMatch(
        "driver",
        c.driver ?? "",
        /^([A-Za-z0-9._-]+ [0-9][0-9A-Za-z.+-]*)?$/,
        "a package and its version",
      );
    },
    script: (c) => `set -- ${shq(c.magnumConf)}
${pythonFloorCheck(c.pythonFloor ?? "", c.driver ?? "")}
${TRUST}
${IDENTITY_CA}
emit seen "trust domain by $dom, admin by $adm, password set; $seen_ca"`,
  },
  tcp: {
    step: (c) => `TCP gate to ${c.host}:${c.port}`,
    validate(c) {
      if (!PATTERNS.ipv4.test(c.host))
        mustMatch("host", c.host, PATTERNS.dnsName, "an IPv4 address or DNS name");
      if (!Number.isInteger(c.port) || c.port < 1 || c.port > 65535)
        throw new Error(`port: expected 1-65535`);
    },
    script: (c) => `host=${shq(c.host)}; port=${c.port}
if timeout 6 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null; then
  emit seen "TCP-OK $host:$port"
else
  gate "TCP-OK to $host:$port" "TCP-FAIL (is tcp/$port open to this unit's address in the security group?)"
fi`,
  },
  egress: {
    step: () => "egress check",
    validate(c) {
      for (const u of c.urls)
        if (!isHttpUrl(u))
          throw new Error(`egress URL: expected http(s) without credentials; saw ${redactUrls(u)}`);
    },
    script: (c) => `seen=""; bad=0
for u in ${c.urls.map(shq).join(" ")}; do
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 15 -- "$u" || true)
  seen="$seen $u:\${code:-000}"
  case "$code" in [1234]??) ;; *) bad=1 ;; esac
done
[ $bad = 0 ] || gate "an HTTP answer from every egress URL" "\${seen# }"
emit seen "\${seen# }"`,
  },
  helmAuth: {
    step: (c) => `auth proof (rights, helm list ${c.allNamespaces === false ? "-n <project>" : "-A"})`,
    validate(c) {
      mustMatch("kubeconfigPath", c.kubeconfigPath, PATTERNS.absPath, "an absolute path");
      mustMatch("service", c.service, PATTERNS.serviceName, "a service name");
      for (const r of c.expectedReleases)
        mustMatch("release", r, PATTERNS.releaseName, "a helm release name");
      for (const ns of c.namespaces ?? []) mustMatch("namespace", ns, PATTERNS.namespace, "a namespace name");
      for (const rule of [...(c.clusterRules ?? []), ...(c.namespacedRules ?? [])]) {
        for (const g of rule.apiGroups) mustMatch("apiGroup", g, /^([a-z0-9.-]*)$/, "an API group");
        for (const r of rule.resources) mustMatch("resource", r, /^[a-z]+(\/[a-z]+)?$/, "a resource");
        for (const v of rule.verbs) mustMatch("verb", v, /^[a-z]+$/, "a verb");
        for (const n of rule.resourceNames ?? []) mustMatch("resourceName", n, PATTERNS.namespace, "a name");
      }
    },
    script: (c) => {
      const rules = {
        cluster: c.clusterRules ?? [],
        namespaced: c.namespacedRules ?? [],
        namespaces: c.namespaces ?? [],
      };
      return `svc=${shq(c.service)}; kc=${shq(c.kubeconfigPath)}
user=$(systemctl show "$svc" -p User --value 2>/dev/null || true)
[ -n "$user" ] || gate "a User= on $svc" "none reported by systemctl show"
home=$(mktemp -d); chown -- "$user" "$home"; trap 'rm -rf -- "$home"' EXIT
as_user() { (cd / && timeout 60 sudo -u "$user" env HOME="$home" "$@" 2>&1); }
last() { printf '%s' "$1" | tail -n 2 | tr '\n' ' '; }
probe=$(as_user python3 -c ${shq(AUTH_PROBE)} "$kc" ${shq(JSON.stringify(rules))}) ||
  gate "the rights probe (python3) to run as $user" "$(last "$probe")"
case "$probe" in
  "held "*) ;;
  "denied "*) gate "$kc to hold the driver's rights as $user" "denied: \${probe#denied }" ;;
  "refused "*) gate "$kc to authenticate as $user" "\${probe#refused }" ;;
  *) gate "a verdict from the rights probe" "$(last "$probe")" ;;
esac
${c.allNamespaces === false ? projectReleases(c.namespaces ?? []) : allReleases(c.expectedReleases)}`;
    },
  },
  chartIndex: {
    step: chartIndexStep,
    validate: validateChartIndex,
    script: chartIndexScript,
  },
};

/** The table's entry for a gate, whatever its kind. */
export function gateKind(c: GateSpec): GateKind<GateSpec> {
  return GATE_KINDS[c.kind] as GateKind<GateSpec>;
}

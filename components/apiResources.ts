import { ApiResourceMap, SERVED_KINDS } from "../core/driverKinds";

export interface CrdVersion {
  readonly name: string;
  readonly served: boolean;
  readonly storage: boolean;
}

// Kubernetes requires a DNS-1035 label for a CRD version.
const VERSION_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * `auto`: an entry only for a kind whose code default is not served (decided from the CRD's
 * `spec.versions[].served`, never from the preferred version), naming a version that is.
 */
export function deriveApiResources(served: Readonly<Record<string, readonly CrdVersion[]>>): ApiResourceMap {
  const map: ApiResourceMap = {};
  for (const k of SERVED_KINDS) {
    const versions = (served[k.crd] ?? []).filter((v) => v.served);
    if (versions.some((v) => v.name === k.defaultVersion)) continue;
    const pick = versions.find((v) => v.storage) ?? versions[0];
    if (!pick)
      throw new Error(`management cluster: expected CRD ${k.crd} to serve a version; it serves none`);
    // The name lands in a file oslo.config interpolates (`$`) and the driver parses as JSON.
    if (!VERSION_NAME.test(pick.name)) {
      throw new Error(
        `management cluster: expected CRD ${k.crd} to serve a version named like v1beta2; ` +
          `it serves ${JSON.stringify(pick.name)}`,
      );
    }
    map[k.kind] = { api_version: `${k.group}/${pick.name}`, ...(k.plural ? { plural_name: k.plural } : {}) };
  }
  return map;
}

/** An explicit map is written as given, once every version it names is served. */
export function checkApiResources(
  map: ApiResourceMap,
  served: Readonly<Record<string, readonly CrdVersion[]>>,
): ApiResourceMap {
  for (const k of SERVED_KINDS) {
    const entry = map[k.kind];
    if (!entry) continue;
    const [group, version] = entry.api_version.split("/");
    const ok = group === k.group && (served[k.crd] ?? []).some((v) => v.served && v.name === version);
    if (!ok) {
      const seen = (served[k.crd] ?? []).filter((v) => v.served).map((v) => `${k.group}/${v.name}`);
      throw new Error(
        `magnum-capi-graft:apiResources: ${k.kind} names ${entry.api_version}, which the management cluster ` +
          `does not serve; served: ${seen.join(", ") || "none"}`,
      );
    }
  }
  return map;
}

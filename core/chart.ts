import { PATTERNS } from "./shell";

// The chart the driver deploys, as the configuration, the drop-in and the chart gate name it: a chart
// in an http(s) repository, or an `oci://` reference with no repository (magnum-capi-helm then passes
// helm no --repo).

/** A chart version as helm's index and OCI tags carry it (semver, with pre-release or build). */
export const CHART_VERSION = /^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$/;

/** What an `oci://` chart reference must look like, for errors. */
export const OCI_CHART =
  "an OCI reference oci://host[:port]/path/chart (lowercase path, no credentials, no tag)";

/** A chart name as helm names charts: the last path segment of an OCI reference too. */
export const CHART_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** An OCI repository name: path components as the distribution spec allows them. */
const COMPONENT = "[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*";
const OCI_REF = new RegExp(`^oci://([A-Za-z0-9.-]+)(:([0-9]{1,5}))?/(${COMPONENT}(/${COMPONENT})*)$`);

export interface OciChartRef {
  /** host or host:port, as the registry's API is reached (https). */
  readonly registry: string;
  /** The repository inside the registry: path/chart. */
  readonly repository: string;
  /** The chart's name: the repository's last component. */
  readonly chart: string;
}

/**
 * `oci://host[:port]/path/chart`, strictly: a DNS name or IPv4 host, no credentials, no tag or
 * digest (the version is chartVersion), path components the distribution spec allows, a last
 * component that is a chart name. undefined for anything else.
 */
export function parseOciChartRef(ref: string): OciChartRef | undefined {
  const m = OCI_REF.exec(ref);
  if (!m) return undefined;
  const [, host, , port, repository] = m;
  if (!PATTERNS.ipv4.test(host) && !PATTERNS.dnsName.test(host)) return undefined;
  if (port !== undefined && (!/^[1-9]/.test(port) || Number(port) > 65535)) return undefined;
  if (repository.length > 255) return undefined;
  const chart = repository.slice(repository.lastIndexOf("/") + 1);
  if (!CHART_NAME.test(chart)) return undefined;
  return { registry: port === undefined ? host : `${host}:${port}`, repository, chart };
}

import { ChartIndexCheck } from "./types";
import { CHART_NAME, CHART_VERSION, OCI_CHART, parseOciChartRef } from "../../core/chart";
import { chartRegistryScript } from "./chartRegistry";
import { isHttpUrl, mustMatch, redactUrls, shq } from "../../core/shell";

// The chart half of the compatibility gate: the configured chart version must be where the driver
// fetches it from, as a conductor sees it (the conductors fetch the chart after the restart): in
// the repo's index.yaml, or, for `oci://` with no repo (the driver then passes no --repo), among
// the registry's tags.

export function validateChartIndex(c: ChartIndexCheck): void {
  if (c.repo === "") {
    if (!parseOciChartRef(c.chart))
      throw new Error(
        `chart: expected ${OCI_CHART} when the repo is empty; saw ${redactUrls(JSON.stringify(c.chart))}`,
      );
  } else {
    if (!isHttpUrl(c.repo))
      throw new Error(`chart repo: expected http(s) without credentials; saw ${redactUrls(c.repo)}`);
    mustMatch("chart", c.chart, CHART_NAME, "a chart name");
  }
  mustMatch("chart version", c.version, CHART_VERSION, "a version like 0.25.1");
}

/** The gate's step name: what is checked, and where. */
export function chartIndexStep(c: ChartIndexCheck): string {
  const oci = c.repo === "" ? parseOciChartRef(c.chart) : undefined;
  return oci
    ? `chart registry check (${oci.chart} ${c.version})`
    : `chart index check (${c.chart} ${c.version})`;
}

export function chartIndexScript(c: ChartIndexCheck): string {
  const oci = c.repo === "" ? parseOciChartRef(c.chart) : undefined;
  return oci ? chartRegistryScript(oci, c.chart, c.version) : repoIndexScript(c);
}

/**
 * Reads the versions of one chart from index.yaml as `helm repo index` lays it out: chart names at
 * two spaces under `entries`, each version's keys at four (`  - version:` when it comes first);
 * deeper `version:` lines belong to dependencies.
 */
function repoIndexScript(c: ChartIndexCheck): string {
  return String.raw`repo=${shq(c.repo)}; chart=${shq(c.chart)}; want=${shq(c.version)}
url="${"$"}{repo%/}/index.yaml"
idx=$(mktemp); trap 'rm -f -- "$idx"' EXIT
code=$(curl -sS -L -o "$idx" -w '%{http_code}' --max-time 60 -- "$url" 2>/dev/null || true)
[ "$code" = 200 ] || gate "HTTP 200 for $url" "HTTP ${"$"}{code:-000} (is the chart repo reachable from this conductor?)"
versions=$(awk -v chart="$chart" '
  /^entries:/ { inent = 1; next }
  inent && /^[^ ]/ { inent = 0 }
  inent && /^  [^ -]/ { name = $1; sub(/:$/, "", name); gsub(/"/, "", name); next }
  inent && name == chart && /^(  - |    )version:/ { v = $0; sub(/^[ -]*version:/, "", v); gsub(/[" \t\r]/, "", v); print v }
' "$idx" | tr -d "'")
[ -n "$versions" ] || gate "chart $chart in $url" "no versions of $chart listed"
if printf '%s\n' "$versions" | grep -qxF -- "$want"; then
  emit seen "$chart $want listed in $url"
else
  gate "$chart version $want in $url" "$(printf '%s\n' "$versions" | sort -V | tail -n 6 | tr '\n' ' ')(newest of $(printf '%s\n' "$versions" | wc -l) listed)"
fi`;
}

// A chart repository's index.yaml, laid out as `helm repo index` writes it: chart names at two
// spaces under `entries`, list items at two, their keys at four, and dependencies nested deeper
// (their `version` lines must not count as the chart's).

export function chartIndex(charts: Record<string, string[]>): string {
  const lines = ["apiVersion: v1", "entries:"];
  for (const [name, versions] of Object.entries(charts)) {
    lines.push(`  ${name}:`);
    for (const version of versions) {
      lines.push(
        "  - apiVersion: v2",
        '    created: "2026-01-01T00:00:00Z"',
        "    dependencies:",
        "    - name: openstack-cluster-dependency",
        "      repository: file://../dependency",
        "      version: 9.9.9",
        `    name: ${name}`,
        "    urls:",
        `    - ${name}-${version}.tgz`,
        `    version: ${version}`,
      );
    }
  }
  lines.push('generated: "2026-01-01T00:00:00Z"', "");
  return lines.join("\n");
}

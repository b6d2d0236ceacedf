import { gzipSync } from "zlib";

/**
 * A deployed revision-1 release as helm 3's Secret storage driver keeps it: type helm.sh/release.v1,
 * labels owner/name/status/version, and data.release base64(gzip(release JSON)) (base64'd again by
 * the Secret). The stub's kube API serves these; the real-CLI tier writes them into a real apiserver.
 */
export function helmReleaseSecret(name: string, namespace: string) {
  const labels = { name, owner: "helm", status: "deployed", version: "1" };
  const release = { name, namespace, version: 1, info: { status: "deployed" } };
  const inner = gzipSync(JSON.stringify(release)).toString("base64");
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: `sh.helm.release.v1.${name}.v1`, namespace, labels },
    type: "helm.sh/release.v1",
    data: { release: Buffer.from(inner).toString("base64") },
  };
}

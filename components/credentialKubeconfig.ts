// The scoped credential's kubeconfig: the admin kubeconfig's server and CA for mgmtApiHost:mgmtApiPort
// (core/kubeconfig.ts reads them), and the minted token. Pure, so the shape the conductors receive is
// tested without a cluster.
import { ApiEndpoint } from "../core/kubeconfig";

export { ApiEndpoint } from "../core/kubeconfig";

// A service-account token is a JWT: base64url segments joined by dots.
const TOKEN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** The conductors' kubeconfig: block YAML (what kubectl writes and every client reads), token inline. */
export function tokenKubeconfig(api: ApiEndpoint, token: string, user = "magnum-conductor"): string {
  if (!TOKEN.test(token))
    throw new Error(
      "conductor credential: expected a service-account token (a JWT); the Secret holds something else",
    );
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: mgmt",
    "  cluster:",
    `    server: ${api.server}`,
    ...(api.certificateAuthorityData
      ? [`    certificate-authority-data: ${api.certificateAuthorityData}`]
      : []),
    "users:",
    `- name: ${user}`,
    "  user:",
    `    token: ${token}`,
    "contexts:",
    "- name: mgmt",
    "  context:",
    "    cluster: mgmt",
    `    user: ${user}`,
    "current-context: mgmt",
    "",
  ].join("\n");
}

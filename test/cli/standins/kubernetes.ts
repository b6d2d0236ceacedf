import * as fs from "fs";
import * as yaml from "js-yaml";
import { KubeAccess, kubeGet } from "../../sim/natives";
import { serve, urnType } from "./serve";

// Stand-in for pulumi-kubernetes 4.34.2 (the Go module proxy here serves only 4.25.0): the
// `.get` reads of CRDs and Deployments the program makes, with the kubeconfig the program gives its
// provider, against the API server it names: TLS verified against the kubeconfig's CA.

interface Kubeconfig {
  "current-context"?: string;
  contexts?: Array<{ name: string; context: { cluster: string; user: string } }>;
  clusters?: Array<{
    name: string;
    cluster: { server: string; "certificate-authority-data"?: string; "certificate-authority"?: string };
  }>;
  users?: Array<{ name: string; user: { token?: string } }>;
}

let kube: KubeAccess | undefined;

function access(text: string): KubeAccess {
  const k = yaml.load(text) as Kubeconfig;
  const ctx = k.contexts?.find((c) => c.name === k["current-context"])?.context;
  const cluster = k.clusters?.find((c) => c.name === ctx?.cluster)?.cluster;
  const token = k.users?.find((u) => u.name === ctx?.user)?.user.token;
  if (!cluster?.server || !token)
    throw new Error("kubeconfig: expected a current context with a server and a token");
  const caData = cluster["certificate-authority-data"];
  const caFile = cluster["certificate-authority"];
  const ca = caData
    ? Buffer.from(caData, "base64").toString()
    : caFile
      ? fs.readFileSync(caFile, "utf8")
      : undefined;
  return { server: cluster.server, token, ca };
}

serve({
  version: "4.34.2",
  configure(config) {
    if (config.kubeconfig) kube = access(config.kubeconfig);
  },
  async read(id, urn) {
    if (!kube) throw new Error("kubernetes provider: no kubeconfig configured");
    return { id, props: await kubeGet(kube, urnType(urn), id) };
  },
});

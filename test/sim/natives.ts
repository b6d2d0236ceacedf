import { spawn } from "child_process";
import { scoped } from "../../openstack/cli";
import { shq } from "../../core/shell";
import { runLocalCommand } from "../harness/command";
import { KubeClient } from "../kube/client";
import { Natives, OpKind, StateEntry } from "../harness/engine";
import { Registration } from "../harness/program";

// Stand-ins for the provider plugins in the in-process harness (LabNatives): @pulumi/openstack through
// the real openstack CLI against the stub Neutron, @pulumi/kubernetes reads through the stub kube API or
// a real kube-apiserver (TLS verified against its CA), and @pulumi/command run the way its provider
// runs commands. The real-engine tier's stand-in plugins (test/cli/standins/) share the openstack and
// command ones, whose modules the Go module proxy refuses; its kubernetes plugin is the real provider.

export function openstackCli(projectId: string, args: string[]): Promise<string> {
  const command = scoped(projectId, `openstack ${args.map(shq).join(" ")}`);
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/bash", ["-c", command], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`openstack ${args.join(" ")}: ${err.trim()}`)),
    );
  });
}

export interface KubeAccess {
  readonly server: string;
  readonly token: string;
  /** PEM of the CA that signed an https server's certificate; the stub's kube API is plain http. */
  readonly ca?: string;
}

const client = (kube: KubeAccess) => new KubeClient(kube.server, kube.ca, kube.token);

/** The live object behind a `kubernetes:...:get` of a CRD or a Deployment ("ns/name"). */
async function kubeGet(kube: KubeAccess, type: string, id: string): Promise<Record<string, unknown>> {
  const [ns, name] = id.includes("/") ? id.split("/") : ["", id];
  const path =
    type === "kubernetes:apps/v1:Deployment"
      ? `/apis/apps/v1/namespaces/${ns}/deployments/${name}`
      : `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;
  const res = await client(kube).request("GET", path);
  if (res.status !== 200) throw new Error(`${type} ${id}: ${res.status} from the management cluster`);
  return res.body as Record<string, unknown>;
}

/** The REST path of a kubernetes object the credential component registers (core, RBAC, admission). */
function kubePath(type: string, inputs: Record<string, unknown>): string | undefined {
  const m =
    /^kubernetes:(core|rbac\.authorization\.k8s\.io|admissionregistration\.k8s\.io)\/v1:(Namespace|ServiceAccount|Secret|ClusterRole|ClusterRoleBinding|RoleBinding|ValidatingAdmissionPolicy|ValidatingAdmissionPolicyBinding)(?:Patch)?$/.exec(
      type,
    );
  if (!m) return undefined;
  const meta = inputs.metadata as { name: string; namespace?: string };
  const base = m[1] === "core" ? "/api/v1" : `/apis/${m[1]}/v1`;
  const plural = m[2].endsWith("Policy") ? "validatingadmissionpolicies" : `${m[2].toLowerCase()}s`;
  return `${base}${meta.namespace ? `/namespaces/${meta.namespace}` : ""}/${plural}/${meta.name}`;
}

/** pulumi-kubernetes's create/update of such an object: the live object (a token Secret's token filled). */
export async function kubePut(kube: KubeAccess, path: string, inputs: Record<string, unknown>) {
  const res = await client(kube).request("PUT", path, { body: inputs });
  const body = res.body as Record<string, unknown>;
  if (res.status < 200 || res.status > 299)
    throw new Error(`PUT ${path}: ${res.status} ${String(body?.message ?? "")}`);
  return body;
}

/** A Patch resource's server-side apply: its labels and annotations over the live object, or a new one. */
async function kubeMerge(kube: KubeAccess, path: string, inputs: Record<string, unknown>) {
  const live = await client(kube).request("GET", path);
  const current = (live.status === 200 ? live.body : { metadata: {} }) as {
    metadata: Record<string, object>;
  };
  const meta = inputs.metadata as Record<string, object>;
  return kubePut(kube, path, {
    ...current,
    metadata: {
      ...current.metadata,
      name: meta.name,
      labels: { ...current.metadata.labels, ...meta.labels },
      annotations: { ...current.metadata.annotations, ...meta.annotations },
    },
  });
}

async function kubeDelete(kube: KubeAccess, path: string): Promise<void> {
  const res = await client(kube).request("DELETE", path);
  if ((res.status < 200 || res.status > 299) && res.status !== 404)
    throw new Error(`DELETE ${path}: ${res.status}`);
}

/** `openstack.networking.getSecGroup`: the group by name in the scoped project. */
export async function getSecGroup(projectId: string, name: string): Promise<{ id: string; name: string }> {
  const sg = JSON.parse(
    await openstackCli(projectId, ["security", "group", "show", name, "-f", "json"]),
  ) as Record<string, string>;
  return { id: sg.id, name: sg.name };
}

export async function showRule(projectId: string, id: string): Promise<Record<string, unknown>> {
  return JSON.parse(
    await openstackCli(projectId, ["security", "group", "rule", "show", id, "-f", "json"]),
  ) as Record<string, unknown>;
}

/** Creates a SecGroupRule from the program's inputs; Neutron's 409 on an identical rule fails it. */
export async function createRule(projectId: string, i: Record<string, unknown>): Promise<string> {
  const created = JSON.parse(
    await openstackCli(projectId, [
      "security",
      "group",
      "rule",
      "create",
      "--ingress",
      "--ethertype",
      String(i.ethertype),
      "--protocol",
      String(i.protocol),
      "--dst-port",
      `${i.portRangeMin}:${i.portRangeMax}`,
      "--remote-ip",
      String(i.remoteIpPrefix),
      "--description",
      String(i.description),
      String(i.securityGroupId),
      "-f",
      "json",
    ]),
  ) as { id: string };
  return created.id;
}

export async function deleteRule(projectId: string, id: string): Promise<void> {
  await openstackCli(projectId, ["security", "group", "rule", "delete", id]);
}

/** pulumi-command's local.Command: `create` first, then `update` (else `create`) on a change. */
export async function runCommandResource(
  inputs: Record<string, unknown>,
  existed: boolean,
): Promise<Record<string, unknown>> {
  const text = String((existed && inputs.update) || inputs.create);
  return { ...inputs, ...(await runLocalCommand(inputs, text)) };
}

export class LabNatives implements Natives {
  constructor(
    private readonly projectId: string,
    private readonly kube: KubeAccess,
  ) {}

  async newResource(r: Registration, old: StateEntry | undefined, preview: boolean) {
    const same = (op: OpKind = "same") => ({ id: old?.id ?? "", state: old?.outputs ?? r.inputs, op });
    const unchanged = old !== undefined && JSON.stringify(old.inputs) === JSON.stringify(r.inputs);
    if (r.type.startsWith("pulumi:providers:"))
      return { id: `${r.name}-provider`, state: r.inputs, op: old ? "same" : ("create" as OpKind) };
    if (r.kind === "read" && r.type.startsWith("kubernetes:")) {
      return { id: r.id ?? "", state: await kubeGet(this.kube, r.type, r.id ?? ""), op: "read" as OpKind };
    }
    if (r.type === "openstack:networking/secGroupRule:SecGroupRule") {
      if (r.kind === "read") {
        return { id: r.id ?? "", state: await showRule(this.projectId, r.id ?? ""), op: "read" as OpKind };
      }
      if (unchanged) return same();
      if (preview) return same(old ? "update" : "create");
      if (r.importId && !old) {
        // `import`: the engine reads the existing rule and takes it into state instead of creating it.
        await showRule(this.projectId, r.importId);
        return { id: r.importId, state: { ...r.inputs, id: r.importId }, op: "create" as OpKind };
      }
      const id = await createRule(this.projectId, r.inputs);
      return { id, state: { ...r.inputs, id }, op: "create" as OpKind };
    }
    const path = r.kind === "register" ? kubePath(r.type, r.inputs) : undefined;
    if (path) {
      if (unchanged) return same();
      const oldPath = old ? kubePath(r.type, old.inputs) : undefined;
      const renamed = oldPath !== undefined && oldPath !== path;
      if (preview) return same(old ? (renamed ? "replace" : "update") : "create");
      const live = r.type.endsWith("Patch")
        ? await kubeMerge(this.kube, path, r.inputs)
        : await kubePut(this.kube, path, r.inputs);
      return {
        id: path,
        state: { ...r.inputs, ...live },
        op: (renamed ? "replace" : old ? "update" : "create") as OpKind,
        replaced: renamed ? old : undefined,
      };
    }
    if (r.type === "command:local:Command") {
      if (unchanged) return same();
      if (preview) return same(old ? "update" : "create");
      return {
        id: old?.id ?? r.name,
        state: await runCommandResource(r.inputs, old !== undefined),
        op: (old ? "update" : "create") as OpKind,
      };
    }
    throw new Error(`no emulation for ${r.type}`);
  }

  async call(token: string, inputs: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (token === "openstack:networking/getSecGroup:getSecGroup") {
      return getSecGroup(this.projectId, String(inputs.name));
    }
    if (token === "command:local:run") return runLocalCommand(inputs, String(inputs.command));
    throw new Error(`no emulation for invoke ${token}`);
  }

  async delete(e: StateEntry): Promise<void> {
    if (e.type === "openstack:networking/secGroupRule:SecGroupRule") await deleteRule(this.projectId, e.id);
    const path = kubePath(e.type, e.inputs);
    if (path) await kubeDelete(this.kube, path);
  }
}

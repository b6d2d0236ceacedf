import { spawn } from "child_process";
import { scoped } from "../../openstack/cli";
import { shq } from "../../core/shell";
import { runLocalCommand } from "../harness/command";
import { Natives, OpKind, StateEntry } from "../harness/engine";
import { Registration } from "../harness/program";

// Stand-ins for the provider plugins that cannot run here: @pulumi/openstack through the real
// openstack CLI against the stub Neutron, @pulumi/kubernetes reads through the stub kube API, and
// @pulumi/command run the way its provider runs commands.

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

export class LabNatives implements Natives {
  constructor(
    private readonly projectId: string,
    private readonly kube: { server: string; token: string },
  ) {}

  async newResource(r: Registration, old: StateEntry | undefined, preview: boolean) {
    const same = (op: OpKind = "same") => ({ id: old?.id ?? "", state: old?.outputs ?? r.inputs, op });
    const unchanged = old !== undefined && JSON.stringify(old.inputs) === JSON.stringify(r.inputs);
    if (r.type.startsWith("pulumi:providers:"))
      return { id: `${r.name}-provider`, state: r.inputs, op: old ? "same" : ("create" as OpKind) };
    if (r.kind === "read" && r.type.startsWith("kubernetes:")) {
      const [ns, name] = (r.id ?? "").includes("/") ? (r.id ?? "").split("/") : ["", r.id ?? ""];
      const url =
        r.type === "kubernetes:apps/v1:Deployment"
          ? `${this.kube.server}/apis/apps/v1/namespaces/${ns}/deployments/${name}`
          : `${this.kube.server}/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;
      const res = await fetch(url, { headers: { Authorization: `Bearer ${this.kube.token}` } });
      if (!res.ok) throw new Error(`${r.type} ${r.id}: ${res.status} from the management cluster`);
      return { id: r.id ?? "", state: (await res.json()) as Record<string, unknown>, op: "read" as OpKind };
    }
    if (r.type === "openstack:networking/secGroupRule:SecGroupRule") {
      if (r.kind === "read") {
        const shown = JSON.parse(
          await openstackCli(this.projectId, ["security", "group", "rule", "show", r.id ?? "", "-f", "json"]),
        );
        return { id: r.id ?? "", state: shown as Record<string, unknown>, op: "read" as OpKind };
      }
      if (unchanged) return same();
      if (preview) return same(old ? "update" : "create");
      if (r.importId && !old) {
        // `import`: the engine reads the existing rule and takes it into state instead of creating it.
        await openstackCli(this.projectId, ["security", "group", "rule", "show", r.importId, "-f", "json"]);
        return { id: r.importId, state: { ...r.inputs, id: r.importId }, op: "create" as OpKind };
      }
      const i = r.inputs;
      const created = JSON.parse(
        await openstackCli(this.projectId, [
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
      return { id: created.id, state: { ...r.inputs, id: created.id }, op: "create" as OpKind };
    }
    if (r.type === "command:local:Command") {
      if (unchanged) return same();
      if (preview) return same(old ? "update" : "create");
      const text = String((old && r.inputs.update) || r.inputs.create);
      const out = await runLocalCommand(r.inputs, text);
      return {
        id: old?.id ?? r.name,
        state: { ...r.inputs, ...out },
        op: (old ? "update" : "create") as OpKind,
      };
    }
    throw new Error(`no emulation for ${r.type}`);
  }

  async call(token: string, inputs: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (token === "openstack:networking/getSecGroup:getSecGroup") {
      const sg = JSON.parse(
        await openstackCli(this.projectId, ["security", "group", "show", String(inputs.name), "-f", "json"]),
      );
      return { id: sg.id, name: sg.name };
    }
    if (token === "command:local:run") return runLocalCommand(inputs, String(inputs.command));
    throw new Error(`no emulation for invoke ${token}`);
  }

  async delete(e: StateEntry): Promise<void> {
    if (e.type === "openstack:networking/secGroupRule:SecGroupRule") {
      await openstackCli(this.projectId, ["security", "group", "rule", "delete", e.id]);
    }
  }
}

import { JujuConfig, UsageError } from "./config";

function machineEntry(machine: string, address: string) {
  return {
    "juju-status": { current: "started", version: "3.6.4" },
    hostname: `juju-7f3a21-${machine.replace(/\//g, "-")}`,
    "dns-name": address,
    "ip-addresses": [address],
    "instance-id": `juju-7f3a21-${machine.replace(/\//g, "-")}`,
    "machine-status": { current: "running" },
    base: { name: "ubuntu", channel: "22.04" },
  };
}

/** `juju status --format=json` for the configured units: machines nest containers under hosts. */
export function statusJson(
  config: JujuConfig,
  args: string[],
  checkModel: (c: JujuConfig, m: string | undefined) => void,
): object {
  let format = "tabular";
  let model: string | undefined;
  const filters: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--format" || a === "-m" || a === "--model") {
      const v = args[++i];
      if (a === "--format") format = v;
      else model = v;
    } else if (a.startsWith("--format=")) format = a.slice(9);
    else if (a.startsWith("--model=")) model = a.slice(8);
    else if (a.startsWith("-m") && a.length > 2) model = a.slice(2);
    else if (a.startsWith("-")) throw new UsageError(`option provided but not defined: ${a}`);
    else filters.push(a);
  }
  if (format !== "json") throw new Error(`this simulated juju only supports --format=json, not ${format}`);
  checkModel(config, model);
  const machines: Record<string, ReturnType<typeof machineEntry> & { containers?: Record<string, object> }> =
    {};
  const applications: Record<
    string,
    { charm: string; "application-status": object; units: Record<string, object> }
  > = {};
  for (const [name, u] of Object.entries(config.units)) {
    const app = name.split("/")[0];
    if (filters.length > 0 && !filters.includes(name) && !filters.includes(app)) continue;
    const host = u.machine.split("/")[0];
    machines[host] ??= machineEntry(host, u.address.replace(/\.\d+$/, ".1"));
    if (u.machine !== host) {
      machines[host].containers ??= {};
      machines[host].containers[u.machine] = machineEntry(u.machine, u.address);
    } else machines[host] = machineEntry(host, u.address);
    applications[app] ??= { charm: app, "application-status": { current: "active" }, units: {} };
    applications[app].units[name] = {
      "workload-status": { current: "active", message: "Unit is ready" },
      "juju-status": { current: "idle", version: "3.6.4" },
      leader: true,
      machine: u.machine,
      "public-address": u.address,
    };
  }
  return {
    model: {
      name: config.model,
      type: "iaas",
      controller: "sim-controller",
      cloud: "maas",
      version: "3.6.4",
    },
    machines,
    applications,
  };
}

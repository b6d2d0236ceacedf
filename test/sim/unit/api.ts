import * as fs from "fs";
import * as path from "path";
import * as http from "http";
import { SimUnit } from "./simUnit";
import { waitFor } from "./testSupport";

// The simulated magnum-api (files/magnum-api.py) as a client sees it: over loopback HTTP.

/** A cluster type as magnum's validation resolves it: (server_type, os, coe). */
export type ClusterType = readonly [string, string, string];

export const CAPI_TYPE: ClusterType = ["vm", "ubuntu", "kubernetes"];
export const HEAT_TYPE: ClusterType = ["vm", "fedora-coreos", "kubernetes"];
/** magnum 23.0.0's words for the CAPI type missing from the API's list (older releases: "... not supported."). */
export const NOT_SUPPORTED =
  /^Cluster type \(vm, ubuntu, kubernetes\) is not supported by any loaded cluster driver/;

export interface Resolved {
  readonly pid: number;
  /** The driver's entry point name, or the API's error ("Cluster type (...) not supported."). */
  readonly driver?: string;
  readonly error?: string;
}

function get(port: number, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, timeout: 30000 }, (res) => {
      let data = "";
      res.on("data", (b: Buffer) => (data += b.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) }));
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`GET ${path}: no answer`)));
  });
}

/** The API's main pid as systemd reports it; undefined while it runs none. */
export async function apiPid(u: SimUnit): Promise<number | undefined> {
  const r = await u.sh("systemctl show magnum-api -p MainPID --value");
  const pid = Number(r.stdout.trim());
  return r.code === 0 && pid > 0 ? pid : undefined;
}

/** The port of the API systemd runs now, once that process serves (it writes the port after binding). */
export async function servingPort(u: SimUnit): Promise<number> {
  return waitFor(
    `magnum-api serving on ${u.spec.unit}`,
    async () => {
      const pid = await apiPid(u);
      const port = Number(String((await u.readFile("/run/magnum/api-port")) ?? "").trim());
      if (!pid || !port) return undefined;
      const r = await get(port, "/loaded").catch(() => undefined);
      return r?.body.pid === pid ? port : undefined;
    },
    60000,
  );
}

/** What the serving API process loaded at its start: driver name -> version. */
export async function apiLoaded(
  u: SimUnit,
): Promise<{ pid: number; drivers: Record<string, string | null> }> {
  const r = await get(await servingPort(u), "/loaded");
  return r.body as { pid: number; drivers: Record<string, string | null> };
}

/** Resolves a cluster type in the serving API, as a cluster template create validates it. */
export async function resolve(u: SimUnit, t: ClusterType): Promise<Resolved> {
  const q = `server_type=${t[0]}&os=${t[1]}&coe=${t[2]}`;
  const r = await get(await servingPort(u), `/resolve?${q}`);
  return r.body as unknown as Resolved;
}

/** Every start of the API that got as far as listening, oldest first: when (ms) and its pid. */
export function apiStarts(u: SimUnit): Array<{ pid: number; at: number }> {
  const file = path.join(u.spec.workDir, "run", "magnum", "api-starts.jsonl");
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as { pid: number; at: number });
}

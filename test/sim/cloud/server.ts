import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { json, portOf, Reply, serve } from "./http";
import { Keystone, Scope } from "./keystone";
import { Kube } from "./kube";
import { Magnum } from "./magnum";
import { Neutron } from "./neutron";
import { Store } from "./state";
import { chartIndex } from "./charts";
import {
  CapiCluster,
  CloudOptions,
  ControllerImages,
  DEFAULT_CHARTS,
  DEFAULT_CONTROLLER_IMAGES,
  LoggedRequest,
  Ready,
  REQUEST_LOG,
  ServedVersions,
} from "./types";

const url = (port: number): string => `http://127.0.0.1:${port}`;

async function main(configFile: string, watchStdin: boolean): Promise<void> {
  const cfg = JSON.parse(fs.readFileSync(configFile, "utf8")) as CloudOptions;
  const store = Store.open(cfg);
  const logFile = path.join(cfg.stateDir, REQUEST_LOG);
  const scopes = new WeakMap<http.IncomingMessage, Scope>();
  const logger =
    (service: string) =>
    (req: http.IncomingMessage, u: URL, reply: Reply): void => {
      const entry: LoggedRequest = {
        service,
        method: req.method ?? "",
        path: u.pathname + u.search,
        status: reply.status,
      };
      const scope = scopes.get(req);
      if (scope) entry.projectScope = scope.projectId;
      fs.appendFileSync(logFile, JSON.stringify(entry) + "\n");
    };

  // The catalog names ports that are only known once bound, so Keystone gets it now and it is filled in below.
  const catalog = { identity: "", network: "", "container-infra": "" };
  const keystone = new Keystone(cfg, store.data.secrets, catalog);
  const neutron = new Neutron(store);
  const magnum = new Magnum(store, cfg.unitStatusFiles, cfg.keypairs, cfg.settleMs ?? 2000);
  const kube = new Kube({
    token: store.data.secrets.kubeToken,
    servedVersions: () => store.data.servedVersions,
    capoAvailable: cfg.capoAvailable,
    helmReleases: cfg.helmReleases,
    capiClusters: () => store.data.capiClusters ?? [],
    controllerImages: () => ({ ...DEFAULT_CONTROLLER_IMAGES, ...store.data.controllerImages }),
  });
  const charts = chartIndex(cfg.charts ?? DEFAULT_CHARTS);
  const scoped =
    (answer: (method: string, u: URL, body: unknown, scope: Scope) => Reply) =>
    (req: http.IncomingMessage, u: URL, body: unknown): Reply => {
      const scope = keystone.scopeOf(req);
      if (!scope)
        return json(401, { error: { code: 401, title: "Unauthorized", message: "Authentication required" } });
      scopes.set(req, scope);
      return answer(req.method ?? "GET", u, body, scope);
    };
  const servers = await Promise.all([
    serve((req, u, body) => keystone.handle(req, u, body), logger("identity")),
    serve(
      scoped((m, u, b, s) => neutron.handle(m, u, b, s)),
      logger("network"),
    ),
    serve(
      scoped((m, u, b, s) => magnum.handle(m, u, b, s)),
      logger("container-infra"),
    ),
    serve((req, u, body) => kube.handle(req, u, body), logger("kubernetes")),
    serve((req, u, body) => {
      if (req.method === "PUT" && u.pathname === "/served-versions") {
        store.data.servedVersions = body as ServedVersions;
        store.save();
        return json(204);
      }
      if (req.method === "PUT" && u.pathname === "/capi-clusters") {
        store.data.capiClusters = body as CapiCluster[];
        store.save();
        return json(204);
      }
      if (req.method === "PUT" && u.pathname === "/controller-images") {
        store.data.controllerImages = body as ControllerImages;
        store.save();
        return json(204);
      }
      return json(404);
    }, logger("control")),
    serve(
      (req, u) =>
        req.method === "GET" && u.pathname === "/index.yaml"
          ? json(200, charts, { "Content-Type": "text/yaml" })
          : json(404, "not found\n", { "Content-Type": "text/plain" }),
      logger("charts"),
    ),
  ]);
  const [keystonePort, neutronPort, magnumPort, kubePort, controlPort, chartsPort] = servers.map(portOf);
  catalog.identity = `${url(keystonePort)}/v3`;
  catalog.network = url(neutronPort);
  catalog["container-infra"] = `${url(magnumPort)}/v1`;

  const stop = (): void => {
    servers.forEach((s) => s.close());
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // A parent that dies without stop() still takes this process with it.
  if (watchStdin) process.stdin.on("end", stop).resume();
  const ready: Ready = {
    ...store.data.secrets,
    keystonePort,
    neutronPort,
    magnumPort,
    kubePort,
    controlPort,
    chartsPort,
  };
  process.stdout.write(`READY ${JSON.stringify(ready)}\n`);
}

const args = process.argv.slice(2);
const configFile = args.find((a) => !a.startsWith("--"));
if (!configFile) {
  process.stderr.write("usage: server.js [--watch-stdin] <config.json>\n");
  process.exit(2);
}
main(configFile, args.includes("--watch-stdin")).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

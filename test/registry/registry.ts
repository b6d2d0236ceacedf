import { ChildProcess, spawn, spawnSync } from "child_process";
import { createHash, generateKeyPairSync, KeyObject, randomBytes, sign } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { killGroup } from "../../providers/localProcess";
import { freePort, makePki } from "../kube/apiserver";
import { waitGone } from "../sim/unit/processes";
import { removeDir, tempDir, waitFor } from "../sim/unit/testSupport";

// The real distribution registry (toolchain/registry/build.sh) on loopback: TLS from a private CA,
// filesystem storage in a temp dir, token auth whose realm is a loopback token server here that
// signs ES256 tokens: pull for anyone (unless told otherwise), push only with the pusher's password.

const REPO = path.resolve(__dirname, "..", "..", "..");
const SERVICE = "graft-test-registry";
const ISSUER = "graft-test-token-server";
const KID = "graft-test-key";

/** The registry binary toolchain/registry/build.sh leaves, in the repo's toolchain/.bin/ or the user cache. */
export function registryBinary(): string {
  const mod = fs.readFileSync(path.join(REPO, "toolchain", "registry", "go.mod"), "utf8");
  const version = /^require github\.com\/distribution\/distribution\/v3 (v\S+)$/m.exec(mod)?.[1];
  if (!version) throw new Error("registry fixture: no distribution version in toolchain/registry/go.mod");
  const cache = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache");
  const name = `registry-${version}`;
  const bin = [path.join(REPO, "toolchain", ".bin", name), path.join(cache, "magnum-capi-graft", name)].find(
    (p) => fs.existsSync(p),
  );
  if (!bin) throw new Error(`registry fixture: missing ${name} (run toolchain/registry/build.sh)`);
  return bin;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

/** A token as the registry's token auth verifies it: ES256, kid from the JWKS, access per scope. */
function signToken(key: KeyObject, scope: string, actions: readonly string[]): string {
  const now = Math.floor(Date.now() / 1000);
  const [type, name] = scope.split(":");
  const header = { alg: "ES256", typ: "JWT", kid: KID };
  const claims = {
    iss: ISSUER,
    sub: "",
    aud: SERVICE,
    exp: now + 300,
    nbf: now - 10,
    iat: now,
    jti: randomBytes(8).toString("hex"),
    access: type && name ? [{ type, name, actions }] : [],
  };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" }))}`;
}

export interface TokenServer {
  readonly realm: string;
  /** Scopes asked for, in order, and whether the request carried credentials. */
  readonly asked: { scope: string; withCredentials: boolean }[];
  /** false: an anonymous request gets 401 (a registry that admits no anonymous pull). */
  anonymousPull: boolean;
  stop(): Promise<void>;
}

async function startTokenServer(key: KeyObject, pusherAuth: string): Promise<TokenServer> {
  const asked: TokenServer["asked"] = [];
  const state = { anonymousPull: true };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const scope = url.searchParams.get("scope") ?? "";
    const withCredentials = req.headers.authorization === pusherAuth;
    asked.push({ scope, withCredentials });
    if (url.pathname !== "/token" || url.searchParams.get("service") !== SERVICE) {
      res.writeHead(400).end();
      return;
    }
    if (!withCredentials && !state.anonymousPull) {
      res.writeHead(401, { "Content-Type": "application/json" }).end('{"details":"login required"}');
      return;
    }
    const wanted = (scope.split(":")[2] ?? "").split(",").filter((a) => a !== "");
    const actions = withCredentials ? wanted : wanted.filter((a) => a === "pull");
    const token = signToken(key, scope, actions);
    res
      .writeHead(200, { "Content-Type": "application/json" })
      .end(JSON.stringify({ token, expires_in: 300 }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    asked,
    get anonymousPull() {
      return state.anonymousPull;
    },
    set anonymousPull(v: boolean) {
      state.anonymousPull = v;
    },
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface Registry {
  /** host:port */
  readonly host: string;
  /** PEM of the private CA that signed the registry's certificate. */
  readonly caFile: string;
  readonly tokens: TokenServer;
  /** Pushes a minimal chart as helm push lays it out: config and chart layer blobs, then the manifest. */
  pushChart(repository: string, version: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startRegistry(): Promise<Registry> {
  const bin = registryBinary();
  const dir = tempDir("registry");
  const f = (n: string) => path.join(dir, n);
  let child: ChildProcess | undefined;
  let tokens: TokenServer | undefined;
  const stop = async () => {
    if (child?.pid && child.exitCode === null) {
      killGroup(child.pid);
      await waitGone(child.pid, 10000);
    }
    await tokens?.stop();
    removeDir(dir);
  };
  try {
    await makePki(dir);
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    fs.writeFileSync(
      f("jwks.json"),
      JSON.stringify({
        keys: [{ ...publicKey.export({ format: "jwk" }), kid: KID, alg: "ES256", use: "sig" }],
      }),
    );
    const pusherAuth = `Basic ${Buffer.from(`pusher:${randomBytes(12).toString("hex")}`).toString("base64")}`;
    tokens = await startTokenServer(privateKey, pusherAuth);
    const port = await freePort();
    fs.writeFileSync(
      f("config.yml"),
      [
        "version: 0.1",
        "log: {level: warn, accesslog: {disabled: true}}",
        `storage: {filesystem: {rootdirectory: "${f("data")}"}}`,
        `http: {addr: "127.0.0.1:${port}", secret: "${randomBytes(16).toString("hex")}", ` +
          `tls: {certificate: "${f("server.crt")}", key: "${f("server.key")}"}}`,
        `auth: {token: {realm: "${tokens.realm}", service: ${SERVICE}, issuer: ${ISSUER}, jwks: "${f("jwks.json")}"}}`,
        "",
      ].join("\n"),
    );
    const log = fs.openSync(f("registry.log"), "a");
    // Its own process group, so stop() ends it and nothing else.
    child = spawn(bin, ["serve", f("config.yml")], { detached: true, stdio: ["ignore", log, log] });
    fs.closeSync(log);
    const host = `127.0.0.1:${port}`;
    const ca = fs.readFileSync(f("ca.crt"));
    const request = (method: string, url: string, headers: http.OutgoingHttpHeaders, body?: Buffer) =>
      new Promise<Reply>((resolve, reject) => {
        const u = new URL(url, `https://${host}`);
        const req = https.request(u, { method, headers, ca }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
        });
        req.on("error", reject);
        req.end(body);
      });
    await waitFor(
      "the registry's /v2/",
      async () => {
        if (child?.exitCode !== null) {
          throw new Error(
            `registry fixture: registry exited: ${fs.readFileSync(f("registry.log"), "utf8").slice(-2000)}`,
          );
        }
        const r = await request("GET", "/v2/", {}).catch(() => undefined);
        return r?.status === 401 ? true : undefined;
      },
      30000,
    );
    const pushToken = async (repository: string): Promise<string> => {
      const scope = `repository:${repository}:pull,push`;
      const r = await new Promise<Buffer>((resolve, reject) => {
        http
          .get(
            `${tokens?.realm}?service=${SERVICE}&scope=${encodeURIComponent(scope)}`,
            { headers: { Authorization: pusherAuth } },
            (res) => {
              const chunks: Buffer[] = [];
              res.on("data", (c: Buffer) => chunks.push(c));
              res.on("end", () => resolve(Buffer.concat(chunks)));
            },
          )
          .on("error", reject);
      });
      return (JSON.parse(r.toString()) as { token: string }).token;
    };
    const expect = (r: Reply, status: number, what: string) => {
      if (r.status !== status)
        throw new Error(
          `registry fixture: ${what}: expected HTTP ${status}; saw ${r.status} ${r.body.toString()}`,
        );
      return r;
    };
    const pushChart = async (repository: string, version: string) => {
      const auth = { Authorization: `Bearer ${await pushToken(repository)}` };
      const chart = repository.slice(repository.lastIndexOf("/") + 1);
      const chartYaml = `apiVersion: v2\nname: ${chart}\nversion: ${version}\n`;
      fs.mkdirSync(f(`chart/${chart}`), { recursive: true });
      fs.writeFileSync(f(`chart/${chart}/Chart.yaml`), chartYaml);
      const tgz = spawnSync("tar", ["-C", f("chart"), "-czf", "-", chart]).stdout;
      const config = Buffer.from(JSON.stringify({ apiVersion: "v2", name: chart, version }));
      const blobs = [
        { mediaType: "application/vnd.cncf.helm.config.v1+json", data: config },
        { mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", data: tgz },
      ].map((b) => ({
        ...b,
        digest: `sha256:${createHash("sha256").update(b.data).digest("hex")}`,
        size: b.data.length,
      }));
      for (const b of blobs) {
        const started = expect(
          await request("POST", `/v2/${repository}/blobs/uploads/`, auth),
          202,
          "blob upload",
        );
        const location = new URL(String(started.headers.location), `https://${host}`);
        location.searchParams.set("digest", b.digest);
        const headers = { ...auth, "Content-Type": "application/octet-stream", "Content-Length": b.size };
        expect(await request("PUT", location.toString(), headers, b.data), 201, "blob put");
      }
      const descriptor = (b: (typeof blobs)[number]) => ({
        mediaType: b.mediaType,
        digest: b.digest,
        size: b.size,
      });
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: descriptor(blobs[0]),
          layers: [descriptor(blobs[1])],
        }),
      );
      const tag = version.replace(/\+/g, "_");
      const headers = { ...auth, "Content-Type": "application/vnd.oci.image.manifest.v1+json" };
      expect(
        await request("PUT", `/v2/${repository}/manifests/${tag}`, headers, manifest),
        201,
        "manifest put",
      );
    };
    return { host, caFile: f("ca.crt"), tokens, pushChart, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

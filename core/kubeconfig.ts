// The one reader of kubeconfigs where Pulumi runs: YAML or JSON, the current context's cluster and how
// its user authenticates. Errors name the key and what was expected; of the file they show only names
// (contexts, clusters, users) and the server, never a credential or the CA.
//
// js-yaml, not a line reader: kubeconfigs come JSON, quoted, flow-styled or block-styled, and only a
// parser reads them all the way client-go does. It is a production dependency of ours (the one
// @pulumi/pulumi itself ships, so no second copy); @pulumi/kubernetes brings no YAML parser.
import * as yaml from "js-yaml";
import { redactUrls } from "./shell";

/** How the current user authenticates: a kind, never the value. */
export type Credentials =
  "token" | "client certificate" | "exec plugin" | "auth-provider plugin" | "basic auth" | "none";

export interface Kubeconfig {
  readonly context: string;
  readonly server: string;
  /** base64 PEM, as the file has it. */
  readonly certificateAuthorityData: string | undefined;
  /** A CA file named by path: a path on this machine only. */
  readonly certificateAuthorityFile: boolean;
  readonly insecureSkipTlsVerify: boolean;
  /** The current context's user (undefined when it names none). */
  readonly user: string | undefined;
  readonly credentials: Credentials;
}

/** Where the conductors reach the management API, as the admin kubeconfig names it. */
export interface ApiEndpoint {
  /** `https://mgmtApiHost:mgmtApiPort` as the admin kubeconfig writes it. */
  readonly server: string;
  /** base64 PEM; undefined only for a plain-http server (a test's stub). */
  readonly certificateAuthorityData: string | undefined;
}

type Entry = Record<string, unknown>;

const isMap = (v: unknown): v is Entry => v !== null && typeof v === "object" && !Array.isArray(v);

/** A value's shape, for a key whose value may be secret. */
function kindOf(v: unknown): string {
  if (v === undefined || v === null || v === "") return "none";
  if (Array.isArray(v)) return "a list";
  return isMap(v) ? "a mapping" : `a ${typeof v}`;
}

const NAME_SHOWN = 64;
const shown = (name: string) =>
  JSON.stringify(name.length > NAME_SHOWN ? `${name.slice(0, NAME_SHOWN)}...` : name);

function fail(key: string, expected: string, seen: string): never {
  throw new Error(`kubeconfig ${key}: expected ${expected}; saw ${seen}`);
}

/** The entry of `list` (contexts, clusters, users) named `name`, inner mapping `inner`. */
function named(doc: Entry, list: string, inner: string, name: string, why: string): Entry {
  const items = Array.isArray(doc[list]) ? (doc[list] as unknown[]).filter(isMap) : [];
  const item = items.find((x) => x.name === name);
  if (!item) {
    const names = items.map((x) => (typeof x.name === "string" ? shown(x.name) : kindOf(x.name)));
    fail(list, `an entry named ${shown(name)} (${why})`, names.length > 0 ? names.join(", ") : "none");
  }
  // An empty YAML value (null) is an absent one.
  const v = item[inner] ?? undefined;
  if (v !== undefined && !isMap(v)) fail(`${list}[${shown(name)}].${inner}`, "a mapping", kindOf(v));
  return v ?? {};
}

function credentialsOf(user: Entry): Credentials {
  if (user.token || user.tokenFile) return "token";
  if (
    (user["client-certificate-data"] || user["client-certificate"]) &&
    (user["client-key-data"] || user["client-key"])
  )
    return "client certificate";
  if (user.exec) return "exec plugin";
  if (user["auth-provider"]) return "auth-provider plugin";
  if (user.username || user.password) return "basic auth";
  return "none";
}

function parse(text: string): Entry {
  let doc: unknown;
  try {
    // JSON is YAML; `json` lets a later duplicate key win, as encoding/json does.
    doc = yaml.load(text, { schema: yaml.CORE_SCHEMA, json: true });
  } catch (e) {
    // The parser's message quotes the offending lines: only the position is shown.
    const mark = (e as { mark?: { line: number; column: number } }).mark;
    fail(
      "file",
      "YAML or JSON",
      mark ? `a syntax error at line ${mark.line + 1}, column ${mark.column + 1}` : "a syntax error",
    );
  }
  if (!isMap(doc)) fail("file", "a mapping of clusters, contexts and users", kindOf(doc));
  return doc;
}

/** The current context, its cluster and its user's kind of credentials, as kubectl would use them. */
export function readKubeconfig(text: string): Kubeconfig {
  const doc = parse(text);
  const context = doc["current-context"];
  if (typeof context !== "string" || context === "")
    fail("current-context", "the name of the context to use", kindOf(context));
  const ctx = named(doc, "contexts", "context", context, "current-context");
  const clusterName = ctx.cluster;
  if (typeof clusterName !== "string" || clusterName === "")
    fail(`contexts[${shown(context)}].context.cluster`, "a cluster name", kindOf(clusterName));
  const cluster = named(doc, "clusters", "cluster", clusterName, `context ${shown(context)}`);
  const key = `clusters[${shown(clusterName)}].cluster`;
  const server = cluster.server;
  if (typeof server !== "string" || !/^https?:\/\/[^/]/.test(server))
    fail(
      `${key}.server`,
      "an http(s) URL",
      typeof server === "string" ? JSON.stringify(redactUrls(server)) : kindOf(server),
    );
  const ca = cluster["certificate-authority-data"] ?? undefined;
  if (ca !== undefined && typeof ca !== "string")
    fail(`${key}.certificate-authority-data`, "base64 PEM", kindOf(ca));
  const userName = ctx.user ?? undefined;
  if (userName !== undefined && typeof userName !== "string")
    fail(`contexts[${shown(context)}].context.user`, "a user name", kindOf(userName));
  const user = userName ? named(doc, "users", "user", userName, `context ${shown(context)}`) : {};
  return {
    context,
    server,
    certificateAuthorityData: ca || undefined,
    certificateAuthorityFile: Boolean(cluster["certificate-authority"]),
    insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
    user: userName || undefined,
    credentials: credentialsOf(user),
  };
}

/** Whether `server` is host:port (the scheme's port when it names none). */
export function serverIs(server: string, host: string, port: number): boolean {
  try {
    const u = new URL(server);
    return u.hostname === host && Number(u.port || (u.protocol === "https:" ? 443 : 80)) === port;
  } catch {
    return false;
  }
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The current context's server and inline CA, which must be host:port: what a kubeconfig written for
 * the conductors takes from the admin's. Errors name no value of the file but names and the server.
 */
export function apiEndpoint(kubeconfig: string | Kubeconfig, host: string, port: number): ApiEndpoint {
  const k = typeof kubeconfig === "string" ? readKubeconfig(kubeconfig) : kubeconfig;
  const { server } = k;
  if (!serverIs(server, host, port))
    fail("server", `${host}:${port} in the current context`, JSON.stringify(redactUrls(server)));
  if (new URL(server).protocol === "http:") return { server, certificateAuthorityData: undefined };
  const ca = k.certificateAuthorityData;
  const expected = `inline certificate-authority-data for ${server}`;
  if (k.insecureSkipTlsVerify) fail("certificate-authority-data", expected, "insecure-skip-tls-verify");
  if (!ca)
    fail(
      "certificate-authority-data",
      expected,
      k.certificateAuthorityFile ? "a certificate-authority file, which the conductors do not have" : "none",
    );
  if (!BASE64.test(ca)) fail("certificate-authority-data", expected, "a value that is not base64");
  return { server, certificateAuthorityData: ca };
}

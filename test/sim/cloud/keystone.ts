import { randomBytes, randomUUID } from "crypto";
import * as http from "http";
import { json, Reply } from "./http";
import { CloudOptions, Secrets } from "./types";

export const USER_NAME = "admin";
export const DOMAIN_NAME = "admin_domain";
export const ADMIN_PROJECT = "admin";
export const REGION = "RegionOne";

export interface Scope {
  projectId: string;
  projectName: string;
}

interface Project extends Scope {
  domain: string;
}

interface TokenBody {
  token: Record<string, unknown>;
}

const USER_ID = randomUUID().replace(/-/g, "");
const DOMAIN_ID = randomUUID().replace(/-/g, "");

type AuthRequest = {
  auth?: {
    identity?: {
      methods?: string[];
      password?: { user?: { name?: string; id?: string; password?: string } };
    };
    scope?: { project?: { id?: string; name?: string; domain?: { name?: string; id?: string } } };
  };
};

function unauthorized(message: string): Reply {
  return json(401, { error: { code: 401, title: "Unauthorized", message } });
}

export class Keystone {
  private readonly tokens = new Map<string, { scope: Scope; body: TokenBody }>();
  private readonly projects: Project[];

  constructor(
    cfg: CloudOptions,
    private readonly secrets: Secrets,
    private readonly endpoints: { identity: string; network: string; "container-infra": string },
  ) {
    this.projects = [
      { projectId: secrets.adminProjectId, projectName: ADMIN_PROJECT, domain: DOMAIN_NAME },
      { projectId: cfg.projectId, projectName: cfg.projectName, domain: DOMAIN_NAME },
    ];
  }

  /** The project a service request's X-Auth-Token is scoped to, or undefined when it is not a live token. */
  scopeOf(req: http.IncomingMessage): Scope | undefined {
    const token = req.headers["x-auth-token"];
    return typeof token === "string" ? this.tokens.get(token)?.scope : undefined;
  }

  handle(req: http.IncomingMessage, url: URL, body: unknown): Reply {
    const p = url.pathname.replace(/\/+$/, "");
    if (req.method === "GET" && (p === "" || p === "/v3"))
      return json(p === "" ? 300 : 200, this.discovery(p));
    if (p !== "/v3/auth/tokens") return json(404, { error: { code: 404, title: "Not Found", message: p } });
    if (req.method === "POST") return this.issue(body as AuthRequest);
    const subject = req.headers["x-subject-token"];
    const known = typeof subject === "string" ? this.tokens.get(subject) : undefined;
    if (!this.scopeOf(req) || !known)
      return unauthorized("The request you have made requires authentication.");
    if (req.method === "GET") return json(200, known.body, { "X-Subject-Token": subject as string });
    if (req.method === "HEAD") return json(200);
    if (req.method === "DELETE") {
      this.tokens.delete(subject as string);
      return json(204);
    }
    return json(405);
  }

  private discovery(p: string): unknown {
    const v3 = {
      id: "v3.14",
      status: "stable",
      updated: "2020-04-07T00:00:00Z",
      links: [{ rel: "self", href: `${this.endpoints.identity}/` }],
      "media-types": [{ base: "application/json", type: "application/vnd.openstack.identity-v3+json" }],
    };
    return p === "" ? { versions: { values: [v3] } } : { version: v3 };
  }

  private issue(reqBody: AuthRequest): Reply {
    const auth = reqBody?.auth;
    const user = auth?.identity?.password?.user;
    if (!auth?.identity?.methods?.includes("password") || !user) {
      return json(400, { error: { code: 400, title: "Bad Request", message: "password method required" } });
    }
    const userOk = user.id === USER_ID || user.name === USER_NAME;
    if (!userOk || user.password !== this.secrets.password) {
      return unauthorized("The request you have made requires authentication.");
    }
    const want = auth.scope?.project;
    if (!want) return unauthorized("This stub cloud only issues project-scoped tokens.");
    const project = this.projects.find((pr) =>
      want.id ? pr.projectId === want.id : pr.projectName === want.name && want.domain?.name === pr.domain,
    );
    if (!project) return unauthorized(`Could not find project: ${want.id ?? want.name}.`);
    const token = `gAAAA${randomBytes(24).toString("hex")}`;
    const issued = new Date();
    const body: TokenBody = {
      token: {
        methods: ["password"],
        user: {
          id: USER_ID,
          name: USER_NAME,
          domain: { id: DOMAIN_ID, name: DOMAIN_NAME },
          password_expires_at: null,
        },
        audit_ids: [randomBytes(8).toString("base64url")],
        expires_at: new Date(issued.getTime() + 3600_000).toISOString(),
        issued_at: issued.toISOString(),
        project: {
          id: project.projectId,
          name: project.projectName,
          domain: { id: DOMAIN_ID, name: DOMAIN_NAME },
        },
        is_domain: false,
        roles: [
          { id: "a0", name: "admin" },
          { id: "m0", name: "member" },
          { id: "r0", name: "reader" },
        ],
        catalog: Object.entries(this.endpoints).map(([type, url]) => ({
          type,
          name: { identity: "keystone", network: "neutron", "container-infra": "magnum" }[type],
          id: randomUUID().replace(/-/g, ""),
          endpoints: ["public", "internal", "admin"].map((iface) => ({
            id: randomUUID().replace(/-/g, ""),
            interface: iface,
            region: REGION,
            region_id: REGION,
            url,
          })),
        })),
      },
    };
    this.tokens.set(token, {
      scope: { projectId: project.projectId, projectName: project.projectName },
      body,
    });
    return json(201, body, { "X-Subject-Token": token });
  }
}

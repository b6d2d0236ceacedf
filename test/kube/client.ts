import * as http from "http";
import * as https from "https";

export interface KubeReply {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
  /** The Warning headers (admission warnings, e.g. Pod Security's for a Deployment). */
  readonly warnings: string[];
}

export interface KubeRequest {
  readonly body?: unknown;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Plain HTTPS to one API server as one bearer token, trusting only the server's CA (plain http only
 * for the stub cloud's kube API, whose URL says so).
 */
export class KubeClient {
  private readonly agent: http.Agent;
  private readonly request_: typeof http.request;

  constructor(
    readonly url: string,
    ca: string | undefined,
    private readonly token: string,
  ) {
    const tls = new URL(url).protocol === "https:";
    this.agent = tls ? new https.Agent({ ca, keepAlive: false }) : new http.Agent({ keepAlive: false });
    this.request_ = tls ? https.request : http.request;
  }

  request(method: string, path: string, req: KubeRequest = {}): Promise<KubeReply> {
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: "application/json",
      ...(payload ? { "content-type": req.contentType ?? "application/json" } : {}),
      ...req.headers,
    };
    return new Promise((resolve, reject) => {
      const r = this.request_(new URL(path, this.url), { method, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // /readyz and friends answer text
          }
          const w = res.headers.warning;
          resolve({ status: res.statusCode ?? 0, body, warnings: w === undefined ? [] : [w].flat() });
        });
        res.on("error", reject);
      });
      r.on("error", reject);
      r.end(payload);
    });
  }

  /** The request must answer 2xx; otherwise the error names the call and what the server said. */
  async ok(method: string, path: string, req: KubeRequest = {}): Promise<KubeReply> {
    const reply = await this.request(method, path, req);
    if (reply.status < 200 || reply.status > 299) {
      const message = typeof reply.body === "string" ? reply.body : (reply.body?.message ?? "");
      throw new Error(`kube: ${method} ${path}: expected 2xx, saw ${reply.status} ${message}`);
    }
    return reply;
  }

  /** Server-side apply as the driver does it: field manager `magnum`, force. */
  apply(path: string, object: unknown, dryRun = false): Promise<KubeReply> {
    const q = `fieldManager=magnum&force=true${dryRun ? "&dryRun=All" : ""}`;
    return this.request("PATCH", `${path}?${q}`, {
      body: object,
      contentType: "application/apply-patch+yaml",
    });
  }
}

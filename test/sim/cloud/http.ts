import * as http from "http";

export type Handler = (req: http.IncomingMessage, url: URL, body: unknown) => Reply | Promise<Reply>;

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export function json(status: number, body?: unknown, headers?: Record<string, string>): Reply {
  return { status, body, headers };
}

async function readBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Listens on a random free loopback port; `after` sees every request once answered (for the request log). */
export function serve(
  handler: Handler,
  after: (req: http.IncomingMessage, url: URL, reply: Reply) => void,
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    readBody(req)
      .then((body) => handler(req, url, body))
      .catch((err: unknown): Reply => json(500, { error: String(err) }))
      .then((reply) => {
        after(req, url, reply);
        const headers: Record<string, string> = { ...reply.headers };
        let payload = "";
        if (reply.body !== undefined) {
          headers["Content-Type"] ??= "application/json";
          payload = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
        }
        headers["Content-Length"] = String(Buffer.byteLength(payload));
        // No kept-alive sockets: a client reusing one this server closed meanwhile fails ("fetch failed").
        headers["Connection"] = "close";
        res.writeHead(reply.status, headers);
        res.end(payload);
      });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

export function portOf(server: http.Server): number {
  const addr = server.address();
  if (addr === null || typeof addr === "string") throw new Error("server not listening on TCP");
  return addr.port;
}

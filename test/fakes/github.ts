import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { once } from "node:events";

/**
 * A fake GitHub REST API on 127.0.0.1 for the parts gaia uses: `GET /user` with a token. Strict like
 * GitHub: a missing or unknown token is 401 "Bad credentials", an unknown route 404 "Not Found",
 * and every answer is JSON with GitHub's media type.
 */
export class FakeGitHub {
  /** Every request: method, path and whether its token was accepted. */
  readonly requests: { method: string; path: string; authorized: boolean }[] = [];

  private constructor(private readonly server: Server, readonly apiUrl: string, private readonly tokens: Map<string, string>) {}

  /** Starts the server; `tokens` maps each valid token to the login it belongs to. */
  static async start(tokens: Record<string, string>): Promise<FakeGitHub> {
    let fake: FakeGitHub | undefined;
    const server = createServer((request, response) => fake!.handle(request, response));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as { port: number };
    fake = new FakeGitHub(server, `http://127.0.0.1:${port}`, new Map(Object.entries(tokens)));
    return fake;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? "/").split("?")[0];
    const token = /^(?:token|Bearer) (.+)$/.exec(request.headers.authorization ?? "")?.[1];
    const login = token === undefined ? undefined : this.tokens.get(token);
    this.requests.push({ method: request.method ?? "GET", path, authorized: login !== undefined });
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json; charset=utf-8", "x-github-media-type": "github.v3; format=json" });
      response.end(JSON.stringify(body));
    };
    if (login === undefined) return send(401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" });
    if (request.method === "GET" && path === "/user") return send(200, { login, id: 1, type: "User" });
    send(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" });
  }
}

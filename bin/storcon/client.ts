// The CLI's HTTP client: JSON in and out, the token as a Bearer header, and every refusal (4xx/5xx)
// turned into an ApiError carrying the server's own message.

export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly serverMessage: string,
  ) {
    super(`${method} ${path}: ${status} ${serverMessage}`);
    this.name = 'ApiError';
  }
}

/** The server could not be reached at all (refused, reset, DNS). */
export class UnreachableError extends Error {
  override name = 'UnreachableError';
}

export interface Reply {
  status: number;
  body: unknown;
  headers: Headers;
}

/** The message of an error body: ours is `{"msg"}`, API Gateway's own is `{"message"}`. */
function messageOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as { msg?: unknown; message?: unknown };
    if (typeof parsed?.msg === 'string') return parsed.msg;
    if (typeof parsed?.message === 'string') return parsed.message;
  } catch {
    // not JSON
  }
  return text.trim() || '(empty body)';
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  async request(method: string, path: string, body?: unknown): Promise<Reply> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const url = `${this.baseUrl.replace(/\/+$/, '')}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new UnreachableError(
        `cannot reach ${this.baseUrl}: ${method} ${path} failed: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
      );
    }
    const text = await res.text();
    if (res.status >= 400) throw new ApiError(method, path, res.status, messageOf(text));
    let parsed: unknown = null;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  async get(path: string): Promise<unknown> {
    return (await this.request('GET', path)).body;
  }
}

// The local stand-in for API Gateway: turns each HTTP request into a payload-2.0 event, calls the
// route group's Lambda handler (the very same one deployed on AWS) and writes its result back.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { GroupHandler } from '../lambdas/api/build-handler';
import { errorResponse } from '../lambdas/api/middleware/error-response';
import { responseProblem } from '../lambdas/api/response-check';
import type { AnyRoute, RouteGroup } from '../lambdas/api/route';
import { routeKey } from '../lambdas/api/route';
import { type RouteMatch, RouteMatcher } from '../lambdas/api/route-match';

/** API Gateway's integration timeout. */
const INTEGRATION_TIMEOUT_MS = 30_000;
/** Lambda's synchronous payload limit. */
const MAX_BODY_BYTES = 6 * 1024 * 1024;
/**
 * The longest URL (414 beyond) and request head, request line plus headers (431 beyond): the
 * 16 KiB Node allowed by default. (API Gateway HTTP APIs allow 10240 bytes of request line and
 * header values.)
 */
export const MAX_URL_BYTES = 16 * 1024;
export const MAX_HEAD_BYTES = 16 * 1024;
/** Node's parser gives up beyond this; below it `handle` applies the limits above, telling which. */
const PARSER_HEAD_LIMIT = 8 * 1024 * 1024;

export interface Gateway {
  url: string;
  host: string;
  port: number;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  host: string;
  port: number;
  routes: AnyRoute[];
  handlers: Record<RouteGroup, GroupHandler>;
  /** Check every 2xx reply against its route's declared response; a mismatch becomes a 500. */
  validateResponses?: boolean;
}

function joinHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === 'cookie') continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
}

function queryParameters(search: URLSearchParams): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [key, value] of search) out[key] = key in out ? `${out[key]},${value}` : value;
  return Object.keys(out).length > 0 ? out : undefined;
}

function lambdaContext(group: RouteGroup): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `local-${group}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:local-${group}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/local-${group}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, INTEGRATION_TIMEOUT_MS - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function send(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  const body = result.body === undefined ? '' : result.body;
  const bytes = result.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body);
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(bytes);
}

function sendError(res: ServerResponse, status: number, msg: string, requestId: string): void {
  send(res, jsonError(status, msg, requestId));
}

function withRequestId(
  result: APIGatewayProxyStructuredResultV2,
  requestId: string,
): APIGatewayProxyStructuredResultV2 {
  return { ...result, headers: { ...result.headers, 'x-request-id': requestId } };
}

function jsonError(status: number, msg: string, requestId: string): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', 'x-request-id': requestId },
    body: JSON.stringify({ msg }),
  };
}

/** Bytes of the request line and headers, counted the way they came over the wire. */
function headBytes(req: IncomingMessage): number {
  let size = Buffer.byteLength(`${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`);
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    size += Buffer.byteLength(req.rawHeaders[i]!) + Buffer.byteLength(req.rawHeaders[i + 1]!) + 4;
  }
  return size;
}

/** Node's own answers to requests it cannot parse, kept, with a `{"msg"}` body added. */
const PARSE_FAILURES: Record<string, [number, string, string]> = {
  // Beyond PARSER_HEAD_LIMIT the parser no longer tells whether the URL or a header overflowed.
  HPE_HEADER_OVERFLOW: [
    431,
    'Request Header Fields Too Large',
    `Request Header Fields Too Large: the request line and headers are over ${PARSER_HEAD_LIMIT} bytes`,
  ],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Payload Too Large', 'Payload Too Large: chunk extensions too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'Request Timeout'],
};

function answerUnparsable(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, msg] = PARSE_FAILURES[error.code ?? ''] ?? [
    400,
    'Bad Request',
    `Bad Request: malformed HTTP request (${error.code ?? error.message})`,
  ];
  const body = JSON.stringify({ msg });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `x-request-id: ${randomUUID()}\r\nconnection: close\r\n\r\n${body}`,
  );
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const matcher = new RouteMatcher(options.routes);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = (req.method ?? 'GET').toUpperCase();
    const requestId = req.headers['x-request-id']?.toString() || randomUUID();
    const urlBytes = Buffer.byteLength(req.url ?? '');
    if (urlBytes > MAX_URL_BYTES) {
      const msg = `URI Too Long: the request URL is ${urlBytes} bytes, the limit is ${MAX_URL_BYTES}`;
      return sendError(res, 414, msg, requestId);
    }
    const head = headBytes(req);
    if (head > MAX_HEAD_BYTES) {
      const msg = `Request Header Fields Too Large: the request line and headers are ${head} bytes, the limit is ${MAX_HEAD_BYTES}`;
      return sendError(res, 431, msg, requestId);
    }
    const body = await readBody(req);
    if (body === 'too-large') return sendError(res, 413, 'request body too large', requestId);
    let match: RouteMatch | undefined;
    try {
      match = matcher.match(method, url.pathname);
    } catch (error) {
      // A path parameter that does not decode (e.g. `%zz`): the matcher's 400 names it.
      return send(res, withRequestId(errorResponse(error, console), requestId));
    }
    if (!match) return sendError(res, 404, `NotFound: no route for ${method} ${url.pathname}`, requestId);

    const key = routeKey(match.route);
    const headers = joinHeaders(req);
    const now = new Date();
    const rawQueryString = url.search.startsWith('?') ? url.search.slice(1) : url.search;
    const isText = body.length === 0 || /json|text/.test(headers['content-type'] ?? 'application/json');
    const event: APIGatewayProxyEventV2 = {
      version: '2.0',
      routeKey: key,
      rawPath: url.pathname,
      rawQueryString,
      cookies: req.headers.cookie?.split(';').map((c) => c.trim()),
      headers,
      queryStringParameters: queryParameters(url.searchParams),
      pathParameters: Object.keys(match.pathParameters).length > 0 ? match.pathParameters : undefined,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: headers.host ?? 'localhost',
        domainPrefix: 'localhost',
        http: {
          method,
          path: url.pathname,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? '',
        },
        requestId: randomUUID(),
        routeKey: key,
        stage: '$default',
        time: now.toISOString(),
        timeEpoch: now.getTime(),
      },
      body: body.length === 0 ? undefined : isText ? body.toString('utf8') : body.toString('base64'),
      isBase64Encoded: body.length > 0 && !isText,
    };
    const handler = options.handlers[match.route.group];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), INTEGRATION_TIMEOUT_MS);
    });
    try {
      const result = await Promise.race([handler(event, lambdaContext(match.route.group)), timeout]);
      if (result === 'timeout')
        return sendError(res, 503, 'Service Unavailable: integration timed out', requestId);
      const problem = options.validateResponses ? responseProblem(match.route, result) : undefined;
      if (problem) {
        // Loud on purpose: the reply breaks its declared schema, and so the OpenAPI document.
        const msg = `Response of ${key} does not match its declared schema: ${problem}`;
        console.error(msg);
        return send(res, jsonError(500, msg, requestId));
      }
      send(res, result);
    } finally {
      clearTimeout(timer);
    }
  };

  const server: Server = createServer({ maxHeaderSize: PARSER_HEAD_LIMIT }, (req, res) => {
    handle(req, res).catch((error) => {
      console.error('gateway error', error);
      if (!res.headersSent) sendError(res, 502, 'Bad Gateway', randomUUID());
      else res.destroy();
    });
  });
  server.on('clientError', answerUnparsable);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    host: options.host,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

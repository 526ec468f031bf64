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
import { routeTimeouts } from '../lambdas/api/route-budgets';
import { type RouteMatch, RouteMatcher } from '../lambdas/api/route-match';
import { HTTP_API, jsonBytes, LAMBDA } from '../lambdas/core/aws-limits';

/**
 * The longest URL (414 beyond) and request head (431 beyond): API Gateway HTTP APIs allow 10240
 * bytes of request line and header values together. (Its own answers to these are not
 * documented; these keep the local `{"msg"}` that names the problem.)
 */
export const MAX_URL_BYTES = HTTP_API.requestLineAndHeaderValuesBytes;
export const MAX_HEAD_BYTES = HTTP_API.requestLineAndHeaderValuesBytes;
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
  /** API Gateway's integration timeout (30 s, its maximum); tests shorten it. */
  integrationTimeoutMs?: number;
  /** Each group's Lambda timeout; a group without one is bounded by the integration timeout only. */
  functionTimeoutMs?: Partial<Record<RouteGroup, number>>;
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

function lambdaContext(group: RouteGroup, timeoutMs: number): Context {
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
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - started)),
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

/** Bytes of the request line and header values, as API Gateway counts them against its limit. */
function headBytes(req: IncomingMessage): number {
  let size = Buffer.byteLength(`${req.method} ${req.url} HTTP/${req.httpVersion}`);
  for (let i = 1; i < req.rawHeaders.length; i += 2) size += Buffer.byteLength(req.rawHeaders[i]!);
  return size;
}

/**
 * What API Gateway itself answers when the integration does not give a reply, `{"message"}` as
 * it sends them. HTTP APIs answer an integration timeout with 503 Service Unavailable; a Lambda
 * that fails, times out or returns an invalid or oversized response with 502, and an invocation
 * Lambda refuses with 500, both `{"message":"Internal Server Error"}`
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html).
 */
function gatewayError(status: 500 | 502 | 503): APIGatewayProxyStructuredResultV2 {
  const message = status === 503 ? 'Service Unavailable' : 'Internal Server Error';
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message }),
  };
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

/** The body, or its size once it is over API Gateway's payload limit (the rest is read and dropped). */
async function readBody(req: IncomingMessage): Promise<Buffer | { tooLarge: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    // Read to the end regardless, so the client gets the answer rather than a reset connection.
    if (size <= HTTP_API.payloadBytes) chunks.push(chunk as Buffer);
  }
  return size > HTTP_API.payloadBytes ? { tooLarge: size } : Buffer.concat(chunks);
}

type Outcome = { result: APIGatewayProxyStructuredResultV2 } | { late: 'function' | 'integration' };

/**
 * Runs the handler as Lambda would behind API Gateway: bounded by the function's timeout and the
 * integration timeout, whichever comes first. A late handler's result is dropped (Lambda would
 * have stopped it; locally it runs on unheard).
 */
async function invoke(
  run: (timeoutMs: number) => Promise<APIGatewayProxyStructuredResultV2>,
  integrationMs: number,
  functionMs: number | undefined,
): Promise<Outcome> {
  const functionFirst = functionMs !== undefined && functionMs < integrationMs;
  const limitMs = functionFirst ? functionMs : integrationMs;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ late: functionFirst ? 'function' : 'integration' }), limitMs);
  });
  try {
    return await Promise.race([run(functionMs ?? integrationMs).then((result) => ({ result })), late]);
  } finally {
    clearTimeout(timer);
  }
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
    if ('tooLarge' in body) {
      // As API Gateway answers it (observed: 413 with this text); no handler runs.
      res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8' });
      return res.end(`HTTP content length exceeded ${HTTP_API.payloadBytes} bytes.`);
    }
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
    // Lambda refuses an invocation whose event is over its synchronous payload limit.
    if (jsonBytes(event) > LAMBDA.syncRequestBytes) return send(res, gatewayError(500));
    const group = match.route.group;
    const handler = options.handlers[group];
    const outcome = await invoke(
      (timeoutMs) => handler(event, lambdaContext(group, timeoutMs)),
      options.integrationTimeoutMs ?? HTTP_API.integrationTimeoutMs,
      // As deployed: each group's function times out after its budget (lib/constructs/controller-api.ts).
      options.functionTimeoutMs?.[group] ?? routeTimeouts(group).lambdaTimeoutSeconds * 1000,
    );
    if ('late' in outcome) {
      console.error(`${key}: the ${outcome.late} timed out; its result, if any, is dropped`);
      return send(res, gatewayError(outcome.late === 'integration' ? 503 : 502));
    }
    const { result } = outcome;
    if (jsonBytes(result) > LAMBDA.syncResponseBytes) {
      console.error(`${key}: the response is over Lambda's ${LAMBDA.syncResponseBytes}-byte payload limit`);
      return send(res, gatewayError(502));
    }
    const problem = options.validateResponses ? responseProblem(match.route, result) : undefined;
    if (problem) {
      // Loud on purpose: the reply breaks its declared schema, and so the OpenAPI document.
      const msg = `Response of ${key} does not match its declared schema: ${problem}`;
      console.error(msg);
      return send(res, jsonError(500, msg, requestId));
    }
    send(res, result);
  };

  const server: Server = createServer({ maxHeaderSize: PARSER_HEAD_LIMIT }, (req, res) => {
    handle(req, res).catch((error) => {
      // A handler that throws is a Lambda function error: API Gateway answers 502.
      console.error('gateway error', error);
      if (!res.headersSent) send(res, gatewayError(502));
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

// Checks a reply against what its route declares. The local gateway runs it on every 2xx reply
// when asked (tests do), so the declared schemas, and the OpenAPI document made from them, stay true.
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { AnyRoute } from './route';
import { describeIssues } from './validation';

function headerValue(result: APIGatewayProxyStructuredResultV2, name: string): string {
  for (const [key, value] of Object.entries(result.headers ?? {})) {
    if (key.toLowerCase() === name) return String(value);
  }
  return '';
}

/** What is wrong with a successful reply, or undefined when it is as declared (or not a 2xx). */
export function responseProblem(
  route: AnyRoute,
  result: APIGatewayProxyStructuredResultV2,
): string | undefined {
  const status = result.statusCode ?? 200;
  if (status < 200 || status > 299) return undefined;
  const spec = route.responses[status];
  if (!spec) return `status ${status} is not declared`;
  if (spec.kind === 'passthrough') return undefined;
  const contentType = headerValue(result, 'content-type');
  const raw = result.isBase64Encoded
    ? Buffer.from(result.body ?? '', 'base64').toString('utf8')
    : (result.body ?? '');
  if (spec.kind === 'text') {
    if (!contentType.startsWith(spec.mediaType))
      return `content-type '${contentType}' is not ${spec.mediaType}`;
    return undefined;
  }
  if (!contentType.startsWith('application/json')) return `content-type '${contentType}' is not JSON`;
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (error) {
    return `body is not JSON: ${(error as Error).message}`;
  }
  const parsed = spec.schema.safeParse(body);
  return parsed.success ? undefined : describeIssues(`status ${status} body`, parsed.error);
}

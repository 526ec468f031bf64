// The AWS limits this project depends on, stated once with where AWS says so. The local gateway,
// the local workflow runner and the DynamoDB adapter enforce or respect them from here, so the
// local stack refuses what AWS would refuse. Sizes are bytes; KB/MB in AWS's quota tables are
// binary (1 KB = 1024 bytes) unless a comment says otherwise.

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * API Gateway HTTP API. "Quotas for configuring and running an HTTP API in API Gateway"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html): maximum
 * integration timeout 30 seconds, total combined size of request line and header values 10240
 * bytes, payload size 10 MB; none can be increased.
 */
export const HTTP_API = {
  integrationTimeoutMs: 30_000,
  requestLineAndHeaderValuesBytes: 10_240,
  payloadBytes: 10 * MiB,
} as const;

/**
 * Lambda, synchronous invocation. Invoke API reference
 * (https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html): "For synchronous invocations,
 * the maximum payload size is 6 MB". A response over it fails with "Response payload size
 * exceeded maximum allowed payload size (6291556 bytes)" (observed in API Gateway integration
 * logs, e.g. DataBiosphere/azul#7466), which is the figure the response check uses.
 */
export const LAMBDA = {
  syncRequestBytes: 6 * MiB,
  syncResponseBytes: 6_291_556,
  /**
   * The init phase of a cold start may take 10 s before the function's own timeout starts
   * ("Lambda execution environment lifecycle": an init past 10 s is retried within the
   * invocation's timeout).
   */
  initLimitSeconds: 10,
  /** A function's timeout may be set to at most 900 seconds (15 minutes). */
  maxTimeoutSeconds: 900,
} as const;

/**
 * Step Functions (Standard workflows).
 * - Payloads: the API reference gives every state input, output and execution input a "Maximum
 *   length of 262144" UTF-8 bytes (e.g. API_StateExitedEventDetails, API_ExecutionStartedEventDetails);
 *   beyond it a state fails with the terminal States.DataLimitExceeded, which States.ALL does not
 *   catch (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
 * - Execution names: at most 80 characters, unique per account, Region and state machine for
 *   90 days, and free of whitespace, brackets, wildcards, special and control characters
 *   (API_StartExecution `name`; service-quotas.html "General quotas").
 * - Inline Map: "supports up to 40 concurrent iterations"
 *   (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html).
 * - Execution history: at most 25,000 events per execution (service-quotas.html, "Maximum
 *   execution history size", not adjustable); past it the execution fails.
 */
export const STEP_FUNCTIONS = {
  payloadBytes: 256 * KiB,
  executionNameMaxChars: 80,
  executionNameReuseDays: 90,
  inlineMapMaxConcurrency: 40,
  executionHistoryEvents: 25_000,
} as const;

/**
 * DynamoDB.
 * - Item: 400 KB, attribute names included (service quotas, "Item size").
 * - TransactWriteItems "groups up to 100 action requests" (API_TransactWriteItems).
 * - BatchGetItem: "up to 16 MB of data, which can contain as many as 100 items" (API_BatchGetItem).
 * - Query: "results are divided into pages of data that are 1 MB in size (or less)"
 *   (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html).
 */
export const DYNAMODB = {
  itemBytes: 400 * KiB,
  transactWriteActions: 100,
  batchGetKeys: 100,
  batchGetBytes: 16 * MiB,
  queryPageBytes: 1 * MiB,
} as const;

export function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** Bytes of a value as JSON, the way AWS measures a payload; undefined counts as nothing. */
export function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value);
  return text === undefined ? 0 : utf8Bytes(text);
}

/** Why a Step Functions payload is refused, or undefined if it fits. */
export function payloadProblem(value: unknown, what: string): string | undefined {
  const bytes = jsonBytes(value);
  return bytes > STEP_FUNCTIONS.payloadBytes
    ? `${what} is ${bytes} bytes, over the ${STEP_FUNCTIONS.payloadBytes}-byte limit`
    : undefined;
}

/**
 * Characters an execution name must not contain (API_StartExecution): white space, brackets
 * < > { } [ ], wildcards ? *, special characters " # % \ ^ | ~ ` $ & , ; : /, control characters
 * U+0000-001F and U+007F-009F, U+FFFE-FFFF, and lone surrogates (U+D800-DFFF: in a `u` regex
 * a paired surrogate is one code point and does not match).
 */
const FORBIDDEN_NAME_CHARS =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it must find.
  /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f\ufffe\uffff\ud800-\udfff]/u;

/** Why Step Functions would refuse this execution name (InvalidName), or undefined. */
export function executionNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'an execution name may not be empty';
  // Lengths count characters (code points), as the API's length constraint does.
  const chars = [...name].length;
  if (chars > STEP_FUNCTIONS.executionNameMaxChars)
    return `execution name '${name}' is ${chars} characters, over the ${STEP_FUNCTIONS.executionNameMaxChars} allowed`;
  const bad = FORBIDDEN_NAME_CHARS.exec(name);
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    return `execution name '${name}' holds U+${code}, which is not allowed`;
  }
  return undefined;
}

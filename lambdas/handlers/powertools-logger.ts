// Structured JSON logs on AWS (Powertools Logger): level, service, cold start and the function's
// request context on every line. Events are never logged: they carry tokens.
import { Logger } from '@aws-lambda-powertools/logger';
import type { ErrorLogger } from '../api/middleware/error-response';

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'storage-controller',
});

export const powertoolsErrorLogger: ErrorLogger = {
  error: (message, details) => logger.error(message, details),
};

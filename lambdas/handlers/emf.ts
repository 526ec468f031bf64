// CloudWatch metrics of this container: every function records into its registry with this sink
// (namespace and service from POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME, the stage
// as a dimension), and each handler flushes it when its invocation ends.
import { Metrics } from '@aws-lambda-powertools/metrics';
import { EmfMetricSink } from '../adapters/emf-metric-sink';

export const emf = new EmfMetricSink(
  new Metrics({ defaultDimensions: { stage: process.env.STAGE ?? 'unknown' } }),
);

/** The handler, flushing this invocation's metrics however it ends. */
export function flushingMetrics<A extends unknown[], R>(handler: (...args: A) => Promise<R>) {
  return async (...args: A): Promise<R> => {
    try {
      return await handler(...args);
    } finally {
      emf.flush();
    }
  };
}

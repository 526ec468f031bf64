// Liveness, readiness and metrics: the only routes that never need a token.
import { isReady } from '../../core/ports';
import { nullBody, text } from '../responses';
import { defineRoute, ok } from '../route';

export const statusRoutes = [
  defineRoute({
    method: 'GET',
    path: '/status',
    group: 'status',
    scope: null,
    summary: 'Liveness: 200 null while the API answers.',
    responses: { 200: nullBody('Alive.') },
    handler: async () => ok(null),
  }),
  defineRoute({
    method: 'GET',
    path: '/ready',
    group: 'status',
    scope: null,
    summary: 'Readiness: 200 null once startup has finished, else 503 null.',
    responses: { 200: nullBody('Startup has finished.'), 503: nullBody('Still starting up.') },
    handler: async (_request, services) => ({
      status: isReady(await services.meta.get()) ? 200 : 503,
      body: null,
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/metrics',
    group: 'status',
    scope: null,
    summary: 'Prometheus text exposition.',
    responses: { 200: text('text/plain', 'Prometheus text exposition, format 0.0.4.') },
    handler: async (_request, services) => ({
      status: 200,
      text: services.metrics.render(),
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
    }),
  }),
];

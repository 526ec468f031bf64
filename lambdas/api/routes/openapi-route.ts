// GET /openapi.json: this API described from the route table. The table is passed in as a getter
// because the table itself lists this route.
import { openApiDocument } from '../openapi';
import { openApiDocumentOut } from '../response-schemas';
import { json } from '../responses';
import { type AnyRoute, defineRoute, ok } from '../route';

export function openApiRoute(routes: () => readonly AnyRoute[]): AnyRoute {
  let document: unknown;
  return defineRoute({
    method: 'GET',
    path: '/openapi.json',
    group: 'status',
    scope: null,
    summary: 'This API as an OpenAPI 3.1 document, generated from the route table.',
    responses: { 200: json(openApiDocumentOut, 'The OpenAPI document.') },
    handler: async () => {
      // The table does not change while the process lives.
      document ??= openApiDocument(routes());
      return ok(document);
    },
  });
}

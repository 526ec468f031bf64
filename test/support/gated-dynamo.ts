// Holds a chosen DynamoDB request in flight: wrapped under the conflict-faithful client, the request
// has been seen by it but not yet by DynamoDB Local, so "in flight" is a state a test controls
// rather than a timing accident.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** A client that can hold the next request of a kind in flight (after callers sent it) until released. */
export function gated(doc: DynamoDBDocumentClient) {
  let hold: string | null = null;
  let open: () => void = () => undefined;
  let arrived: () => void = () => undefined;
  const send = doc.send.bind(doc) as (c: unknown) => Promise<unknown>;
  const client = new Proxy(doc, {
    get(target, property) {
      if (property !== 'send') return Reflect.get(target, property, target);
      return async (command: { constructor: { name: string } }) => {
        if (command.constructor.name === hold) {
          hold = null;
          const opened = new Promise<void>((r) => {
            open = r;
          });
          arrived();
          await opened;
        }
        return send(command);
      };
    },
  });
  return {
    client,
    /** Sends `request`, held in flight until the returned `release` is called. */
    async inFlight(kind: string, request: () => Promise<unknown>) {
      hold = kind;
      const held = new Promise<void>((r) => {
        arrived = r;
      });
      const done = request();
      await held;
      return {
        release: async () => {
          open();
          return done;
        },
      };
    },
  };
}

// Deletions on pageservers finish in the background: 202 means "still going", 404 "gone". The
// HTTP call polls (after 1 s, then every 5 s) and answers 200 when gone, or 409 by the request's
// deadline so the caller retries later; API Gateway's limit stays out of reach.
import { nullBody } from './responses';
import type { Reply, RouteResponses } from './route';

/** What a deleting route answers: the two statuses below, both with body `null`. */
export const deletionResponses: RouteResponses = {
  200: nullBody('Gone from every pageserver, and from the controller.'),
  409: nullBody('Still deleting when the request had to answer: call again.'),
};

/** Polls `step` until it is done (200) or the next poll would pass `deadline` (409). */
export async function retryDeletion(
  step: () => Promise<'in-progress' | 'done'>,
  deadline: number,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<Reply> {
  for (let round = 0; ; round++) {
    if ((await step()) === 'done') return { status: 200, body: null };
    const pause = round === 0 ? 1000 : 5000;
    if (Date.now() + pause > deadline) return { status: 409, body: null };
    await sleep(pause);
  }
}

// What a custom resource's function needs of CloudFormation: its stack's status, and a way to
// answer the request (a PUT of the response to the pre-signed ResponseURL, which CloudFormation
// waits on; retried, since an answer that never arrives holds the deploy until ServiceTimeout).
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

export function stackStatusReader(client = new CloudFormationClient({})) {
  return async (stackId: string): Promise<string | undefined> => {
    try {
      const out = await client.send(new DescribeStacksCommand({ StackName: stackId }));
      return out.Stacks?.[0]?.StackStatus;
    } catch {
      return undefined;
    }
  };
}

export async function sendCustomResourceResponse(
  url: string,
  response: object,
  options: { attempts?: number; pauseMs?: number } = {},
): Promise<void> {
  const body = JSON.stringify(response);
  const attempts = options.attempts ?? 4;
  for (let attempt = 1; ; attempt++) {
    try {
      // The URL is signed for an empty content type.
      const res = await fetch(url, { method: 'PUT', body, headers: { 'content-type': '' } });
      await res.arrayBuffer();
      if (res.ok) return;
      throw new Error(`the response URL answered ${res.status}`);
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((r) => setTimeout(r, (options.pauseMs ?? 1_000) * attempt));
    }
  }
}

// The stack's deploy-time parts (issue 13): what the functions may read of Secrets Manager.
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { stageSettings } from '../../lib/stage';
import { StorageControllerStack, secretNames } from '../../lib/storage-controller-stack';

let template: Template;
beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  template = Template.fromStack(
    new StorageControllerStack(app, 'Test', { settings: stageSettings('staging') }),
  );
}, 120_000);

type Statement = { Action: string | string[]; Resource: unknown };

describe('secrets', () => {
  it('grants each secret by its suffixed ARN and by its bare name, so a missing one reads as absent', () => {
    const resources = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
      .filter((st) => [st.Action].flat().includes('secretsmanager:GetSecretValue'))
      .map((st) => JSON.stringify(st.Resource));
    expect(resources.length).toBeGreaterThan(20);
    for (const name of Object.values(secretNames('staging'))) {
      for (const granted of resources) {
        // IAM checks a secret that does not exist against `secret:<name>`; one that exists against
        // `secret:<name>-xxxxxx`.
        expect(granted).toContain(`:secret:${name}-*"`);
        expect(granted).toContain(`:secret:${name}"`);
      }
    }
  });
});

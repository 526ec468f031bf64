// The CDK app: `npx cdk synth -c stage=staging`, `npx cdk deploy -c stage=staging`. Every other
// setting comes from config/<stage>.json (lib/stage.ts).
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { RETIRED_CONTEXT_KEYS, stageSettings } from '../lib/stage';
import { StorageControllerStack } from '../lib/storage-controller-stack';

const app = new App();
// cdk-nag runs at every synth; acknowledged findings carry their reasons (lib/nag-acknowledgements.ts).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
const settings = stageSettings(app.node.tryGetContext('stage'));
for (const key of RETIRED_CONTEXT_KEYS) {
  // A flag that would be ignored is refused: the stage's file is the one place for it.
  if (app.node.tryGetContext(key) !== undefined)
    throw new Error(`-c ${key} is no longer read: set ${key} in config/${settings.stage}.json`);
}
new StorageControllerStack(app, `StorageController-${settings.stage}`, {
  settings,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});

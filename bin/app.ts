// The CDK app: `npx cdk synth -c stage=staging`, `npx cdk deploy -c stage=staging`.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stageSettings } from '../lib/stage';
import { StorageControllerStack } from '../lib/storage-controller-stack';

const app = new App();
// cdk-nag runs at every synth; acknowledged findings carry their reasons (lib/nag-acknowledgements.ts).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
const settings = stageSettings(app.node.tryGetContext('stage'));
new StorageControllerStack(app, `StorageController-${settings.stage}`, {
  settings,
  computeHookUrl: app.node.tryGetContext('computeHookUrl'),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});

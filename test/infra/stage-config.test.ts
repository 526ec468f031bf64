// Deploy settings (issue 13, defect 9): one typed file per stage, config/<stage>.json, is the only
// source; the compute hook URL is required (null = off, warned at synth), and the retired `-c`
// flags are refused rather than ignored.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { CONFIG_DIR, readStageConfig, STAGES, type StageConfig, stageSettings } from '../../lib/stage';
import { StorageControllerStack } from '../../lib/storage-controller-stack';

const ROOT = join(import.meta.dirname, '..', '..');

/** A config directory holding one stage's file, written from `config`. */
function configDir(stage: string, config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'stage-config-'));
  writeFileSync(join(dir, `${stage}.json`), JSON.stringify(config));
  return dir;
}

function synth(stage: string, dir: string) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new StorageControllerStack(app, 'Test', { settings: stageSettings(stage, dir) });
  return { template: Template.fromStack(stack), annotations: Annotations.fromStack(stack) };
}

/** COMPUTE_HOOK_URL of every function that carries the table name (ours). */
function hookUrls(template: Template): unknown[] {
  return Object.values(template.findResources('AWS::Lambda::Function'))
    .map((f) => (f.Properties.Environment?.Variables ?? {}) as Record<string, unknown>)
    .filter((vars) => 'TABLE_NAME' in vars)
    .map((vars) => vars.COMPUTE_HOOK_URL);
}

const staging: StageConfig = JSON.parse(readFileSync(join(CONFIG_DIR, 'staging.json'), 'utf8'));

describe('stage config', () => {
  it('parses for every stage, and keeps data everywhere but dev', () => {
    for (const stage of STAGES) expect(() => readStageConfig(stage), stage).not.toThrow();
    expect(stageSettings('dev')).toMatchObject({ deletionProtection: false, removalPolicy: 'destroy' });
    for (const stage of ['staging', 'prod'])
      expect(stageSettings(stage), stage).toMatchObject({
        deletionProtection: true,
        removalPolicy: 'retain',
      });
    expect(stageSettings(undefined).stage).toBe('dev');
    expect(() => stageSettings('qa')).toThrow(/unknown stage 'qa'/);
  });

  it('requires computeHookUrl: a file without it is refused, naming the field', () => {
    const { computeHookUrl: _omitted, ...rest } = staging;
    expect(() => stageSettings('staging', configDir('staging', rest))).toThrow(/computeHookUrl/);
  });

  it('refuses an unknown setting, a bad URL and a bad alarm address, naming each', () => {
    const bad = {
      ...staging,
      computeHookUrl: 'ftp://hook',
      alarms: { emails: ['not-an-address'], httpsUrls: ['http://plain'] },
      computeHook: 'typo',
    };
    const error = (() => {
      try {
        stageSettings('staging', configDir('staging', bad));
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    for (const field of ['computeHookUrl', 'alarms.emails.0', 'alarms.httpsUrls.0', 'computeHook'])
      expect(error).toContain(field);
  });

  it('puts the file’s compute hook URL on every function, with no flag', () => {
    const url = 'https://control-plane.example/notify';
    const { template, annotations } = synth(
      'staging',
      configDir('staging', { ...staging, computeHookUrl: url }),
    );
    const urls = hookUrls(template);
    expect(urls.length).toBeGreaterThan(20);
    expect(new Set(urls)).toEqual(new Set([url]));
    annotations.hasNoWarning('*', Match.stringLikeRegexp('compute notifications are off'));
  }, 120_000);

  it('warns at synth when staging runs without compute notifications', () => {
    const { template, annotations } = synth('staging', CONFIG_DIR);
    expect(new Set(hookUrls(template))).toEqual(new Set([undefined]));
    annotations.hasWarning('*', Match.stringLikeRegexp('compute notifications are off for stage staging'));
  }, 120_000);

  it('refuses the retired -c computeHookUrl flag instead of ignoring it', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bin', 'app.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ stage: 'staging', computeHookUrl: 'https://hook.example' }),
        CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'cdk-out-')),
      },
      encoding: 'utf8',
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(
      '-c computeHookUrl is no longer read: set computeHookUrl in config/staging.json',
    );
  });
});

// Workflow tasks of a live migration: thin wrappers over its steps.
import * as z from 'zod';
import { defineTask } from '../../app/task';
import {
  abortMigration,
  attachDestination,
  beginMigration,
  checkCatchUp,
  finishMigration,
  notifyMigration,
  releaseMigration,
  staleOrigin,
} from './steps';

const migrationInput = z.looseObject({ shard: z.string(), node_id: z.number().int(), execution: z.string() });
const migrationState = migrationInput.extend({ origin: z.number().int().nullable(), noop: z.boolean() });

export const migrateTasks = [
  defineTask({
    name: 'BeginMigration',
    input: migrationInput,
    budgetSeconds: 25,
    table: 'write',
    run: (input, context) => beginMigration(context, input),
  }),
  defineTask({
    name: 'StaleOrigin',
    input: migrationState,
    budgetSeconds: 25,
    table: 'write',
    run: (input, context) => staleOrigin(context, input),
  }),
  defineTask({
    name: 'AttachDestination',
    input: migrationState,
    budgetSeconds: 25,
    table: 'write',
    run: (input, context) => attachDestination(context, input),
  }),
  defineTask({
    name: 'CheckCatchUp',
    input: migrationState.extend({ baseline: z.record(z.string(), z.string()), deadline: z.number() }),
    budgetSeconds: 25,
    table: 'read',
    run: (input, context) => checkCatchUp(context, input),
  }),
  defineTask({
    name: 'NotifyMigration',
    input: migrationState,
    budgetSeconds: 25,
    table: 'write',
    run: (input, context) => notifyMigration(context, input),
  }),
  defineTask({
    name: 'FinishMigration',
    input: migrationState,
    budgetSeconds: 25,
    table: 'write',
    run: (input, context) => finishMigration(context, input),
  }),
  defineTask({
    name: 'ReleaseMigration',
    input: migrationInput,
    budgetSeconds: 25,
    table: 'write',
    run: (input, context) => releaseMigration(context, input),
  }),
  defineTask({
    name: 'AbortMigration',
    input: migrationState,
    budgetSeconds: 25,
    table: 'write',
    run: (input, context) => abortMigration(context, input),
  }),
];

// Workflow tasks of a live migration: thin wrappers over the operations.
import type { Services } from '../api/services';
import {
  abortMigration,
  attachDestination,
  beginMigration,
  checkCatchUp,
  finishMigration,
  type MigrationInput,
  type MigrationState,
  notifyMigration,
  releaseMigration,
  staleOrigin,
} from '../operations/migrate';

export const migrateTasks = {
  BeginMigration: (input: MigrationInput, services: Services) => beginMigration(services, input),
  StaleOrigin: (input: MigrationState, services: Services) => staleOrigin(services, input),
  AttachDestination: (input: MigrationState, services: Services) => attachDestination(services, input),
  CheckCatchUp: (
    input: MigrationState & { baseline: Record<string, string>; deadline: number },
    services: Services,
  ) => checkCatchUp(services, input),
  NotifyMigration: (input: MigrationState, services: Services) => notifyMigration(services, input),
  FinishMigration: (input: MigrationState, services: Services) => finishMigration(services, input),
  ReleaseMigration: (input: MigrationInput, services: Services) => releaseMigration(services, input),
  AbortMigration: (input: MigrationState, services: Services) => abortMigration(services, input),
};

// The single table, with exactly the keys and indexes the store uses (shared with the local stack).
import { aws_dynamodb as dynamodb, type aws_iam as iam } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { GLOBAL_INDEXES, PK, SK, TTL_ATTRIBUTE } from '../../lambdas/adapters/dynamo/table-schema';
import type { TableAccess } from '../../lambdas/app/task';
import type { StageSettings } from '../stage';

export class ControllerTable extends Construct {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, settings: StageSettings) {
    super(scope, id);
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: { name: PK, type: dynamodb.AttributeType.STRING },
      sortKey: { name: SK, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Garbage collection of expired leases only; expiry itself is checked in conditions.
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: settings.deletionProtection,
      removalPolicy: settings.removalPolicy,
      globalSecondaryIndexes: GLOBAL_INDEXES.map((index) => ({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      })),
    });
  }

  /** The grant a declared access needs: read → read actions, write → read and write, none → nothing. */
  grant(grantee: iam.IGrantable, access: TableAccess): void {
    if (access === 'read') this.table.grantReadData(grantee);
    else if (access === 'write') this.table.grantReadWriteData(grantee);
  }
}

// A fresh table per test file on the run's shared DynamoDB Local.
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { createDocumentClient } from '../../lambdas/adapters/dynamo/client';
import { deleteTable, ensureTable } from '../../lambdas/adapters/dynamo/create-table';
import { Table } from '../../lambdas/adapters/dynamo/table';

export interface TestTable {
  table: Table;
  endpoint: string;
  name: string;
  drop(): Promise<void>;
}

export async function createTestTable(): Promise<TestTable> {
  const endpoint = inject('dynamoEndpoint');
  const doc = createDocumentClient({ endpoint });
  const name = `test-${randomUUID()}`;
  await ensureTable(doc, name);
  return {
    table: new Table(doc, name),
    endpoint,
    name,
    async drop() {
      await deleteTable(doc, name);
      doc.destroy();
    },
  };
}

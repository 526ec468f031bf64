// In-memory implementations of the ports of lambdas/core/ports.ts, for fast use-case tests.
// test/adapters/dynamo/tenant-store-contract.test.ts holds the tenant store to the DynamoDB one.
export * from './compute-hook';
export * from './context';
export * from './lease-store';
export * from './meta-store';
export * from './node-store';
export * from './pageservers';
export * from './tenant-store';
export * from './workflows';

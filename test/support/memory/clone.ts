// Stored values are copied in and out, as a database would: a caller mutating what it read (or
// what it wrote) never changes the store. JSON drops undefined fields as the DynamoDB marshaller
// does (removeUndefinedValues).
export function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

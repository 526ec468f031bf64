// DynamoDB expressions with placeholder names and values, so attribute names never clash with
// reserved words.
export interface UpdateSpec {
  /** The version read; the write succeeds only if the item still has it. */
  expectedVersion: number;
  set?: Record<string, unknown>;
  remove?: string[];
  /** Atomic numeric increments (negative to decrement). */
  add?: Record<string, number>;
}

/** Builds update expressions with placeholder names so attribute names never clash with reserved words. */
export class ExpressionBuilder {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private counter = 0;

  name(attribute: string): string {
    const placeholder = `#n${this.counter++}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  value(value: unknown): string {
    const placeholder = `:v${this.counter++}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  update(spec: UpdateSpec): { expression: string; condition: string } {
    const setParts: string[] = [];
    for (const [attribute, value] of Object.entries(spec.set ?? {})) {
      if (value === undefined) continue;
      setParts.push(`${this.name(attribute)} = ${this.value(value)}`);
    }
    const version = this.name('version');
    setParts.push(`${version} = ${this.value(spec.expectedVersion + 1)}`);
    const addParts = Object.entries(spec.add ?? {}).map(
      ([attribute, delta]) => `${this.name(attribute)} ${this.value(delta)}`,
    );
    const removeParts = (spec.remove ?? []).map((attribute) => this.name(attribute));
    let expression = `SET ${setParts.join(', ')}`;
    if (addParts.length > 0) expression += ` ADD ${addParts.join(', ')}`;
    if (removeParts.length > 0) expression += ` REMOVE ${removeParts.join(', ')}`;
    return { expression, condition: `${version} = ${this.value(spec.expectedVersion)}` };
  }

  /** Names/values objects, or undefined when empty (DynamoDB rejects empty maps). */
  get expressionNames(): Record<string, string> | undefined {
    return Object.keys(this.names).length > 0 ? this.names : undefined;
  }

  get expressionValues(): Record<string, unknown> | undefined {
    return Object.keys(this.values).length > 0 ? this.values : undefined;
  }
}

// The layering rule, checked: which folder of lambdas/ may import which, which packages each may
// use, no import cycles, and no source or test file over the size limit. `npm run lint` runs it (through
// tools/check-architecture.ts) and test/architecture checks it against planted violations.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Layers from the bottom up; a file may import its own layer and those below. */
export const LAYERS = [
  { name: 'core', folders: ['core'] },
  { name: 'app', folders: ['app'] },
  { name: 'adapters', folders: ['adapters'] },
  {
    name: 'features',
    folders: ['leases', 'reconciler', 'notifications', 'tenants', 'timelines', 'nodes', 'debug', 'workflows'],
  },
  { name: 'entry', folders: ['api', 'tasks'] },
  { name: 'handlers', folders: ['handlers'] },
] as const;

/** Imports across the same rank that are forbidden anyway (adapters sit beside features, not below). */
const FORBIDDEN: Array<[from: string, to: string]> = [
  ['features', 'adapters'],
  ['entry', 'adapters'],
  ['adapters', 'features'],
];

/** Packages a layer may not use: the pure core knows no SDK, HTTP framework or runtime. */
const FORBIDDEN_PACKAGES: Record<string, RegExp> = {
  core: /^(@aws-sdk\/|@middy\/|aws-lambda$|@aws-lambda-powertools\/|aws-jwt-verify|node:http|node:https|node:fs)/,
  app: /^(@aws-sdk\/|@middy\/|aws-lambda$|@aws-lambda-powertools\/|node:http|node:https|node:fs)/,
  features: /^(@aws-sdk\/|@middy\/|aws-lambda$|@aws-lambda-powertools\/|node:http|node:https|node:fs)/,
  adapters: /^(@middy\/)/,
};

export const MAX_LINES = 400;
const SHOWN_CYCLES = 3;

export interface SourceFile {
  /** Path relative to the repository root, with forward slashes. */
  path: string;
  text: string;
}

export function layerOf(path: string): { rank: number; name: string } | null {
  const match = /^lambdas\/([^/]+)\//.exec(path);
  if (!match) return null;
  const rank = LAYERS.findIndex((l) => (l.folders as readonly string[]).includes(match[1]!));
  return rank < 0 ? null : { rank, name: LAYERS[rank]!.name };
}

export function importsOf(text: string): string[] {
  const specs: string[] = [];
  const pattern =
    /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const match of text.matchAll(pattern)) specs.push((match[1] ?? match[2])!);
  return specs;
}

function resolveRelative(from: string, spec: string, known: Set<string>): string | null {
  const base = relative('/', resolve('/', dirname(from), spec)).replace(/\\/g, '/');
  for (const candidate of [`${base}.ts`, `${base}/index.ts`, base])
    if (known.has(candidate)) return candidate;
  return null;
}

export interface Violation {
  file: string;
  message: string;
}

export function checkArchitecture(files: SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  const known = new Set(files.map((f) => f.path));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const from = layerOf(file.path);
    const edges: string[] = [];
    const lines = file.text.split('\n').length;
    if (lines > MAX_LINES)
      violations.push({ file: file.path, message: `${lines} lines (limit ${MAX_LINES})` });
    for (const spec of importsOf(file.text)) {
      if (!spec.startsWith('.')) {
        const banned = from && FORBIDDEN_PACKAGES[from.name];
        if (banned?.test(spec))
          violations.push({ file: file.path, message: `${from!.name} may not import package ${spec}` });
        continue;
      }
      const target = resolveRelative(file.path, spec, known);
      if (!target) continue;
      edges.push(target);
      if (!from) continue;
      if (!target.startsWith('lambdas/')) {
        violations.push({ file: file.path, message: `lambdas/ may not import ${target} (outside lambdas/)` });
        continue;
      }
      const to = layerOf(target);
      if (!to) continue;
      if (to.rank > from.rank)
        violations.push({ file: file.path, message: `${from.name} may not import ${to.name} (${target})` });
      else if (FORBIDDEN.some(([a, b]) => a === from.name && b === to.name))
        violations.push({ file: file.path, message: `${from.name} may not import ${to.name} (${target})` });
    }
    graph.set(file.path, edges);
  }
  // One planted import can close dozens of cycles: name a few, count the rest.
  const cycles = findCycles(graph);
  for (const cycle of cycles.slice(0, SHOWN_CYCLES))
    violations.push({ file: cycle[0]!, message: `import cycle: ${cycle.join(' → ')}` });
  if (cycles.length > SHOWN_CYCLES)
    violations.push({
      file: cycles[SHOWN_CYCLES]![0]!,
      message: `…and ${cycles.length - SHOWN_CYCLES} more import cycles`,
    });
  return violations;
}

/** One cycle per strongly connected component of more than one file (or a self-import). */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const s = state.get(next);
      if (s === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (s === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

/** Every .ts file under the given folders of the repository. */
export function readSources(root: string, folders: string[]): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) out.push({ path, text: readFileSync(join(root, path), 'utf8') });
    }
  };
  for (const folder of folders) walk(folder);
  return out;
}

/**
 * Render one frame of a simulator SVG animation to PNG with headless Chromium.
 *
 *   npm run compaction -- render-png in.svg out.png [--at 0..1]
 *   npx tsx compaction/render-svg-png.ts in.svg out.png [at]
 *
 * The SVG is inlined into a throw-away HTML page that pauses its animations at the requested
 * fraction of the timeline (default: the end), then Chromium takes a screenshot.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface RenderOptions {
  /** Fraction of the animation timeline to show, 0..1 (default 1, the final state). */
  readonly at?: number;
  readonly chromium?: string;
  readonly width?: number;
  readonly height?: number;
}

export async function renderSvgToPng(
  svgPath: string,
  pngPath: string,
  opts: RenderOptions = {},
): Promise<void> {
  const at = opts.at ?? 1;
  if (!(at >= 0 && at <= 1)) throw new Error(`--at must be within 0..1, got ${at}`);
  const svg = (await readFile(svgPath, 'utf8')).replace(/^<\?xml[^>]*>\s*/, '');
  const width = opts.width ?? 1200;
  const height = opts.height ?? 800;
  const dir = await mkdtemp(join(tmpdir(), 'compaction-render-'));
  try {
    const html = `<!doctype html>
<html><head><meta charset="utf-8"><style>
html,body{margin:0;background:#fff}
svg{display:block;width:100%;height:auto;max-height:100vh}
</style></head><body>
${svg}
<script>
const s = document.querySelector('svg');
s.pauseAnimations();
const d = Number(s.getAttribute('data-duration') || 0);
// A hair past the requested instant so events scheduled exactly there have fired.
s.setCurrentTime(d * ${at} + 0.001);
</script>
</body></html>`;
    const page = join(dir, 'frame.html');
    await writeFile(page, html);
    const out = resolve(pngPath);
    await run(opts.chromium ?? '/usr/bin/chromium', [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      `--user-data-dir=${join(dir, 'profile')}`,
      `--screenshot=${out}`,
      `--window-size=${width},${height}`,
      pathToFileURL(page).href,
    ]);
    const st = await stat(out).catch(() => undefined);
    if (!st || st.size === 0) throw new Error(`chromium did not write ${out}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', fail);
    child.on('exit', (code) =>
      code === 0 ? ok() : fail(new Error(`${cmd} exited with ${code}: ${err.slice(-2000)}`)),
    );
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [input, output, at] = process.argv.slice(2);
  if (input === undefined || output === undefined) {
    console.error('usage: tsx compaction/render-svg-png.ts in.svg out.png [at 0..1]');
    process.exit(2);
  }
  renderSvgToPng(input, output, at === undefined ? {} : { at: Number(at) }).then(
    () => console.log(`wrote ${output}`),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}

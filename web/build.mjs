// build.mjs — bundles the dashboard (src/main.js and what it imports, ECharts included) into
// dist/app.js with esbuild and copies index.html and style.css beside it. dist/ is what
// `patron serve` serves at /; it is generated (gitignored), never edited by hand.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
await build({
  entryPoints: [join(here, 'src/main.js')],
  bundle: true,
  format: 'esm',
  minify: true,
  sourcemap: false,
  target: ['es2020'],
  outfile: join(dist, 'app.js'),
  logLevel: 'warning',
});
copyFileSync(join(here, 'index.html'), join(dist, 'index.html'));
copyFileSync(join(here, 'src/style.css'), join(dist, 'style.css'));
console.log('web/dist: app.js, index.html, style.css');

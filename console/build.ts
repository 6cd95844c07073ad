// Builds the console into console/dist: one bundle (preact and the core modules it uses), its stylesheet and
// page, each also gzip- and brotli-compressed for the server to send as they are. Run by `npm ci` (prepare),
// `npm run build:console` and the operator image; dist/ is never committed.
import { build } from 'esbuild';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync } from 'node:zlib';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
await build({
  entryPoints: [join(root, 'src/main.tsx')],
  outfile: join(dist, 'app.js'),
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'linked',
  logLevel: 'warning',
});
for (const file of ['index.html', 'app.css']) await copyFile(join(root, 'src', file), join(dist, file));
for (const file of await readdir(dist)) {
  const content = await readFile(join(dist, file));
  await writeFile(join(dist, `${file}.gz`), gzipSync(content, { level: 9 }));
  await writeFile(join(dist, `${file}.br`), brotliCompressSync(content));
}

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

// No Docker engine runs here, so the images are checked by construction: what they COPY exists, the
// entrypoint and every module it imports are inside the copied folders, and the hadolint-style rules hold.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Dockerfile {
  name: string;
  lines: string[];
  copies: string[];
  entrypoint: string;
}

function parse(name: string): Dockerfile {
  const lines = readFileSync(join(root, name), 'utf8')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'));
  const copies = lines
    .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
    .flatMap((line) => line.split(/\s+/).slice(1, -1));
  const entry = lines.find((line) => line.startsWith('ENTRYPOINT'))!;
  const entrypoint = (JSON.parse(entry.slice('ENTRYPOINT'.length)) as string[])[1]!;
  return { name, lines, copies, entrypoint };
}

/** Every project file the entrypoint reaches through relative imports. */
function importGraph(entry: string): string[] {
  const seen = new Set<string>();
  const pending = [join(root, entry)];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g))
      pending.push(resolve(dirname(file), match[1]!));
  }
  return [...seen].map((file) => relative(root, file));
}

describe.each(['Dockerfile.operator', 'Dockerfile.evaluator'])('%s', (name) => {
  const dockerfile = parse(name);

  it('copies only what exists', () => {
    for (const source of dockerfile.copies)
      expect({ source, exists: existsSync(join(root, source)) }).toEqual({ source, exists: true });
  });

  it('copies the entrypoint and every module it imports', () => {
    const copied = dockerfile.copies.filter((source) => statSync(join(root, source)).isDirectory());
    for (const file of importGraph(dockerfile.entrypoint)) {
      expect({ file, copied: copied.some((folder) => file.startsWith(`${folder}/`)) }).toEqual({
        file,
        copied: true,
      });
    }
  });

  it('finds every package the entrypoint imports among the production dependencies', () => {
    const dependencies = Object.keys(
      (
        JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
          dependencies: Record<string, string>;
        }
      ).dependencies,
    );
    for (const file of importGraph(dockerfile.entrypoint)) {
      for (const match of readFileSync(join(root, file), 'utf8').matchAll(
        /^import(?!\s+type\b)[^'"]*from\s*'([^'.][^']*)'/gm,
      )) {
        const specifier = match[1]!;
        if (specifier.startsWith('node:')) continue;
        const name = specifier.startsWith('@')
          ? specifier.split('/').slice(0, 2).join('/')
          : specifier.split('/')[0]!;
        expect({ file, name, production: dependencies.includes(name) }).toEqual({
          file,
          name,
          production: true,
        });
      }
    }
  });

  it('follows the image rules: multi-stage, Node 24, production dependencies, numeric non-root user, no HEALTHCHECK', () => {
    const from = dockerfile.lines.filter((line) => line.startsWith('FROM '));
    expect(from.length).toBeGreaterThanOrEqual(2);
    for (const line of from) expect(line).toMatch(/^FROM node:24-bookworm-slim\b/);
    expect(dockerfile.lines.some((line) => /npm ci --omit=dev/.test(line))).toBe(true);
    const user = dockerfile.lines.filter((line) => line.startsWith('USER ')).at(-1);
    expect(user).toMatch(/^USER [1-9]\d{3,}:[1-9]\d{3,}$/);
    expect(dockerfile.lines.some((line) => line.startsWith('HEALTHCHECK'))).toBe(false);
    expect(dockerfile.lines.some((line) => /^(ADD|RUN (apt-get|curl|wget))/.test(line))).toBe(false);
  });
});

describe('.dockerignore', () => {
  it('keeps node_modules, git history, tests and benches out of the build context', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['.git', 'node_modules', 'tests', 'bench', '**/*.test.ts'])
      expect(ignored).toContain(entry);
  });
});

import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Document, isMap, parseAllDocuments } from 'yaml';
import { canonicalJson, GROUP, VERSION } from '../../../core/src/index.ts';

// Writes of the management API in local mode: the manifests directory is the cluster, so a write edits the
// document that declares the resource, in place, with the `yaml` package's Document API. Only the values that
// change are set, so the user's comments, key order and flow or block style stay where they were.

export interface DocumentRef {
  kind: string;
  namespace: string;
  name: string;
}

export interface ResourceContent {
  spec: Record<string, unknown>;
  annotations: Record<string, string>;
}

type Path = (string | number)[];
type Doc = Document.Parsed | Document;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Sets `after` at `path`, changing only what differs from `before` (maps key by key, the rest whole). */
function setChanged(doc: Doc, path: Path, before: unknown, after: unknown): void {
  if (canonicalJson(before ?? null) === canonicalJson(after ?? null) && doc.hasIn(path)) return;
  if (isPlainObject(before) && isPlainObject(after) && isMap(doc.getIn(path, true))) {
    for (const key of Object.keys(before)) if (!(key in after)) doc.deleteIn([...path, key]);
    for (const [key, value] of Object.entries(after)) setChanged(doc, [...path, key], before[key], value);
    return;
  }
  setCreating(doc, path, after);
}

const nodeOf = (doc: Doc, value: unknown) => doc.createNode(value);

/**
 * Where a value holds a `<<` key, which a YAML 1.1 manifest cannot hold: the yaml package prints it plain, and a
 * plain `<<` is read back as a merge key, so what is read would not be what was written.
 */
export function mergeKeyPath(value: unknown, path = 'spec'): string | null {
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, member] of Object.entries(value)) {
    if (key === '<<') return path;
    const found = mergeKeyPath(member, Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`);
    if (found) return found;
  }
  return null;
}

/** Sets a value, creating the maps on its path that do not exist yet (as plain maps, in YAML 1.1 too). */
function setCreating(doc: Doc, path: Path, value: unknown): void {
  for (let depth = 1; depth < path.length; depth++) {
    const prefix = path.slice(0, depth);
    if (!isMap(doc.getIn(prefix, true))) {
      doc.setIn(prefix, nodeOf(doc, nest(path.slice(depth), value)));
      return;
    }
  }
  doc.setIn(path, nodeOf(doc, value));
}

const nest = (path: Path, value: unknown): unknown =>
  path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);

const declares = (doc: Doc, ref: DocumentRef): boolean => {
  const value = doc.toJS() as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
  return (
    value?.kind === ref.kind &&
    value.metadata?.name === ref.name &&
    (value.metadata.namespace ?? 'default') === ref.namespace
  );
};

/** Writes the file as editors do: a temporary file renamed over it, so no reader sees half of it. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const mode = await stat(path).then(
    (stats) => stats.mode & 0o777,
    () => 0o644,
  );
  await mkdir(dirname(path), { recursive: true });
  const temporary = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(temporary, text);
  await chmod(temporary, mode); // as the file was (or as manifests usually are), whatever local mode's umask
  await rename(temporary, path);
}

interface ParsedFile {
  source: string;
  documents: Document.Parsed[];
}

async function parseFile(path: string): Promise<ParsedFile> {
  const source = await readFile(path, 'utf8');
  return { source, documents: parseAllDocuments(source, { version: '1.1' }) as Document.Parsed[] };
}

/**
 * The file with one document replaced (or removed, for null): every other document is kept byte for byte,
 * since the library's printing of a document it did not change may still differ in spacing.
 */
function rewrite(
  { source, documents }: ParsedFile,
  index: number,
  replacement: Document.Parsed | null,
): string {
  const start = (i: number) => (i === 0 ? 0 : documents[i]!.range[0]);
  const end = (i: number) => (i + 1 < documents.length ? documents[i + 1]!.range[0] : source.length);
  const printed = replacement ? String(replacement) : '';
  const separated = index > 0 && printed && !printed.startsWith('---') ? `---\n${printed}` : printed;
  return source.slice(0, start(index)) + separated + source.slice(end(index));
}

/** A new file declaring the resource. */
export async function createManifest(
  path: string,
  ref: DocumentRef,
  content: ResourceContent,
): Promise<void> {
  const doc = new Document(null, { version: '1.1' });
  doc.contents = nodeOf(doc, {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: ref.kind,
    metadata: {
      name: ref.name,
      namespace: ref.namespace,
      ...(Object.keys(content.annotations).length > 0 ? { annotations: content.annotations } : {}),
    },
    spec: content.spec,
  });
  await writeAtomically(path, String(doc));
}

/** Changes the spec and annotations of the document declaring `ref` in the file at `path`. */
export async function editManifest(
  path: string,
  ref: DocumentRef,
  before: ResourceContent,
  after: ResourceContent,
): Promise<void> {
  const file = await parseFile(path);
  const index = file.documents.findIndex((each) => declares(each, ref));
  const doc = file.documents[index];
  if (!doc) throw new Error(`${path} no longer declares ${ref.kind} ${ref.namespace}/${ref.name}`);
  setChanged(doc, ['spec'], before.spec, after.spec);
  const annotations = { ...before.annotations, ...after.annotations };
  for (const [key, value] of Object.entries(annotations))
    if (before.annotations[key] !== value) setCreating(doc, ['metadata', 'annotations', key], value);
  await writeAtomically(path, rewrite(file, index, doc));
}

/** Removes the document declaring `ref`; the file goes with its last document. */
export async function removeFromManifest(path: string, ref: DocumentRef): Promise<void> {
  const file = await parseFile(path);
  const index = file.documents.findIndex((each) => declares(each, ref));
  if (index < 0) return;
  const others = file.documents.filter((_, i) => i !== index);
  if (others.every((each) => each.contents === null)) await unlink(path);
  else await writeAtomically(path, rewrite(file, index, null));
}

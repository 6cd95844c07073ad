import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { formatIssues, GROUP, isOurKind, resourceIssues, VERSION } from '../../../core/src/index.ts';

/** One FeatureFlag or Environment as a manifest declares it. */
export interface DeclaredResource {
  kind: string;
  namespace: string;
  name: string;
  spec: Record<string, unknown>;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  /** The file it came from, relative to the manifests directory. */
  file: string;
}

export interface ManifestReading {
  resources: DeclaredResource[];
  /** Files that could not be read or parsed: what they declared before stays as it was. */
  unreadable: Set<string>;
  /** What was refused, as `kubectl apply` would refuse it. */
  problems: string[];
  /** Resources (`kind/namespace/name`) declared with a spec that was refused: what they were stays as it was. */
  refused: Set<string>;
}

const API_VERSION = `${GROUP}/${VERSION}`;

/**
 * Reads every `.yaml`, `.yml` and `.json` file under `directory` (multi-document YAML included) and keeps our
 * kinds; other kinds (a Namespace, say) are ignored, as a cluster would hold them elsewhere. YAML is read as
 * kubectl reads it (YAML 1.1: `y`, `yes` and `on` are booleans). A resource the API server would refuse (its
 * name, namespace or spec; core's resourceIssues) is reported and left out, and so is a document that names our
 * group with a kind or version it does not serve, or our kinds in another group: kubectl fails on those too.
 */
export async function readManifests(directory: string): Promise<ManifestReading> {
  const reading: ManifestReading = { resources: [], unreadable: new Set(), problems: [], refused: new Set() };
  const seen = new Set<string>();
  const files = (await readdir(directory, { recursive: true }))
    .filter((file) => /\.(ya?ml|json)$/.test(file))
    .sort();
  for (const file of files) {
    const path = join(directory, file);
    const name = relative(directory, path);
    let documents;
    try {
      const text = await readFile(path, 'utf8');
      // Most likely a save caught half-way; deleting a resource is removing its document or its file.
      if (text.trim() === '') {
        reading.unreadable.add(name);
        reading.problems.push(`${name}: the file is empty; what it declared stays as it was`);
        continue;
      }
      documents = parseAllDocuments(text, { version: '1.1' });
    } catch (error) {
      reading.unreadable.add(name);
      reading.problems.push(`${name}: ${(error as Error).message}`);
      continue;
    }
    const broken = (Array.isArray(documents) ? documents : [documents]).find((doc) => doc.errors.length > 0);
    if (broken || !Array.isArray(documents)) {
      reading.unreadable.add(name);
      reading.problems.push(`${name}: ${broken?.errors[0]?.message ?? 'not YAML'}`);
      continue;
    }
    for (const document of documents) {
      const declared = declaredResource(document.toJS(), name, reading);
      if (!declared) continue;
      const id = `${declared.kind}/${declared.namespace}/${declared.name}`;
      if (seen.has(id)) {
        reading.problems.push(`${name}: ${id} is declared twice; the first declaration wins`);
        continue;
      }
      seen.add(id);
      reading.resources.push(declared);
    }
  }
  return reading;
}

function declaredResource(value: unknown, file: string, reading: ManifestReading): DeclaredResource | null {
  if (!value || typeof value !== 'object') return null;
  const { apiVersion, kind, metadata, spec } = value as Record<string, unknown>;
  const ours = typeof apiVersion === 'string' && apiVersion.split('/')[0] === GROUP;
  if (!ours && !isOurKind(kind)) return null; // another kind of resource, held elsewhere in a cluster
  if (apiVersion !== API_VERSION || !isOurKind(kind)) {
    reading.problems.push(
      `${file}: no matches for kind "${String(kind)}" in version "${String(apiVersion)}"`,
    );
    return null;
  }
  const meta = (metadata ?? {}) as Record<string, unknown>;
  const name = meta.name;
  const namespace = meta.namespace ?? 'default';
  const issues = resourceIssues(kind, { name, namespace, spec });
  if (issues.length > 0) {
    reading.problems.push(`${file}: ${kind} ${String(namespace)}/${String(name)}: ${formatIssues(issues)}`);
    if (typeof name === 'string' && typeof namespace === 'string')
      reading.refused.add(`${kind}/${namespace}/${name}`);
    return null;
  }
  return {
    kind,
    namespace: namespace as string,
    name: name as string,
    spec: spec as Record<string, unknown>,
    labels: stringsOf(meta.labels),
    annotations: stringsOf(meta.annotations),
    file,
  };
}

/** A map of strings (labels, annotations), without the entries that are not. */
function stringsOf(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

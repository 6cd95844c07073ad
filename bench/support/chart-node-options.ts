import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { arg } from './cli.ts';

interface AppValues {
  maxOldSpaceSizeMiB: number;
  maxSemiSpaceSizeMiB?: number;
}

/**
 * V8's memory settings as the Helm chart's defaults run `app` (charts/exclusive-change/values.yaml), so a bench
 * measures what a cluster runs. `--heap-mb` and `--semi-space-mb` override them for experiments.
 */
export function chartNodeOptions(app: 'operator' | 'evaluator'): { nodeOptions: string; heapMb: number } {
  const values = parse(readFileSync('charts/exclusive-change/values.yaml', 'utf8')) as Record<
    string,
    AppValues
  >;
  const heapMb = arg('heap-mb', values[app]!.maxOldSpaceSizeMiB);
  const semiSpaceMb = arg('semi-space-mb', values[app]!.maxSemiSpaceSizeMiB ?? 0);
  const nodeOptions = [
    `--max-old-space-size=${heapMb}`,
    ...(semiSpaceMb > 0 ? [`--max-semi-space-size=${semiSpaceMb}`] : []),
  ].join(' ');
  return { nodeOptions, heapMb };
}

// `npm start`: the whole system in one process on embedded defaults. Configuration, logging, signals, and the
// lines a user copies; the wiring is in local-stack.ts.
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../../runtime/src/logger.ts';
import { FEATURE_FLAGS } from '../../core/src/index.ts';
import { runService } from '../../runtime/src/run-service.ts';
import { loadConfig } from './config.ts';
import { startLocalStack, type LocalStack } from './local-stack.ts';

interface KeyEntry {
  namespace: string;
  environment: string;
  name: string;
  key: string;
}

async function banner(stack: LocalStack): Promise<string> {
  const keys = JSON.parse(await readFile(stack.keysFile, 'utf8')) as KeyEntry[];
  const lines = [
    'Exclusive-Change is running (local mode).',
    `  evaluator  ${stack.evaluatorUrl}  (OpenAPI: ${stack.evaluatorUrl}/docs)`,
    `  manifests  ${relative(process.cwd(), stack.manifests) || '.'}/  (save a file: evaluations follow within a second)`,
    `  API keys   ${relative(process.cwd(), stack.keysFile)}`,
  ];
  const key = keys[0];
  const flag = key && stack.cluster.resources(FEATURE_FLAGS.kind, key.namespace)[0];
  if (key && flag) {
    const flagKey = (flag.spec as { key?: string }).key ?? flag.metadata.name;
    lines.push(
      `Evaluate ${flagKey} for a user in ${key.namespace}/${key.environment}:`,
      `  curl -s -X POST ${stack.evaluatorUrl}/ofrep/v1/evaluate/flags/${flagKey} -H 'Authorization: Bearer ${key.key}' -H 'Content-Type: application/json' -d '{"context":{"targetingKey":"user-1","user_id":"user-1"}}'`,
    );
  } else lines.push('No Environment with an API key is declared yet: add one to the manifests directory.');
  const tenant = key?.namespace ?? 'default';
  if (stack.developmentToken)
    lines.push(
      `Management API ${stack.operatorUrl}/api/v1 (OpenAPI: ${stack.operatorUrl}/docs/json), token in ${relative(process.cwd(), stack.developmentToken.tokenFile)}; create a flag (written to the manifests):`,
      `  curl -s -X POST ${stack.operatorUrl}/api/v1/flags -H "Authorization: Bearer $(cat ${relative(process.cwd(), stack.developmentToken.tokenFile)})" -H 'X-Tenant-ID: ${tenant}' -H 'Content-Type: application/json' -d '{"key":"beta-banner","name":"Beta banner","rollout_percentage":50}'`,

      // the token rides in the fragment, which the browser never sends: the page keeps it for this tab only
      `Console ${stack.operatorUrl}/console/#token=${stack.developmentToken.token}`,
    );
  return lines.join('\n');
}

await runService(async () => {
  const { values } = parseArgs({ options: { manifests: { type: 'string', short: 'm' } } });
  const config = loadConfig(process.env, values.manifests);
  const log = createLogger(config.LOG_LEVEL, {});
  const stack = await startLocalStack(config, log, process.env);
  console.log(await banner(stack));
  return { log, stop: () => stack.stop() };
});

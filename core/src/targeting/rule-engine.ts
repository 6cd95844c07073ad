import { LogicEngine } from 'json-logic-engine';
import type { JsonValue } from '../spec/json.ts';
import { fractional } from './fractional.ts';
import { semVer } from './sem-ver.ts';
import { endsWith, startsWith } from './string-affix.ts';

/** A compiled targeting rule: data (context plus `$flagd`) in, the rule's result out. */
export type CompiledRule = (data: Record<string, unknown>) => unknown;

const engine = new LogicEngine();
engine.addMethod('starts_with', (args: unknown) => startsWith(args));
engine.addMethod('ends_with', (args: unknown) => endsWith(args));
engine.addMethod('sem_ver', (args: unknown) => semVer(args));
engine.addMethod('fractional', (args: unknown, data: unknown) =>
  fractional(args, data as Parameters<typeof fractional>[1]),
);

/**
 * Compiles a JSONLogic rule once into a function (json-logic-engine generates code for it).
 * Throws on a rule the engine cannot build, such as one naming an unknown operator or an unresolved $ref.
 */
export function compileRule(rule: JsonValue): CompiledRule {
  return engine.build(rule) as CompiledRule;
}

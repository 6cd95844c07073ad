import assert from 'node:assert/strict';
import {
  AfterAll,
  BeforeAll,
  Given,
  Then,
  When,
  setWorldConstructor,
  type DataTable,
} from '@cucumber/cucumber';
import { expectType, type EvaluationResult, type FlagValueType } from '../../../core/src/index.ts';
import { coreTarget, ofrepTarget, type TestbedTarget } from './targets.ts';

type GherkinType = 'Boolean' | 'String' | 'Integer' | 'Float' | 'Object';

// XC_TESTBED_TARGET=ofrep runs the suite against a real evaluator over OFREP; the default is the core in-process.
let target: TestbedTarget;
BeforeAll({ timeout: 60_000 }, async () => {
  target = process.env.XC_TESTBED_TARGET === 'ofrep' ? await ofrepTarget() : coreTarget();
});
AfterAll(async () => {
  await target.close();
});

const valueTypes: Record<GherkinType, FlagValueType> = {
  Boolean: 'boolean',
  String: 'string',
  Integer: 'number',
  Float: 'number',
  Object: 'object',
};

function parseTyped(type: GherkinType, text: string): unknown {
  switch (type) {
    case 'Boolean':
      return text === 'true';
    case 'Integer':
      return Number.parseInt(text, 10);
    case 'Float':
      return Number.parseFloat(text);
    case 'Object':
      return JSON.parse(text.replaceAll('\\"', '"'));
    default:
      return text;
  }
}

class EvaluatorWorld {
  key = '';
  type: GherkinType = 'String';
  fallback: unknown;
  context: Record<string, unknown> = {};
  result: EvaluationResult | undefined;

  get details(): EvaluationResult {
    assert.ok(this.result, 'the flag was not evaluated');
    return this.result;
  }

  /** What an OpenFeature client hands its caller: the resolved value, or the fallback when none resolved. */
  get value(): unknown {
    return this.details.value ?? this.fallback;
  }
}
setWorldConstructor(EvaluatorWorld);

Given('an evaluator', function (this: EvaluatorWorld) {
  assert.ok(target, 'no evaluation target');
});

Given(
  'a {word}-flag with key {string} and a fallback value {string}',
  function (this: EvaluatorWorld, type: GherkinType, key: string, fallback: string) {
    this.type = type;
    this.key = key;
    this.fallback = parseTyped(type, fallback);
  },
);

Given(
  'a context containing a key {string}, with type {string} and with value {string}',
  function (this: EvaluatorWorld, key: string, type: GherkinType, value: string) {
    this.context[key] = parseTyped(type, value);
  },
);

Given(
  'a context containing a targeting key with value {string}',
  function (this: EvaluatorWorld, value: string) {
    this.context.targetingKey = value;
  },
);

Given(
  'a context containing a nested property with outer key {string} and inner key {string}, with value {string}',
  function (this: EvaluatorWorld, outer: string, inner: string, value: string) {
    this.context[outer] = { ...(this.context[outer] as object | undefined), [inner]: value };
  },
);

When('the flag was evaluated with details', async function (this: EvaluatorWorld) {
  this.result = expectType(await target.evaluate(this.key, this.context), valueTypes[this.type]);
});

Then('the resolved details value should be {string}', function (this: EvaluatorWorld, expected: string) {
  assert.deepEqual(this.value, parseTyped(this.type, expected));
});

Then('the reason should be {string}', function (this: EvaluatorWorld, reason: string) {
  assert.equal(this.details.reason, reason);
});

Then('the error-code should be {string}', function (this: EvaluatorWorld, code: string) {
  assert.equal(this.details.errorCode, code);
});

Then('the resolved metadata should contain', function (this: EvaluatorWorld, table: DataTable) {
  for (const row of table.hashes()) {
    assert.deepEqual(
      this.details.metadata[row.key!],
      parseTyped(row.metadata_type as GherkinType, row.value!),
      `metadata ${row.key}`,
    );
  }
});

Then('the resolved metadata is empty', function (this: EvaluatorWorld) {
  assert.deepEqual(this.details.metadata, {});
});

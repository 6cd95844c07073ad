import { FEATURE_FLAG_RULES, GROUP, type AdmissionRule } from '../core/src/index.ts';

// The FeatureFlag's cross-field rules (core/src/spec/admission-rules.ts) as the API server runs them: in a
// ValidatingAdmissionPolicy rather than the CRD's x-kubernetes-validations, because a CRD's CEL cannot see fields
// without a declared type, and variant values may be booleans, strings, numbers or objects.

/** Replaces the rules' variables with what they are in an admission request, outside string literals. */
export function substitute(expression: string, names: Record<string, string>): string {
  const pattern = new RegExp(`\\b(${Object.keys(names).join('|')})\\b`, 'g');
  return expression
    .split(/('(?:[^'\\]|\\.)*')/)
    .map((part, index) => (index % 2 === 1 ? part : part.replace(pattern, (name) => names[name]!)))
    .join('');
}

const quoted = (text: string) => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

/** One rule as a validation of the policy: its expression, and a message that names the field. */
export function policyValidation(rule: AdmissionRule) {
  const names: Record<string, string> = {
    self: 'object.spec',
    resourceName: 'object.metadata.name',
    oldSelf: 'oldObject.spec',
    oldName: 'oldObject.metadata.name',
  };
  if (rule.forEach === 'environments') {
    const inner = substitute(rule.expression, {
      ...names,
      override: 'object.spec.environments[overrideName]',
    });
    const failing = `object.spec.environments.filter(overrideName, !(${inner}))[0]`;
    const [before, after] = rule.field.split('<override>') as [string, string];
    const message = substitute(rule.message, {
      ...names,
      override: `object.spec.environments[${failing}]`,
      overrideName: failing,
    });
    return {
      expression: `!has(object.spec.environments) || object.spec.environments.all(overrideName, ${inner})`,
      messageExpression: `${quoted(before)} + ${failing} + ${quoted(`${after}: `)} + (${message})`,
      reason: 'Invalid',
    };
  }
  const expression = substitute(rule.expression, names);
  return {
    expression: rule.transition ? `oldObject == null || (${expression})` : expression,
    messageExpression: `${quoted(`${rule.field}: `)} + (${substitute(rule.message, names)})`,
    reason: 'Invalid',
  };
}

const NAME = `featureflags.${GROUP}`;

/** The policy and its binding (applied to every namespace); the Helm chart names them after its release. */
export function admissionPolicy(name = NAME) {
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: [GROUP],
              apiVersions: ['*'],
              operations: ['CREATE', 'UPDATE'],
              resources: ['featureflags'],
            },
          ],
        },
        validations: FEATURE_FLAG_RULES.map(policyValidation),
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name },
      spec: { policyName: name, validationActions: ['Deny'] },
    },
  ];
}

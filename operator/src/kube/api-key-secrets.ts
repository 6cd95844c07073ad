import { CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import {
  apiKeySecretName,
  ENVIRONMENT_UID_LABEL,
  MANAGED_BY,
  MANAGED_BY_LABEL,
} from '../../../core/src/index.ts';
import { SecretNotOursError, type KeyStore } from '../cluster/cluster.ts';
import type { CustomResource } from './custom-resource.ts';
import { isNotFound } from './kube-errors.ts';

const KEY_FIELD = 'apiKey';

/**
 * API-key Secrets: `<environment>-<key>-api-key`, owned by the Environment, labelled as ours. A Secret of that
 * name that we did not make is never touched.
 */
export class ApiKeySecrets implements KeyStore {
  readonly #api: CoreV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.#api = kubeConfig.makeApiClient(CoreV1Api);
  }

  /** The key stored in our Secret for `keyName`, or null when there is none yet. Throws SecretNotOursError. */
  async read(environment: CustomResource, keyName: string): Promise<string | null> {
    const name = apiKeySecretName(environment.metadata.name, keyName);
    let secret: V1Secret;
    try {
      secret = await this.#api.readNamespacedSecret({ name, namespace: environment.metadata.namespace });
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    if (!this.#ours(secret, environment))
      throw new SecretNotOursError(`Secret ${name} exists and is not managed by this Environment`);
    const encoded = secret.data?.[KEY_FIELD];
    return encoded ? Buffer.from(encoded, 'base64').toString('utf8') : null;
  }

  async create(environment: CustomResource, keyName: string, key: string): Promise<string> {
    const { name: environmentName, namespace, uid } = environment.metadata;
    const name = apiKeySecretName(environmentName, keyName);
    await this.#api.createNamespacedSecret({
      namespace,
      body: {
        metadata: {
          name,
          namespace,
          labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [ENVIRONMENT_UID_LABEL]: uid },
          ownerReferences: [
            {
              apiVersion: environment.apiVersion!,
              kind: environment.kind!,
              name: environmentName,
              uid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        type: 'Opaque',
        stringData: { [KEY_FIELD]: key },
      },
    });
    return name;
  }

  /** Deletes our Secret for `keyName`, if it is there and ours. */
  async delete(environment: CustomResource, keyName: string): Promise<void> {
    try {
      if ((await this.read(environment, keyName)) === null) return;
      await this.#api.deleteNamespacedSecret({
        name: apiKeySecretName(environment.metadata.name, keyName),
        namespace: environment.metadata.namespace,
      });
    } catch (error) {
      if (!isNotFound(error) && !(error instanceof SecretNotOursError)) throw error;
    }
  }

  #ours(secret: V1Secret, environment: CustomResource): boolean {
    const labels = secret.metadata?.labels ?? {};
    return (
      labels[MANAGED_BY_LABEL] === MANAGED_BY && labels[ENVIRONMENT_UID_LABEL] === environment.metadata.uid
    );
  }
}

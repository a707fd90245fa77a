/**
 * A k6-operator manifest for distributed load: a ConfigMap holding the flattened script (the
 * operator mounts it as the script folder, /test) and a `TestRun` (apiVersion k6.io/v1alpha1)
 * running it on `parallelism` runners, each on an equal execution segment of the VUs.
 * See https://grafana.com/docs/k6/latest/set-up/set-up-distributed-k6/.
 */
import { stringify } from 'yaml';
import { UsageError } from '../../../lib/errors.js';
import type { ScriptFile } from './script-files.js';

/** Where the k6-operator mounts a script ConfigMap in the runner pods. */
export const OPERATOR_SCRIPT_DIR = '/test';

/** A ConfigMap holds at most 1 MiB (Kubernetes' limit). */
const CONFIG_MAP_LIMIT_BYTES = 1_048_576;

export interface OperatorManifestInput {
  /** Name of both resources (a DNS-1123 label). */
  name: string;
  /** The file k6 runs (a key of `files`). */
  scriptFile: string;
  /** Every file of the script folder: the script, its helpers, thresholds. */
  files: readonly ScriptFile[];
  parallelism: number;
  /** `-e NAME=value …` and other k6 arguments, already checked to need no quoting. */
  arguments: readonly string[];
}

/** A valid Kubernetes resource name for a scenario: `wsmig-reconnect-storm`. */
export function resourceNameOf(scenario: string): string {
  return `wsmig-${scenario}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
}

/**
 * The manifest: the ConfigMap, then the TestRun, as one multi-document YAML for `kubectl apply -f`.
 * @throws UsageError when the parallelism is not a positive whole number or the files exceed a ConfigMap.
 */
export function operatorManifest(input: OperatorManifestInput): string {
  if (!Number.isInteger(input.parallelism) || input.parallelism < 1) {
    throw new UsageError('BAD_PARALLELISM', `--parallelism must be a whole number of at least 1, got ${input.parallelism}.`);
  }
  const data: Record<string, string> = {};
  let bytes = 0;
  for (const file of input.files) {
    data[file.name] = file.content;
    bytes += Buffer.byteLength(file.content);
  }
  if (bytes > CONFIG_MAP_LIMIT_BYTES) {
    throw new UsageError('K6_SCRIPT_TOO_BIG', `The script files take ${bytes} bytes, more than a ConfigMap holds (1 MiB): serve them from a volumeClaim instead.`);
  }
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: input.name, labels: { 'app.kubernetes.io/managed-by': 'wsmig' } },
    data,
  };
  const testRun = {
    apiVersion: 'k6.io/v1alpha1',
    kind: 'TestRun',
    metadata: { name: input.name, labels: { 'app.kubernetes.io/managed-by': 'wsmig' } },
    spec: {
      parallelism: input.parallelism,
      script: { configMap: { name: input.name, file: input.scriptFile } },
      arguments: input.arguments.join(' '),
    },
  };
  return [stringify(configMap, { lineWidth: 0 }), stringify(testRun, { lineWidth: 0 })].join('---\n');
}

/**
 * The environment variables a k6 script reads: the target, the scenario knobs (`WSMIG_<KNOB>`, the
 * catalog's names), and the thresholds file. The same variables go to a local `k6 run`, to the
 * exported `run.sh`, and to the k6-operator `TestRun`.
 */
import { UsageError } from '../../../lib/errors.js';
import { knobEnvVar } from '../../catalog/knobs.js';

/** Where the load goes. */
export interface K6Target {
  wsUrl: string;
  /** HTTP base of the same server; the scripts derive it from the WebSocket URL when absent. */
  httpUrl?: string;
}

/**
 * The variables for resolved scenario options. Option keys are the catalog's: a duration knob's
 * key carries its unit (`rampUpMs`), which becomes `WSMIG_RAMP_UP=2000ms`; other knobs pass as they are.
 * @throws UsageError for a value that is neither a number nor text.
 */
export function k6EnvFor(options: Readonly<Record<string, unknown>>, target: K6Target, thresholdsFile?: string): Record<string, string> {
  const env: Record<string, string> = { WSMIG_TARGET: target.wsUrl };
  if (target.httpUrl) env['WSMIG_HTTP'] = target.httpUrl.replace(/\/+$/, '');
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (typeof value !== 'number' && typeof value !== 'string') {
      throw new UsageError('K6_BAD_OPTION', `Scenario option "${key}" is ${JSON.stringify(value)}: k6 scripts take numbers and text only.`);
    }
    const isDuration = /Ms$/.test(key) && typeof value === 'number';
    env[knobEnvVar(isDuration ? key.slice(0, -2) : key)] = isDuration ? `${value}ms` : String(value);
  }
  if (thresholdsFile !== undefined) env['WSMIG_THRESHOLDS'] = thresholdsFile;
  return env;
}

/** `-e NAME=value` arguments for k6 (values checked to need no quoting, so they survive a command line). */
export function k6EnvArguments(env: Readonly<Record<string, string>>): string[] {
  const args: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (/\s/.test(value)) throw new UsageError('K6_BAD_OPTION', `${name}="${value}" contains whitespace, which k6's -e cannot carry here.`);
    args.push('-e', `${name}=${value}`);
  }
  return args;
}

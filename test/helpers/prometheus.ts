/**
 * A real Prometheus (the Debian package's binary, which .ci/run installs) scraping one target every
 * second, for the watch tests that read through it. Tests skip, saying why, when it is absent.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { freePort } from './free-port.js';

/** Whether `prometheus` runs here; prints why a test is skipped when it does not. */
export async function prometheusAvailable(testName: string): Promise<boolean> {
  const found = (await execa('prometheus', ['--version'], { reject: false })).exitCode === 0;
  if (!found) console.warn(`${testName}: skipped, no \`prometheus\` binary on PATH (install the Debian package: apt-get install -y prometheus)`);
  return found;
}

export interface RunningPrometheus {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts Prometheus in `dir` scraping `target` (host:port) as `job` every second, and resolves once
 * it has scraped it `scrapes` times (so rates over a few seconds have data).
 */
export async function startPrometheus(dir: string, target: string, job: string, scrapes = 3): Promise<RunningPrometheus> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = path.join(dir, 'prometheus.yml');
  await writeFile(config, ['global:', '  scrape_interval: 1s', '  evaluation_interval: 1s', 'scrape_configs:', `  - job_name: ${job}`, '    static_configs:', `      - targets: ['${target}']`, ''].join('\n'));
  const process: ResultPromise = execa('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { reject: false, cleanup: true });
  const stop = async (): Promise<void> => {
    process.kill('SIGTERM');
    await process;
  };
  const query = `${url}/api/v1/query?query=${encodeURIComponent(`count_over_time(up{job="${job}"}[1m])`)}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const answer = (await fetch(query).then(
      (response) => response.json(),
      () => undefined,
    )) as { status?: string; data?: { result: { value: [number, string] }[] } } | undefined;
    if (answer?.status === 'success' && Number(answer.data?.result[0]?.value[1] ?? 0) >= scrapes) return { url, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Prometheus did not scrape ${target} ${scrapes} times within 60 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

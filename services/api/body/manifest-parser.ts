/**
 * Parses YAML request bodies on a worker thread, so that a large or hostile body (the
 * YAML composer takes most of a second for 1 MiB) never holds up other requests or the
 * health checks. One thread, jobs in order; a job that runs past its deadline or kills
 * the thread is refused and the thread is replaced.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ParseResult } from '../../../crds/manifests';
import type { ParseJob } from './manifest-worker';

const PARSE_DEADLINE_MS = 10_000;

/** The worker is TypeScript: load it through tsx's API, which works under tsx, vitest and plain Node alike. */
function bootstrap(): string {
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href;
  const workerUrl = new URL('./manifest-worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(tsxApi)}).then((tsx) => tsx.tsImport(${JSON.stringify(workerUrl)}, ${JSON.stringify(import.meta.url)}));`;
}

interface Pending {
  readonly resolve: (result: ParseResult) => void;
  readonly timer: NodeJS.Timeout;
  readonly worker: Worker;
}

export interface ManifestParser {
  parse(text: string): Promise<ParseResult>;
  close(): Promise<void>;
}

export function createManifestParser(deadlineMs = PARSE_DEADLINE_MS): ManifestParser {
  let worker: Worker | undefined;
  let nextId = 0;
  const pending = new Map<number, Pending>();

  /** Refuses every job the given thread still had. */
  const failAll = (thread: Worker, message: string) => {
    for (const [id, job] of pending) {
      if (job.worker !== thread) continue;
      clearTimeout(job.timer);
      job.resolve({ ok: false, errors: [{ path: 'documents', message }] });
      pending.delete(id);
    }
  };

  const start = (): Worker => {
    const created = new Worker(bootstrap(), { eval: true, resourceLimits: { maxOldGenerationSizeMb: 512 } });
    created.unref();
    created.on('message', (message: { id: number; result: ParseResult }) => {
      const job = pending.get(message.id);
      if (!job) return;
      clearTimeout(job.timer);
      pending.delete(message.id);
      job.resolve(message.result);
    });
    created.on('error', () => undefined);
    created.on('exit', () => {
      if (worker === created) worker = undefined;
      failAll(created, 'could not be read: the parser ran out of memory or stopped; send a smaller body');
    });
    return created;
  };

  return {
    parse(text) {
      worker ??= start();
      const current = worker;
      const id = nextId++;
      return new Promise<ParseResult>((resolve) => {
        const timer = setTimeout(() => {
          // The thread is stuck in this job: replace it, failing whatever waited behind it too.
          if (worker === current) worker = undefined;
          failAll(current, `could not be read within ${deadlineMs / 1000} s; send a smaller or simpler body`);
          void current.terminate();
        }, deadlineMs);
        pending.set(id, { resolve, timer, worker: current });
        current.postMessage({ id, text } satisfies ParseJob);
      });
    },
    async close() {
      const current = worker;
      worker = undefined;
      await current?.terminate();
    },
  };
}

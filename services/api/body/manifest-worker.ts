/** Worker-thread side of manifest-parser.ts: parses one request body per message. */
import { parentPort } from 'node:worker_threads';
import { parseManifests } from '../../../crds/manifests';

export interface ParseJob {
  readonly id: number;
  readonly text: string;
}

parentPort?.on('message', (job: ParseJob) => {
  parentPort?.postMessage({ id: job.id, result: parseManifests(job.text) });
});

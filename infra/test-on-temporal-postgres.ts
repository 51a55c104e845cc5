/**
 * `npm run test:temporal-postgres`: the end-to-end cluster and MachineDeployment lifecycle
 * tests, unchanged, against a real Temporal server on PostgreSQL (infra/temporal-postgres.ts)
 * instead of the dev server. Extra arguments go to vitest (default: the lifecycle files).
 */
import { spawn } from 'node:child_process';
import { startTemporalOnPostgres } from './temporal-postgres';

const LIFECYCLE_TESTS = ['test/e2e/api.test.ts', 'test/e2e/machine-deployments.test.ts'];
const files = process.argv.slice(2);
const temporal = await startTemporalOnPostgres();
console.log(`Temporal ${process.env.TEMPORAL_SERVER_DIR ?? ''} on PostgreSQL at ${temporal.address}`);
let exitCode = 1;
try {
  exitCode = await new Promise<number>((resolve) => {
    const vitest = spawn('vitest', ['run', ...(files.length > 0 ? files : LIFECYCLE_TESTS)], {
      stdio: 'inherit',
      env: { ...process.env, SLIPWAY_TEST_TEMPORAL_ADDRESS: temporal.address },
    });
    vitest.once('exit', (code) => resolve(code ?? 1));
    vitest.once('error', () => resolve(1));
  });
} finally {
  await temporal.stop();
}
process.exit(exitCode);

/**
 * A real Temporal server (go.temporal.io/server, built by ensure_temporal_server in
 * infra/tools.sh) on PostgreSQL, on loopback ports: the shape of a production Temporal cluster
 * (see infra/PRODUCTION.md), small enough for one machine. The schema is set up by the
 * server's own SQL tool; nothing of Slipway's is special to it.
 *
 * As a program it starts the pair, prints TEMPORAL_ADDRESS and runs until interrupted:
 *   bash infra/with-node.sh tsx infra/temporal-postgres.ts
 * Environment: TEMPORAL_SERVER_DIR (from ensure_temporal_server), POSTGRES_BIN (from ensure_postgres).
 */
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { stringify } from 'yaml';
import { freePort, portIsFree, startProcess, waitFor, type Supervised } from './processes';

const run = promisify(execFile);

export interface TemporalOnPostgres {
  /** host:port of the frontend's gRPC endpoint. */
  readonly address: string;
  readonly home: string;
  /** The server's process and PostgreSQL's postmaster, for benchmarks that measure what they cost. */
  processIds(): Promise<number[]>;
  stop(): Promise<void>;
}

interface Ports {
  readonly postgres: number;
  readonly frontend: number;
  readonly frontendHttp: number;
  readonly history: number;
  readonly matching: number;
  readonly worker: number;
  readonly membership: readonly [number, number, number, number];
  readonly metrics: number;
  readonly pprof: number;
}

/** The server stores membership ports in a smallint column: they must be below 32768. */
async function freeMembershipPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!taken.has(port) && (await portIsFree(port))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('no free loopback port between 20000 and 32000 for the Temporal server\'s membership');
}

async function freePorts(): Promise<Ports> {
  const next = () => freePort();
  const taken = new Set<number>();
  const member = () => freeMembershipPort(taken);
  return {
    postgres: await next(),
    frontend: await next(),
    frontendHttp: await next(),
    history: await next(),
    matching: await next(),
    worker: await next(),
    membership: [await member(), await member(), await member(), await member()],
    metrics: await next(),
    pprof: await next(),
  };
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run through infra/with-node.sh after sourcing infra/tools.sh (ensure_temporal_server, ensure_postgres), as .ci/run and the npm scripts do.`);
  return value;
}

/** PostgreSQL refuses to run as root: as root, run its programs as the postgres user. */
function asPostgres(command: string, args: readonly string[]): [string, string[]] {
  return userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, [...args]];
}

function serverConfig(ports: Ports, home: string): string {
  const store = (databaseName: string, maxConns: number) => ({
    sql: { pluginName: 'postgres12', databaseName, connectAddr: `127.0.0.1:${ports.postgres}`, connectProtocol: 'tcp', user: 'temporal', password: '', maxConns, maxIdleConns: maxConns, maxConnLifetime: '1h' },
  });
  const service = (grpcPort: number, membershipPort: number, extra: Record<string, unknown> = {}) => ({ rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra } });
  return stringify({
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: 4,
      datastores: { 'postgres-default': store('temporal', 20), 'postgres-visibility': store('temporal_visibility', 10) },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      pprof: { port: ports.pprof },
      metrics: { prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `127.0.0.1:${ports.metrics}` } },
    },
    services: {
      frontend: service(ports.frontend, ports.membership[0], { httpPort: ports.frontendHttp }),
      history: service(ports.history, ports.membership[1]),
      matching: service(ports.matching, ports.membership[2]),
      worker: service(ports.worker, ports.membership[3]),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${ports.frontend}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: join(home, 'config', 'dynamicconfig.yaml'), pollInterval: '10s' },
  });
}

export async function startTemporalOnPostgres(options: { readonly logDir?: string } = {}): Promise<TemporalOnPostgres> {
  const serverDir = required('TEMPORAL_SERVER_DIR');
  const postgresBin = required('POSTGRES_BIN');
  const home = await mkdtemp(join(tmpdir(), 'slipway-temporal-pg-'));
  const logDir = options.logDir ?? home;
  const ports = await freePorts();
  const dataDir = join(home, 'pgdata');
  const socketDir = join(home, 'pgsocket');
  await mkdir(dataDir);
  await mkdir(socketDir);
  if (userInfo().uid === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chmod(home, 0o755);
    for (const dir of [dataDir, socketDir]) await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  let postgresStarted = false;
  let server: Supervised | undefined;
  const pgCtl = join(postgresBin, 'pg_ctl');
  const stop = async () => {
    await server?.stop();
    if (postgresStarted) await run(...asPostgres(pgCtl, ['-D', dataDir, '-m', 'fast', '-w', 'stop'])).catch(() => undefined);
    await rm(home, { recursive: true, force: true });
  };
  try {
    await run(...asPostgres(join(postgresBin, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'temporal', '--no-sync']));
    await run(...asPostgres(pgCtl, ['-D', dataDir, '-l', join(socketDir, 'postgres.log'), '-w', '-o', `-p ${ports.postgres} -k ${socketDir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off`, 'start']));
    postgresStarted = true;

    const sqlTool = join(serverDir, 'bin', 'sql');
    const schemaRoot = join(serverDir, 'schema', 'postgresql', 'v12');
    for (const [database, schema] of [['temporal', 'temporal'], ['temporal_visibility', 'visibility']] as const) {
      const base = ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', String(ports.postgres), '-u', 'temporal', '--db', database];
      await run(sqlTool, [...base, 'create-database']);
      await run(sqlTool, [...base, 'setup-schema', '-v', '0.0']);
      await run(sqlTool, [...base, 'update-schema', '-d', join(schemaRoot, schema, 'versioned')]);
    }

    await mkdir(join(home, 'config'));
    await writeFile(join(home, 'config', 'slipway-postgres.yaml'), serverConfig(ports, home));
    // Updates and the frontend's rate limits are the server's defaults; nothing here is tuned for Slipway.
    await writeFile(join(home, 'config', 'dynamicconfig.yaml'), '{}\n');
    server = startProcess('temporal-server', join(serverDir, 'bin', 'server'), ['--root', home, '--config', 'config', '--env', 'slipway-postgres', '--allow-no-auth', 'start'], {
      env: process.env,
      logFile: join(logDir, 'temporal-server.log'),
    });
    const address = `127.0.0.1:${ports.frontend}`;
    const namespaceReady = async (): Promise<boolean> => {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 }).catch(() => undefined);
      if (!connection) return false;
      try {
        await connection.workflowService.registerNamespace({ namespace: 'default', workflowExecutionRetentionPeriod: msToTs('1 day') }).catch((error: unknown) => {
          if (!String(error).includes('already exists') && !String(error).includes('AlreadyExists')) throw error;
        });
        // The frontend learns of a new namespace from its cache a few seconds later.
        await connection.workflowService.listWorkflowExecutions({ namespace: 'default', pageSize: 1 });
        return true;
      } catch {
        return false;
      } finally {
        await connection.close();
      }
    };
    await waitFor('the Temporal server on PostgreSQL to serve the default namespace', namespaceReady, 90_000, () => (server?.child.exitCode === null ? undefined : `the Temporal server exited; see ${join(logDir, 'temporal-server.log')}`));
    const processIds = async () => {
      const postmaster = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
      return [server?.child.pid, postmaster].filter((pid): pid is number => typeof pid === 'number' && pid > 0);
    };
    return { address, home, processIds, stop };
  } catch (error) {
    // The log goes with the home directory: keep its end in the error.
    const log = await readFile(join(logDir, 'temporal-server.log'), 'utf8').catch(() => '');
    await stop();
    if (log && error instanceof Error) error.message += `\n--- the end of the Temporal server's log ---\n${log.split('\n').slice(-15).join('\n')}`;
    throw error;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const temporal = await startTemporalOnPostgres();
  console.log(`TEMPORAL_ADDRESS=${temporal.address}`);
  const shutdown = () => void temporal.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

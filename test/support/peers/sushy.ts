/**
 * sushy-tools' Redfish emulator with its fake driver, as a set of BMCs for tests:
 * `startSushy()` starts `sushy-emulator --fake` from SUSHY_EMULATOR on a free loopback port,
 * declaring `systemCount` powered-off systems, behind HTTP basic authentication with a fresh
 * random password (sushy-tools checks bcrypt htpasswd entries only; the hash is made with
 * the bcrypt module of sushy-tools' own Python). Its state lives in a temporary directory,
 * removed by stop(). The fake driver applies a power change 1 to 11 s after the request.
 * redfishFaultDialect() renders injected faults as a BMC answers them.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CannedResponse, FaultDialect } from '../fault-proxy';
import { startPeerOnFreePort } from '../peer-process';

export interface SushySystem {
  readonly name: string;
  readonly uuid: string;
  /** The ComputerSystem's path, e.g. /redfish/v1/Systems/<uuid>. */
  readonly path: string;
}

export interface RunningSushy {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly systems: readonly SushySystem[];
  output(): string;
  stop(): Promise<void>;
}

export interface SushyOptions {
  readonly systemCount: number;
}


/** A bcrypt hash of the password, made by the bcrypt module sushy-tools itself uses; the password goes in on stdin. */
function bcryptHash(python: string, password: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      python,
      ['-c', 'import sys, bcrypt; print(bcrypt.hashpw(sys.stdin.buffer.read(), bcrypt.gensalt(4)).decode())'],
      { timeout: 30_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`could not hash the emulator password with ${python}: ${stderr || error.message}`)) : resolve(stdout.trim())),
    );
    child.stdin?.end(password);
  });
}

/** Python literal for the fake driver's SUSHY_EMULATOR_FAKE_SYSTEMS. */
function fakeSystemsConfig(systems: readonly SushySystem[]): string {
  const entries = systems.map(
    (system, index) =>
      `  {'uuid': '${system.uuid}', 'name': '${system.name}', 'power_state': 'Off', 'nics': [{'mac': '52:54:00:00:${(index >> 8).toString(16).padStart(2, '0')}:${(index & 0xff).toString(16).padStart(2, '0')}', 'ip': '10.1.${index >> 8}.${index & 0xff}'}]},`,
  );
  return `SUSHY_EMULATOR_FAKE_SYSTEMS = [\n${entries.join('\n')}\n]\n`;
}

export async function startSushy(options: SushyOptions): Promise<RunningSushy> {
  const binary = process.env.SUSHY_EMULATOR;
  if (!binary) throw new Error("SUSHY_EMULATOR is not set, so sushy-tools cannot start. Run the suite through 'npm test' (infra/with-node.sh), which installs sushy-tools and sets it.");
  const dir = await mkdtemp(join(tmpdir(), 'slipway-sushy-'));
  const username = 'slipway';
  const password = randomBytes(18).toString('base64url');
  const systems: SushySystem[] = Array.from({ length: options.systemCount }, (_, index) => {
    const uuid = randomUUID();
    return { name: `node-${String(index).padStart(3, '0')}`, uuid, path: `/redfish/v1/Systems/${uuid}` };
  });
  try {
    await writeFile(join(dir, 'htpasswd'), `${username}:${await bcryptHash(join(dirname(binary), 'python3'), password)}\n`, { mode: 0o600 });
    const config = [fakeSystemsConfig(systems), `SUSHY_EMULATOR_AUTH_FILE = '${join(dir, 'htpasswd')}'`, `SUSHY_EMULATOR_STATE_DIR = '${join(dir, 'state')}'`, ''].join('\n');
    await writeFile(join(dir, 'emulator.conf'), config);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  let started: Awaited<ReturnType<typeof startPeerOnFreePort>>;
  try {
    started = await startPeerOnFreePort((port) => ({
      name: 'sushy-tools',
      binaryEnv: 'SUSHY_EMULATOR',
      args: ['--fake', '--config', join(dir, 'emulator.conf'), '-i', '127.0.0.1', '-p', String(port)],
      env: { PYTHONUNBUFFERED: '1' },
      startupTimeoutMs: 60_000,
      // The service root answers without authentication.
      ready: async () => (await fetch(`http://127.0.0.1:${port}/redfish/v1/`, { signal: AbortSignal.timeout(2_000) })).status === 200,
    }));
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const { peer, port } = started;
  return {
    url: `http://127.0.0.1:${port}`,
    username,
    password,
    systems,
    output: () => peer.output(),
    async stop() {
      await peer.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function redfishError(status: number, messageId: string, message: string, headers: Readonly<Record<string, string>> = {}): CannedResponse {
  const code = `Base.1.8.${messageId}`;
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ error: { code, message, '@Message.ExtendedInfo': [{ '@odata.type': '#Message.v1_1_1.Message', MessageId: code, Message: message, Severity: 'Critical' }] } }),
  };
}

/**
 * A busy BMC answers 503 with the Base registry's ServiceTemporarilyUnavailable and a
 * Retry-After (OpenBMC's bmcweb does so); its own failures are 500 InternalError.
 */
export function redfishFaultDialect(): FaultDialect {
  return {
    throttle: (retryAfterSeconds) =>
      redfishError(
        503,
        'ServiceTemporarilyUnavailable',
        `The service is temporarily unavailable.${retryAfterSeconds !== undefined ? ` Retry in ${retryAfterSeconds} seconds.` : ''} (injected by the fault proxy)`,
        retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {},
      ),
    serverError: () => redfishError(500, 'InternalError', 'The request failed due to an internal service error. The service is still operational. (injected by the fault proxy)'),
  };
}

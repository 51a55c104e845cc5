/**
 * The host inventory a person keeps: a YAML (or JSON, which YAML reads too) file listing every
 * bare-metal host Slipway may use, and how to reach its BMC:
 *
 *   hosts:
 *     - name: rack1-u01              # unique; the machine's provider ID is baremetal://rack1-u01
 *       class: small                 # the instanceType this host serves
 *       site: dc1                    # optional: only a worker for region "dc1" claims it
 *       ip: 10.0.0.21                # optional: the address the node will have
 *       bmc:
 *         url: https://10.0.1.21     # the Redfish service (scheme, host and port only)
 *         system: /redfish/v1/Systems/1
 *         credentials: bmc-rack1     # the secret holding the BMC's username and password
 *
 * Credentials never go in this file: a URL with a user or password in it is refused.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { ProviderError } from '../types';
import { CLOUD } from './errors';

export interface HostSpec {
  readonly name: string;
  readonly hostClass: string;
  readonly site: string | undefined;
  readonly ip: string | undefined;
  readonly bmcUrl: string;
  readonly systemPath: string;
  readonly credentialsRef: string;
}

const HOST_NAME = /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/;
const LABEL = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

type Problems = string[];

function text(value: unknown, where: string, problems: Problems, required: boolean): string | undefined {
  if (value === undefined || value === null) {
    if (required) problems.push(`${where} is missing`);
    return undefined;
  }
  if (typeof value !== 'string' || value.trim() === '') {
    problems.push(`${where} must be a non-empty string`);
    return undefined;
  }
  return value.trim();
}

function checked(value: string | undefined, pattern: RegExp, where: string, rule: string, problems: Problems): string | undefined {
  if (value !== undefined && !pattern.test(value)) problems.push(`${where} "${value}" must be ${rule}`);
  return value;
}

function bmcUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must be an http or https URL';
  // Never echo the URL here: it may carry the very credentials being refused.
  if (parsed.username !== '' || parsed.password !== '') return 'must not carry a user or password; put them in the credentials secret';
  if (parsed.pathname !== '/' || parsed.search !== '' || parsed.hash !== '') return 'must be the Redfish service root only (scheme, host and port), e.g. https://10.0.1.21';
  return undefined;
}

function hostSpec(entry: unknown, index: number, problems: Problems): HostSpec | undefined {
  const where = `hosts[${index}]`;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    problems.push(`${where} must be a mapping with name, class and bmc`);
    return undefined;
  }
  const fields = entry as Record<string, unknown>;
  const before = problems.length;
  const name = checked(text(fields.name, `${where}.name`, problems, true), HOST_NAME, `${where}.name`, "1-63 lowercase letters, digits, '-' and '.'", problems);
  const hostClass = checked(text(fields.class, `${where}.class`, problems, true), LABEL, `${where}.class`, "1-63 letters, digits, '-', '_' and '.'", problems);
  const site = checked(text(fields.site, `${where}.site`, problems, false), LABEL, `${where}.site`, "1-63 letters, digits, '-', '_' and '.'", problems);
  const ip = text(fields.ip, `${where}.ip`, problems, false);
  const bmc = fields.bmc;
  if (typeof bmc !== 'object' || bmc === null || Array.isArray(bmc)) {
    problems.push(`${where}.bmc must be a mapping with url, system and credentials`);
    return undefined;
  }
  const bmcFields = bmc as Record<string, unknown>;
  const bmcUrl = text(bmcFields.url, `${where}.bmc.url`, problems, true);
  const urlProblem = bmcUrl === undefined ? undefined : bmcUrlProblem(bmcUrl);
  if (urlProblem !== undefined) problems.push(`${where}.bmc.url ${urlProblem}`);
  const systemPath = checked(text(bmcFields.system, `${where}.bmc.system`, problems, true), /^\/redfish\/v1\/Systems\/[^/?#]+$/, `${where}.bmc.system`, 'a ComputerSystem path such as /redfish/v1/Systems/1', problems);
  const credentialsRef = text(bmcFields.credentials, `${where}.bmc.credentials`, problems, true);
  if (problems.length > before || !name || !hostClass || !bmcUrl || !systemPath || !credentialsRef) return undefined;
  return { name, hostClass, site, ip, bmcUrl: new URL(bmcUrl).origin, systemPath, credentialsRef };
}

/** The hosts of an inventory document, or every problem with it. */
export function parseInventory(document: unknown): { hosts: HostSpec[]; problems: string[] } {
  const problems: Problems = [];
  const list = typeof document === 'object' && document !== null ? (document as Record<string, unknown>).hosts : undefined;
  if (!Array.isArray(list)) return { hosts: [], problems: ['the file must hold a mapping with a "hosts" list'] };
  const hosts = list.map((entry, index) => hostSpec(entry, index, problems)).filter((host): host is HostSpec => host !== undefined);
  const seen = new Set<string>();
  for (const host of hosts) {
    if (seen.has(host.name)) problems.push(`host name "${host.name}" appears more than once`);
    seen.add(host.name);
  }
  return { hosts, problems };
}

export async function readInventoryFile(path: string): Promise<HostSpec[]> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch {
    throw new ProviderError('invalid', `${CLOUD}: cannot read the host inventory ${path}; create it (see providers/baremetal/inventory-file.ts) or point SLIPWAY_BAREMETAL_INVENTORY at it`);
  }
  let document: unknown;
  try {
    document = parse(content);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : 'unreadable';
    throw new ProviderError('invalid', `${CLOUD}: the host inventory ${path} is not valid YAML or JSON (${reason}); fix the file`);
  }
  const { hosts, problems } = parseInventory(document);
  if (problems.length > 0) throw new ProviderError('invalid', `${CLOUD}: the host inventory ${path} has problems: ${problems.slice(0, 10).join('; ')}; fix the file`);
  return hosts;
}

/**
 * `slipway apply -f <file|->`: creates each object in a (multi-document) manifest, or
 * patches it when it already exists, and says per object whether it was created,
 * configured or unchanged. Slipway's kinds and the upstream Hive, HyperShift and Cluster
 * API kinds are accepted; the API converts upstream ones. `--watch` then follows every
 * applied object until it is Ready or has failed.
 */
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { isPlainObject, type JsonObject } from '../../../crds/json';
import { parseManifests } from '../../../crds/manifests';
import type { KindName } from '../../../crds/schemas/index';
import { convertManifest } from '../../../crds/upstream/index';
import { isApiError, toCliError, type ApiClient } from '../api-client';
import { applyOutcomeLine, planApply, type ApplyOutcome } from '../apply-plan';
import { DEFAULT_NAMESPACE, type CommandContext } from '../context';
import { CliError, isCliError } from '../errors';
import { displayRef, kindOfManifest, qualifiedName, summaryCondition } from '../kinds';
import { parseDuration } from '../parse';
import { waitForObject } from '../waiting';

interface ApplyOptions {
  filename: string;
  namespace?: string;
  watch?: boolean;
  timeout: string;
}

async function readManifestText(filename: string): Promise<string> {
  if (filename === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(filename, 'utf8');
  } catch (error) {
    const code = isPlainObject(error) && typeof error.code === 'string' ? error.code : '';
    if (code === 'ENOENT') throw new CliError(`${filename} does not exist; pass a manifest file, or -f - to read from stdin`);
    if (code === 'EISDIR') throw new CliError(`${filename} is a directory; pass one manifest file (several documents may be separated by ---)`);
    throw new CliError(`cannot read ${filename}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

interface Applied {
  readonly kind: KindName;
  readonly namespace: string;
  readonly name: string;
}

/** The namespace an object goes to: its own, or -n; both given and different is a mistake. */
export function namespaceFor(document: JsonObject, flag: string | undefined): string {
  const metadata = isPlainObject(document.metadata) ? document.metadata : {};
  const own = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : undefined;
  if (own !== undefined && flag !== undefined && own !== flag) {
    throw new CliError(`the manifest puts ${String(metadata.name)} in namespace "${own}" but -n says "${flag}"; drop -n or make them agree`);
  }
  return own ?? flag ?? DEFAULT_NAMESPACE;
}

async function applyOne(client: ApiClient, document: JsonObject, namespaceFlag: string | undefined): Promise<{ applied: Applied; outcome: ApplyOutcome }> {
  const kind = kindOfManifest(document.apiVersion, document.kind);
  if (kind === undefined) {
    const converted = convertManifest(document);
    const details = converted.ok ? [] : converted.errors.map((error) => `${error.path}: ${error.message}`);
    throw new CliError(`cannot apply ${String(document.apiVersion)} ${String(document.kind)}`, details);
  }
  const namespace = namespaceFor(document, namespaceFlag);
  const metadata = isPlainObject(document.metadata) ? document.metadata : {};
  const body: JsonObject = { ...document, metadata: { ...metadata, namespace } };
  try {
    const created = await client.create(kind, namespace, body);
    return { applied: { kind, namespace, name: created.metadata?.name ?? String(metadata.name) }, outcome: 'created' };
  } catch (error) {
    if (!isApiError(error, 409)) throw error;
  }
  // It exists: convert the manifest as the API would (upstream kinds become ours) and patch the
  // difference, with only the fields the manifest sets (no defaults), so that what it leaves out
  // (replicas set by `scale`, spec.paused set by `rollout pause`) keeps its value.
  const converted = convertManifest(body);
  if (!converted.ok) throw new CliError(`the manifest for an existing ${kind} is invalid`, converted.errors.map((problem) => `${problem.path}: ${problem.message}`));
  const name = converted.object.metadata.name;
  const existing = (await client.get(kind, namespace, name)) as JsonObject;
  const plan = planApply(converted.written, existing);
  if (plan.outcome === 'configured') await client.patch(kind, namespace, name, plan.patch);
  return { applied: { kind, namespace, name }, outcome: plan.outcome };
}

/** A core v1 Secret, as HyperShift's rendered manifests carry beside a HostedCluster (pull secret, SSH key, cloud credentials). */
function isSecret(document: JsonObject): boolean {
  return document.apiVersion === 'v1' && document.kind === 'Secret';
}

/**
 * The API keeps no Secrets: the worker reads them from its secret store when it needs them. So
 * a Secret in a manifest is skipped, saying where to put it; its content is never printed.
 */
function secretNotApplied(document: JsonObject, namespaceFlag: string | undefined): string {
  const metadata = isPlainObject(document.metadata) ? document.metadata : {};
  const name = String(metadata.name ?? '');
  const namespace = namespaceFor(document, namespaceFlag);
  return `secret/${name} not applied: Slipway reads Secrets from its secret store, not through the API. Store it as $SLIPWAY_HOME/secrets/${namespace}/${name}.json (a JSON object of its string fields) on the dev stack, or as Secret ${namespace}/${name} in the management cluster.`;
}

function describeDocument(document: unknown, index: number): string {
  if (!isPlainObject(document)) return `document ${index + 1}`;
  const metadata = isPlainObject(document.metadata) ? document.metadata : {};
  return `${String(document.kind ?? 'object')} ${JSON.stringify(metadata.name ?? `#${index + 1}`)}`;
}

export async function runApply(context: CommandContext, options: ApplyOptions): Promise<number> {
  const timeoutMs = parseDuration(options.timeout);
  const text = await readManifestText(options.filename);
  const parsed = parseManifests(text);
  if (!parsed.ok) throw new CliError(`${options.filename === '-' ? 'stdin' : options.filename} is not a readable manifest`, parsed.errors.map((error) => `${error.path}: ${error.message}`));
  if (parsed.documents.length === 0) throw new CliError(`${options.filename === '-' ? 'stdin' : options.filename} holds no objects to apply`);

  const client = await context.api();
  const applied: Applied[] = [];
  let failures = 0;
  for (const [index, document] of parsed.documents.entries()) {
    try {
      if (!isPlainObject(document)) throw new CliError('is not an object with apiVersion, kind, metadata and spec');
      if (isSecret(document)) {
        context.err(secretNotApplied(document, options.namespace));
        continue;
      }
      const result = await applyOne(client, document, options.namespace);
      applied.push(result.applied);
      context.out(applyOutcomeLine(result.applied.kind, result.applied.name, result.outcome));
    } catch (error) {
      const problem = toCliError(error);
      if (!isCliError(problem)) throw problem;
      failures += 1;
      const where = parsed.documents.length > 1 || !isPlainObject(document) ? `${describeDocument(document, index)}: ` : '';
      context.err(`error: ${where}${problem.message}`);
      for (const line of problem.details) context.err(`  ${line}`);
    }
  }

  if (options.watch && applied.length > 0) {
    const progress = context.progress();
    const results = await Promise.allSettled(
      applied.map((object) =>
        waitForObject(client, object.kind, object.namespace, object.name, { type: 'condition', condition: summaryCondition(object.kind), status: 'True' }, {
          timeoutMs,
          progress,
          label: qualifiedName(object.kind, object.name),
        }),
      ),
    );
    progress.stop();
    results.forEach((result, index) => {
      if (result.status === 'fulfilled') return;
      failures += 1;
      const object = applied[index];
      const problem = toCliError(result.reason);
      if (!isCliError(problem)) throw problem;
      context.err(`error: ${object ? `${displayRef(object.kind, object.namespace, object.name)}: ` : ''}${problem.message}`);
    });
  }
  return failures > 0 ? 1 : 0;
}

export function applyCommand(context: CommandContext, setExitCode: (code: number) => void): Command {
  return new Command('apply')
    .description('create or update objects from a manifest (Slipway kinds, or Hive/HyperShift/Cluster API manifests)')
    .requiredOption('-f, --filename <file>', 'manifest file (YAML or JSON, several documents allowed); - reads stdin')
    .option('-n, --namespace <namespace>', 'namespace for objects that name none (default "default")')
    .option('-w, --watch', 'after applying, show live progress until every object is Ready or has failed')
    .option('--timeout <duration>', 'with --watch: how long to wait, e.g. 10m', '30m')
    .action(async (options: ApplyOptions) => setExitCode(await runApply(context, options)));
}

/** Reads /openapi.json the way a client would: which status codes an operation documents. */
import { buildOpenApiDocument } from '../../services/api/openapi';

type Operation = { responses?: Record<string, unknown> };
const document = buildOpenApiDocument() as unknown as { paths: Record<string, Record<string, Operation | unknown>> };

/** The template of `path` in the document ({name} matches one segment), and the status codes `method` documents there. */
export function documentedStatuses(method: string, path: string): string[] {
  const bare = path.split('?')[0] ?? '';
  for (const [template, operations] of Object.entries(document.paths)) {
    const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/:]+')}$`);
    if (!pattern.test(bare)) continue;
    const operation = operations[method.toLowerCase()] as Operation | undefined;
    return Object.keys(operation?.responses ?? {});
  }
  return [];
}

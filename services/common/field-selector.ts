/**
 * Kubernetes field selectors, for the fields every object has: `metadata.name` and
 * `metadata.namespace`, with `=`, `==` and `!=`, comma-separated (all must hold).
 */
export class FieldSelectorError extends Error {}

export interface FieldRequirement {
  readonly field: 'metadata.name' | 'metadata.namespace';
  readonly equal: boolean;
  readonly value: string;
}

const FIELDS = new Set(['metadata.name', 'metadata.namespace']);
const CLAUSE = /^\s*([A-Za-z.]+)\s*(==|=|!=)\s*([A-Za-z0-9._-]*)\s*$/;

export function parseFieldSelector(selector: string): FieldRequirement[] {
  return selector
    .split(',')
    .filter((clause) => clause.trim() !== '')
    .map((clause) => {
      const match = CLAUSE.exec(clause);
      if (!match) throw new FieldSelectorError(`"${clause.trim()}" is not a field selector requirement; use field=value or field!=value`);
      const [, field = '', op, value = ''] = match;
      if (!FIELDS.has(field)) throw new FieldSelectorError(`field "${field}" cannot be selected on; use metadata.name or metadata.namespace`);
      return { field: field as FieldRequirement['field'], equal: op !== '!=', value };
    });
}

export function matchesFields(requirements: readonly FieldRequirement[], metadata: { readonly name: string; readonly namespace?: string }): boolean {
  return requirements.every((requirement) => {
    const actual = requirement.field === 'metadata.name' ? metadata.name : (metadata.namespace ?? 'default');
    return (actual === requirement.value) === requirement.equal;
  });
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildCrds, buildOpenApiComponents, CRD_DIRECTORY, staleCrdFiles } from '../../../crds/generate';
import { KINDS, KIND_NAMES, type KindDefinition } from '../../../crds/schemas/index';
import '../../../crds/validate';

type Node = { [key: string]: unknown };

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Visits every schema node with its path. */
function walk(node: Node, path: string, visit: (node: Node, path: string) => void): void {
  visit(node, path);
  if (isNode(node.properties)) for (const [key, child] of Object.entries(node.properties)) walk(child as Node, `${path}.${key}`, visit);
  if (isNode(node.items)) walk(node.items, `${path}[]`, visit);
  if (isNode(node.additionalProperties)) walk(node.additionalProperties, `${path}.*`, visit);
  if (Array.isArray(node.anyOf)) node.anyOf.forEach((child, index) => walk(child as Node, `${path}|${index}`, visit));
}

const STRUCTURAL_KEYWORDS = new Set([
  'type', 'description', 'properties', 'required', 'items', 'additionalProperties', 'enum', 'default', 'format', 'pattern',
  'minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'maxItems', 'minProperties', 'maxProperties', 'anyOf',
  'x-kubernetes-int-or-string', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys',
]);

describe('generated CRDs', () => {
  it('match the checked-in YAML (run `npm run generate` when this fails)', () => {
    for (const crd of buildCrds()) {
      const path = join(CRD_DIRECTORY, crd.fileName);
      let onDisk = '';
      try {
        onDisk = readFileSync(path, 'utf8');
      } catch {
        throw new Error(`crds/${crd.fileName} is missing: run \`npm run generate\` and commit the result`);
      }
      expect(onDisk, `crds/${crd.fileName} is out of date with crds/schemas: run \`npm run generate\` and commit the result`).toBe(crd.yaml);
    }
    expect(staleCrdFiles(), 'CRD files that no kind generates any more: run `npm run generate`').toEqual([]);
  });

  it('are one apiextensions.k8s.io/v1 CRD per kind with a status subresource', () => {
    const crds = buildCrds();
    expect(crds.map((crd) => crd.fileName)).toEqual(KIND_NAMES.map((kind) => `${(KINDS[kind] as KindDefinition).plural}.slipway.dev.yaml`));
    for (const crd of crds) {
      const document = parse(crd.yaml) as Node;
      expect(document).toEqual(crd.document);
      expect(document).toMatchObject({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        spec: { group: 'slipway.dev', scope: 'Namespaced', versions: [{ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } }] },
      });
    }
  });

  it('have structural schemas: a type on every node, no closed objects, no unsupported keywords', () => {
    for (const crd of buildCrds()) {
      const version = ((crd.document.spec as Node).versions as Node[])[0] as Node;
      const root = ((version.schema as Node).openAPIV3Schema as Node);
      expect((root.properties as Node).metadata, 'metadata is left to the API server').toEqual({ type: 'object' });
      walk(root, crd.kind, (node, path) => {
        for (const keyword of Object.keys(node)) expect(STRUCTURAL_KEYWORDS.has(keyword), `${path}: keyword ${keyword} is not allowed in a CRD`).toBe(true);
        expect(node.additionalProperties, `${path}: additionalProperties:false is not structural`).not.toBe(false);
        const insideIntOrString = /\|\d+$/.test(path);
        if (node['x-kubernetes-int-or-string'] === true) {
          expect(node.anyOf, path).toEqual([{ type: 'integer' }, { type: 'string' }]);
          expect(node.type, path).toBeUndefined();
        } else {
          expect(typeof node.type, `${path}: every node needs a type`).toBe('string');
          if (!insideIntOrString) expect(node.anyOf, `${path}: anyOf only for int-or-string`).toBeUndefined();
        }
        if (node.type === 'object' && isNode(node.properties) && Array.isArray(node.required)) {
          for (const key of node.required as string[]) expect(Object.keys(node.properties), `${path}: required ${key} is not a property`).toContain(key);
        }
      });
    }
  });

  it('mark maxSurge and maxUnavailable as int-or-string', () => {
    const md = buildCrds().find((crd) => crd.kind === 'MachineDeployment');
    const yaml = md?.yaml ?? '';
    expect(yaml).toMatch(/maxSurge:\n\s+x-kubernetes-int-or-string: true/);
    expect(yaml).toMatch(/maxUnavailable:\n\s+x-kubernetes-int-or-string: true/);
  });

  it('print the columns Hive prints for a ClusterDeployment', () => {
    const cd = buildCrds().find((crd) => crd.kind === 'ClusterDeployment');
    const version = ((cd?.document.spec as Node).versions as Node[])[0] as Node;
    const columns = (version.additionalPrinterColumns as Node[]).filter((column) => column.priority === undefined);
    expect(columns).toEqual([
      { name: 'InfraID', type: 'string', jsonPath: '.status.infraID' },
      { name: 'Platform', type: 'string', jsonPath: '.status.platform' },
      { name: 'Region', type: 'string', jsonPath: '.status.region' },
      { name: 'Version', type: 'string', jsonPath: '.status.installVersion' },
      { name: 'ProvisionStatus', type: 'string', jsonPath: '.status.conditions[?(@.type=="Provisioned")].reason' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ]);
  });

  it('point every printer column at a field the schema has', () => {
    for (const kind of KIND_NAMES) {
      const definition: KindDefinition = KINDS[kind];
      for (const column of definition.printerColumns) {
        const fields = column.jsonPath.replace(/\[\?\(.*?\)\]|\[\d+\]/g, '').split('.').filter(Boolean);
        let node: Node | undefined = definition.schema as unknown as Node;
        for (const field of fields) {
          const next: Node | undefined = isNode(node?.items) ? (node.items as Node) : node;
          node = isNode(next?.properties) ? ((next.properties as Node)[field] as Node | undefined) : undefined;
          if (field === 'metadata') break;
        }
        expect(node, `${kind} column ${column.name}: ${column.jsonPath} names no field`).toBeDefined();
      }
    }
  });

  it('have defaults that satisfy their own schema', () => {
    for (const kind of KIND_NAMES) {
      walk(KINDS[kind].schema as unknown as Node, kind, (node, path) => {
        if (node.default === undefined) return;
        const schema = node as unknown as TSchema;
        const value: unknown = Value.Default(schema, structuredClone(node.default));
        expect(Value.Check(schema, value), `${path}: default ${JSON.stringify(node.default)} is invalid`).toBe(true);
      });
    }
  });
});

describe('OpenAPI components', () => {
  const { schemas } = buildOpenApiComponents();

  it('describe every kind and the FieldError shape', () => {
    expect(Object.keys(schemas)).toEqual([...KIND_NAMES, 'FieldError']);
  });

  it('are OpenAPI 3.0: no const, no patternProperties, closed objects kept closed', () => {
    for (const [name, schema] of Object.entries(schemas)) {
      walk(schema, name, (node, path) => {
        expect(node.const, path).toBeUndefined();
        expect(node.patternProperties, path).toBeUndefined();
      });
    }
    const spec = (schemas.ClusterDeployment?.properties as Node).spec as Node;
    expect(spec.additionalProperties).toBe(false);
    expect(spec.required).toEqual(['clusterName', 'baseDomain', 'platform']);
    expect(((schemas.ClusterDeployment?.properties as Node).apiVersion as Node).enum).toEqual(['slipway.dev/v1alpha1']);
  });
});

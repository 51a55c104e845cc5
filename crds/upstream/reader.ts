/**
 * A reader that walks an upstream manifest field by field and remembers which fields a
 * converter used. Whatever is left over when a converter finishes an object is reported
 * as an error naming its path: an upstream field Slipway cannot honour is refused, never
 * silently dropped. Sandbox-safe.
 */
import { joinPath, type FieldError } from '../field-errors';
import { isPlainObject, jsonEqual, type JsonObject } from '../json';

/**
 * A value that asks for nothing: absent, null, "", false, or an object/list holding only
 * such values. Upstream manifests often spell out disabled features this way
 * (`fips: false`, `autoscaling: {}`); accepting them honours the request exactly.
 */
export function isEmptyRequest(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === false) return true;
  if (Array.isArray(value)) return value.every((item) => isEmptyRequest(item));
  if (isPlainObject(value)) return Object.values(value).every((item) => isEmptyRequest(item));
  return false;
}

export class Intake {
  readonly errors: FieldError[] = [];

  constructor(
    /** e.g. "hypershift.openshift.io/v1beta1 NodePool", used in messages. */
    readonly source: string,
  ) {}

  error(path: string, message: string): void {
    this.errors.push({ path, message });
  }

  /** Starts reading an object at path; reports an error and returns undefined when it is not an object. */
  object(path: string, value: unknown, required = false): ObjectReader | undefined {
    if (value === undefined || value === null) {
      if (required) this.error(path, 'is required');
      return undefined;
    }
    if (!isPlainObject(value)) {
      this.error(path, 'expected an object');
      return undefined;
    }
    return new ObjectReader(this, path, value);
  }
}

export class ObjectReader {
  private readonly used = new Set<string>();

  constructor(
    readonly intake: Intake,
    readonly path: string,
    readonly value: JsonObject,
  ) {}

  pathOf(key: string): string {
    return joinPath(this.path, key);
  }

  has(key: string): boolean {
    return this.value[key] !== undefined && this.value[key] !== null;
  }

  /** Takes a field as is; the result is validated later against Slipway's schema. */
  take(key: string): unknown {
    this.used.add(key);
    const value = this.value[key];
    return value === null ? undefined : value;
  }

  /** Takes a field, treating a value that asks for nothing (such as `sshKey: {}`) as absent. */
  takeNonEmpty(key: string): unknown {
    const value = this.take(key);
    return isEmptyRequest(value) ? undefined : value;
  }

  /** Takes a nested object to read field by field. */
  child(key: string, required = false): ObjectReader | undefined {
    this.used.add(key);
    return this.intake.object(this.pathOf(key), this.value[key], required);
  }

  /** Takes a list of objects, each read by `convert`. */
  list<T>(key: string, convert: (item: ObjectReader) => T): T[] | undefined {
    this.used.add(key);
    const value = this.value[key];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) {
      this.intake.error(this.pathOf(key), 'expected a list');
      return undefined;
    }
    const result: T[] = [];
    value.forEach((item, index) => {
      const reader = this.intake.object(joinPath(this.pathOf(key), index), item);
      if (reader) {
        result.push(convert(reader));
        reader.finish();
      }
    });
    return result;
  }

  /** Marks a field used, and refuses it with `message` unless it asks for nothing. */
  refuse(key: string, message: string): void {
    this.used.add(key);
    if (!isEmptyRequest(this.value[key])) this.intake.error(this.pathOf(key), message);
  }

  /** Accepts a field only when it holds one of the given values (which Slipway honours by default). */
  allowOnly(key: string, accepted: readonly unknown[], message: string): void {
    this.used.add(key);
    const value = this.value[key];
    if (isEmptyRequest(value) || accepted.some((candidate) => jsonEqual(candidate, value))) return;
    this.intake.error(this.pathOf(key), `${message} (got ${JSON.stringify(value)})`);
  }

  /** Marks fields as read and deliberately left out (observed or server-set data, not a request). */
  ignore(...keys: string[]): void {
    for (const key of keys) this.used.add(key);
  }

  /** Reports every field nobody read. Call once per object, after reading it. */
  finish(): void {
    for (const key of Object.keys(this.value)) {
      if (this.used.has(key) || isEmptyRequest(this.value[key])) continue;
      this.intake.error(
        this.pathOf(key),
        `is not supported by Slipway's conversion of ${this.intake.source}, so it is refused rather than ignored; remove it from the manifest`,
      );
    }
  }
}

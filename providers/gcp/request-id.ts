/**
 * GCE's requestId must be a UUID other than the zero UUID. Slipway's idempotency token is any
 * string, so the requestId is a version-8 (custom) UUID made of the token's SHA-256: the same
 * token always gives the same requestId, and the variant bits make it never zero.
 */
import { createHash } from 'node:crypto';

export function requestIdFor(purpose: string, idempotencyToken: string): string {
  const bytes = createHash('sha256').update(`slipway/gce/${purpose}\n${idempotencyToken}`).digest().subarray(0, 16);
  bytes.writeUInt8(((bytes.readUInt8(6) & 0x0f) | 0x80) >>> 0, 6);
  bytes.writeUInt8(((bytes.readUInt8(8) & 0x3f) | 0x80) >>> 0, 8);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

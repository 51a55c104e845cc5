/**
 * Azure refuses a Linux VM that has neither a password nor an SSH key, even though RHCOS nodes
 * take their keys from Ignition. When no key is configured the adapter makes a throwaway RSA
 * key pair, keeps only the public half (as OpenSSH text) and drops the private half, so the
 * VM's admin account cannot be logged into with it by anyone.
 */
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';

const generate = promisify(generateKeyPair);

/** An SSH wire-format string field: a 4-byte big-endian length, then the bytes. */
function sshField(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** An SSH mpint: unsigned big-endian, with a leading zero byte when the top bit is set. */
function sshMpint(base64url: string): Buffer {
  const bytes = Buffer.from(base64url, 'base64url');
  return sshField(bytes.length > 0 && (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

export async function throwawaySshPublicKey(): Promise<string> {
  const { publicKey } = await generate('rsa', { modulusLength: 3072 });
  const jwk = publicKey.export({ format: 'jwk' });
  if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') throw new Error('RSA public key export gave no modulus');
  const blob = Buffer.concat([sshField(Buffer.from('ssh-rsa')), sshMpint(jwk.e), sshMpint(jwk.n)]);
  return `ssh-rsa ${blob.toString('base64')} slipway-throwaway`;
}

import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AWS_ENDPOINT_ENV, awsAdapterOptionsFrom } from '../../providers/aws/adapter';
import { providerErrorThrownBy } from '../support/async-checks';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY';
const TOKEN = 'FwoGZXIvYXdzEXAMPLESESSIONTOKEN';

describe('awsAdapterOptionsFrom', () => {
  it('takes the keys from the secret fields, and printing the options shows no secret', async () => {
    const options = awsAdapterOptionsFrom({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: SECRET, sessionToken: TOKEN }, env: {} });
    expect(options.region).toBe('eu-west-1');
    expect(await options.credentials?.()).toEqual({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: SECRET, sessionToken: TOKEN });
    for (const printed of [JSON.stringify(options), inspect(options, { depth: 10 })]) {
      expect(printed).not.toContain(SECRET);
      expect(printed).not.toContain(TOKEN);
    }
  });

  it('the secret wins over the environment', async () => {
    const options = awsAdapterOptionsFrom({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIASECRET', secretAccessKey: SECRET }, env: { AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 'env-secret' } });
    expect((await options.credentials?.())?.accessKeyId).toBe('AKIASECRET');
  });

  it('refuses a secret without secretAccessKey, naming the field and not echoing the others', () => {
    const error = providerErrorThrownBy(() => awsAdapterOptionsFrom({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIAEXAMPLE', sessionToken: TOKEN }, env: {} }));
    expect(error.kind).toBe('invalid');
    expect(error.message).toMatch(/secretAccessKey/);
    expect(error.message).not.toContain(TOKEN);
  });

  it('without a secret, reads the AWS_* environment', async () => {
    const options = awsAdapterOptionsFrom({ region: 'us-east-2', credentials: undefined, env: { AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: TOKEN } });
    expect(await options.credentials?.()).toEqual({ accessKeyId: 'AKIAENV', secretAccessKey: SECRET, sessionToken: TOKEN });
  });

  it('without a secret or AWS_* keys, leaves credentials to the SDK default chain', () => {
    expect(awsAdapterOptionsFrom({ region: 'us-east-2', credentials: undefined, env: { AWS_PROFILE: 'dev' } }).credentials).toBeUndefined();
  });

  it(`points at ${AWS_ENDPOINT_ENV} when set, else leaves the real regional endpoint to the SDK`, () => {
    expect(awsAdapterOptionsFrom({ region: 'us-east-1', credentials: undefined, env: { [AWS_ENDPOINT_ENV]: 'http://127.0.0.1:5000' } }).endpoint).toBe('http://127.0.0.1:5000');
    expect(awsAdapterOptionsFrom({ region: 'us-east-1', credentials: undefined, env: {} }).endpoint).toBeUndefined();
  });

  it('falls back to AWS_REGION, and refuses no region at all', () => {
    expect(awsAdapterOptionsFrom({ region: '', credentials: undefined, env: { AWS_REGION: 'ap-south-1' } }).region).toBe('ap-south-1');
    expect(providerErrorThrownBy(() => awsAdapterOptionsFrom({ region: '', credentials: undefined, env: {} })).kind).toBe('invalid');
  });
});

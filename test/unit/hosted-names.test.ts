/** Names a hosted cluster's control plane leaves on the management side: legal everywhere, and never shared by two clusters. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { controlPlaneKey, controlPlaneNamespace, hostedSecretNames } from '../../services/worker/hosted-names';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const ref = fc.record({ namespace: fc.string({ minLength: 1, maxLength: 63 }), name: fc.string({ minLength: 1, maxLength: 253 }), uid: fc.uuid() });
const allNames = (value: { namespace: string; name: string; uid: string }) => {
  const secrets = hostedSecretNames(value);
  return [secrets.pkiSecretName, secrets.adminKubeconfigSecretName, controlPlaneKey(value), controlPlaneNamespace(value)];
};

describe('hosted cluster names', () => {
  it.each([
    [{ namespace: 'default', name: 'demo', uid: 'u1' }, /^demo-[0-9a-f]{10}-pki$/, /^demo-[0-9a-f]{10}-admin-kubeconfig$/, /^default-demo-[0-9a-f]{10}$/, /^hcp-default-demo-[0-9a-f]{10}$/],
    [{ namespace: 'team-a', name: 'web.prod', uid: 'u2' }, /^web-prod-[0-9a-f]{10}-pki$/, /^web-prod-[0-9a-f]{10}-admin-kubeconfig$/, /^team-a-web-prod-[0-9a-f]{10}$/, /^hcp-team-a-web-prod-[0-9a-f]{10}$/],
    [{ namespace: 'x', name: 'a'.repeat(200), uid: 'u3' }, /^a{48}-[0-9a-f]{10}-pki$/, /^a{35}-[0-9a-f]{10}-admin-kubeconfig$/, /^x-a{50}-[0-9a-f]{10}$/, /^hcp-x-a{46}-[0-9a-f]{10}$/],
  ])('names %j readably', (value, pki, admin, key, namespace) => {
    const [pkiName, adminName, keyName, namespaceName] = allNames(value);
    expect(pkiName).toMatch(pki);
    expect(adminName).toMatch(admin);
    expect(keyName).toMatch(key);
    expect(namespaceName).toMatch(namespace);
  });

  it('are DNS labels whatever the object is called', () => {
    fc.assert(fc.property(ref, (value) => allNames(value).every((name) => DNS_LABEL.test(name))));
  });

  it('are the same for the same object and differ for a recreated one (a new uid)', () => {
    fc.assert(
      fc.property(ref, fc.uuid(), (value, otherUid) => {
        fc.pre(otherUid !== value.uid);
        expect(allNames({ ...value })).toEqual(allNames(value));
        const other = allNames({ ...value, uid: otherUid });
        allNames(value).forEach((name, index) => expect(other[index]).not.toBe(name));
      }),
    );
  });
});

/**
 * One object, one owner side: who owns an entity's object (workflows/entity/ownership.ts),
 * which changes each side may send, and how a custom resource stands to the entity of its
 * name (services/controller/resource-ownership.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProblemError } from '../../services/api/problem';
import { handoverTarget } from '../../services/api/routes/entity-routes';
import { relationOf, type ResourceRelation } from '../../services/controller/resource-ownership';
import { CR_GENERATION_ANNOTATION, CR_UID_ANNOTATION, OWNER_ANNOTATION, ownerSide, ownershipRefusal, type OwnerSide } from '../../workflows/entity/ownership';

function objectWith(annotations: Record<string, string>, extra: { uid?: string; deletionTimestamp?: string } = {}) {
  return { metadata: { annotations, ...extra } };
}

describe('the owner side of an object', () => {
  it.each<{ annotations: Record<string, string>; owner: OwnerSide }>([
    { annotations: {}, owner: 'rest' },
    { annotations: { [OWNER_ANNOTATION]: 'kubernetes' }, owner: 'kubernetes' },
    { annotations: { [OWNER_ANNOTATION]: 'rest', [CR_GENERATION_ANNOTATION]: '4' }, owner: 'rest' },
    // Started by the controller before owners were recorded.
    { annotations: { [CR_GENERATION_ANNOTATION]: '2' }, owner: 'kubernetes' },
    { annotations: { [OWNER_ANNOTATION]: 'someone' }, owner: 'rest' },
  ])('$annotations is owned by $owner', ({ annotations, owner }) => {
    expect(ownerSide(objectWith(annotations))).toBe(owner);
  });
});

const base = { kind: 'ClusterDeployment', namespace: 'default', name: 'demo' } as const;

describe('which changes a side may send', () => {
  it.each([
    { owner: 'kubernetes', from: 'rest', handover: false, ownerAfter: undefined, refused: 'OwnedByKubernetes' },
    { owner: 'kubernetes', from: 'kubernetes', handover: false, ownerAfter: undefined, refused: undefined },
    { owner: 'rest', from: 'kubernetes', handover: false, ownerAfter: undefined, refused: 'OwnedByRest' },
    { owner: 'rest', from: 'rest', handover: false, ownerAfter: undefined, refused: undefined },
    // An owner or a test that is no side is not checked.
    { owner: 'kubernetes', from: undefined, handover: false, ownerAfter: undefined, refused: undefined },
    // Either side hands over, but only to a side; no plain patch sets or removes the owner.
    { owner: 'kubernetes', from: undefined, handover: true, ownerAfter: 'rest', refused: undefined },
    { owner: 'rest', from: 'rest', handover: true, ownerAfter: 'kubernetes', refused: undefined },
    { owner: 'rest', from: undefined, handover: true, ownerAfter: 'nobody', refused: 'InvalidPatch' },
    { owner: 'rest', from: 'rest', handover: false, ownerAfter: 'kubernetes', refused: 'InvalidPatch' },
    { owner: 'kubernetes', from: 'kubernetes', handover: false, ownerAfter: null, refused: 'InvalidPatch' },
  ] as const)('owner $owner, from $from, handover $handover, owner after $ownerAfter: $refused', ({ owner, from, handover, ownerAfter, refused }) => {
    const refusal = ownershipRefusal(objectWith({ [OWNER_ANNOTATION]: owner }), { ...base, from, handover, ownerAfter });
    expect(refusal?.type).toBe(refused);
  });

  it('tells the refused side what to do instead', () => {
    const toRest = ownershipRefusal(objectWith({ [OWNER_ANNOTATION]: 'kubernetes' }), { ...base, from: 'rest', handover: false, ownerAfter: undefined });
    expect(toRest?.message).toContain('kubectl edit clusterdeployment demo -n default');
    expect(toRest?.message).toContain('slipway handover cd/demo --to rest -n default');
    const toKubernetes = ownershipRefusal(objectWith({}), { ...base, from: 'kubernetes', handover: false, ownerAfter: undefined });
    expect(toKubernetes?.message).toContain('slipway handover cd/demo --to kubernetes -n default');
  });

  it('refuses exactly the non-handover changes from the side that does not own the object', () => {
    const side = fc.constantFrom<OwnerSide>('rest', 'kubernetes');
    fc.assert(
      fc.property(side, fc.option(side, { nil: undefined }), (owner, from) => {
        const refusal = ownershipRefusal(objectWith({ [OWNER_ANNOTATION]: owner }), { ...base, from, handover: false, ownerAfter: undefined });
        expect(refusal !== undefined).toBe(from !== undefined && from !== owner);
      }),
    );
  });
});

describe('how a custom resource stands to the entity of its name', () => {
  const cr = 'uid-cr';
  it.each<{ what: string; entity: Parameters<typeof relationOf>[0]; relation: ResourceRelation }>([
    { what: 'no entity', entity: undefined, relation: 'absent' },
    { what: 'a finished one', entity: { object: objectWith({ [OWNER_ANNOTATION]: 'kubernetes' }, { uid: cr }), deleted: true }, relation: 'absent' },
    { what: 'one it started', entity: { object: objectWith({ [OWNER_ANNOTATION]: 'kubernetes' }, { uid: cr }), deleted: false }, relation: 'drives' },
    { what: 'one it took over', entity: { object: objectWith({ [OWNER_ANNOTATION]: 'kubernetes', [CR_UID_ANNOTATION]: cr }, { uid: 'uid-rest' }), deleted: false }, relation: 'drives' },
    { what: 'one handed to Kubernetes', entity: { object: objectWith({ [OWNER_ANNOTATION]: 'kubernetes' }, { uid: 'uid-rest' }), deleted: false }, relation: 'adopts' },
    { what: "a predecessor's, deleting", entity: { object: objectWith({ [CR_GENERATION_ANNOTATION]: '3' }, { uid: 'uid-old', deletionTimestamp: '2026-01-01T00:00:00Z' }), deleted: false }, relation: 'name-in-use' },
    { what: 'one REST owns', entity: { object: objectWith({}, { uid: 'uid-rest' }), deleted: false }, relation: 'read-only' },
    { what: 'one handed to REST', entity: { object: objectWith({ [OWNER_ANNOTATION]: 'rest' }, { uid: cr }), deleted: false }, relation: 'read-only' },
  ])('$what: $relation', ({ entity, relation }) => {
    expect(relationOf(entity, cr)).toBe(relation);
  });

  it('lets a CR drive an entity only when Kubernetes owns it', () => {
    fc.assert(
      fc.property(fc.constantFrom<OwnerSide>('rest', 'kubernetes'), fc.boolean(), fc.boolean(), (owner, sameUid, deleting) => {
        const object = objectWith({ [OWNER_ANNOTATION]: owner }, { uid: sameUid ? cr : 'other', ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) });
        const relation = relationOf({ object, deleted: false }, cr);
        expect(relation === 'drives' || relation === 'adopts').toBe(owner === 'kubernetes' && (sameUid || !deleting));
      }),
    );
  });
});

describe('a handover body', () => {
  it('names a side, or is refused naming the field', () => {
    expect(handoverTarget({ to: 'kubernetes' })).toBe('kubernetes');
    expect(handoverTarget({ to: 'rest' })).toBe('rest');
    for (const body of [{}, { to: 'cluster' }, { to: 'rest', also: 1 }]) {
      let paths: string[] = [];
      try {
        handoverTarget(body);
      } catch (error) {
        if (!(error instanceof ProblemError)) throw error;
        expect(error.status).toBe(422);
        paths = (error.errors ?? []).map((fieldError) => fieldError.path);
      }
      expect(paths.length).toBeGreaterThan(0);
    }
  });
});

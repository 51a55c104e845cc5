/** resourceVersions are the projection's change-stream IDs ("<ms>-<seq>"); this orders them. */
export function compareResourceVersions(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}

/**
 * ARM list paging: `{ "value": [...], "nextLink": "<absolute URL>" }`, the next page's URL
 * carrying an opaque `$skiptoken`. The token is the last ID served (IDs are ordered
 * case-insensitively), so items created or deleted between pages never make another item
 * appear twice or go missing.
 */
import type { ArmAnswer, ArmRequest } from './arm-http';

const encodeToken = (id: string): string => Buffer.from(id.toLowerCase(), 'utf8').toString('base64url');
const decodeToken = (token: string): string => Buffer.from(token, 'base64url').toString('utf8');

export function listPage<T extends { readonly id: string }>(items: readonly T[], request: ArmRequest, pageSize: number, view: (item: T) => unknown): ArmAnswer {
  const token = request.query.get('$skiptoken');
  const after = token === null ? undefined : decodeToken(token);
  const ordered = [...items].sort((a, b) => (a.id.toLowerCase() < b.id.toLowerCase() ? -1 : 1));
  const remaining = after === undefined ? ordered : ordered.filter((item) => item.id.toLowerCase() > after);
  const page = remaining.slice(0, pageSize);
  const last = page[page.length - 1];
  const body: { value: unknown[]; nextLink?: string } = { value: page.map(view) };
  if (last !== undefined && remaining.length > page.length) {
    const next = new URLSearchParams(request.query);
    next.delete('$skiptoken');
    // ARM writes the $ of its query options literally.
    const query = [next.toString().replaceAll('%24', '$'), `$skiptoken=${encodeToken(last.id)}`].filter((part) => part !== '').join('&');
    body.nextLink = `${request.origin}${request.path}?${query}`;
  }
  return { status: 200, body };
}

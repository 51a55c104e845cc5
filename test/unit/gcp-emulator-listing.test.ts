/** The Compute Engine emulator's list filter and paging, which the GCP adapter's tests lean on. */
import { describe, expect, it } from 'vitest';
import { compileFilter } from '../emulators/gce/filter';
import { GceFailure } from '../emulators/gce/http';
import { pageOf } from '../emulators/gce/paging';

const web = { name: 'web-1', status: 'RUNNING', labels: { env: 'prod', team: 'a' }, deletionProtection: false };
const db = { name: 'db-1', status: 'TERMINATED', labels: { env: 'dev' }, deletionProtection: true };
const bare = { name: 'bare-1', status: 'RUNNING' };

function matching(filter: string): string[] {
  const matches = compileFilter(filter);
  return [web, db, bare].filter(matches).map((resource) => resource.name);
}

function refused(run: () => unknown): GceFailure {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(GceFailure);
    return error as GceFailure;
  }
  throw new Error('expected a GceFailure');
}

describe('GCE list filters', () => {
  it('compares fields and labels with =, != and :*, quoted or not', () => {
    expect(matching('labels.env = "prod"')).toEqual(['web-1']);
    expect(matching("labels.env = 'dev'")).toEqual(['db-1']);
    expect(matching('status != RUNNING')).toEqual(['db-1']);
    expect(matching('labels.env:*')).toEqual(['web-1', 'db-1']);
    expect(matching('deletionProtection = true')).toEqual(['db-1']);
    expect(matching('')).toEqual(['web-1', 'db-1', 'bare-1']);
  });

  it('joins parenthesised comparisons with AND (also implied) and OR, OR binding tighter', () => {
    expect(matching('(labels.env = "prod") AND (name = "web-1")')).toEqual(['web-1']);
    expect(matching('(status = "RUNNING") (labels.team = "a")')).toEqual(['web-1']);
    expect(matching('(name = "db-1") OR (name = "bare-1") AND (status = "RUNNING")')).toEqual(['bare-1']);
  });

  it('matches regular expressions with eq and ne against the whole value, and never mixes them with AIP-160', () => {
    expect(matching('name eq "web-.*"')).toEqual(['web-1']);
    expect(matching('name eq web')).toEqual([]);
    expect(matching('(name ne ".*-1")')).toEqual([]);
    expect(refused(() => compileFilter('(name eq "web-.*") (status = "RUNNING")')).status).toBe(400);
  });

  it('refuses what it cannot read with 400 invalid', () => {
    for (const filter of ['labels.env =', '(name = "a"', 'name > "a"', 'name = "unterminated']) {
      const failure = refused(() => compileFilter(filter));
      expect(failure.status).toBe(400);
      expect(failure.reason).toBe('invalid');
    }
  });
});

describe('GCE list paging', () => {
  const items = Array.from({ length: 7 }, (_, index) => ({ name: `m-${index}` }));

  it('gives maxResults items per page in name order, and a token until the last page', () => {
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const query = new URLSearchParams({ maxResults: '3', filter: 'x', ...(token ? { pageToken: token } : {}) });
      const page = pageOf([...items].reverse(), query);
      names.push(...page.items.map((item) => item.name));
      token = page.nextPageToken;
      pages += 1;
    } while (token);
    expect(names).toEqual(items.map((item) => item.name));
    expect(pages).toBe(3);
  });

  it('refuses a token made for another filter, and maxResults over 500', () => {
    const token = pageOf(items, new URLSearchParams({ maxResults: '2', filter: 'a' })).nextPageToken ?? '';
    expect(refused(() => pageOf(items, new URLSearchParams({ maxResults: '2', filter: 'b', pageToken: token }))).status).toBe(400);
    expect(refused(() => pageOf(items, new URLSearchParams({ maxResults: '501' }))).status).toBe(400);
    expect(pageOf(items, new URLSearchParams({ maxResults: '0' })).items).toHaveLength(7);
  });
});

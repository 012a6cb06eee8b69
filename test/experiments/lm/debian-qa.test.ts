/**
 * The Debian QA set (summary -> package name) on generated Packages stanzas: description
 * parsing, name matching at word boundaries, valid SQuAD v1.1 files through the project's own
 * loader, a deterministic seeded split with no dev package in the pretraining texts.
 */
import { describe, expect, it } from 'vitest';
import { DatasetError, parseSquad } from '../../../src/data/index.js';
import {
  buildDebianQa,
  firstMention,
  parseDescriptions,
  type PackageDescription,
} from '../../../src/experiments/lm/debian-qa.js';

const STANZAS = `Package: curl
Description-md5: f83293d10df083ae6f7bb7d01642913c
Description-en: command line tool for transferring data with URL syntax
 curl is a command line tool for transferring data
 with URL syntax.
 .
 Second paragraph.

Package: nodesc
Version: 1

Package: vim-tiny
Status: install ok installed
Description: Vi IMproved - compact version
 This package contains a minimal version of Vim.
`;

describe('parseDescriptions', () => {
  it('reads Translation-en and dpkg status stanzas: summary and paragraphs', () => {
    expect(parseDescriptions(STANZAS)).toEqual([
      {
        name: 'curl',
        summary: 'command line tool for transferring data with URL syntax',
        paragraphs: [
          'curl is a command line tool for transferring data with URL syntax.',
          'Second paragraph.',
        ],
      },
      {
        name: 'vim-tiny',
        summary: 'Vi IMproved - compact version',
        paragraphs: ['This package contains a minimal version of Vim.'],
      },
    ]);
  });
});

describe('firstMention', () => {
  it('matches whole names, case-insensitively, not inside longer names', () => {
    expect(firstMention('Foo-utils and libfoo need foo.', 'foo')).toBe(26);
    expect(firstMention('FOO is here', 'foo')).toBe(0);
    expect(firstMention('foo.bar and foo2 but (foo)', 'foo')).toBe(22);
    expect(firstMention('g++ is not g', 'g++')).toBe(0);
    expect(firstMention('nothing here', 'foo')).toBe(-1);
  });
});

/** n packages whose paragraphs mention their names at varying places. */
function packages(n: number): PackageDescription[] {
  const words = ['fast', 'small', 'tool', 'for', 'text', 'audio', 'network', 'games'];
  return Array.from({ length: n }, (_, i) => {
    const name = `pkg${i}-${words[i % words.length]}`;
    const lead = words.slice(0, i % 5).join(' ');
    return {
      name,
      summary: `${words[(i * 3) % words.length]} helper number ${i}`,
      paragraphs: [`${lead} ${name.toUpperCase()} does ${words[i % 7]} work; see ${name}.`.trim()],
    };
  });
}

const OPTIONS = { seed: 3, devSize: 10, distractors: 2, maxParagraphChars: 500 };

describe('buildDebianQa', () => {
  it('writes SQuAD v1.1 that the loader accepts, answers pointing at the first mention', () => {
    const built = buildDebianQa(packages(40), OPTIONS);
    const train = parseSquad(built.train, 'train');
    const dev = parseSquad(built.dev, 'dev');
    expect(dev.examples).toHaveLength(10);
    expect(train.examples).toHaveLength(30);
    for (const ex of [...train.examples, ...dev.examples]) {
      const name = ex.id.replace(/^debian-qa-/, '');
      const a = ex.answers[0]!;
      expect(a.text.toLowerCase()).toBe(name);
      // The first mention in the package's own paragraph: upper case, before "see <name>".
      expect(a.text).toBe(name.toUpperCase());
      // Its own paragraph and two distractors.
      expect(ex.context.split('\n\n')).toHaveLength(3);
      expect(ex.question).not.toContain(name);
    }
  });

  it('keeps dev packages out of pretraining and out of train contexts', () => {
    const built = buildDebianQa(packages(40), OPTIONS);
    const dev = parseSquad(built.dev, 'dev').examples.map((e) => e.id.replace(/^debian-qa-/, ''));
    const source = new Set(built.source.map((s) => s.id));
    expect(built.source).toHaveLength(30);
    for (const name of dev) expect(source.has(name)).toBe(false);
    const trainText = JSON.stringify(built.train);
    for (const name of dev) expect(trainText).not.toContain(`${name.toUpperCase()} does`);
  });

  it('is deterministic by seed, and another seed gives another split', () => {
    const a = buildDebianQa(packages(40), OPTIONS);
    expect(buildDebianQa([...packages(40)].reverse(), OPTIONS)).toEqual(a);
    const b = buildDebianQa(packages(40), { ...OPTIONS, seed: 4 });
    expect(b.dev).not.toEqual(a.dev);
  });

  it('masks the name in questions and drops summaries that several packages share', () => {
    const ps = packages(30);
    ps[0] = { ...ps[0]!, summary: `${ps[0]!.name} does things` };
    ps[1] = { ...ps[1]!, summary: 'transitional package' };
    ps[2] = { ...ps[2]!, summary: 'transitional package' };
    const built = buildDebianQa(ps, OPTIONS);
    const all = [...parseSquad(built.train, 't').examples, ...parseSquad(built.dev, 'd').examples];
    expect(all).toHaveLength(28);
    expect(all.find((e) => e.id === `debian-qa-${ps[0]!.name}`)!.question).toBe(
      'this package does things',
    );
  });

  it('refuses a dev split larger than the questions there are', () => {
    expect(() => buildDebianQa(packages(5), OPTIONS)).toThrow(DatasetError);
    expect(() => buildDebianQa(packages(5), OPTIONS)).toThrow(/devSize 10/);
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

/*
 * Every ```ts block of docs/agents.md is type-checked against the sources with the project's
 * compiler options, then executed; the blocks carry their own `assert`s, so a doc whose
 * numbers or API drift from the code fails here. Blocks import from 'osmosis' as a user would;
 * that specifier is pointed at src/index.ts.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const doc = readFileSync(join(root, 'docs/agents.md'), 'utf8');
const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
const entry = join(root, 'src/index.ts');

function pointAtSources(code: string, from: string): string {
  return code.replaceAll(`from 'osmosis'`, `from '${from}'`);
}

/** Type errors of each block, checked as virtual files beside docs/agents.md. */
function typeErrors(): string[][] {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  )!;
  const files = blocks.map((_, i) => join(root, 'docs', `__agents_snippet_${i}.ts`));
  const text = new Map(files.map((f, i) => [f, pointAtSources(blocks[i], '../src/index.js')]));
  const options = { ...config.options, noEmit: true };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => text.has(f) || fileExists.call(host, f);
  host.readFile = (f) => text.get(f) ?? readFile.call(host, f);
  host.getSourceFile = (f, lang, ...rest) =>
    text.has(f)
      ? ts.createSourceFile(f, text.get(f)!, lang)
      : getSourceFile.call(host, f, lang, ...rest);
  const program = ts.createProgram(files, options, host);
  return files.map((f) => {
    const sf = program.getSourceFile(f)!;
    return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map(
      (d) => {
        const line = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line;
        return `line ${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      },
    );
  });
}

const scratch = mkdtempSync(join(tmpdir(), 'osmosis-doc-snippets-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('docs/agents.md code blocks', () => {
  it('has the blocks the page promises (envs, vector envs, a third-party env, MAS)', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(7);
    expect(blocks.every((b) => b.includes(`from 'osmosis'`))).toBe(true);
  });

  it('every block type-checks against the sources', () => {
    const errors = typeErrors();
    const report = errors.flatMap((e, i) => e.map((msg) => `block ${i}: ${msg}`));
    expect(report).toEqual([]);
  });

  blocks.forEach((code, i) => {
    const title = code.split('\n').find((l) => l.startsWith('//') || l.startsWith('/**')) ?? '';
    it(`block ${i} runs and its assertions hold ${title}`, async () => {
      const file = join(scratch, `block-${i}.ts`);
      writeFileSync(file, pointAtSources(code, pathToFileURL(entry).href));
      await import(pathToFileURL(file).href);
    });
  });
});

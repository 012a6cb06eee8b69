/**
 * SQuAD v1.1 / v2.0 JSON: {version, data: [{title, paragraphs: [{context, qas: [{id, question,
 * answers: [{text, answer_start}], is_impossible?}]}]}]}. Every entry is validated; errors name the
 * file and the JSON path. SQuAD's answer_start counts Python characters (code points); examples
 * here carry UTF-16 indices so that `context.slice(start, start + text.length)` is the answer.
 */
import * as fsp from 'node:fs/promises';
import { DatasetError } from '../errors.js';

export interface SquadAnswer {
  text: string;
  /** UTF-16 index of the answer in the context. */
  answerStart: number;
}

export interface SquadExample {
  id: string;
  title: string;
  context: string;
  question: string;
  answers: SquadAnswer[];
  /** v2.0 unanswerable question (no answers). */
  isImpossible: boolean;
}

export interface SquadDataset {
  version: string;
  examples: SquadExample[];
}

export interface SquadLoadOptions {
  /** 'skip' drops malformed questions (collected in `skipped`) instead of throwing. */
  onInvalid?: 'throw' | 'skip';
  skipped?: string[];
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Code point index -> UTF-16 index, for strings with characters outside the BMP. */
function cpToUtf16(s: string): (cp: number) => number | undefined {
  if (!/[\ud800-\udfff]/.test(s)) return (cp) => (cp <= s.length ? cp : undefined);
  const map: number[] = [];
  let u = 0;
  for (const c of s) {
    map.push(u);
    u += c.length;
  }
  map.push(u);
  return (cp) => map[cp];
}

export function parseSquad(json: unknown, source: string, o: SquadLoadOptions = {}): SquadDataset {
  const fail = (path: string, what: string): never => {
    throw new DatasetError(`${source}: ${path}: ${what}`);
  };
  if (!isObj(json)) fail('$', 'expected a JSON object with "data"');
  const root = json as Json;
  if (!Array.isArray(root.data)) fail('$.data', 'expected an array of articles');
  const version = typeof root.version === 'string' ? root.version : '';
  const examples: SquadExample[] = [];
  const seen = new Set<string>();
  (root.data as unknown[]).forEach((article, a) => {
    const ap = `data[${a}]`;
    if (!isObj(article)) fail(ap, 'expected an object');
    const art = article as Json;
    const title = typeof art.title === 'string' ? art.title : '';
    if (!Array.isArray(art.paragraphs)) fail(`${ap}.paragraphs`, 'expected an array');
    (art.paragraphs as unknown[]).forEach((para, p) => {
      const pp = `${ap}.paragraphs[${p}]`;
      if (!isObj(para) || typeof para.context !== 'string')
        fail(`${pp}.context`, 'expected a string');
      const { context, qas } = para as { context: string; qas: unknown };
      if (!Array.isArray(qas)) fail(`${pp}.qas`, 'expected an array');
      const toUtf16 = cpToUtf16(context);
      (qas as unknown[]).forEach((qa, q) => {
        const qp = `${pp}.qas[${q}]`;
        try {
          examples.push(parseQa(qa, qp, title, context, toUtf16, seen));
        } catch (err) {
          if (o.onInvalid !== 'skip' || !(err instanceof DatasetError)) {
            throw err instanceof DatasetError
              ? new DatasetError(`${source}: ${err.message}`, { cause: err })
              : err;
          }
          o.skipped?.push(err.message);
        }
      });
    });
  });
  return { version, examples };
}

function parseQa(
  qa: unknown,
  qp: string,
  title: string,
  context: string,
  toUtf16: (cp: number) => number | undefined,
  seen: Set<string>,
): SquadExample {
  const fail = (path: string, what: string): never => {
    throw new DatasetError(`${path}: ${what}`);
  };
  if (!isObj(qa)) fail(qp, 'expected an object');
  const { id, question, answers, is_impossible: impossible } = qa as Json;
  if (typeof id !== 'string' || id === '') fail(`${qp}.id`, 'expected a non-empty string');
  if (seen.has(id as string)) fail(`${qp}.id`, `duplicate id ${JSON.stringify(id)}`);
  seen.add(id as string);
  if (typeof question !== 'string') fail(`${qp}.question`, 'expected a string');
  if (impossible !== undefined && typeof impossible !== 'boolean')
    fail(`${qp}.is_impossible`, 'expected a boolean');
  if (!Array.isArray(answers)) fail(`${qp}.answers`, 'expected an array');
  const parsed = (answers as unknown[]).map((ans, k): SquadAnswer => {
    const kp = `${qp}.answers[${k}]`;
    if (!isObj(ans) || typeof ans.text !== 'string') fail(`${kp}.text`, 'expected a string');
    const { text, answer_start: start } = ans as { text: string; answer_start: unknown };
    if (typeof start !== 'number' || !Number.isInteger(start) || start < 0) {
      fail(`${kp}.answer_start`, `expected a non-negative integer, got ${JSON.stringify(start)}`);
    }
    const u = toUtf16(start as number);
    const found = u === undefined ? '' : context.slice(u, u + text.length);
    if (found !== text) {
      fail(
        `${kp}.answer_start`,
        `${start} does not point at ${JSON.stringify(text)} in the context (it points at ${JSON.stringify(found)})`,
      );
    }
    return { text, answerStart: u! };
  });
  if (impossible === true && parsed.length > 0)
    fail(`${qp}.answers`, 'an is_impossible question must have no answers');
  return {
    id: id as string,
    title,
    context,
    question: question as string,
    answers: parsed,
    isImpossible: impossible === true,
  };
}

/** Read and validate a SQuAD JSON file. */
export async function loadSquad(path: string, o: SquadLoadOptions = {}): Promise<SquadDataset> {
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    throw new DatasetError(`cannot read SQuAD file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DatasetError(`${path}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  return parseSquad(json, path, o);
}

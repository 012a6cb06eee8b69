/**
 * The BPE merge loop shared by the trainers: start from characters, repeatedly merge the most
 * frequent adjacent pair (ties: the pair of smaller ids, so results are deterministic) until the
 * vocabulary is full or no pair is frequent enough. Pair counts are updated only in the words a
 * merge touches, so training scales with the corpus rather than with corpus x merges.
 */
export interface MergeOptions {
  vocabSize: number;
  minFrequency: number;
  /** Prefix marking a non-initial piece (WordPiece's "##"); merged tokens drop the second one's. */
  prefix?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface MergeResult {
  /** Tokens in id order, starting with the initial ones passed in. */
  tokens: string[];
  merges: [string, string][];
}

const SHIFT = 2 ** 21;

/**
 * @param words unique words as sequences of initial token ids, with their counts
 * @param tokens the initial vocabulary (specials, alphabet); new tokens are appended
 */
export function learnMerges(
  words: Int32Array[],
  counts: number[],
  initial: string[],
  o: MergeOptions,
): MergeResult {
  const tokens = [...initial];
  const index = new Map(tokens.map((t, i) => [t, i]));
  const merges: [string, string][] = [];
  const pairCount = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const heap = new PairHeap();
  const seqs = words.map((w) => Array.from(w));

  // Counts before the current merge touched them: only pairs whose count really changed go back
  // on the heap (re-adding a word's pairs leaves most of them as they were).
  const before = new Map<number, number>();
  const addWord = (w: number, sign: 1 | -1, touched: Set<number>): void => {
    const s = seqs[w]!;
    for (let k = 0; k + 1 < s.length; k++) {
      const key = s[k]! * SHIFT + s[k + 1]!;
      const c = pairCount.get(key) ?? 0;
      if (!before.has(key)) before.set(key, c);
      pairCount.set(key, c + sign * counts[w]!);
      if (sign > 0) {
        let set = where.get(key);
        if (!set) where.set(key, (set = new Set()));
        set.add(w);
      }
      touched.add(key);
    }
  };
  const touched = new Set<number>();
  seqs.forEach((_, w) => addWord(w, 1, touched));
  for (const key of touched) heap.push(pairCount.get(key)!, key);
  before.clear();

  const target = o.vocabSize - tokens.length;
  while (tokens.length < o.vocabSize) {
    const top = heap.pop();
    if (!top) break;
    const [count, key] = top;
    if (pairCount.get(key) !== count) continue; // stale entry; the current count was pushed too
    if (count < o.minFrequency || count <= 0) break;
    const a = Math.floor(key / SHIFT);
    const b = key % SHIFT;
    const left = tokens[a]!;
    const right = tokens[b]!;
    const merged =
      left + (o.prefix && right.startsWith(o.prefix) ? right.slice(o.prefix.length) : right);
    let id = index.get(merged);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(merged);
      index.set(merged, id);
    }
    merges.push([left, right]);
    const changed = new Set<number>();
    for (const w of where.get(key) ?? []) {
      addWord(w, -1, changed);
      const s = seqs[w]!;
      const out: number[] = [];
      for (let k = 0; k < s.length; k++) {
        if (k + 1 < s.length && s[k] === a && s[k + 1] === b) {
          out.push(id);
          k++;
        } else out.push(s[k]!);
      }
      seqs[w] = out;
      addWord(w, 1, changed);
    }
    for (const k of changed) {
      const c = pairCount.get(k)!;
      if (c <= 0) {
        pairCount.delete(k);
        where.delete(k);
      } else if (c !== before.get(k)) heap.push(c, k);
    }
    before.clear();
    where.delete(key);
    o.onProgress?.(merges.length, target);
  }
  return { tokens, merges };
}

/** Max-heap on count, then smaller pair key. */
class PairHeap {
  private a: [number, number][] = [];

  private static better(x: [number, number], y: [number, number]): boolean {
    return x[0] > y[0] || (x[0] === y[0] && x[1] < y[1]);
  }

  push(count: number, key: number): void {
    const a = this.a;
    a.push([count, key]);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!PairHeap.better(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): [number, number] | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && PairHeap.better(a[l]!, a[m]!)) m = l;
        if (r < a.length && PairHeap.better(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

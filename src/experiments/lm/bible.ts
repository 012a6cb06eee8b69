/**
 * Labels from a verse reference, for tasks that exist in every language of a parallel Bible: the
 * book group of a verse (OSIS book ids as the SWORD modules give them, `Gen.1.1`). The groups are
 * the usual division of the Protestant canon; Revelation goes with the letters (it opens as a
 * letter to seven churches), which keeps the smallest group above 3,000 verses.
 */
import { DatasetError } from '../../data/errors.js';

export const BOOK_GROUPS: Readonly<Record<string, readonly string[]>> = {
  law: ['Gen', 'Exod', 'Lev', 'Num', 'Deut'],
  history: [
    'Josh',
    'Judg',
    'Ruth',
    '1Sam',
    '2Sam',
    '1Kgs',
    '2Kgs',
    '1Chr',
    '2Chr',
    'Ezra',
    'Neh',
    'Esth',
  ],
  wisdom: ['Job', 'Ps', 'Prov', 'Eccl', 'Song'],
  prophets: [
    'Isa',
    'Jer',
    'Lam',
    'Ezek',
    'Dan',
    'Hos',
    'Joel',
    'Amos',
    'Obad',
    'Jonah',
    'Mic',
    'Nah',
    'Hab',
    'Zeph',
    'Hag',
    'Zech',
    'Mal',
  ],
  gospels: ['Matt', 'Mark', 'Luke', 'John', 'Acts'],
  letters: [
    'Rom',
    '1Cor',
    '2Cor',
    'Gal',
    'Eph',
    'Phil',
    'Col',
    '1Thess',
    '2Thess',
    '1Tim',
    '2Tim',
    'Titus',
    'Phlm',
    'Heb',
    'Jas',
    '1Pet',
    '2Pet',
    '1John',
    '2John',
    '3John',
    'Jude',
    'Rev',
  ],
};

const GROUP_OF = new Map(
  Object.entries(BOOK_GROUPS).flatMap(([g, books]) => books.map((b): [string, string] => [b, g])),
);

/** The book group of a verse id such as `1Cor.13.4`. */
export function bookGroup(verseId: string): string {
  const book = verseId.slice(0, verseId.indexOf('.'));
  const g = GROUP_OF.get(book);
  if (g === undefined) {
    throw new DatasetError(
      `bookGroup: verse id '${verseId}' has no known OSIS book ('${book}'); known: ${[...GROUP_OF.keys()].join(', ')}`,
    );
  }
  return g;
}

// The UTF-8 decoder test table behind cases 6.5–6.23, after Markus Kuhn's "UTF-8 decoder
// capability and stress test", grouped and ordered as Autobahn numbers them, so case 6.N.M here
// sends the same bytes as Autobahn's 6.N.M.
import { isUtf8 } from 'node:buffer';

export interface Utf8Group {
  title: string;
  sequences: { valid: boolean; bytes: Buffer }[];
}

const h = (hex: string): Buffer => Buffer.from(hex.replace(/\s+/g, ''), 'hex');
const bytes = (...b: number[]): Buffer => Buffer.from(b);
const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');
const range = (from: number, toExclusive: number): number[] => Array.from({ length: toExclusive - from }, (_, i) => from + i);

/** κόσμε, the classic sample of valid multi-byte UTF-8. */
export const KOSME = h('cebae1bdb9cf83cebcceb5');

function group(title: string, valid: boolean, seqs: Buffer[]): Utf8Group {
  return { title, sequences: seqs.map((b) => ({ valid, bytes: b })) };
}

function build(): Utf8Group[] {
  const groups: Utf8Group[] = [];
  groups.push(group('Some valid UTF-8 sequences', true, [
    Buffer.concat([ascii('hello'), h('24'), ascii('world')]),
    Buffer.concat([ascii('hello'), h('c2a2'), ascii('world')]),
    Buffer.concat([ascii('hello'), h('e282ac'), ascii('world')]),
    Buffer.concat([ascii('hello'), h('f0a4ada2'), ascii('world')]),
    KOSME,
  ]));
  groups.push({
    title: 'All prefixes of a valid UTF-8 string that contains multi-byte code points',
    sequences: range(1, KOSME.length + 1).map((i) => {
      const b = KOSME.subarray(0, i);
      return { valid: isUtf8(b), bytes: Buffer.from(b) };
    }),
  });
  groups.push(group('First possible sequence of a certain length', true, [h('00'), h('c280'), h('e0a080'), h('f0908080')]));
  groups.push(group('First possible sequence length 5/6 (invalid codepoints)', false, [h('f888808080'), h('fc8480808080')]));
  groups.push(group('Last possible sequence of a certain length', true, [h('7f'), h('dfbf'), h('efbfbf'), h('f48fbfbf')]));
  groups.push(group('Last possible sequence length 4/5/6 (invalid codepoints)', false, [h('f7bfbfbf'), h('fbbfbfbfbf'), h('fdbfbfbfbfbf')]));
  groups.push({
    title: 'Other boundary conditions',
    sequences: [
      { valid: true, bytes: h('ed9fbf') },
      { valid: true, bytes: h('ee8080') },
      { valid: true, bytes: h('efbfbd') },
      { valid: true, bytes: h('f48fbfbf') },
      { valid: false, bytes: h('f4908080') },
    ],
  });
  groups.push(group('Unexpected continuation bytes', false, [
    h('80'), h('bf'), h('80bf'), h('80bf80'), h('80bf80bf'), h('80bf80bf80'), h('80bf80bf80bf'),
    bytes(...range(0x80, 0xbf)),
  ]));
  groups.push(group('Lonely start characters', false,
    [[0xc0, 0xdf], [0xe0, 0xef], [0xf0, 0xf7], [0xf8, 0xfb], [0xfc, 0xfd]].map(([a, b]) =>
      bytes(...range(a, b).flatMap((c) => [c, 0x20]))),
  ));
  const incomplete = ['c0', 'e080', 'f08080', 'f8808080', 'fc80808080', 'df', 'efbf', 'f7bfbf', 'fbbfbfbf', 'fdbfbfbfbf'].map(h);
  groups.push(group('Sequences with last continuation byte missing', false, incomplete));
  groups.push(group('Concatenation of incomplete sequences', false, [Buffer.concat(incomplete)]));
  groups.push(group('Impossible bytes', false, [h('fe'), h('ff'), h('fefeffff')]));
  groups.push(group('Examples of an overlong ASCII character', false, [h('c0af'), h('e080af'), h('f08080af'), h('f8808080af'), h('fc80808080af')]));
  groups.push(group('Maximum overlong sequences', false, [h('c1bf'), h('e09fbf'), h('f08fbfbf'), h('f887bfbfbf'), h('fc83bfbfbfbf')]));
  groups.push(group('Overlong representation of the NUL character', false, [h('c080'), h('e08080'), h('f0808080'), h('f880808080'), h('fc8080808080')]));
  groups.push(group('Single UTF-16 surrogates', false, ['eda080', 'edadbf', 'edae80', 'edafbf', 'edb080', 'edbe80', 'edbfbf'].map(h)));
  groups.push(group('Paired UTF-16 surrogates', false,
    ['eda080edb080', 'eda080edbfbf', 'edadbfedb080', 'edadbfedbfbf', 'edae80edb080', 'edae80edbfbf', 'edafbfedb080', 'edafbfedbfbf'].map(h)));
  // Non-characters are valid UTF-8 (RFC 3629): EF BF BE/BF, and F[0-4] [89AB]F BF BE/BF up to U+10FFFF.
  const nonChars: Buffer[] = [h('efbfbe'), h('efbfbf')];
  for (const z1 of [0xf0, 0xf1, 0xf2, 0xf3, 0xf4]) {
    for (const z2 of [0x8f, 0x9f, 0xaf, 0xbf]) {
      if (z1 === 0xf4 && z2 !== 0x8f) continue; // above U+10FFFF
      for (const z3 of [0xbe, 0xbf]) {
        if (z1 === 0xf0 && z2 === 0x8f) continue; // overlong
        nonChars.push(bytes(z1, z2, 0xbf, z3));
      }
    }
  }
  groups.push(group('Non-character code points (valid UTF-8)', true, nonChars));
  groups.push(group('Unicode specials (i.e. replacement char)', true, ['efbfb9', 'efbfba', 'efbfbb', 'efbfbc', 'efbfbd', 'efbfbe', 'efbfbf'].map(h)));
  return groups;
}

/** Groups in order: the first is case group 6.5, the last 6.23. */
export const UTF8_GROUPS: readonly Utf8Group[] = build();

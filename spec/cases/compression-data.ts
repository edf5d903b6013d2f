// The data sections 12 and 13 send. Autobahn ships five files (JSON, a bitmap, German prose, HTML,
// a PDF); the suite generates five of the same kinds, deterministically, so every run sends the
// same bytes and the repository carries no third-party data. Each message is the next slice of
// the data, wrapping around at the end, as Autobahn takes it.

export interface TestData {
  key: string;
  description: string;
  /** Sent as binary messages; otherwise as text, sliced by characters as Autobahn does. */
  binary: boolean;
  /** Characters for text data (all in the BMP, so one UTF-16 unit each), bytes for binary. */
  length: number;
  /** The message of `size` units starting at `from`, wrapping around. */
  slice(from: number, size: number): Buffer;
}

/** A small deterministic PRNG (mulberry32): the same data on every run and machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rnd: () => number, list: readonly T[]): T => list[Math.floor(rnd() * list.length)];

function textData(key: string, description: string, text: string): TestData {
  return {
    key, description: `${description} (utf8, ${Buffer.byteLength(text)} bytes)`, binary: false, length: text.length,
    slice: (from, size) => Buffer.from(from + size <= text.length ? text.slice(from, from + size) : text.slice(from) + text.slice(0, from + size - text.length)),
  };
}

function binaryData(key: string, description: string, bytes: Buffer): TestData {
  return {
    key, description: `${description} (binary, ${bytes.length} bytes)`, binary: true, length: bytes.length,
    slice: (from, size) => (from + size <= bytes.length ? bytes.subarray(from, from + size) : Buffer.concat([bytes.subarray(from), bytes.subarray(0, from + size - bytes.length)])),
  };
}

const FIRST = ['Ada', 'Bram', 'Chloé', 'Dmitri', 'Eva', 'Farid', 'Greta', 'Hiro', 'Ines', 'Jonas', 'Kemal', 'Lena', 'Mara', 'Nils', 'Olga', 'Pavel'];
const LAST = ['Andersen', 'Bakker', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'García', 'Horvat', 'Ivanova', 'Jansen', 'Kowalski', 'Larsen'];
const CITIES = ['Utrecht', 'Lyon', 'Graz', 'Porto', 'Kraków', 'Aarhus', 'Bologna', 'Tartu', 'Gent', 'Brno'];
const TAGS = ['alpha', 'beta', 'gamma', 'delta', 'sync', 'batch', 'stream', 'cache', 'edge', 'core', 'audit', 'replica'];

function jsonText(): string {
  const rnd = random(12_1);
  const records = [];
  for (let id = 1; id <= 420; id++) {
    const first = pick(rnd, FIRST);
    const last = pick(rnd, LAST);
    records.push({
      id,
      guid: Array.from({ length: 4 }, () => Math.floor(rnd() * 0xffffffff).toString(16).padStart(8, '0')).join('-'),
      active: rnd() < 0.7,
      balance: Math.round(rnd() * 1e7) / 100,
      name: `${first} ${last}`,
      email: `${first}.${last}@example.org`.toLowerCase(),
      address: { street: `${1 + Math.floor(rnd() * 200)} ${pick(rnd, LAST)}straat`, city: pick(rnd, CITIES), zip: String(10000 + Math.floor(rnd() * 89999)) },
      registered: new Date(Date.UTC(2010, 0, 1) + Math.floor(rnd() * 4e11)).toISOString(),
      tags: Array.from({ length: 2 + Math.floor(rnd() * 4) }, () => pick(rnd, TAGS)),
      friends: Array.from({ length: 1 + Math.floor(rnd() * 3) }, (_, i) => ({ id: i, name: `${pick(rnd, FIRST)} ${pick(rnd, LAST)}` })),
    });
  }
  return JSON.stringify(records, null, 2);
}

/** A 512 x 512 greyscale BMP: smooth shapes and a little noise, like a photograph. */
function bitmap(): Buffer {
  const rnd = random(12_2);
  const w = 512;
  const h = 512;
  const offset = 54 + 256 * 4;
  const out = Buffer.alloc(offset + w * h);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(offset, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(w, 18);
  out.writeInt32LE(h, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(8, 28);
  out.writeUInt32LE(w * h, 34);
  out.writeUInt32LE(256, 46);
  for (let i = 0; i < 256; i++) out.writeUInt32LE(i * 0x010101, 54 + i * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = 128 + 60 * Math.sin(x / 37) * Math.cos(y / 53) + 40 * Math.sin((x + y) / 91) + (rnd() - 0.5) * 24;
      out[offset + y * w + x] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return out;
}

const WORDS = ['und', 'der', 'die', 'das', 'nicht', 'ich', 'du', 'wir', 'ist', 'ein', 'mit', 'Nacht', 'Geist', 'Welt', 'Herz',
  'Wissen', 'Himmel', 'Erde', 'Stunde', 'Traum', 'Sehnsucht', 'über', 'früh', 'schön', 'Mädchen', 'Grüße', 'Fülle', 'hören',
  'möchte', 'Bücher', 'Straße', 'weiß', 'groß', 'Flüsse', 'Tür', 'Wärme', 'klar', 'still', 'fern', 'wieder', 'doch', 'noch'];

/** German prose in verse, with umlauts and ß (Autobahn sends its Faust as binary, and so does this). */
function germanText(): Buffer {
  const rnd = random(12_3);
  const lines: string[] = [];
  let bytes = 0;
  while (bytes < 230_000) {
    if (rnd() < 0.08) lines.push('', `${pick(rnd, ['FAUST', 'MEPHISTOPHELES', 'WAGNER', 'GRETCHEN', 'CHOR'])}:`);
    const words = Array.from({ length: 4 + Math.floor(rnd() * 6) }, () => pick(rnd, WORDS));
    const line = words.join(' ');
    lines.push(line.charAt(0).toUpperCase() + line.slice(1) + pick(rnd, [',', '.', '!', ';', '?', '']));
    bytes += Buffer.byteLength(line) + 2;
  }
  return Buffer.from(lines.join('\n'), 'utf8');
}

function htmlText(): string {
  const rnd = random(12_4);
  const parts = ['<!doctype html>\n<html lang="de">\n<head><meta charset="utf-8"><title>Bericht – Übersicht</title></head>\n<body>\n'];
  let length = parts[0].length;
  for (let section = 1; length < 300_000; section++) {
    let s = `<section id="s${section}">\n  <h2>Abschnitt ${section}: ${pick(rnd, CITIES)}</h2>\n  <table class="data">\n`;
    for (let row = 0; row < 8; row++) {
      s += `    <tr><td class="name">${pick(rnd, FIRST)} ${pick(rnd, LAST)}</td><td class="num">${(rnd() * 1000).toFixed(2)} €</td>`;
      s += `<td><a href="/items/${Math.floor(rnd() * 1e6)}">${pick(rnd, TAGS)}</a></td></tr>\n`;
    }
    s += `  </table>\n  <p>${Array.from({ length: 30 }, () => pick(rnd, WORDS)).join(' ')} — café, naïve, déjà vu.</p>\n</section>\n`;
    parts.push(s);
    length += s.length;
  }
  parts.push('</body>\n</html>\n');
  return parts.join('');
}

/** A PDF-like file: text objects between streams of incompressible bytes, as in a real PDF. */
function pdf(): Buffer {
  const rnd = random(12_5);
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let size = parts[0].length;
  for (let obj = 1; size < 280_000; obj++) {
    const stream = Buffer.from(Array.from({ length: 600 + Math.floor(rnd() * 3000) }, () => Math.floor(rnd() * 256)));
    const head = Buffer.from(`${obj} 0 obj\n<< /Type /XObject /Subtype /Image /Width ${64 + obj} /Height 48 /Filter /FlateDecode /Length ${stream.length} >>\nstream\n`, 'latin1');
    const tail = Buffer.from(`\nendstream\nendobj\n${obj + 1000} 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>\nendobj\n`, 'latin1');
    parts.push(head, stream, tail);
    size += head.length + stream.length + tail.length;
  }
  parts.push(Buffer.from('trailer\n<< /Root 1 0 R >>\n%%EOF\n', 'latin1'));
  return Buffer.concat(parts);
}

export interface DataSet {
  key: string;
  title: string;
  binary: boolean;
  /** Generated on first use, then kept. */
  get(): TestData;
}

function dataSet(key: string, title: string, binary: boolean, make: () => string | Buffer): DataSet {
  let data: TestData | undefined;
  return {
    key, title, binary,
    get: () => (data ??= binary ? binaryData(key, title, make() as Buffer) : textData(key, title, make() as string)),
  };
}

/** Autobahn's order of the 12.x groups: JSON, bitmap, German text, HTML, PDF. */
export const DATA_SETS: readonly DataSet[] = [
  dataSet('json', 'Large JSON data, generated', false, jsonText),
  dataSet('bitmap', 'Bitmap 512x512 greyscale, generated', true, bitmap),
  dataSet('german', 'Human readable text in German, generated', true, germanText),
  dataSet('html', 'Large HTML file, generated', false, htmlText),
  dataSet('pdf', 'PDF-like file with incompressible streams, generated', true, pdf),
];

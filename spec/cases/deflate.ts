// Sections 12 and 13: permessage-deflate (RFC 7692). Listed with Autobahn's numbering so the
// reports line up, but not implemented by the suite yet (and wsmith has no deflate yet).
import type { CaseDef } from '../case.js';

const SIZES = [16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 131072, 16, 64, 256, 1024, 4096, 8192, 16384, 32768];
const REASON = 'the suite does not implement permessage-deflate (RFC 7692) yet';

function sectionCases(sec: number, groups: string[]): CaseDef[] {
  const out: CaseDef[] = [];
  groups.forEach((g, gi) => {
    SIZES.forEach((size, i) => {
      out.push({
        id: `${sec}.${gi + 1}.${i + 1}`,
        description: `${g}: send messages of ${size} bytes with permessage-deflate${i >= 10 ? ', auto-fragmented' : ''}.`,
        expectation: 'Receive the messages echo\'ed, compressed. Not run: ' + REASON + '.',
        unimplemented: REASON,
      });
    });
  });
  return out;
}

export const deflateCases: CaseDef[] = [
  ...sectionCases(12, ['Large JSON data file (utf8, 194056 bytes)', 'Lena Picture, Bitmap 512x512 bw (binary, 263222 bytes)', 'Human readable text, Goethe\'s Faust I (German) (utf8, 222218 bytes)', 'Large HTML file (utf8, 2024856 bytes)', 'A larger PDF (binary, 1042328 bytes)']),
  ...sectionCases(13, ['client offers (0, 0), server accepts', 'client offers (1, 0), server accepts', 'client offers (0, 8), server accepts', 'client offers (1, 8), server accepts', 'client offers (0, 15), server accepts', 'client offers (1, 15), server accepts', 'client offers multiple windows, server accepts one']),
];

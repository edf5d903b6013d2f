// Counting work instead of timing it: while `fn` runs (synchronously), the built-in operations a
// parser is made of are counted, each by the bytes or characters it touches — a scan by what it
// scanned, a copy by what it copied, a slice by its length, an index read as 1. A parser that is
// linear in its input does work bounded by a constant times the input's size; one that rescans what
// it has seen (quadratic) does not, and that shows in the counts, with no clock involved.

type Method = (...args: never[]) => unknown;
interface Patch {
  target: object;
  name: string;
  cost: (self: unknown, args: unknown[], result: unknown) => number;
}

const len = (value: unknown): number => (typeof value === 'string' || ArrayBuffer.isView(value) ? (value as { length: number }).length : 0);

/** What an indexOf-like scan touched: up to the match (and the needle), or to the end. */
function scanned(self: unknown, args: unknown[], result: unknown): number {
  const from = typeof args[1] === 'number' ? Math.max(0, args[1] as number) : 0;
  const total = len(self);
  return (result as number) === -1 ? Math.max(1, total - from) : (result as number) - from + Math.max(1, len(args[0]));
}

const PATCHES: Patch[] = [
  { target: String.prototype, name: 'charCodeAt', cost: () => 1 },
  { target: String.prototype, name: 'codePointAt', cost: () => 1 },
  { target: String.prototype, name: 'charAt', cost: () => 1 },
  { target: String.prototype, name: 'indexOf', cost: scanned },
  { target: String.prototype, name: 'lastIndexOf', cost: (self) => len(self) },
  { target: String.prototype, name: 'includes', cost: (self) => len(self) },
  { target: String.prototype, name: 'startsWith', cost: (_self, args) => len(args[0]) },
  { target: String.prototype, name: 'endsWith', cost: (_self, args) => len(args[0]) },
  { target: String.prototype, name: 'slice', cost: (_self, _args, result) => 1 + len(result) },
  { target: String.prototype, name: 'substring', cost: (_self, _args, result) => 1 + len(result) },
  { target: String.prototype, name: 'split', cost: (self) => 1 + len(self) },
  { target: String.prototype, name: 'trim', cost: (self) => 1 + len(self) },
  { target: String.prototype, name: 'toLowerCase', cost: (self) => 1 + len(self) },
  { target: String.prototype, name: 'toUpperCase', cost: (self) => 1 + len(self) },
  { target: String.prototype, name: 'replace', cost: (self) => 1 + len(self) },
  { target: Array.prototype, name: 'join', cost: (self, _args, result) => 1 + len(result) + (self as unknown[]).length },
  { target: Array.prototype, name: 'push', cost: (_self, args) => args.length },
  { target: Array.prototype, name: 'shift', cost: () => 1 },
  { target: Array.prototype, name: 'includes', cost: (self) => 1 + (self as unknown[]).length },
  { target: RegExp.prototype, name: 'test', cost: (_self, args) => 1 + len(args[0]) },
  { target: RegExp.prototype, name: 'exec', cost: (_self, args) => 1 + len(args[0]) },
  { target: Buffer.prototype, name: 'indexOf', cost: scanned },
  { target: Buffer.prototype, name: 'toString', cost: (_self, _args, result) => 1 + len(result) },
  { target: Buffer.prototype, name: 'copy', cost: (_self, _args, result) => 1 + (result as number) },
  { target: Object.getPrototypeOf(Uint8Array.prototype) as object, name: 'set', cost: (_self, args) => 1 + len(args[0]) },
  { target: Buffer.prototype, name: 'subarray', cost: () => 1 },
  { target: Buffer.prototype, name: 'readUInt16BE', cost: () => 1 },
  { target: Buffer.prototype, name: 'readUInt32BE', cost: () => 1 },
  { target: Buffer, name: 'concat', cost: (_self, _args, result) => 1 + len(result) },
  { target: Buffer, name: 'from', cost: (_self, _args, result) => 1 + len(result) },
  { target: Buffer, name: 'allocUnsafe', cost: () => 1 },
];

let depth = 0;

/**
 * Run `fn` and count its work. Not reentrant into itself; the counting wrappers are removed
 * before it returns, even on a throw.
 */
export function countWork<T>(fn: () => T): { result: T; work: number } {
  let work = 0;
  const saved: Array<[object, string, PropertyDescriptor]> = [];
  for (const patch of PATCHES) {
    const descriptor = Object.getOwnPropertyDescriptor(patch.target, patch.name)!;
    const original = descriptor.value as Method;
    saved.push([patch.target, patch.name, descriptor]);
    Object.defineProperty(patch.target, patch.name, {
      ...descriptor,
      value: function (this: unknown, ...args: unknown[]): unknown {
        const call = original as (...a: unknown[]) => unknown;
        // Count only the outermost operation: a built-in that calls another is one operation.
        if (depth > 0) return call.apply(this, args);
        depth++;
        try {
          const result = call.apply(this, args);
          work += patch.cost(this, args, result);
          return result;
        } finally {
          depth--;
        }
      },
    });
  }
  try {
    return { result: fn(), work };
  } finally {
    for (const [target, name, descriptor] of saved) Object.defineProperty(target, name, descriptor);
  }
}

/**
 * The work per unit of input over `sizes` of one family of inputs: for a linear parser the
 * largest is within `slack` of the smallest; a quadratic one grows with the size.
 */
export function workPerUnit(build: (size: number) => { run: () => unknown; units: number }, sizes: readonly number[]): number[] {
  return sizes.map((size) => {
    const { run, units } = build(size);
    return countWork(run).work / units;
  });
}

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rooms } from '../../src/hub/rooms.js';

describe('Rooms', () => {
  it('reports the first join and the last leave of a room', () => {
    const rooms = new Rooms<string>();
    expect(rooms.join('a', 'lobby')).toBe(true);
    expect(rooms.join('b', 'lobby')).toBe(false);
    expect(rooms.join('a', 'lobby')).toBe(false);
    expect(rooms.leave('a', 'lobby')).toBe(false);
    expect(rooms.leave('a', 'lobby')).toBe(false);
    expect(rooms.leave('b', 'lobby')).toBe(true);
    expect(rooms.size).toBe(0);
  });

  it('leaveAll empties exactly the rooms where the member was alone', () => {
    const rooms = new Rooms<string>();
    rooms.join('a', 'x');
    rooms.join('a', 'y');
    rooms.join('b', 'y');
    expect(rooms.leaveAll('a')).toEqual(['x']);
    expect(rooms.roomsOf('a')).toEqual([]);
    expect([...rooms.membersOf('y')!]).toEqual(['b']);
  });

  it('keeps both indexes in agreement under any sequence of joins and leaves', () => {
    const op = fc.tuple(fc.constantFrom('join', 'leave', 'leaveAll'), fc.constantFrom('a', 'b', 'c'), fc.constantFrom('r1', 'r2', 'r3'));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const rooms = new Rooms<string>();
        const model = new Map<string, Set<string>>();
        for (const [kind, member, room] of ops) {
          if (kind === 'join') {
            const wasEmpty = (model.get(room)?.size ?? 0) === 0;
            expect(rooms.join(member, room)).toBe(wasEmpty);
            if (!model.has(room)) model.set(room, new Set());
            model.get(room)!.add(member);
          } else if (kind === 'leave') {
            const set = model.get(room);
            const emptied = set !== undefined && set.delete(member) && set.size === 0;
            expect(rooms.leave(member, room)).toBe(emptied);
          } else {
            const expected = [...model].filter(([, set]) => set.has(member) && set.size === 1).map(([name]) => name);
            for (const set of model.values()) set.delete(member);
            expect(rooms.leaveAll(member).sort()).toEqual(expected.sort());
          }
          for (const [name, set] of model) if (set.size === 0) model.delete(name);
        }
        expect(rooms.size).toBe(model.size);
        for (const [name, set] of model) {
          expect(new Set(rooms.membersOf(name))).toEqual(set);
          for (const member of set) expect(rooms.roomsOf(member)).toContain(name);
        }
      }),
    );
  });
});

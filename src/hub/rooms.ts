/**
 * Room membership, indexed both ways: room -> members (a broadcast to a room walks only its
 * members) and member -> rooms (a closing socket leaves its rooms without scanning them all).
 */
export class Rooms<M> {
  private readonly byRoom = new Map<string, Set<M>>();
  private readonly byMember = new Map<M, Set<string>>();

  /** The number of rooms with at least one member. */
  get size(): number {
    return this.byRoom.size;
  }

  /** Add `member` to `room`; true if the room was empty before (its first member). */
  join(member: M, room: string): boolean {
    let members = this.byRoom.get(room);
    const created = members === undefined;
    if (members === undefined) {
      members = new Set();
      this.byRoom.set(room, members);
    }
    members.add(member);
    let rooms = this.byMember.get(member);
    if (rooms === undefined) {
      rooms = new Set();
      this.byMember.set(member, rooms);
    }
    rooms.add(room);
    return created;
  }

  /** Remove `member` from `room`; true if that emptied the room. */
  leave(member: M, room: string): boolean {
    const members = this.byRoom.get(room);
    if (members === undefined || !members.delete(member)) return false;
    const rooms = this.byMember.get(member);
    if (rooms !== undefined) {
      rooms.delete(room);
      if (rooms.size === 0) this.byMember.delete(member);
    }
    if (members.size > 0) return false;
    this.byRoom.delete(room);
    return true;
  }

  /** Remove `member` from all its rooms; returns the rooms it emptied. */
  leaveAll(member: M): string[] {
    const rooms = this.byMember.get(member);
    if (rooms === undefined) return [];
    this.byMember.delete(member);
    const emptied: string[] = [];
    for (const room of rooms) {
      const members = this.byRoom.get(room)!;
      members.delete(member);
      if (members.size === 0) {
        this.byRoom.delete(room);
        emptied.push(room);
      }
    }
    return emptied;
  }

  /** The live member set of `room` (do not modify it), or undefined when the room is empty. */
  membersOf(room: string): ReadonlySet<M> | undefined {
    return this.byRoom.get(room);
  }

  roomsOf(member: M): string[] {
    const rooms = this.byMember.get(member);
    return rooms === undefined ? [] : Array.from(rooms);
  }

  has(member: M, room: string): boolean {
    return this.byRoom.get(room)?.has(member) ?? false;
  }
}

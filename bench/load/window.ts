// The measurement window: units of work, wall time, and CPU time of the server (from
// /proc/<pid>/stat, so it covers any server, even one we did not write) and of the load client.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let clockTicks: number | undefined;

/** Kernel clock ticks per second (utime/stime unit in /proc/<pid>/stat). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export interface CpuSeconds {
  user: number;
  system: number;
}

/** utime and stime of a process in seconds (proc(5): fields 14 and 15). */
export function processCpu(pid: number): CpuSeconds {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // The command name (field 2) may contain spaces; fields after it start behind the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const hz = ticksPerSecond();
  return { user: Number(fields[11]) / hz, system: Number(fields[12]) / hz };
}

export interface WindowResult {
  units: number;
  seconds: number;
  serverCpu: CpuSeconds;
  /** CPU seconds the load client used in the window (user + system). */
  clientCpu: number;
}

export class MeasureWindow {
  private startUnits = 0;
  private startTime = 0n;
  private startServer: CpuSeconds = { user: 0, system: 0 };
  private startClient: NodeJS.CpuUsage = { user: 0, system: 0 };
  result: WindowResult | null = null;

  constructor(private readonly serverPid: number) {}

  start(units: number): void {
    this.startUnits = units;
    this.startServer = processCpu(this.serverPid);
    this.startClient = process.cpuUsage();
    this.startTime = process.hrtime.bigint();
  }

  end(units: number): WindowResult {
    const seconds = Number(process.hrtime.bigint() - this.startTime) / 1e9;
    const server = processCpu(this.serverPid);
    const client = process.cpuUsage(this.startClient);
    this.result = {
      units: units - this.startUnits,
      seconds,
      serverCpu: { user: server.user - this.startServer.user, system: server.system - this.startServer.system },
      clientCpu: (client.user + client.system) / 1e6,
    };
    return this.result;
  }
}

/** Warm up, then measure: calls `begin` after warmupMs and `finish` measureMs later. */
export function scheduleWindow(
  window: MeasureWindow,
  warmupMs: number,
  measureMs: number,
  units: () => number,
  finish: (result: WindowResult) => void,
): () => void {
  const warm = setTimeout(() => {
    window.start(units());
    measure = setTimeout(() => finish(window.end(units())), measureMs);
  }, warmupMs);
  let measure: NodeJS.Timeout | undefined;
  return () => {
    clearTimeout(warm);
    if (measure) clearTimeout(measure);
  };
}

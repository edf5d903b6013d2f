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

/** CPU seconds the whole machine spent busy (all cores), from the first line of /proc/stat. */
export function machineBusy(): number {
  const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0];
  // cpu user nice system idle iowait irq softirq steal ...
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = ticks.reduce((sum, value, index) => (index === 3 || index === 4 || index > 7 ? sum : sum + value), 0);
  return busy / ticksPerSecond();
}

export interface WindowResult {
  units: number;
  seconds: number;
  serverCpu: CpuSeconds;
  /** CPU seconds the load client used in the window (user + system). */
  clientCpu: number;
  /** CPU seconds used by everything else on the machine in the window: noise, if large. */
  otherCpu: number;
}

export class MeasureWindow {
  private startUnits = 0;
  private startTime = 0n;
  private startServer: CpuSeconds = { user: 0, system: 0 };
  private startClient: NodeJS.CpuUsage = { user: 0, system: 0 };
  private startMachine = 0;
  result: WindowResult | null = null;

  constructor(private readonly serverPid: number) {}

  start(units: number): void {
    this.startUnits = units;
    this.startServer = processCpu(this.serverPid);
    this.startClient = process.cpuUsage();
    this.startMachine = machineBusy();
    this.startTime = process.hrtime.bigint();
  }

  end(units: number): WindowResult {
    const seconds = Number(process.hrtime.bigint() - this.startTime) / 1e9;
    const server = processCpu(this.serverPid);
    const client = process.cpuUsage(this.startClient);
    const machine = machineBusy() - this.startMachine;
    const serverCpu = server.user - this.startServer.user + server.system - this.startServer.system;
    const clientCpu = (client.user + client.system) / 1e6;
    this.result = {
      units: units - this.startUnits,
      seconds,
      serverCpu: { user: server.user - this.startServer.user, system: server.system - this.startServer.system },
      clientCpu,
      otherCpu: Math.max(0, machine - serverCpu - clientCpu),
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

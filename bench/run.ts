// npm run bench [-- --quick | --tiny] [--only echo-small,broadcast] [--targets ws,raw]
//               [--rounds N] [--out DIR] [--profile [DIR]] [--max-other PCT]
//        node build/bench/run.js --render bench/results/latest.json   (re-render table, .md, .svg)
//
// For every scenario, round after round, each target gets a fresh server process and a fresh
// load-client process, in the same order every round (A B C A B C …). One load-client process:
// the machine has 2 cores, one for the server under test and one for the client; a second client
// process would compete with the server for its core. Results: the table on stdout, and
// latest.json, latest.md (README snippet) and latest.svg (ratio chart) in bench/results/.
// The machine may be shared: a measurement during which other processes used more than
// --max-other % of a core (default 35) is repeated, up to twice, while the run is under 8 minutes;
// the cleanest attempt is kept and the number of attempts recorded.
// --profile runs every server under `node --cpu-prof` (profiles in bench/results/profiles/) and
// prints each server's top self-time functions.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCertificate, TLS_CERT_ENV, TLS_KEY_ENV, type BenchCertificate } from './certificate.js';
import type { LoadJob, LoadResult } from './load/job.js';
import { runClient, runMicro, ServerProcess, type ServerMemory } from './processes.js';
import { renderSelfTimes } from './profile.js';
import { checkGoals } from './report/goals.js';
import { renderMarkdown } from './report/markdown.js';
import { addRatios, summarise, type BenchResults, type Row, type Sample } from './report/results.js';
import { renderSvg } from './report/svg.js';
import { renderTable } from './report/table.js';
import { selectScenarios, TIMING, type Mode, type Scenario } from './scenarios.js';
import { DEFAULT_TARGETS, isTargetName, TARGETS, type TargetName } from './targets.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Options {
  mode: Mode;
  only: string[] | null;
  targets: TargetName[];
  rounds: number;
  /** --rounds was given: every scenario gets exactly that many. */
  roundsGiven: boolean;
  out: string;
  profileDir: string | null;
  maxOtherCpuPct: number;
  render: string | null;
  argv: string[];
  /** The HTTP/2 scenarios' TLS certificate, made once per run when one of them runs. */
  certificate: BenchCertificate | null;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    mode: 'full',
    only: null,
    targets: DEFAULT_TARGETS,
    rounds: 0,
    roundsGiven: false,
    out: path.join(ROOT, 'bench', 'results'),
    profileDir: null,
    maxOtherCpuPct: 35,
    render: null,
    argv,
    certificate: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--quick') options.mode = 'quick';
    else if (flag === '--tiny') options.mode = 'tiny';
    else if (flag === '--only') options.only = value().split(',').filter(Boolean);
    else if (flag === '--targets') {
      const names = value().split(',').filter(Boolean);
      const bad = names.filter((n) => !isTargetName(n));
      if (bad.length > 0) throw new Error(`unknown target(s): ${bad.join(', ')}`);
      options.targets = names as TargetName[];
    } else if (flag === '--rounds') options.rounds = Math.max(1, Number(value()) | 0);
    else if (flag === '--out') options.out = path.resolve(value());
    else if (flag === '--max-other') options.maxOtherCpuPct = Number(value());
    else if (flag === '--render') options.render = path.resolve(value());
    else if (flag === '--profile') {
      const next = inline ?? argv[i + 1];
      const dir = next !== undefined && !next.startsWith('--') ? (inline ?? argv[++i]) : 'bench/results/profiles';
      options.profileDir = path.resolve(ROOT, dir);
    }
    else if (flag === '--help' || flag === '-h') {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(0, 2).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown option ${arg}`);
  }
  options.roundsGiven = options.rounds !== 0;
  // Only the full run of every scenario and target is the published one (bench/results/, in git);
  // any other run (--quick, --tiny, --only, --targets) goes to bench/results/local/ (git-ignored).
  if (!argv.some((arg) => arg === '--out' || arg.startsWith('--out=')) && !isPublishedRun(options)) {
    options.out = path.join(ROOT, 'bench', 'results', 'local');
  }
  if (options.rounds === 0) options.rounds = TIMING[options.mode].rounds;
  return options;
}

function isPublishedRun(options: Options): boolean {
  const allTargets = options.targets.length === DEFAULT_TARGETS.length && DEFAULT_TARGETS.every((t) => options.targets.includes(t));
  return options.mode === 'full' && options.only === null && allTargets;
}

/** A full run without --rounds gives the close calls their own, larger count. */
function roundsFor(scenario: Scenario, options: Options): number {
  if (options.mode !== 'full' || options.roundsGiven) return options.rounds;
  return Math.max(options.rounds, scenario.fullRounds ?? 0);
}

async function wsmithAvailable(notes: string[]): Promise<boolean> {
  if (!existsSync(path.join(ROOT, 'dist', 'index.js'))) {
    notes.push('wsmith skipped: dist/index.js not built');
    return false;
  }
  try {
    const specifier = 'wsmith';
    const library = (await import(specifier)) as Record<string, unknown>;
    if (typeof library.WebSocketServer !== 'function') {
      notes.push('wsmith skipped: it does not export WebSocketServer yet');
      return false;
    }
    const hub = (await import(`${specifier}/hub`).catch(() => ({}))) as Record<string, unknown>;
    if (typeof hub.Hub !== 'function' && typeof library.Hub !== 'function') {
      notes.push('wsmith has no Hub (wsmith/hub): broadcast uses the naive loop for it too');
    }
    return true;
  } catch (error) {
    notes.push(`wsmith skipped: ${(error as Error).message}`);
    return false;
  }
}

function applies(scenario: Scenario, target: TargetName): boolean {
  // The broken servers (smoke test) run every echo scenario over their transport (TCP, or the
  // HTTP/2 server); one with compression only those that compress.
  if (target.startsWith('broken-')) {
    const overHttp2 = (t: TargetName): boolean => TARGETS[t].transport !== undefined;
    return (
      scenario.kind === 'echo' &&
      scenario.targets.some(overHttp2) === overHttp2(target) &&
      (!TARGETS[target].deflate || scenario.targets.some((t) => TARGETS[t].deflate))
    );
  }
  return scenario.targets.includes(target);
}

function sampleFromLoad(scenario: Scenario, round: number, result: LoadResult): Sample {
  if (!result.ok) return { round, ok: false, error: result.error };
  const cpuSeconds = result.serverCpu.user + result.serverCpu.system;
  const units = scenario.cpuUnits ? scenario.cpuUnits(result) : result.units;
  // The client's own CPU per unit of work: what it costs to drive and check each message.
  const clientMicros = result.units > 0 ? (result.clientCpu / result.units) * 1e6 : 0;
  return {
    round,
    ok: true,
    value: scenario.figure ? scenario.figure(result) : result.units / result.seconds,
    cpuPerUnit: scenario.cpu && units > 0 ? (cpuSeconds / units) * scenario.cpu.scale : undefined,
    serverCpuPct: (cpuSeconds / result.seconds) * 100,
    serverSystemPct: (result.serverCpu.system / result.seconds) * 100,
    clientCpuPct: (result.clientCpu / result.seconds) * 100,
    otherCpuPct: (result.otherCpu / result.seconds) * 100,
    detail: { ...result.detail, clientMicrosPerUnit: Number(clientMicros.toPrecision(3)) },
  };
}

async function measureLoad(scenario: Scenario, target: TargetName, options: Options, round: number): Promise<Sample> {
  const timing = TIMING[options.mode];
  let server: ServerProcess | undefined;
  const profileName = `${scenario.name}-${target}-r${round}`;
  const nodeArgs = options.profileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`, `--cpu-prof-name=${profileName}.cpuprofile`]
    : [];
  try {
    const { transport } = TARGETS[target];
    const certificate = transport !== undefined ? options.certificate : null;
    if (transport !== undefined && certificate === null) throw new Error('no TLS certificate for the HTTP/2 server');
    const env: Record<string, string> = certificate ? { [TLS_KEY_ENV]: certificate.keyFile, [TLS_CERT_ENV]: certificate.certFile } : {};
    server = await ServerProcess.start(target, scenario.role ?? 'echo', nodeArgs, env);
    const base = {
      port: server.port,
      serverPid: server.pid,
      rawEcho: TARGETS[target].rawEcho,
      deflate: TARGETS[target].deflate,
      transport,
      certFile: certificate?.certFile,
      warmupMs: timing.warmupMs,
      measureMs: timing.measureMs,
    };
    const job = { ...base, kind: scenario.kind, params: scenario.params?.(options.mode) } as LoadJob;
    if (scenario.kind !== 'idle') {
      const sample = sampleFromLoad(scenario, round, await runClient(job));
      // What the server said about itself, e.g. 'broadcast via Hub', 'bufferutil loaded'.
      if (sample.ok && server.notes.length > 0) sample.detail = { ...sample.detail, server: server.notes.join('; ') };
      return sample;
    }

    const readings: ServerMemory[] = [];
    const running = server;
    const result = await runClient(job, async () => {
      await new Promise((resolve) => setTimeout(resolve, options.mode === 'tiny' ? 20 : 300));
      readings.push(await running.memory());
    });
    if (!result.ok) return { round, ok: false, error: result.error };
    if (readings.length !== 2) return { round, ok: false, error: 'idle-memory: missing memory readings' };
    const connections = Number(result.detail.connections);
    const [before, after] = readings;
    const perConnection = (key: keyof ServerMemory): number => (after[key] - before[key]) / connections / 1024;
    return {
      round,
      ok: true,
      value: perConnection('rss'),
      detail: {
        connections,
        heapKiBPerConn: Number(perConnection('heapUsed').toFixed(3)),
        externalKiBPerConn: Number(perConnection('external').toFixed(3)),
        rssBeforeMiB: Number((before.rss / 2 ** 20).toFixed(1)),
        rssAfterMiB: Number((after.rss / 2 ** 20).toFixed(1)),
        openSeconds: Number(result.seconds.toFixed(2)),
        ...clientNotes(result.detail),
      },
    };
  } catch (error) {
    return { round, ok: false, error: (error as Error).message };
  } finally {
    await server?.stop();
    const profile = options.profileDir ? path.join(options.profileDir, `${profileName}.cpuprofile`) : null;
    if (profile && existsSync(profile)) console.log(renderSelfTimes(profile, 12));
  }
}

/** What the load client reports about compression: the answer it got and its zlib work. */
function clientNotes(detail: Record<string, number | string>): Record<string, number | string> {
  const keys = ['extension', 'clientInflates', 'clientInflateMicros', 'clientKnownMatches'];
  return Object.fromEntries(Object.entries(detail).filter(([key]) => keys.includes(key)));
}

function describe(sample: Sample, scenario: Scenario): string {
  if (!sample.ok) return `FAILED: ${sample.error}`;
  const d = sample.detail ?? {};
  const cpu =
    sample.cpuPerUnit !== undefined
      ? `, server ${sample.cpuPerUnit.toPrecision(3)} ${scenario.cpu?.label} (${sample.serverCpuPct?.toFixed(0)}% CPU), client ${sample.clientCpuPct?.toFixed(0)}% (${d.clientMicrosPerUnit} µs/unit), other ${sample.otherCpuPct?.toFixed(0)}%`
      : '';
  const notes = d.server ? ` [${d.server}]` : '';
  const inflates =
    d.clientInflates !== undefined
      ? ` [client inflated ${d.clientInflates} at ${d.clientInflateMicros} µs each, ${d.clientKnownMatches} matched known bytes]`
      : '';
  const answer = d.extension ? ` [answer: ${d.extension}]` : '';
  const transport =
    d.h2SendWindowExhaustedPct !== undefined
      ? ` [HTTP/2 send window exhausted in ${d.h2SendWindowExhaustedPct}% of samples]`
      : d.tlsResumed !== undefined
        ? ` [TLS sessions resumed: ${d.tlsResumed} of ${d.totalHandshakes}]`
        : '';
  return `${(sample.value as number).toPrecision(4)} ${scenario.metric}${cpu}${notes}${answer}${inflates}${transport}`;
}

function writeResults(results: BenchResults, out: string): void {
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(out, 'latest.md'), renderMarkdown(results));
  writeFileSync(path.join(out, 'latest.svg'), renderSvg(results));
  console.log(`wrote ${path.relative(process.cwd(), out) || '.'}/latest.{json,md,svg}`);
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.render !== null) {
    // Re-render a saved run (after a change to the report code), without measuring anything.
    const saved = JSON.parse(readFileSync(options.render, 'utf8')) as BenchResults;
    saved.goals = checkGoals(saved.rows);
    console.log(renderTable(saved));
    writeResults(saved, options.argv.includes('--out') ? options.out : path.dirname(options.render));
    return;
  }
  const scenarios = selectScenarios(options.only);
  const notes: string[] = [];
  let targets = options.targets;
  const isWsmith = (t: TargetName): boolean => TARGETS[t].library === 'wsmith';
  if (targets.some(isWsmith) && !(await wsmithAvailable(notes))) targets = targets.filter((t) => !isWsmith(t));
  const overTls = (t: TargetName): boolean => TARGETS[t].transport !== undefined;
  if (targets.some((t) => overTls(t) && scenarios.some((s) => applies(s, t)))) {
    const certificate = makeCertificate();
    if (typeof certificate === 'string') {
      notes.push(`HTTP/2 scenarios skipped: no TLS certificate (${certificate})`);
      targets = targets.filter((t) => !overTls(t));
    } else {
      options.certificate = certificate;
      process.on('exit', () => certificate.remove());
    }
  }
  const timing = TIMING[options.mode];
  const started = Date.now();
  const command = `npm run bench${options.argv.length > 0 ? ` -- ${options.argv.join(' ')}` : ''}`;
  const closeCalls = scenarios.filter((s) => roundsFor(s, options) > options.rounds);
  const extra = closeCalls.length > 0 ? ` (${closeCalls.map((s) => `${s.name} ${roundsFor(s, options)}`).join(', ')})` : '';
  console.log(`${command}: ${options.mode} mode, ${options.rounds} round(s)${extra}, targets ${targets.join(', ')}`);
  for (const note of notes) console.log(`note: ${note}`);

  const samples = new Map<string, Sample[]>(); // `${scenario}\0${target}`
  const add = (scenario: string, target: TargetName, sample: Sample): void => {
    const key = `${scenario}\0${target}`;
    samples.set(key, [...(samples.get(key) ?? []), sample]);
  };

  const retryBudgetMs = 6.5 * 60_000; // keeps a full run under 10 minutes
  const measureClean = async (scenario: Scenario, target: TargetName, round: number): Promise<Sample> => {
    const retries = options.mode === 'tiny' ? 0 : 2;
    let best: Sample | null = null;
    for (let attempt = 1; attempt <= retries + 1; attempt++) {
      const sample = await measureLoad(scenario, target, options, round);
      sample.attempts = attempt;
      if (!sample.ok) return sample;
      if (best === null || (sample.otherCpuPct ?? 0) < (best.otherCpuPct ?? 0)) best = sample;
      const noisy = (sample.otherCpuPct ?? 0) > options.maxOtherCpuPct;
      if (!noisy || Date.now() - started > retryBudgetMs) break;
      console.log(`  (${scenario.name} ${target}: other processes used ${sample.otherCpuPct?.toFixed(0)}% CPU, measuring again)`);
    }
    return best as Sample;
  };

  for (const scenario of scenarios.filter((s) => s.kind !== 'micro')) {
    for (let round = 1; round <= roundsFor(scenario, options); round++) {
      for (const target of targets.filter((t) => applies(scenario, t))) {
        const sample = await measureClean(scenario, target, round);
        add(scenario.name, target, sample);
        console.log(`  ${scenario.name} round ${round} ${target}: ${describe(sample, scenario)}`);
      }
    }
  }

  const micro = scenarios.filter((s) => s.kind === 'micro');
  if (micro.length > 0) {
    for (let round = 1; round <= options.rounds; round++) {
      for (const target of targets.filter((t) => applies(micro[0], t))) {
        const result = await runMicro(target, timing.microMs, micro.map((s) => s.name));
        if (!result.ok) {
          console.log(`  micro round ${round} ${target}: FAILED: ${result.error}`);
          if (target === 'wsmith' && result.error.includes('not built')) {
            notes.push(`wsmith micro-benchmarks skipped: ${result.error}`);
            continue;
          }
          for (const scenario of micro) add(scenario.name, target, { round, ok: false, error: result.error });
          continue;
        }
        for (const c of result.cases) {
          const scenario = micro.find((s) => s.name === c.name) as Scenario;
          const value = scenario.metric === 'MB/s' ? c.bytes / 1e6 / c.seconds : c.messages / c.seconds;
          add(c.name, target, { round, ok: true, value, detail: { messages: c.messages, bytes: c.bytes } });
          console.log(`  ${c.name} round ${round} ${target}: ${value.toPrecision(4)} ${scenario.metric}`);
        }
      }
    }
  }

  const rows: Row[] = [];
  for (const scenario of scenarios) {
    for (const target of targets) {
      const list = samples.get(`${scenario.name}\0${target}`);
      if (list) rows.push(summarise(scenario, target, list));
    }
  }
  addRatios(rows);
  const busiest = Math.max(0, ...rows.map((r) => r.otherCpuPct ?? 0));
  if (busiest > 25) {
    notes.push(`other processes used up to ${busiest.toFixed(0)}% of a core during measurements: figures are noisy`);
  }
  const wsVersion = (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'ws', 'package.json'), 'utf8')) as {
    version: string;
  }).version;
  const results: BenchResults = {
    date: new Date().toISOString(),
    command,
    mode: options.mode,
    rounds: options.rounds,
    machine: {
      cpus: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
      cores: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      os: `${os.type()} ${os.release()}`,
      node: process.versions.node,
      ws: wsVersion,
    },
    loadClient: `one raw node:net load-client process${
      options.certificate !== null ? ' (node:tls and node:http2 in the HTTP/2 scenarios)' : ''
    }, fresh per measurement`,
    notes,
    rows,
    goals: checkGoals(rows),
  };
  console.log(`\n${renderTable(results)}`);
  console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s)`);

  writeResults(results, options.out);
  if (rows.some((r) => !r.ok)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 2;
});

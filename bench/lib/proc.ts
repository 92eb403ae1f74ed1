/**
 * CPU time of a child process (all its threads) from Linux /proc, so the worker and serve rows can
 * charge workerd or `cardtrust serve` for exactly the CPU it spends. Linux only; elsewhere the
 * worker row reports wall time.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** PIDs of this process's direct children whose command name is `comm` (e.g. `workerd`). */
export function childPids(comm: string): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const p of entries) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const m = /^\d+ \((.*)\) \S (\d+)/.exec(readFileSync(`/proc/${p}/stat`, 'utf8'));
      if (m && m[1] === comm && Number(m[2]) === process.pid) out.push(Number(p));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/**
 * Nanoseconds on CPU of every live thread of `pid` (scheduler statistics: ns resolution, unlike
 * the 10 ms ticks of /proc/pid/stat). Threads that exited between two reads are lost, which
 * workerd's long-lived thread pool makes harmless.
 */
export function processCpuNs(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // thread gone
    }
  }
  return total;
}

/** This process's CPU time (user + system, all threads including libuv's pool), in ns. */
export function selfCpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

/**
 * CPU (ns, of the process `cpu` reads) and wall time (ns) per op over `n` sequential ops.
 *
 * @example
 * const { cpu } = await measureCpu(() => post(), 1000, () => processCpuNs(child.pid!));
 */
export async function measureCpu(op: () => Promise<void>, n: number, cpu: () => number): Promise<{ cpu: number; wall: number }> {
  const c0 = cpu();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await op();
  return { cpu: (cpu() - c0) / n, wall: ((performance.now() - t0) * 1e6) / n };
}

// Resident memory and CPU time of the bench's process (controller, simulators, hook receiver)
// and of the DynamoDB Local JVM, read from /proc (Linux). Peaks are the kernel's high-water marks.
import { readdirSync, readFileSync } from 'node:fs';

export interface MemorySample {
  /** This process's peak RSS (MiB). */
  benchPeakMiB: number;
  /** DynamoDB Local's current and peak RSS (MiB), when it was found. */
  dynamoMiB: number | null;
  dynamoPeakMiB: number | null;
}

function statusKiB(pid: string, field: string): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** The DynamoDB Local process listening on `port` (its command line names the jar and the port). */
const pids = new Map<number, string>();

function dynamoPid(port: number): string | null {
  const known = pids.get(port);
  if (known) return known;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      } catch {
        continue;
      }
      if (cmd.includes('DynamoDBLocal.jar') && cmd.includes(`-port ${port}`)) {
        pids.set(port, pid);
        return pid;
      }
    }
  } catch {
    // no /proc
  }
  return null;
}

/** CPU seconds used so far by this process and by DynamoDB Local (user + system). */
export function cpuSeconds(dynamoPort: number | null): { bench: number; dynamo: number | null } {
  const usage = process.cpuUsage();
  const pid = dynamoPort === null ? null : dynamoPid(dynamoPort);
  let dynamo: number | null = null;
  if (pid) {
    try {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      dynamo = (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      dynamo = null;
    }
  }
  return { bench: (usage.user + usage.system) / 1e6, dynamo };
}

export function sampleMemory(dynamoPort: number | null): MemorySample {
  const pid = dynamoPort === null ? null : dynamoPid(dynamoPort);
  const mib = (kib: number | null) => (kib === null ? null : kib / 1024);
  return {
    benchPeakMiB: process.resourceUsage().maxRSS / 1024,
    dynamoMiB: pid ? mib(statusKiB(pid, 'VmRSS')) : null,
    dynamoPeakMiB: pid ? mib(statusKiB(pid, 'VmHWM')) : null,
  };
}

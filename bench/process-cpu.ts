/**
 * CPU time (user + system) a process has used so far, in seconds, from
 * /proc/<pid>/stat (Linux: 100 clock ticks per second); undefined when it
 * cannot be read (the process is gone, or not on this machine).
 */
import * as fs from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ

export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields 14 and 15 (utime, stime), counted after the command name, which may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

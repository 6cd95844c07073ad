import { readFileSync } from 'node:fs';

/** A numeric command-line option: `--name 5000`. */
export const arg = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};

/** A process's resident memory now (VmRSS) or at its peak (VmHWM), in MB. */
export const rssMb = (pid: number, field: 'VmRSS' | 'VmHWM'): number =>
  Number(
    /(\d+) kB/.exec(
      readFileSync(`/proc/${pid}/status`, 'utf8')
        .split('\n')
        .find((line) => line.startsWith(field))!,
    )![1],
  ) / 1024;

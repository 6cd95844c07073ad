import { chmod, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Local mode's state (the embedded database, the cluster state, API keys) is its owner's alone: directories
 * 0700 and files 0600, as Postgres wants its data directory. The umask covers what is created from now on;
 * the walk mends what an earlier version left open.
 */
export async function makePrivateHome(home: string): Promise<void> {
  process.umask(0o077);
  await mkdir(home, { recursive: true, mode: 0o700 });
  await restrictToOwner(home);
}

/** Takes group and other permissions off `path` and everything under it. */
export async function restrictToOwner(path: string): Promise<void> {
  const info = await stat(path);
  if (info.isDirectory()) {
    if ((info.mode & 0o777) !== 0o700) await chmod(path, 0o700);
    for (const entry of await readdir(path)) await restrictToOwner(join(path, entry));
  } else if ((info.mode & 0o077) !== 0) await chmod(path, info.mode & 0o700);
}

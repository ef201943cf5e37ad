// Starts `aim serve --demo` on a fresh SQLite database and a free port, for the browser test
// and the client's tests. The binary is $AIM_BIN, or target/debug/aim of this repository.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..', '..');

export const DEMO_EMAIL = 'manager@happytail.example';
export const DEMO_STAFF_EMAIL = 'staff@happytail.example';
export const DEMO_PASSWORD = 'happytail-demo';

/**
 * Options: `dir`, the directory of an earlier server's database to serve again (kept on stop),
 * and `bind` (default `127.0.0.1:0`, a free port).
 *
 * @returns {Promise<{url: string, dir: string, stop: () => Promise<void>, output: () => string}>}
 */
export async function startServer(options = {}) {
  const bin = process.env.AIM_BIN || join(repo, 'target', 'debug', 'aim');
  if (!existsSync(bin)) throw new Error(`${bin} not found: run \`cargo build\` first or set AIM_BIN`);
  const ownDir = !options.dir;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'aim-playground-'));
  const child = spawn(bin, ['serve', '--demo', '--bind', options.bind ?? '127.0.0.1:0'], {
    env: {
      ...process.env,
      DATABASE_URL: `sqlite://${join(dir, 'aim.db')}`,
      AIM_LLM: 'offline',
      AIM_ALERT_INTERVAL: '5m',
      RUST_LOG: process.env.RUST_LOG || 'warn',
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (chunk) => (log += chunk));
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start in 60 s:\n${log}`)), 60_000);
    child.stdout.on('data', (chunk) => {
      log += chunk;
      const m = /AIM is running on (http:\/\/\S+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}):\n${log}`));
    });
  });
  // The first alert run happens at start-up; wait until it has raised the demo's alerts.
  await waitFor(async () => {
    const res = await fetch(`${url}/readyz`);
    return res.ok;
  }, 'the server to be ready');
  return {
    url,
    dir,
    output: () => log,
    /** Stops the server; its database is removed unless `keep` (or it was not its own). */
    stop: async (keep = false) => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      if (ownDir && !keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it answers truthy (then returns that) or `ms` pass. */
export async function waitFor(check, what, ms = 15_000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

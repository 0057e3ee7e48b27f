/**
 * Reads until `ok` holds (every 100 ms, 30 s at most), for what catches up in the background: the read
 * model after a workflow change, a worker taking its first task.
 */
export async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// Preloaded with NODE_OPTIONS=--import into the worker and API child processes (and the worker's
// workflow threads): samples this thread's CPU with the inspector from when $CPU_PROFILE_DIR/start
// appears until $CPU_PROFILE_DIR/stop appears, then writes <dir>/<pid>-<thread>.cpuprofile.
import { existsSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { isMainThread, threadId } from 'node:worker_threads';

const dir = process.env.CPU_PROFILE_DIR;
const who = process.argv[1] ?? '';
if (dir && (!isMainThread || /worker\.ts$|server\.ts$/.test(who))) {
  const session = new Session();
  session.connect();
  const post = (m, p = {}) => new Promise((res, rej) => session.post(m, p, (e, r) => (e ? rej(e) : res(r))));
  let started = false;
  const timer = setInterval(async () => {
    if (!started && existsSync(`${dir}/start`)) {
      started = true;
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 500 });
      await post('Profiler.start');
    } else if (started && existsSync(`${dir}/stop`)) {
      clearInterval(timer);
      const { profile } = await post('Profiler.stop');
      writeFileSync(
        `${dir}/${process.pid}-${isMainThread ? 'main' : `t${threadId}`}.cpuprofile`,
        JSON.stringify(profile),
      );
    }
  }, 200);
  timer.unref();
}

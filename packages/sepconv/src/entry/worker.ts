// The pool's worker (dist/worker.js, loaded by URL next to the package's entries: a module Web Worker
// in browsers, a worker_threads Worker in Node). It instantiates the threaded build on the shared
// memory it is sent, answers ready, then serves jobs until told to stop.
import { createBindings } from '../runtime/generated/bindings-threads.js';
import { serve, type ReadyMessage, type StartMessage } from '../runtime/pool-protocol.js';

interface Port {
  postMessage(m: ReadyMessage): void;
}

function start(msg: StartMessage, port: Port): void {
  const bindings = createBindings();
  try {
    bindings.initSync({ module: msg.module, memory: msg.memory });
  } catch (e) {
    port.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) });
    return;
  }
  port.postMessage({ ok: true });
  serve(msg.control, bindings);
  // Stopped: give this thread's stack and TLS back to the shared memory, then end.
  (bindings as { __wbindgen_thread_destroy?: () => void }).__wbindgen_thread_destroy?.();
}

const g = globalThis as unknown as { process?: { versions?: { node?: string } }; addEventListener?: (t: string, f: (e: { data: StartMessage }) => void, o?: object) => void; close?: () => void; postMessage?: (m: unknown) => void };
// No top-level await: bundlers (Vite) may rebuild this file as a classic (iife) worker.
if (g.process?.versions?.node) {
  void import('node:worker_threads').then(({ parentPort }) => {
    parentPort!.once('message', (m: StartMessage) => {
      start(m, parentPort!);
      parentPort!.close();
    });
  });
} else {
  g.addEventListener!('message', (e) => {
    start(e.data, { postMessage: (m) => g.postMessage!(m) });
    g.close?.();
  }, { once: true });
}

// The fuzz suite's worker thread (see pool.ts): a hang (an endless loop in a model importer) or a crash
// (memory exhaustion) in a case is caught and reported by the test instead of killing or stalling vitest.
// It imports the built package ('sepconv' = dist/), init()s it once and runs one case (cases.mjs) per message.
import { parentPort, workerData } from 'node:worker_threads';
import * as sc from 'sepconv';
import { createCases } from './cases.mjs';

await sc.init(workerData?.build ? { build: workerData.build } : {});
const cases = createCases(sc, workerData ?? {});
parentPort.on('message', async ({ id, c }) => parentPort.postMessage({ id, ...(await cases.run(c)) }));
parentPort.postMessage({ ready: true, build: sc.backend().build });

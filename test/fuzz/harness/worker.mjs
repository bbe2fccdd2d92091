// The fuzz suite's case runner process (see pool.ts): a hang (an endless loop in a model importer), a memory
// blow-up or a crash (a V8 fatal error) in a case is caught and reported by the test instead of killing or
// stalling vitest. It imports the built package ('sepconv' = dist/), init()s it once (the first message
// carries { init: { build, nsfwDir, zoo } }) and runs one case (cases.mjs) per message.
import * as sc from 'sepconv';
import { createCases } from './cases.mjs';

let cases;
process.on('message', async (m) => {
  if (m.init) {
    await sc.init(m.init.build ? { build: m.init.build } : {});
    cases = createCases(sc, m.init);
    process.send({ ready: true, build: sc.backend().build });
    return;
  }
  process.send({ id: m.id, ...(await cases.run(m.c)) });
});
// The test ends: go with it.
process.on('disconnect', () => process.exit(0));

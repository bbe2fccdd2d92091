// sepconv demo: a depthwise 3x3 layer of MobileNetV1 (112x112x64, stride 1, 'same', ReLU6)
// on a real-sized tensor, on both wasm builds, with its time.
import { depthwiseConv2d, init, tensor } from 'sepconv';

function randomArray(n, seed) {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
}

const [h, w, c] = [112, 112, 64];
const macs = h * w * c * 9;
for (const build of ['simd128', 'scalar']) {
  const info = await init({ build });
  const x = tensor(randomArray(h * w * c, 1), [1, h, w, c]);
  const f = tensor(randomArray(9 * c, 2), [3, 3, c, 1]);
  const bias = randomArray(c, 3);
  const run = () => depthwiseConv2d(x, f, { padding: 'same', bias, activation: 'relu6' });
  for (let i = 0; i < 5; i++) run().dispose();
  const times = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    const y = run();
    times.push(performance.now() - t0);
    y.dispose();
  }
  times.sort((a, b) => a - b);
  const med = times[times.length >> 1];
  console.log(
    `${info.build.padEnd(8)} depthwise 3x3 on [1, ${h}, ${w}, ${c}]: median ${med.toFixed(3)} ms, ` +
      `${((2 * macs) / med / 1e6).toFixed(2)} GFLOP/s  (${info.reason})`,
  );
  x.dispose();
  f.dispose();
}

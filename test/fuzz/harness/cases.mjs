// The fuzz suite's cases and their judge, for a worker thread (worker.mjs, the root suite) or in-process (the
// package's op-level fuzz on each wasm build). `createCases(sc, data)` takes the package's exports (after
// init()) and returns `run(case)`, which answers with the case's outcome:
//   { ok: true, kind: 'result' | 'sepconv-error', ... }   the case ended as the properties allow
//   { ok: false, violation, ... }                          a property does not hold (the test fails with it)
// After every case it checks the runtime: a live sentinel tensor still holds its values (nothing wrote over
// it) and a depthwise conv still matches the float64 reference.
import { readFileSync } from 'node:fs';
import { ALLOC_CAP, MAX_ELEMENTS, MESSAGE_CAP, elements, pairOf, randomData, relErr, validShape, windowGeometry, windowReference } from './spec.mjs';

/** The numpy broadcast of two shapes (rank <= 6), or undefined when they do not broadcast. */
function broadcastShapes(a, b) {
  if (a.length > 6 || b.length > 6) return undefined;
  const r = Math.max(a.length, b.length);
  const out = [];
  for (let i = 0; i < r; i++) {
    const da = a[i + a.length - r] ?? 1;
    const db = b[i + b.length - r] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Maps an index of the broadcast output `out` to the index of the operand of shape `s`. */
function broadcastIndex(s, out) {
  return (i) => {
    let k = 0;
    let stride = 1;
    for (let ax = out.length - 1; ax >= 0; ax--) {
      const coord = i % out[ax];
      i = Math.floor(i / out[ax]);
      const j = ax - (out.length - s.length);
      if (j >= 0) {
        if (s[j] !== 1) k += coord * stride;
        stride *= s[j];
      }
    }
    return k;
  };
}

/** `data`: { nsfwDir, zoo } for the model cases (fixtures are read once, here). */
export function createCases(sc, data = {}) {
  const TOL = 1e-4;

  // ---------------------------------------------------------------------------------------------------------
  // Outcomes

  class Violation extends Error {}
  const violation = (msg) => {
    throw new Violation(msg);
  };

  /** Some values cannot cross postMessage: they travel as tokens. */
  function decode(v) {
    if (v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v) && '$' in v) {
      if (v.$ === 'valueOf3') return { valueOf: () => 3, toString: () => '3' };
      if (v.$ === 'deep') {
        let o = 1;
        for (let i = 0; i < v.depth; i++) o = [o];
        return o;
      }
      if (v.$ === 'cycle') {
        const o = { a: 1 };
        o.self = o;
        return o;
      }
    }
    if (Array.isArray(v)) return v.map(decode);
    return v;
  }

  /** Runs fn; an error must be a SepconvError with a bounded message. Returns { value } or { error }. */
  function attempt(what, fn) {
    try {
      return { value: fn() };
    } catch (e) {
      return { error: judgeError(what, e) };
    }
  }
  async function attemptAsync(what, fn) {
    try {
      return { value: await fn() };
    } catch (e) {
      return { error: judgeError(what, e) };
    }
  }
  function judgeError(what, e) {
    if (e instanceof Violation) throw e;
    if (!(e instanceof sc.SepconvError)) {
      const name = e?.constructor?.name ?? typeof e;
      violation(`${what}: untyped error ${name}: ${String(e?.message ?? e).slice(0, 300)}`);
    }
    // KernelError is "a bug in sepconv if the TypeScript checks passed" (errors.ts): a call that reaches a kernel
    // with arguments the kernel refuses, or that traps, got past the checks issue 23.1 wants before any call.
    if (e instanceof sc.KernelError) violation(`${what}: KernelError (the call got past the TypeScript checks to the kernel): ${String(e.message).slice(0, 300)}`);
    if (typeof e.message !== 'string' || e.message.length > MESSAGE_CAP) violation(`${what}: ${e.name} message of ${e.message?.length} chars (cap ${MESSAGE_CAP}): ${String(e.message).slice(0, 200)}…`);
    return e;
  }

  // ---------------------------------------------------------------------------------------------------------
  // The runtime check after every case

  let sentinel;
  let sentinelData;
  const sane = { x: randomData(1 * 7 * 7 * 5, 11), f: randomData(3 * 3 * 5 * 2, 12) };
  function makeSentinel() {
    sentinelData = randomData(4096, 13);
    sentinel = sc.tensor(sentinelData, [4096]);
  }
  makeSentinel();

  function checkRuntime(after) {
    let got;
    try {
      got = sentinel.data();
    } catch (e) {
      // A re-init (lifecycle cases) may retire the old runtime's tensors, with a typed error.
      if (!(e instanceof sc.SepconvError)) violation(`after ${after}: sentinel.data() threw untyped ${e?.constructor?.name}: ${e?.message}`);
      makeSentinel();
      got = sentinel.data();
    }
    if (got.length !== 4096 || got.some((v, i) => !Object.is(v, sentinelData[i]))) violation(`after ${after}: a live 4096-float tensor was overwritten`);
    const g = windowGeometry([1, 7, 7, 5], [3, 3], [2, 2], [1, 1], 'same');
    const want = windowReference('depthwise', sane.x, [1, 7, 7, 5], sane.f, [3, 3, 5, 2], g).out;
    let out;
    try {
      const x = sc.tensor(sane.x, [1, 7, 7, 5]);
      const f = sc.tensor(sane.f, [3, 3, 5, 2]);
      const y = sc.depthwiseConv2d(x, f, { strides: 2, padding: 'same' });
      out = y.data();
      for (const t of [x, f, y]) t.dispose();
    } catch (e) {
      violation(`after ${after}: the runtime no longer runs a depthwise conv: ${e?.constructor?.name}: ${e?.message}`);
    }
    const err = relErr(out, want);
    if (!(err <= TOL)) violation(`after ${after}: depthwise conv off the float64 reference by ${err}`);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Cases: tensor shapes

  function wrappedLength(dims) {
    // The size a mod-2^32 product would give, to hand tensor() data of the "wrapped" length.
    if (!dims.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) return 1;
    let p = 1n;
    for (const d of dims) p *= BigInt(d);
    const w = Number(p % 2n ** 32n);
    return w <= ALLOC_CAP ? w : 1;
  }

  function shapeCase({ dims: raw, ctor }) {
    const dims = decode(raw);
    const valid = validShape(dims);
    const n = valid ? elements(dims) : wrappedLength(dims);
    const data = randomData(n, 5);
    const r = attempt(`${ctor}(${fmt(dims)})`, () => (ctor === 'zeros' ? sc.zeros(dims) : ctor === 'fill' ? sc.fill(dims, 0.5) : sc.tensor(data, dims)));
    if (r.error) return { kind: 'sepconv-error', name: r.error.name, valid };
    const t = r.value;
    if (!valid) {
      t.dispose?.();
      violation(`${ctor}(${fmt(dims)}) accepted a shape outside the limits (size ${t.size})`);
    }
    const d = attempt('data()', () => t.data());
    if (d.error) violation(`${ctor}(${fmt(dims)}).data() threw ${d.error.name} on a valid tensor`);
    const want = ctor === 'zeros' ? new Float32Array(n) : ctor === 'fill' ? new Float32Array(n).fill(0.5) : data;
    if (d.value.length !== n || relErr(d.value, want) !== 0) violation(`${ctor}(${fmt(dims)}) holds the wrong values`);
    if (fmt(t.shape) !== fmt(dims)) violation(`${ctor}(${fmt(dims)}).shape is ${fmt(t.shape)}`);
    t.dispose();
    return { kind: 'result', valid };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Cases: ops with options around the limits

  /** A tensor of `shape`: real data when allocatable, else an attempt at zeros() that must be refused. */
  function makeInput(shape, seed, what) {
    if (validShape(shape)) return { t: sc.tensor(randomData(elements(shape), seed), shape) };
    const r = attempt(`zeros(${fmt(shape)}) for ${what}`, () => sc.zeros(shape));
    if (r.error) return { refused: r.error };
    violation(`zeros(${fmt(shape)}) (${what}) accepted a shape outside the limits`);
  }

  function opCase(c) {
    const xShape = decode(c.xShape);
    const opts = decode(c.opts ?? {});
    const owned = [];
    try {
      const x = makeInput(xShape, c.seed, 'x');
      if (x.refused) return { kind: 'sepconv-error', name: x.refused.name, stage: 'x' };
      owned.push(x.t);
      let f;
      if (c.fShape) {
        const fs = decode(c.fShape);
        f = makeInput(fs, c.seed + 1, 'filter');
        if (f.refused) return { kind: 'sepconv-error', name: f.refused.name, stage: 'filter' };
        owned.push(f.t);
      }
      const xd = x.t.data();
      // Expected outcome from the shared limits.
      let expect; // { invalid } | { empty } | { out, shape } | { anyTyped: true }
      const op = c.op;
      const kernelOf = () => (op === 'maxPool' || op === 'avgPool' ? pairOf(opts.poolSize, 2) : f ? [f.t.shape[0], f.t.shape[1]] : undefined);
      if (['depthwise', 'conv', 'maxPool', 'avgPool'].includes(op)) {
        const k = kernelOf();
        const strides = op === 'maxPool' || op === 'avgPool' ? (opts.strides == null ? k : pairOf(opts.strides, 1)) : pairOf(opts.strides, 1);
        const dil = op === 'maxPool' || op === 'avgPool' ? [1, 1] : pairOf(opts.dilations, 1);
        const padding = opts.padding == null ? 'valid' : opts.padding;
        const fs = f?.t.shape;
        const channelsOk = op === 'depthwise' ? fs[2] === xShape[3] : op === 'conv' ? fs[2] === xShape[3] : true;
        const g = windowGeometry(xShape, k, strides, dil, padding);
        if (g.invalid) expect = { invalid: g.invalid };
        else if (!channelsOk) expect = { invalid: 'filter channels' };
        else if (g.empty) expect = { empty: g.why };
        else {
          const oc = op === 'depthwise' ? xShape[3] * fs[3] : op === 'conv' ? fs[3] : xShape[3];
          const outN = xShape[0] * g.outH * g.outW * oc;
          if (outN > MAX_ELEMENTS || g.outH > 2 ** 31 - 1 || g.outW > 2 ** 31 - 1) expect = { invalid: `output of ${outN} elements` };
          else if (outN > 8 * ALLOC_CAP || outN * g.kernelH * g.kernelW * (op === 'conv' ? xShape[3] : 1) > 2e8) expect = { anyTyped: true, why: 'too big to check' };
          else {
            const kind = op === 'depthwise' ? 'depthwise' : op === 'conv' ? 'conv' : op === 'maxPool' ? 'max' : 'avg';
            expect = windowReference(kind, xd, xShape, f?.t.data(), fs, g);
          }
        }
      } else if (op === 'pad') {
        const p = opts.padding;
        const four = typeof p === 'number' ? [p, p, p, p] : Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === 'number') ? [p[0], p[0], p[1], p[1]] : Array.isArray(p) && p.length === 2 && p.every((v) => Array.isArray(v) && v.length === 2) ? [...p[0], ...p[1]] : undefined;
        if (!four || !four.every((v) => Number.isSafeInteger(v) && v >= 0 && v <= 2 ** 31 - 1)) expect = { invalid: 'padding' };
        else {
          const [n, h, w, ch] = xShape;
          const shape = [n, h + four[0] + four[1], w + four[2] + four[3], ch];
          if (!validShape(shape)) expect = { invalid: `padded shape ${fmt(shape)}` };
          else if (elements(shape) > 8 * ALLOC_CAP) expect = { anyTyped: true };
          else {
            const out = new Float64Array(elements(shape));
            for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) for (let k = 0; k < ch; k++) out[((b * shape[1] + y + four[0]) * shape[2] + xx + four[2]) * ch + k] = xd[((b * h + y) * w + xx) * ch + k];
            expect = { out, shape };
          }
        }
      } else if (op === 'add') {
        const bShape = decode(c.bShape);
        const b = makeInput(bShape, c.seed + 2, 'b');
        if (b.refused) return { kind: 'sepconv-error', name: b.refused.name, stage: 'b' };
        owned.push(b.t);
        f = b;
        // add broadcasts (numpy rules, rank <= 6): the reference maps each output index back to both operands.
        const shape = broadcastShapes(xShape, bShape);
        if (!shape) expect = { invalid: 'b shape (does not broadcast)' };
        else if (!validShape(shape)) expect = { invalid: `broadcast shape ${fmt(shape)}` };
        else if (elements(shape) > 8 * ALLOC_CAP) expect = { anyTyped: true };
        else {
          const bd = b.t.data();
          const ia = broadcastIndex(xShape, shape);
          const ib = broadcastIndex(bShape, shape);
          expect = { out: Float64Array.from({ length: elements(shape) }, (_, i) => xd[ia(i)] + bd[ib(i)]), shape };
        }
      } else if (op === 'relu') expect = { out: Float64Array.from(xd, (v) => (v > 0 ? v : 0)), shape: xShape };
      else throw new Error(`unknown op ${op}`);

      const call = () => {
        switch (op) {
          case 'depthwise':
            return sc.depthwiseConv2d(x.t, f.t, opts);
          case 'conv':
            return sc.conv2d(x.t, f.t, opts);
          case 'maxPool':
            return sc.maxPool(x.t, opts);
          case 'avgPool':
            return sc.avgPool(x.t, opts);
          case 'pad':
            return sc.pad(x.t, opts.padding);
          case 'add':
            return sc.add(x.t, f.t);
          case 'relu':
            return sc.relu(x.t);
        }
      };
      const what = `${op}(x ${fmt(xShape)}${f ? `, ${fmt(f.t.shape)}` : ''}, ${fmt(opts)})`;
      const r = attempt(what, call);
      if (r.error) return { kind: 'sepconv-error', name: r.error.name, expected: Object.keys(expect)[0] };
      const y = r.value;
      owned.push(y);
      if (!(y instanceof sc.Tensor)) violation(`${what} returned ${typeof y}, not a Tensor`);
      const yd = attempt(`${what}.data()`, () => y.data());
      if (yd.error) violation(`${what} returned a tensor whose data() throws ${yd.error.name}`);
      if (yd.value.length !== elements(y.shape)) violation(`${what} returned shape ${fmt(y.shape)} holding ${yd.value.length} values`);
      if (expect.invalid) violation(`${what} accepted an invalid call (${expect.invalid}) and returned ${fmt(y.shape)}`);
      if (expect.empty && yd.value.length !== 0) violation(`${what}: no valid output expected (${expect.empty}), got ${fmt(y.shape)}`);
      if (expect.out) {
        if (fmt(y.shape) !== fmt(expect.shape)) violation(`${what}: shape ${fmt(y.shape)}, reference ${fmt(expect.shape)}`);
        const err = relErr(yd.value, expect.out);
        if (!(err <= TOL)) violation(`${what}: off the float64 reference by ${err}`);
      }
      return { kind: 'result', expected: Object.keys(expect)[0] };
    } finally {
      for (const t of owned) t.dispose();
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Cases: a tensor's shape (and the other fields the ops read) changed after creation

  const MUTATIONS = {
    index: (t, v) => (t.shape[t.shape.length - 1] = v),
    first: (t, v) => (t.shape[0] = v),
    push: (t, v) => t.shape.push(v),
    pop: (t) => t.shape.pop(),
    splice: (t, v) => t.shape.splice(1, 1, v),
    length: (t) => (t.shape.length = 1),
    reverse: (t) => t.shape.reverse(),
    fillShape: (t, v) => t.shape.fill(v),
    assignShape: (t, v) => (t.shape = [1, v, v, 2]),
    defineShape: (t, v) => Object.defineProperty(t, 'shape', { value: [v], configurable: true }),
    assignSize: (t, v) => (t.size = v),
    defineSize: (t, v) => Object.defineProperty(t, 'size', { value: v, configurable: true }),
    assignDtype: (t) => (t.dtype = 'int8'),
  };

  function mutateCase({ mutation, value, op, seed }) {
    const shape = [1, 4, 4, 2];
    const xd = randomData(32, seed);
    const owned = [];
    try {
      const t = sc.tensor(xd, shape);
      owned.push(t);
      // Live neighbours: what an out-of-bounds read would see, or a stray write would hit.
      for (let i = 0; i < 3; i++) owned.push(sc.fill([256], 1000 + i));
      try {
        MUTATIONS[mutation](t, value);
      } catch {
        // Refusing the mutation (a frozen array in strict mode throws a TypeError) is the fix, not a finding.
      }
      const f = randomData(3 * 3 * 2 * 1, seed + 1);
      const ref = {
        relu: () => ({ out: Float64Array.from(xd, (v) => (v > 0 ? v : 0)), shape }),
        add: () => ({ out: Float64Array.from(xd, (v) => v + 1), shape }),
        depthwise: () => windowReference('depthwise', xd, shape, f, [3, 3, 2, 1], windowGeometry(shape, [3, 3], [1, 1], [1, 1], 'same')),
        maxPool: () => windowReference('max', xd, shape, undefined, undefined, windowGeometry(shape, [2, 2], [2, 2], [1, 1], 'valid')),
        data: () => ({ out: xd, shape }),
        pad: () => {
          const out = new Float64Array(1 * 6 * 6 * 2);
          for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) for (let k = 0; k < 2; k++) out[((y + 1) * 6 + x + 1) * 2 + k] = xd[(y * 4 + x) * 2 + k];
          return { out, shape: [1, 6, 6, 2] };
        },
      }[op]();
      const what = `${op} after ${mutation}(${fmt(value)})`;
      const r = attempt(what, () => {
        switch (op) {
          case 'relu':
            return sc.relu(t);
          case 'add': {
            const one = sc.fill(shape, 1);
            owned.push(one);
            return sc.add(one, t);
          }
          case 'depthwise': {
            const ft = sc.tensor(f, [3, 3, 2, 1]);
            owned.push(ft);
            return sc.depthwiseConv2d(t, ft, { padding: 'same' });
          }
          case 'maxPool':
            return sc.maxPool(t, { poolSize: 2 });
          case 'pad':
            return sc.pad(t, 1);
          case 'data':
            return t;
        }
      });
      if (r.error) return { kind: 'sepconv-error', name: r.error.name };
      const y = r.value;
      if (y !== t) owned.push(y);
      const d = attempt(`${what}: data()`, () => y.data());
      if (d.error) return { kind: 'sepconv-error', name: d.error.name };
      if (fmt(y.shape) !== fmt(ref.shape) || !(relErr(d.value, ref.out) <= TOL)) {
        violation(`${what}: returned ${fmt(y.shape)} with ${d.value.length} values that are not the op on the tensor as created (${fmt(ref.shape)}, ${ref.out.length} values)`);
      }
      return { kind: 'result' };
    } finally {
      for (const t of owned) {
        try {
          t.dispose();
        } catch {}
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Cases: lifecycle (re-init, dispose, outputs into tensors of another runtime)

  async function lifecycleCase({ actions, seed }) {
    const slots = []; // { t, data: Float32Array } per slot, data = what it must hold
    let k = seed;
    const liveCheck = (after) => {
      for (const [i, s] of slots.entries()) {
        if (!s || s.dead) continue;
        const r = attempt(`slot ${i}.data() after ${after}`, () => s.t.data());
        if (r.error) {
          s.dead = true; // retired with a typed error (old runtime / disposed): allowed
          continue;
        }
        if (relErr(r.value, s.data) !== 0) violation(`after ${after}: live tensor ${i} ${fmt(s.t.shape)} no longer holds its values`);
      }
    };
    for (const [step, a] of actions.entries()) {
      const what = `step ${step} ${a.do}`;
      if (a.do === 'init') {
        const r = await attemptAsync(what, () => sc.init({ build: a.build }));
        if (r.error) continue;
      } else if (a.do === 'new') {
        const data = randomData(2 * 4 * 4 * 3, k++);
        const r = attempt(what, () => sc.tensor(data, [2, 4, 4, 3]));
        if (!r.error) slots[a.slot] = { t: r.value, data };
      } else if (a.do === 'dispose') {
        const s = slots[a.slot];
        if (s) {
          attempt(what, () => s.t.dispose());
          s.dead = true;
        }
      } else if (a.do === 'view-write') {
        // A view kept across a dispose: sepconv cannot revoke a Float32Array, but the write must not land in
        // memory another tensor owns (checked by liveCheck) - it may only hit freed memory.
        const s = slots[a.slot];
        if (!s || s.dead) continue;
        const r = attempt(what, () => s.t.view());
        if (r.error) continue;
        s.t.dispose();
        s.dead = true;
        const data = randomData(2 * 4 * 4 * 3, k++);
        const n = attempt(what, () => sc.tensor(data, [2, 4, 4, 3]));
        if (!n.error) {
          const idx = slots.length;
          slots[idx] = { t: n.value, data };
          try {
            r.value.fill(-7);
          } catch {}
        }
      } else {
        const s = slots[a.a];
        const s2 = slots[a.b];
        if (!s || !s2) continue;
        const ops = {
          relu: () => ({ call: () => sc.relu(s.t, s2.t), want: Float64Array.from(s.data, (v) => (v > 0 ? v : 0)), into: s2 }),
          add: () => ({ call: () => sc.add(s.t, s2.t), want: Float64Array.from(s.data, (v, i) => v + s2.data[i]) }),
          depthwise: () => {
            const fd = randomData(3 * 3 * 3, 99);
            const want = windowReference('depthwise', s.data, [2, 4, 4, 3], fd, [3, 3, 3, 1], windowGeometry([2, 4, 4, 3], [3, 3], [1, 1], [1, 1], 'same')).out;
            return {
              call: () => {
                const ft = sc.tensor(fd, [3, 3, 3, 1]);
                try {
                  return sc.depthwiseConv2d(s.t, ft, { padding: 'same' });
                } finally {
                  ft.dispose();
                }
              },
              want,
            };
          },
        };
        const { call, want, into } = ops[a.do]();
        const r = attempt(`${what}(${a.a}, ${a.b})`, call);
        if (!r.error) {
          const d = attempt(`${what}: data()`, () => r.value.data());
          if (!d.error && !(relErr(d.value, want) <= TOL)) violation(`${what}(${a.a}, ${a.b}) after ${fmt(actions.slice(0, step).map((x) => x.do))}: off the float64 reference by ${relErr(d.value, want)}`);
          if (into && !into.dead) into.data = Float32Array.from(want);
          if (r.value !== into?.t) r.value.dispose();
        }
      }
      liveCheck(what);
    }
    for (const s of slots) {
      try {
        s?.t.dispose();
      } catch {}
    }
    return { kind: 'result' };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Cases: model files (real ones, mutated), and bytes of every format

  const files = new Map(); // name -> { map: Map<string, Uint8Array|string>, json, entry, wrapped }
  function loadFixtures() {
    const nsfw = data?.nsfwDir;
    if (nsfw) {
      for (const [name, dir] of [
        ['nsfw-layers', 'mobilenet_v2'],
        ['nsfw-graph', 'mobilenet_v2_mid'],
      ]) {
        const text = readFileSync(`${nsfw}/${dir}/model.min.js`, 'utf8');
        const json = sc.extractWrappedModule(text, `${dir}/model.min.js`);
        const map = new Map([['model.min.js', text]]);
        for (const g of json.weightsManifest) for (const p of g.paths) map.set(`${p}.min.js`, readFileSync(`${nsfw}/${dir}/${p}.min.js`, 'utf8'));
        files.set(name, { map, json, entry: 'model.min.js', wrapped: true });
      }
      // The graph model with a Keras Flatten as tfjs-converter exports it (Shape -> StridedSlice -> Pack ->
      // Reshape) in place of its Squeeze: the constant folding that model files steer (strides, begin / end,
      // shapes) on a real model. Its own nodes are named fz/* ('fold' mutations target them).
      const g = files.get('nsfw-graph');
      const json = structuredClone(g.json);
      const nodes = json.modelTopology.node;
      const at = nodes.findIndex((n) => n.op === 'Squeeze');
      const sq = nodes[at];
      const i32 = (name, vals, dims) => ({ name, op: 'Const', attr: { value: { tensor: { dtype: 'DT_INT32', tensorShape: dims.length ? { dim: dims.map((d) => ({ size: String(d) })) } : {}, intVal: vals } }, dtype: { type: 'DT_INT32' } } });
      nodes.splice(
        at,
        1,
        { name: 'fz/shape', op: 'Shape', input: [sq.input[0]], attr: { T: { type: 'DT_FLOAT' }, out_type: { type: 'DT_INT32' } } },
        i32('fz/begin', [0], [1]),
        i32('fz/end', [1], [1]),
        i32('fz/strides', [1], [1]),
        { name: 'fz/slice', op: 'StridedSlice', input: ['fz/shape', 'fz/begin', 'fz/end', 'fz/strides'], attr: { T: { type: 'DT_INT32' }, Index: { type: 'DT_INT32' }, shrink_axis_mask: { i: '1' }, begin_mask: { i: '0' }, end_mask: { i: '0' }, ellipsis_mask: { i: '0' }, new_axis_mask: { i: '0' } } },
        i32('fz/minus1', [-1], []),
        { name: 'fz/pack', op: 'Pack', input: ['fz/slice', 'fz/minus1'], attr: { T: { type: 'DT_INT32' }, axis: { i: '0' }, N: { i: '2' } } },
        { name: sq.name, op: 'Reshape', input: [sq.input[0], 'fz/pack'], attr: { T: { type: 'DT_FLOAT' }, Tshape: { type: 'DT_INT32' } } },
      );
      const map = new Map([['model.json', JSON.stringify(json)]]);
      for (const [k, v] of g.map) if (k !== g.entry) map.set(k.replace(/\.min\.js$/, ''), sc.decodeBase64(sc.extractWrappedModule(v)));
      files.set('nsfw-graph-fold', { map, json, entry: 'model.json', wrapped: false });
    }
    for (const [name, z] of Object.entries(data?.zoo ?? {})) {
      const json = z.modelJson;
      const map = new Map([['model.json', JSON.stringify(json)]]);
      for (const [p, bytes] of Object.entries(z.shards)) map.set(p, bytes);
      files.set(name, { map, json, entry: 'model.json', wrapped: false });
    }
  }
  loadFixtures();

  /** Every path in a JSON tree (iteratively), with whether the leaf is a number. */
  function paths(root) {
    const out = [];
    const stack = [[root, []]];
    while (stack.length) {
      const [v, p] = stack.pop();
      if (p.length) out.push({ path: p, numeric: typeof v === 'number', array: Array.isArray(v), value: v && typeof v === 'object' ? undefined : v });
      if (v && typeof v === 'object') for (const k of Object.keys(v)) stack.push([v[k], [...p, Array.isArray(v) ? Number(k) : k]]);
    }
    return out;
  }
  const pathCache = new Map();

  /** Applies one mutation and then each of `m.also` (several changes to one model.json). */
  function mutateJson(source, m) {
    const json = structuredClone(files.get(source).json);
    const where = [m, ...(m.also ?? [])].map((x) => mutateOne(source, json, x));
    return { json, path: where.join(' + ') };
  }

  function mutateOne(source, json, m) {
    const base = files.get(source).json;
    if (!pathCache.has(source)) pathCache.set(source, paths(base));
    const all = pathCache.get(source);
    // 'fold': the numbers (or int64 strings) of the fz/* nodes - constants, shapes and masks folding reads.
    const fold = (p) => p.path[1] === 'node' && String(base.modelTopology?.node?.[p.path[2]]?.name).startsWith('fz/') && (p.numeric || /^-?\d+$/.test(String(p.value)));
    let pool = m.focus === 'numeric' ? all.filter((p) => p.numeric) : m.focus === 'array' ? all.filter((p) => p.array) : m.focus === 'fold' ? all.filter(fold) : all;
    if (!pool.length) pool = all;
    // An explicit target: { node: name, at: [...] } inside a graph model's node.
    // Or { layerClass, at }: inside the first layer of that class of a layers model.
    const layersPath = () => (base.modelTopology.model_config ? ['modelTopology', 'model_config', 'config', 'layers'] : ['modelTopology', 'config', 'layers']);
    const layersOf = () => layersPath().reduce((o, k) => o[k], base);
    const path = m.node
      ? ['modelTopology', 'node', base.modelTopology.node.findIndex((n) => n.name === m.node), ...m.at]
      : m.layerClass
        ? [...layersPath(), layersOf().findIndex((l) => l.class_name === m.layerClass), ...m.at]
        : pool[m.pick % pool.length].path;
    let parent = json;
    for (const k of path.slice(0, -1)) parent = parent[k];
    const key = path[path.length - 1];
    let value = decode(m.value);
    // An int64 written as a string in the JSON (TF.js's form) gets the drawn number as a string too.
    if (typeof parent[key] === 'string' && typeof value === 'number' && /^-?\d+$/.test(parent[key])) value = Number.isFinite(value) ? String(value) : value;
    if (m.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(key, 1);
      else delete parent[key];
    } else if (m.kind === 'scale' && typeof parent[key] === 'number') parent[key] = parent[key] * value;
    else if (m.kind === 'dup' && Array.isArray(parent)) parent.splice(key, 0, structuredClone(parent[key]));
    else if (m.kind === 'fillArray' && Array.isArray(parent[key])) parent[key] = parent[key].map(() => value);
    else parent[key] = value;
    return `${m.kind} ${path.join('.')}`;
  }

  function mutateBytes(bytes, m) {
    let b = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : new Uint8Array(bytes);
    if (m.truncate !== undefined) b = b.slice(0, Math.floor(b.length * m.truncate));
    else {
      b = b.slice();
      for (const [pos, byte] of m.flips ?? []) if (b.length) b[Math.floor(pos * b.length) % b.length] = byte;
    }
    return b;
  }

  async function predictOnce(model, what) {
    const inShape = model.inputs?.[0]?.shape ?? [];
    const c = typeof inShape[inShape.length - 1] === 'number' && inShape[inShape.length - 1] <= 64 ? inShape[inShape.length - 1] : 3;
    let shape = [1, ...inShape.map((d, i) => (d == null || d < 0 ? (i === inShape.length - 1 ? c : 24) : d))];
    if (!validShape(shape) || elements(shape) > ALLOC_CAP) shape = [1, 24, 24, c];
    const x = sc.tensor(randomData(elements(shape), 3), shape);
    try {
      const r = attempt(`${what}: predict(${fmt(shape)})`, () => model.predict(x));
      if (r.error) return { predicted: false, name: r.error.name };
      const outs = Array.isArray(r.value) ? r.value : [r.value];
      for (const y of outs) {
        const d = attempt(`${what}: output data()`, () => y.data());
        if (!d.error && d.value.length !== elements(y.shape)) violation(`${what}: output ${fmt(y.shape)} holds ${d.value.length} values`);
      }
      return { predicted: true };
    } finally {
      x.dispose();
    }
  }

  async function modelCase(c) {
    const fx = files.get(c.source);
    if (!fx) throw new Error(`fixture ${c.source} missing`);
    let source;
    let what;
    if (c.json) {
      const { json, path } = mutateJson(c.source, c.json);
      what = `${c.source} json ${path}`;
      const shards = new Map([...fx.map].filter(([k]) => k !== fx.entry).map(([k, v]) => [k.replace(/\.min\.js$/, ''), fx.wrapped ? sc.decodeBase64(sc.extractWrappedModule(v)) : v]));
      source = { modelJson: json, weights: shards };
    } else {
      const names = [...fx.map.keys()];
      const target = names[c.bytes.file % names.length];
      what = `${c.source} bytes of ${target} ${c.bytes.truncate !== undefined ? `truncated at ${c.bytes.truncate}` : `${c.bytes.flips.length} bytes changed`}`;
      source = new Map(fx.map);
      const mutated = mutateBytes(fx.map.get(target), c.bytes);
      source.set(target, typeof fx.map.get(target) === 'string' && c.bytes.asText ? new TextDecoder().decode(mutated) : mutated);
    }
    const t0 = performance.now();
    const r = await attemptAsync(`loadModel(${what})`, () => sc.loadModel(source, c.inputShape ? { inputShape: c.inputShape } : {}));
    const loadMs = performance.now() - t0;
    if (r.error) return { kind: 'sepconv-error', name: r.error.name, loadMs, what };
    try {
      const p = await predictOnce(r.value, what);
      // A model outside the limits (stride 0, dilation 2**31, ...) must be refused, at load or at predict.
      if (c.mustRefuse && p.predicted) violation(`${what}: loaded and predicted a model that must be refused (${c.mustRefuse})`);
      return { kind: 'result', loadMs, what, ...p };
    } finally {
      r.value.dispose();
    }
  }

  async function bytesCase(c) {
    let bytes;
    let what;
    if (c.raw) {
      bytes = c.raw;
      what = c.label ?? `${bytes.length} given bytes`;
    } else {
      const fx = files.get(c.source);
      const names = [...fx.map.keys()];
      const target = names[c.file % names.length];
      bytes = mutateBytes(fx.map.get(target), c.mutation ?? {});
      what = `${c.source}/${target}, ${bytes.length} bytes`;
    }
    const input = c.as === 'arraybuffer' ? bytes.slice().buffer : c.as === 'dataview' ? new DataView(bytes.slice().buffer) : bytes;
    const t0 = performance.now();
    const r = await attemptAsync(`loadModel(bytes: ${what})`, () => sc.loadModel(input));
    const loadMs = performance.now() - t0;
    if (r.error) return { kind: 'sepconv-error', name: r.error.name, loadMs, what };
    try {
      const p = await predictOnce(r.value, what);
      return { kind: 'result', loadMs, what, ...p };
    } finally {
      r.value.dispose();
    }
  }

  // ---------------------------------------------------------------------------------------------------------

  function fmt(v) {
    try {
      return JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : typeof x === 'number' && !Number.isFinite(x) ? String(x) : x === undefined ? 'undefined' : x));
    } catch {
      return String(v);
    }
  }

  const handlers = { shape: shapeCase, op: opCase, mutate: mutateCase, lifecycle: lifecycleCase, model: modelCase, bytes: bytesCase };

  return {
    async run(c) {
      const t0 = performance.now();
      let reply;
      try {
        const out = await handlers[c.type](c);
        checkRuntime(`${c.type} case`);
        reply = { ok: true, ...out };
      } catch (e) {
        if (e instanceof Violation) reply = { ok: false, violation: e.message };
        else reply = { ok: false, violation: `harness/untyped: ${e?.constructor?.name}: ${String(e?.message ?? e).slice(0, 500)}`, stack: String(e?.stack).slice(0, 1500) };
        try {
          checkRuntime(`${c.type} case (that failed)`);
        } catch (e2) {
          reply.violation += ` | and ${e2.message}`;
        }
      }
      reply.ms = performance.now() - t0;
      return reply;
    },
  };
}

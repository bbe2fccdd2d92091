// The pure parts of `run.mjs profile` and `run.mjs real-models`: how lowered steps are grouped into op
// families, the activation swap of --act-swap, the RESULTS.md sections a full bench run carries over,
// and the issue-25 target line. (The tools themselves are exercised by running them; no timing here.)
import { describe, expect, it } from 'vitest';
import { CONV_FAMILIES, profileMarkdown, stepFamily, swapActivations, type ModelProfile } from '../../bench/src/profile.js';
import { keptSections, withSection } from '../../bench/src/results-sections.js';
import { realModelsMarkdown } from '../../bench/src/real-models.js';

const step = (kind: string, extra: Record<string, unknown> = {}) => ({ kind, layer: 'block_1', macs: 1, output: 1, inputs: [0], ...extra });

describe('profile families', () => {
  it('splits depthwise by kernel and stride, fused steps by their depthwise, and names the rest', () => {
    expect(stepFamily(step('depthwise', { kernel: [3, 3], strides: [1, 1] }))).toBe('dw 3x3 s1');
    expect(stepFamily(step('depthwise', { kernel: [3, 3], strides: [2, 2] }))).toBe('dw 3x3 s2');
    expect(stepFamily(step('depthwise', { kernel: [5, 5], strides: [2, 2] }))).toBe('dw 5x5 s2');
    expect(stepFamily(step('depthwise', { kernel: [7, 7], strides: [1, 1] }))).toBe('dw other');
    expect(stepFamily(step('expandDepthwise', { depthwise: step('depthwise', { kernel: [5, 5], strides: [1, 1] }) }))).toBe('pw→dw 5x5 s1 (fused)');
    expect(stepFamily(step('pointwise'))).toBe('pointwise 1x1');
    expect(stepFamily(step('conv'))).toBe('conv (standard)');
    expect(stepFamily(step('leaky'))).toBe('PReLU / LeakyReLU');
    expect(stepFamily(step('maxPool'))).toBe('pools');
    expect(stepFamily(step('pad'))).toBe('other (pad, concat, reshape, ...)');
  });

  it('puts squeeze-excite layers (Keras names) in their own family, not in pointwise / pools / mul', () => {
    for (const layer of ['block2a_se_reduce', 'block2a_se_squeeze', 'block2a_se_excite', 'SE/conv']) {
      expect(stepFamily({ ...step('pointwise'), layer })).toBe('squeeze-excite');
    }
    expect(stepFamily({ ...step('pointwise'), layer: 'block2a_expand_conv' })).toBe('pointwise 1x1');
    expect(stepFamily({ ...step('pointwise'), layer: 'base_conv' })).toBe('pointwise 1x1');
  });

  it('counts convs, not pools or dense, as conv kernels', () => {
    expect(CONV_FAMILIES.has('pw→dw 3x3 s2 (fused)')).toBe(true);
    expect(CONV_FAMILIES.has('dense')).toBe(false);
    expect(CONV_FAMILIES.has('pools')).toBe(false);
  });

  it('renders share, GFLOP/s and % roof per family, and the time between steps', () => {
    const p: ModelProfile = {
      id: 'm',
      label: 'M',
      families: [
        { family: 'pointwise 1x1', steps: 2, ms: 3, macs: 60e6 },
        { family: 'add / mul', steps: 1, ms: 0.5, macs: 0 },
      ],
      stepsMs: 3.5,
      profiledMs: 4,
      predictMs: 3.9,
      macs: 60e6,
      roofGflops: 80,
    };
    const md = profileMarkdown([p]);
    // 2 * 60e6 / 3 ms = 40 GFLOP/s = 50% of 80; 3 of 4 ms = 75%
    expect(md).toContain('| pointwise 1x1 | 75% · 40.0 · 50% |');
    expect(md).toContain('| add / mul | 13% (0.50 ms) |');
    expect(md).toContain('| between steps (JS dispatch, views, timers) | 13% (0.50 ms) |');
  });
});

describe('--act-swap', () => {
  it('replaces the named activation in layer configs at any depth and leaves the others', () => {
    const cfg = { config: { layers: [{ class_name: 'Conv2D', config: { activation: 'swish' } }, { class_name: 'Activation', config: { activation: 'sigmoid' } }, { class_name: 'Dense', config: { activation: 'softmax', name: 'swish' } }] } };
    const out = swapActivations(cfg, [['swish', 'relu6']]);
    expect(out.config.layers.map((l: any) => l.config.activation)).toEqual(['relu6', 'sigmoid', 'softmax']);
    expect(out.config.layers[2].config.name).toBe('swish');
    expect(cfg.config.layers[0]!.config.activation).toBe('swish');
  });
});

describe('RESULTS.md sections', () => {
  it('replaces a section in place, appends a new one, and a full run keeps every one', () => {
    let md = '# results\n\nintro';
    md = withSection(md, 'profile', 'table 1');
    md = withSection(md, 'real-models', 'table 2');
    md = withSection(md, 'profile', 'table 1b');
    expect(md).toBe('# results\n\nintro\n\n<!-- section:profile -->\ntable 1b\n<!-- /section:profile -->\n\n<!-- section:real-models -->\ntable 2\n<!-- /section:real-models -->\n');
    expect(keptSections(md)).toBe('<!-- section:profile -->\ntable 1b\n<!-- /section:profile -->\n\n<!-- section:real-models -->\ntable 2\n<!-- /section:real-models -->');
    expect(keptSections('# no sections')).toBe('');
  });
});

describe('real-models target', () => {
  const fam = (family: string, ms: number, macs = 1e6) => ({ family, steps: 1, ms, macs });
  const row = (model: string, ours: number, tf: number, families: ReturnType<typeof fam>[]) => ({
    model,
    inputs: '[1,64,64,3] float',
    outputs: 1,
    macs: 1e6,
    ms: { 'sepconv-simd128': { median: ours, min: ours, runs: 20 }, 'tfjs-wasm': { median: tf, min: tf, runs: 20 } },
    families,
    profiledMs: families.reduce((a, f) => a + f.ms, 0),
    convShare: families.filter((f) => CONV_FAMILIES.has(f.family)).reduce((a, f) => a + f.ms, 0) / families.reduce((a, f) => a + f.ms, 0),
  });

  it('checks only conv-dominated models against 1.5x and names what holds a missed one back', () => {
    const md = realModelsMarkdown([
      row('fast', 1, 2, [fam('conv (standard)', 9), fam('pools', 1, 0)]),
      row('slow', 1, 1.2, [fam('pointwise 1x1', 8), fam('add / mul', 2, 0)]),
      row('prelu', 1, 1.1, [fam('conv (standard)', 4), fam('PReLU / LeakyReLU', 6, 0)]),
      { model: 'centernet', inputs: '', outputs: 0, ms: {}, na: 'UnsupportedOpsError: unsupported ops TopKV2' },
    ]);
    expect(md).toContain('- ✅ fast: conv kernels 90% of our time, 2.00x TF.js-wasm');
    expect(md).toMatch(/- ❌ slow: conv kernels 80% of our time, 1\.20x TF\.js-wasm \(target 1\.5x\); largest conv families pointwise 1x1 80% .*largest non-conv add \/ mul 20%/);
    expect(md).toContain('- prelu: not conv-dominated (conv kernels 40% of our time); 1.10x');
    expect(md).toContain('centernet (UnsupportedOpsError: unsupported ops TopKV2)');
  });
});

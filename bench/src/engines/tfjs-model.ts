// A Keras model_config as a @tensorflow/tfjs-layers model (the TF.js engines' side of "same weights").
// tfjs-layers 4.22 has no Normalization layer (EfficientNet's input normalization): a minimal
// one is registered here, computing (x - mean) / sqrt(variance) as Keras does.
import { req } from './index.js';
// The model-zoo helper's converter (test/engines/tfjs-layers.ts), when it is there: its
// tfjsFromKerasConfig registers Normalization and selects the cpu backend once.
import * as zooTf from '../../../test/engines/tfjs-layers.js';

let registered = false;
function registerMissing(tf: any, tfl: any): void {
  if (registered) return;
  registered = true;
  class Normalization extends tfl.layers.Layer {
    static className = 'Normalization';
    cfg: any;
    mean: any;
    variance: any;
    constructor(config: any) {
      super(config);
      this.cfg = config;
    }
    build(inputShape: any) {
      const s = Array.isArray(inputShape[0]) ? inputShape[0] : inputShape;
      const ch = s[s.length - 1];
      if (this.cfg.mean == null) {
        this.mean = this.addWeight('mean', [ch], 'float32', tfl.initializers.zeros(), undefined, false);
        this.variance = this.addWeight('variance', [ch], 'float32', tfl.initializers.ones(), undefined, false);
        this.addWeight('count', [], 'float32', tfl.initializers.zeros(), undefined, false);
      }
      this.built = true;
    }
    computeOutputShape(s: any) {
      return s;
    }
    call(inputs: any) {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const mean = this.cfg.mean != null ? tf.tensor(this.cfg.mean) : this.mean.read();
        const variance = this.cfg.variance != null ? tf.tensor(this.cfg.variance) : this.variance.read();
        return tf.div(tf.sub(x, mean), tf.sqrt(tf.maximum(variance, 1e-7)));
      });
    }
    getConfig() {
      return { ...super.getConfig(), axis: this.cfg.axis ?? -1, mean: this.cfg.mean ?? null, variance: this.cfg.variance ?? null };
    }
  }
  tf.serialization.registerClass(Normalization);
}

/** Builds the model on the current TF.js backend and loads the weights by Keras name. */
export async function tfjsModelFromConfig(tf: any, config: any, weights: Map<string, Float32Array>, use: () => void): Promise<any> {
  const tfl = req('@tensorflow/tfjs-layers');
  const shared = (zooTf as any).tfjsFromKerasConfig;
  let model: any;
  if (typeof shared === 'function') {
    model = await shared(config);
  } else {
    registerMissing(tf, tfl);
    model = await tfl.models.modelFromJSON({ modelTopology: structuredClone(config) });
  }
  use(); // weights go to the engine's backend (setWeights assigns the new tensors' data)
  const list = model.weights.map((w: any) => {
    const v = weights.get(w.originalName);
    if (!v) throw new Error(`tfjs-layers weight ${w.originalName} has no value`);
    return tf.tensor(v, w.shape);
  });
  model.setWeights(list);
  for (const t of list) t.dispose();
  return model;
}

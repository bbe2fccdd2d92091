"""Fixture for test/io/keras-weights.test.ts: a Keras Applications MobileNetV2 with seeded, non-trivial
weights, saved by the real TF.js converter (layers format), plus Keras's own outputs on a fixed input.

    python keras-mobilenetv2.py OUT_DIR

writes OUT_DIR/model.json + group*-shard*.bin (tensorflowjs.converters.save_keras_model),
OUT_DIR/input.bin and OUT_DIR/output.bin (little-endian float32, NHWC input and Keras predict() output)
and OUT_DIR/fixture.json (shapes, seed, versions). Run by scripts/python-fixtures.sh (in its pinned venv).
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf
import tensorflowjs as tfjs

SEED = 20261207
ALPHA, RES, CLASSES, BATCH = 0.35, 96, 10, 2


def main(out):
    tf.keras.utils.set_random_seed(SEED)
    model = tf.keras.applications.MobileNetV2(alpha=ALPHA, weights=None, input_shape=(RES, RES, 3), classes=CLASSES)
    rng = np.random.default_rng(SEED)
    # Redraw every weight, so no value is an initializer's constant (BN gamma 1, beta 0, mean 0, var 1,
    # biases 0): a weight loaded into the wrong slot then changes the output.
    new = []
    for w in model.weights:
        name = w.name.split("/")[-1].split(":")[0]
        shape = tuple(w.shape)
        if name in ("kernel", "depthwise_kernel"):
            fan_in = int(np.prod(shape[:-1])) if name == "kernel" else int(np.prod(shape[:2]))
            v = rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)
        elif name == "gamma":
            v = rng.uniform(0.5, 1.5, shape)
        elif name in ("beta", "bias"):
            v = rng.normal(0.0, 0.2, shape)
        elif name == "moving_mean":
            v = rng.normal(0.0, 0.3, shape)
        elif name == "moving_variance":
            v = rng.uniform(0.5, 2.0, shape)
        else:
            raise SystemExit(f"unexpected weight {w.name}")
        new.append(v.astype(np.float32))
    model.set_weights(new)
    x = rng.uniform(-1.0, 1.0, (BATCH, RES, RES, 3)).astype(np.float32)
    y = model.predict(x, verbose=0).astype(np.float32)
    tmp = out + ".tmp"
    os.makedirs(tmp, exist_ok=True)
    tfjs.converters.save_keras_model(model, tmp)
    x.astype("<f4").tofile(os.path.join(tmp, "input.bin"))
    y.astype("<f4").tofile(os.path.join(tmp, "output.bin"))
    meta = {
        "model": f"keras.applications.MobileNetV2(alpha={ALPHA}, weights=None, input_shape=({RES}, {RES}, 3), classes={CLASSES})",
        "seed": SEED,
        "inputShape": list(x.shape),
        "outputShape": list(y.shape),
        "weights": len(new),
        "tensorflow": tf.__version__,
        "tensorflowjs": tfjs.__version__,
    }
    with open(os.path.join(tmp, "fixture.json"), "w") as f:
        json.dump(meta, f, indent=1)
    os.replace(tmp, out)
    print(json.dumps({"out": out, "output": y.tolist()}))


if __name__ == "__main__":
    main(sys.argv[1])

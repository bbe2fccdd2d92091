import { OptionError, ShapeError } from '../errors.js';
import { runtime } from '../runtime/state.js';
import { checkShape } from '../tensor/limits.js';
import { Tensor } from '../tensor/tensor.js';
import { expectTensor, shapeStr } from './validate.js';

/**
 * The output of an op: `given` (a preallocated arena tensor, checked for size and life) or a new
 * tensor of `shape`. `inputs` the output must not alias (pass none for ops that work in place).
 */
export function outputFor(op: string, shape: readonly number[], given: Tensor | undefined, inputs: readonly Tensor[] = []): Tensor {
  const size = checkShape(op, shape, 'an output shape');
  if (given === undefined) return Tensor.alloc(shape, op);
  expectTensor(op, 'out', given);
  if (given.size !== size) {
    throw new ShapeError(op, `an output buffer of shape ${shapeStr(shape)} (${size} values)`, `${shapeStr(given.shape)}`);
  }
  if (inputs.some((t) => t.ptr(op) === given.ptr(op))) {
    throw new OptionError(op, 'out', 'a tensor distinct from the inputs', `the input tensor ${given.toString()}`);
  }
  return given;
}

/** Runs `call(outPtr)` into `out`; frees `out` on failure when this op allocated it. */
export function runInto(op: string, out: Tensor, given: Tensor | undefined, call: (outPtr: number) => void): Tensor {
  try {
    runtime(`${op}()`).call(op, () => call(out.ptr(op)));
  } catch (e) {
    if (!given) out.dispose();
    throw e;
  }
  return out;
}

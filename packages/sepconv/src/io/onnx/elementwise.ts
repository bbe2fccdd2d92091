// Broadcast Add / Sub / Mul / Div: two computed tensors (residual adds, squeeze-excite gates,
// swish), or a tensor and a scalar / per-channel constant (folded into the conv before it by the
// graph lowering where it can be).
import { formatJson } from '../../errors.js';
import { broadcastShape } from '../keras-config.js';
import type { Handler } from './conv.js';
import { channelShape, channelValues, fmt, type Lowering, type OnnxNode, type Sym } from './context.js';

const TF_OP: Record<string, string> = { Add: 'AddV2', Sub: 'Sub', Mul: 'Mul', Div: 'RealDiv' };

const binary: Handler = (low: Lowering, n: OnnxNode) => {
  const a = low.get(n, 0);
  const b = low.get(n, 1);
  const op = TF_OP[n.opType]!;
  if (a.kind === 'sym' && b.kind === 'sym') {
    if (n.opType === 'Sub' || n.opType === 'Div') low.fail(n, `${n.opType} of two computed tensors is not supported (only Add and Mul)`);
    if (a.shape.length !== b.shape.length) low.fail(n, `inputs of different ranks ${fmt(a.shape)} and ${fmt(b.shape)} are not supported`);
    if ((a.chw || b.chw) && a.chw?.join() !== b.chw?.join()) low.fail(n, 'mixing a flattened CHW map with another tensor is not supported');
    for (let i = 1; i < a.shape.length; i++) {
      const [p, q] = [a.shape[i], b.shape[i]];
      if (p !== null && q !== null && p !== q && p !== 1 && q !== 1) low.fail(n, `inputs ${fmt(a.shape)} and ${fmt(b.shape)} do not broadcast`);
    }
    const shape = broadcastShape(a.shape, b.shape);
    low.setSym(n, 0, low.emit(op, n.name || n.output[0]!, [a.tf, b.tf]), shape, a.chw ?? b.chw);
    return;
  }
  const x = (a.kind === 'sym' ? a : b) as Sym;
  const c = a.kind === 'const' ? a : b;
  if (c.kind !== 'const') return;
  if (n.opType === 'Div' && a.kind === 'const') low.fail(n, 'dividing a constant by a computed tensor is not supported');
  const v = channelValues(c, x);
  if (!v) low.fail(n, `a scalar or per-channel constant, got shape ${formatJson(c.shape)} for input ${fmt(x.shape)}`);
  const k = low.constNode(`${n.name}/const`, v, channelShape(v));
  low.setSym(n, 0, low.emit(op, n.name || n.output[0]!, a.kind === 'sym' ? [x.tf, k] : [k, x.tf]), x.shape, x.chw);
};

export const ELEMENTWISE_OPS: Record<string, Handler> = { Add: binary, Sub: binary, Mul: binary, Div: binary };

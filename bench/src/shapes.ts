// Layer shapes of the networks the kernel bench and the seed's table use (batch 1, NHWC).

export interface SepLayer {
  /** Input size (square) and channels of the depthwise conv; its stride; the pointwise output channels. */
  h: number;
  c: number;
  stride: number;
  cout: number;
  name: string;
}

/** MobileNetV1 1.0-224: the 13 depthwise-separable layers (dw 3x3 then pw 1x1). */
export function mobilenetV1Layers(): SepLayer[] {
  const spec: [number, number][] = [[64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2], [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1]];
  let h = 112;
  let c = 32;
  return spec.map(([cout, s], i) => {
    const l = { h, c, stride: s, cout, name: `conv_dw_${i + 1}` };
    h = Math.ceil(h / s);
    c = cout;
    return l;
  });
}

export interface V2Block {
  name: string;
  h: number;
  cin: number;
  expand: number;
  stride: number;
  cout: number;
}

/** MobileNetV2 1.0-224 inverted residual blocks (expand pw, dw 3x3, project pw). */
export function mobilenetV2Blocks(): V2Block[] {
  const spec: [number, number, number, number][] = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];
  const out: V2Block[] = [];
  let h = 112;
  let c = 32;
  let b = 0;
  for (const [t, cout, n, s] of spec) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      out.push({ name: b === 0 ? 'expanded_conv' : `block_${b}`, h, cin: c, expand: t, stride, cout });
      h = Math.ceil(h / stride);
      c = cout;
      b++;
    }
  }
  return out;
}

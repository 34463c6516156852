/**
 * sRGB <-> CIELAB (D65 white, CIE 1931 2 degree observer), differentiable, on [N, 3, H, W].
 * Constants as scikit-image's rgb2lab / lab2rgb and kornia.color: the sRGB -> XYZ matrix of
 * IEC 61966-2-1 (to 6 digits) and the D65 white point (0.95047, 1, 1.08883).
 */
import { type Tensor, tidy } from '@pixgrad/core';
import { checkImage, constLike, select } from './util.js';

/** linear sRGB -> XYZ (D65), rows X, Y, Z */
export const SRGB_TO_XYZ: readonly (readonly number[])[] = [
  [0.412453, 0.35758, 0.180423],
  [0.212671, 0.71516, 0.072169],
  [0.019334, 0.119193, 0.950227],
];
/** D65 reference white for the 2 degree observer (Xn, Yn, Zn) */
export const D65_WHITE = [0.95047, 1.0, 1.08883] as const;

function invert3(m: readonly (readonly number[])[]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m as number[][] as [[number, number, number], [number, number, number], [number, number, number]];
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}
/** XYZ (D65) -> linear sRGB, the exact inverse of SRGB_TO_XYZ */
export const XYZ_TO_SRGB: readonly (readonly number[])[] = invert3(SRGB_TO_XYZ);

/** Applies a 3x3 matrix to the channels of [N, 3, H, W] (a batched matmul over [N, 3, H*W]). */
function mix3(x: Tensor, m: readonly (readonly number[])[]): Tensor {
  const [N, , H, W] = x.shape as [number, number, number, number];
  const mt = constLike(x, m.flat(), [3, 3]);
  const flat = x.reshape([N, 3, H * W]);
  const y = mt.matmul(flat);
  const out = y.reshape([N, 3, H, W]);
  for (const t of [mt, flat, y]) t.dispose();
  return out;
}

const DELTA = 6 / 29;

/**
 * sRGB in [0, 1] to CIELAB (L in [0, 100], a and b roughly in [-128, 127]), [N, 3, H, W]:
 * 1. linearise: c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055)^2.4 (IEC 61966-2-1);
 * 2. XYZ = M c_lin, divided by the D65 white (0.95047, 1, 1.08883);
 * 3. f(t) = t > (6/29)^3 ? t^(1/3) : t / (3 (6/29)^2) + 4/29;
 *    L = 116 f(Y) - 16, a = 500 (f(X) - f(Y)), b = 200 (f(Y) - f(Z)).
 * Matches skimage.color.rgb2lab (illuminant 'D65', observer '2'). Values outside [0, 1] are
 * allowed (the power branch clamps its own argument, so gradients stay finite everywhere).
 * @example rgbToLab(tensor([1, 1, 1], { shape: [1, 3, 1, 1] })) // ~[100, 0, 0]
 */
export function rgbToLab(x: Tensor): Tensor {
  checkImage('rgbToLab', x, 'input', 3);
  return tidy(() => {
    // u^2.4 as exp(2.4 log u) (u >= 0.0405: the clamp keeps log finite): the same value to float32
    // rounding at half the cost of a general pow, which dominates this conversion on the CPU
    const lin = select(x.le(0.04045), x.div(12.92), x.maximum(0.04045).add(0.055).div(1.055).log().mul(2.4).exp(), x);
    const xyz = mix3(lin, SRGB_TO_XYZ);
    const white = constLike(x, [...D65_WHITE], [1, 3, 1, 1]);
    const t = xyz.div(white);
    const thr = DELTA ** 3;
    const f = select(t.gt(thr), t.maximum(thr).log().div(3).exp(), t.div(3 * DELTA * DELTA).add(4 / 29), x);
    // rows: L = 116 fy - 16, a = 500 (fx - fy), b = 200 (fy - fz)
    const m = constLike(x, [0, 116, 0, 500, -500, 0, 0, 200, -200], [3, 3]);
    const [N, , H, W] = x.shape as [number, number, number, number];
    const lab = m.matmul(f.reshape([N, 3, H * W])).reshape([N, 3, H, W]);
    const offset = constLike(x, [-16, 0, 0], [1, 3, 1, 1]);
    return lab.add(offset);
  });
}

/**
 * CIELAB (D65, 2 degree) to sRGB, the inverse of `rgbToLab`:
 * fy = (L + 16) / 116, fx = fy + a / 500, fz = fy - b / 200;
 * t = f > 6/29 ? f^3 : 3 (6/29)^2 (f - 4/29); XYZ = t * white; c_lin = M^-1 XYZ;
 * c = c_lin <= 0.0031308 ? 12.92 c_lin : 1.055 c_lin^(1/2.4) - 0.055.
 * Out-of-gamut colours are not clipped (skimage's lab2rgb clips to [0, 1]); clamp the result if
 * you need displayable values.
 * @example labToRgb(rgbToLab(x)) // x again, to rounding
 */
export function labToRgb(lab: Tensor): Tensor {
  checkImage('labToRgb', lab, 'input', 3);
  return tidy(() => {
    const [N, , H, W] = lab.shape as [number, number, number, number];
    // fy = (L + 16)/116, fx = fy + a/500, fz = fy - b/200
    const m = constLike(lab, [1 / 116, 1 / 500, 0, 1 / 116, 0, 0, 1 / 116, 0, -1 / 200], [3, 3]);
    const off = constLike(lab, [16 / 116, 16 / 116, 16 / 116], [1, 3, 1, 1]);
    const f = m
      .matmul(lab.reshape([N, 3, H * W]))
      .reshape([N, 3, H, W])
      .add(off);
    const t = select(f.gt(DELTA), f.pow(3), f.sub(4 / 29).mul(3 * DELTA * DELTA), lab);
    const white = constLike(lab, [...D65_WHITE], [1, 3, 1, 1]);
    const lin = mix3(t.mul(white), XYZ_TO_SRGB);
    return select(
      lin.le(0.0031308),
      lin.mul(12.92),
      lin
        .maximum(0.0031308)
        .pow(1 / 2.4)
        .mul(1.055)
        .sub(0.055),
      lab,
    );
  });
}

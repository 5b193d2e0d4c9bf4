/** An in-memory image classification dataset (isomorphic). */
import * as tf from '@tensorflow/tfjs-core';

export interface Dataset {
  /** e.g. 'mnist', 'fashion-mnist'. */
  name: string;
  split: 'train' | 'test';
  count: number;
  height: number;
  width: number;
  numClasses: number;
  /** count * height * width pixel intensities in [0, 1]. */
  images: Float32Array;
  labels: Uint8Array;
  /** Where the data came from (file paths), for reports. */
  source: string;
}

/** Builds a Dataset from raw IDX pixel bytes and labels. */
export function fromBytes(meta: Omit<Dataset, 'images' | 'labels' | 'count'>, pixels: Uint8Array, labels: Uint8Array, limit?: number): Dataset {
  const total = labels.length;
  const count = limit === undefined ? total : Math.min(limit, total);
  const size = meta.height * meta.width;
  const images = new Float32Array(count * size);
  for (let i = 0; i < count * size; i++) images[i] = pixels[i] / 255;
  return { ...meta, count, images, labels: labels.slice(0, count) };
}

/**
 * The first `n` examples (all of them when `n` exceeds the count), or a copy of the examples at `indices` (in
 * that order, repeats allowed). A negative or fractional `n`, or an index that is not a whole number in
 * 0..count-1, throws a RangeError naming it and the dataset size.
 *
 * @example
 * const calib = subset(train, 500);
 * const picked = subset(test, [0, 7, 42]);
 */
export function subset(data: Dataset, indices: number[] | number): Dataset {
  const of = `the dataset '${data.name}' (${data.split}) of ${data.count} examples`;
  if (typeof indices === 'number' && !(Number.isInteger(indices) && indices >= 0)) {
    throw new RangeError(`subset: the count ${indices} is not a whole number >= 0 (the dataset '${data.name}' (${data.split}) has ${data.count} examples); pass how many of the first examples to take`);
  }
  const idx = typeof indices === 'number' ? Array.from({ length: Math.min(indices, data.count) }, (_, i) => i) : indices;
  const valid = data.count ? `indices must be whole numbers in 0..${data.count - 1}` : 'it is empty';
  idx.forEach((i, k) => {
    const shown = typeof i === 'string' ? `"${i}"` : String(i);
    if (!Number.isInteger(i)) throw new RangeError(`subset: indices[${k}] is ${shown}, not a whole number index into ${of}: ${valid}`);
    if (i < 0 || i >= data.count) throw new RangeError(`subset: indices[${k}] is ${shown}, outside ${of}: ${valid}`);
  });
  const size = data.height * data.width;
  const images = new Float32Array(idx.length * size);
  const labels = new Uint8Array(idx.length);
  idx.forEach((src, dst) => {
    images.set(data.images.subarray(src * size, (src + 1) * size), dst * size);
    labels[dst] = data.labels[src];
  });
  return { ...data, count: idx.length, images, labels };
}

/** Images as a [n, h, w, 1] tensor (pixels in [0, 1]) for examples start..start+n. */
export function imagesTensor(data: Dataset, start = 0, n = data.count - start): tf.Tensor4D {
  const size = data.height * data.width;
  return tf.tensor4d(data.images.subarray(start * size, (start + n) * size), [n, data.height, data.width, 1]);
}

/** Labels as a one-hot [n, numClasses] tensor. */
export function oneHotLabels(data: Dataset, start = 0, n = data.count - start): tf.Tensor2D {
  return tf.oneHot(tf.tensor1d(data.labels.subarray(start, start + n), 'int32'), data.numClasses) as tf.Tensor2D;
}

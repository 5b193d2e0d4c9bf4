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

/** The first `n` examples (or a copy of a subset by indices). */
export function subset(data: Dataset, indices: number[] | number): Dataset {
  const idx = typeof indices === 'number' ? Array.from({ length: Math.min(indices, data.count) }, (_, i) => i) : indices;
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

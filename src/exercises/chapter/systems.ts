// Exercises of the hardware, frameworks and ONNX pages.
import type { Exercise } from '../types';

export const systemsExercises: Exercise[] = [
  {
    kind: 'choice',
    id: 'hw-tiling',
    section: 'hardware#kernel-optimizations',
    title: 'Kernel optimizations',
    prompt: 'Which kernel optimization splits a matrix multiplication into independent blocks that fit in cache and can run on different cores?',
    points: 1,
    explanation: 'Tiling partitions data and work into chunks: each tile is reused while it sits in cache, and independent tiles can run in parallel.',
    options: [
      { id: 'unroll', text: 'Loop unrolling', correct: false, feedback: 'unrolling removes loop-control overhead; it does not partition the data.' },
      { id: 'tiling', text: 'Tiling', correct: true },
      { id: 'cim', text: 'Compute-in-memory', correct: false, feedback: 'that is a hardware paradigm, not a change to a kernel\'s loops.' },
    ],
  },
  {
    kind: 'numeric',
    id: 'hw-sparse-storage',
    section: 'hardware#leveraging-sparsity',
    title: 'When does sparse storage pay off?',
    prompt: 'A pruned weight matrix is stored as (value, index) pairs: a 4-byte float value plus a 4-byte index per non-zero weight, while the dense matrix takes 4 bytes per weight. Below what fraction of non-zero weights is the sparse form smaller? Give the fraction (e.g. 0.3).',
    points: 1,
    answer: 0.5,
    tolerance: { abs: 0.001 },
    hints: { low: 'Each non-zero costs 8 bytes; each dense entry 4 bytes.', high: 'Each non-zero costs 8 bytes; each dense entry 4 bytes.' },
    explanation: 'Sparse: 8·nnz bytes; dense: 4·n bytes. 8·nnz < 4·n when nnz/n < 0.5: a model must be more than half zeros before this format saves memory, which is why the bench table shows zero-thresholded models growing.',
  },
  {
    kind: 'choice',
    id: 'viz-heatmap',
    section: 'frameworks#visualizing-optimizations',
    title: 'Reading a sparsity heat map',
    prompt: 'A per-layer sparsity chart of a pruned CNN shows the first convolution at 20% and the last dense layer at 70%. What does this tell you?',
    points: 1,
    explanation: 'Layers with many redundant weights (often the large dense layers near the output) lose more to a global magnitude criterion; the first convolution has few weights and each matters more.',
    options: [
      { id: 'a', text: 'The global criterion found more small, prunable weights in the last dense layer', correct: true },
      { id: 'b', text: 'The first layer is broken and should be retrained', correct: false, feedback: 'a lower sparsity only means fewer of its weights fell below the threshold.' },
      { id: 'c', text: 'The model is now 45% faster on any hardware', correct: false, feedback: 'unstructured zeros give a speed-up only with sparse kernels.' },
    ],
  },
  {
    kind: 'choice',
    id: 'onnx-qdq',
    section: 'onnx#quantized-models-in-onnx',
    title: 'ONNX and quantized models',
    prompt: 'Why can an ONNX model exported by one framework run with int8 kernels in a different runtime?',
    points: 1,
    explanation: 'ONNX fixes a common graph format (operators, tensor types, opset versions); a runtime that recognizes QuantizeLinear/DequantizeLinear pairs around a convolution can fuse them into an integer kernel.',
    options: [
      { id: 'a', text: 'ONNX stores the graph with standard operators, including QuantizeLinear/DequantizeLinear, that any conforming runtime understands', correct: true },
      { id: 'b', text: 'ONNX re-trains the model for each runtime', correct: false, feedback: 'ONNX is a file format; nothing is trained.' },
      { id: 'c', text: 'ONNX files contain machine code for every CPU', correct: false, feedback: 'they contain a graph and weights; the runtime picks kernels.' },
    ],
  },
];

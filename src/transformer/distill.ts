/**
 * Knowledge distillation of a tinyGpt into a smaller one (isomorphic, tfjs-core only): the student (narrower,
 * or with fewer blocks, over the same vocabulary) trains with trainTinyGpt's loop — same window sampler,
 * Adam, clipping and schedule — on a mix of the frozen teacher's soft targets at every position (KL at
 * temperature T, scaled by T², src/distill/loss.ts's softTargetLoss) and the hard next-character
 * cross-entropy:
 *
 *   loss = alpha · T² · KL(softmax(teacher / T) ‖ softmax(student / T)) + (1 - alpha) · CE(student, next char).
 *
 * Only the student's variables are updated; the teacher runs forward on the same windows.
 */
import * as tf from '@tensorflow/tfjs-core';
import { softTargetLoss } from '../distill/loss';
import type { TinyGpt } from './model';
import { trainTinyGpt, GptTrainData, GptTrainOptions, GptTrainResult } from './train';

/** The mix of {@link gptDistillationLoss}. */
export interface GptDistillLossOptions {
  /** Softmax temperature of the soft targets (> 0); default 2. */
  temperature?: number;
  /** Weight of the soft-target term in [0, 1]; the hard cross-entropy gets 1 - alpha. Default 0.5. */
  alpha?: number;
}

/** Options of {@link distillTinyGpt}: trainTinyGpt's (but its `loss`) and the loss mix. */
export interface GptDistillOptions extends Omit<GptTrainOptions, 'loss'>, GptDistillLossOptions {}

function checkMix(opts: GptDistillLossOptions): { temperature: number; alpha: number } {
  const temperature = opts.temperature ?? 2;
  const alpha = opts.alpha ?? 0.5;
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new RangeError(`distillation: temperature must be a positive number (typically 1..4), got ${temperature}`);
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`distillation: alpha must be in [0, 1] (the weight of the soft targets), got ${alpha}`);
  return { temperature, alpha };
}

/**
 * The distillation loss of one batch: alpha · T² · KL(teacher_T ‖ student_T) (mean over positions) +
 * (1 - alpha) · the mean cross-entropy of the student on the next characters `targets`. Logits are
 * [positions, V], targets int32 [positions]. Differentiable in the student's logits.
 *
 * @example
 * const loss = gptDistillationLoss(studentLogits, teacherLogits, targets, { temperature: 2, alpha: 0.5 });
 */
export function gptDistillationLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, targets: tf.Tensor1D, opts: GptDistillLossOptions = {}): tf.Scalar {
  const { temperature, alpha } = checkMix(opts);
  if (studentLogits.shape.join() !== teacherLogits.shape.join()) throw new RangeError(`gptDistillationLoss: student logits [${studentLogits.shape}] and teacher logits [${teacherLogits.shape}] differ`);
  if (targets.shape[0] !== studentLogits.shape[0]) throw new RangeError(`gptDistillationLoss: ${targets.shape[0]} targets for ${studentLogits.shape[0]} positions`);
  return tf.tidy(() => {
    const parts: tf.Scalar[] = [];
    if (alpha > 0) parts.push(tf.mul(softTargetLoss(studentLogits, teacherLogits, temperature), alpha));
    if (alpha < 1) {
      // one-hot made as int32 and cast (the wasm OneHot kernel ignores a float32 dtype, see model.ts)
      const labels = tf.cast(tf.oneHot(tf.cast(targets, 'int32') as tf.Tensor1D, studentLogits.shape[1]), 'float32');
      parts.push(tf.mul(tf.losses.softmaxCrossEntropy(labels, studentLogits), 1 - alpha));
    }
    return (parts.length === 1 ? parts[0] : tf.add(parts[0], parts[1])) as tf.Scalar;
  });
}

/**
 * Trains `student` in place on `data` against the frozen `teacher` (same vocabulary; the teacher's context at
 * least the student's): trainTinyGpt with the {@link gptDistillationLoss} of each batch. The result's losses
 * are the mixed loss; its validation bits per character are the student's own (cross-entropy on the text).
 *
 * @example
 * const student = tinyGpt({ vocabSize: 63, dModel: 32 }, TINY_GPT_QUICK);
 * const r = await distillTinyGpt(teacher, student, kjv, { steps: 1500, temperature: 2, alpha: 0.5 });
 * r.validationBpc; // the student's bits per character on kjv.validation
 */
export async function distillTinyGpt(teacher: TinyGpt, student: TinyGpt, data: GptTrainData, opts: GptDistillOptions): Promise<GptTrainResult> {
  if (teacher === student) throw new RangeError('distillTinyGpt: the student and the teacher must be different models');
  const tc = teacher.config;
  const sc = student.config;
  if (tc.vocabSize !== sc.vocabSize) throw new RangeError(`distillTinyGpt: the teacher has ${tc.vocabSize} tokens, the student ${sc.vocabSize}; they must share the vocabulary`);
  if (tc.contextLength < sc.contextLength) throw new RangeError(`distillTinyGpt: the student's context ${sc.contextLength} is longer than the teacher's ${tc.contextLength}`);
  const { temperature: _t, alpha: _a, ...trainOpts } = opts;
  const mix = checkMix(opts);
  const v = sc.vocabSize;
  return trainTinyGpt(student, data, {
    ...trainOpts,
    loss: (inputs, targets) => {
      // only the student's variables are given to the optimizer: no gradient reaches the teacher
      const studentLogits = tf.reshape(student.forward(inputs), [-1, v]) as tf.Tensor2D;
      // alpha 0 is plain training: the teacher is not run
      const teacherLogits = mix.alpha > 0 ? (tf.reshape(teacher.forward(inputs), [-1, v]) as tf.Tensor2D) : studentLogits;
      return gptDistillationLoss(studentLogits, teacherLogits, tf.reshape(targets, [-1]) as tf.Tensor1D, mix);
    },
  });
}

/** Options of {@link teacherStudentKl}. */
export interface TeacherStudentKlOptions {
  /** Softmax temperature of both distributions; default 1. */
  temperature?: number;
  /** Use the first this many tokens (default 8192), in windows of the student's contextLength. */
  maxTokens?: number;
  /** Windows per forward pass; default 16. */
  batchSize?: number;
}

/**
 * How far the student's next-character distributions are from the teacher's: the mean over positions of
 * KL(softmax(teacher / T) ‖ softmax(student / T)) in nats (no T² factor), on `tokens` cut into windows of the
 * student's context. 0 when they predict alike.
 *
 * @example
 * teacherStudentKl(teacher, student, kjv.validation); // e.g. 0.12 nats per character
 */
export function teacherStudentKl(teacher: TinyGpt, student: TinyGpt, tokens: ArrayLike<number>, opts: TeacherStudentKlOptions = {}): number {
  const temperature = opts.temperature ?? 1;
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new RangeError(`teacherStudentKl: temperature must be a positive number, got ${temperature}`);
  if (teacher.config.vocabSize !== student.config.vocabSize) throw new RangeError(`teacherStudentKl: the teacher has ${teacher.config.vocabSize} tokens, the student ${student.config.vocabSize}`);
  const t = Math.min(student.config.contextLength, teacher.config.contextLength);
  const n = Math.min(tokens.length, opts.maxTokens ?? 8192);
  const windows = Math.floor(n / t);
  if (windows < 1) throw new RangeError(`teacherStudentKl: ${n} tokens are fewer than one window of ${t}`);
  const batchSize = opts.batchSize ?? 16;
  const v = student.config.vocabSize;
  let total = 0;
  for (let w0 = 0; w0 < windows; w0 += batchSize) {
    const b = Math.min(batchSize, windows - w0);
    const ids = new Int32Array(b * t);
    for (let i = 0; i < b * t; i++) ids[i] = tokens[w0 * t + i];
    const sum = tf.tidy(() => {
      const x = tf.tensor2d(ids, [b, t], 'int32');
      const logP = tf.logSoftmax(tf.div(tf.reshape(teacher.forward(x), [-1, v]), temperature));
      const logQ = tf.logSoftmax(tf.div(tf.reshape(student.forward(x), [-1, v]), temperature));
      return tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)));
    });
    total += sum.dataSync()[0];
    sum.dispose();
  }
  return total / (windows * t);
}

/**
 * The distillation trainer: the teacher is frozen (only the student's variables are updated; the teacher
 * runs in inference mode) and the student learns from the mixed soft-target / hard-label loss.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Dataset } from '../data/dataset';
import { train, TrainOptions, TrainResult } from '../train/train';
import { distillationLoss, DistillationLossOptions } from './loss';

export interface DistillOptions extends Omit<TrainOptions, 'loss'>, DistillationLossOptions {}

/**
 * Trains `student` on `data` against the frozen `teacher`'s logits.
 *
 * @example
 * await distill(student, teacher, trainSet, { epochs: 3, temperature: 4, alpha: 0.9, seed: 1 });
 */
export async function distill(student: LayersModel, teacher: LayersModel, data: Dataset, opts: DistillOptions): Promise<TrainResult> {
  const inShape = (m: LayersModel) => JSON.stringify(m.inputs[0].shape);
  const outShape = (m: LayersModel) => JSON.stringify(m.outputs[0].shape);
  if (inShape(student) !== inShape(teacher) || outShape(student) !== outShape(teacher)) {
    throw new RangeError(`student ${inShape(student)} -> ${outShape(student)} and teacher ${inShape(teacher)} -> ${outShape(teacher)} must share input and output shapes`);
  }
  if (student === teacher) throw new RangeError('the student and the teacher must be different models');
  const { temperature, alpha, ...trainOpts } = opts;
  const teacherWasTrainable = teacher.trainable;
  teacher.trainable = false;
  try {
    return await train(student, data, {
      ...trainOpts,
      loss: (logits, labels, images) => {
        // Only the student's variables are passed to the optimizer, so no gradient reaches the teacher.
        const teacherLogits = teacher.apply(images, { training: false }) as tf.Tensor2D;
        return distillationLoss(logits, teacherLogits, labels, { temperature, alpha });
      },
    });
  } finally {
    teacher.trainable = teacherWasTrainable;
  }
}

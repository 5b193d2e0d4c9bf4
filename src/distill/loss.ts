/**
 * Knowledge-distillation losses (Hinton et al.): the soft-target loss between temperature-softened teacher
 * and student distributions, and its mix with the hard-label cross-entropy.
 */
import * as tf from '@tensorflow/tfjs-core';

function checkLogits(student: tf.Tensor, teacher: tf.Tensor): void {
  if (student.rank !== 2 || teacher.rank !== 2 || student.shape.join() !== teacher.shape.join()) {
    throw new RangeError(`student and teacher logits must both be [batch, classes] with the same shape, got [${student.shape}] and [${teacher.shape}]`);
  }
}

function checkTemperature(t: number): void {
  if (!(typeof t === 'number' && t > 0 && Number.isFinite(t))) throw new RangeError(`temperature must be a positive number (typically 1..20), got ${t}`);
}

/**
 * Soft-target loss: T² · KL(softmax(teacher/T) ‖ softmax(student/T)), averaged over the batch. The T² factor
 * keeps its gradients on the scale of the hard-label loss as T changes. Equals PyTorch's
 * `kl_div(log_softmax(s/T), softmax(t/T), reduction='batchmean') * T*T`.
 *
 * @example
 * const loss = softTargetLoss(studentLogits, teacherLogits, 4); // scalar
 */
export function softTargetLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, temperature: number): tf.Scalar {
  checkLogits(studentLogits, teacherLogits);
  checkTemperature(temperature);
  return tf.tidy(() => {
    const logP = tf.logSoftmax(tf.div(teacherLogits, temperature));
    const logQ = tf.logSoftmax(tf.div(studentLogits, temperature));
    const kl = tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), 1);
    return tf.mul(tf.mean(kl), temperature * temperature) as tf.Scalar;
  });
}

export interface DistillationLossOptions {
  temperature: number;
  /** Weight of the soft-target term; the hard-label cross-entropy gets 1 - alpha. In [0, 1]. */
  alpha: number;
}

/**
 * alpha · softTargetLoss + (1 - alpha) · cross-entropy with the true labels.
 *
 * @example
 * const loss = distillationLoss(student, teacher, labels, { temperature: 4, alpha: 0.9 });
 */
export function distillationLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, labels: tf.Tensor1D, opts: DistillationLossOptions): tf.Scalar {
  if (!(opts.alpha >= 0 && opts.alpha <= 1)) throw new RangeError(`alpha must be in [0, 1] (the weight of the soft targets), got ${opts.alpha}`);
  if (labels.shape[0] !== studentLogits.shape[0]) throw new RangeError(`${labels.shape[0]} labels for a batch of ${studentLogits.shape[0]}`);
  return tf.tidy(() => {
    const soft = softTargetLoss(studentLogits, teacherLogits, opts.temperature);
    const hard = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, studentLogits.shape[1]), studentLogits);
    return tf.add(tf.mul(soft, opts.alpha), tf.mul(hard, 1 - opts.alpha)) as tf.Scalar;
  });
}

// Barrel of the exercises module: the exercise format shared by the site and the grader.
export * from './types';
export * from './validate';
export * from './numeric';
export * from './choice';
export * from './test-api';
export * from './runner';
export * from './ref';
export * from './progress';
export * from './chapter';

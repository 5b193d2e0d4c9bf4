/**
 * optilab: the whole library for Node (notebooks, CLI, tests): the isomorphic core plus backend selection,
 * dataset files, the model cache and notebook display helpers.
 */
export * from './core';
export * from './backend';
export * from './data/files';

// Barrel of the viz module: payload contracts and pure payload -> plotly figure functions.
export * from './payloads';

// Barrel of the hardware module: hand-written kernels, the backend's, their measurement, and the roofline.
export * from './matrix';
export * from './gemm-naive';
export * from './gemm-unrolled';
export * from './gemm-blocked';
export * from './gemm-packed';
export * from './gemm-variants';
export * from './conv-shape';
export * from './im2col';
export * from './conv2d';
export * from './backend-kernels';
export * from './measure';
export * from './benchmark';
export * from './peak';
export * from './bandwidth';
export * from './intensity';
export * from './layer-intensity';
export * from './roofline';

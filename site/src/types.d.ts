declare module 'plotly.js-cartesian-dist-min' {
  const Plotly: {
    react(el: HTMLElement, data: unknown[], layout: Record<string, unknown>, config?: Record<string, unknown>): Promise<HTMLElement>;
    purge(el: HTMLElement): void;
    Plots: { resize(el: HTMLElement): void };
  };
  export default Plotly;
}
declare module '@site/src/generated/bench.json' {
  const bench: Record<string, unknown>;
  export default bench;
}
declare module '@site/src/generated/exercises.json' {
  const html: Record<string, { prompt: string; explanation: string; options?: Record<string, string> }>;
  export default html;
}
declare module '@site/src/generated/runtime.json' {
  const runtime: { optilab: string; fashionMnist: boolean; mounts: Record<string, string> };
  export default runtime;
}
declare module '@site/src/generated/notebook-pages.json' {
  const slugs: string[];
  export default slugs;
}

// The part of plotly.js this extension uses (the dist bundle ships no types).
declare module 'plotly.js-cartesian-dist-min' {
  const Plotly: {
    newPlot(el: HTMLElement, data: unknown[], layout: Record<string, unknown>, config?: Record<string, unknown>): Promise<HTMLElement>;
    react(el: HTMLElement, data: unknown[], layout: Record<string, unknown>, config?: Record<string, unknown>): Promise<HTMLElement>;
    purge(el: HTMLElement): void;
    Plots: { resize(el: HTMLElement): void };
  };
  export default Plotly;
}

/**
 * Light and dark colours for the figures. The JupyterLab extension picks the theme from the lab's
 * `data-jp-theme-light` attribute; the site from its colour mode.
 */
import type { Layout } from './figure';

export type ThemeName = 'light' | 'dark';

export interface ThemeColors {
  name: ThemeName;
  /** Figure background. */
  paper: string;
  /** Plot-area background. */
  plot: string;
  text: string;
  grid: string;
  /** Series colours, in order (one per method, layer, ...). */
  series: string[];
  /** Colour of something good / kept (kept weights, values inside the clipping range). */
  kept: string;
  /** Colour of something removed (pruned weights). */
  pruned: string;
  /** Colour that must stand out (saturated values, overflow). */
  alert: string;
  /** Sign / exponent / mantissa colours of the bit-layout view. */
  sign: string;
  exponent: string;
  mantissa: string;
}

const LIGHT: ThemeColors = {
  name: 'light',
  paper: '#ffffff',
  plot: '#ffffff',
  text: '#1f2328',
  grid: '#e3e6ea',
  series: ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f'],
  kept: '#1f4e8c',
  pruned: '#eef1f5',
  alert: '#d62728',
  sign: '#d8b4fe',
  exponent: '#93c5fd',
  mantissa: '#fcd34d',
};

const DARK: ThemeColors = {
  name: 'dark',
  paper: '#1e1e1e',
  plot: '#1e1e1e',
  text: '#e6e6e6',
  grid: '#3a3a3a',
  series: ['#4ea8ff', '#ffa64d', '#5ad35a', '#c39bff', '#d9a38f', '#ff9ad5', '#4fe0f0', '#bdbdbd'],
  kept: '#7cc4ff',
  pruned: '#262a30',
  alert: '#ff5c5c',
  sign: '#7e22ce',
  exponent: '#1d4ed8',
  mantissa: '#a16207',
};

/**
 * The colour set of a theme. Unknown names fall back to light.
 *
 * @example
 * const c = themeColors('dark'); // c.paper === '#1e1e1e'
 */
export function themeColors(theme: ThemeName = 'light'): ThemeColors {
  return theme === 'dark' ? DARK : LIGHT;
}

/**
 * A horizontal legend above the plot area (below the title), so it never collides with the x-axis title.
 *
 * @example
 * baseLayout('light', 'SQNR', { legend: legendOnTop('light') });
 */
export function legendOnTop(theme: ThemeName): Layout {
  return { orientation: 'h', x: 0, xanchor: 'left', y: 1.02, yanchor: 'bottom', font: { color: themeColors(theme).text }, bgcolor: 'rgba(0,0,0,0)' };
}

/**
 * A layout with the theme's colours, a title and compact margins; `extra` is merged on top (shallowly,
 * except `xaxis`/`yaxis`, which are merged key by key).
 *
 * @example
 * const layout = baseLayout('light', 'Sparsity per layer', { yaxis: { title: { text: 'sparsity' } } });
 */
export function baseLayout(theme: ThemeName, title: string, extra: Layout = {}): Layout {
  const c = themeColors(theme);
  const axis = { gridcolor: c.grid, zerolinecolor: c.grid, linecolor: c.grid, color: c.text, automargin: true };
  const { xaxis, yaxis, ...rest } = extra as { xaxis?: Layout; yaxis?: Layout } & Layout;
  // Room for a legend between the title and the plot when there is one on top.
  const top = (extra.legend as { yanchor?: string } | undefined)?.yanchor === 'bottom' ? 80 : 40;
  return {
    title: { text: title, font: { size: 14, color: c.text }, x: 0, xanchor: 'left', y: 0.98, yanchor: 'top', yref: 'container' },
    paper_bgcolor: c.paper,
    plot_bgcolor: c.plot,
    font: { color: c.text, size: 12 },
    margin: { l: 60, r: 20, t: top, b: 50 },
    colorway: c.series,
    legend: { font: { color: c.text } },
    hoverlabel: { namelength: -1 },
    ...rest,
    xaxis: { ...axis, ...(xaxis ?? {}) },
    yaxis: { ...axis, ...(yaxis ?? {}) },
  };
}

// Styles of the optilab renderers, using JupyterLab's theme variables so light and dark both read well.
export const STYLE = `
.optilab-viz { padding: 4px 0; color: var(--jp-ui-font-color1); font-family: var(--jp-ui-font-family); }
.optilab-viz-header { display: flex; gap: 16px; align-items: center; margin-bottom: 6px; }
.optilab-viz-title { font-weight: 600; font-size: var(--jp-ui-font-size2); }
.optilab-viz-layer select { margin-left: 4px; background: var(--jp-layout-color1); color: var(--jp-ui-font-color1);
  border: 1px solid var(--jp-border-color1); border-radius: 2px; }
.optilab-viz-figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 8px; }
.optilab-figure { min-height: 360px; border: 1px solid var(--jp-border-color2); }
.optilab-viz-table { margin-top: 8px; }
.optilab-viz-table table { border-collapse: collapse; font-size: var(--jp-ui-font-size1); }
.optilab-viz-table th, .optilab-viz-table td { border: 1px solid var(--jp-border-color2); padding: 2px 8px; text-align: left; }
.optilab-error { border: 1px solid var(--jp-error-color1, #d32f2f); border-left-width: 6px; background: var(--jp-layout-color1);
  color: var(--jp-ui-font-color1); padding: 8px 12px; border-radius: 2px; }
.optilab-error strong { color: var(--jp-error-color1, #d32f2f); }
.optilab-error ul { margin: 6px 0; padding-left: 20px; font-family: var(--jp-code-font-family); font-size: var(--jp-code-font-size); }
.optilab-error p { margin: 0; color: var(--jp-ui-font-color2); }
`;

// Webpack config of the lab app: JupyterLab's own loaders (@jupyterlab/builder's base config) plus a
// module-federation host that shares every @jupyterlab / @lumino package (as singletons) with prebuilt
// extensions loaded at run time from share/jupyter/labextensions.
const path = require('path');
const webpack = require('webpack');
const { merge } = require('webpack-merge');
const baseConfig = require('@jupyterlab/builder/lib/webpack.config.base');

module.exports = ({ shared, output, mode = process.env.OPTILAB_LAB_MODE || 'production' }) =>
  merge(baseConfig, {
    mode,
    devtool: false,
    entry: path.join(__dirname, 'bootstrap.js'),
    output: { path: output, filename: 'bundle.js', chunkFilename: '[name].[contenthash:8].js', publicPath: 'auto', clean: true },
    context: __dirname,
    performance: { hints: false },
    // Minifying takes ~3 minutes on 2 cores and saves little for a lab served from 127.0.0.1; opt in with
    // OPTILAB_LAB_MINIFY=1.
    optimization: { moduleIds: 'deterministic', minimize: process.env.OPTILAB_LAB_MINIFY === '1' },
    plugins: [
      new webpack.DefinePlugin({ 'process.env.NODE_ENV': JSON.stringify(mode) }),
      new webpack.container.ModuleFederationPlugin({
        library: { type: 'var', name: ['_JUPYTERLAB', 'CORE_LIBRARY_FEDERATION'] },
        name: 'CORE_FEDERATION',
        shared: Object.fromEntries(
          Object.entries(shared).map(([name, version]) => [name, { version, requiredVersion: `^${version}`, singleton: true }]),
        ),
      }),
    ],
  });

# Sourced by scripts: the project's own Jupyter paths (never the home directory).
OPTILAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export JUPYTER_PATH="$OPTILAB_ROOT/.jupyter/share/jupyter" JUPYTER_DATA_DIR="$OPTILAB_ROOT/.jupyter/data" \
  JUPYTER_RUNTIME_DIR="$OPTILAB_ROOT/.jupyter/runtime" JUPYTER_CONFIG_DIR="$OPTILAB_ROOT/.jupyter/config"
export PATH="$OPTILAB_ROOT/node_modules/.bin:$PATH"

"""The optilab course lab: serves the JupyterLab 4 app built in ../build/lab with Debian's jupyter_server
and jupyterlab_server (no Python jupyterlab package needed).

Run by `optilab lab` with the project's JUPYTER_* paths; any ServerApp option can follow, e.g.
  python3 server.py --ServerApp.port=8888 --ServerApp.root_dir=notebooks --ServerApp.open_browser=False
SIGTERM and SIGINT stop the server cleanly, shutting down running kernels first (jupyter_server 1.x only
does that from a terminal, and would leave tslab kernels orphaned otherwise).

Under `optilab hub` this module is loaded as a server extension of `jupyterhub-singleuser` (the hub stops a
server with SIGINT): the same signal handling is installed there, and POST /optilab/submit
(optilab_submit.py) hands an assignment in to the class exchange.
"""
import json
import os
import signal
import sys

from jupyterlab_server import LabServerApp

from optilab_submit import SubmitHandler

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(os.path.dirname(HERE), "build", "lab")
STATE = os.environ.get("OPTILAB_LAB_STATE", os.path.join(os.path.dirname(os.path.dirname(HERE)), ".jupyter", "lab"))

with open(os.path.join(os.path.dirname(HERE), "package.json"), encoding="utf-8") as f:
    VERSION = json.load(f)["version"]


def _jupyter_server_extension_points():
    # Module level, so jupyter_server can load this script (run as __main__) as an extension.
    return [{"module": __name__, "app": OptilabLab}]


class OptilabLab(LabServerApp):
    name = __name__
    extension_url = "/lab"
    default_url = "/lab"
    load_other_extensions = False
    app_name = "optilab lab"
    app_version = VERSION
    app_url = "/lab"
    app_settings_dir = os.path.join(BUILD, "settings")
    schemas_dir = os.path.join(BUILD, "schemas")
    themes_dir = os.path.join(BUILD, "themes")
    static_dir = os.path.join(BUILD, "static")
    templates_dir = os.path.join(HERE, "templates")
    user_settings_dir = os.path.join(STATE, "user-settings")
    workspaces_dir = os.path.join(STATE, "workspaces")

    def initialize_handlers(self):
        for d in (self.user_settings_dir, self.workspaces_dir):
            os.makedirs(d, exist_ok=True)
        super().initialize_handlers()
        self.handlers.append((r"/optilab/submit", SubmitHandler))
        # Loaded into another ServerApp (jupyterhub-singleuser), which ignores SIGINT off a terminal.
        install_stop_signals(self.serverapp)


def install_stop_signals(serverapp):
    """SIGTERM and SIGINT stop the server: HTTP server, then kernels and terminals, then the IO loop."""
    stopping = []

    def stop(sig, frame):
        # Once only: Ctrl-C in a terminal reaches both this process and `optilab lab`, which forwards a SIGTERM.
        if stopping:
            return
        stopping.append(sig)
        serverapp._signal_stop(sig, frame)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def main(argv):
    for d in (OptilabLab.user_settings_dir, OptilabLab.workspaces_dir):
        os.makedirs(d, exist_ok=True)
    serverapp = OptilabLab.initialize_server(argv=argv)
    install_stop_signals(serverapp)
    serverapp.start()


if __name__ == "__main__":
    main(sys.argv[1:])

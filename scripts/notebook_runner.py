#!/usr/bin/env python3
"""Executes Jupyter notebooks headless on their kernel (tslab for the course) and reports the failing cell.

Used by `optilab notebooks run`. Prints one JSON object per notebook on stdout (machine-readable for the CLI):
{"notebook", "ok", "seconds", "cells", "output", "error": {"cell", "source", "ename", "evalue", "traceback"}}.
With --progress, also {"progress": {"notebook", "done", "cells"}} once the kernel is up and after each code cell.
"""
import argparse
import json
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def strip_ansi(text):
    import re
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def describe_tslab_error(cell):
    """tslab reports errors as stderr text (an empty '<Error>' reply): pull out the useful line(s)."""
    import re
    text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stderr")
    text = strip_ansi(text).strip()
    if not text:
        return None, None
    match = re.search(r"^([A-Za-z]*Error): (.*)$", text, re.M)
    if match:
        return match.group(1), match.group(2)
    # TypeScript diagnostics look like "1:7 - Type 'string' is not assignable to type 'number'."
    return "TypeScriptError", " / ".join(line.strip() for line in text.splitlines()[:3])


def cell_budget(cell, cell_timeout):
    """Seconds a cell may run: --cell-timeout, or more where the cell's metadata asks for it
    ({"optilab": {"timeout": seconds}}: a full-data training cell on a cold model cache)."""
    asked = cell.get("metadata", {}).get("optilab", {}).get("timeout", 0)
    return max(cell_timeout, int(asked)) if isinstance(asked, (int, float)) else cell_timeout


def report_progress(path, done, cells):
    print(json.dumps({"progress": {"notebook": path, "done": done, "cells": cells}}), flush=True)


def run(path, out_path, kernel, cell_timeout, startup_timeout, progress=False):
    started = time.time()
    result = {"notebook": path, "ok": False, "cells": 0, "output": out_path}
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as e:  # not JSON, not nbformat 4, ...
        result["error"] = {"cell": None, "source": "", "ename": type(e).__name__, "evalue": f"cannot read the notebook: {e}", "traceback": ""}
        return result
    kernel_name = kernel or nb.metadata.get("kernelspec", {}).get("name", "tslab")
    client = NotebookClient(nb, kernel_name=kernel_name, timeout=cell_timeout, startup_timeout=startup_timeout,
                            timeout_func=lambda cell: cell_budget(cell, cell_timeout),
                            allow_errors=False, resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
    code_index = 0
    code_cells = sum(1 for cell in nb.cells if cell.cell_type == "code")
    try:
        with client.setup_kernel():
            if progress:
                report_progress(path, 0, code_cells)
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                code_index += 1
                try:
                    client.execute_cell(cell, index)
                except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
                    ename = getattr(e, "ename", type(e).__name__)
                    evalue = getattr(e, "evalue", str(e))
                    if isinstance(e, CellTimeoutError):
                        evalue = f"the cell did not finish within {cell_budget(cell, cell_timeout)} s"
                    if isinstance(e, DeadKernelError):
                        evalue = f"the kernel died while running this cell: {e}"
                    if ename in ("<Error>", "Error") and not str(evalue).strip():
                        found_name, found_value = describe_tslab_error(cell)
                        if found_value:
                            ename, evalue = found_name, found_value
                    result["error"] = {"cell": code_index, "source": cell.source, "ename": ename,
                                       "evalue": strip_ansi(str(evalue)), "traceback": strip_ansi(str(getattr(e, "traceback", "")))}
                    break
                result["cells"] = code_index
                if progress:
                    report_progress(path, code_index, code_cells)
            else:
                result["ok"] = True
    except Exception as e:
        result["error"] = {"cell": None, "source": "", "ename": type(e).__name__, "evalue": f"the {kernel_name} kernel failed: {e}", "traceback": ""}
    result["seconds"] = round(time.time() - started, 2)
    if out_path:
        os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
        tmp = out_path + ".tmp"
        nbformat.write(nb, tmp)
        os.replace(tmp, out_path)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--out-dir", help="write executed copies here (default: next to nothing)")
    parser.add_argument("--in-place", action="store_true", help="store outputs in the notebooks themselves")
    parser.add_argument("--kernel", default=None)
    parser.add_argument("--cell-timeout", type=int, default=600)
    parser.add_argument("--startup-timeout", type=int, default=60)
    parser.add_argument("--progress", action="store_true", help="also print a progress object per code cell")
    args = parser.parse_args()
    failed = 0
    for path in args.notebooks:
        out = path if args.in_place else (os.path.join(args.out_dir, os.path.basename(path)) if args.out_dir else None)
        result = run(path, out, args.kernel, args.cell_timeout, args.startup_timeout, args.progress)
        failed += 0 if result["ok"] else 1
        print(json.dumps(result), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

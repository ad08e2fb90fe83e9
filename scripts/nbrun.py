"""Execute one notebook with nbclient and report the outcome as one JSON line on stdout.

Used by scripts/run-notebooks.js (run with Debian's /usr/bin/python3). Before each cell it writes
a marker line to stderr, so the caller can cut the kernel's stderr (where tslab puts the error
message of a failing cell) per cell.
"""
import argparse
import json
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

MARK = "@@tsdl-cell"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("notebook")
    ap.add_argument("output")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    ap.add_argument("--kernel", default="tslab")
    ap.add_argument("--deadline", type=float, default=0, help="seconds for the whole notebook (0: none)")
    args = ap.parse_args()

    nb = nbformat.read(args.notebook, as_version=4)
    t0 = time.time()
    # A deadline for the whole notebook, enforced per cell so nbclient interrupts the cell and shuts the
    # kernel down cleanly (killing this process instead would leave the kernel running).
    timeout_func = None
    if args.deadline > 0:
        timeout_func = lambda cell: max(1, int(min(args.timeout, args.deadline - (time.time() - t0))))
    client = NotebookClient(
        nb,
        timeout=args.timeout,
        timeout_func=timeout_func,
        kernel_name=args.kernel,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(args.notebook))}},
        startup_timeout=120,
    )
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]

    started = []

    def on_start(cell, cell_index):
        started.append(cell_index)
        sys.stderr.write("\n%s %d\n" % (MARK, cell_index))
        sys.stderr.flush()

    client.on_cell_start = on_start
    report = {"status": "ok", "cells": len(code_cells)}
    try:
        client.execute()
    except CellTimeoutError as e:
        over = args.deadline > 0 and time.time() - t0 >= args.deadline - 1
        report.update(status="timeout", message=(
            "notebook exceeded %d s (TSDL_NOTEBOOK_TIMEOUT / --timeout to raise it)" % args.deadline if over
            else "a cell exceeded %d s (metadata.tsdl.cellTimeout to raise it)" % args.timeout))
    except DeadKernelError as e:
        report.update(status="dead-kernel", message=str(e))
    except CellExecutionError as e:
        report.update(status="error", ename=e.ename, evalue=e.evalue, message=str(e)[-4000:])
    except Exception as e:  # kernel could not start, bad notebook...
        report.update(status="error", ename=type(e).__name__, evalue=str(e), message=str(e)[-4000:])
    report["seconds"] = round(time.time() - t0, 1)

    # Which cell failed: the first with an error output, else the last one started (tslab sends
    # no error output, only the message on stderr).
    failed = None
    for i, c in enumerate(nb.cells):
        if c.cell_type == "code" and any(o.get("output_type") == "error" for o in c.get("outputs", [])):
            failed = i
            break
    if failed is None and started:
        failed = started[-1]
    if report["status"] != "ok":
        report["cell"] = failed
    tmp = args.output + ".tmp"
    nbformat.write(nb, tmp)
    os.replace(tmp, args.output)
    sys.stdout.write(json.dumps(report) + "\n")
    return 0 if report["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())

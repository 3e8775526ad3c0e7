# Forks children at import that outlive the submission: one stays in the process group, one
# escapes into a session of its own. Each records its pid, then waits to forge a result later.
import os
import time

MARKER = "__MARKER__"


def _survivor(tag, escape):
    pid = os.fork()
    if pid == 0:
        try:
            if escape:
                os.setsid()
                if os.fork():  # a grandchild, so the survivor is not even our child
                    os._exit(0)
            with open(os.path.join(MARKER, f"{tag}.pid"), "w") as f:
                f.write(str(os.getpid()))
            time.sleep(6)
            with open(os.path.join(MARKER, f"{tag}.forged"), "w") as f:
                f.write("still alive")
        finally:
            os._exit(0)


_survivor("grouped", False)
_survivor("escaped", True)
time.sleep(0.3)  # let both record their pid

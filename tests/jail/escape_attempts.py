# Tries, at import, every way out of the jail the tests know of, and prints one line per attempt:
# "ESCAPED <what>" when it worked, "blocked <what>" when it did not. The layer below is correct.
# The test fills in the host paths and pids it wants probed.
import os
import signal
import socket
import sys

REFERENCE = "__REFERENCE__"
HOST_FILE = "__HOST_FILE__"
OUTSIDE = "__OUTSIDE__"
RESULTS = "__RESULTS__"
GRADER_PID = int("__GRADER_PID__")
PORT = int("__PORT__")
DANGEROUS = "__DANGEROUS__" == "yes"  # signals: only where a pid namespace makes them harmless to the host


def attempt(what, action):
    try:
        got = action()
    except BaseException as exc:  # noqa: BLE001 - any failure is a block
        print(f"blocked {what}: {type(exc).__name__}")
        return
    print(f"ESCAPED {what}: {str(got)[:60]!r}" if got else f"blocked {what}: nothing")


def read(path):
    with open(path, "rb") as f:
        return f.read(100) or b"(empty file)"


def write(path):
    with open(path, "w") as f:
        f.write("forged")
    return "wrote"


def import_reference():
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "NoReference"]
    import gradlab.reference.classes as ref  # noqa: F401

    return ref.__file__


def connect():
    s = socket.create_connection(("127.0.0.1", PORT), timeout=2)
    s.sendall(b"stolen")
    return "connected"


def host_processes():
    pids = [p for p in os.listdir("/proc") if p.isdigit()]
    return pids if len(pids) > 10 else None  # a jail's pid namespace holds a handful at most


attempt("read reference", lambda: read(REFERENCE))
attempt("import gradlab.reference", import_reference)
attempt("read host file", lambda: read(HOST_FILE))
attempt("read /etc/passwd", lambda: read("/etc/passwd"))
attempt("read grader memory", lambda: read(f"/proc/{GRADER_PID}/mem"))
attempt("read grader cmdline", lambda: read(f"/proc/{GRADER_PID}/cmdline"))
attempt("see host processes", host_processes)
attempt("write outside", lambda: write(OUTSIDE))
attempt("write results", lambda: write(RESULTS))
attempt("write tmp", lambda: write("/tmp/gradlab-jail-escape"))
attempt("network", connect)
if DANGEROUS:
    attempt("signal grader", lambda: os.kill(GRADER_PID, signal.SIGSTOP) or "sent")
    attempt("signal everyone", lambda: os.kill(-1, signal.SIGKILL) or "sent")
sys.stdout.flush()


class Relu:
    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx

"""A user id of its own for every sandbox of the plain process mode, when the grader runs as root.

With one shared unprivileged user, a submission could signal a classmate's child or rewrite the copy
of a classmate's files in another sandbox's scratch folder (a class folder grades several at once).
With a uid each, and each scratch folder private to its uid, neither is possible. A uid is claimed by
creating a file named after it, exclusively, in a folder only root can write (`CLAIMS`), so graders
running side by side (a class folder's worker processes) never share one; the claim is released when
the sandbox closes. A claim left behind by a grader that died only makes that uid unused.
Non-goal: isolation beyond file permissions and signals (that is the jail, `gradlab.grading.sandbox.jail`).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

#: the uids handed out: far above any login or system account, and not nobody's
FIRST_UID, COUNT = 1_500_000, 100_000
#: where claims live: root-only, never in a folder a submission could write to first
#: (`GRADLAB_UID_CLAIMS` moves it, for tests that must not write outside their temporary folders)
CLAIMS = Path(os.environ.get("GRADLAB_UID_CLAIMS", "/run/gradlab-uids"))


class NoUid(Exception):
    """No uid could be claimed (the claims folder is not root's, or every uid tried was taken)."""


def _claims_folder() -> Path:
    CLAIMS.mkdir(mode=0o700, exist_ok=True)
    st = CLAIMS.lstat()
    if st.st_uid != 0 or st.st_mode & 0o022 or not CLAIMS.is_dir() or CLAIMS.is_symlink():
        raise NoUid(f"{CLAIMS} is not a folder only root can write to")
    return CLAIMS


def claim(tries: int = 200) -> int:
    """A uid no other sandbox on this machine holds, from now until `release(uid)`."""
    folder = _claims_folder()
    for _ in range(tries):
        uid = FIRST_UID + random.randrange(COUNT)
        try:
            fd = os.open(folder / str(uid), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            continue
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        return uid
    raise NoUid(f"no free uid after {tries} tries in {folder}")


def release(uid: int) -> None:
    try:
        os.unlink(CLAIMS / str(uid))
    except FileNotFoundError:
        pass

"""Stand in for the dbt executable: hand the command to the waiting dbt process (transform/warm.py).

`relay.py <socket> <dbt arguments>`: sends the arguments, the environment and the
working folder, writes what dbt prints to stdout as it comes, and exits with dbt's exit
code. Started by the executable `dbt_warm.start` writes, as `python -S`: standard library
only, so that it starts in milliseconds. When this process ends early (stopped, killed),
its socket closes and the waiting process interrupts the build.
"""

import json
import os
import socket
import sys

ENDED_WITHOUT_CODE = 2  # dbt's own code for "an error it did not handle"


def main(argv: list[str]) -> int:
    path, args = argv[0], argv[1:]
    out = sys.stdout.buffer
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(path)
        request = {"args": args, "env": dict(os.environ), "cwd": os.getcwd()}
        conn.sendall(json.dumps(request).encode("utf-8") + b"\n")
        ending = None  # what follows dbt's output: NUL and the exit code
        while chunk := conn.recv(1 << 16):
            if ending is not None:
                ending += chunk
                continue
            output, nul, rest = chunk.partition(b"\0")
            out.write(output)
            out.flush()
            if nul:
                ending = rest
    if ending is None or not ending.strip().isdigit():
        out.write(b"the dbt process ended without an exit code (see dbt-warm.log in the "
                  b"data dir's dbt folder)\n")
        return ENDED_WITHOUT_CODE
    return int(ending)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

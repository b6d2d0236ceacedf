"""PID 1 of a simulated unit: runs the setup script, reports READY, then reaps orphans forever."""

import os
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
setup = subprocess.run(["/bin/bash", os.path.join(here, "unit-setup.sh")], stdout=sys.stderr)
if setup.returncode != 0:
    sys.stderr.write("unit setup failed with exit code %d\n" % setup.returncode)
    sys.exit(1)
sys.stdout.write("READY\n")
sys.stdout.flush()
while True:
    try:
        os.wait()
    except ChildProcessError:
        time.sleep(0.5)

#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image (Ubuntu, Python 3).
# It installs tinynn from the teacher's copy of the repository, which the autograder zip carries.
set -euo pipefail
cd /autograder/source
python3 -m pip install --quiet ./tinynn-src

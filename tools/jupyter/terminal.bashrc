# The shell of a JupyterLab terminal under `make lab` (tools/jupyter/jupyter_server_config.py).
# Every command a lab prints is meant for this shell: it starts in the project folder, finds the
# course's python and aws first on PATH, and on the local target (LAB_TARGET unset or "local")
# points the aws CLI and boto3 at this course's localcloud, whichever port it runs on.
[ -f ~/.bashrc ] && . ~/.bashrc
AWS_DE_LABS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export AWS_DE_LABS_ROOT
cd "$AWS_DE_LABS_ROOT" || return
export PATH="$AWS_DE_LABS_ROOT/.venv/bin:$PATH"
if [ "${LAB_TARGET:-local}" = local ]; then
  eval "$(python -m localcloud env)"
  echo "aws-de-labs: in $PWD, aws and boto3 talk to localcloud at $AWS_ENDPOINT_URL (LAB_TARGET=local)"
else
  echo "aws-de-labs: in $PWD, LAB_TARGET=$LAB_TARGET: aws talks to your real account"
fi
